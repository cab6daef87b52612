//! Log records as they arrive from any log source.

use serde::{Deserialize, Serialize};

use super::{SourceId, UnixMs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Unknown,
}

impl LogLevel {
    /// Guesses the level from a line's text when the source gives none.
    #[must_use]
    pub fn sniff(line: &str) -> Self {
        let head: String = line.chars().take(120).collect::<String>().to_ascii_uppercase();
        if ["ERROR", "FATAL", "PANIC", "CRIT", "EXCEPTION"].iter().any(|w| head.contains(w)) {
            Self::Error
        } else if head.contains("WARN") {
            Self::Warn
        } else if head.contains("DEBUG") || head.contains("TRACE") {
            Self::Debug
        } else if head.contains("INFO") {
            Self::Info
        } else {
            Self::Unknown
        }
    }
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
    Some(id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_levels() {
        assert_eq!(LogLevel::sniff("2024 ERROR db timeout"), LogLevel::Error);
        assert_eq!(LogLevel::sniff("level=warn msg=slow"), LogLevel::Warn);
        assert_eq!(LogLevel::sniff("GET /healthz 200"), LogLevel::Unknown);
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
}
