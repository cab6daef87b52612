//! Fault kinds, fault specs, and what an active fault does to its root.
//!
//! Owns the vocabulary of injected faults and the translation of one active
//! fault into `Effects` on its root service at a given moment. It only ever
//! touches the root: everything callers see arrives through the physics'
//! propagation, never from here. Alerts are not its business either.

use serde::{Deserialize, Serialize};

use crate::model::UnixMs;

use super::STEP_MS;

/// What goes wrong. Names are snake_case in serde, in ground truth and in
/// scenario files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Queries slow down at a database or cache; callers wait, then time out.
    SlowDatabase,
    /// One instance's memory grows until it is OOM-killed, again and again.
    MemoryLeak,
    /// A deploy of the root starts returning 5xx; rolled back at the end.
    BadDeploy,
    /// A volume fills up slowly; writes fail once it is nearly full.
    DiskFilling,
    /// Packet loss on the root's network: its latency rises, fewer requests
    /// reach it, and its callers see connection errors. The root is the
    /// service whose network is broken, not the callers that report errors.
    NetworkLoss,
    /// One instance's CPU wobbles around a `for: 0` rule's threshold: an
    /// alert that flaps without any user impact.
    FlappingNoise,
    /// A short-lived certificate was rotated in and renewal is broken: the
    /// expiry alert fires, then the certificate expires and callers' TLS
    /// handshakes fail.
    CertExpiry,
    /// A runaway workload pins the root's CPU; queueing raises its latency.
    CpuSaturation,
    /// A worker node stops (kernel hang, hardware, kubelet): every pod on it
    /// is unreachable until the fault ends. The root is the node.
    NodeFailure,
}

impl FaultKind {
    pub const ALL: [Self; 9] = [
        Self::SlowDatabase,
        Self::MemoryLeak,
        Self::BadDeploy,
        Self::DiskFilling,
        Self::NetworkLoss,
        Self::FlappingNoise,
        Self::CertExpiry,
        Self::CpuSaturation,
        Self::NodeFailure,
    ];

    /// The kinds the demo's endless schedule draws from: faults of services
    /// (node failures are in the scenario library).
    pub const SCHEDULED: [Self; 8] = [
        Self::SlowDatabase,
        Self::MemoryLeak,
        Self::BadDeploy,
        Self::DiskFilling,
        Self::NetworkLoss,
        Self::FlappingNoise,
        Self::CertExpiry,
        Self::CpuSaturation,
    ];

    /// Whether the root of this kind is a node rather than a service.
    #[must_use]
    pub fn on_node(self) -> bool {
        self == Self::NodeFailure
    }

    /// The snake_case name used in ground truth.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SlowDatabase => "slow_database",
            Self::MemoryLeak => "memory_leak",
            Self::BadDeploy => "bad_deploy",
            Self::DiskFilling => "disk_filling",
            Self::NetworkLoss => "network_loss",
            Self::FlappingNoise => "flapping_noise",
            Self::CertExpiry => "cert_expiry",
            Self::CpuSaturation => "cpu_saturation",
            Self::NodeFailure => "node_failure",
        }
    }

    /// Shortest and longest duration, in minutes, that lets the kind show its
    /// alerts (a slow burn needs longer than a crash).
    pub(crate) fn duration_minutes(self) -> (i64, i64) {
        match self {
            Self::DiskFilling => (10, 14),
            Self::MemoryLeak => (7, 11),
            Self::CertExpiry => (6, 9),
            Self::SlowDatabase | Self::BadDeploy => (5, 9),
            Self::NetworkLoss | Self::FlappingNoise | Self::CpuSaturation | Self::NodeFailure => {
                (5, 8)
            }
        }
    }
}

/// One injected fault. Offsets are from the world's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub id: String,
    pub kind: FaultKind,
    /// The root service (see `FaultKind` for which side that is).
    pub target: String,
    pub start_offset_ms: i64,
    pub duration_ms: i64,
    /// 1.0 is typical; 0.5 barely alerts, 2.0 is severe.
    pub intensity: f64,
}

/// What faults do to one service during one step. Neutral by default.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Effects {
    /// Seconds added to the service's own p99.
    pub lat_add: f64,
    pub lat_mult: f64,
    /// Error ratio the service itself reports.
    pub err_add: f64,
    /// Errors only its callers see (connections that never reach it).
    pub conn_err: f64,
    pub rate_mult: f64,
    /// Every instance's CPU is at least this percent.
    pub cpu_floor: Option<f64>,
    /// The first instance's CPU hovers around this percent.
    pub cpu_wobble: Option<f64>,
    /// Percent points of memory the first instance leaks per step.
    pub leak: f64,
    /// Every instance's volume fills steadily so that it is full at this time.
    pub disk_full_at: Option<UnixMs>,
    /// The certificate in use expires at this time.
    pub cert_not_after: Option<UnixMs>,
    /// The fault rooted here, for fault-specific log lines.
    pub root_of: Option<FaultKind>,
    /// (Nodes only) the node is down: its pods are unreachable.
    pub node_down: bool,
}

impl Default for Effects {
    fn default() -> Self {
        Self {
            lat_add: 0.0,
            lat_mult: 1.0,
            err_add: 0.0,
            conn_err: 0.0,
            rate_mult: 1.0,
            cpu_floor: None,
            cpu_wobble: None,
            leak: 0.0,
            disk_full_at: None,
            cert_not_after: None,
            root_of: None,
            node_down: false,
        }
    }
}

/// A fault that has started, resolved to absolute times and a service index.
#[derive(Debug, Clone)]
pub(crate) struct ActiveFault {
    pub spec: FaultSpec,
    pub root: usize,
    pub start: UnixMs,
    pub end: UnixMs,
    /// Its end-of-fault change (a rollback) has been emitted.
    pub ended: bool,
}

impl ActiveFault {
    pub(crate) fn is_on(&self, now: UnixMs) -> bool {
        self.start <= now && now < self.end
    }

    /// Adds this fault's effect at `now` onto its root's `Effects`.
    pub(crate) fn apply(&self, now: UnixMs, fx: &mut Effects) {
        if !self.is_on(now) {
            return;
        }
        let i = self.spec.intensity.max(0.0);
        // Steps since onset, 0 on the first affected step.
        #[allow(clippy::cast_precision_loss)]
        let k = ((now - self.start) / STEP_MS) as f64;
        let ramp = |steps: f64| ((k + 1.0) / steps).min(1.0);
        fx.root_of = Some(self.spec.kind);
        match self.spec.kind {
            FaultKind::SlowDatabase => {
                fx.lat_add += i * (0.12 + 0.5 * ramp(6.0));
                if k >= 4.0 {
                    fx.err_add += 0.015 * i;
                }
            }
            FaultKind::MemoryLeak => fx.leak += 2.2 * i,
            FaultKind::BadDeploy => {
                fx.err_add += 0.12 * i * ramp(2.0);
                fx.lat_mult *= 1.0 + 0.4 * ramp(2.0);
            }
            FaultKind::DiskFilling => {
                // Full at ~70% of the fault at intensity 1: the slow burn is
                // visible (predictive alert) long before writes fail.
                #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                let to_full = ((self.end - self.start) as f64 * (0.7 / i.max(0.5)).min(1.2)) as i64;
                fx.disk_full_at = Some(self.start + to_full);
            }
            FaultKind::NetworkLoss => {
                fx.lat_add += 0.15 * i;
                fx.rate_mult *= (1.0 - 0.25 * i).max(0.05);
                fx.err_add += 0.01 * i;
                fx.conn_err += 0.15 * i;
            }
            FaultKind::FlappingNoise => fx.cpu_wobble = Some(85.0),
            FaultKind::CertExpiry => {
                let not_after = self.start + (self.end - self.start) / 2;
                fx.cert_not_after = Some(not_after);
                if now >= not_after {
                    fx.conn_err += (0.6 * i).min(1.0);
                    fx.rate_mult *= 0.4;
                }
            }
            FaultKind::CpuSaturation => {
                fx.cpu_floor = Some((90.0 + 4.0 * i).min(99.5));
                fx.lat_mult *= 1.0 + 3.0 * i * ramp(3.0);
                // Queueing delay behind a pinned CPU, noticeable even for a
                // service whose own work is sub-millisecond.
                fx.lat_add += 0.08 * i * ramp(3.0);
                fx.err_add += 0.004 * i;
            }
            FaultKind::NodeFailure => fx.node_down = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: FaultKind) -> ActiveFault {
        ActiveFault {
            spec: FaultSpec {
                id: "f".into(),
                kind,
                target: "postgres".into(),
                start_offset_ms: 0,
                duration_ms: 10 * 60_000,
                intensity: 1.0,
            },
            root: 0,
            start: 1_000_000,
            end: 1_600_000,
            ended: false,
        }
    }

    #[test]
    fn kinds_round_trip_as_snake_case() {
        for k in FaultKind::ALL {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.name()));
            let back: Option<FaultKind> = serde_json::from_str(&json).ok();
            assert_eq!(back, Some(k));
        }
    }

    #[test]
    fn every_kind_has_an_effect_only_while_on() {
        for k in FaultKind::ALL {
            let f = fault(k);
            let mut during = Effects::default();
            f.apply(f.start + 5 * STEP_MS, &mut during);
            assert_ne!(during, Effects::default(), "{k:?}");
            let mut after = Effects::default();
            f.apply(f.end, &mut after);
            assert_eq!(after, Effects::default(), "{k:?}");
        }
    }
}
