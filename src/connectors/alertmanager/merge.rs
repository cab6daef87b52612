//! One Alertmanager cluster's view of its alerts across replicas, and the
//! rule that decides when an alert that disappeared really resolved.
//!
//! Replicas do not replicate alerts (each gets them from Prometheus), so the
//! cluster's alerts are the union over replicas by fingerprint, the state the
//! most active report (active > suppressed > unprocessed). An alert missing
//! from every fresh answer resolves, unless the cluster was disrupted
//! recently (a replica down, restarted or answering empty while its peers
//! have alerts) and the alert's own lease (`endsAt`) has not run out: then it
//! is kept, because Prometheus re-sends it after an Alertmanager restart.
//! Pure data; no I/O.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Alert, Fingerprint, UnixMs};

use super::api::state_rank;

/// What one replica answered in one cycle (successful answers only).
#[derive(Debug, Clone)]
pub struct ReplicaAnswer {
    pub replica: String,
    pub alerts: Vec<Alert>,
}

/// Union by fingerprint; replicas listed in configuration order.
#[must_use]
pub fn union(answers: Vec<ReplicaAnswer>) -> BTreeMap<Fingerprint, Alert> {
    let mut out: BTreeMap<Fingerprint, Alert> = BTreeMap::new();
    for ans in answers {
        for a in ans.alerts {
            match out.get_mut(&a.fingerprint) {
                None => {
                    out.insert(a.fingerprint.clone(), a);
                }
                Some(have) => {
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
                    have.ends_at = match (have.ends_at, a.ends_at) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        (x, y) => x.or(y),
                    };
                }
            }
        }
    }
    out
}

/// The alerts a cluster has shown, and until when absence is not trusted.
#[derive(Debug, Clone, Default)]
pub struct ClusterAlerts {
    shown: HashMap<Fingerprint, Alert>,
    distrust_until: UnixMs,
}

impl ClusterAlerts {
    /// Something happened that can make alerts vanish without resolving.
    pub fn disrupted(&mut self, now: UnixMs, grace_ms: i64) {
        self.distrust_until = self.distrust_until.max(now.saturating_add(grace_ms));
    }

    #[must_use]
    pub fn distrusts_absence(&self, now: UnixMs) -> bool {
        now < self.distrust_until
    }

    /// The alerts to publish after a cycle in which at least one replica
    /// answered: the fresh union, plus recently vanished alerts that are
    /// kept while absence is distrusted and their lease runs.
    pub fn settle(&mut self, now: UnixMs, fresh: BTreeMap<Fingerprint, Alert>) -> Vec<Alert> {
        let distrust = self.distrusts_absence(now);
        let mut next: HashMap<Fingerprint, Alert> = HashMap::with_capacity(fresh.len());
        for (fp, old) in self.shown.drain() {
            if fresh.contains_key(&fp) {
                continue;
            }
            let lease_runs = old.ends_at.is_none_or(|e| e > now);
            if distrust && lease_runs {
                next.insert(fp, old);
            }
        }
        next.extend(fresh);
        self.shown = next;
        self.shown.values().cloned().collect()
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
            fingerprint: Fingerprint(name.into()),
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
        let x = &u[&Fingerprint("X".into())];
        assert_eq!(x.state, AlertState::Firing);
        assert_eq!(x.replicas, vec!["r1".to_string(), "r2".to_string()]);
        assert_eq!(x.ends_at, Some(20));
        assert_eq!(u.len(), 2);
    }

    #[test]
    fn absence_resolves_unless_disrupted_and_lease_running() {
        let mut c = ClusterAlerts::default();
        let fresh = union(vec![ReplicaAnswer {
            replica: "r".into(),
            alerts: vec![
                alert("leased", AlertState::Firing, Some(1_000_000), "r"),
                alert("expired", AlertState::Firing, Some(50), "r"),
            ],
        }]);
        assert_eq!(c.settle(10, fresh).len(), 2);
        // A restart: the replica answers empty. Leased alerts are kept.
        c.disrupted(100, 60_000);
        let kept = c.settle(100, BTreeMap::new());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].fingerprint.0, "leased");
        // After the grace period an absent alert resolves.
        assert!(c.settle(70_000, BTreeMap::new()).is_empty());
        // Undisturbed, absence resolves at once.
        let mut d = ClusterAlerts::default();
        let fresh = union(vec![ReplicaAnswer {
            replica: "r".into(),
            alerts: vec![alert("leased", AlertState::Firing, Some(1_000_000), "r")],
        }]);
        d.settle(10, fresh);
        assert!(d.settle(20, BTreeMap::new()).is_empty());
    }
}
