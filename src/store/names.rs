//! Entity names, each held once and numbered, and the fingerprint keys the
//! engine finds alerts by.
//!
//! A storm brings hundreds of thousands of alerts on a few thousand
//! entities. Each alert's entity name used to be its own string, and every
//! reader that keyed anything on it hashed and compared that string: a
//! cache miss per alert, per pass. Here a name is stored once (shared by
//! every alert on it) with a number, so readers key on the number; the
//! numbering is valid for one [`NamesKey`] (a store and a generation of its
//! table, renewed when the table is rebuilt to drop names no alert uses).

use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

use foldhash::HashMap;

use crate::model::Fingerprint;

/// A name's number in its store's table (for one [`NamesKey`]).
pub type NameId = u32;

/// Which numbering a [`NameId`] belongs to: a store and a generation of its
/// name table. Numbers of different keys are unrelated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NamesKey {
    pub(super) store: u64,
    pub(super) generation: u64,
}

/// Names of a store's alerts' entities, each once.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    ids: HashMap<Arc<str>, NameId>,
    names: Vec<Arc<str>>,
    generation: u64,
}

/// Tables this much larger than the alerts they serve (plus a floor) are
/// rebuilt from the live alerts: names of evicted alerts do not pile up.
const SLACK: usize = 2;
const FLOOR: usize = 4_096;

impl Names {
    /// The shared copy of `name` and its number, adding it if new.
    pub(super) fn intern(&mut self, name: &str) -> (Arc<str>, NameId) {
        if let Some((k, &id)) = self.ids.get_key_value(name) {
            return (Arc::clone(k), id);
        }
        let id = NameId::try_from(self.names.len()).unwrap_or(NameId::MAX);
        let shared: Arc<str> = Arc::from(name);
        self.ids.insert(Arc::clone(&shared), id);
        self.names.push(Arc::clone(&shared));
        (shared, id)
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the table has grown well past the `live` alerts it serves.
    pub(super) fn overgrown(&self, live: usize) -> bool {
        self.names.len() > live.saturating_mul(SLACK) + FLOOR
    }

    /// Starts a new, empty numbering (the caller re-interns what is live).
    pub(super) fn renew(&mut self) {
        self.ids.clear();
        self.names.clear();
        self.generation += 1;
    }
}

/// A process-wide keyed hash of a fingerprint: the engine's key for an
/// alert's history. Keyed with a seed drawn once per process, so label
/// values cannot be chosen to collide; among a million alerts two keys
/// coincide by chance with probability about 3·10⁻⁸.
#[must_use]
pub fn fingerprint_key(fp: &Fingerprint) -> u64 {
    static SEED: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    SEED.get_or_init(foldhash::fast::RandomState::default).hash_one(fp.as_str().as_bytes())
}

/// The first 16 bytes of a fingerprint (big-endian, zero-padded), which
/// order like the fingerprint's text; Alertmanager's and quell's own
/// fingerprints are 16 characters, so this is all of them.
#[must_use]
pub fn fingerprint_head(fp: &Fingerprint) -> u128 {
    let mut head = [0u8; 16];
    let b = fp.as_str().as_bytes();
    let n = b.len().min(16);
    head[..n].copy_from_slice(&b[..n]);
    u128::from_be_bytes(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_held_once_and_keeps_its_number() {
        let mut n = Names::default();
        let (a, ia) = n.intern("cart");
        let (b, ib) = n.intern("cart");
        let (_, ic) = n.intern("db");
        assert_eq!((ia, ib), (0, 0));
        assert_eq!(ic, 1);
        assert!(Arc::ptr_eq(&a, &b), "one shared copy");
        assert!(!n.overgrown(0));
        n.renew();
        assert_eq!(n.generation(), 1);
        assert_eq!(n.intern("db").1, 0, "a new numbering starts at zero");
    }

    #[test]
    fn fingerprint_keys_and_heads() {
        let a = Fingerprint::from("0123456789abcdef");
        let b = Fingerprint::from("0123456789abcdee");
        assert_eq!(fingerprint_key(&a), fingerprint_key(&a.clone()));
        assert_ne!(fingerprint_key(&a), fingerprint_key(&b));
        assert!(fingerprint_head(&b) < fingerprint_head(&a), "heads order like the text");
        let short = Fingerprint::from("ab");
        assert_eq!(fingerprint_head(&short) >> 112, u128::from(u16::from_be_bytes(*b"ab")));
    }
}
