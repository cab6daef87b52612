//! `quell snapshot` and the command line as a user runs them: the real
//! binary, its exit codes, stdout and stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn quell(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("QUELL_CONFIG")
        .output()
        .expect("quell runs")
}

mod support;

/// A home of its own, removed when the test ends.
fn temp_home(name: &str) -> support::servers::TempDir {
    let dir = support::servers::TempDir::new(&format!("test-{name}"));
    std::fs::create_dir_all(dir.join(".config")).unwrap();
    dir
}

#[test]
fn demo_hour_finds_most_root_causes_and_never_mixes_faults() {
    let home = temp_home("snap");
    let out = quell(&["snapshot", "--demo", "--seconds", "3600", "--seed", "1", "--json"], &home);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let eval = &v["evaluation"];
    let with_alerts = eval["faults_with_alerts"].as_u64().unwrap();
    let top1 = eval["top1"].as_u64().unwrap();
    assert!(with_alerts >= 5, "an hour of demo has several faults: {eval}");
    assert!(top1 * 10 >= with_alerts * 7, "top-1 {top1}/{with_alerts} is below 70%");
    assert_eq!(eval["mixed_incidents"].as_array().unwrap().len(), 0, "{eval}");
    // The engine's view is all there, as documented.
    let inc = &v["incidents"][0];
    for key in ["id", "title", "severity", "state", "alerts", "services", "root_causes"] {
        assert!(!inc[key].is_null(), "incident lacks {key}: {inc}");
    }
    let cause = &inc["root_causes"][0];
    assert!(cause["score"].as_f64().unwrap() > 0.0);
    assert!(!cause["evidence"].as_array().unwrap().is_empty());
    assert_eq!(v["sources"][0]["id"], "demo");
    assert_eq!(v["sources"][0]["status"]["state"], "ok");
    assert!(v["ground_truth"].as_array().unwrap().len() >= with_alerts as usize);
}

#[test]
fn snapshot_is_deterministic_for_a_seed() {
    let home = temp_home("det");
    let a = quell(&["snapshot", "--seconds", "900", "--seed", "4", "--json"], &home);
    let b = quell(&["snapshot", "--seconds", "900", "--seed", "4", "--json"], &home);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn broken_config_fails_with_file_line_and_key_and_touches_no_terminal() {
    let home = temp_home("bad");
    let path = home.join("bad.toml");
    std::fs::write(&path, "[ui]\ntheme = \"dark\"\n\n[demo]\nspeed = \"fast\"\n").unwrap();
    let out = quell(&["--config", path.to_str().unwrap()], &home);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:5:", path.display())), "{err}");
    assert!(err.contains("demo.speed"), "{err}");
    assert!(out.stdout.is_empty(), "nothing drawn: {:?}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn missing_explicit_config_is_an_error() {
    let home = temp_home("missing");
    let out = quell(&["--config", "/nonexistent/q.toml", "snapshot"], &home);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read config /nonexistent/q.toml")
    );
}

#[test]
fn config_is_found_in_xdg_config_home_and_printed() {
    let home = temp_home("xdg");
    std::fs::create_dir_all(home.join(".config/quell")).unwrap();
    std::fs::write(home.join(".config/quell/config.toml"), "[ui]\ntheme = \"light\"\n").unwrap();
    let out = quell(&["--print-config"], &home);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("theme = \"light\""), "{text}");
    assert!(text.contains(".config/quell/config.toml"), "{text}");
}

#[test]
fn without_a_terminal_the_ui_refuses_politely() {
    let home = temp_home("notty");
    let out = quell(&["--demo"], &home);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}

#[test]
fn the_demo_world_exported_as_a_recording_replays_to_the_same_incidents() {
    let home = temp_home("rec");
    let file = home.join("demo.ndjson");
    let f = file.to_str().unwrap();
    let rec = quell(&["--demo", "--seed", "2", "record", "--out", f, "--seconds", "1800"], &home);
    assert!(rec.status.success(), "{}", String::from_utf8_lossy(&rec.stderr));
    assert!(String::from_utf8_lossy(&rec.stderr).contains("recorded"));
    let direct =
        quell(&["snapshot", "--demo", "--seed", "2", "--seconds", "1800", "--json"], &home);
    let replay = quell(&["snapshot", "--replay", f, "--json"], &home);
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let summary = |out: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut incs: Vec<(String, String, usize)> = v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["title"].as_str().unwrap().to_string(),
                    i["root_causes"][0]["service"].as_str().unwrap_or("").to_string(),
                    i["alerts"].as_array().unwrap().len(),
                )
            })
            .collect();
        incs.sort();
        incs
    };
    let (d, r) = (summary(&direct), summary(&replay));
    assert!(!d.is_empty());
    assert_eq!(d, r, "replaying the recording finds the same incidents and causes");
}
