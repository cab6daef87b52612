//! The runbook acceptance test, as a user sees it: a real Alertmanager
//! holds an alert whose `instance` label is a shell injection, quell runs in
//! tmux with a runbook matching it; pressing the runbook's key shows the
//! exact command, `y` runs it, the output streams in, `:audit` lists the
//! run, and the injected command never runs. A script changed on disk is
//! then refused. tmux and the Alertmanager binary are required.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::servers::Alertmanager;

const WAIT: Duration = Duration::from_secs(30);

struct Tmux {
    socket: String,
    home: PathBuf,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("TERM", "xterm-256color")
            .env_remove("TMUX")
            .output()
            .expect("tmux is required for this test (apt-get install tmux)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "rb"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "rb"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
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

#[test]
fn hostile_instance_label_reaches_the_script_as_one_literal_argument() {
    let am = Alertmanager::single(&[]);
    let side = PathBuf::from(format!("/tmp/quell-pwned-e2e-{}", std::process::id()));
    let _ = std::fs::remove_file(&side);
    let hostile = format!("x$(touch {})", side.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(support::post_alerts(
        &am.url(),
        &[support::alert_json(&[
            ("alertname", "PwnTest"),
            ("severity", "critical"),
            ("service", "web"),
            ("instance", &hostile),
        ])],
    ));

    // Not under /tmp: a runbook's directories must not be world-writable.
    let home =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rb-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join("config/quell")).unwrap();
    std::fs::create_dir_all(home.join("scripts")).unwrap();
    for d in [&home, &home.join("scripts")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let body = include_str!("../assets/runbooks/show-args.sh");
    let script = home.join("scripts/show-args.sh");
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let ask = home.join("scripts/ask.sh");
    let ask_body =
        "#!/bin/sh\nprintf 'for %s, type a word: ' \"$1\"\nread -r x\necho \"you typed: $x\"\n";
    std::fs::write(&ask, ask_body).unwrap();
    std::fs::set_permissions(&ask, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = home.join("config/quell/config.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[[runbook]]\nid = \"show-args\"\ntitle = \"Show the arguments\"\npath = {:?}\nsha256 = {:?}\nargs = [\"--instance\", \"{{label.instance}}\"]\nmatch = ['alertname=\"PwnTest\"']\nkey = \"1\"\n",
            support::am_toml("am", &[am.url()], ""),
            script.display().to_string(),
            quell::runbook::integrity::sha256_hex(body.as_bytes()),
        ) + &format!(
            "[[runbook]]\nid = \"ask\"\ntitle = \"Ask\"\npath = {:?}\nsha256 = {:?}\nargs = [\"{{label.service}}\"]\nmatch = ['alertname=\"PwnTest\"']\nkey = \"2\"\nmode = \"interactive\"\n",
            ask.display().to_string(),
            quell::runbook::integrity::sha256_hex(ask_body.as_bytes()),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();

    let tmux = Tmux { socket: format!("quell-rb-e2e-{}", std::process::id()), home: home.clone() };
    let bin = env!("CARGO_BIN_EXE_quell");
    let out = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "rb",
        "-x",
        "120",
        "-y",
        "40",
        &format!("'{bin}'; sleep 60"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    tmux.wait_for("the hostile alert", |s| s.contains("PwnTest") && s.contains("Runbooks 2"));
    tmux.keys(&["1"]);
    let quoted = format!("\"{hostile}\"");
    // The whole dialog, down to its keys line: a capture may catch a frame
    // half drawn.
    let s = tmux.wait_for("the dialog", |s| {
        s.contains("Run runbook 1") && s.contains(&quoted) && s.contains("Enter run")
    });
    assert!(s.contains("\"--instance\""), "{s}");
    tmux.keys(&["Enter"]);
    let arg = format!("[2] <{hostile}>");
    let s = tmux.wait_for("the output", |s| s.contains(&arg) && s.contains("exit 0"));
    assert!(s.contains("received 2 argument(s)"), "{s}");
    assert!(!side.exists(), "the label's command substitution ran");

    tmux.keys(&[":", "a", "u", "d", "i", "t", "Enter"]);
    let s = tmux.wait_for("the audit entry", |s| s.contains("Audit log") && s.contains("finished"));
    assert!(s.contains("show-args") && s.contains("started"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the audit closed", |s| !s.contains("Audit log"));

    // Tampering with the approved script: refused, shown, audited.
    std::fs::write(&script, format!("{body}touch '{}'\n", side.display())).unwrap();
    tmux.keys(&["1"]);
    tmux.wait_for("the dialog again", |s| s.contains("Run runbook 1"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the refusal", |s| s.contains("refused") && s.contains("file has"));
    assert!(!side.exists(), "the tampered script ran");
    let log = std::fs::read_to_string(home.join("data/quell/audit.jsonl")).unwrap();
    let events: Vec<&str> =
        log.lines().filter_map(|l| l.split("\"event\":\"").nth(1)?.split('"').next()).collect();
    assert_eq!(events, ["started", "finished", "refused"], "{log}");
    assert!(log.contains(&serde_json::to_string(&hostile).unwrap()), "{log}");

    // Interactive mode: the script gets the terminal, then the TUI returns
    // and still answers keys.
    tmux.keys(&["2"]);
    tmux.wait_for("the interactive dialog", |s| {
        s.contains("Run runbook 2") && s.contains("interactive")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the script's prompt", |s| s.contains("for web, type a word:"));
    tmux.keys(&["hello", "Enter"]);
    tmux.wait_for("the script's answer", |s| {
        s.contains("you typed: hello") && s.contains("Press Enter")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the TUI back", |s| s.contains("Incidents") && s.contains("exit 0"));
    tmux.keys(&[":", "a", "u", "d", "i", "t", "Enter"]);
    tmux.wait_for("a working TUI", |s| s.contains("Audit log") && s.contains("ask"));

    tmux.keys(&["q"]);
    drop(tmux);
    let log = std::fs::read_to_string(home.join("data/quell/audit.jsonl")).unwrap();
    let last: Vec<serde_json::Value> =
        log.lines().rev().take(2).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(last[0]["runbook"], "ask");
    assert_eq!(last[0]["event"], "finished");
    assert_eq!(last[0]["exit_code"], 0);
    assert_eq!(last[1]["event"], "started");
    let _ = std::fs::remove_dir_all(&home);
}
