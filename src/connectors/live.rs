//! The live sources: one tokio task per configured source, all sending
//! [`Event`]s over one bounded channel (to `crate::driver`, which owns the
//! pipeline). Each task polls on its own schedule, retries on request and,
//! for Loki, follows the incidents the driver publishes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::model::{Clock, SourceHealth, SourceStatus, SystemClock};
use crate::store::Ingest;

use super::Event;
use super::alertmanager::Cluster;
use super::logs::LogSources;
use super::logs::loki::LokiStream;
use super::logs::loki::focus::LogFocus;
use super::prometheus::Engine;

/// Events buffered between the sources and the pipeline task.
const CHANNEL: usize = 256;

/// One configured source, of either kind.
#[derive(Debug)]
pub enum Source {
    Alertmanager(Cluster),
    Prometheus(Engine),
    /// Every configured log source (files, commands, journald), polled together.
    Logs(LogSources),
    /// One `[[logs.loki]]` query.
    Loki(LokiStream),
}

/// How often log sources are drained.
const LOG_POLL: Duration = Duration::from_secs(1);

/// Health of the log sources: ok, or down with the first failure's message.
fn logs_health(errors: &[String], now: i64) -> Ingest {
    let status = match errors.first() {
        None => SourceStatus::Ok,
        Some(e) => SourceStatus::Down {
            since: now,
            attempts: u32::try_from(errors.len()).unwrap_or(u32::MAX),
            reason: e.clone(),
        },
    };
    Ingest::Health(SourceHealth {
        id: "logs".into(),
        kind: "logs".into(),
        last_ok: errors.is_empty().then_some(now),
        status,
        interval_ms: 1_000,
    })
}

impl Source {
    pub async fn cycle(&mut self) -> Vec<Event> {
        match self {
            Self::Alertmanager(c) => c.cycle().await.into_iter().map(Event::Ingest).collect(),
            Self::Prometheus(e) => e.cycle().await,
            Self::Logs(l) => {
                let now = SystemClock.now();
                let (lines, errors) = l.poll(now);
                let mut out = vec![Event::Ingest(logs_health(&errors, now))];
                if !lines.is_empty() {
                    out.push(Event::Ingest(Ingest::Logs(lines)));
                }
                out
            }
            Self::Loki(l) => l.cycle().await.into_iter().map(Event::Ingest).collect(),
        }
    }

    fn next_wait(&mut self) -> Duration {
        match self {
            Self::Alertmanager(c) => c.next_wait(),
            Self::Prometheus(e) => e.next_wait(),
            Self::Logs(_) => LOG_POLL,
            Self::Loki(l) => l.next_wait(),
        }
    }

    /// Only Loki follows incidents (see `logs::loki::focus`).
    fn set_focus(&mut self, foci: &[LogFocus]) {
        if let Self::Loki(l) = self {
            l.set_focus(foci, SystemClock.now());
        }
    }

    fn follows_incidents(&self) -> bool {
        matches!(self, Self::Loki(_))
    }

    fn retry(&mut self) {
        match self {
            Self::Alertmanager(c) => c.retry(),
            Self::Prometheus(e) => e.retry(),
            Self::Logs(_) => {}
            Self::Loki(l) => l.retry(),
        }
    }
}

/// Handle on the running live sources; dropping it stops them.
#[derive(Debug)]
pub struct Live {
    tasks: Vec<JoinHandle<()>>,
    /// The pipeline task, when [`spawn`] started one.
    pipeline: Option<JoinHandle<()>>,
    retry: watch::Sender<u64>,
    /// The open incidents whose services' logs are read (Loki sources).
    focus: watch::Sender<Arc<Vec<LogFocus>>>,
}

impl Live {
    /// Where the pipeline task publishes the incidents Loki sources follow.
    #[must_use]
    pub fn focus(&self) -> watch::Sender<Arc<Vec<LogFocus>>> {
        self.focus.clone()
    }

    /// Stops `task` with the sources (the ack writer).
    pub fn add_task(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// The pipeline task fed by these sources; [`Self::shutdown`] gives it
    /// time to finish.
    pub fn set_pipeline(&mut self, task: JoinHandle<()>) {
        self.pipeline = Some(task);
    }

    /// Retry every source now (clears "auth failed" stops).
    pub fn retry(&self) {
        self.retry.send_modify(|n| *n += 1);
    }

    /// A handle the UI can keep to retry every source.
    #[must_use]
    pub fn retry_handle(&self) -> watch::Sender<u64> {
        self.retry.clone()
    }

    /// Stops the sources and gives the pipeline task up to `grace` to finish
    /// (it saves the log template table on the way out).
    pub async fn shutdown(mut self, grace: Duration) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(mut p) = self.pipeline.take()
            && tokio::time::timeout(grace, &mut p).await.is_err()
        {
            p.abort();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for t in self.tasks.iter().chain(&self.pipeline) {
            t.abort();
        }
    }
}

/// Starts one task per source, all sending into the returned receiver.
#[must_use]
pub fn spawn_sources(srcs: Vec<Source>) -> (Live, mpsc::Receiver<Event>) {
    let (etx, erx) = mpsc::channel::<Event>(CHANNEL);
    let (retry, retry_rx) = watch::channel(0u64);
    let (focus, focus_rx) = watch::channel(Arc::new(Vec::new()));
    let mut tasks = Vec::new();
    for mut src in srcs {
        let tx = etx.clone();
        let mut retry_rx = retry_rx.clone();
        let mut focus_rx = focus_rx.clone();
        let mut follows = src.follows_incidents();
        // `changed()` marks the value seen, so the wake-up is remembered here.
        let mut refocus = follows;
        tasks.push(tokio::spawn(async move {
            loop {
                if follows && (refocus || focus_rx.has_changed().unwrap_or(false)) {
                    let foci = Arc::clone(&focus_rx.borrow_and_update());
                    src.set_focus(&foci);
                    refocus = false;
                }
                for ev in src.cycle().await {
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                let wait = src.next_wait();
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    r = retry_rx.changed() => {
                        if r.is_err() { return; }
                        src.retry();
                    }
                    // A newly opened incident's logs are read right away.
                    r = focus_rx.changed(), if follows => {
                        follows = r.is_ok();
                        refocus = follows;
                    }
                }
            }
        }));
    }
    (Live { tasks, pipeline: None, retry, focus }, erx)
}
