//! quell against a real Alertmanager (Debian's 0.25): posted alerts,
//! hostile labels, an HA pair, a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use quell::connectors::alertmanager::Cluster;
use quell::model::{AlertState, Clock, Fingerprint, SourceStatus, SystemClock};
use quell::pipeline::Pipeline;
use support::servers::{Alertmanager, TempDir};
use support::{
    alert_json, am_alert_count, am_toml, config, eventually, health_of, post_alerts, snapshot_json,
};

fn cluster(name: &str, urls: &[String]) -> Cluster {
    let cfg = config(&am_toml(name, urls, ""));
    Cluster::new(cfg.alertmanager[0].clone()).unwrap()
}

fn pipeline() -> Pipeline {
    let cfg = quell::config::Config::default();
    Pipeline::new(cfg.store, cfg.engine, quell::model::Topology::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_alerts_show_in_snapshot_json_grouped_into_incidents() {
    let am = Alertmanager::single(&[]);
    post_alerts(
        &am.url(),
        &[
            alert_json(&[
                ("alertname", "HighLatency"),
                ("service", "payments"),
                ("severity", "critical"),
            ]),
            alert_json(&[
                ("alertname", "HighErrors"),
                ("service", "payments"),
                ("severity", "warning"),
            ]),
            alert_json(&[("alertname", "DiskFull"), ("service", "logs"), ("severity", "warning")]),
        ],
    )
    .await;
    let url = am.url();
    eventually(Duration::from_secs(10), "alerts listed", || {
        let url = url.clone();
        async move { am_alert_count(&url).await == 3 }
    })
    .await;
    let dir = TempDir::new("snap");
    let path = dir.file("quell.toml", &am_toml("am-test", &[am.url()], ""));
    let json = tokio::task::spawn_blocking(move || snapshot_json(&path)).await.unwrap();
    assert_eq!(json["mode"], "live");
    let alerts = json["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 3, "{json:#}");
    for a in alerts {
        assert_eq!(a["state"], "firing");
        assert_eq!(a["source"], "am-test");
        assert_eq!(a["replicas"], serde_json::json!([am.url()]));
        assert_eq!(a["fingerprint"].as_str().unwrap().len(), 16);
    }
    let incidents = json["incidents"].as_array().unwrap();
    let sizes: Vec<usize> =
        incidents.iter().map(|i| i["alerts"].as_array().unwrap().len()).collect();
    assert!(sizes.contains(&2), "the two payments alerts form one incident: {sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 3, "{sizes:?}");
    assert_eq!(json["sources"][0]["status"]["state"], "ok", "{:#}", json["sources"]);

    // A server started a moment ago that lists nothing: a one-shot snapshot
    // cannot know whether it lost alerts Prometheus has not re-sent yet, and
    // says so instead of "ok".
    let empty = Alertmanager::single(&[]);
    let path = dir.file("empty.toml", &am_toml("am-empty", &[empty.url()], ""));
    let text_path = path.clone();
    let json = tokio::task::spawn_blocking(move || snapshot_json(&path)).await.unwrap();
    let status = &json["sources"][0]["status"];
    assert_eq!(status["state"], "partial", "{:#}", json["sources"]);
    let warning = status["warnings"][0].as_str().unwrap();
    assert!(warning.contains("(Alertmanager) started"), "{status:#}");
    assert!(warning.contains("alerts sent before may not have arrived yet"), "{status:#}");
    // The text output says it too (it printed only incidents before).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(["snapshot", "--config"])
        .arg(&text_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("source am-empty partial data: replica")
            && text.contains("may not have arrived yet"),
        "{text}"
    );
    assert!(json["sources"][0]["kind"].as_str().unwrap().starts_with("alertmanager 0."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprints_match_prometheus_and_hostile_labels_arrive_intact() {
    let am = Alertmanager::single(&[]);
    let big = "x".repeat(100_000);
    let hostile = [
        ("alertname", "Hostile"),
        ("esc", "\u{1b}[2J\u{1b}]0;pwned\u{7}red"),
        ("shell", "$(rm -rf /); `id`"),
        ("multi", "line1\nline2\r\n"),
        ("big", big.as_str()),
    ];
    post_alerts(&am.url(), &[alert_json(&hostile)]).await;
    let url = am.url();
    eventually(Duration::from_secs(10), "alert listed", || {
        let url = url.clone();
        async move { am_alert_count(&url).await == 1 }
    })
    .await;
    let mut c = cluster("am", &[am.url()]);
    let mut pipe = pipeline();
    pipe.ingest_all(c.cycle().await);
    let view = pipe.analyze(SystemClock.now());
    assert_eq!(view.alerts.len(), 1);
    let a = &view.alerts.values().next().unwrap().alert;
    for (k, v) in hostile {
        assert_eq!(a.labels.get(k), Some(v), "label {k} intact in the view");
    }
    // Our Prometheus-style fingerprint is Alertmanager's own.
    assert_eq!(
        a.fingerprint,
        quell::connectors::alertmanager::api::prometheus_fingerprint(&a.labels)
    );
    // Rendering sanitizes: nothing that moves the cursor or rings a bell survives.
    let shown = quell::sanitize::clean_line(a.labels.get("esc").unwrap(), 200);
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown:?}");
    assert!(!quell::sanitize::clean_line(a.labels.get("multi").unwrap(), 200).contains('\n'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_pair_shows_one_alert_with_both_replicas_and_survives_a_replica_down() {
    let (a, mut b) = Alertmanager::pair();
    let alert = alert_json(&[("alertname", "Replicated"), ("service", "api")]);
    post_alerts(&a.url(), std::slice::from_ref(&alert)).await;
    post_alerts(&b.url(), &[alert]).await;
    let mut c = cluster("ha", &[a.url(), b.url()]);
    let mut pipe = pipeline();
    let events = c.cycle().await;
    assert!(matches!(health_of(&events), SourceStatus::Ok | SourceStatus::Partial { .. }));
    pipe.ingest_all(events);
    let view = pipe.analyze(SystemClock.now());
    assert_eq!(view.alerts.len(), 1, "one alert, not one per replica");
    let shown = &view.alerts.values().next().unwrap().alert;
    assert_eq!(shown.replicas, vec![a.url(), b.url()]);
    let fp: Fingerprint = shown.fingerprint.clone();

    b.server.kill();
    let events = c.cycle().await;
    match health_of(&events) {
        SourceStatus::Partial { warnings } => {
            assert!(
                warnings.iter().any(|w| w.contains(&b.url()) && w.contains("down")),
                "{warnings:?}"
            );
        }
        s => panic!("one replica down is degraded, got {s:?}"),
    }
    pipe.ingest_all(events);
    let entry = pipe.store().alert(&fp).unwrap();
    assert_eq!(entry.alert.state, AlertState::Firing, "nothing lost");
    assert_eq!(entry.alert.replicas, vec![a.url()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_makes_alerts_vanish_but_never_resolve() {
    let mut am = Alertmanager::single(&[]);
    let alert = alert_json(&[("alertname", "Survivor"), ("service", "db")]);
    post_alerts(&am.url(), std::slice::from_ref(&alert)).await;
    let mut c = cluster("am", &[am.url()]);
    let mut pipe = pipeline();
    pipe.ingest_all(c.cycle().await);
    let fp = pipe.store().alerts().next().unwrap().alert.fingerprint.clone();

    am.server.kill();
    let events = c.cycle().await;
    assert!(matches!(health_of(&events), SourceStatus::Down { .. }), "{:?}", health_of(&events));
    pipe.ingest_all(events);
    assert_eq!(pipe.store().alert(&fp).unwrap().alert.state, AlertState::Firing);

    am.restart();
    assert_eq!(
        am_alert_count(&am.url()).await,
        0,
        "a restarted Alertmanager has forgotten its alerts"
    );
    c.retry(); // skip the backoff instead of waiting for it
    let events = c.cycle().await;
    assert!(health_of(&events).is_healthy(), "{:?}", health_of(&events));
    pipe.ingest_all(events);
    assert_eq!(
        pipe.store().alert(&fp).unwrap().alert.state,
        AlertState::Firing,
        "absent after restart is not resolved"
    );

    post_alerts(&am.url(), &[alert]).await; // Prometheus re-sends
    pipe.ingest_all(c.cycle().await);
    let entry = pipe.store().alert(&fp).unwrap();
    assert_eq!(entry.alert.state, AlertState::Firing);
    assert!(
        entry.history.iter().all(|(_, s)| *s != AlertState::Resolved),
        "never shown resolved: {:?}",
        entry.history.iter().collect::<Vec<_>>()
    );
    assert_eq!(entry.refires, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_between_two_polls_is_recognised_by_its_uptime() {
    let mut am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Quick"), ("service", "db")])]).await;
    let mut c = cluster("am", &[am.url()]);
    let mut pipe = pipeline();
    pipe.ingest_all(c.cycle().await);
    assert_eq!(pipe.store().alert_count(), 1);
    // Alertmanager reports its start time with one-second precision.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    am.restart(); // no poll sees it down
    let events = c.cycle().await;
    assert!(health_of(&events).is_healthy());
    pipe.ingest_all(events);
    let e = pipe.store().alerts().next().unwrap();
    assert_eq!(
        e.alert.state,
        AlertState::Firing,
        "an empty answer right after a restart is not an all-clear"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_resolved_at_the_source_resolves_in_quell() {
    let am = Alertmanager::single(&[]);
    let mut alert = alert_json(&[("alertname", "Transient"), ("service", "db")]);
    post_alerts(&am.url(), std::slice::from_ref(&alert)).await;
    let mut c = cluster("am", &[am.url()]);
    let mut pipe = pipeline();
    pipe.ingest_all(c.cycle().await);
    alert["endsAt"] = serde_json::Value::from(chrono::Utc::now().to_rfc3339());
    post_alerts(&am.url(), &[alert]).await;
    let url = am.url();
    eventually(Duration::from_secs(10), "the API to drop the resolved alert", || {
        let url = url.clone();
        async move { am_alert_count(&url).await == 0 }
    })
    .await;
    pipe.ingest_all(c.cycle().await);
    let e = pipe.store().alerts().next().unwrap();
    assert_eq!(e.alert.state, AlertState::Resolved, "a healthy, undisturbed source said so");
}
