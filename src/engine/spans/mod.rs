//! What spans say about calls between services.
//!
//! - [`calls`] folds the spans of some time intervals into per-service and
//!   per-call samples: how long each service worked itself (span duration
//!   minus its children), how long each caller→callee call took seen from
//!   both ends, the time between them (the wire and the callee's ingress),
//!   and failures.
//! - [`change`] compares two such folds (a window against its baseline) and
//!   says which services and calls got slower or fail more, in words an
//!   evidence line can carry ("calls checkout→payment: p99 40 ms → 900 ms").
//! - [`call_graph`] is the topology the spans imply (parent→child across
//!   services), used whenever none is configured.
//!
//! Plain functions over the store's spans: no I/O, no clock.

pub mod calls;
pub mod change;

use crate::model::{Span, SpanId, Topology};
use foldhash::{HashMap, HashMapExt};

/// The caller→callee edges that parent→child spans imply: a child span on
/// another service than its parent is a call from the parent's service.
#[must_use]
pub fn call_graph<'a>(spans: impl Iterator<Item = &'a Span>) -> Topology {
    let spans: Vec<&Span> = spans.collect();
    let mut by_id: HashMap<(SpanId, SpanId), &str> = HashMap::with_capacity(spans.len());
    for s in &spans {
        by_id.insert((s.trace, s.id), &s.service);
    }
    // Each service and edge once: the topology's own insertions compare
    // names, and there are far more spans than edges.
    let mut services: Vec<&str> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut edges: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for s in &spans {
        if seen.insert(&s.service) {
            services.push(&s.service);
        }
        let Some(p) = s.parent else { continue };
        if let Some(caller) = by_id.get(&(s.trace, p)) {
            if *caller != &*s.service {
                edges.insert((caller, &s.service));
            }
        }
    }
    let mut topo = Topology::new();
    for s in services {
        topo.add_service(s);
    }
    let mut edges: Vec<(&str, &str)> = edges.into_iter().collect();
    edges.sort_unstable();
    for (a, b) in edges {
        topo.add_edge(a, b);
    }
    topo
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::model::{Span, SpanId, UnixMs};

    /// A span of `service` in trace `trace`, `dur_ms` long.
    pub fn span(
        trace: u128,
        id: u128,
        parent: Option<u128>,
        service: &str,
        start: UnixMs,
        dur_ms: u64,
    ) -> Span {
        Span {
            trace: SpanId(trace),
            id: SpanId(id),
            parent: parent.map(SpanId),
            service: service.into(),
            instance: None,
            operation: format!("{service}-op").into(),
            start,
            duration_us: dur_ms * 1000,
            error: false,
        }
    }

    /// `n` traces a→b→c, one a second from `t0`: a's server span works
    /// `a_ms` itself and holds a client span calling b, which takes
    /// `wire_ms` on the wire plus b's own `b_ms` plus its call to c
    /// (`c_ms`, straight from b's server span).
    pub fn chain(t0: UnixMs, n: u128, a_ms: u64, wire_ms: u64, b_ms: u64, c_ms: u64) -> Vec<Span> {
        let mut out = Vec::new();
        for i in 0..n {
            let start = t0 + i as i64 * 1000;
            let tr = (t0 as u128) << 32 | i;
            let b = b_ms + c_ms;
            let client = wire_ms + b;
            out.push(span(tr, 1, None, "a", start, a_ms + client));
            out.push(span(tr, 4, Some(1), "a", start, client));
            out.push(span(tr, 2, Some(4), "b", start + 1, b));
            out.push(span(tr, 3, Some(2), "c", start + 2, c_ms));
        }
        out
    }

    /// Up to half a millisecond added to each span, so percentiles are not
    /// all ties.
    pub fn jittered(mut spans: Vec<Span>) -> Vec<Span> {
        for (i, s) in spans.iter_mut().enumerate() {
            s.duration_us += (i as u64 * 37) % 500;
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::chain;
    use super::*;

    #[test]
    fn graph_follows_parent_child_across_services() {
        let spans = chain(0, 2, 5, 1, 5, 5);
        let g = call_graph(spans.iter());
        assert_eq!(g.callees("a").collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(g.callees("b").collect::<Vec<_>>(), vec!["c"]);
        assert_eq!(g.callees("c").count(), 0);
    }
}
