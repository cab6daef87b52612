//! The header line: sources with their health word (and staleness age),
//! counts of incidents and firing alerts, marks, and the view's clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::model::{AlertState, IncidentState, SourceStatus, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.view;
    let base = theme.style(Role::Header);
    let mut left: Vec<Span> = vec![Span::styled(" quell ", base.patch(theme.style(Role::Title)))];
    if state.read_only {
        left.push(Span::styled("[read-only] ", base));
    }
    for src in &view.sources {
        let id = sanitize::clean_line(&src.id, 16);
        let (word, bad) = if src.status.is_healthy() && src.is_stale(view.now) {
            let age = src.last_ok.map_or_else(|| "never".to_string(), |t| format_age(view.now - t));
            (format!("stale {age}"), true)
        } else if let SourceStatus::Down { since, .. } = &src.status {
            (format!("down {}", format_age(view.now - since)), true)
        } else {
            (src.status.word().to_string(), !src.status.is_healthy())
        };
        let style = base.patch(theme.style(if bad { Role::SourceBad } else { Role::SourceOk }));
        left.push(Span::styled(format!("{id} "), base));
        left.push(Span::styled(word, style));
        if src.kind.contains("INSECURE") {
            left.push(Span::styled(" INSECURE-TLS", base.patch(theme.style(Role::SourceBad))));
        }
        left.push(Span::styled(" \u{2502} ", base));
    }

    let open = view.incidents.iter().filter(|i| i.state != IncidentState::Resolved).count();
    let firing = view.alerts.values().filter(|a| a.alert.state == AlertState::Firing).count();
    let mut right = String::new();
    if let Some(secs) = state.stale_for() {
        right.push_str(&format!("no update for {} \u{2502} ", format_age(i64::from(secs) * 1000)));
    }
    // Alerts a store cap turned away: a storm shown whole would lie.
    let dropped: usize = view
        .sources
        .iter()
        .filter_map(|s| match &s.status {
            SourceStatus::Partial { warnings } => {
                Some(warnings.iter().filter_map(|w| crate::store::dropped_in(w)).sum::<usize>())
            }
            _ => None,
        })
        .sum();
    if state.has_data {
        right.push_str(&format!("{open} open \u{00b7} {firing} firing"));
        if dropped > 0 {
            right.push_str(&format!(" \u{00b7} {dropped} DROPPED"));
        }
        if !state.marked.is_empty() {
            right.push_str(&format!(" \u{00b7} {} marked", state.marked.len()));
        }
        // Which clock this is: the demo's runs at --speed, apart from real time.
        if crate::app::simulated_clock(view) {
            right.push_str(&format!(" \u{2502} sim {} ", format_clock(view.now)));
        } else {
            right.push_str(&format!(" \u{2502} {} UTC ", format_clock(view.now)));
        }
    }

    // The clock and counts matter more than the source list: cut sources first.
    let total = usize::from(area.width);
    let right_w = sanitize::width(&right).min(total);
    let mut used = 0;
    let mut spans = Vec::new();
    for s in left {
        let w = sanitize::width(&s.content);
        if used + w > total.saturating_sub(right_w) {
            break;
        }
        used += w;
        spans.push(s);
    }
    let pad = total.saturating_sub(used + right_w);
    spans.push(Span::styled(" ".repeat(pad), base));
    spans.push(Span::styled(sanitize::truncate(&right, total).into_owned(), base));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}
