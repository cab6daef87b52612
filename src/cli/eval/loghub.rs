//! `quell eval loghub`: score the log template miner on Loghub-2k data.
//!
//! For each `<System>/<System>_2k.log_structured_corrected.csv` under the
//! directory, the `Content` column is fed to one fresh [`Miner`] with the
//! default (generic) settings in file order, and the predicted grouping is
//! compared with the `EventTemplate` column (Loghub-2.0 metrics):
//! - GA: a line is correct when its predicted group is exactly the set of
//!   lines sharing its true template;
//! - FGA: F1 of exactly recovered groups (precision over predicted groups,
//!   recall over true groups).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::csv;

#[path = "loghub_cv.rs"]
pub mod cv;
use crate::engine::logs::{Miner, MinerConfig, TemplateId};

#[derive(Debug, Args)]
pub struct LoghubArgs {
    /// Loghub-2k directory (one folder per system).
    pub dir: PathBuf,
    /// Write `<System>.csv` predictions (`LineId,EventId,EventTemplate`) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Leave-one-system-out cross-validation: the miner's similarity chosen
    /// on the other systems, scored on the one left out.
    #[arg(long)]
    pub cv: bool,
}

/// One system's score.
#[derive(Debug, Clone, Serialize)]
pub struct SystemScore {
    pub system: String,
    pub lines: usize,
    pub true_groups: usize,
    pub predicted_groups: usize,
    pub ga: f64,
    pub fga: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub systems: Vec<SystemScore>,
    pub mean_ga: f64,
    pub mean_fga: f64,
}

/// One system's parsed input and the miner's predictions.
struct Run {
    line_ids: Vec<String>,
    truth: Vec<String>,
    predicted: Vec<TemplateId>,
    contents: Vec<String>,
    texts: HashMap<TemplateId, String>,
    miner: Miner,
}

/// # Errors
/// Unreadable directory or files, or no system found.
pub fn run(args: &LoghubArgs) -> anyhow::Result<()> {
    if args.cv {
        return cv::run(&args.dir, args.json);
    }
    let report = evaluate(&args.dir, args.out.as_deref())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<12} {:>6} {:>6} {:>6} {:>7} {:>7}",
            "system", "lines", "true", "pred", "GA", "FGA"
        )?;
        for s in &report.systems {
            writeln!(
                out,
                "{:<12} {:>6} {:>6} {:>6} {:>7.3} {:>7.3}",
                s.system, s.lines, s.true_groups, s.predicted_groups, s.ga, s.fga
            )?;
        }
        writeln!(
            out,
            "{:<12} {:>6} {:>6} {:>6} {:>7.3} {:>7.3}",
            "mean", "", "", "", report.mean_ga, report.mean_fga
        )?;
    }
    Ok(())
}

/// Scores every system under `dir`; writes predictions to `out` if given.
///
/// # Errors
/// Unreadable directory or files, malformed CSV, or no system found.
pub fn evaluate(dir: &Path, out: Option<&Path>) -> anyhow::Result<Report> {
    evaluate_with(dir, out, MinerConfig::default())
}

/// The `<System>` folders under `dir` that hold a corrected structured file,
/// sorted by name, with that file's path.
///
/// # Errors
/// Unreadable directory or no system found.
pub fn systems(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut systems: Vec<(String, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let file = e.path().join(format!("{name}_2k.log_structured_corrected.csv"));
        if file.is_file() {
            systems.push((name, file));
        }
    }
    systems.sort();
    anyhow::ensure!(
        !systems.is_empty(),
        "no <System>/<System>_2k.log_structured_corrected.csv under {}",
        dir.display()
    );
    Ok(systems)
}

/// Like [`evaluate`] with the given miner settings.
///
/// # Errors
/// Unreadable directory or files, malformed CSV, or no system found.
pub fn evaluate_with(dir: &Path, out: Option<&Path>, cfg: MinerConfig) -> anyhow::Result<Report> {
    let systems = systems(dir)?;
    if let Some(o) = out {
        std::fs::create_dir_all(o).with_context(|| format!("creating {}", o.display()))?;
    }
    let mut scores = Vec::new();
    for (name, file) in systems {
        let run = mine(&file, cfg)?;
        let (ga, fga, true_groups, predicted_groups) = score(&run.truth, &run.predicted);
        if let Some(o) = out {
            write_predictions(&o.join(format!("{name}.csv")), &run)?;
        }
        scores.push(SystemScore {
            system: name,
            lines: run.truth.len(),
            true_groups,
            predicted_groups,
            ga,
            fga,
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let n = scores.len() as f64;
    let mean_ga = scores.iter().map(|s| s.ga).sum::<f64>() / n;
    let mean_fga = scores.iter().map(|s| s.fga).sum::<f64>() / n;
    Ok(Report { systems: scores, mean_ga, mean_fga })
}

fn mine(file: &Path, cfg: MinerConfig) -> anyhow::Result<Run> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = csv::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut rows = rows.into_iter();
    let header = rows.next().with_context(|| format!("{}: empty", file.display()))?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no {name} column", file.display()))
    };
    let (c_id, c_content, c_tmpl) = (col("LineId")?, col("Content")?, col("EventTemplate")?);
    let mut miner = Miner::new(cfg);
    let mut run = Run {
        line_ids: Vec::new(),
        truth: Vec::new(),
        predicted: Vec::new(),
        contents: Vec::new(),
        texts: HashMap::new(),
        miner: Miner::default(),
    };
    for (i, r) in rows.enumerate() {
        let get = |c: usize| {
            r.get(c).cloned().with_context(|| format!("{}: row {} is short", file.display(), i + 2))
        };
        let content = get(c_content)?;
        run.predicted.push(miner.add_detailed(&content).0);
        run.contents.push(content);
        run.line_ids.push(get(c_id)?);
        run.truth.push(get(c_tmpl)?);
    }
    // Each line's template as the miner holds it after the whole file (as
    // Drain reports final clusters): choice positions that turned variable
    // regroup their lines.
    for (p, c) in run.predicted.iter_mut().zip(&run.contents) {
        if let Some((id, text)) = miner.regroup(*p, c) {
            *p = id;
            run.texts.insert(id, text);
        }
    }
    run.miner = miner;
    Ok(run)
}

/// (GA, FGA, true groups, predicted groups).
fn score<T: std::hash::Hash + Eq, P: std::hash::Hash + Eq>(
    truth: &[T],
    pred: &[P],
) -> (f64, f64, usize, usize) {
    let mut by_truth: HashMap<&T, Vec<usize>> = HashMap::new();
    let mut by_pred: HashMap<&P, Vec<usize>> = HashMap::new();
    for (i, (t, p)) in truth.iter().zip(pred).enumerate() {
        by_truth.entry(t).or_default().push(i);
        by_pred.entry(p).or_default().push(i);
    }
    let mut correct_lines = 0usize;
    let mut exact_groups = 0usize;
    for lines in by_pred.values() {
        let Some(t) = lines.first().and_then(|&i| truth.get(i)) else { continue };
        // Exact: the same members, i.e. same size and all share one truth.
        if by_truth.get(t).is_some_and(|tl| tl.len() == lines.len())
            && lines.iter().all(|&i| truth.get(i) == Some(t))
        {
            correct_lines += lines.len();
            exact_groups += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let f = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let ga = f(correct_lines, truth.len().min(pred.len()));
    let precision = f(exact_groups, by_pred.len());
    let recall = f(exact_groups, by_truth.len());
    let fga = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (ga, fga, by_truth.len(), by_pred.len())
}

fn write_predictions(path: &Path, run: &Run) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(w, "LineId,EventId,EventTemplate")?;
    for (id, t) in run.line_ids.iter().zip(&run.predicted) {
        let tmpl = run.texts.get(t).map_or("", String::as_str);
        writeln!(w, "{},{},{}", csv::field(id), t, csv::field(tmpl))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn ga_and_fga_count_only_exact_groups() {
        // Truth: A A B B C; prediction merges B and C, splits nothing else.
        let truth = ["A", "A", "B", "B", "C"];
        let pred = [1, 1, 2, 2, 2];
        let (ga, fga, t, p) = score(&truth, &pred);
        assert!((ga - 0.4).abs() < 1e-9);
        // precision 1/2, recall 1/3 -> F1 0.4
        assert!((fga - 0.4).abs() < 1e-9);
        assert_eq!((t, p), (3, 2));
    }
}
