//! "Read whole" (`v`): one view that shows the selected thing's text in
//! full, wrapped and scrollable, wherever a pane or list had to cut it.
//!
//! This module decides *what* is read (from the layer on top and the
//! focused pane, at the moment `v` is pressed) and keeps the recent status
//! messages for `:messages`. The text itself is built by the renderer
//! (`ui::read`) from the live view, with the same formatting as the panes,
//! so a growing run output or log keeps growing in the reader too.

use std::collections::VecDeque;

use super::layers::Layer;
use super::state::{Overlay, Pane, State};
use crate::model::{Fingerprint, IncidentId};

/// Status messages kept for `:messages`.
pub const MESSAGES: usize = 50;

/// What the reader shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadWhat {
    /// An incident: title, summary and its whole timeline.
    Incident(IncidentId),
    /// An incident's alerts, each row whole, the one at `selected` marked.
    Alerts { incident: IncidentId, selected: usize },
    /// One suspected cause of an incident with all its evidence.
    Cause { incident: IncidentId, index: usize },
    /// A log pattern of a service, whole, with its latest lines.
    LogPattern { service: String, index: usize },
    /// A runbook offered on a key: what it is and what it would run.
    Runbook(u8),
    /// The latest runbook run's output, every line.
    RunOutput,
    /// One alert: every label and annotation.
    Alert(Fingerprint),
    /// Row `index` of a list overlay.
    ListRow(Overlay, usize),
    /// Entry `index` of the audit log, newest first.
    Audit(usize),
    /// The recent status messages, newest first.
    Messages,
}

/// The open reader: what it shows and the first line shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub what: ReadWhat,
    pub scroll: usize,
}

/// What `v` reads right now: the row under the cursor of whatever has the
/// keys (a list, the audit, the alert detail, or the focused pane).
#[must_use]
pub fn target(state: &State) -> Option<ReadWhat> {
    match state.scroll_layer() {
        Layer::List(o) => (super::overlay::len(state, o) > 0)
            .then_some(ReadWhat::ListRow(o, state.cursors.overlay)),
        Layer::Audit => (!state.runbook_flow.audit.is_empty())
            .then_some(ReadWhat::Audit(state.runbook_flow.audit_scroll)),
        Layer::Drill => state.drill.clone().map(ReadWhat::Alert),
        _ => pane_target(state),
    }
}

fn pane_target(state: &State) -> Option<ReadWhat> {
    if state.focus == Pane::Alerts && state.runbook_flow.output_open {
        return state.runbook_flow.shown_run().map(|_| ReadWhat::RunOutput);
    }
    let inc = state.selected_incident()?.id.clone();
    Some(match state.focus {
        Pane::Incidents => ReadWhat::Incident(inc),
        Pane::Alerts => ReadWhat::Alerts { incident: inc, selected: state.cursors.alerts },
        Pane::Causes => {
            if state.shown_causes().is_empty() {
                return None;
            }
            ReadWhat::Cause { incident: inc, index: state.cursors.causes }
        }
        Pane::Runbooks if state.logs_open => {
            let service = state.logs_service()?.to_string();
            if state.logs_patterns().is_empty() {
                return None;
            }
            ReadWhat::LogPattern { service, index: state.cursors.runbooks }
        }
        Pane::Runbooks => {
            let offered = state.offered_runbooks();
            let (key, _) = offered.get(state.cursors.runbooks)?;
            ReadWhat::Runbook(*key)
        }
    })
}

/// `v`: opens the reader on the selection, or says there is nothing to read.
pub fn open(state: &mut State) {
    match target(state) {
        Some(what) => state.reader = Some(Reader { what, scroll: 0 }),
        None => state.flash_error("nothing selected to read"),
    }
}

/// `:messages`: the recent status messages, whole.
pub fn open_messages(state: &mut State) {
    // The message being shown is read whole now.
    state.flash = None;
    state.reader = Some(Reader { what: ReadWhat::Messages, scroll: 0 });
}

/// Keeps a status message for `:messages` (the footer shows it for a few
/// seconds, and cut when long).
pub fn remember(messages: &mut VecDeque<String>, text: &str) {
    if messages.front().is_some_and(|m| m == text) {
        return;
    }
    messages.push_front(crate::sanitize::clean_line(text, 8 * 1024));
    messages.truncate(MESSAGES);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Action, Msg, fixture, update};

    #[test]
    fn v_reads_what_has_the_keys_and_esc_closes_it() {
        let mut s = fixture::state();
        let id = s.selected_incident().unwrap().id.clone();
        update(&mut s, Msg::Action(Action::Read));
        assert_eq!(s.reader.as_ref().map(|r| &r.what), Some(&ReadWhat::Incident(id.clone())));
        assert_eq!(crate::app::context(&s), crate::app::keymap::Context::Help);
        update(&mut s, Msg::Action(Action::Back));
        assert!(s.reader.is_none());
        // The alerts pane reads its rows, the causes pane the cause under the cursor.
        update(&mut s, Msg::Action(Action::NextPane));
        update(&mut s, Msg::Action(Action::Read));
        assert_eq!(
            s.reader.as_ref().map(|r| &r.what),
            Some(&ReadWhat::Alerts { incident: id.clone(), selected: 0 })
        );
        update(&mut s, Msg::Action(Action::Back));
        update(&mut s, Msg::Action(Action::NextPane));
        update(&mut s, Msg::Action(Action::Read));
        assert_eq!(
            s.reader.as_ref().map(|r| &r.what),
            Some(&ReadWhat::Cause { incident: id, index: 0 })
        );
        update(&mut s, Msg::Action(Action::Back));
        // A list reads its selected row; Esc leaves the list open.
        s.overlay = Some(Overlay::Sources);
        update(&mut s, Msg::Action(Action::Read));
        assert_eq!(
            s.reader.as_ref().map(|r| &r.what),
            Some(&ReadWhat::ListRow(Overlay::Sources, 0))
        );
        update(&mut s, Msg::Action(Action::Back));
        assert!(s.reader.is_none());
        assert_eq!(s.overlay, Some(Overlay::Sources));
    }

    #[test]
    fn keys_in_the_reader_scroll_it_and_act_on_nothing_under_it() {
        let mut s = fixture::state();
        s.measure.reader_len = |_| 40;
        s.overlay = Some(Overlay::Sources);
        update(&mut s, Msg::Action(Action::Read));
        update(&mut s, Msg::Action(Action::Down));
        update(&mut s, Msg::Action(Action::Down));
        assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(2));
        assert_eq!(s.cursors.overlay, 0, "the list under it did not move");
        update(&mut s, Msg::Action(Action::Bottom));
        assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(39));
        // `r` retries in the list, not through the reader over it.
        let r = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('r'),
            crossterm::event::KeyModifiers::NONE,
        );
        assert!(update(&mut s, Msg::Key(r)).is_empty());
        update(&mut s, Msg::Action(Action::Back));
        assert!(s.reader.is_none());
        assert_eq!(
            update(&mut s, Msg::Key(r)),
            vec![crate::app::Effect::Retry],
            "the list's key again"
        );
    }

    #[test]
    fn messages_are_kept_newest_first_without_repeats() {
        let mut s = fixture::state();
        s.flash_info("one");
        s.flash_error("two");
        s.flash_error("two");
        assert_eq!(s.messages.iter().collect::<Vec<_>>(), ["two", "one"]);
        for i in 0..(MESSAGES + 5) {
            s.flash_info(format!("m{i}"));
        }
        assert_eq!(s.messages.len(), MESSAGES);
        crate::app::fixture::command(&mut s, "messages");
        assert_eq!(s.reader.as_ref().map(|r| &r.what), Some(&ReadWhat::Messages));
    }
}
