//! Root-cause ranking for one incident, with the evidence for each candidate.
//!
//! Candidates are the incident's services and their dependencies. Each is
//! scored on five things an experienced responder weighs:
//! - onset: whose signals left their baseline first (causes precede effects);
//! - magnitude: how far (robust z-score);
//! - explanation: how many affected services depend on it (the common dependency);
//! - change: a deploy or config change on it shortly before the onset;
//! - logs: error lines on it rising above their baseline.
//!
//! A candidate whose own dependency deviated as early or earlier is most
//! likely a victim and is discounted. Scores are in [0, 1]; confidence says
//! how clearly the top candidate stands out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

// Only looked up, never iterated (order-free): the seeded fast hash, as in
// the correlator; SipHash showed in the storm profile.
use foldhash::{HashMap, HashSet};

use crate::model::{
    ChangeEvent, ChangeKind, Confidence, Evidence, Incident, RootCause, Signal, Topology, UnixMs,
    format_age, format_clock,
};
use crate::store::{AlertEntry, Store};

use super::EngineConfig;
use super::correlate::headline_alert;
use super::deviation::{self, Deviation, SeriesIndex};
use inputs::{LogSignal, log_signal, recent_change, troubled_reach};

/// How far before the first alert the analysis window starts: `for:` durations
/// and slow onsets mean the cause moved well before anything fired.
const LOOKBACK_MS: i64 = 10 * 60_000;
/// A dependency deviating this much earlier (or later) still counts as "as early".
const SAME_TIME_MS: i64 = 15_000;
/// How long before an onset a deploy or config change is suspect.
const CHANGE_LOOKBACK_MS: i64 = 30 * 60_000;
/// A departure must still be visible this close to the first alert to count.
const STILL_OFF_MS: i64 = 3 * 60_000;
/// Evidence lines kept per cause.
const MAX_EVIDENCE: usize = 12;
/// Candidates reported per incident.
const MAX_CAUSES: usize = 5;

const W_ONSET: f64 = 0.30;
const W_MAGNITUDE: f64 = 0.15;
const W_EXPLAIN: f64 = 0.25;
const W_CHANGE: f64 = 0.15;
const W_LOGS: f64 = 0.10;
const W_ALERTS: f64 = 0.05;

struct Candidate<'a> {
    service: String,
    /// Strongest-earliest deviation first.
    deviations: Vec<Deviation>,
    /// Names of the incident's alerts on it.
    alerts: Vec<&'a str>,
    change: Option<ChangeEvent>,
    logs: Option<LogSignal>,
}

impl Candidate<'_> {
    /// The first departure that began inside the window; a departure that
    /// was already under way when the window opened has no known onset and
    /// does not take part in the race to be first.
    fn onset(&self) -> Option<UnixMs> {
        self.deviations.iter().filter(|d| !d.preexisting).map(|d| d.onset).min()
    }

    fn peak_z(&self) -> f64 {
        self.deviations.iter().map(|d| d.peak_z).fold(0.0, f64::max)
    }

    fn implicated(&self) -> bool {
        !self.deviations.is_empty()
            || !self.alerts.is_empty()
            || self.change.is_some()
            || self.logs.is_some()
    }
}

/// Re-ranks `inc.root_causes` and refreshes its title from the store.
pub fn rank(
    inc: &mut Incident,
    store: &Store,
    index: &SeriesIndex<'_>,
    topo: &Topology,
    cfg: &EngineConfig,
    now: UnixMs,
) {
    let alerts: Vec<&AlertEntry> = inc.alerts.iter().filter_map(|fp| store.alert(fp)).collect();
    let t0 = inc.started_at;
    let end = inc.resolved_at.unwrap_or(now).max(t0);
    let window = (t0 - LOOKBACK_MS, end);
    let base = (window.0 - cfg.baseline.as_ms(), window.0);

    let mut names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &alerts {
        names
            .entry(e.service().unwrap_or(crate::model::UNNAMED_ENTITY))
            .or_default()
            .push(e.alert.name());
    }
    let build = |s: &str| {
        let mut deviations: Vec<Deviation> = index
            .service(s)
            .iter()
            .filter_map(|e| deviation::analyze(e, base, window))
            .filter(|d| d.peak_z >= deviation::ANOMALY_Z && d.last_off >= t0 - STILL_OFF_MS)
            .collect();
        deviations.sort_by(|a, b| {
            (a.preexisting, a.onset)
                .cmp(&(b.preexisting, b.onset))
                .then(b.peak_z.total_cmp(&a.peak_z))
        });
        let alerts = names.get(s).cloned().unwrap_or_default();
        // A change counts when it precedes the trouble: one made after the
        // onset (a rollback, a restart by the responder) is a response.
        let anchor = deviations.first().map_or(t0, |d| d.onset);
        let change = recent_change(index, s, anchor - CHANGE_LOOKBACK_MS, anchor + 60_000);
        let logs = log_signal(index, s, base, window);
        Candidate { service: s.to_string(), deviations, alerts, change, logs }
    };
    // Candidates: the alerting services, then their dependencies reached hop
    // by hop through services that show trouble themselves. A fault
    // propagates hop by hop, so a dependency can only explain the alerting
    // services if every service on the way is troubled too; without this a
    // hub (ingress, DNS) would "depend on" every unrelated deviation.
    let mut seen: HashSet<&str> = names.keys().copied().collect();
    let mut queue: VecDeque<(&str, usize)> = names.keys().map(|s| (*s, 0)).collect();
    let mut cands: Vec<Candidate> = Vec::new();
    while let Some((s, depth)) = queue.pop_front() {
        let c = build(s);
        if !c.implicated() {
            continue;
        }
        if depth < cfg.max_graph_distance {
            for d in topo.callees(s) {
                if index.knows(d) && seen.insert(d) {
                    queue.push_back((d, depth + 1));
                }
            }
        }
        cands.push(c);
    }
    cands.sort_by(|a, b| a.service.cmp(&b.service));

    let affected: Vec<&str> = cands.iter().map(|c| c.service.as_str()).collect();
    // Each affected service's troubled reach, computed once (ranking a big
    // incident would otherwise walk the graph once per pair).
    let implicated: BTreeSet<&str> = affected.iter().copied().collect();
    let reach_of: HashMap<&str, BTreeSet<&str>> = affected
        .iter()
        .map(|a| (*a, troubled_reach(topo, &[a], &implicated, usize::MAX)))
        .collect();
    let first_onset = cands.iter().filter_map(Candidate::onset).min();
    let first_alert = alerts.iter().map(|e| e.alert.starts_at).min().unwrap_or(t0);

    let mut causes: Vec<RootCause> = cands
        .iter()
        .map(|c| score(c, &cands, &affected, &reach_of, first_onset, first_alert))
        .filter(|rc| rc.score > 0.05)
        .collect();
    causes.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.service.cmp(&b.service)));
    causes.truncate(MAX_CAUSES);
    assign_confidence(&mut causes);
    add_span_evidence(&mut causes, store, base, window);
    resource::explain(&mut causes, &alerts, store);
    inc.root_causes = causes;
    inc.title = title(inc, &alerts);
}

fn score(
    c: &Candidate<'_>,
    all: &[Candidate<'_>],
    affected: &[&str],
    reach_of: &HashMap<&str, BTreeSet<&str>>,
    first_onset: Option<UnixMs>,
    first_alert: UnixMs,
) -> RootCause {
    let mut evidence = Vec::new();
    let onset = c.onset();
    let onset_score = match (onset, first_onset) {
        (Some(o), Some(f)) => 1.0 / (1.0 + (o - f) as f64 / 60_000.0),
        _ => 0.0,
    };
    if let Some(d) = c.deviations.first() {
        let lead = first_alert - d.onset;
        let when = if d.preexisting {
            ", already off before the incident (onset unknown)".to_string()
        } else if lead > 0 {
            format!(", {} before the first alert", format_age(lead))
        } else {
            String::new()
        };
        evidence.push(Evidence {
            ts: d.onset,
            text: format!(
                "{} {} {} {} baseline {} {} ({} vs {}){when}",
                c.service,
                d.signal.describe(),
                sigma(d.peak_z),
                if d.signal.bad_when_high() { "above" } else { "off" },
                if d.preexisting { "by" } else { "since" },
                format_clock(d.onset),
                deviation::format_value(&d.signal, &d.unit, d.peak_value),
                deviation::format_value(&d.signal, &d.unit, d.baseline),
            ),
        });
        for extra in c.deviations.iter().skip(1).take(2) {
            // Per-instance series of one signal would read the same.
            let on = extra.instance.as_deref().map(|i| format!(" on {i}")).unwrap_or_default();
            evidence.push(Evidence {
                ts: extra.onset,
                text: format!(
                    "{}{on} also {} off since {}",
                    extra.signal.describe(),
                    sigma(extra.peak_z),
                    format_clock(extra.onset)
                ),
            });
        }
        if onset.is_some()
            && onset == first_onset
            && all.iter().filter(|x| x.onset().is_some()).count() > 1
        {
            evidence.push(Evidence {
                ts: d.onset,
                text: "earliest deviation among the affected services".into(),
            });
        }
    }
    let magnitude = (1.0 + c.peak_z()).ln() / 31f64.ln();

    let explained: Vec<&str> = affected
        .iter()
        .copied()
        .filter(|a| reach_of.get(a).is_some_and(|r| r.contains(c.service.as_str())))
        .collect();
    let explain = explained.len() as f64 / affected.len().max(1) as f64;
    if explained.len() > 1 {
        evidence.push(Evidence {
            ts: onset.unwrap_or(first_alert),
            text: format!(
                "{} of {} affected services depend on {} or are it",
                explained.len(),
                affected.len(),
                c.service
            ),
        });
    }

    let mut change_score = 0.0;
    if let Some(change) = &c.change {
        change_score = if change.kind == ChangeKind::Restart { 0.3 } else { 1.0 };
        let (ts, text) = (&change.ts, format!("{} {}", change.kind.word(), change.description));
        let rel = onset.map_or(String::new(), |o| {
            if o >= *ts {
                format!(", {} before the onset", format_age(o - ts))
            } else {
                String::new()
            }
        });
        evidence.push(Evidence { ts: *ts, text: format!("{text} at {}{rel}", format_clock(*ts)) });
    }

    let mut logs_score = 0.0;
    if let Some(l) = &c.logs {
        logs_score = (l.count as f64 / 10.0).min(1.0);
        evidence.push(Evidence {
            ts: l.since,
            text: format!(
                "{} error log lines since {} (baseline {:.1}/min), e.g. \"{}\"",
                l.count,
                format_clock(l.since),
                l.baseline_per_min,
                l.example
            ),
        });
    }

    let alert_score = if c.alerts.is_empty() { 0.0 } else { 1.0 };
    if !c.alerts.is_empty() {
        let mut uniq: Vec<&str> = c.alerts.clone();
        uniq.sort_unstable();
        uniq.dedup();
        let list: Vec<&str> = uniq.into_iter().take(3).collect();
        evidence.push(Evidence {
            ts: first_alert,
            text: format!("{} alert(s) on it: {}", c.alerts.len(), list.join(", ")),
        });
    }

    let mut total = W_ONSET * onset_score
        + W_MAGNITUDE * magnitude
        + W_EXPLAIN * explain
        + W_CHANGE * change_score
        + W_LOGS * logs_score
        + W_ALERTS * alert_score;

    // A dependency that deviated as early and clearly makes this one a likely victim.
    if let Some(o) = onset {
        // Only symptoms that travel along calls (latency, errors, traffic)
        // can be inherited from a dependency; a full disk is one's own.
        let inheritable = c.deviations.first().is_some_and(|d| {
            matches!(d.signal, Signal::LatencyP99 | Signal::ErrorRatio | Signal::RequestRate)
        });
        let empty = BTreeSet::new();
        let below =
            if inheritable { reach_of.get(c.service.as_str()).unwrap_or(&empty) } else { &empty };
        let earlier = all.iter().find(|d| {
            d.service != c.service
                && below.contains(d.service.as_str())
                && d.peak_z() >= 6.0
                && d.onset().is_some_and(|od| od <= o + SAME_TIME_MS)
        });
        if let Some(d) = earlier {
            total *= 0.5;
            evidence.push(Evidence {
                ts: d.onset().unwrap_or(o),
                text: format!(
                    "likely a victim: its dependency {} deviated at {}",
                    d.service,
                    format_clock(d.onset().unwrap_or(o))
                ),
            });
        }
    }
    RootCause {
        service: c.service.clone(),
        score: total.clamp(0.0, 1.0),
        confidence: Confidence::Low,
        evidence,
    }
}

/// Span lines for the ranked causes ("calls checkout→payment: p99 40 ms →
/// 900 ms, errors 0% → 12%"): the calls and own work that changed, blamed
/// on each cause. Evidence only; the score is unchanged. Nothing when no
/// spans are stored.
fn add_span_evidence(
    causes: &mut [RootCause],
    store: &Store,
    base: (UnixMs, UnixMs),
    window: (UnixMs, UnixMs),
) {
    use crate::engine::spans::{calls::CallStats, change};
    if store.spans().is_empty() || causes.is_empty() {
        return;
    }
    let before = CallStats::collect(store.spans(), &[base]);
    let during = CallStats::collect(store.spans(), &[(window.0, window.1 + 1)]);
    for ch in change::changes(&before, &during, deviation::ANOMALY_Z) {
        if let Some(c) = causes.iter_mut().find(|c| c.service == ch.blamed()) {
            if c.evidence.len() < MAX_EVIDENCE {
                // Dated at the cause's first sign (the spans compared span
                // the whole window, which starts well before the trouble).
                let ts = c.evidence.iter().map(|e| e.ts).min().unwrap_or(window.1);
                c.evidence.push(ch.evidence(ts));
            }
        }
    }
}

/// `8.1σ`, or `>99σ` at the cap (the exact figure means nothing that far out).
fn sigma(z: f64) -> String {
    if z >= 99.0 { ">99σ".to_string() } else { format!("{z:.1}σ") }
}

pub(super) fn assign_confidence(causes: &mut [RootCause]) {
    let second = causes.get(1).map_or(0.0, |c| c.score);
    if let Some(top) = causes.first_mut() {
        let margin = top.score - second;
        top.confidence = if top.score >= 0.55 && margin >= 0.15 {
            Confidence::High
        } else if top.score >= 0.35 && margin >= 0.05 {
            Confidence::Medium
        } else {
            Confidence::Low
        };
    }
    for c in causes.iter_mut().skip(1) {
        c.confidence = if c.score >= 0.5 { Confidence::Medium } else { Confidence::Low };
    }
}

mod inputs;
mod title;
use title::title;
pub mod resource;
#[cfg(test)]
mod tests;
pub mod window;
