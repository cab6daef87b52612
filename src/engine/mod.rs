//! The engine: plain functions (and one small stateful correlator) over the
//! store. No tokio, no terminal: the same code runs in the TUI, in
//! `quell snapshot` and in evaluations.
//!
//! - [`correlate`] groups alert occurrences into incidents online and runs
//!   their lifecycle (open → quiet → resolved).
//! - [`deviation`] measures how far each service's signals left their
//!   baseline and when (robust statistics).
//! - [`rca`] ranks suspected root causes per incident with evidence.
//! - [`anomaly`] scores metric samples as they stream in (and NAB scoring).

pub mod anomaly;
pub mod correlate;
pub mod deviation;
pub mod logs;
pub mod rca;
pub mod regroup;
pub mod score;
pub mod siblings;
pub mod spans;
pub mod suspect;
#[cfg(test)]
mod testutil;

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
use foldhash::{HashMap, HashMapExt, HashSet};

use crate::model::{EntityLabels, Incident, IncidentId, IncidentState, Topology, UnixMs};
use crate::store::Store;

pub use correlate::Correlator;

/// Samples after which live series get the small-sample early score
/// (15 minutes of a one-minute series, under 4 of a 15-second one).
pub const LIVE_EARLY_FROM: u32 = anomaly::early::MIN_FROM;

/// Engine tuning. Defaults are documented in `config.example.toml` (`[engine]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// A new alert joins an incident when it starts within this long of the
    /// incident's latest alert start (and is related to it).
    pub group_window: HumanDuration,
    /// Labels that make alerts of services outside the topology belong together.
    pub group_by: Vec<String>,
    /// Hops along the dependency graph within which alerts are related.
    pub max_graph_distance: usize,
    /// An incident with no active alerts stays "quiet" this long before it is resolved;
    /// the same alert firing again meanwhile reopens it.
    pub quiet_cooldown: HumanDuration,
    /// Baseline window length before an incident, for deviation statistics.
    pub baseline: HumanDuration,
    /// Incidents remembered (resolved ones are dropped oldest first).
    pub max_incidents: usize,
    /// Auto-pause (as PagerDuty calls it): an alert that would open a new
    /// incident waits this long after it started; if it resolves meanwhile
    /// (a transient) no incident is shown. An alert that fired before
    /// (flapping) and alerts joining an existing incident are never held.
    /// `0` disables.
    pub auto_pause: HumanDuration,
    /// Labels naming an alert's service, first present wins (its entity).
    pub service_labels: Vec<String>,
    /// Without a service label: labels naming the scrape target or host
    /// (`:port` dropped), the job being its kind.
    pub target_labels: Vec<String>,
    /// Without either: the last resort (a job, a namespace).
    pub fallback_labels: Vec<String>,
    /// The metric anomaly detectors' settings (lengths in time and
    /// samples, see [`anomaly::DetectorConfig`]): one place, so live use
    /// and the replays of `quell eval` run the same detectors. Not read
    /// from the config file.
    #[serde(skip)]
    pub detector: anomaly::DetectorConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            group_window: HumanDuration::mins(5),
            group_by: vec!["alertname".into(), "cluster".into()],
            max_graph_distance: 3,
            quiet_cooldown: HumanDuration::mins(5),
            baseline: HumanDuration::mins(30),
            max_incidents: 1_000,
            auto_pause: HumanDuration::secs(0),
            service_labels: EntityLabels::default().service,
            target_labels: EntityLabels::default().target,
            fallback_labels: EntityLabels::default().fallback,
            // Live series are scored from their first minutes, not their
            // first hour (see `anomaly::early`).
            detector: anomaly::DetectorConfig {
                early_from: LIVE_EARLY_FROM,
                ..anomaly::DetectorConfig::default()
            },
        }
    }
}

impl EngineConfig {
    /// The entity label lists of this config.
    #[must_use]
    pub fn entity_labels(&self) -> EntityLabels {
        EntityLabels {
            service: self.service_labels.clone(),
            target: self.target_labels.clone(),
            fallback: self.fallback_labels.clone(),
        }
    }

    /// Returns (key, message) for the first invalid value.
    ///
    /// # Errors
    /// A zero or absurd window.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.group_window.0.is_zero() {
            return Err(("group_window".into(), "must be greater than 0".into()));
        }
        if self.baseline.0.as_secs() < 60 {
            return Err(("baseline".into(), "must be at least 1m".into()));
        }
        if self.max_incidents == 0 {
            return Err(("max_incidents".into(), "must be at least 1".into()));
        }
        if self.max_graph_distance > 16 {
            return Err(("max_graph_distance".into(), "must be at most 16".into()));
        }
        Ok(())
    }
}

/// The engine: the correlator plus root-cause ranking for open incidents.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: EngineConfig,
    topology: Topology,
    correlator: Correlator,
    /// When each incident was last ranked; open ones are re-ranked as data
    /// arrives, at most every `RERANK_MS`.
    last_ranked: HashMap<IncidentId, UnixMs>,
    /// Log templates per service, fed as log lines arrive.
    patterns: logs::LogPatterns,
    /// The operator's merges and splits, laid over the correlator's output.
    regroup: regroup::Regrouper,
    /// The call graph as numbers, for the shared-dependency merge rule.
    siblings: siblings::Siblings,
}

/// Minimum time between re-rankings of an open incident nothing new joined.
const RERANK_MS: i64 = 15_000;
/// Incidents to rank in one pass from which a second thread helps.
const PARALLEL_RANK_FROM: usize = 64;

impl Engine {
    #[must_use]
    pub fn new(cfg: EngineConfig, topology: Topology) -> Self {
        if !crate::model::set_entity_labels(cfg.entity_labels()) {
            tracing::warn!("entity label lists already installed; [engine] lists ignored");
        }
        // The call graph is numbered once per topology, for the correlator
        // and the shared-dependency rule both.
        let graph = std::sync::Arc::new(correlate::Graph::build(&topology));
        let mut correlator = Correlator::new(cfg.clone());
        correlator.use_graph(&graph);
        Self {
            correlator,
            siblings: siblings::Siblings::new(graph),
            cfg,
            topology,
            last_ranked: HashMap::new(),
            patterns: logs::LogPatterns::default(),
            regroup: regroup::Regrouper::default(),
        }
    }

    /// The operator merges or splits incidents (`m`, `x`); applies from the
    /// next pass on. Returns what happened in words.
    ///
    /// # Errors
    /// Why nothing happened (see [`regroup::Decisions::decide`]).
    pub fn regroup(
        &mut self,
        cmd: &regroup::Regroup,
        by: &str,
        now: UnixMs,
    ) -> Result<String, regroup::RegroupError> {
        self.regroup.decide(cmd, by, now)
    }

    /// The operator's decisions in force (to save them).
    #[must_use]
    pub fn regroup_decisions(&self) -> &regroup::Decisions {
        self.regroup.decisions()
    }

    /// Restores saved decisions (at startup).
    pub fn restore_regroup(&mut self, decisions: regroup::Decisions) {
        self.regroup.restore(decisions);
    }

    /// Mines templates from new log lines (call once per line, in order).
    pub fn observe_logs(&mut self, recs: &[crate::model::LogRecord]) {
        self.patterns.observe_all(recs);
    }

    #[must_use]
    pub fn log_patterns(&self) -> &logs::LogPatterns {
        &self.patterns
    }

    /// Replaces the template table with a restored one (at startup, before
    /// any line: per-service counts start over).
    pub fn restore_log_templates(&mut self, miner: logs::miner::Miner) {
        self.patterns = logs::LogPatterns::with_miner(miner);
    }

    /// Baseline window length before an incident, in ms.
    #[must_use]
    pub fn baseline_ms(&self) -> i64 {
        self.cfg.baseline.as_ms()
    }

    pub fn set_topology(&mut self, topology: Topology) {
        let graph = std::sync::Arc::new(correlate::Graph::build(&topology));
        self.correlator.use_graph(&graph);
        self.siblings = siblings::Siblings::new(graph);
        self.topology = topology;
    }

    #[must_use]
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// One pass: fold new alert transitions into incidents, re-rank causes of
    /// the incidents that are still open, and return all incidents, most
    /// urgent first.
    pub fn update(&mut self, store: &Store, now: UnixMs) -> Vec<std::sync::Arc<Incident>> {
        let touched = self.correlator.ingest(store, &self.topology, now);
        // The series/log/change index is only built when something needs ranking.
        let mut index: Option<deviation::SeriesIndex<'_>> = None;
        let last_ranked = &self.last_ranked;
        let mut due: Vec<&mut std::sync::Arc<Incident>> = self
            .correlator
            .incidents_mut()
            .filter(|inc| {
                let stale = inc.state == IncidentState::Open
                    && last_ranked.get(&inc.id).is_none_or(|t| now - t >= RERANK_MS);
                touched.contains(&inc.id) || stale
            })
            .collect();
        if !due.is_empty() {
            let index = index.get_or_insert_with(|| deviation::SeriesIndex::build(store));
            let (topology, cfg, patterns) = (&self.topology, &self.cfg, &self.patterns);
            let rank_all = |part: &mut [&mut std::sync::Arc<Incident>]| {
                for inc in part {
                    let inc = std::sync::Arc::make_mut(inc);
                    rca::rank(inc, store, index, topology, cfg, now);
                    logs::evidence::annotate(inc, patterns, cfg.baseline.as_ms(), now);
                }
            };
            // A storm leaves hundreds of incidents to rank, each on its own:
            // the other core takes half (a pass is otherwise one thread).
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            if due.len() >= PARALLEL_RANK_FROM && cores > 1 {
                let mid = due.len() / 2;
                let (a, b) = due.split_at_mut(mid);
                std::thread::scope(|s| {
                    s.spawn(|| rank_all(a));
                    rank_all(b);
                });
            } else {
                rank_all(&mut due);
            }
            for inc in &due {
                self.last_ranked.insert(inc.id.clone(), now);
            }
        }
        if self.last_ranked.len() > self.correlator.incidents().len() * 2 + 64 {
            let live: HashSet<&IncidentId> =
                self.correlator.incidents().iter().map(|i| &i.id).collect();
            self.last_ranked.retain(|id, _| live.contains(id));
        }
        let sorted = self.correlator.sorted();
        for m in self.siblings.merges(&sorted, &touched, store, &self.cfg) {
            self.regroup.auto_merge(m, now);
        }
        let (topology, cfg, patterns) = (&self.topology, &self.cfg, &self.patterns);
        self.regroup.pass(sorted, store, now, RERANK_MS, |inc| {
            let index = index.get_or_insert_with(|| deviation::SeriesIndex::build(store));
            rca::rank(inc, store, index, topology, cfg, now);
            logs::evidence::annotate(inc, patterns, cfg.baseline.as_ms(), now);
        })
    }
}
