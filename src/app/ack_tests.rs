//! `update` for the keys that write or hand off: ack and un-ack (one
//! incident, its alert, the marked rows; read-only refusals; the note
//! prompt), the silence editor and the silences list, and copying the
//! summary or `amtool` commands. Keys in, `Effect`s out.

use super::*;

fn writable() -> State {
    let mut s = fixture::state();
    s.caps.can_write = true;
    s.caps.ack_author = "ana@bastion".into();
    s.caps.ack_urls.insert("demo".into(), "http://am:9093".into());
    s
}

fn acked_ids(effects: &[Effect]) -> Vec<(String, usize)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Ack(crate::ack::AckCommand::Ack { incident, alerts, .. }) => {
                Some((incident.0.clone(), alerts.len()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn ack_targets_the_incident_its_alert_or_the_marked_rows() {
    let mut s = writable();
    let active = alerts_of(&s.view, s.selected_incident().unwrap())
        .iter()
        .filter(|a| a.alert.state.is_active())
        .count();
    let fx = ch(&mut s, 'a');
    assert_eq!(acked_ids(&fx), vec![(selected_id(&s), active)]);
    assert!(s.flash.clone().unwrap().text.contains("acknowledging 1 incident"));

    // Alerts pane focused: only the selected alert.
    press(&mut s, KeyCode::Tab);
    let fx = ch(&mut s, 'a');
    assert_eq!(acked_ids(&fx), vec![(selected_id(&s), 1)]);

    // Bulk: two marked incidents, one effect each, marks cleared after.
    press(&mut s, KeyCode::Esc);
    ch(&mut s, ' ');
    ch(&mut s, ' ');
    assert_eq!(s.marked.len(), 2);
    let fx = ch(&mut s, 'a');
    assert_eq!(acked_ids(&fx).len(), 2, "{fx:?}");
    assert!(s.marked.is_empty());
}

#[test]
fn nothing_is_written_in_read_only_mode_or_without_a_writer() {
    let mut s = writable();
    s.read_only = true;
    for c in ['a', 'A', 's'] {
        assert!(ch(&mut s, c).is_empty(), "{c}");
        assert!(s.flash.clone().unwrap().text.contains("read-only"), "{c}");
    }
    let mut s = fixture::state();
    assert!(ch(&mut s, 'a').is_empty());
    assert!(s.flash.clone().unwrap().text.contains("no Alertmanager"));
}

#[test]
fn unack_needs_an_ack_by_quell() {
    let mut s = writable();
    assert!(ch(&mut s, 'A').is_empty());
    assert_eq!(s.flash.clone().unwrap().kind, FlashKind::Error);
    let id = s.selected_incident().unwrap().id.clone();
    let mut view = (*s.view).clone();
    view.acks.push(crate::model::AckStatus {
        incident: id.clone(),
        source: "demo".into(),
        fingerprints: vec![],
        by: "ana@bastion".into(),
        note: "ACK! x (quell)".into(),
        at: fixture::NOW,
        silence_ids: vec!["s1".into()],
        until: Some(fixture::NOW + 900_000),
        phase: crate::model::AckPhase::Active,
    });
    update(&mut s, Msg::View(Arc::new(view)));
    assert_eq!(
        ch(&mut s, 'A'),
        vec![Effect::Ack(crate::ack::AckCommand::Unack { incident: id.clone() })]
    );
    let inc = s.view.incidents.iter().find(|i| i.id == id).unwrap();
    assert_eq!(crate::app::ack::ack_badge(&s.view, inc), Some("ACK"));
}

#[test]
fn silence_editor_prefills_matchers_that_parse_back_and_submit() {
    let mut s = writable();
    ch(&mut s, 's');
    assert_eq!(s.mode, Mode::Command);
    assert!(s.command.starts_with("silence alertname="), "{}", s.command);
    assert!(s.command.contains("for=1h"), "{}", s.command);
    typed(&mut s, "deploy in progress");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(!fx.is_empty());
    for e in &fx {
        match e {
            Effect::Ack(crate::ack::AckCommand::Create {
                source,
                matchers,
                duration_ms,
                comment,
            }) => {
                assert_eq!(source, "demo");
                assert!(!matchers.is_empty());
                assert_eq!(*duration_ms, 3_600_000);
                assert_eq!(comment, "deploy in progress");
                let n = crate::app::silence::preview_count(&s.view, std::slice::from_ref(matchers));
                assert!(n >= 1, "the prefilled matchers select the selection");
            }
            other => panic!("expected a create, got {other:?}"),
        }
    }
}

#[test]
fn copy_gives_markdown_and_amtool_commands() {
    let mut s = writable();
    let title = s.selected_incident().unwrap().title.clone();
    match ch(&mut s, 'y').as_slice() {
        [Effect::Copy { text, .. }] => {
            assert!(text.contains(&format!("— {title}")), "{text}");
            assert!(text.contains("### Suspected root causes"), "{text}");
            assert!(!text.contains('\x1b'), "no escape sequence reaches the clipboard");
        }
        other => panic!("{other:?}"),
    }
    match ch(&mut s, 'Y').as_slice() {
        [Effect::Copy { text, .. }] => {
            assert!(
                text.contains("amtool alert query --alertmanager.url=http://am:9093"),
                "{text}"
            );
            assert!(text.contains("amtool silence add"), "{text}");
            assert!(text.contains("--author=ana@bastion"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn silences_list_expires_and_extends_the_selected_silence() {
    let mut s = writable();
    let mut view = (*s.view).clone();
    view.silences.push(crate::model::Silence {
        id: "s-1".into(),
        source: "demo".into(),
        matchers: vec![crate::model::SilenceMatcher::equal("service", "db")],
        starts_at: fixture::NOW - 60_000,
        ends_at: fixture::NOW + 600_000,
        updated_at: fixture::NOW,
        created_by: "bob".into(),
        comment: "maintenance".into(),
        state: crate::model::SilenceState::Active,
        matched: 0,
    });
    update(&mut s, Msg::View(Arc::new(view)));
    ch(&mut s, ':');
    typed(&mut s, "silences");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.overlay, Some(Overlay::Silences));
    assert_eq!(context(&s), crate::app::keymap::Context::List);
    // `x` asks first: nothing is expired on one key, `y` is not a yes.
    assert!(ch(&mut s, 'x').is_empty());
    assert_eq!(context(&s), crate::app::keymap::Context::Dialog);
    assert!(ch(&mut s, 'y').is_empty() && s.pending.is_some());
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        vec![Effect::Ack(crate::ack::AckCommand::Expire {
            source: "demo".into(),
            id: "s-1".into()
        })]
    );
    assert!(matches!(
        ch(&mut s, 'e').as_slice(),
        [Effect::Ack(crate::ack::AckCommand::Extend { by_ms: 3_600_000, .. })]
    ));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, None);
}

#[test]
fn ack_can_ask_for_a_note_first() {
    let mut s = writable();
    s.caps.ack_ask_note = true;
    assert!(ch(&mut s, 'a').is_empty());
    assert_eq!((s.mode, s.command.as_str()), (Mode::Command, "ack "));
    typed(&mut s, "restarting the pool");
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [Effect::Ack(crate::ack::AckCommand::Ack { note, .. })] => {
            assert_eq!(note, "restarting the pool");
        }
        other => panic!("{other:?}"),
    }
}
