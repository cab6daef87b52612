//! Correlation of infrastructure alerts by entity (host), and the two ways
//! an existing incident must not hide a new fault: being old, being acked.

use super::*;
use crate::engine::testutil::{T0, at, poll, store};
use crate::model::{AckPhase, AckStatus, labels_of};
use crate::store::Ingest;

/// A node_exporter-style alert (no service label) on `host`.
fn host_alert(name: &str, host: &str, severity: &str, start: UnixMs) -> Alert {
    let instance = format!("{host}:9100");
    let labels = labels_of(&[
        ("alertname", name),
        ("instance", &instance),
        ("job", "node"),
        ("severity", severity),
    ]);
    Alert::new("am", labels, AlertState::Firing, start)
}

fn incidents_of(c: &Correlator) -> Vec<(Vec<String>, usize)> {
    let mut v: Vec<(Vec<String>, usize)> =
        c.incidents().iter().map(|i| (i.services.clone(), i.alerts.len())).collect();
    v.sort();
    v
}

#[test]
fn two_hosts_unrelated_faults_are_two_incidents_one_hosts_alerts_one() {
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    let alerts = vec![
        host_alert("HostHighCpuLoad", "web-1", "warning", at(10)),
        host_alert("HostOutOfMemory", "web-1", "critical", at(11)),
        host_alert("HostOutOfDiskSpace", "db-1", "warning", at(12)),
        host_alert("HostClockSkew", "db-1", "warning", at(13)),
        // The same rule on both hosts: still one incident per host.
        host_alert("HostClockSkew", "web-1", "warning", at(13)),
    ];
    poll(&mut s, at(14), alerts);
    c.ingest(&s, &Topology::default(), at(14));
    assert_eq!(
        incidents_of(&c),
        vec![(vec!["db-1".to_string()], 2), (vec!["web-1".to_string()], 3)],
        "one incident per host, named by the host, not by the job `node`"
    );
}

#[test]
fn a_long_firing_background_alert_does_not_swallow_a_new_fault() {
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    let clock = host_alert("HostClockNotSynchronising", "web-1", "warning", at(0));
    poll(&mut s, at(1), vec![clock.clone()]);
    c.ingest(&s, &Topology::default(), at(1));
    // An hour later the same host runs out of memory.
    let oom = host_alert("HostOutOfMemory", "web-1", "critical", at(240));
    poll(&mut s, at(241), vec![clock.clone(), oom.clone()]);
    c.ingest(&s, &Topology::default(), at(241));
    assert_eq!(c.incidents().len(), 2, "{:#?}", c.incidents());
    // Within a few minutes of it, the same host's next alert still joins.
    let cpu = host_alert("HostHighCpuLoad", "web-1", "warning", at(243));
    poll(&mut s, at(244), vec![clock, oom.clone(), cpu.clone()]);
    c.ingest(&s, &Topology::default(), at(244));
    let with_oom = c.incidents().iter().find(|i| i.alerts.contains(&oom.fingerprint));
    assert!(with_oom.is_some_and(|i| i.alerts.contains(&cpu.fingerprint)));
    assert_eq!(c.incidents().len(), 2);
}

fn ack(incident: &IncidentId, fp: &Fingerprint) -> AckStatus {
    AckStatus {
        incident: incident.clone(),
        source: "am".into(),
        fingerprints: vec![fp.clone()],
        by: "me@host".into(),
        note: "ACK! looking".into(),
        at: T0,
        silence_ids: vec!["s1".into()],
        until: None,
        phase: AckPhase::Active,
    }
}

#[test]
fn an_alert_arriving_after_an_ack_opens_a_new_unacked_incident() {
    for acked in [false, true] {
        let mut s = store();
        let mut c = Correlator::new(EngineConfig::default());
        let cpu = host_alert("HostHighCpuLoad", "web-1", "warning", at(10));
        poll(&mut s, at(10), vec![cpu.clone()]);
        c.ingest(&s, &Topology::default(), at(10));
        let first = c.incidents()[0].id.clone();
        if acked {
            s.apply(Ingest::Acks(vec![ack(&first, &cpu.fingerprint)]));
        }
        let oom = host_alert("HostOutOfMemory", "web-1", "critical", at(12));
        poll(&mut s, at(12), vec![cpu.clone(), oom.clone()]);
        c.ingest(&s, &Topology::default(), at(12));
        let holder = c.incidents().iter().find(|i| i.alerts.contains(&oom.fingerprint));
        let holder = holder.map(|i| i.id.clone());
        if acked {
            assert_eq!(c.incidents().len(), 2, "the new fault is news, not part of the ack");
            assert_ne!(holder, Some(first));
        } else {
            assert_eq!(holder, Some(first), "without an ack it joins its host's incident");
        }
    }
}

/// After a restart the rule engine may report an acked incident's alerts
/// firing before Alertmanager says they are silenced: they are the
/// occurrence the ack was made for and stay in its incident. An alert of
/// the same labels that fired again after the ack is news.
#[test]
fn an_acked_incidents_own_alerts_stay_in_it_after_a_restart() {
    let cpu = host_alert("HostHighCpuLoad", "web-1", "warning", at(10));
    let oom = host_alert("HostOutOfMemory", "web-1", "critical", at(10));
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    poll(&mut s, at(10), vec![cpu.clone()]);
    c.ingest(&s, &Topology::default(), at(10));
    poll(&mut s, at(11), vec![cpu.clone(), oom.clone()]);
    c.ingest(&s, &Topology::default(), at(11));
    assert_eq!(c.incidents().len(), 1);
    let id = c.incidents()[0].id.clone();
    let acked = AckStatus {
        fingerprints: vec![cpu.fingerprint.clone(), oom.fingerprint.clone()],
        at: at(12),
        ..ack(&id, &cpu.fingerprint)
    };
    let restarted = |oom: &Alert| {
        let mut s = store();
        s.apply(Ingest::Acks(vec![acked.clone()]));
        let mut c = Correlator::new(EngineConfig::default());
        poll(&mut s, at(24), vec![cpu.clone(), oom.clone()]);
        c.ingest(&s, &Topology::default(), at(24));
        let holder = |fp: &Fingerprint| {
            c.incidents().iter().find(|i| i.alerts.contains(fp)).map(|i| i.id.clone())
        };
        (holder(&cpu.fingerprint), holder(&oom.fingerprint))
    };
    assert_eq!(restarted(&oom), (Some(id.clone()), Some(id.clone())));
    let again = Alert { starts_at: at(20), updated_at: at(20), ..oom.clone() };
    let (cpu_in, oom_in) = restarted(&again);
    assert_eq!(cpu_in, Some(id.clone()));
    assert!(oom_in.is_some_and(|i| i != id), "a new occurrence is news");
}

#[test]
fn an_acked_alert_flapping_rejoins_its_incident() {
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    let cpu = host_alert("HostHighCpuLoad", "web-1", "warning", at(10));
    poll(&mut s, at(10), vec![cpu.clone()]);
    c.ingest(&s, &Topology::default(), at(10));
    let first = c.incidents()[0].id.clone();
    s.apply(Ingest::Acks(vec![ack(&first, &cpu.fingerprint)]));
    poll(&mut s, at(11), vec![]);
    c.ingest(&s, &Topology::default(), at(11));
    let again = Alert { starts_at: at(13), updated_at: at(13), ..cpu.clone() };
    poll(&mut s, at(13), vec![again]);
    c.ingest(&s, &Topology::default(), at(13));
    assert_eq!(c.incidents().len(), 1);
}

/// `host_alert` in the Alertmanager route group `labels` of receiver `ops`.
fn grouped(mut a: Alert, labels: &[(&str, &str)]) -> Alert {
    let g = crate::model::AmGroup { receiver: "ops".into(), labels: labels_of(labels) };
    a.am_group = Some(Arc::new(g));
    a
}

#[test]
fn one_alertmanager_route_group_links_hosts_and_says_so() {
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    let eu = [("alertname", "HostDown"), ("cluster", "eu")];
    let alerts = vec![
        grouped(host_alert("HostDown", "web-1", "critical", at(10)), &eu),
        grouped(host_alert("HostDown", "web-2", "critical", at(11)), &eu),
        // Another group (another cluster): an unrelated host stays apart.
        grouped(host_alert("HostDown", "db-9", "critical", at(11)), &[("cluster", "us")]),
        // Grouped by the rule alone: no evidence that hosts share a problem.
        grouped(host_alert("HostOutOfMemory", "app-1", "warning", at(12)), &[("alertname", "X")]),
        grouped(host_alert("HostOutOfMemory", "app-2", "warning", at(12)), &[("alertname", "X")]),
    ];
    poll(&mut s, at(14), alerts);
    c.ingest(&s, &Topology::default(), at(14));
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    assert_eq!(
        incidents_of(&c),
        vec![
            (names(&["app-1"]), 1),
            (names(&["app-2"]), 1),
            (names(&["db-9"]), 1),
            (names(&["web-1", "web-2"]), 2),
        ]
    );
    let joined = c.incidents().iter().find(|i| i.alerts.len() == 2).unwrap();
    let lines: Vec<&str> = joined.timeline.iter().map(|t| t.text.as_str()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("grouped by Alertmanager: alertname=HostDown, cluster=eu")),
        "{lines:?}"
    );
}

#[test]
fn an_alertmanager_group_joins_only_within_the_group_window() {
    let mut s = store();
    let mut c = Correlator::new(EngineConfig::default());
    let eu = [("cluster", "eu")];
    let first = grouped(host_alert("HostDown", "web-1", "critical", at(0)), &eu);
    poll(&mut s, at(1), vec![first.clone()]);
    c.ingest(&s, &Topology::default(), at(1));
    // Long after, another host of the group: a new problem, not the old one.
    let later = grouped(host_alert("HostDown", "web-2", "critical", at(240)), &eu);
    poll(&mut s, at(241), vec![first, later]);
    c.ingest(&s, &Topology::default(), at(241));
    assert_eq!(c.incidents().len(), 2, "{:#?}", c.incidents());
}
