//! VictoriaMetrics + vmalert as the Prometheus-compatible engine: vmalert
//! serves the rules and alerts (`rules_url`), VictoriaMetrics the charts,
//! Alertmanager the notifications.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::servers::{Alertmanager, Server, TempDir, bin, free_port};
use support::stub::{Reply, Stub};
use support::{am_alert_count, am_toml, config, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vmalert_rules_and_victoria_metrics_charts() {
    let metrics = Stub::start(Reply {
        content_type: "text/plain; version=0.0.4",
        ..Reply::json(b"app_errors_total{service=\"payments\"} 10\n".to_vec())
    });
    let am = Alertmanager::single(&[]);
    let dir = TempDir::new("vm");
    let scrape = dir.file(
        "scrape.yml",
        &format!(
            "scrape_configs:\n  - job_name: app\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
            metrics.port
        ),
    );
    let rules = dir.file(
        "rules.yml",
        "groups:\n  - name: test\n    interval: 1s\n    rules:\n      - alert: HighErrors\n        expr: app_errors_total > 5\n        labels:\n          severity: critical\n",
    );
    let vm_port = free_port();
    let vm = Server::start_on_port(
        &bin("victoria-metrics"),
        &[
            format!("-httpListenAddr=127.0.0.1:{vm_port}"),
            format!("-storageDataPath={}", dir.0.join("vm").display()),
            format!("-promscrape.config={}", scrape.display()),
            "-search.latencyOffset=1s".into(),
            "-search.disableCache".into(),
        ],
        vm_port,
    );
    let vmalert_port = free_port();
    let vmalert = Server::start_on_port(
        &bin("vmalert"),
        &[
            format!("-httpListenAddr=127.0.0.1:{vmalert_port}"),
            format!("-rule={}", rules.display()),
            format!("-datasource.url={}", vm.url()),
            format!("-notifier.url={}", am.url()),
            "-evaluationInterval=1s".into(),
        ],
        vmalert_port,
    );
    let am_url = am.url();
    eventually(Duration::from_secs(60), "vmalert to fire into Alertmanager", || {
        let u = am_url.clone();
        async move { am_alert_count(&u).await == 1 }
    })
    .await;
    let text = format!(
        "[[prometheus]]\nname = \"vm\"\nurl = {:?}\nrules_url = {:?}\nchart_window = \"30s\"\n{}",
        vm.url(),
        vmalert.url(),
        am_toml("am", &[am.url()], "")
    );
    let view = quell::driver::live::snapshot(&config(&text)).await.unwrap();
    let states: Vec<&str> = view.sources.iter().map(|s| s.status.word()).collect();
    assert_eq!(states, vec!["ok", "ok"], "{:?}", view.sources);
    assert_eq!(view.alerts.len(), 1, "{:?}", view.alerts.keys().collect::<Vec<_>>());
    let a = view.alerts.values().next().unwrap();
    assert_eq!(a.alert.source, "am");
    assert_eq!(
        a.alert.expr.as_deref(),
        Some("app_errors_total > 5"),
        "expression from vmalert's rules"
    );
    assert!(a.alert.series.is_some(), "charted from VictoriaMetrics");
    assert!(!a.spark.is_empty());
}
