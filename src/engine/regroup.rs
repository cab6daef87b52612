//! Operator regrouping: `m` merges incidents the correlator kept apart, `x`
//! splits alerts out of an incident they do not belong to.
//!
//! The correlator stays automatic; the operator's decisions are kept here
//! and laid over its incidents on every pass, so they hold as alerts keep
//! arriving: alerts that later join an absorbed incident show in the one it
//! was merged into, and an alert split out stays out when it fires again.
//! Decisions are plain data (who, when, what), saved by the pipeline in the
//! data dir and recorded in the incident history, so they survive restarts
//! (incident ids derive from their first alert, so they are stable).
//!
//! Owns: validating a decision against the incidents of the moment, and
//! rebuilding the incidents it touches (alerts, services, severity, state,
//! timeline; the engine re-ranks their causes). No I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Fingerprint, Incident, IncidentId, IncidentState, TimelineKind, UnixMs};
use crate::store::Store;

/// Decisions older than this are forgotten.
const KEEP_MS: i64 = 7 * 24 * 3_600_000;
/// Decisions kept at most (the oldest go first).
const MAX_DECISIONS: usize = 2_000;

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Regroup {
    /// Fold `from` into `into`.
    Merge { into: IncidentId, from: Vec<IncidentId> },
    /// Move `alerts` out of `from` into a new incident of their own.
    Split { from: IncidentId, alerts: Vec<Fingerprint> },
}

/// A decision on its way from the UI to the pipeline, with who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub cmd: Regroup,
    pub by: String,
}

/// Why a merge or split was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegroupError {
    #[error("no incident {0} to merge into")]
    NoMergeTarget(IncidentId),
    #[error("nothing to merge: mark other incidents with space first")]
    NothingToMerge,
    #[error("no incident {0} to merge")]
    NoMergeSource(IncidentId),
    #[error("no incident {0} to split")]
    NoSplitSource(IncidentId),
    #[error("nothing to split: select an alert in the alerts pane")]
    NothingToSplit,
    #[error("alert {alert} is not in {incident}")]
    AlertNotIn { alert: Fingerprint, incident: IncidentId },
    #[error("{0} would be left without alerts: nothing split")]
    WouldEmpty(IncidentId),
}

/// One remembered decision: where something goes, who said so, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub to: IncidentId,
    pub by: String,
    pub at: UnixMs,
    /// Why, when quell decided it itself (`engine::siblings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Every decision in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    /// Absorbed incident → the one it was merged into.
    #[serde(default)]
    pub merged: BTreeMap<IncidentId, Decision>,
    /// Alert → the incident it was split into.
    #[serde(default)]
    pub split: BTreeMap<Fingerprint, Decision>,
}

impl Decisions {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.merged.is_empty() && self.split.is_empty()
    }

    /// Checks `cmd` against `shown` (the incidents as the operator sees
    /// them, decisions applied) and records it. Returns what happened, in
    /// words, or why nothing did.
    ///
    /// # Errors
    /// Unknown incidents or alerts, merging an incident into itself,
    /// splitting every alert out of an incident.
    pub fn decide(
        &mut self,
        cmd: &Regroup,
        by: &str,
        at: UnixMs,
        shown: &[Arc<Incident>],
    ) -> Result<String, RegroupError> {
        let find = |id: &IncidentId| shown.iter().find(|i| &i.id == id);
        match cmd {
            Regroup::Merge { into, from } => {
                if find(into).is_none() {
                    return Err(RegroupError::NoMergeTarget(into.clone()));
                }
                let from: BTreeSet<&IncidentId> = from.iter().filter(|f| *f != into).collect();
                if from.is_empty() {
                    return Err(RegroupError::NothingToMerge);
                }
                if let Some(missing) = from.iter().find(|f| find(f).is_none()) {
                    return Err(RegroupError::NoMergeSource((*missing).clone()));
                }
                for f in &from {
                    let d = Decision { to: into.clone(), by: by.to_string(), at, why: None };
                    self.merged.insert((*f).clone(), d);
                    // Whatever was merged into an absorbed one follows it.
                    for d in self.merged.values_mut().filter(|d| &d.to == *f) {
                        d.to = into.clone();
                    }
                    for d in self.split.values_mut().filter(|d| &d.to == *f) {
                        d.to = into.clone();
                    }
                }
                self.merged.remove(into);
                let names: Vec<&str> = from.iter().map(|f| f.0.as_str()).collect();
                Ok(format!("merged {} into {into}", names.join(", ")))
            }
            Regroup::Split { from, alerts } => {
                let Some(inc) = find(from) else {
                    return Err(RegroupError::NoSplitSource(from.clone()));
                };
                let moving: BTreeSet<&Fingerprint> = alerts.iter().collect();
                if moving.is_empty() {
                    return Err(RegroupError::NothingToSplit);
                }
                if let Some(fp) = moving.iter().find(|fp| !inc.alerts.contains(fp)) {
                    return Err(RegroupError::AlertNotIn {
                        alert: (*fp).clone(),
                        incident: from.clone(),
                    });
                }
                if inc.alerts.iter().all(|fp| moving.contains(fp)) {
                    return Err(RegroupError::WouldEmpty(from.clone()));
                }
                let first = moving.iter().next().map_or("", |fp| fp.as_str());
                let to = new_id(first, at, shown, self);
                for fp in moving {
                    let d = Decision { to: to.clone(), by: by.to_string(), at, why: None };
                    self.split.insert(fp.clone(), d);
                }
                Ok(format!("split {} alert(s) out of {from} into {to}", alerts.len()))
            }
        }
    }

    /// Forgets decisions older than a week, and the oldest past the cap.
    pub fn prune(&mut self, now: UnixMs) {
        self.merged.retain(|_, d| now - d.at <= KEEP_MS);
        self.split.retain(|_, d| now - d.at <= KEEP_MS);
        let total = self.merged.len() + self.split.len();
        if total > MAX_DECISIONS {
            let mut ats: Vec<UnixMs> =
                self.merged.values().chain(self.split.values()).map(|d| d.at).collect();
            ats.sort_unstable();
            let cut = ats[total - MAX_DECISIONS];
            self.merged.retain(|_, d| d.at >= cut);
            self.split.retain(|_, d| d.at >= cut);
        }
    }

    /// Where an absorbed incident ends up (merges of merges followed, with
    /// a guard against cycles a hand-edited file could contain).
    fn target<'a>(&'a self, id: &'a IncidentId) -> &'a IncidentId {
        let mut at = id;
        for _ in 0..16 {
            match self.merged.get(at) {
                Some(d) if &d.to != at => at = &d.to,
                _ => break,
            }
        }
        at
    }

    /// The correlator's incidents with the decisions laid over them.
    /// Returns them and the ids of the ones rebuilt (their causes need
    /// ranking again). Untouched incidents are shared, not copied.
    #[must_use]
    pub fn apply(
        &self,
        incidents: Vec<Arc<Incident>>,
        store: &Store,
    ) -> (Vec<Arc<Incident>>, BTreeSet<IncidentId>) {
        let mut rebuilt = BTreeSet::new();
        if self.is_empty() {
            return (incidents, rebuilt);
        }
        // Splits first: alerts leave their incident for a new one, which
        // sits right after it in the list, or for an incident that exists
        // already (a split incident merged elsewhere later), folded into it.
        // An alert whose decision points at the incident it is in stays.
        let existing: std::collections::HashSet<IncidentId> =
            incidents.iter().map(|i| i.id.clone()).collect();
        let mut out: Vec<Arc<Incident>> = Vec::with_capacity(incidents.len());
        let mut made: HashMap<IncidentId, usize> = HashMap::new();
        let mut into_existing: Vec<(IncidentId, Incident)> = Vec::new();
        for inc in incidents {
            let leaves = |fp: &Fingerprint| self.split.get(fp).is_some_and(|d| d.to != inc.id);
            if !inc.alerts.iter().any(leaves) {
                out.push(inc);
                continue;
            }
            let mut by_target: BTreeMap<&IncidentId, Vec<Fingerprint>> = BTreeMap::new();
            let mut staying = Vec::new();
            for fp in &inc.alerts {
                match self.split.get(fp).filter(|d| d.to != inc.id) {
                    Some(d) => by_target.entry(&d.to).or_default().push(fp.clone()),
                    None => staying.push(fp.clone()),
                }
            }
            let mut parts = Vec::new();
            for (to, alerts) in by_target {
                let part = carve(&inc, to, alerts, store);
                rebuilt.insert(to.clone());
                if existing.contains(to) {
                    into_existing.push((to.clone(), part));
                } else if let Some(&i) = made.get(to) {
                    if let Some(m) = out.get_mut(i) {
                        fold(Arc::make_mut(m), &part, None);
                    }
                } else {
                    parts.push(part);
                }
            }
            if !staying.is_empty() {
                let gone: Vec<Fingerprint> =
                    inc.alerts.iter().filter(|fp| !staying.contains(fp)).cloned().collect();
                let mut rest = (*inc).clone();
                keep_only(&mut rest, staying, &gone, store);
                rebuilt.insert(rest.id.clone());
                out.push(Arc::new(rest));
            }
            for p in parts {
                made.insert(p.id.clone(), out.len());
                out.push(Arc::new(p));
            }
        }
        for (to, part) in into_existing {
            match out.iter_mut().find(|i| i.id == to) {
                Some(t) => fold(Arc::make_mut(t), &part, None),
                // Its own alerts all left: the part carries the id on.
                None => out.push(Arc::new(part)),
            }
        }
        // Then merges: absorbed incidents fold into their target, in place.
        if self.merged.is_empty() {
            return (out, rebuilt);
        }
        let position: HashMap<IncidentId, usize> =
            out.iter().enumerate().map(|(i, inc)| (inc.id.clone(), i)).collect();
        let mut absorbed = vec![false; out.len()];
        for i in 0..out.len() {
            let id = out[i].id.clone();
            let to = self.target(&id);
            if to == &id {
                continue;
            }
            let Some(&t) = position.get(to) else { continue };
            if t == i || absorbed[t] {
                continue;
            }
            let part = Arc::clone(&out[i]);
            let note = match self.merged.get(&id).and_then(|d| d.why.as_deref()) {
                Some(why) => (TimelineKind::Note, format!("{id} merged in: {why}")),
                None => (TimelineKind::Regrouped, format!("{id} merged in by the operator")),
            };
            fold(Arc::make_mut(&mut out[t]), &part, Some(note));
            absorbed[i] = true;
            rebuilt.insert(to.clone());
        }
        let out = out.into_iter().zip(absorbed).filter(|(_, a)| !a).map(|(inc, _)| inc).collect();
        (out, rebuilt)
    }
}

/// The decisions plus what applying them needs between passes: the
/// incidents last shown (to check new decisions against) and the ranked
/// result of each rebuilt incident, reused while its alerts and state did
/// not change (ranking every pass would cost a ranking per pass per
/// regrouped incident).
#[derive(Debug, Clone, Default)]
pub struct Regrouper {
    decisions: Decisions,
    shown: Vec<Arc<Incident>>,
    ranked: HashMap<IncidentId, (Signature, UnixMs, Arc<Incident>)>,
}

/// What a rebuilt incident's ranking depends on.
type Signature = (Vec<Fingerprint>, UnixMs, IncidentState, usize);

fn signature(inc: &Incident) -> Signature {
    (inc.alerts.clone(), inc.updated_at, inc.state, inc.timeline.len())
}

impl Regrouper {
    #[must_use]
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// Replaces the decisions (restored from the data dir at start).
    pub fn restore(&mut self, decisions: Decisions) {
        self.decisions = decisions;
        self.ranked.clear();
    }

    /// Records a decision against the incidents last shown.
    ///
    /// # Errors
    /// See [`Decisions::decide`].
    pub fn decide(&mut self, cmd: &Regroup, by: &str, at: UnixMs) -> Result<String, RegroupError> {
        let said = self.decisions.decide(cmd, by, at, &self.shown)?;
        self.decisions.prune(at);
        Ok(said)
    }

    /// Records a merge quell decided itself (see `engine::siblings`),
    /// unless a decision about `from` exists already (the operator's
    /// stands) or it would merge an incident into one absorbed by it.
    pub fn auto_merge(&mut self, m: super::siblings::SiblingMerge, now: UnixMs) {
        let d = &mut self.decisions;
        if d.merged.contains_key(&m.from) || d.target(&m.into) == &m.from {
            return;
        }
        let why = format!("its services all call {}, which alerts here", m.via);
        d.merged
            .insert(m.from, Decision { to: m.into, by: "quell".into(), at: now, why: Some(why) });
    }

    /// Lays the decisions over the correlator's incidents; `rank` fills in
    /// the title and causes of an incident rebuilt since its last ranking
    /// (or last ranked longer than `rerank_ms` ago while open).
    pub fn pass(
        &mut self,
        incidents: Vec<Arc<Incident>>,
        store: &Store,
        now: UnixMs,
        rerank_ms: i64,
        mut rank: impl FnMut(&mut Incident),
    ) -> Vec<Arc<Incident>> {
        let (mut out, rebuilt) = self.decisions.apply(incidents, store);
        for inc in out.iter_mut().filter(|i| rebuilt.contains(&i.id)) {
            let sig = signature(inc);
            let fresh = |(s, at, _): &(Signature, UnixMs, Arc<Incident>)| {
                *s == sig && (inc.state != IncidentState::Open || now - at < rerank_ms)
            };
            match self.ranked.get(&inc.id).filter(|c| fresh(c)) {
                Some((_, _, done)) => *inc = Arc::clone(done),
                None => {
                    rank(Arc::make_mut(inc));
                    self.ranked.insert(inc.id.clone(), (sig, now, Arc::clone(inc)));
                }
            }
        }
        self.ranked.retain(|id, _| rebuilt.contains(id));
        self.shown.clone_from(&out);
        out
    }
}

/// A fresh incident id for a split, unlike any shown or decided.
fn new_id(seed: &str, at: UnixMs, shown: &[Arc<Incident>], d: &Decisions) -> IncidentId {
    let mut n = crate::base::fnv1a(format!("split:{seed}@{at}").as_bytes());
    loop {
        let id = IncidentId(format!("I-{:06x}", n & 0xff_ffff));
        let taken = shown.iter().any(|i| i.id == id)
            || d.merged.contains_key(&id)
            || d.merged.values().chain(d.split.values()).any(|x| x.to == id);
        if !taken {
            return id;
        }
        n = n.wrapping_add(1);
    }
}

mod rebuild;
use rebuild::{carve, fold, keep_only};

#[cfg(test)]
mod tests;
