//! The application core, Elm style: `State` (what the screen shows), `Msg`
//! (what happened), `Action` (what a key means), `Effect` (what the loop
//! must do) and `update`, the only function that mutates `State`.
//!
//! Nothing here touches the terminal, the network or the clock, so every
//! behaviour is testable with plain values. Rendering lives in `ui/`, the
//! terminal and the event loop in `tui/`.

pub mod ack;
mod action;
pub mod command;
pub mod confirm;
mod input;
pub mod keymap;
mod keyspec;
pub mod layers;
mod line_edit;
mod logs;
mod marks;
mod nav;
pub mod overlay;
mod query;
pub mod reader;
mod regroup;
pub mod runbook_flow;
pub mod silence;
mod state;
mod update;

pub use action::{Action, Effect, Msg, action_names};
pub use nav::Measure;
pub use query::{
    alerts_of, collapse_repeats, format_stamp, runbook_keys, shown_causes, simulated_clock,
};
pub use state::{
    Capabilities, Completion, Cursors, Flash, FlashKind, Mode, Overlay, Pane, STALE_AFTER_TICKS,
    SortOrder, State,
};
pub use update::{context, update};

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_keys;
