//! One stored alert: the alert as last reported, its state history, and
//! what readers take from its labels on every pass, kept next to it.

use super::Ring;
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
    service: Option<String>,
    /// The entity is a scrape target or host (not a service).
    target: bool,
    severity: Severity,
}

impl Derived {
    pub(super) fn of(a: &Alert) -> Self {
        let entity = a.entity();
        Self {
            service: entity.map(|e| e.name.to_string()),
            target: entity.is_some_and(|e| e.kind == EntityKind::Target),
            severity: a.severity(),
        }
    }

    /// Brings `self` up to date with `a` without allocating when nothing
    /// changed (the usual case: a fingerprint is a label set).
    pub(super) fn refresh(&mut self, a: &Alert) {
        let entity = a.entity();
        let service = entity.map(|e| e.name);
        if self.service.as_deref() != service {
            self.service = service.map(str::to_string);
        }
        self.target = entity.is_some_and(|e| e.kind == EntityKind::Target);
        self.severity = a.severity();
    }
}

impl AlertEntry {
    /// [`Alert::service`], without the label lookup.
    #[must_use]
    pub fn service(&self) -> Option<&str> {
        self.derived.service.as_deref()
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
