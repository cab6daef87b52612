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
//! They are read from `/api/v1/status/config`, whose `yaml` field is the
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

    /// The outcome of a read: the labels found (none in a configuration
    /// without them; what was known before when the engine did not say).
    /// Read again after [`REFRESH`] either way.
    pub fn read(&mut self, now: Instant, labels: Labels) {
        self.labels = labels;
        self.read_at = Some(now);
    }

    /// Adds the external labels `labels` lacks, as Prometheus does to
    /// what it sends.
    pub fn apply(&self, labels: &mut Labels) {
        for (k, v) in &self.labels {
            if !labels.contains_key(k) {
                labels.insert(k.to_string(), v.to_string());
            }
        }
    }
}

/// `global.external_labels` of a configuration as Prometheus writes it.
/// Anything it cannot read as a label (a nested value, an empty name)
/// is skipped.
#[must_use]
pub fn parse(yaml: &str) -> Labels {
    let mut out = Labels::new();
    let mut in_global = false;
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            in_global = content.trim_end() == "global:";
            block = None;
            continue;
        }
        if !in_global {
            continue;
        }
        match block {
            Some(b) if indent > b => {
                if let Some((k, v)) = content.split_once(':') {
                    let (k, v) = (unquote(k.trim()), unquote(v.trim()));
                    if !k.is_empty() && !v.is_empty() {
                        out.insert(k, v);
                    }
                }
            }
            _ => {
                block = (content.trim_end() == "external_labels:").then_some(indent);
            }
        }
    }
    out
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
    fn an_alerts_own_label_wins_over_an_external_one() {
        let mut e = External::default();
        e.read(Instant::now(), parse(CONFIG));
        let mut labels = Labels::new();
        labels.insert("alertname".into(), "HostDown".into());
        labels.insert("cluster".into(), "us2".into());
        e.apply(&mut labels);
        assert_eq!(labels.get("cluster"), Some("us2"));
        assert_eq!(labels.get("prometheus"), Some("monitoring/k8s"));
        assert_eq!(labels.len(), 5);
    }

    #[test]
    fn read_again_after_a_while_or_a_failure() {
        let mut e = External::default();
        let t = Instant::now();
        assert!(e.due(t, false), "never read");
        e.read(t, Labels::new());
        assert!(!e.due(t + Duration::from_secs(10), false));
        assert!(e.due(t + Duration::from_secs(10), true), "after a failure");
        assert!(e.due(t + REFRESH, false));
    }
}
