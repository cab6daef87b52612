//! A second look before a risky key takes effect: expiring a silence
//! (`x` in `:silences`), merging incidents (`m`) and splitting alerts out
//! (`x`). The key only opens a dialog saying exactly what will happen;
//! `confirm` (Enter) does it, `back` (Esc) drops it. Merges and splits are
//! kept in the data dir, and an expired silence is gone for the whole team,
//! so none of them is done on a single keystroke.

use super::action::Effect;
use super::state::State;
use crate::ack::AckCommand;
use crate::engine::regroup::Regroup;
use crate::model::{Fingerprint, IncidentId, SourceId};
use crate::sanitize::clean_line;

/// The action waiting for confirmation, with what it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Expire { source: SourceId, id: String, comment: String },
    Merge { into: IncidentId, from: Vec<IncidentId> },
    Split { from: IncidentId, alerts: Vec<Fingerprint> },
}

impl Pending {
    /// The dialog's title, its lines and the word on the confirm key.
    #[must_use]
    pub fn describe(&self) -> (&'static str, Vec<String>, &'static str) {
        match self {
            Self::Expire { source, id, comment } => (
                "Expire silence",
                vec![
                    format!("silence {} on {}", clean_line(id, 40), clean_line(source, 30)),
                    format!("comment: {}", clean_line(comment, 200)),
                    "The alerts it covers notify again, for everyone.".into(),
                ],
                "expire",
            ),
            Self::Merge { into, from } => {
                let ids: Vec<String> = from.iter().map(|i| clean_line(&i.0, 20)).collect();
                (
                    "Merge incidents",
                    vec![
                        format!("merge {} into {}", ids.join(", "), clean_line(&into.0, 20)),
                        "Kept in the data dir; undo by splitting the alerts out again (x).".into(),
                    ],
                    "merge",
                )
            }
            Self::Split { from, alerts } => (
                "Split alerts out",
                vec![
                    format!(
                        "move {} alert(s) out of {} into a new incident",
                        alerts.len(),
                        clean_line(&from.0, 20)
                    ),
                    "Kept in the data dir; undo by marking both and merging (m).".into(),
                ],
                "split",
            ),
        }
    }
}

/// Opens the dialog for `p`.
pub fn ask(state: &mut State, p: Pending) {
    state.pending = Some(p);
}

/// Enter on the dialog: do it.
pub fn confirm(state: &mut State) -> Vec<Effect> {
    let Some(p) = state.pending.take() else {
        return Vec::new();
    };
    match p {
        Pending::Expire { source, id, .. } => {
            state.flash_info(format!("expiring silence {}\u{2026}", clean_line(&id, 40)));
            vec![Effect::Ack(AckCommand::Expire { source, id })]
        }
        Pending::Merge { into, from } => {
            state.flash_info(format!("merging {} incident(s) into {into}\u{2026}", from.len()));
            state.marked.clear();
            vec![Effect::Regroup(Regroup::Merge { into, from })]
        }
        Pending::Split { from, alerts } => {
            state.flash_info(format!("splitting {} alert(s) out of {from}\u{2026}", alerts.len()));
            state.marked_alerts.clear();
            vec![Effect::Regroup(Regroup::Split { from, alerts })]
        }
    }
}

/// Esc on the dialog: nothing happens.
pub fn cancel(state: &mut State) {
    if let Some(p) = state.pending.take() {
        let (_, _, verb) = p.describe();
        state.flash_info(format!("{verb} cancelled"));
    }
}
