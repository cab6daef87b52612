//! `quell eval rca` on a tiny synthetic data set in Nezha's layout
//! (`tests/fixtures/nezha-tiny`: three services, a CPU fault visible in
//! metrics and spans, an exception visible only in logs, one empty file),
//! and `scripts/score-rca.py` re-scoring its `--out` file to the same figures.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn eval_rca_ranks_the_tiny_fixture_and_the_independent_scorer_agrees() {
    let pred = std::env::temp_dir().join(format!("quell-eval-rca-{}.jsonl", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(["eval", "rca", "--json", "--out"])
        .arg(&pred)
        .arg(root().join("tests/fixtures/nezha-tiny"))
        .output()
        .expect("run quell");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");

    // Both faults found first, each for its own reason.
    assert_eq!(report["overall"]["faults"], 2);
    assert_eq!(report["overall"]["ac"][0], 1.0, "{report:#}");
    let outcomes = report["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes[0]["truth"], "shop-payment");
    assert_eq!(outcomes[0]["ranked"][0]["service"], "shop-payment");
    assert_eq!(outcomes[1]["truth"], "shop-cart");
    let cart_evidence = outcomes[1]["evidence"].to_string();
    assert!(cart_evidence.contains("IllegalStateException"), "{cart_evidence}");
    // The empty log file is counted, not fatal.
    assert_eq!(report["counts"]["files_skipped"], 1, "{:#}", report["counts"]);

    let script = Command::new("python3")
        .arg(root().join("scripts/score-rca.py"))
        .arg(&pred)
        .output()
        .expect("python3 runs scripts/score-rca.py");
    assert!(script.status.success(), "{}", String::from_utf8_lossy(&script.stderr));
    let rescored: serde_json::Value = serde_json::from_slice(&script.stdout).expect("json");
    for key in ["overall", "by_system", "by_day", "by_kind"] {
        let ours = &report[key];
        let theirs = &rescored[key];
        assert_eq!(strip(ours), strip(theirs), "{key}: quell {ours:#} vs script {theirs:#}");
    }
    for key in ["faults", "detection", "ac1", "ac3", "median_shown_s"] {
        let (ours, theirs) = (&report["end_to_end"][key], &rescored["end_to_end"][key]);
        assert_eq!(strip(ours), strip(theirs), "end_to_end.{key}");
    }
    let _ = std::fs::remove_file(&pred);
}

/// Figures rounded to 1e-9, so float formatting cannot differ.
fn strip(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => {
            serde_json::json!((n.as_f64().unwrap_or(f64::NAN) * 1e9).round() / 1e9)
        }
        serde_json::Value::Array(a) => a.iter().map(strip).collect(),
        serde_json::Value::Object(o) => o.iter().map(|(k, v)| (k.clone(), strip(v))).collect(),
        other => other.clone(),
    }
}
