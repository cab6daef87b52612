//! Placing a new occurrence: the candidate incidents it may join and the
//! best of them ([`Correlator::best_incident`]), opening an incident when
//! none fits, and filing it under the chosen one ([`Correlator::join`]);
//! with the running counts of active alerts per incident and service, and
//! the building of a pass's new occurrences ([`build_fresh`]).

use std::sync::Arc;

use super::state::{Fresh, Meta, Pending};
use super::timeline::push_timeline;
use super::{Correlator, MAX_ALERTS_PER_INCIDENT, Serial, Svc};
use crate::base::fnv1a;
use crate::model::{AckStatus, Alert, Incident, IncidentId, IncidentState, TimelineKind, UnixMs};

impl Correlator {
    /// Candidate incidents: those with alerts on the same service, on a
    /// service within reach in the graph, with the same fingerprint, or — for
    /// services the topology does not know — any open one (label check below).
    pub(super) fn best_incident(
        &self,
        f: &Fresh<'_>,
        known: bool,
        hood: &[(Svc, usize)],
        cands: &mut Vec<(Serial, usize)>,
    ) -> Option<Serial> {
        let start = f.start;
        let window = self.cfg.group_window.as_ms();
        cands.clear();
        let track = if f.joined { self.tracks.get(f.track) } else { None };
        if let Some(t) = track {
            cands.extend(t.occ.iter().map(|(_, n)| (*n, 0)));
        }
        if let Some(ids) = f.look.and_then(|s| self.by_service.get(s as usize)) {
            cands.extend(ids.iter().map(|n| (*n, 0)));
        }
        if let Some(ids) = f.am_group.and_then(|k| self.by_am_group.get(&k)) {
            cands.extend(ids.iter().map(|n| (*n, 1)));
        }
        if known {
            for (s, d) in hood {
                if let Some(ids) = self.by_service.get(*s as usize) {
                    cands.extend(ids.iter().map(|n| (*n, *d)));
                }
            }
        } else if !f.target {
            // (Not for hosts: the same rule firing on two machines is two
            // problems unless something else links them.)
            let key = f.group_key;
            for (inc, m) in self.incidents.iter().zip(&self.metas) {
                if inc.state == IncidentState::Open && m.group_keys.contains(&key) {
                    cands.push((m.serial, 1));
                }
            }
        }
        let mut best: Option<((usize, bool, UnixMs), Serial)> = None;
        for &(serial, d) in cands.iter() {
            let Some(p) = self.position(serial) else {
                continue;
            };
            let (Some(m), Some(inc)) = (self.metas.get(p), self.incidents.get(p)) else {
                continue;
            };
            let own = track.is_some_and(|t| t.member_of(serial));
            // A problem still in progress on this very service absorbs the
            // alert however long it has been going: slow burns fire their
            // second alert long after the first. (Not for related services:
            // back-to-back faults on neighbours would merge.)
            // Only while the incident is still moving, though: a background
            // alert firing for an hour (a clock skew, a full /boot) must not
            // pull every later fault on that host into its incident.
            let moving = (start - m.last_alert_start).abs() <= 3 * window;
            let ongoing =
                moving && f.look.is_some_and(|s| m.active_services.binary_search(&s).is_ok());
            let recent = (start - m.last_alert_start).abs() <= window;
            // A re-fire (flapping) rejoins its incident while that incident
            // is still moving; an old incident does not claim a new problem.
            let refire = own && moving;
            // Someone acknowledged the incident: a new fault is news, so it
            // opens its own (un-acked) incident instead of hiding under the
            // ack. An alert the ack already covers may rejoin: silenced, or
            // the very occurrence it was made for (after a restart a rule
            // engine may report it firing before Alertmanager says it is
            // silenced).
            let covered = |acks: &Vec<AckStatus>| {
                f.fingerprint.as_ref().is_some_and(|fp| acks.iter().any(|a| a.covers(fp, start)))
            };
            let acked =
                self.acked.get(&inc.id).is_some_and(|acks| !covered(acks)) && !own && !f.suppressed;
            let ok = match inc.state {
                IncidentState::Resolved => false,
                // A quiet incident only comes back for its own alerts.
                IncidentState::Quiet => refire,
                IncidentState::Open => refire || (!acked && (ongoing || recent)),
            };
            let d = if own || ongoing { 0 } else { d };
            // Closest first; then a problem still active on this service;
            // then the most recently active incident.
            let key = (d, !ongoing, -m.last_alert_start);
            if ok && best.as_ref().is_none_or(|(bk, _)| key < *bk) {
                best = Some((key, serial));
            }
        }
        best.map(|(_, serial)| serial)
    }

    pub(super) fn open_incident(&mut self, a: &Alert) -> Serial {
        let mut n = fnv1a(format!("{}@{}", a.fingerprint, a.starts_at).as_bytes());
        let mut id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        while self.ids.contains(&id) {
            n = n.wrapping_add(1);
            id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        self.ids.insert(id.clone());
        self.incidents.push(Arc::new(Incident {
            id,
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
        self.metas.push(Meta { serial, last_alert_start: a.starts_at, ..Meta::default() });
        self.serials.push(serial);
        serial
    }

    /// Files `f` under incident `serial` (its fingerprint and timeline
    /// line move into the incident); the caller records it on its track
    /// when this says it joined.
    pub(super) fn join(&mut self, serial: Serial, f: &mut Fresh<'_>) -> bool {
        let Some(p) = self.position(serial) else {
            return false;
        };
        // A track that never joined has no occurrence anywhere.
        let new_member =
            !f.joined || !self.tracks.get(f.track).is_some_and(|t| t.member_of(serial));
        let (Some(m), Some(inc)) = (self.metas.get_mut(p), self.incidents.get_mut(p)) else {
            return false;
        };
        *m.active.entry(f.svc).or_default() += 1;
        m.dirty = true;
        let inc = Arc::make_mut(inc);
        m.last_alert_start = m.last_alert_start.max(f.start);
        m.quiet_since = None;
        if let Some(ids) = self.by_service.get_mut(f.svc as usize) {
            if !ids.contains(&serial) {
                ids.push(serial);
            }
        }
        *m.services.entry(f.svc).or_default() += 1;
        m.group_keys.insert(f.group_key);
        if let Some(key) = f.am_group {
            if m.am_groups.contains(&key) {
                if let Some(g) = &f.alert.am_group {
                    f.text.push_str(" \u{b7} grouped by Alertmanager: ");
                    f.text.push_str(&g.describe());
                }
            } else {
                m.am_groups.insert(key);
                self.by_am_group.entry(key).or_default().push(serial);
            }
        }
        if new_member && inc.alerts.len() < MAX_ALERTS_PER_INCIDENT {
            if let Some(fp) = f.fingerprint.take() {
                inc.alerts.push(fp);
            }
        }
        inc.started_at = inc.started_at.min(f.start);
        inc.updated_at = inc.updated_at.max(f.start);
        inc.severity = inc.severity.min(f.severity);
        inc.state = IncidentState::Open;
        inc.resolved_at = None;
        push_timeline(inc, f.start, TimelineKind::AlertFired, std::mem::take(&mut f.text));
        true
    }
}

/// Batches of new occurrences at least this large are built on two threads.
const PARALLEL_FRESH_FROM: usize = 4_096;

/// [`Fresh`] of each pending occurrence, in order. A storm's batch is
/// split in two halves built side by side: each alert's labels are read
/// and its timeline line written, independent of every other alert.
pub(super) fn build_fresh<'a>(pending: &[Pending<'a>], group_by: &[String]) -> Vec<Fresh<'a>> {
    let build = |part: &[Pending<'a>]| -> Vec<Fresh<'a>> {
        part.iter().map(|p| p.build(group_by)).collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if pending.len() < PARALLEL_FRESH_FROM || cores < 2 {
        return build(pending);
    }
    let (a, b) = pending.split_at(pending.len() / 2);
    std::thread::scope(|s| {
        let second = s.spawn(|| build(b));
        let mut first = build(a);
        match second.join() {
            Ok(rest) => first.extend(rest),
            // (Building cannot panic; if it did, build that half here.)
            Err(_) => first.extend(build(b)),
        }
        first
    })
}

/// Counts one more active alert on `svc` for incident `serial`; false if
/// the incident is gone.
pub(super) fn count(serials: &[Serial], metas: &mut [Meta], serial: Serial, svc: Svc) -> bool {
    let Ok(p) = serials.binary_search(&serial) else {
        return false;
    };
    let Some(m) = metas.get_mut(p) else {
        return false;
    };
    *m.active.entry(svc).or_default() += 1;
    m.dirty = true;
    true
}

pub(super) fn uncount(serials: &[Serial], metas: &mut [Meta], serial: Serial, svc: Svc) {
    let Ok(p) = serials.binary_search(&serial) else {
        return;
    };
    if let Some(n) = metas.get_mut(p).and_then(|m| {
        m.dirty = true;
        m.active.get_mut(&svc)
    }) {
        *n = n.saturating_sub(1);
    }
}
