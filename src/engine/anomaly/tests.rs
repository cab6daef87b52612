//! Detector behaviour on small synthetic streams.

use super::*;

/// Deterministic noise in [-0.5, 0.5).
fn noise(i: usize) -> f64 {
    let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11;
    h as f64 / (1u64 << 53) as f64 - 0.5
}

fn scores(xs: &[f64]) -> Vec<f64> {
    let mut d = Detector::default();
    xs.iter().map(|&x| d.update(x)).collect()
}

#[test]
fn warm_up_scores_nothing() {
    let xs: Vec<f64> = (0..400).map(|i| if i == 100 { 1e6 } else { noise(i) }).collect();
    let s = scores(&xs);
    assert!(s[..WARMUP as usize].iter().all(|&v| v == 0.0));
}

#[test]
fn scores_stay_in_unit_interval() {
    let xs: Vec<f64> = (0..3000).map(|i| noise(i) * if i % 500 == 0 { 1e9 } else { 1.0 }).collect();
    assert!(scores(&xs).iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn a_spike_after_quiet_noise_is_flagged_once() {
    let mut xs: Vec<f64> = (0..2000).map(|i| 10.0 + noise(i)).collect();
    xs[1500] = 30.0;
    let s = scores(&xs);
    assert!(s[1500] >= DEFAULT_THRESHOLD, "spike scored {}", s[1500]);
    let alarms = s.iter().filter(|&&v| v >= DEFAULT_THRESHOLD).count();
    assert!(alarms <= 2, "{alarms} alarms for one spike");
}

#[test]
fn a_level_shift_is_flagged_near_its_onset() {
    let xs: Vec<f64> = (0..2000).map(|i| noise(i) + if i >= 1200 { 5.0 } else { 0.0 }).collect();
    let s = scores(&xs);
    let first = s.iter().position(|&v| v >= DEFAULT_THRESHOLD);
    assert!(first.is_some_and(|i| (1200..1210).contains(&i)), "first alarm at {first:?}");
}

#[test]
fn steady_noise_raises_few_alarms() {
    let xs: Vec<f64> = (0..5000).map(|i| 100.0 + 3.0 * noise(i)).collect();
    let alarms = scores(&xs).iter().filter(|&&v| v >= DEFAULT_THRESHOLD).count();
    // Records in pure noise get broken ever more rarely (≈ ln n times).
    assert!(alarms <= 5, "{alarms} alarms in plain noise");
}

#[test]
fn non_finite_samples_are_ignored() {
    let mut d = Detector::default();
    for i in 0..500 {
        d.update(noise(i));
    }
    let before = d.clone();
    assert_eq!(d.update(f64::NAN), 0.0);
    assert_eq!(d.update(f64::INFINITY), 0.0);
    assert_eq!(d, before);
}

#[test]
fn a_never_seen_level_is_novel_context() {
    let mut c = context::ContextNovelty::new(10.0, 4.0, 100);
    // A square wave between 0 and 1 teaches two levels.
    for i in 0..600 {
        c.update(if (i / 20) % 2 == 0 { 0.0 } else { 1.0 });
    }
    assert_eq!(c.update(0.0), 0.0);
    assert!((c.update(0.5) - 1.0).abs() < 1e-12, "a mid level was seen before");
}

#[test]
fn nothing_is_reported_in_the_refractory_period() {
    let mut xs: Vec<f64> = (0..2000).map(|i| 10.0 + noise(i)).collect();
    xs[1500] = 30.0;
    xs[1510] = 60.0;
    let s = scores(&xs);
    assert!(s[1500] >= DEFAULT_THRESHOLD, "first spike scored {}", s[1500]);
    assert_eq!(s[1510], 0.0, "a larger spike 10 samples later is still in the refractory period");
    let mut lone = xs.clone();
    lone[1500] = 10.0;
    assert!(scores(&lone)[1510] >= DEFAULT_THRESHOLD, "the second spike alone is an anomaly");
}

#[test]
fn a_quiet_stretch_does_not_make_the_usual_bursts_records() {
    // Bursts of the same height every 250 samples; between them the series
    // is flat, so its robust scale shrinks towards nothing.
    let xs: Vec<f64> =
        (0..6000).map(|i| if i % 250 < 3 { 50.0 } else { 10.0 + 1e-3 * noise(i) }).collect();
    let s = scores(&xs);
    let late = s[2000..].iter().filter(|&&v| v >= DEFAULT_THRESHOLD).count();
    assert_eq!(late, 0, "{late} alarms for bursts the series has always had");
}
