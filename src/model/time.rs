//! Time as milliseconds since the Unix epoch, and the clock abstraction that
//! lets the demo world and the tests run in virtual time.

use chrono::{DateTime, Utc};

/// Milliseconds since 1970-01-01T00:00:00Z. Plain integers keep the store and
/// the engine cheap and make virtual time trivial.
pub type UnixMs = i64;

/// Where "now" comes from. The TUI uses the system clock; the demo world and
/// tests inject their own.
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixMs;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMs {
        Utc::now().timestamp_millis()
    }
}

/// `HH:MM:SS` in UTC, the way on-call people read timestamps off a page.
#[must_use]
pub fn format_clock(ts: UnixMs) -> String {
    DateTime::<Utc>::from_timestamp_millis(ts)
        .map_or_else(|| "--:--:--".to_string(), |t| t.format("%H:%M:%S").to_string())
}

/// A compact age such as `45s`, `12m`, `3h05m`, `2d04h`.
#[must_use]
pub fn format_age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_compact() {
        assert_eq!(format_age(-5), "0s");
        assert_eq!(format_age(45_000), "45s");
        assert_eq!(format_age(12 * 60_000 + 5_000), "12m");
        assert_eq!(format_age(3 * 3_600_000 + 5 * 60_000), "3h05m");
        assert_eq!(format_age(2 * 86_400_000 + 4 * 3_600_000), "2d04h");
    }

    #[test]
    fn clock_formats_utc() {
        assert_eq!(format_clock(0), "00:00:00");
        assert_eq!(format_clock(2 * 3_600_000 + 14 * 60_000 + 5_000), "02:14:05");
    }
}
