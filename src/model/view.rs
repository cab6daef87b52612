//! `View`: the published picture of the world after each engine pass.
//!
//! The pipeline builds one per pass and hands it to the UI (behind an `Arc`)
//! and to `quell snapshot --json`. The UI renders only from this; it never
//! reads the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    AckStatus, Alert, AnomalyEvent, ChangeEvent, Fingerprint, Forecast, Incident, LogLevel,
    Silence, SourceHealth, UnixMs,
};

/// An alert plus what the UI needs next to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub alert: Alert,
    /// Recent values of the alert's own metric, oldest first, evenly spaced
    /// (missing points as NaN). Empty when nothing charts it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub spark: Vec<f64>,
    /// The alert rule's threshold, when known, for drawing on the chart.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Indices into `spark` of points the anomaly detectors flagged.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub anomalies: Vec<usize>,
    /// Times of the first and last point of `spark` (the chart's time axis).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub spark_span: Option<(UnixMs, UnixMs)>,
}

/// Ground truth of one injected fault (demo world only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultTruth {
    pub id: String,
    /// Scenario kind, e.g. `slow_database`.
    pub kind: String,
    pub root_service: String,
    pub start: UnixMs,
    pub end: UnixMs,
    /// Alerts this fault caused, as (fingerprint, starts_at).
    pub alerts: Vec<(Fingerprint, UnixMs)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Time of this view (virtual in the demo).
    pub now: UnixMs,
    /// Incidents, most urgent first. Shared with the engine copy-on-write:
    /// publishing a view does not copy incidents that did not change.
    pub incidents: Vec<Arc<Incident>>,
    /// Every alert any listed incident refers to, plus all active ones.
    pub alerts: BTreeMap<Fingerprint, AlertView>,
    pub sources: Vec<SourceHealth>,
    /// Recent changes (deploys), newest first.
    pub changes: Vec<ChangeEvent>,
    /// Demo world only.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ground_truth: Vec<FaultTruth>,
    /// Anomalies the streaming detectors found on metric series, newest first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub anomalies: Vec<AnomalyEvent>,
    /// Time to breach for series with a known limit (disk usage in %), soonest first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub forecasts: Vec<Forecast>,
    /// Log templates of the services listed incidents involve, per service:
    /// changed ones (new, spiking) first, then the busiest.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub log_patterns: BTreeMap<String, Vec<LogPatternView>>,
    /// Every cluster's silences: live ones first, each with how many alerts
    /// of this view it silences.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub silences: Vec<Silence>,
    /// Acknowledgements quell is writing or keeping alive.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub acks: Vec<AckStatus>,
    /// Per open incident: similar past incidents and how rare its kind is.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub history: BTreeMap<super::IncidentId, super::HistoryMatch>,
}

impl View {
    /// The silence with this id, if any cluster reports it.
    #[must_use]
    pub fn silence(&self, id: &str) -> Option<&Silence> {
        self.silences.iter().find(|s| s.id == id)
    }

    /// quell's acknowledgement of an incident, if any.
    #[must_use]
    pub fn ack_of(&self, incident: &super::IncidentId) -> Option<&AckStatus> {
        self.acks.iter().find(|a| &a.incident == incident)
    }
}

impl View {
    /// Re-fires of an incident's flapping alerts (see [`Alert::is_flapping`]),
    /// summed: 0 when none of its alerts flaps. For the incident list marker.
    #[must_use]
    pub fn incident_flaps(&self, inc: &Incident) -> u32 {
        inc.alerts
            .iter()
            .filter_map(|fp| self.alerts.get(fp))
            .filter(|a| a.alert.is_flapping())
            .map(|a| a.alert.flaps)
            .sum()
    }

    /// `↻ ` before the title of an incident with a flapping alert, else "".
    #[must_use]
    pub fn flap_marker(&self, inc: &Incident) -> &'static str {
        if self.incident_flaps(inc) > 0 { "\u{21bb} " } else { "" }
    }
}

/// One log template on one service, for the logs pane. Text is raw
/// (attacker-controlled): sanitize before drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogPatternView {
    pub id: String,
    /// Template text, variable parts as `<*>`.
    pub text: String,
    pub level: LogLevel,
    pub count: u64,
    pub first_seen: UnixMs,
    pub last_seen: UnixMs,
    /// First seen on this service during the incident's window.
    pub new: bool,
    /// Rate well above its baseline during the incident's window.
    pub spiking: bool,
    /// Its latest lines, oldest first.
    pub lines: Vec<String>,
}
