//! The "read whole" view at 80×24: every surface that cuts text (titles,
//! timeline lines, per-pod rows, evidence, log patterns, runbook output,
//! silences, a source's reason, audit rows, status messages) has its text
//! on screen whole after `v` (or `:messages`), paged with the help keys.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::render;
use crate::app::{Action, Effect, Msg, State, fixture, update};
use crate::model::{TimelineEntry, TimelineKind};

fn draw(state: &State) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| render(f, state, &state.theme)).unwrap();
    term.backend().buffer().clone()
}

fn rows(buf: &ratatui::buffer::Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

fn key(s: &mut State, c: char) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
}

fn command(s: &mut State, line: &str) {
    key(s, ':');
    for c in line.chars() {
        key(s, c);
    }
    update(s, Msg::Action(Action::Submit));
}

/// Presses `v`, then pages through the reader; returns the text inside its
/// box, page after page, with all whitespace removed (wrapping adds some).
fn read_whole(s: &mut State) -> String {
    key(s, 'v');
    assert!(s.reader.is_some(), "v opened nothing");
    read_open(s)
}

fn read_open(s: &mut State) -> String {
    let mut seen = String::new();
    let mut last = Vec::new();
    for _ in 0..40 {
        let buf = draw(s);
        super::tests::assert_inert(&buf);
        let page: Vec<String> = rows(&buf)
            .into_iter()
            .skip_while(|r| !r.contains("Read \u{00b7}"))
            .skip(1)
            .take_while(|r| r.chars().nth(1) != Some('\u{2517}'))
            .map(|r| r.chars().skip(2).take(76).collect())
            .collect();
        assert!(!page.is_empty(), "no reader on screen:\n{}", rows(&buf).join("\n"));
        if page == last {
            break;
        }
        seen.extend(page.iter().flat_map(|r| r.chars()));
        last = page;
        update(s, Msg::Action(Action::PageDown));
    }
    update(s, Msg::Action(Action::Back));
    assert!(s.reader.is_none(), "Esc closes the reader");
    squeeze(&seen)
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn with_view(f: impl FnOnce(&mut crate::model::View)) -> State {
    let mut v = fixture::view();
    f(&mut v);
    let mut s = fixture::state();
    update(&mut s, Msg::View(Arc::new(v)));
    s
}

fn on_screen(s: &State) -> String {
    rows(&draw(s)).join("\n")
}

#[test]
fn incident_title_and_timeline_lines_read_whole() {
    let title = "HighErrorRate on checkout, payments, cart, frontend and ingress after deploy checkout v2.14.1-rc3 END-OF-TITLE";
    let line = "new log pattern in checkout: level=error msg=\"upstream connect error or disconnect/reset before headers\" MIDDLE-OF-LINE reset_reason=\"connection termination\" status=503";
    let mut s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        inc.title = title.into();
        let ts = inc.timeline[0].ts;
        inc.timeline.push(TimelineEntry { ts, kind: TimelineKind::Anomaly, text: line.into() });
        v.incidents[0] = Arc::new(inc);
    });
    let t = on_screen(&s);
    assert!(!t.contains("END-OF-TITLE") && !t.contains("MIDDLE-OF-LINE"), "cut on the panes:\n{t}");
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(title)), "{read}");
    assert!(read.contains(&squeeze(line)), "{read}");
}

#[test]
fn per_pod_rows_and_cause_evidence_read_whole() {
    let pod = "checkout-7d9f8b6c5d-x2k9p.shop.svc.cluster.local:8080";
    let evidence = "log \"ERROR payment gateway timeout after 30000ms (attempt 3 of 3) for order 8812-aa\" appeared 41 times END-OF-EVIDENCE";
    let mut s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        if let Some(a) = inc.alerts.first().and_then(|fp| v.alerts.get_mut(fp)) {
            a.alert.labels.insert("instance".into(), pod.into());
        }
        inc.root_causes[0].evidence[0].text = evidence.into();
        v.incidents[0] = Arc::new(inc);
    });
    assert!(!on_screen(&s).contains(pod));
    update(&mut s, Msg::Action(Action::NextPane));
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(pod)), "{read}");
    update(&mut s, Msg::Action(Action::NextPane));
    update(&mut s, Msg::Action(Action::Down));
    let read = read_whole(&mut s);
    assert!(!read.contains("END-OF-EVIDENCE"), "the cursor's cause only: {read}");
    update(&mut s, Msg::Action(Action::Up));
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(evidence)), "{read}");
}

#[test]
fn log_patterns_runbook_output_and_audit_rows_read_whole() {
    let template = "level=<*> msg=\"<*> exception\" err=\"nil pointer dereference in handler\" path=/api/v1/checkout/confirm status=<*> trace_id=<*> END-OF-PATTERN";
    let mut s = with_view(|v| {
        let service = v.incidents[0].root_causes[0].service.clone();
        v.log_patterns.insert(
            service,
            vec![crate::model::LogPatternView {
                id: "T1".into(),
                text: template.into(),
                level: crate::model::LogLevel::Error,
                count: 3,
                first_seen: v.now,
                last_seen: v.now,
                new: true,
                spiking: false,
                lines: vec!["a raw line END-OF-RAW".into()],
            }],
        );
    });
    key(&mut s, 'l');
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(template)) && read.contains("END-OF-RAW"), "{read}");
    key(&mut s, 'l');

    // A run's long output line.
    key(&mut s, '1');
    let effects = update(&mut s, Msg::Action(Action::Confirm));
    let run = effects
        .iter()
        .find_map(|e| match e {
            Effect::Runbook(crate::app::runbook_flow::RunbookEffect::Start { run, .. }) => {
                Some(*run)
            }
            _ => None,
        })
        .expect("the run started");
    let out = "restarting pods: checkout-7d9f8b6c5d-x2k9p checkout-7d9f8b6c5d-q8w4n checkout-7d9f8b6c5d-m1z7r done END-OF-OUTPUT";
    let msg = crate::app::runbook_flow::RunbookMsg::Output {
        run,
        stream: crate::runbook::exec::Stream::Stdout,
        text: out.into(),
    };
    update(&mut s, Msg::Runbook(msg));
    assert!(s.runbook_flow.output_open);
    s.focus = crate::app::Pane::Alerts;
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(out)), "{read}");

    // An audit row.
    let entry = crate::runbook::audit::Entry {
        ts: "2026-12-04T12:00:00.000Z".into(),
        runbook: "restart".into(),
        incident: "I-1".into(),
        argv: vec![
            "checkout-7d9f8b6c5d-x2k9p".into(),
            "--namespace=shop-production-eu".into(),
            "END-OF-ARGV".into(),
        ],
        ..Default::default()
    };
    update(&mut s, Msg::Runbook(crate::app::runbook_flow::RunbookMsg::Audit(Ok(vec![entry]))));
    command(&mut s, "audit");
    assert!(s.runbook_flow.audit_open);
    assert!(!on_screen(&s).contains("END-OF-ARGV"));
    let read = read_whole(&mut s);
    assert!(read.contains("END-OF-ARGV") && read.contains("shop-production-eu"), "{read}");
}

#[test]
fn silences_sources_and_status_messages_read_whole() {
    let comment = "maintenance window for the payments database failover drill, ticket OPS-4411, ask ana before extending END-OF-COMMENT";
    let reason = "tls handshake failed: the server's certificate is not valid for am-eu.example.internal (it names am-eu-old.example.internal) END-OF-REASON";
    let mut s = with_view(|v| {
        v.silences.push(crate::model::Silence {
            id: "5f1e9c2a-0b6d-4e0e-9a57-8d3c1f2b4a90".into(),
            source: "am".into(),
            matchers: vec![
                crate::model::SilenceMatcher::equal("service", "payments"),
                crate::model::SilenceMatcher {
                    name: "instance".into(),
                    value: "payments-db-.*-END-OF-MATCHER".into(),
                    is_regex: true,
                    is_equal: true,
                },
            ],
            starts_at: v.now,
            ends_at: v.now + 3_600_000,
            updated_at: v.now,
            created_by: "ana@bastion".into(),
            comment: comment.into(),
            state: crate::model::SilenceState::Active,
            matched: 2,
        });
        if let crate::model::SourceStatus::Down { reason: r, .. } = &mut v.sources[1].status {
            *r = reason.into();
        }
    });
    command(&mut s, "silences");
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(comment)) && read.contains("END-OF-MATCHER"), "{read}");
    assert!(s.overlay.is_some(), "the list stays open under the reader");
    key(&mut s, 'q');
    command(&mut s, "sources");
    key(&mut s, 'j');
    let read = read_whole(&mut s);
    assert!(read.contains(&squeeze(reason)), "{read}");
    key(&mut s, 'q');
    // A message longer than four footer lines points to :messages.
    let msg = format!(
        "refused: {} END-OF-MESSAGE",
        "the file hash differs from the approved one; ".repeat(12)
    );
    s.flash_error(msg.clone());
    let t = on_screen(&s);
    assert!(t.contains(":messages shows it whole") && !t.contains("END-OF-MESSAGE"), "{t}");
    command(&mut s, "messages");
    let read = read_open(&mut s);
    assert!(read.contains(&squeeze(&msg)), "{read}");
}

#[test]
fn hostile_text_in_the_reader_is_inert() {
    let mut s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        inc.title = "boom \x1b]52;c;ZXZpbA==\x07 \x1b[2J \u{202e}gnp.exe \u{9b}31m\r end".into();
        v.incidents[0] = Arc::new(inc);
    });
    let read = read_whole(&mut s);
    assert!(read.contains("boom") && read.contains("end"), "{read}");
}

#[test]
fn per_pod_anomaly_rows_keep_their_instance_at_80_columns() {
    let mut s = with_view(|v| {
        let ev = |pod: &str| crate::model::AnomalyEvent {
            series: crate::model::SeriesKey(format!("p99{{instance=\"{pod}\"}}").into()),
            service: Some("checkout".into()),
            signal: crate::model::Signal::LatencyP99,
            ts: v.now,
            value: 0.138,
            score: 0.9,
            kind: "shift".into(),
            instance: Some(pod.into()),
        };
        v.anomalies =
            vec![ev("checkout-7d9f8b6c5d-x2k9p:8080"), ev("checkout-7d9f8b6c5d-q8w4n:8080")];
    });
    command(&mut s, "anomalies");
    let t = on_screen(&s);
    assert!(t.contains("x2k9p:8080") && t.contains("q8w4n:8080"), "{t}");
}
