//! The service dependency graph: who calls whom.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Directed graph of calls, `caller -> callee`. A fault in a callee shows up
/// in its callers; the root cause of a cascade is downstream (callee side).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Topology {
    callees: BTreeMap<String, BTreeSet<String>>,
    callers: BTreeMap<String, BTreeSet<String>>,
    /// See [`Topology::revision`]. Not part of the graph's value (not
    /// serialized, not compared).
    #[serde(skip)]
    revision: Revision,
}

/// Equal graphs are equal whatever their revisions.
impl PartialEq for Topology {
    fn eq(&self, other: &Self) -> bool {
        self.callees == other.callees && self.callers == other.callers
    }
}

/// A number from one process-wide counter: a new topology and every edit
/// take a fresh one, a clone keeps its original's (same graph).
#[derive(Debug, Clone, Copy)]
struct Revision(u64);

static NEXT_REVISION: AtomicU64 = AtomicU64::new(1);

impl Revision {
    fn fresh() -> Self {
        Self(NEXT_REVISION.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for Revision {
    fn default() -> Self {
        Self::fresh()
    }
}

impl Topology {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn from_edges<'a>(edges: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut t = Self::new();
        for (a, b) in edges {
            t.add_edge(a, b);
        }
        t
    }

    /// Identifies this graph's content: two topologies with the same
    /// revision hold the same graph (one is an unedited clone of the
    /// other), so what was derived from one holds for the other. A
    /// different revision says nothing (the graph may still be equal).
    #[must_use]
    pub fn revision(&self) -> u64 {
        self.revision.0
    }

    pub fn add_service(&mut self, s: &str) {
        self.revision = Revision::fresh();
        self.callees.entry(s.to_string()).or_default();
        self.callers.entry(s.to_string()).or_default();
    }

    pub fn add_edge(&mut self, caller: &str, callee: &str) {
        if caller == callee {
            return;
        }
        self.revision = Revision::fresh();
        self.add_service(caller);
        self.add_service(callee);
        self.callees.entry(caller.to_string()).or_default().insert(callee.to_string());
        self.callers.entry(callee.to_string()).or_default().insert(caller.to_string());
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.callees.is_empty()
    }

    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.callees.keys().map(String::as_str)
    }

    pub fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.callees.iter().flat_map(|(a, bs)| bs.iter().map(move |b| (a.as_str(), b.as_str())))
    }

    /// Every service with its callees, in service name order.
    pub fn callee_lists(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &str>)> {
        self.callees.iter().map(|(s, to)| (s.as_str(), to.iter().map(String::as_str)))
    }

    pub fn callees(&self, s: &str) -> impl Iterator<Item = &str> {
        self.callees.get(s).into_iter().flatten().map(String::as_str)
    }

    pub fn callers(&self, s: &str) -> impl Iterator<Item = &str> {
        self.callers.get(s).into_iter().flatten().map(String::as_str)
    }

    #[must_use]
    pub fn contains(&self, s: &str) -> bool {
        self.callees.contains_key(s)
    }

    /// Services reachable from `s` by following calls (its transitive
    /// dependencies), with their hop distance, up to `max_depth` hops.
    #[must_use]
    pub fn dependencies(&self, s: &str, max_depth: usize) -> BTreeMap<String, usize> {
        self.walk(s, max_depth, true)
    }

    /// Services that (transitively) call `s`, with their hop distance.
    #[must_use]
    pub fn dependents(&self, s: &str, max_depth: usize) -> BTreeMap<String, usize> {
        self.walk(s, max_depth, false)
    }

    fn walk(&self, s: &str, max_depth: usize, down: bool) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        let mut queue = VecDeque::from([(s.to_string(), 0usize)]);
        while let Some((node, d)) = queue.pop_front() {
            if d >= max_depth {
                continue;
            }
            let next: Vec<&str> =
                if down { self.callees(&node).collect() } else { self.callers(&node).collect() };
            for n in next {
                if n != s && !seen.contains_key(n) {
                    seen.insert(n.to_string(), d + 1);
                    queue.push_back((n.to_string(), d + 1));
                }
            }
        }
        seen
    }

    /// Hop distance along call direction in either orientation (a calls ... b,
    /// or b calls ... a), if within `max_depth`. Siblings are not related here.
    #[must_use]
    pub fn call_distance(&self, a: &str, b: &str, max_depth: usize) -> Option<usize> {
        if a == b {
            return Some(0);
        }
        let down = self.dependencies(a, max_depth).get(b).copied();
        let up = self.dependents(a, max_depth).get(b).copied();
        match (down, up) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Topology {
        Topology::from_edges([
            ("frontend", "checkout"),
            ("checkout", "payments"),
            ("payments", "postgres"),
            ("frontend", "cart"),
            ("cart", "redis"),
        ])
    }

    #[test]
    fn walks_both_directions() {
        let t = shop();
        let deps = t.dependencies("frontend", 10);
        assert_eq!(deps.get("postgres"), Some(&3));
        assert_eq!(deps.get("redis"), Some(&2));
        assert!(!deps.contains_key("frontend"));
        let up = t.dependents("postgres", 10);
        assert_eq!(up.get("frontend"), Some(&3));
        assert!(!up.contains_key("redis"));
    }

    #[test]
    fn revision_follows_edits_not_clones() {
        let mut t = shop();
        let copy = t.clone();
        assert_eq!(t.revision(), copy.revision());
        t.add_edge("cart", "postgres");
        assert_ne!(t.revision(), copy.revision());
        assert_ne!(t, copy);
        assert_eq!(shop(), copy, "equality ignores revisions");
    }

    #[test]
    fn call_distance_ignores_siblings_and_respects_depth() {
        let t = shop();
        assert_eq!(t.call_distance("checkout", "postgres", 3), Some(2));
        assert_eq!(t.call_distance("postgres", "checkout", 3), Some(2));
        assert_eq!(t.call_distance("postgres", "redis", 5), None);
        assert_eq!(t.call_distance("frontend", "postgres", 2), None);
    }
}
