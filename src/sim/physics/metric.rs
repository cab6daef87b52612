//! What the physics shows the outside: the [`Metric`]s the rule evaluator
//! and the signal writer ask about, and how each is read from the current
//! state. An unreachable pod or node has no samples at all, only `up` 0.

use super::*;

/// Steps ahead a predict_linear(…, 1h) looks at 15 s resolution.
const STEPS_PER_HOUR: f64 = 240.0;

/// A quantity the rule evaluator can ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    RequestRate,
    ErrorRatio,
    LatencyP99,
    /// One instance's share of failed requests (its own and its callees').
    InstanceErrorRatio,
    /// One instance's p99 latency.
    InstanceLatencyP99,
    CertDays,
    Cpu,
    Memory,
    Disk,
    /// Disk percent one hour from now at the recent fill rate.
    DiskIn1h,
    /// Restarts within the last ten minutes.
    RecentRestarts,
    RestartsTotal,
    /// Whether the pod's metrics endpoint answers scrapes (`up`), 1 or 0.
    Up,
    /// Node: whether its node-exporter answers scrapes, 1 or 0.
    NodeUp,
    /// Node: the kubelet reports Ready, 1 or 0.
    NodeReady,
    /// Node: how long Prometheus' scrape of its exporter took; the scrape
    /// timeout when the node does not answer.
    NodeScrapeSeconds,
}

impl Metric {
    pub(crate) fn per_pod(self) -> bool {
        matches!(
            self,
            Self::InstanceErrorRatio
                | Self::InstanceLatencyP99
                | Self::Cpu
                | Self::Memory
                | Self::Disk
                | Self::DiskIn1h
                | Self::RecentRestarts
                | Self::RestartsTotal
                | Self::Up
        )
    }

    pub(crate) fn per_node(self) -> bool {
        matches!(self, Self::NodeUp | Self::NodeReady | Self::NodeScrapeSeconds)
    }
}

impl Physics {
    /// The current value of `metric` for service `s` or pod `p` (`idx` is a
    /// pod index exactly when `metric.per_pod()`).
    pub(crate) fn read(&self, metric: Metric, idx: usize, now: UnixMs) -> f64 {
        // An unreachable pod or node has no samples at all, only `up` 0.
        let pod = |f: fn(&PodState) -> f64| {
            self.pods.get(idx).map_or(0.0, |p| if p.unreachable { f64::NAN } else { f(p) })
        };
        let node = self.nodes.get(idx);
        let svc = |f: fn(&ServiceState) -> f64| self.svc.get(idx).map_or(0.0, f);
        match metric {
            Metric::RequestRate => svc(|s| s.rate),
            Metric::ErrorRatio => svc(|s| s.err),
            Metric::LatencyP99 => svc(|s| s.lat),
            Metric::CertDays => {
                self.svc.get(idx).map_or(0.0, |s| days_until(s.cert_not_after, now))
            }
            Metric::InstanceErrorRatio => pod(|p| p.err),
            Metric::InstanceLatencyP99 => pod(|p| p.lat),
            Metric::Cpu => pod(|p| p.cpu),
            Metric::Memory => pod(|p| p.mem),
            Metric::Disk => pod(|p| p.disk),
            Metric::DiskIn1h => pod(|p| p.disk + p.disk_slope * STEPS_PER_HOUR),
            #[allow(clippy::cast_precision_loss)]
            Metric::RecentRestarts => pod(|p| p.recent.len() as f64),
            #[allow(clippy::cast_precision_loss)]
            Metric::RestartsTotal => pod(|p| p.restarts as f64),
            Metric::Up => self.pods.get(idx).map_or(0.0, |p| if p.unreachable { 0.0 } else { 1.0 }),
            Metric::NodeUp => node.map_or(0.0, |n| if n.up { 1.0 } else { 0.0 }),
            Metric::NodeReady => {
                node.map_or(0.0, |n| if n.down_steps >= NOT_READY_AFTER_STEPS { 0.0 } else { 1.0 })
            }
            Metric::NodeScrapeSeconds => node.map_or(0.0, |n| n.scrape_s),
        }
    }
}
