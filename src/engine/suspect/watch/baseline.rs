//! The watch's recent normal: the half hour before its window less the
//! windows with findings, or, when cutting them would drop most of the
//! data, the whole half hour, with a narrower one per service that found
//! something there (that half hour less only its own flagged windows).

use crate::model::UnixMs;
use crate::model::interval::{contains, minus};
use crate::store::Store;

use super::{BASELINE_MS, Watch};

impl Watch {
    /// The recent normal before `t`: the [`BASELINE_MS`] before it less
    /// the windows with findings, with each service's log lines in it. A
    /// normal judged from too little data is worse than one with some
    /// trouble in it: the flagged windows stay in when leaving them out
    /// would drop most of the baseline's logs and spans.
    #[must_use]
    pub fn baseline_before(
        &self,
        store: &Store,
        t: UnixMs,
    ) -> (Vec<(UnixMs, UnixMs)>, std::collections::HashMap<String, u64>) {
        let plain = vec![(t - BASELINE_MS, t)];
        let cuts: Vec<(UnixMs, UnixMs)> = self.flagged.iter().map(|(a, b, _)| (*a, *b)).collect();
        let clean = minus(t - BASELINE_MS, t, &cuts);
        let (all, kept) = baseline_lines(store, &plain, &clean);
        let (spans_all, spans_kept) = spans_in(store, &plain, &clean);
        let data = |v: &std::collections::HashMap<String, u64>, spans: u64| {
            v.values().sum::<u64>() + spans
        };
        if 2 * data(&kept, spans_kept) >= data(&all, spans_all) {
            (clean, kept)
        } else {
            (plain, all)
        }
    }
}

impl Watch {
    /// For each service with findings in the recent normal before `t`: that
    /// normal less its own flagged windows, when at least half of its log
    /// lines and spans there are left. Services with the same cuts share one
    /// baseline.
    pub(super) fn own_baselines(&self, store: &Store, t: UnixMs) -> Vec<(Intervals, Vec<String>)> {
        let from = t - BASELINE_MS;
        let mut cuts: std::collections::BTreeMap<&str, Vec<(UnixMs, UnixMs)>> =
            std::collections::BTreeMap::new();
        for (a, b, on) in self.flagged.iter().filter(|(a, b, _)| *b > from && *a < t) {
            for s in on {
                cuts.entry(s.as_str()).or_default().push((*a, *b));
            }
        }
        if cuts.is_empty() {
            return Vec::new();
        }
        let own: std::collections::BTreeMap<&str, Vec<(UnixMs, UnixMs)>> =
            cuts.iter().map(|(s, c)| (*s, minus(from, t, c))).collect();
        // Each service's data in the whole normal and in its own cut one.
        let mut data: std::collections::HashMap<&str, (u64, u64)> =
            std::collections::HashMap::new();
        let mut note = |s: &str, x: UnixMs| {
            if let Some((name, v)) = own.get_key_value(s) {
                if x >= from && x < t {
                    let d = data.entry(name).or_default();
                    d.0 += 1;
                    d.1 += u64::from(contains(v, x));
                }
            }
        };
        for l in store.logs().iter() {
            if let Some(s) = &l.service {
                note(s, l.ts);
            }
        }
        for sp in store.spans().between(from, t) {
            note(&sp.service, sp.start);
        }
        let mut groups: std::collections::BTreeMap<Vec<(UnixMs, UnixMs)>, Vec<String>> =
            std::collections::BTreeMap::new();
        for (s, v) in own {
            let (all, kept) = data.get(s).copied().unwrap_or_default();
            if all > 0 && 2 * kept >= all && !v.is_empty() {
                groups.entry(v).or_default().push(s.to_string());
            }
        }
        groups.into_iter().collect()
    }
}

/// Log lines per service in `a` and in `b`, in one pass over the logs.
fn baseline_lines(store: &Store, a: &[(UnixMs, UnixMs)], b: &[(UnixMs, UnixMs)]) -> (Lines, Lines) {
    let (mut in_a, mut in_b) = (Lines::new(), Lines::new());
    for l in store.logs().iter() {
        let Some(s) = &l.service else { continue };
        if contains(a, l.ts) {
            count(&mut in_a, s);
        }
        if contains(b, l.ts) {
            count(&mut in_b, s);
        }
    }
    (in_a, in_b)
}

/// One more line of `service`; its name is copied only the first time.
fn count(lines: &mut Lines, service: &str) {
    match lines.get_mut(service) {
        Some(n) => *n += 1,
        None => {
            lines.insert(service.to_string(), 1);
        }
    }
}

/// Time intervals `[from, to)`.
type Intervals = Vec<(UnixMs, UnixMs)>;

/// Log lines per service.
type Lines = std::collections::HashMap<String, u64>;

/// Spans that started in `a` and in `b`, in one pass over the spans.
fn spans_in(store: &Store, a: &[(UnixMs, UnixMs)], b: &[(UnixMs, UnixMs)]) -> (u64, u64) {
    let (mut in_a, mut in_b) = (0, 0);
    for s in store.spans().iter() {
        in_a += u64::from(contains(a, s.start));
        in_b += u64::from(contains(b, s.start));
    }
    (in_a, in_b)
}
