//! Silences and acknowledgements as Alertmanager and quell describe them.
//!
//! An acknowledgement is a silence whose comment starts with [`ACK_MARKER`]
//! (the convention karma and kthxbye established; Alertmanager has no ack of
//! its own). Matching follows Alertmanager: every matcher must hold, regex
//! matchers are fully anchored, and a missing label matches as "".

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Fingerprint, IncidentId, Labels, SourceId, UnixMs};

/// The comment prefix that makes a silence an acknowledgement.
pub const ACK_MARKER: &str = "ACK!";

/// One matcher of a silence: `name` `=`, `!=`, `=~` or `!~` `value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SilenceMatcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl SilenceMatcher {
    #[must_use]
    pub fn equal(name: &str, value: &str) -> Self {
        Self { name: name.into(), value: value.into(), is_regex: false, is_equal: true }
    }

    /// The operator as written in `amtool` and Alertmanager's UI.
    #[must_use]
    pub fn op(&self) -> &'static str {
        match (self.is_regex, self.is_equal) {
            (false, true) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (true, false) => "!~",
        }
    }

    /// Whether the label set satisfies this matcher. An invalid regex
    /// matches nothing (Alertmanager refuses such silences anyway). Compiles
    /// the regex each call: use [`CompiledMatchers`] over many label sets.
    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        CompiledMatchers::new(std::slice::from_ref(self)).matches(labels)
    }
}

/// Matchers with their regexes compiled once, to test many label sets.
#[derive(Debug)]
pub struct CompiledMatchers<'m> {
    parts: Vec<(&'m SilenceMatcher, Option<Regex>)>,
}

impl<'m> CompiledMatchers<'m> {
    #[must_use]
    pub fn new(ms: &'m [SilenceMatcher]) -> Self {
        let parts = ms
            .iter()
            .map(|m| {
                (m, m.is_regex.then(|| Regex::new(&format!("^(?:{})$", m.value)).ok()).flatten())
            })
            .collect();
        Self { parts }
    }

    /// Whether every matcher holds (and there is at least one).
    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.parts.is_empty()
            && self.parts.iter().all(|(m, re)| {
                let v = labels.get(&m.name).unwrap_or("");
                let hit = match (m.is_regex, re) {
                    (true, Some(re)) => re.is_match(v),
                    (true, None) => false,
                    (false, _) => v == m.value,
                };
                hit == m.is_equal
            })
    }
}

/// `name="value"` with the value quoted and escaped the way Alertmanager's
/// matcher parser reads it (`\\`, `\"`, `\n`).
impl fmt::Display for SilenceMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"{}\"", self.name, self.op(), escape_matcher_value(&self.value))
    }
}

/// Escapes a matcher value for a quoted Alertmanager matcher.
#[must_use]
pub fn escape_matcher_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Alertmanager's view of a silence's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    Active,
    /// Starts in the future.
    Pending,
    Expired,
}

/// One silence as a cluster reports it. Text fields are attacker-controlled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    /// The cluster (configured Alertmanager name) holding it.
    pub source: SourceId,
    pub matchers: Vec<SilenceMatcher>,
    pub starts_at: UnixMs,
    pub ends_at: UnixMs,
    pub updated_at: UnixMs,
    pub created_by: String,
    pub comment: String,
    pub state: SilenceState,
    /// How many alerts in the current view it matches (filled by the pipeline).
    #[serde(default)]
    pub matched: usize,
}

impl Silence {
    /// Whether this silence is an acknowledgement.
    #[must_use]
    pub fn is_ack(&self) -> bool {
        self.comment.trim_start().starts_with(ACK_MARKER)
    }

    /// Whether every matcher holds for the labels.
    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        CompiledMatchers::new(&self.matchers).matches(labels)
    }

    #[must_use]
    pub fn is_live(&self) -> bool {
        self.state != SilenceState::Expired
    }
}

/// Where an acknowledgement quell wrote stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum AckPhase {
    /// Not yet confirmed by the cluster; retried with backoff.
    Pending {
        attempts: u32,
        #[serde(default)]
        last_error: Option<String>,
    },
    /// The silences exist; extended while the alerts fire.
    Active,
    /// Un-acknowledge requested; expiring the silences.
    Expiring {
        attempts: u32,
        #[serde(default)]
        last_error: Option<String>,
    },
    /// Quell is in read-only mode or the alerts have no Alertmanager: kept
    /// only locally.
    LocalOnly { reason: String },
}

/// One acknowledgement of one incident (or alert set) on one cluster, as
/// quell's ack writer tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckStatus {
    pub incident: IncidentId,
    pub source: SourceId,
    pub fingerprints: Vec<Fingerprint>,
    pub by: String,
    pub note: String,
    pub at: UnixMs,
    /// Silence ids written for it (one per matcher set).
    pub silence_ids: Vec<String>,
    /// When the silences currently end.
    pub until: Option<UnixMs>,
    pub phase: AckPhase,
}

/// How far an alert's start (the server's clock) may fall after an ack
/// (quell's clock) and still be the occurrence it was made for.
pub const ACK_CLOCK_SLACK_MS: UnixMs = 60_000;

impl AckStatus {
    #[must_use]
    pub fn is_pending(&self) -> bool {
        matches!(self.phase, AckPhase::Pending { .. })
    }

    /// Whether this ack was made for the occurrence of `fingerprint` that
    /// started at `started`: one of the alerts it covered, started before
    /// the ack (give or take [`ACK_CLOCK_SLACK_MS`] of the servers'
    /// clocks). An alert of the same labels that resolved and fired again
    /// later is a new occurrence, as Alertmanager's own grouping treats it.
    #[must_use]
    pub fn covers(&self, fingerprint: &Fingerprint, started: UnixMs) -> bool {
        started <= self.at + ACK_CLOCK_SLACK_MS && self.fingerprints.contains(fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::labels_of as labels;

    #[test]
    fn matchers_follow_alertmanager_semantics() {
        let l = labels(&[("service", "payments"), ("instance", "a:1")]);
        assert!(SilenceMatcher::equal("service", "payments").matches(&l));
        let re = SilenceMatcher {
            name: "instance".into(),
            value: "a:1|b:2".into(),
            is_regex: true,
            is_equal: true,
        };
        assert!(re.matches(&l));
        let anchored = SilenceMatcher { value: "a".into(), ..re.clone() };
        assert!(!anchored.matches(&l), "regexes are fully anchored");
        let missing = SilenceMatcher::equal("zone", "");
        assert!(missing.matches(&l), "a missing label matches the empty string");
        let neq = SilenceMatcher { is_equal: false, ..SilenceMatcher::equal("service", "x") };
        assert!(neq.matches(&l));
        let bad = SilenceMatcher { value: "(".into(), ..re };
        assert!(!bad.matches(&l), "an invalid regex matches nothing");
    }

    #[test]
    fn display_escapes_hostile_values() {
        let m = SilenceMatcher::equal("instance", "x\"$(id)\\\n");
        assert_eq!(m.to_string(), r#"instance="x\"$(id)\\\n""#);
    }
}
