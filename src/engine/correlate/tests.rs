use super::*;
use crate::engine::testutil::*;

fn cfg() -> EngineConfig {
    EngineConfig::default()
}

#[test]
fn cascade_is_one_incident_and_unrelated_fault_is_another() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(cfg());
    let alerts = vec![
        alert("HighLatency", "postgres", "warning", at(100)),
        alert("HighLatency", "payments", "warning", at(102)),
        alert("HighErrorRate", "checkout", "critical", at(104)),
        alert("HighLatency", "warehouse", "warning", at(103)),
    ];
    poll(&mut s, at(105), alerts);
    c.ingest(&s, &topo, at(105));
    let incs = c.sorted();
    assert_eq!(incs.len(), 2, "{incs:#?}");
    let big = incs.iter().find(|i| i.alerts.len() == 3).expect("cascade incident");
    assert_eq!(big.severity, crate::model::Severity::Critical);
    assert!(big.services.contains(&"postgres".to_string()));
    assert!(!big.services.contains(&"warehouse".to_string()));
    assert_eq!(big.timeline.len(), 3);
}

#[test]
fn alerts_far_apart_in_time_do_not_group() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(cfg());
    let a = alert("HighLatency", "postgres", "warning", at(10));
    poll(&mut s, at(10), vec![a.clone()]);
    c.ingest(&s, &topo, at(10));
    let b = alert("HighErrorRate", "payments", "critical", at(60));
    poll(&mut s, at(60), vec![a, b]);
    c.ingest(&s, &topo, at(60));
    assert_eq!(c.incidents().len(), 2);
}

#[test]
fn siblings_do_not_group_without_a_link() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(cfg());
    poll(
        &mut s,
        at(10),
        vec![
            alert("HighLatency", "payments", "warning", at(10)),
            alert("HighLatency", "redis", "warning", at(10)),
        ],
    );
    c.ingest(&s, &topo, at(10));
    assert_eq!(c.incidents().len(), 2);
}

#[test]
fn lifecycle_open_quiet_resolved_and_reopen() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(cfg());
    let a = alert("HighLatency", "postgres", "warning", at(10));
    poll(&mut s, at(10), vec![a.clone()]);
    c.ingest(&s, &topo, at(10));
    poll(&mut s, at(12), vec![]);
    c.ingest(&s, &topo, at(12));
    assert_eq!(c.incidents()[0].state, IncidentState::Quiet);
    // Same alert fires again within the cooldown: the incident reopens.
    let again = alert("HighLatency", "postgres", "warning", at(14));
    poll(&mut s, at(14), vec![again]);
    c.ingest(&s, &topo, at(14));
    assert_eq!(c.incidents().len(), 1);
    assert_eq!(c.incidents()[0].state, IncidentState::Open);
    poll(&mut s, at(15), vec![]);
    c.ingest(&s, &topo, at(15));
    c.ingest(&s, &topo, at(15 + 21));
    assert_eq!(c.incidents()[0].state, IncidentState::Resolved);
    assert_eq!(c.incidents()[0].resolved_at, Some(at(15)));
    // A resolved incident does not absorb new alerts.
    poll(&mut s, at(40), vec![alert("HighLatency", "postgres", "warning", at(40))]);
    c.ingest(&s, &topo, at(40));
    assert_eq!(c.incidents().len(), 2);
}

#[test]
fn unknown_services_group_by_labels() {
    let topo = Topology::new();
    let mut s = store();
    let mut c = Correlator::new(cfg());
    poll(
        &mut s,
        at(10),
        vec![
            alert("DiskFull", "a", "warning", at(10)),
            alert("DiskFull", "b", "warning", at(11)),
            alert("Other", "c", "warning", at(11)),
        ],
    );
    c.ingest(&s, &topo, at(11));
    assert_eq!(c.incidents().len(), 2);
}

#[test]
fn incidents_are_bounded() {
    let topo = Topology::new();
    let mut s = store();
    let mut c = Correlator::new(EngineConfig { max_incidents: 5, ..cfg() });
    for i in 0..40 {
        poll(&mut s, at(i * 100), vec![alert(&format!("A{i}"), "x", "info", at(i * 100))]);
        c.ingest(&s, &topo, at(i * 100));
        poll(&mut s, at(i * 100 + 1), vec![]);
        c.ingest(&s, &topo, at(i * 100 + 50));
    }
    assert!(c.incidents().len() <= 5, "{}", c.incidents().len());
}

fn paused() -> EngineConfig {
    EngineConfig { auto_pause: crate::base::HumanDuration::mins(2), ..cfg() }
}

#[test]
fn transient_alert_within_auto_pause_opens_no_incident() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(paused());
    poll(&mut s, at(10), vec![alert("HighLatency", "postgres", "warning", at(10))]);
    c.ingest(&s, &topo, at(10));
    assert!(c.incidents().is_empty());
    // Resolved after 30 s: a transient, never shown.
    poll(&mut s, at(12), vec![]);
    c.ingest(&s, &topo, at(12));
    c.ingest(&s, &topo, at(40));
    assert!(c.incidents().is_empty(), "{:#?}", c.incidents());
}

#[test]
fn alert_outlasting_auto_pause_opens_its_incident_and_related_ones_join() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(paused());
    let db = alert("HighLatency", "postgres", "warning", at(10));
    let pay = alert("HighLatency", "payments", "warning", at(12));
    poll(&mut s, at(10), vec![db.clone()]);
    c.ingest(&s, &topo, at(10));
    poll(&mut s, at(12), vec![db.clone(), pay.clone()]);
    c.ingest(&s, &topo, at(12));
    // Nothing changed in the store since: the held alerts are looked at again.
    c.ingest(&s, &topo, at(16));
    assert!(c.incidents().is_empty());
    c.ingest(&s, &topo, at(18));
    assert_eq!(c.incidents().len(), 1);
    let inc = &c.incidents()[0];
    assert_eq!(inc.started_at, at(10));
    assert_eq!(inc.alerts, vec![db.fingerprint.clone(), pay.fingerprint.clone()]);
    assert_eq!(inc.state, IncidentState::Open);
}

#[test]
fn auto_pause_zero_opens_at_once() {
    let topo = shop();
    let mut s = store();
    let mut c =
        Correlator::new(EngineConfig { auto_pause: crate::base::HumanDuration::secs(0), ..cfg() });
    poll(&mut s, at(10), vec![alert("HighLatency", "postgres", "warning", at(10))]);
    c.ingest(&s, &topo, at(10));
    assert_eq!(c.incidents().len(), 1);
}

#[test]
fn flapping_alert_is_folded_into_one_incident_and_marked() {
    let topo = shop();
    let mut s = store();
    let mut c = Correlator::new(paused());
    let fp = alert("CPUThrottlingHigh", "redis", "warning", at(10)).fingerprint;
    // Fires for 30 s, resolves, fires again: the first occurrence was a
    // transient, the re-fire is flapping and is not held back.
    for (k, start) in [10usize, 14, 18, 22].into_iter().enumerate() {
        poll(&mut s, at(start), vec![alert("CPUThrottlingHigh", "redis", "warning", at(start))]);
        c.ingest(&s, &topo, at(start));
        if k == 0 {
            assert!(c.incidents().is_empty(), "first fire is held back");
        } else {
            assert_eq!(c.incidents().len(), 1, "re-fire {k} folds into one incident");
        }
        poll(&mut s, at(start + 2), vec![]);
        c.ingest(&s, &topo, at(start + 2));
    }
    let inc = &c.incidents()[0];
    assert_eq!(inc.alerts, vec![fp.clone()]);
    let flaps = inc.timeline.iter().filter(|e| e.text.contains("flapping")).count();
    assert_eq!(flaps, 3, "{:#?}", inc.timeline);
    let a = &s.alert(&fp).expect("in store").alert;
    assert_eq!(a.flaps, 3);
    assert!(a.is_flapping());
}

/// The incremental pass (only alerts changed since the last pass) must
/// agree with a full rescan every pass (a cloned store is a new store).
#[test]
fn incremental_passes_agree_with_full_rescans() {
    let topo = shop();
    let services = ["frontend", "checkout", "payments", "postgres", "cart", "redis", "zz-unknown"];
    for pause in [0, 2] {
        let cfg = EngineConfig { auto_pause: crate::base::HumanDuration::mins(pause), ..cfg() };
        let mut inc = Correlator::new(cfg.clone());
        let mut full = Correlator::new(cfg);
        let mut s = store();
        let mut seed: u64 = 7 + pause;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut firing: Vec<Alert> = Vec::new();
        for step in 0..400usize {
            // Now and then an alert starts or stops.
            if next(12) == 0 {
                let svc = services[next(services.len() as u64) as usize];
                let name = ["HighLatency", "HighErrorRate", "DiskFull"][next(3) as usize];
                if !firing.iter().any(|a| a.service() == Some(svc) && a.name() == name) {
                    firing.push(alert(name, svc, "warning", at(step)));
                }
            }
            if next(3) == 0 && !firing.is_empty() {
                let i = next(firing.len() as u64) as usize;
                firing.remove(i);
            }
            poll(&mut s, at(step), firing.clone());
            inc.ingest(&s, &topo, at(step));
            full.ingest(&s.clone(), &topo, at(step));
            let sig = |c: &Correlator| {
                c.incidents()
                    .iter()
                    .map(|i| {
                        (
                            i.id.clone(),
                            i.state,
                            i.alerts.clone(),
                            i.services.clone(),
                            i.timeline.len(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(sig(&inc), sig(&full), "step {step}, pause {pause}m");
        }
        let n = inc.incidents().len();
        let resolved =
            inc.incidents().iter().filter(|i| i.state == IncidentState::Resolved).count();
        assert!(
            n > 3 && resolved > 0,
            "the sequence exercises several incidents: {n}, {resolved} resolved"
        );
    }
}

#[test]
fn view_marks_incidents_with_flapping_alerts() {
    use crate::pipeline::Pipeline;
    use crate::store::{Ingest, StoreLimits};
    let mut p = Pipeline::new(StoreLimits::default(), cfg(), shop());
    let steady = alert("HighLatency", "payments", "warning", at(10));
    let fire = |p: &mut Pipeline, step: usize, flap: bool| {
        let mut alerts = vec![steady.clone()];
        if flap {
            alerts.push(alert("CPUThrottlingHigh", "payments", "warning", at(step)));
        }
        p.ingest(Ingest::AlertPoll { source: "test".into(), at: at(step), alerts });
        p.analyze(at(step))
    };
    let view = fire(&mut p, 10, true);
    assert_eq!(view.incidents.len(), 1);
    assert_eq!(view.flap_marker(&view.incidents[0]), "", "one fire is not flapping");
    let mut view = fire(&mut p, 11, false);
    for step in 12..16 {
        view = fire(&mut p, step, step % 2 == 0);
    }
    // Fired at 10, 12, 14: two re-fires.
    assert_eq!(view.incidents.len(), 1, "{:#?}", view.incidents);
    let inc = &view.incidents[0];
    assert_eq!(view.incident_flaps(inc), 2);
    assert_eq!(view.flap_marker(inc), "\u{21bb} ");
}
