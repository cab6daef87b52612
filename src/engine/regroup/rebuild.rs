//! Rebuilding the incidents a regrouping decision touches: what a set of
//! alerts says about its incident (services, severity, start, state), the
//! part of a timeline that is about them, and folding one incident into
//! another. No decisions here; see the parent module.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Fingerprint, Incident, IncidentId, IncidentState, TimelineEntry, TimelineKind, UnixMs,
};
use crate::store::Store;

/// The (alertname, service) of each alert the store still holds.
fn pairs(alerts: &[Fingerprint], store: &Store) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .filter_map(|fp| store.alert(fp))
        .map(|e| (e.alert.name().to_string(), e.alert.service().unwrap_or("?").to_string()))
        .collect()
}

/// Whether a fired/resolved line of the timeline is about one of `pairs`.
fn about(e: &TimelineEntry, pairs: &BTreeSet<(String, String)>) -> bool {
    matches!(e.kind, TimelineKind::AlertFired | TimelineKind::AlertResolved)
        && pairs.iter().any(|(name, svc)| {
            e.text.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with(' '))
                && e.text.contains(&format!(" on {svc}"))
        })
}

/// Recomputes what an incident's alerts decide: services (most alerts
/// first), severity, start, and whether any still fires.
fn derive(inc: &mut Incident, store: &Store) -> bool {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let mut active = false;
    let mut severity = None;
    let mut started = None;
    for e in inc.alerts.iter().filter_map(|fp| store.alert(fp)) {
        *count
            .entry(e.alert.service().unwrap_or(crate::model::UNNAMED_ENTITY).to_string())
            .or_default() += 1;
        active |= e.alert.state.is_active();
        let s = e.alert.severity();
        severity = Some(severity.map_or(s, |x: crate::model::Severity| x.min(s)));
        let t = e.alert.starts_at;
        started = Some(started.map_or(t, |x: UnixMs| x.min(t)));
    }
    let mut services: Vec<(String, usize)> = count.into_iter().collect();
    services.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if !services.is_empty() {
        inc.services = services.into_iter().map(|(s, _)| s).collect();
    }
    if let Some(s) = severity {
        inc.severity = s;
    }
    if let Some(t) = started {
        inc.started_at = t;
    }
    active
}

/// The new incident `to` made of `alerts` taken out of `from`.
pub(super) fn carve(
    from: &Incident,
    to: &IncidentId,
    alerts: Vec<Fingerprint>,
    store: &Store,
) -> Incident {
    let mine = pairs(&alerts, store);
    let mut inc = Incident {
        id: to.clone(),
        title: from.title.clone(),
        severity: from.severity,
        state: from.state,
        started_at: from.started_at,
        updated_at: from.updated_at,
        resolved_at: from.resolved_at,
        alerts,
        services: Vec::new(),
        root_causes: Vec::new(),
        timeline: from.timeline.iter().filter(|e| about(e, &mine)).cloned().collect(),
        acked: false,
    };
    let active = derive(&mut inc, store);
    settle(&mut inc, active);
    inc.timeline.push(TimelineEntry {
        ts: inc.timeline.last().map_or(inc.started_at, |e| e.ts),
        kind: TimelineKind::Regrouped,
        text: format!("split out of {} by the operator", from.id),
    });
    inc
}

/// `inc` without the alerts that were split out.
pub(super) fn keep_only(
    inc: &mut Incident,
    staying: Vec<Fingerprint>,
    gone: &[Fingerprint],
    store: &Store,
) {
    let left = pairs(&staying, store);
    let only_gone: BTreeSet<(String, String)> =
        pairs(gone, store).into_iter().filter(|p| !left.contains(p)).collect();
    inc.timeline.retain(|e| !about(e, &only_gone));
    inc.alerts = staying;
    let active = derive(inc, store);
    settle(inc, active);
}

/// An incident whose alerts stopped firing is at most quiet; one with a
/// firing alert is open.
fn settle(inc: &mut Incident, active: bool) {
    if active {
        inc.state = IncidentState::Open;
        inc.resolved_at = None;
    } else if inc.state == IncidentState::Open {
        inc.state = IncidentState::Quiet;
    }
}

/// Folds `part` into `into`: alerts, services, timeline; the worse
/// severity, the earlier start, the livelier state; `note` (if any) on the
/// timeline says why (a [`TimelineKind::Note`] when quell merged on its
/// own, [`TimelineKind::Regrouped`] when the operator did).
pub(super) fn fold(into: &mut Incident, part: &Incident, note: Option<(TimelineKind, String)>) {
    for fp in &part.alerts {
        if !into.alerts.contains(fp) {
            into.alerts.push(fp.clone());
        }
    }
    for s in &part.services {
        if !into.services.contains(s) {
            into.services.push(s.clone());
        }
    }
    into.severity = into.severity.min(part.severity);
    into.started_at = into.started_at.min(part.started_at);
    into.updated_at = into.updated_at.max(part.updated_at);
    let rank = |s: IncidentState| match s {
        IncidentState::Open => 0,
        IncidentState::Quiet => 1,
        IncidentState::Resolved => 2,
    };
    if rank(part.state) < rank(into.state) {
        into.state = part.state;
    }
    into.resolved_at = match (into.state, into.resolved_at, part.resolved_at) {
        (IncidentState::Resolved, Some(a), Some(b)) => Some(a.max(b)),
        (IncidentState::Resolved, a, b) => a.or(b),
        _ => None,
    };
    into.acked |= part.acked;
    let mut timeline = into.timeline.clone();
    timeline.extend(part.timeline.iter().cloned());
    if let Some((kind, text)) = note {
        timeline.push(TimelineEntry { ts: part.started_at, kind, text });
    }
    timeline.sort_by_key(|e| e.ts);
    let excess = timeline.len().saturating_sub(200);
    timeline.drain(..excess);
    into.timeline = timeline;
}
