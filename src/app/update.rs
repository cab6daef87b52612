//! `update`: the only function that mutates `State`.
//!
//! Synchronous and pure: it turns a message into state changes and a list
//! of effects for the loop. It must never do I/O, sleep or look at the
//! clock; time arrives as `Msg::Tick`.
//!
//! This file dispatches; what the main keys do on the panes lives in
//! `panes`, flash messages and notifications in `feedback`.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::action::{Action, Effect, Msg};
use super::state::{Mode, Pane, State};
use crate::app::keymap::Context;
use crate::model::IncidentState;

mod feedback;
mod panes;

use feedback::notifications;
use panes::{back, copy, enter, mark};

/// Applies one message; sets `state.dirty` when the screen must be redrawn.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) => {
            if ev.kind == KeyEventKind::Press {
                state.follow_top = false;
            }
            on_key(state, &ev)
        }
        Msg::Action(a) => {
            state.dirty = true;
            state.follow_top = false;
            apply(state, a)
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
            Vec::new()
        }
        Msg::Tick => {
            on_tick(state);
            Vec::new()
        }
        Msg::Drawn => {
            state.dirty = false;
            Vec::new()
        }
        Msg::Notice(n) => {
            match n {
                crate::ack::Notice::Info(t) => {
                    state.flash_info(crate::sanitize::clean_line(&t, 200))
                }
                crate::ack::Notice::Error(t) => {
                    state.flash_error(crate::sanitize::clean_line(&t, 200));
                }
            }
            state.dirty = true;
            Vec::new()
        }
        Msg::View(view) => {
            let effects = notifications(state, &view);
            state.marked = super::marks::follow(&state.view, &view, &state.marked);
            state.marked_alerts = super::marks::live_alerts(&view, &state.marked_alerts);
            state.view = view;
            state.has_data = true;
            state.ticks_since_view = 0;
            state.recompute_visible();
            if state.drill.is_some() && state.drilled_alert().is_none() {
                state.drill = None;
                state.flash_info("the alert left the view");
            }
            state.dirty = true;
            effects
        }
        Msg::Runbook(m) => {
            state.dirty = true;
            super::runbook_flow::on_msg(state, m)
        }
        Msg::ThemeLoaded(result) => {
            match result {
                Ok(theme) => {
                    let msg = format!("theme: {}", theme.name());
                    state.theme = theme;
                    state.flash_info(msg);
                }
                Err(e) => state.flash_error(e),
            }
            state.dirty = true;
            Vec::new()
        }
    }
}

fn on_tick(state: &mut State) {
    state.ticks_since_view = state.ticks_since_view.saturating_add(1);
    // The header's wall clock (live sources) and ages move between polls.
    if state.stale_for().is_some() || (state.has_data && !super::simulated_clock(&state.view)) {
        state.dirty = true;
    }
    if let Some(f) = &mut state.flash {
        f.ticks_left = f.ticks_left.saturating_sub(1);
        if f.ticks_left == 0 {
            state.flash = None;
            state.dirty = true;
        }
    }
}

fn on_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    // Windows reports releases too, and held keys repeat; only presses act.
    if ev.kind != KeyEventKind::Press {
        return Vec::new();
    }
    state.dirty = true;
    // Every key goes through the keymap; only text (characters typed into
    // a line or a typed confirmation) is taken as it comes.
    let ctx = context(state);
    match state.keymap.action_for(ctx, ev) {
        Some(action) => apply(state, action),
        None if ctx == Context::Input => {
            super::input::edit(state, ev);
            Vec::new()
        }
        None if ctx == Context::Dialog => {
            super::runbook_flow::dialog_type(state, ev);
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Which keymap table applies right now.
#[must_use]
pub fn context(state: &State) -> Context {
    use super::layers::Layer;
    match state.top() {
        Layer::Confirm | Layer::Dialog => Context::Dialog,
        Layer::Input(_) => Context::Input,
        // The reader scrolls and closes like help.
        Layer::Help | Layer::Reader => Context::Help,
        Layer::Audit | Layer::List(_) => Context::List,
        Layer::Drill | Layer::Panes => Context::Main,
    }
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    // Dialogs are modal: they take their own actions and nothing else.
    if state.runbook_flow.dialog.is_some() {
        return match action {
            Action::Quit => vec![Effect::Quit],
            a => super::runbook_flow::dialog_action(state, a),
        };
    }
    if state.pending.is_some() {
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Confirm => return super::confirm::confirm(state),
            Action::Back | Action::Cancel => super::confirm::cancel(state),
            _ => {}
        }
        return Vec::new();
    }
    match action {
        Action::Quit => return vec![Effect::Quit],
        Action::Up => super::nav::step(state, -1),
        Action::Down => super::nav::step(state, 1),
        Action::PageUp => super::nav::page(state, false),
        Action::PageDown => super::nav::page(state, true),
        Action::Top => super::nav::jump(state, false),
        Action::Bottom => super::nav::jump(state, true),
        Action::NextPane | Action::PrevPane => {
            if state.drill.is_none() && !state.help_open {
                state.focus = state.focus.next(action == Action::NextPane);
            }
        }
        Action::Enter
            if state.focus == Pane::Runbooks
                && !state.logs_open
                && !state.help_open
                && state.drill.is_none() =>
        {
            let key = state.offered_runbooks().get(state.cursors.runbooks).map(|(k, _)| *k);
            if let Some(k) = key {
                return super::runbook_flow::launch(state, k);
            }
        }
        Action::Enter => enter(state),
        Action::Back => back(state),
        Action::Help => {
            state.help_open = !state.help_open;
            state.cursors.help_scroll = 0;
        }
        Action::Filter => {
            state.mode = Mode::Filter;
            state.input_cursor = usize::MAX;
        }
        Action::Command => {
            state.mode = Mode::Command;
            state.command.clear();
            state.input_cursor = 0;
            state.history_pos = None;
            state.completion = None;
        }
        Action::Read => super::reader::open(state),
        Action::Mark => mark(state),
        Action::Merge => return super::regroup::merge(state),
        Action::Split => return super::regroup::split(state),
        Action::Ack if state.caps.ack_ask_note && !state.read_only && state.caps.can_write => {
            state.mode = Mode::Command;
            state.completion = None;
            state.command = "ack ".into();
            state.input_cursor = usize::MAX;
        }
        Action::Ack => return super::ack::ack(state, ""),
        Action::Unack => return super::ack::unack(state),
        Action::Silence => super::silence::open_silence_editor(state),
        Action::Copy => return copy(state, false),
        Action::CopyCommand => return copy(state, true),
        Action::ToggleResolved => toggle_resolved(state, None),
        Action::KillRun => return super::runbook_flow::kill_latest(state),
        Action::CopyLink => return super::runbook_flow::copy_runbook_link(state),
        Action::Confirm => {}
        Action::Expire | Action::Extend => {
            if state.overlay == Some(super::state::Overlay::Silences) {
                return super::overlay::silence_action(state, action == Action::Extend);
            }
        }
        Action::Retry if state.runbook_flow.audit_open => {}
        Action::Retry => {
            state.flash_info("retrying every source now");
            return vec![Effect::Retry];
        }
        Action::Runbook(n) => return super::runbook_flow::launch(state, n),
        Action::Logs => {
            state.logs_open = !state.logs_open;
            state.logs_lines = false;
            state.cursors.runbooks = 0;
            if state.logs_open {
                state.focus = Pane::Runbooks;
            }
        }
        Action::Submit
        | Action::Cancel
        | Action::Complete
        | Action::CursorLeft
        | Action::CursorRight
        | Action::LineStart
        | Action::LineEnd
        | Action::WordLeft
        | Action::WordRight
        | Action::DeleteBack
        | Action::DeleteForward
        | Action::DeleteWord
        | Action::DeleteToStart
        | Action::DeleteToEnd
        | Action::HistoryPrev
        | Action::HistoryNext => {
            return super::input::apply(state, action);
        }
    }
    Vec::new()
}

/// `H` / `:resolved [hide|show]`: leave resolved incidents out of the list.
pub(super) fn toggle_resolved(state: &mut State, hide: Option<bool>) {
    state.hide_resolved = hide.unwrap_or(!state.hide_resolved);
    state.recompute_visible();
    let hidden = state.view.incidents.iter().filter(|i| i.state == IncidentState::Resolved).count();
    if state.hide_resolved {
        state.flash_info(format!("resolved incidents hidden ({hidden} now)"));
    } else {
        state.flash_info("resolved incidents shown");
    }
}
