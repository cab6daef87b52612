//! The demo world's only source of randomness: a small splitmix64 generator.
//!
//! Owns determinism. Every random draw in `sim/` comes from a `Rng` derived
//! from the world seed, so the same seed replays the same world bit for bit.
//! Separate streams (noise, schedule, deploys) are derived with `fork` so that
//! changing how often one part draws never shifts the others.

use crate::base::fnv1a;

/// splitmix64: tiny, fast, and good enough for simulation noise.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // Mixing the seed once keeps seeds 0, 1, 2... from starting in
        // visibly correlated states.
        let mut r = Self { state: seed ^ 0x5851_f42d_4c95_7f2d };
        r.next_u64();
        r
    }

    /// An independent stream for one purpose, identified by `tag`.
    pub(crate) fn fork(seed: u64, tag: &str) -> Self {
        Self::new(seed ^ fnv1a(tag.as_bytes()))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        // 53 random mantissa bits; the casts are exact.
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next_u64() >> 11) as f64;
        x / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n); 0 when n is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n64).unwrap_or(0)
    }

    /// Standard normal, clamped to ±4 so one unlucky draw can never page anyone.
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        z.clamp(-4.0, 4.0)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_forks_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Rng::fork(7, "noise");
        let mut d = Rng::fork(7, "schedule");
        assert_ne!(c.next_u64(), d.next_u64());
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = Rng::new(1);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(3) < 3);
            let z = r.normal();
            assert!((-4.0..=4.0).contains(&z));
            sum += z;
        }
        assert!((sum / 10_000.0).abs() < 0.05);
    }
}
