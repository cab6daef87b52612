use super::*;
use crate::engine::spans::testutil::{chain, jittered};
use crate::model::{LogLevel, LogRecord, SeriesKey, SeriesMeta, Span, labels_of};
use crate::store::{Ingest, StoreLimits};

const MIN: i64 = 60_000;

/// One log line of `svc` at `ts`.
pub(super) fn record(ts: i64, svc: &str, level: LogLevel, text: String) -> LogRecord {
    LogRecord {
        ts,
        source: "t".into(),
        service: Some(svc.into()),
        level,
        line: text,
        trace: None,
        template: Default::default(),
    }
}

/// One log line whose level is read from its text, as a log source reads it.
fn line(ts: i64, svc: &str, text: String) -> LogRecord {
    record(ts, svc, LogLevel::sniff(&text), text)
}

fn store() -> Store {
    Store::new(StoreLimits::default())
}

/// One-minute samples of `signal` on `service` from 0 to `n` minutes.
fn series(s: &mut Store, service: &str, signal: Signal, values: impl Fn(i64) -> f64, n: i64) {
    let labels = labels_of(&[("service", service)]);
    s.apply(Ingest::Samples {
        key: SeriesKey::of(&format!("m_{}", signal.describe()), &labels),
        meta: SeriesMeta { labels, service: Some(service.into()), signal, unit: String::new() },
        samples: (0..n).map(|m| Sample { ts: m * MIN, value: values(m) }).collect(),
    });
}

fn request(fault_min: i64) -> WindowRequest {
    WindowRequest {
        window: (fault_min * MIN, (fault_min + 5) * MIN),
        baseline: vec![(0, fault_min * MIN)],
    }
}

fn top(s: &Store, req: &WindowRequest) -> Vec<String> {
    rank(s, &Topology::new(), req).into_iter().map(|c| c.service).collect()
}

/// Ranks the window of a fault at minute 30: `first` comes first with
/// evidence quoting `quote`, and `never` is not ranked at all.
fn first_with_evidence(s: &Store, first: &str, never: &str, quote: &str) {
    let ranked = rank(s, &Topology::new(), &request(30));
    assert_eq!(ranked.first().map(|c| c.service.as_str()), Some(first), "{ranked:?}");
    assert!(!ranked.iter().any(|c| c.service == never), "{ranked:?}");
    let ev = &ranked[0].evidence[0].text;
    assert!(ev.contains(quote), "{ev}");
}

/// Five traces front → api → db (the call graph), each part 1 ms.
fn front_api_db() -> Vec<Span> {
    chain(0, 5, 1, 1, 1, 1)
        .into_iter()
        .map(|mut x| {
            x.service = match &*x.service {
                "a" => "front".into(),
                "b" => "api".into(),
                _ => "db".into(),
            };
            x
        })
        .collect()
}

#[test]
fn slow_callee_ranks_first_not_its_waiting_callers() {
    let mut s = store();
    s.apply(Ingest::Spans(jittered(chain(0, 600, 5, 2, 5, 10))));
    // From minute 30, c takes 300 ms: a and b wait, but only c works longer.
    s.apply(Ingest::Spans(jittered(chain(30 * MIN, 300, 5, 2, 5, 300))));
    let ranked = top(&s, &request(30));
    assert_eq!(ranked.first().map(String::as_str), Some("c"), "{ranked:?}");
    assert!(!ranked.iter().any(|x| x == "a" || x == "b"), "{ranked:?}");
}

#[test]
fn slow_caller_ranks_first_not_its_callees() {
    let mut s = store();
    s.apply(Ingest::Spans(jittered(chain(0, 600, 5, 2, 5, 10))));
    s.apply(Ingest::Spans(jittered(chain(30 * MIN, 300, 5, 2, 400, 10))));
    let ranked = rank(&s, &Topology::new(), &request(30));
    assert_eq!(ranked.first().map(|c| c.service.as_str()), Some("b"), "{ranked:?}");
    assert!(!ranked.iter().any(|c| c.service == "c"), "{ranked:?}");
    // The evidence says where the time went, in the span line's words.
    let ev: Vec<&str> = ranked[0].evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(ev.iter().any(|t| t.starts_with("b own work: p99 ")), "{ev:?}");
}

#[test]
fn traffic_drop_travelling_down_the_call_graph_is_not_the_callees_fault() {
    let mut s = store();
    // front calls api; api gets slow (its CPU saturates) and sends fewer
    // requests on to db, whose request rate drops.
    s.apply(Ingest::Spans(front_api_db()));
    let noisy = |base: f64| move |m: i64| base + ((m * 7) % 5) as f64 * base * 0.01;
    series(&mut s, "api", Signal::Cpu, move |m| if m >= 30 { 95.0 } else { noisy(20.0)(m) }, 36);
    series(
        &mut s,
        "db",
        Signal::RequestRate,
        move |m| if m >= 30 { 10.0 } else { noisy(100.0)(m) },
        36,
    );
    series(&mut s, "db", Signal::Cpu, noisy(30.0), 36);
    let st = strengths(&s, &Topology::new(), &request(30));
    assert!(st["db"].traffic_drop.abs() < 1e-9, "inherited drop kept: {:?}", st["db"]);
    let ranked = top(&s, &request(30));
    assert_eq!(ranked, vec!["api".to_string()]);

    // Without a troubled caller, the same drop is db's own.
    let mut alone = store();
    series(
        &mut alone,
        "db",
        Signal::RequestRate,
        move |m| if m >= 30 { 10.0 } else { noisy(100.0)(m) },
        36,
    );
    assert_eq!(top(&alone, &request(30)), vec!["db".to_string()]);
}

#[test]
fn exception_seen_only_in_logs_ranks_its_service() {
    let mut s = store();
    let mut lines = Vec::new();
    for sec in 0..40 * 60 {
        let ts = i64::from(sec) * 1000;
        if sec % 10 == 0 {
            lines.push(line(ts, "cart", format!("INFO cart has {} items", sec % 7)));
            lines.push(line(ts, "pay", format!("INFO charged order {sec}")));
            // A routine warning on pay, before and during the window alike.
            if sec % 60 == 0 {
                lines.push(line(ts, "pay", format!("WARN retrying ledger write {sec}")));
            }
        }
        if sec >= 30 * 60 && sec % 20 == 0 {
            lines.push(line(
                ts,
                "cart",
                format!("ERROR java.lang.IllegalStateException: total mismatch for order {sec}"),
            ));
        }
    }
    s.apply(Ingest::Logs(lines));
    first_with_evidence(&s, "cart", "pay", "IllegalStateException");
}

/// The same fault in JSON logs whose level is a field after the message,
/// as Go services behind a container runtime write them: the message names
/// no level (and its `TraceID:` is no trace level), a routine message on pay
/// says "error" at info level.
#[test]
fn exception_seen_only_in_structured_logs_ranks_its_service() {
    let json = |msg: String, sev: &str| {
        format!(
            "{{\"message\":\"TraceID: 4bf92f3577b34da6a3ce929d0e0e4736 SpanID: 00f067aa0ba902b7 {msg}\",\"severity\":\"{sev}\",\"timestamp\":\"2022-08-22T00:00:00Z\"}}"
        )
    };
    let mut s = store();
    let mut lines = Vec::new();
    for sec in 0..40 * 60 {
        let ts = i64::from(sec) * 1000;
        if sec % 10 == 0 {
            lines.push(line(ts, "cart", json(format!("cart has {} items", sec % 7), "info")));
            lines.push(line(ts, "pay", json(format!("charged order {sec}"), "info")));
        }
        if sec >= 30 * 60 && sec % 20 == 0 {
            lines.push(line(ts, "cart", json(format!("total mismatch for order {sec}"), "error")));
            lines.push(line(ts, "pay", json(format!("error budget report {sec}"), "info")));
        }
    }
    s.apply(Ingest::Logs(lines));
    first_with_evidence(&s, "cart", "pay", "total mismatch");
}

#[test]
fn a_log_line_that_stops_while_its_service_goes_on_ranks_that_service() {
    // route logs two lines per request; from minute 30 an exception cuts
    // each request short before the second, and nothing is logged as an
    // error. cart's lines go on as before.
    let mut s = store();
    let mut lines = Vec::new();
    for sec in (0..36 * 60).step_by(5) {
        let ts = i64::from(sec) * 1000;
        lines.push(record(ts, "route", LogLevel::Info, format!("INFO query route by id {sec}")));
        if sec < 30 * 60 {
            lines.push(record(
                ts,
                "route",
                LogLevel::Info,
                format!("INFO route {sec} found, 3 stations"),
            ));
        }
        lines.push(record(ts, "cart", LogLevel::Info, format!("INFO cart has {} items", sec % 7)));
    }
    s.apply(Ingest::Logs(lines));
    first_with_evidence(
        &s,
        "route",
        "cart",
        "found, <*> stations\" stopped (0 lines in the window",
    );
}

#[test]
fn a_caller_logging_errors_about_a_changed_callee_is_a_symptom() {
    // front calls api (the spans say so). From minute 30 api throws before
    // its second line; front logs a new error for every other failed call
    // (the rest succeed on a retry).
    let mut s = store();
    s.apply(Ingest::Spans(front_api_db()));
    let (info, error) = (crate::model::LogLevel::Info, crate::model::LogLevel::Error);
    let mut lines = Vec::new();
    for sec in (0..36 * 60).step_by(5) {
        let ts = i64::from(sec) * 1000;
        lines.push(record(ts, "front", info, format!("INFO GET /book {sec}")));
        lines.push(record(ts, "api", info, format!("INFO booking {sec} received")));
        if sec < 30 * 60 {
            lines.push(record(ts, "api", info, format!("INFO booking {sec} priced")));
        } else if sec % 10 == 0 {
            lines.push(record(ts, "front", error, format!("ERROR api returned 500 for {sec}")));
        }
    }
    s.apply(Ingest::Logs(lines));
    let st = strengths(&s, &Topology::new(), &request(30));
    assert!(
        st["front"].detail.contains_key("logs:callee"),
        "{:?} {:?}",
        st["front"],
        st.get("api")
    );
    let ranked = top(&s, &request(30));
    assert_eq!(ranked.first().map(String::as_str), Some("api"), "{ranked:?}");
}

#[test]
fn spiky_series_routine_spikes_do_not_count() {
    let mut s = store();
    // A bucketed p99: flat at 25 ms with a spike one minute in five.
    let spiky = |m: i64| if m % 5 == 2 { 0.45 } else { 0.0248 };
    series(&mut s, "route", Signal::LatencyP99, spiky, 36);
    assert!(top(&s, &request(30)).is_empty());
}

#[test]
fn a_stopped_line_is_expected_from_the_requests_its_spans_count() {
    // route serves two kinds of request every 5 s and logs one line for
    // each; from minute 30 an exception cuts the by-ids request short
    // before its line. Logs and spans cover minutes 20 to 32 only, so the
    // window holds two minutes of lines. Among route's own lines the stop
    // thins out the lines it is judged against; its spans say its
    // requests went on at the same rate.
    use crate::engine::spans::testutil::span;
    let (mut lines, mut spans) = (Vec::new(), Vec::new());
    for sec in (20 * 60..32 * 60).step_by(5) {
        let ts = i64::from(sec) * 1000;
        let tr = u128::try_from(sec).unwrap_or(0) << 8;
        lines.push(record(
            ts,
            "route",
            LogLevel::Info,
            format!("INFO r.c.RouteController#47 by id {sec}"),
        ));
        if sec < 30 * 60 {
            lines.push(record(
                ts,
                "route",
                LogLevel::Info,
                format!("INFO r.c.RouteController#53 by ids [{sec}, 7]"),
            ));
        }
        lines.push(record(ts, "cart", LogLevel::Info, format!("INFO cart has {} items", sec % 7)));
        spans.push(span(tr, 1, None, "route", ts, 3));
        spans.push(span(tr | 1, 2, None, "route", ts + 1, 4));
        spans.push(span(tr | 2, 3, None, "cart", ts, 2));
    }
    let mut logs_only = store();
    logs_only.apply(Ingest::Logs(lines.clone()));
    let st = strengths(&logs_only, &Topology::new(), &request(30));
    // By lines alone the stopped line is expected from its ratio to
    // route's other lines (one to one, 24 in the window), which the stop
    // does not thin out as it thins out a share of all lines (12).
    let by_lines = &st["route"];
    assert!(by_lines.logs >= 4.0, "{by_lines:?}");
    assert!(
        by_lines.evidence.iter().any(|e| e.text.contains("24.0 expected")),
        "{:?}",
        by_lines.evidence
    );

    let mut s = store();
    s.apply(Ingest::Logs(lines));
    s.apply(Ingest::Spans(spans));
    let st = strengths(&s, &Topology::new(), &request(30));
    assert!(st["route"].logs >= 1.0, "{:?}", st["route"]);
    first_with_evidence(&s, "route", "cart", "RouteController#53 by ids");
}

#[test]
fn a_chronic_symptom_does_not_outrank_a_fresh_change() {
    // order's CPU moved to a new level at minute 12, after the baseline
    // (minutes 0-10) and long before the window (30-35); cart's CPU rises
    // less, but only in the window.
    let mut s = store();
    let wobble = |m: i64| f64::from(u8::try_from(m % 3).unwrap_or(0));
    series(&mut s, "order", Signal::Cpu, |m| if m >= 12 { 90.0 } else { 20.0 + wobble(m) }, 36);
    series(&mut s, "cart", Signal::Cpu, |m| if m >= 30 { 35.0 } else { 20.0 + wobble(m) }, 36);
    let req = WindowRequest { window: (30 * MIN, 35 * MIN), baseline: vec![(0, 10 * MIN)] };
    let st = strengths(&s, &Topology::new(), &req);
    assert!(st["order"].metric < REPORT_Z, "{:?}", st["order"]);
    assert!(st["cart"].metric >= REPORT_Z, "{:?}", st["cart"]);
    assert_eq!(top(&s, &req).first().map(String::as_str), Some("cart"));
    // Judged on the window alone, order's level would have won.
    let fresh = WindowRequest { window: (12 * MIN, 17 * MIN), baseline: vec![(0, 10 * MIN)] };
    assert_eq!(top(&s, &fresh).first().map(String::as_str), Some("order"));
}

#[test]
fn a_departure_already_held_before_the_window_counts_only_for_its_growth() {
    // pay's CPU rose at minute 26 and again at minute 30: only the second
    // step is the window's. jump went from the baseline to the same level
    // at minute 30 in one step.
    let mut s = store();
    let wobble = |m: i64| f64::from(u8::try_from(m % 3).unwrap_or(0));
    let pay = |m: i64| match m {
        30.. => 80.0,
        26.. => 50.0,
        _ => 20.0 + wobble(m),
    };
    series(&mut s, "pay", Signal::Cpu, pay, 36);
    series(&mut s, "jump", Signal::Cpu, |m| if m >= 30 { 80.0 } else { 20.0 + wobble(m) }, 36);
    let req = WindowRequest { window: (30 * MIN, 35 * MIN), baseline: vec![(0, 20 * MIN)] };
    let st = strengths(&s, &Topology::new(), &req);
    // 80 is 59 above the baseline's median (21); 50 was 29 above it.
    let ratio = st["pay"].metric / st["jump"].metric;
    assert!((ratio - 30.0 / 59.0).abs() < 0.02, "{ratio} {:?} {:?}", st["pay"], st["jump"]);
    assert!(st["pay"].metric >= REPORT_Z, "{:?}", st["pay"]);
    let ranked = rank(&s, &Topology::new(), &req);
    assert_eq!(ranked.first().map(|c| c.service.as_str()), Some("jump"), "{ranked:?}");
    let pay_ev = ranked.iter().find(|c| c.service == "pay").map(|c| c.evidence[0].text.clone());
    assert!(pay_ev.is_some_and(|t| t.contains("σ of it already before")), "{ranked:?}");
}

#[test]
fn a_departure_is_dated_by_its_last_sample_off_normal() {
    // cart's CPU was high for minutes 30-32 and back to normal from 33:
    // judged over 30-35 it is held off normal, last seen so at minute 32.
    // pay's is high to the window's end.
    let mut s = store();
    let wobble = |m: i64| f64::from(u8::try_from(m % 3).unwrap_or(0));
    let cart = |m: i64| if (30..33).contains(&m) { 80.0 } else { 20.0 + wobble(m) };
    series(&mut s, "cart", Signal::Cpu, cart, 36);
    series(&mut s, "pay", Signal::Cpu, |m| if m >= 30 { 80.0 } else { 20.0 + wobble(m) }, 36);
    let st = strengths(&s, &Topology::new(), &request(30));
    assert!(st["cart"].metric >= REPORT_Z, "{:?}", st["cart"]);
    assert_eq!(st["cart"].metric_until, Some(32 * MIN));
    assert_eq!(st["pay"].metric_until, Some(35 * MIN));
}
