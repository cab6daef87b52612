//! Scoring ranked services against the injected service: AC@k (the share
//! of faults whose injected service is among the top k) and Avg@5 (the
//! mean of AC@1..AC@5), per group and overall. `scripts/score-rca.py`
//! computes the same from the `--out` file.

use std::collections::BTreeMap;

use serde::Serialize;

use super::replay::Outcome;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub faults: usize,
    /// AC@1..AC@5.
    pub ac: [f64; 5],
    pub avg5: f64,
}

/// 1-based rank of the truth among the ranked services.
#[must_use]
pub fn rank_of(o: &Outcome) -> Option<usize> {
    o.ranked.iter().position(|r| r.service == o.truth).map(|p| p + 1)
}

#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn accuracy<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Accuracy {
    let mut hits = [0usize; 5];
    let mut n = 0usize;
    for o in outcomes {
        n += 1;
        if let Some(r) = rank_of(o) {
            for h in hits.iter_mut().skip(r - 1) {
                *h += 1;
            }
        }
    }
    let ac = hits.map(|h| if n == 0 { 0.0 } else { h as f64 / n as f64 });
    Accuracy { faults: n, ac, avg5: ac.iter().sum::<f64>() / 5.0 }
}

/// Protocol B: what quell opened on its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndToEnd {
    pub faults: usize,
    /// Share of faults with an incident opened within the window after them.
    pub detection: f64,
    /// Share of all faults whose opened incident's top cause (top 3) is the truth.
    pub ac1: f64,
    pub ac3: f64,
    pub false_incidents: usize,
    pub fault_free_hours: f64,
    pub false_per_hour: f64,
    /// Median time from the fault to its incident's first showing, in
    /// seconds, over the detected faults (None when none was).
    pub median_shown_s: Option<f64>,
}

#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn end_to_end(outcomes: &[Outcome], false_incidents: usize, hours: f64) -> EndToEnd {
    let n = outcomes.len();
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let within = |o: &Outcome, k: usize| o.opened.iter().take(k).any(|r| r.service == o.truth);
    EndToEnd {
        faults: n,
        detection: share(outcomes.iter().filter(|o| o.detected).count()),
        ac1: share(outcomes.iter().filter(|o| within(o, 1)).count()),
        ac3: share(outcomes.iter().filter(|o| within(o, 3)).count()),
        false_incidents,
        fault_free_hours: hours,
        false_per_hour: if hours > 0.0 { false_incidents as f64 / hours } else { 0.0 },
        median_shown_s: median(
            outcomes.iter().filter(|o| o.detected).filter_map(|o| o.shown_after_ms),
        )
        .map(|ms| ms / 1000.0),
    }
}

/// The median of `xs` (the mean of the middle two for an even count).
#[allow(clippy::cast_precision_loss)]
fn median(xs: impl Iterator<Item = i64>) -> Option<f64> {
    let mut v: Vec<i64> = xs.collect();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2] as f64),
        _ => Some((v[n / 2 - 1] + v[n / 2]) as f64 / 2.0),
    }
}

/// Accuracy per value of `key`.
#[must_use]
pub fn by<F: Fn(&Outcome) -> String>(outcomes: &[Outcome], key: F) -> BTreeMap<String, Accuracy> {
    let mut groups: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        groups.entry(key(o)).or_default().push(o);
    }
    groups.into_iter().map(|(k, v)| (k, accuracy(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::super::replay::Ranked;
    use super::*;

    fn o(truth: &str, ranked: &[&str]) -> Outcome {
        Outcome {
            system: "s".into(),
            day: "d".into(),
            when: String::new(),
            at: 0,
            truth: truth.into(),
            kind: "k".into(),
            ranked: ranked.iter().map(|s| Ranked { service: (*s).into(), score: 0.5 }).collect(),
            evidence: vec![],
            strengths: std::collections::BTreeMap::new(),
            detected: false,
            opened: vec![],
            shown_after_ms: None,
        }
    }

    #[test]
    fn ac_at_k_and_avg5() {
        let v = [o("a", &["a", "b"]), o("b", &["a", "c", "b"]), o("z", &["a"]), o("c", &[])];
        let acc = accuracy(&v);
        assert_eq!(acc.faults, 4);
        assert_eq!(acc.ac, [0.25, 0.25, 0.5, 0.5, 0.5]);
        assert!((acc.avg5 - 0.4).abs() < 1e-12);
    }
}
