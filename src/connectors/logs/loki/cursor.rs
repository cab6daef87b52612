//! Where the next `query_range` starts, and which lines at that instant were
//! already delivered.
//!
//! Loki has no cursor: a query returns entries with `start <= ts < end`,
//! oldest first, at most `limit` of them. So the next request starts *at*
//! the newest timestamp seen (not after it: more entries may share that
//! nanosecond, cut off by the limit), and entries at exactly that timestamp
//! that were already delivered are dropped. Pure logic, no I/O.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// One entry of a page, flattened out of its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLine {
    pub ts_ns: i64,
    /// Index of its stream in the answer.
    pub stream: usize,
    /// Identity of the stream's label set (see [`stream_key`]).
    pub stream_key: u64,
    pub line: String,
}

/// What one page meant for paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The page was full: ask again from the new start.
    pub more: bool,
    /// More than `limit` entries share one nanosecond: the cursor skipped
    /// past it and some of them were not read.
    pub skipped: bool,
}

/// The read position of one Loki source.
#[derive(Debug, Clone)]
pub struct Cursor {
    start_ns: i64,
    /// Hashes of (stream, line) delivered at exactly `start_ns`.
    boundary: HashSet<u64>,
}

/// A stable identity for a stream's label set within this process.
#[must_use]
pub fn stream_key(labels: &std::collections::BTreeMap<String, String>) -> u64 {
    let mut h = DefaultHasher::new();
    labels.hash(&mut h);
    h.finish()
}

fn entry_key(stream_key: u64, line: &str) -> u64 {
    let mut h = DefaultHasher::new();
    stream_key.hash(&mut h);
    line.hash(&mut h);
    h.finish()
}

impl Cursor {
    #[must_use]
    pub fn new(start_ns: i64) -> Self {
        Self { start_ns, boundary: HashSet::new() }
    }

    /// The `start` parameter of the next request.
    #[must_use]
    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    /// Moves the start up to `floor` when it is older (after a long outage,
    /// lines older than the lookback are not fetched). Returns whether it moved.
    pub fn raise_to(&mut self, floor: i64) -> bool {
        if self.start_ns >= floor {
            return false;
        }
        self.start_ns = floor;
        self.boundary.clear();
        true
    }

    /// Takes one page (`lines` in any order, `limit` as requested) and
    /// returns the lines not delivered before, oldest first.
    pub fn take(&mut self, mut lines: Vec<PageLine>, limit: usize) -> (Vec<PageLine>, Step) {
        let full = lines.len() >= limit;
        let old_start = self.start_ns;
        // Loki never returns entries before `start`; a server that ignores
        // `start` would make paging loop, so such a page ends the cycle.
        lines.retain(|l| l.ts_ns >= old_start);
        if lines.is_empty() {
            return (Vec::new(), Step { more: false, skipped: false });
        }
        lines.sort_by_key(|l| l.ts_ns);
        let newest = lines.last().map_or(old_start, |l| l.ts_ns);
        let mut at_newest = HashSet::new();
        let mut fresh = Vec::with_capacity(lines.len());
        for l in lines {
            let key = entry_key(l.stream_key, &l.line);
            if l.ts_ns == newest {
                at_newest.insert(key);
            }
            if l.ts_ns == old_start && self.boundary.contains(&key) {
                continue;
            }
            fresh.push(l);
        }
        let mut skipped = false;
        if newest > old_start {
            self.start_ns = newest;
            self.boundary = at_newest;
        } else {
            self.boundary.extend(at_newest);
            if full && fresh.is_empty() {
                // A full page of one nanosecond, all seen: the rest of that
                // instant cannot be reached with this limit. Step past it.
                self.start_ns = old_start.saturating_add(1);
                self.boundary.clear();
                skipped = true;
            }
        }
        (fresh, Step { more: full, skipped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(ts_ns: i64, line: &str) -> PageLine {
        PageLine { ts_ns, stream: 0, stream_key: 7, line: line.into() }
    }

    fn texts(v: &[PageLine]) -> Vec<&str> {
        v.iter().map(|l| l.line.as_str()).collect()
    }

    #[test]
    fn pages_start_at_the_newest_timestamp_and_drop_what_was_delivered_there() {
        let mut c = Cursor::new(100);
        let (fresh, step) = c.take(vec![l(300, "c"), l(100, "a"), l(200, "b")], 3);
        assert_eq!(texts(&fresh), ["a", "b", "c"]);
        assert!(step.more && !step.skipped);
        assert_eq!(c.start_ns(), 300);
        // The next page repeats "c" at 300 and brings a sibling at 300.
        let (fresh, step) = c.take(vec![l(300, "c"), l(300, "d"), l(400, "e")], 3);
        assert_eq!(texts(&fresh), ["d", "e"]);
        assert!(step.more);
        assert_eq!(c.start_ns(), 400);
        let (fresh, step) = c.take(vec![l(400, "e")], 3);
        assert!(fresh.is_empty() && !step.more);
        assert_eq!(c.start_ns(), 400, "an idle poll keeps the position");
        // The same text on another stream at the boundary is another entry.
        let other = PageLine { stream_key: 8, ..l(400, "e") };
        let (fresh, _) = c.take(vec![l(400, "e"), other], 3);
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].stream_key, 8);
    }

    #[test]
    fn a_full_page_of_one_seen_instant_steps_past_it() {
        let mut c = Cursor::new(50);
        let (fresh, _) = c.take(vec![l(50, "a"), l(50, "b")], 2);
        assert_eq!(fresh.len(), 2);
        let (fresh, step) = c.take(vec![l(50, "a"), l(50, "b")], 2);
        assert!(fresh.is_empty());
        assert!(step.skipped && step.more);
        assert_eq!(c.start_ns(), 51);
    }

    #[test]
    fn raising_to_the_lookback_floor_forgets_the_boundary() {
        let mut c = Cursor::new(10);
        c.take(vec![l(20, "x")], 5);
        assert!(!c.raise_to(5));
        assert!(c.raise_to(1_000));
        assert_eq!(c.start_ns(), 1_000);
        let (fresh, _) = c.take(vec![l(1_000, "x"), l(999, "old")], 5);
        assert_eq!(texts(&fresh), ["x"]);
        // A full page from before `start` (a server ignoring it) ends paging.
        let (fresh, step) = c.take(vec![l(1, "a"), l(2, "b")], 2);
        assert!(fresh.is_empty() && !step.more && !step.skipped);
        assert_eq!(c.start_ns(), 1_000);
    }
}
