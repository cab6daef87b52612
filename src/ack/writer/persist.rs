//! The ack records on disk: `acks.json` in the data dir, written whole and
//! atomically after every change, read once at start. An unreadable file
//! starts the writer empty (logged), never stops it.

use std::path::Path;

use super::*;

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    records: Vec<Record>,
}

impl Writer {
    /// Writes every record to the data dir; a failure is logged.
    pub(super) fn save(&self) {
        let Some(path) = &self.path else { return };
        let saved = Saved { version: 1, records: self.records.clone() };
        if let Err(e) = save_atomic(path, &saved) {
            tracing::warn!(path = %path.display(), "ack records not saved: {e}");
        }
    }
}

/// The records saved at `path`; none when it is missing or unreadable.
pub(super) fn load(path: &Path) -> Vec<Record> {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Saved>(&bytes) {
            Ok(s) => s.records,
            Err(e) => {
                tracing::warn!(path = %path.display(), "ack records unreadable, starting empty: {e}");
                Vec::new()
            }
        },
        Err(_) => Vec::new(),
    }
}

/// Writes JSON atomically over `path` (see [`crate::base::write_atomic`]).
fn save_atomic(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    crate::base::write_atomic(path, &serde_json::to_vec(value).map_err(std::io::Error::other)?)
}

/// `<data dir>/acks.json`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(FILE_NAME))
}
