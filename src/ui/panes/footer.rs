//! The footer line: key hints generated from the keymap (or the filter /
//! command line being typed), and the flash message on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap::Context;
use crate::app::{Action, FlashKind, Mode, State, context};
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Footer hints per situation: (actions sharing one hint, label).
fn hints(state: &State) -> Vec<(&'static [Action], &'static str)> {
    match (context(state), state.mode) {
        (Context::Input, Mode::Command) => {
            vec![
                (&[Action::Submit], "run"),
                (&[Action::Complete], "complete"),
                (&[Action::Cancel], "cancel"),
            ]
        }
        (Context::Input, _) => {
            vec![(&[Action::Submit], "keep filter"), (&[Action::Cancel], "clear")]
        }
        (Context::List, _) => vec![
            (&[Action::Down, Action::Up], "move"),
            (&[Action::Extend], "extend 1h"),
            (&[Action::Expire], "expire"),
            (&[Action::Retry], "retry"),
            (&[Action::Back], "close"),
        ],
        (Context::Help, _) => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Back], "close"),
            (&[Action::Quit], "quit"),
        ],
        (Context::Main, _) if state.drill.is_some() => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Back], "back"),
            (&[Action::Help], "help"),
            (&[Action::Quit], "quit"),
        ],
        (Context::Main, _) => vec![
            (&[Action::Down, Action::Up], "move"),
            (&[Action::Enter], "open"),
            (&[Action::NextPane], "pane"),
            (&[Action::Filter], "filter"),
            (&[Action::Command], "cmd"),
            (&[Action::Mark], "mark"),
            (&[Action::Help], "help"),
            (&[Action::Quit], "quit"),
        ],
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let base = theme.style(Role::Footer);
    let width = usize::from(area.width);
    // While typing, the line being typed owns the footer.
    let flash = state.flash.as_ref().filter(|_| state.mode == Mode::Normal).map(|f| {
        let role = if f.kind == FlashKind::Error { Role::FlashError } else { Role::FlashInfo };
        let text =
            sanitize::clean_line(&format!(" {} ", f.text), width.saturating_sub(10).max(width / 2));
        Span::styled(text, theme.style(role))
    });
    let flash_w = flash.as_ref().map_or(0, |s| sanitize::width(&s.content));
    let room = width.saturating_sub(flash_w + 1);

    let left = match state.mode {
        Mode::Filter if state.filtering_log_lines() => {
            input_line('/', &state.logs_filter, "  log lines".into(), theme, room)
        }
        Mode::Filter => input_line('/', &state.filter, matches(state), theme, room),
        Mode::Command => input_line(':', &state.command, completions(state), theme, room),
        Mode::Normal => hint_line(state, theme, room),
    };
    let used: usize = left.iter().map(|s| sanitize::width(&s.content)).sum();
    let mut spans = left;
    spans.push(Span::styled(" ".repeat(width.saturating_sub(used + flash_w)), base));
    spans.extend(flash);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

fn hint_line<'a>(state: &State, theme: &Theme, room: usize) -> Vec<Span<'a>> {
    let ctx = context(state);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (actions, label) in hints(state) {
        let keys: Vec<String> =
            actions.iter().filter_map(|a| state.keymap.first_label(ctx, *a)).collect();
        if keys.is_empty() {
            continue;
        }
        let keys = keys.join("/");
        let w = sanitize::width(&keys) + 1 + label.len() + 2;
        if used + w > room {
            break;
        }
        used += w;
        spans.push(Span::styled(keys, theme.style(Role::FooterKey)));
        spans.push(Span::styled(format!(" {label}  "), theme.style(Role::Footer)));
    }
    spans
}

fn matches(state: &State) -> String {
    format!("  {} of {} incidents", state.visible.len(), state.view.incidents.len())
}

fn completions(state: &State) -> String {
    // The silence editor previews what it would silence before submitting.
    if let Some(args) = state.command.trim_start().strip_prefix("silence ") {
        return match crate::app::ack::parse_silence(args, state.silence_ms) {
            Ok(spec) => format!(
                "  matches {} active alert(s) now",
                crate::app::ack::preview_count(&state.view, &spec.matchers)
            ),
            Err(e) => format!("  {e}"),
        };
    }
    match &state.completion {
        Some(c) if c.candidates.len() > 1 => {
            let names: Vec<&str> =
                c.candidates.iter().map(|s| s.rsplit(' ').next().unwrap_or(s)).collect();
            format!("  [{}]", names.join(" "))
        }
        _ => String::new(),
    }
}

fn input_line<'a>(
    prompt: char,
    text: &str,
    after: String,
    theme: &Theme,
    room: usize,
) -> Vec<Span<'a>> {
    let after_w = sanitize::width(&after);
    let text = sanitize::clean(text);
    // Keep the end of a long line visible: that is where the typing happens.
    let budget = room.saturating_sub(after_w + 3);
    let w = sanitize::width(&text);
    let shown: String = if w > budget {
        let mut acc = String::new();
        let mut aw = 0;
        for c in text.chars().rev() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if aw + cw + 1 > budget {
                break;
            }
            aw += cw;
            acc.insert(0, c);
        }
        format!("\u{2026}{acc}")
    } else {
        text.into_owned()
    };
    vec![
        Span::styled(prompt.to_string(), theme.style(Role::FooterKey)),
        Span::styled(shown, theme.style(Role::Input)),
        Span::styled("\u{2588}", theme.style(Role::Input)),
        Span::styled(
            sanitize::truncate(&after, room.saturating_sub(2)).into_owned(),
            theme.style(Role::TextDim),
        ),
    ]
}
