//! Live monitoring as a feed: the configured sources (`connectors/`), each
//! in its own task, into one channel the driver drains, with the ack
//! writer and the Loki focus wired around it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::ack::AckLink;
use crate::ack::backend::Backend;
use crate::ack::writer::Writer;
use crate::config::Config;
use crate::connectors::Event;
use crate::connectors::alertmanager::{Cluster, silence_apis};
use crate::connectors::http::SetupError;
use crate::connectors::live::{Live, Source, spawn_sources};
use crate::connectors::logs::LogSources;
use crate::connectors::logs::loki::LokiStream;
use crate::connectors::prometheus::Engine;
use crate::connectors::templates::TemplateFile;
use crate::model::{Clock, SystemClock, UnixMs, View};
use crate::store::Ingest;

use super::{Driver, Feed, Links, Operator, Setup, off_loop};

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

/// The sources' events as they come, on the wall clock.
struct LiveFeed {
    rx: mpsc::Receiver<Event>,
}

impl Feed for LiveFeed {
    async fn next(&mut self) -> Option<Vec<Event>> {
        self.rx.recv().await.map(|e| vec![e])
    }

    fn ready(&mut self) -> Option<Vec<Event>> {
        self.rx.try_recv().ok().map(|e| vec![e])
    }

    fn now(&self) -> UnixMs {
        SystemClock.now()
    }
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
    operator: Option<Operator>,
) -> Result<(Live, Option<AckLink>), SetupError> {
    let (mut live, rx) = spawn_sources(sources(cfg)?);
    let mut driver = Driver::new(Setup::from_config(cfg));
    // Persisted runs keep the incident history beside the template table.
    if let Some(t) = &templates {
        driver.keep_history_beside(t);
    }
    let (acks_tx, acks_rx) = mpsc::channel::<Ingest>(16);
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
        live.add_task(task);
        Some(link)
    };
    let links = Links { views, acks: Some(acks_rx), operator, focus: Some(live.focus()) };
    live.set_pipeline(tokio::spawn(async move {
        if let Some(t) = templates {
            off_loop(|| driver.keep_templates(TemplateFile::new(t)));
        }
        driver.run(LiveFeed { rx }, links).await;
    }));
    Ok((live, link))
}

/// One poll cycle of every source, through the same driver: `quell
/// snapshot` with live sources.
///
/// # Errors
/// See [`sources`].
pub async fn snapshot(cfg: &Config) -> Result<View, SetupError> {
    let mut driver = Driver::new(Setup::from_config(cfg));
    for mut src in sources(cfg)? {
        for ev in src.cycle().await {
            driver.apply(ev);
        }
    }
    Ok(driver.analyze(SystemClock.now()))
}

#[cfg(all(test, unix))]
mod log_tests {
    use std::time::Duration;

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
