//! The live driver end to end against a real Alertmanager: source tasks →
//! bounded channel → pipeline task → `Arc<View>` on a watch channel, as the
//! TUI consumes it. An outage leaves the data visible, marked by health.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use quell::model::{AlertState, SourceStatus, View};
use support::servers::Alertmanager;
use support::{alert_json, am_toml, config, post_alerts};
use tokio::sync::watch;

async fn wait_view(
    rx: &mut watch::Receiver<Arc<View>>,
    what: &str,
    ok: impl Fn(&View) -> bool,
) -> Arc<View> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let v = rx.borrow_and_update().clone();
        if ok(&v) {
            return v;
        }
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            panic!("no view with {what}; last: sources {:?}, {} alerts", v.sources, v.alerts.len());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_views_follow_the_server_and_keep_data_through_an_outage() {
    let mut am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Live"), ("service", "web")])]).await;
    let cfg = config(&am_toml("am", &[am.url()], ""));
    let (tx, mut rx) = watch::channel(Arc::new(View::default()));
    let live = quell::driver::live::spawn(&cfg, tx, true).unwrap().0;

    let v = wait_view(&mut rx, "the alert and an ok source", |v| {
        v.alerts.len() == 1 && v.sources.first().is_some_and(|s| s.status == SourceStatus::Ok)
    })
    .await;
    assert_eq!(v.incidents.len(), 1);
    let last_ok = v.sources[0].last_ok.unwrap();

    am.server.kill();
    let v = wait_view(&mut rx, "the source down", |v| {
        v.sources.first().is_some_and(|s| matches!(s.status, SourceStatus::Down { .. }))
    })
    .await;
    let a = v.alerts.values().next().expect("data from a failing source stays visible");
    assert_eq!(a.alert.state, AlertState::Firing, "an outage never resolves");
    assert_eq!(v.sources[0].last_ok, Some(last_ok), "age of the data is known");

    // Views keep coming while the source is down (the pipeline is not stuck).
    live.retry();
    tokio::time::timeout(Duration::from_secs(5), rx.changed()).await.unwrap().unwrap();
    drop(live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_then_replay_gives_the_same_alerts() {
    let am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Recorded"), ("service", "web")])]).await;
    let dir = support::servers::TempDir::new("rec");
    let cfg_path = dir.file("quell.toml", &am_toml("am", &[am.url()], ""));
    let rec = dir.0.join("rec.ndjson");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(["record", "--config"])
        .arg(&cfg_path)
        .arg("--out")
        .arg(&rec)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&rec).unwrap();
    assert!(text.lines().count() >= 2, "several polls recorded: {text}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(["snapshot", "--json", "--replay"])
        .arg(&rec)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["mode"], "replay");
    assert_eq!(json["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(json["alerts"][0]["labels"]["alertname"], "Recorded");
    assert_eq!(json["alerts"][0]["state"], "firing");
    assert_eq!(json["sources"][0]["id"], "am");
}

/// An incident from a real Alertmanager makes each Loki source read that
/// incident's services with a query of its own (Loki itself cannot run
/// here: the stub answers in its documented format).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_makes_loki_read_its_services_logs() {
    use support::stub::{Reply, Stub, percent_decoded};
    let am = Alertmanager::single(&[]);
    post_alerts(&am.url(), &[alert_json(&[("alertname", "Slow"), ("service", "checkout")])]).await;
    let ns = (chrono::Utc::now().timestamp_millis() - 10_000) * 1_000_000;
    let body = serde_json::json!({"status": "success", "data": {"resultType": "streams",
        "result": [{"stream": {"service": "checkout"},
                    "values": [[ns.to_string(), "ERROR db pool exhausted"]]}]}});
    let loki = Stub::start(Reply::json(serde_json::to_vec(&body).unwrap()));
    let text = format!(
        "{}[[logs.loki]]\nname = \"loki\"\nurl = {:?}\nquery = '{{namespace=\"other\"}}'\ninterval = \"200ms\"\n",
        am_toml("am", &[am.url()], ""),
        loki.url()
    );
    let cfg = config(&text);
    let (tx, mut rx) = watch::channel(Arc::new(View::default()));
    let live = quell::driver::live::spawn(&cfg, tx, true).unwrap().0;
    let v = wait_view(&mut rx, "an incident on checkout, Loki following it", |v| {
        v.incidents.iter().any(|i| i.services.iter().any(|s| s == "checkout"))
            && v.sources.iter().any(|s| s.id == "loki" && s.kind.contains("following 1 incident"))
    })
    .await;
    assert_eq!(v.incidents.len(), 1);
    let queries: Vec<String> = loki
        .heads
        .lock()
        .unwrap()
        .iter()
        .map(|h| {
            let target = h.split_whitespace().nth(1).unwrap();
            let q = target.split_once('?').unwrap().1;
            let value = q.split('&').find_map(|kv| kv.strip_prefix("query=")).unwrap();
            percent_decoded(value)
        })
        .collect();
    assert!(queries.iter().any(|q| q == "{namespace=\"other\"}"), "{queries:?}");
    assert!(queries.iter().any(|q| q == "{service=~\"checkout\"}"), "{queries:?}");
    drop(live);
}
