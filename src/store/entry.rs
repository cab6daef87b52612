//! One stored alert: the alert as last reported, its state history, and
//! what readers take from its labels on every pass, kept next to it.

use std::sync::Arc;

use super::Ring;
use super::names::{NameId, Names, fingerprint_head, fingerprint_key};
use crate::model::{Alert, AlertState, EntityKind, Severity, UnixMs};

/// An alert and the transitions it went through.
#[derive(Debug, Clone)]
pub struct AlertEntry {
    pub alert: Alert,
    /// (time, state) transitions, oldest first, capped.
    pub history: Ring<(UnixMs, AlertState)>,
    /// How many times it went from resolved to active again (flapping).
    pub refires: u32,
    /// Change stamp: raised whenever the alert is added, changes state or
    /// starts a new occurrence, so the engine revisits only changed alerts.
    pub seq: u64,
    /// What readers take from the labels on every pass, read once per
    /// update here (a label lookup chases the map's nodes and key strings;
    /// in a storm the engine would do it for every alert, every pass).
    pub(super) derived: Derived,
    /// Which sources report it, and how (see `store::identity`).
    pub reports: Vec<super::Report>,
    /// It was active at some point (a pending alert that never fired and
    /// vanishes is dropped, not resolved).
    pub fired: bool,
}

/// Label-derived facts of an alert, kept next to it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Derived {
    /// Its entity's name, shared with every alert on it, and its number.
    service: Option<(Arc<str>, NameId)>,
    /// The entity is a scrape target or host (not a service).
    target: bool,
    severity: Severity,
    /// [`fingerprint_key`] of its fingerprint.
    key: u64,
    /// [`fingerprint_head`] of its fingerprint.
    head: u128,
}

impl Derived {
    pub(super) fn of(a: &Alert, names: &mut Names) -> Self {
        let entity = a.entity();
        Self {
            service: entity.map(|e| names.intern(e.name)),
            target: entity.is_some_and(|e| e.kind == EntityKind::Target),
            severity: a.severity(),
            key: fingerprint_key(&a.fingerprint),
            head: fingerprint_head(&a.fingerprint),
        }
    }

    /// Brings `self` up to date with `a` (same fingerprint) without
    /// allocating when nothing changed (the usual case: a fingerprint is a
    /// label set).
    pub(super) fn refresh(&mut self, a: &Alert, names: &mut Names) {
        let entity = a.entity();
        let service = entity.map(|e| e.name);
        if self.service.as_ref().map(|(s, _)| &**s) != service {
            self.service = service.map(|s| names.intern(s));
        }
        self.target = entity.is_some_and(|e| e.kind == EntityKind::Target);
        self.severity = a.severity();
    }

    /// Numbers its entity again in a renewed table.
    pub(super) fn renumber(&mut self, names: &mut Names) {
        if let Some((s, id)) = &mut self.service {
            (*s, *id) = names.intern(s);
        }
    }
}

impl AlertEntry {
    /// [`Alert::service`], without the label lookup.
    #[must_use]
    pub fn service(&self) -> Option<&str> {
        self.derived.service.as_ref().map(|(s, _)| &**s)
    }

    /// The number of its entity's name in its store's table (valid for the
    /// store's [`super::Store::names_key`]), without reading the name.
    #[must_use]
    pub fn service_id(&self) -> Option<NameId> {
        self.derived.service.as_ref().map(|(_, id)| *id)
    }

    /// A process-wide key of its fingerprint ([`fingerprint_key`]), kept
    /// next to it so readers need not hash the text.
    #[must_use]
    pub fn fingerprint_key(&self) -> u64 {
        self.derived.key
    }

    /// Its fingerprint's first 16 bytes ([`fingerprint_head`]), which order
    /// like the text.
    #[must_use]
    pub fn fingerprint_head(&self) -> u128 {
        self.derived.head
    }

    /// Whether its entity is a scrape target or host, without the label lookup.
    #[must_use]
    pub fn is_target(&self) -> bool {
        self.derived.target
    }

    /// [`Alert::severity`], without the label lookup.
    #[must_use]
    pub fn severity(&self) -> Severity {
        self.derived.severity
    }
}
