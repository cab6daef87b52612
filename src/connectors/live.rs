//! The live driver: one tokio task per configured source, all sending
//! [`Event`]s over one bounded channel to one pipeline task that owns the
//! [`Pipeline`], joins rules and charts to alerts, runs the engine when
//! something arrived (bursts coalesced) and publishes `Arc<View>` over a
//! watch channel. The UI only ever sees views.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::model::{
    Clock, Fingerprint, SourceHealth, SourceId, SourceStatus, SystemClock, Topology, View,
};
use crate::pipeline::Pipeline;
use crate::store::Ingest;

use super::alertmanager::{Cluster, silence_apis};
use super::http::SetupError;
use super::logs::LogSources;
use super::logs::loki::LokiStream;
use super::logs::loki::focus::{self, LogFocus};
use super::prometheus::{Engine, rule_for};
use super::templates::TemplateFile;
use super::{Chart, Event, RuleInfo};
use crate::ack::AckLink;
use crate::ack::backend::Backend;
use crate::ack::writer::Writer;

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

/// Builds every configured source; Prometheus engines first, so a one-shot
/// cycle learns rules before it sees Alertmanager's alerts.
///
/// # Errors
/// A secret or certificate file named in the config cannot be read.
pub fn sources(cfg: &Config) -> Result<Vec<Source>, SetupError> {
    let mut out = Vec::new();
    for (i, p) in cfg.prometheus.iter().enumerate() {
        let topo = (i == 0 && cfg.topology.query.is_some()).then(|| cfg.topology.clone());
        out.push(Source::Prometheus(Engine::new(p.clone(), topo)?));
    }
    for a in &cfg.alertmanager {
        out.push(Source::Alertmanager(Cluster::new(a.clone())?));
    }
    for l in &cfg.logs.loki {
        out.push(Source::Loki(LokiStream::new(l.clone())?));
    }
    if cfg.logs.has_local() {
        let (logs, errors) = LogSources::start(&cfg.logs);
        for e in &errors {
            tracing::warn!(error = %e, "log source did not start");
        }
        out.push(Source::Logs(logs));
    }
    Ok(out)
}

/// Joins what engines know (rules, charts) to what Alertmanager reports,
/// and hides an engine's own alert when an Alertmanager reports it too.
#[derive(Debug, Default)]
pub struct Joiner {
    rules: BTreeMap<SourceId, Vec<RuleInfo>>,
    charts: HashMap<Fingerprint, Chart>,
    am_sources: HashSet<SourceId>,
    am_alerts: HashMap<SourceId, HashSet<Fingerprint>>,
    base_topology: Topology,
}

impl Joiner {
    #[must_use]
    pub fn new(cfg: &Config) -> Self {
        Self {
            am_sources: cfg.alertmanager.iter().map(|a| a.name.clone()).collect(),
            base_topology: cfg.topology.to_topology(),
            ..Self::default()
        }
    }

    pub fn apply(&mut self, ev: Event, pipe: &mut Pipeline) {
        match ev {
            Event::Ingest(Ingest::AlertPoll { source, at, mut alerts }) => {
                if self.am_sources.contains(&source) {
                    self.am_alerts.insert(
                        source.clone(),
                        alerts.iter().map(|a| a.fingerprint.clone()).collect(),
                    );
                } else {
                    alerts.retain(|a| !self.am_alerts.values().any(|s| s.contains(&a.fingerprint)));
                }
                for a in &mut alerts {
                    if let Some(c) = self.charts.get(&a.fingerprint) {
                        a.expr.get_or_insert_with(|| c.expr.clone());
                        a.series.get_or_insert_with(|| c.series.clone());
                    }
                    if a.expr.is_none() {
                        a.expr = self
                            .rules
                            .values()
                            .find_map(|r| rule_for(r, &a.labels))
                            .map(|r| r.query.clone());
                    }
                }
                pipe.ingest(Ingest::AlertPoll { source, at, alerts });
            }
            Event::Ingest(other) => pipe.ingest(other),
            Event::Rules { source, rules } => {
                self.rules.insert(source, rules);
            }
            Event::Charts(charts) => {
                for c in charts {
                    self.charts.insert(c.fingerprint.clone(), c);
                }
                // Bounded: charts of alerts no longer firing are dropped.
                if self.charts.len() > 10_000 {
                    self.charts.clear();
                }
            }
            Event::Topology(edges) => {
                let mut t = self.base_topology.clone();
                for (a, b) in &edges {
                    t.add_edge(a, b);
                }
                pipe.set_topology(t);
            }
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

fn publish_focus(tx: &watch::Sender<Arc<Vec<LogFocus>>>, foci: Vec<LogFocus>) {
    tx.send_if_modified(|cur| {
        let changed = **cur != foci;
        if changed {
            *cur = Arc::new(foci);
        }
        changed
    });
}

/// Starts one task per source, all sending into the returned receiver.
///
/// # Errors
/// See [`sources`].
pub fn spawn_sources(cfg: &Config) -> Result<(Live, mpsc::Receiver<Event>), SetupError> {
    let srcs = sources(cfg)?;
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
    Ok((Live { tasks, pipeline: None, retry, focus }, erx))
}

/// Starts every source and the pipeline task publishing to `views`.
///
/// # Errors
/// See [`sources`].
pub fn spawn(
    cfg: &Config,
    views: watch::Sender<Arc<View>>,
    read_only: bool,
) -> Result<(Live, Option<AckLink>), SetupError> {
    spawn_persisted(cfg, views, read_only, None, None)
}

/// Like [`spawn`], keeping log template ids across restarts in the
/// `templates` file (see [`TemplateFile`]) and, beside it, the incident
/// history and the operator's merges and splits, which arrive through
/// `operator`.
///
/// # Errors
/// See [`sources`].
pub fn spawn_persisted(
    cfg: &Config,
    views: watch::Sender<Arc<View>>,
    read_only: bool,
    templates: Option<PathBuf>,
    operator: Option<super::Operator>,
) -> Result<(Live, Option<AckLink>), SetupError> {
    let (mut live, mut erx) = spawn_sources(cfg)?;
    let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), cfg.topology.to_topology());
    // Persisted runs keep the incident history beside the template table.
    if let Some(t) = &templates {
        pipe.set_history(crate::history::History::open(
            t.with_file_name(crate::history::FILE_NAME),
        ));
        pipe.set_regroup_file(t.with_file_name(crate::pipeline::REGROUP_FILE));
    }
    let mut operator = operator;
    let mut joiner = Joiner::new(cfg);
    let (acks_tx, mut acks_rx) = mpsc::channel::<Ingest>(16);
    let link = if read_only || cfg.alertmanager.is_empty() {
        None
    } else {
        let mut backends = BTreeMap::new();
        for a in &cfg.alertmanager {
            let url = a.urls.first().cloned().unwrap_or_default();
            backends.insert(a.name.clone(), Backend::alertmanager(silence_apis(a)?, url));
        }
        let writer = Writer::new(cfg.ack.clone(), backends, crate::ack::writer::default_path());
        let (link, task) = crate::ack::spawn(writer, views.subscribe(), acks_tx);
        live.tasks.push(task);
        Some(link)
    };
    let mut file = templates.map(TemplateFile::new);
    let focus = live.focus.clone();
    live.pipeline = Some(tokio::spawn(async move {
        if let Some(f) = &mut file {
            off_loop(|| f.load_into(&mut pipe));
        }
        loop {
            let first = tokio::select! {
                ev = erx.recv() => ev.map(Some),
                Some(acks) = acks_rx.recv() => Some(Some(Event::Ingest(acks))),
                req = super::Operator::next(&mut operator) => {
                    if let Some(op) = &operator {
                        op.handle(&req, &mut pipe, SystemClock.now());
                    }
                    Some(None)
                }
                () = views.closed() => break,
            };
            let Some(ev) = first else { break };
            if let Some(ev) = ev {
                joiner.apply(ev, &mut pipe);
            }
            // Coalesce a burst into one engine pass.
            while let Ok(ev) = erx.try_recv() {
                joiner.apply(ev, &mut pipe);
            }
            let view = off_loop(|| pipe.analyze(SystemClock.now()));
            publish_focus(&focus, focus::from_view(&view));
            if views.send(Arc::new(view)).is_err() {
                break;
            }
            if let Some(f) = &mut file {
                f.tick(&pipe);
            }
        }
        if let Some(f) = &mut file {
            f.close(&pipe).await;
        }
    }));
    Ok((live, link))
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

/// One poll cycle of every source, through the same joiner and pipeline:
/// `quell snapshot` with live sources.
///
/// # Errors
/// See [`sources`].
pub async fn snapshot(cfg: &Config) -> Result<View, SetupError> {
    let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), cfg.topology.to_topology());
    let mut joiner = Joiner::new(cfg);
    for mut src in sources(cfg)? {
        for ev in src.cycle().await {
            joiner.apply(ev, &mut pipe);
        }
    }
    Ok(pipe.analyze(SystemClock.now()))
}

#[cfg(all(test, unix))]
mod log_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_live_pipeline_saves_its_log_templates_when_the_ui_goes_away() {
        let dir = std::env::temp_dir().join(format!("quell-live-tpl-{}", std::process::id()));
        let path = dir.join(crate::connectors::templates::FILE_NAME);
        let cfg = crate::config::parse(
            "[[logs.command]]\nargv = [\"printf\", \"ERROR pool exhausted after 30s\\n\"]\nservice = \"payments\"\n",
            std::path::Path::new("t.toml"),
        )
        .expect("config");
        let (tx, mut rx) = watch::channel(Arc::new(View::default()));
        let (live, _) = spawn_persisted(&cfg, tx, true, Some(path.clone()), None).expect("spawn");
        // A view per poll of the log sources (one a second): after three
        // polls printf's line has long been read.
        for _ in 0..3 {
            tokio::time::timeout(Duration::from_secs(10), rx.changed())
                .await
                .expect("a view")
                .expect("open");
        }
        assert!(!path.exists(), "not saved before the interval or exit");
        drop(rx);
        live.shutdown(Duration::from_secs(10)).await;
        let text = std::fs::read_to_string(&path).expect("saved on the way out");
        assert!(text.contains("ERROR pool exhausted after"), "{text}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[tokio::test]
    async fn configured_log_commands_flow_as_ingest_events() {
        let cfg = crate::config::parse(
            "[[logs.command]]\nargv = [\"printf\", \"ERROR pool exhausted $(id)\\\\nok\\\\n\"]\nservice = \"payments\"\n",
            std::path::Path::new("t.toml"),
        )
        .expect("config");
        assert!(cfg.has_sources());
        let mut srcs = sources(&cfg).expect("sources");
        let Some(Source::Logs(_)) = srcs.last() else { panic!("no log source") };
        let mut lines = Vec::new();
        for _ in 0..50 {
            for ev in srcs.last_mut().expect("source").cycle().await {
                if let Event::Ingest(Ingest::Logs(l)) = ev {
                    lines.extend(l);
                }
            }
            if lines.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].line, "ERROR pool exhausted $(id)", "passed literally, no shell");
        assert_eq!(lines[0].service.as_deref(), Some("payments"));
        assert_eq!(lines[0].level, crate::model::LogLevel::Error);
    }
}
