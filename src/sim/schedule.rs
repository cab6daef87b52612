//! The demo's endless fault schedule, generated lazily from the seed.
//!
//! Owns when faults happen and where. Guarantees that two faults whose
//! attribution windows overlap never share a service in their blast radius:
//! faults in the shop run one after another with a quiet gap, and only the
//! analytics island gets a concurrent one. It does not know what faults do.

use std::collections::VecDeque;

use super::faults::{FaultKind, FaultSpec};
use super::rng::Rng;
use super::topology::{Role, SERVICES};
use super::{ATTRIBUTION_GRACE_MS, DEMO_WARMUP_STEPS, STEP_MS};

const MINUTE: i64 = 60_000;
/// How far ahead of "now" specs are generated.
const LOOKAHEAD_MS: i64 = 30 * MINUTE;
/// Roughly one shop fault in four gets an island fault alongside.
const ISLAND_CHANCE: f64 = 0.25;
const FIRST_TARGETS: &[&str] = &["checkout", "payments", "cart", "catalog", "search", "inventory"];

pub(crate) fn eligible(kind: FaultKind, service: usize) -> bool {
    let role = SERVICES[service].role;
    match kind {
        FaultKind::SlowDatabase => matches!(role, Role::Database | Role::Cache),
        FaultKind::DiskFilling => !matches!(role, Role::Dns | Role::Proxy),
        FaultKind::MemoryLeak => role != Role::Dns,
        _ => true,
    }
}

fn on_island(service: usize) -> bool {
    SERVICES[service].namespace == "analytics"
}

fn round_to_step(ms: i64) -> i64 {
    (ms / STEP_MS) * STEP_MS
}

#[derive(Debug, Clone)]
pub(crate) struct DemoSchedule {
    rng: Rng,
    next_main_offset: i64,
    cycle: Vec<FaultKind>,
    cycle_pos: usize,
    island_pos: usize,
    /// The last few shop targets, so consecutive faults move around.
    recent: VecDeque<usize>,
    last_island_end: i64,
    seq: u64,
    started: bool,
}

impl DemoSchedule {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: Rng::fork(seed, "schedule"),
            // The first fault starts three steps before the warm-up ends, so
            // its first alert fires a step or two after it: a newcomer sees an
            // incident within seconds.
            next_main_offset: (i64::try_from(DEMO_WARMUP_STEPS).unwrap_or(0) - 3) * STEP_MS,
            cycle: Vec::new(),
            cycle_pos: 0,
            island_pos: 0,
            recent: VecDeque::new(),
            last_island_end: i64::MIN / 2,
            seq: 0,
            started: false,
        }
    }

    /// Appends, in start order, every spec starting before `offset + LOOKAHEAD`.
    pub(crate) fn extend_to(&mut self, offset: i64, out: &mut VecDeque<FaultSpec>) {
        while self.next_main_offset < offset + LOOKAHEAD_MS {
            let main = self.next_main();
            let (start, duration) = (main.start_offset_ms, main.duration_ms);
            out.push_back(main);
            if self.rng.chance(ISLAND_CHANCE)
                && let Some(island) = self.island_fault(start)
            {
                out.push_back(island);
            }
            let gap = self.rng.range(3.5, 5.0) * 60_000.0;
            #[allow(clippy::cast_possible_truncation)]
            let gap = (gap as i64).max(ATTRIBUTION_GRACE_MS + STEP_MS);
            self.next_main_offset = round_to_step(start + duration + gap + STEP_MS - 1);
        }
    }

    fn next_id(&mut self, kind: FaultKind) -> String {
        self.seq += 1;
        format!("F{:03}-{}", self.seq, kind.name())
    }

    fn next_kind(&mut self) -> FaultKind {
        if self.cycle_pos >= self.cycle.len() {
            self.cycle = FaultKind::SCHEDULED.to_vec();
            for i in (1..self.cycle.len()).rev() {
                let j = self.rng.below(i + 1);
                self.cycle.swap(i, j);
            }
            self.cycle_pos = 0;
        }
        let k = self.cycle[self.cycle_pos];
        self.cycle_pos += 1;
        k
    }

    fn duration(&mut self, kind: FaultKind) -> i64 {
        let (lo, hi) = kind.duration_minutes();
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let ms = (self.rng.range(lo as f64, hi as f64 + 1.0) * 60_000.0) as i64;
        round_to_step(ms)
    }

    fn next_main(&mut self) -> FaultSpec {
        let (kind, target) = if self.started {
            let kind = self.next_kind();
            (kind, self.pick_target(kind))
        } else {
            // A fast, unambiguous first fault: its first alert fires about
            // four steps after the warm-up.
            self.started = true;
            let name = FIRST_TARGETS[self.rng.below(FIRST_TARGETS.len())];
            let idx = SERVICES.iter().position(|s| s.name == name).unwrap_or(0);
            (FaultKind::BadDeploy, idx)
        };
        self.recent.push_back(target);
        if self.recent.len() > 4 {
            self.recent.pop_front();
        }
        let intensity = if self.seq == 0 { 1.2 } else { self.rng.range(0.9, 1.4) };
        FaultSpec {
            id: self.next_id(kind),
            kind,
            target: SERVICES[target].name.to_string(),
            start_offset_ms: self.next_main_offset,
            duration_ms: self.duration(kind),
            intensity,
        }
    }

    fn pick_target(&mut self, kind: FaultKind) -> usize {
        let all: Vec<usize> =
            (0..SERVICES.len()).filter(|&s| !on_island(s) && eligible(kind, s)).collect();
        let fresh: Vec<usize> = all.iter().copied().filter(|s| !self.recent.contains(s)).collect();
        let pool = if fresh.is_empty() { &all } else { &fresh };
        pool.get(self.rng.below(pool.len())).copied().unwrap_or(0)
    }

    fn island_fault(&mut self, main_start: i64) -> Option<FaultSpec> {
        #[allow(clippy::cast_possible_truncation)]
        let delay = (self.rng.range(1.0, 3.0) * 60_000.0) as i64;
        let start = round_to_step(main_start + delay);
        if start < self.last_island_end + ATTRIBUTION_GRACE_MS + STEP_MS {
            return None;
        }
        let kind = FaultKind::SCHEDULED[self.island_pos % FaultKind::SCHEDULED.len()];
        self.island_pos += 1;
        let targets: Vec<usize> =
            (0..SERVICES.len()).filter(|&s| on_island(s) && eligible(kind, s)).collect();
        let target = *targets.get(self.rng.below(targets.len()))?;
        let duration = self.duration(kind);
        self.last_island_end = start + duration;
        Some(FaultSpec {
            id: self.next_id(kind),
            kind,
            target: SERVICES[target].name.to_string(),
            start_offset_ms: start,
            duration_ms: duration,
            intensity: self.rng.range(0.9, 1.4),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::topology::{Graph, index_of};

    fn generate(seed: u64, hours: i64) -> Vec<FaultSpec> {
        let mut s = DemoSchedule::new(seed);
        let mut out = VecDeque::new();
        s.extend_to(hours * 60 * MINUTE, &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn never_overlaps_related_services() {
        let g = Graph::new(3);
        for seed in 0..20 {
            let specs = generate(seed, 24);
            for (i, a) in specs.iter().enumerate() {
                for b in &specs[i + 1..] {
                    let a_end = a.start_offset_ms + a.duration_ms + ATTRIBUTION_GRACE_MS;
                    let b_end = b.start_offset_ms + b.duration_ms + ATTRIBUTION_GRACE_MS;
                    let overlap = a.start_offset_ms < b_end && b.start_offset_ms < a_end;
                    let (ra, rb) = (index_of(&a.target), index_of(&b.target));
                    let (Some(ra), Some(rb)) = (ra, rb) else {
                        panic!("unknown target {} or {}", a.target, b.target);
                    };
                    assert!(!(overlap && g.related(ra, rb)), "{a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn timing_kinds_and_targets() {
        let specs = generate(11, 12);
        let warm = i64::try_from(DEMO_WARMUP_STEPS).unwrap_or(0) * STEP_MS;
        assert_eq!(specs[0].kind, FaultKind::BadDeploy);
        assert_eq!(specs[0].start_offset_ms, warm - 3 * STEP_MS);
        let first_hour = specs
            .iter()
            .filter(|s| {
                s.start_offset_ms >= warm - 3 * STEP_MS && s.start_offset_ms < warm + 60 * MINUTE
            })
            .count();
        assert!((4..=8).contains(&first_hour), "{first_hour} faults in the first hour");
        for k in FaultKind::SCHEDULED {
            assert!(specs.iter().any(|s| s.kind == k), "{k:?} never scheduled");
        }
        let targets: std::collections::BTreeSet<&str> =
            specs.iter().map(|s| s.target.as_str()).collect();
        assert!(targets.len() >= 12, "only {targets:?}");
        assert!(specs.iter().any(|s| on_island(index_of(&s.target).unwrap_or(0))));
        assert!(specs.windows(2).all(|w| w[0].start_offset_ms <= w[1].start_offset_ms));
        for s in &specs {
            let (lo, hi) = s.kind.duration_minutes();
            assert!(s.duration_ms >= lo * MINUTE - STEP_MS && s.duration_ms <= (hi + 1) * MINUTE);
        }
    }
}
