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
    let mut s = Store::new(StoreLimits::default());
    s.apply(Ingest::Logs(logs));
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
    let mut s = Store::new(StoreLimits::default());
    s.apply(Ingest::Logs(logs));
    let causes = rank(&s, &Topology::new(), &request());
    assert_eq!(causes.first().map(|c| c.service.as_str()), Some("route"), "{causes:?}");
    let ev = &causes[0].evidence[0].text;
    assert!(ev.contains("stopped (0 lines in the window's first 2 min, 20.0 expected"), "{ev}");
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
        let mut s = Store::new(StoreLimits::default());
        s.apply(Ingest::Logs(logs));
        s
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
