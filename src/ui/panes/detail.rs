//! The incident detail: services and start, the latest timeline entries,
//! then the incident's alerts grouped by alert name, each with a sparkline
//! of its own metric.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, title_text};
use crate::app::{Pane, State};
use crate::model::{AlertState, AlertView, Incident, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::text::{cell, cols, scroll_to};
use crate::ui::widgets::Sparkline;

enum Row<'a> {
    Group(&'a str, usize),
    Alert(usize, &'a AlertView),
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Pane::Alerts;
    let Some(inc) = state.selected_incident() else {
        let b = block(vec![Span::raw("Incident")], focused, theme);
        let inner = b.inner(area);
        frame.render_widget(b, area);
        frame.render_widget(
            Paragraph::new("no incident selected").style(theme.style(Role::TextDim)),
            inner,
        );
        return;
    };
    let title = title_text(&format!("{} \u{00b7} {}", inc.id, inc.title), area, 0);
    let b = block(vec![Span::raw(title)], focused, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    let width = cols(inner.width);
    let mut top = summary(inc, state, theme, width, usize::from(inner.height) / 4);
    let alerts = state.incident_alerts();
    let rule = if inc.id.is_suspected() {
        "\u{2500}\u{2500} no alerts: suspected from anomalies (metrics, logs, spans) ".to_string()
    } else {
        format!("\u{2500}\u{2500} alerts ({}) ", alerts.len())
    };
    let fill = "\u{2500}".repeat(width.saturating_sub(sanitize::width(&rule)));
    top.push(Line::styled(format!("{rule}{fill}"), theme.style(Role::Border)));
    let top_h = u16::try_from(top.len()).unwrap_or(u16::MAX).min(inner.height);
    frame.render_widget(Paragraph::new(top), Rect { height: top_h, ..inner });
    let list = Rect { y: inner.y.saturating_add(top_h), height: inner.height - top_h, ..inner };
    render_alerts(frame, list, state, theme, &alerts, focused);
}

/// Services and start time, then the latest `max_timeline` timeline entries.
fn summary<'a>(
    inc: &Incident,
    state: &State,
    theme: &Theme,
    width: usize,
    max_timeline: usize,
) -> Vec<Line<'a>> {
    let dim = theme.style(Role::TextDim);
    let since = format!(
        "since {} ({}) \u{00b7} ",
        format_clock(inc.started_at),
        format_age(state.view.now - inc.started_at)
    );
    let services = sanitize::clean_line(
        &inc.services.join(", "),
        width.saturating_sub(sanitize::width(&since)),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(since, dim),
        Span::styled(services, theme.style(Role::Text)),
    ])];
    // Who acknowledged it, and any breach the forecasts expect on its services.
    if let Some(a) = state.view.ack_of(&inc.id) {
        let until =
            a.until.map_or_else(|| "pending".to_string(), |t| format!("until {}", format_clock(t)));
        lines.push(Line::styled(
            sanitize::clean_line(
                &format!("\u{2713} acked by {} {until} \u{00b7} {}", a.by, a.note),
                width,
            ),
            theme.style(Role::StateAcked),
        ));
    }
    for f in state
        .view
        .forecasts
        .iter()
        .filter(|f| f.service.as_ref().is_some_and(|s| inc.services.contains(s)))
        .take(2)
    {
        let text = format!(
            "\u{26a0} {} on {} reaches {} {}",
            f.signal.describe(),
            f.service.as_deref().unwrap_or("-"),
            crate::ui::widgets::spark::compact(f.threshold),
            super::lists::breach_text(state.view.now, f)
        );
        lines.push(Line::styled(sanitize::clean_line(&text, width), theme.style(Role::FlashError)));
    }
    // Has this happened before, and what was done then?
    if let Some(h) = state.view.history.get(&inc.id) {
        lines.push(Line::styled(sanitize::clean_line(&h.headline(), width), dim));
        if let Some(text) = h.similar_lines(state.view.now).next() {
            lines.push(Line::styled(sanitize::clean_line(&format!("  {text}"), width), dim));
        }
    }
    // The newest entries, oldest of them first, whatever order the engine keeps.
    // Runbooks run on it from this quell join the engine's entries.
    let mut entries: Vec<(i64, String)> =
        inc.timeline.iter().map(|e| (e.ts, e.text.clone())).collect();
    for r in state.runbook_flow.runs.iter().filter(|r| r.plan.incident == inc.id.0) {
        entries.push((r.ended_at.unwrap_or(r.started_at), r.timeline_text()));
    }
    entries.sort_by_key(|e| e.0);
    // The same line twice is said once; lines that differ only at the end
    // (one per pod) are cut in the middle so the difference shows.
    let entries = crate::app::collapse_repeats(&entries);
    let n = max_timeline.clamp(1, 8);
    for (ts, text, count) in entries.iter().skip(entries.len().saturating_sub(n)) {
        let text = if *count > 1 { format!("{text} (\u{00d7}{count})") } else { text.clone() };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", format_clock(*ts)), dim),
            Span::styled(
                crate::ui::ellipsis::middle(&text, width.saturating_sub(9)),
                theme.style(Role::Text),
            ),
        ]));
    }
    lines
}

fn render_alerts(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    alerts: &[&AlertView],
    focused: bool,
) {
    if area.is_empty() {
        return;
    }
    let mut rows = Vec::new();
    let mut cursor_row = 0;
    for (i, a) in alerts.iter().enumerate() {
        let name = a.alert.name();
        if i == 0 || alerts[i - 1].alert.name() != name {
            let n = alerts[i..].iter().take_while(|b| b.alert.name() == name).count();
            rows.push(Row::Group(name, n));
        }
        if i == state.cursors.alerts {
            cursor_row = rows.len();
        }
        rows.push(Row::Alert(i, a));
    }
    let height = usize::from(area.height);
    let first = scroll_to(cursor_row, height, rows.len());
    let width = cols(area.width);
    // Narrow panes keep room for the target; wide ones give it to the chart.
    let spark_w = if width >= 80 { width / 3 } else { width / 5 }.clamp(6, 60).min(width);
    let state_w = 9;
    let target_w = width.saturating_sub(2 + 7 + 1 + state_w + spark_w + 1);
    for (dy, row) in (0u16..).zip(rows.iter().skip(first).take(height)) {
        let y = area.y.saturating_add(dy);
        let line_area = Rect { y, height: 1, ..area };
        match row {
            Row::Group(name, n) => {
                let label =
                    if *n > 1 { format!("{name} \u{00d7}{n}") } else { (*name).to_string() };
                frame.render_widget(
                    Line::styled(cell(&label, width), theme.style(Role::Title)),
                    line_area,
                );
            }
            Row::Alert(i, a) => {
                let selected = focused && *i == state.cursors.alerts;
                let text =
                    if selected { theme.style(Role::Selection) } else { theme.style(Role::Text) };
                let sev = a.alert.severity();
                let marked = state.marked_alerts.contains(&a.alert.fingerprint);
                let line = Line::from(vec![
                    Span::styled(if selected { "\u{25b6}" } else { " " }, text),
                    Span::styled(if marked { "*" } else { " " }, theme.style(Role::Marked)),
                    Span::styled(format!("{} {} ", sev.glyph(), sev.word()), theme.severity(sev)),
                    // Per-pod rows differ at the end: cut in the middle.
                    Span::styled(crate::ui::ellipsis::middle_cell(&target(a), target_w), text),
                    Span::styled(" ", text),
                    Span::styled(cell(state_word(&a.alert), state_w), text),
                ]);
                frame.render_widget(line, line_area);
                let spark_x = area.x.saturating_add(u16::try_from(width - spark_w).unwrap_or(0));
                let spark_area =
                    Rect { x: spark_x, y, width: u16::try_from(spark_w).unwrap_or(0), height: 1 };
                if a.spark.is_empty() {
                    // Whole words only: a narrow pane's chart column is
                    // 6 or 7 wide.
                    let none = if spark_w >= 8 { "no chart" } else { "\u{2014}" };
                    frame.render_widget(Line::styled(none, theme.style(Role::TextDim)), spark_area);
                } else {
                    frame.render_widget(
                        Sparkline {
                            data: &a.spark,
                            style: theme.style(Role::Spark),
                            gap_style: theme.style(Role::SparkGap),
                            marks: &a.anomalies,
                            mark_style: theme.style(Role::FlashError),
                        },
                        spark_area,
                    );
                }
            }
        }
    }
}

/// Alert states in at most 8 columns.
/// Inhibited and silenced alerts are told apart; an alert that resolved
/// while silenced says so (nobody was notified of either).
pub fn state_word(a: &crate::model::Alert) -> &'static str {
    match a.state {
        AlertState::Unprocessed => "new",
        AlertState::Pending => "pending",
        // Its rule engine says it is over; an Alertmanager still holds it.
        AlertState::Firing if a.rule_ended.is_some() => "ending",
        AlertState::Firing => "firing",
        AlertState::Suppressed if a.silenced_by.is_empty() && !a.inhibited_by.is_empty() => {
            "inhibited"
        }
        AlertState::Suppressed => "silenced",
        AlertState::Resolved if !a.silenced_by.is_empty() => "res(sil)",
        AlertState::Resolved => "resolved",
    }
}

/// What an alert is about beyond its name: its entity and instance, each
/// fact once (see [`crate::model::place_of`]).
#[must_use]
pub fn target(a: &AlertView) -> String {
    crate::model::place_between(a.alert.service(), &a.alert.labels, (" ", ""))
}
