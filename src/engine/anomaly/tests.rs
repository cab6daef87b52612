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
    // Without timestamps the warm-up is its sample count.
    let warm = DetectorConfig::default().warmup.samples as usize;
    let xs: Vec<f64> = (0..400).map(|i| if i == 40 { 1e6 } else { noise(i) }).collect();
    let s = scores(&xs);
    assert!(s[..warm].iter().all(|&v| v == 0.0));
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
fn a_step_in_a_smooth_series_is_flagged_as_a_step() {
    // A smooth wave with little noise: a jump of 3 is well inside its
    // range (so no spike), but five times its largest change from one
    // sample to the next. (The warm-up sees three full periods: a wave much
    // slower than the warm-up shows never-seen levels at its first peak.)
    let wave = |i: usize| 10.0 * (i as f64 * std::f64::consts::TAU / 100.0).sin() + 0.02 * noise(i);
    let mut d = Detector::default();
    let v: Vec<Verdict> =
        (0..2000).map(|i| d.observe(wave(i) + if i >= 1500 { 3.0 } else { 0.0 })).collect();
    let first = v.iter().position(|v| v.score >= DEFAULT_THRESHOLD);
    assert_eq!(first, Some(1500), "first alarm");
    assert_eq!(v[1500].kind, Kind::Step);
}

/// Deterministic, roughly Gaussian noise with sd 1: twelve hashed uniforms
/// (splitmix64 of the index; `noise` is too regular for a test of tails).
fn gauss(i: usize) -> f64 {
    (0..12u64)
        .map(|k| {
            let mut z = (i as u64 * 12 + k).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        })
        .sum::<f64>()
        - 6.0
}

#[test]
fn a_noise_burst_within_the_usual_range_raises_no_alarm() {
    // 3000 samples of noise, then 30 samples of 1.2 times the noise: the
    // burst's values stay inside what the series has already shown.
    let burst = 3000..3030;
    let series = |gain: f64| -> Vec<f64> {
        (0..4000).map(|i| 50.0 + gauss(i) * if burst.contains(&i) { gain } else { 1.0 }).collect()
    };
    let s = scores(&series(1.2));
    let during = (3000..3130).filter(|&i| s[i] >= DEFAULT_THRESHOLD).count();
    assert_eq!(during, 0, "{during} alarms in or after a burst of ordinary-sized noise");
    // Four times the noise leaves that range: an anomaly.
    let s = scores(&series(4.0));
    assert!(s[burst].iter().any(|&v| v >= DEFAULT_THRESHOLD), "a burst of far larger noise");
}

/// Alarms raised by the record measures (spike, shift, step) over `xs`.
fn record_alarms(cfg: DetectorConfig, xs: &[f64]) -> usize {
    let mut d = Detector::new(cfg);
    xs.iter()
        .map(|&x| d.observe(x))
        .filter(|v| v.score >= DEFAULT_THRESHOLD && v.kind != Kind::Context)
        .count()
}

#[test]
fn records_broken_by_gaussian_noise_are_not_anomalies() {
    // Unbounded noise keeps breaking its own records by chance (about ln n
    // times in n samples per measure). The tail test lets through only
    // 4-sigma events: about one in 16,000 samples of such noise.
    let xs: Vec<f64> = (0..20_000).map(|i| 50.0 + 2.0 * gauss(i)).collect();
    let tight = record_alarms(DetectorConfig::default(), &xs);
    let loose = record_alarms(DetectorConfig { tail_z: 0.0, ..DetectorConfig::default() }, &xs);
    assert!(tight <= 1, "{tight} alarms in Gaussian noise");
    assert!(loose >= 10, "without the tail test records of noise alarm ({loose})");
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
fn a_level_shown_during_warm_up_is_not_new_later() {
    // One burst of 10 while the range is learned, then 0/1 noise; the same
    // around 10^9 (a byte counter), where single precision alone would
    // blur the warm-up's values into one.
    for base in [0.0, 1e9] {
        let mut c = context::ContextNovelty::new(8.0, 32.0, 100);
        for i in 0..400 {
            c.update(base + if i == 50 { 10.0 } else { f64::from(i % 2) });
        }
        // The burst's level was seen (in warm-up): at most its short
        // patterns are new, not the level itself (which would score 1).
        let again = c.update(base + 10.0);
        assert!(again < 1.0, "a level seen in warm-up scored {again} (base {base})");
        c.update(base);
        // Halfway up was never visited: that level is new.
        assert!((c.update(base + 5.0) - 1.0).abs() < 1e-12, "a never-seen level (base {base})");
    }
}

#[test]
fn a_burst_height_from_warm_up_is_no_new_level_when_it_returns() {
    // Noise around 10 with a short burst to 20 while the context range is
    // learned (samples 100-102), and the same burst much later. Records
    // that never decay keep the early burst as the spike record, so only a
    // context alarm (a "never-seen level") could flag its return; the level
    // was seen.
    let burst = |i: usize| (100..103).contains(&i) || (2500..2503).contains(&i);
    let mut d = Detector::new(DetectorConfig { record_decay: 1.0, ..DetectorConfig::default() });
    let v: Vec<Verdict> =
        (0..3000).map(|i| d.observe(if burst(i) { 20.0 } else { 10.0 + noise(i) })).collect();
    let late: Vec<(usize, Kind)> =
        (2400..3000).filter(|&i| v[i].score >= DEFAULT_THRESHOLD).map(|i| (i, v[i].kind)).collect();
    assert!(late.is_empty(), "alarms {late:?} for a burst the series showed in warm-up");
    // A burst to a height never shown is a new level.
    let mut d = Detector::new(DetectorConfig { record_decay: 1.0, ..DetectorConfig::default() });
    let v: Vec<Verdict> = (0..3000)
        .map(|i| d.observe(if (2500..2503).contains(&i) { 20.0 } else { 10.0 + noise(i) }))
        .collect();
    assert!(v[2500].score >= DEFAULT_THRESHOLD, "a never-seen burst scored {:?}", v[2500]);
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

/// Five-minute samples: 288 a day.
const STEP_MS: i64 = 300_000;
const DAY: usize = 288;

/// Daytime (06:00 to 18:00) rise of up to 10.
const RISE: std::ops::Range<usize> = 72..216;

/// A quiet series with a rise every day, except on `skip_day`.
fn daily_rise(days: usize, skip_day: usize) -> Vec<f64> {
    (0..days * DAY)
        .map(|i| {
            let (day, phase) = (i / DAY, i % DAY);
            let rise = if RISE.contains(&phase) && day != skip_day {
                10.0 * (std::f64::consts::PI * (phase - RISE.start) as f64 / 144.0).sin()
            } else {
                0.0
            };
            10.0 + noise(i) + rise
        })
        .collect()
}

#[test]
fn a_missing_daily_rise_is_flagged_by_the_seasonal_measure() {
    let xs = daily_rise(12, 9);
    let mut d = Detector::default();
    let v: Vec<Verdict> =
        xs.iter().enumerate().map(|(i, &x)| d.observe_at(i as i64 * STEP_MS, x)).collect();
    let alarm = |r: std::ops::Range<usize>| {
        r.clone().find(|&i| v[i].score >= DEFAULT_THRESHOLD).map(|i| (i, v[i].kind))
    };
    // The rise should come on day 9 and does not.
    let missing = alarm(9 * DAY + RISE.start..9 * DAY + RISE.end);
    assert!(matches!(missing, Some((_, Kind::Season))), "missing rise: {missing:?}");
    // The ordinary days before it (after the profile has learned) are quiet.
    let before = (5 * DAY..9 * DAY).filter(|&i| v[i].score >= DEFAULT_THRESHOLD).count();
    assert_eq!(before, 0, "{before} alarms on ordinary days");
    // Without timestamps the same series shows nothing at the missing rise.
    let s = scores(&xs);
    let blind =
        (9 * DAY + RISE.start..9 * DAY + RISE.end).filter(|&i| s[i] >= DEFAULT_THRESHOLD).count();
    assert_eq!(blind, 0, "the value-only measures should not see an absent rise");
}

#[test]
fn the_seasonal_measure_stays_silent_without_a_daily_pattern() {
    let mut d = Detector::default();
    for i in 0..12 * DAY {
        d.observe_at(i as i64 * STEP_MS, 10.0 + noise(i));
    }
    let p = d.season.as_deref().expect("seasonal profile on by default");
    // Plain noise: the profile explains nothing, so it never scores.
    let mut q = p.clone();
    assert!(q.update(12 * DAY as i64 * STEP_MS, 30.0, 0.3, 3, 2.0).is_none());
}

#[test]
fn nab_timestamps_parse_to_unix_milliseconds() {
    assert_eq!(nab::timestamp_ms("1970-01-01 00:00:00"), Some(0));
    assert_eq!(nab::timestamp_ms("2014-04-10 07:15:00"), Some(1_397_114_100_000));
    assert_eq!(nab::timestamp_ms("2000-03-01 00:00:01"), Some(951_868_801_000));
    assert_eq!(nab::timestamp_ms("not a time"), None);
    assert_eq!(
        season::DailyProfile::phase(nab::timestamp_ms("2014-04-10 07:15:00").unwrap_or(0)),
        14
    );
}

/// The same behaviour in time sampled every `step_ms`: noise, then at
/// minute 150 a level 12 noise widths up. Returns (minute the detector
/// first scores anything, minute of its first alarm, alarms).
fn in_time(step_ms: i64) -> (f64, Option<f64>, usize) {
    let mut d = Detector::default();
    let per_min = 60_000 / step_ms;
    let mut first_scored = None;
    let mut first_alarm = None;
    let mut alarms = 0;
    for i in 0..(240 * per_min) {
        let ts = 1_700_000_000_000 + i * step_ms;
        let minute = (i * step_ms) as f64 / 60_000.0;
        let x = 100.0 + noise(i as usize) + if minute >= 150.0 { 12.0 } else { 0.0 };
        let v = d.observe_at(ts, x);
        // A sample is scored once the detector is past its warm-up.
        if first_scored.is_none() && i >= i64::from(d.warmup_samples()) {
            first_scored = Some(minute);
        }
        if v.score >= DEFAULT_THRESHOLD {
            alarms += 1;
            first_alarm = first_alarm.or(Some(minute));
        }
    }
    (first_scored.unwrap_or(f64::INFINITY), first_alarm, alarms)
}

#[test]
fn a_one_minute_and_a_15_second_series_warm_up_and_alarm_in_the_same_minutes() {
    let (warm_fast, alarm_fast, n_fast) = in_time(15_000);
    let (warm_slow, alarm_slow, n_slow) = in_time(60_000);
    // Warm-up is an hour of either (240 and 60 samples).
    assert!((warm_fast - 60.0).abs() < 0.1, "15 s series scored from minute {warm_fast}");
    assert!((warm_slow - 60.0).abs() < 0.1, "1 min series scored from minute {warm_slow}");
    // The shift is flagged within its first minute at either rate.
    for (alarm, what) in [(alarm_fast, "15 s"), (alarm_slow, "1 min")] {
        assert!(
            alarm.is_some_and(|m| (150.0..151.0).contains(&m)),
            "{what}: first alarm {alarm:?}"
        );
    }
    // One anomaly, a handful of alarms at most at either rate.
    assert!(n_fast <= 3 && n_slow <= 3, "alarms: {n_fast} at 15 s, {n_slow} at 1 min");
}

#[test]
fn without_its_interval_a_series_counts_samples_as_before() {
    let d = Detector::default();
    assert_eq!(d.interval_ms(), None);
    assert_eq!(d.warmup_samples(), 60);
    let mut d = Detector::default();
    for i in 0..5 {
        d.observe_at(i * 60_000, 1.0);
    }
    assert_eq!(d.interval_ms(), Some(60_000));
    assert_eq!(d.warmup_samples(), 60);
    let mut d = Detector::default();
    for i in 0..5 {
        d.observe_at(i * 15_000, 1.0);
    }
    assert_eq!(d.warmup_samples(), 240);
}
