//! Log evidence in the window ranking: sizes of change, stops judged from
//! the onset, and which log change a callee's explains.

use super::tests::record as line;
use super::*;
use crate::model::{LogLevel, LogRecord};
use crate::store::{Ingest, StoreLimits};

const MIN: i64 = 60_000;

fn request() -> WindowRequest {
    WindowRequest { window: (30 * MIN, 35 * MIN), baseline: vec![(0, 30 * MIN)] }
}

/// `per_min` lines a minute of `text` on `svc` in minutes `from..to`.
fn every(
    svc: &str,
    level: LogLevel,
    text: &str,
    per_min: i64,
    (from, to): (i64, i64),
) -> Vec<LogRecord> {
    let step = MIN / per_min;
    (from * MIN / step..to * MIN / step)
        .map(|i| line(i * step, svc, level, format!("{text} {}", i * 7)))
        .collect()
}

/// A store holding `logs`.
fn logged(logs: Vec<LogRecord>) -> Store {
    let mut s = Store::new(StoreLimits::default());
    s.apply(Ingest::Logs(logs));
    s
}

fn ranked(s: &Store, topo: &Topology) -> Vec<String> {
    rank(s, topo, &request()).into_iter().map(|c| c.service).collect()
}

#[test]
fn a_quiet_services_stopped_line_outranks_a_busy_services_larger_z() {
    // cart writes 200 lines a minute and a warning 20 times a minute, 35
    // in the window: a z of 6.5 on 1.6 times as many. route writes two
    // lines 4 times a minute, and one of them stops: a z of 4.4 on none
    // of 20 expected.
    let mut logs = every("cart", LogLevel::Info, "INFO served", 200, (0, 36));
    logs.extend(every("cart", LogLevel::Warn, "WARN cache miss", 20, (0, 30)));
    logs.extend(every("cart", LogLevel::Warn, "WARN cache miss", 35, (30, 36)));
    logs.extend(every("route", LogLevel::Info, "INFO by id", 4, (0, 36)));
    logs.extend(every("route", LogLevel::Info, "INFO by ids", 4, (0, 30)));
    let s = logged(logs);
    let st = strengths(&s, &Topology::new(), &request());
    assert!(st["cart"].detail["logs:z"] > st["route"].detail["logs:vanished"], "{st:?}");
    assert!(st["route"].logs > 4.0 && st["cart"].logs < 1.0, "{st:?}");
    assert_eq!(ranked(&s, &Topology::new()).first().map(String::as_str), Some("route"));
}

#[test]
fn a_stop_that_ends_before_the_window_closes_still_counts() {
    // route's second line stops for the first two minutes of the window
    // only: over the whole window, 30 of 50 lines are there (z 2.8).
    let mut logs = every("route", LogLevel::Info, "INFO by id", 10, (0, 36));
    logs.extend(every("route", LogLevel::Info, "INFO by ids", 10, (0, 30)));
    logs.extend(every("route", LogLevel::Info, "INFO by ids", 10, (32, 36)));
    let s = logged(logs);
    let causes = rank(&s, &Topology::new(), &request());
    assert_eq!(causes.first().map(|c| c.service.as_str()), Some("route"), "{causes:?}");
    let ev = &causes[0].evidence[0].text;
    assert!(ev.contains("stopped (0 lines in minutes 1–2 of the window, 20.0 expected"), "{ev}");
}

#[test]
fn a_callees_smaller_change_does_not_explain_its_callers_larger_one() {
    // front calls api. front logs a new error per request from minute 30
    // (60 lines where none were); api's second line halves. The halving
    // does not explain the errors: front keeps its evidence and comes
    // first. Were api's line to stop altogether, front's errors would be
    // api's doing.
    let mut topo = Topology::new();
    topo.add_edge("front", "api");
    let build = |api_after: i64| {
        let mut logs = every("front", LogLevel::Info, "INFO GET /book", 12, (0, 36));
        logs.extend(every("front", LogLevel::Error, "ERROR api returned 500 for", 12, (30, 36)));
        logs.extend(every("api", LogLevel::Info, "INFO booking received", 60, (0, 36)));
        logs.extend(every("api", LogLevel::Info, "INFO booking priced", 60, (0, 30)));
        if api_after > 0 {
            logs.extend(every("api", LogLevel::Info, "INFO booking priced", api_after, (30, 36)));
        }
        logged(logs)
    };
    let halved = build(30);
    let st = strengths(&halved, &topo, &request());
    assert!(st["api"].logs > 0.0 && st["api"].logs < st["front"].logs, "{st:?}");
    assert!(!st["front"].detail.contains_key("logs:callee"), "{st:?}");
    assert_eq!(ranked(&halved, &topo).first().map(String::as_str), Some("front"));
    let stopped = build(0);
    let st = strengths(&stopped, &topo, &request());
    assert!(st["front"].detail.contains_key("logs:callee"), "{st:?}");
    assert_eq!(ranked(&stopped, &topo).first().map(String::as_str), Some("api"));
}

/// One request of `svc` at minute `m` (its `i`th), writing `texts` under one trace.
fn request_lines(svc: &str, m: i64, i: i64, texts: &[&str]) -> Vec<LogRecord> {
    let trace = u64::try_from(m * 1000 + i).ok();
    let ts = m * MIN + i * 500;
    texts
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let k = i64::try_from(k).unwrap_or(0);
            LogRecord {
                trace,
                template: Default::default(),
                ..line(ts + k, svc, LogLevel::Info, format!("{t} id={}", i * 7 + k))
            }
        })
        .collect()
}

#[test]
fn a_line_its_requests_stop_reaching_is_found_from_those_requests() {
    // A thin baseline: 6 requests in the minute before the window, each
    // writing "querying trips" then "trips found". In the window, 6 a
    // minute write only the first: an exception between the two lines.
    // 0 of 18 where 6 of 6 were: Fisher's p 1/134596, z 4.2.
    let mut logs = Vec::new();
    for i in 0..6 {
        logs.extend(request_lines("trips", 29, i, &["INFO querying trips", "INFO trips found"]));
    }
    for m in 30..33 {
        for i in 0..6 {
            logs.extend(request_lines("trips", m, i, &["INFO querying trips"]));
        }
    }
    let s = logged(logs);
    let causes = rank(&s, &Topology::new(), &request());
    assert_eq!(causes.first().map(|c| c.service.as_str()), Some("trips"), "{causes:?}");
    let ev = &causes[0].evidence[0].text;
    assert!(
        ev.contains("trips found") && ev.contains("stopped in the requests that write"),
        "{ev}"
    );
    assert!(ev.contains("querying trips") && ev.contains("(in minutes 1–3 of the window, 0 of those requests wrote it where the baseline's share expects 18.0)"), "{ev}");
}

#[test]
fn a_shift_in_the_mix_of_requests_is_no_stopped_line() {
    // pay answers 4 bookings a minute (two lines each, one trace) and
    // health checks; in the window health checks go from 4 to 40 a minute.
    // Counted against all its other lines, "payment done" would look cut
    // to a fifth; counted in the requests that write "paying", or by the
    // clock, it is all there.
    let build = |traced: bool| {
        let mut logs = Vec::new();
        for m in 0..36 {
            for i in 0..4 {
                let mut r = request_lines("pay", m, i, &["INFO paying", "INFO payment done"]);
                if !traced {
                    r.iter_mut().for_each(|l| l.trace = None);
                }
                logs.extend(r);
            }
        }
        logs.extend(every("pay", LogLevel::Info, "INFO health ok", 4, (0, 30)));
        logs.extend(every("pay", LogLevel::Info, "INFO health ok", 40, (30, 36)));
        let s = logged(logs);
        strengths(&s, &Topology::new(), &request())
    };
    let by_requests = build(true);
    assert!(by_requests.get("pay").is_none_or(|st| st.logs == 0.0), "{by_requests:?}");
    // Without trace ids the ratio to the other lines is fooled (expected
    // at ten times its rate); by the clock the lines are where they were.
    let by_lines = build(false);
    assert!(by_lines.get("pay").is_none_or(|st| st.logs == 0.0), "{by_lines:?}");
}

#[test]
fn errors_that_stop_are_a_recovery_not_a_fault() {
    // api logged 10 errors a minute until the window, then none, while its
    // other lines go on: nothing to hold against it.
    let mut logs = every("api", LogLevel::Info, "INFO served", 30, (0, 36));
    logs.extend(every("api", LogLevel::Error, "ERROR upstream reset", 10, (0, 30)));
    let s = logged(logs);
    let st = strengths(&s, &Topology::new(), &request());
    assert!(st.get("api").is_none_or(|a| a.logs == 0.0), "{st:?}");
}

#[test]
fn a_stop_that_began_before_the_window_is_measured_from_its_own_start() {
    // 2 requests a minute write "querying trips" then "trips found" until
    // minute 27; from then on only the first: the stop began 3 minutes
    // before the window. Against the whole half hour (14 of 32 requests
    // held it) the window's 0 of 18 is weak; from before the stop, 14 of 14
    // against 0 of 36 is plain.
    let build = |back_at: Option<i64>, last: i64| {
        let mut logs = Vec::new();
        for m in 20..last {
            let per = if m < 27 { 2 } else { 6 };
            for i in 0..per {
                let back = back_at.is_some_and(|b| m >= b);
                let texts: &[&str] = if m < 27 || back {
                    &["INFO querying trips", "INFO trips found"]
                } else {
                    &["INFO querying trips"]
                };
                logs.extend(request_lines("trips", m, i, texts));
            }
        }
        logged(logs)
    };
    let s = build(None, 33);
    let st = strengths(&s, &Topology::new(), &request());
    assert!(st["trips"].detail["logs:vanished"] >= 6.0, "{st:?}");
    let causes = rank(&s, &Topology::new(), &request());
    let ev: Vec<&str> = causes[0].evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(
        ev.iter().any(|e| e.contains("trips found") && e.contains("and since 00:27:00 before it")),
        "{ev:?}"
    );
    // Back in the window: the baseline's stopped end is no stop of the
    // window's.
    let s = build(Some(30), 33);
    let st = strengths(&s, &Topology::new(), &request());
    assert!(st.get("trips").is_none_or(|t| t.logs == 0.0), "{st:?}");
    // No request in the window writes the companion (it only answers
    // health checks): the baseline's own end is not held against it.
    let mut s = build(None, 30);
    s.apply(Ingest::Logs(every("trips", LogLevel::Info, "INFO health ok", 6, (30, 33))));
    let st = strengths(&s, &Topology::new(), &request());
    assert!(st.get("trips").is_none_or(|t| t.logs == 0.0), "{st:?}");
}

#[test]
fn a_callees_change_that_began_later_does_not_explain_its_callers() {
    // front calls api. front logs a new error per request from the
    // window's start; api's second line stops altogether, but only from
    // minute 3 of the window. A change that began three minutes after the
    // errors did not cause them: front keeps its evidence. Had api's stop
    // begun with the window, front's errors would be api's doing (the
    // test above).
    let mut topo = Topology::new();
    topo.add_edge("front", "api");
    let mut logs = every("front", LogLevel::Info, "INFO GET /book", 12, (0, 36));
    logs.extend(every("front", LogLevel::Error, "ERROR no instances available for", 12, (30, 36)));
    logs.extend(every("api", LogLevel::Info, "INFO booking received", 60, (0, 36)));
    logs.extend(every("api", LogLevel::Info, "INFO booking priced", 60, (0, 33)));
    let s = logged(logs);
    let st = strengths(&s, &topo, &request());
    assert!(st["api"].logs >= st["front"].logs, "{st:?}");
    assert!(!st["front"].detail.contains_key("logs:callee"), "{st:?}");
    assert!(st["front"].logs > 0.0, "{st:?}");
    assert!(ranked(&s, &topo).iter().any(|c| c == "front"), "{:?}", ranked(&s, &topo));
}

#[test]
fn a_burst_of_other_lines_does_not_stop_a_steady_one() {
    // cart writes "served" 10 times a minute throughout and a warning twice
    // a minute, which bursts to 40 a minute in the window. Against the
    // other lines alone "served" would be expected at 1,000 and seen at
    // 50; by the clock it is where it was. Stopped for real, it is missing
    // by both.
    let build = |served_until: i64| {
        let mut logs = every("cart", LogLevel::Info, "INFO served order", 10, (0, served_until));
        logs.extend(every("cart", LogLevel::Warn, "WARN retry payment", 2, (0, 30)));
        logs.extend(every("cart", LogLevel::Warn, "WARN retry payment", 40, (30, 36)));
        let s = logged(logs);
        let st = strengths(&s, &Topology::new(), &request());
        st["cart"].detail.get("logs:vanished").copied().unwrap_or(0.0)
    };
    let steady = build(36);
    assert!(steady < 1.0, "{steady}");
    let stopped = build(30);
    assert!(stopped > 6.0, "{stopped}");
}

#[test]
fn a_lull_in_traffic_stops_no_line() {
    // cart's two lines fall to a tenth in the window (night, a drained
    // zone): by the clock both are short, against each other neither is.
    let mut logs = every("cart", LogLevel::Info, "INFO served order", 20, (0, 30));
    logs.extend(every("cart", LogLevel::Info, "INFO priced order", 20, (0, 30)));
    logs.extend(every("cart", LogLevel::Info, "INFO served order", 2, (30, 36)));
    logs.extend(every("cart", LogLevel::Info, "INFO priced order", 2, (30, 36)));
    let s = logged(logs);
    let st = strengths(&s, &Topology::new(), &request());
    let stop = st.get("cart").and_then(|c| c.detail.get("logs:vanished").copied()).unwrap_or(0.0);
    assert!(stop < 1.0, "{st:?}");
}

/// A caller's errors that follow its callee's in most of the requests they
/// are written in are the callee's doing, though the caller writes more of
/// them; the same errors in requests of their own are not.
#[test]
fn a_callers_errors_after_its_callees_in_the_same_requests_are_the_callees() {
    let mut topo = Topology::new();
    topo.add_edge("front", "api");
    let traced = |ts: i64, svc: &str, level: LogLevel, text: &str, trace: u64| LogRecord {
        trace: Some(trace),
        ..line(ts, svc, level, format!("{text} {ts}"))
    };
    // 12 requests a minute; from minute 30, front fails every one of them
    // and api logs an error first in 8 of them (`shared`), or in 8
    // requests of its own.
    let build = |shared: bool| {
        let mut logs = Vec::new();
        for m in 0..36 {
            for i in 0..12 {
                let (ts, trace) = (m * MIN + i * 5_000, u64::try_from(m * 100 + i).unwrap_or(0));
                logs.push(traced(ts, "front", LogLevel::Info, "INFO GET /book", trace));
                logs.push(traced(ts + 1, "api", LogLevel::Info, "INFO booking received", trace));
                if m < 30 {
                    continue;
                }
                if i < 8 {
                    let own = if shared { trace } else { trace + 50 };
                    logs.push(traced(
                        ts + 2,
                        "api",
                        LogLevel::Error,
                        "ERROR price lookup failed",
                        own,
                    ));
                }
                logs.push(traced(
                    ts + 3,
                    "front",
                    LogLevel::Error,
                    "ERROR api returned 500",
                    trace,
                ));
            }
        }
        logs.sort_by_key(|l| l.ts);
        logged(logs)
    };
    let shared = build(true);
    let st = strengths(&shared, &topo, &request());
    assert!(st["front"].detail["logs:rise_x"] > st["api"].logs, "{st:?}");
    assert!(st["front"].detail.contains_key("logs:callee"), "{st:?}");
    assert_eq!(ranked(&shared, &topo).first().map(String::as_str), Some("api"));
    let apart = build(false);
    let st = strengths(&apart, &topo, &request());
    assert!(!st["front"].detail.contains_key("logs:callee"), "{st:?}");
    assert_eq!(ranked(&apart, &topo).first().map(String::as_str), Some("front"));
}
