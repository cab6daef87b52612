//! `update`: the only function that mutates `State`.
//!
//! Synchronous and pure: it turns a message into state changes and a list
//! of effects for the loop. It must never do I/O, sleep or look at the
//! clock; time arrives as `Msg::Tick`.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::action::{Action, Effect, Msg};
use super::state::{Flash, FlashKind, Mode, Pane, State};
use crate::app::keymap::Context;
use crate::model::IncidentState;

/// How many ticks (seconds) a flash message stays.
const FLASH_TICKS: u8 = 4;

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

fn enter(state: &mut State) {
    if state.help_open || state.drill.is_some() {
        return;
    }
    match state.focus {
        Pane::Incidents => {
            if state.selected_incident().is_some() {
                state.focus = Pane::Alerts;
            }
        }
        Pane::Alerts => {
            if let Some(fp) = state.selected_alert().map(|a| a.alert.fingerprint.clone()) {
                state.drill = Some(fp);
                state.cursors.detail_scroll = 0;
            }
        }
        Pane::Runbooks if state.logs_open => state.toggle_log_lines(),
        // Runbooks are launched in `apply`, which can return effects.
        Pane::Runbooks | Pane::Causes => {}
    }
}

/// Esc peels one layer: help, then the alert detail, then pane focus, then
/// the marks, then the filter.
fn back(state: &mut State) {
    use super::layers::Layer;
    match state.scroll_layer() {
        Layer::Help => state.help_open = false,
        Layer::Reader => state.reader = None,
        Layer::Audit => state.runbook_flow.audit_open = false,
        Layer::List(_) => state.overlay = None,
        Layer::Drill => {
            state.drill = None;
            state.focus = Pane::Alerts;
        }
        _ => back_in_panes(state),
    }
}

/// Esc with nothing over the panes: the runbook output, the log lines,
/// pane focus, the filter.
fn back_in_panes(state: &mut State) {
    if state.runbook_flow.output_open {
        state.runbook_flow.output_open = false;
    } else if state.logs_lines {
        state.logs_lines = false;
    } else if state.focus != Pane::Incidents {
        state.focus = Pane::Incidents;
    } else if !state.marked.is_empty() || !state.marked_alerts.is_empty() {
        let n = state.marked.len() + state.marked_alerts.len();
        state.marked.clear();
        state.marked_alerts.clear();
        state.flash_info(format!("{n} mark(s) cleared"));
    } else if !state.filter.is_empty() {
        state.filter.clear();
        state.recompute_visible();
        state.flash_info("filter cleared");
    }
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

/// Space toggles the mark on the selected incident (in the alerts pane: on
/// the selected alert) and moves down, so a run of rows is marked by
/// holding the key.
fn mark(state: &mut State) {
    if state.focus == Pane::Alerts && state.drill.is_none() {
        if let Some(fp) = state.selected_alert().map(|a| a.alert.fingerprint.clone()) {
            if !state.marked_alerts.remove(&fp) {
                state.marked_alerts.insert(fp);
            }
            super::nav::step(state, 1);
        }
        return;
    }
    let Some(id) = state.selected_incident().map(|i| i.id.clone()) else {
        return;
    };
    if !state.marked.remove(&id) {
        state.marked.insert(id);
    }
    if state.focus == Pane::Incidents && state.drill.is_none() {
        super::nav::step(state, 1);
    }
}

/// `y` / `Y`: the selected incident's Markdown summary or `amtool`
/// commands, to the clipboard.
fn copy(state: &mut State, commands: bool) -> Vec<Effect> {
    let Some(inc) = state.selected_incident() else {
        state.flash_error("copy: no incident selected");
        return Vec::new();
    };
    let (text, what) = if commands {
        (super::ack::amtool_commands(state, inc), "amtool commands")
    } else {
        (super::ack::summary_markdown(&state.view, inc), "Markdown summary")
    };
    if text.is_empty() {
        state.flash_error("copy: no active alerts to build commands from");
        return Vec::new();
    }
    vec![Effect::Copy { text, what: what.to_string() }]
}

/// A new incident at or above the notify severity rings the bell and
/// raises a desktop notification; incidents in the first view do not.
fn notifications(state: &mut State, view: &crate::model::View) -> Vec<Effect> {
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
        super::reader::remember(&mut self.messages, &text);
        self.flash = Some(Flash { text, kind, ticks_left: FLASH_TICKS });
    }
}
