//! The vocabulary between the outside world and `update`: messages in
//! (`Msg`), named actions the keymap produces (`Action`), and effects out
//! (`Effect`) for the loop to execute.
//!
//! Action names are part of the config format (`[keys]` in config.toml), so
//! they are stable strings; renaming one is a breaking change.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::model::View;
use crate::theme::Theme;

/// Everything that can happen to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key event from the terminal (only presses count; repeats and
    /// releases are ignored by `update`).
    Key(KeyEvent),
    /// A named action, as if its key had been pressed (tests, future mouse).
    Action(Action),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
    /// One second passed (flash expiry, "no update for" ages).
    Tick,
    /// The pipeline published a new picture of the world.
    View(Arc<View>),
    /// Result of an `Effect::LoadTheme`, with the error already worded.
    ThemeLoaded(Result<Theme, String>),
    /// A result from the ack writer (or another background task) for the operator.
    Notice(crate::ack::Notice),
    /// A runbook run, the audit log or a refusal reported back.
    Runbook(super::runbook_flow::RunbookMsg),
    /// A frame went out: nothing is waiting to be drawn.
    Drawn,
}

/// Things `update` asks the loop to do; it never does I/O itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Load the named theme and answer with `Msg::ThemeLoaded`.
    LoadTheme(String),
    /// Ring the terminal bell (failed completion).
    Bell,
    /// Hand a command to the ack writer.
    Ack(crate::ack::AckCommand),
    /// Put text on the clipboard (OSC 52); `what` names it in the flash.
    Copy {
        text: String,
        what: String,
    },
    /// Write text to a file (`:export`).
    Export {
        path: String,
        text: String,
    },
    /// Bell plus a desktop notification (OSC 9 and OSC 777).
    Notify {
        title: String,
        body: String,
    },
    /// Retry every source now (clears "auth failed" stops).
    Retry,
    /// Audit, start or kill a runbook run (see `runbook_flow`).
    Runbook(super::runbook_flow::RunbookEffect),
    /// Hand the operator's merge or split to the pipeline.
    Regroup(crate::engine::regroup::Regroup),
}

/// A named action that keys are bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Enter,
    Back,
    Filter,
    Command,
    Help,
    Mark,
    Ack,
    /// Expire quell's ack of the selection.
    Unack,
    Silence,
    Copy,
    /// Copy the equivalent `amtool` commands.
    CopyCommand,
    /// Expire the selected silence (silences list).
    Expire,
    /// Extend the selected silence by an hour (silences list).
    Extend,
    /// Retry the selected source, or all (sources list).
    Retry,
    /// Show the log patterns of the selected suspected cause (toggle).
    Logs,
    /// Read the selected item whole (wrapped, scrollable).
    Read,
    /// Merge the marked incidents into the selected one.
    Merge,
    /// Split the marked (or selected) alerts out into a new incident.
    Split,
    /// Run the runbook offered on key `1`–`9`.
    Runbook(u8),
    /// Accept the filter or run the command line.
    Submit,
    /// Leave the filter (clearing it) or the command line.
    Cancel,
    /// Tab-complete the command line.
    Complete,
    /// Hide or show resolved incidents.
    ToggleResolved,
    /// Stop the latest running runbook.
    KillRun,
    /// Copy the alert's `runbook_url`.
    CopyLink,
    /// Confirm the open dialog (runbook run, silence expiry, merge, split).
    Confirm,
    /// Line editing: move the cursor one character left / right.
    CursorLeft,
    CursorRight,
    /// Line editing: to the start / end of the line.
    LineStart,
    LineEnd,
    /// Line editing: one word left / right.
    WordLeft,
    WordRight,
    /// Line editing: delete the character before / under the cursor.
    DeleteBack,
    DeleteForward,
    /// Line editing: delete the word before the cursor.
    DeleteWord,
    /// Line editing: delete to the start / end of the line.
    DeleteToStart,
    DeleteToEnd,
    /// Command history: the previous / next line run.
    HistoryPrev,
    HistoryNext,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Self; 56] = [
        Self::Up,
        Self::Down,
        Self::Top,
        Self::Bottom,
        Self::PageUp,
        Self::PageDown,
        Self::NextPane,
        Self::PrevPane,
        Self::Enter,
        Self::Back,
        Self::Filter,
        Self::Command,
        Self::Mark,
        Self::Ack,
        Self::Unack,
        Self::Silence,
        Self::Copy,
        Self::CopyCommand,
        Self::Expire,
        Self::Extend,
        Self::Retry,
        Self::Logs,
        Self::Read,
        Self::Merge,
        Self::Split,
        Self::ToggleResolved,
        Self::KillRun,
        Self::CopyLink,
        Self::Runbook(1),
        Self::Runbook(2),
        Self::Runbook(3),
        Self::Runbook(4),
        Self::Runbook(5),
        Self::Runbook(6),
        Self::Runbook(7),
        Self::Runbook(8),
        Self::Runbook(9),
        Self::Help,
        Self::Quit,
        Self::Submit,
        Self::Cancel,
        Self::Complete,
        Self::Confirm,
        Self::CursorLeft,
        Self::CursorRight,
        Self::LineStart,
        Self::LineEnd,
        Self::WordLeft,
        Self::WordRight,
        Self::DeleteBack,
        Self::DeleteForward,
        Self::DeleteWord,
        Self::DeleteToStart,
        Self::DeleteToEnd,
        Self::HistoryPrev,
        Self::HistoryNext,
    ];

    /// The stable name used in config files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::NextPane => "next_pane",
            Self::PrevPane => "prev_pane",
            Self::Enter => "enter",
            Self::Back => "back",
            Self::Filter => "filter",
            Self::Command => "command",
            Self::Help => "help",
            Self::Mark => "mark",
            Self::Ack => "ack",
            Self::Unack => "unack",
            Self::Silence => "silence",
            Self::Copy => "copy",
            Self::CopyCommand => "copy_command",
            Self::Expire => "expire",
            Self::Extend => "extend",
            Self::Retry => "retry",
            Self::Logs => "logs",
            Self::Read => "read",
            Self::Merge => "merge",
            Self::Split => "split",
            Self::Runbook(n) => match n {
                1 => "runbook_1",
                2 => "runbook_2",
                3 => "runbook_3",
                4 => "runbook_4",
                5 => "runbook_5",
                6 => "runbook_6",
                7 => "runbook_7",
                8 => "runbook_8",
                _ => "runbook_9",
            },
            Self::Submit => "submit",
            Self::Cancel => "cancel",
            Self::Complete => "complete",
            Self::ToggleResolved => "toggle_resolved",
            Self::KillRun => "kill_run",
            Self::CopyLink => "copy_link",
            Self::Confirm => "confirm",
            Self::CursorLeft => "cursor_left",
            Self::CursorRight => "cursor_right",
            Self::LineStart => "line_start",
            Self::LineEnd => "line_end",
            Self::WordLeft => "word_left",
            Self::WordRight => "word_right",
            Self::DeleteBack => "delete_back",
            Self::DeleteForward => "delete_forward",
            Self::DeleteWord => "delete_word",
            Self::DeleteToStart => "delete_to_start",
            Self::DeleteToEnd => "delete_to_end",
            Self::HistoryPrev => "history_prev",
            Self::HistoryNext => "history_next",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help overlay.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Quit => "quit quell",
            Self::Up => "move up",
            Self::Down => "move down",
            Self::Top => "go to the first row",
            Self::Bottom => "go to the last row",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::NextPane => "focus the next pane",
            Self::PrevPane => "focus the previous pane",
            Self::Enter => "drill in (incident → alerts → alert detail)",
            Self::Back => "back out / close / clear the filter",
            Self::Filter => "fuzzy filter incidents",
            Self::Command => "command line (the commands are listed below)",
            Self::Help => "toggle this help",
            Self::Mark => "mark / unmark the incident (alerts pane: the alert)",
            Self::Ack => "acknowledge (marked rows / incident / alert)",
            Self::Unack => "un-acknowledge (expire quell's ack silence)",
            Self::Silence => "silence editor (matchers prefilled from the selection)",
            Self::Copy => "copy a Markdown hand-off summary (OSC 52)",
            Self::CopyCommand => "copy the equivalent amtool commands",
            Self::Expire => "expire the selected silence",
            Self::Extend => "extend the selected silence by 1h",
            Self::Retry => "retry the source now (all sources from the main screen)",
            Self::Logs => "log patterns of the suspected cause (Enter: its lines)",
            Self::Read => "read the selected row, title, evidence or output whole",
            Self::Merge => "merge the marked incidents into the selected one",
            Self::Split => "split the marked / selected alerts into a new incident",
            Self::Runbook(_) => "run the runbook on this key",
            Self::Submit => "keep the filter / run the command",
            Self::Cancel => "clear the filter / leave the command line",
            Self::Complete => "complete the command or argument",
            Self::ToggleResolved => "hide / show resolved incidents",
            Self::KillRun => "stop the running runbook (SIGTERM, then SIGKILL)",
            Self::CopyLink => "copy the alert's runbook_url link (OSC 52)",
            Self::Confirm => "confirm (run the runbook, expire, merge, split)",
            Self::CursorLeft => "cursor one character left",
            Self::CursorRight => "cursor one character right",
            Self::LineStart => "cursor to the start of the line",
            Self::LineEnd => "cursor to the end of the line",
            Self::WordLeft => "cursor one word left",
            Self::WordRight => "cursor one word right",
            Self::DeleteBack => "delete the character before the cursor",
            Self::DeleteForward => "delete the character under the cursor",
            Self::DeleteWord => "delete the word before the cursor",
            Self::DeleteToStart => "delete to the start of the line",
            Self::DeleteToEnd => "delete to the end of the line",
            Self::HistoryPrev => "previous command from history",
            Self::HistoryNext => "next command from history",
        }
    }

    /// A one-word label for the footer.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Self::Up | Self::Down => "move",
            Self::Enter => "open",
            Self::Back => "back",
            Self::Filter => "filter",
            Self::Command => "cmd",
            Self::Help => "help",
            Self::Quit => "quit",
            Self::Mark => "mark",
            Self::NextPane | Self::PrevPane => "pane",
            Self::Submit => "keep",
            Self::Cancel => "clear",
            Self::Complete => "complete",
            _ => self.name(),
        }
    }
}

/// Names of every action, for documentation and config validation.
#[must_use]
pub fn action_names() -> Vec<&'static str> {
    Action::ALL.iter().map(|a| a.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let names = action_names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name("runbook_0"), None);
    }
}
