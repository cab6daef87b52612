//! The output of the latest runbook run, replacing the incident detail
//! while it is open: status in the title, the newest lines at the bottom,
//! stderr and quell's own notes styled apart. Lines were sanitized when
//! they arrived; long ones wrap to the pane's width here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use crate::app::Action;
use crate::app::keymap::{Context, Keymap};
use crate::app::runbook_flow::{RunStatus, RunbookFlow};
use crate::runbook::exec::Stream;
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Cuts clean text into pieces of at most `width` columns (a refusal names
/// a long path and two hashes; all of it matters).
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
        used += w;
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, flow: &RunbookFlow, keymap: &Keymap, theme: &Theme) {
    let key = |a| keymap.first_label(Context::Main, a).unwrap_or_else(|| "?".into());
    let Some(run) = flow.shown_run() else {
        let b = block(vec![Span::raw("Runbook output")], true, theme);
        let inner = b.inner(area);
        frame.render_widget(b, area);
        frame.render_widget(Paragraph::new("no run yet").style(theme.style(Role::TextDim)), inner);
        return;
    };
    let (status, role) = match &run.status {
        RunStatus::Running => {
            (format!("running \u{00b7} {} kills", key(Action::KillRun)), Role::FlashInfo)
        }
        RunStatus::Done(o) if o.success() => {
            (format!("{} in {:.1}s", o.describe(), o.duration.as_secs_f64()), Role::SourceOk)
        }
        RunStatus::Done(o) => {
            (format!("{} in {:.1}s", o.describe(), o.duration.as_secs_f64()), Role::FlashError)
        }
        RunStatus::Refused(_) => ("refused".to_string(), Role::FlashError),
    };
    let what = if run.plan.dry_run { "Dry run" } else { "Run" };
    let title = vec![
        Span::raw(format!(
            "{what} {} \u{00b7} {} \u{00b7} ",
            run.id,
            super::title_text(&run.plan.title, area, 50)
        )),
        Span::styled(status, theme.style(role)),
        Span::raw(format!(" \u{00b7} {} closes", key(Action::Back))),
    ];
    let b = block(title, true, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    if let RunStatus::Refused(reason) = &run.status {
        for l in sanitize::clean_lines(reason, 6) {
            for piece in wrap(&l, width.max(1)) {
                lines.push(Line::styled(piece, theme.style(Role::FlashError)));
            }
        }
    }
    // The newest output that fits, each line wrapped whole (long lines are
    // the ones that matter: errors, paths, hashes).
    let height = usize::from(inner.height).saturating_sub(lines.len());
    let mut tail: Vec<Line> = Vec::new();
    for (stream, text) in run.output.iter().rev() {
        if tail.len() >= height {
            break;
        }
        let style = match stream {
            Stream::Stdout => theme.style(Role::Text),
            Stream::Stderr => theme.style(Role::SeverityWarning),
            Stream::Note => theme.style(Role::TextDim),
        };
        let pieces = wrap(&sanitize::clean_line(text, 4 * 1024), width.max(1));
        tail.extend(pieces.into_iter().rev().map(|p| Line::styled(p, style)));
    }
    let excess = tail.len().saturating_sub(height);
    lines.extend(tail.into_iter().rev().skip(excess));
    if run.output.is_empty() && run.plan.mode == crate::runbook::RunMode::Interactive {
        lines.push(Line::styled(
            "interactive: the script had the terminal; its output is not kept",
            theme.style(Role::TextDim),
        ));
    }
    if lines.is_empty() && run.status == RunStatus::Running {
        lines.push(Line::styled("waiting for output\u{2026}", theme.style(Role::TextDim)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
