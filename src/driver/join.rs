//! Joins what engines know (rules, charts, learned call edges) to what
//! Alertmanager reports, before events reach the store: an alert gets its
//! rule's expression and chart, and an engine's own copy of an alert that
//! an Alertmanager also reports is dropped (Alertmanager knows silences
//! and inhibitions; the engine does not).
//!
//! The engine still has the last word on whether an alert's condition
//! holds: an alert it reported and no longer reports, its rule evaluated,
//! is over even while an Alertmanager still holds it (a restarted
//! Prometheus never sends the resolution; Alertmanager keeps the alert
//! until the `endsAt` of its last send, up to 4 resend delays later).
//! Such an alert is marked [`Alert::rule_ended`].

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::connectors::prometheus::rule_for;
use crate::connectors::{Chart, Event, RuleInfo};
use crate::model::{Alert, Fingerprint, SourceId, Topology, UnixMs};
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
    /// Per alert a rule engine reported: who reports it now and since
    /// when none does. Kept while an engine or an Alertmanager reports it.
    reported: HashMap<Fingerprint, Reporters>,
    engines: Vec<SourceId>,
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
                    for a in &mut alerts {
                        a.rule_ended = self.rule_ended(a);
                    }
                } else {
                    if !self.am_sources.is_empty() {
                        // Only an Alertmanager holds what an engine let go.
                        self.engine_poll(&source, at, &alerts);
                        self.restate(pipe);
                    }
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
            Event::Fired { source, alerts } => {
                if !self.am_sources.is_empty() {
                    self.engine_fired(&source, alerts);
                }
            }
        }
    }

    /// The index and bit of a rule engine (`None` beyond 64 engines: not judged).
    fn engine(&mut self, source: &SourceId) -> Option<(usize, u64)> {
        let engine = match self.engines.iter().position(|e| e == source) {
            Some(i) => i,
            None => {
                self.engines.push(source.clone());
                self.engines.len() - 1
            }
        };
        let bit = u32::try_from(engine).ok().and_then(|e| 1u64.checked_shl(e))?;
        Some((engine, bit))
    }

    /// Alerts an engine had firing before quell could see: as if it had
    /// reported them, so that its next poll's absence of them counts.
    fn engine_fired(&mut self, source: &SourceId, alerts: Vec<Fingerprint>) {
        let Some((engine, bit)) = self.engine(source) else { return };
        for fp in alerts {
            self.reported.entry(fp).or_insert(Reporters { now: bit, last: engine, omitted: None });
        }
    }

    /// Notes which alerts a rule engine's poll reports and which it no
    /// longer does. An unconfirmed stub (the engine failed a while ago and
    /// its absences are not trusted for a settling time) counts as absent:
    /// only an evaluated rule's absence ends an alert (see `rule_ended`),
    /// which is exactly what makes that absence trustworthy. With several
    /// engines (an HA pair polled as two sources) it ends when none reports
    /// it any more.
    fn engine_poll(&mut self, source: &SourceId, at: UnixMs, alerts: &[Alert]) {
        let Some((engine, bit)) = self.engine(source) else { return };
        let now: HashSet<&Fingerprint> =
            alerts.iter().filter(|a| !a.unconfirmed).map(|a| &a.fingerprint).collect();
        let am = &self.am_alerts;
        // Until every Alertmanager has answered, none can be said not to
        // hold an alert.
        let am_known = self.am_sources.iter().all(|s| am.contains_key(s));
        self.reported.retain(|fp, r| {
            if now.contains(fp) {
                return true;
            }
            if r.now & bit != 0 {
                r.now &= !bit;
                r.last = engine;
                if r.now == 0 {
                    r.omitted.get_or_insert(at);
                }
            }
            r.now != 0 || !am_known || am.values().any(|held| held.contains(fp))
        });
        for fp in now {
            let r = self.reported.entry(fp.clone()).or_default();
            r.now |= bit;
            r.omitted = None;
        }
    }

    /// The engine's word reaches the stored alerts at once, not at their
    /// Alertmanager's next poll.
    fn restate(&self, pipe: &mut Pipeline) {
        let changed: Vec<(Fingerprint, Option<UnixMs>)> = self
            .reported
            .keys()
            .filter_map(|fp| {
                let stored = &pipe.store().alert(fp)?.alert;
                let ended = self.rule_ended(stored);
                (!stored.rule_engine && ended != stored.rule_ended).then(|| (fp.clone(), ended))
            })
            .collect();
        for (fp, ended) in changed {
            pipe.set_rule_ended(&fp, ended);
        }
    }

    /// Since when `a`'s rule engine no longer reports it, if `a` is active,
    /// that engine reported it before, and its rule was evaluated.
    fn rule_ended(&self, a: &Alert) -> Option<UnixMs> {
        let r = self.reported.get(&a.fingerprint)?;
        let since = r.omitted?;
        let rules = self.rules.get(self.engines.get(r.last)?)?;
        let evaluated = rule_for(rules, &a.labels).is_some_and(|r| r.evaluated);
        (a.state.is_active() && evaluated).then_some(since)
    }
}

/// Which rule engines report an alert now (a bit per engine), the last
/// to stop, and since when none does.
#[derive(Debug, Default)]
struct Reporters {
    now: u64,
    last: usize,
    omitted: Option<UnixMs>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::RuleInfo;
    use crate::engine::EngineConfig;
    use crate::model::{AlertState, Labels, SeriesKey};
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

    fn rule(evaluated: bool) -> Event {
        rule_of("prom", evaluated)
    }

    fn rule_of(source: &str, evaluated: bool) -> Event {
        let rule = RuleInfo {
            name: "HostHighLoad".into(),
            labels: Labels::new(),
            query: "node_load1 >= 0".into(),
            evaluated,
        };
        Event::Rules { source: source.into(), rules: vec![rule] }
    }

    fn poll(source: &str, at: UnixMs, alerts: &[&Alert]) -> Event {
        let mut alerts: Vec<Alert> = alerts.iter().map(|a| (*a).clone()).collect();
        for a in &mut alerts {
            a.source = source.into();
            a.rule_engine = source.starts_with("prom");
        }
        Event::Ingest(Ingest::AlertPoll { source: source.into(), at, alerts })
    }

    #[test]
    fn an_alert_its_rule_engine_no_longer_reports_is_ending_while_alertmanager_holds_it() {
        let mut pipe =
            Pipeline::new(StoreLimits::default(), EngineConfig::default(), Topology::default());
        let mut join = Joiner::new(HashSet::from(["am".to_string()]), Topology::default());
        let (a, b) = (host_alert("host-a"), host_alert("host-b"));
        // host-b's alert comes from a rule engine quell does not poll.
        let mut steps = vec![rule(true), poll("prom", 1_000, &[&a]), poll("am", 2_000, &[&a, &b])];
        // Prometheus restarts: before its first evaluation it reports
        // nothing, and its rule is not evaluated yet. quell saw it fail, so
        // its connector sends a stub for a settling time (absence untrusted).
        let mut stub = Alert::new("", Labels::new(), AlertState::Firing, a.starts_at);
        stub.fingerprint = a.fingerprint.clone();
        stub.unconfirmed = true;
        steps.extend([rule(false), poll("prom", 3_000, &[&stub]), poll("am", 4_000, &[&a, &b])]);
        for ev in steps {
            join.apply(ev, &mut pipe);
        }
        let ended = |pipe: &Pipeline, x: &Alert| {
            pipe.store().alert(&x.fingerprint).and_then(|e| e.alert.rule_ended)
        };
        assert_eq!(ended(&pipe, &a), None, "a rule not evaluated says nothing");
        // Evaluated, its alert absent: the condition no longer holds, the
        // stub's caution is moot; it ends since it was first omitted.
        // Another engine's alert is none of its business.
        for ev in [rule(true), poll("prom", 5_000, &[&stub])] {
            join.apply(ev, &mut pipe);
        }
        assert_eq!(ended(&pipe, &a), Some(3_000), "at once, not at the next Alertmanager poll");
        join.apply(poll("am", 6_000, &[&a, &b]), &mut pipe);
        assert_eq!(ended(&pipe, &a), Some(3_000));
        assert_eq!(ended(&pipe, &b), None);
        let e = pipe.store().alert(&a.fingerprint).expect("held");
        assert_eq!(e.alert.state, AlertState::Firing, "Alertmanager still reports it");
        // The condition holds again: no longer ending, at once.
        join.apply(poll("prom", 7_000, &[&a]), &mut pipe);
        assert_eq!(ended(&pipe, &a), None);
        join.apply(poll("am", 8_000, &[&a, &b]), &mut pipe);
        assert_eq!(ended(&pipe, &a), None);
        // Over, then resolved at the Alertmanager: nothing is kept of it.
        for ev in [poll("prom", 9_000, &[]), poll("am", 10_000, &[&b]), poll("prom", 11_000, &[])] {
            join.apply(ev, &mut pipe);
        }
        assert!(join.reported.is_empty(), "{:?}", join.reported);
        let e = pipe.store().alert(&a.fingerprint).expect("kept as resolved");
        assert_eq!((e.alert.state, e.alert.rule_ended), (AlertState::Resolved, None));
    }

    #[test]
    fn with_a_pair_of_engines_an_alert_ends_when_neither_reports_it() {
        let mut pipe =
            Pipeline::new(StoreLimits::default(), EngineConfig::default(), Topology::default());
        let mut join = Joiner::new(HashSet::from(["am".to_string()]), Topology::default());
        let a = host_alert("host-a");
        let mut steps = vec![rule_of("prom-1", true), rule_of("prom-2", true)];
        steps.extend([poll("prom-1", 1_000, &[&a]), poll("prom-2", 1_500, &[&a])]);
        // The replica that reported it last no longer has it (near the
        // threshold, or restarted); the other still does.
        steps.extend([poll("prom-2", 2_000, &[]), poll("am", 3_000, &[&a])]);
        for ev in steps {
            join.apply(ev, &mut pipe);
        }
        let ended =
            |pipe: &Pipeline| pipe.store().alert(&a.fingerprint).and_then(|e| e.alert.rule_ended);
        assert_eq!(ended(&pipe), None, "one replica still reports it");
        for ev in [poll("prom-2", 4_000, &[]), poll("prom-1", 4_500, &[]), poll("am", 5_000, &[&a])]
        {
            join.apply(ev, &mut pipe);
        }
        assert_eq!(ended(&pipe), Some(4_500), "since the last one let it go");
    }

    #[test]
    fn an_alert_from_the_engines_own_record_counts_before_any_alertmanager_answered() {
        let mut pipe =
            Pipeline::new(StoreLimits::default(), EngineConfig::default(), Topology::default());
        let mut join = Joiner::new(HashSet::from(["am".to_string()]), Topology::default());
        let a = host_alert("host-a");
        // quell starts after Prometheus restarted: its record says it had
        // the alert firing; its first poll lists nothing, before the
        // Alertmanager's first answer.
        let fired = Event::Fired { source: "prom".into(), alerts: vec![a.fingerprint.clone()] };
        for ev in [rule(true), fired, poll("prom", 1_000, &[]), poll("am", 2_000, &[&a])] {
            join.apply(ev, &mut pipe);
        }
        let e = pipe.store().alert(&a.fingerprint).expect("held");
        assert_eq!(e.alert.rule_ended, Some(1_000));
    }
}
