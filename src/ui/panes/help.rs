//! The `?` help overlay, generated from the keymap and the command table so
//! that help, footer and behaviour can never disagree.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::app::command::COMMANDS;
use crate::app::keymap::{Context, KeySpec, Keymap};
use crate::app::{Action, State};
use crate::model::Severity;
use crate::theme::{Role, Theme};

const KEY_COL: usize = 16;

/// How far the help can scroll: until its last line is at the bottom.
#[must_use]
pub fn content_len(state: &State) -> usize {
    let len = lines(&state.keymap, None).len();
    let (w, h) = state.size;
    let body = crate::ui::layout::areas(Rect::new(0, 0, w, h), state.visible.len()).body;
    let inner = usize::from(popup(body, len).height.saturating_sub(2));
    len.saturating_sub(inner) + 1
}

/// The overlay's rectangle: centred, at most 76 wide, as tall as needed.
fn popup(area: Rect, len: usize) -> Rect {
    let w = area.width.saturating_sub(4).min(76);
    let h = u16::try_from(len + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let all = lines(&state.keymap, Some(theme));
    let popup = popup(area, all.len());
    frame.render_widget(Clear, popup);
    let km = &state.keymap;
    let label = |a| km.first_label(Context::Help, a).unwrap_or_default();
    let title = format!(
        "Help \u{00b7} {} closes \u{00b7} {}/{} scroll",
        label(Action::Back),
        label(Action::Down),
        label(Action::Up)
    );
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(popup);
    frame.render_widget(b.style(theme.style(Role::Help)), popup);
    let scroll = state.cursors.help_scroll.min(all.len().saturating_sub(usize::from(inner.height)));
    let shown: Vec<Line> = all.into_iter().skip(scroll).take(usize::from(inner.height)).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn keys_text(keys: &[KeySpec]) -> String {
    let labels: Vec<String> = keys.iter().map(KeySpec::label).collect();
    // A run of consecutive digits (the runbook keys) reads as `1–9`.
    let digits: Vec<u32> =
        labels.iter().filter_map(|l| l.parse::<u32>().ok().filter(|d| *d < 10)).collect();
    if labels.len() > 2
        && digits.len() == labels.len()
        && digits.windows(2).all(|w| w[1] == w[0] + 1)
    {
        return format!("{}\u{2013}{}", labels[0], labels[labels.len() - 1]);
    }
    labels.join(" ")
}

fn lines<'a>(keymap: &Keymap, theme: Option<&Theme>) -> Vec<Line<'a>> {
    let st = |r: Role| theme.map(|t| t.style(r)).unwrap_or_default();
    let mut out = Vec::new();
    for ctx in Context::ALL {
        out.push(Line::styled(format!("Keys: {}", ctx.name()), st(Role::Title)));
        let mut runbooks_listed = false;
        for (action, keys) in keymap.bindings(ctx) {
            // Nine runbook actions read better as one line.
            if let Action::Runbook(_) = action {
                if !runbooks_listed {
                    runbooks_listed = true;
                    let all: Vec<KeySpec> = keymap
                        .bindings(ctx)
                        .filter(|(a, _)| matches!(a, Action::Runbook(_)))
                        .flat_map(|(_, k)| k.iter().copied())
                        .collect();
                    if !all.is_empty() {
                        out.push(entry(&keys_text(&all), action.describe(), &st));
                    }
                }
                continue;
            }
            if !keys.is_empty() {
                out.push(entry(&keys_text(keys), action.describe(), &st));
            }
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled("Commands", st(Role::Title)));
    for c in COMMANDS {
        if crate::sanitize::width(c.usage) > KEY_COL {
            // A long usage gets its own line; its help goes under it.
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(c.usage.to_string(), st(Role::FooterKey)),
            ]));
            out.push(entry("", c.help, &st));
        } else {
            out.push(entry(c.usage, c.help, &st));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Severity", st(Role::Title)));
    let mut legend = vec![Span::raw("  ")];
    for s in
        [Severity::Critical, Severity::High, Severity::Warning, Severity::Info, Severity::Unknown]
    {
        legend.push(Span::styled(
            format!("{} {}", s.glyph(), s.word()),
            theme.map(|t| t.severity(s)).unwrap_or_default(),
        ));
        legend.push(Span::raw("  "));
    }
    out.push(Line::from(legend));
    out
}

fn entry<'a>(keys: &str, what: &str, st: &dyn Fn(Role) -> ratatui::style::Style) -> Line<'a> {
    let keys = crate::ui::text::cell(keys, KEY_COL);
    Line::from(vec![
        Span::raw("  "),
        Span::styled(keys, st(Role::FooterKey)),
        Span::styled(format!(" {what}"), st(Role::Help)),
    ])
}
