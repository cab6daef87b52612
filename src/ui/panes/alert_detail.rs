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
use crate::ui::Hyperlink;
use crate::ui::text::cols;
use crate::ui::widgets::spark::compact;

mod chart;

use chart::{chart, op_glyph, threshold_of};

/// Lines per annotation value before the rest is summarised.
const MAX_ANNOTATION_LINES: usize = 12;

/// Lines the detail text has (for scroll clamping in `update`).
#[must_use]
pub fn content_len(state: &State) -> usize {
    state.drilled_alert().map_or(0, |a| lines(a, state, None, 200).len())
}

/// Draws the detail of the drilled-into alert; returns where its graph link
/// was drawn when it is a safe http(s) URL, for the terminal to make those
/// cells clickable (OSC 8, written after the frame: see [`Hyperlink`]).
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Option<Hyperlink> {
    let a = state.drilled_alert()?;
    let title =
        title_text(&format!("{} \u{00b7} {}", a.alert.name(), super::detail::target(a)), area, 8);
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return None;
    }
    let chart_h = (inner.height / 3).clamp(3, 12).min(inner.height);
    chart(frame, Rect { height: chart_h, ..inner }, a, theme);
    let text_area =
        Rect { y: inner.y.saturating_add(chart_h), height: inner.height - chart_h, ..inner };
    if text_area.is_empty() {
        return None;
    }
    let width = cols(text_area.width);
    let (all, graph_at) = lines_and_link(a, state, Some(theme), width);
    let scroll = state.cursors.detail_scroll.min(all.len().saturating_sub(1));
    let shown: Vec<Line> =
        all.into_iter().skip(scroll).take(usize::from(text_area.height)).collect();
    frame.render_widget(Paragraph::new(shown), text_area);
    // The graph line, when on screen: its URL cells become the link.
    let url = a.alert.generator_url.as_deref()?;
    let row = graph_at?.checked_sub(scroll).filter(|r| *r < usize::from(text_area.height))?;
    if !crate::app::runbook_flow::is_safe_link(url) {
        return None;
    }
    let drawn = sanitize::width(&sanitize::clean_line(url, width.saturating_sub(GRAPH.len())));
    let x = text_area.x.saturating_add(u16::try_from(GRAPH.len()).unwrap_or(u16::MAX));
    let w = u16::try_from(drawn).unwrap_or(u16::MAX).min(text_area.right().saturating_sub(x));
    let y = text_area.y.saturating_add(u16::try_from(row).unwrap_or(u16::MAX));
    (w > 0).then(|| Hyperlink { area: Rect { x, y, width: w, height: 1 }, url: url.to_string() })
}

/// What the graph line starts with, before the URL.
const GRAPH: &str = "graph  ";

/// The text part. `theme` is `None` when only counting lines.
fn lines<'a>(a: &AlertView, state: &State, theme: Option<&Theme>, width: usize) -> Vec<Line<'a>> {
    lines_and_link(a, state, theme, width).0
}

/// [`lines`], and which of them is the graph link's.
fn lines_and_link<'a>(
    a: &AlertView,
    state: &State,
    theme: Option<&Theme>,
    width: usize,
) -> (Vec<Line<'a>>, Option<usize>) {
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
    if let (Some(since), true) = (al.rule_ended, al.state.is_active()) {
        let until = al.ends_at.map_or(String::new(), |t| format!(" until {}", format_clock(t)));
        out.push(Line::styled(
            format!(
                "ending: its rule engine no longer reports it since {} (its rule evaluated); \
                 the Alertmanager holds it{until}, as the engine sent no resolution (it restarted?)",
                format_clock(since)
            ),
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
    let mut graph_at = None;
    if let Some(url) = al.generator_url.as_deref() {
        // Cut to the width; the whole URL is behind the OSC 8 link.
        graph_at = Some(out.len());
        out.push(Line::from(vec![
            Span::styled(GRAPH, st(Role::TextDim)),
            Span::styled(
                sanitize::clean_line(url, width.saturating_sub(GRAPH.len())),
                st(Role::Text),
            ),
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
    (out, graph_at)
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
    use crate::model::format_clock;
    use crate::ui::Hyperlink;

    const URL: &str = "http://prom:9090/graph?g0.expr=node_memory_MemAvailable_bytes";

    /// The detail pane of the fixture's first alert, made a comparison rule
    /// whose left-hand side (a percentage) rises towards its threshold over
    /// the last 59 minutes, with `url` as its generator URL, drawn at `w`×24.
    fn drawn_with(unconfirmed: bool, url: &str, w: u16) -> (String, Option<Hyperlink>, i64) {
        let mut s = fixture::state();
        let fp = s.view.alerts.keys().next().cloned().expect("fixture alert");
        let now = s.view.now;
        let view = Arc::make_mut(&mut s.view);
        let a = view.alerts.get_mut(&fp).expect("alert");
        a.alert.expr = Some("node_load1 * 100 > 4".into());
        a.alert.generator_url = Some(url.into());
        a.alert.unconfirmed = unconfirmed;
        a.threshold = None;
        a.spark = (0..60).map(|i| f64::from(i) / 10.0).collect();
        a.spark_span = Some((now - 59 * 60_000, now));
        s.drill = Some(fp);
        let mut term = Terminal::new(TestBackend::new(w, 24)).expect("terminal");
        let theme = s.theme.clone();
        let mut link = None;
        term.draw(|f| link = super::render(f, f.area(), &s, &theme)).expect("draw");
        (crate::ui::tests::text(term.backend().buffer()), link, now)
    }

    fn drawn(unconfirmed: bool) -> String {
        drawn_with(unconfirmed, URL, 80).0
    }

    #[test]
    fn a_comparison_rule_shows_its_threshold_promql_and_graph_link() {
        let t = drawn(false);
        assert!(t.contains("\u{2265}4.0% \u{2595}"), "threshold with its unit:\n{t}");
        assert!(t.contains("promql node_load1 * 100 > 4"), "{t}");
        assert!(t.contains("left-hand side of the rule, threshold \u{2265}4"), "{t}");
        assert!(t.contains("graph  http://prom:9090/graph"), "{t}");
        assert!(!t.contains("unconfirmed"), "{t}");
        let u = drawn(true);
        assert!(u.contains("(unconfirmed)"), "{u}");
    }

    #[test]
    fn the_chart_has_a_unit_on_its_values_and_a_time_axis() {
        let (t, _, now) = drawn_with(false, URL, 80);
        let rows: Vec<&str> = t.lines().collect();
        assert!(rows[1].contains("   5.9% \u{2595}"), "top value with unit:\n{t}");
        let axis = rows.iter().find(|r| r.contains(&format_clock(now))).expect("a time axis");
        let first = format_clock(now - 59 * 60_000);
        assert!(axis.contains(&first) && axis.contains(" 59m "), "{axis}");
        // The first point's time sits under the first point's column: 60
        // points right-aligned in a 69-cell plot start at column 9.
        let at = axis.find(&first).expect("first time");
        assert_eq!(axis[..at].chars().count(), 1 + 9 + 9, "{axis}");
        assert!(
            axis.trim_end().trim_end_matches('\u{2503}').ends_with(&format_clock(now)),
            "{axis}"
        );
    }

    #[test]
    fn the_whole_screen_hands_the_graph_link_to_the_terminal() {
        let mut s = fixture::state();
        let fp = s.view.alerts.keys().next().cloned().expect("fixture alert");
        let view = Arc::make_mut(&mut s.view);
        view.alerts.get_mut(&fp).expect("alert").alert.generator_url = Some(URL.into());
        s.drill = Some(fp);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let theme = s.theme.clone();
        let mut links = Vec::new();
        term.draw(|f| links = crate::ui::render_with_links(f, &s, &theme)).expect("draw");
        assert_eq!(links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>(), vec![URL]);
    }

    #[test]
    fn the_graph_url_is_a_hyperlink_only_when_safe() {
        let (t, link, _) = drawn_with(false, URL, 120);
        let link = link.expect("a safe http URL is linked");
        assert_eq!(link.url, URL);
        let row: String = t.lines().nth(usize::from(link.area.y)).expect("row").chars().collect();
        let cells: String =
            row.chars().skip(usize::from(link.area.x)).take(usize::from(link.area.width)).collect();
        assert_eq!(cells, URL, "the link covers exactly the drawn URL");
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://x/\x1b]8;;http://evil\x1b\\",
            "http://x/a b",
            "http://x/\u{202e}gnp.exe",
        ] {
            let (t, link, _) = drawn_with(false, bad, 120);
            assert_eq!(link, None, "{bad:?} must not be linked");
            assert!(!t.contains('\x1b'), "no escape reaches the buffer: {t}");
        }
    }
}
