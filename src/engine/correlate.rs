//! Online correlation: alert occurrences → incidents, and incident lifecycle.
//!
//! An occurrence (fingerprint + start time) is assigned once, when first seen
//! active, to the best related non-resolved incident, or opens a new one.
//! Related means: started within `group_window` of the incident's latest
//! alert start, and on the same service, within `max_graph_distance` calls of
//! one of its services, or — for services the topology does not know — sharing
//! the `group_by` labels. A resolved incident never absorbs new alerts; a quiet
//! one is reopened only by one of its own alerts firing again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::{
    Alert, AlertState, Fingerprint, Incident, IncidentId, IncidentState,
    TimelineEntry, TimelineKind, Topology, UnixMs,
};
use crate::store::Store;

use super::EngineConfig;

/// Timeline entries kept per incident.
const MAX_TIMELINE: usize = 200;
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
}

#[derive(Debug, Clone)]
pub struct Correlator {
    cfg: EngineConfig,
    incidents: Vec<Incident>,
    meta: HashMap<IncidentId, Meta>,
    /// Occurrence → incident, for occurrences of alerts still in the store.
    assigned: HashMap<(Fingerprint, UnixMs), IncidentId>,
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
            resolved_noted: HashSet::new(),
        }
    }

    pub fn incidents_mut(&mut self) -> impl Iterator<Item = &mut Incident> {
        self.incidents.iter_mut()
    }

    #[must_use]
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// Incidents, open first, then by severity, then most recent.
    #[must_use]
    pub fn sorted(&self) -> Vec<Incident> {
        let mut v = self.incidents.clone();
        v.sort_by(|a, b| {
            let rank = |i: &Incident| match i.state {
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
            .filter(|a| !self.assigned.contains_key(&(a.fingerprint.clone(), a.starts_at)))
            .collect();
        fresh.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.fingerprint.cmp(&b.fingerprint)));
        for a in fresh {
            let id = match self.best_incident(a, topo) {
                Some(id) => id,
                None => self.open_incident(a),
            };
            self.join(&id, a);
            touched.insert(id);
        }
        self.note_resolutions(store, &mut touched);
        self.lifecycle(store, now, &mut touched);
        self.bound(store);
        touched
    }

    fn group_key(&self, a: &Alert) -> Vec<String> {
        self.cfg.group_by.iter().map(|k| a.labels.get(k).cloned().unwrap_or_default()).collect()
    }

    fn best_incident(&self, a: &Alert, topo: &Topology) -> Option<IncidentId> {
        let svc = a.service().unwrap_or("");
        let known = topo.contains(svc);
        let window = self.cfg.group_window.as_ms();
        let mut best: Option<(usize, UnixMs, &IncidentId)> = None;
        for inc in &self.incidents {
            let Some(m) = self.meta.get(&inc.id) else { continue };
            let distance = match inc.state {
                IncidentState::Resolved => None,
                // A quiet incident only comes back for its own alerts.
                IncidentState::Quiet => m.members.contains(&a.fingerprint).then_some(0),
                IncidentState::Open => {
                    if m.members.contains(&a.fingerprint) {
                        Some(0)
                    } else if (a.starts_at - m.last_alert_start).abs() > window {
                        None
                    } else if m.services.contains_key(svc) {
                        Some(0)
                    } else if known {
                        m.services
                            .keys()
                            .filter_map(|s| topo.call_distance(svc, s, self.cfg.max_graph_distance))
                            .min()
                    } else {
                        m.group_keys.contains(&self.group_key(a)).then_some(1)
                    }
                }
            };
            if let Some(d) = distance {
                if best.is_none_or(|(bd, bt, _)| d < bd || (d == bd && m.last_alert_start > bt)) {
                    best = Some((d, m.last_alert_start, &inc.id));
                }
            }
        }
        best.map(|(_, _, id)| id.clone())
    }

    fn open_incident(&mut self, a: &Alert) -> IncidentId {
        let mut n = fnv(&format!("{}@{}", a.fingerprint, a.starts_at));
        let mut id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        while self.meta.contains_key(&id) {
            n = n.wrapping_add(1);
            id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        }
        self.incidents.push(Incident {
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
        });
        self.meta.insert(id.clone(), Meta { last_alert_start: a.starts_at, ..Meta::default() });
        id
    }

    fn join(&mut self, id: &IncidentId, a: &Alert) {
        self.assigned.insert((a.fingerprint.clone(), a.starts_at), id.clone());
        let group_key = self.group_key(a);
        let Some(m) = self.meta.get_mut(id) else { return };
        let Some(inc) = self.incidents.iter_mut().find(|i| &i.id == id) else { return };
        m.last_alert_start = m.last_alert_start.max(a.starts_at);
        m.quiet_since = None;
        let svc = a.service().unwrap_or("(unknown)").to_string();
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
        let mut services: Vec<(&String, &usize)> = m.services.iter().collect();
        services.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        inc.services = services.into_iter().map(|(s, _)| s.clone()).collect();
        push_timeline(inc, a.starts_at, TimelineKind::AlertFired, fired_text(a));
    }

    fn note_resolutions(&mut self, store: &Store, touched: &mut HashSet<IncidentId>) {
        for e in store.alerts() {
            let a = &e.alert;
            if a.state != AlertState::Resolved {
                continue;
            }
            let key = (a.fingerprint.clone(), a.starts_at);
            let Some(id) = self.assigned.get(&key) else { continue };
            if !self.resolved_noted.insert(key) {
                continue;
            }
            if let Some(inc) = self.incidents.iter_mut().find(|i| &i.id == id) {
                let at = a.ends_at.unwrap_or(a.updated_at);
                let text = format!("{} resolved on {}", a.name(), a.service().unwrap_or("?"));
                push_timeline(inc, at, TimelineKind::AlertResolved, text);
                inc.updated_at = inc.updated_at.max(at);
                touched.insert(id.clone());
            }
        }
    }

    fn lifecycle(&mut self, store: &Store, now: UnixMs, touched: &mut HashSet<IncidentId>) {
        let mut active: HashSet<&IncidentId> = HashSet::new();
        for e in store.alerts() {
            if e.alert.state.is_active() {
                if let Some(id) = self.assigned.get(&(e.alert.fingerprint.clone(), e.alert.starts_at)) {
                    active.insert(id);
                }
            }
        }
        let cooldown = self.cfg.quiet_cooldown.as_ms();
        for inc in &mut self.incidents {
            let Some(m) = self.meta.get_mut(&inc.id) else { continue };
            let before = inc.state;
            if active.contains(&inc.id) {
                inc.state = IncidentState::Open;
                m.quiet_since = None;
            } else if inc.state != IncidentState::Resolved {
                let since = *m.quiet_since.get_or_insert(inc.updated_at.min(now));
                inc.state = if now - since >= cooldown {
                    inc.resolved_at = Some(since);
                    IncidentState::Resolved
                } else {
                    IncidentState::Quiet
                };
            }
            if inc.state != before {
                touched.insert(inc.id.clone());
            }
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
            let drop: HashSet<IncidentId> = resolved.into_iter().take(excess).map(|(_, id)| id).collect();
            self.incidents.retain(|i| !drop.contains(&i.id));
            for id in &drop {
                self.meta.remove(id);
            }
            self.assigned.retain(|_, id| !drop.contains(id));
        }
        if self.assigned.len() > 2 * store.alert_count() + 1024 {
            self.assigned.retain(|(fp, start), _| {
                store.alert(fp).is_some_and(|e| e.alert.starts_at == *start)
            });
            let assigned = &self.assigned;
            self.resolved_noted.retain(|k| assigned.contains_key(k));
        }
    }
}

fn fired_text(a: &Alert) -> String {
    let svc = a.service().unwrap_or("?");
    match a.summary() {
        Some(s) => format!("{} fired on {svc}: {s}", a.name()),
        None => format!("{} fired on {svc}", a.name()),
    }
}

fn push_timeline(inc: &mut Incident, ts: UnixMs, kind: TimelineKind, text: String) {
    let pos = inc.timeline.partition_point(|e| e.ts <= ts);
    inc.timeline.insert(pos, TimelineEntry { ts, kind, text });
    if inc.timeline.len() > MAX_TIMELINE {
        inc.timeline.remove(0);
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Most severe first, then the earliest: the alert that names the incident.
#[must_use]
pub fn headline_alert<'a>(alerts: impl Iterator<Item = &'a Alert>) -> Option<&'a Alert> {
    alerts.min_by(|a, b| {
        a.severity().cmp(&b.severity()).then(a.starts_at.cmp(&b.starts_at))
    })
}


#[cfg(test)]
mod tests;
