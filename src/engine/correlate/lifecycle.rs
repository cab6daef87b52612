//! An incident's life after its alerts are placed: resolutions noted on
//! its timeline, open → quiet → resolved after the cooldown, and the caps
//! that drop the oldest resolved incidents and the bookkeeping of alerts the
//! store no longer holds.

use std::sync::Arc;

use foldhash::HashSet;

use super::state::Track;
use super::timeline::{place, push_timeline, resolved_text};
use super::{Correlator, Serial};
use crate::model::{Alert, IncidentId, IncidentState, TimelineKind, UnixMs};
use crate::store::{AlertEntry, Store};

impl Correlator {
    pub(super) fn note_resolutions(
        &mut self,
        resolved: &[(&Alert, usize)],
        touched: &mut HashSet<Serial>,
    ) {
        for &(a, t) in resolved {
            let Some(track) = self.tracks.get_mut(t) else {
                continue;
            };
            let Some(serial) = track.assigned(a.starts_at) else {
                continue;
            };
            if track.noted.contains(&a.starts_at) {
                continue;
            }
            track.noted.push(a.starts_at);
            let Some(inc) = self.position(serial).and_then(|p| self.incidents.get_mut(p)) else {
                continue;
            };
            let inc = Arc::make_mut(inc);
            let at = a.ends_at.unwrap_or(a.updated_at);
            let text = resolved_text(a.name(), &place(a.service(), &a.labels));
            push_timeline(inc, at, TimelineKind::AlertResolved, text);
            inc.updated_at = inc.updated_at.max(at);
            touched.insert(serial);
        }
    }

    pub(super) fn lifecycle(&mut self, now: UnixMs, touched: &mut HashSet<Serial>) {
        let cooldown = self.cfg.quiet_cooldown.as_ms();
        let mut newly_resolved = false;
        for (inc, m) in self.incidents.iter_mut().zip(self.metas.iter_mut()) {
            if m.dirty {
                m.active.retain(|_, n| *n > 0);
                m.active_services = m.active.keys().copied().collect();
                m.active_services.sort_unstable();
                m.dirty = false;
            }
            let (state, resolved_at) = if !m.active.is_empty() {
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
                touched.insert(m.serial);
                newly_resolved |= state == IncidentState::Resolved;
            }
        }
        // Resolved incidents leave the service index: they absorb nothing.
        if newly_resolved {
            let resolved: HashSet<Serial> = self
                .incidents
                .iter()
                .zip(&self.metas)
                .filter(|(i, _)| i.state == IncidentState::Resolved)
                .map(|(_, m)| m.serial)
                .collect();
            for ids in &mut self.by_service {
                ids.retain(|n| !resolved.contains(n));
            }
            self.by_am_group.retain(|_, ids| {
                ids.retain(|n| !resolved.contains(n));
                !ids.is_empty()
            });
        }
    }

    /// Drops the oldest resolved incidents beyond the cap, and bookkeeping for
    /// alerts the store no longer holds.
    pub(super) fn bound(&mut self, store: &Store) {
        let excess = self.incidents.len().saturating_sub(self.cfg.max_incidents);
        if excess > 0 {
            let mut resolved: Vec<(UnixMs, &IncidentId, Serial)> = self
                .incidents
                .iter()
                .zip(&self.metas)
                .filter(|(i, _)| i.state == IncidentState::Resolved)
                .map(|(i, m)| (i.updated_at, &i.id, m.serial))
                .collect();
            resolved.sort_unstable();
            let drop: HashSet<Serial> =
                resolved.into_iter().take(excess).map(|(_, _, serial)| serial).collect();
            // Open incidents over the cap are kept: nothing live is dropped.
            if !drop.is_empty() {
                let incidents = std::mem::take(&mut self.incidents);
                let metas = std::mem::take(&mut self.metas);
                for (inc, m) in incidents.into_iter().zip(metas) {
                    if drop.contains(&m.serial) {
                        self.ids.remove(&inc.id);
                    } else {
                        self.incidents.push(inc);
                        self.metas.push(m);
                    }
                }
                self.serials = self.metas.iter().map(|m| m.serial).collect();
                for t in &mut self.tracks {
                    t.occ.retain(|(_, n)| !drop.contains(n));
                    if t.counted.is_some_and(|(n, _)| drop.contains(&n)) {
                        t.counted = None;
                    }
                }
            }
        }
        if self.tracks.len() > 2 * store.alert_count() + 1024 {
            let old = std::mem::take(&mut self.tracks);
            let mut old: Vec<Option<Track>> = old.into_iter().map(Some).collect();
            let live: HashSet<u64> = store.alerts().map(AlertEntry::fingerprint_key).collect();
            self.track_of.retain(|key, _| live.contains(key));
            for t in self.track_of.values_mut() {
                if let Some(track) = old.get_mut(*t).and_then(Option::take) {
                    *t = self.tracks.len();
                    self.tracks.push(track);
                }
            }
        }
    }
}
