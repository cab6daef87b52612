//! The topology as the correlator walks it: services numbered, calls as
//! integer adjacency lists, and each service's neighbourhood (services
//! within `max_graph_distance` calls, either direction) worked out once and
//! kept across passes for as long as the topology's revision is the same.

use std::sync::Arc;

use foldhash::HashMap;

use crate::model::Topology;

use super::Svc;

/// `state` value: not looked at since the topology last changed.
const UNASKED: u32 = u32::MAX;
/// `state` value: the topology does not know the service.
const UNKNOWN: u32 = u32::MAX - 1;

/// Calls by node number; nodes are the topology's services in name order,
/// so ordering nodes orders names. Built once per topology revision (when
/// the engine is given the topology) and shared by the correlator and
/// `engine::siblings`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// The topology revision it was built from.
    revision: Option<u64>,
    names: Vec<String>,
    /// `callees[callee_at[n]..callee_at[n + 1]]` are the callees of node `n`.
    callee_at: Vec<u32>,
    callees: Vec<u32>,
    caller_at: Vec<u32>,
    callers: Vec<u32>,
}

impl Graph {
    pub(crate) fn build(topo: &Topology) -> Self {
        let names: Vec<String> = topo.services().map(str::to_string).collect();
        let number: HashMap<&str, u32> =
            names.iter().enumerate().map(|(i, n)| (n.as_str(), to_u32(i))).collect();
        let node = |s: &str| number.get(s).copied();
        let mut g = Self { revision: Some(topo.revision()), ..Self::default() };
        g.callee_at.push(0);
        let mut calls: Vec<(u32, u32)> = Vec::new();
        for (caller, callees) in topo.callee_lists() {
            let from = node(caller);
            for to in callees.filter_map(node) {
                g.callees.push(to);
                if let Some(from) = from {
                    calls.push((to, from));
                }
            }
            g.callee_at.push(to_u32(g.callees.len()));
        }
        // Callers are the calls reversed: grouped by callee, callers in
        // name order.
        calls.sort_unstable();
        g.caller_at.push(0);
        let mut at = 0;
        for n in 0..names.len() {
            while calls.get(at).is_some_and(|&(to, _)| to as usize == n) {
                at += 1;
            }
            g.caller_at.push(to_u32(at));
        }
        g.callers = calls.into_iter().map(|(_, from)| from).collect();
        drop(number);
        g.names = names;
        g
    }

    /// Whether it was built from this revision of the topology.
    pub(crate) fn is_for(&self, topo: &Topology) -> bool {
        self.revision == Some(topo.revision())
    }

    pub(crate) fn node(&self, name: &str) -> Option<u32> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok().map(to_u32)
    }

    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, n: u32) -> Option<&str> {
        self.names.get(n as usize).map(String::as_str)
    }

    /// Callees (`down`) or callers of node `n`.
    pub(crate) fn next(&self, n: u32, down: bool) -> &[u32] {
        let (at, to) =
            if down { (&self.callee_at, &self.callees) } else { (&self.caller_at, &self.callers) };
        let i = n as usize;
        match (at.get(i), at.get(i + 1)) {
            (Some(&a), Some(&b)) => to.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Neighbourhoods of services, by service number, for one topology revision.
#[derive(Debug, Clone, Default)]
pub(super) struct Hoods {
    graph: Arc<Graph>,
    /// Per service number: `UNASKED`, `UNKNOWN`, or an index into `spans`.
    state: Vec<u32>,
    /// (start, length) in `arena` of one neighbourhood.
    spans: Vec<(u32, u32)>,
    /// Every neighbourhood's (service, distance) pairs, nearest first, then
    /// by name.
    arena: Vec<(Svc, usize)>,
    /// Per node: its service number, or `UNASKED` (each node's name is
    /// interned once, not once per neighbourhood it is in).
    node_svc: Vec<Svc>,
    /// Scratch for the walks: the walk that last reached each node.
    seen: Vec<u32>,
    walk: u32,
}

impl Hoods {
    /// Starts over on `graph` unless it is the one in use.
    pub(super) fn use_graph(&mut self, graph: &Arc<Graph>) {
        if !Arc::ptr_eq(&self.graph, graph) {
            *self = Self { graph: Arc::clone(graph), ..Self::default() };
        }
    }

    /// The neighbourhood of service `svc` (named `name`) as a range of
    /// [`Hoods::slice`], or `None` when the topology does not know it.
    /// Neighbours get service numbers from `intern`. Builds the graph
    /// itself when it was not given one for this revision of `topo`.
    pub(super) fn get(
        &mut self,
        topo: &Topology,
        depth: usize,
        svc: Svc,
        name: &str,
        intern: &mut impl FnMut(&str) -> Svc,
    ) -> Option<(usize, usize)> {
        if !self.graph.is_for(topo) {
            self.use_graph(&Arc::new(Graph::build(topo)));
        }
        let i = svc as usize;
        if self.state.len() <= i {
            self.state.resize(i + 1, UNASKED);
        }
        let state = self.state.get(i).copied().unwrap_or(UNKNOWN);
        let span = match state {
            UNKNOWN => return None,
            UNASKED => {
                let Some(node) = self.graph.node(name) else {
                    if let Some(s) = self.state.get_mut(i) {
                        *s = UNKNOWN;
                    }
                    return None;
                };
                let span = self.compute(node, depth, intern);
                if let Some(s) = self.state.get_mut(i) {
                    *s = to_u32(self.spans.len());
                }
                self.spans.push(span);
                span
            }
            k => self.spans.get(k as usize).copied().unwrap_or((0, 0)),
        };
        Some((span.0 as usize, span.1 as usize))
    }

    pub(super) fn slice(&self, range: (usize, usize)) -> &[(Svc, usize)] {
        self.arena.get(range.0..range.0 + range.1).unwrap_or(&[])
    }

    /// Breadth-first both ways from `start`; each service reached keeps its
    /// smaller distance; the start itself is not part of it.
    fn compute(
        &mut self,
        start: u32,
        depth: usize,
        intern: &mut impl FnMut(&str) -> Svc,
    ) -> (u32, u32) {
        if self.seen.len() < self.graph.names.len() {
            self.seen.resize(self.graph.names.len(), 0);
        }
        let mut found: Vec<(u32, usize)> = Vec::new();
        let mut frontier: Vec<u32> = Vec::new();
        let mut next: Vec<u32> = Vec::new();
        for down in [true, false] {
            if self.walk == u32::MAX {
                self.seen.iter_mut().for_each(|w| *w = 0);
                self.walk = 0;
            }
            self.walk += 1;
            let walk = self.walk;
            if let Some(w) = self.seen.get_mut(start as usize) {
                *w = walk;
            }
            frontier.clear();
            frontier.push(start);
            let mut d = 0;
            while !frontier.is_empty() && d < depth {
                d += 1;
                next.clear();
                for &s in &frontier {
                    for &n in self.graph.next(s, down) {
                        if let Some(w) = self.seen.get_mut(n as usize) {
                            if *w != walk {
                                *w = walk;
                                found.push((n, d));
                                next.push(n);
                            }
                        }
                    }
                }
                std::mem::swap(&mut frontier, &mut next);
            }
        }
        // Per node the nearer of its two distances, then nearest first and
        // by name (node order is name order).
        found.sort_unstable();
        found.dedup_by_key(|(n, _)| *n);
        found.sort_unstable_by_key(|&(n, d)| (d, n));
        let at = to_u32(self.arena.len());
        if self.node_svc.len() < self.graph.names.len() {
            self.node_svc.resize(self.graph.names.len(), UNASKED);
        }
        for (n, d) in found {
            let (Some(cached), Some(name)) =
                (self.node_svc.get_mut(n as usize), self.graph.names.get(n as usize))
            else {
                continue;
            };
            if *cached == UNASKED {
                *cached = intern(name);
            }
            self.arena.push((*cached, d));
        }
        (at, to_u32(self.arena.len()) - at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_both_ways_by_number_in_name_order() {
        let topo =
            Topology::from_edges([("web", "db"), ("api", "db"), ("web", "api"), ("db", "disk")]);
        let g = Graph::build(&topo);
        assert!(g.is_for(&topo));
        let names = |ns: &[u32]| -> Vec<&str> { ns.iter().filter_map(|n| g.name(*n)).collect() };
        let n = |s: &str| g.node(s).expect("known");
        assert_eq!(names(g.next(n("web"), true)), ["api", "db"]);
        assert_eq!(names(g.next(n("db"), false)), ["api", "web"]);
        assert_eq!(names(g.next(n("db"), true)), ["disk"]);
        assert_eq!(names(g.next(n("disk"), false)), ["db"]);
        assert!(g.next(n("web"), false).is_empty());
        assert_eq!(g.node("nope"), None);
        let mut changed = topo.clone();
        changed.add_edge("disk", "san");
        assert!(!g.is_for(&changed));
    }
}
