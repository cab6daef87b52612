//! Streaming anomaly detection on one metric series at a time.
//!
//! [`Detector`] takes one sample at a time in O(1) time and fixed memory
//! (a few dozen floats, a 48-phase daily profile and an 8 KiB context
//! table; no sample history, except the context measure's warm-up samples
//! until it has learned their range) and returns an anomaly score in
//! `[0, 1]`; before its warm-up is over it scores only when
//! `early_from` asks for the small-sample test (see [`early`]: on in live
//! use, off for NAB). It is plain Rust: the NAB evaluation, benchmarks and
//! the live pipeline run the same code. Samples may come with their timestamp
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

mod config;
pub mod context;
pub mod early;
pub mod forecast;
pub mod live;
pub mod nab;
pub mod pace;
pub mod record;
pub mod robust;
pub mod season;

pub use config::{DetectorConfig, Paced};
use context::ContextNovelty;
use early::Early;
use pace::Cadence;
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
    /// The small-sample test before the warm-up is over (see [`early`]).
    early: Option<Early>,
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
            early: (cfg.early_from > 0).then(|| Early::new(cfg.early_from)),
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
        if let Some(e) = &mut self.early {
            if warm {
                self.early = None;
            } else {
                let s = e.observe(self.n - 1, level, scale, x, self.cfg.tail_z);
                if s > best.score {
                    best = Verdict { score: s, kind: Kind::Spike };
                }
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
