//! What the incident history says about open incidents, as carried in the
//! [`super::View`]: past incidents as remembered, how rare a kind is, and
//! the best matches. Plain data; remembering and matching live in
//! `crate::history`.

use serde::{Deserialize, Serialize};

use super::{IncidentId, UnixMs};

/// One resolved incident as remembered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastIncident {
    pub id: IncidentId,
    pub title: String,
    pub started_at: UnixMs,
    pub resolved_at: UnixMs,
    pub services: Vec<String>,
    pub alertnames: Vec<String>,
    /// Top suspected root cause, if any.
    pub cause: Option<String>,
    /// Who acknowledged it and their note (the ack comment), if anyone did.
    #[serde(default)]
    pub acked_by: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The operator's merges and splits of it (`m`, `x`), as its timeline says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regrouped: Vec<String>,
}

/// How often an incident like this one happened in the last 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rarity {
    New,
    Rare,
    Frequent,
}

impl Rarity {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Rare => "rare",
            Self::Frequent => "frequent",
        }
    }
}

/// What the history says about one open incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryMatch {
    pub rarity: Rarity,
    /// Past incidents of the same kind in the last 30 days.
    pub same_kind: usize,
    /// The most similar past incidents, best first, with their similarity.
    pub similar: Vec<(f64, PastIncident)>,
}

impl HistoryMatch {
    /// `new: nothing like it in the last 30 days`, `rare: 2 like it …`.
    #[must_use]
    pub fn headline(&self) -> String {
        match self.rarity {
            Rarity::New => "new: nothing like it in the last 30 days".to_string(),
            r => format!("{}: {} like it in the last 30 days", r.word(), self.same_kind),
        }
    }

    /// One line per similar past incident, best first, at `now`:
    /// `~87% 3d ago I-…: title · cause db · note`.
    pub fn similar_lines(&self, now: UnixMs) -> impl Iterator<Item = String> + '_ {
        self.similar.iter().map(move |(sim, p)| {
            let mut text = format!(
                "~{:.0}% {} ago {}: {}",
                sim * 100.0,
                super::format_age(now - p.resolved_at),
                p.id,
                p.title
            );
            if let Some(c) = &p.cause {
                text.push_str(&format!(" \u{00b7} cause {c}"));
            }
            if let Some(n) = &p.note {
                text.push_str(&format!(" \u{00b7} {n}"));
            }
            text
        })
    }
}
