//! The demo world's alerting rules and their evaluator, with Prometheus
//! semantics: a condition must hold continuously for the rule's `for:` before
//! the alert fires (pending until then), and a firing alert resolves once the
//! value is back past the threshold by the rule's hysteresis.
//!
//! Owns the rule table, one evaluation slot per (rule, service or pod) fixed at
//! construction (so state never grows), and building `model::Alert`s. It reads
//! values through a closure and never looks at faults.

use crate::model::{Alert, AlertState, Fingerprint, Labels, SeriesKey, UnixMs};

use super::physics::Metric;
use super::signals::{Catalog, base_labels, node_labels};
use super::topology::{Graph, NODES, SERVICES};

/// Prometheus keeps a firing alert's `endsAt` this far in the future.
const LEASE_MS: i64 = 4 * 60_000;
const MINUTE: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Threshold {
    Fixed(f64),
    /// Per service, from its steady-state p99.
    LatencyBaseline,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub name: &'static str,
    pub severity: &'static str,
    pub metric: Metric,
    /// Fires when the value is above (true) or below (false) the threshold.
    pub above: bool,
    pub threshold: Threshold,
    /// How far back past the threshold the value must come to resolve.
    pub clear: f64,
    pub for_ms: i64,
    /// `{sel}` is the series selector, `{thr}` the threshold.
    pub expr: &'static str,
    pub what: &'static str,
    pub description: &'static str,
}

// A table row constructor: positional on purpose, so the table reads as one.
#[allow(clippy::too_many_arguments)]
const fn rule(
    name: &'static str,
    severity: &'static str,
    metric: Metric,
    above: bool,
    threshold: Threshold,
    clear: f64,
    for_ms: i64,
    texts: [&'static str; 3],
) -> Rule {
    Rule {
        name,
        severity,
        metric,
        above,
        threshold,
        clear,
        for_ms,
        expr: texts[0],
        what: texts[1],
        description: texts[2],
    }
}

use Threshold::{Fixed, LatencyBaseline};

#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    //   alertname, severity, metric, above?, threshold, hysteresis, for:, [expr, what, description]
    rule("HighErrorRate", "critical", Metric::ErrorRatio, true, Fixed(0.05), 0.01, MINUTE,
        ["{sel} > {thr}", "error ratio", "More than 5% of requests have failed for a minute."]),
    rule("ServiceDown", "critical", Metric::ErrorRatio, true, Fixed(0.5), 0.1, MINUTE,
        ["{sel} > {thr}", "error ratio", "Most requests fail: the service is effectively down."]),
    // Per instance from here on: the label sets exporters give (`instance`).
    rule("InstanceHighErrorRate", "warning", Metric::InstanceErrorRatio, true, Fixed(0.1), 0.02, 2 * MINUTE,
        ["{sel} > {thr}", "error ratio", "More than 10% of this instance's requests have failed for 2 minutes."]),
    rule("HighLatency", "warning", Metric::InstanceLatencyP99, true, LatencyBaseline, 0.0, 2 * MINUTE,
        ["{sel} > {thr}", "p99 latency", "This instance's p99 latency has been well above its usual level for 2 minutes."]),
    // The classic `up == 0`: the target stopped answering scrapes.
    rule("InstanceDown", "critical", Metric::Up, false, Fixed(0.5), 0.0, MINUTE,
        ["{sel} == 0", "up", "The instance has not answered a scrape for a minute."]),
    rule("CPUSaturated", "warning", Metric::Cpu, true, Fixed(90.0), 5.0, 2 * MINUTE,
        ["{sel} > {thr}", "CPU usage", "The pod has used over 90% of its CPU limit for 2 minutes; requests queue."]),
    // `for: 0` and no hysteresis, like the real CPUThrottlingHigh: it flaps.
    rule("CPUThrottlingHigh", "warning", Metric::Cpu, true, Fixed(85.0), 0.0, 0,
        ["{sel} > {thr}", "CPU usage", "The pod is being throttled by its CPU limit."]),
    rule("MemoryHigh", "warning", Metric::Memory, true, Fixed(85.0), 3.0, MINUTE,
        ["{sel} > {thr}", "memory usage", "The pod is close to its memory limit and will be OOM-killed."]),
    rule("PodOOMKilled", "warning", Metric::RecentRestarts, true, Fixed(0.5), 0.0, 0,
        ["increase({sel}[10m]) > 0", "OOM kills in 10m", "The container was OOM-killed and restarted."]),
    rule("DiskFillingUp", "warning", Metric::Disk, true, Fixed(85.0), 2.0, 5 * MINUTE,
        ["{sel} > {thr}", "volume usage", "The volume has been over 85% full for 5 minutes."]),
    rule("DiskWillFillIn1h", "critical", Metric::DiskIn1h, true, Fixed(100.0), 5.0, 2 * MINUTE,
        ["predict_linear({sel}[15m], 3600) > {thr}", "volume usage in 1h", "At the current rate the volume will be full within an hour."]),
    rule("CertificateExpiringSoon", "warning", Metric::CertDays, false, Fixed(7.0), 0.5, MINUTE,
        ["{sel} < {thr}", "certificate expires in", "The TLS certificate expires in under 7 days and was not renewed."]),
    rule("CertificateExpired", "critical", Metric::CertDays, false, Fixed(0.0), 0.0, 0,
        ["{sel} < {thr}", "certificate expires in", "The TLS certificate has expired; clients reject the handshake."]),
    // Per node: node-exporter unreachable, then the kubelet's Ready condition.
    rule("NodeDown", "critical", Metric::NodeUp, false, Fixed(0.5), 0.0, MINUTE,
        ["{sel} == 0", "node-exporter up", "The node's exporter has not answered a scrape for a minute."]),
    rule("KubeNodeNotReady", "critical", Metric::NodeReady, false, Fixed(0.5), 0.0, MINUTE,
        ["{sel} == 0", "Ready", "The node has not been Ready for a minute; its pods are being evicted."]),
];

/// One rule bound to one service or pod.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub rule: usize,
    /// Service index, or pod index for per-pod metrics.
    pub idx: usize,
    pub service: usize,
    pub threshold: f64,
    pub labels: Labels,
    pub fingerprint: Fingerprint,
    pub series: Option<SeriesKey>,
    pub expr: String,
    subject: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Slot {
    #[default]
    Inactive,
    Pending(UnixMs),
    Firing(UnixMs),
}

/// An alert that started firing this evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fired {
    pub fingerprint: Fingerprint,
    pub service: usize,
    pub starts_at: UnixMs,
}

#[derive(Debug, Clone)]
pub(crate) struct RuleEngine {
    bindings: Vec<Binding>,
    slots: Vec<Slot>,
}

/// A latency threshold a noisy baseline never reaches but a real slowdown does.
pub(crate) fn latency_threshold(base_p99: f64) -> f64 {
    let raw = (2.5 * base_p99).max(base_p99 + 0.05);
    // Two significant digits, as a human would write it in a rule file.
    let mag = 10f64.powf(raw.log10().floor() - 1.0);
    (raw / mag).ceil() * mag
}

impl RuleEngine {
    pub(crate) fn new(g: &Graph, catalog: &Catalog) -> Self {
        let mut bindings = Vec::new();
        for (r, rule) in RULES.iter().enumerate() {
            let subjects: Vec<(usize, usize, Option<usize>)> = if rule.metric.per_pod() {
                g.instances.iter().enumerate().map(|(p, i)| (p, i.service, Some(p))).collect()
            } else if rule.metric.per_node() {
                (0..NODES.len()).map(|j| (j, SERVICES.len() + j, None)).collect()
            } else {
                (0..SERVICES.len()).map(|s| (s, s, None)).collect()
            };
            for (idx, service, pod) in subjects {
                let threshold = match rule.threshold {
                    Fixed(x) => x,
                    LatencyBaseline => latency_threshold(g.base_p99[service]),
                };
                let node = rule.metric.per_node().then_some(idx);
                let mut labels = node.map_or_else(|| base_labels(g, service, pod), node_labels);
                labels.insert("alertname".into(), rule.name.into());
                labels.insert("severity".into(), rule.severity.into());
                let job = match (node, rule.metric) {
                    (Some(_), Metric::NodeUp) => "node-exporter",
                    (Some(_), _) => "kube-state-metrics",
                    (None, _) => SERVICES[service].name,
                };
                labels.insert("job".into(), job.into());
                let series = catalog.key_for(rule.metric, idx);
                let sel = series.as_ref().map_or("", SeriesKey::as_str);
                let expr =
                    rule.expr.replace("{sel}", sel).replace("{thr}", &format!("{threshold}"));
                let subject = match (pod.and_then(|p| g.instances.get(p)), node) {
                    (Some(i), _) => i.name.as_str(),
                    (None, Some(j)) => NODES[j].0,
                    (None, None) => SERVICES[service].name,
                };
                bindings.push(Binding {
                    rule: r,
                    idx,
                    service,
                    threshold,
                    fingerprint: Fingerprint::of_labels(&labels),
                    labels,
                    series,
                    expr,
                    subject: subject.to_string(),
                });
            }
        }
        let slots = vec![Slot::Inactive; bindings.len()];
        Self { bindings, slots }
    }

    #[cfg(test)]
    pub(crate) fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Evaluates every rule at `now`. Returns all firing alerts (the complete
    /// set) and those that started firing now.
    pub(crate) fn eval(
        &mut self,
        now: UnixMs,
        read: impl Fn(Metric, usize) -> f64,
    ) -> (Vec<Alert>, Vec<Fired>) {
        let mut firing = Vec::new();
        let mut fired = Vec::new();
        for (b, slot) in self.bindings.iter().zip(self.slots.iter_mut()) {
            let rule = &RULES[b.rule];
            let v = read(rule.metric, b.idx);
            let bad = if rule.above { v > b.threshold } else { v < b.threshold };
            let clear = if rule.above {
                v < b.threshold - rule.clear
            } else {
                v > b.threshold + rule.clear
            } || v.is_nan();
            *slot = match *slot {
                Slot::Firing(since) if !clear => Slot::Firing(since),
                Slot::Pending(since) if bad && now - since >= rule.for_ms => Slot::Firing(now),
                Slot::Pending(since) if bad => Slot::Pending(since),
                Slot::Inactive if bad && rule.for_ms <= 0 => Slot::Firing(now),
                Slot::Inactive if bad => Slot::Pending(now),
                _ => Slot::Inactive,
            };
            if let Slot::Firing(since) = *slot {
                if since == now {
                    fired.push(Fired {
                        fingerprint: b.fingerprint.clone(),
                        service: b.service,
                        starts_at: now,
                    });
                }
                firing.push(alert(b, rule, v, since, now));
            }
        }
        (firing, fired)
    }
}

fn alert(b: &Binding, rule: &Rule, v: f64, since: UnixMs, now: UnixMs) -> Alert {
    let cmp = if rule.above { ">" } else { "<" };
    let summary = format!(
        "{}: {} {} ({cmp} {})",
        b.subject,
        rule.what,
        format_value(rule.metric, v),
        format_value(rule.metric, b.threshold)
    );
    let mut annotations = Labels::new();
    annotations.insert("summary".into(), summary);
    annotations.insert("description".into(), rule.description.into());
    annotations.insert("runbook_url".into(), format!("https://runbooks.example.com/{}", rule.name));
    Alert {
        source: "demo".into(),
        fingerprint: b.fingerprint.clone(),
        labels: b.labels.clone(),
        annotations,
        state: AlertState::Firing,
        starts_at: since,
        ends_at: Some(now + LEASE_MS),
        updated_at: now,
        generator_url: Some(format!(
            "http://prometheus.demo:9090/graph?g0.expr={}",
            url_encode(&b.expr)
        )),
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        replicas: Vec::new(),
        expr: Some(b.expr.clone()),
        series: b.series.clone(),
        flaps: 0,
        unconfirmed: false,
        rule_engine: false,
        am_group: None,
        rule_ended: None,
    }
}

pub(crate) fn format_value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::ErrorRatio | Metric::InstanceErrorRatio => format!("{:.1}%", v * 100.0),
        Metric::LatencyP99 | Metric::InstanceLatencyP99 if v < 1.0 => {
            format!("{:.0}ms", v * 1000.0)
        }
        Metric::LatencyP99 | Metric::InstanceLatencyP99 => format!("{v:.2}s"),
        Metric::Cpu | Metric::Memory | Metric::Disk | Metric::DiskIn1h => format!("{v:.0}%"),
        Metric::CertDays if v.abs() < 1.0 => format!("{:.1}h", v * 24.0),
        Metric::CertDays => format!("{v:.1}d"),
        Metric::RequestRate => format!("{v:.1}req/s"),
        Metric::RecentRestarts | Metric::RestartsTotal => format!("{v:.0}"),
        Metric::Up | Metric::NodeUp | Metric::NodeReady => format!("{v:.0}"),
        Metric::NodeScrapeSeconds => format!("{v:.2}s"),
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn engine() -> (RuleEngine, Graph) {
        let g = Graph::new(1);
        let c = Catalog::new(&g);
        (RuleEngine::new(&g, &c), g)
    }

    /// Benign values everywhere except the error ratio of service 0.
    fn reader(err: &Cell<f64>) -> impl Fn(Metric, usize) -> f64 + '_ {
        move |m, idx| match m {
            Metric::ErrorRatio if idx == 0 => err.get(),
            Metric::CertDays => 60.0,
            Metric::Disk | Metric::DiskIn1h | Metric::Cpu | Metric::Memory => 40.0,
            Metric::Up | Metric::NodeUp | Metric::NodeReady => 1.0,
            _ => 0.0,
        }
    }

    #[test]
    fn for_duration_pending_then_firing_then_resolved() {
        let (mut e, _) = engine();
        let err = Cell::new(0.2);
        let read = reader(&err);
        let mut t = 0;
        let mut fired_at = None;
        for _ in 0..6 {
            t += 15_000;
            let (firing, fired) = e.eval(t, &read);
            if !fired.is_empty() && fired_at.is_none() {
                fired_at = Some(t);
            }
            // HighErrorRate has for: 1m, so nothing before 4 steps held.
            if t < 75_000 {
                assert!(firing.is_empty(), "fired too early at {t}");
            }
        }
        assert_eq!(fired_at, Some(75_000));
        let (firing, _) = e.eval(t + 15_000, &read);
        let a = firing.iter().find(|a| a.name() == "HighErrorRate");
        let Some(a) = a else { panic!("not firing") };
        assert_eq!(a.starts_at, 75_000);
        assert_eq!(a.ends_at, Some(t + 15_000 + LEASE_MS));
        assert!(a.summary().is_some_and(|s| s.contains("20.0%")), "{:?}", a.summary());
        assert!(a.series.is_some() && a.expr.as_deref().is_some_and(|x| x.contains("> 0.05")));
        // Inside the hysteresis band it keeps firing; below it, it resolves.
        err.set(0.045);
        assert!(!e.eval(t + 30_000, &read).0.is_empty());
        err.set(0.01);
        assert!(e.eval(t + 45_000, &read).0.is_empty());
    }

    #[test]
    fn pending_resets_when_condition_breaks() {
        let (mut e, _) = engine();
        let err = Cell::new(0.2);
        let read = reader(&err);
        for step in 1..=12 {
            // Bad for 3 steps out of every 4: never a full minute.
            err.set(if step % 4 == 0 { 0.0 } else { 0.2 });
            assert!(e.eval(step * 15_000, &read).0.is_empty(), "step {step}");
        }
    }

    #[test]
    fn thresholds_are_round_and_above_baseline() {
        assert!((latency_threshold(0.006) - 0.056).abs() < 1e-9);
        assert!((latency_threshold(0.4) - 1.0).abs() < 1e-9);
        let (e, g) = engine();
        for b in e.bindings().iter().filter(|b| RULES[b.rule].name == "HighLatency") {
            assert!(b.threshold > 2.0 * g.base_p99[b.service]);
        }
    }
}
