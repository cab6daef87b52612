//! The NAB score must not regress: runs `quell eval nab` on the corpus that
//! CI keeps beside the clone (`../shared/data/nab`) and checks every profile
//! against the scores measured when the detector was last tuned, minus a
//! small margin. A missing corpus fails loudly: a silent skip would let a
//! regression through.

use std::path::PathBuf;

use quell::cli::eval::nab::{corpus, cv, evaluate};
use quell::engine::anomaly::{DEFAULT_THRESHOLD, DetectorConfig};

/// Points of normalized score a change may cost before this test fails.
const MARGIN: f64 = 1.0;

/// (profile, fixed-threshold score, tuned score) measured on the 44-file
/// corpus with the default detector.
const MEASURED: [(&str, f64, f64); 3] = [
    ("standard", 75.12, 75.81),
    ("reward_low_FP_rate", 68.42, 69.90),
    ("reward_low_FN_rate", 79.40, 79.86),
];

/// (profile, fixed, tuned) pooled out of fold by leave-one-category-out
/// cross-validation of the default grid: the headline estimate.
const MEASURED_CV: [(&str, f64, f64); 3] = [
    ("standard", 75.12, 75.64),
    ("reward_low_FP_rate", 68.42, 69.80),
    ("reward_low_FN_rate", 79.40, 79.74),
];

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/nab");
    assert!(
        dir.join("labels/combined_windows.json").is_file(),
        "NAB corpus not found at {}: CI must provide shared/data/nab beside the clone",
        dir.display()
    );
    dir
}

#[test]
fn nab_leave_one_category_out_does_not_regress() {
    let files = corpus::load(&corpus_dir()).unwrap_or_else(|e| panic!("loading NAB: {e:#}"));
    let axes: Vec<String> = cv::DEFAULT_GRID.iter().map(|s| (*s).to_string()).collect();
    let grid = cv::grid(DetectorConfig::default(), &axes).unwrap_or_else(|e| panic!("{e:#}"));
    let r = cv::cross_validate(&files, &grid, DEFAULT_THRESHOLD);
    assert_eq!(r.folds.len(), 5, "one fold per category");
    assert_eq!(r.folds.iter().map(|f| f.windows).sum::<usize>(), 83);
    for (name, fixed, tuned) in MEASURED_CV {
        let p = r.pooled.iter().find(|p| p.profile == name);
        let p = p.unwrap_or_else(|| panic!("no profile {name}"));
        assert!(p.fixed.score >= fixed - MARGIN, "{name} out of fold, fixed: {:.2}", p.fixed.score);
        assert!(p.tuned.score >= tuned - MARGIN, "{name} out of fold, tuned: {:.2}", p.tuned.score);
    }
    // The committed defaults are what the same procedure picks on all data.
    assert_eq!(r.chosen_in_sample, "defaults");
}

#[test]
fn nab_score_does_not_regress() {
    let dir = corpus_dir();
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
