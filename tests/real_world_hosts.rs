//! A small real on-call setup: a real Prometheus scraping two real
//! node_exporters (as hosts `host-a` and `host-b`), host alert rules in the
//! style of the widely used community rule sets, firing into a real
//! Alertmanager HA pair, with quell polling Prometheus and both replicas.
//!
//! The rules have the community's shape (CPU as 100 − idle %, memory as
//! available %, target down as `up == 0`) with thresholds that hold on any
//! machine, so the test controls faults by what it does, not by load:
//! an exporter is killed, a replica is stopped and restarted, alerts for a
//! third host are posted. Asserted: one incident per host with that host's
//! co-occurring alerts, a new host's alerts a separate incident, no alert
//! shown firing that every healthy replica stopped reporting, one "fired"
//! per alert (Prometheus's pending/firing copy and Alertmanager's are one
//! alert), and charts of the rules' left-hand sides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use quell::connectors::live::Source;
use quell::driver::live::sources;
use quell::driver::{Driver, Setup};
use quell::model::{AlertState, Clock, SystemClock, TimelineKind, View};
use support::servers::{Alertmanager, Server, TempDir, bin, node_exporter};
use support::{alert_json, am_toml, config, post_alerts};

const RULES: &str = r#"groups:
  - name: host
    rules:
      - alert: HostHighCpuLoad
        expr: 100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[10s])) * 100) > -1
        for: 2s
        labels:
          severity: warning
        annotations:
          summary: "CPU load is high on {{ $labels.instance }}"
      - alert: HostMemoryUnderPressure
        expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 101
        for: 2s
        labels:
          severity: warning
        annotations:
          summary: "memory is filling up on {{ $labels.instance }}"
      - alert: HostTargetMissing
        expr: up{job="node"} == 0
        for: 1s
        labels:
          severity: critical
        annotations:
          summary: "node_exporter on {{ $labels.instance }} is down"
"#;

struct World {
    _a: Server,
    b: Server,
    am1: Alertmanager,
    am2: Alertmanager,
    _prom: Server,
    _dir: TempDir,
    driver: Driver,
    sources: Vec<Source>,
}

impl World {
    fn start() -> Self {
        let (a, b) = (node_exporter(), node_exporter());
        let (am1, am2) = Alertmanager::pair();
        let dir = TempDir::new("hosts");
        let rules = dir.file("host.rules.yml", RULES);
        let prom_cfg = dir.file(
            "prometheus.yml",
            &format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n\
                 alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{}', '127.0.0.1:{}']\n\
                 scrape_configs:\n  - job_name: node\n    static_configs:\n\
                 \x20     - targets: ['127.0.0.1:{}']\n        labels: {{instance: host-a}}\n\
                 \x20     - targets: ['127.0.0.1:{}']\n        labels: {{instance: host-b}}\n",
                rules.display(),
                am1.server.port,
                am2.server.port,
                a.port,
                b.port
            ),
        );
        let prom = Server::start(
            &bin("prometheus"),
            &[
                format!("--config.file={}", prom_cfg.display()),
                format!("--storage.tsdb.path={}", dir.0.join("data").display()),
                "--web.listen-address=127.0.0.1:0".into(),
                "--rules.alert.resend-delay=1s".into(),
            ],
        );
        let text = format!(
            "[[prometheus]]\nname = \"prom\"\nurl = {:?}\ninterval = \"500ms\"\nchart_window = \"30s\"\nalerts = true\n{}",
            prom.url(),
            am_toml("am", &[am1.url(), am2.url()], "")
        );
        let cfg = config(&text);
        let driver = Driver::new(Setup::from_config(&cfg));
        let sources = sources(&cfg).unwrap();
        Self { _a: a, b, am1, am2, _prom: prom, _dir: dir, driver, sources }
    }

    /// One cycle of every source (Prometheus first), then an engine pass.
    async fn step(&mut self) -> View {
        for src in &mut self.sources {
            for ev in src.cycle().await {
                self.driver.apply(ev);
            }
        }
        self.driver.analyze(SystemClock.now())
    }

    /// Steps until `ok` holds of the view; panics with the last one after `secs`.
    async fn until(&mut self, secs: u64, what: &str, ok: impl Fn(&View) -> bool) -> View {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.step().await;
            if ok(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{}", summary(&v));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// Active alerts as `(alertname, instance)`, confirmed ones only.
fn active(v: &View) -> BTreeSet<(String, String)> {
    v.alerts
        .values()
        .map(|a| &a.alert)
        .filter(|a| a.state.is_active() && !a.unconfirmed)
        .map(|a| {
            (a.name().to_string(), a.labels.get("instance").map(str::to_string).unwrap_or_default())
        })
        .collect()
}

fn summary(v: &View) -> String {
    let mut s = String::new();
    for i in &v.incidents {
        s.push_str(&format!("{} {:?} {:?} {} alerts\n", i.id, i.state, i.services, i.alerts.len()));
    }
    for a in v.alerts.values() {
        s.push_str(&format!(
            "  {} {:?} {:?} unconfirmed={} flaps={}\n",
            a.alert.name(),
            a.alert.labels.get("instance"),
            a.alert.state,
            a.alert.unconfirmed,
            a.alert.flaps
        ));
    }
    for src in &v.sources {
        s.push_str(&format!("  source {} {:?}\n", src.id, src.status));
    }
    s
}

/// The open incident holding an alert on `host`, with its hosts and alerts.
fn incident_of(v: &View, host: &str) -> Option<(Vec<String>, usize)> {
    v.incidents.iter().filter(|i| i.state != quell::model::IncidentState::Resolved).find_map(|i| {
        let on_host = i.alerts.iter().filter_map(|fp| v.alerts.get(fp)).any(|a| {
            a.alert.labels.get("instance").is_some_and(|x| x.split(':').next() == Some(host))
        });
        on_host.then(|| (i.services.clone(), i.alerts.len()))
    })
}

/// What both replicas list right now, as `(alertname, instance)`.
async fn listed(urls: &[String]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for u in urls {
        let Ok(r) = reqwest::get(format!("{u}/api/v2/alerts")).await else { continue };
        let body = r.bytes().await.unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        for a in v.as_array().into_iter().flatten() {
            let l = &a["labels"];
            out.insert((
                l["alertname"].as_str().unwrap_or("").to_string(),
                l["instance"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

/// The open incident on `host` has `host` as its first root cause, with an
/// evidence line holding every one of `parts`, dated at or after the
/// incident's start (an alert's own time, not the incident's).
fn assert_host_cause(v: &View, host: &str, parts: &[&str]) {
    let inc = v
        .incidents
        .iter()
        .find(|i| i.state != quell::model::IncidentState::Resolved && i.services == [host])
        .unwrap_or_else(|| panic!("no open incident on {host}: {}", summary(v)));
    let rc = inc.root_causes.first().unwrap_or_else(|| panic!("no cause: {inc:#?}"));
    assert_eq!(rc.service, host, "{:#?}", inc.root_causes);
    let line = rc.evidence.iter().find(|e| parts.iter().all(|p| e.text.contains(p)));
    let line = line.unwrap_or_else(|| panic!("no line with {parts:?} in {:#?}", rc.evidence));
    let own =
        inc.alerts.iter().filter_map(|fp| v.alerts.get(fp)).any(|a| a.alert.starts_at == line.ts);
    assert!(own, "{line:?} is not dated at one of its alerts' starts");
}

fn pair(name: &str, host: &str) -> (String, String) {
    (name.to_string(), host.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_faults_and_replica_restarts_read_true() {
    let mut w = World::start();
    let urls = vec![w.am1.url(), w.am2.url()];

    // 1. Both hosts' CPU and memory rules fire: one incident per host.
    let want: BTreeSet<_> = [
        pair("HostHighCpuLoad", "host-a"),
        pair("HostMemoryUnderPressure", "host-a"),
        pair("HostHighCpuLoad", "host-b"),
        pair("HostMemoryUnderPressure", "host-b"),
    ]
    .into();
    let v = w
        .until(60, "both hosts' alerts from Alertmanager", |v| {
            active(v) == want
                && v.alerts.values().all(|a| a.alert.source == "am" && a.alert.replicas.len() == 2)
        })
        .await;
    assert_eq!(incident_of(&v, "host-a"), Some((vec!["host-a".into()], 2)), "{}", summary(&v));
    assert_eq!(incident_of(&v, "host-b"), Some((vec!["host-b".into()], 2)), "{}", summary(&v));
    assert_eq!(v.incidents.len(), 2, "{}", summary(&v));
    // Charted: the rule's left-hand side, not its filtered output.
    let cpu = v.alerts.values().find(|a| a.alert.name() == "HostHighCpuLoad").unwrap();
    let key = cpu.alert.series.as_ref().expect("charted").0.clone();
    assert!(key.starts_with("100 - (avg by (instance)"), "{key}");
    assert!(!key.contains("> -1"), "{key}");
    // The root cause names the host and its resources, with the value of
    // each alert's own series against its rule's threshold.
    assert_host_cause(&v, "host-a", &["CPU: HostHighCpuLoad, 100 - (avg by", "(fires > -1%)"]);
    assert_host_cause(
        &v,
        "host-a",
        &["memory: HostMemoryUnderPressure, node_memory_MemAvailable_bytes", "% (fires < 101%)"],
    );

    // 2. host-b's exporter dies: its target-down alert joins host-b's
    //    incident; its CPU and memory alerts resolve as soon as every
    //    replica answered without them.
    w.b.kill();
    let v = w
        .until(60, "host-b down, its other alerts resolved", |v| {
            let a = active(v);
            a.contains(&pair("HostTargetMissing", "host-b"))
                && !a.contains(&pair("HostHighCpuLoad", "host-b"))
                && !a.contains(&pair("HostMemoryUnderPressure", "host-b"))
        })
        .await;
    let b = incident_of(&v, "host-b").unwrap();
    assert_eq!(b.0, vec!["host-b".to_string()]);
    assert_eq!(b.1, 3, "target down joined host-b's incident: {}", summary(&v));
    assert_host_cause(&v, "host-b", &["target down: HostTargetMissing, up{job=\"node\"} at 0"]);
    assert_eq!(incident_of(&v, "host-a").map(|x| x.1), Some(2), "host-a untouched");
    let shown = active(&v);
    let now_listed = listed(&urls).await;
    assert!(shown.is_subset(&now_listed), "shown {shown:?}\nlisted {now_listed:?}");

    // 3. Replica 2 stops, then restarts (losing its alerts until Prometheus
    //    re-sends them): nothing resolves meanwhile, nothing stays firing
    //    that both healthy replicas no longer list.
    w.am2.server.kill();
    let before = active(&v);
    let v = w
        .until(20, "the stopped replica noticed", |v| {
            v.sources.iter().any(|s| {
                s.id == "am" && matches!(s.status, quell::model::SourceStatus::Partial { .. })
            })
        })
        .await;
    assert_eq!(active(&v), before, "a replica down resolves nothing: {}", summary(&v));
    w.am2.restart();
    let v = w
        .until(40, "both replicas answering and listing host-a's alerts", |v| {
            v.alerts
                .values()
                .filter(|a| a.alert.state.is_active())
                .all(|a| a.alert.replicas.len() == 2)
                && active(v) == before
        })
        .await;
    let shown = active(&v);
    let now_listed = listed(&urls).await;
    assert!(shown.is_subset(&now_listed), "shown {shown:?}\nlisted {now_listed:?}");

    // 4. Alerts for a third host are posted: a new, separate incident.
    let c = [
        alert_json(&[
            ("alertname", "HostOutOfDiskSpace"),
            ("instance", "host-c:9100"),
            ("job", "node"),
            ("severity", "critical"),
            ("mountpoint", "/"),
        ]),
        alert_json(&[
            ("alertname", "HostHighCpuLoad"),
            ("instance", "host-c:9100"),
            ("job", "node"),
            ("severity", "warning"),
        ]),
    ];
    for u in &urls {
        post_alerts(u, &c).await;
    }
    let v = w
        .until(20, "host-c's incident", |v| incident_of(v, "host-c").is_some_and(|x| x.1 == 2))
        .await;
    assert_eq!(incident_of(&v, "host-c"), Some((vec!["host-c".into()], 2)), "{}", summary(&v));
    assert_eq!(incident_of(&v, "host-a").map(|x| x.1), Some(2), "{}", summary(&v));
    assert_eq!(v.incidents.len(), 3, "{}", summary(&v));

    // 5. Every alert fired once: pending and firing in Prometheus, then
    //    firing in Alertmanager, and a replica restart, made no re-fire.
    for a in v.alerts.values() {
        assert_eq!(a.alert.flaps, 0, "{} counted as flapping: {}", a.alert.name(), summary(&v));
    }
    for i in &v.incidents {
        let fired = i.timeline.iter().filter(|t| t.kind == TimelineKind::AlertFired).count();
        assert_eq!(fired, i.alerts.len(), "one 'fired' per alert in {}: {:#?}", i.id, i.timeline);
    }
    assert!(
        v.alerts.values().all(|a| a.alert.state != AlertState::Pending || !a.alert.unconfirmed)
    );
}
