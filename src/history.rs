//! Incident history: every incident that resolves is remembered (services,
//! alert names, suspected cause, who acknowledged it and their note), and
//! each open incident is shown the most similar past ones and whether its
//! kind is new, rare or frequent (PagerDuty's outlier classes).
//!
//! Similarity is the Jaccard index of two feature sets — `svc:<service>`
//! and `alert:<alertname>` — which is cheap, explainable ("same services
//! and alerts") and needs no training. The history is bounded and, when a
//! path is given, appended to a JSON-lines file in the data dir (synced per
//! entry) and read back at start, so it survives restarts.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

pub use crate::model::{HistoryMatch, PastIncident, Rarity};
use crate::model::{Incident, IncidentId, IncidentState, View};

/// File name inside the data dir.
pub const FILE_NAME: &str = "incidents.jsonl";
/// Past incidents kept in memory (the newest).
const MAX_PAST: usize = 5_000;
/// How far back "rare" and "frequent" look.
const WINDOW_MS: i64 = 30 * 24 * 3_600_000;
/// Similarity at which a past incident counts as the same kind.
const SAME_KIND: f64 = 0.5;
/// Similar incidents shown per open incident.
const SHOWN: usize = 3;

#[derive(Debug, Clone, Default)]
pub struct History {
    past: Vec<PastIncident>,
    recorded: HashSet<IncidentId>,
    path: Option<PathBuf>,
}

fn features(services: &[String], alertnames: &[String]) -> BTreeSet<String> {
    services
        .iter()
        .map(|s| format!("svc:{s}"))
        .chain(alertnames.iter().map(|a| format!("alert:{a}")))
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 { 0.0 } else { inter as f64 / union as f64 }
}

fn alertnames(view: &View, inc: &Incident) -> Vec<String> {
    let set: BTreeSet<String> = inc
        .alerts
        .iter()
        .filter_map(|fp| view.alerts.get(fp))
        .map(|a| a.alert.name().to_string())
        .collect();
    set.into_iter().collect()
}

impl History {
    /// An in-memory history (the demo, tests).
    #[must_use]
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A history kept in `path`, read now. Unreadable lines are skipped.
    #[must_use]
    pub fn open(path: PathBuf) -> Self {
        let mut past = Vec::new();
        if let Ok(f) = std::fs::File::open(&path) {
            for line in std::io::BufReader::new(f).lines().map_while(Result::ok) {
                if let Ok(p) = serde_json::from_str::<PastIncident>(&line) {
                    past.push(p);
                }
            }
        }
        let start = past.len().saturating_sub(MAX_PAST);
        past.drain(..start);
        let recorded = past.iter().map(|p| p.id.clone()).collect();
        Self { past, recorded, path: Some(path) }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.past.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.past.is_empty()
    }

    /// Records incidents that resolved since the last call, then annotates
    /// every other incident of the view with its similar past ones.
    pub fn process(&mut self, view: &mut View) {
        for inc in &view.incidents {
            if inc.state == IncidentState::Resolved && !self.recorded.contains(&inc.id) {
                let ack = view.ack_of(&inc.id);
                let p = PastIncident {
                    id: inc.id.clone(),
                    title: inc.title.clone(),
                    started_at: inc.started_at,
                    resolved_at: inc.resolved_at.unwrap_or(view.now),
                    services: inc.services.clone(),
                    alertnames: alertnames(view, inc),
                    cause: inc.root_causes.first().map(|c| c.service.clone()),
                    acked_by: ack.map(|a| a.by.clone()),
                    note: ack.map(|a| a.note.clone()),
                    regrouped: inc
                        .timeline
                        .iter()
                        .filter(|t| t.kind == crate::model::TimelineKind::Regrouped)
                        .map(|t| t.text.clone())
                        .collect(),
                };
                self.append(p);
                self.recorded.insert(inc.id.clone());
            }
        }
        let mut out = BTreeMap::new();
        for inc in view.incidents.iter().filter(|i| i.state != IncidentState::Resolved) {
            let f = features(&inc.services, &alertnames(view, inc));
            let mut scored: Vec<(f64, &PastIncident)> = self
                .past
                .iter()
                .filter(|p| p.id != inc.id && p.resolved_at <= inc.started_at.max(view.now))
                .map(|p| (jaccard(&f, &features(&p.services, &p.alertnames)), p))
                .filter(|(s, _)| *s > 0.0)
                .collect();
            let same_kind = scored
                .iter()
                .filter(|(s, p)| *s >= SAME_KIND && view.now - p.resolved_at <= WINDOW_MS)
                .count();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.resolved_at.cmp(&a.1.resolved_at)));
            let rarity = match same_kind {
                0 => Rarity::New,
                1 | 2 => Rarity::Rare,
                _ => Rarity::Frequent,
            };
            let similar = scored.into_iter().take(SHOWN).map(|(s, p)| (s, p.clone())).collect();
            out.insert(inc.id.clone(), HistoryMatch { rarity, same_kind, similar });
        }
        view.history = out;
    }

    fn append(&mut self, p: PastIncident) {
        if let Some(path) = &self.path
            && let Err(e) = append_line(path, &p)
        {
            tracing::warn!(path = %path.display(), "incident history not written: {e}");
        }
        self.past.push(p);
        if self.past.len() > MAX_PAST {
            let cut = self.past.len() - MAX_PAST;
            self.past.drain(..cut);
        }
    }
}

fn append_line(path: &Path, p: &PastIncident) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let line = serde_json::to_string(p).map_err(std::io::Error::other)?;
    writeln!(f, "{line}")?;
    f.sync_data()
}

/// `<data dir>/incidents.jsonl`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Alert, AlertState, AlertView, Fingerprint, Labels, Severity};

    fn incident(
        id: &str,
        state: IncidentState,
        services: &[&str],
        alerts: &[&str],
        at: i64,
    ) -> (Incident, Vec<AlertView>) {
        let views: Vec<AlertView> = alerts
            .iter()
            .zip(services.iter().cycle())
            .map(|(name, svc)| {
                let labels: Labels = [("alertname", *name), ("service", *svc), ("incident", id)]
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect();
                AlertView {
                    alert: Alert::new("am", labels, AlertState::Firing, at),
                    spark: vec![],
                    threshold: None,
                    anomalies: vec![],
                    spark_span: None,
                }
            })
            .collect();
        let inc = Incident {
            id: IncidentId(id.into()),
            title: format!("{id} title"),
            severity: Severity::Critical,
            state,
            started_at: at,
            updated_at: at,
            resolved_at: (state == IncidentState::Resolved).then_some(at + 60_000),
            alerts: views.iter().map(|v| v.alert.fingerprint.clone()).collect::<Vec<Fingerprint>>(),
            services: services.iter().map(|s| (*s).to_string()).collect(),
            root_causes: vec![],
            timeline: vec![],
            acked: false,
        };
        (inc, views)
    }

    fn view(now: i64, incs: Vec<(Incident, Vec<AlertView>)>) -> View {
        let mut v = View { now, ..View::default() };
        for (i, alerts) in incs {
            for a in alerts {
                v.alerts.insert(a.alert.fingerprint.clone(), a);
            }
            v.incidents.push(Arc::new(i));
        }
        v
    }

    #[test]
    fn resolved_incidents_are_remembered_and_similar_ones_found() {
        let dir = std::env::temp_dir().join(format!("quell-history-{}", std::process::id()));
        let path = dir.join(FILE_NAME);
        let _ = std::fs::remove_file(&path);
        let mut h = History::open(path.clone());
        let h0 = 1_000_000_000;
        for k in 0..3 {
            let at = h0 + k * 3_600_000;
            let id = format!("I-db{k}");
            let mut v = view(
                at + 120_000,
                vec![incident(
                    &id,
                    IncidentState::Resolved,
                    &["postgres", "payments"],
                    &["PgSlow", "HighLatency"],
                    at,
                )],
            );
            h.process(&mut v);
        }
        let mut v = view(
            h0 + 4 * 3_600_000,
            vec![incident("I-other", IncidentState::Resolved, &["edge"], &["CertExpiry"], h0)],
        );
        h.process(&mut v);
        assert_eq!(h.len(), 4);

        // Reopened from disk: the same four, and a new occurrence is "frequent".
        let mut h = History::open(path);
        assert_eq!(h.len(), 4);
        let now = h0 + 5 * 3_600_000;
        let mut v = view(
            now,
            vec![
                incident(
                    "I-now",
                    IncidentState::Open,
                    &["postgres", "payments"],
                    &["PgSlow", "HighLatency"],
                    now,
                ),
                incident("I-odd", IncidentState::Open, &["queue"], &["QueueStuck"], now),
                incident("I-cert", IncidentState::Open, &["edge"], &["CertExpiry"], now),
            ],
        );
        h.process(&mut v);
        let m = &v.history[&IncidentId("I-now".into())];
        assert_eq!((m.rarity, m.same_kind), (Rarity::Frequent, 3));
        assert_eq!(m.similar.len(), 3);
        assert!((m.similar[0].0 - 1.0).abs() < 1e-9);
        assert_eq!(m.similar[0].1.id.0, "I-db2", "the most recent of the equally similar first");
        assert_eq!(v.history[&IncidentId("I-odd".into())].rarity, Rarity::New);
        assert_eq!(v.history[&IncidentId("I-cert".into())].rarity, Rarity::Rare);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_operators_regroups_are_remembered_as_such() {
        use crate::model::{TimelineEntry, TimelineKind};
        let entry = |kind, text: &str| TimelineEntry { ts: 5, kind, text: text.into() };
        let (mut inc, alerts) =
            incident("I-m", IncidentState::Resolved, &["db"], &["PgSlow"], 1_000_000);
        inc.timeline = vec![
            entry(TimelineKind::Note, "I-a merged in: its services all call db, which alerts here"),
            entry(TimelineKind::Regrouped, "I-b merged in by the operator"),
            entry(TimelineKind::AlertFired, "PgSlow fired by the operator"),
        ];
        let mut h = History::in_memory();
        h.process(&mut view(2_000_000, vec![(inc, alerts)]));
        assert_eq!(h.past[0].regrouped, ["I-b merged in by the operator"]);
    }
}
