//! Streaming anomaly detection on one metric series at a time.
//!
//! [`Detector`] takes one sample at a time in O(1) time and fixed memory
//! (a few dozen floats, a 48-phase daily profile and an 8 KiB context
//! table, no sample history) and returns an anomaly score in `[0, 1]`. It
//! is plain Rust: the NAB evaluation, benchmarks and the live pipeline run
//! the same code. Samples may come with their timestamp
//! ([`Detector::observe_at`]), which the seasonal measure needs.
//!
//! Method: several cheap *surprise* measures are compared with the largest
//! surprise of the same kind the series has shown so far (a slowly decaying
//! record, see [`record`]). A sample is anomalous when it beats the series'
//! own record: each series calibrates itself, a noisy or spiky series does
//! not alarm all day, and a strong anomaly raises the record so its own
//! aftermath does not alarm again. Each surprise is measured twice, in
//! units of the current robust scale and in the series' own units, and must
//! beat both records: the scale alone shrinks during a quiet stretch, which
//! would make the next ordinary burst look like a record. A record
//! broken by a surprise that would be ordinary even for Gaussian noise
//! (under four of its standard deviations, see `tail_z`) does not count:
//! unbounded noise breaks its own records about ln n times in n samples.
//! The ensemble score is the largest ratio over the measures, mapped into
//! `[0, 1]` (ratio 1 → 0.5).
//!
//! Measures (robust level/scale from [`robust`]):
//! - *spike*: the sample's distance from the slow baseline;
//! - *shift*: a short mean's distance from the slow baseline (level shifts);
//! - *step*: the change from the previous sample in units of typical change
//!   (sudden jumps and trend breaks in smooth series);
//! - *season* ([`season`], timestamped samples only): a short mean of the
//!   distance from the series' usual value at this time of day, once every
//!   phase has a few days of history and only when the daily profile
//!   explains the series (an expected daily rise that does not come);
//! - *context* ([`context`]): a level or short pattern of levels the series
//!   has never shown (flat stretches, new regimes), scored 0.6 when the
//!   level itself is new; a new level next to a known one (reached by
//!   drifting) counts only when some other surprise is not negligible.
//!
//! An alarm hold then keeps one anomaly from raising a burst of alarms: a
//! score is reported only when it beats the decayed maximum of the scores
//! before it, and nothing is reported for a short refractory period after a
//! reported alarm (NAB, like an on-call engineer, credits only the first
//! alarm of an anomaly and counts every other one as noise).
//!
//! Why each part should hold on series never seen: the robust level and
//! scale are M-estimates that one outlier cannot move; records compare a
//! series only with itself, so no absolute threshold has to fit every
//! series; the tail test is a fixed probability under the plainest null
//! (Gaussian noise), not a rate fitted to a corpus; the seasonal measure
//! only speaks when the series' own history shows a daily pattern; context
//! novelty asks a question with no scale at all (has this series been here
//! before?). A measure for missing bursts was removed: it helped only the
//! category it was designed on and lowered the leave-one-category-out NAB
//! score (`docs/dev-notes/NOTES-issue-18.md`). [`live`] runs detectors over
//! the store, [`forecast`] projects time to breach, [`nab`] scores
//! detectors on the Numenta Anomaly Benchmark.

pub mod context;
pub mod forecast;
pub mod live;
pub mod nab;
pub mod pace;
pub mod record;
pub mod robust;
pub mod season;

use context::ContextNovelty;
use pace::{Cadence, Span};
use record::Record;
use robust::RobustLevel;
use season::DailyProfile;

/// Score at and above which a sample is reported as anomalous: a surprise
/// about 5% above the series' record (ratio⁴/(1 + ratio⁴) = 0.55), a
/// never-seen level (context score 0.6).
/// Chosen once for the NAB corpus as a whole.
pub const DEFAULT_THRESHOLD: f64 = 0.55;

/// Samples the context measure learns a series' range from, and the
/// seasonal record's floor (see [`DetectorConfig::context_warmup`]).
pub const WARMUP: u32 = 300;

/// Ratio to its record a surprise that fails the tail test is capped at
/// (squashed: 0.40, below any threshold worth using).
const NOT_SIGNIFICANT: f64 = 0.9;

/// Surprise measures with records: spike, shift, step.
const MEASURES: usize = 3;
const KINDS: [Kind; MEASURES] = [Kind::Spike, Kind::Shift, Kind::Step];

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// Tuning shared by every series. The defaults were chosen on the NAB corpus
/// as a whole (never per file); the lengths in time on the development
/// data of `quell eval rca` (see the README).
///
/// Every setting that is a length of time is one: a [`Span`] (so many
/// samples *and* so much time, counted in each series' own samples once its
/// interval is known, see [`pace`]) or a per-sample rate with a memory in
/// time next to it (`*_memory_ms`: the rate's memory is at least its own
/// 1/rate samples and at least that long). Each says which part holds and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorConfig {
    /// Weight of a new sample in the slow baseline. A sample count: the
    /// precision of the robust level and scale depends on how many samples
    /// they average (333), not on the clock.
    pub slow_alpha: f64,
    /// Memory in time of the slow baseline, next to `slow_alpha` (0: none).
    pub slow_memory_ms: i64,
    /// Weight of a new sample in the short mean used for level shifts. A
    /// sample count: the tail test knows the mean's spread under noise
    /// from this weight, and 20 samples is what averages noise down.
    pub fast_alpha: f64,
    /// Memory in time of the short mean, next to `fast_alpha` (0: none).
    pub fast_memory_ms: i64,
    /// Per-sample decay of the surprise records (re-arming after anomalies).
    pub record_decay: f64,
    /// Memory in time of the records, next to `record_decay`: 40 hours
    /// (10,000 samples of 15 seconds), so a fast-sampled series does not
    /// re-arm sooner in time than the demo's.
    pub record_memory_ms: i64,
    /// History before scoring starts: 60 samples and an hour. Samples:
    /// the records start after `settle` (50) and must have taken in some
    /// surprises (10) before breaking one means anything; time: an hour of
    /// the series' routine, which a faster scrape does not show sooner. At
    /// 15-second samples that is 240 (300 before the span), at one-minute
    /// samples 60 (300, five hours, before), at 5-minute samples 60 (NAB's
    /// score is the same with 60 as with 300: its first 15% of rows are
    /// probation anyway).
    pub warmup: Span,
    /// History the context measure learns the series' range from (it
    /// scores after twice this). Samples: a range of values is only known
    /// after many of them; the quantization has nothing to do with time.
    pub context_warmup: Span,
    /// History before surprises count towards the records: 50 samples. The
    /// robust scale starts from nothing; surprises measured in it before it
    /// has settled inflate the records for a long time (NAB loses 1.2 points
    /// with 20 samples, 4.4 with 5). A number of samples, not time.
    pub settle: Span,
    /// History of seasonal surprises before their record can be broken:
    /// 300 samples and a day, so the record has seen every phase of the
    /// daily pattern (at 5-minute samples the 300 hold, as before). It was
    /// the scoring warm-up before: shortening that one alone let NAB's
    /// daily series alarm at the first seasonal surprise.
    pub season_warmup: Span,
    /// Per-sample decay of the alarm hold: a score is only reported when it
    /// beats the decayed maximum of the scores before it, so one anomaly
    /// yields one alarm instead of a burst.
    pub hold_decay: f64,
    /// Memory in time of the alarm hold, next to `hold_decay`: 2 hours (500
    /// samples of 15 seconds), for the same reason.
    pub hold_memory_ms: i64,
    /// Quantization levels of the context measure (0 turns it off).
    pub levels: f64,
    /// Weight of context novelty in the ensemble score.
    pub context_weight: f64,
    /// Context levels past either end of the learned range before values
    /// saturate into one level.
    pub context_clamp: f64,
    /// A new level next to a seen one counts as context novelty only when
    /// some surprise is at least this share of its record: a level reached
    /// by slow drift, with the sample close to its baseline, is no anomaly.
    pub context_gate: f64,
    /// After a reported alarm (score ≥ [`DEFAULT_THRESHOLD`]) nothing is
    /// reported for this long: 25 samples and 6 minutes. Time: one anomaly
    /// lasts minutes whatever the sampling (at 15-second samples the time
    /// part holds: 24 samples); samples: on slower series one anomaly spans
    /// several samples, and NAB's 5-minute series lose 0.4 points with 5.
    pub refractory: Span,
    /// Weight of a new sample in its phase-of-day estimate (0 turns the
    /// seasonal measure off).
    pub season_alpha: f64,
    /// Days a phase of the day must have been seen before it is scored.
    pub season_days: u32,
    /// The daily profile must explain the series: the spread around one
    /// baseline must be at least this many times the seasonal residual's.
    pub season_explain: f64,
    /// A spike, shift or step surprise may only alarm when it lies at least
    /// this many of its standard deviations under Gaussian noise from zero
    /// (0 turns the test off). 4 is a two-sided tail probability of about
    /// 6·10⁻⁵: records of plain noise, which keep being broken by chance
    /// (about ln n times in n samples), are not anomalies.
    pub tail_z: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            slow_alpha: 0.003,
            slow_memory_ms: 0,
            fast_alpha: 0.05,
            fast_memory_ms: 0,
            record_decay: 0.9999,
            record_memory_ms: 40 * HOUR_MS,
            warmup: Span { samples: 60, ms: HOUR_MS },
            context_warmup: Span::samples(WARMUP),
            settle: Span::samples(50),
            season_warmup: Span { samples: WARMUP, ms: 24 * HOUR_MS },
            hold_decay: 0.998,
            hold_memory_ms: 2 * HOUR_MS,
            levels: 8.0,
            context_weight: 0.6,
            context_clamp: 32.0,
            context_gate: 0.12,
            refractory: Span { samples: 25, ms: 6 * MINUTE_MS },
            season_alpha: 0.05,
            season_days: 3,
            season_explain: 2.0,
            tail_z: 4.0,
        }
    }
}

impl DetectorConfig {
    /// Sets one tuning value by name (for experiments such as
    /// `quell eval nab --set`); `false` for an unknown name. Spans take
    /// `NAME` (samples) and `NAME_min` (minutes).
    pub fn set(&mut self, key: &str, v: f64) -> bool {
        let samples = v as u32;
        let ms = (v * MINUTE_MS as f64) as i64;
        match key {
            "slow_alpha" => self.slow_alpha = v,
            "slow_memory_min" => self.slow_memory_ms = ms,
            "fast_alpha" => self.fast_alpha = v,
            "fast_memory_min" => self.fast_memory_ms = ms,
            "record_decay" => self.record_decay = v,
            "record_memory_min" => self.record_memory_ms = ms,
            "warmup" => self.warmup.samples = samples,
            "warmup_min" => self.warmup.ms = ms,
            "context_warmup" => self.context_warmup.samples = samples,
            "context_warmup_min" => self.context_warmup.ms = ms,
            "settle" => self.settle.samples = samples,
            "settle_min" => self.settle.ms = ms,
            "season_warmup" => self.season_warmup.samples = samples,
            "season_warmup_min" => self.season_warmup.ms = ms,
            "hold_decay" => self.hold_decay = v,
            "hold_memory_min" => self.hold_memory_ms = ms,
            "levels" => self.levels = v,
            "context_weight" => self.context_weight = v,
            "context_clamp" => self.context_clamp = v,
            "context_gate" => self.context_gate = v,
            "refractory" => self.refractory.samples = samples,
            "refractory_min" => self.refractory.ms = ms,
            "season_alpha" => self.season_alpha = v,
            "season_days" => self.season_days = samples,
            "season_explain" => self.season_explain = v,
            "tail_z" => self.tail_z = v,
            _ => return false,
        }
        true
    }

    /// The settings in one series' samples, for its sampling interval
    /// (`None`: unknown, the sample counts and rates apply as written).
    #[must_use]
    pub fn paced(&self, interval_ms: Option<i64>) -> Paced {
        Paced {
            slow_alpha: pace::alpha(self.slow_alpha, self.slow_memory_ms, interval_ms),
            fast_alpha: pace::alpha(self.fast_alpha, self.fast_memory_ms, interval_ms),
            record_decay: pace::decay(self.record_decay, self.record_memory_ms, interval_ms),
            hold_decay: pace::decay(self.hold_decay, self.hold_memory_ms, interval_ms),
            warmup: self.warmup.count(interval_ms),
            context_warmup: self.context_warmup.count(interval_ms),
            settle: self.settle.count(interval_ms),
            season_warmup: self.season_warmup.count(interval_ms),
            refractory: self.refractory.count(interval_ms),
        }
    }
}

/// [`DetectorConfig`]'s time-like settings counted in one series' samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paced {
    pub slow_alpha: f64,
    pub fast_alpha: f64,
    pub record_decay: f64,
    pub hold_decay: f64,
    pub warmup: u32,
    pub context_warmup: u32,
    pub settle: u32,
    pub season_warmup: u32,
    pub refractory: u32,
}

/// The ensemble's state for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Detector {
    cfg: DetectorConfig,
    /// The settings in this series' samples (see [`pace`]).
    paced: Paced,
    cadence: Cadence,
    slow: RobustLevel,
    fast: f64,
    /// Scale of sample-to-sample change.
    step: RobustLevel,
    prev: Option<f64>,
    /// Records of the surprises in units of the current scale.
    records: [Record; MEASURES],
    /// Records of the same surprises in the series' own units.
    raw_records: [Record; MEASURES],
    context: Option<ContextNovelty>,
    /// Phase-of-day profile (only fed by timestamped samples).
    season: Option<Box<DailyProfile>>,
    /// Records of the seasonal surprise, scaled and in the series' units.
    season_records: [Record; 2],
    /// Decayed maximum of recent raw scores (see `hold_decay`).
    hold: f64,
    /// Samples left in the refractory period.
    refractory_left: u32,
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
    Context,
    /// Departure from the series' usual value at this time of day.
    Season,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new(DetectorConfig::default())
    }
}

impl Detector {
    #[must_use]
    pub fn new(cfg: DetectorConfig) -> Self {
        let paced = cfg.paced(None);
        let rec = Record::new(paced.record_decay);
        Self {
            cfg,
            paced,
            cadence: Cadence::default(),
            slow: RobustLevel::new(paced.slow_alpha),
            fast: 0.0,
            step: RobustLevel::new(paced.slow_alpha),
            prev: None,
            records: [rec; MEASURES],
            raw_records: [rec; MEASURES],
            context: (cfg.levels > 0.0)
                .then(|| ContextNovelty::new(cfg.levels, cfg.context_clamp, paced.context_warmup)),
            season: (cfg.season_alpha > 0.0).then(|| {
                Box::new(DailyProfile::new(cfg.season_alpha, cfg.fast_alpha, cfg.slow_alpha))
            }),
            season_records: [rec; 2],
            hold: 0.0,
            refractory_left: 0,
            n: 0,
        }
    }

    /// Feeds one sample and returns its anomaly score in `[0, 1]`. Non-finite
    /// samples are ignored (score 0).
    pub fn update(&mut self, x: f64) -> f64 {
        self.observe(x).score
    }

    /// Like [`Detector::update`], also saying which measure drove the score.
    /// Without timestamps the seasonal measure stays silent.
    pub fn observe(&mut self, x: f64) -> Verdict {
        self.observe_inner(None, x)
    }

    /// Feeds one sample taken at `ts_ms` (milliseconds since the Unix
    /// epoch), which lets the detector learn the series' daily pattern.
    pub fn observe_at(&mut self, ts_ms: i64, x: f64) -> Verdict {
        self.observe_inner(Some(ts_ms), x)
    }

    /// This series' sampling interval as estimated so far.
    #[must_use]
    pub fn interval_ms(&self) -> Option<i64> {
        self.cadence.interval_ms()
    }

    /// Samples of history before this series is scored (with what is known
    /// of its interval so far).
    #[must_use]
    pub fn warmup_samples(&self) -> u32 {
        self.paced.warmup
    }

    /// Re-counts the settings in this series' samples once its interval
    /// estimate changes (at most a few times, early on).
    fn repace(&mut self) {
        let p = self.cfg.paced(self.cadence.interval_ms());
        if p == self.paced {
            return;
        }
        self.paced = p;
        self.slow.set_alpha(p.slow_alpha);
        self.step.set_alpha(p.slow_alpha);
        for r in
            self.records.iter_mut().chain(&mut self.raw_records).chain(&mut self.season_records)
        {
            r.set_decay(p.record_decay);
        }
        if let Some(c) = &mut self.context {
            c.set_warmup(p.context_warmup);
        }
    }

    fn observe_inner(&mut self, ts_ms: Option<i64>, x: f64) -> Verdict {
        let quiet = Verdict { score: 0.0, kind: Kind::Spike };
        if !x.is_finite() {
            return quiet;
        }
        if let Some(ts) = ts_ms
            && self.cadence.observe(ts)
        {
            self.repace();
        }
        self.n = self.n.saturating_add(1);
        if self.n == 1 {
            self.fast = x;
        }
        self.fast += self.paced.fast_alpha * (x - self.fast);
        let scale = self.slow.scale();
        let level = self.slow.level();
        let d = self.prev.map_or(0.0, |p| x - p);
        // The same surprises in the series' own units, then in units of
        // the current scale.
        let raw = [(x - level).abs(), (self.fast - level).abs(), (d - self.step.level()).abs()];
        let unit = [scale, scale, self.step.scale().max(1e-3 * scale)];
        let mut best = quiet;
        let warm = self.n > self.paced.warmup;
        // Surprises measured before the baseline has settled are meaningless
        // (the scale is still near zero) and would poison the records.
        let settled = self.n > self.paced.settle;
        // The largest ratio over the measures.
        let mut top = 0.0f64;
        // The best score before the tail test: the alarm hold follows it,
        // so the test changes which samples alarm, not how long one
        // anomaly holds off the next alarm.
        let mut untested = 0.0f64;
        let records = self.records.iter_mut().zip(self.raw_records.iter_mut());
        // Standard deviation of each surprise for Gaussian noise, in its
        // units: the scale is one for a sample or a change; an exponential
        // mean of weight α has √(α / (2 − α)) of it.
        let fa = self.paced.fast_alpha;
        let null_sd = [1.0, (fa / (2.0 - fa)).sqrt(), 1.0];
        for (i, (rec, raw_rec)) in records.enumerate() {
            let u = raw[i] / unit[i];
            let mut rho = rec.ratio(u).min(raw_rec.ratio(raw[i]));
            if warm {
                untested = untested.max(squash(rho));
            }
            if u < self.cfg.tail_z * null_sd[i] {
                // Not a tail event even for Gaussian noise: it may not alarm.
                rho = rho.min(NOT_SIGNIFICANT);
            }
            top = top.max(rho);
            if settled {
                rec.update(u);
                raw_rec.update(raw[i]);
            }
            if warm {
                let s = squash(rho);
                if s > best.score {
                    best = Verdict { score: s, kind: KINDS[i] };
                }
            }
        }
        if let (Some(ts), Some(p)) = (ts_ms, &mut self.season) {
            let days = self.cfg.season_days.min(255) as u8;
            if let Some(sur) = p.update(ts, x, scale, days, self.cfg.season_explain) {
                let [rec, raw_rec] = &mut self.season_records;
                let rho = rec.ratio(sur.unit).min(raw_rec.ratio(sur.raw));
                rec.update(sur.unit);
                raw_rec.update(sur.raw);
                // Like the other records, this one needs a warm-up of its
                // own before it can be broken.
                let s = squash(rho);
                if warm && rec.count() > self.paced.season_warmup && s > best.score {
                    best = Verdict { score: s, kind: Kind::Season };
                }
            }
        }
        self.slow.update(x);
        if self.prev.is_some() {
            self.step.update(d);
        }
        self.prev = Some(x);
        if let Some(c) = &mut self.context {
            let s = self.cfg.context_weight * c.update(x);
            let counts = !c.adjacent() || top >= self.cfg.context_gate;
            if warm && counts && s > best.score {
                best = Verdict { score: s, kind: Kind::Context };
            }
        }
        let held = self.hold;
        self.hold = (self.hold * self.paced.hold_decay).max(best.score.max(untested));
        if best.score <= held || self.refractory_left > 0 {
            best.score = 0.0;
        }
        self.refractory_left = self.refractory_left.saturating_sub(1);
        if best.score >= DEFAULT_THRESHOLD {
            self.refractory_left = self.paced.refractory;
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
