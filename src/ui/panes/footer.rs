//! The footer line: key hints generated from the keymap (or the filter /
//! command line being typed), and the flash message on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap::Context;
use crate::app::{Action, FlashKind, Mode, Overlay, State, context};
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Footer hints per situation: (actions sharing one hint, label). Only
/// keys that do something where the user is are offered.
fn hints(state: &State) -> Vec<(&'static [Action], &'static str)> {
    match (context(state), state.mode) {
        (Context::Dialog, _) => {
            let verb = state.pending.as_ref().map_or("run", |p| p.describe().2);
            vec![(&[Action::Confirm], verb), (&[Action::Back], "cancel")]
        }
        (Context::Input, Mode::Command) => vec![
            (&[Action::Submit], "run"),
            (&[Action::Complete], "complete"),
            (&[Action::HistoryPrev], "history"),
            (&[Action::Cancel], "cancel"),
        ],
        (Context::Input, _) => {
            vec![(&[Action::Submit], "keep filter"), (&[Action::Cancel], "clear")]
        }
        (Context::List, _) if state.runbook_flow.audit_open => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Read], "read"),
            (&[Action::Back], "close"),
        ],
        (Context::List, _) => match state.overlay {
            Some(Overlay::Silences) => vec![
                (&[Action::Down, Action::Up], "move"),
                (&[Action::Extend], "extend 1h"),
                (&[Action::Expire], "expire"),
                (&[Action::Read], "read"),
                (&[Action::Back], "close"),
            ],
            Some(Overlay::Sources) => vec![
                (&[Action::Down, Action::Up], "move"),
                (&[Action::Retry], "retry"),
                (&[Action::Read], "read"),
                (&[Action::Back], "close"),
            ],
            _ => vec![
                (&[Action::Down, Action::Up], "move"),
                (&[Action::Read], "read"),
                (&[Action::Back], "close"),
            ],
        },
        (Context::Help, _) => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Back], "close"),
            (&[Action::Quit], "quit"),
        ],
        (Context::Main, _) if state.drill.is_some() => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Back], "back"),
            (&[Action::Read], "read"),
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
            (&[Action::Read], "read whole"),
        ],
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let base = theme.style(Role::Footer);
    let width = usize::from(area.width);
    // While typing, the line being typed owns the footer.
    let flash = state.flash.as_ref().filter(|_| state.mode == Mode::Normal);
    // A message too long for the footer is drawn whole above it instead.
    // (Not over the reader: there it stays in the footer, cut.)
    let flash = flash.filter(|f| state.reader.is_some() || !overflows(&f.text, width)).map(|f| {
        let role = if f.kind == FlashKind::Error { Role::FlashError } else { Role::FlashInfo };
        let text = sanitize::clean_line(&format!(" {} ", f.text), flash_room(width));
        Span::styled(text, theme.style(role))
    });
    let flash_w = flash.as_ref().map_or(0, |s| sanitize::width(&s.content));
    let room = width.saturating_sub(flash_w + 1);

    let cur = state.input_cursor;
    let left = match state.mode {
        Mode::Filter if state.filtering_log_lines() => {
            input_line('/', &state.logs_filter, cur, "  log lines".into(), theme, room)
        }
        Mode::Filter => input_line('/', &state.filter, cur, matches(state), theme, room),
        Mode::Command => input_line(':', &state.command, cur, completions(state), theme, room),
        Mode::Normal => hint_line(state, theme, room),
    };
    let used: usize = left.iter().map(|s| sanitize::width(&s.content)).sum();
    let mut spans = left;
    spans.push(Span::styled(" ".repeat(width.saturating_sub(used + flash_w)), base));
    spans.extend(flash);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// Columns the footer gives a flash message.
fn flash_room(width: usize) -> usize {
    width.saturating_sub(10).max(width / 2)
}

fn overflows(text: &str, width: usize) -> bool {
    sanitize::width(&sanitize::clean(text)) + 2 > flash_room(width)
}

/// A flash message longer than the footer can hold, wrapped whole (up to
/// four lines) over the bottom of `body`, right above the footer. True
/// when it drew (the cells it covers can no longer be links).
pub fn render_overflow(frame: &mut Frame, body: Rect, state: &State, theme: &Theme) -> bool {
    let shown = state.mode == Mode::Normal && state.reader.is_none();
    let Some(f) = state.flash.as_ref().filter(|_| shown) else {
        return false;
    };
    let width = usize::from(body.width);
    if !overflows(&f.text, width) {
        return false;
    }
    let role = if f.kind == FlashKind::Error { Role::FlashError } else { Role::FlashInfo };
    let mut lines = crate::ui::text::wrap(&f.text, width.saturating_sub(2), 4);
    // Longer still: say where the whole message is.
    if lines.last().is_some_and(|l| l.ends_with('\u{2026}')) {
        lines.truncate(3);
        lines.push("\u{2026} (:messages shows it whole)".to_string());
    }
    let n = u16::try_from(lines.len()).unwrap_or(4).min(body.height);
    let area = Rect { y: body.y + body.height - n, height: n, ..body };
    frame.render_widget(ratatui::widgets::Clear, area);
    let text: Vec<Line> = lines.into_iter().map(|l| Line::raw(format!(" {l}"))).collect();
    frame.render_widget(Paragraph::new(text).style(theme.style(role)), area);
    true
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
        return match crate::app::silence::parse_silence(args, state.caps.silence_ms) {
            Ok(spec) => format!(
                "  matches {} active alert(s) now",
                crate::app::silence::preview_count(&state.view, &spec.groups)
            ),
            Err(e) => format!("  {e}"),
        };
    }
    match &state.completion {
        Some(c) if c.candidates.len() > 1 => {
            // The word each candidate completes ("theme " completes `theme`).
            let names: Vec<&str> =
                c.candidates.iter().map(|s| s.trim_end().rsplit(' ').next().unwrap_or(s)).collect();
            format!("  [{}]", names.join(" "))
        }
        _ => String::new(),
    }
}

/// The visible window of a line that is wider than `budget` columns:
/// (first char, end char), chosen so the cursor stays in view with room
/// for a `…` on each cut side.
fn window(widths: &[usize], cursor: usize, budget: usize) -> (usize, usize) {
    let total: usize = widths.iter().sum::<usize>() + 1;
    if total <= budget {
        return (0, widths.len());
    }
    let room = budget.saturating_sub(2).max(1);
    // The cursor cell (a char, or the block past the end) must fit.
    let cur_w = widths.get(cursor).copied().unwrap_or(1);
    let mut start = cursor.min(widths.len());
    let mut used = cur_w;
    while start > 0 && used + widths[start - 1] <= room / 2 {
        start -= 1;
        used += widths[start];
    }
    let mut end = (cursor + 1).min(widths.len());
    while end < widths.len() && used + widths[end] <= room {
        used += widths[end];
        end += 1;
    }
    while start > 0 && used + widths[start - 1] <= room {
        start -= 1;
        used += widths[start];
    }
    (start, end)
}

fn input_line<'a>(
    prompt: char,
    text: &str,
    cursor: usize,
    after: String,
    theme: &Theme,
    room: usize,
) -> Vec<Span<'a>> {
    let after_w = sanitize::width(&after);
    let text = sanitize::clean(text);
    let chars: Vec<char> = text.chars().collect();
    let widths: Vec<usize> =
        chars.iter().map(|c| unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0)).collect();
    let cursor = cursor.min(chars.len());
    let budget = room.saturating_sub(after_w + 1);
    let (start, end) = window(&widths, cursor, budget);
    let input = theme.style(Role::Input);
    let dim = theme.style(Role::TextDim);
    let mut spans = vec![Span::styled(prompt.to_string(), theme.style(Role::FooterKey))];
    if start > 0 {
        spans.push(Span::styled("\u{2026}", dim));
    }
    let before: String = chars[start..cursor].iter().collect();
    spans.push(Span::styled(before, input));
    // The cursor: the character under it in reverse video, or a block at
    // the end of the line.
    match chars.get(cursor).filter(|_| cursor < end) {
        Some(c) => spans.push(Span::styled(c.to_string(), input.add_modifier(Modifier::REVERSED))),
        None => spans.push(Span::styled("\u{2588}", input)),
    }
    if cursor < end {
        let rest: String = chars[cursor + 1..end].iter().collect();
        spans.push(Span::styled(rest, input));
    }
    if end < chars.len() {
        spans.push(Span::styled("\u{2026}", dim));
    }
    let used: usize = spans.iter().map(|s| sanitize::width(&s.content)).sum();
    spans.push(Span::styled(
        sanitize::truncate(&after, room.saturating_sub(used)).into_owned(),
        dim,
    ));
    spans
}
