//! `quell snapshot`: the same pipeline without a terminal, printed once.
//!
//! With the demo world it runs in virtual time (warm-up, then `--seconds`)
//! and also prints the ground truth and how the engine scored against it.

use std::io::Write;

use serde::Serialize;

use crate::config::Loaded;
use crate::engine::score::{self, Scorecard};
use crate::model::{Incident, SourceHealth, View, format_clock};
use crate::sim::{self, World};

use super::SnapshotArgs;

#[derive(Serialize)]
struct Report<'a> {
    mode: &'static str,
    now: i64,
    now_utc: String,
    sources: &'a [SourceHealth],
    incidents: &'a [std::sync::Arc<Incident>],
    alerts: Vec<&'a crate::model::Alert>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    ground_truth: &'a [crate::model::FaultTruth],
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluation: Option<Scorecard>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    anomalies: &'a [crate::model::AnomalyEvent],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    forecasts: &'a [crate::model::Forecast],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    silences: &'a [crate::model::Silence],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    acks: &'a [crate::model::AckStatus],
    /// Per open incident: similar past incidents, new / rare / frequent.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    history: &'a std::collections::BTreeMap<crate::model::IncidentId, crate::history::HistoryMatch>,
}

/// Runs the demo world for warm-up + `seconds` of virtual time and returns the final view.
#[must_use]
pub fn demo_view(loaded: &Loaded, seconds: u64) -> View {
    let cfg = &loaded.config;
    let start = 1_767_240_000_000; // 2026-01-01T04:00:00Z: fixed, so output is reproducible
    let mut world = World::demo(cfg.demo.seed, start);
    let mut driver = crate::driver::demo::driver_for(&world, cfg.store.clone(), cfg.engine.clone());
    let steps = sim::DEMO_WARMUP_STEPS
        + usize::try_from(seconds.saturating_mul(1000) / sim::STEP_MS.unsigned_abs())
            .unwrap_or(usize::MAX);
    let mut view = View::default();
    for _ in 0..steps {
        driver.ingest_all(world.step());
        view = driver.analyze(world.now());
    }
    driver.set_ground_truth(world.ground_truth());
    view.ground_truth = world.ground_truth();
    view
}

pub fn run(
    loaded: &Loaded,
    args: &SnapshotArgs,
    demo: bool,
    replay: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let live = replay.is_some() || (loaded.config.has_sources() && !demo);
    let view = if let Some(path) = replay {
        crate::driver::replay::replay_view(&loaded.config, path)?
    } else if live {
        super::live_snapshot::view(&loaded.config)?
    } else {
        demo_view(loaded, args.seconds)
    };
    let evaluation = (!live).then(|| score::score(&view));
    // Buffered: stdout is line-buffered, and pretty JSON of 10,000 alerts is
    // hundreds of thousands of lines (one write each measured ~1 s).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let report = Report {
            mode: if replay.is_some() {
                "replay"
            } else if live {
                "live"
            } else {
                "demo"
            },
            now: view.now,
            now_utc: chrono::DateTime::from_timestamp_millis(view.now)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            sources: &view.sources,
            incidents: &view.incidents,
            alerts: view.alerts.values().map(|a| &a.alert).collect(),
            ground_truth: &view.ground_truth,
            evaluation,
            anomalies: &view.anomalies,
            forecasts: &view.forecasts,
            silences: &view.silences,
            acks: &view.acks,
            history: &view.history,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &view, evaluation.as_ref())?;
    }
    out.flush()?;
    Ok(())
}

fn write_text(out: &mut impl Write, view: &View, eval: Option<&Scorecard>) -> std::io::Result<()> {
    writeln!(
        out,
        "quell snapshot at {} UTC: {} incidents",
        format_clock(view.now),
        view.incidents.len()
    )?;
    for src in &view.sources {
        writeln!(out, "  source {}", crate::sanitize::clean_line(&source_line(src), 400))?;
    }
    for i in &view.incidents {
        let cause = i.root_causes.first().map_or_else(
            || "no suspected cause".to_string(),
            |c| {
                format!(
                    "{} ({:.2}, {} confidence)",
                    cause_name(view, i, &c.service),
                    c.score,
                    c.confidence.word()
                )
            },
        );
        writeln!(
            out,
            "  {} {} {:<8} {:<3} alerts  {}  cause: {}",
            i.id,
            i.severity.word(),
            i.state.word(),
            i.alerts.len(),
            crate::sanitize::clean_line(&i.title, 60),
            crate::sanitize::clean_line(&cause, 60)
        )?;
    }
    if let Some(e) = eval {
        writeln!(
            out,
            "ground truth: {} faults ({} alerted), root cause top-1 {}/{} ({:.0}%), top-3 {}/{}, mixed incidents {}",
            e.faults,
            e.faults_with_alerts,
            e.top1,
            e.faults_with_alerts,
            e.top1_accuracy * 100.0,
            e.top3,
            e.faults_with_alerts,
            e.mixed_incidents.len()
        )?;
    }
    Ok(())
}

/// `am ok`, `am partial data: replica … started 12s ago: …`: a source's
/// health word and, when it is not plainly ok, why.
fn source_line(src: &SourceHealth) -> String {
    use crate::model::SourceStatus;
    let why = match &src.status {
        SourceStatus::Partial { warnings } => warnings.join("; "),
        SourceStatus::Down { reason, .. }
        | SourceStatus::AuthFailed { reason }
        | SourceStatus::Tls { reason } => reason.clone(),
        SourceStatus::BadResponse { excerpt } => excerpt.clone(),
        SourceStatus::TooLarge { limit_bytes } => format!("over {limit_bytes} bytes"),
        SourceStatus::Slow { millis } => format!("{millis} ms"),
        SourceStatus::Starting | SourceStatus::Ok => String::new(),
    };
    let word = src.status.word();
    if why.is_empty() { format!("{} {word}", src.id) } else { format!("{} {word}: {why}", src.id) }
}

/// A cause's entity, with the host resources its alerts are about.
fn cause_name(view: &View, inc: &Incident, entity: &str) -> String {
    let alerts = inc.alerts.iter().filter_map(|fp| view.alerts.get(fp)).map(|a| &a.alert);
    crate::engine::rca::resource::cause_label(entity, alerts)
}
