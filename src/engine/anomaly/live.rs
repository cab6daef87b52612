//! Running the detectors over the store's series as samples arrive.
//!
//! Keeps one [`Detector`] per series and the time of the last sample it has
//! seen, so each engine pass feeds only new samples (incremental, O(new
//! samples)). Detectors of series the store has dropped are dropped too, so
//! memory follows the store's own caps. Anomalies are kept newest last, at
//! most `cap` of them.

use std::collections::{HashMap, VecDeque};

use super::forecast::time_to_breach;
use super::{DEFAULT_THRESHOLD, Detector, DetectorConfig, Kind};
use crate::model::{AnomalyEvent, Forecast, Sample, SeriesKey, Signal, UnixMs};

/// Samples a forecast is fitted to (the trend of the last ones only).
const FORECAST_SAMPLES: usize = 60;
/// Breaches further out than this are not reported.
const FORECAST_HORIZON_MS: i64 = 24 * 3_600_000;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct LiveAnomalies {
    cfg: DetectorConfig,
    detectors: HashMap<SeriesKey, (Detector, UnixMs)>,
    recent: VecDeque<AnomalyEvent>,
    cap: usize,
}

impl LiveAnomalies {
    /// Keeps at most `cap` anomalies; every series' detector runs `cfg`.
    #[must_use]
    pub fn new(cap: usize, cfg: DetectorConfig) -> Self {
        Self { cfg, detectors: HashMap::new(), recent: VecDeque::new(), cap }
    }

    /// Feeds every sample newer than the last pass; returns how many
    /// anomalies this pass found.
    pub fn update(&mut self, store: &Store) -> usize {
        let mut found: Vec<AnomalyEvent> = Vec::new();
        for (key, entry) in store.series() {
            let (det, last) = self
                .detectors
                .entry(key.clone())
                .or_insert_with(|| (Detector::new(self.cfg), i64::MIN));
            let since = *last;
            // Walk back from the newest sample only as far as the last pass
            // got, so a pass costs the new samples, not the whole ring.
            let fresh = entry.samples.iter().rev().take_while(|s| s.ts > since).count();
            let skip = entry.samples.len() - fresh;
            for s in entry.samples.iter().skip(skip) {
                let v = det.observe_at(s.ts, s.value);
                *last = s.ts;
                if v.score >= DEFAULT_THRESHOLD {
                    found.push(AnomalyEvent {
                        series: key.clone(),
                        service: entry.meta.service.clone(),
                        signal: entry.meta.signal.clone(),
                        ts: s.ts,
                        value: s.value,
                        score: v.score,
                        kind: kind_name(v.kind).into(),
                        instance: crate::model::instance_of(&entry.meta.labels).map(str::to_string),
                    });
                }
            }
        }
        // Series come in the store's map order: the pass's finds go in by
        // time, then series, so the list is newest last and the same for
        // the same data in every process.
        found.sort_by(|a, b| (a.ts, &a.series).cmp(&(b.ts, &b.series)));
        let count = found.len();
        self.recent.extend(found);
        while self.recent.len() > self.cap {
            self.recent.pop_front();
        }
        if self.detectors.len() > store.series_count() {
            self.detectors.retain(|k, _| store.series_by_key(k).is_some());
        }
        count
    }

    /// Time to breach of disk series in percent (limit 100%) from their
    /// last `FORECAST_SAMPLES` samples, soonest first: only breaches within
    /// `FORECAST_HORIZON_MS` whose whole band reaches the limit.
    #[must_use]
    pub fn forecasts(store: &Store) -> Vec<Forecast> {
        let mut out: Vec<Forecast> = store
            .series()
            .filter(|(_, e)| e.meta.signal == Signal::Disk && e.meta.unit == "%")
            .filter_map(|(key, e)| {
                let n = e.samples.len();
                let recent: Vec<Sample> =
                    e.samples.iter().skip(n.saturating_sub(FORECAST_SAMPLES)).copied().collect();
                let b = time_to_breach(&recent, 100.0)?;
                let last = recent.last()?.ts;
                // Only confident, near breaches: a band that may never reach
                // the limit, or a date weeks out, is noise, not news.
                if b.latest.is_none() || b.eta - last > FORECAST_HORIZON_MS {
                    return None;
                }
                Some(Forecast {
                    series: key.clone(),
                    service: e.meta.service.clone(),
                    signal: e.meta.signal.clone(),
                    threshold: b.threshold,
                    eta: b.eta,
                    earliest: b.earliest,
                    latest: b.latest,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.eta, &a.series).cmp(&(b.eta, &b.series)));
        out
    }

    /// Anomalies found so far, newest last.
    pub fn recent(&self) -> impl DoubleEndedIterator<Item = &AnomalyEvent> {
        self.recent.iter()
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Spike => "spike",
        Kind::Shift => "shift",
        Kind::Step => "step",
        Kind::Context => "context",
        Kind::Season => "season",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Labels, Sample, SeriesMeta, Signal};
    use crate::store::{Ingest, StoreLimits};

    fn push(store: &mut Store, from: usize, to: usize, spike_at: usize) {
        let samples = (from..to)
            .map(|i| Sample {
                ts: i as i64 * 15_000,
                value: if i == spike_at { 50.0 } else { 1.0 + 0.01 * ((i * 7 % 5) as f64) },
            })
            .collect();
        store.apply(Ingest::Samples {
            key: SeriesKey::new("lat{service=\"db\"}"),
            meta: SeriesMeta {
                labels: Labels::new(),
                service: Some("db".into()),
                signal: Signal::LatencyP99,
                unit: "s".into(),
            },
            samples,
        });
    }

    #[test]
    fn feeds_only_new_samples_and_reports_each_anomaly_once() {
        let limits = StoreLimits { samples_per_series: 2_000, ..StoreLimits::default() };
        let mut store = Store::new(limits);
        let mut live = LiveAnomalies::new(10, DetectorConfig::default());
        push(&mut store, 0, 700, usize::MAX);
        assert_eq!(live.update(&store), 0);
        push(&mut store, 700, 720, 710);
        assert_eq!(live.update(&store), 1);
        // A pass with nothing new finds nothing and repeats nothing.
        assert_eq!(live.update(&store), 0);
        let a: Vec<_> = live.recent().collect();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].ts, a[0].service.as_deref()), (710 * 15_000, Some("db")));
    }

    #[test]
    fn every_series_runs_the_detector_settings_it_was_given() {
        let limits = StoreLimits { samples_per_series: 2_000, ..StoreLimits::default() };
        let mut store = Store::new(limits);
        // 15-second samples: the default warm-up (an hour) is over by
        // sample 710, a warm-up of four hours is not.
        let long = DetectorConfig {
            warmup: crate::engine::anomaly::pace::Span { samples: 60, ms: 4 * 3_600_000 },
            ..DetectorConfig::default()
        };
        let mut slow = LiveAnomalies::new(10, long);
        let mut default = LiveAnomalies::new(10, DetectorConfig::default());
        push(&mut store, 0, 720, 710);
        assert_eq!(slow.update(&store), 0);
        assert_eq!(default.update(&store), 1);
    }

    #[test]
    fn a_filling_disk_gets_a_forecast() {
        let mut store = Store::new(StoreLimits::default());
        let samples =
            (0..60).map(|i| Sample { ts: i * 60_000, value: 40.0 + i as f64 * 0.5 }).collect();
        store.apply(Ingest::Samples {
            key: SeriesKey::new("disk{service=\"db\"}"),
            meta: SeriesMeta {
                labels: Labels::new(),
                service: Some("db".into()),
                signal: Signal::Disk,
                unit: "%".into(),
            },
            samples,
        });
        let f = LiveAnomalies::forecasts(&store);
        assert_eq!(f.len(), 1);
        // 69.5% at minute 59, rising 0.5 a minute: full at minute 120.
        assert_eq!(f[0].eta, 120 * 60_000);
    }
}
