//! `quell eval scenarios` as a user runs it: the built-in library meets the
//! targets, and scenario files written from the documented format work
//! without code changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

mod support;

fn quell(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .env("XDG_CONFIG_HOME", std::env::temp_dir().join("quell-eval-no-config"))
        .env_remove("QUELL_CONFIG")
        .output()
        .expect("quell runs")
}

#[test]
fn builtin_library_meets_the_grouping_and_root_cause_targets() {
    let out = quell(&["eval", "scenarios", "--seeds", "1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"));
    assert!(v["scenarios"].as_u64().unwrap() >= 30);
    assert!(f("f1") >= 0.95, "grouping F1 {}", f("f1"));
    assert!(f("ari_mean") >= 0.9, "ARI {}", f("ari_mean"));
    assert!(f("ac_at_1") >= 0.85, "AC@1 {}", f("ac_at_1"));
    assert!(f("ac_at_3") >= 0.97, "AC@3 {}", f("ac_at_3"));
    assert!(f("compression") >= 0.90, "compression {}", f("compression"));
    assert!(f("avg_at_5") >= f("ac_at_1"));
}

#[test]
fn a_scenario_file_from_the_documented_format_runs() {
    let dir = support::servers::TempDir::new("scn");
    std::fs::write(
        dir.join("mine.toml"),
        "name = \"user-inventory-stall\"\ndescription = \"written by a user\"\nduration = \"20m\"\n\n\
         [[fault]]\nkind = \"slow_database\"\ntarget = \"postgres\"\nstart = \"2m\"\nduration = \"8m\"\nintensity = 1.3\n",
    )
    .unwrap();
    let out = quell(&[
        "eval",
        "scenarios",
        "--seeds",
        "1",
        "--dir",
        dir.to_str().unwrap(),
        "--only",
        "user-",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs_detail"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["scenario"], "user-inventory-stall");
    assert!(runs[0]["alerts"].as_u64().unwrap() > 0, "the fault raised alerts: {}", runs[0]);
    assert_eq!(runs[0]["ranks"][0][0], "postgres");
}

#[test]
fn a_broken_scenario_file_is_named_in_the_error() {
    let dir = support::servers::TempDir::new("scn-bad");
    std::fs::write(
        dir.join("broken.toml"),
        "name = \"b\"\nduration = \"20m\"\n[[fault]]\nkind = \"meteor\"\n",
    )
    .unwrap();
    let out = quell(&["eval", "scenarios", "--dir", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.toml"), "{err}");
}
