//! Joins what engines know (rules, charts, learned call edges) to what
//! Alertmanager reports, before events reach the store: an alert gets its
//! rule's expression and chart, and an engine's own copy of an alert that
//! an Alertmanager also reports is dropped (Alertmanager knows silences
//! and inhibitions; the engine does not).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::connectors::prometheus::rule_for;
use crate::connectors::{Chart, Event, RuleInfo};
use crate::model::{Fingerprint, SourceId, Topology};
use crate::pipeline::Pipeline;
use crate::store::Ingest;

/// Charts remembered at most; the table is cleared past this (charts of
/// alerts no longer firing go with it and come back with the next cycle).
const CHARTS_CAP: usize = 10_000;

#[derive(Debug, Default)]
pub struct Joiner {
    rules: BTreeMap<SourceId, Vec<RuleInfo>>,
    charts: HashMap<Fingerprint, Chart>,
    am_sources: HashSet<SourceId>,
    am_alerts: HashMap<SourceId, HashSet<Fingerprint>>,
    base_topology: Topology,
}

impl Joiner {
    /// `alertmanagers` names the sources whose alerts win; learned call
    /// edges are added to `base_topology`.
    #[must_use]
    pub fn new(alertmanagers: HashSet<SourceId>, base_topology: Topology) -> Self {
        Self { am_sources: alertmanagers, base_topology, ..Self::default() }
    }

    pub fn apply(&mut self, ev: Event, pipe: &mut Pipeline) {
        match ev {
            Event::Ingest(Ingest::AlertPoll { source, at, mut alerts }) => {
                if self.am_sources.contains(&source) {
                    self.am_alerts.insert(
                        source.clone(),
                        alerts.iter().map(|a| a.fingerprint.clone()).collect(),
                    );
                } else {
                    alerts.retain(|a| !self.am_alerts.values().any(|s| s.contains(&a.fingerprint)));
                }
                for a in &mut alerts {
                    if let Some(c) = self.charts.get(&a.fingerprint) {
                        a.expr.get_or_insert_with(|| c.expr.clone());
                        a.series.get_or_insert_with(|| c.series.clone());
                    }
                    if a.expr.is_none() {
                        a.expr = self
                            .rules
                            .values()
                            .find_map(|r| rule_for(r, &a.labels))
                            .map(|r| r.query.clone());
                    }
                }
                pipe.ingest(Ingest::AlertPoll { source, at, alerts });
            }
            Event::Ingest(other) => pipe.ingest(other),
            Event::Rules { source, rules } => {
                self.rules.insert(source, rules);
            }
            Event::Charts(charts) => {
                for c in charts {
                    // An alert an Alertmanager reported before this chart
                    // came shows it now, not a poll of its later.
                    pipe.attach_chart(&c.fingerprint, &c.expr, &c.series);
                    self.charts.insert(c.fingerprint.clone(), c);
                }
                if self.charts.len() > CHARTS_CAP {
                    self.charts.clear();
                }
            }
            Event::Topology(edges) => {
                let mut t = self.base_topology.clone();
                for (a, b) in &edges {
                    t.add_edge(a, b);
                }
                pipe.set_topology(t);
            }
            Event::GroundTruth(truth) => pipe.set_ground_truth(truth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::model::{Alert, AlertState, Labels, SeriesKey};
    use crate::store::StoreLimits;

    fn host_alert(host: &str) -> Alert {
        let mut labels = Labels::new();
        labels.insert("alertname".into(), "HostHighLoad".into());
        labels.insert("instance".into(), host.into());
        Alert::new("am", labels, AlertState::Firing, 1_700_000_000_000)
    }

    fn chart_of(a: &Alert) -> Chart {
        let mut labels = Labels::new();
        labels.insert("instance".into(), a.labels.get("instance").unwrap_or_default().into());
        Chart {
            fingerprint: a.fingerprint.clone(),
            expr: "node_load1 >= 0".into(),
            series: SeriesKey::of("node_load1", &labels),
        }
    }

    #[test]
    fn a_chart_reaches_an_alert_that_alertmanager_reported_first() {
        let mut pipe =
            Pipeline::new(StoreLimits::default(), EngineConfig::default(), Topology::default());
        let mut join = Joiner::new(HashSet::from(["am".to_string()]), Topology::default());
        let (a, b) = (host_alert("host-a"), host_alert("host-b"));
        let at = a.starts_at;
        // Alertmanager's poll lands before the rule engine's, which charts
        // host-a's alert and a third alert no one reported yet.
        let poll = vec![a.clone(), b.clone()];
        join.apply(
            Event::Ingest(Ingest::AlertPoll { source: "am".into(), at, alerts: poll }),
            &mut pipe,
        );
        let unknown = chart_of(&host_alert("host-c"));
        join.apply(Event::Charts(vec![chart_of(&a), unknown.clone()]), &mut pipe);
        let stored = |pipe: &Pipeline, fp| pipe.store().alert(fp).map(|e| e.alert.clone());
        let charted = stored(&pipe, &a.fingerprint).expect("host-a stored");
        assert_eq!(charted.series, Some(chart_of(&a).series), "charted at once");
        assert_eq!(charted.expr.as_deref(), Some("node_load1 >= 0"));
        let plain = stored(&pipe, &b.fingerprint).expect("host-b stored");
        assert_eq!((plain.series, plain.expr), (None, None), "no chart of its own");
        assert!(stored(&pipe, &unknown.fingerprint).is_none(), "a chart creates no alert");
        // The next poll keeps the chart.
        let poll = vec![a.clone(), b.clone()];
        join.apply(
            Event::Ingest(Ingest::AlertPoll { source: "am".into(), at, alerts: poll }),
            &mut pipe,
        );
        assert_eq!(stored(&pipe, &a.fingerprint).and_then(|x| x.series), Some(chart_of(&a).series));
    }
}
