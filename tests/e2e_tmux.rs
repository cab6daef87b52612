//! End to end: the real binary in a detached tmux session, driven by
//! keystrokes, read back with `capture-pane`. Checks what a user sees after
//! each key, the exit status, and that the terminal is restored on exit.
//!
//! tmux is required: without it this test fails (CI installs it) rather
//! than silently skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (own socket) with its own HOME, killed on drop.
struct Tmux {
    socket: String,
    home: PathBuf,
}

impl Tmux {
    fn start(name: &str, cmd: &str, home: &Path) -> Self {
        let socket = format!("quell-e2e-{name}-{}", std::process::id());
        let t = Self { socket, home: home.to_path_buf() };
        let out = t.cmd(&["new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", cmd]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn cmd(&self, args: &[&str]) -> Output {
        // The server inherits this environment, and so does quell inside it:
        // no user config, no user data, predictable colours.
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("TMUX")
            .output()
            .expect("running tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    fn literal(&self, text: &str) {
        assert!(self.cmd(&["send-keys", "-t", "e2e", "-l", text]).status.success());
    }

    /// Polls the screen until `pred` holds on a settled screen; fails with
    /// the last screen. Settled means two captures 100 ms apart agree:
    /// `capture-pane` can land in the middle of a frame being written.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                std::thread::sleep(Duration::from_millis(100));
                let again = self.screen();
                if again == s {
                    return s;
                }
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn require_tmux() {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(ok, "tmux is required for the end-to-end test: install tmux (apt-get install tmux)");
}

#[test]
fn demo_session_keys_and_clean_exit() {
    require_tmux();
    let home = std::env::temp_dir().join(format!("quell-e2e-keys-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let exit_file = home.join("exit-status");
    let bin = env!("CARGO_BIN_EXE_quell");
    // Only this test's own fixed strings go into the shell line.
    let cmd = format!("'{bin}' --demo; echo EXIT=$? > '{}'; sleep 120", exit_file.display());
    let tmux = Tmux::start("keys", &cmd, &home);

    let s =
        tmux.wait_for("the first incident", |s| s.contains("Incidents") && s.contains('\u{25b6}'));
    assert!(s.contains("demo"), "header names the demo source:\n{s}");
    assert!(s.contains("? help") && s.contains("q quit"), "footer hints:\n{s}");

    tmux.keys(&["j"]);
    tmux.wait_for("the list after j", |s| s.contains("Incidents") && s.contains('\u{25b6}'));

    // Enter: focus moves to the incident's alerts (a second cursor appears).
    tmux.keys(&["Enter"]);
    tmux.wait_for("the alerts cursor", |s| s.matches('\u{25b6}').count() >= 2);

    // Enter again: the alert detail with its labels.
    tmux.keys(&["Enter"]);
    let s =
        tmux.wait_for("the alert detail", |s| s.contains("alertname =") && s.contains("labels"));
    assert!(s.contains("Esc back"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("back from the detail", |s| s.contains("Root causes"));

    tmux.keys(&["?"]);
    tmux.wait_for("the help overlay", |s| {
        s.contains("Keys: main") && s.contains("move down") && s.contains("quit quell")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", |s| !s.contains("Keys: main"));

    tmux.keys(&["/"]);
    tmux.literal("zzqqxxjj");
    tmux.wait_for("the filter line matching nothing", |s| {
        s.contains("/zzqqxxjj") && s.contains("0 of")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the filter cleared", |s| !s.contains("zzqqxxjj") && s.contains('\u{25b6}'));

    tmux.keys(&["q"]);
    let start = Instant::now();
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&exit_file) {
            break s;
        }
        assert!(start.elapsed() < WAIT, "quell did not exit after q; screen:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.trim(), "EXIT=0");

    // The terminal is back: alternate screen off, quell's panes gone.
    let alt = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0", "alternate screen still on");
    let s = tmux.screen();
    assert!(!s.contains("Root causes"), "quell's screen left behind:\n{s}");
    let cursor = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{cursor_flag}"]);
    assert_eq!(String::from_utf8_lossy(&cursor.stdout).trim(), "1", "cursor still hidden");
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
}

/// Children of a process, from procfs.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Gone, or a zombie waiting for a reaper: either way no longer running.
fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

#[test]
fn hangup_of_the_terminal_ends_quell() {
    require_tmux();
    let home = std::env::temp_dir().join(format!("quell-e2e-hup-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let bin = env!("CARGO_BIN_EXE_quell");
    let tmux = Tmux::start("hup", &format!("'{bin}' --demo; sleep 120"), &home);
    tmux.wait_for("the first incident", |s| s.contains('\u{25b6}'));
    let pane = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
    let shell: u32 = String::from_utf8_lossy(&pane.stdout).trim().parse().unwrap();
    let quell = children(shell);
    assert_eq!(quell.len(), 1, "expected quell under the pane shell");
    // Killing the server closes the pty, as a dropped SSH connection does.
    drop(tmux);
    let start = Instant::now();
    while !exited(quell[0]) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "quell kept running after its terminal hung up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&home);
}
