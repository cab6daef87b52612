//! The alert detail view's chart: the alert's metric fitted to the width,
//! value labels with the unit, the threshold row with the rule's comparison,
//! and a time axis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::model::rule::comparison;
use crate::model::{AlertView, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::widgets::BarChart;
use crate::ui::widgets::spark::{bounds, compact, fit, threshold_row};

/// Width of the value labels left of the plot, and the `▕` after them.
const LABEL_W: usize = 7;
const AXIS_W: u16 = 9;

pub(super) fn chart(frame: &mut Frame, area: Rect, a: &AlertView, theme: &Theme) {
    let dim = theme.style(Role::TextDim);
    if a.spark.is_empty() {
        frame.render_widget(
            Paragraph::new("no chart: nothing charts this alert's metric").style(dim),
            area,
        );
        return;
    }
    // The bottom row is the time axis when there is room for bars above it.
    let with_axis = a.spark_span.is_some() && area.height >= 4;
    let bars = Rect { height: area.height - u16::from(with_axis), ..area };
    let plot_w = usize::from(area.width.saturating_sub(AXIS_W));
    // The plot shows the points fitted to its width: label what it shows.
    let fitted = fit(&a.spark, plot_w);
    let threshold = threshold_of(a);
    let (lo, hi) = bounds(&fitted, threshold);
    let unit = unit(a);
    let t_row = threshold_row(&a.spark, plot_w, threshold, u32::from(bars.height));
    for dy in 0..bars.height {
        let from_bottom = u32::from(bars.height - 1 - dy);
        let label = if dy == 0 {
            format!("{}{unit}", compact(hi))
        } else if from_bottom == 0 {
            format!("{}{unit}", compact(lo))
        } else if Some(from_bottom) == t_row {
            threshold.map_or_else(String::new, |t| format!("{}{}{unit}", op_glyph(a), compact(t)))
        } else {
            String::new()
        };
        let label = sanitize::truncate(&label, LABEL_W).into_owned();
        let r = Rect { y: bars.y + dy, height: 1, width: AXIS_W.min(area.width), ..bars };
        frame.render_widget(Line::styled(format!("{label:>LABEL_W$} \u{2595}"), dim), r);
    }
    let plot =
        Rect { x: area.x.saturating_add(AXIS_W), width: area.width.saturating_sub(AXIS_W), ..bars };
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
    if let (true, Some(span)) = (with_axis, a.spark_span) {
        let row = Rect { y: bars.bottom(), height: 1, ..plot };
        frame.render_widget(Line::styled(time_axis(span, fitted.len(), plot_w), dim), row);
    }
}

/// The time axis under a plot `width` cells wide whose `points` columns
/// (right-aligned) span `span`: the first point's time under its column,
/// the last one's at the right edge, the span between when it fits:
/// `12:33:10 ──── 5m ──── 12:38:10`.
fn time_axis(
    span: (crate::model::UnixMs, crate::model::UnixMs),
    points: usize,
    width: usize,
) -> String {
    let (first, last) = (format_clock(span.0), format_clock(span.1));
    let start = width.saturating_sub(points.max(1));
    let room = width.saturating_sub(start);
    if room < first.len() + last.len() + 2 {
        // Only the newest time fits.
        return format!("{last:>width$}");
    }
    let between = room - first.len() - last.len();
    let age = format!(" {} ", format_age(span.1 - span.0));
    let fill = if between >= age.len() + 4 {
        let left = (between - age.len() - 2) / 2;
        let right = between - age.len() - 2 - left;
        format!(" {}{age}{} ", "\u{2500}".repeat(left), "\u{2500}".repeat(right))
    } else {
        " ".repeat(between)
    };
    format!("{}{first}{fill}{last}", " ".repeat(start))
}

/// The unit of the charted expression (`%`, `B`, `s`), empty when unknown.
fn unit(a: &AlertView) -> &'static str {
    a.alert
        .expr
        .as_deref()
        .map_or("", |e| crate::model::rule::unit_of(comparison(e).map_or(e, |c| c.lhs)))
}

/// The threshold to draw: the pipeline's, else the number the rule's
/// expression compares with (`… > 80`).
pub(super) fn threshold_of(a: &AlertView) -> Option<f64> {
    a.threshold
        .filter(|t| t.is_finite())
        .or_else(|| a.alert.expr.as_deref().and_then(comparison).and_then(|c| c.threshold))
}

/// `≥`/`≤` for the threshold label, by the rule's comparison.
pub(super) fn op_glyph(a: &AlertView) -> &'static str {
    match a.alert.expr.as_deref().and_then(comparison).map(|c| c.op) {
        Some("<" | "<=") => "\u{2264}",
        Some("==") => "=",
        _ => "\u{2265}",
    }
}
