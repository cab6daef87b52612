//! Alerts as Alertmanager and Prometheus describe them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::entity::{Entity, entity_labels, entity_of};
use super::{SeriesKey, SourceId, UnixMs};

mod fingerprint;
mod labels;

pub use fingerprint::Fingerprint;
pub use labels::Labels;

/// Which instance (pod, host:port) a label set is about: its non-empty
/// `instance` label. Per-instance alerts and series of one service differ
/// only in it, so lines about them name it.
#[must_use]
pub fn instance_of(labels: &Labels) -> Option<&str> {
    labels.get("instance").filter(|i| !i.is_empty())
}

/// A label set from `(name, value)` pairs (tests, fixtures, built-in data).
#[must_use]
pub fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// Re-fires after which an alert counts as flapping.
pub const FLAPPING_AT: u32 = 2;

/// The Alertmanager aggregation group an alert is in: the values of the
/// labels its route groups by (`group_by`), and the route's receiver. The
/// operator's routing says these alerts belong together, so correlation
/// takes it as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AmGroup {
    pub receiver: String,
    pub labels: Labels,
}

impl AmGroup {
    /// Whether the group says more than "the same rule": a group of one
    /// alert name across every host is not evidence that two hosts share a
    /// problem (and an empty `group_by` puts everything in one group).
    #[must_use]
    pub fn is_evidence(&self) -> bool {
        self.labels.keys().any(|k| k != "alertname")
    }

    /// A hash of receiver and labels, the group's identity for matching.
    #[must_use]
    pub fn key(&self) -> u64 {
        let mut h = crate::base::Fnv1a::new();
        h.bytes(self.receiver.as_bytes()).bytes(&[0xff]);
        for (k, v) in &self.labels {
            h.bytes(k.as_bytes()).bytes(&[0xff]).bytes(v.as_bytes()).bytes(&[0xfe]);
        }
        h.finish()
    }

    /// `alertname=X, instance=h:9100` (raw: sanitize before drawing).
    #[must_use]
    pub fn describe(&self) -> String {
        let pairs: Vec<String> = self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join(", ")
    }
}

/// Lifecycle of one alert as quell understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Known to the backend but not yet routed (Alertmanager `unprocessed`).
    Unprocessed,
    /// Rule condition true but its `for:` has not elapsed (Prometheus `pending`).
    Pending,
    /// Firing and notifying.
    Firing,
    /// Firing but silenced or inhibited (Alertmanager `suppressed`).
    Suppressed,
    /// No longer firing.
    Resolved,
}

impl AlertState {
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(self, Self::Firing | Self::Suppressed | Self::Unprocessed)
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Unprocessed => "unprocessed",
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Suppressed => "suppressed",
            Self::Resolved => "resolved",
        }
    }
}

/// Severity, ordered from most to least urgent (`Critical < Info` in `Ord`,
/// so sorting ascending puts the worst first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Warning,
    Info,
    Unknown,
}

impl Severity {
    /// Reads the conventional `severity` label; unknown words are `Unknown`,
    /// never an error.
    #[must_use]
    pub fn from_label(value: Option<&str>) -> Self {
        // Compared case-insensitively in place: this runs per alert, and
        // lowercasing a copy would allocate every time.
        const WORDS: [(&[&str], Severity); 4] = [
            (
                &["critical", "crit", "page", "p1", "fatal", "emergency", "disaster"],
                Severity::Critical,
            ),
            (&["high", "error", "major", "p2"], Severity::High),
            (&["warning", "warn", "minor", "p3", "average"], Severity::Warning),
            (&["info", "informational", "low", "none", "p4", "p5", "notice"], Severity::Info),
        ];
        let Some(v) = value else {
            return Self::Unknown;
        };
        WORDS
            .iter()
            .find(|(words, _)| words.iter().any(|w| w.eq_ignore_ascii_case(v)))
            .map_or(Self::Unknown, |(_, s)| *s)
    }

    /// Fixed-width word, so severity is readable without colour.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Critical => "CRIT",
            Self::High => "HIGH",
            Self::Warning => "WARN",
            Self::Info => "INFO",
            Self::Unknown => "----",
        }
    }

    /// One-cell glyph shown before the word.
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Critical => "\u{25c6}", // ◆
            Self::High => "\u{25b2}",     // ▲
            Self::Warning => "\u{25cf}",  // ●
            Self::Info => "\u{25cb}",     // ○
            Self::Unknown => "\u{00b7}",  // ·
        }
    }
}

/// One alert from one source (after HA merge: one per fingerprint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub source: SourceId,
    pub fingerprint: Fingerprint,
    pub labels: Labels,
    pub annotations: Labels,
    pub state: AlertState,
    pub starts_at: UnixMs,
    /// When the source says it ends; for firing Prometheus alerts this is a
    /// lease in the future, not a resolution.
    pub ends_at: Option<UnixMs>,
    pub updated_at: UnixMs,
    pub generator_url: Option<String>,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<Fingerprint>,
    /// Replica URLs (or names) that reported this alert in the last poll.
    #[serde(default)]
    pub replicas: Vec<String>,
    /// The alert rule's expression, when known (charts).
    #[serde(default)]
    pub expr: Option<String>,
    /// The series in the store that charts this alert's own metric.
    #[serde(default)]
    pub series: Option<SeriesKey>,
    /// Times it fired again after resolving (flapping), as the store
    /// counted them; sources leave it 0.
    #[serde(default)]
    pub flaps: u32,
    /// No source reports it any more, but absence is not trusted yet (a
    /// replica is down, restarting or settling): shown as "unconfirmed",
    /// never silenced by an ack.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
    /// Reported by a rule engine (Prometheus `/api/v1/alerts`), not by an
    /// Alertmanager: pending or firing before routing and silencing. Where
    /// an Alertmanager reports the same alert, its word wins.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rule_engine: bool,
    /// Its Alertmanager aggregation group, when the source reports route
    /// grouping (shared by every alert of the group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub am_group: Option<Arc<AmGroup>>,
    /// Since when the rule engine that reported it no longer does, its
    /// rule evaluated, while an Alertmanager still reports it active: the
    /// engine restarted (or could not reach the Alertmanager) and never sent
    /// the resolution, so the Alertmanager holds it until its `endsAt`.
    /// Shown as "ending", never silenced by an ack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_ended: Option<UnixMs>,
}

impl Alert {
    /// An alert with the given labels (fingerprint computed from them),
    /// started and last updated at `starts_at`, with nothing else known.
    #[must_use]
    pub fn new(source: &str, labels: Labels, state: AlertState, starts_at: UnixMs) -> Self {
        Self {
            source: source.to_string(),
            fingerprint: Fingerprint::of_labels(&labels),
            labels,
            annotations: Labels::new(),
            state,
            starts_at,
            ends_at: None,
            updated_at: starts_at,
            generator_url: None,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            replicas: Vec::new(),
            expr: None,
            series: None,
            flaps: 0,
            unconfirmed: false,
            rule_engine: false,
            am_group: None,
            rule_ended: None,
        }
    }

    /// Fired and resolved repeatedly: worth a marker, and folded into one
    /// incident rather than shown as new ones.
    #[must_use]
    pub fn is_flapping(&self) -> bool {
        self.flaps >= FLAPPING_AT
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.labels.get("alertname").unwrap_or("(no alertname)")
    }

    #[must_use]
    pub fn severity(&self) -> Severity {
        Severity::from_label(self.labels.get("severity"))
    }

    /// The name of the entity the alert is about (its service, else its
    /// host or target; see [`super::entity`]). Everything that groups or
    /// ranks alerts "by service" works on this name.
    #[must_use]
    pub fn service(&self) -> Option<&str> {
        self.entity().map(|e| e.name)
    }

    /// The entity the alert is about, under the label lists in force.
    #[must_use]
    pub fn entity(&self) -> Option<Entity<'_>> {
        entity_of(&self.labels, entity_labels())
    }

    #[must_use]
    pub fn summary(&self) -> Option<&str> {
        self.annotations.get("summary").or_else(|| self.annotations.get("description"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::labels_of as labels;

    #[test]
    fn fingerprint_is_stable_and_label_sensitive() {
        let a = labels(&[("alertname", "X"), ("service", "db")]);
        let b = labels(&[("service", "db"), ("alertname", "X")]);
        let c = labels(&[("alertname", "X"), ("service", "dbx")]);
        assert_eq!(Fingerprint::of_labels(&a), Fingerprint::of_labels(&b));
        assert_ne!(Fingerprint::of_labels(&a), Fingerprint::of_labels(&c));
        // A value boundary shift must not collide: {a="bc"} vs {ab="c"}.
        let d = labels(&[("a", "bc")]);
        let e = labels(&[("ab", "c")]);
        assert_ne!(Fingerprint::of_labels(&d), Fingerprint::of_labels(&e));
    }

    #[test]
    fn severity_words_and_order() {
        assert_eq!(Severity::from_label(Some("CRITICAL")), Severity::Critical);
        assert_eq!(Severity::from_label(Some("warning")), Severity::Warning);
        assert_eq!(Severity::from_label(Some("\x1b[31m")), Severity::Unknown);
        assert_eq!(Severity::from_label(None), Severity::Unknown);
        assert_eq!(Severity::from_label(Some("P2")), Severity::High);
        assert_eq!(Severity::from_label(Some("Info")), Severity::Info);
        assert_eq!(Severity::from_label(Some("warnings")), Severity::Unknown);
        assert_eq!(Severity::from_label(Some("")), Severity::Unknown);
        assert!(Severity::Critical < Severity::Warning);
    }
}
