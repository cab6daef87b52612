//! Failure modes no real server produces on demand, from a stub HTTP server
//! in the test process: garbage bodies, slow answers, a 50,000-alert
//! answer, 401s. Each must end in the right health state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use quell::connectors::alertmanager::Cluster;
use quell::model::{Clock, SourceStatus, SystemClock};
use quell::pipeline::Pipeline;
use quell::store::Ingest;
use support::stub::{Reply, Stub};
use support::{am_toml, config};

fn cluster(url: &str, extra: &str) -> Cluster {
    Cluster::new(config(&am_toml("stub", &[url.to_string()], extra)).alertmanager[0].clone())
        .unwrap()
}

fn polled(events: &[Ingest]) -> Option<usize> {
    events.iter().find_map(|e| match e {
        Ingest::AlertPoll { alerts, .. } => Some(alerts.len()),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_body_is_a_bad_response_with_an_escaped_excerpt() {
    let stub = Stub::start(Reply::json(b"\x1b[31m<html>oops\xff not json".to_vec()));
    let mut c = cluster(&stub.url(), "");
    let events = c.cycle().await;
    assert_eq!(polled(&events), None, "garbage never becomes an all-clear");
    match c.health().status {
        SourceStatus::BadResponse { excerpt } => {
            assert!(excerpt.contains("\\u{1b}[31m<html>oops\\xff"), "{excerpt}");
            assert!(!excerpt.contains('\u{1b}'));
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_are_slow_and_hung_ones_time_out_as_down() {
    let slow =
        Stub::start(Reply { delay: Duration::from_millis(600), ..Reply::json(b"[]".to_vec()) });
    let mut c = cluster(&slow.url(), "slow_after = \"300ms\"");
    let events = c.cycle().await;
    assert_eq!(polled(&events), Some(0));
    assert!(matches!(c.health().status, SourceStatus::Slow { millis } if millis >= 600));

    let hung = Stub::start(Reply { delay: Duration::from_secs(30), ..Reply::json(b"[]".to_vec()) });
    let mut c = cluster(&hung.url(), "timeout = \"1s\"");
    let t = Instant::now();
    let events = c.cycle().await;
    assert!(t.elapsed() < Duration::from_secs(10), "the total timeout bounds a cycle");
    assert_eq!(polled(&events), None);
    match c.health().status {
        SourceStatus::Down { attempts: 1, reason, .. } => {
            assert!(reason.contains("timed out"), "{reason}")
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_stops_requests_until_retry() {
    let stub = Stub::start(Reply { status: 401, ..Reply::json(b"Unauthorized".to_vec()) });
    let mut c = cluster(&stub.url(), "");
    for _ in 0..3 {
        c.cycle().await;
    }
    assert!(
        matches!(c.health().status, SourceStatus::AuthFailed { ref reason } if reason.contains("Unauthorized"))
    );
    assert_eq!(stub.count(), 1, "no lockout loop: one rejected request, then none");
    c.retry();
    c.cycle().await;
    assert_eq!(stub.count(), 2, "a retry asks again");
}

fn many_alerts(n: usize) -> Vec<u8> {
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "fingerprint": format!("{i:016x}"),
                "labels": {"alertname": format!("A{}", i % 50), "service": format!("svc{}", i % 200),
                           "instance": format!("host-{i}:9100"), "severity": "warning"},
                "annotations": {"summary": "a fairly ordinary alert summary of ordinary length"},
                "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z", "generatorURL": "http://prom/graph",
                "receivers": [{"name": "null"}],
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
            })
        })
        .collect();
    serde_json::to_vec(&alerts).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_alerts_are_handled_or_capped() {
    let body = many_alerts(50_000);
    let size = body.len();
    let stub = Stub::start(Reply::json(body));

    let mut capped = cluster(&stub.url(), "max_response_bytes = 1048576");
    let events = capped.cycle().await;
    assert_eq!(polled(&events), None);
    assert_eq!(capped.health().status, SourceStatus::TooLarge { limit_bytes: 1_048_576 });

    let mut c = cluster(&stub.url(), "");
    let t = Instant::now();
    let events = c.cycle().await;
    let fetched = t.elapsed();
    assert_eq!(polled(&events), Some(50_000));
    let cfg = quell::config::Config::default();
    let mut pipe = Pipeline::new(cfg.store, cfg.engine, quell::model::Topology::new());
    let t = Instant::now();
    pipe.ingest_all(events);
    let view = pipe.analyze(SystemClock.now());
    let analysed = t.elapsed();
    assert_eq!(view.alerts.len(), 50_000);
    assert!(!view.incidents.is_empty());
    eprintln!(
        "50k alerts ({size} bytes): fetch+parse+merge {fetched:?}, ingest+correlate {analysed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_path_tenant_token_and_partial_warnings() {
    let body = br#"{"status":"success","warnings":["store eu-2 unreachable"],
        "data":{"groups":[],"alerts":[],"resultType":"matrix","result":[]}}"#;
    let stub = Stub::start(Reply::json(body.to_vec()));
    let dir = support::servers::TempDir::new("tok");
    let token = dir.file("token", "s3cret-token\n");
    let text = format!(
        "[[prometheus]]\nname = \"mimir\"\nurl = {:?}\nbase_path = \"/prometheus\"\ntenant = \"team-a\"\n\
         headers = {{ \"X-Extra\" = \"1\" }}\n[prometheus.auth]\ntoken_file = {:?}\n",
        stub.url(),
        token.display().to_string()
    );
    let cfg = config(&text);
    let mut engine =
        quell::connectors::prometheus::Engine::new(cfg.prometheus[0].clone(), None).unwrap();
    engine.cycle().await;
    match engine.health().status {
        SourceStatus::Partial { warnings } => {
            assert_eq!(warnings, vec!["store eu-2 unreachable".to_string()])
        }
        s => panic!("warnings with 200 are partial data, got {s:?}"),
    }
    let heads = stub.heads.lock().unwrap().clone();
    let first = &heads[0];
    assert!(first.starts_with("get /prometheus/api/v1/rules"), "{first}");
    assert!(first.contains("x-scope-orgid: team-a"), "{first}");
    assert!(first.contains("authorization: bearer s3cret-token\r\n"), "{first}");
    assert!(first.contains("x-extra: 1"), "{first}");
    // The secret never shows in what quell prints about its config.
    assert!(!cfg.to_toml().unwrap().contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_alerts_do_not_stall_other_tasks_on_the_runtime() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let stub = Stub::start(Reply::json(many_alerts(50_000)));
    let cfg = config(&am_toml("big", &[stub.url()], "interval = \"30s\""));
    let (tx, mut rx) = tokio::sync::watch::channel(Arc::new(quell::model::View::default()));
    // Stands in for the UI loop on the same runtime: how late do its 20 ms ticks get?
    let worst_ms = Arc::new(AtomicU64::new(0));
    let w = Arc::clone(&worst_ms);
    let ticker = tokio::spawn(async move {
        let mut last = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let gap = u64::try_from(last.elapsed().as_millis()).unwrap_or(u64::MAX);
            w.fetch_max(gap, Ordering::SeqCst);
            last = Instant::now();
        }
    });
    let live = quell::driver::live::spawn(&cfg, tx, true).unwrap().0;
    let t = Instant::now();
    loop {
        tokio::time::timeout(Duration::from_secs(120), rx.changed()).await.unwrap().unwrap();
        if rx.borrow_and_update().alerts.len() == 50_000 {
            break;
        }
    }
    let took = t.elapsed();
    ticker.abort();
    drop(live);
    let worst = worst_ms.load(Ordering::SeqCst);
    eprintln!("50k alerts to a published view in {took:?}; worst tick gap {worst} ms");
    // Generous: parsing and correlation take seconds here; a stalled loop
    // would miss ticks for that whole time.
    assert!(worst < 1_000, "the UI-loop stand-in stalled for {worst} ms (view took {took:?})");
}
