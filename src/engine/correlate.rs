//! Online correlation: alert occurrences → incidents, and incident lifecycle.
//!
//! An occurrence (fingerprint + start time) is assigned once, when first seen
//! active, to the best related non-resolved incident, or opens a new one.
//! Related means: started within `group_window` of the incident's latest
//! alert start, and on the same service, within `max_graph_distance` calls of
//! one of its services, or — for services the topology does not know — sharing
//! the `group_by` labels, or in the same Alertmanager route group (the
//! route's `group_by` values and receiver: the operator's own statement that
//! the alerts belong together; this links hosts too, and the alert's
//! timeline line says so). A resolved incident never absorbs new alerts; a
//! quiet one is reopened only by one of its own alerts firing again.
//!
//! Passes are incremental: the store stamps every alert change, and a pass
//! looks only at alerts changed since the previous one (all of them when the
//! stamps cannot be trusted: another store, or alerts were evicted). Which
//! services of an incident have active alerts is kept as running counts.
//! Services and incidents are numbered internally, so the per-alert work
//! hashes small integers rather than strings.
//!
//! State: `incidents` (with a parallel `metas`, sorted by serial) and one
//! [`Track`] per alert fingerprint (`track_of`), whose `occ` lists the
//! incident each occurrence joined — that is also the membership record:
//! an alert belongs to an incident when one of its occurrences joined it.
//! Indexes derived from those: `by_service` (service → non-resolved
//! incidents with alerts on it) and `hoods` (each service's neighbourhood in
//! the topology, computed once per topology revision and kept across
//! passes; see [`graph`]). A pass reads each new alert's labels once, while
//! scanning (service, severity, `group_by` key, timeline text), and places
//! the alerts from those copies in start order.

// Seeded per process (label-derived keys must not be predictable) and much
// cheaper than SipHash on the short keys the correlator hashes per alert.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

use crate::model::{
    AckPhase, AckStatus, Alert, AlertState, Fingerprint, Incident, IncidentId, IncidentState,
    Topology, UnixMs,
};
use crate::store::{AlertEntry, AlertEpoch, Store};

use super::EngineConfig;
pub(crate) use graph::Graph;
use graph::Hoods;
use placing::{build_fresh, count, uncount};
use services::Services;
use state::{Fresh, Meta, Occurrences, Pending, Track};

/// Alerts listed per incident (a storm may hold more; the count stays exact).
const MAX_ALERTS_PER_INCIDENT: usize = 5_000;

/// Internal number of an incident: increasing in creation order, never reused.
type Serial = u32;
/// Internal number of a service name.
type Svc = u32;

#[derive(Debug, Clone)]
pub struct Correlator {
    cfg: EngineConfig,
    incidents: Vec<Arc<Incident>>,
    /// Parallel to `incidents` (so sorted by serial).
    metas: Vec<Meta>,
    /// The metas' serials, dense: binary search stays in cache.
    serials: Vec<Serial>,
    /// Ids in use, for collision-free naming.
    ids: HashSet<IncidentId>,
    next_serial: Serial,
    tracks: Vec<Track>,
    /// Fingerprint key ([`AlertEntry::fingerprint_key`]) → index in `tracks`.
    track_of: HashMap<u64, usize>,
    services: Services,
    /// Service → non-resolved incidents with alerts on it.
    by_service: Vec<Vec<Serial>>,
    /// Service → its neighbourhood in the topology (for one revision).
    hoods: Hoods,
    /// Alertmanager route group key → non-resolved incidents with an alert
    /// of that group.
    by_am_group: HashMap<u64, Vec<Serial>>,
    /// The store generation the change stamps below belong to.
    epoch: Option<AlertEpoch>,
    seen_seq: u64,
    /// Alerts held back by auto-pause, looked at again every pass.
    paused: Vec<Fingerprint>,
    /// Incidents quell holds a live acknowledgement for (as of this pass),
    /// with those acknowledgements.
    acked: HashMap<IncidentId, Vec<AckStatus>>,
}

impl Correlator {
    #[must_use]
    pub fn new(cfg: EngineConfig) -> Self {
        Self {
            cfg,
            incidents: Vec::new(),
            metas: Vec::new(),
            serials: Vec::new(),
            ids: HashSet::new(),
            next_serial: 0,
            tracks: Vec::new(),
            track_of: HashMap::new(),
            services: Services::default(),
            by_service: Vec::new(),
            hoods: Hoods::default(),
            by_am_group: HashMap::new(),
            epoch: None,
            seen_seq: 0,
            paused: Vec::new(),
            acked: HashMap::new(),
        }
    }

    /// Walks the topology on `graph` (built for the topology the passes
    /// will be given) instead of building its own.
    pub(crate) fn use_graph(&mut self, graph: &Arc<Graph>) {
        self.hoods.use_graph(graph);
    }

    /// Incidents for in-place updates; each is cloned only if a published
    /// view still shares it (copy-on-write).
    pub fn incidents_mut(&mut self) -> impl Iterator<Item = &mut Arc<Incident>> {
        self.incidents.iter_mut()
    }

    #[must_use]
    pub fn incidents(&self) -> &[Arc<Incident>] {
        &self.incidents
    }

    /// Incidents, open first, then by severity, then most recent.
    #[must_use]
    pub fn sorted(&self) -> Vec<Arc<Incident>> {
        let mut v = self.incidents.clone();
        v.sort_by(|a, b| {
            let rank = |i: &Arc<Incident>| match i.state {
                IncidentState::Open => 0,
                IncidentState::Quiet => 1,
                IncidentState::Resolved => 2,
            };
            rank(a)
                .cmp(&rank(b))
                .then(a.severity.cmp(&b.severity))
                .then(b.updated_at.cmp(&a.updated_at))
                .then(a.id.cmp(&b.id))
        });
        v
    }

    /// Folds the store's alert changes in; returns the incidents touched.
    pub fn ingest(&mut self, store: &Store, topo: &Topology, now: UnixMs) -> HashSet<IncidentId> {
        let mut touched: HashSet<Serial> = HashSet::new();
        self.acked.clear();
        for a in store.acks().iter().filter(|a| !matches!(a.phase, AckPhase::Expiring { .. })) {
            self.acked.entry(a.incident.clone()).or_default().push(a.clone());
        }
        let epoch = store.alert_epoch();
        let full = self.epoch != Some(epoch);
        if full {
            // Counts are rebuilt from every alert below.
            for m in &mut self.metas {
                m.active.clear();
                m.dirty = true;
            }
            for t in &mut self.tracks {
                t.counted = None;
            }
        }
        let changed: Vec<&AlertEntry> = if full {
            store.alerts().collect()
        } else {
            store.alerts_changed_since(self.seen_seq).collect()
        };
        // A storm: grow the tables once, not by doubling.
        let new = changed.len().saturating_sub(self.track_of.len());
        self.track_of.reserve(new);
        self.tracks.reserve(new);
        self.epoch = Some(epoch);
        self.services.begin(store);
        let prev_seq = std::mem::replace(&mut self.seen_seq, store.alert_seq());

        // New occurrences, compact: built into `Fresh` (the costly part:
        // labels read, timeline text written) once sorted.
        let mut pending: Vec<Pending<'_>> = Vec::with_capacity(changed.len());
        let mut resolved: Vec<(&Alert, usize)> = Vec::new();
        for e in changed {
            let a = &e.alert;
            let t = self.track_index(e.fingerprint_key());
            let Some(track) = self.tracks.get_mut(t) else {
                continue;
            };
            if let Some((serial, svc)) = track.counted.take() {
                uncount(&self.serials, &mut self.metas, serial, svc);
            }
            if a.state.is_active() {
                let svc = self.services.of(e);
                match track.assigned(a.starts_at) {
                    Some(serial) => {
                        if count(&self.serials, &mut self.metas, serial, svc) {
                            track.counted = Some((serial, svc));
                        }
                    }
                    None => pending.push(Pending::new(e, svc, t, !track.occ.is_empty())),
                }
            } else if a.state == AlertState::Resolved {
                resolved.push((a, t));
            }
        }
        // Alerts held back last pass and unchanged since get another look.
        for fp in std::mem::take(&mut self.paused) {
            let Some(e) = store.alert(&fp) else {
                continue;
            };
            let a = &e.alert;
            let Some(&t) = self.track_of.get(&e.fingerprint_key()) else {
                continue;
            };
            let unseen = full || e.seq > prev_seq;
            let assigned = self.tracks.get(t).and_then(|tr| tr.assigned(a.starts_at)).is_some();
            if unseen || !a.state.is_active() || assigned {
                continue;
            }
            let svc = self.services.of(e);
            if let Some(track) = self.tracks.get(t) {
                pending.push(Pending::new(e, svc, t, !track.occ.is_empty()));
            }
        }
        // Start order; ties by fingerprint. The compact entries are sorted
        // (moving the large ones a dozen times each cost more than
        // building them), then built in that order, so placing below reads
        // them front to back.
        pending.sort_unstable_by(|a, b| {
            (a.start, a.head)
                .cmp(&(b.start, b.head))
                .then_with(|| a.entry.alert.fingerprint.cmp(&b.entry.alert.fingerprint))
        });
        let mut fresh = build_fresh(&pending, &self.cfg.group_by);
        // An alert without a service label is matched by the empty name,
        // which only an alert labelled `service=""` files under.
        if let Some(empty) = self.services.get("") {
            for f in fresh.iter_mut().filter(|f| f.look.is_none()) {
                f.look = Some(empty);
            }
        }
        let depth = self.cfg.max_graph_distance;
        let mut cands: Vec<(Serial, usize)> = Vec::new();
        let mut last_touched = None;
        // (track, start, incident, service) of each placed occurrence,
        // recorded on the tracks after the loop: nothing in it reads
        // another alert's track.
        let mut placed: Vec<(usize, UnixMs, Serial, Svc)> = Vec::with_capacity(fresh.len());
        for f in &mut fresh {
            let (is_known, hood) = match f.look {
                Some(look) => {
                    let (ids, names) = self.services.tables();
                    let mut add = |s: &str| services::intern(ids, names, s);
                    match self.hoods.get(topo, depth, look, f.name, &mut add) {
                        Some(range) => (true, range),
                        None => (false, (0, 0)),
                    }
                }
                None => (topo.contains(""), (0, 0)),
            };
            if self.by_service.len() < self.services.len() {
                self.by_service.resize(self.services.len(), Vec::new());
            }
            let hood = self.hoods.slice(hood);
            let serial = match self.best_incident(f, is_known, hood, &mut cands) {
                Some(serial) => serial,
                None if self.pauses(f, now) => {
                    self.paused.push(f.alert.fingerprint.clone());
                    continue;
                }
                None => self.open_incident(f.alert),
            };
            if self.join(serial, f) {
                placed.push((f.track, f.start, serial, f.svc));
            }
            if last_touched != Some(serial) {
                touched.insert(serial);
                last_touched = Some(serial);
            }
        }
        // In track order: the tracks are read front to back, not at random.
        placed.sort_unstable_by_key(|p| p.0);
        for (t, start, serial, svc) in placed {
            if let Some(track) = self.tracks.get_mut(t) {
                track.occ.push((start, serial));
                track.counted = Some((serial, svc));
            }
        }
        // Services, most alerted first: once per touched incident, not per alert.
        for &serial in &touched {
            let Some(p) = self.position(serial) else {
                continue;
            };
            let (Some(m), Some(inc)) = (self.metas.get(p), self.incidents.get_mut(p)) else {
                continue;
            };
            let names = &self.services;
            let mut services: Vec<(&str, usize)> = m
                .services
                .iter()
                .filter_map(|(s, n)| names.name(*s).map(|name| (name, *n)))
                .collect();
            services.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
            Arc::make_mut(inc).services =
                services.into_iter().map(|(s, _)| s.to_string()).collect();
        }
        // The store's map order differs per process: resolutions of one
        // step reach the timeline in time, then fingerprint order.
        resolved
            .sort_by(|x, y| (x.0.ends_at, &x.0.fingerprint).cmp(&(y.0.ends_at, &y.0.fingerprint)));
        self.note_resolutions(&resolved, &mut touched);
        self.lifecycle(now, &mut touched);
        let touched = touched
            .into_iter()
            .filter_map(|serial| self.position(serial))
            .filter_map(|p| self.incidents.get(p).map(|i| i.id.clone()))
            .collect();
        self.bound(store);
        touched
    }

    /// Where incident `serial` is in `incidents` (serials increase along it).
    fn position(&self, serial: Serial) -> Option<usize> {
        self.serials.binary_search(&serial).ok()
    }

    /// Whether auto-pause holds back the new incident `f` would open: it
    /// started less than `auto_pause` ago and has never fired before.
    fn pauses(&self, f: &Fresh<'_>, now: UnixMs) -> bool {
        let pause = self.cfg.auto_pause.as_ms();
        pause > 0 && now - f.start < pause && f.refires == 0 && !f.joined
    }

    /// The index of the track of the fingerprint with `key`, creating it if new.
    fn track_index(&mut self, key: u64) -> usize {
        let next = self.tracks.len();
        let t = *self.track_of.entry(key).or_insert(next);
        if t == next {
            self.tracks.push(Track {
                occ: Occurrences::default(),
                counted: None,
                noted: Vec::new(),
            });
        }
        t
    }
}

/// Most severe first, then the earliest: the alert that names the incident.
#[must_use]
pub fn headline_alert<'a>(alerts: impl Iterator<Item = &'a AlertEntry>) -> Option<&'a Alert> {
    // The first of equal alerts wins, as with `min_by`.
    alerts
        .map(|e| ((e.severity(), e.alert.starts_at), &e.alert))
        .min_by(|x, y| x.0.cmp(&y.0))
        .map(|(_, a)| a)
}

#[cfg(test)]
mod entity_tests;
mod graph;
mod lifecycle;
mod placing;
mod services;
mod state;
#[cfg(test)]
mod tests;
mod timeline;
