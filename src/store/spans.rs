//! Span storage: the most recent spans in one bounded ring, oldest dropped
//! first. Spans arrive in any order within a batch (a tracer flushes whole
//! traces) but roughly in time: a time query reads only the part of the
//! ring where its spans can be (see [`Spans::between`]), not the whole ring.
//! No analysis here (that is `engine::spans`).

use std::collections::VecDeque;

use crate::model::{Span, UnixMs};

use super::Ring;

/// Spans kept (about 130 bytes each: 500k ≈ 65 MB).
pub const MAX_SPANS: usize = 500_000;

#[derive(Debug, Clone)]
pub struct Spans {
    ring: Ring<Span>,
    /// Per position in the ring, the latest start among the spans that
    /// arrived up to it: never decreasing, so it can be searched.
    reach: VecDeque<UnixMs>,
    /// How far any span started before an earlier arrival's latest start
    /// (0 when spans arrive in time order).
    late: i64,
    /// Spans dropped to stay within the cap.
    evicted: u64,
}

impl Default for Spans {
    fn default() -> Self {
        Self::with_capacity(MAX_SPANS)
    }
}

impl Spans {
    #[must_use]
    pub fn with_capacity(cap: usize) -> Self {
        Self { ring: Ring::new(cap.max(1)), reach: VecDeque::new(), late: 0, evicted: 0 }
    }

    pub fn extend(&mut self, spans: Vec<Span>) {
        for s in spans {
            let before = self.reach.back().copied().unwrap_or(UnixMs::MIN);
            self.late = self.late.max(before.saturating_sub(s.start));
            let reach = before.max(s.start);
            if self.ring.push(s).is_some() {
                self.reach.pop_front();
                self.evicted += 1;
            }
            self.reach.push_back(reach);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Span> {
        self.ring.iter()
    }

    /// Spans that started within `[from, to)`. A span starts no later than
    /// its position's reach and no earlier than that less the latest
    /// lateness seen, which bounds the positions to read.
    pub fn between(&self, from: UnixMs, to: UnixMs) -> impl Iterator<Item = &Span> {
        let lo = self.reach.partition_point(|r| *r < from);
        let hi = self.reach.partition_point(|r| r.saturating_sub(self.late) < to).max(lo);
        self.ring.range(lo..hi).filter(move |s| s.start >= from && s.start < to)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    #[must_use]
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanId;

    fn span(id: u128, start: UnixMs) -> Span {
        Span {
            trace: SpanId(1),
            id: SpanId(id),
            parent: None,
            service: "a".into(),
            instance: None,
            operation: "op".into(),
            start,
            duration_us: 10,
            error: false,
        }
    }

    #[test]
    fn bounded_oldest_first_and_filtered_by_time() {
        let mut s = Spans::with_capacity(3);
        s.extend((0..5).map(|i| span(i, i as i64 * 1000)).collect());
        assert_eq!(s.len(), 3);
        assert_eq!(s.evicted(), 2);
        let ids: Vec<u128> = s.between(2500, 10_000).map(|x| x.id.0).collect();
        assert_eq!(ids, vec![3, 4]);
    }

    /// Spans arriving out of order (a batch per trace, a late flush) are
    /// all found: the bounded read gives what a scan of the ring gives.
    #[test]
    fn time_queries_read_part_of_the_ring_and_miss_nothing() {
        let mut s = Spans::with_capacity(500);
        // Mostly in time, some up to 40 s late, one batch in reverse.
        let starts: Vec<i64> = (0..700_i64)
            .map(|i| i * 1000 - if i % 7 == 0 { 40_000 } else { 0 })
            .chain((0..20).map(|i| 650_000 - i * 500))
            .collect();
        let n = starts.len();
        s.extend(starts.iter().enumerate().map(|(i, t)| span(i as u128, *t)).collect());
        assert_eq!(s.len(), 500);
        for from in (0..720_000).step_by(7_919) {
            for len in [1, 999, 30_000, 300_000] {
                let got: Vec<u128> = s.between(from, from + len).map(|x| x.id.0).collect();
                let want: Vec<u128> = s
                    .iter()
                    .filter(|x| x.start >= from && x.start < from + len)
                    .map(|x| x.id.0)
                    .collect();
                assert_eq!(got, want, "[{from}, {})", from + len);
            }
        }
        // A query of the last minute reads about a minute's positions.
        let (lo, hi) = (
            s.reach.partition_point(|r| *r < 660_000),
            s.reach.partition_point(|r| r - s.late < 720_000),
        );
        assert!(hi - lo < 150, "{lo}..{hi} of {n}");
    }
}
