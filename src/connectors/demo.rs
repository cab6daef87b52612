//! The demo world as a connector: the simulation stepped in accelerated real
//! time, fed through the same pipeline (store → engine → `View`) as real data.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::ack::backend::{Backend, DemoSilences};
use crate::ack::writer::Writer;
use crate::ack::{AckConfig, AckLink};
use crate::engine::EngineConfig;
use crate::model::{Clock, SystemClock, View};
use crate::pipeline::Pipeline;
use crate::sim::{self, World};
use crate::store::Ingest;
use crate::store::StoreLimits;

use super::templates::TemplateFile;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    /// Simulated seconds per real second.
    pub speed: f64,
    pub limits: StoreLimits,
    pub engine: EngineConfig,
    pub ack: AckConfig,
}

/// Builds the world with its warm-up history already run, ending at the wall
/// clock's "now", so the first view has baselines and sparklines at once.
#[must_use]
pub fn warmed_up(opts: &DemoOptions) -> (World, Pipeline, View) {
    warmed_up_with(opts, None)
}

/// [`warmed_up`], starting from a saved template table when given one.
pub fn warmed_up_with(
    opts: &DemoOptions,
    templates: Option<&mut TemplateFile>,
) -> (World, Pipeline, View) {
    let warmup_ms = sim::STEP_MS * i64::try_from(sim::DEMO_WARMUP_STEPS).unwrap_or(0);
    let mut world = World::demo(opts.seed, SystemClock.now() - warmup_ms);
    let mut pipe = Pipeline::new(opts.limits.clone(), opts.engine.clone(), world.topology());
    if let Some(f) = templates {
        f.load_into(&mut pipe);
    }
    for _ in 0..sim::DEMO_WARMUP_STEPS {
        pipe.ingest_all(world.step());
    }
    pipe.set_ground_truth(world.ground_truth());
    let view = pipe.analyze(world.now());
    (world, pipe, view)
}

/// The demo world's Alertmanager name: alerts, silences and acks use it.
pub const SOURCE: &str = "demo";

/// One simulation step, with the demo's silences applied to its alerts the
/// way Alertmanager would (matching alerts suppressed, naming the silence).
fn step(world: &mut World, silences: &DemoSilences) -> Vec<Ingest> {
    silences.set_now(world.now());
    let mut out = world.step();
    let mut listed = None;
    for ev in &mut out {
        if let Ingest::AlertPoll { alerts, .. } = ev {
            listed = Some(silences.apply(alerts, SOURCE));
        }
    }
    if let Some(list) = listed {
        out.push(Ingest::Silences { source: SOURCE.into(), silences: list });
    }
    out
}

/// Runs the demo until every receiver of `tx` is gone. Unless read-only,
/// acks and silences work on the demo world's own silence table.
#[must_use]
pub fn spawn(
    opts: DemoOptions,
    tx: watch::Sender<Arc<View>>,
    read_only: bool,
) -> (JoinHandle<()>, Option<AckLink>) {
    spawn_persisted(opts, tx, read_only, None, None)
}

/// Like [`spawn`], keeping log template ids across restarts in the
/// `templates` file (saved on the way out when the receivers are gone).
#[must_use]
pub fn spawn_persisted(
    opts: DemoOptions,
    tx: watch::Sender<Arc<View>>,
    read_only: bool,
    templates: Option<PathBuf>,
    operator: Option<super::Operator>,
) -> (JoinHandle<()>, Option<AckLink>) {
    let silences = DemoSilences::default();
    let (acks_tx, mut acks_rx) = mpsc::channel::<Ingest>(16);
    let link = (!read_only).then(|| {
        let backends = BTreeMap::from([(SOURCE.to_string(), Backend::Demo(silences.clone()))]);
        // Demo acks are not persisted: the demo world starts afresh each run.
        let writer = Writer::new(opts.ack.clone(), backends, None);
        crate::ack::spawn(writer, tx.subscribe(), acks_tx).0
    });
    let task = tokio::spawn(async move {
        let mut file = templates.map(TemplateFile::new);
        let (mut world, mut pipe, view) = warmed_up_with(&opts, file.as_mut());
        silences.set_now(world.now());
        if tx.send(Arc::new(view)).is_ok() {
            // Demo regrouping lives in memory: the world starts afresh each run.
            let mut running =
                Running { world: &mut world, pipe: &mut pipe, file: file.as_mut(), operator };
            running.run(&opts, &tx, &silences, &mut acks_rx).await;
        }
        if let Some(f) = &mut file {
            f.close(&pipe).await;
        }
    });
    (task, link)
}

/// What the demo loop advances.
struct Running<'a> {
    world: &'a mut World,
    pipe: &'a mut Pipeline,
    file: Option<&'a mut TemplateFile>,
    operator: Option<super::Operator>,
}

impl Running<'_> {
    /// Steps the world until every receiver of `tx` is gone.
    async fn run(
        &mut self,
        opts: &DemoOptions,
        tx: &watch::Sender<Arc<View>>,
        silences: &DemoSilences,
        acks_rx: &mut mpsc::Receiver<Ingest>,
    ) {
        // speed is validated to (0, 10000] by config; clamp anyway.
        let period_ms = (sim::STEP_MS as f64 / opts.speed.clamp(0.01, 10_000.0)).max(1.0);
        let mut tick = tokio::time::interval(Duration::from_millis(period_ms as u64));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        tick.tick().await;
        loop {
            tokio::select! {
                () = tx.closed() => return,
                Some(acks) = acks_rx.recv() => {
                    self.pipe.ingest(acks);
                    let view = self.pipe.analyze(self.world.now());
                    if tx.send(Arc::new(view)).is_err() {
                        return;
                    }
                    continue;
                }
                req = super::Operator::next(&mut self.operator) => {
                    if let Some(op) = &self.operator {
                        op.handle(&req, self.pipe, self.world.now());
                    }
                    let view = self.pipe.analyze(self.world.now());
                    if tx.send(Arc::new(view)).is_err() {
                        return;
                    }
                    continue;
                }
                _ = tick.tick() => {}
            }
            self.pipe.ingest_all(step(self.world, silences));
            self.pipe.set_ground_truth(self.world.ground_truth());
            let view = self.pipe.analyze(self.world.now());
            if tx.send(Arc::new(view)).is_err() {
                return;
            }
            if let Some(f) = self.file.as_deref_mut() {
                f.tick(self.pipe);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(seed: u64, speed: f64) -> DemoOptions {
        DemoOptions {
            seed,
            speed,
            limits: StoreLimits::default(),
            engine: EngineConfig::default(),
            ack: AckConfig::default(),
        }
    }

    #[test]
    fn warm_up_gives_history_but_no_incident_yet_or_a_fresh_one() {
        let opts = opts(1, 15.0);
        let (_, pipe, view) = warmed_up(&opts);
        assert!(pipe.store().series_count() >= 12 * 6, "{}", pipe.store().series_count());
        assert!(!view.sources.is_empty());
        let now = SystemClock.now();
        assert!((view.now - now).abs() < 60_000, "demo clock starts at the wall clock");
    }

    #[test]
    fn anomalies_mark_the_sparklines_of_alerts_on_their_series() {
        let opts = opts(1, 15.0);
        let (mut world, mut pipe, _) = warmed_up(&opts);
        let silences = DemoSilences::default();
        let (mut marked, mut listed) = (0, 0);
        // The first fault starts as the warm-up ends, with the detectors
        // already warm: its anomalies show within minutes.
        for _ in 0..20 {
            pipe.ingest_all(step(&mut world, &silences));
            let view = pipe.analyze(world.now());
            for a in view.alerts.values() {
                assert!(a.anomalies.iter().all(|&i| i < a.spark.len()), "marks index the spark");
            }
            marked = marked.max(view.alerts.values().filter(|a| !a.anomalies.is_empty()).count());
            listed = listed.max(view.anomalies.len());
        }
        assert!(marked > 0, "the first fault marks some alert's sparkline within 5 minutes");
        assert!(listed > 0, "and its anomalies are listed");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn saves_its_log_templates_when_the_receivers_go_away() {
        let dir = std::env::temp_dir().join(format!("quell-demo-tpl-{}", std::process::id()));
        let path = dir.join(crate::connectors::templates::DEMO_FILE_NAME);
        let opts = opts(5, 1_000.0);
        let (tx, mut rx) = watch::channel(Arc::new(View::default()));
        let (handle, _) = spawn_persisted(opts.clone(), tx, true, Some(path.clone()), None);
        rx.changed().await.expect("first view");
        drop(rx);
        tokio::time::timeout(Duration::from_secs(60), handle).await.expect("stops").expect("ok");
        let saved = crate::connectors::templates::load(&path, Default::default()).expect("saved");
        assert!(saved.len() > 3, "{}", saved.len());
        // The next run starts from that table: the warm-up's lines add no
        // template the first run did not already have.
        let mut again = TemplateFile::new(path.clone());
        let (_, pipe, _) = warmed_up_with(&opts, Some(&mut again));
        assert_eq!(pipe.log_patterns().miner().len(), saved.len());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn publishes_views_until_receivers_go_away() {
        let opts = opts(3, 1_000.0);
        let (tx, mut rx) = watch::channel(Arc::new(View::default()));
        let (handle, _) = spawn(opts, tx, true);
        let mut incidents = 0;
        for _ in 0..40 {
            if rx.changed().await.is_err() {
                break;
            }
            incidents = rx.borrow_and_update().incidents.len();
            if incidents > 0 {
                break;
            }
        }
        assert!(incidents > 0, "the demo opened an incident within 40 steps after warm-up");
        drop(rx);
        tokio::time::timeout(Duration::from_secs(60), handle)
            .await
            .expect("stops")
            .expect("no panic");
    }
}
#[cfg(test)]
mod suspected_tests {
    use super::*;

    /// In an hour of the demo world, slow or lossy datastores deviate
    /// before any alert rule trips: the suspected incident names the
    /// fault's root service first, ahead of the first alert on it, and is
    /// gone once real alerts take over.
    #[test]
    fn a_datastore_fault_is_suspected_before_its_first_alert() {
        for (seed, root) in [(1, "elasticsearch"), (2, "warehouse-db")] {
            let opts = DemoOptions {
                seed,
                speed: 15.0,
                limits: StoreLimits::default(),
                engine: EngineConfig::default(),
                ack: AckConfig::default(),
            };
            let (mut world, mut pipe, _) = warmed_up(&opts);
            let silences = DemoSilences::default();
            let mut suspected_at = None;
            let mut alerted_at = None;
            let mut last = None;
            for _ in 0..240 {
                pipe.ingest_all(step(&mut world, &silences));
                pipe.set_ground_truth(world.ground_truth());
                let view = pipe.analyze(world.now());
                for i in &view.incidents {
                    let leads = i.root_causes.first().is_some_and(|c| c.service == root);
                    if i.id.is_suspected() && leads {
                        suspected_at.get_or_insert(i.started_at);
                        assert!(i.alerts.is_empty() && i.title.starts_with("suspected: "));
                    }
                    if !i.id.is_suspected() && i.services.iter().any(|s| s == root) {
                        alerted_at.get_or_insert(i.started_at);
                    }
                }
                last = Some(view);
            }
            let (s, a) = (suspected_at.expect("suspected"), alerted_at.expect("alerted"));
            assert!(s < a, "seed {seed}: suspected at {s}, first alert at {a}");
            let view = last.unwrap();
            let truth = view.ground_truth.iter().find(|f| f.root_service == root).unwrap();
            assert!(s >= truth.start, "seed {seed}: suspected at {s}, before the fault began");
            assert!(
                !view
                    .incidents
                    .iter()
                    .any(|i| i.id.is_suspected() && i.services.iter().any(|x| x == root)),
                "the alert incident took over"
            );
        }
    }
}
