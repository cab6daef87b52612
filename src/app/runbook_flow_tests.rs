//! The runbook flow through `update`: keys and reports in, dialog state and
//! effects out. No process is started here; `tests/runbook_exec.rs` runs
//! real scripts.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::fixture;
use crate::app::keymap::Keymap;
use crate::app::update;
use crate::runbook::Confirm;
use crate::runbook::audit::Event;
use crate::theme::Theme;

fn rb(id: &str, key: char, matchers: &[&str], args: &[&str]) -> Runbook {
    let mut r = Runbook::declared(id, id, &format!("/opt/rb/{id}.sh"), &"ab".repeat(32));
    r.key = Some(key);
    r.matchers = matchers.iter().map(|m| (*m).to_string()).collect();
    r.args = args.iter().map(|a| (*a).to_string()).collect();
    r
}

fn runbooks() -> Vec<Runbook> {
    let mut wipe =
        rb("wipe", '2', &["alertname=HighLatency", "service=checkout"], &["{label.instance}"]);
    wipe.dangerous = true;
    wipe.confirm = Confirm::Typed;
    let mut db = rb("db", '4', &["service=postgres"], &["{label.service}"]);
    db.requires_ack = true;
    let mut rotate = rb("rotate", '5', &["service=logs"], &["{label.instance}"]);
    rotate.requires_ack = true;
    rotate.dry_run_args = Some(vec!["--dry-run".into(), "{label.instance}".into()]);
    vec![
        rb("restart", '1', &["service=payments"], &["--host", "{label.instance}", "{incident.id}"]),
        wipe,
        rb("hostile", '3', &["alertname=ErrorBudgetBurn"], &["{label.pod}"]),
        db,
        rotate,
    ]
}

fn state() -> State {
    let mut s = State::new(Theme::default(), Keymap::defaults(), runbooks(), false);
    update(&mut s, Msg::View(Arc::new(fixture::view())));
    s
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    key(s, KeyCode::Char(c))
}

fn flash(s: &State) -> String {
    s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
}

fn started(effects: &[Effect]) -> Option<(RunId, Plan, String)> {
    effects.iter().find_map(|e| match e {
        Effect::Runbook(RunbookEffect::Start { run, plan, confirmation }) => {
            Some((*run, (**plan).clone(), confirmation.clone()))
        }
        _ => None,
    })
}

fn refused(effects: &[Effect]) -> Option<String> {
    effects.iter().find_map(|e| match e {
        Effect::Runbook(RunbookEffect::AuditRefusal { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn a_key_opens_the_dialog_with_the_exact_command_and_enter_starts_it() {
    let mut s = state();
    let fx = ch(&mut s, '1');
    assert_eq!(fx, vec![Effect::Runbook(RunbookEffect::LoadLastRun("restart".into()))]);
    let d = s.runbook_flow.dialog.clone().expect("dialog open");
    assert_eq!(d.plan.argv, ["--host", "payments-0", "I-3f2a"]);
    assert_eq!(d.plan.target, "payments-0");
    assert_eq!(d.plan.incident, "I-3f2a");
    assert_eq!(d.plan.alerts.len(), 1);
    // Keys do not leak to the main keymap while the dialog is open.
    let cursor = s.cursors.incidents;
    ch(&mut s, 'j');
    assert_eq!(s.cursors.incidents, cursor);
    update(&mut s, Msg::Runbook(RunbookMsg::LastRun { runbook: "restart".into(), entry: None }));
    assert!(s.runbook_flow.dialog.as_ref().is_some_and(|d| d.last_run_loaded));

    let fx = key(&mut s, KeyCode::Enter);
    let (run, plan, confirmation) = started(&fx).expect("started");
    assert_eq!(plan, d.plan);
    assert_eq!(confirmation, "yes");
    assert!(s.runbook_flow.dialog.is_none() && s.runbook_flow.output_open);
    assert_eq!(s.runbook_flow.shown_run().map(|r| r.id), Some(run));
}

#[test]
fn esc_cancels_without_effects_and_y_is_not_a_yes() {
    let mut s = state();
    ch(&mut s, '1');
    // `y` copies elsewhere; in the dialog it neither runs nor cancels.
    assert!(ch(&mut s, 'y').is_empty());
    assert!(ch(&mut s, 'n').is_empty());
    assert!(s.runbook_flow.dialog.is_some() && s.runbook_flow.runs.is_empty());
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.runbook_flow.dialog.is_none());
    ch(&mut s, '1');
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.runbook_flow.dialog.is_none() && s.runbook_flow.runs.is_empty());
}

#[test]
fn a_second_launch_for_the_same_incident_is_refused_while_one_runs() {
    let mut s = state();
    ch(&mut s, '1');
    let (run, ..) = started(&key(&mut s, KeyCode::Enter)).unwrap();
    // Key repeat over a slow link: the same key again, and again.
    for _ in 0..3 {
        let fx = ch(&mut s, '1');
        let reason = refused(&fx).expect("audited refusal");
        assert!(reason.contains("already running"), "{reason}");
        assert!(s.runbook_flow.dialog.is_none());
        assert!(flash(&s).contains("already running"));
    }
    assert_eq!(s.runbook_flow.runs.len(), 1);
    let outcome = Outcome { exit_code: Some(0), ..Outcome::default() };
    update(&mut s, Msg::Runbook(RunbookMsg::Finished { run, outcome }));
    assert!(flash(&s).contains("exit 0"), "{}", flash(&s));
    // The exit status is on the incident's timeline in the detail pane.
    let r = &s.runbook_flow.runs[0];
    assert_eq!(r.ended_at, Some(s.view.now));
    assert!(r.timeline_text().contains("exit 0"), "{}", r.timeline_text());
    key(&mut s, KeyCode::Esc); // close the output pane
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50)).unwrap();
    term.draw(|f| crate::ui::render(f, &s, &s.theme)).unwrap();
    let screen: String = term.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    let entry = format!("{} runbook \u{201c}", crate::model::format_clock(s.view.now));
    assert!(screen.contains(&entry), "the timeline shows the run: {entry}");
    ch(&mut s, '1');
    assert!(s.runbook_flow.dialog.is_some(), "after it finished it may run again");
}

#[test]
fn typed_confirmation_needs_the_exact_target() {
    let mut s = state();
    ch(&mut s, '2');
    assert_eq!(s.runbook_flow.dialog.as_ref().unwrap().plan.target, "checkout-1");
    for c in "checkout-2".chars() {
        ch(&mut s, c);
    }
    // 'y' and 'n' are text here, not confirm/cancel.
    assert!(started(&key(&mut s, KeyCode::Enter)).is_none());
    let d = s.runbook_flow.dialog.as_ref().expect("still open");
    assert!(d.mismatch && d.typed.is_empty());
    for c in "checkout-11".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Backspace);
    let (_, plan, confirmation) = started(&key(&mut s, KeyCode::Enter)).expect("confirmed");
    assert_eq!(confirmation, "typed");
    assert_eq!(plan.argv, ["checkout-1"]);
}

#[test]
fn hostile_values_and_missing_acks_are_refused_and_audited() {
    let mut s = state();
    let reason = refused(&ch(&mut s, '3')).expect("refused");
    assert!(reason.contains("{label.pod}") && reason.contains("control character"), "{reason}");
    assert!(s.runbook_flow.dialog.is_none());
    assert!(!flash(&s).contains('\x1b'), "the flash must stay inert");
    let reason = refused(&ch(&mut s, '4')).expect("refused");
    assert_eq!(reason, "acknowledge first (a)");
    assert!(flash(&s).contains("acknowledge first (a)"));
}

#[test]
fn dry_run_comes_first_then_the_real_run() {
    let mut s = state();
    ch(&mut s, 'j'); // I-77b0: acknowledged, logs
    assert_eq!(s.selected_incident().map(|i| i.id.0.as_str()), Some("I-77b0"));
    ch(&mut s, '5');
    let plan = s.runbook_flow.dialog.as_ref().unwrap().plan.clone();
    assert!(plan.dry_run);
    assert_eq!(plan.argv, ["--dry-run", "logs-2"]);
    let (run, ..) = started(&key(&mut s, KeyCode::Enter)).unwrap();
    let outcome = Outcome { exit_code: Some(0), ..Outcome::default() };
    update(&mut s, Msg::Runbook(RunbookMsg::Finished { run, outcome }));
    assert!(flash(&s).contains("press 5 again"), "{}", flash(&s));
    ch(&mut s, '5');
    let plan = s.runbook_flow.dialog.as_ref().unwrap().plan.clone();
    assert!(!plan.dry_run);
    assert_eq!(plan.argv, ["logs-2"]);
}

#[test]
fn output_streams_into_a_capped_ring_and_k_kills_the_run() {
    let mut s = state();
    ch(&mut s, '1');
    let (run, ..) = started(&key(&mut s, KeyCode::Enter)).unwrap();
    for i in 0..OUTPUT_LINES + 10 {
        let text = format!("line {i}");
        update(&mut s, Msg::Runbook(RunbookMsg::Output { run, stream: Stream::Stdout, text }));
    }
    let out = &s.runbook_flow.shown_run().unwrap().output;
    assert_eq!(out.len(), OUTPUT_LINES);
    assert_eq!(out.front().map(|(_, t)| t.as_str()), Some("line 10"));
    assert_eq!(ch(&mut s, 'K'), vec![Effect::Runbook(RunbookEffect::Kill(run))]);
    let outcome = Outcome { signal: Some(15), killed: true, ..Outcome::default() };
    update(&mut s, Msg::Runbook(RunbookMsg::Finished { run, outcome }));
    assert_eq!(s.flash.as_ref().map(|f| f.kind), Some(crate::app::FlashKind::Error));
    assert!(flash(&s).contains("killed by signal 15 (killed on request)"), "{}", flash(&s));
    assert!(ch(&mut s, 'K').is_empty(), "nothing left to kill");
    key(&mut s, KeyCode::Esc);
    assert!(!s.runbook_flow.output_open);
}

#[test]
fn a_refusal_from_the_executor_is_shown() {
    let mut s = state();
    ch(&mut s, '1');
    let (run, ..) = started(&key(&mut s, KeyCode::Enter)).unwrap();
    let reason = "/opt/rb/restart.sh: sha256 mismatch: expected ab…, file has cd…".to_string();
    update(&mut s, Msg::Runbook(RunbookMsg::Refused { run, reason }));
    assert!(flash(&s).contains("refused") && flash(&s).contains("sha256 mismatch"));
    assert!(matches!(s.runbook_flow.shown_run().unwrap().status, RunStatus::Refused(_)));
    assert_eq!(s.runbook_flow.running().count(), 0);
}

#[test]
fn audit_command_opens_the_overlay_and_loads_the_log() {
    let mut s = state();
    ch(&mut s, ':');
    for c in "audit".chars() {
        ch(&mut s, c);
    }
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Runbook(RunbookEffect::LoadAudit)]);
    assert!(s.runbook_flow.audit_open);
    let entries = vec![Entry::now(Event::Started), Entry::now(Event::Finished)];
    update(&mut s, Msg::Runbook(RunbookMsg::Audit(Ok(entries))));
    assert_eq!(s.runbook_flow.audit.len(), 2);
    ch(&mut s, 'j');
    assert_eq!(s.runbook_flow.audit_scroll, 1);
    ch(&mut s, 'q');
    assert!(!s.runbook_flow.audit_open);
    assert!(s.mode == crate::app::Mode::Normal);
}

#[test]
fn read_only_runs_no_runbook_that_is_not_declared_read_only_safe() {
    let mut s = state();
    s.read_only = true;
    // Dangerous or not ("restart" is not marked dangerous): refused, saying why.
    for k in ['2', '1'] {
        assert!(ch(&mut s, k).is_empty());
        assert!(s.runbook_flow.dialog.is_none());
        assert!(flash(&s).contains("not declared read_only_safe"), "{}", flash(&s));
    }
    // One declared safe opens its dialog as usual.
    s.runbooks[0].read_only_safe = true;
    ch(&mut s, '1');
    assert!(s.runbook_flow.dialog.is_some());
}

fn screen(s: &State, w: u16, h: u16) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::ui::render(f, s, &s.theme)).unwrap();
    crate::ui::tests::text(term.backend().buffer())
}

#[test]
fn the_dialog_shows_hostile_arguments_escaped_and_the_output_pane_streams() {
    let mut rbs = runbooks();
    // A permissive regex lets the hostile pod label through expansion, so
    // the dialog has to show it; it must be escaped, never interpreted.
    rbs[2].validate.insert("label.pod".into(), "(?s).*".into());
    let mut s = State::new(Theme::default(), Keymap::defaults(), rbs, false);
    update(&mut s, Msg::View(Arc::new(fixture::view())));
    update(&mut s, Msg::Resize(120, 40));
    ch(&mut s, '3');
    let text = screen(&s, 120, 40);
    assert!(text.contains("Run runbook 3"), "{text}");
    assert!(text.contains(r"\u{1b}]52;c;cm0gLXJmIH4=\u{7}"), "{text}");
    assert!(text.contains(r"\u{202e}evil"), "{text}");
    assert!(text.contains("abababababababab\u{2026}"), "hash prefix: {text}");
    assert!(!text.contains('\x1b') && !text.contains('\u{202e}'));
    let (run, ..) = started(&key(&mut s, KeyCode::Enter)).unwrap();
    let line = RunbookMsg::Output { run, stream: Stream::Stdout, text: "pod restarted".into() };
    update(&mut s, Msg::Runbook(line));
    let text = screen(&s, 120, 40);
    assert!(text.contains("pod restarted") && text.contains("K kills"), "{text}");
    // A line longer than the pane wraps: its end is on screen.
    let long = format!("error: {} END-OF-LINE", "x/".repeat(80));
    update(&mut s, Msg::Runbook(RunbookMsg::Output { run, stream: Stream::Stderr, text: long }));
    let text = screen(&s, 120, 40);
    assert!(text.contains("END-OF-LINE") && text.contains("pod restarted"), "{text}");
}

#[test]
fn o_copies_only_plain_http_runbook_links() {
    let mut view = fixture::view();
    let urls =
        ["https://runbooks.example/latency", "javascript:alert(1)", "https://x/\x1b]52;c;eA==\x07"];
    let mut s = State::new(Theme::default(), Keymap::defaults(), runbooks(), false);
    for (i, url) in urls.iter().enumerate() {
        for a in view.alerts.values_mut() {
            a.alert.annotations.insert("runbook_url".into(), (*url).to_string());
        }
        update(&mut s, Msg::View(Arc::new(view.clone())));
        let fx = ch(&mut s, 'o');
        if i == 0 {
            assert_eq!(fx, vec![Effect::Runbook(RunbookEffect::CopyLink(urls[0].into()))]);
            assert!(flash(&s).contains("copied https://runbooks.example/latency"));
        } else {
            assert!(fx.is_empty(), "{url:?}");
            assert!(flash(&s).contains("not copied") && !flash(&s).contains('\x1b'));
        }
    }
    assert!(is_safe_link("http://a.example/x?y=1"));
    assert!(!is_safe_link("https://a b"));
    assert!(!is_safe_link(&format!("https://{}", "a".repeat(3000))));
}

#[test]
fn the_runbooks_pane_shows_the_runbook_url_inert() {
    for (url, shown) in [
        ("https://runbooks.example/latency", "o https://runbooks.example/latency"),
        ("https://x/\x1b]52;c;eA==\x07y", "o https://x/y"),
    ] {
        let mut view = fixture::view();
        for a in view.alerts.values_mut() {
            a.alert.annotations.insert("runbook_url".into(), url.to_string());
        }
        let mut s = State::new(Theme::default(), Keymap::defaults(), runbooks(), false);
        update(&mut s, Msg::View(Arc::new(view)));
        update(&mut s, Msg::Resize(120, 40));
        let text = screen(&s, 120, 40);
        assert!(text.contains(shown), "{url:?}\n{text}");
        assert!(!text.contains('\x1b'));
    }
}

#[test]
fn a_safe_runbook_url_is_reported_as_a_hyperlink_over_its_own_cells() {
    let url = "https://runbooks.example/latency?x=1;y=2";
    let mut view = fixture::view();
    for a in view.alerts.values_mut() {
        a.alert.annotations.insert("runbook_url".into(), url.to_string());
    }
    let mut s = State::new(Theme::default(), Keymap::defaults(), runbooks(), false);
    update(&mut s, Msg::View(Arc::new(view.clone())));
    update(&mut s, Msg::Resize(120, 40));
    let draw = |s: &State| {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        let mut links = Vec::new();
        term.draw(|f| links = crate::ui::render_with_links(f, s, &s.theme)).unwrap();
        (links, term.backend().buffer().clone())
    };
    let (links, buf) = draw(&s);
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].url, url);
    let a = links[0].area;
    let cells: String = (a.left()..a.right()).map(|x| buf[(x, a.y)].symbol()).collect();
    assert_eq!(cells, url, "the link covers exactly the URL text");
    // Covered by the help overlay: nothing is clickable.
    ch(&mut s, '?');
    assert!(draw(&s).0.is_empty());
    key(&mut s, KeyCode::Esc);
    assert_eq!(draw(&s).0.len(), 1);
    // A link that is not plain http(s) is shown inert and never linked.
    for a in view.alerts.values_mut() {
        a.alert.annotations.insert("runbook_url".into(), "file:///etc/passwd".into());
    }
    update(&mut s, Msg::View(Arc::new(view)));
    assert!(draw(&s).0.is_empty());
}
