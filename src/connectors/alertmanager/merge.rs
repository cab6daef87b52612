//! One Alertmanager cluster's view of its alerts across replicas, and the
//! rule that decides when an alert that disappeared really resolved.
//!
//! Replicas do not replicate alerts (each gets them from Prometheus), so the
//! cluster's alerts are the union over replicas by fingerprint, the state the
//! most active report (active > suppressed > unprocessed).
//!
//! An alert missing from every fresh answer is resolved at once when a
//! *trusted* replica that reported it answered without it, or when every
//! replica is trusted. Trusted means: answered this cycle, and not settling
//! (a replica that just restarted or came back lost its alerts until
//! Prometheus re-sends them, about one resend delay later). Otherwise (a
//! replica down, or only settling ones ever reported it) the alert is kept,
//! marked unconfirmed, while its own lease (`endsAt`) runs and for at most
//! `resolve_grace` after it was last reported. Pure data; no I/O.

use std::collections::HashMap;

use crate::model::{Alert, AlertState, Fingerprint, UnixMs};

use super::api::state_rank;

/// What one replica answered in one cycle (successful answers only).
#[derive(Debug, Clone)]
pub struct ReplicaAnswer {
    pub replica: String,
    pub alerts: Vec<Alert>,
}

/// Union by fingerprint; replicas listed in configuration order. The
/// first answer's list is reused as is (a storm's alerts are not moved into
/// a second structure); later answers merge into it through an index.
#[must_use]
pub fn union(answers: Vec<ReplicaAnswer>) -> Vec<Alert> {
    let mut answers = answers.into_iter();
    let Some(first) = answers.next() else {
        return Vec::new();
    };
    let mut out = first.alerts;
    let mut rest = answers.peekable();
    if rest.peek().is_none() {
        return out;
    }
    let mut at: HashMap<Fingerprint, usize> =
        out.iter().enumerate().map(|(i, a)| (a.fingerprint.clone(), i)).collect();
    for ans in rest {
        for a in ans.alerts {
            let Some(have) = at.get(&a.fingerprint).and_then(|&i| out.get_mut(i)) else {
                at.insert(a.fingerprint.clone(), out.len());
                out.push(a);
                continue;
            };
            if !have.replicas.contains(&ans.replica) {
                have.replicas.push(ans.replica.clone());
            }
            for s in a.silenced_by {
                if !have.silenced_by.contains(&s) {
                    have.silenced_by.push(s);
                }
            }
            for f in a.inhibited_by {
                if !have.inhibited_by.contains(&f) {
                    have.inhibited_by.push(f);
                }
            }
            if state_rank(a.state) > state_rank(have.state) {
                have.state = a.state;
            }
            have.updated_at = have.updated_at.max(a.updated_at);
            if have.am_group.is_none() {
                have.am_group = a.am_group;
            }
            have.ends_at = match (have.ends_at, a.ends_at) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
        }
    }
    out
}

/// How long a replica's answers are not trusted to list every alert after
/// it restarted or came back: Prometheus re-sends firing alerts every
/// resend delay (1 minute by default), plus an evaluation interval.
pub const SETTLE_MS: i64 = 75_000;

/// Which replicas' answers of this cycle can be believed about absence.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Replicas that answered this cycle (a replica answering empty while
    /// its peers report alerts is left out). One that reported an alert
    /// since it last (re)started and now answers without it resolves it.
    pub trusted: Vec<String>,
    /// Every replica answered and none is settling: absence is the truth.
    pub all: bool,
    /// Longest an absent alert is kept unconfirmed.
    pub grace_ms: i64,
    /// Absent alerts the source cannot speak for yet, whatever the rest:
    /// a restarted Prometheus lists no alert of a rule before its first
    /// evaluation (up to an evaluation interval, a minute by default).
    pub unsure: std::collections::HashSet<Fingerprint>,
}

/// What a cluster remembers of an alert it published: enough to decide
/// about its absence and to keep it unconfirmed, not the alert itself (the
/// store has that; a storm's worth of copies here would double the memory).
#[derive(Debug, Clone)]
struct Shown {
    ends_at: Option<UnixMs>,
    starts_at: UnixMs,
    state: AlertState,
    /// Bit `i`: replica `i` of `ClusterAlerts::replicas` reported it.
    replicas: u64,
    /// Absent and kept unconfirmed since this time.
    missing_since: Option<UnixMs>,
}

/// The alerts a cluster has shown, and which replicas are settling.
#[derive(Debug, Clone, Default)]
pub struct ClusterAlerts {
    shown: HashMap<Fingerprint, Shown>,
    /// Replica names by bit position (the first 64 replicas; more are
    /// treated as unknown reporters, which only keeps alerts longer).
    replicas: Vec<String>,
    /// Replica → until when it is settling.
    settling: HashMap<String, UnixMs>,
}

impl ClusterAlerts {
    /// `replica` restarted or came back: its answers may lack alerts until
    /// `until`, and what it reported before says nothing about now.
    pub fn settling(&mut self, replica: &str, until: UnixMs) {
        let e = self.settling.entry(replica.to_string()).or_insert(until);
        *e = (*e).max(until);
        if let Some(i) = self.replicas.iter().position(|r| r == replica).filter(|i| *i < 64) {
            for s in self.shown.values_mut() {
                s.replicas &= !(1 << i);
            }
        }
    }

    /// Whether `replica` is settling at `now`.
    #[must_use]
    pub fn is_settling(&self, replica: &str, now: UnixMs) -> bool {
        self.settling.get(replica).is_some_and(|u| now < *u)
    }

    fn bits(&mut self, names: &[String]) -> u64 {
        let mut bits = 0u64;
        for n in names {
            let i = match self.replicas.iter().position(|r| r == n) {
                Some(i) => i,
                None => {
                    self.replicas.push(n.clone());
                    self.replicas.len() - 1
                }
            };
            if i < 64 {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// The alerts to publish after a cycle in which at least one replica
    /// answered: the fresh union, plus absent alerts whose absence cannot
    /// be believed yet. Those are sent as stubs (fingerprint, state, times,
    /// `unconfirmed`, no labels): the store keeps what it knows of them.
    pub fn settle(&mut self, now: UnixMs, fresh: Vec<Alert>, trust: &Trust) -> Vec<Alert> {
        self.settling.retain(|_, until| now < *until);
        let mut trusted_bits = 0u64;
        for (i, r) in self.replicas.iter().enumerate().take(64) {
            if trust.trusted.contains(r) {
                trusted_bits |= 1 << i;
            }
        }
        let mut kept: Vec<Alert> = Vec::new();
        let mut next: HashMap<Fingerprint, Shown> = HashMap::with_capacity(fresh.len());
        let present: std::collections::HashSet<&Fingerprint> =
            fresh.iter().map(|a| &a.fingerprint).collect();
        for (fp, old) in self.shown.drain() {
            if present.contains(&fp) {
                continue;
            }
            let denied = old.replicas & trusted_bits != 0;
            if (trust.all || denied) && !trust.unsure.contains(&fp) {
                continue;
            }
            let since = old.missing_since.unwrap_or(now);
            let lease_runs = old.ends_at.is_none_or(|e| e > now);
            if lease_runs && now - since < trust.grace_ms {
                let mut stub =
                    Alert::new("", crate::model::Labels::new(), old.state, old.starts_at);
                stub.fingerprint = fp.clone();
                stub.ends_at = old.ends_at;
                stub.unconfirmed = true;
                kept.push(stub);
                next.insert(fp, Shown { missing_since: Some(since), ..old });
            }
        }
        drop(present);
        for a in &fresh {
            let replicas = self.bits(&a.replicas);
            let shown = Shown {
                ends_at: a.ends_at,
                starts_at: a.starts_at,
                state: a.state,
                replicas,
                missing_since: None,
            };
            next.insert(a.fingerprint.clone(), shown);
        }
        self.shown = next;
        let mut out = fresh;
        out.append(&mut kept);
        out
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertState, Labels};

    fn alert(name: &str, state: AlertState, ends_at: Option<UnixMs>, replica: &str) -> Alert {
        let mut labels = Labels::new();
        labels.insert("alertname".into(), name.into());
        Alert {
            source: "am".into(),
            fingerprint: Fingerprint::from(name),
            labels,
            annotations: Labels::new(),
            state,
            starts_at: 0,
            ends_at,
            updated_at: 0,
            generator_url: None,
            silenced_by: vec![],
            inhibited_by: vec![],
            replicas: vec![replica.into()],
            expr: None,
            series: None,
            flaps: 0,
            unconfirmed: false,
            rule_engine: false,
            am_group: None,
            rule_ended: None,
        }
    }

    #[test]
    fn union_merges_states_and_lists_replicas() {
        let a = ReplicaAnswer {
            replica: "r1".into(),
            alerts: vec![alert("X", AlertState::Suppressed, Some(10), "r1")],
        };
        let b = ReplicaAnswer {
            replica: "r2".into(),
            alerts: vec![
                alert("X", AlertState::Firing, Some(20), "r2"),
                alert("Y", AlertState::Unprocessed, None, "r2"),
            ],
        };
        let u = union(vec![a, b]);
        let x = u.iter().find(|a| a.fingerprint.as_str() == "X").expect("X");
        assert_eq!(x.state, AlertState::Firing);
        assert_eq!(x.replicas, vec!["r1".to_string(), "r2".to_string()]);
        assert_eq!(x.ends_at, Some(20));
        assert_eq!(u.len(), 2);
    }

    fn trust(trusted: &[&str], all: bool) -> Trust {
        Trust {
            trusted: trusted.iter().map(|r| (*r).to_string()).collect(),
            all,
            grace_ms: 60_000,
            unsure: std::collections::HashSet::new(),
        }
    }

    fn reply(replica: &str, names: &[&str]) -> ReplicaAnswer {
        ReplicaAnswer {
            replica: replica.into(),
            alerts: names
                .iter()
                .map(|n| alert(n, AlertState::Firing, Some(1_000_000), replica))
                .collect(),
        }
    }

    fn answer(replica: &str, names: &[&str]) -> Vec<Alert> {
        union(vec![reply(replica, names)])
    }

    #[test]
    fn with_every_replica_healthy_and_answering_absence_resolves_at_once() {
        let mut c = ClusterAlerts::default();
        let fresh = union(vec![reply("r1", &["X", "Y"]), reply("r2", &["X"])]);
        assert_eq!(c.settle(10, fresh, &trust(&["r1", "r2"], true)).len(), 2);
        let kept = c.settle(20, answer("r1", &["Y"]), &trust(&["r1", "r2"], true));
        assert_eq!(kept.len(), 1, "X resolved on the next fresh poll");
        assert!(!kept[0].unconfirmed);
    }

    #[test]
    fn an_absence_the_source_cannot_speak_for_yet_is_kept_unconfirmed() {
        let mut c = ClusterAlerts::default();
        c.settle(10, answer("prom", &["X", "Y"]), &trust(&["prom"], true));
        // Restarted, its rules not evaluated yet: X's rule is unsure, Y's is not.
        let mut t = trust(&["prom"], true);
        t.unsure.insert(Fingerprint::from("X"));
        let kept = c.settle(20, Vec::new(), &t);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].unconfirmed && kept[0].fingerprint.as_str() == "X");
        // Evaluated and still absent: resolved.
        assert!(c.settle(30, Vec::new(), &trust(&["prom"], true)).is_empty());
    }

    #[test]
    fn a_trusted_replica_that_reported_it_denies_it_even_with_a_peer_down() {
        let mut c = ClusterAlerts::default();
        c.settle(10, answer("r1", &["X"]), &trust(&["r1"], false));
        // r2 is down (not trusted, not all); r1 answered without X.
        assert!(c.settle(20, Vec::new(), &trust(&["r1"], false)).is_empty());
    }

    #[test]
    fn alerts_only_a_settling_replica_reported_stay_unconfirmed_within_grace_and_lease() {
        let mut c = ClusterAlerts::default();
        let mut fresh = answer("r1", &["leased"]);
        fresh.push(alert("expired", AlertState::Firing, Some(50), "r1"));
        assert_eq!(c.settle(10, fresh, &trust(&["r1"], true)).len(), 2);
        // r1 restarted: it answers empty and is settling; what it reported
        // before the restart is not denied by its empty answer.
        c.settling("r1", 100 + SETTLE_MS);
        assert!(c.is_settling("r1", 100));
        let kept = c.settle(100, Vec::new(), &trust(&["r1"], false));
        assert_eq!(kept.len(), 1, "the expired lease resolves");
        assert!(kept[0].unconfirmed && kept[0].fingerprint.as_str() == "leased");
        // Still unconfirmed a little later, gone once the grace runs out.
        assert_eq!(c.settle(30_000, Vec::new(), &trust(&[], false)).len(), 1);
        assert!(c.settle(61_000, Vec::new(), &trust(&[], false)).is_empty());
        // Reported again: confirmed, and the grace starts over next time.
        let back = c.settle(62_000, answer("r1", &["leased"]), &trust(&["r1"], false));
        assert!(!back[0].unconfirmed);
        // Reported by r1 since its restart: r1's absence now resolves it,
        // settling or not.
        assert!(c.is_settling("r1", 62_000) || SETTLE_MS < 62_000);
        assert!(c.settle(63_000, Vec::new(), &trust(&["r1"], false)).is_empty());
    }
}
