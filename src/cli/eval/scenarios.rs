//! `quell eval scenarios`: runs the demo world's scenario library (plus any
//! scenario files in `--dir`) in virtual time through the real pipeline and
//! scores grouping and root-cause ranking against each fault's ground truth.
//!
//! Metrics: pairwise precision/recall/F1 of alert grouping (pooled over
//! runs), adjusted Rand index (mean over runs), compression (1 − incidents /
//! alerts), root-cause AC@1, AC@3 and Avg@5 (RCAEval: Avg@5 is the mean of
//! AC@1..AC@5), and the mean time from fault start to the first correct top-1.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use crate::base::HumanDuration;
use crate::engine::EngineConfig;
use crate::engine::score::{self, Grouping};
use crate::sim::scenario::Scenario;
use crate::store::StoreLimits;

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Also run every `*.toml` scenario file in this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Run each scenario with seeds 1..=N.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub seeds: u64,
    /// Only scenarios whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Engine auto-pause for transient alerts (e.g. `2m`; default: the
    /// engine's default, `0` disables).
    #[arg(long, value_name = "DURATION", value_parser = HumanDuration::parse)]
    pub auto_pause: Option<HumanDuration>,
}

/// Fixed start (2026-01-01T04:00Z) so runs are reproducible.
const START: i64 = 1_767_240_000_000;

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub scenario: String,
    pub seed: u64,
    pub faults: usize,
    pub alerts: usize,
    pub incidents: usize,
    pub f1: f64,
    pub ari: f64,
    /// Per fault: (root, rank of the root among suspects, top suspect).
    pub ranks: Vec<(String, Option<usize>, Option<String>)>,
    /// Seconds from each fault's start to its first correct top-1, if ever.
    pub time_to_top1_s: Vec<Option<f64>>,
    #[serde(skip)]
    grouping: Grouping,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub scenarios: usize,
    pub seeds: u64,
    pub runs: usize,
    pub alerts: usize,
    pub incidents: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub ari_mean: f64,
    pub compression: f64,
    pub faults_with_alerts: usize,
    pub ac_at_1: f64,
    pub ac_at_3: f64,
    pub avg_at_5: f64,
    pub mean_time_to_correct_top1_s: Option<f64>,
    pub runs_detail: Vec<RunResult>,
}

/// Runs one scenario with one seed.
#[must_use]
pub fn run_one(s: &Scenario, seed: u64, engine: &EngineConfig) -> RunResult {
    let mut world = s.world(seed, START);
    let mut driver =
        crate::driver::demo::driver_for(&world, StoreLimits::default(), engine.clone());
    let mut first_correct: std::collections::BTreeMap<String, i64> = Default::default();
    let mut view = crate::model::View::default();
    for _ in 0..s.steps() {
        driver.ingest_all(world.step());
        view = driver.analyze(world.now());
        let truth = world.ground_truth();
        for o in score::score_parts(&view.incidents, &truth, view.now).outcomes {
            if o.rank == Some(1) {
                first_correct.entry(o.fault).or_insert(view.now);
            }
        }
    }
    let truth = world.ground_truth();
    let card = score::score_parts(&view.incidents, &truth, view.now);
    let g = score::grouping(&view.incidents, &truth, view.now);
    let with_alerts: Vec<_> = card.outcomes.iter().filter(|o| o.alerts > 0).collect();
    RunResult {
        scenario: s.name.clone(),
        seed,
        faults: truth.len(),
        alerts: g.alerts,
        incidents: g.incidents,
        f1: g.f1(),
        ari: g.ari,
        ranks: with_alerts
            .iter()
            .map(|o| (o.root_service.clone(), o.rank, o.top_cause.clone()))
            .collect(),
        time_to_top1_s: with_alerts
            .iter()
            .map(|o| {
                let start = truth.iter().find(|t| t.id == o.fault).map(|t| t.start)?;
                first_correct.get(&o.fault).map(|t| (t - start) as f64 / 1000.0)
            })
            .collect(),
        grouping: g,
    }
}

/// Runs every scenario × seed and aggregates.
#[must_use]
pub fn evaluate(scenarios: &[Scenario], seeds: u64, engine: &EngineConfig) -> Summary {
    let mut runs = Vec::new();
    for s in scenarios {
        for seed in 1..=seeds.max(1) {
            runs.push(run_one(s, seed, engine));
        }
    }
    let mut pooled = Grouping::default();
    for r in &runs {
        pooled.alerts += r.grouping.alerts;
        pooled.incidents += r.grouping.incidents;
        pooled.true_pairs += r.grouping.true_pairs;
        pooled.false_pairs += r.grouping.false_pairs;
        pooled.missed_pairs += r.grouping.missed_pairs;
    }
    let ranks: Vec<Option<usize>> = runs.iter().flat_map(|r| r.ranks.iter().map(|x| x.1)).collect();
    let ac = |k: usize| {
        if ranks.is_empty() {
            0.0
        } else {
            ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64 / ranks.len() as f64
        }
    };
    let times: Vec<f64> =
        runs.iter().flat_map(|r| r.time_to_top1_s.iter().flatten().copied()).collect();
    Summary {
        scenarios: scenarios.len(),
        seeds,
        runs: runs.len(),
        alerts: pooled.alerts,
        incidents: pooled.incidents,
        precision: pooled.precision(),
        recall: pooled.recall(),
        f1: pooled.f1(),
        ari_mean: runs.iter().map(|r| r.ari).sum::<f64>() / runs.len().max(1) as f64,
        compression: pooled.compression(),
        faults_with_alerts: ranks.len(),
        ac_at_1: ac(1),
        ac_at_3: ac(3),
        avg_at_5: (1..=5).map(ac).sum::<f64>() / 5.0,
        mean_time_to_correct_top1_s: (!times.is_empty())
            .then(|| times.iter().sum::<f64>() / times.len() as f64),
        runs_detail: runs,
    }
}

fn load(args: &ScenariosArgs) -> anyhow::Result<Vec<Scenario>> {
    let mut all = Scenario::builtin()?;
    if let Some(dir) = &args.dir {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading scenario directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            all.push(Scenario::parse(&text, &p.display().to_string())?);
        }
    }
    if let Some(only) = &args.only {
        all.retain(|s| s.name.contains(only.as_str()));
    }
    Ok(all)
}

/// # Errors
/// Unreadable or invalid scenario files, output failures.
pub fn run(args: &ScenariosArgs) -> anyhow::Result<()> {
    let scenarios = load(args)?;
    let mut engine = EngineConfig::default();
    if let Some(pause) = args.auto_pause {
        engine.auto_pause = pause;
    }
    let summary = evaluate(&scenarios, args.seeds, &engine);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
        return Ok(());
    }
    for r in &summary.runs_detail {
        let misses: Vec<String> = r
            .ranks
            .iter()
            .filter(|x| x.1 != Some(1))
            .map(|(root, rank, top)| {
                format!(
                    "{root} ranked {} (top: {})",
                    rank.map_or("-".into(), |r| r.to_string()),
                    top.as_deref().unwrap_or("none")
                )
            })
            .collect();
        writeln!(
            out,
            "{:<36} seed {} alerts {:>3} incidents {:>2} F1 {:.2} ARI {:.2} {}",
            r.scenario,
            r.seed,
            r.alerts,
            r.incidents,
            r.f1,
            r.ari,
            if misses.is_empty() { "ok".to_string() } else { misses.join("; ") }
        )?;
    }
    writeln!(
        out,
        "\n{} scenarios x {} seeds: grouping P {:.3} R {:.3} F1 {:.3}, ARI {:.3}, compression {:.1}% ({} alerts -> {} incidents)\nroot cause over {} faults: AC@1 {:.3}, AC@3 {:.3}, Avg@5 {:.3}, mean time to a correct top-1 {}",
        summary.scenarios,
        summary.seeds,
        summary.precision,
        summary.recall,
        summary.f1,
        summary.ari_mean,
        summary.compression * 100.0,
        summary.alerts,
        summary.incidents,
        summary.faults_with_alerts,
        summary.ac_at_1,
        summary.ac_at_3,
        summary.avg_at_5,
        summary.mean_time_to_correct_top1_s.map_or("n/a".to_string(), |s| format!("{s:.0} s"))
    )?;
    Ok(())
}
