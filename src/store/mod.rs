//! The store: everything the connectors delivered, in bounded memory.
//!
//! Owns alerts by fingerprint (with a capped state history), metric series in
//! ring buffers, log lines, changes and source health. Every collection has a
//! cap from [`StoreLimits`]; nothing grows without one. It applies [`Ingest`]
//! events and answers read-only queries; it does no analysis (that is the
//! engine's) and no I/O.

mod entry;
mod identity;
mod names;
mod ring;
mod spans;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

// Seeded per process; far cheaper than SipHash for fingerprint keys.
use foldhash::{HashMap, HashMapExt};

use serde::{Deserialize, Serialize};

pub use entry::AlertEntry;
pub use identity::Report;
pub use names::{NameId, NamesKey, fingerprint_head, fingerprint_key};
pub use ring::Ring;
pub use spans::Spans;

use crate::model::{
    AckStatus, Alert, ChangeEvent, Fingerprint, LogRecord, Sample, SeriesKey, SeriesMeta, Silence,
    SourceHealth, SourceId, SourceStatus, UnixMs,
};

/// Silences kept per cluster (live ones always come first).
const MAX_SILENCES_PER_SOURCE: usize = 5_000;

/// Capacities. Defaults are documented in `config.example.toml` (`[store]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreLimits {
    /// Samples kept per series (720 = 3 h at 15 s).
    pub samples_per_series: usize,
    /// Series kept; the least recently updated is evicted beyond this.
    pub max_series: usize,
    /// Alerts kept (active and resolved); oldest resolved evicted first.
    pub max_alerts: usize,
    /// State transitions remembered per alert fingerprint.
    pub alert_history: usize,
    /// Log lines kept.
    pub log_lines: usize,
    /// Change events (deploys) kept.
    pub changes: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            samples_per_series: 720,
            max_series: 20_000,
            max_alerts: 50_000,
            alert_history: 32,
            log_lines: 50_000,
            changes: 1_000,
        }
    }
}

/// What a connector delivers. Serializable so `quell record` can write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Ingest {
    /// One complete, successful poll of a source's current alerts. Alerts of
    /// that source that were active and are absent from the poll resolve at `at`.
    AlertPoll {
        source: SourceId,
        at: UnixMs,
        alerts: Vec<Alert>,
    },
    /// New samples of one series (appended; older-than-last samples dropped).
    Samples {
        key: SeriesKey,
        meta: SeriesMeta,
        samples: Vec<Sample>,
    },
    Logs(Vec<LogRecord>),
    /// Finished spans (any order; kept in a bounded ring).
    Spans(Vec<crate::model::Span>),
    Change(ChangeEvent),
    Health(SourceHealth),
    /// Every silence one Alertmanager cluster holds (replaces the earlier list).
    Silences {
        source: SourceId,
        silences: Vec<Silence>,
    },
    /// The ack writer's state of every acknowledgement (replaces the earlier one).
    Acks(Vec<AckStatus>),
}

/// The health warning of a source whose alerts did not all fit.
#[must_use]
pub fn dropped_warning(n: usize, cap: usize) -> String {
    format!("{n} alerts dropped: over the store's max_alerts ({cap})")
}

/// The count in a [`dropped_warning`], for the header.
#[must_use]
pub fn dropped_in(warning: &str) -> Option<usize> {
    let (n, rest) = warning.split_once(' ')?;
    rest.starts_with("alerts dropped:").then(|| n.parse().ok()).flatten()
}

/// Change stamps come from one process-wide counter, so stamps of different
/// stores (or of a store and its clone) never collide.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);

fn next_seq() -> u64 {
    NEXT_SEQ.fetch_add(1, AtomicOrdering::Relaxed)
}

/// Identity of a store instance; a clone is a different store (it diverges).
#[derive(Debug)]
struct StoreUid(u64);

impl StoreUid {
    fn fresh() -> Self {
        Self(next_seq())
    }
}

impl Clone for StoreUid {
    fn clone(&self) -> Self {
        Self::fresh()
    }
}

/// What an incremental reader of the store's alerts needs to know whether
/// it can trust the change stamps: the same store, and nothing removed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertEpoch {
    store: u64,
    removals: u64,
}

#[derive(Debug, Clone)]
pub struct SeriesEntry {
    pub meta: SeriesMeta,
    pub samples: Ring<Sample>,
    pub last_update: UnixMs,
}

#[derive(Debug, Clone)]
pub struct Store {
    limits: StoreLimits,
    alerts: HashMap<Fingerprint, AlertEntry>,
    series: HashMap<SeriesKey, SeriesEntry>,
    logs: Ring<LogRecord>,
    spans: Spans,
    changes: Ring<ChangeEvent>,
    health: BTreeMap<SourceId, SourceHealth>,
    silences: BTreeMap<SourceId, Vec<Silence>>,
    acks: Vec<AckStatus>,
    /// Per source: alerts of its latest poll dropped for want of room.
    dropped: BTreeMap<SourceId, usize>,
    uid: StoreUid,
    /// Alerts evicted so far.
    removals: u64,
    /// Entity names of the alerts, each once, numbered.
    names: names::Names,
    /// Highest change stamp handed to an alert of this store.
    last_seq: u64,
}

impl Store {
    #[must_use]
    pub fn new(limits: StoreLimits) -> Self {
        Self {
            logs: Ring::new(limits.log_lines),
            spans: Spans::default(),
            changes: Ring::new(limits.changes),
            limits,
            alerts: HashMap::new(),
            series: HashMap::new(),
            health: BTreeMap::new(),
            silences: BTreeMap::new(),
            acks: Vec::new(),
            dropped: BTreeMap::new(),
            uid: StoreUid::fresh(),
            removals: 0,
            last_seq: 0,
            names: names::Names::default(),
        }
    }

    #[must_use]
    pub fn limits(&self) -> &StoreLimits {
        &self.limits
    }

    pub fn apply(&mut self, ev: Ingest) {
        match ev {
            Ingest::AlertPoll { source, at, alerts } => self.apply_poll(&source, at, alerts),
            Ingest::Samples { key, meta, samples } => self.apply_samples(key, meta, &samples),
            Ingest::Logs(lines) => {
                for l in lines {
                    self.logs.push(l);
                }
            }
            Ingest::Spans(spans) => self.spans.extend(spans),
            Ingest::Change(c) => {
                self.changes.push(c);
            }
            Ingest::Health(mut h) => {
                if let Some(&n) = self.dropped.get(&h.id).filter(|n| **n > 0) {
                    let note = dropped_warning(n, self.limits.max_alerts);
                    h.status = match h.status {
                        SourceStatus::Partial { mut warnings } => {
                            warnings.insert(0, note);
                            SourceStatus::Partial { warnings }
                        }
                        s if s.is_healthy() => SourceStatus::Partial { warnings: vec![note] },
                        s => s,
                    };
                }
                self.health.insert(h.id.clone(), h);
            }
            Ingest::Silences { source, mut silences } => {
                // Live ones first, newest first; expired ones are history, capped.
                silences.sort_by_key(|s| (!s.is_live(), std::cmp::Reverse(s.updated_at)));
                silences.truncate(MAX_SILENCES_PER_SOURCE);
                self.silences.insert(source, silences);
            }
            Ingest::Acks(acks) => self.acks = acks,
        }
    }

    /// Every cluster's silences.
    pub fn silences(&self) -> impl Iterator<Item = &Silence> {
        self.silences.values().flatten()
    }

    #[must_use]
    pub fn acks(&self) -> &[AckStatus] {
        &self.acks
    }

    /// Removes up to `n` resolved alerts, oldest first.
    fn evict_resolved(&mut self, n: usize) {
        let mut order: Vec<(UnixMs, Fingerprint)> = self
            .alerts
            .values()
            .filter(|e| e.alert.state == crate::model::AlertState::Resolved)
            .map(|e| (e.alert.updated_at, e.alert.fingerprint.clone()))
            .collect();
        if order.is_empty() {
            return;
        }
        order.sort_unstable();
        for (_, fp) in order.into_iter().take(n) {
            self.alerts.remove(&fp);
        }
        self.removals += 1;
    }

    /// Alerts the latest poll of each source brought that the store had no
    /// room for (`max_alerts`).
    #[must_use]
    pub fn dropped_alerts(&self) -> usize {
        self.dropped.values().sum()
    }

    fn evict_alerts(&mut self) {
        let excess = self.alerts.len().saturating_sub(self.limits.max_alerts);
        if excess == 0 {
            return;
        }
        // Oldest resolved first, then oldest by update time.
        let mut order: Vec<(bool, UnixMs, Fingerprint)> = self
            .alerts
            .values()
            .map(|e| (e.alert.state.is_active(), e.alert.updated_at, e.alert.fingerprint.clone()))
            .collect();
        order.sort();
        for (_, _, fp) in order.into_iter().take(excess) {
            self.alerts.remove(&fp);
        }
        self.removals += 1;
    }

    fn apply_samples(&mut self, key: SeriesKey, meta: SeriesMeta, samples: &[Sample]) {
        let cap = self.limits.samples_per_series;
        let entry = self.series.entry(key).or_insert_with(|| SeriesEntry {
            meta: meta.clone(),
            samples: Ring::new(cap),
            last_update: UnixMs::MIN,
        });
        entry.meta = meta;
        for s in samples {
            if entry.samples.back().is_none_or(|last| s.ts > last.ts) && s.value.is_finite() {
                entry.samples.push(*s);
                entry.last_update = entry.last_update.max(s.ts);
            }
        }
        if self.series.len() > self.limits.max_series {
            if let Some(oldest) =
                self.series.iter().min_by_key(|(_, e)| e.last_update).map(|(k, _)| k.clone())
            {
                self.series.remove(&oldest);
            }
        }
    }

    pub fn alerts(&self) -> impl Iterator<Item = &AlertEntry> {
        self.alerts.values()
    }

    #[must_use]
    pub fn alert(&self, fp: &Fingerprint) -> Option<&AlertEntry> {
        self.alerts.get(fp)
    }

    /// Alerts whose change stamp is above `seq` (added, changed state or
    /// started a new occurrence since).
    pub fn alerts_changed_since(&self, seq: u64) -> impl Iterator<Item = &AlertEntry> {
        self.alerts.values().filter(move |e| e.seq > seq)
    }

    /// The highest change stamp so far: pass it to
    /// [`Store::alerts_changed_since`] next time.
    #[must_use]
    pub fn alert_seq(&self) -> u64 {
        self.last_seq
    }

    /// What [`AlertEntry::service_id`] numbers are valid for.
    #[must_use]
    pub fn names_key(&self) -> NamesKey {
        NamesKey { store: self.uid.0, generation: self.names.generation() }
    }

    /// Changes when change stamps alone no longer tell what changed (another
    /// store, or alerts were evicted): the reader must rescan everything.
    #[must_use]
    pub fn alert_epoch(&self) -> AlertEpoch {
        AlertEpoch { store: self.uid.0, removals: self.removals }
    }

    #[must_use]
    pub fn alert_count(&self) -> usize {
        self.alerts.len()
    }

    pub fn series(&self) -> impl Iterator<Item = (&SeriesKey, &SeriesEntry)> {
        self.series.iter()
    }

    #[must_use]
    pub fn series_by_key(&self, key: &SeriesKey) -> Option<&SeriesEntry> {
        self.series.get(key)
    }

    #[must_use]
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    #[must_use]
    pub fn logs(&self) -> &Ring<LogRecord> {
        &self.logs
    }

    #[must_use]
    pub fn spans(&self) -> &Spans {
        &self.spans
    }

    #[must_use]
    pub fn changes(&self) -> &Ring<ChangeEvent> {
        &self.changes
    }

    pub fn health(&self) -> impl Iterator<Item = &SourceHealth> {
        self.health.values()
    }

    /// Total samples held, for memory accounting in benchmarks.
    #[must_use]
    pub fn sample_count(&self) -> usize {
        self.series.values().map(|e| e.samples.len()).sum()
    }
}

#[cfg(test)]
mod tests;
