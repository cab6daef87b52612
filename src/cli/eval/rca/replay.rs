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

use crate::driver::{Driver, Setup};
use crate::engine::rca::window::{Strengths, WindowRequest};
use crate::model::{Topology, UnixMs, interval};
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
    /// after the fault.
    pub detected: bool,
    /// Protocol B: that incident's ranked causes when the window closed.
    pub opened: Vec<Ranked>,
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
        }
        while fi < day.faults.len() && day.faults[fi].at + set.window_ms + STEP_MS <= now {
            let f = &day.faults[fi];
            let first = view
                .incidents
                .iter()
                .filter(|i| i.started_at >= f.at && i.started_at <= f.at + set.window_ms)
                .min_by_key(|i| (i.started_at, i.id.0.clone()));
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
}
