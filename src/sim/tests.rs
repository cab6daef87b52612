//! Whole-world tests: determinism, quiet baselines, each fault kind's
//! alerts and onset order, ground-truth coverage, and bounded state.

use std::collections::{BTreeMap, BTreeSet};

use super::physics::Metric;
use super::topology::index_of;
use super::*;
use crate::model::{Alert, Fingerprint};

const MINUTE: i64 = 60_000;
const START: UnixMs = 1_700_000_000_000;

fn alerts_of(out: &[Ingest]) -> Vec<Alert> {
    out.iter()
        .find_map(|i| match i {
            Ingest::AlertPoll { alerts, .. } => Some(alerts.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn spec(kind: FaultKind, target: &str, start_step: i64, minutes: i64) -> FaultSpec {
    FaultSpec {
        id: format!("t-{}", kind.name()),
        kind,
        target: target.into(),
        start_offset_ms: start_step * STEP_MS,
        duration_ms: minutes * MINUTE,
        intensity: 1.0,
    }
}

#[test]
fn same_seed_same_world() {
    let mut a = World::demo(42, START);
    let mut b = World::demo(42, START);
    let mut c = World::demo(43, START);
    let mut differs = false;
    for _ in 0..(DEMO_WARMUP_STEPS + 120) {
        let (x, y, z) = (a.step(), b.step(), c.step());
        assert_eq!(x, y);
        differs |= x != z;
    }
    assert_eq!(a.ground_truth(), b.ground_truth());
    assert!(differs);
}

#[test]
fn step_delivers_one_of_everything() {
    let mut w = World::demo(1, START);
    let out = w.step();
    assert_eq!(w.now(), START + STEP_MS);
    let polls = out.iter().filter(|i| matches!(i, Ingest::AlertPoll { .. })).count();
    let samples = out.iter().filter(|i| matches!(i, Ingest::Samples { .. })).count();
    assert_eq!(polls, 1);
    assert_eq!(samples, w.catalog.len());
    assert!(out.iter().any(|i| matches!(
        i,
        Ingest::Health(h) if h.id == "demo" && h.status == SourceStatus::Ok && h.last_ok == Some(w.now())
    )));
    let Some(Ingest::Logs(lines)) = out.iter().find(|i| matches!(i, Ingest::Logs(_))) else {
        panic!("no logs");
    };
    assert!(lines.len() >= SERVICES.len() && lines.len() < SERVICES.len() * 5);
    assert_eq!(w.topology().services().count(), SERVICES.len() + NODES.len());
}

#[test]
fn clean_world_is_quiet_for_two_hours() {
    for seed in [1, 2, 3] {
        let mut w = World::new(seed, START, Vec::new());
        for step in 0..480 {
            let alerts = alerts_of(&w.step());
            assert!(alerts.is_empty(), "seed {seed} step {step}: {:?}", alerts[0].labels);
        }
        assert_eq!(w.unattributed_alerts(), 0);
    }
}

/// First step at which service `s` deviates clearly from its warm-up range,
/// on any of its signals (pod signals included).
fn onsets(kind: FaultKind, target: &str) -> (World, BTreeMap<usize, usize>, Vec<Alert>) {
    const WARM: usize = 40;
    let mut w =
        World::new(9, START, vec![spec(kind, target, i64::try_from(WARM).unwrap_or(0) + 1, 10)]);
    let n = SERVICES.len();
    let mut hi = vec![[f64::MIN; 6]; n];
    let mut onset = BTreeMap::new();
    let mut seen = Vec::new();
    for step in 0..(WARM + 60) {
        let now_alerts = alerts_of(&w.step());
        let now = w.now();
        for (s, hi) in hi.iter_mut().enumerate() {
            let pods = &w.graph.pods[s];
            let pod_max =
                |m| pods.iter().map(|&p| w.physics.read(m, p, now)).fold(f64::MIN, f64::max);
            let v = [
                w.physics.read(Metric::LatencyP99, s, now),
                w.physics.read(Metric::ErrorRatio, s, now),
                pod_max(Metric::Cpu),
                pod_max(Metric::Memory),
                pod_max(Metric::Disk),
                -w.physics.read(Metric::CertDays, s, now),
            ];
            if step < WARM {
                for (h, x) in hi.iter_mut().zip(v) {
                    *h = h.max(x);
                }
                continue;
            }
            let margin = [hi[0] * 0.5, 0.02, 10.0, 8.0, 4.0, 20.0];
            if v.iter().zip(*hi).zip(margin).any(|((x, h), m)| *x > h + m) {
                onset.entry(s).or_insert(step);
            }
        }
        seen.extend(now_alerts);
    }
    (w, onset, seen)
}

#[test]
fn every_fault_kind_alerts_at_its_root_and_root_deviates_first() {
    let cases = [
        (FaultKind::SlowDatabase, "postgres"),
        (FaultKind::MemoryLeak, "cart"),
        (FaultKind::BadDeploy, "payments"),
        (FaultKind::DiskFilling, "elasticsearch"),
        (FaultKind::NetworkLoss, "redis"),
        (FaultKind::FlappingNoise, "catalog"),
        (FaultKind::CertExpiry, "inventory"),
        (FaultKind::CpuSaturation, "search"),
    ];
    for (kind, target) in cases {
        let (w, onset, alerts) = onsets(kind, target);
        let root = index_of(target).unwrap_or(usize::MAX);
        let truth = w.ground_truth();
        assert_eq!(truth.len(), 1);
        assert!(!truth[0].alerts.is_empty(), "{kind:?}: no alerts attributed");
        let near: BTreeSet<&str> = std::iter::once(target)
            .chain(w.graph.callers[root].iter().map(|&c| SERVICES[c].name))
            .collect();
        assert!(
            alerts.iter().any(|a| a.service().is_some_and(|s| near.contains(s))),
            "{kind:?}: no alert on or next to {target}"
        );
        assert_eq!(w.unattributed_alerts(), 0, "{kind:?}");
        let Some(&r) = onset.get(&root) else { panic!("{kind:?}: root never deviated") };
        for (&s, &t) in &onset {
            if s != root {
                assert!(r < t, "{kind:?}: {} deviated at {t}, root at {r}", SERVICES[s].name);
            }
        }
    }
}

#[test]
fn demo_first_alert_right_after_warmup_and_truth_covers_alerts() {
    let mut w = World::demo(7, START);
    let warm = i64::try_from(DEMO_WARMUP_STEPS).unwrap_or(0);
    let mut first: Option<UnixMs> = None;
    let mut occurrences: BTreeSet<(Fingerprint, UnixMs)> = BTreeSet::new();
    for _ in 0..(DEMO_WARMUP_STEPS + 4 * 240) {
        for a in alerts_of(&w.step()) {
            first = Some(first.map_or(a.starts_at, |f| f.min(a.starts_at)));
            occurrences.insert((a.fingerprint, a.starts_at));
        }
    }
    let Some(first) = first else { panic!("no alert in four hours") };
    assert!(first > START + warm * STEP_MS, "alert during warm-up");
    assert!(
        first <= START + (warm + 6) * STEP_MS,
        "first alert late: {}",
        (first - START) / STEP_MS
    );
    let truth = w.ground_truth();
    let attributed: BTreeSet<(Fingerprint, UnixMs)> =
        truth.iter().flat_map(|t| t.alerts.iter().cloned()).collect();
    let missing = occurrences.difference(&attributed).count();
    assert_eq!(missing, 0, "{missing} of {} alert occurrences unattributed", occurrences.len());
    assert_eq!(w.unattributed_alerts(), 0);
    let per_hour = truth.len() as f64 / 4.0;
    assert!((4.5..=8.5).contains(&per_hour), "{per_hour} faults per hour");
    let kinds: BTreeSet<&str> = truth.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds.len(), FaultKind::SCHEDULED.len());
    let silent: Vec<&str> =
        truth.iter().filter(|t| t.alerts.is_empty()).map(|t| t.id.as_str()).collect();
    assert!(silent.len() <= truth.len() / 5, "faults without alerts: {silent:?}");
}

#[test]
fn state_stays_bounded_over_a_long_run() {
    let mut w = World::demo(5, START);
    let mut peak = (0, 0, 0);
    for _ in 0..6_000 {
        w.step();
        peak.0 = peak.0.max(w.active.len());
        peak.1 = peak.1.max(w.upcoming.len());
        peak.2 = peak.2.max(w.physics.buffered());
    }
    assert!(peak.0 <= 4, "{peak:?}");
    assert!(peak.1 <= 12, "{peak:?}");
    assert!(peak.2 <= 200, "{peak:?}");
    assert!(w.truth.len() <= MAX_TRUTH_FAULTS);
    assert!(w.truth.iter().all(|t| t.alerts.len() <= MAX_TRUTH_ALERTS));
}

#[test]
fn node_failure_downs_every_pod_on_the_node_and_is_the_root() {
    let node = "node-shop-2";
    let mut w = World::new(3, START, vec![spec(FaultKind::NodeFailure, node, 41, 8)]);
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for _ in 0..(41 + 60) {
        for a in alerts_of(&w.step()) {
            let subject = a.labels.get("instance").or(a.labels.get("node")).map(str::to_string);
            seen.insert((a.name().to_string(), subject.unwrap_or_default()));
        }
    }
    let j = super::topology::node_of(node).unwrap_or(usize::MAX);
    let on_node: BTreeSet<String> =
        w.graph.instances.iter().filter(|i| i.node == j).map(|i| i.name.clone()).collect();
    assert!(on_node.len() >= 5, "{on_node:?}");
    for pod in &on_node {
        assert!(seen.contains(&("InstanceDown".to_string(), pod.clone())), "{pod}: {seen:?}");
    }
    assert!(seen.contains(&("NodeDown".to_string(), node.to_string())));
    assert!(seen.contains(&("KubeNodeNotReady".to_string(), node.to_string())));
    // Pods elsewhere keep answering.
    assert!(seen.iter().all(|(n, s)| n != "InstanceDown" || on_node.contains(s)), "{seen:?}");
    let truth = w.ground_truth();
    assert_eq!(truth.len(), 1);
    assert_eq!(truth[0].root_service, node);
    assert!(truth[0].alerts.len() > on_node.len());
    assert_eq!(w.unattributed_alerts(), 0);
    assert!(w.topology().callees("payments").any(|n| n.starts_with("node-shop-")));
}

#[test]
fn latency_and_errors_alert_per_instance_slo_per_service() {
    let mut w = World::new(4, START, vec![spec(FaultKind::SlowDatabase, "postgres", 41, 10)]);
    let mut per_pod: BTreeSet<String> = BTreeSet::new();
    let mut per_service: BTreeSet<String> = BTreeSet::new();
    for _ in 0..(41 + 50) {
        for a in alerts_of(&w.step()) {
            match a.name() {
                "HighLatency" | "InstanceHighErrorRate" => {
                    assert!(a.labels.contains_key("instance") && a.labels.contains_key("node"));
                    per_pod
                        .insert(a.labels.get("instance").map(str::to_string).unwrap_or_default());
                }
                "HighErrorRate" | "ServiceDown" => {
                    assert!(!a.labels.contains_key("instance"), "{:?}", a.labels);
                    per_service.insert(a.service().unwrap_or_default().to_string());
                }
                _ => {}
            }
        }
    }
    // Every pod of postgres' direct callers is slow, not just one per service.
    for caller in ["catalog", "payments", "inventory"] {
        let s = index_of(caller).unwrap_or(0);
        let pods = w.graph.pods[s].len();
        let slow = per_pod.iter().filter(|p| p.starts_with(&format!("{caller}-"))).count();
        assert_eq!(slow, pods, "{caller}: {per_pod:?}");
    }
    assert!(per_pod.len() > 2 * per_service.len(), "{per_pod:?} {per_service:?}");
    assert_eq!(w.unattributed_alerts(), 0);
}

/// The demo's sampled traces follow its call graph, its App services'
/// request lines name them, and a slow service's own spans turn slow
/// while its neighbours' barely move.
#[test]
fn traces_follow_the_call_graph_and_requests_name_them() {
    let spans_of = |out: &[Ingest]| -> Vec<crate::model::Span> {
        out.iter()
            .find_map(|i| match i {
                Ingest::Spans(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let mut w = World::new(7, START, vec![spec(FaultKind::SlowDatabase, "postgres", 40, 30)]);
    let mut before = Vec::new();
    let mut during = Vec::new();
    let mut named = 0usize;
    let mut lines = 0usize;
    for step in 0..120 {
        let out = w.step();
        let spans = spans_of(&out);
        let ids: BTreeSet<u128> = spans.iter().map(|s| s.trace.0).collect();
        if let Some(Ingest::Logs(l)) = out.iter().find(|i| matches!(i, Ingest::Logs(_))) {
            for r in l.iter().filter(|r| r.service.as_deref() == Some("checkout")) {
                lines += 1;
                named += usize::from(ids.iter().any(|t| r.line.contains(&format!("{t:032x}"))));
                assert_eq!(r.trace, crate::model::trace_in_line(&r.line));
            }
        }
        if step < 40 {
            before.extend(spans)
        } else if step >= 60 {
            during.extend(spans)
        }
    }
    let graph = crate::engine::spans::call_graph(before.iter());
    for (a, b) in [("ingress", "frontend"), ("frontend", "checkout"), ("checkout", "payments")] {
        assert!(graph.callees(a).any(|c| c == b), "{a} -> {b}");
    }
    assert!(!graph.callees("frontend").any(|c| c == "postgres"), "no call the world lacks");
    assert!(named > 0 && named < lines, "some of checkout's {lines} requests are sampled: {named}");
    let p90 = |spans: &[crate::model::Span], svc: &str| {
        let mut v: Vec<u64> =
            spans.iter().filter(|s| &*s.service == svc).map(|s| s.duration_us).collect();
        v.sort_unstable();
        assert!(v.len() > 20, "{svc}: {} spans", v.len());
        v[v.len() * 9 / 10]
    };
    #[allow(clippy::cast_precision_loss)]
    let ratio = |svc: &str| p90(&during, svc) as f64 / p90(&before, svc) as f64;
    assert!(ratio("postgres") > 3.0, "postgres {}", ratio("postgres"));
    assert!(ratio("auth") < 1.5, "auth {}", ratio("auth"));
}
