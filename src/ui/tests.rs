//! Rendering tests: whole screens drawn into `TestBackend` from the fixture
//! view, compared with insta snapshots (layout and text), plus explicit
//! style assertions (snapshots are colour-blind) and hostile-input checks.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::render;
use crate::app::{Msg, State, fixture, update};
use crate::theme::{Role, Theme};

fn draw(state: &State, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, theme)).unwrap();
    term.backend().buffer().clone()
}

/// A drawn buffer as text, one line per row (shared by the render tests).
pub(crate) fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn keys(state: &mut State, ks: &str) {
    for c in ks.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

/// Every cell's symbol is inert: no ESC, BEL, other controls or bidi marks.
pub(crate) fn assert_inert(buf: &Buffer) {
    for cell in &buf.content {
        for c in cell.symbol().chars() {
            assert!(!c.is_control(), "control {:#x} on screen", c as u32);
            assert!(!crate::sanitize::is_bidi_control(c), "bidi on screen");
        }
    }
}

/// Position of the first occurrence of `needle` on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let first = needle.chars().next()?.to_string();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let matches = needle.chars().enumerate().all(|(i, c)| {
                x + (i as u16) < buf.area.width && buf[(x + i as u16, y)].symbol() == c.to_string()
            });
            if buf[(x, y)].symbol() == first && matches {
                return Some((x, y));
            }
        }
    }
    None
}

#[test]
fn main_screen_80x24() {
    let s = fixture::state();
    let buf = draw(&s, &s.theme, 80, 24);
    assert_inert(&buf);
    insta::assert_snapshot!("main_80x24", text(&buf));
}

#[test]
fn main_screen_200x50() {
    let s = fixture::state();
    let buf = draw(&s, &s.theme, 200, 50);
    assert_inert(&buf);
    insta::assert_snapshot!("main_200x50", text(&buf));
}

#[test]
fn an_alert_with_no_chart_says_so_in_whole_words_at_any_width() {
    let mut s = fixture::state();
    let view = std::sync::Arc::make_mut(&mut s.view);
    for a in view.alerts.values_mut() {
        a.spark.clear();
    }
    let narrow = text(&draw(&s, &s.theme, 80, 24));
    assert!(!narrow.contains("no char"), "{narrow}");
    assert!(narrow.contains("\u{2014}"), "{narrow}");
    let wide = text(&draw(&s, &s.theme, 200, 50));
    assert!(wide.contains("no chart"), "{wide}");
}

#[test]
fn alerts_their_rule_engine_says_are_over_read_ending() {
    use crate::model::AlertState;
    let mut s = fixture::state();
    let firing = |t: &str| -> usize {
        let head = t.lines().next().unwrap_or_default();
        let n = head.split(" firing").next().and_then(|x| x.rsplit(' ').next());
        n.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {head}"))
    };
    let before = text(&draw(&s, &s.theme, 200, 50));
    assert!(!before.contains("ending"), "{before}");
    let fps = s.selected_incident().expect("an incident").alerts.clone();
    let now = s.view.now;
    let view = std::sync::Arc::make_mut(&mut s.view);
    let mut ended = 0;
    for fp in &fps {
        let Some(a) = view.alerts.get_mut(fp) else { continue };
        if a.alert.state.is_active() {
            a.alert.rule_ended = Some(now - 30_000);
            ended += usize::from(a.alert.state == AlertState::Firing);
        }
    }
    assert!(ended > 0, "the fixture's incident has firing alerts");
    let after = text(&draw(&s, &s.theme, 200, 50));
    assert_eq!(firing(&after), firing(&before) - ended, "not counted as firing:\n{after}");
    let row = after.lines().find(|l| l.contains('\u{25b6}')).expect("selected row");
    assert!(row.contains("ending "), "the incident's title is marked:\n{row}");
    let rows = after.lines().filter(|l| l.contains(" ending ")).count();
    assert!(rows > ended, "each ended alert's row says so:\n{after}");
    // Its detail says since when, and that Alertmanager still holds it.
    keys(&mut s, "\n\n");
    let t = text(&draw(&s, &s.theme, 200, 50));
    let since = crate::model::format_clock(now - 30_000);
    assert!(t.contains(&format!("no longer reports it since {since}")), "{t}");
}

#[test]
fn alert_detail_with_hostile_labels() {
    let mut s = fixture::state();
    // Alerts pane, second alert (ErrorBudgetBurn, whose pod label is hostile).
    keys(&mut s, "\nj\n");
    assert!(s.drill.is_some());
    for (w, h) in [(80, 24), (200, 50)] {
        let buf = draw(&s, &s.theme, w, h);
        assert_inert(&buf);
        let t = text(&buf);
        assert!(t.contains("pod-7"), "label value shown, sanitized");
        assert!(!t.contains("cm0gLXJmIH4"), "OSC 52 payload never shown");
        if w == 80 {
            insta::assert_snapshot!("alert_detail_80x24", t);
        }
    }
}

#[test]
fn help_overlay_lists_the_keymap() {
    let mut s = fixture::state();
    keys(&mut s, "?");
    let buf = draw(&s, &s.theme, 80, 24);
    let t = text(&buf);
    insta::assert_snapshot!("help_80x24", t);
    keys(&mut s, "G");
    let bottom = text(&draw(&s, &s.theme, 80, 24));
    assert!(
        bottom.contains("Severity") && bottom.contains("◆ CRIT"),
        "G shows the end of help:\n{bottom}"
    );
    keys(&mut s, "g");
    let big = text(&draw(&s, &s.theme, 200, 120));
    for line in [
        "move down",
        "fuzzy filter incidents",
        ":theme NAME",
        "ctrl-c",
        "run the runbook",
        "expire the selected silence",
        ":silence MATCHER",
    ] {
        let shown = line.replace("ctrl-c", "^c");
        assert!(big.contains(&shown), "help lacks {shown}");
    }
}

#[test]
fn help_and_footer_follow_key_overrides() {
    let mut s = fixture::state();
    let map =
        [("quit".to_string(), vec!["z".to_string()]), ("help".to_string(), vec!["f2".to_string()])]
            .into_iter()
            .collect();
    s.keymap = crate::app::keymap::Keymap::with_overrides(&map).unwrap();
    let t = text(&draw(&s, &s.theme, 120, 30));
    assert!(t.contains("z quit") && t.contains("F2 help"), "{t}");
    assert!(!t.contains("q quit"));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE)));
    let t = text(&draw(&s, &s.theme, 120, 40));
    assert!(t.contains("z ") && t.contains("quit quell"));
}

#[test]
fn filter_and_command_lines_show_in_the_footer() {
    let mut s = fixture::state();
    keys(&mut s, "/disk");
    let t = text(&draw(&s, &s.theme, 80, 24));
    insta::assert_snapshot!("filter_80x24", t);
    keys(&mut s, "\n:sort a\t");
    let t = text(&draw(&s, &s.theme, 80, 24));
    assert!(t.contains(":sort a") && t.contains("[age alerts]"), "{t}");
}

#[test]
fn waiting_and_too_small_screens() {
    let s = State::new(Theme::default(), Default::default(), Vec::new(), false);
    let t = text(&draw(&s, &s.theme, 80, 24));
    assert!(t.contains("waiting for data"));
    let t = text(&draw(&fixture::state(), &s.theme, 79, 24));
    assert!(t.contains("terminal too small (need 80×24, have 79×24)"), "{t}");
}

#[test]
fn never_panics_at_any_size() {
    let mut s = fixture::state();
    for setup in ["", "?", "\nj\n", "/x", ":th"] {
        keys(&mut s, "\x1b\x1b\x1b");
        keys(&mut s, setup);
        for (w, h) in [
            (0, 0),
            (1, 1),
            (10, 3),
            (79, 23),
            (80, 24),
            (81, 25),
            (120, 24),
            (80, 200),
            (1000, 1000),
        ] {
            update(&mut s, Msg::Resize(w, h));
            assert_inert(&draw(&s, &s.theme, w, h));
        }
    }
}

#[test]
fn severity_has_theme_colour_and_reads_without_it() {
    let s = fixture::state();
    let dark = Theme::load("dark", None).unwrap();
    let buf = draw(&s, &dark, 80, 24);
    let crit = dark.style(Role::SeverityCritical).fg;
    assert!(crit.is_some());
    let (x, y) = find(&buf, "CRIT").unwrap();
    assert_eq!(buf[(x, y)].fg, crit.unwrap());
    let (x, y) = find(&buf, "WARN").unwrap();
    assert_eq!(buf[(x, y)].fg, dark.style(Role::SeverityWarning).fg.unwrap());

    let mono = Theme::load("monochrome", None).unwrap();
    let buf = draw(&s, &mono, 80, 24);
    let (x, y) = find(&buf, "◆ CRIT").expect("glyph and word without colour");
    assert_eq!(buf[(x, y)].fg, Color::Reset);
    assert!(find(&buf, "● WARN").is_some());
    for cell in &buf.content {
        assert!(cell.fg == Color::Reset && cell.bg == Color::Reset, "monochrome draws colour");
    }
}

#[test]
fn low_confidence_is_said_plainly() {
    let s = fixture::state();
    let buf = draw(&s, &s.theme, 200, 50);
    let (x, y) = find(&buf, "low confidence").unwrap();
    assert_eq!(buf[(x, y)].fg, s.theme.style(Role::ConfidenceLow).fg.unwrap());
    assert!(find(&buf, "deploy postgres").is_some());
}

#[test]
fn focus_is_visible_on_the_border() {
    let mut s = fixture::state();
    keys(&mut s, "\t");
    let buf = draw(&s, &s.theme, 80, 24);
    let a = super::layout::areas(buf.area, s.visible.len());
    let focused = s.theme.style(Role::BorderFocused).fg.unwrap();
    assert_eq!(buf[(a.detail.x, a.detail.y)].fg, focused);
    assert_eq!(buf[(a.detail.x, a.detail.y)].symbol(), "┏");
    assert_ne!(buf[(a.incidents.x, a.incidents.y)].fg, focused);
}

#[test]
fn a_suspected_incident_says_so_in_its_row_and_its_causes() {
    use crate::engine::suspect::Suspects;
    use crate::model::{AnomalyEvent, SeriesKey, Signal};
    let mut view = crate::app::fixture::view();
    let store = crate::store::Store::new(crate::store::StoreLimits::default());
    let ev = |ts| AnomalyEvent {
        series: SeriesKey("warehouse-db:p99".into()),
        service: Some("warehouse-db".into()),
        signal: Signal::LatencyP99,
        ts,
        value: 0.4,
        score: 0.93,
        kind: "shift".into(),
        instance: None,
    };
    let now = view.now;
    let evs = [ev(now - 60_000), ev(now - 30_000)];
    let topo = crate::model::Topology::new();
    let suspected = Suspects::default().update(
        evs.iter(),
        &crate::engine::suspect::watch::Watch::default(),
        &[],
        &store,
        &topo,
        now,
    );
    assert_eq!(suspected.len(), 1);
    view.incidents.insert(0, suspected[0].clone());
    let mut s = State::new(Theme::default(), crate::app::keymap::Keymap::defaults(), vec![], false);
    update(&mut s, Msg::View(std::sync::Arc::new(view)));
    s.sort = crate::app::SortOrder::Age;
    update(&mut s, Msg::Resize(120, 40));
    // Find its row and select it.
    for _ in 0..20 {
        if s.selected_incident().is_some_and(|i| i.id.is_suspected()) {
            break;
        }
        update(&mut s, Msg::Action(crate::app::Action::Down));
    }
    assert!(s.selected_incident().is_some_and(|i| i.id.is_suspected()));
    let t = text(&draw(&s, &s.theme, 120, 40));
    assert!(t.contains("○ INFO suspected: p99 latency anomaly on warehouse-db"), "{t}");
    assert!(t.contains("suspected "), "the alert count column says suspected:\n{t}");
    assert!(t.contains("no alert has fired"), "the evidence says where it comes from:\n{t}");
    assert!(t.contains("no alerts: suspected from anomalies (metrics, logs, spans)"), "{t}");
}

#[test]
fn anomalies_list_names_the_instance_and_dims_the_weak_ones() {
    use crate::model::{AnomalyEvent, SeriesKey, Signal};
    let mut view = fixture::view();
    let ev = |instance: Option<&str>, score| AnomalyEvent {
        series: SeriesKey(format!("p99{{instance={instance:?}}}").into()),
        service: Some("ingress".into()),
        signal: Signal::LatencyP99,
        ts: view.now,
        value: 0.138,
        score,
        kind: "shift".into(),
        instance: instance.map(str::to_string),
    };
    view.anomalies = vec![
        ev(Some("ingress-0:8080"), 0.95),
        ev(Some("ingress-1:8080\x1b[2J\u{202e}"), 0.58),
        ev(None, 0.75),
    ];
    let mut s = State::new(Theme::default(), crate::app::keymap::Keymap::defaults(), vec![], false);
    update(&mut s, Msg::View(std::sync::Arc::new(view)));
    update(&mut s, Msg::Resize(120, 30));
    keys(&mut s, ":anomalies\n");
    let buf = draw(&s, &s.theme, 120, 30);
    let t = text(&buf);
    assert!(t.contains("Anomalies 3"), "{t}");
    assert!(t.contains("on ingress-0:8080"), "{t}");
    assert!(t.contains("on ingress-1:8080"), "{t}");
    assert!(!t.contains('\x1b') && !t.contains('\u{202e}'), "label bytes are sanitized:\n{t}");
    // The weak one (row 2 of the list) is drawn dim, the strong one is not.
    let row_of = |needle: &str| {
        t.lines().position(|l| l.contains(needle)).and_then(|y| u16::try_from(y).ok())
    };
    let col = |y: u16| {
        let x = (0..buf.area.width).find(|&x| buf[(x, y)].symbol() == "s").unwrap_or(0);
        buf[(x, y)].fg
    };
    let dim = s.theme.style(Role::TextDim).fg.unwrap_or(Color::Reset);
    let weak = row_of("on ingress-1:8080").expect("weak row");
    assert_eq!(col(weak), dim, "{t}");
    let plain = row_of("score 0.75").expect("plain row");
    assert_ne!(col(plain), dim, "{t}");
}
