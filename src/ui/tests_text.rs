//! Rendering of text a new user must be able to read: no cause that scores
//! nothing, no line said twice, per-pod rows that differ where they differ,
//! twin incidents told apart, evidence of the selected cause whole.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::render;
use crate::app::{Action, Msg, State, fixture, update};
use crate::model::{IncidentId, TimelineEntry, TimelineKind};

fn screen(state: &State, w: u16, h: u16) -> String {
    let mut s = state.clone();
    s.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, &s, &s.theme)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn with_view(f: impl FnOnce(&mut crate::model::View)) -> State {
    let mut v = fixture::view();
    f(&mut v);
    let mut s = fixture::state();
    update(&mut s, Msg::View(Arc::new(v)));
    s
}

#[test]
fn a_cause_scoring_nothing_is_not_shown_as_a_cause() {
    let s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        inc.root_causes[0].score = 0.0;
        inc.root_causes[0].service = "auth".into();
        v.incidents[0] = Arc::new(inc);
    });
    let t = screen(&s, 80, 24);
    assert!(!t.contains("0.00") && !t.contains("auth"), "{t}");
    assert!(t.contains(" 1 payments") && t.contains("0.31"), "{t}");
    assert_eq!(s.shown_causes().len(), 1);
    let md = crate::app::ack::summary_markdown(&s.view, s.selected_incident().unwrap());
    assert!(!md.contains("**auth**"), "{md}");
}

#[test]
fn the_same_timeline_line_is_said_once_and_per_pod_lines_differ_on_screen() {
    let s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        let at = inc.timeline[0].ts + 1;
        let e =
            |text: &str| TimelineEntry { ts: at, kind: TimelineKind::Anomaly, text: text.into() };
        inc.timeline.push(e("ingress error ratio anomalous on ingress (ingress-7f9c-1:8080)"));
        inc.timeline.push(e("ingress error ratio anomalous on ingress (ingress-7f9c-1:8080)"));
        inc.timeline.push(e("ingress error ratio anomalous on ingress (ingress-7f9c-2:8080)"));
        v.incidents[0] = Arc::new(inc);
    });
    let t = screen(&s, 80, 40);
    let lines: Vec<&str> = t.lines().filter(|l| l.contains("ingress e")).collect();
    assert_eq!(lines.len(), 2, "{t}");
    assert!(lines[0].contains("7f9c-1:8080) (×2)"), "{t}");
    assert!(lines[1].contains("7f9c-2:8080)"), "{t}");
}

#[test]
fn per_pod_alert_rows_keep_the_pod_at_80_columns() {
    let mut s = with_view(|v| {
        for a in v.alerts.values_mut() {
            if a.alert.labels.get("instance").is_some_and(|i| i == "checkout-1") {
                a.alert.labels.insert("instance".into(), "checkout-7d9f8b6c5-x2kq9:8080".into());
            }
        }
    });
    update(&mut s, Msg::Action(Action::Enter));
    let t = screen(&s, 80, 24);
    assert!(t.contains("9:8080 firing"), "the end of the pod name shows:\n{t}");
    let t = screen(&s, 120, 30);
    assert!(t.contains("checkout-7d9f8b6c5-x2kq9:8080"), "whole when it fits:\n{t}");
    assert!(!t.contains("checkout checkout-7d9f"), "the service is not said twice:\n{t}");
}

#[test]
fn twin_incidents_lead_with_their_id() {
    let s = with_view(|v| {
        let mut twin = (*v.incidents[0]).clone();
        twin.id = IncidentId("I-twin".into());
        v.incidents.push(Arc::new(twin));
    });
    let t = screen(&s, 120, 30);
    assert!(t.contains("I-twin · checkout and payments"), "{t}");
    assert!(t.contains("I-3f2a · checkout and payments"), "{t}");
    assert!(!t.contains("I-77b0 · logs"), "only twins carry the id:\n{t}");
}

#[test]
fn the_selected_cause_shows_its_evidence_whole() {
    let long = "89 error log lines since 10:06:44 (baseline 0.0/min), e.g. \"level=error msg=\\\"unhandled exception\\\" err=\\\"nil pointer dereference in mapper.go:88\\\" path=/api/order/submit END\"";
    let mut s = with_view(|v| {
        let mut inc = (*v.incidents[0]).clone();
        inc.root_causes[0].evidence.push(crate::model::Evidence { ts: v.now, text: long.into() });
        v.incidents[0] = Arc::new(inc);
    });
    s.focus = crate::app::Pane::Causes;
    let t = screen(&s, 80, 40);
    assert!(t.contains("submit END\""), "{t}");
}

#[test]
fn each_screen_names_its_clock() {
    // The fixture has the demo source: its clock is simulated.
    let s = fixture::state();
    let t = screen(&s, 80, 24);
    assert!(t.lines().next().unwrap().contains("sim 03:12:45"), "{t}");
    let live = with_view(|v| v.sources.retain(|x| x.id != "demo"));
    let t = screen(&live, 80, 24);
    assert!(t.lines().next().unwrap().contains("03:12:45 UTC"), "{t}");
    // The audit log is real time and says so, in the same form.
    let mut s = fixture::state();
    s.runbook_flow.audit_open = true;
    s.runbook_flow.audit = vec![crate::runbook::audit::Entry {
        ts: "2026-11-23T08:40:12.345Z".into(),
        ..Default::default()
    }];
    let t = screen(&s, 100, 30);
    assert!(t.contains("wall-clock UTC") && t.contains("2026-11-23 08:40:12 UTC"), "{t}");
    // Exported summaries carry date and zone, and which clock.
    let md = crate::app::ack::summary_markdown(&s.view, s.selected_incident().unwrap());
    assert!(md.contains("**Started:** 2024-05-01 02:59:45 UTC"), "{md}");
    assert!(md.contains("simulated clock"), "{md}");
}

#[test]
fn a_cut_list_row_is_readable_whole_while_selected() {
    let reason = "tls handshake failed: the server's certificate is not valid for am-eu.example.internal (it names am-eu-old.example.internal) END-OF-REASON";
    let mut s = with_view(|v| {
        if let crate::model::SourceStatus::Down { reason: r, .. } = &mut v.sources[1].status {
            *r = reason.into();
        }
    });
    crate::app::fixture::command(&mut s, "sources");
    update(&mut s, Msg::Action(Action::Down));
    let t = screen(&s, 80, 24);
    assert!(t.contains("END-OF-REASON"), "the whole reason is on screen:\n{t}");
    // Not for the row that fits.
    update(&mut s, Msg::Action(Action::Up));
    let t = screen(&s, 80, 24);
    assert!(!t.contains("END-OF-REASON"), "{t}");
}

#[test]
fn a_long_status_message_is_shown_whole() {
    let mut s = fixture::state();
    let msg = "runbook \u{201c}Restart the service's pods\u{201d} refused: the file has sha256 3fa2c1d9e0b14c2a but the config approves 9446931e0c9efa7a; nothing ran END-OF-MESSAGE";
    s.flash_error(msg);
    let t = screen(&s, 80, 24);
    assert!(t.contains("END-OF-MESSAGE"), "{t}");
    assert!(t.lines().last().unwrap().contains("q quit"), "the footer keeps its hints:\n{t}");
    // A short one stays in the footer.
    s.flash_info("sorted by age");
    let t = screen(&s, 80, 24);
    assert!(t.lines().last().unwrap().contains("sorted by age"), "{t}");
}
