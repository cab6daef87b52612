//! The pipeline: store + engine, fed by connectors, publishing `View`s.
//!
//! [`Pipeline`] is synchronous and owns the store; connectors hand it
//! [`Ingest`] events and [`Pipeline::analyze`] runs one engine pass and
//! builds the `View` the UI and `quell snapshot` show. The async drivers in
//! `connectors/` own a `Pipeline` inside one task, so the UI never touches the
//! store and engine work never runs on the UI loop.

use std::collections::BTreeMap;

use crate::engine::anomaly::live::LiveAnomalies;
use crate::engine::{Engine, EngineConfig};
use crate::model::{AlertView, FaultTruth, Fingerprint, IncidentState, Topology, UnixMs, View};
use crate::store::{Ingest, Store, StoreLimits};

/// Points in each alert's sparkline.
pub const SPARK_POINTS: usize = 60;
/// Resolved incidents whose alerts are carried in each view.
const RESOLVED_IN_VIEW: usize = 200;
/// Recent changes carried in each view.
const CHANGES_IN_VIEW: usize = 50;
/// Metric anomalies remembered and carried in each view.
const ANOMALIES_IN_VIEW: usize = 200;

#[derive(Debug, Clone)]
pub struct Pipeline {
    store: Store,
    engine: Engine,
    truth: Vec<FaultTruth>,
    anomalies: LiveAnomalies,
}

impl Pipeline {
    #[must_use]
    pub fn new(limits: StoreLimits, engine: EngineConfig, topology: Topology) -> Self {
        Self {
            store: Store::new(limits),
            engine: Engine::new(engine, topology),
            truth: Vec::new(),
            anomalies: LiveAnomalies::new(ANOMALIES_IN_VIEW),
        }
    }

    pub fn ingest(&mut self, ev: Ingest) {
        if let Ingest::Logs(recs) = &ev {
            self.engine.observe_logs(recs);
        }
        self.store.apply(ev);
    }

    pub fn ingest_all(&mut self, evs: impl IntoIterator<Item = Ingest>) {
        for ev in evs {
            self.ingest(ev);
        }
    }

    pub fn set_topology(&mut self, topology: Topology) {
        self.engine.set_topology(topology);
    }

    /// Ground truth of the demo world, carried into views as-is.
    pub fn set_ground_truth(&mut self, truth: Vec<FaultTruth>) {
        self.truth = truth;
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One engine pass over the store, and the view of its result.
    pub fn analyze(&mut self, now: UnixMs) -> View {
        let incidents = self.engine.update(&self.store, now);
        self.anomalies.update(&self.store);
        let mut wanted: Vec<&Fingerprint> = Vec::new();
        let mut resolved_seen = 0usize;
        for inc in &incidents {
            if inc.state == IncidentState::Resolved {
                resolved_seen += 1;
                if resolved_seen > RESOLVED_IN_VIEW {
                    continue;
                }
            }
            wanted.extend(inc.alerts.iter());
        }
        let mut alerts = BTreeMap::new();
        for fp in wanted {
            if let Some(e) = self.store.alert(fp) {
                alerts.entry(fp.clone()).or_insert_with(|| self.alert_view(&e.alert));
            }
        }
        for e in self.store.alerts().filter(|e| e.alert.state.is_active()) {
            alerts.entry(e.alert.fingerprint.clone()).or_insert_with(|| self.alert_view(&e.alert));
        }
        let log_patterns = crate::engine::logs::view::build(
            self.engine.log_patterns(),
            &incidents,
            self.engine.baseline_ms(),
            now,
        );
        View {
            now,
            incidents,
            alerts,
            sources: self.store.health().cloned().collect(),
            changes: self.store.changes().iter().rev().take(CHANGES_IN_VIEW).cloned().collect(),
            ground_truth: self.truth.clone(),
            log_patterns,
            anomalies: self.anomalies.recent().rev().cloned().collect(),
            forecasts: LiveAnomalies::forecasts(&self.store),
        }
    }

    fn alert_view(&self, a: &crate::model::Alert) -> AlertView {
        let spark = a
            .series
            .as_ref()
            .and_then(|k| self.store.series_by_key(k))
            .map(|s| {
                let n = s.samples.len();
                s.samples.iter().skip(n.saturating_sub(SPARK_POINTS)).map(|x| x.value).collect()
            })
            .unwrap_or_default();
        AlertView { alert: a.clone(), spark, threshold: None }
    }
}
