//! Tests of one alert identity across sources (`store::identity`).

use crate::model::{Alert, AlertState, labels_of};
use crate::store::{Ingest, Store, StoreLimits};

fn alert(state: AlertState, start: i64, rule_engine: bool, source: &str) -> Alert {
    let labels = labels_of(&[("alertname", "HostHighCpuLoad"), ("instance", "web-1:9100")]);
    let mut a = Alert::new(source, labels, state, start);
    a.rule_engine = rule_engine;
    a
}

fn poll(s: &mut Store, source: &str, at: i64, alerts: Vec<Alert>) {
    s.apply(Ingest::AlertPoll { source: source.into(), at, alerts });
}

#[test]
fn pending_then_firing_in_prometheus_then_alertmanager_is_one_occurrence() {
    let mut s = Store::new(StoreLimits::default());
    let fp = alert(AlertState::Pending, 0, true, "prom").fingerprint;
    poll(&mut s, "prom", 1_000, vec![alert(AlertState::Pending, 1_000, true, "prom")]);
    poll(&mut s, "prom", 31_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
    // Alertmanager's start is when it fired (later than activeAt).
    poll(&mut s, "am", 32_000, vec![alert(AlertState::Firing, 31_000, false, "am")]);
    poll(&mut s, "prom", 46_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
    let e = s.alert(&fp).expect("stored");
    assert_eq!(e.alert.state, AlertState::Firing);
    assert_eq!(e.alert.starts_at, 1_000, "one occurrence, one start");
    assert_eq!(e.refires, 0, "not counted as flapping");
    assert!(!e.alert.rule_engine, "the Alertmanager's copy is the one shown");
    let firing = e.history.iter().filter(|(_, st)| *st == AlertState::Firing).count();
    assert_eq!(firing, 1, "{:?}", e.history.iter().collect::<Vec<_>>());
}

#[test]
fn silenced_at_the_alertmanager_stays_silenced_and_resolves_with_it() {
    let mut s = Store::new(StoreLimits::default());
    let fp = alert(AlertState::Firing, 0, true, "prom").fingerprint;
    poll(&mut s, "prom", 1_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
    poll(&mut s, "am", 2_000, vec![alert(AlertState::Suppressed, 1_000, false, "am")]);
    poll(&mut s, "prom", 3_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
    assert_eq!(s.alert(&fp).map(|e| e.alert.state), Some(AlertState::Suppressed));
    // It resolves: the Alertmanager polls first; Prometheus's copy from
    // before must not turn it firing again.
    poll(&mut s, "am", 4_000, vec![]);
    assert_eq!(s.alert(&fp).map(|e| e.alert.state), Some(AlertState::Resolved));
    poll(&mut s, "prom", 5_000, vec![]);
    let e = s.alert(&fp).expect("kept as resolved");
    assert_eq!(e.alert.state, AlertState::Resolved);
    assert!(!e.history.iter().skip(2).any(|(_, st)| *st == AlertState::Firing));
}

#[test]
fn a_firing_alert_reported_pending_after_its_engine_restarted_goes_on_firing() {
    let mut s = Store::new(StoreLimits::default());
    let a = alert(AlertState::Firing, 1_000, true, "prom");
    poll(&mut s, "prom", 1_000, vec![a.clone()]);
    // Restarted: pending again since its first evaluation, then firing.
    poll(&mut s, "prom", 60_000, vec![alert(AlertState::Pending, 55_000, true, "prom")]);
    let e = s.alert(&a.fingerprint).expect("kept");
    assert_eq!((e.alert.state, e.alert.starts_at), (AlertState::Firing, 1_000));
    poll(&mut s, "prom", 90_000, vec![alert(AlertState::Firing, 55_000, true, "prom")]);
    let e = s.alert(&a.fingerprint).expect("kept");
    assert_eq!((e.alert.state, e.alert.starts_at, e.refires), (AlertState::Firing, 1_000, 0));
    assert_eq!(
        e.history.len(),
        1,
        "one fired, nothing else: {:?}",
        e.history.iter().collect::<Vec<_>>()
    );
    // Resolved, then pending anew: a new occurrence, pending.
    poll(&mut s, "prom", 100_000, vec![]);
    poll(&mut s, "prom", 110_000, vec![alert(AlertState::Pending, 105_000, true, "prom")]);
    let e = s.alert(&a.fingerprint).expect("kept");
    assert_eq!(e.alert.state, AlertState::Pending);
}

#[test]
fn vanished_pending_alerts_are_dropped_and_fired_ones_resolve() {
    let mut s = Store::new(StoreLimits::default());
    let p = alert(AlertState::Pending, 1_000, true, "prom");
    poll(&mut s, "prom", 1_000, vec![p.clone()]);
    poll(&mut s, "prom", 2_000, vec![]);
    assert!(s.alert(&p.fingerprint).is_none(), "a pending alert that vanished is gone");
    poll(&mut s, "prom", 3_000, vec![alert(AlertState::Firing, 3_000, true, "prom")]);
    poll(&mut s, "prom", 4_000, vec![]);
    assert_eq!(s.alert(&p.fingerprint).map(|e| e.alert.state), Some(AlertState::Resolved));
}

#[test]
fn an_unconfirmed_stub_keeps_the_alert_marked_until_confirmed_or_resolved() {
    let mut s = Store::new(StoreLimits::default());
    let a = alert(AlertState::Firing, 1_000, false, "am");
    poll(&mut s, "am", 1_000, vec![a.clone()]);
    let mut stub = Alert::new("", crate::model::Labels::new(), AlertState::Firing, 1_000);
    stub.fingerprint = a.fingerprint.clone();
    stub.unconfirmed = true;
    poll(&mut s, "am", 2_000, vec![stub]);
    let e = s.alert(&a.fingerprint).expect("kept");
    assert_eq!(e.alert.state, AlertState::Firing);
    assert!(e.alert.unconfirmed && e.alert.labels == a.labels, "labels kept, marked");
    poll(&mut s, "am", 3_000, vec![a.clone()]);
    assert!(!s.alert(&a.fingerprint).expect("kept").alert.unconfirmed);
    poll(&mut s, "am", 4_000, vec![]);
    assert_eq!(s.alert(&a.fingerprint).map(|e| e.alert.state), Some(AlertState::Resolved));
}

#[test]
fn alerts_beyond_the_cap_are_dropped_counted_and_shown_in_health() {
    use crate::model::{Labels, SourceHealth, SourceStatus};
    let limits = StoreLimits { max_alerts: 3, ..StoreLimits::default() };
    let mut s = Store::new(limits);
    let many: Vec<Alert> = (0..5)
        .map(|i| {
            let mut l = Labels::new();
            l.insert("alertname".into(), format!("A{i}"));
            Alert::new("am", l, AlertState::Firing, 1_000)
        })
        .collect();
    poll(&mut s, "am", 1_000, many.clone());
    assert_eq!(s.alert_count(), 3);
    assert_eq!(s.dropped_alerts(), 2);
    let health = SourceHealth {
        id: "am".into(),
        kind: "alertmanager".into(),
        status: SourceStatus::Ok,
        last_ok: Some(1_000),
        interval_ms: 1_000,
    };
    s.apply(Ingest::Health(health.clone()));
    let h = s.health().next().expect("health");
    let SourceStatus::Partial { warnings } = &h.status else { panic!("{:?}", h.status) };
    assert_eq!(crate::store::dropped_in(&warnings[0]), Some(2), "{warnings:?}");
    // The same alerts next poll: the kept ones stay, not churned.
    let kept: Vec<_> = s.alerts().map(|e| e.alert.fingerprint.clone()).collect();
    poll(&mut s, "am", 2_000, many);
    assert!(kept.iter().all(|fp| s.alert(fp).is_some()));
    // Fewer alerts: nothing dropped, health ok again.
    poll(&mut s, "am", 3_000, vec![]);
    assert_eq!(s.dropped_alerts(), 0);
    s.apply(Ingest::Health(health));
    assert_eq!(s.health().next().map(|h| h.status.clone()), Some(SourceStatus::Ok));
}

#[test]
fn without_an_alertmanager_prometheus_alone_decides() {
    let mut s = Store::new(StoreLimits::default());
    let a = alert(AlertState::Firing, 1_000, true, "prom");
    poll(&mut s, "prom", 1_000, vec![a.clone()]);
    poll(&mut s, "am", 1_500, vec![]);
    assert_eq!(s.alert(&a.fingerprint).map(|e| e.alert.state), Some(AlertState::Firing));
}
