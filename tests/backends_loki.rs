//! The Loki connector against recorded answers in the shape of Loki's HTTP
//! API reference (`GET /loki/api/v1/query_range`, log queries), served by
//! the in-process stub: Loki cannot run on this machine. Paging by `start`
//! with boundary dedupe, the tenant header, error answers, hostile lines,
//! and the response size cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use quell::connectors::Event;
use quell::connectors::live::Source;
use quell::connectors::logs::MAX_LINE_BYTES;
use quell::driver::live::sources;
use quell::model::{Clock, LogLevel, SourceStatus, SystemClock};
use quell::store::Ingest;
use serde_json::json;

use support::loki::{answer, lines, loki_toml, stream};
use support::stub::{Reply, Stub, param, percent_decoded};
use support::{config, health_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_by_start_drops_boundary_duplicates_and_sends_the_tenant() {
    let now_ms = SystemClock.now();
    let b = (now_ms - 60_000) * 1_000_000;
    let pay = json!({"app": "payments", "level": "error", "pod": "payments-7f9c"});
    let web = json!({"job": "shop/web"});
    let stub = Stub::sequence(vec![
        // Page 1: full (limit 3), the newest entry at b+3.
        answer(&[
            (pay.clone(), vec![(b + 1, "db timeout after 30s"), (b + 2, "db timeout after 31s")]),
            (web.clone(), vec![(b + 3, "GET /cart 200")]),
        ]),
        // Page 2 starts at b+3: repeats "GET /cart 200", brings its sibling
        // at the same nanosecond and one newer line; full again.
        answer(&[
            (web.clone(), vec![(b + 3, "GET /cart 200"), (b + 3, "GET /pay 502")]),
            (pay.clone(), vec![(b + 4, "db timeout after 9s")]),
        ]),
        // Page 3 starts at b+4: only the boundary line, so the cycle ends.
        answer(&[(pay.clone(), vec![(b + 4, "db timeout after 9s")])]),
    ]);
    let cfg = config(&loki_toml(&stub.url(), "limit = 3\ntenant = \"team-a\"\nbase_path = \"/\""));
    // Through the live driver's source list, as `quell` runs it.
    let mut srcs = sources(&cfg).unwrap();
    let Some(Source::Loki(loki)) = srcs.last_mut() else { panic!("no loki source") };
    let events = loki.cycle_at(now_ms).await;
    let got = lines(&events);
    let texts: Vec<&str> = got.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(
        texts,
        [
            "db timeout after 30s",
            "db timeout after 31s",
            "GET /cart 200",
            "GET /pay 502",
            "db timeout after 9s"
        ]
    );
    assert_eq!(got[0].service.as_deref(), Some("payments"));
    assert_eq!(got[0].level, LogLevel::Error, "from the stream's level label");
    assert_eq!(got[3].service.as_deref(), Some("shop/web"), "job when there is no service/app");
    assert_eq!(got[3].level, LogLevel::Unknown);
    assert_eq!(got[0].ts, now_ms - 60_000);
    assert_eq!(got[0].source, "loki:loki");
    assert_eq!(health_of(&events), SourceStatus::Ok);

    let heads = stub.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 3);
    assert!(heads[0].starts_with("get /loki/api/v1/query_range?"), "{}", heads[0]);
    assert_eq!(param(&heads[0], "start"), ((now_ms - 300_000) * 1_000_000).to_string());
    assert_eq!(param(&heads[1], "start"), (b + 3).to_string());
    assert_eq!(param(&heads[2], "start"), (b + 4).to_string());
    for h in &heads {
        assert!(h.contains("x-scope-orgid: team-a\r\n"), "{h}");
        assert_eq!(param(h, "direction"), "forward");
        assert_eq!(param(h, "limit"), "3");
        assert!(param(h, "end").parse::<i64>().unwrap() > now_ms * 1_000_000);
        assert!(param(h, "query").contains("healthz"), "{h}");
    }

    // The next cycle asks from the same instant and delivers nothing twice.
    let events = loki.cycle_at(now_ms + 1_000).await;
    assert!(lines(&events).is_empty());
    assert_eq!(health_of(&events), SourceStatus::Ok);
    let heads = stub.heads.lock().unwrap().clone();
    assert_eq!(param(&heads[3], "start"), (b + 4).to_string());

    // And the driver turns a cycle into ingest events for the pipeline.
    let evs = srcs.last_mut().unwrap().cycle().await;
    assert!(evs.iter().any(|e| matches!(e, Event::Ingest(Ingest::Health(h)) if h.id == "loki")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_stop_polling_until_retry() {
    // Loki in multi-tenant mode without a tenant answers this.
    let stub = Stub::start(Reply {
        status: 401,
        content_type: "text/plain; charset=utf-8",
        ..Reply::json(b"no org id\n".to_vec())
    });
    let mut l = stream(&stub.url(), "");
    let mut last = Vec::new();
    for _ in 0..3 {
        last = l.cycle().await;
    }
    match health_of(&last) {
        SourceStatus::AuthFailed { reason } => assert_eq!(reason, "HTTP 401: no org id"),
        s => panic!("{s:?}"),
    }
    assert_eq!(stub.count(), 1, "one rejected request, then none");
    l.retry();
    l.cycle().await;
    assert_eq!(stub.count(), 2, "a retry asks again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_a_bad_response_and_delivers_nothing() {
    let stub = Stub::start(Reply::json(b"\x1b[31m<html>proxy error\xff</html>".to_vec()));
    let mut l = stream(&stub.url(), "");
    let events = l.cycle().await;
    assert!(lines(&events).is_empty());
    match health_of(&events) {
        SourceStatus::BadResponse { excerpt } => {
            assert!(excerpt.contains("\\u{1b}[31m<html>proxy error\\xff"), "{excerpt}");
            assert!(!excerpt.contains('\u{1b}'));
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_with_lokis_plain_text_error_names_the_problem() {
    let stub = Stub::start(Reply {
        status: 400,
        content_type: "text/plain; charset=utf-8",
        ..Reply::json(
            b"parse error at line 1, col 9: syntax error: unexpected IDENTIFIER\n".to_vec(),
        )
    });
    let mut l = stream(&stub.url(), "");
    let events = l.cycle().await;
    assert!(lines(&events).is_empty());
    assert_eq!(
        health_of(&events),
        SourceStatus::BadResponse {
            excerpt: "HTTP 400: parse error at line 1, col 9: syntax error: unexpected IDENTIFIER"
                .into()
        }
    );
    // Not an auth stop: the source keeps trying (after its backoff).
    assert!(l.next_wait() <= std::time::Duration::from_millis(220));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lines_are_capped_and_drawn_inert() {
    let now_ms = SystemClock.now();
    let b = (now_ms - 1_000) * 1_000_000;
    let hostile = format!(
        "\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2Jpayment declined \u{202e}gnp.exe\r\u{9b}31m{}",
        "A".repeat(100_000)
    );
    let labels = json!({"service": "pay\u{1b}[8mments\u{202e}"});
    let stub = Stub::start(answer(&[(labels, vec![(b, hostile.as_str())])]));
    let mut l = stream(&stub.url(), "");
    let got = lines(&l.cycle_at(now_ms).await);
    assert_eq!(got.len(), 1);
    assert!(got[0].line.len() <= MAX_LINE_BYTES, "{}", got[0].line.len());
    assert_eq!(got[0].service.as_deref(), Some("payments"), "label value sanitized");

    // The line reaches the logs pane raw and is drawn inert.
    use quell::ui::panes::logs::{LogsMode, LogsPane, render};
    let pattern = quell::model::LogPatternView {
        id: "T1".into(),
        text: "<*>".into(),
        level: LogLevel::Error,
        count: 1,
        first_seen: 0,
        last_seen: 0,
        new: true,
        spiking: false,
        lines: vec![got[0].line.clone()],
    };
    let pane = LogsPane {
        service: got[0].service.as_deref().unwrap(),
        patterns: std::slice::from_ref(&pattern),
        selected: 0,
        mode: LogsMode::Lines,
        filter: "",
        focused: true,
    };
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 6)).unwrap();
    let theme = quell::theme::Theme::default();
    t.draw(|f| render(f, f.area(), &pane, &theme)).unwrap();
    let buf = t.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("payment declined"), "{text}");
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}', '\r'] {
        assert!(!text.contains(bad), "{bad:?} reached the buffer: {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_is_capped_and_a_large_one_within_the_cap_is_read() {
    let now_ms = SystemClock.now();
    let b = (now_ms - 10_000) * 1_000_000;
    let text = "a fairly ordinary log line of ordinary length, request id 0123456789abcdef";
    let values: Vec<(i64, &str)> = (0..20_000).map(|i| (b + i, text)).collect();
    let reply = answer(&[(json!({"app": "web"}), values)]);
    let size = reply.body.len();
    assert!(size > 2_000_000, "{size}");
    let stub = Stub::start(reply);

    let mut capped = stream(&stub.url(), "max_response_bytes = 1048576\nlimit = 50000");
    let events = capped.cycle_at(now_ms).await;
    assert!(lines(&events).is_empty());
    assert_eq!(health_of(&events), SourceStatus::TooLarge { limit_bytes: 1_048_576 });

    let mut l = stream(&stub.url(), "limit = 50000");
    let t = std::time::Instant::now();
    let events = l.cycle_at(now_ms).await;
    eprintln!("20,000 Loki entries ({size} bytes): fetch+parse+dedupe {:?}", t.elapsed());
    assert_eq!(lines(&events).len(), 20_000);
    assert_eq!(health_of(&events), SourceStatus::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_read_over_several_cycles_without_gaps_or_repeats() {
    let now_ms = SystemClock.now();
    let b = (now_ms - 60_000) * 1_000_000;
    let texts: Vec<String> = (0..30).map(|i| format!("request {i} done")).collect();
    // What Loki holds: one line per nanosecond from b to b+29. With limit 2,
    // the request starting at b+n-1 returns b+n-1 and b+n.
    let app = json!({"app": "api"});
    let mut replies = vec![answer(&[(app.clone(), vec![(b, &texts[0]), (b + 1, &texts[1])])])];
    for n in 2..30 {
        let v = vec![(b + n - 1, texts[(n - 1) as usize].as_str()), (b + n, &texts[n as usize])];
        replies.push(answer(&[(app.clone(), v)]));
    }
    replies.push(answer(&[(app.clone(), vec![(b + 29, &texts[29])])]));
    let stub = Stub::sequence(replies);
    let mut l = stream(&stub.url(), "limit = 2");
    let mut all = Vec::new();
    let mut statuses = Vec::new();
    for c in 0..3 {
        let events = l.cycle_at(now_ms + c).await;
        all.extend(lines(&events).into_iter().map(|r| r.line));
        statuses.push(health_of(&events));
    }
    assert_eq!(all, texts, "every line once, in order");
    for s in &statuses[..2] {
        match s {
            SourceStatus::Partial { warnings } => {
                assert!(warnings[0].starts_with("catching up"), "{warnings:?}")
            }
            s => panic!("{s:?}"),
        }
    }
    assert_eq!(statuses[2], SourceStatus::Ok);
    assert_eq!(stub.count(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_is_not_behind_but_an_outage_longer_than_lookback_is() {
    let now_ms = SystemClock.now();
    let empty = answer(&[]);
    let down = Reply { status: 503, ..Reply::json(b"too many outstanding requests".to_vec()) };
    let stub = Stub::sequence(vec![
        empty.clone(),
        empty.clone(),
        empty.clone(),
        empty.clone(),
        down,
        empty.clone(),
    ]);
    let mut l = stream(&stub.url(), "lookback = \"5m\"");
    // Quiet for minutes, polled every minute: always fine.
    for m in 0..4 {
        let events = l.cycle_at(now_ms + m * 60_000).await;
        assert_eq!(health_of(&events), SourceStatus::Ok, "minute {m}");
    }
    let heads = stub.heads.lock().unwrap().clone();
    assert_eq!(param(&heads[3], "start"), ((now_ms + 180_000 - 300_000) * 1_000_000).to_string());
    // Then Loki fails, and the next answer comes ten minutes later.
    let events = l.cycle_at(now_ms + 240_000).await;
    assert!(matches!(health_of(&events), SourceStatus::Down { .. }), "{:?}", health_of(&events));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let events = l.cycle_at(now_ms + 840_000).await;
    match health_of(&events) {
        SourceStatus::Partial { warnings } => {
            assert_eq!(warnings, ["more than 5m behind: older lines were not read"])
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_incident_gets_a_query_of_its_own_for_its_services() {
    use quell::connectors::logs::loki::focus::LogFocus;
    let now_ms = SystemClock.now();
    let b = (now_ms - 60_000) * 1_000_000;
    let pay = json!({"service": "payments"});
    let stub = Stub::sequence(vec![
        // The configured query: one line.
        answer(&[(pay.clone(), vec![(b + 1, "db timeout after 30s")])]),
        // The incident's query: the same line again and an older one the
        // configured query never covered.
        answer(&[(pay.clone(), vec![(b - 5, "pool exhausted"), (b + 1, "db timeout after 30s")])]),
        // Next cycle: nothing new on either.
        answer(&[]),
        answer(&[(pay.clone(), vec![(b + 1, "db timeout after 30s")])]),
        // Then the incident query fails: the source still works.
        answer(&[(pay.clone(), vec![(b + 7, "GET /pay 200")])]),
        Reply {
            status: 500,
            content_type: "text/plain",
            ..Reply::json(b"too many outstanding requests\n".to_vec())
        },
        // Unfollowed: only the configured query.
        answer(&[]),
    ]);
    let mut l = stream(&stub.url(), "");
    let hostile = "x\"} |= \"\" or {job=~\".+";
    let started = now_ms - 120_000;
    let focus = vec![LogFocus {
        incident: "I-1".into(),
        services: vec!["payments".into(), hostile.into()],
        started_at: started,
    }];
    l.set_focus(&focus, now_ms);
    let events = l.cycle_at(now_ms).await;
    let texts: Vec<String> = lines(&events).into_iter().map(|r| r.line).collect();
    assert_eq!(texts, ["db timeout after 30s", "pool exhausted"], "each line once");
    assert_eq!(health_of(&events), SourceStatus::Ok);
    let health = events.iter().find_map(|e| match e {
        Ingest::Health(h) => Some(h.kind.clone()),
        _ => None,
    });
    assert_eq!(health.as_deref(), Some("loki, following 1 incident"));

    let heads = stub.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    let q = percent_decoded(&param(&heads[1], "query"));
    // The hostile name stays inside the regex string, escaped (heads are lowercased).
    let want = r#"{service=~"payments|x\"\\} \\|= \"\" or \\{job=\\~\"\\.\\+"}"#;
    assert_eq!(q, want.to_lowercase());
    assert_eq!(l.incident_queries(), [("I-1".to_string(), want.to_string())]);
    assert_eq!(
        param(&heads[1], "start"),
        ((started - 30 * 60_000) * 1_000_000).to_string(),
        "from incident_lookback before the incident started"
    );

    // The same focus again keeps its read position.
    l.set_focus(&focus, now_ms + 1_000);
    let events = l.cycle_at(now_ms + 1_000).await;
    assert!(lines(&events).is_empty());
    let heads = stub.heads.lock().unwrap().clone();
    assert_eq!(param(&heads[3], "start"), (b + 1).to_string());

    // A failing incident query is a warning; the configured query's lines arrive.
    let events = l.cycle_at(now_ms + 2_000).await;
    let texts: Vec<String> = lines(&events).into_iter().map(|r| r.line).collect();
    assert_eq!(texts, ["GET /pay 200"]);
    match health_of(&events) {
        SourceStatus::Partial { warnings } => {
            assert!(
                warnings.iter().any(|w| w.contains("I-1") && w.contains("500")),
                "{warnings:?}"
            );
        }
        s => panic!("{s:?}"),
    }

    // Resolved incidents are no longer followed.
    l.set_focus(&[], now_ms + 3_000);
    let before = stub.count();
    l.cycle_at(now_ms + 3_000).await;
    assert_eq!(stub.count(), before + 1, "only the configured query");
    assert!(l.incident_queries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_false_never_sends_incident_queries() {
    use quell::connectors::logs::loki::focus::LogFocus;
    let stub = Stub::start(answer(&[]));
    let mut l = stream(&stub.url(), "incidents = false");
    let focus = [LogFocus { incident: "I-1".into(), services: vec!["a".into()], started_at: 0 }];
    l.set_focus(&focus, SystemClock.now());
    l.cycle().await;
    assert_eq!(stub.count(), 1);
    assert!(l.incident_queries().is_empty());
}
