//! Code paths per request: a log line that stopped being written in the
//! requests that still write its usual companion line.
//!
//! Two lines of one code path (say "querying trips" and "trips found")
//! appear in the same requests: in the baseline, nearly every request
//! (trace) that wrote the first also wrote the second. An exception between
//! them cuts each request short after the first line. Counted per request,
//! that is a proportion falling from near one to near zero, which a
//! handful of baseline requests already makes plain, where counting lines
//! per minute against a thin baseline leaves it within chance.
//!
//! For each template, its companion is chosen from the baseline alone:
//! the template whose requests most often also held it (at least
//! [`MIN_COMPANION_TRACES`] of them). The window's requests holding the
//! companion are then tested, by Fisher's exact test, for holding the
//! template less often than the baseline's did.
//!
//! A stop that began before the window, and so already ends the baseline,
//! is measured from its own start: the baseline's last requests with the
//! companion that lacked the template, in a row up to its end, belong to
//! the stop, not to the normal it is judged against (a fault is measured
//! against a baseline from before its own first sign).

use foldhash::{HashMap, HashMapExt};

use crate::model::UnixMs;

/// Baseline requests a companion must appear in.
pub const MIN_COMPANION_TRACES: u64 = 5;

/// A template and its companion: the share of the companion's baseline
/// requests that held the template.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Companion {
    pub template: usize,
    pub companion: usize,
    /// Baseline requests with the companion, and with both.
    pub with: u64,
    pub both: u64,
}

/// The baseline's latest requests with a companion that lacked its
/// template, in a row up to the baseline's end: a stop that began before
/// the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tail {
    pub requests: u64,
    /// When the first of them started.
    pub since: UnixMs,
}

impl Companion {
    /// The companion measured from before its stop: the baseline without
    /// the tail's requests.
    #[must_use]
    pub fn before(&self, tail: &Tail) -> Self {
        Self { with: self.with.saturating_sub(tail.requests), ..*self }
    }
}

/// Per-request template sets of one service.
#[derive(Debug, Default)]
pub struct Requests {
    /// Baseline requests: when each started (its first line) and the
    /// templates it held.
    pub base: HashMap<u64, (UnixMs, Vec<usize>)>,
    /// Window requests: the templates each held, and the window minute of
    /// its first line.
    pub win: HashMap<u64, (usize, Vec<usize>)>,
    /// The baseline's requests, newest first (sorted when first needed).
    newest: std::cell::OnceCell<Vec<u64>>,
}

impl Requests {
    /// Records that `trace` wrote `template` at `ts` (window minute
    /// `minute` when in the window, else in the baseline).
    pub fn add(&mut self, trace: u64, template: usize, ts: UnixMs, minute: Option<usize>) {
        let set = match minute {
            None => {
                self.newest.take();
                let e = self.base.entry(trace).or_insert((ts, Vec::new()));
                e.0 = e.0.min(ts);
                &mut e.1
            }
            Some(m) => {
                let e = self.win.entry(trace).or_insert((m, Vec::new()));
                e.0 = e.0.min(m);
                &mut e.1
            }
        };
        if !set.contains(&template) {
            set.push(template);
        }
    }

    /// Each baseline template's companion, if it has one.
    #[must_use]
    pub fn companions(&self) -> Vec<Companion> {
        let mut with: HashMap<usize, u64> = HashMap::new();
        let mut both: HashMap<(usize, usize), u64> = HashMap::new();
        for (_, set) in self.base.values() {
            for &p in set {
                *with.entry(p).or_default() += 1;
                for &t in set {
                    if t != p {
                        *both.entry((p, t)).or_default() += 1;
                    }
                }
            }
        }
        let mut best: HashMap<usize, Companion> = HashMap::new();
        for (&(p, t), &b) in &both {
            let w = with.get(&p).copied().unwrap_or(0);
            if w < MIN_COMPANION_TRACES {
                continue;
            }
            let c = Companion { template: t, companion: p, with: w, both: b };
            let better = best.get(&t).is_none_or(|o| {
                let (r, ro) = (share(&c), share(o));
                r > ro || (r == ro && (c.with, c.companion) > (o.with, o.companion))
            });
            if better {
                best.insert(t, c);
            }
        }
        let mut out: Vec<Companion> = best.into_values().collect();
        out.sort_by_key(|c| c.template);
        out
    }

    /// `c`'s stop before the window, if the baseline ends in one.
    #[must_use]
    pub fn tail(&self, c: &Companion) -> Option<Tail> {
        let newest = self.newest.get_or_init(|| {
            let mut v: Vec<(UnixMs, u64)> =
                self.base.iter().map(|(k, (ts, _))| (*ts, *k)).collect();
            v.sort_unstable_by_key(|&(ts, k)| (std::cmp::Reverse(ts), k));
            v.into_iter().map(|(_, k)| k).collect()
        });
        let mut tail: Option<Tail> = None;
        for (ts, set) in newest.iter().filter_map(|k| self.base.get(k)) {
            if set.contains(&c.companion) {
                if set.contains(&c.template) {
                    break;
                }
                let n = tail.map_or(0, |t| t.requests);
                tail = Some(Tail { requests: n + 1, since: *ts });
            }
        }
        tail
    }

    /// Window requests with `c`'s companion and with both, per minute
    /// (`minutes` long).
    #[must_use]
    pub fn window_counts(&self, c: &Companion, minutes: usize) -> (Vec<u64>, Vec<u64>) {
        let (mut with, mut both) = (vec![0; minutes], vec![0; minutes]);
        for (m, set) in self.win.values() {
            if set.contains(&c.companion) {
                let m = (*m).min(minutes.saturating_sub(1));
                with[m] += 1;
                if set.contains(&c.template) {
                    both[m] += 1;
                }
            }
        }
        (with, both)
    }
}

/// The companion's baseline requests that held the template, smoothed
/// (half a request each way) so a small baseline does not read as certain.
#[allow(clippy::cast_precision_loss)]
fn share(c: &Companion) -> f64 {
    (c.both as f64 + 0.5) / (c.with as f64 + 1.0)
}

/// The z of `seen` of `with` window requests holding the template, against
/// the baseline's `c.both` of `c.with` (one-sided Fisher exact test: fewer
/// in the window), with the count the baseline's share expects. Zero when
/// the window holds no fewer than expected.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn stopped_z(c: &Companion, with: u64, seen: u64) -> (f64, f64) {
    let expected = with as f64 * c.both as f64 / c.with.max(1) as f64;
    if with == 0 || seen as f64 >= expected {
        return (0.0, expected);
    }
    // Hypergeometric: of all `n` requests with the companion, `k` held the
    // template; the window drew `with` of them and got `seen` or fewer.
    let (n, k) = (c.with + with, c.both + seen);
    let lo = k.saturating_sub(c.with);
    let ln_total = ln_choose(n, with);
    let mut p = 0.0;
    for x in lo..=seen.min(k) {
        p += (ln_choose(k, x) + ln_choose(n - k, with - x) - ln_total).exp();
    }
    (z_of_tail(p), expected)
}

/// ln(n!) — exact below 16, Stirling's series above (error under 1e-9).
#[allow(clippy::cast_precision_loss)]
fn ln_factorial(n: u64) -> f64 {
    if n < 16 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// The standard normal z whose upper tail is `p` (Abramowitz and Stegun
/// 26.2.23, error under 5e-4); 0 for p at or above one half.
#[must_use]
pub fn z_of_tail(p: f64) -> f64 {
    if p.is_nan() || p >= 0.5 {
        return 0.0;
    }
    let t = (-2.0 * p.max(1e-300).ln()).sqrt();
    t - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
        / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_tail_inverts() {
        for (p, z) in
            [(0.5, 0.0), (0.158_655, 1.0), (0.022_750, 2.0), (3.167e-5, 4.0), (2.867e-7, 5.0)]
        {
            assert!((z_of_tail(p) - z).abs() < 2e-3, "p {p}: {} against {z}", z_of_tail(p));
        }
        assert!(z_of_tail(0.0) > 30.0);
    }

    #[test]
    fn fisher_matches_hand_counts() {
        // Baseline: 7 of 7 requests; window: 0 of 21. Of the 28 requests, 7
        // held it; all 7 in the baseline: C(21,0)·C(7,7)/C(28,7) = 1/1184040.
        let c = Companion { template: 1, companion: 0, with: 7, both: 7 };
        let (z, expected) = stopped_z(&c, 21, 0);
        assert!((expected - 21.0).abs() < 1e-9);
        assert!((z - z_of_tail(1.0 / 1_184_040.0)).abs() < 1e-6, "{z}");
        assert!(z > 4.5, "{z}");
        // As many as expected, or more: nothing.
        assert!(stopped_z(&c, 21, 21).0.abs() < f64::EPSILON);
        // A half-held line in a small window is within chance.
        let half = Companion { template: 1, companion: 0, with: 10, both: 5 };
        assert!(stopped_z(&half, 6, 1).0 < 2.0);
    }

    #[test]
    fn ln_factorial_is_continuous_at_the_switch() {
        let exact: f64 = (2..=16u64).map(|i| (i as f64).ln()).sum();
        assert!((ln_factorial(16) - exact).abs() < 1e-9);
        assert!((ln_factorial(15) + 16f64.ln() - exact).abs() < 1e-9);
    }

    #[test]
    fn the_companion_is_the_line_its_requests_always_hold() {
        let mut r = Requests::default();
        // Template 0 ("query") in every request, 1 ("found") in the same
        // ones, 2 ("cache hit") in every other one.
        for t in 0..10u64 {
            r.add(t, 0, i64::try_from(t).unwrap_or(0), None);
            r.add(t, 1, i64::try_from(t).unwrap_or(0), None);
            if t % 2 == 0 {
                r.add(t, 2, i64::try_from(t).unwrap_or(0), None);
            }
        }
        let cs = r.companions();
        let one = cs.iter().find(|c| c.template == 1).copied();
        assert_eq!(one.map(|c| (c.companion, c.with, c.both)), Some((0, 10, 10)));
        // 2's companion holds it half the time at best.
        let two = cs.iter().find(|c| c.template == 2).copied();
        assert!(two.is_some_and(|c| c.both * 2 == c.with), "{two:?}");
        // Window: 12 requests write "query", none "found", from minute 1.
        for t in 100..112u64 {
            r.add(t, 0, i64::try_from(t).unwrap_or(0), Some(1));
        }
        for t in 200..204u64 {
            r.add(t, 0, i64::try_from(t).unwrap_or(0), Some(0));
            r.add(t, 1, i64::try_from(t).unwrap_or(0), Some(0));
        }
        let (with, both) = r.window_counts(&one.unwrap_or(cs[0]), 3);
        assert_eq!((with, both), (vec![4, 12, 0], vec![4, 0, 0]));
    }

    #[test]
    fn the_tail_is_the_baselines_stopped_end() {
        let mut r = Requests::default();
        // 10 requests write both lines, then 4 only the first, with a
        // request that writes neither among them.
        for t in 0..15u64 {
            let ts = i64::try_from(t).unwrap_or(0) * 1000;
            if t != 12 {
                r.add(t, 0, ts, None);
            }
            if t < 10 {
                r.add(t, 1, ts, None);
            }
        }
        let cs = r.companions();
        let one = cs.iter().find(|c| c.template == 1).copied();
        let one = one.unwrap_or(cs[0]);
        assert_eq!((one.with, one.both), (14, 10));
        assert_eq!(r.tail(&one), Some(Tail { requests: 4, since: 10_000 }));
        assert_eq!(one.before(&Tail { requests: 4, since: 0 }).with, 10);
        // A line still written at the baseline's end has no tail.
        r.add(20, 0, 20_000, None);
        r.add(20, 1, 20_000, None);
        assert_eq!(r.tail(&one), None);
    }
}
