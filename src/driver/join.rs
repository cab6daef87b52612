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
