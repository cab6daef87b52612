//! Scoring incidents against ground truth (the demo world's injected faults).
//!
//! For each fault with alerts: its primary incident is the one holding most
//! of its alert occurrences; the fault is found at rank k when the incident's
//! k-th suspected root cause is the fault's root service. An incident "mixes"
//! faults when it holds occurrences of two different faults.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::model::{FaultTruth, Fingerprint, Incident, UnixMs, View};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultOutcome {
    pub fault: String,
    pub kind: String,
    pub root_service: String,
    pub alerts: usize,
    pub incident: Option<String>,
    /// 1-based rank of the true root among suspected causes, if present.
    pub rank: Option<usize>,
    pub top_cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub faults: usize,
    pub faults_with_alerts: usize,
    pub top1: usize,
    pub top3: usize,
    /// top1 / faults_with_alerts.
    pub top1_accuracy: f64,
    pub top3_accuracy: f64,
    pub incidents: usize,
    /// Incidents holding alerts of more than one fault.
    pub mixed_incidents: Vec<String>,
    pub outcomes: Vec<FaultOutcome>,
}

/// Whether incident `inc` holds the occurrence (fingerprint, start).
fn holds(inc: &Incident, fp: &Fingerprint, start: UnixMs, now: UnixMs) -> bool {
    start >= inc.started_at
        && start <= inc.resolved_at.unwrap_or(now)
        && inc.alerts.iter().any(|f| f == fp)
}

#[must_use]
pub fn score(view: &View) -> Scorecard {
    score_parts(&view.incidents, &view.ground_truth, view.now)
}

#[must_use]
pub fn score_parts(incidents: &[Arc<Incident>], truth: &[FaultTruth], now: UnixMs) -> Scorecard {
    let mut outcomes = Vec::new();
    let mut faults_in: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in truth {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (fp, start) in &f.alerts {
            if let Some(inc) = incidents.iter().find(|i| holds(i, fp, *start, now)) {
                *counts.entry(inc.id.0.as_str()).or_default() += 1;
                faults_in.entry(inc.id.0.as_str()).or_default().insert(f.id.as_str());
            }
        }
        let primary =
            counts.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id))).map(|(id, _)| *id);
        let inc = primary.and_then(|id| incidents.iter().find(|i| i.id.0 == id));
        let rank = inc.and_then(|i| {
            i.root_causes.iter().position(|c| c.service == f.root_service).map(|p| p + 1)
        });
        outcomes.push(FaultOutcome {
            fault: f.id.clone(),
            kind: f.kind.clone(),
            root_service: f.root_service.clone(),
            alerts: f.alerts.len(),
            incident: primary.map(str::to_string),
            rank,
            top_cause: inc.and_then(|i| i.root_causes.first()).map(|c| c.service.clone()),
        });
    }
    let with_alerts = outcomes.iter().filter(|o| o.alerts > 0).count();
    let top1 = outcomes.iter().filter(|o| o.rank == Some(1)).count();
    let top3 = outcomes.iter().filter(|o| o.rank.is_some_and(|r| r <= 3)).count();
    let ratio = |n: usize| {
        if with_alerts == 0 { 0.0 } else { n as f64 / with_alerts as f64 }
    };
    Scorecard {
        faults: truth.len(),
        faults_with_alerts: with_alerts,
        top1,
        top3,
        top1_accuracy: ratio(top1),
        top3_accuracy: ratio(top3),
        incidents: incidents.len(),
        mixed_incidents: faults_in
            .into_iter()
            .filter(|(_, fs)| fs.len() > 1)
            .map(|(id, _)| id.to_string())
            .collect(),
        outcomes,
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::model::{Confidence, IncidentId, IncidentState, RootCause, Severity};

    pub(super) fn inc(id: &str, fps: &[&str], causes: &[&str]) -> Arc<Incident> {
        Arc::new(Incident {
            id: IncidentId(id.into()),
            title: String::new(),
            severity: Severity::Warning,
            state: IncidentState::Open,
            started_at: 0,
            updated_at: 0,
            resolved_at: None,
            alerts: fps.iter().map(|f| Fingerprint::from(*f)).collect(),
            services: vec![],
            root_causes: causes
                .iter()
                .map(|s| RootCause {
                    service: (*s).into(),
                    score: 0.5,
                    confidence: Confidence::Low,
                    evidence: vec![],
                })
                .collect(),
            timeline: vec![],
            acked: false,
        })
    }

    pub(super) fn fault(id: &str, root: &str, fps: &[&str]) -> FaultTruth {
        FaultTruth {
            id: id.into(),
            kind: "k".into(),
            root_service: root.into(),
            start: 0,
            end: 10,
            alerts: fps.iter().map(|f| (Fingerprint::from(*f), 5)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn ranks_and_mixing_are_counted() {
        let incidents = vec![
            inc("I-1", &["a", "b"], &["db", "api"]),
            inc("I-2", &["c", "d"], &["x", "y", "cache"]),
        ];
        let truth = vec![
            fault("f1", "db", &["a", "b"]),
            fault("f2", "cache", &["c"]),
            fault("f3", "web", &["d"]),
            fault("f4", "none", &[]),
        ];
        let s = score_parts(&incidents, &truth, 100);
        assert_eq!(s.faults, 4);
        assert_eq!(s.faults_with_alerts, 3);
        assert_eq!(s.top1, 1);
        assert_eq!(s.top3, 2);
        assert!((s.top1_accuracy - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.mixed_incidents, vec!["I-2".to_string()]);
        assert_eq!(s.outcomes[1].rank, Some(3));
        assert_eq!(s.outcomes[3].incident, None);
    }
}

/// Pairwise grouping quality of alert occurrences (ground truth: the fault
/// each occurrence is attributed to; prediction: the incident holding it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Grouping {
    pub alerts: usize,
    /// Distinct incidents holding those alerts.
    pub incidents: usize,
    pub true_pairs: u64,
    pub false_pairs: u64,
    pub missed_pairs: u64,
    /// Adjusted Rand index (1.0 when both partitions are trivial and equal).
    pub ari: f64,
}

impl Grouping {
    #[must_use]
    pub fn precision(&self) -> f64 {
        ratio(self.true_pairs, self.true_pairs + self.false_pairs)
    }

    #[must_use]
    pub fn recall(&self) -> f64 {
        ratio(self.true_pairs, self.true_pairs + self.missed_pairs)
    }

    #[must_use]
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }

    /// 1 − incidents / alerts.
    #[must_use]
    pub fn compression(&self) -> f64 {
        if self.alerts == 0 { 0.0 } else { 1.0 - self.incidents as f64 / self.alerts as f64 }
    }
}

/// Empty denominators count as perfect: no pairs to get wrong.
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn choose2(n: u64) -> f64 {
    (n * n.saturating_sub(1)) as f64 / 2.0
}

#[must_use]
pub fn grouping(incidents: &[Arc<Incident>], truth: &[FaultTruth], now: UnixMs) -> Grouping {
    // (true cluster, predicted cluster) per occurrence; an occurrence no
    // incident holds is its own predicted cluster.
    let mut labels: Vec<(usize, String)> = Vec::new();
    for (t, f) in truth.iter().enumerate() {
        for (k, (fp, start)) in f.alerts.iter().enumerate() {
            let pred = incidents
                .iter()
                .find(|i| holds(i, fp, *start, now))
                .map_or_else(|| format!("unheld-{t}-{k}"), |i| i.id.0.clone());
            labels.push((t, pred));
        }
    }
    let mut g = Grouping { alerts: labels.len(), ..Grouping::default() };
    let mut cells: BTreeMap<(usize, &str), u64> = BTreeMap::new();
    let mut rows: BTreeMap<usize, u64> = BTreeMap::new();
    let mut cols: BTreeMap<&str, u64> = BTreeMap::new();
    for (t, p) in &labels {
        *cells.entry((*t, p.as_str())).or_default() += 1;
        *rows.entry(*t).or_default() += 1;
        *cols.entry(p.as_str()).or_default() += 1;
    }
    g.incidents = cols.keys().filter(|p| !p.starts_with("unheld-")).count();
    let same_both: f64 = cells.values().map(|&n| choose2(n)).sum();
    let same_true: f64 = rows.values().map(|&n| choose2(n)).sum();
    let same_pred: f64 = cols.values().map(|&n| choose2(n)).sum();
    g.true_pairs = same_both as u64;
    g.false_pairs = (same_pred - same_both) as u64;
    g.missed_pairs = (same_true - same_both) as u64;
    let total = choose2(labels.len() as u64);
    let expected = if total > 0.0 { same_true * same_pred / total } else { 0.0 };
    let max = (same_true + same_pred) / 2.0;
    g.ari = if (max - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (same_both - expected) / (max - expected)
    };
    g
}

#[cfg(test)]
mod grouping_tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn perfect_grouping_scores_one() {
        let incidents = vec![inc("I-1", &["a", "b"], &[]), inc("I-2", &["c"], &[])];
        let truth = vec![fault("f1", "x", &["a", "b"]), fault("f2", "y", &["c"])];
        let g = grouping(&incidents, &truth, 100);
        assert_eq!((g.true_pairs, g.false_pairs, g.missed_pairs), (1, 0, 0));
        assert!((g.f1() - 1.0).abs() < 1e-9);
        assert!((g.ari - 1.0).abs() < 1e-9);
        assert!((g.compression() - (1.0 - 2.0 / 3.0)).abs() < 1e-9);
    }

    #[test]
    fn merged_and_split_groups_cost_precision_and_recall() {
        // Truth {a,b},{c,d}; predicted {a,b,c},{d}.
        let incidents = vec![inc("I-1", &["a", "b", "c"], &[]), inc("I-2", &["d"], &[])];
        let truth = vec![fault("f1", "x", &["a", "b"]), fault("f2", "y", &["c", "d"])];
        let g = grouping(&incidents, &truth, 100);
        // Predicted same pairs: ab, ac, bc (3); true same pairs: ab, cd (2); both: ab.
        assert_eq!((g.true_pairs, g.false_pairs, g.missed_pairs), (1, 2, 1));
        assert!((g.precision() - 1.0 / 3.0).abs() < 1e-9);
        assert!((g.recall() - 0.5).abs() < 1e-9);
        // Hand-computed ARI: index 1, expected 2*3/6 = 1, max 2.5 -> 0.
        assert!(g.ari.abs() < 1e-9, "{}", g.ari);
    }
}
