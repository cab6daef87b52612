//! From a runbook and its target to a finished, audited run.
//!
//! [`Plan`] is pure data computed without I/O (the confirmation dialog
//! shows it, `update` builds it). [`Executor`] does the I/O in order:
//! config-file ownership, script integrity, the `started` audit entry, and
//! only then the spawn; every refusal on the way is audited, and the
//! `finished` entry is written when the run ends.

use std::path::PathBuf;
use std::time::Duration;

use super::audit::{self, AuditLog, Entry, Event};
use super::exec::{self, Outcome, RunEvent, RunHandle, Spawn, Stream};
use super::expand::{ExpandError, Target, Templates};
use super::integrity;
use super::{Confirm, RunMode, Runbook};

/// One run as it will happen: exactly what the dialog shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub runbook_id: String,
    pub title: String,
    pub path: String,
    pub sha256: String,
    /// Arguments after the program, one element per template element.
    pub argv: Vec<String>,
    /// The runbook's own env after expansion, then quell's `QUELL_*`.
    pub env: Vec<(String, String)>,
    pub dry_run: bool,
    pub mode: RunMode,
    pub timeout: Duration,
    pub max_output: usize,
    pub incident: String,
    pub alerts: Vec<String>,
    /// The instance (else service) the run acts on, for the dialog and typed confirmation.
    pub target: String,
    pub confirm: Confirm,
    /// The config file that declared the runbook (ownership-checked).
    pub source: Option<PathBuf>,
    /// The main config file when the runbook came from another file
    /// (ownership-checked as well).
    pub config_file: Option<PathBuf>,
}

impl Plan {
    /// The plan's identity fields without argv or env, for refusals that
    /// happen before expansion succeeded.
    #[must_use]
    pub fn unexpanded(rb: &Runbook, target: &Target<'_>, alerts: Vec<String>) -> Self {
        let label = |k: &str| target.labels.get(k).filter(|v| !v.is_empty()).map(str::to_string);
        Self {
            runbook_id: rb.id.clone(),
            title: rb.title.clone(),
            path: rb.path.clone(),
            sha256: rb.sha256.to_ascii_lowercase(),
            argv: Vec::new(),
            env: Vec::new(),
            dry_run: false,
            mode: rb.mode,
            timeout: rb.timeout.0,
            max_output: rb.max_output,
            incident: target.incident_id.to_string(),
            alerts,
            target: label("instance")
                .or_else(|| label("service"))
                .unwrap_or_else(|| target.incident_id.to_string()),
            confirm: rb.confirm,
            source: rb.source.clone(),
            config_file: rb.config_file.clone(),
        }
    }

    /// Expands the runbook's templates for a target.
    ///
    /// # Errors
    /// A template or value refused by validation (see `expand`).
    pub fn build(
        rb: &Runbook,
        target: &Target<'_>,
        alerts: Vec<String>,
        dry_run: bool,
    ) -> Result<Self, ExpandError> {
        let templates = Templates::new(rb)?;
        let expanded = templates.expand(target, dry_run && templates.has_dry_run())?;
        let mut plan = Self::unexpanded(rb, target, alerts);
        plan.dry_run = dry_run && templates.has_dry_run();
        plan.argv = expanded.argv;
        plan.env = expanded.env;
        plan.env.push(("QUELL_RUNBOOK".into(), rb.id.clone()));
        plan.env.push(("QUELL_INCIDENT".into(), target.incident_id.to_string()));
        plan.env.push(("QUELL_DRY_RUN".into(), if plan.dry_run { "1" } else { "0" }.into()));
        Ok(plan)
    }

    /// An audit entry describing this plan.
    #[must_use]
    pub fn entry(&self, event: Event, confirmation: &str) -> Entry {
        Entry {
            runbook: self.runbook_id.clone(),
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            argv: self.argv.clone(),
            env: audit::redact_env(&self.env),
            incident: self.incident.clone(),
            alerts: self.alerts.clone(),
            confirmation: confirmation.to_string(),
            dry_run: self.dry_run,
            ..Entry::now(event)
        }
    }
}

/// A run that did not happen, and whether the refusal made it into the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
    pub audited: bool,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)?;
        if !self.audited {
            f.write_str(" (and the audit log could not be written)")?;
        }
        Ok(())
    }
}

/// Executes plans: checks, audits, spawns.
#[derive(Debug, Clone)]
pub struct Executor {
    pub audit: AuditLog,
    /// A config file checked before every run, besides each plan's own
    /// `source`.
    pub config_file: Option<PathBuf>,
    /// SIGTERM → SIGKILL grace.
    pub grace: Duration,
}

impl Executor {
    #[must_use]
    pub fn new(audit: AuditLog, config_file: Option<PathBuf>) -> Self {
        Self { audit, config_file, grace: exec::DEFAULT_GRACE }
    }

    /// Writes a refusal decided elsewhere (validation, ack, double launch).
    #[must_use]
    pub fn refuse(&self, plan: &Plan, confirmation: &str, reason: &str) -> Refusal {
        self.refusal(plan, confirmation, reason.to_string(), None)
    }

    fn refusal(
        &self,
        plan: &Plan,
        confirmation: &str,
        reason: String,
        actual: Option<String>,
    ) -> Refusal {
        let mut e = plan.entry(Event::Refused, confirmation);
        e.reason = Some(reason.clone());
        e.actual_sha256 = actual;
        let audited = self.audit.append(&e).is_ok();
        Refusal { reason, audited }
    }

    /// Every check, then the `started` entry; returns what to spawn.
    fn prepare(&self, plan: &Plan, confirmation: &str) -> Result<Spawn, Refusal> {
        let mut files: Vec<&PathBuf> =
            self.config_file.iter().chain(&plan.config_file).chain(&plan.source).collect();
        files.dedup();
        for cfg in files {
            if let Err(e) = integrity::check_owned_file(cfg) {
                return Err(self.refusal(plan, confirmation, format!("config file: {e}"), None));
            }
        }
        let script =
            integrity::verify(std::path::Path::new(&plan.path), &plan.sha256).map_err(|e| {
                let actual = e.actual_sha256().map(str::to_string);
                self.refusal(plan, confirmation, e.to_string(), actual)
            })?;
        let started = plan.entry(Event::Started, confirmation);
        if let Err(e) = self.audit.append(&started) {
            return Err(Refusal { reason: format!("not run: {e}"), audited: false });
        }
        Ok(Spawn {
            script,
            argv: plan.argv.clone(),
            env: exec::child_env(&plan.env),
            timeout: plan.timeout,
            grace: self.grace,
            max_output: plan.max_output,
        })
    }

    fn finish(&self, plan: &Plan, confirmation: &str, o: &Outcome) -> Result<(), String> {
        let mut e = plan.entry(Event::Finished, confirmation);
        e.exit_code = o.exit_code;
        e.signal = o.signal;
        e.timed_out = o.timed_out;
        e.killed = o.killed;
        e.duration_ms = Some(u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX));
        e.output_bytes = Some(o.output_bytes);
        e.output_sha256 = Some(o.output_sha256.clone());
        self.audit.append(&e).map_err(|e| e.to_string())
    }

    /// Checks, audits and starts a capture-mode run. `on_event` sees the
    /// output lines and, after the `finished` entry was written, the end.
    ///
    /// # Errors
    /// A refusal (already audited when `audited` says so).
    pub fn start<F>(
        &self,
        plan: &Plan,
        confirmation: &str,
        on_event: F,
    ) -> Result<RunHandle, Refusal>
    where
        F: Fn(RunEvent) + Send + Sync + 'static,
    {
        let spawn = self.prepare(plan, confirmation)?;
        let me = self.clone();
        let p = plan.clone();
        let c = confirmation.to_string();
        exec::start(spawn, move |ev| {
            if let RunEvent::Finished(o) = &ev
                && let Err(e) = me.finish(&p, &c, o)
            {
                on_event(RunEvent::Line { stream: Stream::Note, text: format!("audit: {e}") });
            }
            on_event(ev);
        })
        .map_err(|e| self.refusal(plan, confirmation, format!("spawn failed: {e}"), None))
    }

    /// Checks, audits and runs an interactive plan with the terminal.
    /// Blocks until the script ends.
    ///
    /// # Errors
    /// A refusal, or a failed spawn (audited).
    pub fn run_interactive(&self, plan: &Plan, confirmation: &str) -> Result<Outcome, Refusal> {
        let spawn = self.prepare(plan, confirmation)?;
        let mut env = spawn.env.clone();
        if let Ok(term) = std::env::var("TERM") {
            env.retain(|(k, _)| k != "TERM");
            env.push(("TERM".into(), term));
        }
        let spawn = Spawn { env, ..spawn };
        let outcome = exec::run_interactive(&spawn)
            .map_err(|e| self.refusal(plan, confirmation, format!("spawn failed: {e}"), None))?;
        // The run happened; a failed finish entry is reported, not hidden.
        self.finish(plan, confirmation, &outcome)
            .map_err(|e| Refusal { reason: format!("ran, but audit: {e}"), audited: false })?;
        Ok(outcome)
    }
}
