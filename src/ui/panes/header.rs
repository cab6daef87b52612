//! The header line: sources with their health word (and staleness age),
//! counts of incidents and firing alerts, marks, and the view's clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::model::{AlertState, IncidentState, SourceStatus, UnixMs, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};

/// The time the header shows. Live views come once per poll (15 s, say),
/// so the wall clock runs on from the last view by the ticks since; the
/// demo's simulated clock moves only with its views.
#[must_use]
pub fn clock_now(state: &State) -> UnixMs {
    let view = &state.view;
    if crate::app::simulated_clock(view) {
        view.now
    } else {
        view.now.saturating_add(i64::from(state.ticks_since_view) * 1000)
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.view;
    let now = clock_now(state);
    let base = theme.style(Role::Header);
    let mut left: Vec<Span> = vec![Span::styled(" quell ", base.patch(theme.style(Role::Title)))];
    if state.read_only {
        left.push(Span::styled("[read-only] ", base));
    }
    for src in &view.sources {
        let id = sanitize::clean_line(&src.id, 16);
        let (word, bad) = if src.status.is_healthy() && src.is_stale(now) {
            let age = src.last_ok.map_or_else(|| "never".to_string(), |t| format_age(now - t));
            (format!("stale {age}"), true)
        } else if src.just_started() {
            // An empty list from it is no all-clear (see `:sources`).
            ("just started".to_string(), true)
        } else if let SourceStatus::Down { since, .. } = &src.status {
            (format!("down {}", format_age(now - since)), true)
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
    // An alert its rule engine says is over is not counted as firing.
    let firing = view
        .alerts
        .values()
        .filter(|a| a.alert.state == AlertState::Firing && a.alert.rule_ended.is_none())
        .count();
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
            right.push_str(&format!(" \u{2502} {} UTC ", format_clock(now)));
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::app::{Msg, State, fixture, update};
    use crate::model::{SourceHealth, SourceStatus, format_clock};

    /// The fixture with one live Alertmanager polled every 15 s instead of
    /// the demo world, its last poll at the view's time.
    fn live() -> State {
        let mut s = fixture::state();
        let view = Arc::make_mut(&mut s.view);
        view.sources = vec![SourceHealth {
            id: "am".into(),
            kind: "alertmanager".into(),
            status: SourceStatus::Ok,
            last_ok: Some(view.now),
            interval_ms: 15_000,
        }];
        s
    }

    fn drawn(s: &State) -> String {
        let mut term = Terminal::new(TestBackend::new(100, 1)).expect("terminal");
        let theme = s.theme.clone();
        term.draw(|f| super::render(f, f.area(), s, &theme)).expect("draw");
        crate::ui::tests::text(term.backend().buffer())
    }

    fn ticks(s: &mut State, n: u32) {
        for _ in 0..n {
            update(s, Msg::Tick);
        }
    }

    #[test]
    fn the_live_clock_ticks_between_polls_and_each_tick_redraws() {
        let mut s = live();
        let at_view = format_clock(s.view.now);
        assert!(drawn(&s).contains(&format!("{at_view} UTC")), "{}", drawn(&s));
        s.dirty = false;
        ticks(&mut s, 7);
        assert!(s.dirty, "a tick moves the shown clock: it must be drawn");
        let t = drawn(&s);
        assert!(t.contains(&format!("{} UTC", format_clock(s.view.now + 7_000))), "{t}");
        assert!(!t.contains(&at_view), "the clock froze at the last poll: {t}");
    }

    #[test]
    fn a_fifteen_second_poll_is_not_reported_as_no_update() {
        let mut s = live();
        ticks(&mut s, 16);
        assert_eq!(s.stale_for(), None);
        let t = drawn(&s);
        assert!(!t.contains("no update"), "{t}");
        assert!(t.contains("am ok"), "one missed poll is not stale either: {t}");
        // Two intervals without any view: that is news.
        ticks(&mut s, 14);
        assert_eq!(s.stale_for(), Some(30));
        let t = drawn(&s);
        assert!(t.contains("no update for 30s"), "{t}");
        // Three intervals since the source's last good poll: it is stale.
        ticks(&mut s, 16);
        assert!(drawn(&s).contains("am stale 46s"), "{}", drawn(&s));
    }

    #[test]
    fn a_replica_that_just_started_is_no_all_clear() {
        let mut s = live();
        let view = Arc::make_mut(&mut s.view);
        view.sources[0].status = SourceStatus::Partial {
            warnings: vec![crate::model::fresh_start_warning("http://am:9093", 12_000)],
        };
        let t = drawn(&s);
        assert!(t.contains("am just started"), "{t}");
        let view = Arc::make_mut(&mut s.view);
        view.sources[0].status =
            SourceStatus::Partial { warnings: vec!["cluster settling".into()] };
        assert!(drawn(&s).contains("am partial data"), "{}", drawn(&s));
    }

    #[test]
    fn the_demo_clock_moves_only_with_its_views() {
        let mut s = fixture::state();
        ticks(&mut s, 5);
        assert!(drawn(&s).contains(&format!("sim {}", format_clock(s.view.now))), "{}", drawn(&s));
    }
}
