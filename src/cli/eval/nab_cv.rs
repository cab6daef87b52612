//! `quell eval nab --cv`: leave-one-category-out cross-validation.
//!
//! The detector's settings are chosen by one procedure: among a small grid
//! of candidate settings, take the one with the best standard score at the
//! fixed live threshold on the training files (ties go to the earlier
//! candidate; the committed defaults come first). Each NAB category is left
//! out in turn: the settings are chosen on the other categories, then scored
//! on the left-out one, once at the fixed threshold and once at the
//! threshold tuned (per profile) on the training categories. The pooled
//! out-of-fold score sums the left-out files' raw NAB scores over all folds
//! and normalizes them over all windows, as NAB scores a corpus: it is an
//! estimate of the score on categories the procedure has never seen.
//!
//! A category without windows (artificialNoAnomaly) only costs false
//! positives: its fold has no normalized score of its own but counts in the
//! pooled one.

use std::collections::BTreeSet;

use anyhow::Context;
use serde::Serialize;

use super::corpus::Series;
use super::{ProfileScore, detector_scores, profile_score as score};
use crate::engine::anomaly::DetectorConfig;
use crate::engine::anomaly::nab::{self, Outcome, PROFILES, ScoredFile};

/// One candidate setting of the grid: overrides on the defaults.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// `key=value ...`, or `defaults`.
    pub label: String,
    pub cfg: DetectorConfig,
}

/// The built-in grid: whether each optional measure earns its place
/// (context novelty, the daily profile). Wider grids (rates, level counts,
/// the refractory period) were tried and each lowered the out-of-fold score:
/// their best values did not carry from one category to the next.
pub const DEFAULT_GRID: &[&str] = &["levels=0,8", "season_alpha=0,0.05"];

/// Builds the grid: the cartesian product of `key=v1,v2,...` axes over
/// `base`. The first value of each axis need not be the base's: the base
/// itself always comes first, so ties keep the committed defaults.
///
/// # Errors
/// A malformed axis, a value that is not a number or an unknown key.
pub fn grid(base: DetectorConfig, axes: &[String]) -> anyhow::Result<Vec<Candidate>> {
    let mut out = vec![Candidate { label: "defaults".into(), cfg: base }];
    let mut partial: Vec<(Vec<String>, DetectorConfig)> = vec![(Vec::new(), base)];
    for axis in axes {
        let (key, values) =
            axis.split_once('=').with_context(|| format!("--grid {axis}: expected key=v1,v2"))?;
        let mut next = Vec::new();
        for v in values.split(',') {
            let x: f64 = v.trim().parse().with_context(|| format!("--grid {axis}: {v:?}"))?;
            for (labels, cfg) in &partial {
                let mut cfg = *cfg;
                anyhow::ensure!(cfg.set(key, x), "--grid {axis}: unknown setting {key}");
                let mut labels = labels.clone();
                labels.push(format!("{key}={x}"));
                next.push((labels, cfg));
            }
        }
        partial = next;
    }
    for (labels, cfg) in partial {
        if cfg != base {
            out.push(Candidate { label: labels.join(" "), cfg });
        }
    }
    Ok(out)
}

/// One profile's out-of-fold result.
#[derive(Debug, Clone, Serialize)]
pub struct FoldProfile {
    pub profile: &'static str,
    /// At the fixed live threshold.
    pub fixed: ProfileScore,
    /// At the threshold tuned on the training categories.
    pub tuned: ProfileScore,
}

/// One left-out category.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    pub category: String,
    pub files: usize,
    pub windows: usize,
    /// The candidate chosen on the other categories.
    pub chosen: String,
    /// Its standard score (fixed threshold) on the training categories.
    pub train_score: f64,
    pub profiles: Vec<FoldProfile>,
    /// False positives per file-day at the fixed threshold.
    pub fp_per_day: f64,
}

/// The cross-validation report.
#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    pub candidates: usize,
    pub fixed_threshold: f64,
    pub folds: Vec<Fold>,
    /// Pooled over all left-out files.
    pub pooled: Vec<FoldProfile>,
    pub pooled_fp_per_day: f64,
    /// What the same procedure chooses on every category (in-sample).
    pub chosen_in_sample: String,
    pub in_sample_score: f64,
}

/// A file's category: the label key's folder.
fn category(s: &Series) -> &str {
    s.name.split_once('/').map_or("", |(c, _)| c)
}

fn sum(outs: impl Iterator<Item = Outcome>) -> Outcome {
    outs.fold(Outcome::default(), |mut a, o| {
        a.raw += o.raw;
        a.tp += o.tp;
        a.fn_ += o.fn_;
        a.fp += o.fp;
        a.windows += o.windows;
        a
    })
}

/// Runs leave-one-category-out cross-validation of the grid over `corpus`.
#[must_use]
pub fn cross_validate(corpus: &[Series], grid: &[Candidate], threshold: f64) -> CvReport {
    let cats: Vec<&str> = corpus.iter().map(category).collect();
    let names: BTreeSet<&str> = cats.iter().copied().collect();
    let days: Vec<f64> = corpus
        .iter()
        .map(|s| s.days_between(nab::probation_len(s.values.len()), s.values.len() - 1))
        .collect();
    // Standard outcome at the fixed threshold, per candidate and file: all
    // the selection needs (the files' scored rows are not kept).
    let std_profile = &PROFILES[0];
    let fixed: Vec<Vec<Outcome>> = grid
        .iter()
        .map(|c| {
            corpus
                .iter()
                .map(|s| {
                    let f = ScoredFile::new(&detector_scores(s, c.cfg), &s.windows);
                    f.outcome(threshold, std_profile)
                })
                .collect()
        })
        .collect();
    let choose = |train: &dyn Fn(usize) -> bool| -> (usize, f64) {
        let mut best = (0usize, f64::NEG_INFINITY);
        for (ci, outs) in fixed.iter().enumerate() {
            let o = sum(outs.iter().enumerate().filter(|(i, _)| train(*i)).map(|(_, o)| *o));
            let s = nab::normalized(o.raw, o.windows, std_profile);
            if s > best.1 {
                best = (ci, s);
            }
        }
        best
    };
    let mut folds = Vec::new();
    // Left-out files' outcomes per profile: (fixed, tuned).
    let mut pooled: Vec<(Vec<Outcome>, Vec<Outcome>)> = vec![(Vec::new(), Vec::new()); 3];
    let (mut fp_all, mut days_all) = (0usize, 0.0f64);
    for name in &names {
        let test = |i: usize| cats[i] == *name;
        let (ci, train_score) = choose(&|i| !test(i));
        let cfg = grid[ci].cfg;
        let files: Vec<(bool, ScoredFile)> = corpus
            .iter()
            .enumerate()
            .map(|(i, s)| (test(i), ScoredFile::new(&detector_scores(s, cfg), &s.windows)))
            .collect();
        let train: Vec<ScoredFile> =
            files.iter().filter(|(t, _)| !t).map(|(_, f)| f.clone()).collect();
        let held: Vec<&ScoredFile> = files.iter().filter(|(t, _)| *t).map(|(_, f)| f).collect();
        let mut profiles = Vec::new();
        for (pi, p) in PROFILES.iter().enumerate() {
            let (thr, _) = nab::tune_threshold(&train, p);
            let fx = sum(held.iter().map(|f| f.outcome(threshold, p)));
            let tu = sum(held.iter().map(|f| f.outcome(thr, p)));
            pooled[pi].0.push(fx);
            pooled[pi].1.push(tu);
            profiles.push(FoldProfile {
                profile: p.name,
                fixed: score(threshold, fx, p),
                tuned: score(thr, tu, p),
            });
        }
        let fp: usize = held.iter().map(|f| f.false_positives(threshold)).sum();
        let d: f64 = (0..corpus.len()).filter(|&i| test(i)).map(|i| days[i]).sum();
        fp_all += fp;
        days_all += d;
        folds.push(Fold {
            category: (*name).to_string(),
            files: held.len(),
            windows: held.iter().map(|f| f.windows()).sum(),
            chosen: grid[ci].label.clone(),
            train_score,
            profiles,
            fp_per_day: if d > 0.0 { fp as f64 / d } else { 0.0 },
        });
    }
    let pooled = PROFILES
        .iter()
        .zip(pooled)
        .map(|(p, (fx, tu))| {
            let (fx, tu) = (sum(fx.into_iter()), sum(tu.into_iter()));
            // Each fold has its own tuned threshold: none to show here.
            FoldProfile {
                profile: p.name,
                fixed: score(threshold, fx, p),
                tuned: score(f64::NAN, tu, p),
            }
        })
        .collect();
    let (ci, in_sample_score) = choose(&|_| true);
    CvReport {
        candidates: grid.len(),
        fixed_threshold: threshold,
        folds,
        pooled,
        pooled_fp_per_day: if days_all > 0.0 { fp_all as f64 / days_all } else { 0.0 },
        chosen_in_sample: grid[ci].label.clone(),
        in_sample_score,
    }
}
