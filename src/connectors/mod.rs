//! Connectors: the tasks that bring data into the pipeline.
//!
//! Each connector owns its polling loop (interval, timeout, backoff) and
//! delivers typed events; none of them touches UI state. `alertmanager`,
//! `prometheus` and Loki (`logs::loki`) poll real backends over the shared
//! `http` client and `poller` discipline; `logs` also follows files, commands and journald; `live`
//! runs each source in its own task, all into one channel that
//! `crate::driver` turns into pipeline passes; `record` writes and reads
//! what they deliver; `templates` keeps the pipeline's log template table
//! in the data dir.

pub mod alertmanager;
pub mod http;
pub mod live;
pub mod logs;
pub mod poller;
pub mod prometheus;
pub mod record;
pub mod settings;
pub mod templates;

use serde::{Deserialize, Serialize};

use crate::model::{Fingerprint, Labels, SeriesKey, SourceId};
use crate::store::Ingest;

/// An alerting rule as a Prometheus-compatible engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub name: String,
    pub labels: Labels,
    /// The PromQL expression (charts).
    pub query: String,
    /// The engine evaluated it without error last time (`health` "ok"):
    /// only then does the absence of one of its alerts mean its condition
    /// no longer holds (before the first evaluation after a restart it
    /// reports no alerts at all).
    #[serde(default)]
    pub evaluated: bool,
}

/// A charted alert: which stored series shows its expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub fingerprint: Fingerprint,
    pub expr: String,
    pub series: SeriesKey,
}

/// What a real connector delivers to the live pipeline task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    Ingest(Ingest),
    /// The alerting rules of one engine (replaces earlier ones).
    Rules {
        source: SourceId,
        rules: Vec<RuleInfo>,
    },
    /// Charts made this cycle, to attach to the same alerts from Alertmanager.
    Charts(Vec<Chart>),
    /// Alerts a rule engine had firing in the last minutes, from its own
    /// record (Prometheus's `ALERTS` series), read when quell first reaches
    /// it and after an outage: what it reported before quell could see.
    Fired {
        source: SourceId,
        alerts: Vec<Fingerprint>,
    },
    /// Caller/callee pairs learned from the topology query.
    Topology(Vec<(String, String)>),
    /// The demo world's injected faults (for scoring; never from a real source).
    GroundTruth(Vec<crate::model::FaultTruth>),
}
