//! Online correlation: alert occurrences → incidents, and incident lifecycle.
//!
//! An occurrence (fingerprint + start time) is assigned once, when first seen
//! active, to the best related non-resolved incident, or opens a new one.
//! Related means: started within `group_window` of the incident's latest
//! alert start, and on the same service, within `max_graph_distance` calls of
//! one of its services, or — for services the topology does not know — sharing
//! the `group_by` labels. A resolved incident never absorbs new alerts; a quiet
//! one is reopened only by one of its own alerts firing again.

use std::collections::{BTreeMap, BTreeSet};

// Seeded per process (label-derived keys must not be predictable) and much
// cheaper than SipHash on the short keys the correlator hashes per alert.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

use crate::model::{
    Alert, AlertState, Fingerprint, Incident, IncidentId, IncidentState, TimelineKind, Topology,
    UnixMs,
};
use crate::store::Store;

use super::EngineConfig;
use timeline::{fired_text, push_timeline};

/// Alerts listed per incident (a storm may hold more; the count stays exact).
const MAX_ALERTS_PER_INCIDENT: usize = 5_000;

#[derive(Debug, Clone, Default)]
struct Meta {
    last_alert_start: UnixMs,
    quiet_since: Option<UnixMs>,
    /// Service → number of alerts on it.
    services: BTreeMap<String, usize>,
    /// `group_by` label tuples of alerts on services outside the topology.
    group_keys: BTreeSet<Vec<String>>,
    members: HashSet<Fingerprint>,
    /// Services with an alert of this incident still active (as of the last pass).
    active_services: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Correlator {
    cfg: EngineConfig,
    incidents: Vec<Arc<Incident>>,
    meta: HashMap<IncidentId, Meta>,
    /// Occurrences (fingerprint → [(start, incident)]) already assigned.
    assigned: HashMap<Fingerprint, Vec<(UnixMs, IncidentId)>>,
    /// Incident id → position in `incidents`.
    pos: HashMap<IncidentId, usize>,
    /// Service → non-resolved incidents with alerts on it.
    by_service: HashMap<String, Vec<IncidentId>>,
    /// Occurrences whose resolution is already on a timeline.
    resolved_noted: HashSet<(Fingerprint, UnixMs)>,
}

impl Correlator {
    #[must_use]
    pub fn new(cfg: EngineConfig) -> Self {
        Self {
            cfg,
            incidents: Vec::new(),
            meta: HashMap::new(),
            assigned: HashMap::new(),
            pos: HashMap::new(),
            by_service: HashMap::new(),
            resolved_noted: HashSet::new(),
        }
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

    /// Folds the store's current alerts in; returns the incidents touched.
    pub fn ingest(&mut self, store: &Store, topo: &Topology, now: UnixMs) -> HashSet<IncidentId> {
        let mut touched = HashSet::new();
        let mut fresh: Vec<&Alert> = store
            .alerts()
            .map(|e| &e.alert)
            .filter(|a| a.state.is_active())
            .filter(|a| self.assigned_to(&a.fingerprint, a.starts_at).is_none())
            .collect();
        fresh.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.fingerprint.cmp(&b.fingerprint)));
        let mut hood_cache: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for a in fresh {
            let svc = a.service().unwrap_or("");
            if !hood_cache.contains_key(svc) {
                let hood = neighbourhood(topo, svc, self.cfg.max_graph_distance);
                hood_cache.insert(svc.to_string(), hood);
            }
            let hood = hood_cache.get(svc);
            let id = match self.best_incident(a, topo, hood) {
                Some(id) => id,
                None => self.open_incident(a),
            };
            self.join(&id, a);
            touched.insert(id);
        }
        // Services, most alerted first: once per touched incident, not per alert.
        for id in &touched {
            if let (Some(m), Some(&p)) = (self.meta.get(id), self.pos.get(id)) {
                let mut services: Vec<(&String, &usize)> = m.services.iter().collect();
                services.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
                if let Some(inc) = self.incidents.get_mut(p) {
                    Arc::make_mut(inc).services =
                        services.into_iter().map(|(s, _)| s.clone()).collect();
                }
            }
        }
        self.note_resolutions(store, &mut touched);
        self.lifecycle(store, now, &mut touched);
        self.bound(store);
        touched
    }

    fn assigned_to(&self, fp: &Fingerprint, start: UnixMs) -> Option<&IncidentId> {
        self.assigned.get(fp)?.iter().find(|(s, _)| *s == start).map(|(_, id)| id)
    }

    fn incident_mut(&mut self, id: &IncidentId) -> Option<&mut Incident> {
        let i = *self.pos.get(id)?;
        self.incidents.get_mut(i).map(Arc::make_mut)
    }

    fn group_key(&self, a: &Alert) -> Vec<String> {
        self.cfg.group_by.iter().map(|k| a.labels.get(k).cloned().unwrap_or_default()).collect()
    }

    /// Candidate incidents: those with alerts on the same service, on a
    /// service within reach in the graph, with the same fingerprint, or — for
    /// services the topology does not know — any open one (label check below).
    fn best_incident(
        &self,
        a: &Alert,
        topo: &Topology,
        hood: Option<&HashMap<String, usize>>,
    ) -> Option<IncidentId> {
        let svc = a.service().unwrap_or("");
        let known = topo.contains(svc);
        let window = self.cfg.group_window.as_ms();
        let mut cands: Vec<(&IncidentId, usize)> = Vec::new();
        if let Some(prev) = self.assigned.get(&a.fingerprint) {
            cands.extend(prev.iter().map(|(_, id)| (id, 0)));
        }
        if let Some(ids) = self.by_service.get(svc) {
            cands.extend(ids.iter().map(|id| (id, 0)));
        }
        if known {
            for (s, d) in hood.into_iter().flatten() {
                if let Some(ids) = self.by_service.get(s) {
                    cands.extend(ids.iter().map(|id| (id, *d)));
                }
            }
        } else {
            let key = self.group_key(a);
            for inc in self.incidents.iter().filter(|i| i.state == IncidentState::Open) {
                if self.meta.get(&inc.id).is_some_and(|m| m.group_keys.contains(&key)) {
                    cands.push((&inc.id, 1));
                }
            }
        }
        let mut best: Option<((usize, bool, UnixMs), &IncidentId)> = None;
        for (id, d) in cands {
            let (Some(m), Some(inc)) =
                (self.meta.get(id), self.pos.get(id).and_then(|i| self.incidents.get(*i)))
            else {
                continue;
            };
            let own = m.members.contains(&a.fingerprint);
            // A problem still in progress on this very service absorbs the
            // alert however long it has been going: slow burns fire their
            // second alert long after the first. (Not for related services:
            // back-to-back faults on neighbours would merge.)
            let ongoing = m.active_services.contains(svc);
            let recent = (a.starts_at - m.last_alert_start).abs() <= window;
            // A re-fire (flapping) rejoins its incident while that incident
            // is still moving; an old incident does not claim a new problem.
            let refire = own && (a.starts_at - m.last_alert_start).abs() <= 3 * window;
            let ok = match inc.state {
                IncidentState::Resolved => false,
                // A quiet incident only comes back for its own alerts.
                IncidentState::Quiet => refire,
                IncidentState::Open => refire || ongoing || recent,
            };
            let d = if own || ongoing { 0 } else { d };
            // Closest first; then a problem still active on this service;
            // then the most recently active incident.
            let key = (d, !ongoing, -m.last_alert_start);
            if ok && best.as_ref().is_none_or(|(bk, _)| key < *bk) {
                best = Some((key, id));
            }
        }
        best.map(|(_, id)| id.clone())
    }

    fn open_incident(&mut self, a: &Alert) -> IncidentId {
        let mut n = fnv(&format!("{}@{}", a.fingerprint, a.starts_at));
        let mut id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        while self.meta.contains_key(&id) {
            n = n.wrapping_add(1);
            id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        }
        self.pos.insert(id.clone(), self.incidents.len());
        self.incidents.push(Arc::new(Incident {
            id: id.clone(),
            title: a.name().to_string(),
            severity: a.severity(),
            state: IncidentState::Open,
            started_at: a.starts_at,
            updated_at: a.starts_at,
            resolved_at: None,
            alerts: Vec::new(),
            services: Vec::new(),
            root_causes: Vec::new(),
            timeline: Vec::new(),
            acked: false,
        }));
        self.meta.insert(id.clone(), Meta { last_alert_start: a.starts_at, ..Meta::default() });
        id
    }

    fn join(&mut self, id: &IncidentId, a: &Alert) {
        self.assigned.entry(a.fingerprint.clone()).or_default().push((a.starts_at, id.clone()));
        let group_key = self.group_key(a);
        let Some(m) = self.meta.get_mut(id) else {
            return;
        };
        let Some(inc) = self.pos.get(id).and_then(|i| self.incidents.get_mut(*i)) else {
            return;
        };
        let inc = Arc::make_mut(inc);
        m.last_alert_start = m.last_alert_start.max(a.starts_at);
        m.quiet_since = None;
        let svc = a.service().unwrap_or("(unknown)").to_string();
        let ids = self.by_service.entry(svc.clone()).or_default();
        if !ids.contains(id) {
            ids.push(id.clone());
        }
        *m.services.entry(svc).or_default() += 1;
        m.group_keys.insert(group_key);
        if m.members.insert(a.fingerprint.clone()) && inc.alerts.len() < MAX_ALERTS_PER_INCIDENT {
            inc.alerts.push(a.fingerprint.clone());
        }
        inc.started_at = inc.started_at.min(a.starts_at);
        inc.updated_at = inc.updated_at.max(a.starts_at);
        inc.severity = inc.severity.min(a.severity());
        inc.state = IncidentState::Open;
        inc.resolved_at = None;
        push_timeline(inc, a.starts_at, TimelineKind::AlertFired, fired_text(a));
    }

    fn note_resolutions(&mut self, store: &Store, touched: &mut HashSet<IncidentId>) {
        for e in store.alerts() {
            let a = &e.alert;
            if a.state != AlertState::Resolved {
                continue;
            }
            let Some(id) = self.assigned_to(&a.fingerprint, a.starts_at).cloned() else {
                continue;
            };
            if !self.resolved_noted.insert((a.fingerprint.clone(), a.starts_at)) {
                continue;
            }
            if let Some(inc) = self.incident_mut(&id) {
                let at = a.ends_at.unwrap_or(a.updated_at);
                let text = format!("{} resolved on {}", a.name(), a.service().unwrap_or("?"));
                push_timeline(inc, at, TimelineKind::AlertResolved, text);
                inc.updated_at = inc.updated_at.max(at);
                touched.insert(id);
            }
        }
    }

    fn lifecycle(&mut self, store: &Store, now: UnixMs, touched: &mut HashSet<IncidentId>) {
        // Services with active alerts, per incident position; borrowed, so a
        // quiet pass allocates next to nothing.
        let mut active: HashMap<usize, BTreeSet<&str>> = HashMap::new();
        for e in store.alerts() {
            if !e.alert.state.is_active() {
                continue;
            }
            let pos = self
                .assigned_to(&e.alert.fingerprint, e.alert.starts_at)
                .and_then(|id| self.pos.get(id));
            if let Some(&p) = pos {
                active.entry(p).or_default().insert(e.alert.service().unwrap_or("(unknown)"));
            }
        }
        let cooldown = self.cfg.quiet_cooldown.as_ms();
        let mut newly_resolved = false;
        for (p, inc) in self.incidents.iter_mut().enumerate() {
            let Some(m) = self.meta.get_mut(&inc.id) else {
                continue;
            };
            let act = active.remove(&p).unwrap_or_default();
            if !m.active_services.iter().map(String::as_str).eq(act.iter().copied()) {
                m.active_services = act.iter().map(|s| (*s).to_string()).collect();
            }
            let (state, resolved_at) = if !act.is_empty() {
                m.quiet_since = None;
                (IncidentState::Open, inc.resolved_at)
            } else if inc.state == IncidentState::Resolved {
                (inc.state, inc.resolved_at)
            } else {
                let since = *m.quiet_since.get_or_insert(inc.updated_at.min(now));
                if now - since >= cooldown {
                    (IncidentState::Resolved, Some(since))
                } else {
                    (IncidentState::Quiet, inc.resolved_at)
                }
            };
            if state != inc.state || resolved_at != inc.resolved_at {
                let i = Arc::make_mut(inc);
                i.state = state;
                i.resolved_at = resolved_at;
                touched.insert(i.id.clone());
                newly_resolved |= state == IncidentState::Resolved;
            }
        }
        // Resolved incidents leave the service index: they absorb nothing.
        if newly_resolved {
            let resolved: HashSet<&IncidentId> = self
                .incidents
                .iter()
                .filter(|i| i.state == IncidentState::Resolved)
                .map(|i| &i.id)
                .collect();
            for ids in self.by_service.values_mut() {
                ids.retain(|id| !resolved.contains(id));
            }
            self.by_service.retain(|_, ids| !ids.is_empty());
        }
    }

    /// Drops the oldest resolved incidents beyond the cap, and bookkeeping for
    /// alerts the store no longer holds.
    fn bound(&mut self, store: &Store) {
        let excess = self.incidents.len().saturating_sub(self.cfg.max_incidents);
        if excess > 0 {
            let mut resolved: Vec<(UnixMs, IncidentId)> = self
                .incidents
                .iter()
                .filter(|i| i.state == IncidentState::Resolved)
                .map(|i| (i.updated_at, i.id.clone()))
                .collect();
            resolved.sort();
            let drop: HashSet<IncidentId> =
                resolved.into_iter().take(excess).map(|(_, id)| id).collect();
            // Open incidents over the cap are kept: nothing live is dropped.
            if !drop.is_empty() {
                self.incidents.retain(|i| !drop.contains(&i.id));
                for id in &drop {
                    self.meta.remove(id);
                }
                for occ in self.assigned.values_mut() {
                    occ.retain(|(_, id)| !drop.contains(id));
                }
                self.assigned.retain(|_, occ| !occ.is_empty());
                self.pos =
                    self.incidents.iter().enumerate().map(|(i, inc)| (inc.id.clone(), i)).collect();
            }
        }
        if self.assigned.len() > 2 * store.alert_count() + 1024 {
            self.assigned.retain(|fp, _| store.alert(fp).is_some());
            let assigned = &self.assigned;
            self.resolved_noted.retain(|(fp, _)| assigned.contains_key(fp));
        }
    }
}

/// Services within `depth` calls of `svc` in either direction, with distance.
fn neighbourhood(topo: &Topology, svc: &str, depth: usize) -> HashMap<String, usize> {
    let mut hood: HashMap<String, usize> = topo.dependencies(svc, depth).into_iter().collect();
    for (s, d) in topo.dependents(svc, depth) {
        let e = hood.entry(s).or_insert(d);
        *e = (*e).min(d);
    }
    hood
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Most severe first, then the earliest: the alert that names the incident.
#[must_use]
pub fn headline_alert<'a>(alerts: impl Iterator<Item = &'a Alert>) -> Option<&'a Alert> {
    alerts.min_by(|a, b| a.severity().cmp(&b.severity()).then(a.starts_at.cmp(&b.starts_at)))
}

#[cfg(test)]
mod tests;
mod timeline;
