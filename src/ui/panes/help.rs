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

/// Width of the key column; longer keys (command usages) take their own line.
const KEY_COL: usize = 16;
/// The overlay never grows wider than this: longer lines are hard to read.
const MAX_WIDTH: u16 = 120;

/// How far the help can scroll: until its last line is at the bottom.
#[must_use]
pub fn content_len(state: &State) -> usize {
    let (w, h) = state.size;
    let body = crate::ui::layout::areas(Rect::new(0, 0, w, h), state.visible.len()).body;
    let len = lines(&state.keymap, None, inner_width(body)).len();
    let inner = usize::from(popup(body, len).height.saturating_sub(2));
    len.saturating_sub(inner) + 1
}

/// Lines the overlay shows at once: what one page of scrolling moves.
#[must_use]
pub fn visible_rows(state: &State) -> usize {
    let (w, h) = state.size;
    let body = crate::ui::layout::areas(Rect::new(0, 0, w, h), state.visible.len()).body;
    let len = lines(&state.keymap, None, inner_width(body)).len();
    usize::from(popup(body, len).height.saturating_sub(2)).max(1)
}

/// Text columns inside the overlay for a body area.
fn inner_width(body: Rect) -> usize {
    usize::from(body.width.saturating_sub(4).min(MAX_WIDTH).saturating_sub(2))
}

/// The overlay's rectangle: centred, as wide as the screen allows (up to
/// [`MAX_WIDTH`]), as tall as needed.
fn popup(area: Rect, len: usize) -> Rect {
    let w = area.width.saturating_sub(4).min(MAX_WIDTH);
    let h = u16::try_from(len + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    crate::ui::popup(area, w, h)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let all = lines(&state.keymap, Some(theme), inner_width(area));
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

/// Glyphs the panes draw, explained.
const GLYPHS: &[(&str, &str)] = &[
    ("\u{25b6}", "the cursor: the selected row"),
    ("*", "a marked row (space); a, A, m act on every marked incident"),
    ("\u{21bb}", "before a title: one of its alerts is flapping (firing and resolving)"),
    ("\u{2713} acked", "acknowledged: an ack silence exists on the cluster"),
    ("unconfirmed", "no source reports it, not confirmed resolved (a replica down or settling)"),
    ("ending", "its rule engine says it is over; Alertmanager holds it until its lease ends"),
    ("suspected", "anomalies without an alert yet; an alert incident takes over"),
    ("sim / wall", "which clock a screen shows: the demo's simulated time or real time"),
];

fn lines<'a>(keymap: &Keymap, theme: Option<&Theme>, width: usize) -> Vec<Line<'a>> {
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
                        out.extend(entry(&keys_text(&all), action.describe(), &st, width));
                    }
                }
                continue;
            }
            if !keys.is_empty() {
                out.extend(entry(&keys_text(keys), action.describe(), &st, width));
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
            out.extend(entry("", c.help, &st, width));
        } else {
            out.extend(entry(c.usage, c.help, &st, width));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Glyphs", st(Role::Title)));
    for (glyph, what) in GLYPHS {
        out.extend(entry(glyph, what, &st, width));
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

/// One help entry: keys in their column, the text wrapped beside them so
/// nothing is cut at any width.
fn entry<'a>(
    keys: &str,
    what: &str,
    st: &dyn Fn(Role) -> ratatui::style::Style,
    width: usize,
) -> Vec<Line<'a>> {
    let keys = crate::ui::text::cell(keys, KEY_COL);
    let text_w = width.saturating_sub(KEY_COL + 3).max(10);
    let indent = " ".repeat(KEY_COL + 2);
    crate::ui::text::wrap(what, text_w, usize::MAX)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let head = if i == 0 {
                Span::styled(keys.clone(), st(Role::FooterKey))
            } else {
                Span::raw(indent.get(2..).unwrap_or_default().to_string())
            };
            Line::from(vec![
                Span::raw("  "),
                head,
                Span::styled(format!(" {part}"), st(Role::Help)),
            ])
        })
        .collect()
}
