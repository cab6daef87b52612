//! The template table's file format, so template ids (and the templates
//! behind them) survive restarts: [`encode`] a miner to bytes, [`decode`]
//! bytes back into one. Each template keeps what its positions held (the
//! choice words of [`super::choices`]): without them a restored template
//! would give its lines the cluster's id instead of the refined one they had
//! before. Pure data: reading and writing the file (atomically, off the
//! loop) belongs to `connectors::templates`; the engine does no file I/O.

use serde::{Deserialize, Serialize};

use super::choices::Position;
use super::mask::hash_bytes;
use super::miner::{Miner, MinerConfig, TemplateId};

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

/// A miner holding the templates of a table [`encode`] wrote.
///
/// # Errors
/// The bytes are not a table, or come from a newer format.
pub fn decode(bytes: &[u8], cfg: MinerConfig) -> std::io::Result<Miner> {
    let mut miner = Miner::new(cfg);
    let table: Table = serde_json::from_slice(bytes).map_err(std::io::Error::other)?;
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

    fn round_trip(miner: &Miner) -> std::io::Result<Miner> {
        decode(&encode(miner)?, MinerConfig::default())
    }

    #[test]
    fn ids_survive_a_restart() -> std::io::Result<()> {
        let mut a = Miner::new(MinerConfig::default());
        let first = a.add("disk full on /dev/sda1 after 30s");
        a.add("disk full on /dev/sdb2 after 31s");
        let other = a.add("user login ok");
        let mut b = round_trip(&a)?;
        assert_eq!(b.len(), a.len());
        // A fresh line of a known template gets the id it had before.
        assert_eq!(b.add("disk full on /dev/sdc3 after 9s"), first);
        assert_eq!(b.add("user login ok"), other);
        assert!(decode(b"{not json", MinerConfig::default()).is_err());
        assert!(decode(br#"{"version":99,"templates":[]}"#, MinerConfig::default()).is_err());
        Ok(())
    }

    #[test]
    fn choice_words_keep_their_refined_ids_across_a_restart() -> std::io::Result<()> {
        let mut a = Miner::new(MinerConfig::default());
        a.add("VM Started instance i-1");
        a.add("VM Paused instance i-2");
        let started = a.add("VM Started instance i-3");
        let paused = a.add("VM Paused instance i-4");
        assert_ne!(started, paused, "two events, two templates");
        let mut b = round_trip(&a)?;
        assert_eq!(b.add("VM Paused instance i-5"), paused);
        assert_eq!(b.add("VM Started instance i-6"), started);
        // Version 1 files (text only) still load.
        let v1 = br#"{"version":1,"templates":[{"id":7,"text":"a <*>","count":2}]}"#;
        let mut c = decode(v1, MinerConfig::default())?;
        assert_eq!(c.add("a b1"), TemplateId(7));
        Ok(())
    }
}
