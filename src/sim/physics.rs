//! The metric physics: how every service and pod evolves one step at a time.
//!
//! Owns the time-varying state (rates, errors, latencies, CPU, memory, disk,
//! certificates, restarts) and the propagation rule that makes faults cascade:
//! a caller's latency and errors this step are computed from its callees'
//! values of the *previous* step, scaled by edge weights below one. So a fault
//! shows at its root first and strongest, one hop further each step. It knows
//! nothing about alerts, logs or schedules; faults reach it only as `Effects`.

use std::collections::VecDeque;

use crate::model::UnixMs;

use super::faults::Effects;
use super::rng::Rng;
use super::topology::{Graph, NODES, SERVICES};

mod metric;
mod pods;

pub(crate) use metric::Metric;

const DAY_MS: i64 = 86_400_000;
/// cert-manager style renewal: a certificate is replaced this long before it expires.
const RENEW_BEFORE_DAYS: f64 = 25.0;
const CERT_LIFETIME_MS: i64 = 90 * DAY_MS;
/// Steps before a stopped node is marked NotReady (node-monitor-grace-period
/// 40 s); until then its pods stay in their services' endpoints.
const NOT_READY_AFTER_STEPS: u32 = 3;

#[derive(Debug, Clone)]
pub(crate) struct ServiceState {
    pub rate: f64,
    pub err: f64,
    pub lat: f64,
    /// Errors callers see on top of `err` (connections that never arrived).
    pub conn_err: f64,
    pub cert_not_after: UnixMs,
    cert_faulty: bool,
    /// The part of `err` inherited from callees, for "upstream" log lines.
    pub upstream_err: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct PodState {
    /// This instance's p99 latency and error ratio: the service's callees
    /// are shared, its own work (GC pressure, a full volume) is not.
    pub lat: f64,
    pub err: f64,
    pub cpu: f64,
    pub mem: f64,
    pub disk: f64,
    disk_slope: f64,
    pub restarts: u64,
    /// Restart times inside the window; capped by the window and the OOM pace.
    recent: VecDeque<UnixMs>,
    down_steps: u8,
    /// GC pressure from memory near the limit, 0..1.
    pressure: f64,
    /// Error ratio from writes failing on a nearly full volume.
    disk_err: f64,
    /// Its node is down: no scrape reaches it, no request is served.
    unreachable: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct NodeState {
    pub up: bool,
    /// Steps since the node stopped (0 while it runs).
    down_steps: u32,
    pub scrape_s: f64,
}

/// Prometheus' default scrape timeout.
const SCRAPE_TIMEOUT_S: f64 = 10.0;

#[derive(Debug, Clone)]
pub(crate) struct Physics {
    pub svc: Vec<ServiceState>,
    pub pods: Vec<PodState>,
    pub nodes: Vec<NodeState>,
    rng: Rng,
    prev_lat: Vec<f64>,
    prev_err: Vec<f64>,
}

fn sq(x: f64) -> f64 {
    x * x
}

impl Physics {
    pub(crate) fn new(seed: u64, graph: &Graph, start: UnixMs) -> Self {
        let mut rng = Rng::fork(seed, "physics");
        let svc = SERVICES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                #[allow(clippy::cast_possible_truncation)]
                let days = rng.range(30.0, 85.0) * 86_400_000.0;
                ServiceState {
                    rate: s.rate,
                    err: s.error_ratio,
                    lat: graph.base_p99[i],
                    conn_err: 0.0,
                    cert_not_after: start + days as i64,
                    cert_faulty: false,
                    upstream_err: 0.0,
                }
            })
            .collect();
        let pods = graph
            .instances
            .iter()
            .map(|p| {
                let s = &SERVICES[p.service];
                PodState {
                    lat: graph.base_p99[p.service],
                    err: s.error_ratio,
                    cpu: s.cpu,
                    mem: s.memory,
                    disk: s.disk,
                    disk_slope: 0.0,
                    restarts: 0,
                    recent: VecDeque::new(),
                    down_steps: 0,
                    pressure: 0.0,
                    disk_err: 0.0,
                    unreachable: false,
                }
            })
            .collect();
        let nodes =
            NODES.iter().map(|_| NodeState { up: true, down_steps: 0, scrape_s: 0.03 }).collect();
        Self {
            svc,
            pods,
            nodes,
            rng: Rng::fork(seed, "noise"),
            prev_lat: Vec::new(),
            prev_err: Vec::new(),
        }
    }

    /// Advances to `now`; returns the pods that were OOM-killed this step.
    pub(crate) fn step(&mut self, g: &Graph, now: UnixMs, fx: &[Effects]) -> Vec<usize> {
        self.prev_lat.clear();
        self.prev_lat.extend(self.svc.iter().map(|s| s.lat));
        self.prev_err.clear();
        self.prev_err.extend(self.svc.iter().map(|s| (s.err + s.conn_err).min(1.0)));
        #[allow(clippy::cast_precision_loss)]
        let phase = (now.rem_euclid(DAY_MS)) as f64 / DAY_MS as f64;
        let diurnal = 1.0 + 0.12 * (std::f64::consts::TAU * phase).sin();
        let neutral = Effects::default();
        let mut killed = Vec::new();
        for (j, node) in self.nodes.iter_mut().enumerate() {
            let down = fx.get(SERVICES.len() + j).is_some_and(|e| e.node_down);
            node.up = !down;
            node.down_steps = if down { node.down_steps + 1 } else { 0 };
        }
        for p in 0..self.pods.len() {
            let node = g.instances.get(p).map_or(0, |i| i.node);
            self.pods[p].unreachable = self.nodes.get(node).is_some_and(|n| !n.up);
        }
        for (s, spec) in SERVICES.iter().enumerate() {
            let e = fx.get(s).unwrap_or(&neutral);
            let (gc, down, disk_err) = self.step_pods(g, s, now, diurnal, e, &mut killed);
            let own_lat = (spec.self_p99 * e.lat_mult * (1.0 + 1.5 * gc) + e.lat_add)
                * (0.07 * self.rng.normal()).exp();
            let mut waits = 0.0;
            let mut upstream = 0.0;
            for edge in &g.callees[s] {
                let lat = self.prev_lat[edge.callee];
                waits += edge.lat_w * lat;
                let t = spec.timeout;
                let timeouts = 0.15 * sq(((lat - 0.6 * t) / (0.8 * t)).clamp(0.0, 1.0));
                upstream += edge.err_w * self.prev_err[edge.callee] + timeouts;
            }
            let own_err = spec.error_ratio * (0.3 * self.rng.normal()).exp()
                + e.err_add
                + 0.6 * down
                + disk_err;
            self.step_pod_signals(g, s, e, waits, upstream);
            let st = &mut self.svc[s];
            st.lat = own_lat + waits;
            st.err = (own_err + upstream).clamp(0.0, 1.0);
            st.upstream_err = upstream.min(1.0);
            st.conn_err = e.conn_err.clamp(0.0, 1.0);
            st.rate = spec.rate
                * diurnal
                * e.rate_mult
                * (1.0 - 0.8 * down)
                * (1.0 + 0.03 * self.rng.normal());
            match e.cert_not_after {
                Some(t) => {
                    st.cert_not_after = t;
                    st.cert_faulty = true;
                }
                None if st.cert_faulty => {
                    st.cert_faulty = false;
                    st.cert_not_after = now + CERT_LIFETIME_MS;
                }
                None => {}
            }
            if !st.cert_faulty && days_until(st.cert_not_after, now) < RENEW_BEFORE_DAYS {
                st.cert_not_after = now + CERT_LIFETIME_MS;
            }
        }
        self.step_nodes();
        killed
    }

    /// How long each node's exporter scrape takes: a few tens of ms, the
    /// timeout when the node does not answer.
    fn step_nodes(&mut self) {
        for node in &mut self.nodes {
            node.scrape_s =
                if node.up { 0.03 * (0.15 * self.rng.normal()).exp() } else { SCRAPE_TIMEOUT_S };
        }
    }

    /// Sizes of the internal buffers, for the boundedness test.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.pods.iter().map(|p| p.recent.len()).sum::<usize>() + self.prev_lat.len()
    }
}

fn days_until(t: UnixMs, now: UnixMs) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let d = (t - now) as f64 / DAY_MS as f64;
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::topology::index_of;

    #[test]
    fn root_deviates_first_then_callers_one_hop_per_step() {
        let g = Graph::new(5);
        let mut p = Physics::new(5, &g, 0);
        let pg = index_of("postgres").unwrap_or(0);
        let pay = index_of("payments").unwrap_or(0);
        let chk = index_of("checkout").unwrap_or(0);
        let mut fx = vec![Effects::default(); SERVICES.len() + NODES.len()];
        for t in 1..=20 {
            p.step(&g, t * 15_000, &fx);
        }
        fx[pg].lat_add = 0.5;
        p.step(&g, 21 * 15_000, &fx);
        assert!(p.svc[pg].lat > 0.4);
        assert!(p.svc[pay].lat < g.base_p99[pay] * 1.5);
        p.step(&g, 22 * 15_000, &fx);
        assert!(p.svc[pay].lat > 0.3);
        assert!(p.svc[chk].lat < g.base_p99[chk] * 1.5);
        p.step(&g, 23 * 15_000, &fx);
        assert!(p.svc[chk].lat > g.base_p99[chk] + 0.1);
        // Attenuation: the relative deviation shrinks with every hop (absolute
        // excess can grow where paths fan in: checkout waits on two callees).
        let ratio = |s: usize| p.svc[s].lat / g.base_p99[s];
        assert!(ratio(pg) > ratio(pay) && ratio(pay) > ratio(chk));
    }

    #[test]
    fn memory_leak_ends_in_oom_and_a_sawtooth() {
        let g = Graph::new(5);
        let mut p = Physics::new(5, &g, 0);
        let s = index_of("cart").unwrap_or(0);
        let mut fx = vec![Effects::default(); SERVICES.len() + NODES.len()];
        fx[s].leak = 3.0;
        let mut kills = 0;
        for t in 1..=80 {
            kills += p.step(&g, t * 15_000, &fx).len();
        }
        assert!(kills >= 2, "{kills}");
        assert!(p.read(Metric::RecentRestarts, g.pods[s][0], 80 * 15_000) >= 1.0);
    }
}
