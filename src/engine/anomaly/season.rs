//! Daily seasonality: how far is the series from what it usually does at
//! this time of day?
//!
//! The day is cut into `BUCKETS` phases by the sample's timestamp; each
//! phase keeps a robust running estimate of the series' value at that time
//! of day, updated only when the series visits it (fixed memory, no sample
//! history). The residual `x − expected(phase)` is smoothed by a short mean,
//! so a sustained departure from the daily pattern stands out: an expected
//! daily rise that does not come, a stretch without the usual peak. Those
//! are invisible to measures against one baseline, whose scale includes the
//! daily swing.
//!
//! The measure only speaks when history allows and the series is seasonal:
//! every phase it uses must have been visited on several days, and the
//! residual must be clearly smaller than the spread around one baseline
//! (the profile explains the series). A flat or random series never gets a
//! seasonal score.

use super::robust::RobustLevel;

/// Phases of the day (30 minutes each).
pub const BUCKETS: usize = 48;
const DAY_MS: i64 = 86_400_000;
/// Residuals beyond this many scales are clipped before they move a phase.
const CLIP: f64 = 3.0;

#[derive(Debug, Clone, PartialEq)]
pub struct DailyProfile {
    /// Expected value per phase (single precision keeps the profile small;
    /// residuals are computed in double precision).
    expected: [f32; BUCKETS],
    /// Days (distinct visits) each phase has seen, saturating.
    days: [u8; BUCKETS],
    /// Weight of a new sample in its phase's estimate.
    alpha: f64,
    /// Short mean of the residual.
    fast: f64,
    fast_alpha: f64,
    /// Spread of the residual (level ≈ 0).
    resid: RobustLevel,
    /// Phase and day number of the previous sample.
    last: Option<(u8, i32)>,
}

/// One sample's seasonal surprise: the smoothed residual's magnitude in the
/// series' own units and in units of the residual's spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surprise {
    pub raw: f64,
    pub unit: f64,
}

impl DailyProfile {
    #[must_use]
    pub fn new(alpha: f64, fast_alpha: f64, slow_alpha: f64) -> Self {
        Self {
            expected: [0.0; BUCKETS],
            days: [0; BUCKETS],
            alpha,
            fast: 0.0,
            fast_alpha,
            resid: RobustLevel::new(slow_alpha),
            last: None,
        }
    }

    /// Phase of the day of a timestamp in milliseconds since the epoch.
    #[must_use]
    pub fn phase(ts_ms: i64) -> usize {
        let ms = ts_ms.rem_euclid(DAY_MS);
        (ms * BUCKETS as i64 / DAY_MS) as usize
    }

    /// Feeds one sample at `ts_ms`. Returns the seasonal surprise before
    /// the sample is folded in, or `None` while the phase lacks history
    /// (fewer than `min_days` days) or when the daily pattern does not
    /// explain the series (`spread`, the spread around one baseline, is not
    /// at least `1 / explain` times the residual's).
    pub fn update(
        &mut self,
        ts_ms: i64,
        x: f64,
        spread: f64,
        min_days: u8,
        explain: f64,
    ) -> Option<Surprise> {
        let b = Self::phase(ts_ms);
        // Phases fit a byte and day numbers an i32 (±5.8 million years).
        let here = (b as u8, ts_ms.div_euclid(DAY_MS) as i32);
        let new_visit = self.last != Some(here);
        if self.days[b] == 0 {
            // First visit: the phase starts at this value.
            self.expected[b] = x as f32;
            self.days[b] = 1;
            self.last = Some(here);
            return None;
        }
        let r = x - f64::from(self.expected[b]);
        let ready = self.days[b] >= min_days;
        let out = if ready {
            if self.resid.count() == 0 {
                self.fast = r;
            }
            self.fast += self.fast_alpha * (r - self.fast);
            let scale = self.resid.scale();
            let seasonal = self.resid.count() > 50 && scale * explain < spread;
            self.resid.update(r);
            seasonal.then(|| Surprise { raw: self.fast.abs(), unit: self.fast.abs() / scale })
        } else {
            None
        };
        // A robust step of the phase's estimate; the clip keeps an anomaly
        // from rewriting the daily pattern.
        let lim = if self.resid.count() > 10 { CLIP * self.resid.scale() } else { f64::INFINITY };
        self.expected[b] = (f64::from(self.expected[b]) + self.alpha * r.clamp(-lim, lim)) as f32;
        if new_visit {
            self.days[b] = self.days[b].saturating_add(1);
        }
        self.last = Some(here);
        out
    }
}
