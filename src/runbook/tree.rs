//! A run's process tree, so that every descendant of a runbook script dies
//! with the run, including one that left the script's process group and
//! session (`setsid`) and ignores SIGTERM.
//!
//! On Linux quell makes itself a child subreaper
//! (`prctl(PR_SET_CHILD_SUBREAPER)`) before the first run: a descendant
//! whose parent exits is re-parented to quell instead of to init, so it
//! can still be found, signalled and reaped. While a run is supervised,
//! [`Tree::scan`] reads `/proc` and remembers every process whose parent is
//! the script or an already-remembered descendant (by pid and start time,
//! so a recycled pid is never signalled), plus every session leader quell
//! adopted (quell itself starts no session leaders, so such a child can
//! only be an escaped runbook descendant). Stopping a run signals each one
//! and the process group it leads; afterwards the adopted ones are reaped.
//!
//! It must not touch the script itself (the caller owns that `Child`) nor
//! any process quell started for another purpose.

use std::collections::BTreeMap;

use rustix::process::{Pid, Signal, WaitOptions};

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    ppid: i32,
    pgrp: i32,
    session: i32,
    /// Clock ticks since boot; with the pid, identifies the process.
    start: u64,
}

/// Makes quell the reaper of its orphaned descendants (Linux; a no-op
/// elsewhere). Idempotent.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        if let Err(e) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            tracing::warn!(error = %e, "cannot become a child subreaper; escaped runbook descendants may outlive their run");
        }
    }
}

/// The descendants of one running script.
#[derive(Debug)]
pub struct Tree {
    leader: i32,
    me: i32,
    /// pid → start time of every descendant seen so far.
    known: BTreeMap<i32, u64>,
}

impl Tree {
    #[must_use]
    pub fn new(leader: i32) -> Self {
        Self {
            leader,
            me: rustix::process::getpid().as_raw_nonzero().get(),
            known: BTreeMap::new(),
        }
    }

    /// Remembers the script's current descendants and the session leaders
    /// quell adopted. Cheap enough to call a few times a second.
    pub fn scan(&mut self) {
        let procs = read_procs();
        // Parents before children is not guaranteed by pid order, so repeat
        // until nothing new is found.
        loop {
            let before = self.known.len();
            for (&pid, p) in &procs {
                if pid == self.leader || self.known.contains_key(&pid) {
                    continue;
                }
                let from_run = self.known.contains_key(&p.ppid) || p.ppid == self.leader;
                let adopted_escapee = p.ppid == self.me && p.session == pid;
                if from_run || adopted_escapee {
                    self.known.insert(pid, p.start);
                }
            }
            if self.known.len() == before {
                break;
            }
        }
        // Forget the ones that are gone (or whose pid now names another).
        self.known.retain(|pid, start| procs.get(pid).is_some_and(|p| p.start == *start));
    }

    /// Signals every remembered descendant still alive, and the process
    /// group each one leads. Returns how many were signalled.
    pub fn signal(&mut self, sig: Signal) -> usize {
        self.scan();
        let procs = read_procs();
        let mut sent = 0;
        for (&pid, &start) in &self.known {
            let Some(p) = procs.get(&pid).filter(|p| p.start == start) else { continue };
            let Some(target) = Pid::from_raw(pid) else { continue };
            if p.pgrp == pid {
                let _ = rustix::process::kill_process_group(target, sig);
            }
            if rustix::process::kill_process(target, sig).is_ok() {
                sent += 1;
            }
        }
        sent
    }

    /// Reaps the remembered descendants quell adopted and that have exited;
    /// true when none of them is left running.
    pub fn reap(&mut self) -> bool {
        let procs = read_procs();
        let mut all_gone = true;
        for (&pid, &start) in &self.known {
            let Some(p) = procs.get(&pid).filter(|p| p.start == start) else { continue };
            if p.ppid == self.me
                && let Some(target) = Pid::from_raw(pid)
            {
                // Only our own adopted children: never the script (the
                // caller's `Child` reaps it), never an unrelated process.
                if let Ok(Some(_)) = rustix::process::waitpid(Some(target), WaitOptions::NOHANG) {
                    continue;
                }
            }
            all_gone = false;
        }
        self.scan();
        all_gone
    }

    /// The pids remembered now (for tests and logs).
    #[must_use]
    pub fn pids(&self) -> Vec<i32> {
        self.known.keys().copied().collect()
    }
}

/// Every process in `/proc`; empty where there is no procfs.
fn read_procs() -> BTreeMap<i32, Proc> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if let Some(p) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| parse_stat(&s))
            .filter(|_| pid > 0)
        {
            out.insert(pid, p);
        }
    }
    out
}

/// Parses `/proc/PID/stat`. The command name may hold spaces and `)`, so
/// fields are counted from the last `)`.
fn parse_stat(s: &str) -> Option<Proc> {
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest = state(3) ppid(4) pgrp(5) session(6) … starttime(22).
    Some(Proc {
        ppid: f.get(1)?.parse().ok()?,
        pgrp: f.get(2)?.parse().ok()?,
        session: f.get(3)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_even_with_hostile_command_names() {
        let line =
            "4242 (a) b) (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1 2";
        let p = parse_stat(line).unwrap();
        assert_eq!(p, Proc { ppid: 17, pgrp: 4242, session: 4242, start: 98765 });
        assert!(parse_stat("12 (x) S 1").is_none());
    }

    #[test]
    fn our_own_process_is_found() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let procs = read_procs();
        let p = procs.get(&me).expect("this test process in /proc");
        assert!(p.start > 0);
    }
}
