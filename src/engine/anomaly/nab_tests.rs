//! Hand-computed NAB scoring cases: 100-row files (probation = 15 rows) with
//! one window on rows 40..=49 (width 10).

use super::*;

const STD: Profile = PROFILES[0];
const LOW_FP: Profile = PROFILES[1];
const LOW_FN: Profile = PROFILES[2];
const W: Window = Window { left: 40, right: 49 };

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Scores with detections (score 1) at the given rows, 0 elsewhere.
fn file(detections: &[usize]) -> ScoredFile {
    let mut s = vec![0.0; 100];
    for &d in detections {
        s[d] = 1.0;
    }
    ScoredFile::new(&s, &[W])
}

#[test]
fn sigmoid_values() {
    // 2·sigmoid(5) − 1, 2·sigmoid(0) − 1, and the cap.
    assert!((scaled_sigmoid(-1.0) - 0.986_614_298_151_430_5).abs() < 1e-12);
    assert!(close(scaled_sigmoid(0.0), 0.0));
    assert!(close(scaled_sigmoid(3.0), -1.0));
    assert!(close(scaled_sigmoid(7.5), -1.0));
}

#[test]
fn probation_is_fifteen_percent_capped_at_750() {
    assert_eq!(probation_len(100), 15);
    assert_eq!(probation_len(4033), 604);
    assert_eq!(probation_len(15903), 750);
}

#[test]
fn detection_at_left_edge_scores_exactly_tp() {
    let o = file(&[40]).outcome(0.5, &STD);
    assert!(close(o.raw, 1.0), "{o:?}");
    assert_eq!((o.tp, o.fn_, o.fp, o.windows), (1, 0, 0, 1));
}

#[test]
fn only_the_earliest_detection_in_a_window_counts() {
    // Row 45: pos = -(49 - 45 + 1)/10 = -0.5 → σ̃(-0.5)/σ̃(-1) = 0.859793.
    let o = file(&[45, 46, 49]).outcome(0.5, &STD);
    assert!((o.raw - 0.859_792_566_909_783_7).abs() < 1e-12, "{o:?}");
    assert_eq!(o.fp, 0);
    // Right edge: pos = -0.1 → 0.248242.
    let o = file(&[49]).outcome(0.5, &STD);
    assert!((o.raw - 0.248_241_549_775_429_9).abs() < 1e-12, "{o:?}");
}

#[test]
fn missed_window_costs_fn_weight() {
    assert!(close(file(&[]).outcome(0.5, &STD).raw, -1.0));
    assert!(close(file(&[]).outcome(0.5, &LOW_FN).raw, -2.0));
}

#[test]
fn false_positives_before_and_after_a_window() {
    // Before any window: −A_FP. Row 59: x = (59 − 49)/9 → σ̃ = −0.992298.
    let o = file(&[20, 40, 59]).outcome(0.5, &STD);
    let want = 1.0 - 0.11 - 0.11 * 0.992_297_935_288_139_5;
    assert!((o.raw - want).abs() < 1e-12, "{o:?}");
    assert_eq!(o.fp, 2);
    let o = file(&[20]).outcome(0.5, &LOW_FP);
    assert!(close(o.raw, -1.0 - 0.22));
    // Right after the window the distance is small, so the cost is too:
    // row 50: x = 1/9 → σ̃ = 2/(1 + e^{5/9}) − 1 = −0.270847.
    let o = file(&[50]).outcome(0.5, &STD);
    assert!((o.raw - (-1.0 - 0.11 * 0.270_847_118_5)).abs() < 1e-9, "{o:?}");
}

#[test]
fn probation_rows_are_not_scored() {
    let o = file(&[3, 14]).outcome(0.5, &STD);
    assert_eq!(o.fp, 0);
    assert!(close(o.raw, -1.0));
    // A window wholly inside probation does not count at all.
    let f = ScoredFile::new(&[0.0; 100], &[Window { left: 2, right: 9 }]);
    assert_eq!(f.windows(), 0);
    assert!(close(f.outcome(0.5, &STD).raw, 0.0));
}

#[test]
fn a_row_is_a_detection_when_score_reaches_threshold() {
    let mut s = vec![0.0; 100];
    s[40] = 0.7;
    let f = ScoredFile::new(&s, &[W]);
    assert_eq!(f.outcome(0.7, &STD).tp, 1);
    assert_eq!(f.outcome(0.700_001, &STD).tp, 0);
}

#[test]
fn normalization_maps_null_to_zero_and_perfect_to_hundred() {
    assert!(close(normalized(-3.0, 3, &STD), 0.0));
    assert!(close(normalized(3.0, 3, &STD), 100.0));
    assert!(close(normalized(0.0, 2, &LOW_FN), 100.0 * 4.0 / 6.0));
}

#[test]
fn tuning_finds_the_best_threshold_over_the_corpus() {
    // File a: an early in-window row at 0.6, an FP at 0.9.
    // File b: an FP at 0.8 and an in-window row at 0.3.
    let mut a = vec![0.0; 100];
    a[41] = 0.6;
    a[70] = 0.9;
    let mut b = vec![0.0; 100];
    b[20] = 0.8;
    b[45] = 0.3;
    let files = [ScoredFile::new(&a, &[W]), ScoredFile::new(&b, &[W])];
    let (thr, o) = tune_threshold(&files, &STD);
    // Brute force over every candidate threshold agrees.
    let best = [1.1, 0.9, 0.8, 0.6, 0.3, 0.0]
        .iter()
        .map(|&t| corpus_outcome(&files, t, &STD).raw)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(close(o.raw, best), "{thr} {o:?} {best}");
    assert!(close(thr, 0.3), "{thr}");
    assert_eq!((o.tp, o.fp), (2, 2));
}
