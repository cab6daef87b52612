//! Which thing an alert is about: its *entity*.
//!
//! Application alerts name their service (`service`, `app`); infrastructure
//! alerts from node_exporter, blackbox or kube-state-metrics name only a
//! scrape target (`instance`, `node`, `pod`) and the job that scraped it.
//! Filing those under the job (`node`) put every host in one incident, so an
//! alert's entity is the first service label present, else the first target
//! label (the host, with a `:port` dropped so two exporters on one machine
//! are one host), else a fallback label. The job is the entity's kind.
//!
//! The label lists come from `[engine]` and are installed once per process
//! ([`set_entity_labels`]); until then the defaults apply. Owns only the
//! mapping from labels to an entity: no grouping decisions.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Labels;

/// Label lists that name an alert's entity, each read first to last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityLabels {
    /// Labels naming a service (application alerts).
    pub service: Vec<String>,
    /// Labels naming a scrape target or host, used when no service label is
    /// present (node_exporter, blackbox, kube-state-metrics alerts).
    pub target: Vec<String>,
    /// Used when neither of the above is present.
    pub fallback: Vec<String>,
}

impl Default for EntityLabels {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect();
        Self {
            service: v(&["service", "app", "app_kubernetes_io_name"]),
            // A pod or node label beats `instance`: on kube-state-metrics
            // alerts `instance` is the exporter, not what is broken.
            target: v(&["pod", "node", "nodename", "instance", "host", "hostname"]),
            fallback: v(&["job", "namespace"]),
        }
    }
}

/// Whether the entity is a service or a scrape target / host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Service,
    Target,
    /// Only a fallback label (a job, a namespace) names it.
    Group,
}

/// An alert's entity, borrowed from its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entity<'a> {
    /// Service name, or host (target value without its port).
    pub name: &'a str,
    pub kind: EntityKind,
    /// The label that named it.
    pub label: &'a str,
    /// The `job` label: what kind of target it is (node, blackbox, ...).
    pub job: Option<&'a str>,
}

static INSTALLED: OnceLock<EntityLabels> = OnceLock::new();

/// The name correlation gives the entity of alerts that have none; titles
/// and causes show such alerts by their other labels instead
/// ([`super::place_of`]).
pub const UNNAMED_ENTITY: &str = "(unknown)";

/// Installs the configured label lists for this process (first call wins;
/// later calls with the same lists are no-ops). Returns false when other
/// lists were installed before.
pub fn set_entity_labels(lists: EntityLabels) -> bool {
    let same = lists.clone();
    INSTALLED.get_or_init(|| lists) == &same
}

/// The label lists in force.
#[must_use]
pub fn entity_labels() -> &'static EntityLabels {
    static DEFAULT: OnceLock<EntityLabels> = OnceLock::new();
    INSTALLED.get().unwrap_or_else(|| DEFAULT.get_or_init(EntityLabels::default))
}

/// The entity `labels` are about, under `lists`; `None` when no listed
/// label has a non-empty value.
#[must_use]
pub fn entity_of<'a>(labels: &'a Labels, lists: &'a EntityLabels) -> Option<Entity<'a>> {
    let job = labels.get("job").filter(|j| !j.is_empty());
    let first = |names: &'a [String]| {
        names.iter().find_map(|k| labels.get(k).filter(|v| !v.is_empty()).map(|v| (k.as_str(), v)))
    };
    if let Some((label, name)) = first(&lists.service) {
        return Some(Entity { name, kind: EntityKind::Service, label, job });
    }
    if let Some((label, value)) = first(&lists.target) {
        return Some(Entity { name: host_of(value), kind: EntityKind::Target, label, job });
    }
    first(&lists.fallback).map(|(label, name)| Entity { name, kind: EntityKind::Group, label, job })
}

/// `web-1:9100` → `web-1`, `[::1]:9100` → `::1`, `10.0.0.5:9100` →
/// `10.0.0.5`. A value that is not `host:port` (a URL probed by blackbox,
/// a bare host, an IPv6 address without brackets) is kept whole.
#[must_use]
pub fn host_of(target: &str) -> &str {
    if let Some(rest) = target.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once("]:") {
            if is_port(port) {
                return host;
            }
        }
        return target;
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') && is_port(port) => host,
        _ => target,
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels_of;

    fn name(pairs: &[(&str, &str)]) -> Option<(String, EntityKind, Option<String>)> {
        let l = labels_of(pairs);
        let lists = EntityLabels::default();
        entity_of(&l, &lists).map(|e| (e.name.to_string(), e.kind, e.job.map(str::to_string)))
    }

    #[test]
    fn node_exporter_alerts_are_about_their_host_with_the_job_as_kind() {
        let got =
            name(&[("alertname", "HostHighCpuLoad"), ("instance", "web-1:9100"), ("job", "node")]);
        assert_eq!(got, Some(("web-1".into(), EntityKind::Target, Some("node".into()))));
        let other =
            name(&[("alertname", "HostOutOfMemory"), ("instance", "web-2:9100"), ("job", "node")]);
        assert_eq!(other.map(|e| e.0), Some("web-2".into()), "two hosts, two entities");
    }

    #[test]
    fn application_kube_and_blackbox_alerts() {
        let app = name(&[
            ("alertname", "HighErrors"),
            ("service", "checkout"),
            ("instance", "10.0.0.5:8080"),
        ]);
        assert_eq!(app.map(|e| (e.0, e.1)), Some(("checkout".into(), EntityKind::Service)));
        // kube-state-metrics: `instance` is the exporter; the pod is the entity.
        let ksm = name(&[
            ("alertname", "KubePodCrashLooping"),
            ("pod", "api-7d9f"),
            ("namespace", "prod"),
            ("instance", "10.1.2.3:8080"),
            ("job", "kube-state-metrics"),
        ]);
        assert_eq!(ksm.map(|e| e.0), Some("api-7d9f".into()));
        let node = name(&[
            ("alertname", "KubeNodeNotReady"),
            ("node", "worker-3"),
            ("job", "kube-state-metrics"),
        ]);
        assert_eq!(node.map(|e| e.0), Some("worker-3".into()));
        // blackbox: the probed URL is kept whole.
        let probe = name(&[
            ("alertname", "ProbeFailed"),
            ("instance", "https://shop.example/health"),
            ("job", "blackbox"),
        ]);
        assert_eq!(probe.map(|e| e.0), Some("https://shop.example/health".into()));
        let only_job = name(&[("alertname", "PrometheusRuleFailures"), ("job", "prometheus")]);
        assert_eq!(only_job.map(|e| (e.0, e.1)), Some(("prometheus".into(), EntityKind::Group)));
        assert_eq!(name(&[("alertname", "Watchdog")]), None);
        assert_eq!(
            name(&[("alertname", "X"), ("service", ""), ("job", "j")]).map(|e| e.0),
            Some("j".into())
        );
    }

    #[test]
    fn hosts_lose_only_a_real_port() {
        assert_eq!(host_of("web-1:9100"), "web-1");
        assert_eq!(host_of("[::1]:9100"), "::1");
        assert_eq!(host_of("[::1]"), "[::1]");
        assert_eq!(host_of("::1"), "::1");
        assert_eq!(host_of("127.0.0.1:9090"), "127.0.0.1");
        assert_eq!(host_of("host:http"), "host:http");
        assert_eq!(host_of("db"), "db");
        assert_eq!(host_of(":9100"), ":9100");
    }

    #[test]
    fn configured_lists_decide() {
        let lists = EntityLabels {
            service: vec!["team_service".into()],
            target: vec!["fqdn".into()],
            fallback: vec![],
        };
        let l = labels_of(&[("service", "x"), ("fqdn", "db.example:5432")]);
        let e = entity_of(&l, &lists).map(|e| (e.name, e.label));
        assert_eq!(e, Some(("db.example", "fqdn")));
    }
}
