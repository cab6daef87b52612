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

/// The incremental pass (only alerts changed since the last pass) must
/// agree with a full rescan every pass (a cloned store is a new store).
#[test]
fn incremental_passes_agree_with_full_rescans() {
    let topo = shop();
    let services = ["frontend", "checkout", "payments", "postgres", "cart", "redis", "zz-unknown"];
    for pause in [0] {
        let cfg = cfg();
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
