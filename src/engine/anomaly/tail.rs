//! A streaming tail model of a surprise measure (peaks over a threshold).
//!
//! The surprises above a moving high threshold `t` (mean plus two standard
//! deviations) are summarised by the mean and variance of their excess,
//! which fit a generalized Pareto tail by the method of moments. From it
//! comes the level a surprise exceeds with probability `q` per sample; a
//! surprise is compared with that level, so a series' alarms arrive at a
//! calibrated rate whatever the shape of its noise. O(1) time and a few
//! floats of memory.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tail {
    q: f64,
    /// Smallest weight of a new sample in the moments.
    alpha: f64,
    /// Smallest weight of a new exceedance in the excess moments.
    alpha_excess: f64,
    mean: f64,
    var: f64,
    /// Share of samples above the threshold.
    frac: f64,
    ex_mean: f64,
    ex_m2: f64,
    n: u32,
    n_ex: u32,
}

impl Tail {
    #[must_use]
    pub fn new(q: f64, alpha: f64, alpha_excess: f64) -> Self {
        Self {
            q,
            alpha,
            alpha_excess,
            mean: 0.0,
            var: 0.0,
            frac: 0.0,
            ex_mean: 0.0,
            ex_m2: 0.0,
            n: 0,
            n_ex: 0,
        }
    }

    fn threshold(&self) -> f64 {
        self.mean + 2.0 * self.var.max(0.0).sqrt()
    }

    /// The surprise exceeded with probability `q` per sample.
    #[must_use]
    pub fn level(&self) -> f64 {
        let t = self.threshold();
        if self.n_ex < 2 || self.frac <= 0.0 {
            return t.max(1e-9);
        }
        let m = self.ex_mean.max(1e-12);
        let v = (self.ex_m2 - m * m).max(1e-24);
        let r = m * m / v;
        let xi = (0.5 * (1.0 - r)).clamp(-0.5, 0.9);
        let sigma = 0.5 * m * (r + 1.0);
        let p = (self.q / self.frac).min(1.0);
        let z = if xi.abs() < 1e-6 { -sigma * p.ln() } else { sigma / xi * (p.powf(-xi) - 1.0) };
        (t + z).max(1e-9)
    }

    /// How many times the tail level `u` is (before it is folded in).
    #[must_use]
    pub fn ratio(&self, u: f64) -> f64 {
        u / self.level()
    }

    pub fn update(&mut self, u: f64) {
        if !u.is_finite() {
            return;
        }
        let t = self.threshold();
        self.n = self.n.saturating_add(1);
        let a = (1.0 / f64::from(self.n)).max(self.alpha);
        let over = u > t && self.n > 1;
        self.frac += a * (f64::from(u8::from(over)) - self.frac);
        if over {
            self.n_ex = self.n_ex.saturating_add(1);
            let b = (1.0 / f64::from(self.n_ex)).max(self.alpha_excess);
            let e = u - t;
            self.ex_mean += b * (e - self.ex_mean);
            self.ex_m2 += b * (e * e - self.ex_m2);
        }
        let d = u - self.mean;
        self.mean += a * d;
        self.var += a * (d * (u - self.mean) - self.var);
    }
}
