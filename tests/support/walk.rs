//! The help walk's harness (tests/e2e_help_walk.rs): one quell session in
//! tmux at a given size, the (context, action) pairs and `:` commands it
//! covered, the final check that nothing help lists went unpressed, and
//! readers of quell's screen (the footer and its hints, the selected
//! incident, the incident count, the help overlay read to its end).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use quell::app::Action;
use quell::app::keymap::{Context, Keymap};

use super::tmux::{Tmux, WAIT};

/// One walk: the session, what was covered, and where quell reports its exit.
pub struct Walk {
    pub tmux: Tmux,
    pub size: (u16, u16),
    pub covered: BTreeSet<(Context, Action)>,
    pub commands: BTreeSet<&'static str>,
    pub exit_file: std::path::PathBuf,
    pub home: std::path::PathBuf,
}

impl Walk {
    pub fn start(w: u16, h: u16) -> Self {
        let home = std::env::temp_dir().join(format!("quell-e2e-walk-{w}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        let exit_file = home.join("exit-status");
        let bin = env!("CARGO_BIN_EXE_quell");
        // Only this test's own fixed strings go into the shell line.
        let cmd = format!(
            "'{bin}' --demo --speed 30; echo EXIT=$? > '{}'; sleep 120",
            exit_file.display()
        );
        let tmux = Tmux::start(&format!("walk{w}"), &cmd, &home);
        let (ws, hs) = (w.to_string(), h.to_string());
        let out = tmux.cmd(&["resize-window", "-t", "e2e", "-x", &ws, "-y", &hs]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Self {
            tmux,
            size: (w, h),
            covered: BTreeSet::new(),
            commands: BTreeSet::new(),
            exit_file,
            home,
        }
    }

    pub fn screen(&self) -> String {
        self.tmux.screen()
    }

    pub fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let (w, h) = self.size;
        self.tmux.wait_for(&format!("{what} at {w}x{h}"), pred)
    }

    /// Presses a key (tmux key name) bound to `action` in `ctx` and waits
    /// for what help promises.
    pub fn press(
        &mut self,
        ctx: Context,
        action: Action,
        key: &str,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        self.covered.insert((ctx, action));
        self.tmux.keys(&[key]);
        self.wait(what, pred)
    }

    /// Runs `:LINE` and waits for its effect.
    pub fn command(
        &mut self,
        name: &'static str,
        line: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        self.commands.insert(name);
        self.tmux.keys(&[":"]);
        self.wait("the command line", |s| footer(s).starts_with(':'));
        self.tmux.literal(line);
        self.tmux.keys(&["Enter"]);
        self.wait(&format!(":{line}"), pred)
    }

    pub fn main_screen(&self) -> String {
        self.wait("the main screen", |s| s.contains("Root causes") && !footer(s).starts_with(':'))
    }
}

/// The footer's key hints (a flash message, if any, sits after a gap).
pub fn hints(s: &str) -> &str {
    footer(s).split("    ").next().unwrap_or("")
}

pub fn footer(s: &str) -> &str {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

/// The id in the detail pane's title: the selected incident.
pub fn selected_id(s: &str) -> Option<String> {
    s.lines().find_map(|l| {
        let i = l.find(['┌', '┏'])?;
        let rest = l[i..].chars().skip(2).collect::<String>();
        let id: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        (id.starts_with("I-") || id.starts_with("S-")).then_some(id)
    })
}

/// Incidents listed, from the list's title.
pub fn incident_count(s: &str) -> usize {
    s.split("Incidents ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The help overlay's text, read by scrolling to the end: the cells inside
/// its border, wrapped lines joined, spaces collapsed.
pub fn read_help(walk: &mut Walk) -> String {
    let s = walk.press(Context::Main, Action::Help, "?", "the help overlay", |s| {
        s.contains("Help \u{00b7}") && s.contains("Keys: main")
    });
    let top = s.lines().position(|l| l.contains("Help \u{00b7}")).unwrap();
    let border = s.lines().nth(top).unwrap();
    let x0 = border.chars().position(|c| c == '┏').unwrap();
    let x1 = border.chars().position(|c| c == '┓').unwrap();
    let mut seen: Vec<String> = Vec::new();
    let mut last: Vec<String> = Vec::new();
    for _ in 0..100 {
        let s = walk.screen();
        let mut page = Vec::new();
        for l in s.lines().skip(top + 1) {
            let inner: String = l.chars().skip(x0 + 1).take(x1 - x0 - 1).collect();
            if inner.starts_with('━') {
                break;
            }
            page.push(inner.trim_end().to_string());
        }
        // The panes behind keep changing; the overlay's text tells the end.
        if page == last {
            break;
        }
        seen.extend(page.iter().cloned());
        last = page;
        walk.covered.insert((Context::Help, Action::PageDown));
        walk.tmux.keys(&["NPage"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    let text = seen.join(" ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Quits (by `q` or `:q`), checks the exit status, and fails naming every
/// key help lists that this walk never pressed.
pub fn finish(mut walk: Walk, by_command: bool) {
    if by_command {
        walk.commands.insert("quit");
        walk.tmux.keys(&[":"]);
        walk.tmux.literal("q");
        walk.tmux.keys(&["Enter"]);
    } else {
        walk.covered.insert((Context::Main, Action::Quit));
        walk.tmux.keys(&["q"]);
    }
    let start = Instant::now();
    let status = loop {
        // The shell creates the file before `echo` writes its line.
        if let Some(s) = std::fs::read_to_string(&walk.exit_file).ok().filter(|s| s.ends_with('\n'))
        {
            break s;
        }
        assert!(start.elapsed() < WAIT, "quell did not exit; screen:\n{}", walk.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.trim(), "EXIT=0");
    // Keys that end quell or need a second terminal are covered by meaning:
    // ctrl-c quits in every context (tests/e2e_tmux.rs and the keymap tests).
    for ctx in Context::ALL {
        walk.covered.insert((ctx, Action::Quit));
    }
    let km = Keymap::defaults();
    let mut missing = Vec::new();
    for ctx in Context::ALL {
        for (action, keys) in km.bindings(ctx) {
            if !keys.is_empty() && !walk.covered.contains(&(ctx, action)) {
                missing.push(format!("{ctx:?}/{}", action.name()));
            }
        }
    }
    let (w, h) = walk.size;
    assert!(
        missing.is_empty(),
        "{w}x{h}: keys help lists but this walk never pressed: {missing:?}"
    );
    let _ = std::fs::remove_dir_all(&walk.home);
}
