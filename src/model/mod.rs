//! The domain: what quell knows about the monitored world, as plain data.
//!
//! Owns the vocabulary every other module speaks (alerts, series, log records,
//! changes, incidents, topology, source health, the published `View`). It holds
//! no behaviour beyond small helpers on those types and must not depend on
//! tokio, the terminal or any backend.

mod alert;
mod anomaly;
mod change;
mod entity;
mod history;
mod incident;
pub mod interval;
mod log;
mod notice;
mod place;
pub mod rule;
mod series;
mod silence;
mod source;
mod span;
mod time;
mod topology;
mod view;

pub use alert::{
    Alert, AlertState, AmGroup, Fingerprint, Labels, Severity, instance_of, labels_of,
};
pub use anomaly::{AnomalyEvent, Forecast};
pub use change::{ChangeEvent, ChangeKind};
pub use entity::{
    Entity, EntityKind, EntityLabels, UNNAMED_ENTITY, entity_labels, entity_of, host_of,
    set_entity_labels,
};
pub use history::{HistoryMatch, PastIncident, Rarity};
pub use incident::{
    Confidence, Evidence, Incident, IncidentId, IncidentState, RootCause, TimelineEntry,
    TimelineKind,
};
pub use log::{LogLevel, LogRecord, trace_in_line, trace_key};
pub use notice::Notice;
pub use place::{place_between, place_of};
pub use series::{Sample, SeriesKey, SeriesMeta, Signal};
pub use silence::{
    ACK_MARKER, AckPhase, AckStatus, CompiledMatchers, Silence, SilenceMatcher, SilenceState,
    escape_matcher_value,
};
pub use source::{
    DEMO_SOURCE, QUIET_FLOOR_MS, SourceHealth, SourceId, SourceStatus, fresh_start_warning,
    quiet_limit_ms,
};
pub use span::{Span, SpanId};
pub use time::{Clock, SystemClock, UnixMs, format_age, format_clock};
pub use topology::Topology;
pub use view::{AlertView, FaultTruth, LogPatternView, View};
