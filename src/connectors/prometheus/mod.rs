//! Prometheus-compatible engine connector (Prometheus, Thanos, Mimir,
//! VictoriaMetrics + vmalert): learns alerting rules' expressions, reads
//! firing alerts, charts each alert's expression around its start with
//! `query_range`, polls per-service golden-signal queries into series and
//! optionally learns topology edges from a query.
//!
//! Emits [`Event`]s only; the live driver joins rules and charts to
//! Alertmanager's alerts. Never touches UI state.

pub mod api;
pub mod external;
mod queries;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use super::settings::{PrometheusConfig, TopologyConfig};
use crate::model::{
    Alert, AlertState, Clock, Fingerprint, Labels, Signal, SourceHealth, SourceStatus, SystemClock,
    UnixMs,
};
use crate::store::Ingest;

use super::alertmanager::api::{parse_time, prometheus_fingerprint};
use super::alertmanager::merge::{ClusterAlerts, SETTLE_MS, Trust};
use super::alertmanager::{api_base, describe};
use super::http::{FetchError, Http, SetupError};
use super::poller::{Endpoint, Jitter};
use super::{Event, RuleInfo};
use api::{AlertsData, RulesData, decode};

/// Alerts charted per cycle at most (each is one `query_range`).
const MAX_CHARTS: usize = 50;
/// Points per chart.
const CHART_POINTS: i64 = 120;

#[derive(Debug)]
pub struct Engine {
    cfg: PrometheusConfig,
    topology: Option<TopologyConfig>,
    http: Http,
    endpoint: Endpoint,
    jitter: Jitter,
    /// Alerts shown, kept through outages like an Alertmanager cluster's.
    shown: ClusterAlerts,
    /// Labels Prometheus adds to what it sends an Alertmanager.
    external: external::External,
    /// Alert rules not evaluated yet (just after a restart), by name.
    unevaluated: HashSet<String>,
    /// The name of each alert published, while it matters: an absent
    /// alert of a rule not evaluated yet is not taken as resolved.
    names: HashMap<Fingerprint, String>,
}

impl Engine {
    /// `topology` is passed to the first engine only, when it has a query.
    ///
    /// # Errors
    /// Secrets or certificates named in the config cannot be read.
    pub fn new(
        cfg: PrometheusConfig,
        topology: Option<TopologyConfig>,
    ) -> Result<Self, SetupError> {
        let http = Http::new(&cfg.conn)?;
        let endpoint = Endpoint::new(cfg.url.clone(), Instant::now());
        let jitter = Jitter::seeded(&cfg.name);
        Ok(Self {
            cfg,
            topology,
            http,
            endpoint,
            jitter,
            shown: ClusterAlerts::default(),
            external: external::External::default(),
            unevaluated: HashSet::new(),
            names: HashMap::new(),
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub fn retry(&mut self) {
        self.endpoint.retry(Instant::now());
    }

    pub fn next_wait(&mut self) -> Duration {
        super::poller::next_wait(self.cfg.conn.interval.0, &mut self.jitter, [&self.endpoint])
    }

    fn base(&self) -> String {
        api_base(&self.cfg.url, &self.cfg.conn.base_path)
    }

    fn rules_base(&self) -> String {
        api_base(self.cfg.rules_url.as_deref().unwrap_or(&self.cfg.url), &self.cfg.conn.base_path)
    }

    /// One poll of rules, alerts, charts, signals and topology.
    pub async fn cycle(&mut self) -> Vec<Event> {
        let started = Instant::now();
        let now_ms = SystemClock.now();
        let mut events = Vec::new();
        if !self.endpoint.is_due(started) {
            events.push(Event::Ingest(Ingest::Health(self.health())));
            return events;
        }
        let mut warnings = Vec::new();
        let polled = self.poll(now_ms, &mut warnings, &mut events).await;
        // Every call of a cycle may repeat the same warning (Thanos does).
        let mut seen = BTreeSet::new();
        warnings.retain(|w| seen.insert(w.clone()));
        let grace = self.cfg.resolve_grace.as_ms();
        match polled {
            Ok(fresh) => {
                let was_failing = self.endpoint.is_failing();
                self.endpoint.succeeded(
                    Instant::now(),
                    now_ms,
                    started.elapsed(),
                    self.cfg.conn.slow_after.0,
                    warnings,
                );
                if was_failing {
                    self.shown.settling(&self.cfg.url, now_ms + SETTLE_MS.min(grace));
                }
                if self.cfg.alerts {
                    let settled = !self.shown.is_settling(&self.cfg.url, now_ms);
                    let trust = Trust {
                        trusted: vec![self.cfg.url.clone()],
                        all: settled,
                        grace_ms: grace,
                        unsure: self.unsure(&fresh),
                    };
                    let alerts = self.shown.settle(now_ms, fresh, &trust);
                    let source = self.cfg.name.clone();
                    events.push(Event::Ingest(Ingest::AlertPoll { source, at: now_ms, alerts }));
                }
            }
            Err(e) => {
                tracing::warn!(source = %self.cfg.name, "poll failed: {e}");
                self.endpoint.failed(Instant::now(), now_ms, &e, self.cfg.conn.interval.0);
            }
        }
        events.push(Event::Ingest(Ingest::Health(self.health())));
        events
    }

    /// The alerts absent from `fresh` whose rule was not evaluated yet
    /// (Prometheus restarted): their absence says nothing. Remembers the
    /// names of `fresh` for the next poll.
    fn unsure(&mut self, fresh: &[Alert]) -> HashSet<Fingerprint> {
        let present: HashSet<&Fingerprint> = fresh.iter().map(|a| &a.fingerprint).collect();
        let unsure: HashSet<Fingerprint> = self
            .names
            .iter()
            .filter(|(fp, name)| !present.contains(fp) && self.unevaluated.contains(*name))
            .map(|(fp, _)| fp.clone())
            .collect();
        self.names.retain(|fp, _| unsure.contains(fp));
        for a in fresh {
            self.names.insert(a.fingerprint.clone(), a.name().to_string());
        }
        unsure
    }

    /// Rules, charts, signals and topology into `events`; returns the
    /// engine's current alerts (published by `cycle` through the absence rule).
    async fn poll(
        &mut self,
        now: UnixMs,
        warnings: &mut Vec<String>,
        events: &mut Vec<Event>,
    ) -> Result<Vec<Alert>, FetchError> {
        let rb = self.rules_base();
        let body =
            self.http.get(&format!("{rb}/api/v1/rules"), &[("type", "alert".into())]).await?;
        // Read once it answers (never a second request to a failing
        // engine), and again after it failed: it may have restarted.
        let failing = self.endpoint.is_failing();
        if self.cfg.alerts && self.external.due(Instant::now(), failing) {
            self.read_external().await;
        }
        if self.cfg.alerts && (self.endpoint.is_starting() || failing) {
            if let Some(alerts) = self.fired_recently(now).await {
                events.push(Event::Fired { source: self.cfg.name.clone(), alerts });
            }
        }
        let (rules, w): (RulesData, _) = decode(&body)?;
        warnings.extend(w);
        let alerting =
            rules.groups.into_iter().flat_map(|g| g.rules).filter(|r| r.kind == "alerting");
        let mut unevaluated = HashSet::new();
        let rules: Vec<RuleInfo> = alerting
            .map(|r| {
                // "unknown" until its first evaluation (an engine too old
                // to say has no health at all: nothing is known then).
                if r.health == "unknown" {
                    unevaluated.insert(r.name.clone());
                }
                RuleInfo {
                    name: r.name,
                    labels: r.labels,
                    query: r.query,
                    evaluated: r.health == "ok",
                }
            })
            .collect();
        self.unevaluated = unevaluated;
        let body = self.http.get(&format!("{rb}/api/v1/alerts"), &[]).await?;
        let (data, w): (AlertsData, _) = decode(&body)?;
        warnings.extend(w);
        let mut alerts: Vec<Alert> = data
            .alerts
            .into_iter()
            .map(|mut a| {
                self.external.apply(&mut a.labels);
                self.to_alert(a, &rules, now)
            })
            .collect();
        let charts = self.chart(&mut alerts, now, warnings, events).await;
        events.push(Event::Rules { source: self.cfg.name.clone(), rules });
        events.push(Event::Charts(charts));
        self.signals(now, warnings, events).await;
        self.topology(warnings, events).await;
        Ok(alerts)
    }

    fn to_alert(&self, a: api::PromAlert, rules: &[RuleInfo], now: UnixMs) -> Alert {
        let state = if a.state == "firing" { AlertState::Firing } else { AlertState::Pending };
        let expr = rule_for(rules, &a.labels).map(|r| r.query.clone());
        Alert {
            source: self.cfg.name.clone(),
            fingerprint: prometheus_fingerprint(&a.labels),
            starts_at: parse_time(a.active_at.as_deref()).unwrap_or(now),
            labels: a.labels,
            annotations: a.annotations,
            state,
            ends_at: None,
            updated_at: now,
            generator_url: None,
            silenced_by: vec![],
            inhibited_by: vec![],
            replicas: vec![self.cfg.url.clone()],
            expr,
            series: None,
            flaps: 0,
            unconfirmed: false,
            rule_engine: true,
            am_group: None,
            rule_ended: None,
        }
    }

    #[must_use]
    pub fn health(&self) -> SourceHealth {
        let mut kind = String::from("prometheus");
        if self.cfg.conn.tls.insecure_skip_verify {
            kind.push_str(", INSECURE TLS (certificates not verified)");
        }
        let status = match &self.endpoint.status {
            SourceStatus::Partial { warnings } => {
                SourceStatus::Partial { warnings: warnings.iter().take(5).cloned().collect() }
            }
            s => s.clone(),
        };
        if !status.is_healthy() {
            tracing::debug!(source = %self.cfg.name, "{}", describe(&status));
        }
        SourceHealth {
            id: self.cfg.name.clone(),
            kind,
            status,
            last_ok: self.endpoint.last_ok,
            interval_ms: u64::try_from(self.cfg.conn.interval.as_ms()).unwrap_or(u64::MAX),
        }
    }
}

/// The rule an alert came from: same alertname, and the rule's own labels
/// all present on the alert.
#[must_use]
pub fn rule_for<'a>(rules: &'a [RuleInfo], labels: &Labels) -> Option<&'a RuleInfo> {
    let name = labels.get("alertname")?;
    rules.iter().find(|r| r.name == name && r.labels.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

#[must_use]
pub fn parse_signal(word: &str) -> Signal {
    match word {
        "request_rate" | "rate" => Signal::RequestRate,
        "error_ratio" | "errors" => Signal::ErrorRatio,
        "latency_p99" | "latency" => Signal::LatencyP99,
        "cpu" => Signal::Cpu,
        "memory" => Signal::Memory,
        "disk" => Signal::Disk,
        other => Signal::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_match_rules_by_name_and_rule_labels() {
        let mk = |pairs: &[(&str, &str)]| -> Labels {
            pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
        };
        let rules = vec![
            RuleInfo {
                name: "High".into(),
                labels: mk(&[("severity", "page")]),
                query: "a > 1".into(),
                evaluated: true,
            },
            RuleInfo {
                name: "High".into(),
                labels: mk(&[("severity", "warn")]),
                query: "a > 0".into(),
                evaluated: true,
            },
        ];
        let alert = mk(&[("alertname", "High"), ("severity", "warn"), ("job", "x")]);
        assert_eq!(rule_for(&rules, &alert).map(|r| r.query.as_str()), Some("a > 0"));
        assert!(rule_for(&rules, &mk(&[("alertname", "Other")])).is_none());
        assert_eq!(parse_signal("error_ratio"), Signal::ErrorRatio);
        assert_eq!(parse_signal("queue"), Signal::Other("queue".into()));
    }
}
