//! Misbehaviour the real Alertmanager cannot be made to show, from a small
//! local fake beside a real Alertmanager in one cluster: a replica that
//! never answers must not hold back the healthy one's alerts; an answer of
//! 125,000 alerts must be taken in whole or, past the store's cap, with the
//! drop counted and said (never 75,000 alerts vanishing silently).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use quell::connectors::alertmanager::Cluster;
use quell::model::{Clock, SourceStatus, SystemClock, Topology};
use quell::pipeline::Pipeline;
use quell::store::Ingest;
use support::servers::Alertmanager;
use support::stub::{Reply, Stub};
use support::{alert_json, am_toml, big_answer, config, post_alerts};

fn alert_count(events: &[Ingest]) -> usize {
    events
        .iter()
        .map(|e| match e {
            Ingest::AlertPoll { alerts, .. } => alerts.len(),
            _ => 0,
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_replica_never_delays_the_healthy_ones_alerts() {
    let am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "First"), ("service", "db")])]).await;
    // Accepts the connection, then says nothing for a minute.
    let hang = Stub::start(Reply { delay: Duration::from_secs(60), ..Reply::json(b"[]".to_vec()) });
    let cfg = config(&am_toml("am", &[hang.url(), am.url()], "timeout = \"20s\""));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();

    let t = Instant::now();
    let events = c.cycle().await;
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "waited {:?} for the hanging replica",
        t.elapsed()
    );
    assert_eq!(alert_count(&events), 1);

    // A new alert on the healthy replica shows on the next cycle, while
    // the hanging replica's request is still outstanding (not re-sent).
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Second"), ("service", "db")])]).await;
    let requests = hang.count();
    let t = Instant::now();
    let events = c.cycle().await;
    assert!(t.elapsed() < Duration::from_secs(10), "waited {:?}", t.elapsed());
    assert_eq!(alert_count(&events), 2);
    assert_eq!(hang.count(), requests, "no second request piled onto the hanging replica");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_125k_alert_answer_is_taken_and_the_overflow_counted_and_said() {
    let am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Real"), ("service", "db")])]).await;
    let body = big_answer(125_000);
    let fake = Stub::start(Reply::json(body));
    let extra = "timeout = \"60s\"\nmax_response_bytes = 200000000";
    let cfg = config(&am_toml("am", &[am.url(), fake.url()], extra));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    // The real replica answers at once; the fake's large answer arrives in
    // a later cycle (a cycle does not wait for a slow replica).
    let deadline = Instant::now() + Duration::from_secs(120);
    let events = loop {
        let events = c.cycle().await;
        if alert_count(&events) == 125_001 || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(alert_count(&events), 125_001, "the whole answer parsed and merged");
    let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), Topology::new());
    pipe.ingest_all(events);
    assert_eq!(pipe.store().alert_count(), cfg.store.max_alerts);
    assert_eq!(pipe.store().dropped_alerts(), 125_001 - cfg.store.max_alerts);
    let view = pipe.analyze(SystemClock.now());
    let src = view.sources.iter().find(|s| s.id == "am").unwrap();
    let SourceStatus::Partial { warnings } = &src.status else { panic!("{:?}", src.status) };
    assert!(warnings[0].starts_with("75001 alerts dropped"), "{warnings:?}");
    assert!(!view.incidents.is_empty());
}
