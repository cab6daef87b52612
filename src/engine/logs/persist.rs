//! Saving and restoring the template table, so template ids (and the
//! templates behind them) survive restarts.
//!
//! The file is JSON, written atomically: to a temporary file in the same
//! directory, synced, then renamed over the old one, so a crash leaves
//! either the old table or the new one, never half of one. Each template
//! keeps what its positions held (the choice words of [`super::choices`]):
//! without them a restored template would give its lines the cluster's id
//! instead of the refined one they had before. Only plain file I/O; callers
//! decide when (the engine never blocks on it mid-pass).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::choices::Position;
use super::mask::hash_bytes;
use super::miner::{Miner, MinerConfig, TemplateId};

/// File name inside the data dir.
pub const FILE_NAME: &str = "log_templates.json";
/// The demo world's table, kept apart from real sources' templates.
pub const DEMO_FILE_NAME: &str = "log_templates.demo.json";
/// Format written; version 1 (no positions) is still read.
const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct Table {
    version: u32,
    templates: Vec<Row>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Row {
    id: u64,
    text: String,
    count: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    positions: Vec<Saved>,
}

/// A [`Position`] on disk: choice words by text (their hashes are derived).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Saved {
    Fixed,
    Variable,
    Choices(Vec<(String, u64)>),
}

impl From<&Position> for Saved {
    fn from(p: &Position) -> Self {
        match p {
            Position::Fixed => Self::Fixed,
            Position::Variable => Self::Variable,
            Position::Choices(v) => {
                Self::Choices(v.iter().map(|(_, t, n)| (t.to_string(), *n)).collect())
            }
        }
    }
}

impl From<Saved> for Position {
    fn from(s: Saved) -> Self {
        match s {
            Saved::Fixed => Self::Fixed,
            Saved::Variable => Self::Variable,
            Saved::Choices(v) => Self::Choices(
                v.into_iter().map(|(t, n)| (hash_bytes(t.as_bytes()), t.into(), n)).collect(),
            ),
        }
    }
}

/// `<data dir>/log_templates.json`, when there is a data dir.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(FILE_NAME))
}

/// `<data dir>/log_templates.demo.json`, when there is a data dir.
#[must_use]
pub fn demo_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(DEMO_FILE_NAME))
}

/// The miner's templates as the file's bytes.
///
/// # Errors
/// Serialization failure (should not happen).
pub fn encode(miner: &Miner) -> std::io::Result<Vec<u8>> {
    let mut templates: Vec<Row> = miner
        .templates()
        .map(|t| {
            let positions: Vec<Saved> = if t.positions().iter().all(|p| *p == Position::Fixed) {
                Vec::new()
            } else {
                t.positions().iter().map(Saved::from).collect()
            };
            Row { id: t.id.0, text: t.text(), count: t.count, positions }
        })
        .collect();
    templates.sort_by_key(|r| r.id);
    serde_json::to_vec(&Table { version: VERSION, templates }).map_err(std::io::Error::other)
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename).
///
/// # Errors
/// The directory cannot be created or the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Unique per write, so overlapping saves never share a temporary file.
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{FILE_NAME}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes the miner's templates to `path` atomically.
///
/// # Errors
/// The directory cannot be created or the file cannot be written.
pub fn save(miner: &Miner, path: &Path) -> std::io::Result<()> {
    write_atomic(path, &encode(miner)?)
}

/// A miner holding the templates saved at `path`, or an empty one when the
/// file does not exist.
///
/// # Errors
/// The file exists but cannot be read or parsed, or comes from a newer
/// format.
pub fn load(path: &Path, cfg: MinerConfig) -> std::io::Result<Miner> {
    let mut miner = Miner::new(cfg);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(miner),
        Err(e) => return Err(e),
    };
    let table: Table = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    if table.version > VERSION {
        return Err(std::io::Error::other(format!(
            "template table version {} is newer than this quell reads ({VERSION})",
            table.version
        )));
    }
    for r in table.templates {
        let positions = r.positions.into_iter().map(Position::from).collect();
        miner.restore_with(TemplateId(r.id), &r.text, r.count, positions);
    }
    Ok(miner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_survive_a_restart() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("quell-persist-{}", std::process::id()));
        let path = dir.join(FILE_NAME);
        let mut a = Miner::new(MinerConfig::default());
        let first = a.add("disk full on /dev/sda1 after 30s");
        a.add("disk full on /dev/sdb2 after 31s");
        let other = a.add("user login ok");
        save(&a, &path)?;
        let mut b = load(&path, MinerConfig::default())?;
        assert_eq!(b.len(), a.len());
        // A fresh line of a known template gets the id it had before.
        assert_eq!(b.add("disk full on /dev/sdc3 after 9s"), first);
        assert_eq!(b.add("user login ok"), other);
        assert!(load(&dir.join("absent.json"), MinerConfig::default())?.is_empty());
        std::fs::write(&path, b"{not json")?;
        assert!(load(&path, MinerConfig::default()).is_err());
        std::fs::write(&path, br#"{"version":99,"templates":[]}"#)?;
        assert!(load(&path, MinerConfig::default()).is_err());
        std::fs::remove_dir_all(&dir)
    }

    #[test]
    fn choice_words_keep_their_refined_ids_across_a_restart() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("quell-persist-ch-{}", std::process::id()));
        let path = dir.join(FILE_NAME);
        let mut a = Miner::new(MinerConfig::default());
        a.add("VM Started instance i-1");
        a.add("VM Paused instance i-2");
        let started = a.add("VM Started instance i-3");
        let paused = a.add("VM Paused instance i-4");
        assert_ne!(started, paused, "two events, two templates");
        save(&a, &path)?;
        let mut b = load(&path, MinerConfig::default())?;
        assert_eq!(b.add("VM Paused instance i-5"), paused);
        assert_eq!(b.add("VM Started instance i-6"), started);
        // Version 1 files (text only) still load.
        std::fs::write(&path, br#"{"version":1,"templates":[{"id":7,"text":"a <*>","count":2}]}"#)?;
        let mut c = load(&path, MinerConfig::default())?;
        assert_eq!(c.add("a b1"), TemplateId(7));
        std::fs::remove_dir_all(&dir)
    }
}
