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

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};

use super::correlate::Graph;
use crate::model::{Incident, IncidentId, IncidentState};
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

/// The correlator's numbered call graph (built once per topology) and the
/// visit marks of the walks, so the rule hashes nothing per step: a storm
/// pass asks it about every incident.
#[derive(Debug, Clone, Default)]
pub struct Siblings {
    graph: Arc<Graph>,
    /// Visit marks of the current walk (`mark` bumps per walk).
    seen: Vec<u32>,
    mark: u32,
}

impl Siblings {
    #[must_use]
    pub(crate) fn new(graph: Arc<Graph>) -> Self {
        Self { seen: vec![0; graph.len()], graph, mark: 0 }
    }

    /// Services `from` reaches along calls within `depth` hops (not itself).
    fn reach(&mut self, from: u32, depth: usize, out: &mut Vec<u32>) {
        out.clear();
        self.mark = self.mark.wrapping_add(1);
        if self.mark == 0 {
            self.seen.iter_mut().for_each(|m| *m = 0);
            self.mark = 1;
        }
        let mark = self.mark;
        if let Some(m) = self.seen.get_mut(from as usize) {
            *m = mark;
        }
        let mut frontier = vec![from];
        for _ in 0..depth {
            let mut next = Vec::new();
            for n in frontier {
                for &c in self.graph.next(n, true) {
                    if let Some(m) = self.seen.get_mut(c as usize)
                        && *m != mark
                    {
                        *m = mark;
                        out.push(c);
                        next.push(c);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
    }

    /// Merges for the incidents `touched` this pass (their alerts changed):
    /// each is tried as the one holding the dependency's alert. Open and
    /// quiet incidents only; `from` never holds an alert on the dependency
    /// itself (then the correlator relates them already).
    ///
    /// Walks start from each live incident's services (callee side), so
    /// a pass costs one short walk per incident plus the store lookups of
    /// the touched incidents' alerts.
    pub fn merges(
        &mut self,
        incidents: &[Arc<Incident>],
        touched: &HashSet<IncidentId>,
        store: &Store,
        cfg: &EngineConfig,
    ) -> Vec<SiblingMerge> {
        let window = cfg.group_window.as_ms();
        let depth = cfg.max_graph_distance;
        let live: Vec<&Arc<Incident>> =
            incidents.iter().filter(|i| i.state != IncidentState::Resolved).collect();
        if live.len() < 2 {
            return Vec::new();
        }
        // Services of touched incidents (their alerts' services) → incident.
        let mut alerting: HashMap<u32, usize> = HashMap::new();
        for (ai, a) in live.iter().enumerate().filter(|(_, a)| touched.contains(&a.id)) {
            for h in a.services.iter().filter_map(|s| self.graph.node(s)) {
                alerting.entry(h).or_insert(ai);
            }
        }
        if alerting.is_empty() {
            return Vec::new();
        }
        // When the dependency's first alert in that incident started (store
        // lookups only for the rare candidate pair).
        let first_alert = |a: &Incident, svc: &str| {
            a.alerts
                .iter()
                .filter_map(|fp| store.alert(fp))
                .filter(|e| e.service() == Some(svc))
                .map(|e| e.alert.starts_at)
                .min()
        };
        let mut out = Vec::new();
        let (mut first, mut other) = (Vec::new(), Vec::new());
        for (bi, b) in live.iter().enumerate() {
            let ids: Option<Vec<u32>> = b.services.iter().map(|s| self.graph.node(s)).collect();
            let Some(ids) = ids.filter(|v| !v.is_empty()) else { continue };
            self.reach(ids[0], depth, &mut first);
            let hit = first.iter().find_map(|&h| {
                let ai = *alerting.get(&h)?;
                if ai == bi || ids.contains(&h) {
                    return None;
                }
                let name = self.graph.name(h)?;
                let t_h = first_alert(live[ai], name)?;
                ((b.started_at - t_h).abs() <= window).then_some((h, ai))
            });
            let Some((h, ai)) = hit else { continue };
            let all_call = ids[1..].iter().all(|&s| {
                self.reach(s, depth, &mut other);
                other.contains(&h)
            });
            if all_call {
                let via = self.graph.name(h).unwrap_or_default().to_string();
                out.push(SiblingMerge { into: live[ai].id.clone(), from: b.id.clone(), via });
            }
        }
        // Never both ways round: the pair keeps the smaller id as its target.
        let pairs: Vec<(IncidentId, IncidentId)> =
            out.iter().map(|m| (m.into.clone(), m.from.clone())).collect();
        out.retain(|m| !pairs.iter().any(|(i, f)| *i == m.from && *f == m.into && *i < m.into));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::testutil::*;
    use crate::model::Topology;

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
