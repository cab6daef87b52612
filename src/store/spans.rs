//! Span storage: the most recent spans in one bounded ring, oldest dropped
//! first. Spans arrive in any order within a batch (a tracer flushes whole
//! traces); queries filter by time, so order only matters for eviction.
//! No analysis here (that is `engine::spans`).

use crate::model::{Span, UnixMs};

use super::Ring;

/// Spans kept (about 130 bytes each: 500k ≈ 65 MB).
pub const MAX_SPANS: usize = 500_000;

#[derive(Debug, Clone)]
pub struct Spans {
    ring: Ring<Span>,
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
        Self { ring: Ring::new(cap.max(1)), evicted: 0 }
    }

    pub fn extend(&mut self, spans: Vec<Span>) {
        for s in spans {
            if self.ring.push(s).is_some() {
                self.evicted += 1;
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Span> {
        self.ring.iter()
    }

    /// Spans that started within `[from, to)`.
    pub fn between(&self, from: UnixMs, to: UnixMs) -> impl Iterator<Item = &Span> {
        self.ring.iter().filter(move |s| s.start >= from && s.start < to)
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
}
