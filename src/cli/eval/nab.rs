//! `quell eval nab`: score the streaming anomaly detectors on a corpus in
//! NAB layout, exactly as NAB scores (see `engine::anomaly::nab`).
//!
//! Each file is fed to a fresh [`Detector`] one row at a time, as a live
//! series would be. Results go to `RESULTS/quell/<category>/quell_<file>.csv`
//! in NAB's results format; scores are printed at the fixed operating
//! threshold and at NAB's corpus-wide tuned threshold.

#[path = "nab_corpus.rs"]
pub mod corpus;
#[path = "nab_cv.rs"]
pub mod cv;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::engine::anomaly::nab::{self, Outcome, PROFILES, ScoredFile};
use crate::engine::anomaly::{DEFAULT_THRESHOLD, Detector, DetectorConfig};

#[derive(Debug, Args)]
pub struct NabArgs {
    /// Corpus directory with `data/` and `labels/combined_windows.json`.
    pub dir: PathBuf,
    /// Write per-row results under `RESULTS/quell/`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Operating threshold (default: the detector's fixed one).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Override a detector setting for experiments, e.g. `--set refractory=40`
    /// (slow_alpha, fast_alpha, record_decay, hold_decay, levels,
    /// context_weight, context_clamp, context_gate, season_alpha,
    /// season_days, season_explain, tail_z; the lengths warmup, settle,
    /// context_warmup, season_warmup, refractory in samples and with `_min`
    /// in minutes; slow_memory_min, fast_memory_min, record_memory_min,
    /// hold_memory_min).
    #[arg(long, hide = true)]
    pub set: Vec<String>,
    /// Leave-one-category-out cross-validation: settings chosen on the other
    /// categories from a small grid, scored on the one left out.
    #[arg(long)]
    pub cv: bool,
    /// Replace the cross-validation grid, one axis per flag, e.g.
    /// `--grid levels=0,8 --grid refractory=15,25`.
    #[arg(long, hide = true)]
    pub grid: Vec<String>,
}

/// Applies `key=value` overrides to a detector configuration.
///
/// # Errors
/// An unknown key or a value that is not a number.
pub fn apply_settings(cfg: &mut DetectorConfig, sets: &[String]) -> anyhow::Result<()> {
    for s in sets {
        let (k, v) = s.split_once('=').with_context(|| format!("--set {s}: expected key=value"))?;
        let v: f64 = v.parse().with_context(|| format!("--set {s}: not a number"))?;
        if !cfg.set(k, v) {
            anyhow::bail!("--set {s}: unknown setting {k}");
        }
    }
    Ok(())
}

/// Score of one profile at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileScore {
    pub threshold: f64,
    pub score: f64,
    pub raw: f64,
    pub tp: usize,
    pub fn_: usize,
    pub fp: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    pub profile: &'static str,
    pub fixed: ProfileScore,
    pub tuned: ProfileScore,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub windows: usize,
    pub detected: usize,
    pub false_positives: usize,
    pub fp_per_day: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub files: usize,
    pub windows: usize,
    pub rows: usize,
    pub fixed_threshold: f64,
    pub profiles: Vec<ProfileReport>,
    /// False positives per file per day at the fixed threshold, over the
    /// scored part of every file.
    pub fp_per_file_per_day: f64,
    pub per_file: Vec<FileReport>,
}

impl Report {
    /// The named profile's scores.
    #[must_use]
    pub fn profile(&self, name: &str) -> Option<&ProfileReport> {
        self.profiles.iter().find(|p| p.profile == name)
    }
}

/// A profile's normalized score and counts at one threshold.
pub(super) fn profile_score(threshold: f64, o: Outcome, p: &nab::Profile) -> ProfileScore {
    ProfileScore {
        threshold,
        score: nab::normalized(o.raw, o.windows, p),
        raw: o.raw,
        tp: o.tp,
        fn_: o.fn_,
        fp: o.fp,
    }
}

/// One fresh detector's score for every row of a series, fed in order with
/// each row's timestamp (without one when it does not parse).
#[must_use]
pub fn detector_scores(s: &corpus::Series, cfg: DetectorConfig) -> Vec<f64> {
    let mut det = Detector::new(cfg);
    (s.timestamps.iter().zip(&s.values))
        .map(|(t, &v)| match nab::timestamp_ms(t) {
            Some(ms) => det.observe_at(ms, v).score,
            None => det.update(v),
        })
        .collect()
}

/// Runs the detectors over every labelled file under `dir` and scores them.
///
/// # Errors
/// Unreadable corpus or results directory.
pub fn evaluate(
    dir: &Path,
    out: Option<&Path>,
    threshold: f64,
    cfg: DetectorConfig,
) -> anyhow::Result<Report> {
    let corpus = corpus::load(dir)?;
    let mut files = Vec::with_capacity(corpus.len());
    let mut per_file = Vec::with_capacity(corpus.len());
    let (mut fp_total, mut days_total, mut rows) = (0usize, 0.0f64, 0usize);
    for s in &corpus {
        let scores = detector_scores(s, cfg);
        if let Some(out) = out {
            write_results(out, s, &scores)?;
        }
        let f = ScoredFile::new(&scores, &s.windows);
        let o = f.outcome(threshold, &PROFILES[0]);
        let days = s.days_between(nab::probation_len(s.values.len()), s.values.len() - 1);
        fp_total += o.fp;
        days_total += days;
        rows += s.values.len();
        per_file.push(FileReport {
            file: s.name.clone(),
            windows: o.windows,
            detected: o.tp,
            false_positives: o.fp,
            fp_per_day: if days > 0.0 { o.fp as f64 / days } else { 0.0 },
        });
        files.push(f);
    }
    let profiles = PROFILES
        .iter()
        .map(|p| {
            let fixed = nab::corpus_outcome(&files, threshold, p);
            let (t, tuned) = nab::tune_threshold(&files, p);
            ProfileReport {
                profile: p.name,
                fixed: profile_score(threshold, fixed, p),
                tuned: profile_score(t, tuned, p),
            }
        })
        .collect();
    Ok(Report {
        files: files.len(),
        windows: files.iter().map(ScoredFile::windows).sum(),
        rows,
        fixed_threshold: threshold,
        profiles,
        fp_per_file_per_day: if days_total > 0.0 { fp_total as f64 / days_total } else { 0.0 },
        per_file,
    })
}

/// `RESULTS/quell/<category>/quell_<file>.csv`: `timestamp,value,anomaly_score,label`.
fn write_results(out: &Path, s: &corpus::Series, scores: &[f64]) -> anyhow::Result<()> {
    let (category, file) = s.name.rsplit_once('/').unwrap_or(("", s.name.as_str()));
    let dir = out.join("quell").join(category);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("quell_{file}"));
    let mut text = String::with_capacity(s.values.len() * 40);
    text.push_str("timestamp,value,anomaly_score,label\n");
    for (i, ((t, v), a)) in s.timestamps.iter().zip(&s.values).zip(scores).enumerate() {
        let label = u8::from(s.in_window(i));
        text.push_str(&format!("{t},{v},{a:.6},{label}\n"));
    }
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// # Errors
/// Unreadable corpus, unwritable results, or a closed stdout.
pub fn run(args: &NabArgs) -> anyhow::Result<()> {
    let threshold = args.threshold.unwrap_or(DEFAULT_THRESHOLD);
    let mut cfg = DetectorConfig::default();
    apply_settings(&mut cfg, &args.set)?;
    if args.cv {
        return run_cv(args, threshold, cfg);
    }
    let report = evaluate(&args.dir, args.out.as_deref(), threshold, cfg)?;
    let mut w = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
        return Ok(());
    }
    writeln!(
        w,
        "NAB: {} files, {} windows, {} rows; fixed threshold {:.3}",
        report.files, report.windows, report.rows, report.fixed_threshold
    )?;
    writeln!(
        w,
        "{:<20} {:>8} {:>8} {:>10}   (tp/fn/fp fixed)",
        "profile", "fixed", "tuned", "tuned thr"
    )?;
    for p in &report.profiles {
        writeln!(
            w,
            "{:<20} {:>8.2} {:>8.2} {:>10.4}   ({}/{}/{})",
            p.profile,
            p.fixed.score,
            p.tuned.score,
            p.tuned.threshold,
            p.fixed.tp,
            p.fixed.fn_,
            p.fixed.fp
        )?;
    }
    writeln!(w, "false positives per file per day (fixed): {:.3}", report.fp_per_file_per_day)?;
    for f in &report.per_file {
        writeln!(
            w,
            "  {:<55} {}/{} fp {:>3} ({:.2}/day)",
            f.file, f.detected, f.windows, f.false_positives, f.fp_per_day
        )?;
    }
    Ok(())
}

fn run_cv(args: &NabArgs, threshold: f64, cfg: DetectorConfig) -> anyhow::Result<()> {
    let axes: Vec<String> = if args.grid.is_empty() {
        cv::DEFAULT_GRID.iter().map(|s| (*s).to_string()).collect()
    } else {
        args.grid.clone()
    };
    let grid = cv::grid(cfg, &axes)?;
    let corpus = corpus::load(&args.dir)?;
    let r = cv::cross_validate(&corpus, &grid, threshold);
    let mut w = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut w, &r)?;
        writeln!(w)?;
        return Ok(());
    }
    writeln!(
        w,
        "NAB leave-one-category-out: {} candidate settings, fixed threshold {:.3}",
        r.candidates, r.fixed_threshold
    )?;
    writeln!(
        w,
        "{:<22} {:>5} {:>4}  {:>13} {:>13} {:>13}   chosen on the rest",
        "left out", "files", "win", "standard", "low FP", "low FN"
    )?;
    let cell = |p: &cv::FoldProfile| format!("{:>6.2}/{:<6.2}", p.fixed.score, p.tuned.score);
    for f in &r.folds {
        let cells: Vec<String> = f.profiles.iter().map(cell).collect();
        let std = &f.profiles[0].fixed;
        writeln!(
            w,
            "{:<22} {:>5} {:>4}  {} {} {}   {} (train {:.2}); tp/fn/fp {}/{}/{}, {:.3} fp/file-day",
            f.category,
            f.files,
            f.windows,
            cells[0],
            cells[1],
            cells[2],
            f.chosen,
            f.train_score,
            std.tp,
            std.fn_,
            std.fp,
            f.fp_per_day
        )?;
    }
    let cells: Vec<String> = r.pooled.iter().map(cell).collect();
    let std = &r.pooled[0].fixed;
    writeln!(
        w,
        "{:<22} {:>5} {:>4}  {} {} {}   tp/fn/fp {}/{}/{}, {:.3} fp/file-day",
        "pooled out-of-fold",
        r.folds.iter().map(|f| f.files).sum::<usize>(),
        r.folds.iter().map(|f| f.windows).sum::<usize>(),
        cells[0],
        cells[1],
        cells[2],
        std.tp,
        std.fn_,
        std.fp,
        r.pooled_fp_per_day
    )?;
    writeln!(w, "(scores: fixed threshold / threshold tuned on the training categories)")?;
    writeln!(
        w,
        "in-sample choice on all categories: {} (standard {:.2})",
        r.chosen_in_sample, r.in_sample_score
    )?;
    Ok(())
}
