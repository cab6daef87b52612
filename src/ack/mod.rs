//! Acknowledgements and silences written back to Alertmanager.
//!
//! Alertmanager has no ack; the convention (karma, kthxbye) is a short
//! silence whose comment starts with `ACK!`, extended while its alerts fire
//! and left to expire once they resolve. [`writer::Writer`] does exactly
//! that, with no sidecar: it owns every ack quell made, writes each to one
//! replica per cluster, looks a silence up before creating it (so a post
//! that timed out after the server acted is never duplicated), extends in
//! place (same id, matchers as stored, stored `startsAt`), retries with
//! backoff, and persists its records in the data dir so a restart loses
//! nothing. The UI asks for acks with [`AckCommand`]s and sees the result
//! in `View::acks` (through the pipeline) and in [`Notice`]s.

pub mod backend;
pub mod fewest;
pub mod plan;
pub mod writer;

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
pub use crate::model::Notice;
use crate::model::{Fingerprint, IncidentId, Labels, SilenceMatcher, SourceId};

/// `[ack]` in config.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AckConfig {
    /// `createdBy` of the silences quell writes; empty means `$USER@host`.
    pub author: String,
    /// Length of an ack silence; it is extended while its alerts fire.
    pub duration: HumanDuration,
    /// An ack is never extended beyond this long after it was made.
    pub max_duration: HumanDuration,
    /// Length of a silence made with the silence editor, unless edited.
    pub silence_duration: HumanDuration,
    /// `a` first asks for a one-line note (Enter with none acks as well).
    pub ask_note: bool,
}

impl Default for AckConfig {
    fn default() -> Self {
        Self {
            author: String::new(),
            duration: HumanDuration::mins(15),
            max_duration: HumanDuration::mins(12 * 60),
            silence_duration: HumanDuration::mins(60),
            ask_note: false,
        }
    }
}

impl AckConfig {
    /// The configured author, else `$USER@hostname`.
    #[must_use]
    pub fn author(&self) -> String {
        if !self.author.trim().is_empty() {
            return self.author.trim().to_string();
        }
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "someone".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{user}@{host}")
    }
}

/// One alert to acknowledge: which cluster reported it, and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckTarget {
    pub source: SourceId,
    pub fingerprint: Fingerprint,
    pub labels: Labels,
}

/// What the UI asks the ack writer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckCommand {
    /// Acknowledge these alerts of an incident, with an optional note.
    Ack { incident: IncidentId, title: String, alerts: Vec<AckTarget>, note: String },
    /// Expire quell's ack of an incident.
    Unack { incident: IncidentId },
    /// Create a silence (the silence editor).
    Create { source: SourceId, matchers: Vec<SilenceMatcher>, duration_ms: i64, comment: String },
    /// Expire any silence by id.
    Expire { source: SourceId, id: String },
    /// Push a silence's end later by this much.
    Extend { source: SourceId, id: String, by_ms: i64 },
}

/// The UI's end of a running ack writer.
#[derive(Debug)]
pub struct AckLink {
    pub commands: tokio::sync::mpsc::UnboundedSender<AckCommand>,
    pub notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
    /// Who the silences name as creator.
    pub author: String,
    /// One Alertmanager URL per cluster, for `amtool` commands.
    pub urls: std::collections::BTreeMap<SourceId, String>,
}

/// Starts `writer` on the current runtime. Its acks reach the pipeline as
/// `Ingest::Acks` through `acks_out`; `views` tells it which alerts fire.
#[must_use]
pub fn spawn(
    writer: writer::Writer,
    views: tokio::sync::watch::Receiver<std::sync::Arc<crate::model::View>>,
    acks_out: tokio::sync::mpsc::Sender<crate::store::Ingest>,
) -> (AckLink, tokio::task::JoinHandle<()>) {
    let (ctx, crx) = tokio::sync::mpsc::unbounded_channel();
    let (ntx, nrx) = tokio::sync::mpsc::unbounded_channel();
    let author = writer.author().to_string();
    let urls = writer.urls();
    let task = tokio::spawn(writer::run(writer, crx, views, acks_out, ntx));
    (AckLink { commands: ctx, notices: nrx, author, urls }, task)
}
