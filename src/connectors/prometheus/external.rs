//! Prometheus's external labels. Prometheus adds its
//! `global.external_labels` to every alert it sends to an Alertmanager
//! (where the alert lacks the label), but lists its alerts at
//! `/api/v1/alerts` without them. Setups that run more than one
//! Prometheus set them almost always (`cluster`, `prometheus`,
//! `prometheus_replica`: Thanos requires them). Without them the engine's
//! copy of an alert and the Alertmanager's have different label sets,
//! hence different fingerprints, and each alert would show twice: once
//! with its chart, once with its silences.
//!
//! Prometheus then applies its `alerting.alert_relabel_configs`:
//! kube-prometheus drops `prometheus_replica` there, so that the replicas'
//! alerts are one at the Alertmanager. Its label-name steps (`labeldrop`,
//! `labelkeep`) are followed too; steps that rewrite values are not.
//!
//! Both are read from `/api/v1/status/config`, whose `yaml` field is the
//! loaded configuration as Prometheus writes it back out (two-space
//! indentation, one `name: value` per line). Engines without that endpoint
//! (Thanos ruler, Mimir, vmalert) have none to learn here.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::model::Labels;

/// How often the configuration is read again (a reload can change it).
pub const REFRESH: Duration = Duration::from_secs(300);

/// `/api/v1/status/config`'s data.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfigData {
    pub yaml: String,
}

/// The external labels last read, and when.
#[derive(Debug, Default)]
pub struct External {
    pub labels: Labels,
    pub relabel: Relabel,
    read_at: Option<Instant>,
}

impl External {
    /// Whether to read the configuration now: never read, read longer
    /// than [`REFRESH`] ago, or the engine was failing until this answer
    /// (it may have been restarted with another configuration).
    #[must_use]
    pub fn due(&self, now: Instant, was_failing: bool) -> bool {
        was_failing || self.read_at.is_none_or(|t| now.duration_since(t) >= REFRESH)
    }

    /// The outcome of a read: what the configuration says (`None`: the
    /// engine did not say; what was known before stays). Read again after
    /// [`REFRESH`] either way.
    pub fn read(&mut self, now: Instant, read: Option<(Labels, Relabel)>) {
        if let Some((labels, relabel)) = read {
            self.labels = labels;
            self.relabel = relabel;
        }
        self.read_at = Some(now);
    }

    /// Adds the external labels `labels` lacks and drops the labels the
    /// alert relabelling drops, as Prometheus does to what it sends.
    pub fn apply(&self, labels: &mut Labels) {
        for (k, v) in &self.labels {
            if !labels.contains_key(k) {
                labels.insert(k.to_string(), v.to_string());
            }
        }
        if !self.relabel.drop.is_empty() || !self.relabel.keep.is_empty() {
            labels.retain(|k, _| self.relabel.keeps(k));
        }
    }
}

/// `global.external_labels` of a configuration as Prometheus writes it.
/// Anything it cannot read as a label (a nested value, an empty name)
/// is skipped.
#[must_use]
pub fn parse(yaml: &str) -> Labels {
    let mut out = Labels::new();
    for line in block(yaml, "global", "external_labels") {
        if let Some((k, v)) = line.trim().split_once(':') {
            let (k, v) = (unquote(k.trim()), unquote(v.trim()));
            if !k.is_empty() && !v.is_empty() {
                out.insert(k, v);
            }
        }
    }
    out
}

/// The label-name steps of `alerting.alert_relabel_configs`, which
/// Prometheus applies after adding the external labels (kube-prometheus
/// drops `prometheus_replica` so that replicas' alerts are one):
/// `labeldrop` and `labelkeep`, each regex anchored as Prometheus does.
/// Other actions rewrite values and are not followed; a regex this crate
/// cannot compile is skipped.
#[must_use]
pub fn parse_relabel(yaml: &str) -> Relabel {
    let mut out = Relabel::default();
    let mut items: Vec<Vec<(String, String)>> = Vec::new();
    for line in block(yaml, "alerting", "alert_relabel_configs") {
        let t = line.trim_start();
        let (item_start, kv) = match t.strip_prefix("- ") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if item_start || items.is_empty() {
            items.push(Vec::new());
        }
        if let (Some(item), Some((k, v))) = (items.last_mut(), kv.split_once(':')) {
            item.push((k.trim().to_string(), unquote(v.trim())));
        }
    }
    for item in items {
        let get = |key: &str| item.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let regex = get("regex").unwrap_or("(.*)");
        let Ok(re) = regex::Regex::new(&format!("^(?:{regex})$")) else { continue };
        match get("action") {
            Some("labeldrop") => out.drop.push(re),
            Some("labelkeep") => out.keep.push(re),
            _ => {}
        }
    }
    out
}

/// The lines of the block `key:` inside the top-level block `top:`.
fn block<'a>(yaml: &'a str, top: &str, key: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut in_top = false;
    let mut inner: Option<usize> = None;
    for line in yaml.lines() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            in_top = content.trim_end() == format!("{top}:");
            inner = None;
            continue;
        }
        if !in_top {
            continue;
        }
        match inner {
            // A list may sit at its key's own indentation (`- item`).
            Some(b) if indent > b || (indent == b && content.starts_with("- ")) => out.push(line),
            _ => inner = (content.trim_end() == format!("{key}:")).then_some(indent),
        }
    }
    out
}

/// Label-name relabelling of alerts (see [`parse_relabel`]).
#[derive(Debug, Default)]
pub struct Relabel {
    drop: Vec<regex::Regex>,
    keep: Vec<regex::Regex>,
}

impl Relabel {
    /// Whether a label of this name survives.
    #[must_use]
    pub fn keeps(&self, name: &str) -> bool {
        !self.drop.iter().any(|r| r.is_match(name)) && self.keep.iter().all(|r| r.is_match(name))
    }
}

/// A YAML scalar as written by a YAML encoder: plain, `'single'` (a quote
/// doubled inside) or `"double"` (backslash escapes).
fn unquote(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        }
        return out;
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "global:
  scrape_interval: 5s
  external_labels:
    cluster: eu1
    prometheus: 'monitoring/k8s'
    quoted: \"it's \\\"here\\\"\"
    single: 'it''s'
  evaluation_interval: 5s
alerting:
  alert_relabel_configs:
  - separator: ;
    regex: prometheus_replica|tmp_.*
    replacement: $1
    action: labeldrop
  - action: replace
    target_label: x
  alertmanagers:
  - static_configs:
    - targets:
      - 127.0.0.1:9093
scrape_configs:
- job_name: node
  relabel_configs:
  - external_labels:
      not: global
";

    #[test]
    fn external_labels_are_read_from_global_only() {
        let l = parse(CONFIG);
        let got: Vec<(&str, &str)> = l.iter().collect();
        assert_eq!(
            got,
            vec![
                ("cluster", "eu1"),
                ("prometheus", "monitoring/k8s"),
                ("quoted", "it's \"here\""),
                ("single", "it's"),
            ]
        );
        assert!(parse("global:\n  scrape_interval: 1m\n").is_empty());
        assert!(parse("").is_empty());
        assert!(parse("not yaml at all: [").is_empty());
    }

    #[test]
    fn alert_relabelling_keeps_its_label_name_steps() {
        let r = parse_relabel(CONFIG);
        assert!(!r.keeps("prometheus_replica") && !r.keeps("tmp_a") && r.keeps("instance"));
        let keep = "alerting:\n  alert_relabel_configs:\n  - action: labelkeep\n    regex: alertname|instance\n";
        let r = parse_relabel(keep);
        assert!(r.keeps("alertname") && !r.keeps("job"));
        assert!(parse_relabel("global:\n  scrape_interval: 1m\n").keeps("anything"));
        let bad = "alerting:\n  alert_relabel_configs:\n  - action: labeldrop\n    regex: '('\n";
        assert!(parse_relabel(bad).keeps("anything"), "an unreadable regex drops nothing");
    }

    #[test]
    fn an_alerts_own_label_wins_over_an_external_one() {
        let mut e = External::default();
        e.read(Instant::now(), Some((parse(CONFIG), parse_relabel(CONFIG))));
        let mut labels = Labels::new();
        labels.insert("alertname".into(), "HostDown".into());
        labels.insert("cluster".into(), "us2".into());
        labels.insert("tmp_x".into(), "1".into());
        labels.insert("prometheus_replica_set".into(), "kept: the regex is anchored".into());
        e.apply(&mut labels);
        assert_eq!(labels.get("cluster"), Some("us2"));
        assert_eq!(labels.get("prometheus"), Some("monitoring/k8s"));
        assert!(!labels.contains_key("tmp_x"), "dropped by the alert relabelling");
        assert_eq!(labels.len(), 6, "{labels:?}");
        // The engine did not say: what was known stays.
        e.read(Instant::now(), None);
        assert_eq!(e.labels.len(), 4);
    }

    #[test]
    fn read_again_after_a_while_or_a_failure() {
        let mut e = External::default();
        let t = Instant::now();
        assert!(e.due(t, false), "never read");
        e.read(t, None);
        assert!(!e.due(t + Duration::from_secs(10), false));
        assert!(e.due(t + Duration::from_secs(10), true), "after a failure");
        assert!(e.due(t + REFRESH, false));
    }
}
