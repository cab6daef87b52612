//! Alertmanager's route grouping, read from `GET /api/v2/alerts/groups`:
//! which aggregation group (the route's `group_by` label values and its
//! receiver) each alert fingerprint is in, as karma shows it.
//!
//! The answer repeats every alert in full; only the group's labels, its
//! receiver and the members' fingerprints are kept (the rest is skipped
//! while parsing, one group at a time). An alert routed to several groups
//! (`continue: true`) keeps the first that is evidence (see
//! [`AmGroup::is_evidence`]); one in no such group is listed without one,
//! so that the poller knows it has seen it.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::connectors::http::{FetchError, escape_excerpt};
use crate::model::{AmGroup, Fingerprint, Labels};

/// Fingerprint → its group (shared by the group's alerts), `None` for an
/// alert listed only in groups that are no evidence.
pub type GroupOf = HashMap<Fingerprint, Option<Arc<AmGroup>>>;

/// Largest groups answer taken (bytes; some 20,000 alerts): it repeats
/// every alert, and a storm that size is correlated without it.
pub const GROUPS_UP_TO_BYTES: u64 = 16 << 20;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireGroup {
    labels: Labels,
    receiver: WireReceiver,
    alerts: Vec<WireMember>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireReceiver {
    name: String,
}

/// A group's alert; every field but the fingerprint is skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireMember {
    fingerprint: String,
}

/// Parses a `GET /api/v2/alerts/groups` body into each alert's group.
///
/// # Errors
/// The body is not a JSON list of groups.
pub fn parse_groups(body: &[u8]) -> Result<GroupOf, FetchError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let groups = GroupList.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    groups.map_err(|_| FetchError::Bad { excerpt: escape_excerpt(body) })
}

/// Merges replicas' answers: the first replica's word for an alert wins.
#[must_use]
pub fn union(answers: Vec<GroupOf>) -> GroupOf {
    let mut answers = answers.into_iter();
    let mut out = answers.next().unwrap_or_default();
    for more in answers {
        for (fp, g) in more {
            let have = out.entry(fp).or_insert(None);
            if have.is_none() {
                *have = g;
            }
        }
    }
    out
}

struct GroupList;

impl<'de> DeserializeSeed<'de> for GroupList {
    type Value = GroupOf;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupList {
    type Value = GroupOf;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of alert groups")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = GroupOf::new();
        while let Some(g) = seq.next_element::<WireGroup>()? {
            let group = Arc::new(AmGroup { receiver: g.receiver.name, labels: g.labels });
            let evidence = group.is_evidence().then_some(group);
            for m in g.alerts.into_iter().filter(|m| !m.fingerprint.is_empty()) {
                let have = out.entry(Fingerprint::from(m.fingerprint)).or_insert(None);
                if have.is_none() {
                    have.clone_from(&evidence);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"[
        {"labels":{"alertname":"HostDown"},"receiver":{"name":"ops"},
         "alerts":[{"fingerprint":"a1","labels":{"alertname":"HostDown","instance":"x"}}]},
        {"labels":{"cluster":"eu","alertname":"HostDown"},"receiver":{"name":"ops"},
         "alerts":[{"fingerprint":"a1","status":{"state":"active"}},{"fingerprint":"b2"},{}]},
        {"labels":{"cluster":"us"},"receiver":{"name":"pager"},"alerts":[{"fingerprint":"b2"},{"fingerprint":"c3"}],"extra":1}
    ]"#;

    #[test]
    fn each_alert_gets_its_first_group_that_is_evidence() {
        let g = parse_groups(BODY).unwrap();
        assert_eq!(g.len(), 3);
        let g: HashMap<Fingerprint, Arc<AmGroup>> =
            g.into_iter().filter_map(|(fp, g)| Some((fp, g?))).collect();
        assert_eq!(g.len(), 3);
        let a1 = &g[&Fingerprint::from("a1")];
        // The alertname-only group says nothing beyond the rule: skipped.
        assert_eq!(a1.describe(), "alertname=HostDown, cluster=eu");
        assert_eq!(a1.receiver, "ops");
        assert!(Arc::ptr_eq(a1, &g[&Fingerprint::from("b2")]), "first group wins, shared");
        let c3 = &g[&Fingerprint::from("c3")];
        assert_eq!((c3.describe().as_str(), c3.receiver.as_str()), ("cluster=us", "pager"));
        assert_ne!(a1.key(), c3.key());
    }

    #[test]
    fn what_is_not_a_list_of_groups_is_refused() {
        assert!(parse_groups(b"{\"labels\":{}}").is_err());
        assert!(parse_groups(b"[{\"labels\":{\"a\":1}}]").is_err());
        assert!(parse_groups(b"[] x").is_err());
        assert!(parse_groups(b"[]").unwrap().is_empty());
    }

    #[test]
    fn the_first_replica_wins_a_disagreement() {
        let one = parse_groups(br#"[{"labels":{"cluster":"eu"},"alerts":[{"fingerprint":"a"}]}]"#);
        let two = parse_groups(
            br#"[{"labels":{"cluster":"us"},"alerts":[{"fingerprint":"a"},{"fingerprint":"b"}]}]"#,
        );
        let only_rule = parse_groups(
            br#"[{"labels":{"alertname":"R"},"alerts":[{"fingerprint":"c"},{"fingerprint":"a"}]}]"#,
        );
        let u = union(vec![only_rule.unwrap(), one.unwrap(), two.unwrap()]);
        let described = |fp: &str| u[&Fingerprint::from(fp)].as_ref().map(|g| g.describe());
        assert_eq!(described("a").as_deref(), Some("cluster=eu"), "evidence beats none");
        assert_eq!(described("b").as_deref(), Some("cluster=us"));
        assert_eq!(described("c"), None, "seen, in no group that is evidence");
    }
}
