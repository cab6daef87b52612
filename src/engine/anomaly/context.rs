//! Context novelty: has this series ever shown this short pattern before?
//!
//! Values are quantized into levels across the range seen early in warm-up
//! (out-of-range values get levels of their own, up to `clamp` levels past
//! either end: far enough that a new regime well outside the range is not
//! taken for the level of an earlier spike). The last one, two and three
//! levels form three contexts; each is counted in a small hashed table. The
//! novelty of a sample is the share of its contexts never seen before, in
//! `[0, 1]`. Catches shapes that are unusual without being extreme (a flat
//! stretch where the series always moves, a dip that never recovers) which
//! the record-based measures cannot see.
//!
//! The samples the range is learned from are counted too, once the range is
//! known: a level the series showed during warm-up is not new (a rare burst
//! height seen once early is not a never-seen level when it recurs).
//!
//! Memory is fixed: one table of `TABLE` counters per series, and during
//! warm-up only, the warm-up's samples in single precision (freed once the
//! range is learned).

/// Counters in the hashed context table (a power of two).
const TABLE: usize = 4096;
/// Context orders: the last 1, 2 and 3 levels.
const ORDERS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct ContextNovelty {
    levels: f64,
    clamp: f64,
    /// Whether the latest level is new and next to a level seen before.
    adjacent: bool,
    /// Range learned while warming up; `None` until then.
    range: Option<(f64, f64)>,
    lo: f64,
    hi: f64,
    seen: u32,
    warmup: u32,
    recent: [i32; ORDERS],
    counts: Box<[u16]>,
    /// The samples seen while the range is learned, as offsets from the
    /// first one (single precision keeps a series' spread exact however
    /// large its values), counted into the table once the range is known
    /// (then emptied).
    early: Vec<f32>,
    origin: f64,
}

impl ContextNovelty {
    /// `levels` quantization steps across the range of the first `warmup`
    /// samples, at most `clamp` more past either end; scores from sample
    /// `2 · warmup + 1` on.
    #[must_use]
    pub fn new(levels: f64, clamp: f64, warmup: u32) -> Self {
        Self {
            levels,
            clamp,
            adjacent: false,
            range: None,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            seen: 0,
            warmup,
            recent: [0; ORDERS],
            counts: vec![0u16; TABLE].into_boxed_slice(),
            early: Vec::new(),
            origin: 0.0,
        }
    }

    /// Changes the warm-up length (once a series' sampling interval is
    /// known); has no effect once the range is learned.
    pub fn set_warmup(&mut self, warmup: u32) {
        if self.range.is_none() {
            self.warmup = warmup.max(self.seen);
        }
    }

    fn level(&self, x: f64, lo: f64, hi: f64) -> i32 {
        let width = ((hi - lo) / self.levels).max(1e-9 * (1.0 + lo.abs()));
        // Saturate far outliers into the extreme levels so a huge value is
        // one context, not a fresh one each time.
        ((x - lo) / width).floor().clamp(-self.clamp, self.levels + self.clamp) as i32
    }

    fn slot(key: &[i32]) -> usize {
        // FNV-1a over the levels, with the order mixed in.
        let mut h = crate::base::Fnv1a::salted(key.len() as u64);
        for &k in key {
            h.word(u64::from(k as u32));
        }
        (h.finish() as usize) & (TABLE - 1)
    }

    /// Whether the latest sample's level is new and lies next to a level
    /// seen before (a new level reached by drifting, not by a jump).
    #[must_use]
    pub fn adjacent(&self) -> bool {
        self.adjacent
    }

    /// Moves the context window on by one level and counts its contexts;
    /// returns how many of them were never seen before.
    fn count(&mut self, level: i32) -> usize {
        self.recent.rotate_right(1);
        self.recent[0] = level;
        let mut novel = 0usize;
        for k in 1..=ORDERS {
            let c = &mut self.counts[Self::slot(&self.recent[..k])];
            if *c == 0 {
                novel += 1;
            }
            *c = c.saturating_add(1);
        }
        novel
    }

    /// Feeds one sample; returns its novelty in `[0, 1]` (0 while warming up).
    pub fn update(&mut self, x: f64) -> f64 {
        self.seen = self.seen.saturating_add(1);
        let Some((lo, hi)) = self.range else {
            self.lo = self.lo.min(x);
            self.hi = self.hi.max(x);
            if self.early.is_empty() {
                self.early.reserve_exact(self.warmup as usize);
                self.origin = x;
            }
            self.early.push((x - self.origin) as f32);
            // The warm-up learns the range, then counts its own samples'
            // contexts, and the same length again more contexts, so scoring
            // does not start on a nearly empty table.
            if self.seen >= self.warmup {
                let (lo, hi) = (self.lo, self.hi);
                self.range = Some((lo, hi));
                for v in std::mem::take(&mut self.early) {
                    let l = self.level(self.origin + f64::from(v), lo, hi);
                    self.count(l);
                }
            }
            return 0.0;
        };
        // Only a new level needs its neighbours looked up.
        let l = self.level(x, lo, hi);
        self.adjacent = self.counts[Self::slot(&[l])] == 0
            && (self.counts[Self::slot(&[l - 1])] > 0 || self.counts[Self::slot(&[l + 1])] > 0);
        let novel = self.count(l);
        if self.seen <= 2 * self.warmup {
            return 0.0;
        }
        novel as f64 / ORDERS as f64
    }
}
