//! `update` for the keys a new user leans on: firing-first order and
//! hiding resolved incidents, command history, the audit list driven by
//! the keymap.

use crate::app::fixture::typed;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture;
use super::*;
use crate::model::{IncidentState, Severity};

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn order(s: &State) -> Vec<String> {
    s.visible.iter().map(|&i| s.view.incidents[i].id.0.clone()).collect()
}

#[test]
fn what_fires_now_comes_first_by_severity_then_the_rest() {
    let mut v = fixture::view();
    // A resolved CRIT and a suspected CRIT next to a firing WARN.
    let mut resolved = (*v.incidents[0]).clone();
    resolved.id = crate::model::IncidentId("I-old".into());
    resolved.state = IncidentState::Resolved;
    let mut suspected = (*v.incidents[0]).clone();
    suspected.id = crate::model::IncidentId("S-sus".into());
    suspected.alerts.clear();
    suspected.started_at -= 25 * 60_000;
    v.incidents.push(Arc::new(resolved));
    v.incidents.push(Arc::new(suspected));
    let mut s = fixture::state();
    update(&mut s, Msg::View(Arc::new(v)));
    s.cursors.incidents = 0;
    s.selected = None;
    s.recompute_visible();
    assert_eq!(order(&s), ["I-3f2a", "S-sus", "I-77b0", "I-old", "I-0c19"]);
    assert_eq!(s.view.incidents[s.visible[2]].severity, Severity::Warning);
    // H hides resolved ones (and says how many); H again shows them.
    key(&mut s, KeyCode::Char('H'));
    assert_eq!(order(&s), ["I-3f2a", "S-sus", "I-77b0"]);
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("hidden (2")), "{:?}", s.flash);
    update(&mut s, Msg::Action(Action::ToggleResolved));
    assert_eq!(s.visible.len(), 5);
    // The same as a command, with an explicit word.
    update(&mut s, Msg::Action(Action::Command));
    typed(&mut s, "resolved hide");
    key(&mut s, KeyCode::Enter);
    assert!(s.hide_resolved && s.visible.len() == 3);
}

#[test]
fn up_and_down_recall_command_lines_and_the_draft() {
    let mut s = fixture::state();
    for cmd in ["sort age", "sort title"] {
        key(&mut s, KeyCode::Char(':'));
        typed(&mut s, cmd);
        key(&mut s, KeyCode::Enter);
    }
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "so");
    key(&mut s, KeyCode::Up);
    assert_eq!(s.command, "sort title");
    key(&mut s, KeyCode::Up);
    assert_eq!(s.command, "sort age");
    key(&mut s, KeyCode::Up);
    assert_eq!(s.command, "sort age", "stays at the oldest");
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert_eq!(s.command, "so", "past the newest the draft comes back");
    // Typing at a recalled line's cursor edits it in place.
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Home);
    typed(&mut s, "x");
    assert_eq!(s.command, "xsort title");
}

#[test]
fn the_audit_list_scrolls_and_closes_through_the_keymap() {
    let mut s = fixture::state();
    update(&mut s, Msg::Action(Action::Command));
    typed(&mut s, "audit");
    key(&mut s, KeyCode::Enter);
    assert!(s.runbook_flow.audit_open);
    assert_eq!(context(&s), crate::app::keymap::Context::List);
    s.runbook_flow.audit = vec![Default::default(); 30];
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::PageDown);
    assert!(s.runbook_flow.audit_scroll > 1);
    key(&mut s, KeyCode::Char('G'));
    assert_eq!(s.runbook_flow.audit_scroll, 29);
    // Remapping `down` reaches the audit list too: no raw key codes there.
    let map = [("down".to_string(), vec!["n".to_string()])].into_iter().collect();
    s.keymap = crate::app::keymap::Keymap::with_overrides(&map).unwrap();
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.runbook_flow.audit_scroll, 0, "j is no longer down");
    key(&mut s, KeyCode::Char('n'));
    assert_eq!(s.runbook_flow.audit_scroll, 1);
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.runbook_flow.audit_open);
}

#[test]
fn the_first_screen_keeps_the_worst_on_top_selected_until_a_key_is_pressed() {
    let mut s =
        State::new(Default::default(), crate::app::keymap::Keymap::defaults(), Vec::new(), false);
    // Warm-up: only a suspected incident.
    let mut v = fixture::view();
    let mut sus = (*v.incidents[2]).clone();
    sus.id = crate::model::IncidentId("S-warm".into());
    sus.state = IncidentState::Open;
    sus.alerts.clear();
    let first = crate::model::View { incidents: vec![Arc::new(sus.clone())], ..v.clone() };
    update(&mut s, Msg::View(Arc::new(first)));
    assert_eq!(s.selected_incident().map(|i| i.id.0.as_str()), Some("S-warm"));
    // The first real incident fires: it is on top, and selected.
    v.incidents.push(Arc::new(sus));
    update(&mut s, Msg::View(Arc::new(v.clone())));
    assert_eq!(order(&s)[0], "I-3f2a");
    assert_eq!(s.selected_incident().map(|i| i.id.0.as_str()), Some("I-3f2a"));
    // Once the operator moves, the selection follows the incident instead.
    key(&mut s, KeyCode::Char('j'));
    let picked = s.selected_incident().unwrap().id.clone();
    let mut v2 = v.clone();
    v2.incidents.reverse();
    update(&mut s, Msg::View(Arc::new(v2)));
    assert_eq!(s.selected_incident().map(|i| i.id.clone()), Some(picked));
}
