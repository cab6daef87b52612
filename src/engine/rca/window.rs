//! Root causes for a window on demand: given when trouble started (a fault
//! time, a responder's "since 14:02", an incident's first signal) and
//! fault-free time before it, rank the services by how much their own
//! signals changed, with the evidence. No incident needed.
//!
//! Three kinds of evidence per service:
//! - metrics: the robust z its series hold for at least half the window
//!   (bad direction only), so a spiky series' routine spikes do not count,
//!   less what they already held over the same length of time just before
//!   it, so a chronic symptom is not taken for a fresh change;
//! - spans: how many times slower (log2 of the 90th percentiles) its own
//!   work or the calls into it became, when the change is significant;
//!   calls to it failing (see [`crate::engine::spans::change`]: callers of
//!   a slow service are not blamed);
//! - logs: how many times more lines an error or warning template wrote
//!   than its baseline share predicts (a template new to it counts by its
//!   lines), or how many times fewer a line it kept writing did, log2, when
//!   the change is significant (see [`logs`]). Sizes, as for spans, not
//!   z's: a count's z grows with the count, so a busy service's routine
//!   wobble would outweigh a quiet service's line stopping altogether.
//!
//! A drop in a service's request rate is not held against it when one of
//! its callers is itself troubled: traffic drops travel down the call graph.
//! Failures travel up: a service's log change is not held against it when
//! one of its callees' own logs or spans changed at least as much, and
//! began no later (the deepest one is the cause); a callee's smaller
//! change does not explain a larger one in its caller, nor does a change
//! that began after the caller's.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::deviation::{self, SeriesIndex};
use crate::engine::spans::calls::CallStats;
use crate::engine::spans::change::{self, SpanChange};
use crate::model::{
    Confidence, Evidence, RootCause, Sample, Signal, Topology, UnixMs, format_clock,
};
use crate::store::{SeriesEntry, Store};

/// Samples a baseline needs before a series is judged.
const MIN_BASELINE_SAMPLES: usize = 8;
/// Strength below which nothing is reported.
const REPORT_Z: f64 = 4.0;
/// A z this high is as strong as evidence gets.
const SATURATE_Z: f64 = 30.0;
/// Spans this many doublings slower are as strong as evidence gets.
const SATURATE_LOG2: f64 = 8.0;
/// Weight of symptoms that travel along calls, against a service's own.
const SYMPTOM_WEIGHT: f64 = 0.25;
/// Services ranked.
pub const MAX_RANKED: usize = 10;
/// How much later than a caller's log change a callee's may begin and
/// still explain it: the stop tests judge whole minutes.
const ONSET_SLACK_MS: i64 = 60_000;

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
    /// Robust z held over half the window, strongest series of its own
    /// resources (CPU, memory, ...).
    pub metric: f64,
    /// The same for symptoms that travel along calls (latency, errors):
    /// often a callee's doing, so they weigh less.
    pub symptom: f64,
    /// Its request rate dropped (kept apart: it may be inherited).
    pub traffic_drop: f64,
    /// log2 of how many times slower, strongest significant change.
    pub spans: f64,
    /// log2 of how many times more (error/warning) or fewer (a line that
    /// stopped) lines, strongest significant change.
    pub logs: f64,
    /// The strongest figure per kind of measure (`metric:cpu`,
    /// `spans:gap`, `logs:new`, ...), for explaining a ranking.
    pub detail: BTreeMap<String, f64>,
    #[serde(skip)]
    evidence: Vec<Evidence>,
    /// When its log change began (see [`logs::LogShift::onset`]).
    #[serde(skip)]
    logs_onset: Option<UnixMs>,
    /// Services whose errors came first in most of the requests its
    /// strongest error template was written in (see
    /// [`logs::LogShift::preceded_by`]).
    #[serde(skip)]
    logs_after: Vec<String>,
    /// When the series behind the strongest of `metric`, `symptom` and
    /// `traffic_drop` was last seen off normal (its newest sample off by
    /// [`REPORT_Z`] or more).
    #[serde(skip)]
    pub metric_until: Option<UnixMs>,
}

impl Strengths {
    fn note(&mut self, what: String, z: f64) {
        let slot = self.detail.entry(what).or_insert(f64::MIN);
        *slot = slot.max(z);
    }
}

impl Strengths {
    /// The combined score in [0, 1]: each kind of evidence maps to [0, 1]
    /// (a z counts from [`REPORT_Z`] and saturates at [`SATURATE_Z`]; spans
    /// at 2^[`SATURATE_LOG2`] times slower), symptoms that travel along
    /// calls weigh a quarter, and the kinds add up, so independent kinds
    /// agreeing beat one loud kind.
    #[must_use]
    pub fn score(&self) -> f64 {
        let z = |v: f64| if v >= REPORT_Z { v.min(SATURATE_Z) / SATURATE_Z } else { 0.0 };
        let spans = (self.spans / SATURATE_LOG2).clamp(0.0, 1.0);
        let symptom = z(self.symptom.max(self.traffic_drop));
        let logs = (self.logs / SATURATE_LOG2).clamp(0.0, 1.0);
        (z(self.metric) + SYMPTOM_WEIGHT * symptom + spans + logs) / (3.0 + SYMPTOM_WEIGHT)
    }
}

/// Every candidate's strengths, by service.
#[must_use]
pub fn strengths(
    store: &Store,
    topo: &Topology,
    req: &WindowRequest,
) -> BTreeMap<String, Strengths> {
    strengths_of(store, topo, req, None, &span_changes(store, req))
}

/// The span changes of the window against the baseline.
#[must_use]
pub fn span_changes(store: &Store, req: &WindowRequest) -> Vec<SpanChange> {
    let base = CallStats::collect(store.spans(), &req.baseline);
    let win = CallStats::collect(store.spans(), &[(req.window.0, req.window.1 + 1)]);
    change::changes(&base, &win, 0.0)
}

/// [`strengths`] with the span changes given (measured once for several
/// baselines of logs and metrics), measuring metrics and logs only of the
/// services in `only` and those they call or are called by, when given;
/// the rest of the map is then incomplete.
#[must_use]
pub fn strengths_of(
    store: &Store,
    topo: &Topology,
    req: &WindowRequest,
    only: Option<&[String]>,
    changes: &[SpanChange],
) -> BTreeMap<String, Strengths> {
    // With no configured topology, the call graph the spans imply.
    let derived;
    let topo = if topo.is_empty() {
        derived = crate::engine::spans::call_graph(store.spans().iter());
        &derived
    } else {
        topo
    };
    // The services asked for, with their callers and callees: the rules
    // below weigh a service's change against theirs.
    let near: Option<BTreeSet<&str>> = only.map(|o| {
        o.iter()
            .flat_map(|s| std::iter::once(s.as_str()).chain(topo.callers(s)).chain(topo.callees(s)))
            .collect()
    });
    let wanted = |s: &str| near.as_ref().is_none_or(|o| o.contains(s));
    let index = SeriesIndex::build(store);
    let mut out: BTreeMap<String, Strengths> = BTreeMap::new();
    for s in index.services().filter(|s| wanted(s)) {
        let st = out.entry(s.to_string()).or_default();
        let mut strongest = f64::MIN;
        for e in index.service(s) {
            if let Some((z, ev, until)) = metric_strength(e, req) {
                if z > strongest {
                    strongest = z;
                    st.metric_until = Some(until);
                }
                st.note(format!("metric:{}", e.meta.signal.describe()), z);
                let slot = match e.meta.signal {
                    Signal::RequestRate => &mut st.traffic_drop,
                    Signal::LatencyP99 | Signal::ErrorRatio => &mut st.symptom,
                    _ => &mut st.metric,
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
    for ch in changes {
        let st = out.entry(ch.blamed().to_string()).or_default();
        let kind = match ch.subject {
            change::Subject::Own(_) => "spans:own",
            change::Subject::Gap(..) => "spans:gap",
            change::Subject::Errors(..) => "spans:errors",
        };
        st.note(kind.to_string(), ch.z);
        st.note(format!("{kind}_x"), ch.effect);
        if ch.z >= REPORT_Z && ch.effect > st.spans {
            st.spans = ch.effect;
        }
        if ch.z >= REPORT_Z && st.evidence.len() < 8 {
            st.evidence.push(span_evidence(ch, req.window.0));
        }
    }
    for (s, sh) in logs::shifts(store, req, near.as_ref()) {
        let st = out.entry(s.clone()).or_default();
        st.logs = sh.rise_x.max(sh.vanished_x);
        st.logs_onset = sh.onset(req.window.0);
        st.logs_after = sh.preceded_by.clone();
        st.note("logs:z".into(), sh.z_max);
        st.note("logs:sum".into(), sh.z_sum);
        st.note("logs:vanished".into(), sh.vanished_z);
        st.note("logs:vanished_x".into(), sh.vanished_x);
        st.note("logs:rise_x".into(), sh.rise_x);
        st.note("logs:rose".into(), sh.z_max);
        #[allow(clippy::cast_precision_loss)]
        st.note("logs:rose_lines".into(), sh.lines as f64);
        #[allow(clippy::cast_precision_loss)]
        st.note("logs:new".into(), sh.new_lines as f64);
        if sh.vanished_z >= REPORT_Z {
            let mut during = sh.vanished_minutes.map_or("the window".to_string(), |(a, n)| {
                if n == a + 1 {
                    format!("minute {n} of the window")
                } else {
                    format!("minutes {}–{n} of the window", a + 1)
                }
            });
            if let Some(t) = sh.vanished_since {
                let clock = crate::model::format_clock(t);
                during = format!("{during} and since {clock} before it");
            }
            let (line, (seen, kept)) = (&sh.vanished, sh.vanished_lines);
            let text = match &sh.vanished_companion {
                Some(c) => format!(
                    "{s} logs: \"{line}\" stopped in the requests that write \"{c}\" (in {during}, {seen} of those requests wrote it where the baseline's share expects {kept:.1})"
                ),
                None => format!(
                    "{s} logs: \"{line}\" stopped ({seen} lines in {during}, {kept:.1} expected from the service's other lines or its requests)"
                ),
            };
            st.evidence.push(Evidence { ts: sh.stopped_at(req.window.0), text });
        }
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
        .filter(|(_, st)| {
            st.metric.max(st.symptom).max(st.traffic_drop) >= REPORT_Z
                || st.spans >= 1.0
                || st.logs > 0.0
        })
        .map(|(s, _)| s.clone())
        .collect();
    for (s, st) in &mut out {
        if st.traffic_drop >= REPORT_Z && topo.callers(s).any(|c| troubled.contains(c)) {
            st.traffic_drop = 0.0;
        }
    }
    // Failures travel up: a caller logging about a callee whose own logs or
    // spans changed at least as much, and no later, is reporting the
    // callee's trouble: its log change is not held against it (kept in the
    // detail). A change that began after the caller's cannot have caused
    // it. Span changes are measured over the whole window, so they count
    // as from its start. A caller whose errors came after a callee's in
    // most of the requests (traces) they were written in, when that callee
    // changed too, reports the callee's trouble as well: the requests
    // failed there first, whatever the sizes (a caller may log more lines
    // per failure than its callee).
    let own_change: BTreeMap<String, (f64, UnixMs)> = out
        .iter()
        .filter(|(_, st)| st.logs > 0.0 || st.spans >= 1.0)
        .map(|(s, st)| {
            let from =
                if st.spans >= 1.0 { req.window.0 } else { st.logs_onset.unwrap_or(req.window.0) };
            (s.clone(), (st.logs.max(st.spans), from))
        })
        .collect();
    for (s, st) in &mut out {
        let began = st.logs_onset.unwrap_or(req.window.0);
        let after = &st.logs_after;
        let explained = |c: &str| {
            c != s
                && own_change.get(c).is_some_and(|(x, from)| {
                    (*x >= st.logs && *from <= began + ONSET_SLACK_MS)
                        || after.iter().any(|a| a == c)
                })
        };
        if st.logs > 0.0 && topo.callees(s).any(explained) {
            st.note("logs:callee".into(), st.logs);
            st.logs = 0.0;
        }
    }
    out
}

/// Ranks services for the window, best first, at most [`MAX_RANKED`].
#[must_use]
pub fn rank(store: &Store, topo: &Topology, req: &WindowRequest) -> Vec<RootCause> {
    causes(strengths(store, topo, req))
}

/// Services ranked by their strengths, best first, at most [`MAX_RANKED`].
#[must_use]
pub fn causes(all: BTreeMap<String, Strengths>) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = all
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

/// The robust z a series holds over half the window less what it held
/// just before, its evidence, and when it was last seen off (see [`held_z`]).
fn metric_strength(e: &SeriesEntry, req: &WindowRequest) -> Option<(f64, Evidence, UnixMs)> {
    let samples: Vec<Sample> = e.samples.iter().copied().collect();
    let mut base: Vec<f64> = samples
        .iter()
        .filter(|s| crate::model::interval::contains(&req.baseline, s.ts))
        .map(|s| s.value)
        .collect();
    if base.len() < MIN_BASELINE_SAMPLES {
        return None;
    }
    base.sort_by(f64::total_cmp);
    let med = base[base.len() / 2];
    let scale = deviation::robust_scale(&base, med);
    let bad_high = e.meta.signal.bad_when_high();
    let span_ms = req.window.1 - req.window.0;
    let step = interval(&samples);
    let held = |from: UnixMs, to: UnixMs| held_z(&samples, (from, to), step, med, scale, bad_high);
    let (z, at, peak, until) = held(req.window.0, req.window.1)?;
    // Only what changed in the window counts: a departure the series
    // already held just as long just before it (a level it moved to long
    // ago, after the baseline) is not this trouble's doing.
    let before = held(req.window.0 - span_ms, req.window.0 - 1).map_or(0.0, |(b, ..)| b.max(0.0));
    let mut text = format!(
        "{} {} {:.1}σ off baseline since {} ({} vs {})",
        crate::model::instance_of(&e.meta.labels).unwrap_or("-"),
        e.meta.signal.describe(),
        z,
        format_clock(at.ts.min(peak.ts)),
        deviation::format_value(&e.meta.signal, &e.meta.unit, peak.value),
        deviation::format_value(&e.meta.signal, &e.meta.unit, med),
    );
    if before >= 0.5 {
        text.push_str(&format!(", {before:.1}σ of it already before"));
    }
    Some((z - before, Evidence { ts: at.ts, text }, until))
}

/// The robust z a series holds for at least half of `[from, to]` (the
/// k-th strongest, at least two samples), bad direction only, with the
/// sample it is held at, the peak sample and the time of the newest
/// sample off by [`REPORT_Z`] or more.
fn held_z(
    samples: &[Sample],
    (from, to): (UnixMs, UnixMs),
    step: i64,
    med: f64,
    scale: f64,
    bad_high: bool,
) -> Option<(f64, Sample, Sample, UnixMs)> {
    let win: Vec<&Sample> = samples.iter().filter(|s| s.ts >= from && s.ts <= to).collect();
    let expected = usize::try_from((to - from + 1) / step).unwrap_or(0).max(1);
    let k = expected.div_ceil(2).max(2);
    if win.len() < k {
        return None;
    }
    let mut zs: Vec<(f64, &Sample)> = win
        .iter()
        .map(|s| {
            let z = (s.value - med) / scale;
            ((if bad_high { z } else { -z }).min(99.0), *s)
        })
        .collect();
    // The departure was last seen at the newest sample still off by as
    // much as the ranker reports.
    let newest = zs.iter().filter(|(z, _)| *z >= REPORT_Z).map(|(_, s)| s.ts).max();
    zs.sort_by(|a, b| b.0.total_cmp(&a.0));
    Some((zs[k - 1].0, *zs[k - 1].1, *zs[0].1, newest.unwrap_or(zs[k - 1].1.ts)))
}

#[cfg(test)]
mod log_tests;
mod logs;
mod paths;
#[cfg(test)]
mod tests;
