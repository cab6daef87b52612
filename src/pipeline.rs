//! The pipeline: store + engine, fed by connectors, publishing `View`s.
//!
//! [`Pipeline`] is synchronous and owns the store; connectors hand it
//! [`Ingest`] events and [`Pipeline::analyze`] runs one engine pass and
//! builds the `View` the UI and `quell snapshot` show. The async drivers in
//! `connectors/` own a `Pipeline` inside one task, so the UI never touches the
//! store and engine work never runs on the UI loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::anomaly::live::LiveAnomalies;
use crate::engine::{Engine, EngineConfig};
use crate::history::History;
use crate::model::{
    AckPhase, AckStatus, AlertView, FaultTruth, Fingerprint, Incident, IncidentState, SeriesKey,
    Silence, Topology, UnixMs, View,
};
use crate::store::{Ingest, Store, StoreLimits};

/// Times of recent anomalies per series, for sparkline markers.
type AnomalyMarks<'a> = foldhash::HashMap<&'a crate::model::SeriesKey, Vec<UnixMs>>;

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
    history: History,
    /// Where the operator's merges and splits are saved (live use).
    regroup_file: Option<std::path::PathBuf>,
    /// Services with strong anomalies and no alert (suspected incidents).
    suspects: crate::engine::suspect::Suspects,
    /// Logs, spans and metrics of the last minutes against their recent
    /// normal: signs for the suspected incidents.
    watch: crate::engine::suspect::watch::Watch,
}

/// File name of the operator's regrouping decisions in the data dir.
pub const REGROUP_FILE: &str = "regroup.json";

impl Pipeline {
    #[must_use]
    pub fn new(limits: StoreLimits, engine: EngineConfig, topology: Topology) -> Self {
        let detector = engine.detector;
        Self {
            store: Store::new(limits),
            engine: Engine::new(engine, topology),
            truth: Vec::new(),
            anomalies: LiveAnomalies::new(ANOMALIES_IN_VIEW, detector),
            history: History::in_memory(),
            regroup_file: None,
            suspects: crate::engine::suspect::Suspects::default(),
            watch: crate::engine::suspect::watch::Watch::default(),
        }
    }

    /// Keeps the operator's merges and splits in `path` (live use), and
    /// restores the ones saved there. An unreadable file is logged and set
    /// aside as `<path>.bad`, never fatal.
    pub fn set_regroup_file(&mut self, path: std::path::PathBuf) {
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(d) => self.engine.restore_regroup(d),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "regroup decisions unreadable: {e}");
                    let _ = std::fs::rename(&path, path.with_extension("json.bad"));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), "regroup decisions not read: {e}"),
        }
        self.regroup_file = Some(path);
    }

    /// The operator merges or splits incidents (`m`, `x`). It applies from
    /// the next [`Self::analyze`]; with a file it is saved and journaled.
    /// Returns what happened, in words.
    ///
    /// # Errors
    /// Why nothing happened (unknown incident, nothing to merge, ...).
    pub fn regroup(
        &mut self,
        req: &crate::engine::regroup::Request,
        now: UnixMs,
    ) -> Result<String, crate::engine::regroup::RegroupError> {
        use crate::engine::regroup::Regroup;
        let said = self.engine.regroup(&req.cmd, &req.by, now)?;
        let Some(path) = &self.regroup_file else { return Ok(said) };
        let (what, incident) = match &req.cmd {
            Regroup::Merge { into, .. } => ("incidents merged", into),
            Regroup::Split { from, .. } => ("alerts split", from),
        };
        crate::journal::append(
            &path.with_file_name(crate::journal::FILE_NAME),
            &req.by,
            what,
            Some(incident),
            "",
            &said,
        );
        let save = || -> std::io::Result<()> {
            let text = serde_json::to_vec_pretty(self.engine.regroup_decisions())
                .map_err(std::io::Error::other)?;
            crate::base::write_atomic(path, &text)
        };
        match save() {
            Ok(()) => Ok(said),
            Err(e) => Ok(format!("{said} (not saved to {}: {e})", path.display())),
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

    /// See [`Store::set_rule_ended`].
    pub fn set_rule_ended(&mut self, fp: &Fingerprint, ended: Option<UnixMs>) {
        self.store.set_rule_ended(fp, ended);
    }

    /// See [`Store::attach_chart`].
    pub fn attach_chart(&mut self, fp: &Fingerprint, expr: &str, series: &SeriesKey) {
        self.store.attach_chart(fp, expr, series);
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

    /// Log templates per service, and the miner's table behind them.
    #[must_use]
    pub fn log_patterns(&self) -> &crate::engine::logs::LogPatterns {
        self.engine.log_patterns()
    }

    /// Root causes for a window on demand (no incident needed): each
    /// service's signals in `req.window` against the fault-free
    /// `req.baseline`; see [`crate::engine::rca::window`].
    #[must_use]
    pub fn rank_window(
        &self,
        req: &crate::engine::rca::window::WindowRequest,
    ) -> Vec<crate::model::RootCause> {
        crate::engine::rca::window::rank(&self.store, self.engine.topology(), req)
    }

    /// The per-service strengths behind [`Self::rank_window`] (to explain it).
    #[must_use]
    pub fn window_strengths(
        &self,
        req: &crate::engine::rca::window::WindowRequest,
    ) -> std::collections::BTreeMap<String, crate::engine::rca::window::Strengths> {
        crate::engine::rca::window::strengths(&self.store, self.engine.topology(), req)
    }

    /// Starts from a saved template table, so template ids carry over.
    pub fn restore_log_templates(&mut self, miner: crate::engine::logs::miner::Miner) {
        self.engine.restore_log_templates(miner);
    }

    /// One engine pass over the store, and the view of its result.
    pub fn analyze(&mut self, now: UnixMs) -> View {
        let mut incidents = self.engine.update(&self.store, now);
        self.anomalies.update(&self.store);
        self.watch.update(&self.store, self.engine.topology(), now);
        let suspected = self.suspects.update(
            self.anomalies.recent(),
            &self.watch,
            &incidents,
            &self.store,
            self.watch.call_graph(self.engine.topology()),
            now,
        );
        incidents.extend(suspected);
        let mut marks: AnomalyMarks<'_> = foldhash::HashMap::default();
        for ev in self.anomalies.recent() {
            marks.entry(&ev.series).or_default().push(ev.ts);
        }
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
                alerts.entry(fp.clone()).or_insert_with(|| self.alert_view(&e.alert, &marks));
            }
        }
        for e in self.store.alerts().filter(|e| e.alert.state.is_active()) {
            alerts
                .entry(e.alert.fingerprint.clone())
                .or_insert_with(|| self.alert_view(&e.alert, &marks));
        }
        let log_patterns = crate::engine::logs::view::build(
            self.engine.log_patterns(),
            &incidents,
            self.engine.baseline_ms(),
            now,
        );
        let silences = silences_with_counts(&self.store, &alerts);
        let acks = self.store.acks().to_vec();
        let incidents = mark_acked(incidents, &alerts, &silences, &acks);
        let mut view = View {
            now,
            incidents,
            silences,
            acks,
            alerts,
            sources: self.store.health().cloned().collect(),
            changes: self.store.changes().iter().rev().take(CHANGES_IN_VIEW).cloned().collect(),
            ground_truth: self.truth.clone(),
            log_patterns,
            anomalies: self.anomalies.recent().rev().cloned().collect(),
            forecasts: LiveAnomalies::forecasts(&self.store),
            history: BTreeMap::new(),
        };
        self.history.process(&mut view);
        view
    }

    /// Keeps the incident history in a file (live use) instead of memory.
    pub fn set_history(&mut self, history: History) {
        self.history = history;
    }

    fn alert_view(&self, a: &crate::model::Alert, marks: &AnomalyMarks<'_>) -> AlertView {
        let mut anomalies = Vec::new();
        let mut spark_span = None;
        let spark = a
            .series
            .as_ref()
            .and_then(|k| self.store.series_by_key(k).map(|s| (k, s)))
            .map(|(key, s)| {
                let n = s.samples.len();
                let tail: Vec<_> = s.samples.iter().skip(n.saturating_sub(SPARK_POINTS)).collect();
                // Anomalies on this series inside the sparkline's window.
                for ts in marks.get(key).into_iter().flatten() {
                    if let Some(i) = tail.iter().position(|x| x.ts == *ts) {
                        anomalies.push(i);
                    }
                }
                spark_span = tail.first().zip(tail.last()).map(|(f, l)| (f.ts, l.ts));
                tail.iter().map(|x| x.value).collect()
            })
            .unwrap_or_default();
        anomalies.sort_unstable();
        anomalies.dedup();
        AlertView { alert: a.clone(), spark, threshold: None, anomalies, spark_span }
    }
}

/// The store's silences, each with the number of alerts in the view that
/// name it in `silenced_by` (the cluster's own judgement, so regexes need
/// not be re-evaluated here).
fn silences_with_counts(store: &Store, alerts: &BTreeMap<Fingerprint, AlertView>) -> Vec<Silence> {
    let mut counts: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
    for a in alerts.values().filter(|a| a.alert.state.is_active()) {
        for id in &a.alert.silenced_by {
            *counts.entry(id.as_str()).or_default() += 1;
        }
    }
    store
        .silences()
        .map(|s| Silence { matched: counts.get(s.id.as_str()).copied().unwrap_or(0), ..s.clone() })
        .collect()
}

/// Sets `acked` on incidents: quell holds a live ack for it, or every one
/// of its active alerts is silenced by an acknowledgement (written by
/// anyone, e.g. a teammate's quell or karma). Copies only incidents whose
/// flag changes.
fn mark_acked(
    mut incidents: Vec<Arc<Incident>>,
    alerts: &BTreeMap<Fingerprint, AlertView>,
    silences: &[Silence],
    acks: &[AckStatus],
) -> Vec<Arc<Incident>> {
    let ack_ids: foldhash::HashSet<&str> =
        silences.iter().filter(|s| s.is_live() && s.is_ack()).map(|s| s.id.as_str()).collect();
    for inc in &mut incidents {
        let mine = acks
            .iter()
            .any(|a| a.incident == inc.id && !matches!(a.phase, AckPhase::Expiring { .. }));
        let mut active = inc
            .alerts
            .iter()
            .filter_map(|fp| alerts.get(fp))
            .filter(|a| a.alert.state.is_active())
            .peekable();
        let by_silence = !ack_ids.is_empty()
            && active.peek().is_some()
            && active.all(|a| a.alert.silenced_by.iter().any(|id| ack_ids.contains(id.as_str())));
        let acked = mine || by_silence;
        if inc.acked != acked {
            Arc::make_mut(inc).acked = acked;
        }
    }
    incidents
}
