//! Suspected incidents: a service whose key signals (error ratio, p99
//! latency, request rate, and CPU as corroboration) turn strongly anomalous
//! while nothing alerts on it gets an incident of its own, clearly labelled "suspected", before any
//! threshold trips. Its id starts with `S-` ([`IncidentId::is_suspected`]),
//! it carries no alerts, its severity is info (it never pages) and its
//! causes, at low confidence, are its services in onset order, or, once
//! the watch's signs are among its clues, the window ranker's for its
//! first minutes (see `rank`) and then its services, with the anomalies
//! and signs as evidence.
//!
//! Sustained, not a blip: at least [`MIN_EVENTS`] anomalies scoring
//! [`STRONG`] or more on the service's key signals within [`WINDOW_MS`],
//! one of them on a signal users feel (errors, latency, traffic): a CPU
//! anomaly corroborates one of those (a saturated service that also turned
//! slow) but two CPU anomalies alone are a busy host, not an incident.
//! It goes away when an alert on the service fires or an incident covers
//! the service (the real incident takes over), or after [`QUIET_MS`]
//! without such an anomaly. Once corroborated, a service of it quiet for
//! [`REARM_MS`] takes no new clues there: its next trouble is a new
//! suspicion, even while a neighbour's clues keep the old one going (that
//! trouble of its own had ended as far as quell can see). The whole
//! suspicion quiet for [`REARM_MS`] takes no new neighbours either.
//!
//! Services next to each other in the call graph (the configured topology,
//! else the one the spans imply, see [`watch::Watch::call_graph`]) are one
//! suspicion, as a fault spreads along calls in its first minutes: a
//! neighbour joins within [`WINDOW_MS`] of the suspicion's start, later it
//! is trouble of its own (a busy call graph would otherwise chain every
//! fault of the hour into one suspicion). The suspicion starts at the first
//! clue of the service that corroborated it: a lone blip next door that it
//! took in before is evidence, not its start.
//!
//! Beyond metrics, the rolling [`watch`] reports signs from logs and spans
//! (an error template that rose, a per-request line that stopped, calls
//! into a service turned slow or failing) and from a window's metrics. A
//! service is then also corroborated by two *different* instruments within
//! [`WINDOW_MS`] ([`watch::Instrument`]): a log line, a span timing and a
//! scraped series fail in unrelated ways, so two of them agreeing on one
//! service is what a real change does, while one sign alone (an error
//! burst, one slow minute of spans) is what clean systems produce every
//! hour. Or by one log or span sign seen again in the watch's window right
//! after the first one's (the windows do not overlap, so these are two
//! independent looks; a run late at most), or sooner, on the minutes since
//! the first look alone ([`watch::Sign::again`]): a fault holds, a blip
//! does not.
//! A window's metrics never corroborate themselves this way: quantized
//! series sit far off their median for minutes on end. Pure: fed the
//! detectors' events and the watch's signs, no I/O.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::model::{
    AnomalyEvent, Incident, IncidentId, IncidentState, RootCause, Signal, Topology, UnixMs,
};
use crate::store::Store;

pub mod watch;
use watch::{Instrument, Look, Sign};

/// Detector score an anomaly needs to count here (the live threshold is
/// lower: a marker on a chart is cheaper than an incident).
pub const STRONG: f64 = 0.8;
/// Strong anomalies needed within [`WINDOW_MS`].
pub const MIN_EVENTS: usize = 2;
pub const WINDOW_MS: i64 = 5 * 60_000;
/// A suspicion with no strong anomaly for this long is dropped.
pub const QUIET_MS: i64 = 10 * 60_000;
/// A service of a corroborated suspicion with no clue for this long is
/// out of trouble as far as quell can see (the watch judges every minute,
/// over the last three): new clues on it open a new suspicion, so a fault
/// repeated on one service is a new suspicion, as a resolved alert that
/// fires again is a new occurrence, though clues next door kept the first
/// one going. A clue counts from when the data showed it
/// ([`watch::Sign::until`]): runs that re-read minutes whose data ended
/// tell nothing newer.
pub const REARM_MS: i64 = watch::WINDOW_MS + watch::EVERY_MS;
/// Evidence lines kept per suspicion (anomalies, and signs apart).
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
    /// In order of their first strong anomaly.
    services: Vec<String>,
    /// When each of `services` was first seen in it.
    onset: Vec<UnixMs>,
    /// When each of `services` was last seen in trouble (its clues'
    /// [`Clue::until`]).
    latest: Vec<UnixMs>,
    events: Vec<AnomalyEvent>,
    /// The watch's signs on its services (the newest, as evidence).
    signs: Vec<Sign>,
    /// Every sign's look within [`WINDOW_MS`] of the newest, for
    /// [`corroborated`] (evidence keeps fewer).
    looks: Vec<Look>,
    /// Its causes as the window ranker orders them (see [`rank`]), and
    /// when they were ranked.
    ranked: Option<(UnixMs, Vec<RootCause>)>,
    /// Corroborated once: it stays so until it ends, though the clues that
    /// corroborated it age out of `looks` and `events`.
    held: bool,
    /// Set when it is first corroborated: the first clue of the services
    /// that corroborated it. A lone blip next door that it took in before
    /// is evidence, not its start (see [`Suspicion::start`]).
    confirmed: Option<UnixMs>,
}

impl Suspicion {
    /// When the trouble it shows started: the first clue of the service
    /// that corroborated it (its first clue until then).
    fn start(&self) -> UnixMs {
        self.confirmed.unwrap_or(self.since)
    }

    /// When any of its services was last seen in trouble.
    fn last(&self) -> UnixMs {
        self.latest.iter().copied().max().unwrap_or(self.since)
    }
}

/// One piece of evidence taken in: a detector's anomaly or a watch's sign.
enum Clue<'a> {
    Anomaly(&'a AnomalyEvent),
    Sign(&'a Sign),
}

impl Clue<'_> {
    fn ts(&self) -> UnixMs {
        match self {
            Self::Anomaly(e) => e.ts,
            Self::Sign(s) => s.ts,
        }
    }

    /// When what it shows was last seen in the data (see [`Sign::until`]).
    fn until(&self) -> UnixMs {
        match self {
            Self::Anomaly(e) => e.ts,
            Self::Sign(s) => s.until.min(s.ts),
        }
    }

    fn service(&self) -> Option<&str> {
        match self {
            Self::Anomaly(e) => e.service.as_deref(),
            Self::Sign(s) => Some(&s.service),
        }
    }
}

/// The suspicions in force, carried from pass to pass.
#[derive(Debug, Clone, Default)]
pub struct Suspects {
    open: Vec<Suspicion>,
    /// Every sign's look within [`WINDOW_MS`] of the newest, whichever
    /// suspicion took it in.
    looks: Vec<Look>,
    /// The newest anomaly already taken in.
    seen_until: Option<UnixMs>,
}

/// One call apart, either way.
fn adjacent(topo: &Topology, a: &str, b: &str) -> bool {
    topo.callees(a).any(|c| c == b) || topo.callers(a).any(|c| c == b)
}

impl Suspects {
    /// Takes in the anomalies newer than the last pass (`recent` in any
    /// order) and the signs of the [`watch`]'s last run, updates the
    /// suspicions against `incidents`, the store's active alerts and the
    /// call graph, and returns the suspected incidents to show.
    pub fn update<'a>(
        &mut self,
        recent: impl Iterator<Item = &'a AnomalyEvent>,
        watch: &watch::Watch,
        incidents: &[Arc<Incident>],
        store: &Store,
        topo: &Topology,
        now: UnixMs,
    ) -> Vec<Arc<Incident>> {
        let since = self.seen_until;
        let fresh: Vec<&AnomalyEvent> = recent
            .filter(|e| since.is_none_or(|t| e.ts > t))
            .filter(|e| e.score >= STRONG && key_signal(&e.signal))
            .collect();
        if let Some(t) = fresh.iter().map(|e| e.ts).max() {
            self.seen_until = Some(t);
        }
        let mut clues: Vec<Clue<'_>> = fresh.into_iter().map(Clue::Anomaly).collect();
        clues.extend(watch.signs().iter().map(Clue::Sign));
        clues.sort_by_key(Clue::ts);
        for clue in clues {
            let Some(svc) = clue.service() else { continue };
            let ts = clue.ts();
            let until = clue.until();
            // Expire as of this clue, so one pass over an hour of
            // history groups exactly as a pass per step would.
            self.open.retain(|g| live_at(g, ts));
            // Its own services while their trouble goes on; a neighbour
            // of one of them in its first minutes, while it goes on.
            let near = |g: &Suspicion| match g.services.iter().position(|m| m == svc) {
                Some(i) => ts - g.latest[i] <= REARM_MS || !sustained(g),
                None => {
                    (ts - g.last() <= REARM_MS || !sustained(g))
                        && ts - g.start() <= WINDOW_MS
                        && g.services.iter().any(|m| adjacent(topo, m, svc))
                }
            };
            let g = match self.open.iter().position(near) {
                Some(i) => &mut self.open[i],
                None => {
                    self.open.push(Suspicion {
                        id: suspect_id(svc, ts),
                        since: ts,
                        services: Vec::new(),
                        onset: Vec::new(),
                        latest: Vec::new(),
                        events: Vec::new(),
                        signs: Vec::new(),
                        looks: Vec::new(),
                        ranked: None,
                        held: false,
                        confirmed: None,
                    });
                    let last = self.open.len() - 1;
                    &mut self.open[last]
                }
            };
            match g.services.iter().position(|m| m == svc) {
                Some(i) => g.latest[i] = g.latest[i].max(until),
                None => {
                    g.services.push(svc.to_string());
                    g.onset.push(ts);
                    g.latest.push(until);
                }
            }
            match clue {
                Clue::Anomaly(e) => keep_newest(&mut g.events, e.clone()),
                Clue::Sign(x) => {
                    g.looks.retain(|l| x.ts - l.2 <= WINDOW_MS);
                    // Its service's recent looks that a suspicion since
                    // expired took in (a blip then) are looks at it still.
                    for l in &self.looks {
                        if l.0 == x.service && x.ts - l.2 <= REARM_MS && !g.looks.contains(l) {
                            g.looks.push(l.clone());
                        }
                    }
                    let look = (x.service.clone(), x.instrument, x.ts, x.again);
                    g.looks.push(look.clone());
                    keep_newest(&mut g.signs, x.clone());
                    self.looks.retain(|l| x.ts - l.2 <= WINDOW_MS);
                    self.looks.push(look);
                }
            }
            g.held = sustained(g);
            if g.held && g.confirmed.is_none() {
                g.confirmed = (g.services.iter().zip(&g.onset))
                    .filter(|(s, _)| corroborated(g, s))
                    .map(|(_, t)| *t)
                    .min();
            }
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
        for g in self.open.iter_mut().filter(|g| sustained(g) && !g.signs.is_empty()) {
            rank(g, watch, store, topo, now);
        }
        // Where the ranker says a suspicion started is covered too: it is
        // the symptom, further out, of a problem alerts already show.
        self.open.retain(|g| {
            !g.ranked.as_ref().and_then(|(_, r)| r.first()).is_some_and(|c| taken_over(&c.service))
        });
        self.open.iter().filter(|g| sustained(g)).map(|g| Arc::new(incident(g, now))).collect()
    }
}

/// Ranks a corroborated suspicion's causes with the window ranker
/// ([`crate::engine::rca::window`]: metrics, spans and logs of every
/// service, the cause told from its symptoms along calls) for the time
/// from just before its start ([`Suspicion::start`]) to [`WINDOW_MS`]
/// after it, each service judged as the watch judges it (`Watch::judge`):
/// once when it is corroborated, once more when that time has passed (a
/// ranking costs a window's worth of every service's data). The clue that opened it says *that* something
/// changed, and where it was seen first; the ranker says where it started.
fn rank(g: &mut Suspicion, watch: &watch::Watch, store: &Store, topo: &Topology, now: UnixMs) {
    let from = g.start() - watch::WINDOW_MS;
    let to = now.min(g.start() + WINDOW_MS);
    let last = g.start() + WINDOW_MS;
    if g.ranked.as_ref().is_some_and(|(t, _)| *t >= last || now < last) {
        return;
    }
    // Each service as the watch judges it: against the recent normal, or
    // that normal less its own flagged windows when it had findings of its
    // own (its last fault is no normal for its next one).
    let ranked = watch
        .judge(store, topo, (from, to), None)
        .map(|(all, ..)| crate::engine::rca::window::causes(all))
        .unwrap_or_default();
    g.ranked = Some((now, ranked));
}

/// Still in force at `t`: not quiet for [`QUIET_MS`], and not a blip that
/// went uncorroborated for a whole [`WINDOW_MS`] (such a blip must not
/// later head, and date, a group of unrelated anomalies next door).
fn live_at(g: &Suspicion, t: UnixMs) -> bool {
    t - g.last() <= QUIET_MS && (t - g.since <= WINDOW_MS || sustained(g))
}

/// Appends `x`, keeping the newest [`MAX_EVIDENCE`].
fn keep_newest<T>(v: &mut Vec<T>, x: T) {
    v.push(x);
    let excess = v.len().saturating_sub(MAX_EVIDENCE);
    v.drain(..excess);
}

/// Some service of the group is, or once was, corroborated (see
/// [`corroborated`]).
fn sustained(g: &Suspicion) -> bool {
    g.held || g.services.iter().any(|s| corroborated(g, s))
}

/// `svc` is corroborated by its metrics: [`MIN_EVENTS`] strong anomalies
/// of its own within [`WINDOW_MS`] (two of its series, or one twice), at
/// least one on a signal users feel; or by two different instruments
/// within [`WINDOW_MS`] (a detector's strong anomaly counts as the
/// metrics instrument); or by a log or span sign seen again at least a
/// watch window and at most [`REARM_MS`] after the first. Lone blips on
/// two neighbours are what clean data produces, and so is one
/// instrument's sign in one window alone.
fn corroborated(g: &Suspicion, svc: &str) -> bool {
    let mine = || g.events.iter().filter(|e| e.service.as_deref() == Some(svc));
    let by_metrics = mine().any(|first| {
        let near = || mine().filter(|e| e.ts >= first.ts && e.ts - first.ts <= WINDOW_MS);
        near().count() >= MIN_EVENTS && near().any(|e| user_signal(&e.signal))
    });
    let seen: Vec<(UnixMs, Instrument)> = mine()
        .map(|e| (e.ts, Instrument::Metrics))
        .chain(g.looks.iter().filter(|l| l.0 == svc).map(|l| (l.2, l.1)))
        .collect();
    // The same log or span sign again in a window that does not overlap
    // the first one's, or on the data the first one never read: two
    // independent looks, as two instruments are.
    let looks: Vec<UnixMs> =
        g.looks.iter().filter(|l| l.0 == svc && l.1 != Instrument::Metrics).map(|l| l.2).collect();
    let persisted = g.looks.iter().any(|l| l.0 == svc && l.3)
        || looks
            .iter()
            .any(|t0| looks.iter().any(|t| t - t0 >= watch::WINDOW_MS && t - t0 <= REARM_MS));
    by_metrics
        || persisted
        || seen.iter().any(|(t0, first)| {
            seen.iter().any(|(t, other)| *t >= *t0 && t - t0 <= WINDOW_MS && other != first)
        })
}

mod incident;
use incident::{incident, suspect_id};

#[cfg(test)]
mod tests;
