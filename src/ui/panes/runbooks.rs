//! Runbooks that apply to the selected incident (their matchers hold for
//! at least one of its alerts), with the key that opens their confirmation
//! dialog, and a mark on the ones running for this incident.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use crate::app::{Pane, State};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::Hyperlink;
use crate::ui::text::{cols, scroll_to};

/// Returns where the `runbook_url` was drawn when it is a safe http(s)
/// link, for the terminal to make it clickable (OSC 8).
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Option<Hyperlink> {
    let focused = state.focus == Pane::Runbooks;
    let offered = state.offered_runbooks();
    let withheld = state.applicable_runbooks().len() - offered.len();
    let mut title = vec![Span::raw(format!("Runbooks {}", offered.len()))];
    if withheld > 0 {
        title.push(Span::styled(
            format!(" \u{00b7} {withheld} withheld: read-only"),
            theme.style(Role::TextDim),
        ));
    }
    let b = block(title, focused, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return None;
    }
    let dim = theme.style(Role::TextDim);
    // The alert's `runbook_url` on the last row (`o` copies http(s) ones).
    let link = crate::app::runbook_flow::runbook_link(state);
    let mut hyperlink = None;
    let inner = match &link {
        Some(url) if inner.height >= 2 => {
            let row = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
            let shown = sanitize::clean_line(url, usize::from(row.width).saturating_sub(2));
            if crate::app::runbook_flow::is_safe_link(url) && row.width > 2 {
                let width = u16::try_from(unicode_width::UnicodeWidthStr::width(shown.as_str()))
                    .unwrap_or(u16::MAX)
                    .min(row.width - 2);
                hyperlink =
                    Some(Hyperlink { area: Rect { x: row.x + 2, width, ..row }, url: url.clone() });
            }
            let key = state
                .keymap
                .first_label(crate::app::keymap::Context::Main, crate::app::Action::CopyLink)
                .unwrap_or_default();
            let line = Line::from(vec![
                Span::styled(format!("{key} "), theme.style(Role::FooterKey)),
                Span::styled(shown, theme.style(Role::Evidence)),
            ]);
            frame.render_widget(Paragraph::new(line), row);
            Rect { height: inner.height - 1, ..inner }
        }
        _ => inner,
    };
    if offered.is_empty() {
        let msg = if state.runbooks.is_empty() {
            "no runbooks configured"
        } else if withheld > 0 {
            "read-only: none of these is declared read_only_safe"
        } else {
            "no runbook applies"
        };
        frame.render_widget(Paragraph::new(msg).style(dim), inner);
        return hyperlink;
    }
    let width = cols(inner.width);
    let height = usize::from(inner.height);
    let first = scroll_to(state.cursors.runbooks, height, offered.len());
    let lines: Vec<Line> =
        offered
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .map(|(i, (key, rb))| {
                let selected = focused && i == state.cursors.runbooks;
                let text = theme.style(if selected { Role::Selection } else { Role::Text });
                let mut spans = vec![
                    Span::styled(format!("{key} "), theme.style(Role::FooterKey)),
                    Span::styled(
                        sanitize::clean_line(
                            &rb.title,
                            width.saturating_sub(if rb.dangerous { 12 } else { 2 }),
                        ),
                        text,
                    ),
                ];
                if rb.dangerous {
                    spans.push(Span::styled(" dangerous", theme.style(Role::FlashError)));
                }
                let incident = state.selected_incident().map(|i| i.id.0.as_str());
                if state.runbook_flow.running().any(|r| {
                    r.plan.runbook_id == rb.id && Some(r.plan.incident.as_str()) == incident
                }) {
                    spans.push(Span::styled(" \u{25b6} running", theme.style(Role::FlashInfo)));
                }
                Line::from(spans)
            })
            .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    hyperlink
}
