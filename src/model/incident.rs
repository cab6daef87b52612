//! Incidents: groups of alerts that are one problem, with suspected causes.

use serde::{Deserialize, Serialize};

use super::{Fingerprint, Severity, UnixMs};

/// Stable, short, human-typable incident id (`I-3f2a`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub String);

impl IncidentId {
    /// A suspected incident (`S-…`, opened from metric anomalies before
    /// any alert; see `engine::suspect`) rather than one made of alerts (`I-…`).
    #[must_use]
    pub fn is_suspected(&self) -> bool {
        self.0.starts_with("S-")
    }
}

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// At least one alert is active.
    Open,
    /// Every alert resolved; waiting out the cooldown before calling it done.
    Quiet,
    /// Closed; it no longer absorbs new alerts.
    Resolved,
}

impl IncidentState {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Quiet => "quiet",
            Self::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// One fact supporting a suspected root cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// When the fact became true (onset, deploy time, ...).
    pub ts: UnixMs,
    pub text: String,
}

/// A suspected root cause: a service (optionally an instance) with a score in
/// [0, 1] and the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub service: String,
    pub score: f64,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    AlertFired,
    AlertResolved,
    Anomaly,
    Change,
    Note,
    /// The operator merged an incident in or split alerts out (`m`, `x`).
    Regrouped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub ts: UnixMs,
    pub kind: TimelineKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub state: IncidentState,
    pub started_at: UnixMs,
    pub updated_at: UnixMs,
    pub resolved_at: Option<UnixMs>,
    /// Every alert that ever joined, in order of joining.
    pub alerts: Vec<Fingerprint>,
    /// Services touched by the alerts, most affected first.
    pub services: Vec<String>,
    /// Ranked, best first.
    pub root_causes: Vec<RootCause>,
    pub timeline: Vec<TimelineEntry>,
    /// Someone has acknowledged it (an ack silence exists).
    #[serde(default)]
    pub acked: bool,
}
