//! Running runbooks, the app side: launch checks, the confirmation dialog,
//! the runs in progress with their output, and the `:audit` overlay.
//!
//! Pure like the rest of `app`: it builds a [`Plan`] (placeholder expansion
//! is pure), decides refusals that need no I/O (ack required, the same
//! runbook already running for the incident, invalid values) and asks the
//! loop, through [`RunbookEffect`], to audit, load the log or start a run.
//! Results come back as [`RunbookMsg`]. Integrity checks and the audit
//! write that gate every run happen in the executor, not here.
//!
//! The dialog's keys and confirming live in `dialog`, the `runbook_url`
//! link and its `o` key in `link`.

use std::collections::{BTreeSet, VecDeque};

use super::action::{Effect, Msg};
use super::state::State;
use crate::model::AlertView;
use crate::runbook::Runbook;
use crate::runbook::audit::Entry;
use crate::runbook::exec::{Outcome, Stream};
use crate::runbook::expand::Target;
use crate::runbook::run::Plan;

mod dialog;
mod link;

pub use dialog::{dialog_action, dialog_type};
pub use link::{copy_runbook_link, is_safe_link, runbook_link};

/// Output lines kept per run (a ring: the oldest go first).
pub const OUTPUT_LINES: usize = 500;
/// Runs remembered (finished ones beyond this are forgotten, oldest first).
const RUNS_KEPT: usize = 8;
/// Audit entries the overlay loads.
pub const AUDIT_SHOWN: usize = 500;

/// Identity of one run within this session.
pub type RunId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Done(Outcome),
    Refused(String),
}

/// One launched run and its output.
#[derive(Debug, Clone)]
pub struct RunView {
    pub id: RunId,
    pub key: u8,
    pub plan: Plan,
    pub status: RunStatus,
    pub output: VecDeque<(Stream, String)>,
    /// View time when it was launched and when it ended (for the timeline).
    pub started_at: crate::model::UnixMs,
    pub ended_at: Option<crate::model::UnixMs>,
}

impl RunView {
    /// One line for the incident timeline: what ran and how it ended.
    #[must_use]
    pub fn timeline_text(&self) -> String {
        let what = if self.plan.dry_run { "dry run of runbook" } else { "runbook" };
        let title = crate::sanitize::clean_line(&self.plan.title, 40);
        match &self.status {
            RunStatus::Running => format!("{what} \u{201c}{title}\u{201d} started"),
            RunStatus::Done(o) => format!(
                "{what} \u{201c}{title}\u{201d}: {} after {:.1}s",
                o.describe(),
                o.duration.as_secs_f64()
            ),
            RunStatus::Refused(r) => {
                format!(
                    "{what} \u{201c}{title}\u{201d} refused: {}",
                    crate::sanitize::clean_line(r, 80)
                )
            }
        }
    }
}

/// The confirmation dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub key: u8,
    pub plan: Plan,
    /// What has been typed for a `typed` confirmation.
    pub typed: String,
    /// The runbook's latest start from the audit log, once loaded.
    pub last_run: Option<Box<Entry>>,
    pub last_run_loaded: bool,
    /// Set after a wrong typed confirmation.
    pub mismatch: bool,
}

/// All runbook state: one field of `State`.
#[derive(Debug, Clone, Default)]
pub struct RunbookFlow {
    pub dialog: Option<Dialog>,
    pub runs: Vec<RunView>,
    /// The output pane replaces the incident detail.
    pub output_open: bool,
    pub audit_open: bool,
    pub audit: Vec<Entry>,
    pub audit_error: Option<String>,
    pub audit_scroll: usize,
    /// (runbook id, incident id) whose dry run succeeded: the real run is next.
    pub dry_done: BTreeSet<(String, String)>,
    next_run: RunId,
}

impl RunbookFlow {
    /// The run the output pane shows: the latest.
    #[must_use]
    pub fn shown_run(&self) -> Option<&RunView> {
        self.runs.last()
    }

    pub fn running(&self) -> impl Iterator<Item = &RunView> {
        self.runs.iter().filter(|r| r.status == RunStatus::Running)
    }
}

/// What the loop must do for runbooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunbookEffect {
    /// Read the audit log for the runbook's last start → `LastRun`.
    LoadLastRun(String),
    /// Write a refusal decided in `update`.
    AuditRefusal {
        plan: Box<Plan>,
        reason: String,
    },
    /// Check, audit and start → `Output`…, then `Finished` or `Refused`.
    Start {
        run: RunId,
        plan: Box<Plan>,
        confirmation: String,
    },
    Kill(RunId),
    /// Put an http(s) link on the clipboard with OSC 52.
    CopyLink(String),
    /// Read the audit log → `Audit`.
    LoadAudit,
}

/// What the loop reports back.
#[derive(Debug, Clone)]
pub enum RunbookMsg {
    LastRun { runbook: String, entry: Option<Box<Entry>> },
    Output { run: RunId, stream: Stream, text: String },
    Finished { run: RunId, outcome: Outcome },
    Refused { run: RunId, reason: String },
    Audit(Result<Vec<Entry>, String>),
}

fn eff(e: RunbookEffect) -> Effect {
    Effect::Runbook(e)
}

/// The alert a runbook acts on: the one in the detail view or under the
/// alerts cursor when it applies, else the incident's first that applies.
fn target_alert<'s>(state: &'s State, rb: &Runbook) -> Option<&'s AlertView> {
    let applies = |a: &&AlertView| rb.applies_to(&a.alert.labels);
    state
        .focused_alert()
        .filter(applies)
        .or_else(|| state.incident_alerts().into_iter().find(applies))
}

/// A runbook key was pressed (or Enter on the runbooks pane).
pub fn launch(state: &mut State, key: u8) -> Vec<Effect> {
    let Some(rb) =
        state.offered_runbooks().into_iter().find(|(k, _)| *k == key).map(|(_, r)| r.clone())
    else {
        let withheld = state.applicable_runbooks().into_iter().find(|(k, _)| *k == key);
        match withheld {
            Some((_, rb)) => {
                let title = crate::sanitize::clean_line(&rb.title, 40);
                state.flash_error(format!(
                    "read-only: runbook \u{201c}{title}\u{201d} is not declared read_only_safe, so it does not run"
                ));
            }
            None => state.flash_error(format!("no runbook on key {key} for this incident")),
        }
        return Vec::new();
    };
    let Some(inc) = state.selected_incident() else {
        return Vec::new();
    };
    let (inc_id, acked) = (inc.id.0.clone(), inc.acked);
    let Some(alert) = target_alert(state, &rb) else {
        return Vec::new();
    };
    let alerts: Vec<String> = state
        .incident_alerts()
        .iter()
        .filter(|a| rb.applies_to(&a.alert.labels))
        .map(|a| a.alert.fingerprint.to_string())
        .collect();
    let target = Target {
        labels: &alert.alert.labels,
        incident_id: &inc_id,
        fingerprint: alert.alert.fingerprint.as_str(),
    };
    let title = crate::sanitize::clean_line(&rb.title, 40);
    let refuse = |state: &mut State, plan: Plan, reason: String| {
        state.flash_error(format!("runbook \u{201c}{title}\u{201d}: {reason}"));
        vec![eff(RunbookEffect::AuditRefusal { plan: Box::new(plan), reason })]
    };
    let base = Plan::unexpanded(&rb, &target, alerts.clone());
    let busy = state
        .runbook_flow
        .running()
        .find(|r| r.plan.runbook_id == rb.id && r.plan.incident == inc_id)
        .map(|r| r.id);
    if let Some(id) = busy {
        state.runbook_flow.output_open = true;
        return refuse(state, base, format!("already running for this incident (run {id})"));
    }
    if rb.requires_ack && !acked {
        return refuse(state, base, "acknowledge first (a)".into());
    }
    let dry_first = rb.dry_run_args.is_some()
        && !state.runbook_flow.dry_done.contains(&(rb.id.clone(), inc_id.clone()));
    let plan = match Plan::build(&rb, &target, alerts, dry_first) {
        Ok(p) => p,
        Err(e) => return refuse(state, base, e.to_string()),
    };
    state.runbook_flow.dialog = Some(Dialog {
        key,
        plan,
        typed: String::new(),
        last_run: None,
        last_run_loaded: false,
        mismatch: false,
    });
    vec![eff(RunbookEffect::LoadLastRun(rb.id))]
}

/// `K`: stop the latest running run.
pub fn kill_latest(state: &mut State) -> Vec<Effect> {
    let Some(run) = state.runbook_flow.running().last().map(|r| r.id) else {
        state.flash_info("no runbook is running");
        return Vec::new();
    };
    state.runbook_flow.output_open = true;
    state.flash_info(format!("stopping run {run} (SIGTERM, then SIGKILL)"));
    vec![eff(RunbookEffect::Kill(run))]
}

/// Opens the `:audit` overlay and asks for the log.
pub fn open_audit(state: &mut State) -> Vec<Effect> {
    state.runbook_flow.audit_open = true;
    state.runbook_flow.audit_scroll = 0;
    vec![eff(RunbookEffect::LoadAudit)]
}

/// Applies a report from the loop.
pub fn on_msg(state: &mut State, msg: RunbookMsg) -> Vec<Effect> {
    let now = state.view.now;
    let flow = &mut state.runbook_flow;
    match msg {
        RunbookMsg::LastRun { runbook, entry } => {
            if let Some(d) = flow.dialog.as_mut().filter(|d| d.plan.runbook_id == runbook) {
                d.last_run = entry;
                d.last_run_loaded = true;
            }
        }
        RunbookMsg::Output { run, stream, text } => {
            if let Some(r) = flow.runs.iter_mut().find(|r| r.id == run) {
                if r.output.len() == OUTPUT_LINES {
                    r.output.pop_front();
                }
                r.output.push_back((stream, text));
            }
        }
        RunbookMsg::Finished { run, outcome } => {
            let Some(r) = flow.runs.iter_mut().find(|r| r.id == run) else {
                return Vec::new();
            };
            let title = crate::sanitize::clean_line(&r.plan.title, 40);
            let what = if r.plan.dry_run { "dry run" } else { "runbook" };
            let secs = outcome.duration.as_secs_f64();
            let text =
                format!("{what} \u{201c}{title}\u{201d}: {} after {secs:.1}s", outcome.describe());
            if r.plan.dry_run && outcome.success() {
                flow.dry_done.insert((r.plan.runbook_id.clone(), r.plan.incident.clone()));
            }
            let (ok, dry, key) = (outcome.success(), r.plan.dry_run, r.key);
            r.status = RunStatus::Done(outcome);
            r.ended_at = Some(now);
            let reload = flow.audit_open;
            if ok && dry {
                state.flash_info(format!("{text}; press {key} again for the real run"));
            } else if ok {
                state.flash_info(text);
            } else {
                state.flash_error(text);
            }
            if reload {
                return vec![eff(RunbookEffect::LoadAudit)];
            }
        }
        RunbookMsg::Refused { run, reason } => {
            if let Some(r) = flow.runs.iter_mut().find(|r| r.id == run) {
                let title = crate::sanitize::clean_line(&r.plan.title, 40);
                r.status = RunStatus::Refused(reason.clone());
                r.ended_at = Some(now);
                state.flash_error(format!(
                    "runbook \u{201c}{title}\u{201d} refused: {}",
                    crate::sanitize::clean_line(&reason, 200)
                ));
            }
        }
        RunbookMsg::Audit(Ok(entries)) => {
            flow.audit = entries;
            flow.audit_error = None;
        }
        RunbookMsg::Audit(Err(e)) => flow.audit_error = Some(e),
    }
    Vec::new()
}

impl From<RunbookMsg> for Msg {
    fn from(m: RunbookMsg) -> Self {
        Self::Runbook(m)
    }
}

#[cfg(test)]
#[path = "runbook_flow_tests.rs"]
mod tests;
