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
mod tests {
    use crate::model::{Alert, AlertState, labels_of};
    use crate::store::{Ingest, Store, StoreLimits};

    fn alert(state: AlertState, start: i64, rule_engine: bool, source: &str) -> Alert {
        let labels = labels_of(&[("alertname", "HostHighCpuLoad"), ("instance", "web-1:9100")]);
        let mut a = Alert::new(source, labels, state, start);
        a.rule_engine = rule_engine;
        a
    }

    fn poll(s: &mut Store, source: &str, at: i64, alerts: Vec<Alert>) {
        s.apply(Ingest::AlertPoll { source: source.into(), at, alerts });
    }

    #[test]
    fn pending_then_firing_in_prometheus_then_alertmanager_is_one_occurrence() {
        let mut s = Store::new(StoreLimits::default());
        let fp = alert(AlertState::Pending, 0, true, "prom").fingerprint;
        poll(&mut s, "prom", 1_000, vec![alert(AlertState::Pending, 1_000, true, "prom")]);
        poll(&mut s, "prom", 31_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
        // Alertmanager's start is when it fired (later than activeAt).
        poll(&mut s, "am", 32_000, vec![alert(AlertState::Firing, 31_000, false, "am")]);
        poll(&mut s, "prom", 46_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
        let e = s.alert(&fp).expect("stored");
        assert_eq!(e.alert.state, AlertState::Firing);
        assert_eq!(e.alert.starts_at, 1_000, "one occurrence, one start");
        assert_eq!(e.refires, 0, "not counted as flapping");
        assert!(!e.alert.rule_engine, "the Alertmanager's copy is the one shown");
        let firing = e.history.iter().filter(|(_, st)| *st == AlertState::Firing).count();
        assert_eq!(firing, 1, "{:?}", e.history.iter().collect::<Vec<_>>());
    }

    #[test]
    fn silenced_at_the_alertmanager_stays_silenced_and_resolves_with_it() {
        let mut s = Store::new(StoreLimits::default());
        let fp = alert(AlertState::Firing, 0, true, "prom").fingerprint;
        poll(&mut s, "prom", 1_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
        poll(&mut s, "am", 2_000, vec![alert(AlertState::Suppressed, 1_000, false, "am")]);
        poll(&mut s, "prom", 3_000, vec![alert(AlertState::Firing, 1_000, true, "prom")]);
        assert_eq!(s.alert(&fp).map(|e| e.alert.state), Some(AlertState::Suppressed));
        // It resolves: the Alertmanager polls first; Prometheus's copy from
        // before must not turn it firing again.
        poll(&mut s, "am", 4_000, vec![]);
        assert_eq!(s.alert(&fp).map(|e| e.alert.state), Some(AlertState::Resolved));
        poll(&mut s, "prom", 5_000, vec![]);
        let e = s.alert(&fp).expect("kept as resolved");
        assert_eq!(e.alert.state, AlertState::Resolved);
        assert!(!e.history.iter().skip(2).any(|(_, st)| *st == AlertState::Firing));
    }

    #[test]
    fn a_firing_alert_reported_pending_after_its_engine_restarted_goes_on_firing() {
        let mut s = Store::new(StoreLimits::default());
        let a = alert(AlertState::Firing, 1_000, true, "prom");
        poll(&mut s, "prom", 1_000, vec![a.clone()]);
        // Restarted: pending again since its first evaluation, then firing.
        poll(&mut s, "prom", 60_000, vec![alert(AlertState::Pending, 55_000, true, "prom")]);
        let e = s.alert(&a.fingerprint).expect("kept");
        assert_eq!((e.alert.state, e.alert.starts_at), (AlertState::Firing, 1_000));
        poll(&mut s, "prom", 90_000, vec![alert(AlertState::Firing, 55_000, true, "prom")]);
        let e = s.alert(&a.fingerprint).expect("kept");
        assert_eq!((e.alert.state, e.alert.starts_at, e.refires), (AlertState::Firing, 1_000, 0));
        assert_eq!(
            e.history.len(),
            1,
            "one fired, nothing else: {:?}",
            e.history.iter().collect::<Vec<_>>()
        );
        // Resolved, then pending anew: a new occurrence, pending.
        poll(&mut s, "prom", 100_000, vec![]);
        poll(&mut s, "prom", 110_000, vec![alert(AlertState::Pending, 105_000, true, "prom")]);
        let e = s.alert(&a.fingerprint).expect("kept");
        assert_eq!(e.alert.state, AlertState::Pending);
    }

    #[test]
    fn vanished_pending_alerts_are_dropped_and_fired_ones_resolve() {
        let mut s = Store::new(StoreLimits::default());
        let p = alert(AlertState::Pending, 1_000, true, "prom");
        poll(&mut s, "prom", 1_000, vec![p.clone()]);
        poll(&mut s, "prom", 2_000, vec![]);
        assert!(s.alert(&p.fingerprint).is_none(), "a pending alert that vanished is gone");
        poll(&mut s, "prom", 3_000, vec![alert(AlertState::Firing, 3_000, true, "prom")]);
        poll(&mut s, "prom", 4_000, vec![]);
        assert_eq!(s.alert(&p.fingerprint).map(|e| e.alert.state), Some(AlertState::Resolved));
    }

    #[test]
    fn an_unconfirmed_stub_keeps_the_alert_marked_until_confirmed_or_resolved() {
        let mut s = Store::new(StoreLimits::default());
        let a = alert(AlertState::Firing, 1_000, false, "am");
        poll(&mut s, "am", 1_000, vec![a.clone()]);
        let mut stub = Alert::new("", crate::model::Labels::new(), AlertState::Firing, 1_000);
        stub.fingerprint = a.fingerprint.clone();
        stub.unconfirmed = true;
        poll(&mut s, "am", 2_000, vec![stub]);
        let e = s.alert(&a.fingerprint).expect("kept");
        assert_eq!(e.alert.state, AlertState::Firing);
        assert!(e.alert.unconfirmed && e.alert.labels == a.labels, "labels kept, marked");
        poll(&mut s, "am", 3_000, vec![a.clone()]);
        assert!(!s.alert(&a.fingerprint).expect("kept").alert.unconfirmed);
        poll(&mut s, "am", 4_000, vec![]);
        assert_eq!(s.alert(&a.fingerprint).map(|e| e.alert.state), Some(AlertState::Resolved));
    }

    #[test]
    fn alerts_beyond_the_cap_are_dropped_counted_and_shown_in_health() {
        use crate::model::{Labels, SourceHealth, SourceStatus};
        let limits = StoreLimits { max_alerts: 3, ..StoreLimits::default() };
        let mut s = Store::new(limits);
        let many: Vec<Alert> = (0..5)
            .map(|i| {
                let mut l = Labels::new();
                l.insert("alertname".into(), format!("A{i}"));
                Alert::new("am", l, AlertState::Firing, 1_000)
            })
            .collect();
        poll(&mut s, "am", 1_000, many.clone());
        assert_eq!(s.alert_count(), 3);
        assert_eq!(s.dropped_alerts(), 2);
        let health = SourceHealth {
            id: "am".into(),
            kind: "alertmanager".into(),
            status: SourceStatus::Ok,
            last_ok: Some(1_000),
            interval_ms: 1_000,
        };
        s.apply(Ingest::Health(health.clone()));
        let h = s.health().next().expect("health");
        let SourceStatus::Partial { warnings } = &h.status else { panic!("{:?}", h.status) };
        assert_eq!(crate::store::dropped_in(&warnings[0]), Some(2), "{warnings:?}");
        // The same alerts next poll: the kept ones stay, not churned.
        let kept: Vec<_> = s.alerts().map(|e| e.alert.fingerprint.clone()).collect();
        poll(&mut s, "am", 2_000, many);
        assert!(kept.iter().all(|fp| s.alert(fp).is_some()));
        // Fewer alerts: nothing dropped, health ok again.
        poll(&mut s, "am", 3_000, vec![]);
        assert_eq!(s.dropped_alerts(), 0);
        s.apply(Ingest::Health(health));
        assert_eq!(s.health().next().map(|h| h.status.clone()), Some(SourceStatus::Ok));
    }

    #[test]
    fn without_an_alertmanager_prometheus_alone_decides() {
        let mut s = Store::new(StoreLimits::default());
        let a = alert(AlertState::Firing, 1_000, true, "prom");
        poll(&mut s, "prom", 1_000, vec![a.clone()]);
        poll(&mut s, "am", 1_500, vec![]);
        assert_eq!(s.alert(&a.fingerprint).map(|e| e.alert.state), Some(AlertState::Firing));
    }
}
