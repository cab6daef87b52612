//! The engine's queries besides its alerts: each alert's chart
//! (`query_range` of the rule's left-hand side), its external labels,
//! the per-service signal queries and the topology query.

use std::collections::BTreeSet;
use std::time::Instant;

use super::api::{QueryData, decode};
use super::{CHART_POINTS, Engine, MAX_CHARTS, external, parse_signal};
use crate::connectors::alertmanager::api::prometheus_fingerprint;
use crate::connectors::http::FetchError;
use crate::connectors::{Chart, Event};
use crate::model::{Alert, Fingerprint, Labels, SeriesKey, SeriesMeta, Signal, UnixMs};
use crate::store::Ingest;

/// How far back [`Engine::fired_recently`] looks.
const FIRED_WINDOW: &str = "10m";

impl Engine {
    /// Charts each firing alert's expression (the left-hand side of a
    /// comparison rule) from `chart_window` before its start until now;
    /// sets `Alert.series` to the stored series.
    pub(super) async fn chart(
        &self,
        alerts: &mut [Alert],
        now: UnixMs,
        warnings: &mut Vec<String>,
        events: &mut Vec<Event>,
    ) -> Vec<Chart> {
        let mut charts = Vec::new();
        let window = self.cfg.chart_window.as_ms();
        for a in alerts.iter_mut().filter(|a| a.expr.is_some()).take(MAX_CHARTS) {
            let Some(expr) = a.expr.clone() else { continue };
            // A comparison rule returns only the points past its threshold:
            // chart what it compares, so the build-up shows.
            let charted = crate::model::rule::comparison(&expr).map_or(expr.as_str(), |c| c.lhs);
            let start = a.starts_at.saturating_sub(window).min(now - 60_000);
            let Ok(result) = self.range(charted, start, now, warnings).await else { continue };
            let pick = result
                .result
                .iter()
                .find(|s| {
                    s.metric.iter().all(|(k, v)| k == "__name__" || a.labels.get(k) == Some(v))
                })
                .or_else(|| (result.result.len() == 1).then(|| &result.result[0]));
            let Some(series) = pick else { continue };
            let key = SeriesKey::of(charted, &series.metric);
            let meta = SeriesMeta {
                labels: series.metric.clone(),
                service: a.service().map(str::to_string),
                signal: Signal::Other("alert expression".into()),
                unit: crate::model::rule::unit_of(charted).to_string(),
            };
            events.push(Event::Ingest(Ingest::Samples {
                key: key.clone(),
                meta,
                samples: series.samples(),
            }));
            a.series = Some(key.clone());
            charts.push(Chart { fingerprint: a.fingerprint.clone(), expr, series: key });
        }
        charts
    }

    /// The alerts this engine had firing in the last [`FIRED_WINDOW`]
    /// (longer than an Alertmanager holds an alert that was not sent
    /// again: 4 resend delays, 4 minutes by default), as fingerprints of
    /// what it sends. `None` when it cannot say (no `ALERTS` series).
    pub(super) async fn fired_recently(&self, now: UnixMs) -> Option<Vec<Fingerprint>> {
        let q = [
            ("query", format!("max_over_time(ALERTS{{alertstate=\"firing\"}}[{FIRED_WINDOW}])")),
            ("time", format!("{:.3}", now as f64 / 1000.0)),
        ];
        let url = format!("{}/api/v1/query", self.base());
        let body = self.http.get(&url, &q).await.ok()?;
        let (data, _) = decode::<QueryData>(&body).ok()?;
        let fps = data.result.into_iter().map(|s| {
            let mut labels = s.metric;
            labels.remove("__name__");
            labels.remove("alertstate");
            self.external.apply(&mut labels);
            prometheus_fingerprint(&labels)
        });
        Some(fps.collect())
    }

    /// Reads Prometheus's external labels. An engine that does not say
    /// (no `/api/v1/status/config`: Thanos ruler, Mimir, vmalert) or
    /// fails to keeps what was known, asked again after a while.
    pub(super) async fn read_external(&mut self) {
        let url = format!("{}/api/v1/status/config", self.base());
        let data = match self.http.get(&url, &[]).await {
            Ok(body) => decode::<external::ConfigData>(&body).map(|(d, _)| d),
            Err(e) => Err(e),
        };
        let read = match data {
            Ok(d) => Some((external::parse(&d.yaml), external::parse_relabel(&d.yaml))),
            Err(e) => {
                tracing::debug!(source = %self.cfg.name, "external labels not read: {e}");
                None
            }
        };
        self.external.read(Instant::now(), read);
    }

    async fn range(
        &self,
        query: &str,
        start: UnixMs,
        end: UnixMs,
        warnings: &mut Vec<String>,
    ) -> Result<QueryData, FetchError> {
        let step = ((end - start) / CHART_POINTS).max(1_000);
        let q = [
            ("query", query.to_string()),
            ("start", format!("{:.3}", start as f64 / 1000.0)),
            ("end", format!("{:.3}", end as f64 / 1000.0)),
            ("step", format!("{}s", step / 1000)),
        ];
        let r = self.http.get(&format!("{}/api/v1/query_range", self.base()), &q).await;
        let body = r.inspect_err(|e| warnings.push(format!("query_range: {e}")))?;
        let (data, w) = decode::<QueryData>(&body)
            .inspect_err(|e| warnings.push(format!("query_range: {e}")))?;
        warnings.extend(w);
        Ok(data)
    }

    pub(super) async fn signals(
        &self,
        now: UnixMs,
        warnings: &mut Vec<String>,
        events: &mut Vec<Event>,
    ) {
        let window = self.cfg.chart_window.as_ms();
        for s in &self.cfg.signals {
            let Ok(data) = self.range(&s.query, now - window, now, warnings).await else {
                continue;
            };
            let Some(first) = data.result.first() else { continue };
            let signal = parse_signal(&s.signal);
            let mut labels = Labels::new();
            labels.insert("service".into(), s.service.clone());
            labels.insert("signal".into(), s.signal.clone());
            let key = SeriesKey::of("quell:signal", &labels);
            let meta = SeriesMeta {
                labels,
                service: Some(s.service.clone()),
                signal,
                unit: s.unit.clone(),
            };
            events.push(Event::Ingest(Ingest::Samples { key, meta, samples: first.samples() }));
        }
    }

    pub(super) async fn topology(&self, warnings: &mut Vec<String>, events: &mut Vec<Event>) {
        let Some(t) = &self.topology else { return };
        let Some(query) = &t.query else { return };
        let body = match self
            .http
            .get(&format!("{}/api/v1/query", self.base()), &[("query", query.clone())])
            .await
        {
            Ok(b) => b,
            Err(e) => return warnings.push(format!("topology query: {e}")),
        };
        let Ok((data, _)) = decode::<QueryData>(&body) else {
            return warnings.push("topology query: unexpected answer".into());
        };
        let edges: BTreeSet<(String, String)> = data
            .result
            .iter()
            .filter_map(|s| {
                Some((
                    s.metric.get(&t.caller_label)?.to_string(),
                    s.metric.get(&t.callee_label)?.to_string(),
                ))
            })
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .collect();
        events.push(Event::Topology(edges.into_iter().collect()));
    }
}
