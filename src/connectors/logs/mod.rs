//! Log sources: files, any command's stdout, journald.
//!
//! Each source turns what it reads into [`LogRecord`]s with its configured
//! service label, ready to be sent as [`crate::store::Ingest::Logs`]. The
//! readers here are plain blocking code (a poll of a file, a child process
//! read on its own thread), so they are tested against real files and real
//! processes; the connector loop decides how often to poll. Log text is
//! never interpreted by a shell: commands are argv, not strings.

pub mod command;
pub mod file;
pub mod journald;

use serde::{Deserialize, Serialize};

use crate::model::{LogLevel, LogRecord, UnixMs};

/// `[[logs.file]]`: a file to follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSource {
    pub path: std::path::PathBuf,
    pub service: String,
}

/// `[[logs.command]]`: a program whose stdout is a log stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSource {
    /// Program, then arguments; run directly, never through a shell.
    pub argv: Vec<String>,
    pub service: String,
}

/// `[[logs.journald]]`: `journalctl -o json --follow`, optionally for one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournaldSource {
    #[serde(default)]
    pub unit: Option<String>,
    pub service: String,
}

/// `[logs]`: where log lines come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    pub file: Vec<FileSource>,
    pub command: Vec<CommandSource>,
    pub journald: Vec<JournaldSource>,
}

/// Longest line kept; longer ones are cut (the rest is attacker padding or a
/// stack dump that the template of its first part describes well enough).
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// A record for a plain text line from `source`, level sniffed from the text.
#[must_use]
pub fn record(source: &str, service: &str, ts: UnixMs, line: &str) -> LogRecord {
    let line = cut(line.trim_end_matches(['\r', '\n']), MAX_LINE_BYTES);
    LogRecord {
        ts,
        source: source.to_string(),
        service: Some(service.to_string()),
        level: LogLevel::sniff(line),
        line: line.to_string(),
    }
}

/// `s` cut to at most `max` bytes on a char boundary.
#[must_use]
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
