//! Alertmanager route grouping as correlation evidence, against the real
//! Alertmanager binary: a route that groups by `cluster` puts alerts of two
//! hosts in one group, and quell files them under one incident that says
//! why; a host in another group stays apart. The same alerts under a route
//! that does not group (the control) are one incident per host.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use quell::connectors::alertmanager::Cluster;
use quell::model::{Alert, Clock, SystemClock, Topology, View};
use quell::pipeline::Pipeline;
use quell::store::Ingest;
use support::servers::Alertmanager;
use support::{alert_json, am_alert_count, am_toml, config, post_alerts};

const BY_CLUSTER: &str = "route:\n  receiver: 'ops'\n  group_by: ['cluster']\n  group_wait: 1s\n\
receivers:\n  - name: 'ops'\n";

/// Two hosts of cluster `eu` with different faults, one host of `us`.
fn host_alerts() -> Vec<serde_json::Value> {
    let host = |name: &str, instance: &str, cluster: &str| {
        alert_json(&[
            ("alertname", name),
            ("instance", instance),
            ("job", "node"),
            ("cluster", cluster),
            ("severity", "critical"),
        ])
    };
    vec![
        host("HostOutOfMemory", "web-1:9100", "eu"),
        host("HostHighCpuLoad", "web-2:9100", "eu"),
        host("HostOutOfDiskSpace", "db-9:9100", "us"),
    ]
}

/// One cycle of a fresh cluster on `am`, and the view of its alerts.
async fn triage(am: &Alertmanager) -> (Vec<Alert>, View) {
    post_alerts(&am.url(), &host_alerts()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while am_alert_count(&am.url()).await < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cfg = config(&am_toml("am", &[am.url()], ""));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    let events = c.cycle().await;
    let alerts: Vec<Alert> = events
        .iter()
        .flat_map(|e| match e {
            Ingest::AlertPoll { alerts, .. } => alerts.clone(),
            _ => Vec::new(),
        })
        .collect();
    let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), Topology::new());
    pipe.ingest_all(events);
    (alerts, pipe.analyze(SystemClock.now()))
}

/// Each incident's services, sorted.
fn services(view: &View) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = view
        .incidents
        .iter()
        .map(|i| {
            let mut s = i.services.clone();
            s.sort();
            s
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_in_one_alertmanager_group_join_and_other_groups_stay_apart() {
    let am = Alertmanager::single_with_config(BY_CLUSTER);
    let (alerts, view) = triage(&am).await;
    assert_eq!(alerts.len(), 3);
    for a in &alerts {
        let g = a.am_group.as_ref().unwrap_or_else(|| panic!("no group on {a:?}"));
        let cluster = a.labels.get("cluster").unwrap();
        assert_eq!(g.describe(), format!("cluster={cluster}"));
        assert_eq!(g.receiver, "ops");
    }
    assert_eq!(
        services(&view),
        vec![vec!["db-9".to_string()], vec!["web-1".to_string(), "web-2".to_string()]],
        "{:#?}",
        view.incidents
    );
    let joined = view.incidents.iter().find(|i| i.alerts.len() == 2).unwrap();
    assert!(
        joined.timeline.iter().any(|t| t.text.ends_with("grouped by Alertmanager: cluster=eu")),
        "{:#?}",
        joined.timeline
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_route_grouping_each_host_is_its_own_incident() {
    // The default test route groups nothing: one group with no labels,
    // which is no evidence.
    let am = Alertmanager::single(&[]);
    let (alerts, view) = triage(&am).await;
    assert_eq!(alerts.len(), 3);
    assert!(alerts.iter().all(|a| a.am_group.is_none()), "{alerts:#?}");
    assert_eq!(
        services(&view),
        vec![vec!["db-9".to_string()], vec!["web-1".to_string()], vec!["web-2".to_string()]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_alert_has_its_group_in_the_poll_that_first_sees_it() {
    let am = Alertmanager::single_with_config(BY_CLUSTER);
    post_alerts(&am.url(), &host_alerts()[..1]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cfg = config(&am_toml("am", &[am.url()], ""));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    let grouped = |events: &[Ingest]| -> Vec<(String, Option<String>)> {
        let mut v: Vec<(String, Option<String>)> = events
            .iter()
            .flat_map(|e| match e {
                Ingest::AlertPoll { alerts, .. } => alerts.clone(),
                _ => Vec::new(),
            })
            .map(|a| (a.name().to_string(), a.am_group.map(|g| g.describe())))
            .collect();
        v.sort();
        v
    };
    let first = grouped(&c.cycle().await);
    assert_eq!(first, vec![("HostOutOfMemory".to_string(), Some("cluster=eu".to_string()))]);
    // Groups were just fetched: a poll with nothing new does not ask again,
    // a poll with a new alert does, in that same poll.
    post_alerts(&am.url(), &host_alerts()[1..2]).await;
    // Alertmanager's dispatcher files a posted alert into its group
    // asynchronously; give it a moment (quell's poll interval does too).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = grouped(&c.cycle().await);
    assert_eq!(
        second,
        vec![
            ("HostHighCpuLoad".to_string(), Some("cluster=eu".to_string())),
            ("HostOutOfMemory".to_string(), Some("cluster=eu".to_string())),
        ]
    );
}
