//! Root causes for a window on demand: given when trouble started (a fault
//! time, a responder's "since 14:02", an incident's first signal) and
//! fault-free time before it, rank the services by how much their own
//! signals changed, with the evidence. No incident needed.
//!
//! Three kinds of evidence per service, each a z-like strength:
//! - metrics: the sustained robust z of its series in the window against the
//!   baseline (bad direction only; "sustained" is a time, scaled by each
//!   series' sampling interval);
//! - spans: its own work slower, calls into it slower on the wire, calls to
//!   it failing (see [`crate::engine::spans::change`]: callers of a slow
//!   service are not blamed);
//! - logs: error and warning templates whose share of its lines rose (new
//!   templates count most).
//!
//! A drop in a service's request rate is not held against it when one of
//! its callers is itself troubled: traffic drops travel down the call graph.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::deviation::{self, SeriesIndex};
use crate::engine::spans::calls::CallStats;
use crate::engine::spans::change::{self, SpanChange};
use crate::model::{
    Confidence, Evidence, RootCause, Sample, Signal, Topology, UnixMs, format_clock,
};
use crate::store::{SeriesEntry, Store};

/// How long a departure must hold to count (at least two samples).
const SUSTAIN_MS: i64 = 60_000;
/// Samples a baseline needs before a series is judged.
const MIN_BASELINE_SAMPLES: usize = 8;
/// Strength below which nothing is reported.
const REPORT_Z: f64 = 4.0;
/// Services ranked.
pub const MAX_RANKED: usize = 10;

/// What to rank: trouble in `window`, judged against `baseline` (one or
/// more fault-free intervals, `[from, to)`).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRequest {
    pub window: (UnixMs, UnixMs),
    pub baseline: Vec<(UnixMs, UnixMs)>,
}

/// One service's strengths, before they are combined.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Strengths {
    pub metric: f64,
    /// Its request rate dropped (kept apart: it may be inherited).
    pub traffic_drop: f64,
    pub spans: f64,
    pub logs: f64,
    /// The strongest figure per kind of measure (`metric:cpu`,
    /// `spans:gap`, `logs:new`, ...), for explaining a ranking.
    pub detail: BTreeMap<String, f64>,
    #[serde(skip)]
    evidence: Vec<Evidence>,
}

impl Strengths {
    fn note(&mut self, what: String, z: f64) {
        let slot = self.detail.entry(what).or_insert(f64::MIN);
        *slot = slot.max(z);
    }
}

impl Strengths {
    /// The combined score in [0, 1): each kind of evidence saturates on its
    /// own, and independent kinds agreeing add up.
    #[must_use]
    pub fn score(&self) -> f64 {
        let p = |z: f64| 1.0 - (-(z - REPORT_Z).max(0.0) / 8.0).exp();
        let parts = [self.metric.max(self.traffic_drop), self.spans, self.logs];
        1.0 - parts.iter().map(|z| 1.0 - p(*z)).product::<f64>()
    }
}

/// Every candidate's strengths, by service.
#[must_use]
pub fn strengths(
    store: &Store,
    topo: &Topology,
    req: &WindowRequest,
) -> BTreeMap<String, Strengths> {
    // With no configured topology, the call graph the spans imply.
    let derived;
    let topo = if topo.is_empty() {
        derived = crate::engine::spans::call_graph(store.spans().iter());
        &derived
    } else {
        topo
    };
    let index = SeriesIndex::build(store);
    let mut out: BTreeMap<String, Strengths> = BTreeMap::new();
    for s in index.services() {
        let st = out.entry(s.to_string()).or_default();
        for e in index.service(s) {
            if let Some((z, ev)) = metric_strength(e, req) {
                st.note(format!("metric:{}", e.meta.signal.describe()), z);
                let slot = if matches!(e.meta.signal, Signal::RequestRate) {
                    &mut st.traffic_drop
                } else {
                    &mut st.metric
                };
                if z > *slot {
                    *slot = z;
                }
                if z >= REPORT_Z {
                    st.evidence.push(ev);
                }
            }
        }
    }
    let base = CallStats::collect(store.spans(), &req.baseline);
    let win = CallStats::collect(store.spans(), &[(req.window.0, req.window.1 + 1)]);
    for ch in change::changes(&base, &win, 0.0) {
        let st = out.entry(ch.subject.blamed().to_string()).or_default();
        let kind = match ch.subject {
            change::Subject::Own(_) => "spans:own",
            change::Subject::Gap(..) => "spans:gap",
            change::Subject::Errors(..) => "spans:errors",
        };
        st.note(kind.to_string(), ch.z);
        st.note(format!("{kind}_x"), ch.effect);
        if ch.z > st.spans {
            st.spans = ch.z;
        }
        if ch.z >= REPORT_Z && st.evidence.len() < 8 {
            st.evidence.push(span_evidence(&ch, req.window.0));
        }
    }
    for (s, sh) in logs::shifts(store, req) {
        let st = out.entry(s.clone()).or_default();
        st.logs = sh.z_max;
        st.note("logs:sum".into(), sh.z_sum);
        #[allow(clippy::cast_precision_loss)]
        st.note("logs:new".into(), sh.new_lines as f64);
        if sh.z_max >= REPORT_Z {
            st.evidence.push(Evidence {
                ts: sh.ts,
                text: format!(
                    "{s} logs: {} lines of \"{}\" in the window, {:.1} expected from its baseline share",
                    sh.lines, sh.example, sh.expected
                ),
            });
        }
    }
    // A traffic drop under a troubled caller is the caller's doing.
    let troubled: BTreeSet<String> = out
        .iter()
        .filter(|(_, st)| st.metric.max(st.spans).max(st.logs).max(st.traffic_drop) >= REPORT_Z)
        .map(|(s, _)| s.clone())
        .collect();
    for (s, st) in &mut out {
        if st.traffic_drop >= REPORT_Z && topo.callers(s).any(|c| troubled.contains(c)) {
            st.traffic_drop = 0.0;
        }
    }
    out
}

/// Ranks services for the window, best first, at most [`MAX_RANKED`].
#[must_use]
pub fn rank(
    store: &Store,
    topo: &Topology,
    req: &WindowRequest,
) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = strengths(store, topo, req)
        .into_iter()
        .map(|(service, st)| RootCause {
            score: st.score(),
            confidence: Confidence::Low,
            evidence: st.evidence,
            service,
        })
        .filter(|c| c.score > 0.0)
        .collect();
    causes.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.service.cmp(&b.service)));
    causes.truncate(MAX_RANKED);
    super::assign_confidence(&mut causes);
    causes
}

fn span_evidence(ch: &SpanChange, ts: UnixMs) -> Evidence {
    ch.evidence(ts)
}

/// The sampling interval of a series (median gap), at least 1 ms.
fn interval(samples: &[Sample]) -> i64 {
    let mut gaps: Vec<i64> = samples.windows(2).map(|w| w[1].ts - w[0].ts).collect();
    if gaps.is_empty() {
        return 60_000;
    }
    let mid = gaps.len() / 2;
    *gaps.select_nth_unstable(mid).1.max(&mut 1)
}

fn metric_strength(e: &SeriesEntry, req: &WindowRequest) -> Option<(f64, Evidence)> {
    let samples: Vec<Sample> = e.samples.iter().copied().collect();
    let mut base: Vec<f64> = samples
        .iter()
        .filter(|s| req.baseline.iter().any(|(a, b)| s.ts >= *a && s.ts < *b))
        .map(|s| s.value)
        .collect();
    if base.len() < MIN_BASELINE_SAMPLES {
        return None;
    }
    base.sort_by(f64::total_cmp);
    let med = base[base.len() / 2];
    let scale = deviation::robust_scale(&base, med);
    let win: Vec<&Sample> =
        samples.iter().filter(|s| s.ts >= req.window.0 && s.ts <= req.window.1).collect();
    // Held for SUSTAIN_MS: the k-th strongest sample, k scaled by the interval.
    let k = usize::try_from((SUSTAIN_MS / interval(&samples)).max(1) + 1).unwrap_or(2);
    if win.len() < k {
        return None;
    }
    let bad_high = e.meta.signal.bad_when_high();
    let mut zs: Vec<(f64, &Sample)> = win
        .iter()
        .map(|s| {
            let z = (s.value - med) / scale;
            ((if bad_high { z } else { -z }).min(99.0), *s)
        })
        .collect();
    zs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (z, at) = zs[k - 1];
    let peak = zs[0].1;
    let text = format!(
        "{} {} {:.1}σ off baseline since {} ({} vs {})",
        crate::model::instance_of(&e.meta.labels).unwrap_or("-"),
        e.meta.signal.describe(),
        z,
        format_clock(at.ts.min(peak.ts)),
        deviation::format_value(&e.meta.signal, &e.meta.unit, peak.value),
        deviation::format_value(&e.meta.signal, &e.meta.unit, med),
    );
    Some((z, Evidence { ts: at.ts, text }))
}

mod logs;
#[cfg(test)]
mod tests;
