//! The detector's settings ([`DetectorConfig`]) and the same settings
//! counted in one series' samples ([`Paced`]): which are lengths of time,
//! which are sample counts, and why. Owns no detector state.

use super::WARMUP;
use super::pace::{self, Span};

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
    /// After a reported alarm (score ≥ [`super::DEFAULT_THRESHOLD`]) nothing is
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
    /// Before the warm-up is over, score from this many samples on with
    /// the conservative small-sample test of [`super::early`] (at least
    /// 15; 0 turns it off). A sample count: the test's uncertainty is in
    /// samples. Off here (NAB's first 15% of rows are probation, so a score
    /// before the warm-up can only move its figures through the alarm
    /// hold); live use turns it on ([`crate::engine::EngineConfig`]).
    pub early_from: u32,
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
            early_from: 0,
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
            "early_from" => self.early_from = samples,
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
