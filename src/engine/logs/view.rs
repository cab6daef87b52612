//! The logs pane's data: per service involved in the listed incidents, its
//! templates with new/spiking badges relative to that incident's window.

use std::collections::BTreeMap;

use crate::model::{Incident, IncidentState, LogPatternView, UnixMs};

use super::patterns::{FindingKind, LogPatterns};

/// Incidents (most urgent first) whose services get patterns in the view.
const INCIDENTS: usize = 20;
/// Templates per service in the view.
const PER_SERVICE: usize = 15;
/// Look-back before an incident start and baseline length, as in ranking.
const LOOKBACK_MS: i64 = 10 * 60_000;

/// Patterns per service, for the services of the first listed incidents
/// (their alerting services and suspected causes).
#[must_use]
pub fn build(
    patterns: &LogPatterns,
    incidents: &[std::sync::Arc<Incident>],
    baseline_ms: i64,
    now: UnixMs,
) -> BTreeMap<String, Vec<LogPatternView>> {
    let mut out = BTreeMap::new();
    for inc in incidents.iter().take(INCIDENTS) {
        let end =
            if inc.state == IncidentState::Resolved { inc.resolved_at.unwrap_or(now) } else { now };
        let window = (inc.started_at - LOOKBACK_MS, end.max(inc.started_at));
        let base = (window.0 - baseline_ms, window.0);
        let services = inc.services.iter().chain(inc.root_causes.iter().map(|rc| &rc.service));
        for svc in services {
            if out.contains_key(svc) {
                continue;
            }
            let findings = patterns.findings(svc, base, window);
            let flag = |id, kind| findings.iter().any(|f| f.template == id && f.kind == kind);
            let mut rows: Vec<LogPatternView> = patterns
                .of_service(svc)
                .map(|(id, s)| LogPatternView {
                    id: id.to_string(),
                    text: s.text.clone(),
                    level: s.level,
                    count: s.total,
                    first_seen: s.first_seen,
                    last_seen: s.last_seen,
                    new: flag(id, FindingKind::New),
                    spiking: flag(id, FindingKind::Spike),
                    lines: s.recent.iter().cloned().collect(),
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            rows.sort_by(|a, b| {
                (b.new || b.spiking)
                    .cmp(&(a.new || a.spiking))
                    .then(a.level.cmp(&b.level))
                    .then(b.count.cmp(&a.count))
                    .then(a.id.cmp(&b.id))
            });
            rows.truncate(PER_SERVICE);
            out.insert(svc.clone(), rows);
        }
    }
    out
}
