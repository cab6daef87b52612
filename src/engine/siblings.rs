//! Callers of one failing dependency are one problem: when an alert on a
//! service H sits in incident A, every other open incident B that began
//! within `group_window` of that alert and whose services all call H
//! (within `max_graph_distance` hops) is merged into A.
//!
//! The correlator relates alerts along calls but not siblings (two callers
//! of one database do not call each other), so when the callers alert
//! before the dependency does — service-level error SLOs usually fire
//! before the database's own latency rule — each caller opens an incident
//! and the dependency's alert later joins only one of them. This rule finds
//! those and hands them to the regrouper as decisions (`by` names quell and
//! the shared dependency), so they hold like the operator's and can be
//! split again by hand. Pure: incidents, store, topology in; pairs out.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::HashSet;

use crate::model::{Incident, IncidentId, IncidentState, Topology, UnixMs};
use crate::store::Store;

use super::EngineConfig;

/// One merge the rule asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiblingMerge {
    pub into: IncidentId,
    pub from: IncidentId,
    /// The dependency every service of `from` calls.
    pub via: String,
}

/// Merges for the incidents `touched` this pass (their alerts changed):
/// each touched incident is tried as the one holding the dependency's
/// alert. Open and quiet incidents only; `from` never holds an alert on
/// the dependency itself (then the correlator relates them already).
#[must_use]
pub fn merges(
    incidents: &[Arc<Incident>],
    touched: &HashSet<IncidentId>,
    store: &Store,
    topo: &Topology,
    cfg: &EngineConfig,
) -> Vec<SiblingMerge> {
    let window = cfg.group_window.as_ms();
    let live: Vec<&Arc<Incident>> =
        incidents.iter().filter(|i| i.state != IncidentState::Resolved).collect();
    let mut out = Vec::new();
    for a in live.iter().filter(|a| touched.contains(&a.id)) {
        // Each service of A with its earliest alert start.
        let mut first: BTreeMap<&str, UnixMs> = BTreeMap::new();
        for e in a.alerts.iter().filter_map(|fp| store.alert(fp)) {
            let Some(svc) = e.alert.service() else { continue };
            let t = first.entry(svc).or_insert(e.alert.starts_at);
            *t = (*t).min(e.alert.starts_at);
        }
        for (&h, &t_h) in &first {
            let callers = topo.dependents(h, cfg.max_graph_distance);
            if callers.is_empty() {
                continue;
            }
            for b in &live {
                let related = b.id != a.id
                    && (b.started_at - t_h).abs() <= window
                    && !b.services.is_empty()
                    && b.services.iter().all(|s| callers.contains_key(s))
                    && !b.services.iter().any(|s| s == h);
                if related && !out.iter().any(|m: &SiblingMerge| m.from == b.id) {
                    out.push(SiblingMerge {
                        into: a.id.clone(),
                        from: b.id.clone(),
                        via: h.to_string(),
                    });
                }
            }
        }
    }
    // Never both ways round: the pair keeps the smaller id as its target.
    let pairs: Vec<(IncidentId, IncidentId)> =
        out.iter().map(|m| (m.into.clone(), m.from.clone())).collect();
    out.retain(|m| !pairs.iter().any(|(i, f)| *i == m.from && *f == m.into && *i < m.into));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::testutil::*;

    /// A hub and two callers that do not call each other.
    fn topo() -> Topology {
        Topology::from_edges([
            ("cart", "redis"),
            ("checkout", "redis"),
            ("frontend", "cart"),
            ("reports", "warehouse"),
        ])
    }

    #[test]
    fn callers_that_alerted_first_join_the_incident_of_their_dependency() {
        let mut s = store();
        let mut e = Engine::new(EngineConfig::default(), topo());
        // The callers' error SLOs fire first, in two incidents (siblings).
        let cart = alert("HighErrorRate", "cart", "critical", at(100));
        let checkout = alert("HighErrorRate", "checkout", "critical", at(101));
        poll(&mut s, at(101), vec![cart.clone(), checkout.clone()]);
        assert_eq!(e.update(&s, at(101)).len(), 2, "siblings are not related by calls");
        // Then redis itself alerts: everything is one incident.
        let redis = alert("HighLatency", "redis", "warning", at(105));
        let wh = alert("DiskFull", "warehouse", "warning", at(105));
        poll(&mut s, at(105), vec![cart, checkout, redis, wh]);
        let incs = e.update(&s, at(105));
        assert_eq!(incs.len(), 2, "{incs:#?}");
        let big = incs.iter().find(|i| i.alerts.len() == 3).expect("one incident of three");
        assert!(big.services.iter().any(|s| s == "redis"));
        assert!(
            big.timeline.iter().any(|t| t.text.contains("all call redis")),
            "the timeline says why: {:#?}",
            big.timeline
        );
        let other = incs.iter().find(|i| i.alerts.len() == 1).unwrap();
        assert_eq!(other.services, ["warehouse"], "an unrelated fault stays apart");
    }

    #[test]
    fn a_caller_that_alerted_long_before_stays_apart() {
        let mut s = store();
        let mut e = Engine::new(EngineConfig::default(), topo());
        let cart = alert("HighErrorRate", "cart", "critical", at(10));
        poll(&mut s, at(10), vec![cart.clone()]);
        e.update(&s, at(10));
        let checkout = alert("HighErrorRate", "checkout", "critical", at(100));
        let redis = alert("HighLatency", "redis", "warning", at(101));
        poll(&mut s, at(101), vec![cart, checkout, redis]);
        let incs = e.update(&s, at(101));
        assert_eq!(incs.len(), 2, "cart's older problem is its own: {incs:#?}");
    }
}
