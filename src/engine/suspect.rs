//! Suspected incidents: a service whose key signals (error ratio, p99
//! latency, request rate, and CPU as corroboration) turn strongly anomalous
//! while nothing alerts on it gets an incident of its own, clearly labelled "suspected", before any
//! threshold trips. Its id starts with `S-` ([`IncidentId::is_suspected`]),
//! it carries no alerts, its severity is info (it never pages) and its one
//! candidate cause is the service itself, at low confidence, with the
//! anomalies as evidence.
//!
//! Sustained, not a blip: at least [`MIN_EVENTS`] anomalies scoring
//! [`STRONG`] or more on the service's key signals within [`WINDOW_MS`],
//! one of them on a signal users feel (errors, latency, traffic): a CPU
//! anomaly corroborates one of those (a saturated service that also turned
//! slow) but two CPU anomalies alone are a busy host, not an incident.
//! It goes away when an alert on the service fires or an incident covers
//! the service (the real incident takes over), or after [`QUIET_MS`]
//! without such an anomaly. Pure: fed the detectors' events, no I/O.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::model::{
    AnomalyEvent, Confidence, Evidence, Incident, IncidentId, IncidentState, RootCause, Severity,
    Signal, TimelineEntry, TimelineKind, Topology, UnixMs,
};
use crate::store::Store;

/// Detector score an anomaly needs to count here (the live threshold is
/// lower: a marker on a chart is cheaper than an incident).
pub const STRONG: f64 = 0.8;
/// Strong anomalies needed within [`WINDOW_MS`].
pub const MIN_EVENTS: usize = 2;
pub const WINDOW_MS: i64 = 5 * 60_000;
/// A suspicion with no strong anomaly for this long is dropped.
pub const QUIET_MS: i64 = 10 * 60_000;
/// Evidence lines kept per suspicion.
const MAX_EVIDENCE: usize = 8;

/// Signals whose anomaly says users are affected.
fn user_signal(s: &Signal) -> bool {
    matches!(s, Signal::ErrorRatio | Signal::LatencyP99 | Signal::RequestRate)
}

/// Signals that count towards a suspicion: the user-facing ones, and
/// saturation of the service's own CPU (the cause of a slow service as often
/// as not, e.g. a noisy neighbour or a runaway thread).
fn key_signal(s: &Signal) -> bool {
    user_signal(s) || matches!(s, Signal::Cpu)
}

/// Services under suspicion together: anomalous services next to each
/// other in the call graph are one problem, like alerts are.
#[derive(Debug, Clone)]
struct Suspicion {
    id: IncidentId,
    since: UnixMs,
    last: UnixMs,
    /// In order of their first strong anomaly.
    services: Vec<String>,
    events: Vec<AnomalyEvent>,
}

/// The suspicions in force, carried from pass to pass.
#[derive(Debug, Clone, Default)]
pub struct Suspects {
    open: Vec<Suspicion>,
    /// The newest anomaly already taken in.
    seen_until: Option<UnixMs>,
}

/// One call apart, either way.
fn adjacent(topo: &Topology, a: &str, b: &str) -> bool {
    topo.callees(a).any(|c| c == b) || topo.callers(a).any(|c| c == b)
}

impl Suspects {
    /// Takes in the anomalies newer than the last pass (`recent` in any
    /// order), updates the suspicions against `incidents`, the store's
    /// active alerts and the call graph, and returns the suspected
    /// incidents to show.
    pub fn update<'a>(
        &mut self,
        recent: impl Iterator<Item = &'a AnomalyEvent>,
        incidents: &[Arc<Incident>],
        store: &Store,
        topo: &Topology,
        now: UnixMs,
    ) -> Vec<Arc<Incident>> {
        let since = self.seen_until;
        let mut fresh: Vec<&AnomalyEvent> = recent
            .filter(|e| since.is_none_or(|t| e.ts > t))
            .filter(|e| e.score >= STRONG && key_signal(&e.signal))
            .collect();
        fresh.sort_by_key(|e| e.ts);
        if let Some(e) = fresh.last() {
            self.seen_until = Some(e.ts);
        }
        for e in fresh {
            let Some(svc) = e.service.as_deref() else { continue };
            // Expire as of this anomaly, so one pass over an hour of
            // history groups exactly as a pass per step would.
            self.open.retain(|g| live_at(g, e.ts));
            let near =
                |g: &Suspicion| g.services.iter().any(|m| m == svc || adjacent(topo, m, svc));
            let g = match self.open.iter().position(near) {
                Some(i) => &mut self.open[i],
                None => {
                    self.open.push(Suspicion {
                        id: suspect_id(svc, e.ts),
                        since: e.ts,
                        last: e.ts,
                        services: Vec::new(),
                        events: Vec::new(),
                    });
                    let last = self.open.len() - 1;
                    &mut self.open[last]
                }
            };
            if !g.services.iter().any(|m| m == svc) {
                g.services.push(svc.to_string());
            }
            g.last = g.last.max(e.ts);
            g.events.push(e.clone());
            let excess = g.events.len().saturating_sub(MAX_EVIDENCE);
            g.events.drain(..excess);
        }
        // Something real covers a service, or a neighbour of one: the
        // incident made of alerts takes over.
        let mut covered: BTreeSet<&str> = BTreeSet::new();
        for inc in incidents.iter().filter(|i| i.state != IncidentState::Resolved) {
            covered.extend(inc.services.iter().map(String::as_str));
            covered.extend(inc.root_causes.first().map(|c| c.service.as_str()));
        }
        let alerting: BTreeSet<String> = store
            .alerts()
            .filter(|e| e.alert.state.is_active())
            .filter_map(|e| e.alert.service().map(str::to_string))
            .collect();
        covered.extend(alerting.iter().map(String::as_str));
        let taken_over =
            |svc: &str| covered.contains(svc) || covered.iter().any(|c| adjacent(topo, c, svc));
        self.open.retain(|g| live_at(g, now) && !g.services.iter().any(|s| taken_over(s)));
        self.open.iter().filter(|g| sustained(g)).map(|g| Arc::new(incident(g, now))).collect()
    }
}

/// Still in force at `t`: not quiet for [`QUIET_MS`], and not a blip that
/// went uncorroborated for a whole [`WINDOW_MS`] (such a blip must not
/// later head, and date, a group of unrelated anomalies next door).
fn live_at(g: &Suspicion, t: UnixMs) -> bool {
    t - g.last <= QUIET_MS && (t - g.since <= WINDOW_MS || sustained(g))
}

/// Some service of the group is corroborated: [`MIN_EVENTS`] strong
/// anomalies of its own within [`WINDOW_MS`] (two of its series, or one
/// twice), at least one on a signal users feel. Lone blips on two
/// neighbours are what clean data produces.
fn sustained(g: &Suspicion) -> bool {
    g.events.iter().any(|first| {
        let mine = || {
            g.events
                .iter()
                .filter(|e| e.service == first.service)
                .filter(|e| e.ts >= first.ts && e.ts - first.ts <= WINDOW_MS)
        };
        mine().count() >= MIN_EVENTS && mine().any(|e| user_signal(&e.signal))
    })
}

fn suspect_id(service: &str, ts: UnixMs) -> IncidentId {
    let h = crate::base::fnv1a(format!("{service}@{ts}").as_bytes());
    IncidentId(format!("S-{:06x}", h & 0xff_ffff))
}

fn line(e: &AnomalyEvent, service: &str) -> String {
    format!(
        "{} {} anomalous ({}, score {:.2}, {})",
        service,
        e.signal.describe(),
        super::deviation::format_value(&e.signal, "", e.value),
        e.score,
        e.kind
    )
}

fn incident(g: &Suspicion, now: UnixMs) -> Incident {
    let signals: BTreeSet<&str> = g.events.iter().map(|e| e.signal.describe()).collect();
    let signals: Vec<&str> = signals.into_iter().collect();
    let shown: Vec<&str> = g.services.iter().map(String::as_str).take(3).collect();
    let more = g.services.len().saturating_sub(3);
    let more = if more > 0 { format!(" +{more}") } else { String::new() };
    // Candidates in onset order: the first to turn anomalous leads.
    let root_causes =
        g.services
            .iter()
            .enumerate()
            .map(|(rank, svc)| {
                let mine: Vec<&AnomalyEvent> =
                    g.events.iter().filter(|e| e.service.as_deref() == Some(svc)).collect();
                let best = mine.iter().map(|e| e.score).fold(0.0, f64::max);
                let mut evidence: Vec<Evidence> =
                    mine.iter().map(|e| Evidence { ts: e.ts, text: line(e, svc) }).collect();
                if rank == 0 {
                    evidence.push(Evidence {
                    ts: g.since,
                    text: "first strong anomaly of the group; from metrics only, no alert has fired"
                        .into(),
                });
                }
                RootCause {
                    service: svc.clone(),
                    score: best * 0.9_f64.powi(i32::try_from(rank).unwrap_or(i32::MAX)),
                    confidence: Confidence::Low,
                    evidence,
                }
            })
            .collect();
    let quiet = now - g.last > WINDOW_MS;
    Incident {
        id: g.id.clone(),
        title: format!(
            "suspected: {} anomaly on {}{more}, no alert yet",
            signals.join(" + "),
            shown.join(", ")
        ),
        severity: Severity::Info,
        state: if quiet { IncidentState::Quiet } else { IncidentState::Open },
        started_at: g.since,
        updated_at: g.last,
        resolved_at: None,
        alerts: Vec::new(),
        services: g.services.clone(),
        root_causes,
        timeline: g
            .events
            .iter()
            .map(|e| TimelineEntry {
                ts: e.ts,
                kind: TimelineKind::Anomaly,
                text: line(e, e.service.as_deref().unwrap_or("?")),
            })
            .collect(),
        acked: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testutil::*;
    use crate::model::SeriesKey;

    fn ev(service: &str, signal: Signal, ts: UnixMs, score: f64) -> AnomalyEvent {
        AnomalyEvent {
            series: SeriesKey(format!("{service}:{signal:?}").into()),
            service: Some(service.into()),
            signal,
            ts,
            value: 1.5,
            score,
            kind: "shift".into(),
            instance: None,
        }
    }

    #[test]
    fn two_strong_anomalies_on_a_quiet_service_open_a_suspected_incident() {
        let s = store();
        let mut sus = Suspects::default();
        let one = [ev("payments", Signal::LatencyP99, at(10), 0.9)];
        assert!(
            sus.update(one.iter(), &[], &s, &shop(), at(10)).is_empty(),
            "one blip is not enough"
        );
        let two = [ev("payments", Signal::ErrorRatio, at(12), 0.85)];
        let shown = sus.update(two.iter(), &[], &s, &shop(), at(12));
        assert_eq!(shown.len(), 1);
        let inc = &shown[0];
        assert!(inc.id.is_suspected(), "{}", inc.id);
        assert_eq!(
            inc.title,
            "suspected: error ratio + p99 latency anomaly on payments, no alert yet"
        );
        assert_eq!(inc.severity, Severity::Info);
        assert!(inc.alerts.is_empty());
        assert_eq!(inc.root_causes[0].confidence, Confidence::Low);
        assert!(inc.root_causes[0].evidence.iter().any(|e| e.text.contains("score 0.90")));
        assert!(inc.root_causes[0].evidence.iter().any(|e| e.text.contains("no alert has fired")));
        assert_eq!(inc.timeline.len(), 2);
        // The same id on the next pass (no new anomaly).
        let again = sus.update([].iter(), &[], &s, &shop(), at(13));
        assert_eq!(again[0].id, inc.id);
    }

    #[test]
    fn weak_far_apart_or_non_key_anomalies_do_not() {
        let s = store();
        let mut sus = Suspects::default();
        let evs = [
            ev("cart", Signal::LatencyP99, at(10), 0.6),
            ev("cart", Signal::LatencyP99, at(11), 0.7),
            ev("redis", Signal::Cpu, at(10), 0.99),
            ev("redis", Signal::Memory, at(11), 0.99),
            ev("web", Signal::ErrorRatio, at(10), 0.9),
            ev("web", Signal::ErrorRatio, at(10) + WINDOW_MS + 1, 0.9),
        ];
        assert!(sus.update(evs.iter(), &[], &s, &shop(), at(40)).is_empty());
    }

    /// What clean data produces: single-series blips, now and then next
    /// to each other. They open nothing, and an old one does not head (or
    /// date) a real problem next door, however long the pass.
    #[test]
    fn lone_blips_next_door_are_not_a_suspicion_nor_its_start() {
        let s = store();
        let mut sus = Suspects::default();
        let blips = [near("redis", at(10)), near("cart", at(18))];
        assert!(sus.update(blips.iter(), &[], &s, &shop(), at(18)).is_empty());
        // One pass over a long history: redis blipped 30 steps before cart
        // turned anomalous on two series.
        let mut sus = Suspects::default();
        let history = [
            near("redis", at(0)),
            near("cart", at(28)),
            near("cart", at(30)),
            ev("cart", Signal::ErrorRatio, at(30), 0.99),
        ];
        let shown = sus.update(history.iter(), &[], &s, &shop(), at(30));
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].services, ["cart"]);
        assert_eq!(shown[0].started_at, at(28));
    }

    #[test]
    fn an_alert_or_an_incident_on_the_service_takes_over_and_quiet_ones_go() {
        let mut s = store();
        let mut sus = Suspects::default();
        let evs = [
            ev("payments", Signal::LatencyP99, at(10), 0.9),
            ev("payments", Signal::LatencyP99, at(11), 0.9),
            ev("cart", Signal::LatencyP99, at(10), 0.9),
            ev("cart", Signal::ErrorRatio, at(11), 0.9),
        ];
        assert_eq!(sus.update(evs.iter(), &[], &s, &shop(), at(11)).len(), 2);
        poll(&mut s, at(12), vec![alert("HighLatency", "payments", "warning", at(12))]);
        let shown = sus.update([].iter(), &[], &s, &shop(), at(12));
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].services, ["cart"]);
        // Quiet for a while: shown as quiet, then gone.
        let later = at(11) + WINDOW_MS + 1;
        assert_eq!(sus.update([].iter(), &[], &s, &shop(), later)[0].state, IncidentState::Quiet);
        assert!(sus.update([].iter(), &[], &s, &shop(), at(11) + QUIET_MS + 1).is_empty());
    }

    /// CPU saturation corroborates a slow service; it never opens a
    /// suspicion by itself, however often it repeats.
    #[test]
    fn cpu_corroborates_latency_but_is_no_incident_alone() {
        let s = store();
        let mut sus = Suspects::default();
        let busy = [
            ev("redis", Signal::Cpu, at(10), 0.99),
            ev("redis", Signal::Cpu, at(11), 0.99),
            ev("redis", Signal::Cpu, at(12), 0.99),
        ];
        assert!(sus.update(busy.iter(), &[], &s, &shop(), at(12)).is_empty());
        let mut sus = Suspects::default();
        let slow = [
            ev("payments", Signal::Cpu, at(10), 0.99),
            ev("payments", Signal::LatencyP99, at(12), 0.9),
        ];
        let shown = sus.update(slow.iter(), &[], &s, &shop(), at(12));
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].services, ["payments"]);
        assert_eq!(shown[0].started_at, at(10), "dated by the CPU anomaly that came first");
        assert_eq!(
            shown[0].title,
            "suspected: CPU + p99 latency anomaly on payments, no alert yet"
        );
    }

    /// A strong p99 anomaly.
    fn near(service: &str, ts: UnixMs) -> AnomalyEvent {
        ev(service, Signal::LatencyP99, ts, 0.95)
    }

    #[test]
    fn neighbours_in_the_call_graph_are_one_suspicion_led_by_the_first() {
        let s = store();
        let mut sus = Suspects::default();
        // postgres first (twice), then its caller payments; warehouse is elsewhere.
        let evs = [
            near("postgres", at(10)),
            near("postgres", at(11)),
            near("payments", at(11)),
            near("warehouse", at(12)),
        ];
        let shown = sus.update(evs.iter(), &[], &s, &shop(), at(12));
        assert_eq!(shown.len(), 1, "warehouse alone is one blip: {shown:?}");
        let g = &shown[0];
        assert_eq!(g.services, ["postgres", "payments"]);
        assert_eq!(g.root_causes[0].service, "postgres");
        assert!(g.root_causes[0].score > g.root_causes[1].score);
        assert!(g.title.ends_with("on postgres, payments, no alert yet"), "{}", g.title);
    }

    #[test]
    fn an_alert_next_door_takes_the_suspicion_over() {
        let mut s = store();
        let mut sus = Suspects::default();
        let evs = [near("redis", at(10)), near("redis", at(11))];
        assert_eq!(sus.update(evs.iter(), &[], &s, &shop(), at(11)).len(), 1);
        // cart calls redis and now alerts.
        poll(&mut s, at(12), vec![alert("HighErrorRate", "cart", "critical", at(12))]);
        assert!(sus.update([].iter(), &[], &s, &shop(), at(12)).is_empty());
    }
}
