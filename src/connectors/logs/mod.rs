//! Log sources: files, any command's stdout, journald, Loki.
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
pub mod loki;

use serde::{Deserialize, Serialize};

use crate::base::cut;
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
    /// Polled over HTTP like the other real connectors (validated with them).
    pub loki: Vec<loki::LokiSource>,
}

impl LogsConfig {
    /// Whether any log source is configured.
    #[must_use]
    pub fn has_any(&self) -> bool {
        self.has_local() || !self.loki.is_empty()
    }

    /// Whether any file, command or journald source is configured.
    #[must_use]
    pub fn has_local(&self) -> bool {
        !self.file.is_empty() || !self.command.is_empty() || !self.journald.is_empty()
    }

    /// Returns (dotted key, message) for the first invalid entry.
    ///
    /// # Errors
    /// An empty service label, path or argv.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let empty = |k: &str, i: usize, what: &str| {
            Err((format!("logs.{k}"), format!("entry {i}: empty {what}")))
        };
        for (i, f) in self.file.iter().enumerate() {
            if f.service.trim().is_empty() {
                return empty("file", i, "service");
            }
            if f.path.as_os_str().is_empty() {
                return empty("file", i, "path");
            }
        }
        for (i, c) in self.command.iter().enumerate() {
            if c.service.trim().is_empty() {
                return empty("command", i, "service");
            }
            if c.argv.first().is_none_or(|p| p.is_empty()) {
                return empty("command", i, "argv (program first, then arguments)");
            }
        }
        for (i, j) in self.journald.iter().enumerate() {
            if j.service.trim().is_empty() {
                return empty("journald", i, "service");
            }
        }
        Ok(())
    }
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
        trace: crate::model::trace_in_line(line),
        template: Default::default(),
    }
}

/// Every configured log source, polled together.
#[derive(Debug, Default)]
pub struct LogSources {
    files: Vec<(file::FileTail, String, String)>,
    commands: Vec<(command::CommandStream, String, String, bool)>,
}

impl LogSources {
    /// Opens every source. Files are followed from their end (as `tail -F`);
    /// a command that cannot start is returned as an error message beside
    /// the sources that did start, so one bad entry does not stop the rest.
    #[must_use]
    pub fn start(cfg: &LogsConfig) -> (Self, Vec<String>) {
        let mut s = Self::default();
        let mut errors = Vec::new();
        for f in &cfg.file {
            let id = format!("file:{}", f.path.display());
            s.files.push((file::FileTail::new(&f.path, false), id, f.service.clone()));
        }
        let commands = cfg.command.iter().map(|c| (c.argv.clone(), false, &c.service));
        let journals =
            cfg.journald.iter().map(|j| (journald::argv(j.unit.as_deref()), true, &j.service));
        for (argv, is_journal, service) in commands.chain(journals) {
            let id =
                format!("{}:{}", if is_journal { "journald" } else { "command" }, argv.join(" "));
            match command::CommandStream::spawn(&argv) {
                Ok(c) => s.commands.push((c, id, service.clone(), is_journal)),
                Err(e) => errors.push(format!("{id}: {e}")),
            }
        }
        (s, errors)
    }

    /// New records from every source, stamped `now` (journald entries keep
    /// their own timestamps), plus one message per source that failed.
    pub fn poll(&mut self, now: UnixMs) -> (Vec<LogRecord>, Vec<String>) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (tail, id, service) in &mut self.files {
            match tail.poll() {
                Ok(lines) => out.extend(lines.iter().map(|l| record(id, service, now, l))),
                Err(e) => errors.push(format!("{id}: {e}")),
            }
        }
        for (cmd, id, service, is_journal) in &mut self.commands {
            for l in cmd.poll() {
                let r = if *is_journal {
                    journald::parse(&l, id, service, now)
                } else {
                    Some(record(id, service, now, &l))
                };
                out.extend(r);
            }
        }
        (out, errors)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn polls_files_and_commands_with_their_service_labels() {
        let dir = std::env::temp_dir().join(format!("quell-logsrc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.log");
        std::fs::write(&path, "").unwrap();
        let cfg = LogsConfig {
            file: vec![FileSource { path: path.clone(), service: "web".into() }],
            command: vec![
                CommandSource {
                    argv: vec!["echo".into(), "ERROR boom".into()],
                    service: "api".into(),
                },
                CommandSource { argv: vec!["/nonexistent/prog".into()], service: "x".into() },
            ],
            journald: vec![],
            loki: vec![],
        };
        let (mut src, errors) = LogSources::start(&cfg);
        assert_eq!(errors.len(), 1, "{errors:?}");
        std::fs::write(&path, "GET / 200\n").unwrap();
        let mut got = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while got.len() < 2 && std::time::Instant::now() < deadline {
            got.extend(src.poll(7).0);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        got.sort_by(|a, b| a.line.cmp(&b.line));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].service.as_deref(), got[0].level, got[0].ts),
            (Some("api"), LogLevel::Error, 7)
        );
        assert_eq!((got[1].service.as_deref(), got[1].line.as_str()), (Some("web"), "GET / 200"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
