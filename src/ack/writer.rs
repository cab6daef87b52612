//! The ack writer: owns quell's acknowledgements and keeps them true on
//! the clusters (see the module docs of `ack`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::backend::Backend;
use super::fewest::plan;
use super::{AckCommand, AckConfig, AckTarget, Notice};
use crate::connectors::alertmanager::silences::{ApiSilence, PostSilence, rfc3339};
use crate::connectors::http::FetchError;
use crate::model::{
    ACK_MARKER, AckPhase, AckStatus, Clock, Fingerprint, IncidentId, SilenceMatcher, SilenceState,
    SourceId, SystemClock, UnixMs, View,
};
use crate::store::Ingest;

mod cycle;
mod persist;
mod step;

pub use persist::default_path;
use persist::load;
use step::same_matchers;

/// File name of the ack records inside the data dir.
pub const FILE_NAME: &str = "acks.json";
/// File name of the journal of who did what, beside the records.
pub const JOURNAL: &str = crate::journal::FILE_NAME;
/// How often the writer looks at its acks when nothing asks it to.
const CYCLE: Duration = Duration::from_secs(5);
/// How often an ack that needs nothing is checked against the cluster
/// (to notice a teammate expiring it).
const VERIFY_MS: i64 = 60_000;

/// When an alert that is active now started (`None`: not active).
pub type Firing<'a> = dyn Fn(&Fingerprint) -> Option<UnixMs> + Sync + 'a;

/// One silence of an ack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SetState {
    matchers: Vec<SilenceMatcher>,
    id: Option<String>,
    ends_at: Option<UnixMs>,
}

/// One ack as the writer keeps it (persisted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    status: AckStatus,
    sets: Vec<SetState>,
    next_try: UnixMs,
    #[serde(default)]
    verified_at: UnixMs,
}

/// Owns every ack and talks to the clusters through [`Backend`]s.
#[derive(Debug)]
pub struct Writer {
    cfg: AckConfig,
    author: String,
    backends: BTreeMap<SourceId, Backend>,
    records: Vec<Record>,
    path: Option<PathBuf>,
    notices: Vec<Notice>,
    /// The latest view: which alerts are really active, and every other
    /// alert an ack's silences must not select.
    view: Option<Arc<View>>,
}

impl Writer {
    /// A writer for these clusters, restoring records from `path` if given.
    #[must_use]
    pub fn new(
        cfg: AckConfig,
        backends: BTreeMap<SourceId, Backend>,
        path: Option<PathBuf>,
    ) -> Self {
        let author = cfg.author();
        // What was true before a restart is checked first: while quell was
        // stopped a silence may have been expired, or its alerts resolved.
        let mut records = path.as_deref().map(load).unwrap_or_default();
        for r in &mut records {
            r.verified_at = 0;
        }
        Self { cfg, author, backends, records, path, notices: Vec::new(), view: None }
    }

    /// The world as the pipeline last published it; acks are planned
    /// against it (see [`Writer::command`]).
    pub fn observe(&mut self, view: Arc<View>) {
        self.view = Some(view);
    }

    /// One URL per cluster, for `amtool` commands.
    #[must_use]
    pub fn urls(&self) -> BTreeMap<SourceId, String> {
        self.backends.iter().map(|(k, b)| (k.clone(), b.url().to_string())).collect()
    }

    #[must_use]
    pub fn author(&self) -> &str {
        &self.author
    }

    /// Messages for the operator since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Every ack's current state.
    #[must_use]
    pub fn statuses(&self) -> Vec<AckStatus> {
        self.records.iter().map(|r| r.status.clone()).collect()
    }

    /// The clock acks are judged by: the demo world's virtual time when
    /// writing to it, else the wall clock.
    #[must_use]
    pub fn now(&self) -> UnixMs {
        self.backends
            .values()
            .find_map(|b| match b {
                Backend::Demo(d) => Some(d.now()),
                Backend::Alertmanager { .. } => None,
            })
            .unwrap_or_else(|| SystemClock.now())
    }

    /// Appends one line to the journal of who did what (`journal.jsonl`
    /// beside the ack records), synced; a failure is logged, never fatal.
    fn journal(&self, what: &str, incident: Option<&IncidentId>, source: &str, detail: &str) {
        let Some(path) = self.path.as_ref().map(|p| p.with_file_name(JOURNAL)) else { return };
        crate::journal::append(&path, &self.author, what, incident, source, detail);
    }

    fn info(&mut self, s: String) {
        self.notices.push(Notice::Info(s));
    }

    fn error(&mut self, s: String) {
        self.notices.push(Notice::Error(s));
    }

    /// Takes one command from the UI; network work happens in [`Writer::cycle`]
    /// (acks, unacks) or right here (editor silences, extend, expire).
    pub async fn command(&mut self, cmd: AckCommand, now: UnixMs) {
        match cmd {
            AckCommand::Ack { incident, title, alerts, note } => {
                self.journal("ack requested", Some(&incident), "", &note);
                self.ack(incident, &title, alerts, note, now);
            }
            AckCommand::Unack { incident } => {
                let mut n = 0;
                for r in self.records.iter_mut().filter(|r| r.status.incident == incident) {
                    r.status.phase = AckPhase::Expiring { attempts: 0, last_error: None };
                    r.next_try = now;
                    n += 1;
                }
                if n == 0 {
                    self.error(format!("{incident} has no acknowledgement from quell"));
                } else {
                    self.journal("unack requested", Some(&incident), "", "");
                    self.info(format!("un-acknowledging {incident}"));
                }
            }
            AckCommand::Create { source, matchers, duration_ms, comment } => {
                let post = PostSilence {
                    id: None,
                    matchers,
                    starts_at: rfc3339(now),
                    ends_at: rfc3339(now + duration_ms.max(60_000)),
                    created_by: self.author.clone(),
                    comment,
                };
                match self.backends.get(&source) {
                    None => self.error(format!("no Alertmanager named {source:?}")),
                    Some(b) => match b.post(&post).await {
                        Ok(id) => {
                            let detail = format!("{id}: {}", post.comment);
                            self.journal("silence created", None, &source, &detail);
                            self.info(format!("silence {id} created on {source}"));
                        }
                        Err(e) => self.error(format!("silence not created on {source}: {e}")),
                    },
                }
            }
            AckCommand::Expire { source, id } => match self.backends.get(&source) {
                None => self.error(format!("no Alertmanager named {source:?}")),
                Some(b) => match b.expire(&id).await {
                    Ok(()) => {
                        self.journal("silence expired", None, &source, &id);
                        self.info(format!("silence {id} expired"));
                        for r in &mut self.records {
                            r.sets.retain(|s| s.id.as_deref() != Some(id.as_str()));
                        }
                        self.records.retain(|r| !r.sets.is_empty());
                    }
                    Err(e) => self.error(format!("silence {id} not expired: {e}")),
                },
            },
            AckCommand::Extend { source, id, by_ms } => {
                let Some(b) = self.backends.get(&source) else {
                    self.error(format!("no Alertmanager named {source:?}"));
                    return;
                };
                let found = match b.list().await {
                    Ok(list) => list.into_iter().find(|s| s.id == id),
                    Err(e) => {
                        self.error(format!("silence {id} not extended: {e}"));
                        return;
                    }
                };
                let Some(s) = found.filter(|s| s.state() != SilenceState::Expired) else {
                    self.error(format!("silence {id} is gone or expired"));
                    return;
                };
                let end = s.to_silence(&source).ends_at.max(now) + by_ms;
                match b.post(&s.extended(end)).await {
                    Ok(new_id) if new_id == id => {
                        self.journal("silence extended", None, &source, &id);
                        self.info(format!("silence {id} extended"));
                    }
                    Ok(new_id) => self.info(format!("silence {id} replaced by {new_id}")),
                    Err(e) => self.error(format!("silence {id} not extended: {e}")),
                }
            }
        }
        self.save();
    }

    fn ack(
        &mut self,
        incident: IncidentId,
        title: &str,
        alerts: Vec<AckTarget>,
        note: String,
        now: UnixMs,
    ) {
        let mut by_source: BTreeMap<SourceId, Vec<AckTarget>> = BTreeMap::new();
        let mut unsupported = 0usize;
        // Only alerts a source reports active now: an alert that resolved
        // (or is only kept, unconfirmed, through a disruption) must not be
        // silenced, or the silence hides its next real outage.
        let (alerts, stale): (Vec<AckTarget>, Vec<AckTarget>) =
            alerts.into_iter().partition(|t| self.reported_active(&t.fingerprint));
        if !stale.is_empty() {
            self.info(format!(
                "{incident}: {} alert(s) no source reports active were left out",
                stale.len()
            ));
        }
        for t in alerts {
            if self.backends.contains_key(&t.source) {
                by_source.entry(t.source.clone()).or_default().push(t);
            } else {
                unsupported += 1;
            }
        }
        if by_source.is_empty() {
            self.error(format!(
                "{incident}: none of its {unsupported} active alert(s) comes from an Alertmanager; nothing to silence"
            ));
            return;
        }
        // The incident is named once, in the one comment its silences share.
        let comment = if note.trim().is_empty() {
            format!("{ACK_MARKER} {incident}: {title} (quell)")
        } else {
            format!("{ACK_MARKER} {incident}: {} (quell)", note.trim())
        };
        for (source, targets) in by_source {
            let labels: Vec<&crate::model::Labels> = targets.iter().map(|t| &t.labels).collect();
            let fps: Vec<Fingerprint> = targets.iter().map(|t| t.fingerprint.clone()).collect();
            let others: Vec<&crate::model::Labels> = self
                .view
                .iter()
                .flat_map(|v| v.alerts.values())
                .filter(|a| a.alert.source == source && !fps.contains(&a.alert.fingerprint))
                .map(|a| &a.alert.labels)
                .collect();
            let sets = plan(&labels, &others);
            if let Some(r) = self
                .records
                .iter_mut()
                .find(|r| r.status.incident == incident && r.status.source == source)
            {
                // Acked again: keep what exists, add silences for new alerts.
                for m in sets {
                    if !r.sets.iter().any(|s| same_matchers(&s.matchers, &m)) {
                        r.sets.push(SetState { matchers: m, id: None, ends_at: None });
                    }
                }
                for fp in fps {
                    if !r.status.fingerprints.contains(&fp) {
                        r.status.fingerprints.push(fp);
                    }
                }
                r.status.phase = AckPhase::Pending { attempts: 0, last_error: None };
                r.status.note = comment.clone();
                r.next_try = now;
                continue;
            }
            self.records.push(Record {
                status: AckStatus {
                    incident: incident.clone(),
                    source,
                    fingerprints: fps,
                    by: self.author.clone(),
                    note: comment.clone(),
                    at: now,
                    silence_ids: Vec::new(),
                    until: None,
                    phase: AckPhase::Pending { attempts: 0, last_error: None },
                },
                sets: sets
                    .into_iter()
                    .map(|m| SetState { matchers: m, id: None, ends_at: None })
                    .collect(),
                next_try: now,
                verified_at: now,
            });
        }
        if unsupported > 0 {
            self.info(format!(
                "{incident}: {unsupported} alert(s) not from an Alertmanager were not silenced"
            ));
        }
    }

    /// Whether a source reports `fp` active now (true without a view:
    /// then the caller's word is all there is).
    fn reported_active(&self, fp: &Fingerprint) -> bool {
        self.view.as_ref().is_none_or(|v| {
            v.alerts.get(fp).is_some_and(|a| a.alert.state.is_active() && !a.alert.unconfirmed)
        })
    }
}

/// Runs a writer: takes commands, cycles every few seconds, publishes
/// every change as [`Ingest::Acks`] and notices for the operator.
pub async fn run(
    mut writer: Writer,
    mut commands: mpsc::UnboundedReceiver<AckCommand>,
    views: watch::Receiver<Arc<View>>,
    acks_out: mpsc::Sender<Ingest>,
    notices: mpsc::UnboundedSender<Notice>,
) {
    if acks_out.send(Ingest::Acks(writer.statuses())).await.is_err() {
        return;
    }
    loop {
        let cmd = tokio::select! {
            c = commands.recv() => match c {
                Some(c) => Some(c),
                None => return,
            },
            () = tokio::time::sleep(CYCLE) => None,
        };
        let now = writer.now();
        let mut changed = false;
        if let Some(c) = cmd {
            writer.observe(Arc::clone(&views.borrow()));
            writer.command(c, now).await;
            changed = true;
        }
        let view = Arc::clone(&views.borrow());
        let firing = |fp: &Fingerprint| {
            view.alerts.get(fp).filter(|a| a.alert.state.is_active()).map(|a| a.alert.starts_at)
        };
        changed |= writer.cycle(now, &firing).await;
        for n in writer.take_notices() {
            if notices.send(n).is_err() {
                return;
            }
        }
        if changed && acks_out.send(Ingest::Acks(writer.statuses())).await.is_err() {
            return;
        }
    }
}
