//! The one pipeline driver: everything that feeds the store and engine
//! goes through here, whatever the events come from.
//!
//! ```text
//!  Feed (demo world │ live sources │ recording │ benchmark data)
//!        │ Vec<Event>, with the feed's clock (`Feed::now`)
//!        ▼
//!  Driver::apply ─► Joiner (rules, charts, AM-over-engine) ─► Pipeline (store + engine)
//!        │ bursts coalesced (`Feed::ready`), one engine pass off the loop
//!        ▼
//!  Driver::analyze(now) ─► View ──► views (watch) ─► the UI / snapshot / eval
//!                            └────► focus (watch) ─► Loki sources follow open incidents
//!  feedback into the driver, each a typed channel in `Links`:
//!    acks      ack writer ─► Ingest::Acks        (what quell's silences became)
//!    operator  UI `m`/`x` ─► regroup::Request    (replies go back as notices)
//! ```
//!
//! [`Driver::new`] is the only place outside tests and benches that builds
//! a [`Pipeline`]. Virtual-time users (`quell snapshot`, `eval`, replay to
//! the end of a recording) call [`Driver::apply`] and [`Driver::analyze`]
//! themselves; the TUI's pipeline task is [`Driver::run`] over a [`Feed`].
//! This module owns no source: `connectors/` makes events, `demo`, `live`
//! and `replay` here turn each kind of origin into a feed.

pub mod demo;
mod join;
pub mod live;
pub mod replay;

use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::connectors::Event;
use crate::connectors::logs::loki::focus::{self, LogFocus};
use crate::connectors::templates::TemplateFile;
use crate::engine::EngineConfig;
use crate::model::{SourceId, Topology, UnixMs, View};
use crate::pipeline::Pipeline;
use crate::store::{Ingest, StoreLimits};

pub use join::Joiner;

/// What a pipeline is built from.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub limits: StoreLimits,
    pub engine: EngineConfig,
    /// The configured call graph (engines may add edges they learn).
    pub topology: Topology,
    /// Sources that are Alertmanagers: their alerts win over an engine's
    /// own copy of the same alert.
    pub alertmanagers: HashSet<SourceId>,
}

impl Setup {
    /// The pipeline a config describes.
    #[must_use]
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            limits: cfg.store.clone(),
            engine: cfg.engine.clone(),
            topology: cfg.topology.to_topology(),
            alertmanagers: cfg.alertmanager.iter().map(|a| a.name.clone()).collect(),
        }
    }

    /// A pipeline over a known topology with no configured sources (the
    /// demo world, scenarios, benchmark data).
    #[must_use]
    pub fn with_topology(limits: StoreLimits, engine: EngineConfig, topology: Topology) -> Self {
        Self { limits, engine, topology, alertmanagers: HashSet::new() }
    }
}

/// Where a running driver's events come from.
pub trait Feed: Send {
    /// Waits for the next events; `None` once the feed has ended.
    fn next(&mut self) -> impl Future<Output = Option<Vec<Event>>> + Send;

    /// Events already waiting, taken without waiting, so a burst becomes
    /// one engine pass. Feeds whose every batch is its own moment (a
    /// simulation step) keep the default.
    fn ready(&mut self) -> Option<Vec<Event>> {
        None
    }

    /// The time of an engine pass over what arrived so far.
    fn now(&self) -> UnixMs;
}

/// The typed channels around a running driver.
#[derive(Debug)]
pub struct Links {
    /// Every view, latest wins. The driver stops when nobody listens.
    pub views: watch::Sender<Arc<View>>,
    /// What the ack writer's silences became (feedback from the UI's acks).
    pub acks: Option<mpsc::Receiver<Ingest>>,
    /// The operator's merges and splits.
    pub operator: Option<Operator>,
    /// Open incidents whose logs the Loki sources should follow.
    pub focus: Option<watch::Sender<Arc<Vec<LogFocus>>>>,
}

impl Links {
    #[must_use]
    pub fn views(views: watch::Sender<Arc<View>>) -> Self {
        Self { views, acks: None, operator: None, focus: None }
    }
}

/// The store and engine with what joins events to them.
#[derive(Debug)]
pub struct Driver {
    pipe: Pipeline,
    joiner: Joiner,
    templates: Option<TemplateFile>,
}

impl Driver {
    #[must_use]
    pub fn new(setup: Setup) -> Self {
        let joiner = Joiner::new(setup.alertmanagers, setup.topology.clone());
        Self {
            pipe: Pipeline::new(setup.limits, setup.engine, setup.topology),
            joiner,
            templates: None,
        }
    }

    /// Keeps log template ids in `templates` across restarts (loaded now,
    /// saved while running and at the end of [`Self::run`]).
    pub fn keep_templates(&mut self, mut templates: TemplateFile) {
        templates.load_into(&mut self.pipe);
        self.templates = Some(templates);
    }

    /// Live use keeps the incident history and the operator's regrouping
    /// in files beside the template table.
    pub fn keep_history_beside(&mut self, templates: &Path) {
        self.pipe.set_history(crate::history::History::open(
            templates.with_file_name(crate::history::FILE_NAME),
        ));
        self.pipe.set_regroup_file(templates.with_file_name(crate::pipeline::REGROUP_FILE));
    }

    /// One event into the store (through the joiner).
    pub fn apply(&mut self, ev: Event) {
        self.joiner.apply(ev, &mut self.pipe);
    }

    /// Store events (no rules or charts) into the store.
    pub fn ingest_all(&mut self, evs: impl IntoIterator<Item = Ingest>) {
        for ev in evs {
            self.apply(Event::Ingest(ev));
        }
    }

    /// One engine pass, and the view of its result.
    pub fn analyze(&mut self, now: UnixMs) -> View {
        self.pipe.analyze(now)
    }

    /// Ground truth of the demo world, carried into views as-is.
    pub fn set_ground_truth(&mut self, truth: Vec<crate::model::FaultTruth>) {
        self.pipe.set_ground_truth(truth);
    }

    /// The pipeline, read-only (tests and benchmarks look into the store).
    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipe
    }

    /// Runs until the feed ends or nobody listens for views: each arrival
    /// (with whatever else is already waiting) becomes one engine pass off
    /// the loop, published as a view and, for Loki, as the incidents to
    /// follow. Saves the log template table on the way out.
    pub async fn run(mut self, mut feed: impl Feed, mut links: Links) {
        loop {
            let first = tokio::select! {
                evs = feed.next() => match evs {
                    Some(evs) => evs,
                    None => break,
                },
                Some(acks) = recv_opt(&mut links.acks) => vec![Event::Ingest(acks)],
                req = Operator::next(&mut links.operator) => {
                    if let Some(op) = &links.operator {
                        op.handle(&req, &mut self.pipe, feed.now());
                    }
                    Vec::new()
                }
                () = links.views.closed() => break,
            };
            for ev in first {
                self.apply(ev);
            }
            while let Some(more) = feed.ready() {
                for ev in more {
                    self.apply(ev);
                }
            }
            let now = feed.now();
            let view = off_loop(|| self.pipe.analyze(now));
            if let Some(tx) = &links.focus {
                publish_focus(tx, focus::from_view(&view));
            }
            if links.views.send(Arc::new(view)).is_err() {
                break;
            }
            if let Some(f) = &mut self.templates {
                f.tick(&self.pipe);
            }
        }
        if let Some(f) = &mut self.templates {
            f.close(&self.pipe).await;
        }
    }
}

/// The next value of an optional channel; never, without one or once closed.
async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx.as_mut() {
        Some(r) => match r.recv().await {
            Some(v) => Some(v),
            None => {
                *rx = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

fn publish_focus(tx: &watch::Sender<Arc<Vec<LogFocus>>>, foci: Vec<LogFocus>) {
    tx.send_if_modified(|cur| {
        let changed = **cur != foci;
        if changed {
            *cur = Arc::new(foci);
        }
        changed
    });
}

/// Runs blocking work (an engine pass, a file read). On a multi-threaded
/// runtime the worker hands its other tasks (the UI loop among them) to
/// another thread for the duration, so a 50,000-alert correlation never
/// stalls key handling.
pub fn off_loop<R>(f: impl FnOnce() -> R) -> R {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi { tokio::task::block_in_place(f) } else { f() }
}

/// The operator's line into a running driver: merge/split requests in
/// (`m`, `x`), what became of each out, as notices the UI flashes.
#[derive(Debug)]
pub struct Operator {
    pub requests: mpsc::UnboundedReceiver<crate::engine::regroup::Request>,
    pub replies: mpsc::UnboundedSender<crate::model::Notice>,
}

/// The UI's end of an [`Operator`] link.
#[derive(Debug)]
pub struct OperatorLink {
    pub requests: mpsc::UnboundedSender<crate::engine::regroup::Request>,
    pub replies: mpsc::UnboundedReceiver<crate::model::Notice>,
}

/// A connected pair: the driver keeps the [`Operator`], the UI the link.
#[must_use]
pub fn operator_link() -> (Operator, OperatorLink) {
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (rep_tx, rep_rx) = mpsc::unbounded_channel();
    (
        Operator { requests: req_rx, replies: rep_tx },
        OperatorLink { requests: req_tx, replies: rep_rx },
    )
}

impl Operator {
    /// Applies one request to `pipe` and reports the outcome.
    fn handle(&self, req: &crate::engine::regroup::Request, pipe: &mut Pipeline, now: UnixMs) {
        let notice = match pipe.regroup(req, now) {
            Ok(said) => crate::model::Notice::Info(said),
            Err(why) => crate::model::Notice::Error(why.to_string()),
        };
        let _ = self.replies.send(notice);
    }

    /// The next request of an optional link; never, without one or once
    /// the UI is gone (for `select!`).
    async fn next(op: &mut Option<Self>) -> crate::engine::regroup::Request {
        match op.as_mut() {
            Some(o) => match o.requests.recv().await {
                Some(r) => r,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }
}
