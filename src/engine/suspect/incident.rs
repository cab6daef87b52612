//! The incident a corroborated suspicion shows: its id, title, causes
//! (the window ranker's when it ranked, else its services in onset order)
//! with the anomalies and signs as evidence, and its timeline.

use std::collections::BTreeSet;

use crate::model::{
    AnomalyEvent, Confidence, Evidence, Incident, IncidentId, IncidentState, RootCause, Severity,
    TimelineEntry, TimelineKind, UnixMs,
};

use super::watch::Instrument;
use super::{Suspicion, WINDOW_MS, corroborated};

pub(super) fn suspect_id(service: &str, ts: UnixMs) -> IncidentId {
    let h = crate::base::fnv1a(format!("{service}@{ts}").as_bytes());
    IncidentId(format!("S-{:06x}", h & 0xff_ffff))
}

fn line(e: &AnomalyEvent, service: &str) -> String {
    format!(
        "{} {} anomalous ({}, score {:.2}, {})",
        service,
        e.signal.describe(),
        crate::engine::deviation::format_value(&e.signal, "", e.value),
        e.score,
        e.kind
    )
}

pub(super) fn incident(g: &Suspicion, now: UnixMs) -> Incident {
    let mut signals: BTreeSet<&str> = g.events.iter().map(|e| e.signal.describe()).collect();
    signals.extend(g.signs.iter().map(|x| instrument_name(x.instrument)));
    let signals: Vec<&str> = signals.into_iter().collect();
    let shown: Vec<&str> = g.services.iter().map(String::as_str).take(3).collect();
    let more = g.services.len().saturating_sub(3);
    let more = if more > 0 { format!(" +{more}") } else { String::new() };
    // Candidates: a service corroborated on its own first, then in onset
    // order (the first to turn anomalous leads), the stronger on a tie.
    let mut order: Vec<(bool, UnixMs, f64, &String)> = g
        .services
        .iter()
        .map(|svc| {
            let mine = g.events.iter().filter(|e| e.service.as_deref() == Some(svc));
            let signs = g.signs.iter().filter(|x| &x.service == svc);
            let first = mine.clone().map(|e| e.ts).chain(signs.clone().map(|x| x.ts)).min();
            let best = mine.map(|e| e.score).chain(signs.map(|x| x.score)).fold(0.0, f64::max);
            (corroborated(g, svc), first.unwrap_or(g.since), best, svc)
        })
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.total_cmp(&a.2)));
    let from_metrics_only = g.signs.is_empty();
    let mut root_causes: Vec<RootCause> = order
        .iter()
        .enumerate()
        .map(|(rank, (_, _, best, svc))| {
            let mut evidence: Vec<Evidence> = g
                .events
                .iter()
                .filter(|e| e.service.as_deref() == Some(svc.as_str()))
                .map(|e| Evidence { ts: e.ts, text: line(e, svc) })
                .collect();
            evidence.extend(
                g.signs
                    .iter()
                    .filter(|x| &x.service == *svc)
                    .map(|x| Evidence { ts: x.ts, text: x.text.clone() }),
            );
            if rank == 0 {
                let how = if from_metrics_only { "from metrics only, " } else { "" };
                evidence.push(Evidence {
                    ts: g.since,
                    text: format!("first strong anomaly of the group; {how}no alert has fired"),
                });
            }
            RootCause {
                service: (*svc).clone(),
                score: best * 0.9_f64.powi(i32::try_from(rank).unwrap_or(i32::MAX)),
                confidence: Confidence::Low,
                evidence,
            }
        })
        .collect();
    // With signs of the watch, the window ranker's order first, at low
    // confidence (no alert confirms it), each with the clues it also
    // raised; the suspicion's own services it did not rank after them. A
    // suspicion of the detectors' anomalies alone keeps their onset order
    // (the demo's datastore faults are led by the datastore that way, and
    // the ranker, without spans there, put a caller first).
    let signs_seen = !g.signs.is_empty();
    if let Some((_, ranked)) = g.ranked.as_ref().filter(|(_, r)| signs_seen && !r.is_empty()) {
        let mut own = std::mem::take(&mut root_causes);
        for c in ranked {
            let mut c = c.clone();
            c.confidence = Confidence::Low;
            if let Some(i) = own.iter().position(|o| o.service == c.service) {
                c.evidence.extend(own.remove(i).evidence);
            }
            root_causes.push(c);
        }
        let floor = root_causes.last().map_or(0.0, |c| c.score);
        for (i, mut o) in own.into_iter().enumerate() {
            o.score = floor * 0.9_f64.powi(i32::try_from(i + 1).unwrap_or(i32::MAX));
            root_causes.push(o);
        }
    }
    let quiet = now - g.last() > WINDOW_MS;
    let mut timeline: Vec<TimelineEntry> = g
        .events
        .iter()
        .map(|e| TimelineEntry {
            ts: e.ts,
            kind: TimelineKind::Anomaly,
            text: line(e, e.service.as_deref().unwrap_or("?")),
        })
        .chain(g.signs.iter().map(|x| TimelineEntry {
            ts: x.ts,
            kind: TimelineKind::Anomaly,
            text: x.text.clone(),
        }))
        .collect();
    timeline.sort_by_key(|t| t.ts);
    Incident {
        id: g.id.clone(),
        title: format!(
            "suspected: {} anomaly on {}{more}, no alert yet",
            signals.join(" + "),
            shown.join(", ")
        ),
        severity: Severity::Info,
        state: if quiet { IncidentState::Quiet } else { IncidentState::Open },
        started_at: g.start(),
        updated_at: g.last(),
        resolved_at: None,
        alerts: Vec::new(),
        services: g.services.clone(),
        root_causes,
        timeline,
        acked: false,
    }
}

fn instrument_name(i: Instrument) -> &'static str {
    match i {
        Instrument::Metrics => "metrics window",
        Instrument::Spans => "spans",
        Instrument::LogErrors => "error logs",
        Instrument::LogStopped => "stopped log line",
    }
}
