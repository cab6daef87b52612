//! End to end: the real binary in a detached tmux session, driven by
//! keystrokes, read back with `capture-pane`. Checks what a user sees after
//! each key, the exit status, and that the terminal is restored on exit.
//!
//! tmux is required: without it this test fails (CI installs it) rather
//! than silently skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::process::{children, exited, proc_state, send_signal};
use support::tmux::{Tmux, WAIT, assert_terminal_restored, pane_stty, quell_pid, require_tmux};

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
        s.contains("Keys: main") && s.contains("move down") && s.contains("merge the marked")
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
        // The shell creates the file before `echo` writes its line.
        if let Some(s) = std::fs::read_to_string(&exit_file).ok().filter(|s| s.ends_with('\n')) {
            break s;
        }
        assert!(start.elapsed() < WAIT, "quell did not exit after q; screen:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.trim(), "EXIT=0");
    // On the way out the demo saved its log template table in the data dir.
    let saved = home.join("data/quell").join(quell::connectors::templates::DEMO_FILE_NAME);
    let table = std::fs::read_to_string(&saved).unwrap_or_default();
    assert!(table.contains("\"templates\""), "{}: {table:.200}", saved.display());

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

/// `amtool silence query -o json` (active silences) against a real Alertmanager.
fn amtool_silences(url: &str) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(support::servers::bin("amtool"))
        .args(["silence", "query", "-o", "json", &format!("--alertmanager.url={url}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "amtool: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ack_from_the_keyboard_is_a_marked_silence_and_read_only_writes_nothing() {
    require_tmux();
    let am = support::servers::Alertmanager::single(&[]);
    let url = am.url();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(support::post_alerts(
        &url,
        &[support::alert_json(&[
            ("alertname", "PaymentsDown"),
            ("service", "payments"),
            ("severity", "critical"),
            ("instance", "x$(touch /tmp/quell-pwned)"),
        ])],
    ));
    let home = std::env::temp_dir().join(format!("quell-e2e-ack-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let cfg = home.join("quell.toml");
    std::fs::write(
        &cfg,
        format!(
            "{}\n[ack]\nauthor = \"e2e@quell\"\n",
            support::am_toml("am", std::slice::from_ref(&url), "")
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_quell");

    // Read-only: the key is refused and the server never sees a silence.
    {
        let cmd = format!("'{bin}' --read-only --config '{}'; sleep 120", cfg.display());
        let tmux = Tmux::start("ro", &cmd, &home);
        tmux.wait_for("the incident", |s| s.contains("PaymentsDown") && s.contains('\u{25b6}'));
        tmux.keys(&["a"]);
        tmux.wait_for("the refusal", |s| s.contains("read-only"));
        std::thread::sleep(Duration::from_millis(500));
        assert!(amtool_silences(&url).is_empty(), "read-only mode wrote to Alertmanager");
    }

    let cmd = format!("'{bin}' --config '{}'; sleep 120", cfg.display());
    let tmux = Tmux::start("ack", &cmd, &home);
    tmux.wait_for("the incident", |s| s.contains("PaymentsDown") && s.contains('\u{25b6}'));
    tmux.keys(&["a"]);
    tmux.wait_for("the acked row", |s| s.contains("\u{2713} acked"));
    let live = amtool_silences(&url);
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(live[0]["comment"].as_str().unwrap().starts_with("ACK! "), "{live:?}");
    assert_eq!(live[0]["createdBy"], "e2e@quell");
    let matchers = live[0]["matchers"].as_array().unwrap();
    assert!(
        matchers
            .iter()
            .any(|m| m["name"] == "instance" && m["value"] == "x$(touch /tmp/quell-pwned)"),
        "the hostile value is matched literally: {matchers:?}"
    );
    assert!(!Path::new("/tmp/quell-pwned").exists());

    // Hand-off: the summary copied and exported.
    tmux.keys(&["y"]);
    tmux.wait_for("the copy flash", |s| s.contains("Markdown summary copied"));
    let md = home.join("handoff.md");
    tmux.keys(&[":"]);
    tmux.literal(&format!("export {}", md.display()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the export flash", |s| s.contains("summary written"));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("PaymentsDown") && text.contains("**Acknowledged:** by e2e@quell"),
        "{text}"
    );

    // Un-acknowledge: the silence expires on the server.
    tmux.keys(&["A"]);
    let start = Instant::now();
    while !amtool_silences(&url).is_empty() {
        assert!(start.elapsed() < WAIT, "the ack silence was not expired");
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.wait_for("the row without ack", |s| !s.contains("\u{2713} acked"));
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
}

/// The number after "Incidents " in the incidents pane title.
fn incident_count(screen: &str) -> usize {
    screen
        .split("Incidents ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `x` splits a marked alert out of the selected incident, `m` merges
/// two incidents, both from the keyboard on the demo world.
#[test]
fn split_and_merge_from_the_keyboard() {
    require_tmux();
    let home = std::env::temp_dir().join(format!("quell-e2e-regroup-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let bin = env!("CARGO_BIN_EXE_quell");
    let cmd = format!("'{bin}' --demo --speed 30; sleep 120");
    let tmux = Tmux::start("regroup", &cmd, &home);
    // The selected incident holds two alerts or more.
    tmux.wait_for("an incident with several alerts", |s| {
        s.lines().any(|l| {
            l.contains('\u{25b6}')
                // The count column is the row's last " alerts" (the title
                // may say "(+2 alerts)" too).
                && l.rsplit_once(" alerts")
                    .and_then(|(h, _)| h.split_whitespace().last())
                    .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 2))
        })
    });
    let before = incident_count(&tmux.screen());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the alerts cursor", |s| s.matches('\u{25b6}').count() >= 2);
    tmux.keys(&["Space"]);
    // A marked alert row: `*` right before its severity glyph.
    let marked = |s: &str| {
        ["\u{25c6}", "\u{25b2}", "\u{25cf}", "\u{25cb}"]
            .iter()
            .any(|g| s.contains(&format!("*{g}")))
    };
    tmux.wait_for("a marked alert", marked);
    // Split and merge ask first (issue 16, item 8); Enter confirms.
    tmux.keys(&["x"]);
    tmux.wait_for("the split confirmation", |s| s.contains("Split alerts out"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the split", |s| s.contains("split 1 alert(s) out of I-"));
    assert!(incident_count(&s) > before, "one more incident:\n{s}");

    let before = incident_count(&s);
    // Esc alone (followed by a key it would read as Alt+key).
    tmux.keys(&["Escape"]);
    tmux.wait_for("focus back on the incidents", |s| s.matches('\u{25b6}').count() == 1);
    tmux.keys(&["g", "Space", "m"]);
    tmux.wait_for("the merge confirmation", |s| s.contains("Merge incidents"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the merge", |s| s.contains("merged I-"));
    assert!(s.contains(" into I-"), "{s}");
    let s = tmux.wait_for("one incident fewer", |s| incident_count(s) < before);
    assert!(s.contains("Root causes"), "{s}");
    tmux.keys(&["q"]);
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
}

fn signal_restores_the_terminal(sig: &str) {
    require_tmux();
    let home = std::env::temp_dir().join(format!("quell-e2e-{sig}-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let exit_file = home.join("exit-status");
    let bin = env!("CARGO_BIN_EXE_quell");
    let cmd = format!("'{bin}' --demo; echo EXIT=$? > '{}'; sleep 120", exit_file.display());
    let tmux = Tmux::start(&sig.to_ascii_lowercase(), &cmd, &home);
    tmux.wait_for("the first incident", |s| s.contains('\u{25b6}'));
    send_signal(sig, &quell_pid(&tmux).to_string());
    let start = Instant::now();
    while !exit_file.exists() {
        assert!(start.elapsed() < WAIT, "quell did not exit after SIG{sig}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_terminal_restored(&tmux, &format!("SIG{sig}"));
    let s = tmux.screen();
    assert!(!s.contains("Root causes"), "quell's screen left behind:\n{s}");
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn sigint_restores_the_terminal() {
    signal_restores_the_terminal("INT");
}

#[test]
fn sigquit_restores_the_terminal() {
    signal_restores_the_terminal("QUIT");
}

/// Under an interactive shell with job control, as a user runs it:
/// `kill -TSTP` gives the terminal back to the shell, `fg` brings quell
/// back redrawn and reading keys.
#[test]
fn sigtstp_suspends_to_the_shell_and_fg_comes_back() {
    require_tmux();
    let home = std::env::temp_dir().join(format!("quell-e2e-tstp-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let exit_file = home.join("exit-status");
    let bin = env!("CARGO_BIN_EXE_quell");
    let tmux = Tmux::start("tstp", "bash --norc --noprofile -i", &home);
    tmux.wait_for("the shell prompt", |s| s.contains("bash-"));
    tmux.literal(&format!("'{bin}' --demo"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first incident", |s| s.contains('\u{25b6}'));
    let pid = quell_pid(&tmux);
    send_signal("TSTP", &pid.to_string());
    let start = Instant::now();
    while proc_state(pid) != 'T' {
        assert!(start.elapsed() < WAIT, "quell did not stop after SIGTSTP");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Stopped, and the terminal is the shell's again.
    tmux.wait_for("the shell's job notice", |s| s.contains("Stopped"));
    assert_terminal_restored(&tmux, "SIGTSTP");
    tmux.literal("fg");
    tmux.keys(&["Enter"]);
    tmux.wait_for("quell redrawn after fg", |s| {
        s.contains('\u{25b6}') && s.contains("Root causes") && !s.contains("Stopped")
    });
    let alt = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "1", "back on the alternate screen");
    assert!(pane_stty(&tmux).split_whitespace().any(|w| w == "-isig"), "raw mode again");
    // Keys are read again.
    tmux.keys(&["?"]);
    tmux.wait_for("the help overlay", |s| s.contains("Keys: main"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", |s| !s.contains("Keys: main"));
    tmux.keys(&["q"]);
    tmux.wait_for("the shell prompt again", |s| !s.contains("Root causes"));
    tmux.literal(&format!("echo EXIT=$? > '{}'", exit_file.display()));
    tmux.keys(&["Enter"]);
    // The shell creates the file before `echo` writes to it: wait for the line.
    let start = Instant::now();
    let written = || std::fs::read_to_string(&exit_file).unwrap_or_default();
    while !written().ends_with('\n') {
        assert!(start.elapsed() < WAIT, "the shell did not come back after q");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(written().trim(), "EXIT=0");
    assert_terminal_restored(&tmux, "q after a suspend");
    drop(tmux);
    let _ = std::fs::remove_dir_all(&home);
}
