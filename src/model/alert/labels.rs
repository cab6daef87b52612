//! [`Labels`]: a label or annotation set kept as one sorted, packed run of
//! text instead of a tree or a string per name and value.
//!
//! A `BTreeMap` allocates a whole node (eleven key and eleven value slots,
//! over 500 bytes) even for one pair, and a vector of `String` pairs still
//! allocates twice per pair; an alert has two such sets, and a storm holds
//! hundreds of thousands of alerts. Here a set is one allocation: where each
//! name and value ends, then the names and values back to back. Reading a
//! label touches one or two cache lines instead of chasing a pointer per
//! name compared (which is what a storm's passes spent their time on). Label
//! sets are small (a few to a few dozen pairs), so a binary search is as fast
//! as a tree. The API is the part of `BTreeMap`'s that quell uses, with the
//! same meaning: names are unique, iteration is in name order, a later
//! insert of a name replaces the value; it hands out `&str`.

use std::cmp::Ordering;
use std::fmt;

mod codec;

/// Label or annotation set, sorted by name, so that output and hashing are
/// deterministic. Values are attacker-controlled bytes: sanitize before
/// drawing, never put them in a shell string.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels {
    /// Empty, or: the number of pairs `n` (u32, little-endian); where each
    /// name and each value ends in the text (2n u32s, little-endian); the
    /// text: name, value, name, value, … back to back, names in order. Every
    /// span is whole UTF-8 (it was a `&str`). Packed the same way from
    /// sorted, unique pairs, so equal sets are equal bytes.
    data: Box<[u8]>,
}

/// Bytes of one packed number.
const WORD: usize = 4;

/// Iterator over the pairs of a [`Labels`], in name order.
#[derive(Clone)]
pub struct Iter<'a> {
    labels: &'a Labels,
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let p = self.labels.pair(self.front);
        self.front += 1;
        Some(p)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(self.labels.pair(self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Labels {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn word(&self, at: usize) -> usize {
        self.data
            .get(at..at + WORD)
            .and_then(|b| <[u8; WORD]>::try_from(b).ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize)
    }

    /// Name (even `i`) or value (odd `i`) number `i`, as bytes.
    fn span(&self, i: usize) -> &[u8] {
        let text = WORD + 2 * self.len() * WORD;
        let start = if i == 0 { 0 } else { self.word(WORD * i) };
        let end = self.word(WORD * (i + 1));
        self.data.get(text + start..text + end).unwrap_or(&[])
    }

    /// Span `i` as text (always whole UTF-8; see `data`).
    fn text(&self, i: usize) -> &str {
        std::str::from_utf8(self.span(i)).unwrap_or("")
    }

    fn key(&self, i: usize) -> &str {
        self.text(2 * i)
    }

    fn value(&self, i: usize) -> &str {
        self.text(2 * i + 1)
    }

    fn pair(&self, i: usize) -> (&str, &str) {
        (self.key(i), self.value(i))
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.span(2 * mid).cmp(name.as_bytes()) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).ok().map(|i| self.value(i))
    }

    #[must_use]
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`; returns the value it replaced. Rewrites the
    /// set: build many pairs at once by collecting them.
    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        let old = self.get(&name).map(str::to_string);
        let mut pairs: Vec<(&str, &str)> = self.iter().filter(|(k, _)| *k != name).collect();
        let at = pairs.partition_point(|(k, _)| *k < name.as_str());
        pairs.insert(at, (&name, &value));
        *self = Self::pack(&pairs);
        old
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        let old = self.get(name).map(str::to_string)?;
        let pairs: Vec<(&str, &str)> = self.iter().filter(|(k, _)| *k != name).collect();
        *self = Self::pack(&pairs);
        Some(old)
    }

    /// Keeps the pairs `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let pairs: Vec<(&str, &str)> = self.iter().filter(|(k, v)| keep(k, v)).collect();
        if pairs.len() != self.len() {
            *self = Self::pack(&pairs);
        }
    }

    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        Iter { labels: self, front: 0, back: self.len() }
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.iter().map(|(_, v)| v)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.word(0)
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Packs pairs already sorted by name with no name twice. A set larger
    /// than `u32` offsets can hold keeps the pairs that fit (label sets come
    /// from answers already capped far below that).
    fn pack(pairs: &[(&str, &str)]) -> Self {
        let limit = u32::MAX as usize;
        let mut len = 0usize;
        let fit = pairs
            .iter()
            .take_while(|(k, v)| {
                len += k.len() + v.len();
                len <= limit
            })
            .count();
        let pairs = pairs.get(..fit).unwrap_or(&[]);
        if pairs.is_empty() {
            return Self::default();
        }
        let text: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut data = Vec::with_capacity(WORD + 2 * pairs.len() * WORD + text);
        let word = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        data.extend_from_slice(&word(pairs.len()));
        let mut end = 0;
        for (k, v) in pairs {
            for part in [k, v] {
                end += part.len();
                data.extend_from_slice(&word(end));
            }
        }
        for (k, v) in pairs {
            data.extend_from_slice(k.as_bytes());
            data.extend_from_slice(v.as_bytes());
        }
        Self { data: data.into_boxed_slice() }
    }

    /// Sorts pairs gathered in any order and keeps the last value of a
    /// repeated name (what inserting them one by one would leave).
    fn from_unsorted<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Self {
        let mut refs: Vec<(&str, &str)> =
            pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        if !refs.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: among equal names the later pair stays later.
            refs.sort_by(|a, b| a.0.cmp(b.0));
            refs.reverse();
            refs.dedup_by(|later, kept| later.0 == kept.0);
            refs.reverse();
        }
        Self::pack(&refs)
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Labels {
    /// Pair by pair, as a sorted list of pairs compares.
    fn cmp(&self, other: &Self) -> Ordering {
        self.iter().cmp(other.iter())
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let pairs: Vec<(String, String)> = iter.into_iter().collect();
        Self::from_unsorted(&pairs)
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Labels {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        let pairs: Vec<(&str, &str)> = iter.into_iter().collect();
        Self::from_unsorted(&pairs)
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        let mut pairs: Vec<(String, String)> =
            self.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        pairs.extend(iter);
        *self = Self::from_unsorted(&pairs);
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        let pairs: Vec<(String, String)> =
            self.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        pairs.into_iter()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(l: &Labels) -> Vec<(&str, &str)> {
        l.iter().collect()
    }

    #[test]
    fn reads_and_writes_like_a_sorted_map() {
        let mut l = Labels::new();
        assert_eq!(l.insert("b".into(), "2".into()), None);
        assert_eq!(l.insert("a".into(), "1".into()), None);
        assert_eq!(l.insert("c".into(), "3".into()), None);
        assert_eq!(l.insert("b".into(), "two".into()), Some("2".into()));
        assert_eq!(pairs(&l), [("a", "1"), ("b", "two"), ("c", "3")]);
        assert_eq!(l.get("b"), Some("two"));
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
    fn empty_names_and_values_and_any_text_survive_packing() {
        let l: Labels =
            [("", "x"), ("k", ""), ("ünï", "→ \u{1b}[31m"), ("z", "1")].into_iter().collect();
        assert_eq!(l.len(), 4);
        assert_eq!(l.get(""), Some("x"));
        assert_eq!(l.get("k"), Some(""));
        assert_eq!(l.get("ünï"), Some("→ \u{1b}[31m"));
        // Byte order, as `BTreeMap<String, _>` orders: "ü" (0xC3…) after "z".
        assert_eq!(l.iter().next_back(), Some(("ünï", "→ \u{1b}[31m")));
        assert_eq!(l.keys().collect::<Vec<_>>(), ["", "k", "z", "ünï"]);
        assert_eq!(Labels::new().get(""), None);
        assert!(Labels::new().is_empty() && Labels::new().iter().next().is_none());
        let many: Labels = (0..500).map(|i| (format!("k{i:03}"), format!("v{i}"))).collect();
        assert_eq!(many.len(), 500);
        assert!((0..500).all(|i| many.get(&format!("k{i:03}")) == Some(format!("v{i}").as_str())));
    }

    #[test]
    fn order_and_equality_follow_the_pairs() {
        let a: Labels = [("a".to_string(), "1".to_string())].into_iter().collect();
        let b: Labels = [("a".to_string(), "2".to_string())].into_iter().collect();
        assert!(a < b && a != b && a == a.clone());
    }
}
