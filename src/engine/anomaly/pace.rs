//! Time in a series' own samples: the detector's time-like settings are
//! lengths of history ([`Span`]: so many samples *and* so much time), and
//! [`Cadence`] estimates how far apart a series' samples are, from its own
//! timestamps, so a span can be counted in that series' samples.
//!
//! Why both parts: an estimate (a robust scale, a record of surprises)
//! needs a number of samples to be stable whatever the clock says, and a
//! series must have been watched for some time before its routine is
//! known, whatever its sampling rate. A 15-second series and a one-minute
//! series with the same behaviour in time then warm up, settle and re-arm
//! after the same minutes, while a series sampled once an hour still gets
//! the samples a stable estimate needs. Owns no detector state.

/// Gaps the interval is estimated from (their median, so one missed scrape
/// or a restart gap does not move it).
const GAPS: usize = 9;

/// A length of a series' history: at least `samples` samples and at least
/// `ms` milliseconds of it. Without timestamps only `samples` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub samples: u32,
    pub ms: i64,
}

impl Span {
    /// Samples only (a statistical need that no clock changes).
    #[must_use]
    pub const fn samples(samples: u32) -> Self {
        Self { samples, ms: 0 }
    }

    /// This span in samples of a series sampled every `interval_ms`
    /// (`None`: not known yet, or no timestamps).
    #[must_use]
    pub fn count(&self, interval_ms: Option<i64>) -> u32 {
        let by_time = match interval_ms {
            Some(i) if i > 0 && self.ms > 0 => {
                u32::try_from((self.ms + i - 1) / i).unwrap_or(u32::MAX)
            }
            _ => 0,
        };
        self.samples.max(by_time)
    }
}

/// Per-sample weight of an exponential mean whose memory is at least
/// `floor_alpha`'s (1/α samples) and at least `memory_ms` of time.
#[must_use]
pub fn alpha(floor_alpha: f64, memory_ms: i64, interval_ms: Option<i64>) -> f64 {
    match interval_ms {
        Some(i) if i > 0 && memory_ms > 0 => floor_alpha.min(i as f64 / memory_ms as f64),
        _ => floor_alpha,
    }
}

/// Per-sample decay whose memory (1/(1 − d) samples) is at least
/// `floor_decay`'s and at least `memory_ms` of time.
#[must_use]
pub fn decay(floor_decay: f64, memory_ms: i64, interval_ms: Option<i64>) -> f64 {
    1.0 - alpha(1.0 - floor_decay, memory_ms, interval_ms)
}

/// The sampling interval of one series, from its first gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cadence {
    last: Option<i64>,
    gaps: [i64; GAPS],
    n: u8,
}

impl Cadence {
    /// Takes in one sample's timestamp; `true` when the estimate changed
    /// (only while the first `GAPS` gaps come in: after that it is fixed,
    /// so a series' settings do not drift with its scrape jitter).
    pub fn observe(&mut self, ts_ms: i64) -> bool {
        let prev = self.last.replace(ts_ms);
        let Some(prev) = prev else { return false };
        let gap = ts_ms - prev;
        if gap <= 0 || usize::from(self.n) >= GAPS {
            return false;
        }
        self.gaps[usize::from(self.n)] = gap;
        self.n += 1;
        true
    }

    /// Median gap in milliseconds; `None` before two gaps are known (one
    /// gap may be a restart, not the cadence).
    #[must_use]
    pub fn interval_ms(&self) -> Option<i64> {
        let n = usize::from(self.n);
        if n < 2 {
            return None;
        }
        let mut g = self.gaps;
        let g = &mut g[..n];
        g.sort_unstable();
        // The lower median: with an even count, the shorter gap is the
        // cadence and the longer one the odd miss.
        Some(g[(n - 1) / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_counts_the_larger_of_its_samples_and_its_time() {
        let s = Span { samples: 10, ms: 15 * 60_000 };
        assert_eq!(s.count(None), 10);
        assert_eq!(s.count(Some(15_000)), 60);
        assert_eq!(s.count(Some(60_000)), 15);
        assert_eq!(s.count(Some(300_000)), 10);
        assert_eq!(Span::samples(7).count(Some(1)), 7);
    }

    #[test]
    fn memories_in_time_slow_down_a_fast_series_only() {
        // A mean of at least 20 samples and at least 10 minutes.
        assert!((alpha(0.05, 600_000, Some(15_000)) - 0.025).abs() < 1e-12);
        assert!((alpha(0.05, 600_000, Some(60_000)) - 0.05).abs() < 1e-12);
        assert!((alpha(0.05, 600_000, None) - 0.05).abs() < 1e-12);
        assert!((decay(0.99, 0, Some(15_000)) - 0.99).abs() < 1e-12);
        assert!((decay(0.99, 3_000_000, Some(15_000)) - 0.995).abs() < 1e-12);
    }

    #[test]
    fn the_interval_is_the_median_gap_and_shrugs_off_a_missed_scrape() {
        let mut c = Cadence::default();
        assert!(!c.observe(0));
        assert_eq!(c.interval_ms(), None);
        c.observe(60_000);
        // A scrape missed: a 2-minute gap.
        c.observe(180_000);
        assert_eq!(c.interval_ms(), Some(60_000));
        for i in 4..20 {
            c.observe(i * 60_000);
        }
        assert_eq!(c.interval_ms(), Some(60_000));
        // Fixed once its gaps are in.
        assert!(!c.observe(20 * 60_000 + 5_000));
    }
}
