//! Human durations in config: `30s`, `5m`, `1h30m`, `2d`, `250ms`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written the way people write them in config files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    #[must_use]
    pub const fn secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    #[must_use]
    pub const fn mins(m: u64) -> Self {
        Self(Duration::from_secs(m * 60))
    }

    /// Milliseconds, saturating at `i64::MAX`.
    #[must_use]
    pub fn as_ms(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// Parses `1h30m`, `45s`, `250ms`, `2d`. A bare `0` is zero.
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t == "0" {
            return Ok(Self(Duration::ZERO));
        }
        let bad = || {
            // Named in full only when short: the message is echoed.
            let shown = if s.chars().count() > 40 {
                format!("{:?}…", s.chars().take(40).collect::<String>())
            } else {
                format!("{s:?}")
            };
            format!("invalid duration {shown}: expected e.g. \"30s\", \"5m\", \"1h30m\", \"250ms\"")
        };
        if t.is_empty() {
            return Err(bad());
        }
        let mut total_ms: u64 = 0;
        let mut rest = t;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            if digits == 0 {
                return Err(bad());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let mult: u64 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            total_ms = n.checked_mul(mult).and_then(|v| total_ms.checked_add(v)).ok_or_else(bad)?;
        }
        Ok(Self(Duration::from_millis(total_ms)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        if ms % 1000 != 0 {
            return write!(f, "{ms}ms");
        }
        let mut s = ms / 1000;
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if s >= size {
                write!(f, "{}{unit}", s / size)?;
                s %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"5m\" or \"1h30m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                HumanDuration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(HumanDuration::parse("1h30m").unwrap(), HumanDuration::mins(90));
        assert_eq!(HumanDuration::parse("250ms").unwrap().0, Duration::from_millis(250));
        assert_eq!(HumanDuration::parse("0").unwrap().0, Duration::ZERO);
        assert_eq!(HumanDuration::mins(90).to_string(), "1h30m");
        assert_eq!(HumanDuration::parse("2d").unwrap().to_string(), "2d");
        for bad in ["", "5", "m", "5x", "1.5h", "-3s", "99999999999999999999d"] {
            assert!(HumanDuration::parse(bad).is_err(), "{bad}");
        }
    }
}
