//! One alert identity across sources: Prometheus reports an alert pending
//! and firing (`/api/v1/alerts`), Alertmanager reports the same fingerprint
//! firing or silenced. The store keeps one entry per fingerprint with who
//! reports it ([`Report`]) and decides its state from those reports:
//!
//! - an Alertmanager's word beats a rule engine's (silenced there means
//!   silenced, whatever Prometheus says);
//! - an occurrence keeps the start of its first active report while any
//!   source keeps reporting it, so pending → firing (Prometheus) → firing
//!   (Alertmanager) is one "fired", not a fire and a re-fire;
//! - an alert resolves when no source reports it; a rule engine's older copy
//!   does not outlive the Alertmanager's resolution (it must be reported
//!   again by a newer poll to count);
//! - a pending alert that vanishes without ever firing is dropped;
//! - a source's unconfirmed stub (absent, absence not trusted yet) keeps the
//!   stored alert as it was, marked unconfirmed.

use foldhash::{HashSet, HashSetExt};

use super::entry::Derived;
use super::{AlertEntry, Ring, Store, next_seq};
use crate::model::{Alert, AlertState, Fingerprint, SeriesKey, SourceId, UnixMs};

/// One source's report of an alert, as of its latest poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub source: SourceId,
    pub state: AlertState,
    /// From a rule engine (see [`Alert::rule_engine`]).
    pub rule_engine: bool,
}

/// How much a state counts when sources of the same kind disagree.
fn rank(s: AlertState) -> u8 {
    match s {
        AlertState::Suppressed => 4,
        AlertState::Firing => 3,
        AlertState::Unprocessed => 2,
        AlertState::Pending => 1,
        AlertState::Resolved => 0,
    }
}

/// The state the reports add up to: the Alertmanagers' when any reports
/// it, else the rule engines'.
fn decided(reports: &[Report]) -> Option<AlertState> {
    let am = reports.iter().any(|r| !r.rule_engine);
    reports.iter().filter(|r| r.rule_engine != am).map(|r| r.state).max_by_key(|s| rank(*s))
}

impl Store {
    /// Sets [`Alert::rule_ended`] of a stored alert (the joiner's word,
    /// between two polls of the Alertmanager that reports it).
    pub fn set_rule_ended(&mut self, fp: &Fingerprint, ended: Option<UnixMs>) {
        if let Some(entry) = self.alerts.get_mut(fp) {
            entry.alert.rule_ended = ended;
        }
    }

    /// A rule engine's chart of an alert that is already stored (an
    /// Alertmanager reported it before the rule engine's poll charted it):
    /// its expression and series, where it has none. Unknown fingerprints
    /// are ignored; the chart joins them when they are reported.
    pub fn attach_chart(&mut self, fp: &Fingerprint, expr: &str, series: &SeriesKey) {
        let Some(entry) = self.alerts.get_mut(fp) else { return };
        let have = &mut entry.alert;
        if have.expr.is_none() {
            have.expr = Some(expr.to_string());
        }
        if have.series.is_none() {
            have.series = Some(series.clone());
        }
    }

    pub(super) fn apply_poll(&mut self, source: &str, at: UnixMs, alerts: Vec<Alert>) {
        let mut seen = HashSet::with_capacity(alerts.len());
        let cap = self.limits.max_alerts;
        let new = alerts.iter().filter(|a| !self.alerts.contains_key(&a.fingerprint)).count();
        if self.alerts.len() + new > cap {
            self.evict_resolved(self.alerts.len() + new - cap);
        }
        // Beyond the cap new alerts are dropped, counted, and said so in
        // the source's health: never silently.
        let mut dropped = 0usize;
        for a in alerts {
            if self.alerts.len() >= cap && !self.alerts.contains_key(&a.fingerprint) {
                dropped += 1;
                continue;
            }
            seen.insert(a.fingerprint.clone());
            self.report(source, a);
        }
        if dropped > 0 || self.dropped.contains_key(source) {
            self.dropped.insert(source.to_string(), dropped);
        }
        let mut last_seq = self.last_seq;
        let mut dropped: Vec<Fingerprint> = Vec::new();
        for entry in self.alerts.values_mut() {
            let Some(i) = entry.reports.iter().position(|r| r.source == source) else {
                continue;
            };
            if seen.contains(&entry.alert.fingerprint) {
                continue;
            }
            let gone = entry.reports.swap_remove(i);
            if !gone.rule_engine {
                // The Alertmanager let it go: a rule engine's copy is older
                // than that word and must be reported again to count.
                entry.reports.retain(|r| !r.rule_engine);
            }
            let a = &mut entry.alert;
            match decided(&entry.reports) {
                Some(state) if state != a.state => {
                    a.state = state;
                    entry.history.push((at, state));
                    entry.seq = next_seq();
                    last_seq = entry.seq;
                }
                Some(_) => {}
                None if a.state == AlertState::Pending && !entry.fired => {
                    dropped.push(a.fingerprint.clone());
                }
                None if a.state.is_active() || a.state == AlertState::Pending => {
                    a.state = AlertState::Resolved;
                    a.ends_at = Some(at);
                    a.updated_at = at;
                    a.unconfirmed = false;
                    a.rule_ended = None;
                    entry.history.push((at, AlertState::Resolved));
                    entry.seq = next_seq();
                    last_seq = entry.seq;
                }
                None => {}
            }
        }
        self.last_seq = last_seq;
        if !dropped.is_empty() {
            for fp in &dropped {
                self.alerts.remove(fp);
            }
            self.removals += 1;
        }
        self.evict_alerts();
        if self.names.overgrown(self.alerts.len()) {
            self.names.renew();
            for e in self.alerts.values_mut() {
                e.derived.renumber(&mut self.names);
            }
        }
    }

    /// Files `source`'s report of `a`.
    fn report(&mut self, source: &str, mut a: Alert) {
        let cap = self.limits.alert_history;
        if a.unconfirmed {
            // A stub: the source no longer reports it but cannot confirm
            // that it resolved. Keep what is known, marked unconfirmed.
            if let Some(entry) = self.alerts.get_mut(&a.fingerprint) {
                if entry.alert.state.is_active() && !entry.alert.unconfirmed {
                    entry.alert.unconfirmed = true;
                    entry.seq = next_seq();
                    self.last_seq = entry.seq;
                }
            }
            return;
        }
        let Some(entry) = self.alerts.get_mut(&a.fingerprint) else {
            let report =
                Report { source: source.to_string(), state: a.state, rule_engine: a.rule_engine };
            let mut history = Ring::new(cap);
            history.push((a.starts_at, a.state));
            let seq = next_seq();
            self.last_seq = seq;
            let derived = Derived::of(&a, &mut self.names);
            let fired = a.state.is_active();
            self.alerts.insert(
                a.fingerprint.clone(),
                AlertEntry {
                    alert: a,
                    history,
                    refires: 0,
                    seq,
                    derived,
                    reports: vec![report],
                    fired,
                },
            );
            return;
        };
        if a.rule_engine && a.state == AlertState::Pending && entry.alert.state.is_active() {
            // Pending never follows firing in one rule engine's life: it
            // restarted, forgot the alert and waits out the rule's `for`
            // again (Prometheus restores that only for a `for` longer than
            // its grace period). The condition held throughout, as far as
            // anyone can tell: the same occurrence, still firing, as an
            // Alertmanager would keep it.
            a.state = AlertState::Firing;
        }
        // Updated in place: a storm re-reports every alert every poll.
        match entry.reports.iter_mut().find(|r| r.source == source) {
            Some(r) => (r.state, r.rule_engine) = (a.state, a.rule_engine),
            None => entry.reports.push(Report {
                source: source.to_string(),
                state: a.state,
                rule_engine: a.rule_engine,
            }),
        }
        let Some(state) = decided(&entry.reports) else {
            return;
        };
        if a.rule_engine && entry.reports.iter().any(|r| !r.rule_engine) {
            // The Alertmanager's copy stays; the rule engine adds its rule.
            let have = &mut entry.alert;
            if have.expr.is_none() {
                have.expr = a.expr;
            }
            if have.series.is_none() {
                have.series = a.series;
            }
            return;
        }
        let old = &entry.alert;
        let continuing = old.state.is_active() && state.is_active();
        if continuing || (old.state == AlertState::Pending && state == AlertState::Pending) {
            // The same occurrence, whoever reports it now.
            a.starts_at = old.starts_at;
        }
        if a.expr.is_none() {
            a.expr.clone_from(&old.expr);
        }
        if a.series.is_none() {
            a.series.clone_from(&old.series);
        }
        a.state = state;
        if old.state != state {
            if old.state == AlertState::Resolved && state.is_active() {
                entry.refires += 1;
            }
            entry.history.push((a.updated_at, state));
        }
        if old.state != state || old.starts_at != a.starts_at || old.unconfirmed != a.unconfirmed {
            entry.seq = next_seq();
            self.last_seq = entry.seq;
        }
        entry.fired |= state.is_active();
        entry.derived.refresh(&a, &mut self.names);
        entry.alert = a;
        entry.alert.flaps = entry.refires;
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
