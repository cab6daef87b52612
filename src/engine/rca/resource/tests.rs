use super::*;
use crate::engine::testutil::*;
use crate::engine::{Engine, EngineConfig};
use crate::model::{AlertState, Labels, Sample, SeriesKey, SeriesMeta, Signal, labels_of};
use crate::store::Ingest;

/// A node_exporter alert on `instance` with the rule expression `expr`.
fn host_alert(name: &str, instance: &str, expr: &str, extra: &[(&str, &str)]) -> Alert {
    let mut labels = labels_of(&[
        ("alertname", name),
        ("instance", instance),
        ("job", "node"),
        ("severity", "warning"),
    ]);
    for (k, v) in extra {
        labels.insert((*k).to_string(), (*v).to_string());
    }
    let mut a = Alert::new("am", labels, AlertState::Firing, at(150));
    a.expr = Some(expr.into());
    a
}

const MEM: &str = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10";
const CPU: &str =
    r#"100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80"#;
const DISK: &str =
    r#"node_filesystem_avail_bytes{fstype!~"tmpfs"} / node_filesystem_size_bytes * 100 < 10"#;

#[test]
fn causes_read_as_host_and_resources_or_as_their_labels() {
    let mem = host_alert("HostOutOfMemory", "host-a:9100", MEM, &[]);
    let disk = host_alert("HostOutOfDiskSpace", "host-a:9100", DISK, &[("mountpoint", "/var")]);
    let other = host_alert("HostOutOfMemory", "host-b:9100", MEM, &[]);
    let all = [mem, disk, other];
    assert_eq!(cause_label("host-a", all.iter()), "host-a \u{b7} memory, disk /var");
    assert_eq!(cause_label("checkout", all.iter()), "checkout");
    let backup = Alert::new(
        "am",
        labels_of(&[("alertname", "BackupOverdue"), ("cluster", "eu-1"), ("team", "storage")]),
        AlertState::Firing,
        at(1),
    );
    assert_eq!(cause_label("(unknown)", [&backup]), "cluster=eu-1, team=storage");
}

#[test]
fn values_read_plainly() {
    assert_eq!(value(99.97, "%"), "100%");
    assert_eq!(value(87.26, "%"), "87.3%");
    assert_eq!(value(4.0, "%"), "4%");
    assert_eq!(value(-1.0, "%"), "-1%");
    assert_eq!(value(0.0, ""), "0");
    assert_eq!(value(0.0421, "s"), "0.042 s");
    assert_eq!(value(2.5e9, "B"), "2.5 GB");
    assert_eq!(value(12_345.0, ""), "12.3k");
}

#[test]
fn community_host_rules_name_their_resource() {
    let r = |a: &Alert| resource_of(a).map(|r| r.word());
    assert_eq!(r(&host_alert("HostOutOfMemory", "h:9100", MEM, &[])), Some("memory".into()));
    assert_eq!(r(&host_alert("HostHighCpuLoad", "h:9100", CPU, &[])), Some("CPU".into()));
    let disk = host_alert("HostOutOfDiskSpace", "h:9100", DISK, &[("mountpoint", "/var")]);
    assert_eq!(r(&disk), Some("disk /var".into()));
    let down = host_alert("HostTargetMissing", "h:9100", r#"up{job="node"} == 0"#, &[]);
    assert_eq!(r(&down), Some("target down".into()));
    // `up` inside a bigger expression is not a target down.
    let ratio = host_alert("Scrapes", "h:9100", "avg(up) < 0.5", &[]);
    assert_eq!(r(&ratio), None);
    // No expression (posted alerts): the name says it.
    let mut clock = host_alert("HostClockSkew", "h:9100", "", &[]);
    clock.expr = None;
    assert_eq!(r(&clock), Some("clock".into()));
    let mut app = host_alert("HighErrorRate", "h:9100", "", &[]);
    app.expr = None;
    assert_eq!(r(&app), None);
    let all = [down.clone(), disk.clone(), host_alert("HostOutOfMemory", "h", MEM, &[]), disk];
    assert_eq!(summary(all.iter()), Some("target down, memory, disk /var".into()));
    assert_eq!(summary(std::iter::empty()), None);
}

/// Ten minutes of available memory falling from 40 % to 4.2 % on host-a.
fn memory_series(s: &mut Store) -> SeriesKey {
    let labels: Labels = labels_of(&[("instance", "host-a")]);
    let key = SeriesKey::new("rule:HostOutOfMemory{instance=host-a}");
    let meta = SeriesMeta {
        labels,
        service: None,
        signal: Signal::Other("rule".into()),
        unit: String::new(),
    };
    let samples = (0..=150)
        .map(|i| Sample { ts: at(i), value: 40.0 - (40.0 - 4.2) * i as f64 / 150.0 })
        .collect();
    s.apply(Ingest::Samples { key: key.clone(), meta, samples });
    key
}

#[test]
fn a_host_cause_names_the_resource_with_the_alerts_own_value() {
    let mut s = store();
    let key = memory_series(&mut s);
    let mut mem = host_alert("HostOutOfMemory", "host-a:9100", MEM, &[]);
    mem.series = Some(key);
    mem.starts_at = at(148);
    let disk = host_alert("HostOutOfDiskSpace", "host-a:9100", DISK, &[("mountpoint", "/var")]);
    poll(&mut s, at(152), vec![mem, disk]);
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = e.update(&s, at(152));
    assert_eq!(incs.len(), 1);
    let rc = &incs[0].root_causes[0];
    assert_eq!(rc.service, "host-a");
    let lines: Vec<(UnixMs, &str)> = rc.evidence.iter().map(|e| (e.ts, e.text.as_str())).collect();
    let mem_line =
        "memory: HostOutOfMemory, node_memory_MemAvailable_bytes / node_m… at 4.2% (fires < 10%)";
    assert_eq!(lines[0], (at(148), mem_line), "{lines:#?}");
    assert!(lines[1].1.starts_with("disk /var: HostOutOfDiskSpace, node_filesystem"), "{lines:#?}");
    assert_eq!(lines[1].0, at(150), "the disk alert's own start");
}

#[test]
fn each_cause_dates_its_alerts_at_its_own_first_alert() {
    let mut s = store();
    latency(&mut s, "checkout", 0.08, Some((150, 0.9)));
    latency(&mut s, "frontend", 0.10, Some((150, 0.9)));
    poll(
        &mut s,
        at(160),
        vec![
            alert("HighErrorRate", "frontend", "critical", at(155)),
            alert("HighLatency", "checkout", "critical", at(158)),
        ],
    );
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = e.update(&s, at(160));
    assert_eq!(incs.len(), 1, "one incident: checkout is frontend's dependency");
    let on_it = |svc: &str| {
        let rc = incs[0].root_causes.iter().find(|c| c.service == svc).expect("ranked");
        rc.evidence.iter().find(|e| e.text.contains(" alert(s) on it: ")).map(|e| e.ts)
    };
    assert_eq!(on_it("checkout"), Some(at(158)), "not the incident's start");
    assert_eq!(on_it("frontend"), Some(at(155)));
}
