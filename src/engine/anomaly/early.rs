//! Scoring before the warm-up is over: a conservative small-sample test,
//! so a series is watched from its first minutes instead of its first hour.
//!
//! Before the warm-up the records have seen too little to calibrate
//! anything; what is known is the robust level and scale of the few
//! samples so far, and how uncertain they are. A new sample's distance
//! from that level, in that scale, follows Student's t with n − 1 degrees
//! of freedom under Gaussian noise (the predictive interval of one new
//! sample: scale × √(1 + 1/n)); its critical value for the detector's
//! tail probability ([`super::DetectorConfig::tail_z`], 6·10⁻⁵ two-sided
//! at 4) grows as n shrinks: 5.6 scales at 15 samples, 4.3 at 60, against
//! 4 once the scale is known. Two more guards keep it from scoring what a
//! small sample cannot know: the scale is at least the series' quantum
//! (the smallest change it has shown: a one-minute counter that sat still
//! has no scale, not a tiny one), and the distance must beat the widest
//! one seen so far (as a record must be beaten later on).
//!
//! The score is the smaller of the two ratios, squashed as the records'
//! are (1 → 0.5), so a sample just past the critical value is a weak
//! anomaly and a strong one (0.8) must be 1.4 times past both. Owns only
//! what it needs: the quantum, the previous sample, the widest distance.

/// What the early test keeps of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Early {
    /// Samples before the first score: below this the t quantile is not
    /// well approximated and the scale is too rough to test anything.
    from: u32,
    /// Smallest non-zero change seen between consecutive samples.
    quantum: f64,
    prev: Option<f64>,
    /// Widest distance from the level seen so far.
    widest: f64,
}

impl Early {
    /// Scores from the `from`-th sample on (at least 15).
    #[must_use]
    pub fn new(from: u32) -> Self {
        Self { from: from.max(MIN_FROM), quantum: 0.0, prev: None, widest: 0.0 }
    }

    /// The score of `x` given the robust `level` and `scale` of the `n`
    /// samples before it, then takes `x` in.
    pub fn observe(&mut self, n: u32, level: f64, scale: f64, x: f64, tail_z: f64) -> f64 {
        let dist = (x - level).abs();
        let mut score = 0.0;
        if n >= self.from && tail_z > 0.0 {
            let nf = f64::from(n);
            let sd = scale.max(self.quantum) * (1.0 + 1.0 / nf).sqrt();
            let by_t = dist / (sd * t_quantile(tail_z, nf - 1.0));
            let by_widest = if self.widest > 0.0 { dist / self.widest } else { f64::INFINITY };
            score = super::squash(by_t.min(by_widest));
        }
        if let Some(p) = self.prev {
            let d = (x - p).abs();
            if d > 0.0 && (self.quantum == 0.0 || d < self.quantum) {
                self.quantum = d;
            }
        }
        self.prev = Some(x);
        // The level of no samples is no level.
        if n > 0 {
            self.widest = self.widest.max(dist);
        }
        score
    }
}

/// Fewest samples the test starts from.
pub const MIN_FROM: u32 = 15;

/// Student's t quantile with `nu` degrees of freedom at the upper tail
/// probability of the standard normal's `z` (Cornish–Fisher expansion in
/// 1/ν to the third order: within 1% from ν = 14 at z = 4).
#[must_use]
pub fn t_quantile(z: f64, nu: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) / 4.0;
    let g2 = (5.0 * z2 * z2 + 16.0 * z2 + 3.0) / 96.0;
    let g3 = (3.0 * z2 * z2 * z2 + 19.0 * z2 * z2 + 17.0 * z2 - 15.0) / 384.0;
    z * (1.0 + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_critical_value_shrinks_to_the_normal_one_with_more_samples() {
        // t quantiles (by numerical integration of the t density):
        // t(0.999, 14) = 3.787, t(0.999, 59) = 3.231 (z = 3.090);
        // t(0.9999, 30) = 4.234 (z = 3.719); at z = 4, ν = 14: 5.619.
        assert!((t_quantile(3.090, 14.0) - 3.787).abs() < 0.04, "{}", t_quantile(3.090, 14.0));
        assert!((t_quantile(3.090, 59.0) - 3.231).abs() < 0.02, "{}", t_quantile(3.090, 59.0));
        assert!((t_quantile(3.719, 30.0) - 4.234).abs() < 0.02, "{}", t_quantile(3.719, 30.0));
        assert!((t_quantile(4.0, 14.0) - 5.619).abs() < 0.06, "{}", t_quantile(4.0, 14.0));
        assert!(t_quantile(4.0, 14.0) > t_quantile(4.0, 59.0));
        assert!((t_quantile(4.0, 1e9) - 4.0).abs() < 1e-6);
    }

    #[test]
    fn a_still_counter_has_its_quantum_as_scale() {
        // A one-minute counter at 5 with one move of one unit: a later move
        // of two units is no anomaly for a series this coarse.
        let mut e = Early::new(15);
        let xs = [5.0, 5.0, 6.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0];
        for (i, x) in xs.iter().enumerate() {
            e.observe(i as u32, 5.0, 1e-3, *x, 4.0);
        }
        assert!(e.observe(16, 5.0, 1e-3, 7.0, 4.0) < 0.5);
        assert!(e.observe(17, 5.0, 1e-3, 40.0, 4.0) > 0.8);
    }

    /// Deterministic noise in [-0.5, 0.5).
    fn noise(i: usize) -> f64 {
        let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11;
        h as f64 / (1u64 << 53) as f64 - 0.5
    }

    /// Scores of a detector with the early test on, fed `xs`.
    fn scores(xs: &[f64]) -> Vec<f64> {
        let cfg = crate::engine::anomaly::DetectorConfig {
            early_from: 15,
            ..crate::engine::anomaly::DetectorConfig::default()
        };
        let mut d = crate::engine::anomaly::Detector::new(cfg);
        xs.iter().map(|&x| d.update(x)).collect()
    }

    #[test]
    fn early_samples_score_conservatively() {
        let warm = crate::engine::anomaly::DetectorConfig::default().warmup.samples as usize;
        // Noise alone: nothing before the warm-up (nor in the first 15).
        let quiet: Vec<f64> = (0..warm).map(|i| 10.0 + noise(i)).collect();
        assert!(scores(&quiet).iter().all(|&v| v < crate::engine::anomaly::DEFAULT_THRESHOLD));
        // A spike of the same size scores less the fewer samples came
        // before it, and nothing before the 15th.
        let spike_at = |at: usize, size: f64| {
            let xs: Vec<f64> =
                (0..warm).map(|i| 10.0 + noise(i) + if i == at { size } else { 0.0 }).collect();
            scores(&xs)[at]
        };
        assert_eq!(spike_at(10, 50.0), 0.0);
        let (at20, at50) = (spike_at(20, 2.5), spike_at(50, 2.5));
        assert!(at20 < at50, "{at20} {at50}");
        assert!(at50 > 0.8, "{at50}");
        assert!(spike_at(20, 1.5) < crate::engine::anomaly::DEFAULT_THRESHOLD);
        // A large departure is found well before the warm-up is over.
        assert!(spike_at(20, 50.0) > 0.8);
    }
}
