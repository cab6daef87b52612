//! The incidents list: one row per incident with severity glyph and word,
//! title, age, alert count, ack marker and state. Marked rows carry `*`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use crate::app::{Mode, Pane, State};
use crate::model::{Incident, IncidentState, format_age};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::text::{cell, cell_right, cols, scroll_to};

/// Show the services column from this inner width on.
const SERVICES_FROM: usize = 120;
/// Width of the ack column ("ACK PENDING").
const ACK_W: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Pane::Incidents;
    let total = state.view.incidents.len();
    let mut title = vec![Span::raw(format!("Incidents {}", state.visible.len()))];
    if state.visible.len() != total {
        title.push(Span::raw(format!("/{total}")));
    }
    if !state.filter.is_empty() {
        let f = sanitize::clean_line(&state.filter, 20);
        title.push(Span::styled(format!(" \u{00b7} /{f}"), theme.style(Role::Input)));
    }
    title.push(Span::styled(
        format!(" \u{00b7} sort {}", state.sort.name()),
        theme.style(Role::TextDim),
    ));
    if !state.marked.is_empty() {
        title.push(Span::styled(
            format!(" \u{00b7} {} marked", state.marked.len()),
            theme.style(Role::Marked),
        ));
    }
    let block = block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }

    if state.visible.is_empty() {
        let msg = if total == 0 {
            quiet_or_no_data(state)
        } else if state.mode == Mode::Filter {
            "no incident matches the filter (Esc clears it)".to_string()
        } else {
            "no incident matches the filter".to_string()
        };
        let p = Paragraph::new(msg).style(theme.style(Role::TextDim));
        frame.render_widget(p.wrap(ratatui::widgets::Wrap { trim: true }), inner);
        return;
    }

    // Two incidents with one title and one start read the same: those
    // rows lead with their id.
    let mut seen: std::collections::HashMap<(&str, i64), usize> = Default::default();
    for inc in state.visible.iter().filter_map(|&i| state.view.incidents.get(i)) {
        *seen.entry((inc.title.as_str(), inc.started_at)).or_default() += 1;
    }
    let twin = |inc: &Incident| seen.get(&(inc.title.as_str(), inc.started_at)) > Some(&1);
    // The ack column takes room only while some incident in the list has
    // an ack to show; the title gets it otherwise.
    let ack_w = if state
        .visible
        .iter()
        .filter_map(|&i| state.view.incidents.get(i))
        .any(|inc| crate::app::ack::ack_badge(&state.view, inc).is_some())
    {
        ACK_W
    } else {
        0
    };
    let height = usize::from(inner.height);
    let first = scroll_to(state.cursors.incidents, height, state.visible.len());
    let lines: Vec<Line> = state
        .visible
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .filter_map(|(row, &i)| state.view.incidents.get(i).map(|inc| (row, inc)))
        .map(|(row, inc)| {
            let selected = row == state.cursors.incidents;
            let row =
                Row { width: cols(inner.width), ack_w, selected, focused: selected && focused };
            line(inc, state, theme, row, twin(inc))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "All quiet" only when a source said so: with no answer from any source
/// (or every one failing) the empty list means no data, and the pane says
/// why.
fn quiet_or_no_data(state: &State) -> String {
    let sources = &state.view.sources;
    let answered = sources.iter().any(|s| s.last_ok.is_some() && s.status.is_healthy());
    if sources.is_empty() || answered {
        return "no incidents \u{2014} all quiet".to_string();
    }
    let reasons: Vec<String> = sources
        .iter()
        .map(|s| {
            let why = match &s.status {
                crate::model::SourceStatus::Starting => "no answer yet".to_string(),
                other => crate::connectors::alertmanager::describe(other),
            };
            sanitize::clean_line(&format!("{}: {why}", s.id), 120)
        })
        .collect();
    format!("no data \u{2014} no source has answered ({})", reasons.join("; "))
}

/// `unconfirmed ` before the title while any of its active alerts is no
/// longer reported but not confirmed resolved (a replica down or settling);
/// `ending ` while every active one is over by its rule engine's word
/// (an Alertmanager still holds them until their lease ends).
fn doubt_marker(state: &State, inc: &Incident) -> &'static str {
    let active = || {
        inc.alerts
            .iter()
            .filter_map(|fp| state.view.alerts.get(fp))
            .filter(|a| a.alert.state.is_active())
    };
    if active().any(|a| a.alert.unconfirmed) {
        "unconfirmed "
    } else if active().next().is_some() && active().all(|a| a.alert.rule_ended.is_some()) {
        "ending "
    } else {
        ""
    }
}

/// Where a row is drawn and how it is highlighted.
#[derive(Clone, Copy)]
struct Row {
    width: usize,
    /// The ack column's width: 0 when no row shows an ack.
    ack_w: usize,
    selected: bool,
    focused: bool,
}

fn line<'a>(inc: &Incident, state: &State, theme: &Theme, r: Row, twin: bool) -> Line<'a> {
    let Row { width, ack_w, selected, focused } = r;
    let text_role = match inc.state {
        IncidentState::Open => Role::Text,
        IncidentState::Quiet => Role::StateQuiet,
        IncidentState::Resolved => Role::StateResolved,
    };
    let mut row = theme.style(text_role);
    if focused {
        row = row.patch(theme.style(Role::Selection));
    }
    let cursor = if selected { "\u{25b6}" } else { " " };
    let marked = state.marked.contains(&inc.id);
    let sev = theme.severity(inc.severity);

    let age = format_age(state.view.now - inc.started_at);
    let n = inc.alerts.len();
    // A suspected incident has no alerts: its column says what it is.
    let count = if inc.id.is_suspected() {
        "suspected".to_string()
    } else {
        format!("{n} alert{}", if n == 1 { "" } else { "s" })
    };
    let badge = crate::app::ack::ack_badge(&state.view, inc);
    let ack = match badge {
        Some("ACK") => "\u{2713} acked",
        Some(b) => b,
        None => "",
    };
    let ack_role =
        if badge.is_some_and(|b| b != "ACK") { Role::FlashError } else { Role::StateAcked };
    // cursor, mark, glyph+word (6), spaces, age 6, count 9, ack 11 or 0, state 8.
    let fixed = 1 + 1 + 6 + 1 + 1 + 6 + 1 + 9 + usize::from(ack_w > 0) + ack_w + 1 + 8;
    let mut flex = width.saturating_sub(fixed);
    let services = if width >= SERVICES_FROM {
        let w = (flex / 3).min(40);
        flex -= w + 1;
        Some(w)
    } else {
        None
    };

    let id = if twin { format!("{} \u{00b7} ", inc.id) } else { String::new() };
    let title =
        format!("{}{}{id}{}", doubt_marker(state, inc), state.view.flap_marker(inc), inc.title);
    let mut spans = vec![
        Span::styled(
            cursor,
            if focused { theme.style(Role::Selection) } else { theme.style(Role::Text) },
        ),
        Span::styled(if marked { "*" } else { " " }, theme.style(Role::Marked)),
        Span::styled(format!("{} {}", inc.severity.glyph(), inc.severity.word()), sev),
        Span::styled(" ", row),
        Span::styled(title_cell(&title, flex), row),
    ];
    if let Some(w) = services {
        spans.push(Span::styled(" ", row));
        spans.push(Span::styled(
            cell(&inc.services.join(","), w),
            row.patch(theme.style(Role::TextDim)),
        ));
    }
    spans.extend([
        Span::styled(" ", row),
        Span::styled(cell_right(&age, 6), row),
        Span::styled(" ", row),
        Span::styled(cell_right(&count, 9), row),
    ]);
    if ack_w > 0 {
        spans.extend([
            Span::styled(" ", row),
            Span::styled(cell(ack, ack_w), if focused { row } else { theme.style(ack_role) }),
        ]);
    }
    spans.extend([Span::styled(" ", row), Span::styled(cell(inc.state.word(), 8), row)]);
    if marked && !focused {
        for s in spans.iter_mut().skip(4) {
            s.style = s
                .style
                .patch(Style::default().add_modifier(theme.style(Role::Marked).add_modifier));
        }
    }
    Line::from(spans)
}

/// Shortest an alert name is cut to so that the place after it fits.
const NAME_AT_LEAST: usize = 10;

/// An incident's title in `width` columns. A title reads `ALERT on WHERE…`
/// (`HighErrorRate on cart, frontend (+5 alerts)`), and rows of one alert
/// on different hosts or services differ only in WHERE, so a title too
/// wide keeps the first place it names: its alert name gives up what that
/// needs, down to [`NAME_AT_LEAST`] columns (`HostMemoryUnderPres… on
/// host-a…`), and then its end is cut.
fn title_cell(title: &str, width: usize) -> String {
    let clean = sanitize::clean_line(title, sanitize::MAX_WIDTH);
    if sanitize::width(&clean) <= width {
        return cell(&clean, width);
    }
    let Some(at) = clean.find(" on ") else { return cell(&clean, width) };
    let (name, place) = clean.split_at(at);
    // The first place, up to the next one or a note; the `…` that cuts
    // what follows it takes a column too.
    let first_end = [", ", " (", " +"]
        .iter()
        .filter_map(|sep| place[4..].find(sep).map(|i| i + 4))
        .min()
        .unwrap_or(place.len());
    let first_w = sanitize::width(&place[..first_end]) + usize::from(first_end < place.len());
    let name_w = sanitize::width(name);
    let keep = name_w.min(width.saturating_sub(first_w)).max(NAME_AT_LEAST);
    if keep >= name_w {
        return cell(&clean, width);
    }
    // `truncate` ends what it cut with `…` within `keep` columns.
    cell(&format!("{}{place}", sanitize::truncate(name, keep)), width)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::app::fixture;
    use crate::model::{SourceHealth, SourceStatus};

    #[test]
    fn an_empty_list_is_quiet_only_when_a_source_answered() {
        let mut s = fixture::state();
        let view = Arc::make_mut(&mut s.view);
        view.incidents.clear();
        view.sources = vec![SourceHealth {
            id: "am".into(),
            kind: "alertmanager".into(),
            status: SourceStatus::Down {
                since: 0,
                attempts: 3,
                reason: "connection refused".into(),
            },
            last_ok: None,
            interval_ms: 15_000,
        }];
        let msg = super::quiet_or_no_data(&s);
        assert!(msg.starts_with("no data"), "{msg}");
        assert!(msg.contains("am: down (3 attempts): connection refused"), "{msg}");
        let view = Arc::make_mut(&mut s.view);
        view.sources[0].status = SourceStatus::Ok;
        view.sources[0].last_ok = Some(1);
        assert!(super::quiet_or_no_data(&s).contains("all quiet"));
    }

    #[test]
    fn a_title_too_wide_keeps_its_place_and_shortens_its_alert_name() {
        use super::title_cell;
        let t = "HostMemoryUnderPressure on host-a (+1 alerts)";
        assert_eq!(title_cell(t, 50), format!("{t}     "));
        // Room for the name and the first place: only the end is cut.
        assert_eq!(title_cell(t, 40), "HostMemoryUnderPressure on host-a (+1 a\u{2026}");
        // Less room: the name gives up what the first place needs.
        let narrow = title_cell(t, 31);
        assert_eq!(narrow, "HostMemoryUnderPres\u{2026} on host-a\u{2026}");
        assert_eq!(crate::sanitize::width(&narrow), 31);
        // Several places: the first stays whole.
        let many = "suspected: p99 latency anomaly on reports-batch, bi-dashboard, no alert yet";
        assert_eq!(
            title_cell(many, 44),
            "suspected: p99 latency an\u{2026} on reports-batch\u{2026}"
        );
        // The name keeps ten columns; then the end is cut.
        assert_eq!(title_cell(t, 16), "HostMemor\u{2026} on h\u{2026}");
        // No place: an ordinary cut.
        assert_eq!(title_cell("DiskFillingUpVeryFast", 10), "DiskFilli\u{2026}");
        // Hostile text stays inert.
        assert!(!title_cell("A\x1b[2J on \x1b]52;c;x\x07b", 30).contains('\x1b'));
    }
}
