//! The rolling watch: once a minute, the last few minutes of every
//! service's logs, spans and metrics measured against its recent normal,
//! with the same window measures protocol A ranks a fault with
//! ([`crate::engine::rca::window::strengths`]), so the suspect path sees
//! what metric detectors cannot: an exception that only logs show, a call
//! into a service that turned slow or failing, a per-request line that
//! stopped. Each finding is a [`Sign`] of one kind of instrument; it takes
//! two kinds on one service, or a log or span sign again in the next
//! window or on the minutes since the first alone (see `again`), to open a
//! suspicion (see [`super::Suspects`]), never one sign.
//! A service's log and span changes count only once the baseline has heard
//! from it in as many minutes as the window judges.
//!
//! The recent normal is the [`BASELINE_MS`] before the window, less every
//! window in which this watch already found something (on any service): a
//! fault's own minutes are no baseline for the next one, which is how a
//! fault repeated on one service is seen again. When cutting them would
//! drop most of the data, the whole half hour is kept, and a service that
//! had findings of its own is judged against it less only its own flagged
//! windows (see `baseline`): its logs, metrics and spans alike.
//!
//! It runs only when logs or spans arrived in the window (metrics alone are
//! the detectors' job), at most once per [`EVERY_MS`]; a run with nothing
//! new since the last one is not skipped, because the window moved (on
//! the development data skipping them lost 2 of 27 detections for 15% less
//! CPU). Pure: no I/O, no clock.

use crate::engine::rca::window::{Strengths, WindowRequest, span_changes, strengths_of};
use crate::model::{Topology, UnixMs};
use crate::store::Store;

mod again;
mod baseline;

/// The window judged: the last three minutes, long enough for a minute
/// of late log or span data and a few samples of a one-minute series.
pub const WINDOW_MS: i64 = 3 * 60_000;
/// How far back the recent normal reaches.
pub const BASELINE_MS: i64 = 30 * 60_000;
/// One run per minute of data time.
pub const EVERY_MS: i64 = 60_000;
/// How long a window with findings stays out of baselines (as long as a
/// baseline reaches back).
const FLAGGED_KEEP_MS: i64 = BASELINE_MS + WINDOW_MS;
/// z of an error or warning template's rise (or of a stopped line) that
/// counts: Poisson z, well above the 4 protocol A starts reporting at,
/// because here it is judged every minute on every service.
pub const LOG_Z: f64 = 6.0;
/// Window lines of the risen template: one or two lines are a blip.
const MIN_LOG_LINES: u64 = 3;
/// Lines a service must have logged in the baseline before a change in
/// its logs means anything (a service just heard from has no normal).
const MIN_BASELINE_LINES: u64 = 30;
/// Distinct minutes of the baseline a service must have been heard from
/// in (log lines or spans) before its log or span changes count: as many
/// as the window judged.
const NORMAL_MINUTES: usize = (WINDOW_MS / 60_000) as usize;
/// Spans: twice slower (log2 of the 90th percentiles, the change
/// significant at z ≥ 4, see [`crate::engine::spans::change`]).
pub const SPAN_SLOWER_LOG2: f64 = 1.0;
/// Spans: z of calls into the service failing more.
pub const SPAN_ERRORS_Z: f64 = 6.0;
/// A metric's robust z held over half the window.
pub const METRIC_Z: f64 = 8.0;

/// Which instrument saw a sign. Different instruments fail differently:
/// two of them agreeing on one service within minutes is what a real
/// change does and chance rarely does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Instrument {
    /// A metric series (a detector's anomaly or a window's held z).
    Metrics,
    /// Span latency or failures on the service or the calls into it.
    Spans,
    /// An error or warning template that rose or is new.
    LogErrors,
    /// A line the service wrote steadily that stopped while it kept working
    /// (a code path no longer reached). Independent of `LogErrors`: an
    /// error burst does not stop a line, a stopped line needs no error.
    LogStopped,
}

/// One finding of the watch on one service.
#[derive(Debug, Clone, PartialEq)]
pub struct Sign {
    pub service: String,
    /// When it became known (the run's time).
    pub ts: UnixMs,
    /// The newest data it was read from: the service's newest log line
    /// (log signs) or span (span signs) in the window, the newest sample
    /// of its strongest series still off normal (metric signs, see
    /// [`Strengths::metric_until`]). A run keeps re-reading a window's
    /// minutes after the data in them ended; what it finds then is known
    /// to hold only until that data's end, when the trouble was last seen.
    pub until: UnixMs,
    pub instrument: Instrument,
    /// Its strength in the measure's units (z or log2 of slower).
    pub strength: f64,
    /// The strength against its threshold, in `[0.5, 1)` (0.5 at the
    /// threshold, 0.75 at twice it), comparable with detector scores.
    pub score: f64,
    pub text: String,
    /// A log or span sign that also holds on the data alone that the
    /// watch's earlier look at the same service and instrument, a run or
    /// two ago, never read (`Watch::again`): two independent looks, though
    /// the windows overlap. Judged only where it can tell something.
    pub again: bool,
}

/// A sign as later judgements weigh it: its service, instrument, run time
/// and [`Sign::again`].
pub type Look = (String, Instrument, UnixMs, bool);

/// The watch's state between runs.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    last_run: Option<UnixMs>,
    /// Windows with findings, `[from, to)`, newest last, with the
    /// services the findings were on.
    flagged: Vec<(UnixMs, UnixMs, Vec<String>)>,
    /// What the last call of [`Watch::update`] found.
    signs: Vec<Sign>,
    /// The call graph its last run's spans implied (empty when a topology
    /// is configured, or no run had spans).
    derived: Topology,
    /// Its log and span signs of the last [`WINDOW_MS`].
    looked: Vec<Look>,
}

impl Watch {
    /// One run at `now` if one is due and logs or spans arrived in the
    /// window; the signs it found (none otherwise) are then [`Watch::signs`].
    pub fn update(&mut self, store: &Store, topo: &Topology, now: UnixMs) -> &[Sign] {
        self.signs = self.run(store, topo, now);
        &self.signs
    }

    /// What the last [`Watch::update`] found.
    #[must_use]
    pub fn signs(&self) -> &[Sign] {
        &self.signs
    }

    /// The call graph services are judged along: `configured` when there
    /// is one, else the one the spans of the last run's window and its
    /// recent normal imply, so suspicions group along calls (see
    /// [`super::Suspects`]) without a configured topology as they do with one.
    #[must_use]
    pub fn call_graph<'a>(&'a self, configured: &'a Topology) -> &'a Topology {
        if configured.is_empty() { &self.derived } else { configured }
    }

    /// A watch whose last run found `signs` (tests of what follows).
    #[cfg(test)]
    pub(crate) fn holding(signs: Vec<Sign>) -> Self {
        Self { signs, ..Self::default() }
    }

    /// Every service's strengths in `window` against the recent normal
    /// before it ([`Watch::baseline_before`]), a service with findings of
    /// its own in that normal judged against it less its own flagged
    /// windows when that leaves it enough of its data (its last fault is
    /// no baseline for its next one), what each service left in the
    /// normal, and each service's newest data in the window when finding
    /// those services needed it. None without a normal.
    pub(super) fn judge<'s>(
        &self,
        store: &'s Store,
        topo: &Topology,
        window: (UnixMs, UnixMs),
        only: Option<&[String]>,
    ) -> Option<(
        std::collections::BTreeMap<String, Strengths>,
        baseline::Heard<'s>,
        Option<Newest<'s>>,
    )> {
        let (baseline, lines) = self.baseline_before(store, window.0);
        if baseline.is_empty() {
            return None;
        }
        let plain = baseline == [(window.0 - BASELINE_MS, window.0)];
        let req = WindowRequest { window, baseline };
        let changes = span_changes(store, &req);
        let mut all = strengths_of(store, topo, &req, only, &changes);
        let mut newest = None;
        // A service with findings of its own in a recent normal that had to
        // keep every flagged window is judged against that normal less its
        // own flagged windows, when that leaves it enough of its data: its
        // last fault is no baseline for its next one.
        if plain {
            for (own, mut services) in self.own_baselines(store, window.0) {
                // Only services heard from in the window can show a change.
                let heard = newest.get_or_insert_with(|| newest_data(store, window));
                services.retain(|s| heard.contains_key(s.as_str()));
                services.retain(|s| only.is_none_or(|o| o.contains(s)));
                if services.is_empty() {
                    continue;
                }
                let own = WindowRequest { window, baseline: own };
                // Its spans too: calls into it slowed by its last fault
                // are no normal for its next one.
                let own_changes = span_changes(store, &own);
                let mut mine = strengths_of(store, topo, &own, Some(&services), &own_changes);
                for s in services {
                    if let Some(st) = mine.remove(&s) {
                        all.insert(s, st);
                    }
                }
            }
        }
        Some((all, lines, newest))
    }

    fn run(&mut self, store: &Store, topo: &Topology, now: UnixMs) -> Vec<Sign> {
        if self.last_run.is_some_and(|t| now - t < EVERY_MS) {
            return Vec::new();
        }
        let window = (now - WINDOW_MS, now);
        let fresh_logs = store.logs().iter().rev().any(|l| l.ts >= window.0 && l.ts <= now);
        let fresh_spans = store.spans().between(window.0, now + 1).next().is_some();
        if !fresh_logs && !fresh_spans {
            return Vec::new();
        }
        self.last_run = Some(now);
        self.flagged.retain(|(_, b, _)| *b > now - FLAGGED_KEEP_MS);
        // With no configured topology, the call graph the spans of the
        // recent normal and the window imply, once.
        if topo.is_empty() {
            self.derived = crate::engine::spans::call_graph(
                store.spans().between(window.0 - BASELINE_MS, now + 1),
            );
        }
        let topo = if topo.is_empty() { &self.derived } else { topo };
        let Some((all, lines, newest)) = self.judge(store, topo, window, None) else {
            return Vec::new();
        };
        let newest = newest.unwrap_or_else(|| newest_data(store, window));
        let slowed = widespread_slowdown(store, window, &all);
        let mut signs = Vec::new();
        for (service, mut st) in all {
            if slowed {
                st.spans = 0.0;
            }
            // A normal shorter than the window it judges is no normal: a
            // service first heard from seconds before the window would be
            // judged on those seconds.
            let (known, has_normal) = normal_of(&lines, &service);
            let mut found = signs_of(&service, &st, known, has_normal, now);
            for x in &mut found {
                let (logs, spans) = newest.get(service.as_str()).copied().unwrap_or_default();
                x.until = match x.instrument {
                    Instrument::Metrics => st.metric_until.unwrap_or(now),
                    Instrument::Spans => spans.unwrap_or(now),
                    Instrument::LogErrors | Instrument::LogStopped => logs.unwrap_or(now),
                };
            }
            signs.extend(found);
        }
        self.again(store, topo, now, &mut signs);
        self.remember(now, &signs);
        if !signs.is_empty() {
            let mut on: Vec<String> = signs.iter().map(|x: &Sign| x.service.clone()).collect();
            on.sort_unstable();
            on.dedup();
            self.flagged.push((window.0, window.1 + 1, on));
        }
        signs
    }
}

/// Whether `service` has a normal in the baseline `lines` tell of: it
/// logged enough there for its log changes to count, and it was heard
/// from in as many minutes as the window judges, for its span changes.
fn normal_of(lines: &baseline::Heard<'_>, service: &str) -> (bool, bool) {
    let seen = lines.get(service);
    let has_normal = seen.is_some_and(|h| h.minutes.len() >= NORMAL_MINUTES);
    (has_normal && seen.is_some_and(|h| h.lines >= MIN_BASELINE_LINES), has_normal)
}

/// The signs one service's strengths hold. `logs_known`: the service
/// logged enough in the baseline for its log changes to count;
/// `spans_known`: it was heard from over enough of the baseline for its
/// span changes to count.
fn signs_of(
    service: &str,
    st: &Strengths,
    logs_known: bool,
    spans_known: bool,
    now: UnixMs,
) -> Vec<Sign> {
    let detail = |k: &str| st.detail.get(k).copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut sign = |instrument, strength: f64, threshold: f64, text: String| {
        let score = 1.0 - 0.5 * threshold / strength.max(threshold);
        out.push(Sign {
            service: service.to_string(),
            ts: now,
            until: now,
            instrument,
            strength,
            score,
            text,
            again: false,
        });
    };
    let metric = st.metric.max(st.symptom).max(st.traffic_drop);
    if metric >= METRIC_Z {
        sign(
            Instrument::Metrics,
            metric,
            METRIC_Z,
            format!("{service}: a metric held {metric:.1}σ off normal"),
        );
    }
    let errors = detail("spans:errors");
    if spans_known && (st.spans >= SPAN_SLOWER_LOG2 || errors >= SPAN_ERRORS_Z) {
        if st.spans >= SPAN_SLOWER_LOG2 {
            let text = format!("{service}: spans {:.1}× slower than normal", st.spans.exp2());
            sign(Instrument::Spans, st.spans, SPAN_SLOWER_LOG2, text);
        } else {
            let text = format!("{service}: calls into it fail more (z {errors:.1})");
            sign(Instrument::Spans, errors, SPAN_ERRORS_Z, text);
        }
    }
    if logs_known && st.logs > 0.0 {
        let rose = detail("logs:rose");
        if rose >= LOG_Z && detail("logs:rose_lines") >= MIN_LOG_LINES as f64 {
            sign(
                Instrument::LogErrors,
                rose,
                LOG_Z,
                format!("{service}: error or warning lines rose (z {rose:.1})"),
            );
        }
        let stopped = detail("logs:vanished");
        if stopped >= LOG_Z {
            sign(
                Instrument::LogStopped,
                stopped,
                LOG_Z,
                format!("{service}: a steady log line stopped (z {stopped:.1})"),
            );
        }
    }
    out
}

/// Per service heard from in a window, its newest log line and its newest
/// span there.
type Newest<'s> = std::collections::HashMap<&'s str, (Option<UnixMs>, Option<UnixMs>)>;

/// Each service's newest log line and newest span in `window`.
fn newest_data(store: &Store, window: (UnixMs, UnixMs)) -> Newest<'_> {
    let mut out = Newest::new();
    for l in store.logs().iter().filter(|l| l.ts >= window.0 && l.ts <= window.1) {
        if let Some(s) = l.service.as_deref() {
            let e = &mut out.entry(s).or_default().0;
            *e = Some(e.map_or(l.ts, |t| t.max(l.ts)));
        }
    }
    for sp in store.spans().between(window.0, window.1 + 1) {
        let e = &mut out.entry(&*sp.service).or_default().1;
        *e = Some(e.map_or(sp.start, |t| t.max(sp.start)));
    }
    out
}

/// A third or more of the services with span changes measured got slower
/// at once: the whole system slowed (load, a shared host, the tracer's
/// clock), which is no one service's sign. A fault in one service slows
/// its own work or the calls into it; its callers' own work does not
/// grow (see [`crate::engine::spans::change`]).
fn widespread_slowdown(
    store: &Store,
    window: (UnixMs, UnixMs),
    all: &std::collections::BTreeMap<String, Strengths>,
) -> bool {
    let traced: std::collections::HashSet<&str> =
        store.spans().between(window.0, window.1 + 1).map(|s| &*s.service).collect();
    let measured = traced.len();
    let slower = all.values().filter(|st| st.spans >= SPAN_SLOWER_LOG2).count();
    measured >= 3 && 3 * slower >= measured
}

#[cfg(test)]
use crate::model::interval::minus;

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
