//! Replaying one day of Nezha data through the pipeline in virtual time,
//! minute by minute, and asking it for root causes.
//!
//! Metrics enter a sample at a time as their minute passes, log and span
//! files when their minute has passed; nothing from the future is in the
//! store when a fault is ranked. Protocol A asks [`crate::pipeline::Pipeline::rank_window`]
//! for each fault once its window has passed; the baseline is the
//! fault-free time before it: the hour before the fault minus every
//! fault's affected span, plus the fault-free phase when it came earlier.

use crate::engine::EngineConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::driver::{Driver, Setup};
use crate::engine::rca::window::{Strengths, WindowRequest};
use crate::model::{Incident, Topology, UnixMs, interval};
use crate::store::{Ingest, StoreLimits};

use super::nezha::{ChunkKind, Counts, Day, read_logs, read_metrics, read_spans};

/// Replay settings (all times).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The window after a fault that is ranked.
    pub window_ms: i64,
    /// How far back the baseline reaches.
    pub lookback_ms: i64,
    /// How long after its injection a fault disturbs the system (kept out
    /// of every baseline).
    pub affected_ms: i64,
    /// Keep every service's strengths in each outcome.
    pub explain: bool,
    /// The engine's settings, detectors included: the live defaults
    /// unless an experiment overrides them.
    pub engine: EngineConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            window_ms: 5 * 60_000,
            lookback_ms: 60 * 60_000,
            affected_ms: 10 * 60_000,
            explain: false,
            engine: EngineConfig::default(),
        }
    }
}

/// Virtual-time step.
const STEP_MS: i64 = 60_000;
/// A per-minute file is complete this long after the minute it is named for.
const CHUNK_SLACK_MS: i64 = 10_000;

/// The one place the evaluation builds its pipeline: the store sized for a
/// day of one-minute series and a day's spans, the engine (and detectors)
/// as configured, no topology (the call graph comes from the spans).
fn new_driver(engine: &EngineConfig) -> Driver {
    let limits =
        StoreLimits { samples_per_series: 2_000, log_lines: 400_000, ..StoreLimits::default() };
    Driver::new(Setup::with_topology(limits, engine.clone(), Topology::new()))
}

/// A ranked service.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ranked {
    pub service: String,
    pub score: f64,
}

/// What the pipeline said about one fault.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outcome {
    pub system: String,
    pub day: String,
    pub when: String,
    pub at: UnixMs,
    pub truth: String,
    pub kind: String,
    /// Protocol A: ranked services for the window after the fault.
    pub ranked: Vec<Ranked>,
    /// First evidence lines of the top service.
    pub evidence: Vec<String>,
    /// Protocol B: an incident quell opened on its own within the window
    /// after the fault: dated, and first in the pipeline's view, within it.
    pub detected: bool,
    /// Protocol B: that incident's ranked causes when the window closed.
    pub opened: Vec<Ranked>,
    /// Protocol B: how long after the fault that incident was first in
    /// the pipeline's view (its start is dated by its first clue, earlier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_after_ms: Option<i64>,
    /// Every service's strengths (with `--explain` only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub strengths: BTreeMap<String, Strengths>,
}

/// Protocol B's tally of one day.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Unprompted {
    /// Incidents opened outside every fault's affected time.
    pub false_incidents: usize,
    /// Replayed time outside every fault's affected time, in hours.
    pub fault_free_hours: f64,
}

/// The baseline intervals for a fault at `at` (see the module docs).
fn baseline_for(
    at: UnixMs,
    faults: &[UnixMs],
    fault_free: &[(UnixMs, UnixMs)],
    set: &Settings,
) -> Vec<(UnixMs, UnixMs)> {
    let cuts: Vec<(UnixMs, UnixMs)> = faults.iter().map(|t| (*t, t + set.affected_ms)).collect();
    let mut out = interval::minus(at - set.lookback_ms, at, &cuts);
    out.extend(fault_free.iter().filter(|(_, b)| *b <= at).copied());
    interval::union(out)
}

/// The first incident that detected a fault in `window` (its start to the
/// end of protocol B's window): dated in the window, and first in the view
/// (`shown`: incident id to the replay time it first appeared) in it too.
/// An incident shown later dates its start back to its first clue, but no
/// one saw it in time.
fn detection<'a>(
    incidents: &'a [Arc<Incident>],
    shown: &BTreeMap<String, UnixMs>,
    window: (UnixMs, UnixMs),
) -> Option<&'a Arc<Incident>> {
    let inside = |t: UnixMs| t >= window.0 && t <= window.1;
    incidents
        .iter()
        .filter(|i| inside(i.started_at) && shown.get(&i.id.0).is_some_and(|t| inside(*t)))
        .min_by_key(|i| (i.started_at, i.id.0.clone()))
}

/// Replays `day` and ranks each of its faults (protocol A).
pub fn replay_day(
    system: &str,
    day: &Day,
    set: &Settings,
    counts: &mut Counts,
) -> (Vec<Outcome>, Unprompted) {
    let mut driver = new_driver(&set.engine);
    // Every metric sample, as its own event, in time order.
    let mut samples: Vec<(UnixMs, Ingest)> = Vec::new();
    for path in &day.metric_files {
        for ev in read_metrics(path, counts) {
            if let Ingest::Samples { key, meta, samples: ss } = ev {
                for s in ss {
                    samples.push((
                        s.ts,
                        Ingest::Samples { key: key.clone(), meta: meta.clone(), samples: vec![s] },
                    ));
                }
            }
        }
    }
    samples.sort_by_key(|(t, _)| *t);
    let first = samples.first().map(|(t, _)| *t).into_iter();
    let chunk_first = day.chunks.first().map(|c| c.at - STEP_MS);
    let Some(start) = first.chain(chunk_first).min() else {
        return (Vec::new(), Unprompted::default());
    };
    let last_fault = day.faults.iter().map(|f| f.at).max().unwrap_or(start);
    let end = last_fault + set.window_ms + 2 * STEP_MS;
    let fault_times: Vec<UnixMs> = day.faults.iter().map(|f| f.at).collect();

    let mut fault_free: Vec<(UnixMs, UnixMs)> = Vec::new();
    let (mut si, mut ci, mut fi) = (0usize, 0usize, 0usize);
    let mut out = Vec::new();
    // Protocol B: every incident quell opens, by id, with when it started.
    let mut opened: BTreeMap<String, UnixMs> = BTreeMap::new();
    // And when each was first in the view.
    let mut shown: BTreeMap<String, UnixMs> = BTreeMap::new();
    let mut now = start;
    while now <= end && fi < day.faults.len() {
        let mut batch = Vec::new();
        while si < samples.len() && samples[si].0 <= now {
            batch.push(std::mem::replace(&mut samples[si].1, Ingest::Logs(Vec::new())));
            si += 1;
        }
        driver.ingest_all(batch);
        while ci < day.chunks.len() && day.chunks[ci].at + CHUNK_SLACK_MS <= now {
            let c = &day.chunks[ci];
            let span = match c.kind {
                ChunkKind::Logs => {
                    let lines = read_logs(&c.path, counts);
                    let span = lines.first().zip(lines.last()).map(|(a, b)| (a.ts, b.ts + 1));
                    driver.ingest_all([Ingest::Logs(lines)]);
                    span
                }
                ChunkKind::Spans => {
                    let spans = read_spans(&c.path, counts);
                    let lo = spans.iter().map(|s| s.start).min();
                    let hi = spans.iter().map(|s| s.start).max();
                    driver.ingest_all([Ingest::Spans(spans)]);
                    lo.zip(hi).map(|(a, b)| (a, b + 1))
                }
            };
            if c.fault_free {
                fault_free.extend(span);
            }
            ci += 1;
        }
        let view = driver.analyze(now);
        for inc in &view.incidents {
            opened.entry(inc.id.0.clone()).or_insert(inc.started_at);
            shown.entry(inc.id.0.clone()).or_insert(now);
        }
        while fi < day.faults.len() && day.faults[fi].at + set.window_ms + STEP_MS <= now {
            let f = &day.faults[fi];
            let first = detection(&view.incidents, &shown, (f.at, f.at + set.window_ms));
            let req = WindowRequest {
                window: (f.at, f.at + set.window_ms),
                baseline: baseline_for(f.at, &fault_times, &fault_free, set),
            };
            let causes = driver.pipeline().rank_window(&req);
            let strengths = if set.explain {
                driver.pipeline().window_strengths(&req)
            } else {
                BTreeMap::new()
            };
            out.push(Outcome {
                system: system.to_string(),
                day: day.name.clone(),
                when: f.when.clone(),
                at: f.at,
                truth: f.service.clone(),
                kind: f.kind.clone(),
                ranked: causes
                    .iter()
                    .map(|c| Ranked { service: c.service.clone(), score: c.score })
                    .collect(),
                evidence: causes
                    .first()
                    .map(|c| c.evidence.iter().take(4).map(|e| e.text.clone()).collect())
                    .unwrap_or_default(),
                strengths,
                detected: first.is_some(),
                shown_after_ms: first.and_then(|i| shown.get(&i.id.0)).map(|t| t - f.at),
                opened: first
                    .map(|i| {
                        i.root_causes
                            .iter()
                            .map(|c| Ranked { service: c.service.clone(), score: c.score })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
            fi += 1;
        }
        now += STEP_MS;
    }
    let affected = |t: UnixMs| fault_times.iter().any(|f| t >= *f && t < f + set.affected_ms);
    let busy = interval::union(fault_times.iter().map(|f| (*f, f + set.affected_ms)).collect());
    let busy_ms: i64 =
        busy.iter().map(|(a, b)| b.min(&now) - a.max(&start)).filter(|d| *d > 0).sum();
    #[allow(clippy::cast_precision_loss)]
    let tally = Unprompted {
        false_incidents: opened.values().filter(|t| !affected(**t)).count(),
        fault_free_hours: (now - start - busy_ms).max(0) as f64 / 3_600_000.0,
    };
    (out, tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_skips_every_fault_and_adds_earlier_fault_free_time() {
        let m = 60_000;
        let set = Settings {
            window_ms: 5 * m,
            lookback_ms: 60 * m,
            affected_ms: 10 * m,
            ..Settings::default()
        };
        let faults = [100 * m, 130 * m, 145 * m];
        let free = [(108 * m, 113 * m), (200 * m, 203 * m)];
        let b = baseline_for(145 * m, &faults, &free, &set);
        assert_eq!(b, vec![(85 * m, 100 * m), (108 * m, 130 * m), (140 * m, 145 * m)]);
    }

    #[test]
    fn a_fault_is_detected_only_by_an_incident_shown_within_its_window() {
        use crate::model::{IncidentId, IncidentState, Severity};
        let m = 60_000;
        let inc = |id: &str, started_at: UnixMs| {
            Arc::new(Incident {
                id: IncidentId(id.into()),
                title: String::new(),
                severity: Severity::Info,
                state: IncidentState::Open,
                started_at,
                updated_at: started_at,
                resolved_at: None,
                alerts: vec![],
                services: vec![],
                root_causes: vec![],
                timeline: vec![],
                acked: false,
            })
        };
        let window = (100 * m, 105 * m);
        // Dated 2 minutes in, both; S-late first shown 6 minutes in.
        let incidents = [inc("S-late", 102 * m), inc("S-soon", 103 * m), inc("S-before", 99 * m)];
        let mut shown: BTreeMap<String, UnixMs> = BTreeMap::new();
        shown.insert("S-late".into(), 106 * m);
        shown.insert("S-soon".into(), 104 * m);
        shown.insert("S-before".into(), 101 * m);
        let first = detection(&incidents, &shown, window).map(|i| i.id.0.as_str());
        assert_eq!(first, Some("S-soon"));
        shown.insert("S-late".into(), 105 * m);
        let first = detection(&incidents, &shown, window).map(|i| i.id.0.as_str());
        assert_eq!(first, Some("S-late"), "shown at the window's end is in time");
        shown.remove("S-soon");
        shown.remove("S-late");
        assert!(detection(&incidents, &shown, window).is_none());
    }
}
