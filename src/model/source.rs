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

/// What a source's warning says when an Alertmanager replica started
/// moments ago: it lost the alerts it had, and the ones Prometheus sent
/// before have not been re-sent yet, so "no alerts" is no all-clear.
#[must_use]
pub fn fresh_start_warning(replica: &str, age_ms: i64) -> String {
    format!(
        "replica {replica} {FRESH_START} {}s ago: alerts sent before may not have arrived yet",
        age_ms.max(0) / 1000
    )
}

/// The words [`fresh_start_warning`] puts in a warning.
const FRESH_START: &str = "(Alertmanager) started";

impl SourceHealth {
    /// Whether a replica of this source started moments ago (see
    /// [`fresh_start_warning`]): the header says so instead of "partial data".
    #[must_use]
    pub fn just_started(&self) -> bool {
        matches!(&self.status, SourceStatus::Partial { warnings }
            if warnings.iter().any(|w| w.contains(FRESH_START)))
    }
}

/// The shortest silence between views that is worth a "no update" warning.
pub const QUIET_FLOOR_MS: i64 = 10_000;

/// How long the screen may go without a new view before that is news.
///
/// Every poll of every source brings a view, so views arrive at least as
/// often as the fastest healthy source polls (its interval, +10 % jitter).
/// Twice that, and never under [`QUIET_FLOOR_MS`]: a 15 s poll is not a
/// 10 s outage. With no healthy source the slowest interval sets it (a
/// failing source backs off; its own status already says it is down).
#[must_use]
pub fn quiet_limit_ms(sources: &[SourceHealth]) -> i64 {
    let ms = |s: &SourceHealth| i64::try_from(s.interval_ms).unwrap_or(i64::MAX);
    let polling = sources.iter().filter(|s| s.interval_ms > 0);
    let fastest_healthy = polling.clone().filter(|s| s.status.is_healthy()).map(ms).min();
    let expected = fastest_healthy.or_else(|| polling.map(ms).max()).unwrap_or(0);
    expected.saturating_mul(2).max(QUIET_FLOOR_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(interval_ms: u64, status: SourceStatus) -> SourceHealth {
        SourceHealth {
            id: "s".into(),
            kind: "alertmanager".into(),
            status,
            last_ok: None,
            interval_ms,
        }
    }

    #[test]
    fn a_fresh_replica_is_told_apart_from_other_partial_data() {
        let w = fresh_start_warning("http://am:9093", 12_400);
        assert_eq!(
            w,
            "replica http://am:9093 (Alertmanager) started 12s ago: alerts sent before may not have arrived yet"
        );
        let partial = |w: &str| src(15_000, SourceStatus::Partial { warnings: vec![w.into()] });
        assert!(partial(&w).just_started());
        assert!(!partial("replica http://am:9093: cluster settling").just_started());
        assert!(!src(15_000, SourceStatus::Ok).just_started());
    }

    #[test]
    fn quiet_limit_follows_the_fastest_healthy_poll() {
        assert_eq!(quiet_limit_ms(&[]), QUIET_FLOOR_MS);
        assert_eq!(quiet_limit_ms(&[src(1_000, SourceStatus::Ok)]), QUIET_FLOOR_MS);
        // A 15 s poll is due every 15 s: no warning before twice that.
        assert_eq!(quiet_limit_ms(&[src(15_000, SourceStatus::Ok)]), 30_000);
        let down = SourceStatus::Down { since: 0, attempts: 3, reason: "refused".into() };
        let mixed = [src(5_000, down.clone()), src(60_000, SourceStatus::Ok)];
        assert_eq!(quiet_limit_ms(&mixed), 120_000, "a down source polls on its backoff");
        assert_eq!(quiet_limit_ms(&[src(30_000, down)]), 60_000);
    }
}
