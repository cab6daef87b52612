//! The NAB score must not regress: runs `quell eval nab` on the corpus that
//! CI keeps beside the clone (`../shared/data/nab`) and checks every profile
//! against the scores measured when the detector was last tuned, minus a
//! small margin. A missing corpus fails loudly: a silent skip would let a
//! regression through.

use std::path::PathBuf;

use quell::cli::eval::nab::evaluate;
use quell::engine::anomaly::{DEFAULT_THRESHOLD, DetectorConfig};

/// Points of normalized score a change may cost before this test fails.
const MARGIN: f64 = 1.0;

/// (profile, fixed-threshold score, tuned score) measured on the 44-file
/// corpus with the default detector.
const MEASURED: [(&str, f64, f64); 3] = [
    ("standard", 74.4, 75.3),
    ("reward_low_FP_rate", 64.7, 66.8),
    ("reward_low_FN_rate", 79.7, 80.3),
];

#[test]
fn nab_score_does_not_regress() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/nab");
    assert!(
        dir.join("labels/combined_windows.json").is_file(),
        "NAB corpus not found at {}: CI must provide shared/data/nab beside the clone",
        dir.display()
    );
    let report = evaluate(&dir, None, DEFAULT_THRESHOLD, DetectorConfig::default())
        .unwrap_or_else(|e| panic!("eval nab failed: {e:#}"));
    assert_eq!(report.windows, 83, "unexpected corpus: {} windows", report.windows);
    for (name, fixed, tuned) in MEASURED {
        let p = report.profile(name).unwrap_or_else(|| panic!("no profile {name}"));
        assert!(
            p.fixed.score >= fixed - MARGIN,
            "{name} at the fixed threshold: {:.2} < {fixed} - {MARGIN}",
            p.fixed.score
        );
        assert!(
            p.tuned.score >= tuned - MARGIN,
            "{name} at the tuned threshold: {:.2} < {tuned} - {MARGIN}",
            p.tuned.score
        );
    }
}
