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
    /// the windows with findings, with what each service logged in it and
    /// the minutes it was heard from. A normal judged from too little data
    /// is worse than one with some trouble in it: the flagged windows stay
    /// in when leaving them out would drop most of the baseline's logs and
    /// spans.
    #[must_use]
    pub fn baseline_before<'s>(&self, store: &'s Store, t: UnixMs) -> (Intervals, Heard<'s>) {
        let plain = vec![(t - BASELINE_MS, t)];
        let cuts: Vec<(UnixMs, UnixMs)> = self.flagged.iter().map(|(a, b, _)| (*a, *b)).collect();
        let clean = minus(t - BASELINE_MS, t, &cuts);
        let ((all, spans_all), (kept, spans_kept)) = heard_in(store, &plain, &clean);
        let data = |v: &Heard<'_>, spans: u64| v.values().map(|h| h.lines).sum::<u64>() + spans;
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
            if x < from || x >= t {
                return;
            }
            if let Some((name, v)) = own.get_key_value(s) {
                let d = data.entry(name).or_default();
                d.0 += 1;
                d.1 += u64::from(contains(v, x));
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

/// What one service left in a baseline.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Its log lines.
    pub lines: u64,
    /// The minutes it was heard from (a log line or a span).
    pub minutes: std::collections::HashSet<i64>,
}

/// Per service, what it left in a baseline.
pub type Heard<'s> = std::collections::HashMap<&'s str, Seen>;

/// Time intervals `[from, to)`.
type Intervals = Vec<(UnixMs, UnixMs)>;

/// What each service left in `a` and in `b`, and the spans each holds, in
/// one pass over the logs and one over the spans.
fn heard_in<'s>(
    store: &'s Store,
    a: &[(UnixMs, UnixMs)],
    b: &[(UnixMs, UnixMs)],
) -> ((Heard<'s>, u64), (Heard<'s>, u64)) {
    let (mut in_a, mut in_b) = ((Heard::new(), 0), (Heard::new(), 0));
    for l in store.logs().iter() {
        let Some(s) = l.service.as_deref() else { continue };
        for (set, heard) in [(a, &mut in_a.0), (b, &mut in_b.0)] {
            if contains(set, l.ts) {
                note(heard, s, l.ts).lines += 1;
            }
        }
    }
    let from = a.iter().chain(b).map(|i| i.0).min().unwrap_or(0);
    let to = a.iter().chain(b).map(|i| i.1).max().unwrap_or(0);
    for sp in store.spans().between(from, to) {
        for (set, heard) in [(a, &mut in_a), (b, &mut in_b)] {
            if contains(set, sp.start) {
                note(&mut heard.0, &sp.service, sp.start);
                heard.1 += 1;
            }
        }
    }
    (in_a, in_b)
}

/// `service` heard from at `ts`.
fn note<'h, 's>(heard: &'h mut Heard<'s>, service: &'s str, ts: UnixMs) -> &'h mut Seen {
    let seen = heard.entry(service).or_default();
    seen.minutes.insert(ts.div_euclid(60_000));
    seen
}
