//! A slowly decaying record of the largest surprise seen so far.
//!
//! Comparing a surprise with the series' own record calibrates every
//! series by itself: what counts as unusual in a spiky series is learned
//! from its spikes. The record decays geometrically so a series can re-arm
//! after an old anomaly; the decay floors at the typical surprise so quiet
//! stretches do not make ordinary noise look like a record.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    decay: f64,
    max: f64,
    /// Mean surprise, a floor for the decayed record.
    mean: f64,
    n: u32,
}

impl Record {
    #[must_use]
    pub fn new(decay: f64) -> Self {
        Self { decay, max: 0.0, mean: 0.0, n: 0 }
    }

    /// Changes the per-sample decay (once a series' sampling interval is
    /// known); the record so far is kept.
    pub fn set_decay(&mut self, decay: f64) {
        self.decay = decay;
    }

    /// How many times the record `u` is (before it is folded in).
    #[must_use]
    pub fn ratio(&self, u: f64) -> f64 {
        let floor = (2.0 * self.mean).max(1e-9);
        u / self.max.max(floor)
    }

    /// Surprises folded in so far.
    #[must_use]
    pub fn count(&self) -> u32 {
        self.n
    }

    pub fn update(&mut self, u: f64) {
        if !u.is_finite() {
            return;
        }
        self.n = self.n.saturating_add(1);
        let a = (1.0 / f64::from(self.n)).max(1e-3);
        self.mean += a * (u - self.mean);
        self.max = (self.max * self.decay).max(u);
    }
}
