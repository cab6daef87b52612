//! Connectors: the tasks that bring data into the pipeline.
//!
//! Each connector owns its polling loop (interval, timeout, backoff) and
//! delivers typed events; none of them touches UI state. `demo` drives the
//! embedded world; `alertmanager`, `prometheus` and Loki (`logs::loki`)
//! poll real backends over the shared `http` client and `poller`
//! discipline; `logs` also follows files, commands and journald; `live` runs them all
//! into one pipeline task; `record` writes and replays what they deliver;
//! `templates` keeps the pipeline's log template table in the data dir.

pub mod alertmanager;
pub mod demo;
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

/// The operator's line into a running pipeline: merge/split requests in
/// (`m`, `x`), what became of each out, as notices the UI flashes.
#[derive(Debug)]
pub struct Operator {
    pub requests: tokio::sync::mpsc::UnboundedReceiver<crate::engine::regroup::Request>,
    pub replies: tokio::sync::mpsc::UnboundedSender<crate::model::Notice>,
}

/// The UI's end of an [`Operator`] link.
#[derive(Debug)]
pub struct OperatorLink {
    pub requests: tokio::sync::mpsc::UnboundedSender<crate::engine::regroup::Request>,
    pub replies: tokio::sync::mpsc::UnboundedReceiver<crate::model::Notice>,
}

/// A connected pair: the pipeline keeps the [`Operator`], the UI the link.
#[must_use]
pub fn operator_link() -> (Operator, OperatorLink) {
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (rep_tx, rep_rx) = tokio::sync::mpsc::unbounded_channel();
    (
        Operator { requests: req_rx, replies: rep_tx },
        OperatorLink { requests: req_tx, replies: rep_rx },
    )
}

impl Operator {
    /// Applies one request to `pipe` and reports the outcome.
    pub fn handle(
        &self,
        req: &crate::engine::regroup::Request,
        pipe: &mut crate::pipeline::Pipeline,
        now: crate::model::UnixMs,
    ) {
        let notice = match pipe.regroup(req, now) {
            Ok(said) => crate::model::Notice::Info(said),
            Err(why) => crate::model::Notice::Error(why.to_string()),
        };
        let _ = self.replies.send(notice);
    }

    /// The next request of an optional link; never, without one or once
    /// the UI is gone (for `select!`).
    pub async fn next(op: &mut Option<Self>) -> crate::engine::regroup::Request {
        match op.as_mut() {
            Some(o) => match o.requests.recv().await {
                Some(r) => r,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }
}

/// An alerting rule as a Prometheus-compatible engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub name: String,
    pub labels: Labels,
    /// The PromQL expression (charts).
    pub query: String,
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
    /// Caller/callee pairs learned from the topology query.
    Topology(Vec<(String, String)>),
}
