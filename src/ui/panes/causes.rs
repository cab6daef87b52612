//! Suspected root causes of the selected incident, ranked: service, score,
//! confidence (said plainly when low) and timestamped evidence lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use crate::app::{Pane, State};
use crate::model::{Confidence, Incident, format_clock};
use crate::ui::text::{cell, cols, scroll_to, wrap};

/// ` HH:MM:SS ` before each evidence line.
const EVIDENCE_INDENT: usize = 10;
use crate::theme::{Role, Theme};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Pane::Causes;
    let b = block(vec![Span::raw("Root causes")], focused, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    let dim = theme.style(Role::TextDim);
    let Some(inc) = state.selected_incident() else {
        frame.render_widget(Paragraph::new("no incident selected").style(dim), inner);
        return;
    };
    let causes = crate::app::shown_causes(inc);
    if causes.is_empty() {
        frame.render_widget(Paragraph::new("no suspected cause yet").style(dim), inner);
        return;
    }
    let width = cols(inner.width);
    let mut lines = Vec::new();
    let mut cursor_line = 0;
    let names: Vec<String> = causes.iter().map(|rc| cause_name(state, inc, &rc.service)).collect();
    let longest = names.iter().map(|n| crate::sanitize::width(n)).max().unwrap_or(0);
    for (i, rc) in causes.iter().enumerate() {
        let selected = focused && i == state.cursors.causes;
        if i == state.cursors.causes {
            cursor_line = lines.len();
        }
        let (conf_text, conf_role) = match rc.confidence {
            Confidence::Low => ("low confidence", Role::ConfidenceLow),
            Confidence::Medium => ("medium", Role::ConfidenceMedium),
            Confidence::High => ("high", Role::ConfidenceHigh),
        };
        let head = theme.style(if selected { Role::Selection } else { Role::Title });
        let score = if rc.score.is_finite() {
            format!(" {:.2} ", rc.score.clamp(0.0, 1.0))
        } else {
            " -.-- ".into()
        };
        // Same name width on every row so scores line up; wider (up to 36)
        // only when a host's resources need it.
        let name_w = width.saturating_sub(3 + 6 + 14).min(longest.clamp(24, 36));
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2} ", i + 1), head),
            Span::styled(cell(&names[i], name_w), head),
            Span::styled(score, theme.style(Role::Text)),
            Span::styled(conf_text, theme.style(conf_role)),
        ]));
        // Evidence wraps (up to three lines each, whole for the cause under
        // the cursor): it is the part people read. The same fact twice shows once.
        let text_w = width.saturating_sub(EVIDENCE_INDENT);
        let max_lines = if i == state.cursors.causes { usize::MAX } else { 3 };
        let evidence: Vec<(i64, String)> =
            rc.evidence.iter().map(|e| (e.ts, e.text.clone())).collect();
        for (ts, text, n) in crate::app::collapse_repeats(&evidence) {
            let text = if n > 1 { format!("{text} (\u{00d7}{n})") } else { text };
            for (j, part) in wrap(&text, text_w, max_lines).into_iter().enumerate() {
                let stamp = if j == 0 {
                    format!(" {} ", format_clock(ts))
                } else {
                    " ".repeat(EVIDENCE_INDENT)
                };
                lines.push(Line::from(vec![
                    Span::styled(stamp, dim),
                    Span::styled(part, theme.style(Role::Evidence)),
                ]));
            }
        }
    }
    let height = usize::from(inner.height);
    let first = scroll_to(cursor_line, height, lines.len()).min(cursor_line);
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// A cause as it reads: its entity, and for a host the resources its
/// alerts are about (`host-a · memory, disk /var`).
fn cause_name(state: &State, inc: &Incident, entity: &str) -> String {
    let alerts = inc.alerts.iter().filter_map(|fp| state.view.alerts.get(fp)).map(|a| &a.alert);
    crate::engine::rca::resource::cause_label(entity, alerts)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::app::{Pane, fixture};
    use crate::model::labels_of;

    #[test]
    fn a_host_cause_reads_with_the_resources_its_alerts_are_about() {
        let mut s = fixture::state();
        s.focus = Pane::Causes;
        let inc = s.selected_incident().expect("selected").clone();
        let view = Arc::make_mut(&mut s.view);
        for (fp, (name, mount)) in
            inc.alerts.iter().zip([("HostOutOfMemory", None), ("HostOutOfDiskSpace", Some("/var"))])
        {
            let a = &mut view.alerts.get_mut(fp).expect("alert").alert;
            a.labels =
                labels_of(&[("alertname", name), ("instance", "host-a:9100"), ("job", "node")]);
            if let Some(m) = mount {
                a.labels.insert("mountpoint".into(), m.into());
            }
            a.expr = None;
        }
        let pos = view.incidents.iter().position(|i| i.id == inc.id).expect("listed");
        Arc::make_mut(&mut view.incidents[pos]).root_causes[0].service = "host-a".into();
        let mut term = Terminal::new(TestBackend::new(70, 12)).expect("terminal");
        let theme = s.theme.clone();
        term.draw(|f| super::render(f, f.area(), &s, &theme)).expect("draw");
        let t = crate::ui::tests::text(term.backend().buffer());
        assert!(t.contains(" 1 host-a \u{00b7} memory, disk /var "), "{t}");
        // Services stay as they were: no resource for an application cause.
        let other = s.view.incidents[pos].root_causes.get(1).map(|c| c.service.clone());
        if let Some(o) = other {
            assert!(t.contains(&format!(" 2 {o} ")), "{t}");
        }
    }
}
