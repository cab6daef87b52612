//! [`Labels`]: a label or annotation set kept as one sorted vector of
//! pairs instead of a tree.
//!
//! A `BTreeMap` allocates a whole node (eleven key and eleven value slots,
//! over 500 bytes) even for one pair; an alert has two such sets, and a
//! storm holds hundreds of thousands of alerts. Label sets are small (a few
//! to a few dozen pairs), so a binary search over one exactly sized vector
//! is as fast to read and a fraction of the memory. The API is the part of
//! `BTreeMap`'s that quell uses, with the same meaning: names are unique,
//! iteration is in name order, a later insert of a name replaces the value.

use std::borrow::Borrow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Label or annotation set, sorted by name, so that output and hashing are
/// deterministic. Values are attacker-controlled bytes: sanitize before
/// drawing, never put them in a shell string.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<(String, String)>);

/// A pair as iteration hands it out: references, as `BTreeMap::iter` does.
type PairRef<'a> = (&'a String, &'a String);

fn split(p: &(String, String)) -> PairRef<'_> {
    (&p.0, &p.1)
}

/// Iterator over the pairs of a [`Labels`], in name order.
pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> PairRef<'a>>;

impl Labels {
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    fn find<Q: Ord + ?Sized>(&self, name: &Q) -> Result<usize, usize>
    where
        String: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(name))
    }

    #[must_use]
    pub fn get<Q: Ord + ?Sized>(&self, name: &Q) -> Option<&String>
    where
        String: Borrow<Q>,
    {
        self.find(name).ok().and_then(|i| self.0.get(i)).map(|(_, v)| v)
    }

    #[must_use]
    pub fn contains_key<Q: Ord + ?Sized>(&self, name: &Q) -> bool
    where
        String: Borrow<Q>,
    {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`; returns the value it replaced.
    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        match self.find(name.as_str()) {
            Ok(i) => self.0.get_mut(i).map(|p| std::mem::replace(&mut p.1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, name: &Q) -> Option<String>
    where
        String: Borrow<Q>,
    {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut String) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(split as fn(&(String, String)) -> PairRef<'_>)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts pairs gathered in any order and keeps the last value of a
    /// repeated name (what inserting them one by one would leave).
    fn from_unsorted(mut pairs: Vec<(String, String)>) -> Self {
        if !pairs.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: among equal names the later pair stays later.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs.reverse();
            pairs.dedup_by(|later, kept| later.0 == kept.0);
            pairs.reverse();
        }
        pairs.shrink_to_fit();
        Self(pairs)
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self::from_unsorted(iter.into_iter().collect())
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = PairRef<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PairsVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Labels;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings to strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
        // The size hint is the sender's word: cap the reservation.
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(pair) = map.next_entry::<String, String>()? {
            pairs.push(pair);
        }
        Ok(Labels::from_unsorted(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(l: &Labels) -> Vec<(&str, &str)> {
        l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn reads_and_writes_like_a_sorted_map() {
        let mut l = Labels::new();
        assert_eq!(l.insert("b".into(), "2".into()), None);
        assert_eq!(l.insert("a".into(), "1".into()), None);
        assert_eq!(l.insert("c".into(), "3".into()), None);
        assert_eq!(l.insert("b".into(), "two".into()), Some("2".into()));
        assert_eq!(pairs(&l), [("a", "1"), ("b", "two"), ("c", "3")]);
        assert_eq!(l.get("b").map(String::as_str), Some("two"));
        assert!(l.get("bb").is_none() && !l.contains_key("") && l.contains_key("c"));
        assert_eq!(l.remove("a"), Some("1".into()));
        assert_eq!(l.remove("a"), None);
        l.retain(|k, _| k != "c");
        assert_eq!(pairs(&l), [("b", "two")]);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn collecting_sorts_and_the_last_of_a_repeated_name_wins() {
        let l: Labels = [("z", "1"), ("a", "1"), ("z", "2"), ("m", "1"), ("a", "2"), ("a", "3")]
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        assert_eq!(pairs(&l), [("a", "3"), ("m", "1"), ("z", "2")]);
    }

    #[test]
    fn json_round_trip_matches_a_btreemap() {
        let text = r#"{"zone":"b","alertname":"X","zone":"c","instance":"h:9100"}"#;
        let ours: Labels = serde_json::from_str(text).unwrap();
        let tree: std::collections::BTreeMap<String, String> = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&tree).unwrap());
        assert!(serde_json::from_str::<Labels>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<Labels>("[]").is_err());
    }

    #[test]
    fn order_and_equality_follow_the_pairs() {
        let a: Labels = [("a".to_string(), "1".to_string())].into_iter().collect();
        let b: Labels = [("a".to_string(), "2".to_string())].into_iter().collect();
        assert!(a < b && a != b && a == a.clone());
    }
}
