//! Spans: one timed operation of one service inside a trace, as any tracer
//! (OpenTelemetry, Jaeger, Zipkin) reports it.
//!
//! Owns the span record and its compact identifiers. Identifiers arrive as
//! hex text; they are kept as numbers (hex parsed, anything else hashed) so
//! a few hundred thousand spans stay small. No behaviour beyond that.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::UnixMs;

/// A span or trace identifier, as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SpanId(pub u128);

impl SpanId {
    /// Parses a hex id (up to 32 digits); any other text (ids are
    /// attacker-controlled) is hashed to a number instead, so it still
    /// matches itself and nothing else in practice.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if s.len() <= 32 {
            if let Ok(v) = u128::from_str_radix(s, 16) {
                return Some(Self(v));
            }
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        Some(Self(u128::from(h.finish()) | (1u128 << 127)))
    }
}

/// One span. `service` and `operation` are shared text (a store interns
/// them) and already sanitized by whoever built the span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub trace: SpanId,
    pub id: SpanId,
    /// `None` for a root span.
    pub parent: Option<SpanId>,
    pub service: Arc<str>,
    /// The pod or process that ran it, when known.
    pub instance: Option<Arc<str>>,
    pub operation: Arc<str>,
    pub start: UnixMs,
    /// Microseconds.
    pub duration_us: u64,
    /// The tracer marked it failed (status error / HTTP 5xx).
    pub error: bool,
}

impl Span {
    /// Duration in milliseconds.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn duration_ms(&self) -> f64 {
        self.duration_us as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse_and_other_text_hashes_apart() {
        assert_eq!(SpanId::parse("ff"), Some(SpanId(255)));
        assert_eq!(SpanId::parse("root-x"), SpanId::parse("root-x"));
        assert_ne!(SpanId::parse("root-x"), SpanId::parse("root-y"));
        assert!(SpanId::parse("root-x").is_some_and(|s| s.0 >> 127 == 1));
        assert_eq!(SpanId::parse("  "), None);
    }
}
