//! What the correlator keeps per incident ([`Meta`]) and per alert
//! fingerprint ([`Track`]), and a new occurrence as a pass reads it from
//! the store ([`Fresh`]): everything placing it needs, read from its labels
//! once, while the scan has them at hand.

use foldhash::{HashMap, HashSet};

use super::timeline::{fired_text, place, refired_text};
use super::{Serial, Svc};
use crate::model::{Alert, AlertState, Fingerprint, Severity, UnixMs};
use crate::store::AlertEntry;

#[derive(Debug, Clone, Default)]
pub(super) struct Meta {
    pub(super) serial: Serial,
    pub(super) last_alert_start: UnixMs,
    pub(super) quiet_since: Option<UnixMs>,
    /// Service → number of alerts on it.
    pub(super) services: HashMap<Svc, usize>,
    /// Hashes of the `group_by` label tuples of its alerts (used for alerts
    /// on services outside the topology).
    pub(super) group_keys: HashSet<u64>,
    /// Keys of the Alertmanager route groups of its alerts.
    pub(super) am_groups: HashSet<u64>,
    /// Services with an alert of this incident still active, as of the last
    /// pass (sorted).
    pub(super) active_services: Vec<Svc>,
    /// Active alerts per service, kept current as alerts change.
    pub(super) active: HashMap<Svc, u32>,
    /// `active` changed since `active_services` was taken.
    pub(super) dirty: bool,
}

/// What the correlator remembers about one alert fingerprint.
#[derive(Debug, Clone)]
pub(super) struct Track {
    /// Occurrences already assigned: (start, incident). The alert is a
    /// member of every incident listed here.
    pub(super) occ: Occurrences,
    /// Where this alert counts as active: (incident, service).
    pub(super) counted: Option<(Serial, Svc)>,
    /// Occurrences whose resolution is already on a timeline.
    pub(super) noted: Vec<UnixMs>,
}

/// A track's occurrences, the first held inline: most alerts fire once,
/// and a storm should not allocate a list per alert.
#[derive(Debug, Clone, Default)]
pub(super) struct Occurrences {
    first: Option<(UnixMs, Serial)>,
    more: Vec<(UnixMs, Serial)>,
}

impl Occurrences {
    pub(super) fn push(&mut self, o: (UnixMs, Serial)) {
        if self.first.is_none() {
            self.first = Some(o);
        } else {
            self.more.push(o);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &(UnixMs, Serial)> {
        self.first.iter().chain(&self.more)
    }

    /// Keeps the occurrences `keep` says yes to, in order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&(UnixMs, Serial)) -> bool) {
        let all: Vec<(UnixMs, Serial)> = self.iter().copied().filter(|o| keep(o)).collect();
        *self = Self::default();
        for o in all {
            self.push(o);
        }
    }
}

impl Track {
    pub(super) fn assigned(&self, start: UnixMs) -> Option<Serial> {
        self.occ.iter().find(|(s, _)| *s == start).map(|(_, n)| *n)
    }

    pub(super) fn member_of(&self, serial: Serial) -> bool {
        self.occ.iter().any(|(_, n)| *n == serial)
    }
}

/// A new occurrence to place, with what placing it needs read from its
/// labels once, while the scan has them at hand.
pub(super) struct Fresh<'a> {
    pub(super) alert: &'a Alert,
    /// Its service label ("" without one).
    pub(super) name: &'a str,
    /// The service it is filed under (`(unknown)` without one).
    pub(super) svc: Svc,
    /// The service it is matched by (`None` without a service label).
    pub(super) look: Option<Svc>,
    /// Index in `Correlator::tracks`.
    pub(super) track: usize,
    /// Whether it ever joined an incident (without that, its track need
    /// not be looked at).
    pub(super) joined: bool,
    /// Times it fired again after resolving (the store's count).
    pub(super) refires: u32,
    pub(super) start: UnixMs,
    pub(super) severity: Severity,
    /// Silenced or inhibited (an ack's silence may already cover it).
    pub(super) suppressed: bool,
    /// Its entity is a scrape target or host, not a service.
    pub(super) target: bool,
    /// Hash of its `group_by` label values.
    pub(super) group_key: u64,
    /// Key of its Alertmanager route group, when it has one.
    pub(super) am_group: Option<u64>,
    /// Its fingerprint, for the incident's alert list (taken when it joins).
    pub(super) fingerprint: Option<Fingerprint>,
    /// Its "fired" timeline line (taken when it joins).
    pub(super) text: String,
}

/// A new occurrence as the scan finds it: what sorting needs, and what
/// building its [`Fresh`] needs from the correlator's tables.
pub(super) struct Pending<'a> {
    pub(super) entry: &'a AlertEntry,
    pub(super) start: UnixMs,
    /// [`AlertEntry::fingerprint_head`].
    pub(super) head: u128,
    svc: Svc,
    track: usize,
    joined: bool,
}

impl<'a> Pending<'a> {
    pub(super) fn new(entry: &'a AlertEntry, svc: Svc, track: usize, joined: bool) -> Self {
        Self {
            entry,
            start: entry.alert.starts_at,
            head: entry.fingerprint_head(),
            svc,
            track,
            joined,
        }
    }

    pub(super) fn build(&self, group_by: &[String]) -> Fresh<'a> {
        let e = self.entry;
        Fresh::new(e, e.service(), self.svc, self.joined, self.track, e.refires, group_by)
    }
}

impl<'a> Fresh<'a> {
    fn new(
        e: &'a AlertEntry,
        name: Option<&'a str>,
        svc: Svc,
        joined: bool,
        index: usize,
        refires: u32,
        group_by: &[String],
    ) -> Self {
        let a = &e.alert;
        // Its track gains no occurrence before this one joins (an alert is
        // placed at most once per pass), so "again" is known now.
        let at = place(name, &a.labels);
        let text = if joined || refires > 0 {
            refired_text(a.name(), &at, refires)
        } else {
            fired_text(a.name(), &at, a.summary())
        };
        Self {
            alert: a,
            name: name.unwrap_or(""),
            svc,
            look: name.map(|_| svc),
            track: index,
            joined,
            refires,
            start: a.starts_at,
            severity: e.severity(),
            suppressed: a.state == AlertState::Suppressed,
            target: e.is_target(),
            group_key: group_key(group_by, a),
            am_group: a.am_group.as_ref().filter(|g| g.is_evidence()).map(|g| g.key()),
            fingerprint: Some(a.fingerprint.clone()),
            text,
        }
    }
}

/// Hash of `a`'s values of the `group_by` labels.
fn group_key(group_by: &[String], a: &Alert) -> u64 {
    let mut h = crate::base::Fnv1a::new();
    for k in group_by {
        let v = a.labels.get(k).unwrap_or("");
        // Length first, so ("ab", "c") and ("a", "bc") differ.
        h.bytes(&(v.len() as u64).to_le_bytes()).bytes(v.as_bytes());
    }
    h.finish()
}
