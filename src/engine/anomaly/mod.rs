//! Streaming anomaly detection on one metric series at a time.
//!
//! [`Detector`] takes one sample at a time in O(1) time and fixed memory
//! (a few dozen floats and an 8 KiB context table, no sample history) and
//! returns an anomaly score in `[0, 1]`. It is plain Rust: the NAB
//! evaluation, benchmarks and the live pipeline run the same code.
//!
//! Method: several cheap *surprise* measures, each in units of a robust
//! scale, are compared with the largest surprise of the same kind the series
//! has shown so far (a slowly decaying record, see [`record`]). A sample is
//! anomalous when it beats the series' own record: each series calibrates
//! itself, a noisy or spiky series does not alarm all day, and a strong
//! anomaly raises the record so its own aftermath does not alarm again. The
//! ensemble score is the largest ratio over the measures, mapped into
//! `[0, 1]` (ratio 1 → 0.5).
//!
//! Measures (robust level/scale from [`robust`]):
//! - *spike*: the sample's distance from the slow baseline;
//! - *shift*: a short mean's distance from the slow baseline (level shifts);
//! - *step*: the change from the previous sample in units of typical change
//!   (sudden jumps and trend breaks in smooth series);
//! - *context* ([`context`]): a level or short pattern of levels the series
//!   has never shown (flat stretches, new regimes), scored 0.6 when the
//!   level itself is new.
//!
//! An alarm hold then keeps one anomaly from raising a burst of alarms: a
//! score is reported only when it beats the decayed maximum of the scores
//! before it. [`live`] runs detectors over the store, [`forecast`] projects
//! time to breach, [`nab`] scores detectors on the Numenta Anomaly Benchmark.

pub mod context;
pub mod forecast;
pub mod live;
pub mod nab;
pub mod record;
pub mod robust;
pub mod tail;

use context::ContextNovelty;
use record::Record;
use robust::RobustLevel;
use tail::Tail;

/// Score at and above which a sample is reported as anomalous: a surprise
/// about 5% above the series' record (ratio⁴/(1 + ratio⁴) = 0.55), or a
/// never-seen level (context score 0.6). Chosen once for the NAB corpus as
/// a whole.
pub const DEFAULT_THRESHOLD: f64 = 0.55;

/// Samples a series needs before it is scored at all.
pub const WARMUP: u32 = 300;

/// Surprise measures with records.
const M: usize = 4;
const KINDS: [Kind; M] = [Kind::Spike, Kind::Shift, Kind::Step, Kind::Volatility];

/// Samples before surprises count towards the records.
const SETTLE: u32 = 50;

/// Tuning shared by every series. The defaults were chosen on the NAB corpus
/// as a whole (never per file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorConfig {
    /// Weight of a new sample in the slow baseline.
    pub slow_alpha: f64,
    /// Weight of a new sample in the short mean used for level shifts.
    pub fast_alpha: f64,
    /// Per-sample decay of the surprise records (re-arming after anomalies).
    pub record_decay: f64,
    /// Samples before scoring starts.
    pub warmup: u32,
    /// Per-sample decay of the alarm hold: a score is only reported when it
    /// beats the decayed maximum of the scores before it, so one anomaly
    /// yields one alarm instead of a burst.
    pub hold_decay: f64,
    /// Quantization levels of the context measure (0 turns it off).
    pub levels: f64,
    /// Weight of context novelty in the ensemble score.
    pub context_weight: f64,
    /// Weights of the spike, shift, step and volatility ratios.
    pub weights: [f64; M],
    pub vol_alpha: f64,
    /// 1: the fourth measure is a spike against a fast local baseline.
    pub vol_mode: f64,
    pub local_alpha: f64,
    /// Samples after a reported alarm during which nothing is reported.
    pub refractory: u32,
    /// How much the ratio in the series' own units counts (0: only the
    /// ratio in units of the current scale; 1: only the raw one; 2: the
    /// smaller of the two).
    pub raw_mix: f64,
    /// Context scoring starts after this many warm-ups.
    pub ctx_delay: f64,
    pub ctx_rate_limit: f64,
    pub ctx_rate_alpha: f64,
    pub ctx_clamp: f64,
    pub settle: u32,
    pub hold_init: f64,
    pub ctx_log: f64,
    /// Weight of the second largest ratio in the combined one.
    pub second: f64,
    /// Context novelty counts only when the largest ratio is at least this.
    pub ctx_gate: f64,
    pub ctx_persist: f64,
    /// Context novelty multiplies the largest ratio by `1 + boost · novelty`.
    pub ctx_boost: f64,
    /// Young records are inflated by `1 + young_k · exp(-age / young_t)`.
    pub young_k: f64,
    pub young_t: f64,
    /// Each alarm multiplies a bar on later ratios by `1 + fatigue`; the
    /// bar decays back to 1 by `fatigue_decay` per sample.
    pub fatigue: f64,
    pub fatigue_decay: f64,
    pub ctx_fatigue: f64,
    pub ctx_iso: f64,
    /// Nothing is reported before this many samples (scores still feed
    /// the hold).
    pub report_from: u32,
    /// The short mean's input is clipped at this many scales (0: off).
    pub fast_clip: f64,
    /// 0: records; 1: tail levels; 2: beat both; 3: beat either.
    pub tail_mode: f64,
    pub tail_q: f64,
    pub tail_alpha: f64,
    pub tail_alpha_ex: f64,
    pub floor: f64,
    pub coarse: f64,
    pub coarse_warm: f64,
    pub coarse_ctx: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            slow_alpha: 0.003,
            fast_alpha: 0.05,
            record_decay: 0.9999,
            warmup: WARMUP,
            hold_decay: 0.998,
            levels: 8.0,
            context_weight: 0.6,
            weights: [1.0, 1.0, 1.0, 0.0],
            vol_alpha: 0.1,
            vol_mode: 0.0,
            local_alpha: 0.05,
            refractory: 0,
            raw_mix: 0.0,
            ctx_delay: 2.0,
            ctx_rate_limit: f64::INFINITY,
            ctx_rate_alpha: 0.001,
            ctx_clamp: 4.0,
            settle: SETTLE,
            hold_init: 0.0,
            ctx_log: 0.0,
            second: 0.0,
            ctx_gate: 0.0,
            ctx_persist: 0.0,
            ctx_boost: 0.0,
            young_k: 0.0,
            young_t: 1000.0,
            fatigue: 0.0,
            fatigue_decay: 0.9995,
            ctx_fatigue: 1.0,
            ctx_iso: 0.0,
            report_from: 0,
            fast_clip: 0.0,
            tail_mode: 0.0,
            tail_q: 1e-4,
            tail_alpha: 1e-4,
            tail_alpha_ex: 1e-2,
            floor: 2.0,
            coarse: 0.0,
            coarse_warm: 1.0,
            coarse_ctx: 1.0,
        }
    }
}

impl DetectorConfig {
    /// Sets one tuning value by name (for experiments such as
    /// `quell eval nab --set`); `false` for an unknown name.
    pub fn set(&mut self, key: &str, v: f64) -> bool {
        match key {
            "slow_alpha" => self.slow_alpha = v,
            "fast_alpha" => self.fast_alpha = v,
            "record_decay" => self.record_decay = v,
            "warmup" => self.warmup = v as u32,
            "hold_decay" => self.hold_decay = v,
            "levels" => self.levels = v,
            "context_weight" => self.context_weight = v,
            "w_spike" => self.weights[0] = v,
            "w_shift" => self.weights[1] = v,
            "w_step" => self.weights[2] = v,
            "w_vol" => self.weights[3] = v,
            "vol_alpha" => self.vol_alpha = v,
            "vol_mode" => self.vol_mode = v,
            "local_alpha" => self.local_alpha = v,
            "refractory" => self.refractory = v as u32,
            "raw_mix" => self.raw_mix = v,
            "ctx_delay" => self.ctx_delay = v,
            "ctx_rate_limit" => self.ctx_rate_limit = v,
            "ctx_rate_alpha" => self.ctx_rate_alpha = v,
            "ctx_clamp" => self.ctx_clamp = v,
            "settle" => self.settle = v as u32,
            "hold_init" => self.hold_init = v,
            "ctx_log" => self.ctx_log = v,
            "second" => self.second = v,
            "ctx_gate" => self.ctx_gate = v,
            "ctx_persist" => self.ctx_persist = v,
            "ctx_boost" => self.ctx_boost = v,
            "young_k" => self.young_k = v,
            "young_t" => self.young_t = v,
            "fatigue" => self.fatigue = v,
            "fatigue_decay" => self.fatigue_decay = v,
            "ctx_fatigue" => self.ctx_fatigue = v,
            "ctx_iso" => self.ctx_iso = v,
            "report_from" => self.report_from = v as u32,
            "fast_clip" => self.fast_clip = v,
            "tail_mode" => self.tail_mode = v,
            "tail_q" => self.tail_q = v,
            "tail_alpha" => self.tail_alpha = v,
            "tail_alpha_ex" => self.tail_alpha_ex = v,
            "floor" => self.floor = v,
            "coarse" => self.coarse = v,
            "coarse_warm" => self.coarse_warm = v,
            "coarse_ctx" => self.coarse_ctx = v,
            _ => return false,
        }
        true
    }
}

/// The ensemble's state for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Detector {
    cfg: DetectorConfig,
    slow: RobustLevel,
    fast: f64,
    /// Scale of sample-to-sample change.
    step: RobustLevel,
    prev: Option<f64>,
    records: [Record; M],
    /// Records of the same surprises in the series' own units.
    raw_records: [Record; M],
    /// Short mean of absolute deviations from the baseline.
    vol: f64,
    local: RobustLevel,
    /// A detector on block means of `coarse` samples.
    coarse: Option<Box<Detector>>,
    block: (f64, u32),
    tails: [Tail; M],
    raw_tails: [Tail; M],
    context: Option<ContextNovelty>,
    /// Decayed maximum of recent raw scores (see `hold_decay`).
    hold: f64,
    /// Samples left in the refractory period.
    quiet_left: u32,
    /// Excess of the alarm bar over 1 (see `fatigue`).
    bar: f64,
    n: u32,
}

/// One sample's verdict: the score and which measure drove it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub score: f64,
    pub kind: Kind,
}

/// Which measure raised a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Spike,
    Shift,
    Step,
    Volatility,
    Context,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new(DetectorConfig::default())
    }
}

impl Detector {
    #[must_use]
    pub fn new(cfg: DetectorConfig) -> Self {
        let mut rec = Record::new(cfg.record_decay);
        rec.floor = cfg.floor;
        Self {
            cfg,
            slow: RobustLevel::new(cfg.slow_alpha),
            fast: 0.0,
            step: RobustLevel::new(cfg.slow_alpha),
            prev: None,
            records: [rec; M],
            raw_records: [rec; M],
            vol: 0.0,
            local: RobustLevel::new(cfg.local_alpha),
            coarse: (cfg.coarse >= 2.0).then(|| {
                let mut c = cfg;
                c.coarse = 0.0;
                c.levels *= cfg.coarse_ctx;
                c.warmup = (f64::from(cfg.warmup) / cfg.coarse * cfg.coarse_warm) as u32;
                c.settle = (f64::from(cfg.settle) / cfg.coarse) as u32;
                Box::new(Detector::new(c))
            }),
            block: (0.0, 0),
            tails: [Tail::new(cfg.tail_q, cfg.tail_alpha, cfg.tail_alpha_ex); M],
            raw_tails: [Tail::new(cfg.tail_q, cfg.tail_alpha, cfg.tail_alpha_ex); M],
            context: (cfg.levels > 0.0).then(|| {
                let mut c = ContextNovelty::new(cfg.levels, cfg.warmup);
                c.delay = (cfg.ctx_delay * f64::from(cfg.warmup)) as u32;
                c.rate_limit = cfg.ctx_rate_limit;
                c.rate_alpha = cfg.ctx_rate_alpha;
                c.clamp = cfg.ctx_clamp;
                c.log_tail = cfg.ctx_log > 0.0;
                c.persist = cfg.ctx_persist > 0.0;
                c.iso = cfg.ctx_iso as i32;
                c
            }),
            hold: 0.0,
            quiet_left: 0,
            bar: 0.0,
            n: 0,
        }
    }

    /// Feeds one sample and returns its anomaly score in `[0, 1]`. Non-finite
    /// samples are ignored (score 0).
    pub fn update(&mut self, x: f64) -> f64 {
        self.observe(x).score
    }

    /// Like [`Detector::update`], also saying which measure drove the score.
    pub fn observe(&mut self, x: f64) -> Verdict {
        let quiet = Verdict { score: 0.0, kind: Kind::Spike };
        if !x.is_finite() {
            return quiet;
        }
        self.n = self.n.saturating_add(1);
        if self.n == 1 {
            self.fast = x;
        }
        let scale = self.slow.scale();
        let lim = if self.cfg.fast_clip > 0.0 && self.n > self.cfg.settle {
            self.cfg.fast_clip * scale
        } else {
            f64::INFINITY
        };
        self.fast += self.cfg.fast_alpha * (x - self.fast).clamp(-lim, lim);
        let level = self.slow.level();
        let d = self.prev.map_or(0.0, |p| x - p);
        if self.n > 1 {
            self.vol += self.cfg.vol_alpha * ((x - level).abs() - self.vol);
        }
        if self.cfg.vol_mode > 0.0 {
            let ls = self.local.scale().max(1e-3 * scale);
            self.vol = (x - self.local.level()).abs();
            self.local.update(x);
            self.vol = self.vol / ls * scale;
        }
        let surprise = [
            (x - level).abs() / scale,
            (self.fast - level).abs() / scale,
            (d - self.step.level()).abs() / self.step.scale().max(1e-3 * scale),
            self.vol / scale,
        ];
        let mut best = quiet;
        let warm = self.n > self.cfg.warmup;
        // Surprises measured before the baseline has settled are meaningless
        // (the scale is still near zero) and would poison the records.
        let settled = self.n > self.cfg.settle;
        let raw =
            [surprise[0] * scale, surprise[1] * scale, (d - self.step.level()).abs(), self.vol];
        let mut rhos = [0.0f64; M];
        for i in 0..M {
            let u = surprise[i];
            let (mut rn, mut rr) = (self.records[i].ratio(u), self.raw_records[i].ratio(raw[i]));
            let (tn, tr) = (self.tails[i].ratio(u), self.raw_tails[i].ratio(raw[i]));
            match self.cfg.tail_mode as u32 {
                1 => (rn, rr) = (tn, tr),
                2 => (rn, rr) = (rn.min(tn), rr.min(tr)),
                3 => (rn, rr) = (rn.max(tn), rr.max(tr)),
                _ => {}
            }
            if settled {
                self.records[i].update(u);
                self.raw_records[i].update(raw[i]);
                self.tails[i].update(u);
                self.raw_tails[i].update(raw[i]);
            }
            let m = self.cfg.raw_mix;
            let rho = self.cfg.weights[i]
                * if m > 1.5 { rn.min(rr) } else { rn.powf(1.0 - m) * rr.powf(m) };
            rhos[i] = rho;
        }
        self.slow.update(x);
        if self.prev.is_some() {
            self.step.update(d);
        }
        self.prev = Some(x);
        let nov = self.context.as_mut().map_or(0.0, |c| c.update(x));
        if warm {
            let mut order = [0usize, 1, 2, 3];
            order.sort_by(|&a, &b| rhos[b].total_cmp(&rhos[a]));
            let b = self.cfg.second;
            let rho = rhos[order[0]].powf(1.0 - b) * rhos[order[1]].powf(b);
            let rho = rho * (1.0 + self.cfg.ctx_boost * nov);
            let age = f64::from(self.n - self.cfg.settle.min(self.n));
            let rho = rho / (1.0 + self.cfg.young_k * (-age / self.cfg.young_t).exp());
            let rho = rho / (1.0 + self.bar);
            best = Verdict { score: squash(rho), kind: KINDS[order[0]] };
            let s = self.cfg.context_weight * nov;
            let s = s / (1.0 + self.cfg.ctx_fatigue * self.bar);
            if s > best.score && rhos[order[0]] >= self.cfg.ctx_gate {
                best = Verdict { score: s, kind: Kind::Context };
            }
        }
        if let Some(c) = &mut self.coarse {
            self.block.0 += x;
            self.block.1 += 1;
            if f64::from(self.block.1) >= self.cfg.coarse {
                let v = c.observe(self.block.0 / f64::from(self.block.1));
                self.block = (0.0, 0);
                if warm && v.score > best.score {
                    best = v;
                }
            }
        }
        if self.n == self.cfg.warmup {
            self.hold = self.cfg.hold_init;
        }
        let held = self.hold;
        self.hold = (self.hold * self.cfg.hold_decay).max(best.score);
        if best.score <= held || self.quiet_left > 0 || self.n <= self.cfg.report_from {
            best.score = 0.0;
        }
        self.quiet_left = self.quiet_left.saturating_sub(1);
        self.bar *= self.cfg.fatigue_decay;
        if best.score >= DEFAULT_THRESHOLD {
            self.quiet_left = self.cfg.refractory;
            self.bar = (1.0 + self.bar) * (1.0 + self.cfg.fatigue) - 1.0;
        }
        best
    }
}

/// Maps a ratio in `[0, ∞)` monotonically into `[0, 1)`, 1 → 0.5.
fn squash(rho: f64) -> f64 {
    let r4 = (rho * rho) * (rho * rho);
    if r4.is_finite() { r4 / (1.0 + r4) } else { 1.0 }
}

#[cfg(test)]
mod tests;
