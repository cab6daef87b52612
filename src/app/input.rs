//! Typing into the filter and the command line: editing keys, submit,
//! cancel, Tab completion, and running a submitted command.
//!
//! The filter is live: every edit re-filters the list. Esc clears it, Enter
//! keeps it. Only printable characters are ever inserted, so the line can
//! never carry a control sequence to the screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Effect};
use super::command::{self, Command};
use super::line_edit::Line;
use super::state::{Completion, Mode, SortOrder, State};

/// Longest filter or command line accepted, in characters.
const MAX_INPUT: usize = 2_048;

/// Command lines remembered for Up/Down.
const HISTORY: usize = 100;

/// The line the keyboard is typing into, with its cursor.
fn active_line(state: &mut State) -> Option<Line<'_>> {
    let text = match state.mode {
        Mode::Filter if state.filtering_log_lines() => &mut state.logs_filter,
        Mode::Filter => &mut state.filter,
        Mode::Command => &mut state.command,
        Mode::Normal => return None,
    };
    Some(Line { text, cursor: &mut state.input_cursor })
}

/// Types a key the input keymap did not claim: printable characters are
/// inserted at the cursor; anything else is ignored.
pub fn edit(state: &mut State, ev: &KeyEvent) {
    let KeyCode::Char(c) = ev.code else { return };
    if c.is_control() || ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return;
    }
    let Some(mut line) = active_line(state) else { return };
    if line.text.chars().count() >= MAX_INPUT {
        return;
    }
    line.insert(c);
    edited(state);
}

fn edited(state: &mut State) {
    state.completion = None;
    state.history_pos = None;
    if state.mode == Mode::Filter {
        state.recompute_visible();
    }
}

/// Cursor moves, deletions and history on the active line.
fn edit_action(state: &mut State, action: Action) {
    if matches!(action, Action::HistoryPrev | Action::HistoryNext) {
        if state.mode == Mode::Command {
            recall(state, action == Action::HistoryPrev);
        }
        return;
    }
    // Backspace on an empty command line leaves it, as in vim.
    if action == Action::DeleteBack && state.mode == Mode::Command && state.command.is_empty() {
        state.mode = Mode::Normal;
        return;
    }
    let before = state.command.len() + state.filter.len() + state.logs_filter.len();
    let Some(mut line) = active_line(state) else { return };
    line.apply(action);
    if state.command.len() + state.filter.len() + state.logs_filter.len() != before {
        edited(state);
    }
}

/// Up/Down through the command history; past the newest entry the line
/// typed before browsing comes back.
fn recall(state: &mut State, older: bool) {
    let n = state.history.len();
    let next = match (state.history_pos, older) {
        (None, true) if n > 0 => Some(n - 1),
        (None, _) => return,
        (Some(i), true) => Some(i.saturating_sub(1)),
        (Some(i), false) if i + 1 < n => Some(i + 1),
        (Some(_), false) => None,
    };
    if state.history_pos.is_none() {
        state.history_draft = state.command.clone();
    }
    state.command = match next {
        Some(i) => state.history.get(i).cloned().unwrap_or_default(),
        None => std::mem::take(&mut state.history_draft),
    };
    state.history_pos = next;
    state.input_cursor = usize::MAX;
    state.completion = None;
}

fn remember(state: &mut State, line: &str) {
    let line = line.trim();
    if line.is_empty() || state.history.last().is_some_and(|l| l == line) {
        return;
    }
    state.history.push(line.to_string());
    let excess = state.history.len().saturating_sub(HISTORY);
    state.history.drain(..excess);
}

/// Submit, cancel, complete or edit the active line.
pub fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    match (state.mode, action) {
        (Mode::Filter, Action::Submit) => {
            state.mode = Mode::Normal;
            state.filter = state.filter.trim().to_string();
            state.recompute_visible();
        }
        (Mode::Filter, Action::Cancel) if state.filtering_log_lines() => {
            state.mode = Mode::Normal;
            state.logs_filter.clear();
        }
        (Mode::Filter, Action::Cancel) => {
            state.mode = Mode::Normal;
            state.filter.clear();
            state.recompute_visible();
        }
        (Mode::Command, Action::Submit) => {
            state.mode = Mode::Normal;
            state.completion = None;
            state.history_pos = None;
            let line = std::mem::take(&mut state.command);
            remember(state, &line);
            return run(state, &line);
        }
        (Mode::Command, Action::Cancel) => {
            state.mode = Mode::Normal;
            state.command.clear();
            state.completion = None;
            state.history_pos = None;
        }
        (Mode::Command, Action::Complete) => return complete(state),
        (Mode::Filter | Mode::Command, a) => edit_action(state, a),
        _ => {}
    }
    Vec::new()
}

/// First Tab fills the longest common prefix (or the only candidate);
/// further Tabs cycle through the candidates.
fn complete(state: &mut State) -> Vec<Effect> {
    if let Some(c) = &mut state.completion
        && c.candidates.get(c.index) == Some(&state.command)
        && c.candidates.len() > 1
    {
        c.index = (c.index + 1) % c.candidates.len();
        if let Some(next) = c.candidates.get(c.index) {
            state.command.clone_from(next);
        }
        state.input_cursor = usize::MAX;
        return Vec::new();
    }
    state.input_cursor = usize::MAX;
    let cands = command::candidates(&state.command, &state.caps.theme_names);
    match cands.len() {
        0 => {
            state.completion = None;
            vec![Effect::Bell]
        }
        1 => {
            state.command.clone_from(&cands[0]);
            state.completion = None;
            Vec::new()
        }
        _ => {
            let prefix = command::common_prefix(&cands);
            if prefix.len() > state.command.len() {
                state.command = prefix;
                state.completion = Some(Completion { candidates: cands, index: usize::MAX });
            } else {
                state.command.clone_from(&cands[0]);
                state.completion = Some(Completion { candidates: cands, index: 0 });
            }
            Vec::new()
        }
    }
}

fn run(state: &mut State, line: &str) -> Vec<Effect> {
    match command::parse(line) {
        Command::Empty => {}
        Command::Quit => return vec![Effect::Quit],
        Command::Help => {
            state.help_open = true;
            state.cursors.help_scroll = 0;
        }
        Command::Audit => return super::runbook_flow::open_audit(state),
        Command::Messages => super::reader::open_messages(state),
        Command::Theme(None) => {
            let msg = format!(
                "theme: {} (available: {})",
                state.theme.name(),
                state.caps.theme_names.join(", ")
            );
            state.flash_info(msg);
        }
        Command::Theme(Some(name)) => return vec![Effect::LoadTheme(name)],
        Command::Sort(arg) => match arg.as_deref().and_then(SortOrder::from_name) {
            Some(order) => {
                state.sort = order;
                state.recompute_visible();
                state.flash_info(format!("sorted by {}", order.name()));
            }
            None => {
                let names: Vec<&str> = SortOrder::ALL.iter().map(|o| o.name()).collect();
                state.flash_error(format!("sort by what? {}", names.join("|")));
            }
        },
        Command::Ack(note) => return super::ack::ack(state, &note),
        Command::Unack => return super::ack::unack(state),
        Command::Silence(args) => return super::silence::submit_silence(state, &args),
        Command::Silences => super::overlay::open(state, super::state::Overlay::Silences),
        Command::Sources => super::overlay::open(state, super::state::Overlay::Sources),
        Command::Anomalies => super::overlay::open(state, super::state::Overlay::Anomalies),
        Command::Forecasts => super::overlay::open(state, super::state::Overlay::Forecasts),
        Command::Export(path) => return export(state, &path),
        Command::Resolved(hide) => super::update::toggle_resolved(state, hide),
        Command::Unknown(word) => {
            let word = crate::sanitize::clean_line(&word, 24);
            state.flash_error(format!("unknown command :{word} (try :help)"));
        }
    }
    Vec::new()
}

fn export(state: &mut State, path: &str) -> Vec<Effect> {
    if path.is_empty() {
        state.flash_error("export to where? :export FILE");
        return Vec::new();
    }
    let Some(inc) = state.selected_incident() else {
        state.flash_error("export: no incident selected");
        return Vec::new();
    };
    let text = super::ack::summary_markdown(&state.view, inc);
    vec![Effect::Export { path: path.to_string(), text }]
}
