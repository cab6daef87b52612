//! Saving and restoring the template table, so template ids (and the
//! templates behind them) survive restarts.
//!
//! The file is JSON, written atomically: to a temporary file in the same
//! directory, synced, then renamed over the old one, so a crash leaves
//! either the old table or the new one, never half of one. Only plain file
//! I/O; callers decide when (the engine never blocks on it mid-pass).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::miner::{Miner, MinerConfig, TemplateId};

/// File name inside the data dir.
pub const FILE_NAME: &str = "log_templates.json";

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
}

/// `<data dir>/log_templates.json`, when there is a data dir.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join(FILE_NAME))
}

/// Writes the miner's templates to `path` atomically.
///
/// # Errors
/// The directory cannot be created or the file cannot be written.
pub fn save(miner: &Miner, path: &Path) -> std::io::Result<()> {
    let mut templates: Vec<Row> =
        miner.templates().map(|t| Row { id: t.id.0, text: t.text(), count: t.count }).collect();
    templates.sort_by_key(|r| r.id);
    let json =
        serde_json::to_vec(&Table { version: 1, templates }).map_err(std::io::Error::other)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&json)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// A miner holding the templates saved at `path`, or an empty one when the
/// file does not exist.
///
/// # Errors
/// The file exists but cannot be read or parsed.
pub fn load(path: &Path, cfg: MinerConfig) -> std::io::Result<Miner> {
    let mut miner = Miner::new(cfg);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(miner),
        Err(e) => return Err(e),
    };
    let table: Table = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    for r in table.templates {
        miner.restore(TemplateId(r.id), &r.text, r.count);
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
        std::fs::remove_dir_all(&dir)
    }
}
