//! An anomaly the streaming detectors found on a metric series.

use serde::{Deserialize, Serialize};

use super::{SeriesKey, Signal, UnixMs};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyEvent {
    pub series: SeriesKey,
    pub service: Option<String>,
    pub signal: Signal,
    /// Time of the sample that raised it.
    pub ts: UnixMs,
    pub value: f64,
    /// Detector score in `[0, 1]` (≥ the operating threshold).
    pub score: f64,
    /// Which measure raised it: `spike`, `shift`, `step`, `context` or
    /// `season`.
    pub kind: String,
    /// The series' `instance` label (which pod of a service), if any.
    #[serde(default)]
    pub instance: Option<String>,
}

/// When a trending series is expected to cross its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub series: SeriesKey,
    pub service: Option<String>,
    pub signal: Signal,
    pub threshold: f64,
    pub eta: UnixMs,
    /// Fast and slow ends of the ±2 SE band (`None`: may never breach).
    pub earliest: UnixMs,
    pub latest: Option<UnixMs>,
}
