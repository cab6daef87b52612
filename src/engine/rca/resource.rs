//! Which resource of a host an infrastructure alert is about (CPU, memory,
//! a disk's mountpoint, the target being down, its clock, its network),
//! and the evidence for it read from the alert's own series.
//!
//! A root cause that is a host says only "host-a"; a responder needs
//! "host-a · memory" and the number behind it. This names the resource from
//! the alert's rule expression (node_exporter metric names) and, failing
//! that, its alert name, the way the community rule sets name them. It does
//! not change scores: ranking stays in `rca`, which calls [`explain`] once
//! the causes are ranked.

use std::collections::BTreeMap;

use crate::model::rule::{comparison, unit_of};
use crate::model::{Alert, EntityKind, Evidence, RootCause, UnixMs, format_clock, place_of};
use crate::store::{AlertEntry, Store};

/// A host resource an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// The scrape target does not answer (`up == 0`): everything else about
    /// the host is unknown, so it leads.
    TargetDown,
    Cpu,
    Memory,
    /// A filesystem, by mountpoint when the alert names one.
    Disk(Option<String>),
    Network,
    Clock,
}

impl Resource {
    /// `memory`, `disk /var`, `target down`.
    #[must_use]
    pub fn word(&self) -> String {
        match self {
            Self::TargetDown => "target down".into(),
            Self::Cpu => "CPU".into(),
            Self::Memory => "memory".into(),
            Self::Disk(Some(m)) => format!("disk {m}"),
            Self::Disk(None) => "disk".into(),
            Self::Network => "network".into(),
            Self::Clock => "clock".into(),
        }
    }
}

/// The resource `alert` is about, from its expression, else its name;
/// `None` for alerts that are not about a host resource.
#[must_use]
pub fn resource_of(alert: &Alert) -> Option<Resource> {
    let mount = || {
        ["mountpoint", "mount", "device"]
            .iter()
            .find_map(|k| alert.labels.get(k).filter(|v| !v.is_empty()).map(str::to_string))
    };
    if let Some(expr) = alert.expr.as_deref() {
        let lhs = comparison(expr).map_or(expr, |c| c.lhs);
        let up = comparison(expr)
            .is_some_and(|c| c.threshold == Some(0.0) && metric_is(c.lhs, "up") && c.op == "==");
        if up {
            return Some(Resource::TargetDown);
        }
        let by_metric = [
            ("node_filesystem_", Resource::Disk(None)),
            ("node_disk_", Resource::Disk(None)),
            ("node_memory_", Resource::Memory),
            ("node_vmstat_oom", Resource::Memory),
            ("node_cpu_", Resource::Cpu),
            ("node_load", Resource::Cpu),
            ("node_pressure_cpu", Resource::Cpu),
            ("node_network_", Resource::Network),
            ("node_timex_", Resource::Clock),
            ("node_time_seconds", Resource::Clock),
        ];
        if let Some((_, r)) = by_metric.iter().find(|(m, _)| lhs.contains(m)) {
            return Some(match r {
                Resource::Disk(_) => Resource::Disk(mount()),
                other => other.clone(),
            });
        }
    }
    let name = alert.name().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["targetmissing", "targetdown", "instancedown", "exporterdown", "nodedown"]) {
        Some(Resource::TargetDown)
    } else if has(&["disk", "filesystem", "inode", "volume"]) {
        Some(Resource::Disk(mount()))
    } else if has(&["memory", "oom", "swap"]) {
        Some(Resource::Memory)
    } else if has(&["cpu", "load"]) {
        Some(Resource::Cpu)
    } else if has(&["network", "nic", "interface"]) {
        Some(Resource::Network)
    } else if has(&["clock", "ntp", "timeskew", "timeoffset"]) {
        Some(Resource::Clock)
    } else {
        None
    }
}

/// Whether `expr` is the bare metric `name`, with or without a selector.
fn metric_is(expr: &str, name: &str) -> bool {
    let e = expr.trim();
    e == name || e.strip_prefix(name).is_some_and(|rest| rest.trim_start().starts_with('{'))
}

/// `memory, disk /var`: the resources of `alerts`, each once, target down
/// first; `None` when none is about a host resource.
#[must_use]
pub fn summary<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> Option<String> {
    let mut found: Vec<Resource> = alerts.into_iter().filter_map(resource_of).collect();
    found.sort();
    found.dedup();
    (!found.is_empty()).then(|| found.iter().map(Resource::word).collect::<Vec<_>>().join(", "))
}

/// A cause as it reads: its entity, and when that is a host, the resources
/// its alerts (of `alerts`, usually the incident's) are about:
/// `host-a · memory, disk /var`.
/// Alerts without any entity label rank under `(unknown)` (see `rca`):
/// those read as their other labels, `cluster=eu-1, team=storage`.
#[must_use]
pub fn cause_label<'a>(entity: &str, alerts: impl IntoIterator<Item = &'a Alert>) -> String {
    let mut alerts = alerts.into_iter();
    if entity == NO_ENTITY {
        return alerts
            .find(|a| a.entity().is_none())
            .map_or_else(|| entity.to_string(), |a| place_of(None, &a.labels));
    }
    let on_host = alerts
        .filter(|a| a.entity().is_some_and(|e| e.name == entity && e.kind == EntityKind::Target));
    match summary(on_host) {
        Some(r) => format!("{entity} \u{00b7} {r}"),
        None => entity.to_string(),
    }
}

/// What `rca` names the cause of alerts that have no entity.
const NO_ENTITY: &str = crate::model::UNNAMED_ENTITY;

/// Evidence lines per cause kept by [`explain`] (the incident may have many
/// disks on one host).
const MAX_RESOURCE_LINES: usize = 4;
/// Longest expression quoted in an evidence line (characters).
const MAX_EXPR: usize = 40;

/// For every cause that is a host (its alerts' entity is a target), puts
/// one line per resource first: the alert, when it started, and its own
/// series' latest value against the rule's threshold. Also dates the
/// "N alert(s) on it" line at the cause's own first alert rather than the
/// incident's. Scores and order are untouched.
pub fn explain(causes: &mut [RootCause], alerts: &[&AlertEntry], store: &Store) {
    for rc in causes.iter_mut() {
        let own: Vec<&AlertEntry> =
            alerts.iter().copied().filter(|e| e.service() == Some(rc.service.as_str())).collect();
        let Some(first) = own.iter().map(|e| e.alert.starts_at).min() else {
            continue;
        };
        for ev in &mut rc.evidence {
            if ev.text.contains(" alert(s) on it: ") {
                ev.ts = first;
            }
        }
        if !own.iter().any(|e| e.is_target()) {
            continue;
        }
        // One line per resource: its earliest alert.
        let mut by_resource: BTreeMap<Resource, &AlertEntry> = BTreeMap::new();
        for e in own.iter().filter(|e| e.is_target()) {
            if let Some(r) = resource_of(&e.alert) {
                let slot = by_resource.entry(r).or_insert(e);
                if e.alert.starts_at < slot.alert.starts_at {
                    *slot = e;
                }
            }
        }
        let lines: Vec<Evidence> = by_resource
            .iter()
            .take(MAX_RESOURCE_LINES)
            .map(|(r, e)| Evidence { ts: e.alert.starts_at, text: line(r, &e.alert, store) })
            .collect();
        rc.evidence.splice(0..0, lines);
    }
}

/// `memory: HostOutOfMemory, node_memory_MemAvailable_bytes /
/// node_memory_MemTotal_bytes * 100 at 4.2% (fires < 10%)`.
fn line(r: &Resource, a: &Alert, store: &Store) -> String {
    // The line's own time stamp is the alert's start: not repeated here.
    let mut text = format!("{}: {}", r.word(), a.name());
    let Some(expr) = a.expr.as_deref() else {
        return text;
    };
    let cmp = comparison(expr);
    let lhs = cmp.map_or(expr, |c| c.lhs);
    let unit = unit_of(lhs);
    if let Some((ts, v)) = latest(a, store) {
        text.push_str(&format!(", {} at {}", cut(lhs), value(v, unit)));
        if ts < a.starts_at {
            text.push_str(&format!(" ({})", format_clock(ts)));
        }
    } else {
        text.push_str(&format!(", {}", cut(lhs)));
    }
    if let Some(c) = cmp {
        if let Some(t) = c.threshold {
            text.push_str(&format!(" (fires {} {})", c.op, value(t, unit)));
        }
    }
    text
}

/// The newest finite sample of the series that charts `a`.
fn latest(a: &Alert, store: &Store) -> Option<(UnixMs, f64)> {
    let s = store.series_by_key(a.series.as_ref()?)?;
    s.samples.iter().rev().find(|x| x.value.is_finite()).map(|x| (x.ts, x.value))
}

/// `87.3%`, `100%`, `0.042 s`, `2.5 GB`, `12k`: three figures at most.
fn value(v: f64, unit: &str) -> String {
    let a = v.abs();
    // (from, divisor, prefix): plain numbers up to 9999.
    let (v, prefix) = [(1e12, 1e12, "T"), (1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")]
        .iter()
        .find(|(from, _, _)| a >= *from)
        .map_or((v, ""), |(_, div, p)| (v / div, *p));
    let num = if v.abs() >= 99.95 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        // `4.0` reads `4`.
        let one = format!("{v:.1}");
        one.strip_suffix(".0").map_or(one.clone(), str::to_string)
    } else if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v:.3}")
    };
    match unit {
        "" => format!("{num}{prefix}"),
        "%" => format!("{num}{prefix}%"),
        u => format!("{num} {prefix}{u}"),
    }
}

/// The expression cut to [`MAX_EXPR`] characters, `…` marking the cut.
fn cut(expr: &str) -> String {
    let e = expr.split_whitespace().collect::<Vec<_>>().join(" ");
    if e.chars().count() <= MAX_EXPR {
        e
    } else {
        let mut s: String = e.chars().take(MAX_EXPR - 1).collect();
        s.push('\u{2026}');
        s
    }
}

#[cfg(test)]
mod tests;
