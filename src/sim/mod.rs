//! The embedded demo world: a simulated microservice system with injected
//! faults, so quell runs with no configuration at all.
//!
//! Owns `World`, which advances virtual time one `STEP_MS` per `step()` and
//! returns exactly what a connector would deliver: samples for every series,
//! log lines, deploys and restarts, the complete set of firing alerts, and its
//! own source health. Alerts are never placed by hand: the world's rule
//! evaluator (`rules`) derives them from the simulated metrics (`physics`),
//! and faults (`faults`, `schedule`) only perturb their root service, so the
//! cascade to callers is physics. Ground truth records which fault caused
//! which alert, for `quell eval`. Nothing here does I/O or reads the clock.
//!
//! Files: `topology` (services, graph), `physics` (metrics, propagation),
//! `signals` (series names), `rules` (alerting), `logs`, `faults`,
//! `schedule` (the demo's endless schedule), `rng`.

mod faults;
mod logs;
mod physics;
mod rng;
mod rules;
pub mod scenario;
mod schedule;
mod signals;
mod spans;
#[cfg(test)]
mod tests;
mod topology;

use std::collections::VecDeque;

use crate::model::{
    ChangeEvent, ChangeKind, FaultTruth, LogRecord, SourceHealth, SourceStatus, Topology, UnixMs,
};
use crate::store::Ingest;

pub use faults::{FaultKind, FaultSpec};

use faults::{ActiveFault, Effects};
use physics::Physics;
use rng::Rng;
use rules::{Fired, RuleEngine};
use schedule::DemoSchedule;
use signals::Catalog;
use topology::{Graph, NODES, SERVICES};

/// The world produces data every 15 s of simulated time.
pub const STEP_MS: i64 = 15_000;
/// Clean history (2 hours) before the demo's first fault: the anomaly
/// detectors are past their warm-ups (the longest counted in samples is the
/// context range's, [`crate::engine::anomaly::WARMUP`] samples) with 45
/// minutes more of settled records when it arrives, so a
/// newcomer sees anomaly markers with the first incident (with less, the
/// young records let ordinary noise just before the first fault through).
pub const DEMO_WARMUP_STEPS: usize = 480;
/// Clean baseline history (30 minutes) before a scenario's faults (the
/// offsets in scenario files count from its end).
pub const SCENARIO_WARMUP_STEPS: usize = 120;
const _: () = assert!(DEMO_WARMUP_STEPS > crate::engine::anomaly::WARMUP as usize);
/// An alert that starts firing this long after its fault ended is still that
/// fault's (callers recover a hop per step, `for:` and hysteresis lag).
pub const ATTRIBUTION_GRACE_MS: i64 = 3 * 60_000;
/// Faults remembered in ground truth; the oldest are forgotten beyond this.
pub const MAX_TRUTH_FAULTS: usize = 1024;
/// Alert occurrences remembered per fault (a flapping alert refires a lot).
pub const MAX_TRUTH_ALERTS: usize = 256;

/// A deterministic simulated system. Same seed, start and schedule: same
/// output, bit for bit.
#[derive(Debug, Clone)]
pub struct World {
    start: UnixMs,
    now: UnixMs,
    graph: Graph,
    catalog: Catalog,
    physics: Physics,
    rules: RuleEngine,
    upcoming: VecDeque<FaultSpec>,
    demo: Option<DemoSchedule>,
    active: Vec<ActiveFault>,
    truth: VecDeque<FaultTruth>,
    effects: Vec<Effects>,
    log_rng: Rng,
    tracer: spans::Tracer,
    deploy_rng: Rng,
    versions: Vec<(u32, u32, u32)>,
    rollback_to: Vec<Option<(u32, u32, u32)>>,
    next_benign_deploy: UnixMs,
    unattributed: u64,
}

impl World {
    /// Deterministic world from a seed, starting at `start` (unix ms), with an
    /// explicit fault schedule. Specs whose target is not a service of the
    /// world are ignored.
    #[must_use]
    pub fn new(seed: u64, start: UnixMs, schedule: Vec<FaultSpec>) -> Self {
        let graph = Graph::new(seed);
        let catalog = Catalog::new(&graph);
        let rules = RuleEngine::new(&graph, &catalog);
        let physics = Physics::new(seed, &graph, start);
        let mut deploy_rng = Rng::fork(seed, "deploys");
        let versions = SERVICES
            .iter()
            .map(|_| {
                let minor = u32::try_from(1 + deploy_rng.below(9)).unwrap_or(1);
                let patch = u32::try_from(deploy_rng.below(20)).unwrap_or(0);
                (1, minor, patch)
            })
            .collect();
        #[allow(clippy::cast_possible_truncation)]
        let first_deploy = start + (deploy_rng.range(10.0, 40.0) * 60_000.0) as i64;
        let mut upcoming: Vec<FaultSpec> = schedule;
        upcoming.sort_by_key(|s| s.start_offset_ms);
        Self {
            start,
            now: start,
            catalog,
            rules,
            physics,
            upcoming: upcoming.into(),
            demo: None,
            active: Vec::new(),
            truth: VecDeque::new(),
            effects: vec![Effects::default(); SERVICES.len() + NODES.len()],
            log_rng: Rng::fork(seed, "logs"),
            tracer: spans::Tracer::new(seed, &graph),
            deploy_rng,
            versions,
            rollback_to: vec![None; SERVICES.len()],
            next_benign_deploy: first_deploy,
            unattributed: 0,
            graph,
        }
    }

    /// The demo: an endless schedule generated lazily from the seed. The first
    /// fault starts right after `DEMO_WARMUP_STEPS` of clean history.
    #[must_use]
    pub fn demo(seed: u64, start: UnixMs) -> Self {
        let mut w = Self::new(seed, start, Vec::new());
        w.demo = Some(DemoSchedule::new(seed));
        w
    }

    #[must_use]
    pub fn now(&self) -> UnixMs {
        self.now
    }

    /// The dependency graph, caller -> callee.
    #[must_use]
    pub fn topology(&self) -> Topology {
        self.graph.topology()
    }

    /// Ground truth of every fault that has started so far (the most recent
    /// `MAX_TRUTH_FAULTS`), oldest first, with the alerts attributed to it.
    #[must_use]
    pub fn ground_truth(&self) -> Vec<FaultTruth> {
        self.truth.iter().cloned().collect()
    }

    /// Alert occurrences no active fault explains (background noise). The
    /// demo aims for none.
    #[must_use]
    pub fn unattributed_alerts(&self) -> u64 {
        self.unattributed
    }

    /// Advances one `STEP_MS` and returns what a connector would deliver.
    pub fn step(&mut self) -> Vec<Ingest> {
        self.now += STEP_MS;
        let now = self.now;
        let mut changes = Vec::new();
        self.start_and_end_faults(&mut changes);
        for fx in &mut self.effects {
            *fx = Effects::default();
        }
        for f in &self.active {
            if let Some(fx) = self.effects.get_mut(f.root) {
                f.apply(now, fx);
            }
        }
        let killed = self.physics.step(&self.graph, now, &self.effects);
        for &p in &killed {
            let Some(inst) = self.graph.instances.get(p) else {
                continue;
            };
            let restarts = self.physics.pods.get(p).map_or(0, |s| s.restarts);
            changes.push(ChangeEvent {
                ts: now,
                service: SERVICES[inst.service].name.to_string(),
                kind: ChangeKind::Restart,
                description: format!("{} OOMKilled (exit 137), restart #{restarts}", inst.name),
            });
        }
        self.maybe_benign_deploy(&mut changes);

        let mut out = Vec::with_capacity(self.catalog.len() + changes.len() + 3);
        out.push(Ingest::Health(SourceHealth {
            id: "demo".into(),
            kind: "demo".into(),
            status: SourceStatus::Ok,
            last_ok: Some(now),
            interval_ms: STEP_MS.unsigned_abs(),
        }));
        out.extend(changes.into_iter().map(Ingest::Change));
        self.catalog.emit(&self.physics, now, &mut out);
        let traced = self.tracer.step(&self.graph, &self.physics, now);
        let mut lines: Vec<LogRecord> = Vec::with_capacity(64);
        logs::step_logs(
            &self.graph,
            &self.physics,
            &self.effects,
            &traced.served,
            &killed,
            now,
            &mut self.log_rng,
            &mut lines,
        );
        out.push(Ingest::Logs(lines));
        out.push(Ingest::Spans(traced.spans));
        let physics = &self.physics;
        let (alerts, fired) = self.rules.eval(now, |m, idx| physics.read(m, idx, now));
        for f in fired {
            self.attribute(f);
        }
        out.push(Ingest::AlertPoll { source: "demo".into(), at: now, alerts });
        out
    }

    fn start_and_end_faults(&mut self, changes: &mut Vec<ChangeEvent>) {
        let now = self.now;
        let offset = now - self.start;
        if let Some(demo) = &mut self.demo {
            demo.extend_to(offset, &mut self.upcoming);
        }
        while self.upcoming.front().is_some_and(|s| s.start_offset_ms <= offset) {
            let Some(spec) = self.upcoming.pop_front() else {
                break;
            };
            let Some(root) = topology::root_of(&spec.target) else {
                continue;
            };
            // A node fault needs a node, every other kind a service.
            if spec.kind.on_node() != (root >= SERVICES.len()) {
                continue;
            }
            let start = self.start + spec.start_offset_ms;
            let fault = ActiveFault {
                end: start + spec.duration_ms.max(STEP_MS),
                start,
                root,
                spec,
                ended: false,
            };
            if fault.spec.kind == FaultKind::BadDeploy {
                let text = self.release(root, true);
                changes.push(deploy(now, root, text));
            }
            self.truth.push_back(FaultTruth {
                id: fault.spec.id.clone(),
                kind: fault.spec.kind.name().to_string(),
                root_service: fault.spec.target.clone(),
                start: fault.start,
                end: fault.end,
                alerts: Vec::new(),
            });
            if self.truth.len() > MAX_TRUTH_FAULTS {
                self.truth.pop_front();
            }
            self.active.push(fault);
        }
        let mut rollbacks = Vec::new();
        for f in &mut self.active {
            if !f.ended && now >= f.end {
                f.ended = true;
                if f.spec.kind == FaultKind::BadDeploy {
                    rollbacks.push(f.root);
                }
            }
        }
        for root in rollbacks {
            let text = self.release(root, false);
            changes.push(deploy(now, root, text));
        }
        self.active.retain(|f| now <= f.end + ATTRIBUTION_GRACE_MS);
    }

    /// A bad release is a minor bump; the rollback restores what ran before.
    fn release(&mut self, s: usize, bad: bool) -> String {
        let old = version(self.versions[s]);
        if bad {
            self.rollback_to[s] = Some(self.versions[s]);
            let v = &mut self.versions[s];
            *v = (v.0, v.1 + 1, 0);
            format!("{old} -> {}", version(self.versions[s]))
        } else if let Some(prev) = self.rollback_to[s].take() {
            self.versions[s] = prev;
            format!("{old} -> {} (rollback)", version(prev))
        } else {
            self.versions[s].2 += 1;
            format!("{old} -> {}", version(self.versions[s]))
        }
    }

    fn maybe_benign_deploy(&mut self, changes: &mut Vec<ChangeEvent>) {
        if self.now < self.next_benign_deploy {
            return;
        }
        #[allow(clippy::cast_possible_truncation)]
        let gap = (self.deploy_rng.range(40.0, 90.0) * 60_000.0) as i64;
        self.next_benign_deploy = self.now + gap;
        // Away from any fault's blast radius, so a deploy is never a false lead
        // that happens to be right.
        let busy = self.active.iter().fold(0u64, |m, f| m | self.graph.blast[f.root]);
        let free: Vec<usize> = (0..SERVICES.len()).filter(|&s| busy & (1 << s) == 0).collect();
        let Some(&s) = free.get(self.deploy_rng.below(free.len())) else {
            return;
        };
        // A service mid-rollback is always busy, so this is a patch release.
        let text = self.release(s, false);
        changes.push(deploy(self.now, s, text));
    }

    fn attribute(&mut self, fired: Fired) {
        let now = self.now;
        let g = &self.graph;
        let best = self
            .active
            .iter()
            .filter(|f| f.start <= now && now <= f.end + ATTRIBUTION_GRACE_MS)
            .filter_map(|f| g.hops_from(f.root, fired.service).map(|h| (h, f)))
            .min_by_key(|(h, f)| (*h, -f.start))
            .map(|(_, f)| f.spec.id.clone());
        let Some(id) = best else {
            self.unattributed += 1;
            return;
        };
        if let Some(t) = self.truth.iter_mut().rev().find(|t| t.id == id)
            && t.alerts.len() < MAX_TRUTH_ALERTS
        {
            t.alerts.push((fired.fingerprint, fired.starts_at));
        }
    }
}

fn version(v: (u32, u32, u32)) -> String {
    format!("v{}.{}.{}", v.0, v.1, v.2)
}

fn deploy(ts: UnixMs, s: usize, description: String) -> ChangeEvent {
    ChangeEvent { ts, service: SERVICES[s].name.to_string(), kind: ChangeKind::Deploy, description }
}
