//! The `:audit` overlay: the runbook audit log, newest first, one line per
//! entry (time, event, runbook, who, incident, outcome or reason, argv).
//! Every field came from a file others could have influenced (label values
//! end up in argv), so each is sanitized.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::Action;
use crate::app::keymap::{Context, Keymap};

use super::block;
use crate::app::runbook_flow::RunbookFlow;
use crate::runbook::audit::{Entry, Event};
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn outcome(e: &Entry) -> String {
    match e.event {
        Some(Event::Refused) => e.reason.clone().unwrap_or_default(),
        Some(Event::Finished) => {
            let end = match (e.exit_code, e.signal) {
                (Some(c), _) => format!("exit {c}"),
                (None, Some(s)) => format!("signal {s}"),
                _ => "ended".into(),
            };
            let why = if e.timed_out {
                " timeout"
            } else if e.killed {
                " killed"
            } else {
                ""
            };
            format!("{end}{why} {}ms {}B", e.duration_ms.unwrap_or(0), e.output_bytes.unwrap_or(0))
        }
        _ => format!("confirmed {}", e.confirmation),
    }
}

/// An audit time (RFC 3339, UTC) as the overlay and the dialog show it.
#[must_use]
pub fn wall_time(ts: &str) -> String {
    format!("{} UTC", ts.get(..19).unwrap_or(ts).replace('T', " "))
}

pub fn render(frame: &mut Frame, area: Rect, flow: &RunbookFlow, keymap: &Keymap, theme: &Theme) {
    let w = area.width.saturating_sub(2);
    let h = area.height.saturating_sub(2);
    let popup = crate::ui::popup(area, w, h);
    frame.render_widget(Clear, popup);
    let key = |a| keymap.first_label(Context::List, a).unwrap_or_else(|| "?".into());
    // The log records real time; the panes may show the demo's clock.
    let title = format!(
        "Audit log \u{00b7} {} entries \u{00b7} wall-clock UTC \u{00b7} {}/{} scroll \u{00b7} {} closes",
        flow.audit.len(),
        key(Action::Down),
        key(Action::Up),
        key(Action::Back)
    );
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(popup);
    frame.render_widget(b.style(theme.style(Role::Help)), popup);
    let width = usize::from(inner.width);
    let dim = theme.style(Role::TextDim);
    if let Some(err) = &flow.audit_error {
        let line = Line::styled(sanitize::clean_line(err, width), theme.style(Role::FlashError));
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }
    if flow.audit.is_empty() {
        frame.render_widget(Paragraph::new("no entries yet").style(dim), inner);
        return;
    }
    let lines: Vec<Line> = flow
        .audit
        .iter()
        .rev()
        .skip(flow.audit_scroll)
        .take(usize::from(inner.height))
        .map(|e| {
            let (word, role) = match e.event {
                Some(Event::Refused) => ("refused ", Role::FlashError),
                Some(Event::Finished) if e.exit_code == Some(0) => ("finished", Role::SourceOk),
                Some(Event::Finished) => ("finished", Role::SeverityWarning),
                _ => ("started ", Role::FlashInfo),
            };
            let dry = if e.dry_run { " dry" } else { "" };
            let rest = format!(
                " {}{dry} by {} \u{00b7} {} \u{00b7} {} \u{00b7} argv {:?}",
                e.runbook,
                e.who.describe(),
                e.incident,
                outcome(e),
                e.argv
            );
            let ts = wall_time(&e.ts);
            Line::from(vec![
                Span::styled(format!("{ts} "), dim),
                Span::styled(word, theme.style(role)),
                Span::raw(sanitize::clean_line(&rest, width.saturating_sub(33))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
