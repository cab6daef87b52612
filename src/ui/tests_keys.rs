//! Rendering of what the keys promise: the help overlay whole at every
//! width, footers that offer only keys that act, the command line's cursor
//! and horizontal scroll, and the second-look dialog.

use crate::app::fixture::typed;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

use super::render;
use crate::app::command::COMMANDS;
use crate::app::{Action, Msg, State, fixture, update};

fn draw(state: &State, w: u16, h: u16) -> Buffer {
    let mut s = state.clone();
    s.size = (w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, &s, &s.theme)).unwrap();
    term.backend().buffer().clone()
}

fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn key(s: &mut State, code: KeyCode, mods: KeyModifiers) {
    update(s, Msg::Key(KeyEvent::new(code, mods)));
}

/// Every line the help overlay shows while scrolling from top to bottom.
fn help_text(s: &mut State, w: u16, h: u16) -> String {
    s.size = (w, h);
    update(s, Msg::Action(Action::Help));
    let mut seen = String::new();
    for _ in 0..200 {
        for r in rows(&draw(s, w, h)) {
            seen.push_str(&r);
            seen.push('\n');
        }
        let before = s.cursors.help_scroll;
        update(s, Msg::Action(Action::Down));
        if s.cursors.help_scroll == before {
            break;
        }
    }
    update(s, Msg::Action(Action::Back));
    seen
}

#[test]
fn help_shows_every_command_and_key_whole_at_80_and_200_columns() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut s = fixture::state();
        let seen = help_text(&mut s, w, h);
        // Joined across wrapped lines, each text reads whole.
        let flat: String = seen
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '┃' || c == '│' || c.is_whitespace()))
            .map(|l| l.split("  ").last().unwrap_or(l).trim().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        for c in COMMANDS {
            assert!(seen.contains(c.usage), "{w}x{h}: help lacks {}", c.usage);
            assert!(flat.contains(c.help), "{w}x{h}: help cuts \"{}\"", c.help);
        }
        for a in [Action::KillRun, Action::CopyLink, Action::ToggleResolved, Action::Confirm] {
            assert!(flat.contains(a.describe()), "{w}x{h}: help lacks {}", a.describe());
        }
        assert!(seen.contains('\u{21bb}') && flat.contains("flapping"), "↻ is explained");
        assert!(!seen.contains('\u{2026}'), "{w}x{h}: nothing in help is cut:\n{seen}");
    }
    // At 200 columns the overlay uses the room (it was stuck at 76).
    let mut s = fixture::state();
    s.size = (200, 50);
    update(&mut s, Msg::Action(Action::Help));
    let top = rows(&draw(&s, 200, 50));
    let border = top.iter().find(|r| r.contains("Help")).unwrap();
    assert!(
        border.chars().filter(|c| *c == '━' || *c == '┏' || *c == '┓').count() > 80,
        "{border}"
    );
}

#[test]
fn q_in_help_closes_help_and_ctrl_c_still_quits() {
    let mut s = fixture::state();
    update(&mut s, Msg::Action(Action::Help));
    let fx = update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
    assert!(fx.is_empty() && !s.help_open, "{fx:?}");
    update(&mut s, Msg::Action(Action::Help));
    let fx = update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert_eq!(fx, vec![crate::app::Effect::Quit]);
}

fn footer(s: &State) -> String {
    rows(&draw(s, 120, 30)).pop().unwrap_or_default()
}

#[test]
fn list_footers_offer_only_the_keys_that_act_there() {
    let mut s = fixture::state();
    for (cmd, want, not) in [
        ("silences", &["extend", "expire", "close"][..], &["retry"][..]),
        ("sources", &["retry", "close"], &["extend", "expire"]),
        ("anomalies", &["move", "close"], &["extend", "expire", "retry"]),
        ("forecasts", &["move", "close"], &["extend", "expire", "retry"]),
    ] {
        update(&mut s, Msg::Action(Action::Command));
        typed(&mut s, cmd);
        update(&mut s, Msg::Action(Action::Submit));
        let f = footer(&s);
        for w in want {
            assert!(f.contains(w), ":{cmd} footer lacks {w}: {f}");
        }
        for w in not {
            assert!(!f.contains(w), ":{cmd} footer offers {w}: {f}");
        }
        update(&mut s, Msg::Action(Action::Back));
    }
}

#[test]
fn completion_hints_name_every_candidate_without_gaps() {
    let mut s = fixture::state();
    update(&mut s, Msg::Action(Action::Command));
    typed(&mut s, "s");
    update(&mut s, Msg::Action(Action::Complete));
    let f = footer(&s);
    assert!(f.contains("[sort silence silences sources]"), "{f}");
    assert!(!f.contains("[ ") && !f.contains("  ]") && !f.contains("  s"), "{f}");
}

#[test]
fn the_command_line_scrolls_around_its_cursor_and_shows_it() {
    let mut s = fixture::state();
    s.caps.can_write = true;
    update(&mut s, Msg::Action(Action::Silence));
    let line = s.command.clone();
    assert!(line.len() > 80, "the prefill is long: {line}");
    // The cursor starts at the end: the comment is being typed.
    let f = rows(&draw(&s, 80, 24)).pop().unwrap_or_default();
    assert!(f.contains("-- ") && f.starts_with(":\u{2026}"), "{f}");
    // Home: the first matchers are on screen, the cursor on the `s`.
    key(&mut s, KeyCode::Home, KeyModifiers::NONE);
    let buf = draw(&s, 80, 24);
    let f = rows(&buf).pop().unwrap_or_default();
    assert!(f.starts_with(":silence alertname="), "{f}");
    let cell = &buf[(1, 23)];
    assert_eq!(cell.symbol(), "s");
    assert!(cell.modifier.contains(Modifier::REVERSED), "the cursor is drawn");
    // Edit the first matcher in place: word right, delete the word, retype.
    key(&mut s, KeyCode::Char('f'), KeyModifiers::ALT);
    key(&mut s, KeyCode::Right, KeyModifiers::NONE);
    key(&mut s, KeyCode::Char('k'), KeyModifiers::CONTROL);
    typed(&mut s, "alertname=\"X\"");
    assert_eq!(s.command, "silence alertname=\"X\"");
}

#[test]
fn a_risky_key_shows_what_it_will_do_and_which_keys_decide() {
    let mut s = fixture::state();
    s.caps.can_regroup = true;
    update(&mut s, Msg::Action(Action::Mark));
    update(&mut s, Msg::Action(Action::Mark));
    update(&mut s, Msg::Action(Action::Up));
    update(&mut s, Msg::Action(Action::Merge));
    let screen = rows(&draw(&s, 80, 24)).join("\n");
    assert!(screen.contains("Merge incidents"), "{screen}");
    assert!(screen.contains("merge I-3f2a into I-77b0"), "{screen}");
    assert!(screen.contains("Enter merge") && screen.contains("Esc cancel"), "{screen}");
}

/// WCAG contrast of an sRGB colour against white.
fn contrast_on_white(c: ratatui::style::Color) -> f64 {
    use ratatui::style::Color;
    let (r, g, b) = match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Black => (0, 0, 0),
        Color::Blue => (0, 0, 238),
        Color::Red => (205, 0, 0),
        Color::DarkGray => (127, 127, 127),
        Color::Gray => (229, 229, 229),
        Color::Magenta => (205, 0, 205),
        other => panic!("add {other:?} to the contrast table"),
    };
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.039_28 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    let l = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    1.05 / (l + 0.05)
}

#[test]
fn the_light_theme_draws_every_row_text_readable_on_white() {
    use crate::theme::{Role, Theme};
    let t = Theme::load("light", None).unwrap();
    for role in [
        Role::Text,
        Role::TextDim,
        Role::StateQuiet,
        Role::StateResolved,
        Role::Evidence,
        Role::Footer,
    ] {
        let fg = t.style(role).fg.unwrap_or_else(|| panic!("{role:?} has no colour"));
        let c = contrast_on_white(fg);
        assert!(c >= 4.5, "{role:?} {fg:?}: contrast {c:.1} on white");
    }
}

#[test]
fn paging_through_help_skips_no_line() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut s = fixture::state();
        s.size = (w, h);
        update(&mut s, Msg::Action(Action::Help));
        let mut pages: Vec<Vec<String>> = Vec::new();
        for _ in 0..50 {
            let r = rows(&draw(&s, w, h));
            let top = r.iter().position(|l| l.contains("Help")).unwrap();
            let x0 = r[top].chars().position(|c| c == '┏').unwrap();
            let x1 = r[top].chars().position(|c| c == '┓').unwrap();
            let page: Vec<String> = r[top + 1..]
                .iter()
                .map(|l| l.chars().skip(x0 + 1).take(x1 - x0 - 1).collect::<String>())
                .take_while(|l| !l.starts_with('━'))
                .collect();
            if pages.last() == Some(&page) {
                break;
            }
            pages.push(page);
            update(&mut s, Msg::Action(Action::PageDown));
        }
        let seen: Vec<&String> = pages.iter().flatten().collect();
        for d in ["copy the equivalent amtool commands", "quit quell", "Glyphs"] {
            assert!(seen.iter().any(|l| l.contains(d)), "{w}x{h}: paging skipped {d}");
        }
    }
}
