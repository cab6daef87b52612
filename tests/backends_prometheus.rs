//! quell against a real Prometheus (Debian's 2.42) whose rules fire alerts
//! into a real Alertmanager: alerts carry their rule's expression and a
//! chart from `query_range`; signal queries become series.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use quell::app::silence::reported_active;
use quell::driver::{Driver, Setup};
use quell::model::{Alert, AlertState, Clock, Signal, SystemClock};
use support::servers::{Alertmanager, Server, TempDir, bin, free_port};
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
    let prom = start_prometheus(&dir, RULES, (am.server.port, metrics.port), 0, "1s", ("", ""));
    Stack { _metrics: metrics, am, prom, _dir: dir }
}

/// A Prometheus scraping `metrics_port` with `rules`, firing into the
/// Alertmanager on `am_port`, listening on `port` (0: any), its data
/// kept per port; `global` and `alerting` are added to
/// its `global:` and `alerting:`.
fn start_prometheus(
    dir: &TempDir,
    rules: &str,
    (am_port, metrics_port): (u16, u16),
    port: u16,
    resend_delay: &str,
    (global, alerting): (&str, &str),
) -> Server {
    let n = std::fs::read_dir(&dir.0).map_or(0, Iterator::count);
    let rules = dir.file(&format!("rules-{n}.yml"), rules);
    let cfg = dir.file(
        &format!("prometheus-{n}.yml"),
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{global}rule_files:\n  - {}\n\
             alerting:\n{alerting}  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n\
             scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n",
            rules.display(),
        ),
    );
    Server::start(
        &bin("prometheus"),
        &[
            format!("--config.file={}", cfg.display()),
            // Kept across restarts on the same port, as a real one's is.
            format!("--storage.tsdb.path={}", dir.0.join(format!("data-{port}")).display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--rules.alert.resend-delay={resend_delay}"),
        ],
    )
}

/// quell's live pipeline, stepped by hand: every source once, then a pass.
struct Quell {
    driver: Driver,
    sources: Vec<quell::connectors::live::Source>,
}

impl Quell {
    fn new(cfg: &quell::config::Config) -> Self {
        let driver = Driver::new(Setup::from_config(cfg));
        Self { driver, sources: quell::driver::live::sources(cfg).unwrap() }
    }

    async fn step(&mut self) -> quell::model::View {
        for src in &mut self.sources {
            for ev in src.cycle().await {
                self.driver.apply(ev);
            }
        }
        self.driver.analyze(SystemClock.now())
    }

    /// Steps until some alert passes `ok`; panics after `secs`.
    async fn until(
        &mut self,
        secs: u64,
        what: &str,
        ok: &dyn Fn(&Alert) -> bool,
    ) -> quell::model::View {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let view = self.step().await;
            if view.alerts.values().any(|a| ok(&a.alert)) {
                return view;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}: {:?}", view.alerts);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
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

/// External labels (Prometheus adds them to what it sends, not to what
/// `/api/v1/alerts` lists, then applies its alert relabelling) leave one
/// alert, not two: the Alertmanager's, with its chart. Then Prometheus restarts and its alert's condition no
/// longer holds: it never sends the resolution, so Alertmanager holds the
/// alert until the `endsAt` of the last send (4 resend delays: a minute
/// here). quell takes the rule engine's word once its rule is evaluated:
/// the alert is "ending", not counted as firing, and an ack leaves it alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_labels_and_an_alert_over_after_a_prometheus_restart() {
    let metrics = Stub::start(Reply {
        content_type: "text/plain; version=0.0.4",
        ..Reply::json(b"app_errors_total{service=\"payments\"} 10\n".to_vec())
    });
    let am = Alertmanager::single(&[]);
    let dir = TempDir::new("prom-restart");
    let port = free_port();
    let ports = (am.server.port, metrics.port);
    // As kube-prometheus has it: the replica label is dropped from alerts.
    let external = (
        "  external_labels:\n    cluster: eu1\n    prometheus_replica: 'prom-0'\n",
        "  alert_relabel_configs:\n  - action: labeldrop\n    regex: prometheus_replica\n",
    );
    let mut prom = start_prometheus(&dir, RULES, ports, port, "15s", external);
    let am_url = am.url();
    eventually(Duration::from_secs(40), "Prometheus to fire into Alertmanager", || {
        let u = am_url.clone();
        async move { am_alert_count(&u).await == 1 }
    })
    .await;
    let text = format!(
        "[[prometheus]]\nname = \"prom\"\nurl = {:?}\ninterval = \"500ms\"\nalerts = true\n{}",
        prom.url(),
        am_toml("am", &[am.url()], "")
    );
    let cfg = config(&text);
    let mut q = Quell::new(&cfg);
    let view = q
        .until(40, "the alert firing, charted", &|a| {
            a.state == AlertState::Firing && a.source == "am" && a.series.is_some()
        })
        .await;
    let all: Vec<&Alert> = view.alerts.values().map(|a| &a.alert).collect();
    assert_eq!(all.len(), 1, "one alert, not Prometheus's and Alertmanager's: {all:?}");
    let a = all[0].clone();
    assert_eq!(a.labels.get("cluster"), Some("eu1"), "{a:?}");
    assert!(!a.labels.contains_key("prometheus_replica"), "{a:?}");
    assert_eq!(a.rule_ended, None, "{a:?}");
    assert!(reported_active(&a, SystemClock.now()));

    // Restarted on the same port with a threshold the metric is below.
    prom.kill();
    let listen = format!("127.0.0.1:{port}");
    while std::net::TcpListener::bind(&listen).is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rules = RULES.replace("> 5", "> 50");
    let _prom = start_prometheus(&dir, &rules, ports, port, "15s", external);
    let restarted = SystemClock.now();
    let view = q.until(40, "the alert ending", &|a| a.rule_ended.is_some()).await;
    assert_eq!(view.alerts.len(), 1, "{:?}", view.alerts);
    let shown = view.alerts.values().next().unwrap();
    let a = &shown.alert;
    assert_eq!(a.state, AlertState::Firing, "Alertmanager's state is kept: {a:?}");
    assert!(a.rule_ended.unwrap() >= restarted - 1_000, "{a:?}");
    assert_eq!(am_alert_count(&am.url()).await, 1, "Alertmanager still holds it");
    assert!(!reported_active(a, SystemClock.now()), "an ack leaves it alone");
    assert_eq!(quell::ui::panes::detail::state_word(a), "ending");

    // A quell started only now never saw Prometheus report the alert; the
    // alert is in Prometheus's own record (its `ALERTS` series) though.
    let mut fresh = Quell::new(&cfg);
    let view = fresh.until(20, "a new quell to see it ending", &|a| a.rule_ended.is_some()).await;
    assert_eq!(view.alerts.len(), 1, "{:?}", view.alerts);
}

/// Prometheus alone (no Alertmanager) restarts between two polls: until
/// each rule's first evaluation it lists none of that rule's alerts (its
/// rules' health says "unknown"), then lists them pending
/// while it waits out the rule's `for` again (it restores that only for a
/// `for` longer than its grace period). The condition held all along:
/// the alert stays firing, one occurrence, never resolved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_restart_neither_resolves_nor_re_fires_its_alerts() {
    const SLOW_RULES: &str = r#"groups:
  - name: slow
    interval: 6s
    rules:
      - alert: HighErrors
        expr: app_errors_total > 5
        for: 2s
        labels:
          severity: critical
"#;
    let metrics = Stub::start(Reply {
        content_type: "text/plain; version=0.0.4",
        ..Reply::json(b"app_errors_total{service=\"payments\"} 10\n".to_vec())
    });
    let dir = TempDir::new("prom-alone");
    let port = free_port();
    // No Alertmanager listens on this port: Prometheus only logs that.
    let ports = (free_port(), metrics.port);
    let mut prom = start_prometheus(&dir, SLOW_RULES, ports, port, "1s", ("", ""));
    let text = format!(
        "[[prometheus]]\nname = \"prom\"\nurl = {:?}\ninterval = \"500ms\"\nalerts = true\n",
        prom.url()
    );
    let cfg = config(&text);
    let mut q = Quell::new(&cfg);
    let mut step = async || {
        let alert = q.step().await.alerts.values().next().map(|a| a.alert.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        alert
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    let first = loop {
        if let Some(a) = step().await.filter(|a| a.state == AlertState::Firing) {
            break a;
        }
        assert!(Instant::now() < deadline, "the rule never fired");
    };

    prom.kill();
    let listen = format!("127.0.0.1:{port}");
    while std::net::TcpListener::bind(&listen).is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _prom = start_prometheus(&dir, SLOW_RULES, ports, port, "1s", ("", ""));
    // Restarted between two polls: quell never sees it down, so only the
    // rules' health says its empty list is no news (the first evaluation
    // comes up to an interval after the start).
    let ready = format!("http://127.0.0.1:{port}/-/ready");
    while !reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Until Prometheus lists it firing again (the store keeps the earlier
    // start, so that is when its own start moved past the restart).
    let url = format!("http://127.0.0.1:{port}/api/v1/alerts");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let a = step().await.expect("the alert is kept");
        assert_eq!(a.state, AlertState::Firing, "never resolved nor pending: {a:?}");
        assert_eq!(a.starts_at, first.starts_at, "one occurrence: {a:?}");
        let body = reqwest::get(&url).await.map(|r| r.text());
        let listed = match body {
            Ok(t) => t.await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if listed.contains("\"state\":\"firing\"") {
            break;
        }
        assert!(Instant::now() < deadline, "Prometheus never fired it again: {listed}");
    }
    let v = q.driver.analyze(SystemClock.now());
    let e = q.driver.pipeline().store().alert(&first.fingerprint).unwrap();
    assert_eq!(e.refires, 0, "not a fire and a re-fire: {:?}", v.alerts);
}
