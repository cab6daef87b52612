//! Log evidence for a window: error and warning templates whose share of a
//! service's lines rose against the baseline.
//!
//! Templates here are exact masked lines (variables masked as the miner
//! masks them) with their level, so an error line never shares a count with
//! an info line that looks like it. The share, not the rate: partial log
//! coverage and traffic changes then do not read as bursts.
//!
//! Two changes count: an error or warning template whose share rose (or
//! that is new), and a template of any level that the service kept writing
//! in the baseline and stopped writing while its other lines go on: a code
//! path no longer reached, as when an exception cuts a request short before
//! its usual log line. How many lines of it the window should hold comes
//! from the service's requests (its spans) when it has spans, else from
//! its ratio to the service's other lines (not its share of all lines,
//! which the stop itself thins out) or from its rate per minute the
//! service wrote in, whichever expects fewer: a burst of other lines
//! inflates the ratio, a lull in traffic the rate, and a line that stopped
//! is missing by both. Spans are not cut short by the exception.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use crate::engine::logs::mask::Masked;
use crate::model::{LogLevel, LogRecord, UnixMs};
use crate::store::Store;

use super::paths::{Companion, Requests, stopped_z};
use super::{REPORT_Z, WindowRequest};

/// Baseline spans a service needs before its requests, not its lines,
/// say how many lines of a template the window should hold.
const MIN_BASELINE_REQUESTS: u64 = 20;

/// What changed in one service's logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogShift {
    /// The strongest template's z (window count against the count its
    /// baseline share predicts, Poisson, +1 so a template new to the
    /// service counts by its lines).
    pub z_max: f64,
    /// The sum of the positive z's.
    pub z_sum: f64,
    /// Lines of templates never seen in the baseline.
    pub new_lines: u64,
    /// The strongest template, masked, and when it was last seen.
    pub example: String,
    pub ts: UnixMs,
    pub lines: u64,
    pub expected: f64,
    /// The strongest vanished template's z (its expected window count,
    /// from its baseline share, against what was seen, Poisson).
    pub vanished_z: f64,
    /// That template, masked, with its window and expected counts.
    pub vanished: String,
    pub vanished_lines: (u64, f64),
    /// The minutes of the window it was judged over (from, to), when not
    /// all.
    pub vanished_minutes: Option<(usize, usize)>,
    /// When it was judged in the requests that wrote its companion line
    /// (see [`super::paths`]): that line, masked. The counts are then
    /// requests, not lines.
    pub vanished_companion: Option<String>,
    /// When it stopped, if that was before the window (its counts then
    /// include the baseline's requests since).
    pub vanished_since: Option<UnixMs>,
    /// The first window line of a template that rose significantly (z at
    /// least the report bar).
    pub rose_from: Option<UnixMs>,
    /// The largest significant change (z at least the report bar) in
    /// doublings, each count plus one: how many times fewer lines of a
    /// template that stopped than expected, and how many times more of an
    /// error or warning template that rose. A count's z grows with the
    /// count, so a busy service's routine wobble reads as a larger z than
    /// a quiet one's line stopping altogether; the size of the change does
    /// not.
    pub vanished_x: f64,
    pub rise_x: f64,
    /// The services whose error or warning lines came first in more than
    /// half of the window requests (traces) that wrote its strongest risen
    /// template, when that rose significantly: a callee failing the
    /// request before the caller reports it.
    pub preceded_by: Vec<String>,
}

#[derive(Default)]
struct Count {
    /// Numbered in order of first sight.
    id: usize,
    base: u64,
    win: u64,
    /// Window lines per minute from the window's start.
    minutes: Vec<u64>,
    text: String,
    first: Option<UnixMs>,
    last: UnixMs,
}

/// The template key of `l`: its masked tokens (as the miner masks them)
/// folded into one hash, computed once per line and kept with it.
fn template_key(masked: &mut Masked, l: &LogRecord) -> u64 {
    l.template.get_or_init(|| {
        masked.fill(&l.line);
        let mut h = crate::base::Fnv1a::new();
        for x in &masked.hashes {
            h.word(*x);
        }
        h.finish()
    })
}

/// One service's lines in the baseline and the window, and the minutes it
/// wrote in: the baseline's (by their time) and the window's (from its
/// start, lines per minute).
#[derive(Debug, Default)]
struct Totals {
    /// Whether the service is measured at all.
    wanted: bool,
    base: u64,
    win: u64,
    base_minutes: foldhash::HashSet<i64>,
    win_minutes: Vec<u64>,
}

/// Adds one to minute `m` of `v`, growing it as needed.
fn bump(v: &mut Vec<u64>, m: usize) {
    if v.len() <= m {
        v.resize(m + 1, 0);
    }
    v[m] += 1;
}

/// The sum of minutes `a..n`.
fn span(v: &[u64], a: usize, n: usize) -> u64 {
    v.iter().take(n).skip(a).sum()
}

/// Per service with error or warning lines in the window.
#[must_use]
#[allow(clippy::cast_precision_loss)]
/// Only the services in `only`, when given.
pub fn shifts(
    store: &Store,
    req: &WindowRequest,
    only: Option<&std::collections::BTreeSet<&str>>,
) -> BTreeMap<String, LogShift> {
    let in_base = |t: UnixMs| crate::model::interval::contains(&req.baseline, t);
    let in_win = |t: UnixMs| t >= req.window.0 && t <= req.window.1;
    // Minutes of the window, from its start: a line that stopped at the
    // onset is judged over the first minute, the first two, ... so a stop
    // that ended before the window closed still shows.
    let minutes = usize::try_from((req.window.1 - req.window.0) / 60_000).unwrap_or(0).clamp(1, 60);
    let minute =
        |t: UnixMs| usize::try_from((t - req.window.0) / 60_000).unwrap_or(0).min(minutes - 1);
    let mut totals: HashMap<&str, Totals> = HashMap::new();
    let mut counts: HashMap<(&str, LogLevel, u64), Count> = HashMap::new();
    let mut masked = Masked::default();
    let mut paths: HashMap<&str, Requests> = HashMap::new();
    // The window's error and warning lines per request: service, time,
    // template.
    let mut errors: HashMap<u64, Vec<(&str, UnixMs, usize)>> = HashMap::new();
    // The first and last instant either holds: most lines lie outside.
    let lo = req.baseline.iter().map(|i| i.0).fold(req.window.0, UnixMs::min);
    let hi = req.baseline.iter().map(|i| i.1 - 1).fold(req.window.1, UnixMs::max);
    for l in store.logs().iter().filter(|l| l.ts >= lo && l.ts <= hi) {
        let (w, b) = (in_win(l.ts), in_base(l.ts));
        if !(w || b) {
            continue;
        }
        let Some(s) = l.service.as_deref() else { continue };
        let t = totals.entry(s).or_insert_with(|| Totals {
            wanted: only.is_none_or(|o| o.contains(s)),
            ..Totals::default()
        });
        if !t.wanted {
            continue;
        }
        if w {
            t.win += 1;
            bump(&mut t.win_minutes, minute(l.ts));
        } else {
            t.base += 1;
            t.base_minutes.insert(l.ts.div_euclid(60_000));
        }
        let key = template_key(&mut masked, l);
        let next = counts.len();
        let c = counts
            .entry((s, l.level, key))
            .or_insert_with(|| Count { id: next, ..Count::default() });
        if let Some(tr) = l.trace {
            paths.entry(s).or_default().add(tr, c.id, l.ts, w.then(|| minute(l.ts)));
            if w && matches!(l.level, LogLevel::Error | LogLevel::Warn) {
                errors.entry(tr).or_default().push((s, l.ts, c.id));
            }
        }
        if w {
            c.win += 1;
            bump(&mut c.minutes, minute(l.ts));
            c.last = c.last.max(l.ts);
            c.first = Some(c.first.map_or(l.ts, |f| f.min(l.ts)));
        } else {
            c.base += 1;
        }
        if c.text.is_empty() {
            masked.fill(&l.line);
            c.text = (0..masked.len()).map(|i| masked.token(i)).collect::<Vec<_>>().join(" ");
        }
    }
    // Window lines of templates the baseline knows, per service: a
    // template's disappearance is judged among these, so new lines (an
    // error burst) do not thin out the old ones' shares.
    let mut known: HashMap<&str, Vec<u64>> = HashMap::new();
    for ((s, _, _), c) in &counts {
        if c.base > 0 {
            let k = known.entry(s).or_default();
            k.resize(k.len().max(c.minutes.len()), 0);
            for (m, n) in c.minutes.iter().enumerate() {
                k[m] += n;
            }
        }
    }
    // A service's requests, counted from its spans: where it has spans, a
    // line it wrote per request is expected in proportion to its requests,
    // which its stopped lines cannot thin out as they thin out its lines.
    let mut requests: HashMap<&str, (u64, Vec<u64>)> = HashMap::new();
    let from = req.baseline.iter().map(|i| i.0).fold(req.window.0, UnixMs::min);
    let to = req.baseline.iter().map(|i| i.1).fold(req.window.1 + 1, UnixMs::max);
    for sp in store.spans().between(from, to) {
        let (w, b) = (in_win(sp.start), in_base(sp.start));
        if w || b {
            let r = requests.entry(&sp.service).or_default();
            if w {
                bump(&mut r.1, minute(sp.start));
            } else {
                r.0 += 1;
            }
        }
    }
    // Each template's companion line, from the baseline's requests.
    let companions: HashMap<(&str, usize), Companion> = paths
        .iter()
        .flat_map(|(s, r)| r.companions().into_iter().map(move |c| ((*s, c.template), c)))
        .collect();
    let texts: HashMap<usize, &str> = counts.values().map(|c| (c.id, c.text.as_str())).collect();
    let mut out: BTreeMap<String, LogShift> = BTreeMap::new();
    // Per service, its strongest error or warning template.
    let mut top: HashMap<&str, usize> = HashMap::new();
    for ((s, level, _), c) in &counts {
        let (s, level) = (*s, *level);
        let companion = companions.get(&(s, c.id));
        let by_request = companion.and_then(|cp| {
            let r = paths.get(s)?;
            Some((cp, r, r.window_counts(cp, minutes)))
        });
        let no_lines = Totals::default();
        let tot = totals.get(s).unwrap_or(&no_lines);
        let (bt, wt) = (tot.base, tot.win);
        let expected = if bt == 0 { 0.0 } else { c.base as f64 * wt as f64 / bt as f64 };
        let z = (c.win as f64 - expected) / (expected + 1.0).sqrt();
        let no_minutes = Vec::new();
        let kt = known.get(s).unwrap_or(&no_minutes);
        // Errors and warnings that stop are a recovery, not a fault.
        let runs = if matches!(level, LogLevel::Error | LogLevel::Warn) { 0 } else { minutes };
        let mut tail_memo = None;
        for (a, n) in (0..runs).flat_map(|a| (a + 1..=runs).map(move |n| (a, n))) {
            let (seen, others) = (span(&c.minutes, a, n), span(kt, a, n));
            let mut since = None;
            let (gone, kept, seen, companion) = if let Some((cp, r, (with, both))) = &by_request {
                let (seen, with) = (span(both, a, n), span(with, a, n));
                // A stop already under way when the window opened, and
                // still whole over these minutes from its start, is measured
                // from its own start.
                let tail = if a == 0 && with > 0 && seen == 0 {
                    *tail_memo.get_or_insert_with(|| r.tail(cp))
                } else {
                    None
                };
                let (gone, kept) = match tail {
                    Some(t) => {
                        since = Some(t.since);
                        stopped_z(&cp.before(&t), with + t.requests, seen)
                    }
                    None => stopped_z(cp, with, seen),
                };
                (gone, kept, seen, Some(cp.companion))
            } else {
                let kept = match requests.get(s) {
                    _ if bt == 0 || others == 0 => 0.0,
                    Some((rb, rw)) if *rb >= MIN_BASELINE_REQUESTS && span(rw, a, n) > 0 => {
                        c.base as f64 * span(rw, a, n) as f64 / *rb as f64
                    }
                    // Its ratio to the service's other known lines: a share
                    // of all lines would be thinned by the stop itself (a
                    // line that was two thirds of them, gone, would be
                    // expected at two thirds of the third left).
                    _ if bt == c.base => 0.0,
                    // And by the clock, per minute the service wrote in:
                    // a burst of its other lines inflates the first, a
                    // lull in its traffic the second; a line that stopped
                    // is missing by both.
                    _ => {
                        let by_others = c.base as f64 * others.saturating_sub(seen) as f64
                            / (bt - c.base) as f64;
                        let busy =
                            tot.win_minutes.iter().take(n).skip(a).filter(|&&x| x > 0).count();
                        let by_clock =
                            c.base as f64 * busy as f64 / tot.base_minutes.len().max(1) as f64;
                        by_others.min(by_clock)
                    }
                };
                ((kept - seen as f64) / (kept + 1.0).sqrt(), kept, seen, None)
            };
            if gone <= 0.0 {
                continue;
            }
            let sh = out.entry(s.to_string()).or_default();
            if gone >= REPORT_Z {
                sh.vanished_x = sh.vanished_x.max(((kept + 1.0) / (seen as f64 + 1.0)).log2());
            }
            if gone > sh.vanished_z {
                sh.vanished_z = gone;
                sh.vanished = crate::sanitize::clean_line(&c.text, 160);
                sh.vanished_lines = (seen, kept);
                sh.vanished_minutes = (a > 0 || n < minutes).then_some((a, n));
                sh.vanished_since = since;
                sh.vanished_companion = companion
                    .and_then(|id| texts.get(&id))
                    .map(|t| crate::sanitize::clean_line(t, 160));
            }
        }
        if c.win == 0 || !matches!(level, LogLevel::Error | LogLevel::Warn) {
            continue;
        }
        let sh = out.entry(s.to_string()).or_default();
        sh.z_sum += z.max(0.0);
        if z >= REPORT_Z {
            let from = c.first.unwrap_or(req.window.0);
            sh.rose_from = Some(sh.rose_from.map_or(from, |o| o.min(from)));
            sh.rise_x = sh.rise_x.max(((c.win as f64 + 1.0) / (expected + 1.0)).log2());
        }
        if c.base == 0 {
            sh.new_lines += c.win;
        }
        if z > sh.z_max || sh.example.is_empty() {
            top.insert(s, c.id);
            sh.z_max = sh.z_max.max(z);
            sh.example = crate::sanitize::clean_line(&c.text, 160);
            sh.ts = c.last;
            sh.lines = c.win;
            sh.expected = expected;
        }
    }
    for (s, sh) in out.iter_mut().filter(|(_, sh)| sh.z_max >= REPORT_Z) {
        if let Some(&id) = top.get(s.as_str()) {
            sh.preceded_by = preceded_by(&errors, s, id);
        }
    }
    out
}

/// The other services whose error or warning lines came no later than
/// `service`'s first line of template `id` in more than half of the
/// requests holding that template.
fn preceded_by(
    errors: &HashMap<u64, Vec<(&str, UnixMs, usize)>>,
    service: &str,
    id: usize,
) -> Vec<String> {
    let mut requests = 0u64;
    let mut first: BTreeMap<&str, u64> = BTreeMap::new();
    for lines in errors.values() {
        let mine = lines.iter().filter(|(s, _, t)| *s == service && *t == id);
        let Some(at) = mine.map(|x| x.1).min() else { continue };
        requests += 1;
        let before: std::collections::BTreeSet<&str> =
            lines.iter().filter(|(s, ts, _)| *s != service && *ts <= at).map(|x| x.0).collect();
        for s in before {
            *first.entry(s).or_default() += 1;
        }
    }
    first.into_iter().filter(|(_, n)| 2 * n > requests).map(|(s, _)| s.to_string()).collect()
}

impl LogShift {
    /// When its strongest stop began, in a window starting at `from`: the
    /// start of the minutes it was judged over, or of its stop before the
    /// window.
    #[must_use]
    pub fn stopped_at(&self, from: UnixMs) -> UnixMs {
        let minutes = self.vanished_minutes.map_or(0, |(a, _)| i64::try_from(a).unwrap_or(0));
        self.vanished_since.unwrap_or(from + 60_000 * minutes)
    }

    /// When its trouble began, in a window starting at `from`: the first
    /// line of a significant rise or the start of its strongest significant
    /// stop (the minutes it was judged over, or its stop before the
    /// window), whichever is earlier.
    #[must_use]
    pub fn onset(&self, from: UnixMs) -> Option<UnixMs> {
        let stop = (self.vanished_z >= REPORT_Z).then(|| self.stopped_at(from));
        match (self.rose_from, stop) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
