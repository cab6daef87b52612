//! A private tmux server driving the real binary: keys in, screen out.
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
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

pub fn require_tmux() {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(ok, "tmux is required for the end-to-end test: install tmux (apt-get install tmux)");
}
