//! Log records as they arrive from any log source.

use serde::{Deserialize, Serialize};

use super::{SourceId, UnixMs};

mod level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Unknown,
}

/// One log line. `line` is raw, attacker-controlled text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    pub ts: UnixMs,
    pub source: SourceId,
    pub service: Option<String>,
    pub level: LogLevel,
    pub line: String,
    /// The request the line was written for: a hash of its trace id, when
    /// the source gives one. Lines of one request tell which code paths it
    /// reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<u64>,
    /// The line's template key, computed when first needed (see
    /// [`crate::engine::rca::window`]'s log measures): the window measures
    /// run every minute over the same half hour of lines, and masking is
    /// their largest cost.
    #[serde(skip)]
    pub template: Memo,
}

/// A value derived from a record, computed once and kept with it. A
/// cache, not part of the record: records compare equal whatever it
/// holds, and it is never written out.
#[derive(Debug, Clone, Default)]
pub struct Memo(std::sync::OnceLock<u64>);

impl Memo {
    /// The value, computing it with `f` the first time.
    pub fn get_or_init(&self, f: impl FnOnce() -> u64) -> u64 {
        *self.0.get_or_init(f)
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A trace id as [`LogRecord::trace`] keeps it: a stable 64-bit hash
/// (FNV-1a) of the id's text, none for an empty or all-zero id (OpenTelemetry's
/// "no trace").
#[must_use]
pub fn trace_key(id: &str) -> Option<u64> {
    let id = id.trim();
    if id.is_empty() || id.bytes().all(|b| b == b'0') {
        return None;
    }
    Some(crate::base::fnv1a(id.as_bytes()))
}

/// The trace id a log line names in a field (`trace_id=…`, `"traceId":"…"`,
/// `TraceID: …`, `trace.id=…`; any case), as [`trace_key`] keeps it. The
/// value must look like a trace id: 16 to 64 hex digits (dashes allowed),
/// so `trace_id=none` or a sentence about traces is not one.
#[must_use]
pub fn trace_in_line(line: &str) -> Option<u64> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ci(&b[from..], b"trace").map(|i| i + from) {
        from = at + 5;
        let mut i = from;
        if matches!(b.get(i), Some(b'_' | b'-' | b'.')) {
            i += 1;
        }
        if !b.get(i..i + 2).is_some_and(|w| w.eq_ignore_ascii_case(b"id")) {
            continue;
        }
        i += 2;
        let skip = |i: &mut usize, set: &[u8]| {
            while b.get(*i).is_some_and(|c| set.contains(c)) {
                *i += 1;
            }
        };
        skip(&mut i, b"\"' ");
        if !matches!(b.get(i), Some(b'=' | b':')) {
            continue;
        }
        i += 1;
        skip(&mut i, b"\"' ");
        let end = b[i..]
            .iter()
            .position(|c| !(c.is_ascii_hexdigit() || *c == b'-'))
            .map_or(b.len(), |n| n + i);
        if (16..=64).contains(&(end - i)) {
            return line.get(i..end).and_then(trace_key);
        }
    }
    None
}

/// Where `needle` (lowercase ASCII) first occurs in `hay`, any case.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's memo is computed once, and neither it nor whether it
    /// was computed changes what the record is.
    #[test]
    fn a_memo_is_computed_once_and_is_not_part_of_the_record() {
        let rec = LogRecord {
            ts: 1,
            source: "s".into(),
            service: Some("a".into()),
            level: LogLevel::Info,
            line: "x".into(),
            trace: None,
            template: Memo::default(),
        };
        let fresh = rec.clone();
        let mut calls = 0;
        assert_eq!(
            rec.template.get_or_init(|| {
                calls += 1;
                7
            }),
            7
        );
        assert_eq!(
            rec.template.get_or_init(|| {
                calls += 1;
                8
            }),
            7
        );
        assert_eq!(calls, 1);
        assert_eq!(rec, fresh);
        let Ok(json) = serde_json::to_string(&rec) else { panic!("a record serializes") };
        assert!(!json.contains("template"), "{json}");
        let Ok(back) = serde_json::from_str::<LogRecord>(&json) else { panic!("{json}") };
        assert_eq!(back, rec);
        assert_eq!(back.template.get_or_init(|| 9), 9);
    }

    #[test]
    fn trace_ids_hash_stably_and_no_trace_is_none() {
        let a = trace_key("43793fdb3f4862a691d4ce26d5e523ec");
        assert_eq!(a, trace_key(" 43793fdb3f4862a691d4ce26d5e523ec "));
        assert_ne!(a, trace_key("43793fdb3f4862a691d4ce26d5e523ed"));
        // FNV-1a of "a": a recording made today reads the same tomorrow.
        assert_eq!(trace_key("a"), Some(0xaf63_dc4c_8601_ec8c));
        assert_eq!(trace_key(""), None);
        assert_eq!(trace_key("00000000000000000000000000000000"), None);
    }

    #[test]
    fn trace_ids_are_read_from_the_usual_fields() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let want = trace_key(id);
        for line in [
            format!("level=info msg=\"paid\" trace_id={id} span_id=00f067aa0ba902b7"),
            format!("{{\"msg\":\"paid\",\"traceId\":\"{id}\"}}"),
            format!("{{\"trace.id\": \"{id}\", \"msg\": \"paid\"}}"),
            format!("18:25:44 INFO  t.s.Impl#532 TraceID: {id} SpanID: 10ce2c761b393750 [paid]"),
            format!("paid trace-id='{id}'"),
        ] {
            assert_eq!(trace_in_line(&line), want, "{line}");
        }
        for line in [
            "tracing enabled, trace_id=none".to_string(),
            "retrace id: 42".to_string(),
            "trace_id=\u{1b}[31m".to_string(),
            format!("trace_id={}", "0".repeat(32)),
            "no trace here".to_string(),
        ] {
            assert_eq!(trace_in_line(&line), None, "{line}");
        }
        // The second mention counts when the first is no id.
        assert_eq!(trace_in_line(&format!("trace sampled; trace_id={id}")), want);
    }
}
