//! The journal of who did what (`journal.jsonl` in the data dir): acks,
//! silences, merges and splits, one JSON object a line, appended and synced
//! per entry so a crash loses nothing already said. Written by the ack
//! writer and the pipeline; read by people (and `jq`).

use std::io::Write;
use std::path::Path;

use crate::model::{Clock, IncidentId, SystemClock};

/// File name inside the data dir.
pub const FILE_NAME: &str = "journal.jsonl";

/// Appends one entry to the journal at `path`. A failure is logged and
/// otherwise ignored: the journal records actions, it never blocks them.
pub fn append(
    path: &Path,
    who: &str,
    what: &str,
    incident: Option<&IncidentId>,
    source: &str,
    detail: &str,
) {
    let line = serde_json::json!({
        "at": SystemClock.now(),
        "who": who,
        "what": what,
        "incident": incident.map(|i| i.0.as_str()),
        "source": source,
        "detail": detail,
    });
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(f, "{line}")?;
        f.sync_data()
    };
    if let Err(e) = write() {
        tracing::warn!(path = %path.display(), "journal entry not written: {e}");
    }
}
