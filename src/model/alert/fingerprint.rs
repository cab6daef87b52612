//! [`Fingerprint`]: Alertmanager's identity of an alert, held inline.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Labels;

/// Alertmanager's identity of an alert: a hash of its label set, as text.
///
/// Alertmanager's fingerprints and quell's own are 16 hex digits, so one is
/// held inline (no allocation; a list of them, and a map keyed by them,
/// keep the text next to each other instead of one pointer away each);
/// longer text from elsewhere is held on the heap. Compares, orders and
/// hashes as its text.
#[derive(Clone)]
pub struct Fingerprint(Repr);

/// Text up to this many bytes is held inline.
const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Fingerprint {
    #[must_use]
    pub fn new(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self(Repr::Inline { len: text.len() as u8, bytes })
        } else {
            Self(Repr::Heap(text.into()))
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Whole UTF-8: copied from a `&str` at its end.
            Repr::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
            Repr::Heap(s) => s,
        }
    }

    /// The fingerprint of a label set, computed locally (FNV-1a 64 over the
    /// sorted pairs) for sources that do not supply one, such as the demo world.
    #[must_use]
    pub fn of_labels(labels: &Labels) -> Self {
        let mut h = crate::base::Fnv1a::new();
        for (k, v) in labels {
            h.bytes(k.as_bytes()).bytes(&[0xff]).bytes(v.as_bytes()).bytes(&[0xfe]);
        }
        Self::new(&format!("{:016x}", h.finish()))
    }
}

impl From<&str> for Fingerprint {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Fingerprint {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Fingerprint {}

impl PartialOrd for Fingerprint {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Fingerprint {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Fingerprint {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Fingerprint").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Self::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_its_text_inline_or_not() {
        let short = Fingerprint::from("0123456789abcdef");
        let long = Fingerprint::from("x".repeat(40));
        assert_eq!(short.as_str(), "0123456789abcdef");
        assert_eq!(long.as_str(), "x".repeat(40));
        // Order and equality are the text's, whichever way it is held.
        let edge = Fingerprint::from("y".repeat(22));
        let over = Fingerprint::from("y".repeat(23));
        assert!(edge < over && short < long && long < edge);
        assert_eq!(Fingerprint::from("é→"), Fingerprint::new("é→"));
        let mut set = std::collections::HashSet::new();
        assert!(set.insert(Fingerprint::from("ab")) && !set.insert(Fingerprint::from("ab")));
        for fp in [short, long, Fingerprint::from("")] {
            let json = serde_json::to_string(&fp).unwrap();
            assert_eq!(json, format!("{:?}", fp.as_str()));
            assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), fp);
        }
        assert!(serde_json::from_str::<Fingerprint>("7").is_err());
    }
}
