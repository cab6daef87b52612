//! Per-service template counts over time, and what changed in them.
//!
//! [`LogPatterns`] owns the [`Miner`] and, per (service, template), counts
//! per minute for the last [`KEEP_MINUTES`], the first and last time seen,
//! the worst level and an example line. [`LogPatterns::findings`] compares a
//! window with the baseline before it: templates new to the service,
//! templates whose rate jumped, and which of those are errors. Memory is
//! bounded twice: the miner caps templates, and the stats table drops the
//! least recently seen entries past [`MAX_STATS`].

use std::collections::{HashMap, VecDeque};

use crate::model::{LogLevel, LogRecord, UnixMs};

use super::miner::{Miner, MinerConfig, TemplateId};

/// Minutes of per-minute counts kept per (service, template).
pub const KEEP_MINUTES: usize = 180;
/// (service, template) entries kept.
pub const MAX_STATS: usize = 20_000;
const MINUTE: i64 = 60_000;
/// Lines kept per (service, template) for the logs pane, and their length.
const RECENT_LINES: usize = 5;
const RECENT_CHARS: usize = 240;
/// Service name for lines that carry none.
const NO_SERVICE: &str = "-";

/// One template's history on one service.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternStats {
    pub text: String,
    pub first_seen: UnixMs,
    pub last_seen: UnixMs,
    /// Worst level any of its lines had.
    pub level: LogLevel,
    pub total: u64,
    /// The last few lines, newest last, each capped.
    pub recent: VecDeque<String>,
    /// (minute start, lines), oldest first.
    minutes: VecDeque<(UnixMs, u32)>,
}

impl PatternStats {
    /// Lines within `[from, to)`, at minute resolution.
    #[must_use]
    pub fn count_between(&self, from: UnixMs, to: UnixMs) -> u64 {
        self.minutes
            .iter()
            .filter(|(m, _)| *m + MINUTE > from && *m < to)
            .map(|(_, c)| u64::from(*c))
            .sum()
    }
}

/// Why a template stands out on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// First seen on this service inside the window.
    New,
    /// Its rate in the window is well above its baseline rate.
    Spike,
}

/// A template that changed on a service.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub service: String,
    pub template: TemplateId,
    pub text: String,
    pub kind: FindingKind,
    pub level: LogLevel,
    pub first_seen: UnixMs,
    pub count: u64,
    pub baseline_per_min: f64,
}

#[derive(Debug, Clone, Default)]
pub struct LogPatterns {
    miner: Miner,
    stats: HashMap<(String, TemplateId), PatternStats>,
    /// When each service was first heard from: a template is only "new" if
    /// the service had been logging before it appeared.
    services: HashMap<String, UnixMs>,
}

impl LogPatterns {
    #[must_use]
    pub fn new(cfg: MinerConfig) -> Self {
        Self { miner: Miner::new(cfg), ..Self::default() }
    }

    /// Starts from a restored template table (see [`super::persist`]).
    #[must_use]
    pub fn with_miner(miner: Miner) -> Self {
        Self { miner, ..Self::default() }
    }

    #[must_use]
    pub fn miner(&self) -> &Miner {
        &self.miner
    }

    pub fn observe_all<'a>(&mut self, recs: impl IntoIterator<Item = &'a LogRecord>) {
        for r in recs {
            self.observe(r);
        }
    }

    pub fn observe(&mut self, rec: &LogRecord) {
        let (cluster, id) = self.miner.add_detailed(&rec.line);
        let service = rec.service.as_deref().unwrap_or(NO_SERVICE);
        self.services.entry(service.to_string()).or_insert(rec.ts);
        let key = (service.to_string(), id);
        if !self.stats.contains_key(&key) {
            if self.stats.len() >= MAX_STATS {
                self.evict();
            }
            let text = self.miner.regroup(cluster, &rec.line).map(|(_, t)| t).unwrap_or_default();
            let fresh = PatternStats {
                text,
                first_seen: rec.ts,
                last_seen: rec.ts,
                level: rec.level,
                total: 0,
                recent: VecDeque::new(),
                minutes: VecDeque::new(),
            };
            self.stats.insert(key.clone(), fresh);
        }
        let Some(s) = self.stats.get_mut(&key) else { return };
        s.total += 1;
        s.last_seen = s.last_seen.max(rec.ts);
        // LogLevel orders Error first: the smaller is the worse.
        s.level = s.level.min(rec.level);
        if s.recent.len() >= RECENT_LINES {
            s.recent.pop_front();
        }
        s.recent.push_back(rec.line.chars().take(RECENT_CHARS).collect());
        let minute = rec.ts - rec.ts.rem_euclid(MINUTE);
        match s.minutes.back_mut() {
            Some((m, c)) if *m == minute => *c = c.saturating_add(1),
            _ => {
                s.minutes.push_back((minute, 1));
                if s.minutes.len() > KEEP_MINUTES {
                    s.minutes.pop_front();
                }
            }
        }
    }

    fn evict(&mut self) {
        let mut ages: Vec<(UnixMs, (String, TemplateId))> =
            self.stats.iter().map(|(k, v)| (v.last_seen, k.clone())).collect();
        let n = (ages.len() / 10).max(1);
        ages.select_nth_unstable_by_key(n - 1, |a| a.0);
        for (_, k) in ages.into_iter().take(n) {
            self.stats.remove(&k);
        }
    }

    /// Templates of `service`, most lines first.
    pub fn of_service<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = (TemplateId, &'a PatternStats)> {
        self.stats.iter().filter(move |((s, _), _)| s == service).map(|((_, id), v)| (*id, v))
    }

    /// Templates of `service` that are new or spiking in `window`, against
    /// the `baseline` before it; errors first, then by line count.
    #[must_use]
    pub fn findings(
        &self,
        service: &str,
        baseline: (UnixMs, UnixMs),
        window: (UnixMs, UnixMs),
    ) -> Vec<Finding> {
        let known_before = self.services.get(service).is_some_and(|t| *t < window.0);
        #[allow(clippy::cast_precision_loss)]
        let minutes = |a: UnixMs, b: UnixMs| ((b - a) as f64 / MINUTE as f64).max(1.0);
        let mut out = Vec::new();
        for (id, s) in self.of_service(service) {
            let count = s.count_between(window.0, window.1 + 1);
            if count == 0 {
                continue;
            }
            let base = s.count_between(baseline.0, baseline.1);
            #[allow(clippy::cast_precision_loss)]
            let base_rate = base as f64 / minutes(baseline.0, baseline.1);
            #[allow(clippy::cast_precision_loss)]
            let rate = count as f64 / minutes(window.0, window.1);
            let kind = if known_before && s.first_seen >= window.0 {
                FindingKind::New
            } else if count >= 5 && rate > 4.0 * base_rate + 1.0 {
                FindingKind::Spike
            } else {
                continue;
            };
            out.push(Finding {
                service: service.to_string(),
                template: id,
                text: s.text.clone(),
                kind,
                level: s.level,
                first_seen: s.first_seen,
                count,
                baseline_per_min: base_rate,
            });
        }
        out.sort_by(|a, b| {
            a.level.cmp(&b.level).then(b.count.cmp(&a.count)).then(a.template.cmp(&b.template))
        });
        out
    }
}

#[cfg(test)]
mod tests;
