use super::*;
use crate::engine::suspect::Suspects;
use crate::model::{LogLevel, LogRecord};
use crate::store::{Ingest, StoreLimits};

const MIN: i64 = 60_000;

fn rec(ts: i64, svc: &str, level: LogLevel, line: String) -> LogRecord {
    LogRecord {
        ts,
        source: "t".into(),
        service: Some(svc.into()),
        level,
        line,
        trace: None,
        template: Default::default(),
    }
}

/// `pay` logs two lines per request every second ("received", then "paid"),
/// `cart` one. During each of `faults` (minutes `[from, to)`) an exception
/// cuts pay's requests short: an error line instead of "paid".
fn logs(minutes: i64, faults: &[(i64, i64)]) -> Vec<LogRecord> {
    let mut lines = Vec::new();
    for sec in 0..minutes * 60 {
        let ts = sec * 1000;
        let broken = faults.iter().any(|(a, b)| ts >= a * MIN && ts < b * MIN);
        lines.push(rec(ts, "pay", LogLevel::Info, format!("INFO order {sec} received")));
        if broken {
            let e = format!("ERROR IllegalStateException at PayService#42 for order {sec}");
            lines.push(rec(ts, "pay", LogLevel::Error, e));
        } else {
            lines.push(rec(ts, "pay", LogLevel::Info, format!("INFO order {sec} paid")));
        }
        lines.push(rec(ts, "cart", LogLevel::Info, format!("INFO cart has {} items", sec % 7)));
    }
    lines
}

/// `lines` arriving minute by minute and the watch run once a minute up
/// to `until`: every sign it gave, and the store.
fn watch_until(mut lines: Vec<LogRecord>, until: i64) -> (Vec<Sign>, Store) {
    lines.sort_by_key(|l| l.ts);
    let mut s = Store::new(StoreLimits::default());
    let mut w = Watch::default();
    let mut signs = Vec::new();
    let mut next = 0;
    for m in 1..=until {
        let upto = lines[next..].iter().take_while(|l| l.ts < m * MIN).count();
        s.apply(Ingest::Logs(lines[next..next + upto].to_vec()));
        next += upto;
        signs.extend(w.update(&s, &Topology::new(), m * MIN).iter().cloned());
    }
    (signs, s)
}

fn kinds(signs: &[Sign], svc: &str, since: i64) -> Vec<Instrument> {
    let mut v: Vec<Instrument> = signs
        .iter()
        .filter(|x| x.service == svc && x.ts >= since * MIN)
        .map(|x| x.instrument)
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn an_exception_seen_only_in_logs_opens_a_suspicion() {
    let (signs, s) = watch_until(logs(33, &[(30, 33)]), 33);
    assert!(signs.iter().all(|x| x.service == "pay"), "{signs:?}");
    assert_eq!(kinds(&signs, "pay", 0), [Instrument::LogErrors, Instrument::LogStopped]);
    assert!(signs.iter().all(|x| x.ts > 30 * MIN), "nothing before the exception: {signs:?}");
    let mut sus = Suspects::default();
    let shown =
        sus.update([].iter(), &Watch::holding(signs.clone()), &[], &s, &Topology::new(), 33 * MIN);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].services, ["pay"]);
    assert!(shown[0].started_at > 30 * MIN);
    let ev = &shown[0].root_causes[0].evidence;
    assert!(ev.iter().any(|e| e.text.contains("pay: a steady log line stopped")), "{ev:?}");
    assert!(ev.iter().any(|e| e.text.contains("pay: error or warning lines rose")), "{ev:?}");
}

#[test]
fn one_log_blip_alone_does_not() {
    // Twenty error lines in one minute on cart, nothing else changes:
    // a sign of one instrument, never a suspicion.
    let mut lines = logs(33, &[]);
    lines.extend(
        (0..20).map(|i| {
            rec(31 * MIN + i * 1000, "cart", LogLevel::Error, format!("ERROR timeout {i}"))
        }),
    );
    let (signs, s) = watch_until(lines, 33);
    assert_eq!(kinds(&signs, "cart", 0), [Instrument::LogErrors], "{signs:?}");
    // Seen by the runs at 32 and 33 (their windows overlap); the minute
    // the second one added holds no error.
    assert_eq!(signs.iter().filter(|x| x.service == "cart").count(), 2, "{signs:?}");
    assert!(signs.iter().all(|x| !x.again), "{signs:?}");
    assert!(kinds(&signs, "pay", 0).is_empty(), "{signs:?}");
    let mut sus = Suspects::default();
    assert!(
        sus.update([].iter(), &Watch::holding(signs.clone()), &[], &s, &Topology::new(), 33 * MIN)
            .is_empty()
    );
    // Two error lines are no sign at all.
    let mut lines = logs(33, &[]);
    lines.extend(
        (0..2).map(|i| {
            rec(31 * MIN + i * 1000, "cart", LogLevel::Error, format!("ERROR timeout {i}"))
        }),
    );
    assert!(watch_until(lines, 33).0.is_empty());
}

#[test]
fn errors_that_go_on_are_seen_again_on_the_minute_the_first_look_never_read() {
    // Twenty error lines a minute on cart from minute 31 on: the run at 32
    // finds them; the run at 33 finds them in the minute since as well, so
    // the two looks are independent though their windows overlap, and the
    // suspicion opens at 33, not when a window that shares no minute with
    // the first one has passed (35).
    let mut lines = logs(34, &[]);
    lines.extend(
        (0..60).map(|i| {
            rec(31 * MIN + i * 3000, "cart", LogLevel::Error, format!("ERROR timeout {i}"))
        }),
    );
    let (signs, s) = watch_until(lines, 33);
    let cart: Vec<&Sign> = signs.iter().filter(|x| x.service == "cart").collect();
    assert_eq!(cart.len(), 2, "{signs:?}");
    assert_eq!((cart[0].ts, cart[0].again), (32 * MIN, false), "{cart:?}");
    assert_eq!((cart[1].ts, cart[1].again), (33 * MIN, true), "{cart:?}");
    let mut sus = Suspects::default();
    let shown = sus.update([].iter(), &Watch::holding(signs), &[], &s, &Topology::new(), 33 * MIN);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].services, ["cart"]);
}

#[test]
fn a_fault_repeated_on_one_service_is_seen_again() {
    // A long first fault (minutes 14-26), then the same fault at 40: the
    // first one's minutes are no baseline for the second.
    let (signs, _) = watch_until(logs(43, &[(14, 26), (40, 43)]), 43);
    assert_eq!(kinds(&signs, "pay", 40), [Instrument::LogErrors, Instrument::LogStopped]);
    let second: Vec<&Sign> = signs.iter().filter(|x| x.ts > 40 * MIN).collect();
    assert!(second.iter().all(|x| x.strength >= LOG_Z), "{second:?}");
}

/// Logs only in 3-minute bursts (as when logs are shipped around
/// incidents): in each burst `pay` answers a request every 10 s, and `batch`
/// writes 20 lines a second; `pay_faults` and `batch_faults` name the
/// bursts (by first minute) in which each logs an error per request or line.
fn bursts(starts: &[i64], pay_faults: &[i64], batch_faults: &[i64]) -> Vec<LogRecord> {
    let mut lines = Vec::new();
    for &m in starts {
        for sec in m * 60..(m + 3) * 60 {
            let ts = sec * 1000;
            if sec % 10 == 0 {
                lines.push(rec(ts, "pay", LogLevel::Info, format!("INFO order {sec} received")));
                lines.push(if pay_faults.contains(&m) {
                    rec(ts, "pay", LogLevel::Error, format!("ERROR IllegalState order {sec}"))
                } else {
                    rec(ts, "pay", LogLevel::Info, format!("INFO order {sec} paid"))
                });
            }
            for k in 0..20 {
                let row = sec * 20 + k;
                lines.push(if batch_faults.contains(&m) && k % 2 == 0 {
                    rec(ts, "batch", LogLevel::Error, format!("ERROR row {row} rejected"))
                } else {
                    rec(ts, "batch", LogLevel::Info, format!("INFO row {row} copied"))
                });
            }
        }
    }
    lines
}

#[test]
fn a_repeated_fault_is_judged_without_its_own_earlier_faults() {
    // pay failed in two of the last four bursts, batch in the other two:
    // cutting every window with findings would leave too little of the
    // half hour, so the shared baseline keeps them all, and half of pay's
    // lines in it are its earlier faults' errors. Judged against the half
    // hour less its own earlier faults, pay's new errors stand out.
    let starts = [3, 10, 17, 24, 31, 38, 45];
    let (signs, _) = watch_until(bursts(&starts, &[17, 24, 45], &[31, 38]), 48);
    assert!(kinds(&signs, "pay", 45).contains(&Instrument::LogErrors), "{signs:?}");
    assert_eq!(kinds(&signs, "batch", 31), [Instrument::LogErrors], "{signs:?}");
    // Without findings of its own there is no baseline of its own.
    let empty = Store::new(StoreLimits::default());
    let mut w = Watch::default();
    w.flagged.push((13 * MIN, 29 * MIN, vec!["pay".into()]));
    assert!(w.own_baselines(&empty, 40 * MIN).is_empty());
}

#[test]
fn no_logs_or_spans_in_the_window_no_run() {
    let mut s = Store::new(StoreLimits::default());
    s.apply(Ingest::Logs(logs(20, &[])));
    let mut w = Watch::default();
    assert!(w.update(&s, &Topology::new(), 40 * MIN).is_empty());
    assert_eq!(w.last_run, None, "nothing arrived in the window: nothing was judged");
    // Once a minute at most.
    assert!(w.update(&s, &Topology::new(), 15 * MIN).is_empty());
    assert_eq!(w.last_run, Some(15 * MIN));
    assert!(w.update(&s, &Topology::new(), 15 * MIN + 30_000).is_empty());
    assert_eq!(w.last_run, Some(15 * MIN));
}

#[test]
fn flagged_windows_are_cut_out_of_the_baseline() {
    let m = |v: i64| v * MIN;
    let cuts = [(m(5), m(8)), (m(7), m(10)), (m(30), m(40))];
    assert_eq!(minus(m(0), m(20), &cuts), vec![(m(0), m(5)), (m(10), m(20))]);
    assert_eq!(minus(m(6), m(9), &cuts), vec![]);
}

/// A service first heard from seconds before the window has no normal to
/// judge it by, however many lines those seconds hold: its signs wait
/// until the baseline holds as many minutes of it as the window judges.
#[test]
fn a_service_just_heard_from_has_no_normal_yet() {
    // pay starts at 7:30 (60 lines before 8:00) and breaks at 10:00.
    let lines: Vec<LogRecord> =
        logs(16, &[(10, 16)]).into_iter().filter(|l| l.ts >= 7 * MIN + 30_000).collect();
    let (signs, _) = watch_until(lines, 14);
    // At 11:00 and 12:00 the baseline holds one and two of its minutes.
    assert!(signs.iter().all(|x| x.ts >= 13 * MIN), "{signs:?}");
    // At 13:00 it holds three (7, 8 and 9), and the errors count.
    assert!(kinds(&signs, "pay", 13).contains(&Instrument::LogErrors), "{signs:?}");
}

/// With no configured topology, the call graph the spans imply is the one
/// suspicions group along; a configured one is used as it is.
#[test]
fn the_spans_call_graph_stands_in_for_a_missing_topology() {
    use crate::engine::spans::testutil::chain;
    let mut s = Store::new(StoreLimits::default());
    s.apply(Ingest::Spans(chain(0, 600, 5, 1, 5, 5)));
    let mut w = Watch::default();
    let none = Topology::new();
    assert!(w.call_graph(&none).is_empty(), "no run yet, no graph");
    w.update(&s, &none, 10 * MIN);
    assert_eq!(w.call_graph(&none).callees("a").collect::<Vec<_>>(), ["b"]);
    assert_eq!(w.call_graph(&none).callers("c").collect::<Vec<_>>(), ["b"]);
    let configured = Topology::from_edges([("web", "db")]);
    assert_eq!(w.call_graph(&configured).callees("web").collect::<Vec<_>>(), ["db"]);
    assert_eq!(w.call_graph(&configured).callees("a").count(), 0);
}

/// A run keeps re-reading its window's minutes after the data in them
/// ended (logs shipped in bursts, a collector that stopped): what it finds
/// then is dated at the data's end, when the trouble was last seen, not
/// at the run. So a fault repeated on one service after a gap in the data
/// longer than a suspicion waits ([`super::super::REARM_MS`]) is a new
/// suspicion, not the first one going on.
#[test]
fn signs_are_dated_by_the_data_they_were_read_from() {
    let starts = [3, 10, 17, 24, 31, 38];
    let mut lines = bursts(&starts, &[31, 38], &[]);
    lines.sort_by_key(|l| l.ts);
    let mut s = Store::new(StoreLimits::default());
    let (mut w, mut sus) = (Watch::default(), Suspects::default());
    let mut signs: Vec<Sign> = Vec::new();
    let mut opened: Vec<(String, i64)> = Vec::new();
    let mut next = 0;
    for m in 1..=42 {
        let upto = lines[next..].iter().take_while(|l| l.ts < m * MIN).count();
        s.apply(Ingest::Logs(lines[next..next + upto].to_vec()));
        next += upto;
        signs.extend(w.update(&s, &Topology::new(), m * MIN).iter().cloned());
        for inc in sus.update([].iter(), &w, &[], &s, &Topology::new(), m * MIN) {
            if !opened.iter().any(|(id, _)| *id == inc.id.0) {
                opened.push((inc.id.0.clone(), inc.started_at));
            }
        }
    }
    // The first fault's minutes (31-33) are re-read by the runs up to 36.
    let echo: Vec<&Sign> = signs.iter().filter(|x| x.ts >= 35 * MIN && x.ts < 38 * MIN).collect();
    assert!(!echo.is_empty(), "{signs:?}");
    assert!(echo.iter().all(|x| x.until < 34 * MIN), "{echo:?}");
    // While the data goes on, a sign is as new as its run's data.
    let live: Vec<&Sign> = signs.iter().filter(|x| x.ts <= 34 * MIN).collect();
    assert!(!live.is_empty() && live.iter().all(|x| x.ts - x.until <= MIN), "{live:?}");
    // Two faults, two suspicions, the second dated in its own burst.
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert!(opened[0].1 >= 31 * MIN && opened[0].1 < 34 * MIN, "{opened:?}");
    assert!(opened[1].1 >= 38 * MIN, "{opened:?}");
}

/// Spans of two chains a→b→c and x→y→z, a trace a second each, during
/// the bursts of [`bursts`]; b's own work takes 40 ms instead of 5 in the
/// bursts `b_slow` starts.
fn span_bursts(starts: &[i64], b_slow: &[i64]) -> Vec<crate::model::Span> {
    use crate::engine::spans::testutil::chain;
    let mut out = Vec::new();
    for &m in starts {
        let b_ms = if b_slow.contains(&m) { 40 } else { 5 };
        out.extend(chain(m * MIN, 180, 5, 1, b_ms, 5));
        for mut sp in chain(m * MIN + 500, 180, 5, 1, 5, 5) {
            let name = match &*sp.service {
                "a" => "x",
                "b" => "y",
                _ => "z",
            };
            sp.service = name.into();
            sp.trace.0 ^= 1 << 100;
            out.push(sp);
        }
    }
    out
}

#[test]
fn a_repeated_slowdown_is_judged_without_its_own_earlier_ones() {
    // b was slow in two of the last four bursts, batch logged errors in
    // the other two: the shared baseline keeps them all, and half of b's
    // spans in it are slow. Judged against the half hour less its own
    // earlier slowdowns, b's spans are slower again.
    let starts = [3, 10, 17, 24, 31, 38, 45];
    let mut lines = bursts(&starts, &[], &[31, 38]);
    lines.sort_by_key(|l| l.ts);
    let mut spans = span_bursts(&starts, &[17, 24, 45]);
    spans.sort_by_key(|s| s.start);
    let mut s = Store::new(StoreLimits::default());
    let mut w = Watch::default();
    let mut signs = Vec::new();
    let (mut nl, mut ns) = (0, 0);
    for m in 1..=48 {
        let l = lines[nl..].iter().take_while(|l| l.ts < m * MIN).count();
        s.apply(Ingest::Logs(lines[nl..nl + l].to_vec()));
        nl += l;
        let k = spans[ns..].iter().take_while(|x| x.start < m * MIN).count();
        s.apply(Ingest::Spans(spans[ns..ns + k].to_vec()));
        ns += k;
        signs.extend(w.update(&s, &Topology::new(), m * MIN).iter().cloned());
    }
    assert_eq!(kinds(&signs, "b", 17), [Instrument::Spans], "{signs:?}");
    assert!(signs.iter().any(|x| x.service == "b" && x.ts > 45 * MIN), "{signs:?}");
    assert_eq!(kinds(&signs, "batch", 31), [Instrument::LogErrors], "{signs:?}");
    assert!(signs.iter().all(|x| ["b", "batch"].contains(&x.service.as_str())), "{signs:?}");
}
