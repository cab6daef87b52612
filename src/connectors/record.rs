//! Record and replay: every [`Event`] the live sources deliver, written as
//! timestamped NDJSON (`{"at": ms, "event": ...}` per line), size-capped
//! with one rotation (`FILE` → `FILE.1`), and read back event by event
//! (`crate::driver::replay` feeds them through the same driver as live
//! data). Post-mortems and bug reports become reproducible. No UI state here.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::UnixMs;

use super::Event;

#[derive(Debug, Serialize, Deserialize)]
struct Line {
    at: UnixMs,
    event: Event,
}

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path}:{line}: not a quell recording line: {reason}")]
    Parse { path: PathBuf, line: usize, reason: String },
}

fn io(path: &Path, e: &std::io::Error) -> RecordError {
    RecordError::Io { path: path.to_path_buf(), reason: e.to_string() }
}

/// Appends events to a recording; rotates once the file passes `max_bytes`.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    max_bytes: u64,
}

impl Recorder {
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path, max_bytes: u64) -> Result<Self, RecordError> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(|e| io(path, &e))?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file), written: 0, max_bytes })
    }

    /// # Errors
    /// Writing or rotating failed.
    pub fn write(&mut self, at: UnixMs, event: Event) -> Result<(), RecordError> {
        let mut line = serde_json::to_vec(&Line { at, event })
            .map_err(|e| RecordError::Io { path: self.path.clone(), reason: e.to_string() })?;
        line.push(b'\n');
        if self.written > 0 && self.written + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.out.write_all(&line).map_err(|e| io(&self.path, &e))?;
        self.written += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), RecordError> {
        self.out.flush().map_err(|e| io(&self.path, &e))?;
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old).map_err(|e| io(&self.path, &e))?;
        *self = Self::create(&self.path, self.max_bytes)?;
        Ok(())
    }

    /// # Errors
    /// Flushing failed.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.out.flush().map_err(|e| io(&self.path, &e))
    }
}

/// Reads a recording line by line, calling `f(at, event)`.
///
/// # Errors
/// Unreadable file or a line that is not a recorded event.
pub fn read(path: &Path, mut f: impl FnMut(UnixMs, Event)) -> Result<(), RecordError> {
    let file = File::open(path).map_err(|e| io(path, &e))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| io(path, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| RecordError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        f(l.at, l.event);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SourceHealth, SourceStatus};
    use crate::store::Ingest;

    fn health(id: &str) -> Event {
        Event::Ingest(Ingest::Health(SourceHealth {
            id: id.into(),
            kind: "alertmanager".into(),
            status: SourceStatus::Ok,
            last_ok: Some(1),
            interval_ms: 1000,
        }))
    }

    #[test]
    fn records_round_trip_and_rotate_at_the_cap() {
        let dir = std::env::temp_dir().join(format!("quell-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rec.ndjson");
        let mut r = Recorder::create(&path, 400).unwrap();
        for i in 0..10 {
            r.write(i, health(&format!("s{i}"))).unwrap();
        }
        r.flush().unwrap();
        let mut seen = Vec::new();
        read(&path, |at, _| seen.push(at)).unwrap();
        assert!(!seen.is_empty() && seen.len() < 10, "rotated: {seen:?}");
        assert_eq!(seen.last(), Some(&9));
        assert!(std::fs::metadata(&path).unwrap().len() <= 400);
        assert!(dir.join("rec.ndjson.1").exists());
        let view =
            crate::driver::replay::replay_view(&crate::config::Config::default(), &path).unwrap();
        assert_eq!(view.now, 9);
        assert!(view.sources.iter().any(|s| s.id == "s9"));
        std::fs::write(&path, "{not json\n").unwrap();
        assert!(matches!(
            crate::driver::replay::replay_view(&crate::config::Config::default(), &path),
            Err(RecordError::Parse { line: 1, .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
