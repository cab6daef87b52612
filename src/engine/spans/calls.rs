//! Folding spans into per-service and per-call samples.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use crate::model::{Span, SpanId, UnixMs};
use crate::store::Spans;

/// Samples of one service or one call, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    pub values: Vec<f64>,
    pub errors: usize,
}

impl Samples {
    #[must_use]
    pub fn count(&self) -> usize {
        self.values.len()
    }

    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn error_ratio(&self) -> f64 {
        if self.values.is_empty() { 0.0 } else { self.errors as f64 / self.values.len() as f64 }
    }

    /// The `q` quantile (nearest rank); `None` when empty. Without a copy
    /// when the values are sorted (as [`CallStats::of`] leaves them).
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.values.is_sorted_by(|a, b| a.total_cmp(b).is_le()) {
            return Some(self.values[nearest_rank(self.values.len(), q)?]);
        }
        let mut v = self.values.clone();
        quantile_of(&mut v, q)
    }
}

/// The `q` quantile of `v` (nearest rank; sorts it).
#[must_use]
pub fn quantile_of(v: &mut [f64], q: f64) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    Some(v[nearest_rank(v.len(), q)?])
}

/// The index of the `q` quantile among `n` sorted values (nearest rank).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
fn nearest_rank(n: usize, q: f64) -> Option<usize> {
    (n > 0).then(|| ((q.clamp(0.0, 1.0) * n as f64).ceil() as usize).clamp(1, n) - 1)
}

/// One call between two services.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Call {
    /// The caller's span around the call (what the caller waited).
    pub seen_by_caller: Samples,
    /// The callee's span (what the callee served).
    pub served: Samples,
    /// Caller's wait minus callee's service time: the wire, the callee's
    /// queue and ingress (only from client spans, whose wait is all wire).
    pub gap: Samples,
}

/// Spans of some intervals, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallStats {
    /// Per service: each span's own time (duration minus its children),
    /// except client spans (nested in their service and calling another),
    /// whose own time is the wire and is counted in [`Call::gap`].
    pub own: BTreeMap<String, Samples>,
    /// Per (caller, callee).
    pub calls: BTreeMap<(String, String), Call>,
    pub spans: usize,
}

impl CallStats {
    /// Folds the spans that started inside any of `intervals` (`[from, to)`).
    #[must_use]
    pub fn collect(spans: &Spans, intervals: &[(UnixMs, UnixMs)]) -> Self {
        let from = intervals.iter().map(|i| i.0).min().unwrap_or(0);
        let to = intervals.iter().map(|i| i.1).max().unwrap_or(0);
        let picked: Vec<&Span> = spans
            .between(from, to)
            .filter(|s| crate::model::interval::contains(intervals, s.start))
            .collect();
        Self::of(&picked)
    }

    /// Folds the given spans (parents outside the set are unknown). Every
    /// sample list comes out sorted, so quantiles need no copy.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn of(spans: &[&Span]) -> Self {
        let mut by_id: HashMap<(SpanId, SpanId), usize> = HashMap::with_capacity(spans.len());
        for (i, s) in spans.iter().enumerate() {
            by_id.insert((s.trace, s.id), i);
        }
        // Each span's service as a small number: names are compared and
        // copied once per service, not once per span. Spans share their
        // name's allocation (readers and the demo's tracer intern names),
        // so the allocation is looked up first, its text once.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut by_alloc: HashMap<*const u8, usize> = HashMap::new();
        let svc: Vec<usize> = spans
            .iter()
            .map(|s| {
                *by_alloc.entry(s.service.as_ptr()).or_insert_with(|| {
                    let next = index.len();
                    *index.entry(&*s.service).or_insert(next)
                })
            })
            .collect();
        // Time spent in children, per parent, and whether a parent calls
        // another service (a client span: its own time is the wire).
        let mut in_children = vec![0u64; spans.len()];
        let mut calls_out = vec![false; spans.len()];
        let mut parent_of = vec![None; spans.len()];
        for (i, s) in spans.iter().enumerate() {
            if let Some(&p) = s.parent.and_then(|p| by_id.get(&(s.trace, p))) {
                in_children[p] = in_children[p].saturating_add(s.duration_us);
                calls_out[p] |= svc[p] != svc[i];
                parent_of[i] = Some(p);
            }
        }
        let mut own = vec![Samples::default(); index.len()];
        let mut calls: HashMap<(usize, usize), Call> = HashMap::new();
        for (i, s) in spans.iter().enumerate() {
            let nested = parent_of[i].is_some_and(|p| svc[p] == svc[i]);
            if !(calls_out[i] && nested) {
                let own_ms = s.duration_us.saturating_sub(in_children[i]) as f64 / 1000.0;
                own[svc[i]].values.push(own_ms);
                own[svc[i]].errors += usize::from(s.error);
            }
            let Some(pi) = parent_of[i] else { continue };
            if svc[pi] == svc[i] {
                continue;
            }
            let p = spans[pi];
            let call = calls.entry((svc[pi], svc[i])).or_default();
            call.seen_by_caller.values.push(p.duration_ms());
            call.seen_by_caller.errors += usize::from(p.error);
            call.served.values.push(s.duration_ms());
            call.served.errors += usize::from(s.error);
            // Only a client span's wait is all wire: a span that also works
            // itself would make its own work look like the callee's gap.
            let client = calls_out[pi] && parent_of[pi].is_some_and(|g| svc[g] == svc[pi]);
            if client {
                call.gap.values.push((p.duration_ms() - s.duration_ms()).max(0.0));
            }
        }
        let mut names = vec![""; index.len()];
        for (name, i) in index {
            names[i] = name;
        }
        let sorted = |mut x: Samples| {
            x.values.sort_by(f64::total_cmp);
            x
        };
        Self {
            own: (own.into_iter().enumerate())
                .filter(|(_, x)| !x.values.is_empty())
                .map(|(i, x)| (names[i].to_string(), sorted(x)))
                .collect(),
            calls: calls
                .into_iter()
                .map(|((a, b), c)| {
                    let c = Call {
                        seen_by_caller: sorted(c.seen_by_caller),
                        served: sorted(c.served),
                        gap: sorted(c.gap),
                    };
                    ((names[a].to_string(), names[b].to_string()), c)
                })
                .collect(),
            spans: spans.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::chain;
    use super::*;

    #[test]
    fn own_time_excludes_children_and_gap_is_the_wire() {
        let spans = chain(0, 4, 5, 3, 7, 11);
        let refs: Vec<&Span> = spans.iter().collect();
        let st = CallStats::of(&refs);
        // a's client span (its own time is the wire) is not a's work.
        assert_eq!(st.own["a"].quantile(0.5), Some(5.0));
        assert_eq!(st.own["a"].count(), 4);
        // b calls c straight from its server span: b's work excludes c.
        assert_eq!(st.own["b"].quantile(0.5), Some(7.0));
        assert_eq!(st.own["c"].quantile(0.5), Some(11.0));
        let ab = &st.calls[&("a".to_string(), "b".to_string())];
        assert_eq!(ab.gap.quantile(0.5), Some(3.0));
        assert_eq!(ab.served.quantile(0.99), Some(18.0));
        assert_eq!(ab.seen_by_caller.count(), 4);
        // b calls c from a span that also works: no wire measure.
        assert_eq!(st.calls[&("b".to_string(), "c".to_string())].gap.count(), 0);
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile_of(&mut v, 0.5), Some(2.0));
        assert_eq!(quantile_of(&mut v, 0.99), Some(4.0));
        assert_eq!(quantile_of(&mut [], 0.5), None);
    }
}
