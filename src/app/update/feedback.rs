//! What the operator is told: flash messages in the footer (kept for a
//! few ticks and remembered for `:messages`), and the bell and desktop
//! notification for a new incident at or above the notify severity.

use super::*;
use crate::app::state::{Flash, FlashKind};

/// How many ticks (seconds) a flash message stays.
const FLASH_TICKS: u8 = 4;

/// A new incident at or above the notify severity rings the bell and
/// raises a desktop notification; incidents in the first view do not.
pub(super) fn notifications(state: &mut State, view: &crate::model::View) -> Vec<Effect> {
    let first = !state.has_data;
    let mut effects = Vec::new();
    for inc in &view.incidents {
        if state.seen_incidents.contains(&inc.id) {
            continue;
        }
        state.seen_incidents.insert(inc.id.clone());
        let loud = state.caps.notify.is_some_and(|min| inc.severity <= min)
            && inc.state != IncidentState::Resolved;
        if !first && loud && effects.is_empty() {
            effects.push(Effect::Notify {
                title: format!("quell: {} incident", inc.severity.word()),
                body: crate::sanitize::clean_line(&inc.title, 120),
            });
        }
    }
    // Bounded: forget incidents no longer in the view.
    if state.seen_incidents.len() > 4 * view.incidents.len() + 1_000 {
        let live: std::collections::HashSet<_> =
            view.incidents.iter().map(|i| i.id.clone()).collect();
        state.seen_incidents.retain(|id| live.contains(id));
    }
    effects
}

impl State {
    pub fn flash_info(&mut self, text: impl Into<String>) {
        self.flash_as(text.into(), FlashKind::Info);
    }

    pub fn flash_error(&mut self, text: impl Into<String>) {
        self.flash_as(text.into(), FlashKind::Error);
    }

    fn flash_as(&mut self, text: String, kind: FlashKind) {
        crate::app::reader::remember(&mut self.messages, &text);
        self.flash = Some(Flash { text, kind, ticks_left: FLASH_TICKS });
    }
}
