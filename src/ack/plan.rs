//! Which silences select exactly a set of alerts, and the equivalent
//! `amtool` commands.
//!
//! A silence is a conjunction of matchers, so one silence cannot in general
//! select an arbitrary set of alerts. [`cover`] starts from one silence per
//! alert (every label as `=`) and merges two silences whose label names are
//! the same and whose values differ in exactly one label into one with that
//! label as an anchored regex alternation of the escaped values. Such a merge
//! keeps the cover exact: the product of the value sets is still exactly the
//! alerts it came from. Twelve pods of one deployment become one silence.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Labels, SilenceMatcher};

/// One silence in the making: label → the values it accepts.
type Set = BTreeMap<String, BTreeSet<String>>;

/// Matcher lists, one per silence, selecting exactly these label sets
/// (alerts whose label sets are supersets of one are the only extra hits,
/// and Alertmanager treats those as other alerts with more labels).
#[must_use]
pub fn cover(alerts: &[&Labels]) -> Vec<Vec<SilenceMatcher>> {
    let mut sets: Vec<Set> = Vec::new();
    for l in alerts {
        let s: Set =
            l.iter().map(|(k, v)| (k.to_string(), BTreeSet::from([v.to_string()]))).collect();
        if !s.is_empty() && !sets.contains(&s) {
            sets.push(s);
        }
    }
    // Merge until nothing merges; quadratic, and sets are few (one incident).
    loop {
        let mut merged = false;
        'outer: for i in 0..sets.len() {
            for j in (i + 1)..sets.len() {
                if let Some(key) = single_difference(&sets[i], &sets[j]) {
                    let other = sets.swap_remove(j);
                    if let (Some(into), Some(from)) = (sets[i].get_mut(&key), other.get(&key)) {
                        into.extend(from.iter().cloned());
                    }
                    merged = true;
                    break 'outer;
                }
            }
        }
        if !merged {
            break;
        }
    }
    sets.iter().map(to_matchers).collect()
}

/// The one label on which two sets differ, if they have the same names and
/// agree on every other label.
fn single_difference(a: &Set, b: &Set) -> Option<String> {
    if a.len() != b.len() || !a.keys().eq(b.keys()) {
        return None;
    }
    let mut diff = a.iter().zip(b.iter()).filter(|((_, va), (_, vb))| va != vb);
    let ((k, _), _) = diff.next()?;
    diff.next().is_none().then(|| k.clone())
}

fn to_matchers(set: &Set) -> Vec<SilenceMatcher> {
    set.iter()
        .map(|(k, vs)| {
            if vs.len() == 1 {
                let v = vs.iter().next().map_or("", String::as_str);
                SilenceMatcher::equal(k, v)
            } else {
                let alt: Vec<String> = vs.iter().map(|v| regex::escape(v)).collect();
                SilenceMatcher {
                    name: k.clone(),
                    value: alt.join("|"),
                    is_regex: true,
                    is_equal: true,
                }
            }
        })
        .collect()
}

/// Quotes one argument for a POSIX shell, for commands quell shows or
/// copies (never runs): single quotes, with embedded `'` as `'\''`.
#[must_use]
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `amtool silence add` commands equivalent to acknowledging with these
/// matcher sets (for the clipboard: a teammate without quell can repeat it).
#[must_use]
pub fn amtool_silence(
    url: &str,
    sets: &[Vec<SilenceMatcher>],
    author: &str,
    duration: &str,
    comment: &str,
) -> Vec<String> {
    sets.iter()
        .map(|ms| {
            let mut parts = vec![
                "amtool".to_string(),
                "silence".into(),
                "add".into(),
                format!("--alertmanager.url={}", shell_quote(url)),
                format!("--author={}", shell_quote(author)),
                format!("--duration={}", shell_quote(duration)),
                format!("--comment={}", shell_quote(comment)),
            ];
            parts.extend(ms.iter().map(|m| shell_quote(&m.to_string())));
            parts.join(" ")
        })
        .collect()
}

/// `amtool alert query` listing the alerts of these matcher sets.
#[must_use]
pub fn amtool_query(url: &str, sets: &[Vec<SilenceMatcher>]) -> Vec<String> {
    sets.iter()
        .map(|ms| {
            let mut parts = vec![
                "amtool".to_string(),
                "alert".into(),
                "query".into(),
                format!("--alertmanager.url={}", shell_quote(url)),
            ];
            parts.extend(ms.iter().map(|m| shell_quote(&m.to_string())));
            parts.join(" ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn selects(sets: &[Vec<SilenceMatcher>], labels: &Labels) -> bool {
        sets.iter().any(|ms| ms.iter().all(|m| m.matches(labels)))
    }

    #[test]
    fn pods_of_one_alert_merge_into_one_exact_silence() {
        let a = l(&[("alertname", "Down"), ("instance", "a:1"), ("job", "api")]);
        let b = l(&[("alertname", "Down"), ("instance", "b.2"), ("job", "api")]);
        let c = l(&[("alertname", "Down"), ("instance", "c|3"), ("job", "api")]);
        let sets = cover(&[&a, &b, &c]);
        assert_eq!(sets.len(), 1, "{sets:?}");
        for x in [&a, &b, &c] {
            assert!(selects(&sets, x));
        }
        let other = l(&[("alertname", "Down"), ("instance", "bx2"), ("job", "api")]);
        assert!(!selects(&sets, &other), "regex metacharacters in values are escaped");
        let d = l(&[("alertname", "Down"), ("instance", "d:4"), ("job", "api")]);
        assert!(!selects(&sets, &d), "nothing beyond the acked alerts");
    }

    #[test]
    fn the_cover_stays_exact_when_two_labels_vary() {
        let x1 = l(&[("alertname", "A"), ("instance", "1"), ("zone", "x")]);
        let y2 = l(&[("alertname", "A"), ("instance", "2"), ("zone", "y")]);
        let sets = cover(&[&x1, &y2]);
        assert_eq!(sets.len(), 2, "merging would also select instance 1 in zone y");
        assert!(!selects(&sets, &l(&[("alertname", "A"), ("instance", "1"), ("zone", "y")])));
        assert!(selects(&sets, &x1) && selects(&sets, &y2));
    }

    #[test]
    fn hostile_values_stay_literal() {
        let h = l(&[("alertname", "X"), ("instance", "x$(touch /tmp/p)\"\n`id`")]);
        let sets = cover(&[&h]);
        assert!(selects(&sets, &h));
        let cmd = amtool_silence("http://am:9093", &sets, "me@host", "15m", "ACK! it's fine");
        assert_eq!(cmd.len(), 1);
        assert!(cmd[0].contains(r#"'instance="x$(touch /tmp/p)\"\n`id`"'"#), "{}", cmd[0]);
        assert!(cmd[0].contains(r"--comment='ACK! it'\''s fine'"), "{}", cmd[0]);
    }
}
