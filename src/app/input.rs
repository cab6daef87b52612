//! Typing into the filter and the command line: editing keys, submit,
//! cancel, Tab completion, and running a submitted command.
//!
//! The filter is live: every edit re-filters the list. Esc clears it, Enter
//! keeps it. Only printable characters are ever inserted, so the line can
//! never carry a control sequence to the screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Effect};
use super::command::{self, Command};
use super::state::{Completion, Mode, SortOrder, State};

/// Longest filter or command line accepted, in characters.
const MAX_INPUT: usize = 2_048;

/// Edits the active line with a key the input keymap did not claim.
pub fn edit(state: &mut State, ev: &KeyEvent) {
    let line = match state.mode {
        Mode::Filter if state.filtering_log_lines() => &mut state.logs_filter,
        Mode::Filter => &mut state.filter,
        Mode::Command => &mut state.command,
        Mode::Normal => return,
    };
    match ev.code {
        KeyCode::Backspace => {
            if line.pop().is_none() && state.mode == Mode::Command {
                // Backspace on an empty command line leaves it, as in vim.
                state.mode = Mode::Normal;
            }
        }
        KeyCode::Char('u') if ev.modifiers.contains(KeyModifiers::CONTROL) => line.clear(),
        KeyCode::Char('w') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
            let keep = line.trim_end().rfind(' ').map_or(0, |i| i + 1);
            line.truncate(keep);
        }
        KeyCode::Char(c)
            if !c.is_control()
                && !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && line.chars().count() < MAX_INPUT =>
        {
            line.push(c);
        }
        _ => return,
    }
    state.completion = None;
    if state.mode == Mode::Filter {
        state.recompute_visible();
    }
}

/// Submit, cancel or complete the active line.
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
            let line = std::mem::take(&mut state.command);
            return run(state, &line);
        }
        (Mode::Command, Action::Cancel) => {
            state.mode = Mode::Normal;
            state.command.clear();
            state.completion = None;
        }
        (Mode::Command, Action::Complete) => return complete(state),
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
        return Vec::new();
    }
    let cands = command::candidates(&state.command, &state.theme_names);
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
        Command::Theme(None) => {
            let msg = format!(
                "theme: {} (available: {})",
                state.theme.name(),
                state.theme_names.join(", ")
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
        Command::Silence(args) => return super::ack::submit_silence(state, &args),
        Command::Silences => super::overlay::open(state, super::state::Overlay::Silences),
        Command::Sources => super::overlay::open(state, super::state::Overlay::Sources),
        Command::Anomalies => super::overlay::open(state, super::state::Overlay::Anomalies),
        Command::Forecasts => super::overlay::open(state, super::state::Overlay::Forecasts),
        Command::Export(path) => return export(state, &path),
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
