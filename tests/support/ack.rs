//! The ack writer's test side (tests/backends_ack.rs): a writer on one
//! Alertmanager, ack targets with a hostile label value, the view the
//! pipeline would publish, and what the Alertmanager's API lists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use quell::ack::backend::Backend;
use quell::ack::writer::Writer;
use quell::ack::{AckCommand, AckTarget};
use quell::connectors::alertmanager::silence_apis;
use quell::model::{Clock, Fingerprint, IncidentId, Labels, SystemClock};

use super::{am_toml, config};

/// An instance label no shell or matcher may interpret.
pub const HOSTILE: &str = "x$(touch /tmp/quell-pwned)\"\\\n`id`; rm -rf ~";

/// A label set from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// A writer on the Alertmanager at `urls` (one cluster, "am"), its records
/// kept at `path` when given.
pub fn writer(urls: &[String], path: Option<std::path::PathBuf>) -> Writer {
    let cfg = config(&format!(
        "{}\n[ack]\nauthor = \"ana@bastion\"\nduration = \"15m\"\nmax_duration = \"2h\"\n",
        am_toml("am", urls, "")
    ));
    let apis = silence_apis(&cfg.alertmanager[0]).unwrap();
    let backends =
        BTreeMap::from([("am".to_string(), Backend::alertmanager(apis, urls[0].clone()))]);
    Writer::new(cfg.ack, backends, path)
}

/// Two alerts of one incident, the first with the [`HOSTILE`] instance.
pub fn targets() -> (Vec<Labels>, Vec<AckTarget>) {
    let ls = vec![
        labels(&[("alertname", "Down"), ("instance", HOSTILE), ("job", "api")]),
        labels(&[("alertname", "Down"), ("instance", "b:9100"), ("job", "api")]),
    ];
    let ts = ls
        .iter()
        .enumerate()
        .map(|(i, l)| AckTarget {
            source: "am".into(),
            fingerprint: Fingerprint::from(format!("fp{i}")),
            labels: l.clone(),
        })
        .collect();
    (ls, ts)
}

/// Acknowledges `INC-1` with a note.
pub fn ack_cmd(alerts: Vec<AckTarget>) -> AckCommand {
    AckCommand::Ack {
        incident: IncidentId("INC-1".into()),
        title: "api down".into(),
        alerts,
        note: "on it".into(),
    }
}

/// Every silence the Alertmanager lists, expired ones included.
pub async fn silences(base: &str) -> Vec<serde_json::Value> {
    let body = reqwest::get(format!("{base}/api/v2/silences")).await.unwrap().text().await.unwrap();
    serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
}

/// The silences that are not expired.
pub async fn live_silences(base: &str) -> Vec<serde_json::Value> {
    silences(base).await.into_iter().filter(|s| s["status"]["state"] != "expired").collect()
}

/// The alerts the Alertmanager lists.
pub async fn alerts(base: &str) -> Vec<serde_json::Value> {
    let body = reqwest::get(format!("{base}/api/v2/alerts")).await.unwrap().text().await.unwrap();
    serde_json::from_str(&body).unwrap()
}

/// A silence's `endsAt`, in Unix ms.
pub fn end_of(s: &serde_json::Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s["endsAt"].as_str().unwrap()).unwrap().timestamp_millis()
}

/// Every alert still fires, since long before any ack.
pub fn yes(_: &Fingerprint) -> Option<i64> {
    Some(0)
}

/// Every alert resolved.
pub fn no(_: &Fingerprint) -> Option<i64> {
    None
}

/// An alert view as the pipeline publishes it (for the writer's planning).
pub fn view_of(alerts: &[(&Labels, bool)]) -> std::sync::Arc<quell::model::View> {
    use quell::model::{Alert, AlertState, AlertView, View};
    let mut v = View::default();
    for (l, unconfirmed) in alerts {
        let mut a = Alert::new("am", (*l).clone(), AlertState::Firing, SystemClock.now());
        a.fingerprint = fp_of(l);
        a.unconfirmed = *unconfirmed;
        let av = AlertView {
            alert: a,
            spark: vec![],
            threshold: None,
            anomalies: vec![],
            spark_span: None,
        };
        v.alerts.insert(av.alert.fingerprint.clone(), av);
    }
    std::sync::Arc::new(v)
}

/// The fingerprint Prometheus gives these labels.
pub fn fp_of(l: &Labels) -> Fingerprint {
    quell::connectors::alertmanager::api::prometheus_fingerprint(l)
}
