//! The Numenta Anomaly Benchmark scorer, reimplemented from NAB's whitepaper
//! and the documented behaviour of its `sweeper.py`.
//!
//! Works on row indices only: the caller maps label windows (timestamps) to
//! rows. Owns no I/O and knows nothing about detectors.
//!
//! - The first `min(floor(15% of rows), 750)` rows are probation: never scored,
//!   and a window lying wholly inside it does not count.
//! - A row is a detection when its anomaly score is ≥ the threshold.
//! - A window's score is its earliest detection's `A_TP · σ̃(pos) / σ̃(-1)`
//!   with `pos = -(right - i + 1) / width`, or `-A_FN` without one.
//! - A detection outside windows adds `A_FP · σ̃(|i - prev_right| / (prev_width - 1))`
//!   (`σ̃(3) = -1` before any window), where `σ̃(x) = 2·sigmoid(-5x) - 1`.

/// Milliseconds since the Unix epoch of a NAB timestamp
/// (`YYYY-MM-DD HH:MM:SS`, UTC); `None` when it does not parse.
#[must_use]
pub fn timestamp_ms(text: &str) -> Option<i64> {
    let t = text.as_bytes();
    if t.len() < 19 || t[4] != b'-' || t[7] != b'-' || t[13] != b':' || t[16] != b':' {
        return None;
    }
    let num = |a: usize, b: usize| text.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), March-based years.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
}

/// A NAB cost profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
}

/// standard, reward_low_FP_rate, reward_low_FN_rate, as NAB defines them.
pub const PROFILES: [Profile; 3] = [
    Profile { name: "standard", tp: 1.0, fp: 0.11, fn_: 1.0 },
    Profile { name: "reward_low_FP_rate", tp: 1.0, fp: 0.22, fn_: 1.0 },
    Profile { name: "reward_low_FN_rate", tp: 1.0, fp: 0.11, fn_: 2.0 },
];

/// A labelled window as inclusive row indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub left: usize,
    pub right: usize,
}

/// NAB's scaled sigmoid: ≈ +1 at a window's left edge, 0 at its right edge,
/// → -1 far past it.
#[must_use]
pub fn scaled_sigmoid(x: f64) -> f64 {
    if x >= 3.0 { -1.0 } else { 2.0 / (1.0 + (5.0 * x).exp()) - 1.0 }
}

/// Rows never scored at the start of a file of `rows` rows.
#[must_use]
pub fn probation_len(rows: usize) -> usize {
    // NAB: min(floor(0.15 · n), 0.15 · 5000).
    (rows * 15 / 100).min(750)
}

/// Where a scorable row lies, and its unweighted sweep score.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// Inside window `w`; the value is already divided by σ̃(-1).
    In { w: usize, tp_unit: f64 },
    /// Outside all windows; the value is σ̃ of the distance (≤ 0).
    Out { fp_unit: f64 },
}

/// One file prepared for scoring: its anomaly scores and each scorable
/// row's place.
#[derive(Debug, Clone)]
pub struct ScoredFile {
    rows: Vec<(f64, Place)>,
    /// Windows with at least one scorable row.
    windows: usize,
    window_ids: Vec<usize>,
    /// All windows of the file, scorable or not.
    all_windows: usize,
}

/// Counts and score of one file (or corpus) at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    pub raw: f64,
    pub tp: usize,
    pub fn_: usize,
    pub fp: usize,
    pub windows: usize,
}

impl ScoredFile {
    /// `scores[i]` is row `i`'s anomaly score; windows must be sorted and
    /// disjoint.
    #[must_use]
    pub fn new(scores: &[f64], windows: &[Window]) -> Self {
        let max_tp = scaled_sigmoid(-1.0);
        let probation = probation_len(scores.len());
        let mut rows = Vec::with_capacity(scores.len().saturating_sub(probation));
        let mut prev: Option<Window> = None;
        let mut next = 0usize;
        let mut seen = vec![false; windows.len()];
        for (i, &s) in scores.iter().enumerate() {
            while next < windows.len() && windows[next].right < i {
                prev = Some(windows[next]);
                next += 1;
            }
            let place = match windows.get(next) {
                Some(w) if w.left <= i => {
                    let width = (w.right - w.left + 1) as f64;
                    let pos = -((w.right - i + 1) as f64) / width;
                    Place::In { w: next, tp_unit: scaled_sigmoid(pos) / max_tp }
                }
                _ => {
                    let x = prev.map_or(3.0, |p| {
                        // A one-row window would make NAB divide by zero;
                        // treat what follows it as far away.
                        let w = (p.right - p.left) as f64;
                        if w > 0.0 { (i - p.right) as f64 / w } else { 3.0 }
                    });
                    Place::Out { fp_unit: scaled_sigmoid(x) }
                }
            };
            if i >= probation {
                if let Place::In { w, .. } = place {
                    seen[w] = true;
                }
                rows.push((s, place));
            }
        }
        let window_ids: Vec<usize> = (0..windows.len()).filter(|&w| seen[w]).collect();
        Self { rows, windows: window_ids.len(), window_ids, all_windows: windows.len() }
    }

    /// Windows that count for this file.
    #[must_use]
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// Score at a threshold under a profile.
    #[must_use]
    pub fn outcome(&self, threshold: f64, p: &Profile) -> Outcome {
        let mut best: Vec<Option<f64>> = vec![None; self.all_windows];
        let mut fp_sum = 0.0;
        let mut fp = 0;
        for &(s, place) in &self.rows {
            if s < threshold {
                continue;
            }
            match place {
                Place::In { w, tp_unit } => {
                    let v = p.tp * tp_unit;
                    best[w] = Some(best[w].map_or(v, |b: f64| b.max(v)));
                }
                Place::Out { fp_unit } => {
                    fp += 1;
                    fp_sum += p.fp * fp_unit;
                }
            }
        }
        let mut raw = fp_sum;
        let mut tp = 0;
        for &w in &self.window_ids {
            match best[w] {
                // NAB keeps max(-A_FN, detection): a detection at the very
                // right edge can never score below a miss.
                Some(v) => {
                    tp += 1;
                    raw += v.max(-p.fn_);
                }
                None => raw -= p.fn_,
            }
        }
        Outcome { raw, tp, fn_: self.windows - tp, fp, windows: self.windows }
    }

    /// Scorable rows outside windows that are detections at `threshold`.
    #[must_use]
    pub fn false_positives(&self, threshold: f64) -> usize {
        self.rows.iter().filter(|(s, p)| *s >= threshold && matches!(p, Place::Out { .. })).count()
    }
}

/// Normalized NAB score: 100 · (raw − null) / (perfect − null).
#[must_use]
pub fn normalized(raw: f64, windows: usize, p: &Profile) -> f64 {
    let null = -p.fn_ * windows as f64;
    let perfect = p.tp * windows as f64;
    if perfect - null <= 0.0 { 0.0 } else { 100.0 * (raw - null) / (perfect - null) }
}

/// Sum of outcomes over a corpus at one threshold.
#[must_use]
pub fn corpus_outcome(files: &[ScoredFile], threshold: f64, p: &Profile) -> Outcome {
    let mut total = Outcome::default();
    for f in files {
        let o = f.outcome(threshold, p);
        total.raw += o.raw;
        total.tp += o.tp;
        total.fn_ += o.fn_;
        total.fp += o.fp;
        total.windows += o.windows;
    }
    total
}

/// The corpus-wide threshold with the best raw score under `p`, and that
/// score. NAB searches with a local hill climb from 0.5; this sweeps every
/// distinct score, so it finds the global optimum (never worse than NAB's).
#[must_use]
pub fn tune_threshold(files: &[ScoredFile], p: &Profile) -> (f64, Outcome) {
    // Every scorable row of the corpus, highest score first.
    let mut pts: Vec<(f64, usize, Place)> = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        pts.extend(f.rows.iter().map(|&(s, pl)| (s, fi, pl)));
    }
    pts.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Each window's current best part, starting as a miss (as in NAB).
    let mut best: Vec<Vec<f64>> = files.iter().map(|f| vec![-p.fn_; f.all_windows]).collect();
    let windows: usize = files.iter().map(|f| f.windows).sum();
    let mut raw = -p.fn_ * windows as f64;
    let mut best_thr = f64::INFINITY;
    let mut best_raw = raw;
    let mut i = 0;
    while i < pts.len() {
        let thr = pts[i].0;
        while i < pts.len() && pts[i].0 == thr {
            let (_, fi, place) = pts[i];
            match place {
                Place::In { w, tp_unit } => {
                    let v = p.tp * tp_unit;
                    let cur = &mut best[fi][w];
                    if v > *cur {
                        raw += v - *cur;
                        *cur = v;
                    }
                }
                Place::Out { fp_unit } => raw += p.fp * fp_unit,
            }
            i += 1;
        }
        if raw > best_raw {
            best_raw = raw;
            best_thr = thr;
        }
    }
    (best_thr, corpus_outcome(files, best_thr, p))
}

#[cfg(test)]
#[path = "nab_tests.rs"]
mod tests;
