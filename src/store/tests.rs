use super::*;
use crate::model::{AlertState, Labels, Severity, Signal};

fn alert(source: &str, name: &str, state: AlertState, at: UnixMs) -> Alert {
    let mut labels = Labels::new();
    labels.insert("alertname".into(), name.into());
    Alert::new(source, labels, state, at)
}

fn meta() -> SeriesMeta {
    SeriesMeta {
        labels: Labels::new(),
        service: Some("db".into()),
        signal: Signal::Cpu,
        unit: String::new(),
    }
}

#[test]
fn ring_drops_oldest() {
    let mut r = Ring::new(3);
    for i in 0..5 {
        r.push(i);
    }
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(r.push(5), Some(2));
}

#[test]
fn absent_alert_resolves_only_for_its_own_source() {
    let mut s = Store::new(StoreLimits::default());
    let a = alert("am1", "A", AlertState::Firing, 1_000);
    let b = alert("am2", "B", AlertState::Firing, 1_000);
    s.apply(Ingest::AlertPoll { source: "am1".into(), at: 1_000, alerts: vec![a.clone()] });
    s.apply(Ingest::AlertPoll { source: "am2".into(), at: 1_000, alerts: vec![b.clone()] });
    s.apply(Ingest::AlertPoll { source: "am1".into(), at: 2_000, alerts: vec![] });
    assert_eq!(s.alert(&a.fingerprint).map(|e| e.alert.state), Some(AlertState::Resolved));
    assert_eq!(s.alert(&a.fingerprint).and_then(|e| e.alert.ends_at), Some(2_000));
    assert_eq!(s.alert(&b.fingerprint).map(|e| e.alert.state), Some(AlertState::Firing));
}

#[test]
fn refire_counts_and_history_is_capped() {
    let limits = StoreLimits { alert_history: 4, ..StoreLimits::default() };
    let mut s = Store::new(limits);
    let a = alert("am", "A", AlertState::Firing, 0);
    for i in 0..10 {
        s.apply(Ingest::AlertPoll { source: "am".into(), at: i * 2_000, alerts: vec![a.clone()] });
        s.apply(Ingest::AlertPoll { source: "am".into(), at: i * 2_000 + 1_000, alerts: vec![] });
    }
    let e = s.alert(&a.fingerprint).expect("alert kept");
    assert_eq!(e.refires, 9);
    assert_eq!(e.history.len(), 4);
}

#[test]
fn memory_is_bounded() {
    let limits = StoreLimits {
        samples_per_series: 10,
        max_series: 5,
        max_alerts: 20,
        log_lines: 7,
        ..StoreLimits::default()
    };
    let mut s = Store::new(limits);
    for i in 0..100i64 {
        let key = SeriesKey::new(format!("m{}", i % 8));
        s.apply(Ingest::Samples { key, meta: meta(), samples: vec![Sample { ts: i, value: 1.0 }] });
        let a = alert("am", &format!("A{i}"), AlertState::Firing, i);
        s.apply(Ingest::AlertPoll { source: format!("src{i}"), at: i, alerts: vec![a] });
        s.apply(Ingest::Logs(vec![LogRecord {
            ts: i,
            source: "x".into(),
            service: None,
            level: crate::model::LogLevel::Info,
            line: "l".into(),
            trace: None,
            template: Default::default(),
        }]));
    }
    assert!(s.series_count() <= 5);
    assert!(s.sample_count() <= 50);
    assert!(s.alert_count() <= 20);
    assert_eq!(s.logs().len(), 7);
}

#[test]
fn out_of_order_and_non_finite_samples_are_dropped() {
    let mut s = Store::new(StoreLimits::default());
    let key = SeriesKey::new("m");
    let samples = vec![
        Sample { ts: 10, value: 1.0 },
        Sample { ts: 5, value: 2.0 },
        Sample { ts: 20, value: f64::NAN },
        Sample { ts: 30, value: 3.0 },
    ];
    s.apply(Ingest::Samples { key: key.clone(), meta: meta(), samples });
    let got: Vec<i64> =
        s.series_by_key(&key).expect("series").samples.iter().map(|x| x.ts).collect();
    assert_eq!(got, vec![10, 30]);
}

#[test]
fn entry_keeps_service_and_severity_current_with_the_labels() {
    let mut s = Store::new(StoreLimits::default());
    let mut a = alert("am", "A", AlertState::Firing, 1_000);
    a.labels.insert("job".into(), "api".into());
    a.labels.insert("severity".into(), "warning".into());
    s.apply(Ingest::AlertPoll { source: "am".into(), at: 1_000, alerts: vec![a.clone()] });
    let e = s.alert(&a.fingerprint).expect("stored");
    assert_eq!((e.service(), e.severity()), (Some("api"), Severity::Warning));
    // A source with its own fingerprints may send new labels under the same
    // one: the entry follows them ("service" outranks "job").
    a.labels.insert("service".into(), "checkout".into());
    a.labels.insert("severity".into(), "critical".into());
    s.apply(Ingest::AlertPoll { source: "am".into(), at: 2_000, alerts: vec![a.clone()] });
    let e = s.alert(&a.fingerprint).expect("stored");
    assert_eq!((e.service(), e.severity()), (Some("checkout"), Severity::Critical));
    assert_eq!(e.service(), e.alert.service());
    a.labels.retain(|k, _| k == "alertname");
    s.apply(Ingest::AlertPoll { source: "am".into(), at: 3_000, alerts: vec![a.clone()] });
    let e = s.alert(&a.fingerprint).expect("stored");
    assert_eq!((e.service(), e.severity()), (None, Severity::Unknown));
}
