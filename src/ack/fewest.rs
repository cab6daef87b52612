//! The fewest silences that acknowledge an incident's alerts and nothing
//! else quell knows of: an ack should read as one action in karma and
//! amtool, not as a pile of silences.
//!
//! [`plan`] tries, in order, and takes the first whose silences select every
//! target and none of the `others` (every other alert of the cluster quell
//! knows, firing or recently resolved):
//!
//! 1. one silence: each label every target carries, as `=` when they agree
//!    and as an anchored alternation of the escaped values when they do not
//!    (labels only some targets carry are left out);
//! 2. one such silence per alert name (Alertmanager routes usually group by
//!    `alertname`, so this is never more than one per group there);
//! 3. the exact cover of [`super::plan::cover`] (one per label set, merged
//!    where a single label differs).
//!
//! Step 1 and 2 can also match label combinations no target has (the
//! product of the value sets); that is acceptable only because no known
//! alert has them. A future alert with such a combination would be
//! silenced while the ack lives (15 minutes, extended only while the
//! incident's own alerts fire).

use std::collections::{BTreeMap, BTreeSet};

use super::plan::cover;
use crate::model::{CompiledMatchers, Labels, SilenceMatcher};

/// Matcher lists, as few as possible, selecting every one of `targets` and
/// none of `others`.
#[must_use]
pub fn plan(targets: &[&Labels], others: &[&Labels]) -> Vec<Vec<SilenceMatcher>> {
    if targets.is_empty() {
        return Vec::new();
    }
    if let Some(one) = common(targets).filter(|ms| selects_none(ms, others)) {
        return vec![one];
    }
    let mut by_name: BTreeMap<&str, Vec<&Labels>> = BTreeMap::new();
    for t in targets {
        by_name.entry(t.get("alertname").unwrap_or("")).or_default().push(t);
    }
    let mut out = Vec::new();
    for group in by_name.values() {
        match common(group).filter(|ms| selects_none(ms, others)) {
            Some(ms) => out.push(ms),
            None => out.extend(cover(group)),
        }
    }
    out
}

/// One silence over the labels all of `targets` carry.
fn common(targets: &[&Labels]) -> Option<Vec<SilenceMatcher>> {
    let first = targets.first()?;
    let mut sets: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (k, _) in first.iter() {
        if targets.iter().all(|t| t.contains_key(k)) {
            let values = targets.iter().filter_map(|t| t.get(k)).collect();
            sets.insert(k, values);
        }
    }
    // A silence needs at least one matcher that does not match everything.
    if sets.is_empty() {
        return None;
    }
    let matchers: Vec<SilenceMatcher> = sets
        .into_iter()
        .map(|(k, vs)| {
            if vs.len() == 1 {
                SilenceMatcher::equal(k, vs.into_iter().next().unwrap_or(""))
            } else {
                let alt: Vec<String> = vs.iter().map(|v| regex::escape(v)).collect();
                SilenceMatcher {
                    name: k.to_string(),
                    value: alt.join("|"),
                    is_regex: true,
                    is_equal: true,
                }
            }
        })
        .collect();
    Some(matchers)
}

fn selects_none(matchers: &[SilenceMatcher], others: &[&Labels]) -> bool {
    let c = CompiledMatchers::new(matchers);
    !others.iter().any(|o| c.matches(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels_of;

    fn selects(sets: &[Vec<SilenceMatcher>], l: &Labels) -> bool {
        sets.iter().any(|ms| CompiledMatchers::new(ms).matches(l))
    }

    fn host(name: &str, host: &str, sev: &str) -> Labels {
        let instance = format!("{host}:9100");
        labels_of(&[
            ("alertname", name),
            ("instance", &instance),
            ("job", "node"),
            ("severity", sev),
        ])
    }

    #[test]
    fn one_hosts_incident_is_one_silence_that_selects_nothing_else() {
        let cpu = host("HostHighCpuLoad", "web-1", "warning");
        let mem = host("HostOutOfMemory", "web-1", "critical");
        let disk = host("HostOutOfDiskSpace", "web-1", "warning");
        let other_host = host("HostHighCpuLoad", "web-2", "warning");
        let targets = [&cpu, &mem, &disk];
        let sets = plan(&targets, &[&other_host]);
        assert_eq!(sets.len(), 1, "{sets:?}");
        for t in targets {
            assert!(selects(&sets, t));
        }
        assert!(!selects(&sets, &other_host));
    }

    #[test]
    fn a_known_alert_the_single_silence_would_catch_splits_it_by_alert_name() {
        let cpu1 = host("HostHighCpuLoad", "web-1", "warning");
        let mem2 = host("HostOutOfMemory", "web-2", "critical");
        // web-1's memory alert is not part of this incident: one silence
        // over {web-1, web-2} × {cpu, memory} would select it.
        let outside = host("HostOutOfMemory", "web-1", "critical");
        let sets = plan(&[&cpu1, &mem2], &[&outside]);
        assert_eq!(sets.len(), 2, "{sets:?}");
        assert!(selects(&sets, &cpu1) && selects(&sets, &mem2));
        assert!(!selects(&sets, &outside), "never an alert outside the incident");
    }

    #[test]
    fn falls_back_to_the_exact_cover_and_keeps_values_literal() {
        let a = labels_of(&[("alertname", "A"), ("instance", "1"), ("zone", "x")]);
        let b = labels_of(&[("alertname", "A"), ("instance", "2"), ("zone", "y")]);
        let c = labels_of(&[("alertname", "A"), ("instance", "1"), ("zone", "y")]);
        let sets = plan(&[&a, &b], &[&c]);
        assert!(selects(&sets, &a) && selects(&sets, &b) && !selects(&sets, &c), "{sets:?}");
        let h = labels_of(&[("alertname", "X"), ("instance", "a.b|c")]);
        let near = labels_of(&[("alertname", "X"), ("instance", "aXb")]);
        let sets = plan(&[&h], &[&near]);
        assert_eq!(sets.len(), 1);
        assert!(selects(&sets, &h) && !selects(&sets, &near));
        assert!(plan(&[], &[&near]).is_empty());
    }
}
