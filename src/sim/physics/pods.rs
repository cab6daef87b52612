//! One step of the instances (pods) of a service: memory (a leak ends in an
//! OOM kill and a restart), GC pressure near the memory limit, CPU, a disk
//! filling up and its cleanup, reachability through its node and the
//! endpoints; then each instance's own latency and error ratio.

use super::*;
use crate::sim::STEP_MS;

const RESTART_WINDOW_MS: i64 = 10 * 60_000;

impl Physics {
    /// Each instance's latency and error ratio: what its callees cost it is
    /// shared, its own work and failures are its own.
    pub(super) fn step_pod_signals(
        &mut self,
        g: &Graph,
        s: usize,
        e: &Effects,
        waits: f64,
        upstream: f64,
    ) {
        let spec = &SERVICES[s];
        for &p in &g.pods[s] {
            let (z0, z1) = (self.rng.normal(), self.rng.normal());
            let pod = &mut self.pods[p];
            let own = (spec.self_p99 * e.lat_mult * (1.0 + 1.5 * pod.pressure) + e.lat_add)
                * (0.07 * z0).exp();
            pod.lat = own + waits;
            let down = if pod.down_steps > 0 { 1.0 } else { 0.0 };
            pod.err =
                (spec.error_ratio * (0.3 * z1).exp() + e.err_add + pod.disk_err + upstream + down)
                    .clamp(0.0, 1.0);
        }
    }

    /// Steps the pods of service `s`. Returns (GC pressure, share of pods
    /// down, error ratio from full disks), each averaged over the pods.
    pub(super) fn step_pods(
        &mut self,
        g: &Graph,
        s: usize,
        now: UnixMs,
        diurnal: f64,
        e: &Effects,
        killed: &mut Vec<usize>,
    ) -> (f64, f64, f64) {
        let spec = &SERVICES[s];
        #[allow(clippy::cast_precision_loss)]
        let n = g.pods[s].len().max(1) as f64;
        let (mut gc, mut down, mut disk_err) = (0.0, 0.0, 0.0);
        for (ordinal, &p) in g.pods[s].iter().enumerate() {
            let z = [self.rng.normal(), self.rng.normal(), self.rng.normal(), self.rng.unit()];
            let node = g.instances.get(p).map_or(0, |i| i.node);
            // Requests keep going to a dead node's pods until it is marked
            // NotReady and they leave the endpoints; with no replica left
            // elsewhere, the service stays down.
            let in_endpoints =
                self.nodes.get(node).is_some_and(|x| x.down_steps < NOT_READY_AFTER_STEPS);
            let alone = !g.pods[s].iter().any(|&q| !self.pods[q].unreachable);
            let pod = &mut self.pods[p];
            if pod.unreachable && (in_endpoints || alone) {
                down += 1.0 / n;
            }
            if pod.down_steps > 0 {
                pod.down_steps -= 1;
                down += 1.0 / n;
            }
            if ordinal == 0 && e.leak > 0.0 {
                pod.mem += e.leak * (0.8 + 0.4 * z[3]);
            } else {
                pod.mem += 0.2 * (spec.memory - pod.mem) + 0.4 * z[0];
            }
            if pod.mem >= 100.0 {
                pod.restarts += 1;
                pod.recent.push_back(now);
                pod.mem = spec.memory;
                pod.down_steps = 2;
                killed.push(p);
            }
            while pod.recent.front().is_some_and(|&t| now - t > RESTART_WINDOW_MS) {
                pod.recent.pop_front();
            }
            let pressure = ((pod.mem - 85.0) / 15.0).clamp(0.0, 1.0);
            pod.pressure = pressure;
            gc += pressure / n;
            pod.cpu = spec.cpu * diurnal * (1.0 + 0.05 * z[1]) + 25.0 * pressure;
            if let Some(floor) = e.cpu_floor {
                pod.cpu = pod.cpu.max(floor + 1.5 * z[1]);
            }
            if let (Some(center), 0) = (e.cpu_wobble, ordinal) {
                pod.cpu = center + 3.0 * z[1];
            }
            pod.cpu = pod.cpu.clamp(0.5, 100.0);
            let before = pod.disk;
            if let Some(full_at) = e.disk_full_at {
                #[allow(clippy::cast_precision_loss)]
                let steps_left = ((full_at - now) as f64 / STEP_MS as f64).max(1.0);
                let rate = ((99.0 - pod.disk) / steps_left).max(0.05);
                pod.disk += rate * (0.8 + 0.4 * z[3]);
            } else if pod.disk > spec.disk + 0.5 {
                // Cleanup after the fault: old files deleted, volume back to normal.
                pod.disk = spec.disk + (pod.disk - spec.disk) * 0.3;
            } else {
                pod.disk = spec.disk + 0.03 * z[2];
            }
            pod.disk = pod.disk.clamp(0.0, 100.0);
            pod.disk_slope = 0.9 * pod.disk_slope + 0.1 * (pod.disk - before);
            pod.disk_err = if pod.disk > 95.0 { 0.25 * (pod.disk - 95.0) / 5.0 } else { 0.0 };
            disk_err += pod.disk_err / n;
        }
        (gc, down.min(1.0), disk_err)
    }
}
