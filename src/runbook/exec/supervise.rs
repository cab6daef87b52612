//! Supervising a started script: its process group and every descendant
//! that left it are signalled on timeout or kill (TERM, then KILL after the
//! grace period), and whatever it left behind is killed and reaped when the
//! leader ends. The leader is observed with `waitid(WNOWAIT)` and reaped
//! only after its group was signalled, so the group id cannot be reused.

use std::io;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions};

use super::Killer;
use crate::runbook::tree::Tree;

pub(super) fn killpg(pgid: i32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pid, sig);
    }
}

/// Whether `pid` has exited, without reaping it.
fn exited_nowait(pid: i32) -> bool {
    let Some(pid) = Pid::from_raw(pid) else { return true };
    let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    matches!(rustix::process::waitid(WaitId::Pid(pid), opts), Ok(Some(_)))
}

/// How often the supervisor looks for new descendants of the script.
const SCAN_EVERY: Duration = Duration::from_millis(100);

/// How long to go on killing and reaping escaped descendants after the
/// script ended (a process being re-parented is found a moment later).
const REAP_WAIT: Duration = Duration::from_secs(2);

pub(super) struct Supervised {
    pub(super) status: io::Result<ExitStatus>,
    pub(super) timed_out: bool,
    pub(super) killed: bool,
}

/// Signals the script's group and every descendant that left it.
fn signal_all(pgid: i32, tree: &mut Tree, sig: Signal) {
    killpg(pgid, sig);
    tree.signal(sig);
}

/// Waits for the leader while enforcing the deadline and kill requests;
/// when it ends, nothing it started is left running.
pub(super) fn supervise(
    child: &mut Child,
    timeout: Duration,
    grace: Duration,
    killer: &Killer,
) -> Supervised {
    let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let deadline = Instant::now() + timeout;
    let mut term_at: Option<Instant> = None;
    let mut kill_sent = false;
    let (mut timed_out, mut killed) = (false, false);
    let mut tree = Tree::new(pgid);
    let mut next_scan = Instant::now();
    loop {
        if Instant::now() >= next_scan {
            tree.scan();
            next_scan = Instant::now() + SCAN_EVERY;
        }
        if exited_nowait(pgid) {
            // The leader is a zombie, so its group id is still reserved.
            signal_all(pgid, &mut tree, Signal::KILL);
            let status = child.wait();
            finish(&mut tree);
            return Supervised { status, timed_out, killed };
        }
        let now = Instant::now();
        if term_at.is_none() && (now >= deadline || killer.requested()) {
            killed = killer.requested();
            timed_out = !killed;
            signal_all(pgid, &mut tree, Signal::TERM);
            term_at = Some(now);
        }
        if let Some(t) = term_at
            && !kill_sent
            && now >= t + grace
        {
            signal_all(pgid, &mut tree, Signal::KILL);
            kill_sent = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills and reaps what the script left behind, bounded by [`REAP_WAIT`].
fn finish(tree: &mut Tree) {
    let until = Instant::now() + REAP_WAIT;
    loop {
        tree.signal(Signal::KILL);
        if tree.reap() || Instant::now() >= until {
            if !tree.pids().is_empty() {
                tracing::warn!(pids = ?tree.pids(), "runbook descendants still running after the run");
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
