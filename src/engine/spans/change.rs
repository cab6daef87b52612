//! Which services and calls got slower or fail more in a window than in
//! its baseline, with the blame put where the time or the failure is:
//!
//! - a service's own work slower (spans minus their children): that service;
//! - the gap between a caller's wait and the callee's service time wider
//!   (the wire, the callee's queue and ingress): the callee, which is the
//!   one the caller could not reach in time;
//! - a callee's spans failing more: the callee.
//!
//! A slow callee makes its callers wait longer too, but neither their own
//! work nor the gap grows, so callers are not blamed for it.
//!
//! A gap is shared by both ends: when one caller's calls to two or more
//! services all have wider gaps, the common end is the caller (its own
//! egress, its CPU starved before it reads the answer), not each callee;
//! those gaps are blamed on the caller, as far as they widened alike: the
//! caller's side adds about the same to each of its calls, so a gap that
//! slowed by more than twice the ratio of every other widened call of that
//! caller (an effect more than 1 above theirs) is its callee's. Gaps into
//! one callee from many callers still blame the callee.
//!
//! The wire is one network: a call seen too rarely in the baseline to know
//! its own gap (a rare request type) is judged against the gaps of every
//! call in the baseline together.
//!
//! The test is distribution-free: the share of window samples above the
//! baseline's 95th percentile, against the 5% expected if nothing changed
//! (a z-score on that share). Ties at a quantized baseline count as not
//! above, so a flat baseline does not turn noise into a shift.

use std::collections::BTreeMap;

use crate::model::Evidence;

use super::calls::{CallStats, Samples};

/// Baseline samples needed to know a percentile.
pub const MIN_BASELINE: usize = 20;
/// Window samples needed to judge a shift.
pub const MIN_WINDOW: usize = 5;
/// Cap on reported z, so strengths stay comparable.
const MAX_Z: f64 = 99.0;
const TAIL: f64 = 0.95;
/// A shift this many standard errors out is no chance: gaps this wide on
/// two calls of one caller make the caller their common end.
const SIGNIFICANT_Z: f64 = 4.0;

/// Where a change was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A service's own work.
    Own(String),
    /// The gap on a call (caller, callee).
    Gap(String, String),
    /// Failures of a call (caller, callee).
    Errors(String, String),
}

impl Subject {
    /// The service the change is blamed on.
    #[must_use]
    pub fn blamed(&self) -> &str {
        match self {
            Self::Own(s) | Self::Gap(_, s) | Self::Errors(_, s) => s,
        }
    }
}

/// One change, strong enough to report.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanChange {
    pub subject: Subject,
    pub z: f64,
    /// p99 in ms (of the measure the subject names) before and in the window.
    pub p99: (f64, f64),
    /// Error ratio of the call (or service) before and in the window.
    pub errors: (f64, f64),
    pub samples: usize,
    /// Effect size: log2 of the window's 90th percentile over the
    /// baseline's (each plus 1 ms, so sub-millisecond noise is no effect).
    pub effect: f64,
    /// For a slow-down (own work, a gap): the share of the window's spans
    /// above the baseline's 95th percentile, and that percentile in ms,
    /// the measure the change was found by (its p99 may even fall while
    /// most calls got slower).
    pub above: Option<(f64, f64)>,
    /// A gap blamed on its caller: the caller's calls to another service
    /// got a significantly wider gap too, with an effect at most 1 (a
    /// factor of two) below this one's.
    pub caller_side: bool,
}

impl SpanChange {
    /// The service the change is blamed on.
    #[must_use]
    pub fn blamed(&self) -> &str {
        match &self.subject {
            Subject::Gap(a, _) if self.caller_side => a,
            s => s.blamed(),
        }
    }

    /// The evidence line: "calls a→b: p99 40 ms → 900 ms, errors 0% → 12%".
    #[must_use]
    pub fn describe(&self) -> String {
        let (what, measure) = match &self.subject {
            Subject::Own(s) => (format!("{s} own work"), "p99"),
            Subject::Gap(a, b) => (format!("calls {a}→{b}"), "wire+queue p99"),
            Subject::Errors(a, b) => (format!("calls {a}→{b}"), "p99"),
        };
        let above = self.above.map_or(String::new(), |(share, q)| {
            format!(", {:.0}% over the normal p95 {}", share * 100.0, ms(q))
        });
        format!(
            "{what}: {measure} {} → {}{above}, errors {:.0}% → {:.0}% ({} spans){}",
            ms(self.p99.0),
            ms(self.p99.1),
            self.errors.0 * 100.0,
            self.errors.1 * 100.0,
            self.samples,
            if self.caller_side {
                "; its calls to other services too: the caller's side"
            } else {
                ""
            }
        )
    }

    #[must_use]
    pub fn evidence(&self, ts: crate::model::UnixMs) -> Evidence {
        Evidence { ts, text: self.describe() }
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 { format!("{:.2} s", v / 1000.0) } else { format!("{v:.0} ms") }
}

/// How far the window's upper tail left the baseline's (z of the share
/// above the baseline's 95th percentile); `None` with too few samples.
#[must_use]
pub fn tail_shift(base: &Samples, win: &Samples) -> Option<f64> {
    tail(base, win).map(|(z, ..)| z)
}

/// [`tail_shift`]'s z, with the window's share above the baseline's 95th
/// percentile and that percentile.
#[allow(clippy::cast_precision_loss)]
fn tail(base: &Samples, win: &Samples) -> Option<(f64, f64, f64)> {
    if base.count() < MIN_BASELINE || win.count() < MIN_WINDOW {
        return None;
    }
    let q = base.quantile(TAIL)?;
    let above = win.values.iter().filter(|v| **v > q).count() as f64;
    let n = win.count() as f64;
    let p0 = 1.0 - TAIL;
    let z = ((above / n - p0) / (p0 * (1.0 - p0) / n).sqrt()).min(MAX_Z);
    Some((z, above / n, q))
}

/// Two-proportion z of the error ratio rising; `None` with too few samples.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn error_shift(base: &Samples, win: &Samples) -> Option<f64> {
    if base.count() < MIN_BASELINE || win.count() < MIN_WINDOW {
        return None;
    }
    let (n0, n1) = (base.count() as f64, win.count() as f64);
    let (p0, p1) = (base.error_ratio(), win.error_ratio());
    if p1 <= p0 {
        return Some(0.0);
    }
    // A pooled rate floored at one failure in the baseline, so a clean
    // baseline still has a finite scale.
    let pooled = ((base.errors + win.errors) as f64 / (n0 + n1)).max(1.0 / n0);
    let se = (pooled * (1.0 - pooled) * (1.0 / n0 + 1.0 / n1)).sqrt().max(1e-9);
    Some(((p1 - p0) / se).min(MAX_Z))
}

/// Every change with z ≥ `min_z`, strongest first.
#[must_use]
pub fn changes(base: &CallStats, win: &CallStats, min_z: f64) -> Vec<SpanChange> {
    let mut out = Vec::new();
    let p99 = |s: &Samples| s.quantile(0.99).unwrap_or(0.0);
    let effect = |b: &Samples, w: &Samples| {
        let q = |s: &Samples| s.quantile(0.9).unwrap_or(0.0) + 1.0;
        (q(w) / q(b)).log2()
    };
    for (svc, w) in &win.own {
        let Some(b) = base.own.get(svc) else { continue };
        if let Some((z, share, q)) = tail(b, w).filter(|(z, ..)| *z >= min_z) {
            out.push(SpanChange {
                above: Some((share, q)),
                subject: Subject::Own(svc.clone()),
                z,
                p99: (p99(b), p99(w)),
                errors: (b.error_ratio(), w.error_ratio()),
                samples: w.count(),
                effect: effect(b, w),
                caller_side: false,
            });
        }
    }
    let wire = pooled_gap(base);
    let none = super::calls::Call::default();
    for (key, w) in &win.calls {
        let b = base.calls.get(key).unwrap_or(&none);
        let errors = (b.served.error_ratio(), w.served.error_ratio());
        let gap_base = if b.gap.count() >= MIN_BASELINE { &b.gap } else { &wire };
        if let Some((z, share, q)) = tail(gap_base, &w.gap).filter(|(z, ..)| *z >= min_z) {
            out.push(SpanChange {
                above: Some((share, q)),
                subject: Subject::Gap(key.0.clone(), key.1.clone()),
                z,
                p99: (p99(gap_base), p99(&w.gap)),
                errors,
                samples: w.gap.count(),
                effect: effect(gap_base, &w.gap),
                caller_side: false,
            });
        }
        if let Some(z) = error_shift(&b.served, &w.served).filter(|z| *z >= min_z) {
            out.push(SpanChange {
                subject: Subject::Errors(key.0.clone(), key.1.clone()),
                z,
                p99: (p99(&b.seen_by_caller), p99(&w.seen_by_caller)),
                errors,
                samples: w.served.count(),
                effect: errors.1 - errors.0,
                above: None,
                caller_side: false,
            });
        }
    }
    // The caller's side (see the module docs): a significantly wider gap
    // is its caller's when another call of that caller widened too, by an
    // effect at most 1 below its own.
    let mut widened: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for ch in &out {
        if let Subject::Gap(a, b) = &ch.subject
            && ch.z >= SIGNIFICANT_Z
        {
            widened.entry(a.as_str()).or_default().push((b.as_str(), ch.effect));
        }
    }
    let shared = |a: &str, b: &str, effect: f64| {
        widened.get(a).is_some_and(|bs| bs.iter().any(|(c, e)| *c != b && *e >= effect - 1.0))
    };
    let sides: Vec<bool> = out
        .iter()
        .map(|ch| matches!(&ch.subject, Subject::Gap(a, b) if shared(a, b, ch.effect)))
        .collect();
    for (ch, side) in out.iter_mut().zip(sides) {
        ch.caller_side = side;
    }
    out.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.subject.cmp(&b.subject)));
    out
}

/// Every call's wire gaps in the baseline, together.
fn pooled_gap(base: &CallStats) -> Samples {
    let mut out = Samples::default();
    for c in base.calls.values() {
        out.values.extend_from_slice(&c.gap.values);
    }
    out
}

#[cfg(test)]
mod tests;
