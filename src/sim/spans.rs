//! Traces of the demo world: a few sampled requests per step, entering at
//! the services nothing calls and following the call graph, each service's
//! span as slow and as often failed as the physics says it is now. The
//! request lines that App services log name these traces (see `logs`), so
//! the demo exercises what live traces would: span evidence, the call
//! graph spans imply, and the per-request stopped-line test. It reads
//! state and never changes it.

use std::sync::Arc;

use crate::model::{Span, SpanId, UnixMs};

use super::STEP_MS;
use super::physics::Physics;
use super::rng::Rng;
use super::topology::{Graph, Role, SERVICES};

/// Sampled traces per step entering at a service nothing calls: a tracer
/// keeps a sample, not every request.
const TRACES_PER_ENTRY: usize = 8;

/// What one step's traces left: the spans, and per service (by index) the
/// trace ids of the requests it served, for its request log lines.
#[derive(Debug, Default)]
pub(crate) struct Traced {
    pub spans: Vec<Span>,
    pub served: Vec<Vec<u128>>,
}

/// How often a request into `caller` calls `callee`: the callee's traffic
/// shared among its callers' (more than one call per request counts once).
fn call_share(g: &Graph, callee: usize) -> f64 {
    let into: f64 = g.callers[callee].iter().map(|&k| SERVICES[k].rate).sum();
    if into <= 0.0 { 1.0 } else { (SERVICES[callee].rate / into).min(1.0) }
}

fn operation(s: usize) -> &'static str {
    match SERVICES[s].role {
        Role::Proxy => "HTTP GET",
        Role::App => "HTTP POST /api",
        Role::Database => "SELECT",
        Role::Cache => "GET",
        Role::Queue => "publish",
        Role::Dns => "query A",
    }
}

/// The demo's tracer: the names its spans share (allocated once, not once
/// per span) and its own random stream.
#[derive(Debug, Clone)]
pub(crate) struct Tracer {
    rng: Rng,
    /// Per service: how often a request into a caller calls it.
    shares: Vec<f64>,
    names: Vec<Arc<str>>,
    ops: Vec<Arc<str>>,
    /// Per instance (pod), its name.
    pods: Vec<Arc<str>>,
}

struct Walk<'a> {
    g: &'a Graph,
    p: &'a Physics,
    t: &'a mut Tracer,
    out: &'a mut Traced,
}

impl Walk<'_> {
    /// The span of `s` serving a request of `trace` that started at
    /// `start` (its caller's span `parent`); returns its duration (µs) and
    /// whether it failed.
    fn visit(&mut self, trace: u128, parent: Option<u128>, s: usize, start: UnixMs) -> (u64, bool) {
        let id = u128::from(self.t.rng.next_u64() | 1);
        let st = &self.p.svc[s];
        let mut failed = self.t.rng.chance(st.err);
        // The service's own time: its current p99 covers the waits on its
        // callees as the physics has them; a request is a draw below it.
        let own = st.lat * self.t.rng.range(0.2, 1.0);
        let mut waited = 0.0_f64;
        let g = self.g;
        for e in &g.callees[s] {
            if !self.t.rng.chance(self.t.shares[e.callee]) {
                continue;
            }
            // A connection that never arrived leaves no span on the callee.
            if self.t.rng.chance(self.p.svc[e.callee].conn_err) {
                failed = true;
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            let at = start + (waited * 1000.0) as i64;
            let (us, err) = self.visit(trace, Some(id), e.callee, at);
            #[allow(clippy::cast_precision_loss)]
            let secs = us as f64 / 1e6;
            waited += secs * e.lat_w;
            failed |= err && self.t.rng.chance(e.err_w);
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let us = (own.max(waited) * 1e6).max(50.0) as u64;
        let pods = &self.g.pods[s];
        let instance = (!pods.is_empty())
            .then(|| pods[self.t.rng.below(pods.len())])
            .and_then(|i| self.t.pods.get(i))
            .cloned();
        self.out.spans.push(Span {
            trace: SpanId(trace),
            id: SpanId(id),
            parent: parent.map(SpanId),
            service: self.t.names[s].clone(),
            instance,
            operation: self.t.ops[s].clone(),
            start,
            duration_us: us,
            error: failed,
        });
        self.out.served[s].push(trace);
        (us, failed)
    }
}

impl Tracer {
    pub(crate) fn new(seed: u64, g: &Graph) -> Self {
        Self {
            rng: Rng::fork(seed, "spans"),
            shares: (0..SERVICES.len()).map(|c| call_share(g, c)).collect(),
            names: SERVICES.iter().map(|s| Arc::from(s.name)).collect(),
            ops: (0..SERVICES.len()).map(|s| Arc::from(operation(s))).collect(),
            pods: g.instances.iter().map(|i| Arc::from(i.name.as_str())).collect(),
        }
    }

    /// The sampled traces of the step ending at `now`.
    pub(crate) fn step(&mut self, g: &Graph, p: &Physics, now: UnixMs) -> Traced {
        let mut out = Traced { spans: Vec::new(), served: vec![Vec::new(); SERVICES.len()] };
        let mut walk = Walk { g, p, t: self, out: &mut out };
        for entry in (0..SERVICES.len()).filter(|&s| g.callers[s].is_empty()) {
            for _ in 0..TRACES_PER_ENTRY {
                let r = &mut walk.t.rng;
                let trace = (u128::from(r.next_u64()) << 64) | u128::from(r.next_u64() | 1);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let at = now - STEP_MS + r.below(STEP_MS as usize) as i64;
                walk.visit(trace, None, entry, at);
            }
        }
        out
    }
}
