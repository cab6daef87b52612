//! Metric series: a label set and timestamped samples.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Labels, UnixMs};

/// Identity of a series in the store: its canonical selector text, e.g.
/// `p99_latency_seconds{service="payments"}` or, for a charted alert, the
/// alert rule's expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeriesKey(pub Arc<str>);

impl SeriesKey {
    #[must_use]
    pub fn new(s: impl AsRef<str>) -> Self {
        Self(Arc::from(s.as_ref()))
    }

    /// Canonical key of a metric name and label set.
    #[must_use]
    pub fn of(metric: &str, labels: &Labels) -> Self {
        let mut s = String::with_capacity(metric.len() + 16 * labels.len());
        s.push_str(metric);
        s.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(k);
            s.push_str("=\"");
            for c in v.chars() {
                match c {
                    '"' => s.push_str("\\\""),
                    '\\' => s.push_str("\\\\"),
                    '\n' => s.push_str("\\n"),
                    c => s.push(c),
                }
            }
            s.push('"');
        }
        s.push('}');
        Self::new(s)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The golden signals the engine reasons about. `Other` keeps anything else a
/// user configures without losing it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    RequestRate,
    ErrorRatio,
    LatencyP99,
    Cpu,
    Memory,
    Disk,
    Other(String),
}

impl Signal {
    /// Human name used in evidence lines.
    #[must_use]
    pub fn describe(&self) -> &str {
        match self {
            Self::RequestRate => "request rate",
            Self::ErrorRatio => "error ratio",
            Self::LatencyP99 => "p99 latency",
            Self::Cpu => "CPU",
            Self::Memory => "memory",
            Self::Disk => "disk usage",
            Self::Other(s) => s,
        }
    }

    /// Whether a rise (true) or a fall (false) of this signal is the bad direction.
    /// Request rate is two-sided in practice; a drop is the usual symptom.
    #[must_use]
    pub fn bad_when_high(&self) -> bool {
        !matches!(self, Self::RequestRate)
    }
}

/// What the engine needs to know about a series besides its samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesMeta {
    pub labels: Labels,
    /// The service this series describes, if any.
    pub service: Option<String>,
    pub signal: Signal,
    /// Unit suffix for display (`s`, `%`, `req/s`, ...).
    #[serde(default)]
    pub unit: String,
}

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub ts: UnixMs,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_escapes_values() {
        let mut l = Labels::new();
        l.insert("service".into(), "a\"b\\c\nd".into());
        assert_eq!(SeriesKey::of("m", &l).as_str(), r#"m{service="a\"b\\c\nd"}"#);
    }
}
