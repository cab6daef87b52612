//! Context novelty: has this series ever shown this short pattern before?
//!
//! Values are quantized into levels across the range seen early in warm-up
//! (out-of-range values get levels of their own, past either end). The
//! last one, two and three levels form three contexts; each is counted in a
//! small hashed table. The novelty of a sample is the share of its contexts
//! never seen before, in `[0, 1]`. Catches shapes that are unusual without
//! being extreme (a flat stretch where the series always moves, a dip that
//! never recovers) which the record-based measures cannot see.
//!
//! Memory is fixed: one table of `TABLE` counters per series.

/// Counters in the hashed context table (a power of two).
const TABLE: usize = 4096;
/// Context orders: the last 1, 2 and 3 levels.
const ORDERS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct ContextNovelty {
    levels: f64,
    /// Range learned while warming up; `None` until then.
    range: Option<(f64, f64)>,
    lo: f64,
    hi: f64,
    seen: u32,
    warmup: u32,
    recent: [i32; ORDERS],
    /// Samples before novelty is scored (after the range is learned).
    pub delay: u32,
    /// Recent rate of never-seen levels (first-order novelty).
    rate: f64,
    /// Novelty rate at which a never-seen level no longer counts.
    pub rate_limit: f64,
    /// Smallest weight of a new sample in `rate`.
    pub rate_alpha: f64,
    /// Levels past either end of the learned range before values saturate.
    pub clamp: f64,
    pub log_tail: bool,
    /// Report a new level only once the next sample stays near it.
    pub persist: bool,
    /// A new level next to a seen one (within `iso` levels) is not novel.
    pub iso: i32,
    pending: bool,
    counts: Box<[u16]>,
}

impl ContextNovelty {
    /// `levels` quantization steps across the range of the first `warmup`
    /// samples; scores from sample `2 · warmup + 1` on.
    #[must_use]
    pub fn new(levels: f64, warmup: u32) -> Self {
        Self {
            levels,
            range: None,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            seen: 0,
            warmup,
            recent: [0; ORDERS],
            delay: 2 * warmup,
            rate: 0.0,
            rate_limit: f64::INFINITY,
            rate_alpha: 0.001,
            clamp: 4.0,
            log_tail: false,
            persist: false,
            iso: 0,
            pending: false,
            counts: vec![0u16; TABLE].into_boxed_slice(),
        }
    }

    fn level(&self, x: f64, lo: f64, hi: f64) -> i32 {
        let width = ((hi - lo) / self.levels).max(1e-9 * (1.0 + lo.abs()));
        // Saturate far outliers into a few extreme levels so a huge value is
        // one context, not a fresh one each time.
        let q = (x - lo) / width;
        if self.log_tail {
            // Past the learned range levels widen geometrically: a far value
            // still gets a level of its own, a huge one is one of a few.
            if q >= self.levels {
                return self.levels as i32 + (1.0 + (q - self.levels)).log2().floor() as i32;
            }
            if q < 0.0 {
                return -1 - (1.0 - q).log2().floor() as i32;
            }
        }
        q.floor().clamp(-self.clamp, self.levels + self.clamp) as i32
    }

    fn slot(key: &[i32]) -> usize {
        // FNV-1a over the levels, with the order mixed in.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ key.len() as u64;
        for &k in key {
            h ^= u64::from(k as u32);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h as usize) & (TABLE - 1)
    }

    /// Feeds one sample; returns its novelty in `[0, 1]` (0 while warming up).
    pub fn update(&mut self, x: f64) -> f64 {
        self.seen = self.seen.saturating_add(1);
        let Some((lo, hi)) = self.range else {
            self.lo = self.lo.min(x);
            self.hi = self.hi.max(x);
            // The warm-up learns the range, the same length again the
            // contexts, so scoring does not start on an empty table.
            if self.seen >= self.warmup {
                self.range = Some((self.lo, self.hi));
            }
            return 0.0;
        };
        self.recent.rotate_right(1);
        self.recent[0] = self.level(x, lo, hi);
        let l = self.recent[0];
        let near_seen = (1..=self.iso).any(|r| {
            self.counts[Self::slot(&[l - r])] > 0 || self.counts[Self::slot(&[l + r])] > 0
        });
        let mut novel = 0usize;
        for k in 1..=ORDERS {
            let c = &mut self.counts[Self::slot(&self.recent[..k])];
            if *c == 0 {
                novel += 1;
            }
            *c = c.saturating_add(1);
        }
        if novel == ORDERS && near_seen {
            novel -= 1;
        }
        let rate = self.rate;
        let first = if novel == ORDERS { 1.0 } else { 0.0 };
        let n = self.seen - self.warmup;
        self.rate += (1.0 / f64::from(n)).max(self.rate_alpha) * (first - self.rate);
        if self.seen <= self.delay {
            return 0.0;
        }
        let damp = (1.0 - rate / self.rate_limit).max(0.0);
        if self.persist {
            let was = self.pending;
            self.pending = novel == ORDERS;
            return if was && (self.recent[0] - self.recent[1]).abs() <= 1 { damp } else { 0.0 };
        }
        damp * novel as f64 / ORDERS as f64
    }
}
