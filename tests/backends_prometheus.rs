//! quell against a real Prometheus (Debian's 2.42) whose rules fire alerts
//! into a real Alertmanager: alerts carry their rule's expression and a
//! chart from `query_range`; signal queries become series.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use quell::model::{AlertState, Signal};
use support::servers::{Alertmanager, Server, TempDir, bin};
use support::stub::{Reply, Stub};
use support::{am_alert_count, am_toml, config, eventually, snapshot_json};

const RULES: &str = r#"groups:
  - name: test
    rules:
      - alert: HighErrors
        expr: app_errors_total > 5
        labels:
          severity: critical
        annotations:
          summary: "errors on {{ $labels.service }}"
"#;

struct Stack {
    _metrics: Stub,
    am: Alertmanager,
    prom: Server,
    _dir: TempDir,
}

fn start_stack() -> Stack {
    let metrics = Stub::start(Reply {
        content_type: "text/plain; version=0.0.4",
        ..Reply::json(b"app_errors_total{service=\"payments\"} 10\napp_requests_total{service=\"payments\"} 100\ncalls_total{client=\"web\",server=\"payments\"} 1\n".to_vec())
    });
    let am = Alertmanager::single(&[]);
    let dir = TempDir::new("prom");
    let rules = dir.file("rules.yml", RULES);
    let cfg = dir.file(
        "prometheus.yml",
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{}']\n\
             scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
            rules.display(),
            am.server.port,
            metrics.port
        ),
    );
    let prom = Server::start(
        &bin("prometheus"),
        &[
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", dir.0.join("data").display()),
            "--web.listen-address=127.0.0.1:0".into(),
            "--rules.alert.resend-delay=1s".into(),
        ],
    );
    Stack { _metrics: metrics, am, prom, _dir: dir }
}

fn prom_toml(url: &str, alerts: bool) -> String {
    format!(
        "[[prometheus]]\nname = \"prom\"\nurl = {url:?}\ninterval = \"500ms\"\nchart_window = \"30s\"\nalerts = {alerts}\n\
         [[prometheus.signal]]\nservice = \"payments\"\nsignal = \"error_ratio\"\nquery = 'app_errors_total / app_requests_total'\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_alerts_reach_snapshot_with_expression_and_chart() {
    let s = start_stack();
    let am_url = s.am.url();
    eventually(Duration::from_secs(40), "Prometheus to fire into Alertmanager", || {
        let u = am_url.clone();
        async move { am_alert_count(&u).await == 1 }
    })
    .await;
    let text = format!("{}{}", prom_toml(&s.prom.url(), true), am_toml("am", &[s.am.url()], ""));

    // Through the binary: one alert (Prometheus's own copy is hidden behind
    // Alertmanager's), carrying the rule's expression and its chart.
    let dir = TempDir::new("snap");
    let path = dir.file("quell.toml", &text);
    let json = tokio::task::spawn_blocking(move || snapshot_json(&path)).await.unwrap();
    let alerts = json["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{json:#}");
    let a = &alerts[0];
    assert_eq!(a["source"], "am");
    assert_eq!(a["labels"]["alertname"], "HighErrors");
    assert_eq!(a["expr"], "app_errors_total > 5");
    // Charted: what the rule compares, not its filtered output.
    assert!(a["series"].as_str().unwrap().starts_with("app_errors_total{"), "{a:#}");
    assert_eq!(json["incidents"].as_array().unwrap().len(), 1);
    let states: Vec<&str> = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["ok", "ok"], "{:#}", json["sources"]);

    // Through the library: the chart has points, the signal became a series.
    let view = quell::driver::live::snapshot(&config(&text)).await.unwrap();
    let shown = view.alerts.values().next().unwrap();
    assert!(!shown.spark.is_empty(), "query_range chart reached the sparkline");
    assert!(shown.spark.iter().all(|v| (*v - 10.0).abs() < 1e-9), "{:?}", shown.spark);
    assert_eq!(shown.alert.state, AlertState::Firing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_alone_supplies_alerts_and_signal_series() {
    let mut s = start_stack();
    let topo = "[topology]\nquery = 'calls_total'\n";
    let cfg = config(&format!("{topo}{}", prom_toml(&s.prom.url(), true)));
    let mut driver = quell::driver::Driver::new(quell::driver::Setup::from_config(&cfg));
    let mut sources = quell::driver::live::sources(&cfg).unwrap();
    let quell::connectors::live::Source::Prometheus(engine) = &mut sources[0] else { panic!() };
    let mut firing = false;
    let mut edges = Vec::new();
    for _ in 0..80 {
        for ev in engine.cycle().await {
            if let quell::connectors::Event::Topology(e) = &ev {
                edges.clone_from(e);
            }
            driver.apply(ev);
        }
        firing = driver
            .pipeline()
            .store()
            .alerts()
            .any(|e| e.alert.state == AlertState::Firing && e.alert.series.is_some());
        if firing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(firing, "the rule fired and was charted");
    assert_eq!(
        edges,
        vec![("web".to_string(), "payments".to_string())],
        "topology learned from the query"
    );
    let e = driver.pipeline().store().alerts().next().unwrap();
    assert_eq!(e.alert.source, "prom");
    assert_eq!(e.alert.expr.as_deref(), Some("app_errors_total > 5"));
    let signal = driver
        .pipeline()
        .store()
        .series()
        .find(|(_, s)| s.meta.signal == Signal::ErrorRatio)
        .expect("signal series stored");
    assert_eq!(signal.1.meta.service.as_deref(), Some("payments"));
    assert!(signal.1.samples.iter().any(|x| (x.value - 0.1).abs() < 1e-9));

    // Prometheus goes away: its alert stays, the source is down.
    s.prom.kill();
    for ev in engine.cycle().await {
        assert!(!matches!(
            ev,
            quell::connectors::Event::Ingest(quell::store::Ingest::AlertPoll { .. })
        ));
        driver.apply(ev);
    }
    assert!(matches!(engine.health().status, quell::model::SourceStatus::Down { .. }));
    assert!(
        driver.pipeline().store().alerts().all(|e| e.alert.state == AlertState::Firing),
        "an outage never resolves"
    );
}
