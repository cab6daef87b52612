//! Executes runbook effects for the loop: audit reads and writes on the
//! blocking pool, capture-mode runs on their own threads (their output and
//! end come back as `Msg::Runbook` on a channel the loop selects on), and
//! interactive runs with the terminal handed over and taken back.
//!
//! It never touches `State`; everything it learns goes back as a message.

use std::collections::HashMap;
use std::io::{self, Stdout, Write};
use std::sync::{Arc, Mutex};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::guard;
use super::input::InputThread;
use crate::app::Msg;
use crate::app::runbook_flow::{AUDIT_SHOWN, RunId, RunbookEffect, RunbookMsg};
use crate::runbook::RunMode;
use crate::runbook::audit::AuditLog;
use crate::runbook::exec::{Killer, RunEvent};
use crate::runbook::run::{Executor, Plan};

type Killers = Arc<Mutex<HashMap<RunId, Killer>>>;

pub struct Runner {
    exec: Result<Executor, String>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    killers: Killers,
}

impl Runner {
    /// Each run's plan names the config file that declared it, which the
    /// executor checks; the demo's runbooks have none.
    #[must_use]
    pub fn new() -> Self {
        let exec =
            AuditLog::in_data_dir().map(|log| Executor::new(log, None)).map_err(|e| e.to_string());
        let (tx, rx) = mpsc::unbounded_channel();
        Self { exec, tx, rx, killers: Arc::default() }
    }

    /// The next report for `update`.
    pub async fn recv(&mut self) -> Option<Msg> {
        self.rx.recv().await
    }

    fn send(tx: &mpsc::UnboundedSender<Msg>, m: RunbookMsg) {
        let _ = tx.send(Msg::Runbook(m));
    }

    /// Carries out one effect. Only interactive runs block (they own the
    /// terminal until the script ends).
    pub fn handle(
        &mut self,
        effect: RunbookEffect,
        terminal: &mut Terminal<CrosstermBackend<Stdout>>,
        input: &InputThread,
    ) {
        let tx = self.tx.clone();
        let exec = match &self.exec {
            Ok(e) => e.clone(),
            Err(reason) => {
                let reason = format!("no audit log, nothing runs: {reason}");
                match effect {
                    RunbookEffect::Start { run, .. } => {
                        Self::send(&tx, RunbookMsg::Refused { run, reason });
                    }
                    RunbookEffect::LoadAudit => Self::send(&tx, RunbookMsg::Audit(Err(reason))),
                    _ => {}
                }
                return;
            }
        };
        match effect {
            RunbookEffect::LoadLastRun(runbook) => {
                tokio::task::spawn_blocking(move || {
                    let entry = exec.audit.last_run(&runbook).map(Box::new);
                    Self::send(&tx, RunbookMsg::LastRun { runbook, entry });
                });
            }
            RunbookEffect::LoadAudit => {
                tokio::task::spawn_blocking(move || {
                    let r = exec.audit.read_recent(AUDIT_SHOWN).map_err(|e| e.to_string());
                    Self::send(&tx, RunbookMsg::Audit(r));
                });
            }
            RunbookEffect::AuditRefusal { plan, reason } => {
                tokio::task::spawn_blocking(move || {
                    let r = exec.refuse(&plan, "", &reason);
                    if !r.audited {
                        tracing::warn!(runbook = %plan.runbook_id, "refusal could not be audited");
                    }
                });
            }
            RunbookEffect::CopyLink(url) => {
                let mut out = io::stdout();
                let _ = out.write_all(&super::terminal_io::osc52(&url));
                let _ = out.flush();
            }
            RunbookEffect::Kill(run) => {
                if let Ok(k) = self.killers.lock()
                    && let Some(killer) = k.get(&run)
                {
                    killer.kill();
                }
            }
            RunbookEffect::Start { run, plan, confirmation } => match plan.mode {
                RunMode::Capture => self.start_capture(exec, run, *plan, confirmation),
                RunMode::Interactive => {
                    let mut go =
                        || interactive(&exec, run, &plan, &confirmation, terminal, input, &tx);
                    if tokio::runtime::Handle::current().runtime_flavor()
                        == tokio::runtime::RuntimeFlavor::MultiThread
                    {
                        tokio::task::block_in_place(go);
                    } else {
                        go();
                    }
                }
            },
        }
    }

    fn start_capture(&self, exec: Executor, run: RunId, plan: Plan, confirmation: String) {
        let tx = self.tx.clone();
        let killers = Arc::clone(&self.killers);
        tokio::task::spawn_blocking(move || {
            let events = tx.clone();
            let done = Arc::clone(&killers);
            let started = exec.start(&plan, &confirmation, move |ev| match ev {
                RunEvent::Line { stream, text } => {
                    Self::send(&events, RunbookMsg::Output { run, stream, text });
                }
                RunEvent::Finished(outcome) => {
                    if let Ok(mut k) = done.lock() {
                        k.remove(&run);
                    }
                    Self::send(&events, RunbookMsg::Finished { run, outcome });
                }
            });
            match started {
                Ok(handle) => {
                    if let Ok(mut k) = killers.lock() {
                        k.insert(run, handle.killer());
                    }
                    // The run's own thread reports the end; nobody joins it.
                    drop(handle);
                }
                Err(refusal) => {
                    Self::send(&tx, RunbookMsg::Refused { run, reason: refusal.to_string() });
                }
            }
        });
    }
}

/// Quitting stops what is still running (SIGTERM to each group, SIGKILL
/// after the grace) and waits for their `finished` entries, so no run
/// outlives quell unaudited. Bounded by the grace period plus a margin.
impl Drop for Runner {
    fn drop(&mut self) {
        let Ok(k) = self.killers.lock() else { return };
        if k.is_empty() {
            return;
        }
        k.values().for_each(Killer::kill);
        drop(k);
        let grace = self.exec.as_ref().map_or(crate::runbook::exec::DEFAULT_GRACE, |e| e.grace);
        let until = std::time::Instant::now() + grace + std::time::Duration::from_secs(1);
        while std::time::Instant::now() < until {
            if self.killers.lock().map_or(true, |k| k.is_empty()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Hands the terminal to the script and takes it back, whatever happens.
fn interactive(
    exec: &Executor,
    run: RunId,
    plan: &Plan,
    confirmation: &str,
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    input: &InputThread,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    input.pause(true);
    guard::suspend();
    let mut out = io::stdout();
    let _ = writeln!(
        out,
        "quell: running {} ({}) with the terminal; quell returns when it exits.\n",
        crate::sanitize::clean_line(&plan.path, 200),
        crate::sanitize::clean_line(&plan.runbook_id, 60)
    );
    let _ = out.flush();
    let result = exec.run_interactive(plan, confirmation);
    let end = match &result {
        Ok(o) => o.describe(),
        Err(r) => format!("refused: {r}"),
    };
    let _ = write!(out, "\nquell: {end}. Press Enter to return to quell.");
    let _ = out.flush();
    let mut line = String::new();
    let _ = io::stdin().read_line(&mut line);
    if let Err(e) = guard::resume() {
        tracing::warn!(error = %e, "could not re-enter the terminal modes");
    }
    let _ = terminal.clear();
    input.pause(false);
    let msg = match result {
        Ok(outcome) => RunbookMsg::Finished { run, outcome },
        Err(r) => RunbookMsg::Refused { run, reason: r.to_string() },
    };
    Runner::send(tx, msg);
}
