//! How the binary ends when used from scripts: a reader that stops early
//! (`quell snapshot --json | head`) is not an error, and a bad `--theme`
//! flag is refused in every mode, as the TUI refuses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::process::{Command, Stdio};

fn quell() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quell"));
    let home = std::env::temp_dir().join(format!("quell-cli-exit-{}", std::process::id()));
    c.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("QUELL_CONFIG");
    c
}

#[test]
fn snapshot_into_a_pipe_closed_early_exits_quietly() {
    let mut child = quell()
        .args(["snapshot", "--json", "--seconds", "300"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"{");
    // Like `head` exiting. The report is far larger than a pipe's buffer
    // (64 KiB), so quell is still writing when the reader goes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
    assert!(!err.contains("Broken pipe"), "{err}");
}

#[test]
fn print_config_refuses_a_theme_the_tui_refuses() {
    let out = quell().args(["--print-config", "--theme", "nope"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--theme nope") && err.contains("light"), "{err}");
    assert!(out.stdout.is_empty(), "nothing printed for a refused flag");
    let out = quell().args(["--print-config", "--theme", "light"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("theme = \"light\""));
}
