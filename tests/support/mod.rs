//! Shared helpers for the real-server tests: servers, configs, posting
//! alerts, running `quell snapshot --json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod ack;
pub mod loki;
pub mod process;
pub mod runbook;
pub mod servers;
pub mod stub;
pub mod tmux;
pub mod walk;

use std::path::Path;
use std::time::{Duration, Instant};

use quell::config::Config;

/// Parses config text the way `quell --config` does (strict, validated).
pub fn config(text: &str) -> Config {
    quell::config::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// `[[alertmanager]]` with the given replica URLs and a fast interval.
pub fn am_toml(name: &str, urls: &[String], extra: &str) -> String {
    let list: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    // `extra` may override the defaults below.
    let default = |line: &'static str| {
        let key = line.split(" =").next().unwrap_or(line);
        if extra.starts_with(&format!("{key} =")) { "" } else { line }
    };
    let (interval, timeout) = (default("interval = \"200ms\"\n"), default("timeout = \"3s\"\n"));
    format!(
        "[[alertmanager]]\nname = \"{name}\"\nurls = [{}]\n{interval}{timeout}connect_timeout = \"1s\"\nresolve_grace = \"30s\"\n{extra}\n",
        list.join(", ")
    )
}

/// An alert for `POST /api/v2/alerts`, firing for the next ten minutes.
pub fn alert_json(labels: &[(&str, &str)]) -> serde_json::Value {
    let now = chrono::Utc::now();
    let labels: serde_json::Map<String, serde_json::Value> =
        labels.iter().map(|(k, v)| ((*k).to_string(), serde_json::Value::from(*v))).collect();
    serde_json::json!({
        "labels": labels,
        "annotations": {"summary": "test alert"},
        "startsAt": (now - chrono::Duration::seconds(30)).to_rfc3339(),
        "endsAt": (now + chrono::Duration::minutes(10)).to_rfc3339(),
        "generatorURL": "http://example.invalid/graph"
    })
}

/// POSTs alerts to an Alertmanager and checks it accepted them.
pub async fn post_alerts(base: &str, alerts: &[serde_json::Value]) {
    let body = serde_json::to_vec(alerts).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v2/alerts"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "POST alerts: {}", resp.status());
}

/// How many alerts an Alertmanager's API lists right now.
pub async fn am_alert_count(base: &str) -> usize {
    let Ok(resp) = reqwest::get(format!("{base}/api/v2/alerts")).await else { return 0 };
    let Ok(body) = resp.bytes().await else { return 0 };
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    v.as_array().map_or(0, Vec::len)
}

/// The health a connector's poll cycle reported.
pub fn health_of(events: &[quell::store::Ingest]) -> quell::model::SourceStatus {
    events
        .iter()
        .find_map(|e| match e {
            quell::store::Ingest::Health(h) => Some(h.status.clone()),
            _ => None,
        })
        .expect("every cycle reports health")
}

/// Polls `f` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Runs `quell snapshot --config PATH --json` and parses its output.
pub fn snapshot_json(config_path: &Path) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(["snapshot", "--json", "--config"])
        .arg(config_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "quell snapshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A valid `GET /api/v2/alerts` answer with `n` node_exporter-style alerts.
pub fn big_answer(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 400);
    out.push(b'[');
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                r#"{{"fingerprint":"{i:016x}","labels":{{"alertname":"HostHighCpuLoad{}","instance":"host-{}:9100","job":"node","severity":"warning"}},"annotations":{{"summary":"CPU load is high"}},"startsAt":"2026-12-04T09:00:00Z","endsAt":"2026-12-04T11:00:00Z","updatedAt":"2026-12-04T09:00:00Z","generatorURL":"http://prom:9090/graph","receivers":[{{"name":"null"}}],"status":{{"state":"active","silencedBy":[],"inhibitedBy":[]}}}}"#,
                i % 20,
                i / 20
            )
            .as_bytes(),
        );
    }
    out.push(b']');
    out
}
