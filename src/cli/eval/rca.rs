//! `quell eval rca DIR`: root-cause ranking on Nezha's fault-injection data
//! (IntelligentDDS/Nezha, read in its published layout), through the same
//! pipeline, store and engine as live use, in virtual time, a day at a time.
//!
//! Protocol A (the standard RCA protocol of RCAEval and Nezha): given each
//! fault's injection time, rank the services for the window after it
//! against the fault-free time before it; AC@1, AC@3, AC@5, Avg@5 per
//! system (the day's `YYYY-MM` prefix: Nezha recorded its two systems in
//! different months), per fault type and overall.
//!
//! Protocol B (end to end): the replay also runs the pipeline's own pass
//! every minute, as live use does; with no alert source, incidents come
//! only from its anomaly detection (suspected incidents). A fault is
//! detected when an incident opens within the window after it (its start
//! dated there and the incident first shown there); AC@1/AC@3
//! read that incident's causes; incidents opened outside every fault's
//! affected time are false, per fault-free hour.
//!
//! `--out` writes one JSON line per fault for `scripts/score-rca.py` to
//! re-score independently.

mod nezha;
mod replay;
mod score;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use crate::config::HumanDuration;

pub use replay::{Outcome, Ranked, Settings};
pub use score::Accuracy;

#[derive(Debug, Args)]
pub struct RcaArgs {
    /// The data directory (holding `rca_data/` and `construct_data/`).
    pub dir: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write one JSON line per fault (time, truth, ranked services with
    /// scores) to this file.
    #[arg(long, value_name = "PRED")]
    pub out: Option<PathBuf>,
    /// Only days whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// The window after each fault that is ranked.
    #[arg(long, default_value = "5m", value_parser = HumanDuration::parse)]
    pub window: HumanDuration,
    /// How long after its injection a fault disturbs the system: kept out
    /// of every fault's baseline.
    #[arg(long, default_value = "10m", value_parser = HumanDuration::parse)]
    pub affected: HumanDuration,
    /// How far back each fault's baseline reaches.
    #[arg(long, default_value = "60m", value_parser = HumanDuration::parse)]
    pub lookback: HumanDuration,
    /// Keep every service's evidence strengths per fault in the JSON and
    /// `--out` output (to see why a ranking came out as it did).
    #[arg(long)]
    pub explain: bool,
    /// Override a detector setting for experiments, e.g. `--detector
    /// warmup_min=20` (the names of `quell eval nab --set`).
    #[arg(long, hide = true, value_name = "KEY=VALUE")]
    pub detector: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub dir: String,
    pub days: Vec<String>,
    pub counts: nezha::Counts,
    pub overall: Accuracy,
    pub by_system: BTreeMap<String, Accuracy>,
    pub by_day: BTreeMap<String, Accuracy>,
    pub by_kind: BTreeMap<String, Accuracy>,
    /// Protocol B, all days together.
    pub end_to_end: score::EndToEnd,
    pub outcomes: Vec<Outcome>,
}

/// Runs the evaluation over every day under `dir` (or those matching `only`).
///
/// # Errors
/// No day with a fault list, or a fault list that cannot be read.
pub fn evaluate(
    dir: &std::path::Path,
    only: Option<&str>,
    set: &Settings,
) -> anyhow::Result<Report> {
    let days: Vec<String> =
        nezha::days(dir).into_iter().filter(|d| only.is_none_or(|o| d.contains(o))).collect();
    anyhow::ensure!(
        !days.is_empty(),
        "{}: no rca_data/<day>/<day>-fault_list.json found",
        dir.display()
    );
    let mut counts = nezha::Counts::default();
    let mut outcomes = Vec::new();
    let (mut false_incidents, mut hours) = (0usize, 0.0f64);
    for d in &days {
        let faults = nezha::faults(dir, d, &mut counts)?;
        let day = nezha::open_day(dir, d, faults, &mut counts);
        let system = d.get(..7).unwrap_or(d).to_string();
        let (o, tally) = replay::replay_day(&system, &day, set, &mut counts);
        outcomes.extend(o);
        false_incidents += tally.false_incidents;
        hours += tally.fault_free_hours;
    }
    Ok(Report {
        dir: dir.display().to_string(),
        days,
        counts,
        overall: score::accuracy(&outcomes),
        by_system: score::by(&outcomes, |o| o.system.clone()),
        by_day: score::by(&outcomes, |o| o.day.clone()),
        by_kind: score::by(&outcomes, |o| o.kind.clone()),
        end_to_end: score::end_to_end(&outcomes, false_incidents, hours),
        outcomes,
    })
}

/// # Errors
/// Unreadable data directory or unwritable output.
pub fn run(args: &RcaArgs) -> anyhow::Result<()> {
    let mut engine = crate::engine::EngineConfig::default();
    super::nab::apply_settings(&mut engine.detector, &args.detector)?;
    let set = Settings {
        window_ms: args.window.as_ms(),
        affected_ms: args.affected.as_ms(),
        lookback_ms: args.lookback.as_ms(),
        explain: args.explain,
        engine,
    };
    let report = evaluate(&args.dir, args.only.as_deref(), &set)?;
    if let Some(path) = &args.out {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        for o in &report.outcomes {
            serde_json::to_writer(&mut f, o)?;
            writeln!(f)?;
        }
        f.flush()?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    print_text(&mut out, &report)?;
    Ok(())
}

fn print_text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "eval rca: {} ({} days, {} faults; files read {}, skipped {}, rows skipped {})",
        r.dir,
        r.days.len(),
        r.overall.faults,
        r.counts.files_read,
        r.counts.files_skipped,
        r.counts.rows_skipped
    )?;
    writeln!(
        out,
        "protocol A (given the fault time): {:<24} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "", "n", "AC@1", "AC@3", "AC@5", "Avg@5"
    )?;
    let row = |out: &mut dyn Write, name: &str, a: &Accuracy| {
        writeln!(
            out,
            "  {name:<56} {:>6} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
            a.faults, a.ac[0], a.ac[2], a.ac[4], a.avg5
        )
    };
    for (k, a) in &r.by_system {
        row(out, &format!("system {k}"), a)?;
    }
    for (k, a) in &r.by_day {
        row(out, &format!("day {k}"), a)?;
    }
    for (k, a) in &r.by_kind {
        row(out, &format!("fault {k}"), a)?;
    }
    row(out, "overall", &r.overall)?;
    let e = &r.end_to_end;
    writeln!(
        out,
        "protocol B (on its own, incident shown within the window): detected {:.3}, AC@1 {:.3}, AC@3 {:.3}; {} false incidents in {:.1} fault-free hours ({:.2}/h); shown a median {} after the fault",
        e.detection,
        e.ac1,
        e.ac3,
        e.false_incidents,
        e.fault_free_hours,
        e.false_per_hour,
        e.median_shown_s.map_or("-".to_string(), |s| format!("{s:.0} s"))
    )?;
    writeln!(out, "misses (truth not first):")?;
    for o in r.outcomes.iter().filter(|o| score::rank_of(o) != Some(1)) {
        let top: Vec<String> =
            o.ranked.iter().take(3).map(|x| format!("{} {:.2}", x.service, x.score)).collect();
        writeln!(
            out,
            "  {} {:<15} {:<32} rank {:>4}  top: {}",
            o.when,
            o.kind,
            o.truth,
            score::rank_of(o).map_or("-".to_string(), |r| r.to_string()),
            top.join(", ")
        )?;
        // With --explain: what each of the top three and the truth had.
        let mut who: Vec<&str> = o.ranked.iter().take(3).map(|x| x.service.as_str()).collect();
        if !who.contains(&o.truth.as_str()) {
            who.push(&o.truth);
        }
        for s in who {
            let Some(st) = o.strengths.get(s) else { continue };
            let detail: Vec<String> = st
                .detail
                .iter()
                .filter(|(_, v)| **v >= 1.0)
                .map(|(k, v)| format!("{k} {v:.1}"))
                .collect();
            writeln!(out, "      {s:<32} {}", detail.join(", "))?;
        }
    }
    Ok(())
}
