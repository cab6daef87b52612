//! Sources (connectors) and their health, shown in the header.

use serde::{Deserialize, Serialize};

use super::UnixMs;

/// Name of a configured source, e.g. `demo`, `am-prod`, `prom-eu`.
/// The source name of the embedded demo world (its alerts, silences and acks).
pub const DEMO_SOURCE: &str = "demo";

pub type SourceId = String;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SourceStatus {
    /// Not polled yet.
    Starting,
    Ok,
    /// Answered, but slower than its budget.
    Slow {
        millis: u64,
    },
    /// Unreachable since `since`, after `attempts` tries.
    Down {
        since: UnixMs,
        attempts: u32,
        reason: String,
    },
    /// Credentials rejected; polling stops until the user retries.
    AuthFailed {
        reason: String,
    },
    Tls {
        reason: String,
    },
    /// The body could not be understood; `excerpt` is escaped.
    BadResponse {
        excerpt: String,
    },
    TooLarge {
        limit_bytes: u64,
    },
    /// Answered with warnings (e.g. Thanos partial response).
    Partial {
        warnings: Vec<String>,
    },
}

impl SourceStatus {
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Ok | Self::Slow { .. } | Self::Partial { .. })
    }

    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Ok => "ok",
            Self::Slow { .. } => "slow",
            Self::Down { .. } => "down",
            Self::AuthFailed { .. } => "auth failed",
            Self::Tls { .. } => "tls error",
            Self::BadResponse { .. } => "bad response",
            Self::TooLarge { .. } => "too large",
            Self::Partial { .. } => "partial data",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub id: SourceId,
    /// `alertmanager`, `prometheus`, `demo`, ...
    pub kind: String,
    pub status: SourceStatus,
    /// Last successful poll; data older than the source's interval is stale.
    pub last_ok: Option<UnixMs>,
    pub interval_ms: u64,
}

impl SourceHealth {
    /// Data is stale when the last good poll is older than three intervals.
    #[must_use]
    pub fn is_stale(&self, now: UnixMs) -> bool {
        let limit = i64::try_from(self.interval_ms.saturating_mul(3)).unwrap_or(i64::MAX);
        self.last_ok.is_none_or(|t| now.saturating_sub(t) > limit)
    }
}
