//! A private tmux server driving the real binary: keys in, screen out;
//! and the pane's terminal read back (alternate screen, cursor, raw mode).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (own socket) with its own HOME, killed on drop.
pub struct Tmux {
    socket: String,
    home: PathBuf,
}

impl Tmux {
    pub fn start(name: &str, cmd: &str, home: &Path) -> Self {
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

    pub fn cmd(&self, args: &[&str]) -> Output {
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

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    pub fn literal(&self, text: &str) {
        assert!(self.cmd(&["send-keys", "-t", "e2e", "-l", text]).status.success());
    }

    /// Polls the screen until `pred` holds on a settled screen; fails with
    /// the last screen. Settled means two captures 100 ms apart agree:
    /// `capture-pane` can land in the middle of a frame being written.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
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
    /// Kills the server and waits (a few seconds at most) for the panes'
    /// processes to end: quell saves its state on a hangup, and a test that
    /// removes its home next must not see it written again after.
    fn drop(&mut self) {
        let panes = self.cmd(&["list-panes", "-a", "-F", "#{pane_pid}"]);
        let mut pids: Vec<u32> = String::from_utf8_lossy(&panes.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        for i in 0.. {
            let Some(&pid) = pids.get(i) else { break };
            pids.extend(super::process::children(pid));
        }
        let _ = self.cmd(&["kill-server"]);
        let start = Instant::now();
        while !pids.iter().all(|&p| super::process::exited(p))
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn require_tmux() {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(ok, "tmux is required for the end-to-end test: install tmux (apt-get install tmux)");
}

/// The pane's terminal settings as `stty -a` reports them.
pub fn pane_stty(tmux: &Tmux) -> String {
    let tty = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{pane_tty}"]);
    let tty = String::from_utf8_lossy(&tty.stdout).trim().to_string();
    let out = Command::new("stty").args(["-a", "-F", &tty]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Alternate screen off, cursor shown, raw mode off.
pub fn assert_terminal_restored(tmux: &Tmux, after: &str) {
    let alt = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0", "{after}: alternate screen on");
    let cursor = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{cursor_flag}"]);
    assert_eq!(String::from_utf8_lossy(&cursor.stdout).trim(), "1", "{after}: cursor hidden");
    // Raw mode clears `isig` and `opost`; a shell, even one in readline's
    // own mode at its prompt, keeps both.
    let stty = pane_stty(tmux);
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(words.contains(&"isig") && words.contains(&"opost"), "{after}: raw mode on:\n{stty}");
}

/// The only quell under the pane's shell.
pub fn quell_pid(tmux: &Tmux) -> u32 {
    let pane = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
    let shell: u32 = String::from_utf8_lossy(&pane.stdout).trim().parse().unwrap();
    let quell = super::process::children(shell);
    assert_eq!(quell.len(), 1, "expected quell under the pane shell");
    quell[0]
}
