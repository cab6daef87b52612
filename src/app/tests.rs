//! `update` without a terminal: keys in, state and effects out.
//! Navigation, the filter, commands, help, marks, notifications, runbook
//! offers and logs here; the keys that write or hand off (ack, silences,
//! copy) in `ack` (ack_tests.rs).

use crate::app::fixture::typed;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::fixture;
use super::*;
use crate::app::keymap::Keymap;
use crate::model::IncidentId;

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}

fn selected_id(s: &State) -> String {
    s.selected_incident().map(|i| i.id.0.clone()).unwrap_or_default()
}

#[test]
fn waits_for_data_then_selects_the_worst_incident() {
    let s = State::new(Default::default(), Keymap::defaults(), Vec::new(), false);
    assert!(!s.has_data && s.dirty);
    let s = fixture::state();
    assert!(s.has_data);
    assert_eq!(s.visible.len(), 3);
    assert_eq!(selected_id(&s), "I-3f2a");
}

#[test]
fn navigation_clamps_at_both_ends() {
    let mut s = fixture::state();
    ch(&mut s, 'k');
    assert_eq!(s.cursors.incidents, 0);
    for _ in 0..10 {
        ch(&mut s, 'j');
    }
    assert_eq!(s.cursors.incidents, 2);
    ch(&mut s, 'g');
    assert_eq!(s.cursors.incidents, 0);
    ch(&mut s, 'G');
    assert_eq!(s.cursors.incidents, 2);
    press(&mut s, KeyCode::PageUp);
    assert_eq!(s.cursors.incidents, 0);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.cursors.incidents, 2);
    press(&mut s, KeyCode::Up);
    assert_eq!(selected_id(&s), "I-77b0");
}

#[test]
fn releases_and_repeats_are_ignored() {
    let mut s = fixture::state();
    let mut ev = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    update(&mut s, Msg::Key(ev));
    assert_eq!(s.cursors.incidents, 0);
}

#[test]
fn enter_drills_in_and_esc_backs_out() {
    let mut s = fixture::state();
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Pane::Alerts);
    ch(&mut s, 'j');
    assert_eq!(s.cursors.alerts, 1);
    press(&mut s, KeyCode::Enter);
    let drilled = s.drilled_alert().map(|a| a.alert.name().to_string());
    // Alerts are grouped by name: DBConnectionsSaturated, ErrorBudgetBurn, HighLatency x2.
    assert_eq!(drilled.as_deref(), Some("ErrorBudgetBurn"));
    press(&mut s, KeyCode::Esc);
    assert!(s.drill.is_none());
    assert_eq!(s.focus, Pane::Alerts);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Pane::Incidents);
}

#[test]
fn tab_cycles_panes_both_ways() {
    let mut s = fixture::state();
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Pane::Alerts);
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.focus, Pane::Runbooks);
}

#[test]
fn selection_follows_the_incident_across_views() {
    let mut s = fixture::state();
    ch(&mut s, 'j');
    assert_eq!(selected_id(&s), "I-77b0");
    let mut v = fixture::view();
    v.incidents.reverse();
    update(&mut s, Msg::View(Arc::new(v)));
    assert_eq!(selected_id(&s), "I-77b0");
    // It disappears: the cursor clamps instead of pointing past the end.
    let mut v = fixture::view();
    v.incidents.truncate(1);
    update(&mut s, Msg::View(Arc::new(v)));
    assert_eq!(s.cursors.incidents, 0);
    assert_eq!(selected_id(&s), "I-3f2a");
}

#[test]
fn filter_narrows_live_enter_keeps_esc_clears() {
    let mut s = fixture::state();
    ch(&mut s, '/');
    assert_eq!(s.mode, Mode::Filter);
    typed(&mut s, "dsk");
    assert_eq!(s.visible.len(), 1, "fuzzy 'dsk' matches 'disk'");
    assert_eq!(selected_id(&s), "I-77b0");
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    typed(&mut s, "postgres");
    assert_eq!(s.visible.len(), 1);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.filter, "postgres");
    // In normal mode, keys navigate again; Esc clears the kept filter.
    ch(&mut s, 'j');
    press(&mut s, KeyCode::Esc);
    assert!(s.filter.is_empty());
    assert_eq!(s.visible.len(), 3);
    // Esc while typing clears too.
    ch(&mut s, '/');
    typed(&mut s, "certif");
    assert_eq!(s.visible.len(), 1);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.visible.len(), 3);
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn filter_matches_label_values_and_alert_names() {
    let mut s = fixture::state();
    ch(&mut s, '/');
    typed(&mut s, "payments-0");
    assert_eq!(s.visible.len(), 1);
    press(&mut s, KeyCode::Esc);
    ch(&mut s, '/');
    typed(&mut s, "CertExpiring");
    assert_eq!(selected_id(&s), "I-0c19");
    typed(&mut s, "zzzz");
    assert!(s.visible.is_empty());
    assert!(s.selected_incident().is_none());
    ch(&mut s, 'j'); // typed into the filter, not a move; nothing panics
}

#[test]
fn sort_command_reorders() {
    let mut s = fixture::state();
    ch(&mut s, ':');
    typed(&mut s, "sort title");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.sort, SortOrder::Title);
    let titles: Vec<&str> = s.visible.iter().map(|&i| s.view.incidents[i].title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "checkout and payments latency; postgres connections saturated",
            "edge certificate expiring",
            "logs disk filling"
        ]
    );
    ch(&mut s, ':');
    typed(&mut s, "sort age");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.view.incidents[s.visible[0]].id.0, "I-3f2a");
    ch(&mut s, ':');
    typed(&mut s, "sort sideways");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.flash.as_ref().map(|f| f.kind), Some(FlashKind::Error));
    assert_eq!(s.sort, SortOrder::Age);
}

#[test]
fn theme_command_completes_and_asks_the_loop() {
    let mut s = fixture::state();
    ch(&mut s, ':');
    typed(&mut s, "th");
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.command, "theme ");
    typed(&mut s, "hi");
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.command, "theme high-contrast");
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::LoadTheme("high-contrast".into())]);
    update(&mut s, Msg::ThemeLoaded(Err("no theme named `x`".into())));
    assert_eq!(s.flash.as_ref().map(|f| f.kind), Some(FlashKind::Error));
    // Tab cycles when ambiguous; no candidate rings the bell.
    ch(&mut s, ':');
    typed(&mut s, "theme ");
    press(&mut s, KeyCode::Tab);
    let first = s.command.clone();
    press(&mut s, KeyCode::Tab);
    assert_ne!(s.command, first);
    press(&mut s, KeyCode::Esc);
    ch(&mut s, ':');
    typed(&mut s, "zz");
    assert_eq!(press(&mut s, KeyCode::Tab), vec![Effect::Bell]);
}

#[test]
fn unknown_command_flashes_an_error() {
    let mut s = fixture::state();
    ch(&mut s, ':');
    typed(&mut s, "frobnicate");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    let f = s.flash.clone().unwrap();
    assert_eq!(f.kind, FlashKind::Error);
    assert!(f.text.contains("frobnicate"));
    for _ in 0..4 {
        update(&mut s, Msg::Tick);
    }
    assert!(s.flash.is_none(), "flash expires after a few ticks");
}

#[test]
fn quit_from_key_and_command() {
    let mut s = fixture::state();
    assert_eq!(ch(&mut s, 'q'), vec![Effect::Quit]);
    ch(&mut s, ':');
    ch(&mut s, 'q');
    assert_eq!(press(&mut s, KeyCode::Enter), vec![Effect::Quit]);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    ch(&mut s, '/');
    assert_eq!(update(&mut s, Msg::Key(ctrl_c)), vec![Effect::Quit]);
}

#[test]
fn help_toggles_and_swallows_main_keys() {
    let mut s = fixture::state();
    ch(&mut s, '?');
    assert!(s.help_open);
    ch(&mut s, 'j');
    assert_eq!(s.cursors.incidents, 0, "j scrolls help, not the list");
    assert_eq!(s.cursors.help_scroll, 1);
    ch(&mut s, 'G');
    let bottom = s.cursors.help_scroll;
    ch(&mut s, 'k');
    assert_eq!(
        s.cursors.help_scroll,
        bottom - 1,
        "scrolling back up from the bottom moves at once"
    );
    ch(&mut s, 'g');
    assert_eq!(s.cursors.help_scroll, 0);
    ch(&mut s, '?');
    assert!(!s.help_open);
    ch(&mut s, ':');
    typed(&mut s, "help");
    press(&mut s, KeyCode::Enter);
    assert!(s.help_open);
    press(&mut s, KeyCode::Esc);
    assert!(!s.help_open);
}

#[test]
fn marks_toggle_and_move_down() {
    let mut s = fixture::state();
    ch(&mut s, ' ');
    ch(&mut s, ' ');
    assert_eq!(s.marked.len(), 2);
    assert_eq!(s.cursors.incidents, 2);
    ch(&mut s, 'k');
    ch(&mut s, ' ');
    assert_eq!(s.marked.len(), 1);
}

#[test]
fn a_key_without_a_runbook_is_an_error() {
    let mut s = fixture::state();
    ch(&mut s, '9');
    assert_eq!(s.flash.clone().unwrap().kind, FlashKind::Error);
}

#[test]
fn new_critical_incidents_notify_but_the_first_view_does_not() {
    let mut s = fixture::state();
    let mut view = (*s.view).clone();
    assert!(update(&mut s, Msg::View(Arc::new(view.clone()))).is_empty());
    let mut inc = (*view.incidents[0]).clone();
    inc.id = IncidentId("I-new".into());
    inc.severity = crate::model::Severity::Critical;
    inc.state = crate::model::IncidentState::Open;
    inc.title = "db down \x1b]0;x\x07".into();
    view.incidents.push(Arc::new(inc));
    let fx = update(&mut s, Msg::View(Arc::new(view.clone())));
    match fx.as_slice() {
        [Effect::Notify { body, .. }] => {
            assert!(body.starts_with("db down") && !body.contains('\x1b'))
        }
        other => panic!("{other:?}"),
    }
    assert!(update(&mut s, Msg::View(Arc::new(view))).is_empty(), "once per incident");
}

#[test]
fn runbooks_offered_by_labels_and_only_read_only_safe_ones_in_read_only() {
    let mut s = fixture::state();
    let offered: Vec<String> =
        s.offered_runbooks().iter().map(|(k, r)| format!("{k}:{}", r.id)).collect();
    assert_eq!(offered, ["1:pg-conns", "2:restart-payments"]);
    s.read_only = true;
    assert_eq!(s.offered_runbooks().len(), 1);
    // Read-only runs only what is declared read_only_safe, and says why not.
    assert!(ch(&mut s, '2').is_empty());
    let f = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(f.contains("read-only") && f.contains("read_only_safe"), "{f}");
    ch(&mut s, 'j');
    assert!(s.offered_runbooks().is_empty(), "rotate-logs changes things");
    assert!(ch(&mut s, '3').is_empty() && s.runbook_flow.dialog.is_none());
}

#[test]
fn custom_keymap_drives_update() {
    let map = [("quit".to_string(), vec!["z".to_string()])].into_iter().collect();
    let mut s = fixture::state();
    s.keymap = Keymap::with_overrides(&map).unwrap();
    assert!(ch(&mut s, 'q').is_empty());
    assert_eq!(ch(&mut s, 'z'), vec![Effect::Quit]);
}

#[test]
fn ticks_redraw_only_when_something_changes() {
    let mut s = fixture::state();
    s.dirty = false;
    update(&mut s, Msg::Tick);
    assert!(!s.dirty, "an idle tick costs no frame");
    for _ in 0..STALE_AFTER_TICKS {
        update(&mut s, Msg::Tick);
    }
    assert!(s.dirty && s.stale_for().is_some());
}

#[test]
fn logs_key_opens_patterns_enter_shows_lines_esc_backs_out() {
    let mut s = fixture::state();
    let svc = s.logs_service().map(str::to_string).unwrap_or_default();
    assert!(!svc.is_empty());
    let pattern = |text: &str| crate::model::LogPatternView {
        id: text.into(),
        text: text.into(),
        level: crate::model::LogLevel::Error,
        count: 3,
        first_seen: 0,
        last_seen: 0,
        new: true,
        spiking: false,
        lines: vec![format!("{text} 1")],
    };
    let mut v = (*s.view).clone();
    v.log_patterns.insert(svc, vec![pattern("a <*>"), pattern("b <*>")]);
    s.view = Arc::new(v);
    ch(&mut s, 'l');
    assert!(s.logs_open);
    assert_eq!(s.focus, Pane::Runbooks);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.cursors.runbooks, 1);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.cursors.runbooks, 1, "clamped to the patterns");
    press(&mut s, KeyCode::Enter);
    assert!(s.logs_lines);
    press(&mut s, KeyCode::Esc);
    assert!(!s.logs_lines && s.logs_open);
    ch(&mut s, 'l');
    assert!(!s.logs_open);
}

#[path = "ack_tests.rs"]
mod ack;
