//! Robust exponentially weighted level and scale of a stream.
//!
//! Each update clips the residual at `CLIP` scales before it moves the
//! level or the scale (a Huber-style M-estimate), so one spike barely moves
//! the baseline while a sustained shift is absorbed at the chosen rate.
//! O(1) time and two floats of memory.

/// Residuals beyond this many scales are clipped before they update.
const CLIP: f64 = 3.0;
/// Mean absolute deviation → standard deviation for Gaussian noise.
const MAD_TO_SD: f64 = 1.253_314;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustLevel {
    alpha: f64,
    level: f64,
    /// Mean absolute residual (clipped).
    mad: f64,
    n: u32,
}

impl RobustLevel {
    /// `alpha` is the weight of a new sample once warmed up; until then the
    /// estimate is a plain running mean, so the first samples are not
    /// drowned by an arbitrary start value.
    #[must_use]
    pub fn new(alpha: f64) -> Self {
        Self { alpha, level: 0.0, mad: 0.0, n: 0 }
    }

    /// Changes the weight of new samples (once a series' sampling
    /// interval is known); the estimate so far is kept.
    pub fn set_alpha(&mut self, alpha: f64) {
        self.alpha = alpha;
    }

    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// Standard-deviation-like scale, floored so a flat stream still has a
    /// finite scale relative to its level.
    #[must_use]
    pub fn scale(&self) -> f64 {
        (self.mad * MAD_TO_SD).max(1e-3 * self.level.abs()).max(1e-9)
    }

    #[must_use]
    pub fn count(&self) -> u32 {
        self.n
    }

    pub fn update(&mut self, x: f64) {
        self.n = self.n.saturating_add(1);
        let a = self.alpha.max(1.0 / f64::from(self.n));
        if self.n == 1 {
            self.level = x;
            return;
        }
        let r = x - self.level;
        // Early on the scale is unknown: do not clip until it has settled.
        let lim = if self.n > 10 { CLIP * self.scale() } else { f64::INFINITY };
        let rc = r.clamp(-lim, lim);
        self.level += a * rc;
        self.mad += a * (rc.abs() - self.mad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_level_and_scale_of_noise() {
        let mut r = RobustLevel::new(0.01);
        for i in 0..5000 {
            // ±1 alternating noise around 10: mean abs deviation 1.
            r.update(10.0 + if i % 2 == 0 { 1.0 } else { -1.0 });
        }
        assert!((r.level() - 10.0).abs() < 0.05, "{}", r.level());
        assert!((r.scale() - MAD_TO_SD).abs() < 0.05, "{}", r.scale());
    }

    #[test]
    fn one_spike_barely_moves_the_level() {
        let mut r = RobustLevel::new(0.05);
        for i in 0..500 {
            r.update(if i % 2 == 0 { 1.0 } else { -1.0 });
        }
        let before = r.level();
        r.update(1000.0);
        assert!((r.level() - before).abs() < 0.5, "{} -> {}", before, r.level());
    }

    #[test]
    fn a_sustained_shift_is_absorbed() {
        let mut r = RobustLevel::new(0.05);
        for i in 0..500 {
            r.update(if i % 2 == 0 { 1.0 } else { -1.0 });
        }
        for i in 0..2000 {
            r.update(50.0 + if i % 2 == 0 { 1.0 } else { -1.0 });
        }
        assert!((r.level() - 50.0).abs() < 1.0, "{}", r.level());
    }
}
