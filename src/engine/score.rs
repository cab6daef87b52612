//! Scoring incidents against ground truth (the demo world's injected faults).
//!
//! For each fault with alerts: its primary incident is the one holding most
//! of its alert occurrences; the fault is found at rank k when the incident's
//! k-th suspected root cause is the fault's root service. An incident "mixes"
//! faults when it holds occurrences of two different faults.

use std::collections::{BTreeMap, BTreeSet};

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
pub fn score_parts(incidents: &[Incident], truth: &[FaultTruth], now: UnixMs) -> Scorecard {
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
mod tests {
    use super::*;
    use crate::model::{Confidence, IncidentId, IncidentState, RootCause, Severity};

    fn inc(id: &str, fps: &[&str], causes: &[&str]) -> Incident {
        Incident {
            id: IncidentId(id.into()),
            title: String::new(),
            severity: Severity::Warning,
            state: IncidentState::Open,
            started_at: 0,
            updated_at: 0,
            resolved_at: None,
            alerts: fps.iter().map(|f| Fingerprint((*f).into())).collect(),
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
        }
    }

    fn fault(id: &str, root: &str, fps: &[&str]) -> FaultTruth {
        FaultTruth {
            id: id.into(),
            kind: "k".into(),
            root_service: root.into(),
            start: 0,
            end: 10,
            alerts: fps.iter().map(|f| (Fingerprint((*f).into()), 5)).collect(),
        }
    }

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
