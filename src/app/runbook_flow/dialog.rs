//! The confirmation dialog of a runbook run: its keys as the keymap's
//! `Context::Dialog` names them, the text typed for a `typed`
//! confirmation, and what confirming starts (a new run, the oldest
//! finished runs forgotten beyond the limit).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::action::Action;
use crate::runbook::Confirm;

/// The dialog's keys, as the keymap's `Context::Dialog` names them:
/// `confirm` runs (a typed confirmation must match first), `back` cancels,
/// `delete_back` edits the typed text. Nothing else reaches it.
pub fn dialog_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(d) = state.runbook_flow.dialog.as_mut() else {
        return Vec::new();
    };
    match (d.plan.confirm, action) {
        (_, Action::Back | Action::Cancel) => {
            state.runbook_flow.dialog = None;
            state.flash_info("runbook cancelled");
            Vec::new()
        }
        (Confirm::Yes, Action::Confirm) => confirm(state, "yes"),
        (Confirm::Typed, Action::Confirm) => {
            if d.typed == d.plan.target {
                confirm(state, "typed")
            } else {
                d.mismatch = true;
                d.typed.clear();
                Vec::new()
            }
        }
        (Confirm::Typed, Action::DeleteBack) => {
            d.typed.pop();
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A key the dialog's keymap did not claim: text for a typed confirmation.
pub fn dialog_type(state: &mut State, ev: &KeyEvent) {
    let Some(d) = state.runbook_flow.dialog.as_mut() else {
        return;
    };
    let plain = !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if let (Confirm::Typed, KeyCode::Char(c)) = (d.plan.confirm, ev.code)
        && plain
        && !c.is_control()
    {
        if d.typed.chars().count() < 512 {
            d.typed.push(c);
        }
        d.mismatch = false;
    }
}

fn confirm(state: &mut State, confirmation: &str) -> Vec<Effect> {
    let Some(d) = state.runbook_flow.dialog.take() else {
        return Vec::new();
    };
    let now = state.view.now;
    let flow = &mut state.runbook_flow;
    flow.next_run += 1;
    let run = flow.next_run;
    flow.runs.push(RunView {
        id: run,
        key: d.key,
        plan: d.plan.clone(),
        status: RunStatus::Running,
        output: VecDeque::new(),
        started_at: now,
        ended_at: None,
    });
    while flow.runs.len() > RUNS_KEPT {
        match flow.runs.iter().position(|r| r.status != RunStatus::Running) {
            Some(i) => {
                flow.runs.remove(i);
            }
            None => break,
        }
    }
    flow.output_open = true;
    vec![eff(RunbookEffect::Start {
        run,
        plan: Box::new(d.plan),
        confirmation: confirmation.into(),
    })]
}
