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
}
