//! The correlator's numbering of services (entities): each name gets a
//! small number once, and per-alert work hashes numbers, not strings.
//!
//! The store numbers its alerts' entity names too ([`Store::names_key`]);
//! its numbers are mapped to ours once per name, so a pass over a storm
//! reads no name text at all for entities it has seen (reading each alert's
//! name was a cache miss per alert).

use foldhash::HashMap;

use super::Svc;
use crate::model::UNNAMED_ENTITY;
use crate::store::{AlertEntry, NamesKey, Store};

/// Not mapped yet.
const UNSET: Svc = Svc::MAX;

#[derive(Debug, Clone, Default)]
pub(super) struct Services {
    ids: HashMap<String, Svc>,
    names: Vec<String>,
    /// Store name number → our number, for the numbering `key`.
    by_store: Vec<Svc>,
    key: Option<NamesKey>,
}

impl Services {
    /// Starts a pass over `store`: its numbering may differ from the last.
    pub(super) fn begin(&mut self, store: &Store) {
        let key = store.names_key();
        if self.key != Some(key) {
            self.key = Some(key);
            self.by_store.clear();
        }
    }

    /// The number of `name`, assigning the next one if new.
    pub(super) fn intern(&mut self, name: &str) -> Svc {
        intern(&mut self.ids, &mut self.names, name)
    }

    /// The number of the service `e` is filed under (`(unknown)` without
    /// one); reads the name only the first time the store's number for it
    /// is seen in this numbering.
    pub(super) fn of(&mut self, e: &AlertEntry) -> Svc {
        let Some(sid) = e.service_id() else {
            return self.intern(UNNAMED_ENTITY);
        };
        let i = sid as usize;
        if let Some(&svc) = self.by_store.get(i).filter(|s| **s != UNSET) {
            return svc;
        }
        let svc = self.intern(e.service().unwrap_or(UNNAMED_ENTITY));
        if i >= self.by_store.len() {
            // Store numbers are dense from zero; grow to the one seen.
            self.by_store.resize(i + 1, UNSET);
        }
        if let Some(slot) = self.by_store.get_mut(i) {
            *slot = svc;
        }
        svc
    }

    /// The number of `name`, if it has one.
    pub(super) fn get(&self, name: &str) -> Option<Svc> {
        self.ids.get(name).copied()
    }

    pub(super) fn name(&self, svc: Svc) -> Option<&str> {
        self.names.get(svc as usize).map(String::as_str)
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    /// The maps graph walks intern neighbours into.
    pub(super) fn tables(&mut self) -> (&mut HashMap<String, Svc>, &mut Vec<String>) {
        (&mut self.ids, &mut self.names)
    }
}

/// The number of service `name` in `ids`/`names`, assigning the next one if new.
pub(super) fn intern(ids: &mut HashMap<String, Svc>, names: &mut Vec<String>, name: &str) -> Svc {
    if let Some(&id) = ids.get(name) {
        return id;
    }
    let id = Svc::try_from(names.len()).unwrap_or(Svc::MAX - 1);
    ids.insert(name.to_string(), id);
    names.push(name.to_string());
    id
}
