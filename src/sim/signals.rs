//! The series the demo world exports, named the way a Prometheus would.
//!
//! Owns metric names, label sets, units and the `SeriesKey`s, built once per
//! world, and turns the physics' state into one `Ingest::Samples` per series
//! per step. It computes nothing itself.

use crate::model::{Labels, Sample, SeriesKey, SeriesMeta, Signal, UnixMs};
use crate::store::Ingest;

use super::physics::{Metric, Physics};
use super::topology::{Graph, NODES, SERVICES};

pub(crate) const CLUSTER: &str = "demo-eu1";

const SERVICE_SERIES: [(Metric, &str, &str); 4] = [
    (Metric::RequestRate, "http_requests_per_second", "req/s"),
    (Metric::ErrorRatio, "http_error_ratio", "ratio"),
    (Metric::LatencyP99, "http_request_duration_p99_seconds", "s"),
    (Metric::CertDays, "tls_cert_expiry_days", "d"),
];

const POD_SERIES: [(Metric, &str, &str); 7] = [
    (Metric::Up, "up", ""),
    (Metric::InstanceErrorRatio, "http_error_ratio", "ratio"),
    (Metric::InstanceLatencyP99, "http_request_duration_p99_seconds", "s"),
    (Metric::Cpu, "container_cpu_usage_percent", "%"),
    (Metric::Memory, "container_memory_usage_percent", "%"),
    (Metric::Disk, "kubelet_volume_used_percent", "%"),
    (Metric::RestartsTotal, "kube_pod_container_status_restarts_total", ""),
];

const NODE_SERIES: [(Metric, &str, &str); 3] = [
    (Metric::NodeScrapeSeconds, "scrape_duration_seconds", "s"),
    (Metric::NodeUp, "up", ""),
    (Metric::NodeReady, "kube_node_status_condition_ready", ""),
];

fn signal(metric: Metric) -> Signal {
    match metric {
        Metric::RequestRate => Signal::RequestRate,
        Metric::ErrorRatio | Metric::InstanceErrorRatio => Signal::ErrorRatio,
        Metric::LatencyP99 | Metric::InstanceLatencyP99 => Signal::LatencyP99,
        Metric::Cpu => Signal::Cpu,
        Metric::Up | Metric::NodeUp => Signal::Other("up".into()),
        Metric::NodeReady => Signal::Other("node_ready".into()),
        Metric::NodeScrapeSeconds => Signal::Other("scrape_duration".into()),
        Metric::Memory => Signal::Memory,
        Metric::Disk | Metric::DiskIn1h => Signal::Disk,
        Metric::CertDays => Signal::Other("cert_expiry_days".into()),
        Metric::RecentRestarts | Metric::RestartsTotal => Signal::Other("restarts".into()),
    }
}

/// Labels identifying a service (and, for pod series, an instance).
pub(crate) fn base_labels(g: &Graph, service: usize, pod: Option<usize>) -> Labels {
    let spec = &SERVICES[service];
    let mut l = Labels::new();
    l.insert("cluster".into(), CLUSTER.into());
    l.insert("namespace".into(), spec.namespace.into());
    l.insert("service".into(), spec.name.into());
    if let Some(p) = pod.and_then(|p| g.instances.get(p)) {
        l.insert("instance".into(), p.name.clone());
        l.insert("node".into(), NODES[p.node].0.into());
    }
    l
}

/// Labels of a node's series and alerts. The node is its own `service`: what
/// relabelling `node` into `service` gives, so node and pods meet in the
/// topology (a service depends on the nodes its pods run on).
pub(crate) fn node_labels(node: usize) -> Labels {
    let mut l = Labels::new();
    l.insert("cluster".into(), CLUSTER.into());
    l.insert("namespace".into(), "kube-system".into());
    l.insert("service".into(), NODES[node].0.into());
    l.insert("node".into(), NODES[node].0.into());
    l
}

#[derive(Debug, Clone)]
struct Series {
    metric: Metric,
    idx: usize,
    key: SeriesKey,
    meta: SeriesMeta,
}

#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    series: Vec<Series>,
}

impl Catalog {
    pub(crate) fn new(g: &Graph) -> Self {
        let mut series = Vec::new();
        let mut add = |metric: Metric, name: &str, unit: &str, service: usize, idx: usize, pod| {
            let labels = base_labels(g, service, pod);
            series.push(Series {
                metric,
                idx,
                key: SeriesKey::of(name, &labels),
                meta: SeriesMeta {
                    labels,
                    service: Some(SERVICES[service].name.to_string()),
                    signal: signal(metric),
                    unit: unit.to_string(),
                },
            });
        };
        for s in 0..SERVICES.len() {
            for (m, name, unit) in SERVICE_SERIES {
                add(m, name, unit, s, s, None);
            }
        }
        for (p, inst) in g.instances.iter().enumerate() {
            for (m, name, unit) in POD_SERIES {
                add(m, name, unit, inst.service, p, Some(p));
            }
        }
        for (j, (node, _)) in NODES.iter().enumerate() {
            for (metric, name, unit) in NODE_SERIES {
                let labels = node_labels(j);
                series.push(Series {
                    metric,
                    idx: j,
                    key: SeriesKey::of(name, &labels),
                    meta: SeriesMeta {
                        labels,
                        service: Some((*node).to_string()),
                        signal: signal(metric),
                        unit: unit.to_string(),
                    },
                });
            }
        }
        Self { series }
    }

    /// The series that charts `metric` of service or pod `idx` (a rule on a
    /// derived quantity such as `DiskIn1h` charts the raw series).
    pub(crate) fn key_for(&self, metric: Metric, idx: usize) -> Option<SeriesKey> {
        let raw = match metric {
            Metric::DiskIn1h => Metric::Disk,
            Metric::RecentRestarts => Metric::RestartsTotal,
            m => m,
        };
        self.series.iter().find(|s| s.metric == raw && s.idx == idx).map(|s| s.key.clone())
    }

    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    pub(crate) fn emit(&self, phys: &Physics, now: UnixMs, out: &mut Vec<Ingest>) {
        for s in &self.series {
            let value = phys.read(s.metric, s.idx, now);
            // A target that does not answer has no sample, not a zero.
            if value.is_nan() {
                continue;
            }
            out.push(Ingest::Samples {
                key: s.key.clone(),
                meta: s.meta.clone(),
                samples: vec![Sample { ts: now, value }],
            });
        }
    }
}
