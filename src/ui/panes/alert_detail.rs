//! The alert detail view (Enter on an alert): a larger chart of its metric
//! with the threshold, then its state, labels and annotations, scrollable.
//!
//! ```text
//! ┌ HighLatency · checkout checkout-1 ─────────────────────────────────────┐
//! │ 0.98 ▕          ▂▅█▇          ▃▆█                                        │
//! │ thr  ▕╌╌╌╌╌╌╌╌╌╌████╌╌╌╌╌╌╌╌╌╌███╌╌╌╌╌╌╌                                 │
//! │ 0.01 ▕▁▂▃▅▆▇▆▅▃▂████▆▅▃▂▁▁▂▃▅▆███·▃▂▁                                     │
//! │ ◆ CRIT firing since 03:00:45 (12m) · source demo                         │
//! │ labels                                                                   │
//! │   alertname = HighLatency                                                │
//! │ annotations                                                              │
//! │   summary                                                                │
//! │     HighLatency on checkout                                              │
//! └──────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, title_text};
use crate::app::State;
use crate::model::rule::comparison;
use crate::model::{AlertView, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::text::cols;
use crate::ui::widgets::BarChart;
use crate::ui::widgets::spark::{bounds, compact, threshold_row};

/// Lines per annotation value before the rest is summarised.
const MAX_ANNOTATION_LINES: usize = 12;

/// Lines the detail text has (for scroll clamping in `update`).
#[must_use]
pub fn content_len(state: &State) -> usize {
    state.drilled_alert().map_or(0, |a| lines(a, state, None, 200).len())
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(a) = state.drilled_alert() else {
        return;
    };
    let title =
        title_text(&format!("{} \u{00b7} {}", a.alert.name(), super::detail::target(a)), area, 8);
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    let chart_h = (inner.height / 3).clamp(3, 12).min(inner.height);
    chart(frame, Rect { height: chart_h, ..inner }, a, theme);
    let text_area =
        Rect { y: inner.y.saturating_add(chart_h), height: inner.height - chart_h, ..inner };
    if text_area.is_empty() {
        return;
    }
    let all = lines(a, state, Some(theme), cols(text_area.width));
    let scroll = state.cursors.detail_scroll.min(all.len().saturating_sub(1));
    let shown: Vec<Line> =
        all.into_iter().skip(scroll).take(usize::from(text_area.height)).collect();
    frame.render_widget(Paragraph::new(shown), text_area);
}

fn chart(frame: &mut Frame, area: Rect, a: &AlertView, theme: &Theme) {
    let dim = theme.style(Role::TextDim);
    if a.spark.is_empty() {
        frame.render_widget(
            Paragraph::new("no chart: nothing charts this alert's metric").style(dim),
            area,
        );
        return;
    }
    let axis_w: u16 = 8;
    let plot_w = usize::from(area.width.saturating_sub(axis_w));
    let tail = &a.spark[a.spark.len().saturating_sub(plot_w)..];
    let threshold = threshold_of(a);
    let (lo, hi) = bounds(tail, threshold);
    let t_row = threshold_row(&a.spark, plot_w, threshold, u32::from(area.height));
    for dy in 0..area.height {
        let from_bottom = u32::from(area.height - 1 - dy);
        let label = if dy == 0 {
            compact(hi)
        } else if from_bottom == 0 {
            compact(lo)
        } else if Some(from_bottom) == t_row {
            threshold.map_or_else(String::new, |t| format!("{}{}", op_glyph(a), compact(t)))
        } else {
            String::new()
        };
        let r = Rect { y: area.y + dy, height: 1, width: axis_w.min(area.width), ..area };
        frame.render_widget(Line::styled(format!("{label:>6} \u{2595}"), dim), r);
    }
    let plot =
        Rect { x: area.x.saturating_add(axis_w), width: area.width.saturating_sub(axis_w), ..area };
    frame.render_widget(
        BarChart {
            data: &a.spark,
            threshold,
            style: theme.style(Role::Spark),
            gap_style: theme.style(Role::SparkGap),
            threshold_style: theme.style(Role::Threshold),
        },
        plot,
    );
}

/// The threshold to draw: the pipeline's, else the number the rule's
/// expression compares with (`… > 80`).
fn threshold_of(a: &AlertView) -> Option<f64> {
    a.threshold
        .filter(|t| t.is_finite())
        .or_else(|| a.alert.expr.as_deref().and_then(comparison).and_then(|c| c.threshold))
}

/// `≥`/`≤` for the threshold label, by the rule's comparison.
fn op_glyph(a: &AlertView) -> &'static str {
    match a.alert.expr.as_deref().and_then(comparison).map(|c| c.op) {
        Some("<" | "<=") => "\u{2264}",
        Some("==") => "=",
        _ => "\u{2265}",
    }
}

/// The text part. `theme` is `None` when only counting lines.
fn lines<'a>(a: &AlertView, state: &State, theme: Option<&Theme>, width: usize) -> Vec<Line<'a>> {
    let st = |r: Role| theme.map(|t| t.style(r)).unwrap_or_default();
    let al = &a.alert;
    let sev = al.severity();
    let sev_style = theme.map(|t| t.severity(sev)).unwrap_or_default();
    // A resolved alert is resolved since it ended, not since it started.
    let since = match al.state {
        crate::model::AlertState::Resolved => al.ends_at.unwrap_or(al.updated_at),
        _ => al.starts_at,
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{} {}", sev.glyph(), sev.word()), sev_style),
        Span::styled(
            sanitize::clean_line(
                &format!(
                    " {}{} since {} ({}) \u{00b7} source {}",
                    al.state.word(),
                    if al.unconfirmed { " (unconfirmed)" } else { "" },
                    format_clock(since),
                    format_age(state.view.now - since),
                    al.source
                ),
                width.saturating_sub(7),
            ),
            st(Role::Text),
        ),
    ])];
    if al.unconfirmed {
        out.push(Line::styled(
            "no source reports it now; not confirmed resolved while a replica is down or restarting",
            st(Role::TextDim),
        ));
    }
    if let Some(expr) = al.expr.as_deref() {
        let cmp = comparison(expr);
        let unit = crate::model::rule::unit_of(cmp.map_or(expr, |c| c.lhs));
        let mut what = String::from("chart: ");
        what.push_str(if cmp.is_some() {
            "left-hand side of the rule"
        } else {
            "the rule's expression"
        });
        if let Some(t) = threshold_of(a) {
            what.push_str(&format!(", threshold {}{}", op_glyph(a), compact(t)));
        }
        if !unit.is_empty() {
            what.push_str(&format!(", unit {unit}"));
        }
        if a.spark.is_empty() {
            what.push_str(" (no data: not charted yet, or the series is gone)");
        }
        out.push(Line::styled(sanitize::clean_line(&what, width), st(Role::TextDim)));
        out.push(Line::from(vec![
            Span::styled("promql ", st(Role::TextDim)),
            Span::styled(sanitize::clean_line(expr, width.saturating_sub(7)), st(Role::Text)),
        ]));
    } else if let Some(t) = a.threshold.filter(|t| t.is_finite()) {
        out.push(Line::styled(format!("threshold {}", compact(t)), st(Role::TextDim)));
    }
    if let Some(url) = al.generator_url.as_deref() {
        // Printed whole: terminals (and tmux) make a plain URL clickable.
        out.push(Line::from(vec![
            Span::styled("graph  ", st(Role::TextDim)),
            Span::styled(sanitize::clean_line(url, width.saturating_sub(7)), st(Role::Text)),
        ]));
    }
    if !al.replicas.is_empty() {
        let reps = al.replicas.join(", ");
        out.push(Line::styled(
            sanitize::clean_line(&format!("reported by {reps}"), width),
            st(Role::TextDim),
        ));
    }
    out.extend(
        suppression(a, state, width).into_iter().map(|l| Line::styled(l, st(Role::StateAcked))),
    );
    out.push(Line::styled("labels", st(Role::Title)));
    let key_w =
        al.labels.keys().map(|k| sanitize::width(&sanitize::clean(k))).max().unwrap_or(0).min(24);
    for (k, v) in &al.labels {
        let key = crate::ui::text::cell(k, key_w);
        out.push(Line::from(vec![
            Span::styled(format!("  {key} = "), st(Role::TextDim)),
            Span::styled(sanitize::clean_line(v, width.saturating_sub(key_w + 5)), st(Role::Text)),
        ]));
    }
    if !al.annotations.is_empty() {
        out.push(Line::styled("annotations", st(Role::Title)));
    }
    for (k, v) in &al.annotations {
        out.push(Line::styled(
            format!("  {}", sanitize::clean_line(k, width.saturating_sub(2))),
            st(Role::TextDim),
        ));
        for l in sanitize::clean_lines(v, MAX_ANNOTATION_LINES) {
            out.push(Line::styled(
                format!("    {}", sanitize::truncate(&l, width.saturating_sub(4))),
                st(Role::Text),
            ));
        }
    }
    out
}

/// Why an alert is suppressed: each silence (who, comment, until) and each
/// inhibiting alert; and "resolved while silenced" (alertmanager#226).
fn suppression(a: &AlertView, state: &State, width: usize) -> Vec<String> {
    let al = &a.alert;
    let mut out = Vec::new();
    for id in &al.silenced_by {
        let text = match state.view.silence(id) {
            Some(s) => format!(
                "{} by {} until {}: {} ({})",
                if s.is_ack() { "acknowledged" } else { "silenced" },
                s.created_by,
                format_clock(s.ends_at),
                s.comment,
                s.id
            ),
            None => format!("silenced by {id}"),
        };
        out.push(sanitize::clean_line(&text, width));
    }
    for fp in &al.inhibited_by {
        let text = match state.view.alerts.get(fp) {
            Some(src) => {
                format!("inhibited by {} \u{00b7} {}", src.alert.name(), super::detail::target(src))
            }
            None => format!("inhibited by alert {fp}"),
        };
        out.push(sanitize::clean_line(&text, width));
    }
    if al.state == crate::model::AlertState::Resolved && !al.silenced_by.is_empty() {
        out.push("resolved while silenced: nobody was notified of either".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::app::fixture;

    /// The detail pane of the fixture's first alert, made a comparison rule
    /// whose left-hand side rises towards its threshold, drawn at 80×24.
    fn drawn(unconfirmed: bool) -> String {
        let mut s = fixture::state();
        let fp = s.view.alerts.keys().next().cloned().expect("fixture alert");
        let view = Arc::make_mut(&mut s.view);
        let a = view.alerts.get_mut(&fp).expect("alert");
        a.alert.expr = Some("node_load1 > 4".into());
        a.alert.generator_url = Some("http://prom:9090/graph?g0.expr=node_load1".into());
        a.alert.unconfirmed = unconfirmed;
        a.threshold = None;
        a.spark = (0..60).map(|i| f64::from(i) / 10.0).collect();
        s.drill = Some(fp);
        let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let theme = s.theme.clone();
        term.draw(|f| super::render(f, f.area(), &s, &theme)).expect("draw");
        crate::ui::tests::text(term.backend().buffer())
    }

    #[test]
    fn a_comparison_rule_shows_its_threshold_promql_and_graph_link() {
        let t = drawn(false);
        assert!(t.contains("\u{2265}4"), "threshold drawn from the rule:\n{t}");
        assert!(t.contains("promql node_load1 > 4"), "{t}");
        assert!(t.contains("left-hand side of the rule, threshold \u{2265}4"), "{t}");
        assert!(t.contains("graph  http://prom:9090/graph"), "{t}");
        assert!(!t.contains("unconfirmed"), "{t}");
        let u = drawn(true);
        assert!(u.contains("(unconfirmed)"), "{u}");
    }
}
