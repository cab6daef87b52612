//! Spawning a verified script: no shell, its own process group, a cleared
//! environment, output streamed line by line (sanitized, capped), timeout
//! and kill applied to the whole group.
//!
//! Stopping is SIGTERM to the group, then SIGKILL after a grace period, so a
//! background grandchild dies with its parent. A descendant that left the
//! group (`setsid`) is found through [`super::tree`] (quell is a child
//! subreaper) and signalled and reaped along with it. When the script itself exits,
//! whatever it left behind in its group is killed too: a run ends when its
//! script ends. The group's leader is observed with `waitid(WNOWAIT)` and
//! reaped only after the group was signalled, so its process-group id can
//! never have been reused by then.
//!
//! The caller gets events through a callback from worker threads; nothing
//! here knows about the TUI.

use std::io::{self, IsTerminal as _, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use rustix::process::{Pid, Signal};

use super::integrity::{VerifiedScript, hex};
use super::output::{Pump, Sink, Tally};
use super::tree::become_subreaper;

mod supervise;

use supervise::{Supervised, killpg, supervise};

/// Variables a script inherits from quell's environment; everything else
/// is cleared (the runbook's own `env` is added on top).
pub const ENV_ALLOWLIST: &[&str] =
    &["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM"];

/// `PATH` when quell's own has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Time between SIGTERM and SIGKILL, unless the caller says otherwise.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);

/// How long to wait for the output pipes to close after the group is dead
/// (a process that escaped the group with `setsid` may hold them open).
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The environment a run gets: the allowlisted part of ours, then `extra`
/// (later entries win).
#[must_use]
pub fn child_env(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = ENV_ALLOWLIST
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v)))
        .collect();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    for (k, v) in extra {
        env.retain(|(ek, _)| ek != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

/// Everything needed to start one run.
#[derive(Debug)]
pub struct Spawn {
    pub script: VerifiedScript,
    /// Arguments after the program.
    pub argv: Vec<String>,
    /// The complete environment (see [`child_env`]).
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub grace: Duration,
    /// Bytes of output delivered as lines; the rest is only counted and hashed.
    pub max_output: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// A line quell adds (truncation notice).
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// One sanitized line of output.
    Line {
        stream: Stream,
        text: String,
    },
    Finished(Outcome),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub killed: bool,
    pub duration: Duration,
    pub output_bytes: u64,
    /// sha256 of stdout and stderr in the order they arrived.
    pub output_sha256: String,
    pub truncated: bool,
}

impl Outcome {
    #[must_use]
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// "exit 0", "exit 3", "killed by signal 9 (timeout)".
    #[must_use]
    pub fn describe(&self) -> String {
        let why = if self.timed_out {
            " (timeout)"
        } else if self.killed {
            " (killed on request)"
        } else {
            ""
        };
        match (self.exit_code, self.signal) {
            (Some(c), _) => format!("exit {c}{why}"),
            (None, Some(s)) => format!("killed by signal {s}{why}"),
            (None, None) => format!("ended{why}"),
        }
    }
}

/// Asks a running script to stop; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Killer(Arc<AtomicBool>);

impl Killer {
    pub fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(super) fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A run in progress.
pub struct RunHandle {
    pub pid: u32,
    killer: Killer,
    thread: JoinHandle<Outcome>,
}

impl RunHandle {
    #[must_use]
    pub fn killer(&self) -> Killer {
        self.killer.clone()
    }

    /// Waits for the run to end.
    #[must_use]
    pub fn join(self) -> Outcome {
        self.thread.join().unwrap_or_default()
    }
}

fn command(script: &VerifiedScript, fd: i32, argv: &[String], env: &[(String, String)]) -> Command {
    let dir = if cfg!(target_os = "linux") { "/proc/self/fd" } else { "/dev/fd" };
    let mut cmd = Command::new(format!("{dir}/{fd}"));
    cmd.arg0(&script.path)
        .args(argv)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir("/")
        .process_group(0);
    // SAFETY: the closure only calls fcntl(F_SETFD), which is
    // async-signal-safe, and borrows `fd`, which the verified script keeps
    // open until after the spawn. The descriptor must survive exec: an
    // interpreter named by `#!` opens the script through /proc/self/fd/N
    // after the kernel started it.
    unsafe {
        cmd.pre_exec(move || {
            let fd = std::os::fd::BorrowedFd::borrow_raw(fd);
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())?;
            Ok(())
        });
    }
    cmd
}

/// Spawns through the verified descriptors, best first; an exec refused
/// for the sealed copy (e.g. `vm.memfd_noexec`) falls back to the file.
fn spawn_verified(
    script: &VerifiedScript,
    argv: &[String],
    env: &[(String, String)],
    configure: &dyn Fn(&mut Command),
) -> io::Result<Child> {
    become_subreaper();
    let fds = script.exec_fds();
    let mut last = io::Error::other("no descriptor to execute");
    for (i, fd) in fds.iter().enumerate() {
        let mut cmd = command(script, *fd, argv, env);
        configure(&mut cmd);
        match cmd.spawn() {
            Ok(child) => return Ok(child),
            Err(e)
                if i + 1 < fds.len()
                    && matches!(
                        rustix::io::Errno::from_io_error(&e),
                        Some(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM)
                    ) =>
            {
                last = e;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Starts a capture-mode run: stdin is /dev/null, output arrives as
/// `RunEvent::Line`s and the end as one `RunEvent::Finished` (also the
/// value [`RunHandle::join`] returns).
///
/// # Errors
/// The process could not be spawned.
pub fn start<F>(spawn: Spawn, on_event: F) -> io::Result<RunHandle>
where
    F: Fn(RunEvent) + Send + Sync + 'static,
{
    let sink: Sink = Arc::new(on_event);
    let began = Instant::now();
    let mut child = spawn_verified(&spawn.script, &spawn.argv, &spawn.env, &|c| {
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    })?;
    let pid = child.id();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut readers = 0;
    let pumps = [
        child.stdout.take().map(|s| (Stream::Stdout, Box::new(s) as Box<dyn Read + Send>)),
        child.stderr.take().map(|s| (Stream::Stderr, Box::new(s) as Box<dyn Read + Send>)),
    ];
    for (stream, reader) in pumps.into_iter().flatten() {
        let pump = Pump {
            stream,
            tally: Arc::clone(&tally),
            max: spawn.max_output,
            sink: Arc::clone(&sink),
        };
        let tx = done_tx.clone();
        let spawned =
            std::thread::Builder::new().name("quell-runbook-out".into()).spawn(move || {
                pump.run(reader);
                let _ = tx.send(());
            });
        if let Err(e) = spawned {
            // Nobody would watch it: take the group down before reporting.
            stop_unwatched(&mut child);
            return Err(e);
        }
        readers += 1;
    }
    drop(done_tx);
    let killer = Killer::default();
    let k = killer.clone();
    let pgid = child.id();
    let thread = std::thread::Builder::new().name("quell-runbook".into()).spawn(move || {
        let sup = supervise(&mut child, spawn.timeout, spawn.grace, &k);
        let drain_until = Instant::now() + DRAIN_WAIT;
        for _ in 0..readers {
            let left = drain_until.saturating_duration_since(Instant::now());
            if done_rx.recv_timeout(left).is_err() {
                break;
            }
        }
        let mut outcome = outcome_of(&sup, began);
        if let Ok(mut t) = tally.lock() {
            let t = std::mem::take(&mut *t);
            outcome.output_bytes = t.bytes;
            outcome.output_sha256 = hex(&t.hasher.finalize());
            outcome.truncated = t.truncated;
        }
        sink(RunEvent::Finished(outcome.clone()));
        outcome
    });
    match thread {
        Ok(thread) => Ok(RunHandle { pid, killer, thread }),
        Err(e) => {
            // The child moved into the failed closure and was dropped
            // unreaped; its group still has to go.
            killpg(i32::try_from(pgid).unwrap_or(i32::MAX), Signal::KILL);
            Err(e)
        }
    }
}

/// Kills and reaps a child whose output nobody can read.
fn stop_unwatched(child: &mut Child) {
    killpg(i32::try_from(child.id()).unwrap_or(i32::MAX), Signal::KILL);
    let _ = child.wait();
}

fn outcome_of(sup: &Supervised, began: Instant) -> Outcome {
    let (exit_code, signal) = match &sup.status {
        Ok(s) => (s.code(), s.signal()),
        Err(_) => (None, None),
    };
    Outcome {
        exit_code,
        signal,
        timed_out: sup.timed_out,
        killed: sup.killed,
        duration: began.elapsed(),
        ..Outcome::default()
    }
}

/// Runs a script with the terminal: stdio inherited, the script's group
/// made the terminal's foreground group for the run, then quell's again.
/// The caller must have left raw mode and the alternate screen. Blocks.
///
/// # Errors
/// The process could not be spawned.
pub fn run_interactive(spawn: &Spawn) -> io::Result<Outcome> {
    let began = Instant::now();
    let tty = io::stdin().is_terminal();
    let mut child = spawn_verified(&spawn.script, &spawn.argv, &spawn.env, &|c| {
        c.stdin(Stdio::inherit()).stdout(Stdio::inherit()).stderr(Stdio::inherit());
        if tty {
            // SAFETY: the closure makes only async-signal-safe calls
            // (signal, tcsetpgrp, getpgrp) on the child's own process and
            // its inherited stdin, and touches no memory of the parent.
            unsafe {
                c.pre_exec(|| {
                    let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                    let _ = rustix::termios::tcsetpgrp(
                        rustix::stdio::stdin(),
                        rustix::process::getpgrp(),
                    );
                    libc::signal(libc::SIGTTOU, old);
                    Ok(())
                });
            }
        }
    })?;
    let pgid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    // SAFETY: signal() swaps the disposition of SIGTTOU, for which quell has
    // no handler of its own; the old one is put back below. rustix has no
    // safe wrapper for dispositions.
    let old = unsafe { libc::signal(libc::SIGTTOU, libc::SIG_IGN) };
    if tty && let Some(pgid) = pgid {
        // Both sides set it (as shells do), so neither order loses a read.
        let _ = rustix::termios::tcsetpgrp(rustix::stdio::stdin(), pgid);
    }
    let sup = supervise(&mut child, spawn.timeout, spawn.grace, &Killer::default());
    if tty {
        // SIGTTOU is ignored, so taking the terminal back is allowed.
        let _ = rustix::termios::tcsetpgrp(rustix::stdio::stdin(), rustix::process::getpgrp());
    }
    // SAFETY: restores the disposition saved above.
    unsafe { libc::signal(libc::SIGTTOU, old) };
    let mut outcome = outcome_of(&sup, began);
    outcome.output_sha256 = hex(&Sha256::digest(b""));
    Ok(outcome)
}
