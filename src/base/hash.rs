//! FNV-1a (64-bit): a small, stable, non-cryptographic hash for ids derived
//! from content (fingerprints, incident and pod ids, hash-table slots).
//! Stable across runs and platforms, unlike `std`'s `DefaultHasher`, so
//! the same input always names the same thing. Not for anything an
//! attacker could choose to collide on purpose.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// An FNV-1a state fed in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a {
    #[must_use]
    pub const fn new() -> Self {
        Self(OFFSET)
    }

    /// Starts from the offset basis xor `salt` (e.g. a length or a clock
    /// reading), so equal inputs under different salts hash apart.
    #[must_use]
    pub const fn salted(salt: u64) -> Self {
        Self(OFFSET ^ salt)
    }

    /// Feeds bytes, one multiply per byte.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(PRIME);
        }
        self
    }

    /// Feeds a whole word in one step (word-wise FNV-1a, for integer keys).
    pub fn word(&mut self, w: u64) -> &mut Self {
        self.0 = (self.0 ^ w).wrapping_mul(PRIME);
        self
    }

    #[must_use]
    pub const fn finish(&self) -> u64 {
        self.0
    }
}

/// FNV-1a of `b` in one call.
#[must_use]
pub fn fnv1a(b: &[u8]) -> u64 {
    Fnv1a::new().bytes(b).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn pieces_hash_like_the_whole_and_salt_and_words_change_it() {
        assert_eq!(Fnv1a::new().bytes(b"foo").bytes(b"bar").finish(), fnv1a(b"foobar"));
        assert_ne!(Fnv1a::salted(3).bytes(b"foobar").finish(), fnv1a(b"foobar"));
        assert_eq!(Fnv1a::new().word(u64::from(b'a')).finish(), fnv1a(b"a"));
        assert_ne!(Fnv1a::new().word(0x100).finish(), Fnv1a::new().word(0x1).finish());
    }
}
