//! The list overlays over the panes: `:silences` (pending acks, live
//! silences ending soonest first, recently expired ones) and `:sources`
//! (every source's health with its reason and last success). A row cut to
//! fit is shown whole, wrapped, under the list while it is selected.
//!
//! ```text
//! ┌ Silences 3 · e extend 1h · x expire · esc close ─────────────────────────┐
//! │ ACK    in 14m   2 alerts  ana@bastion (me)  ACK! on it  alertname="Down" │
//! │ active in 52m   0 alerts  bob               maintenance  job="batch"     │
//! └──────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::app::keymap::Context;
use crate::app::overlay::{SilenceRow, silence_rows};
use crate::app::{Action, Overlay, State};
use crate::model::{AckPhase, SourceStatus, format_age, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::text::{cell, cols, scroll_to};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, which: Overlay) {
    frame.render_widget(Clear, area);
    let km = &state.keymap;
    let key = |a| km.first_label(Context::List, a).unwrap_or_default();
    let (title, rows) = match which {
        Overlay::Silences => (
            format!(
                "Silences {} \u{00b7} {} extend 1h \u{00b7} {} expire \u{00b7} {} close",
                silence_rows(&state.view).len(),
                key(Action::Extend),
                key(Action::Expire),
                key(Action::Back)
            ),
            silences(state, theme, cols(area.width.saturating_sub(2))),
        ),
        Overlay::Anomalies => (
            format!(
                "Anomalies {} \u{00b7} newest first \u{00b7} {} close",
                state.view.anomalies.len(),
                key(Action::Back)
            ),
            anomalies(state, theme, cols(area.width.saturating_sub(2))),
        ),
        Overlay::Forecasts => (
            format!(
                "Forecasts {} \u{00b7} soonest breach first \u{00b7} {} close",
                state.view.forecasts.len(),
                key(Action::Back)
            ),
            forecasts(state, theme, cols(area.width.saturating_sub(2))),
        ),
        Overlay::Sources => (
            format!(
                "Sources {} \u{00b7} {} retry now \u{00b7} {} close",
                state.view.sources.len(),
                key(Action::Retry),
                key(Action::Back)
            ),
            sources(state, theme, cols(area.width.saturating_sub(2))),
        ),
    };
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    if rows.is_empty() {
        let msg = match which {
            Overlay::Silences => "no silences on any cluster",
            Overlay::Sources => "no sources",
            Overlay::Anomalies => "no anomalies: every signal within its normal range",
            Overlay::Forecasts => "no forecasts: no trending series is heading for its limit",
        };
        frame.render_widget(Paragraph::new(msg).style(theme.style(Role::TextDim)), inner);
        return;
    }
    let cur = state.cursors.overlay.min(rows.len() - 1);
    // The selected row whole, wrapped under the list, when its line was cut.
    let whole = whole_row(state, theme, which, cur);
    let wrapped = crate::ui::text::wrap(&whole, cols(inner.width), 4);
    let inner = if sanitize::width(&whole) > cols(inner.width) && inner.height > 8 {
        let n = u16::try_from(wrapped.len()).unwrap_or(4);
        let below = Rect { y: inner.y + inner.height - n, height: n, ..inner };
        let lines: Vec<Line> = wrapped.into_iter().map(Line::raw).collect();
        frame.render_widget(Paragraph::new(lines).style(theme.style(Role::Evidence)), below);
        let rule = Rect { y: below.y - 1, height: 1, ..inner };
        frame.render_widget(
            Line::styled("\u{2500}".repeat(cols(inner.width)), theme.style(Role::Border)),
            rule,
        );
        Rect { height: inner.height - n - 1, ..inner }
    } else {
        inner
    };
    let h = usize::from(inner.height);
    let first = scroll_to(cur, h, rows.len());
    let shown: Vec<Line> = rows
        .into_iter()
        .enumerate()
        .skip(first)
        .take(h)
        .map(|(i, l)| if i == cur { l.patch_style(theme.style(Role::Selection)) } else { l })
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// Columns the rows are built at to get them uncut.
const UNCUT: usize = 4_000;

/// The text of row `i` built without cutting, spaces collapsed.
fn whole_row(state: &State, theme: &Theme, which: Overlay, i: usize) -> String {
    let rows = match which {
        Overlay::Silences => silences(state, theme, UNCUT),
        Overlay::Sources => sources(state, theme, UNCUT),
        Overlay::Anomalies => anomalies(state, theme, UNCUT),
        Overlay::Forecasts => forecasts(state, theme, UNCUT),
    };
    let text: String = rows
        .get(i)
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "in 14m" or "3m ago".
fn until(now: i64, t: i64) -> String {
    if t >= now {
        format!("in {}", format_age(t - now))
    } else {
        format!("{} ago", format_age(now - t))
    }
}

fn silences<'a>(state: &State, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let now = state.view.now;
    let me = &state.caps.ack_author;
    silence_rows(&state.view)
        .into_iter()
        .map(|row| match row {
            SilenceRow::PendingAck(a) => {
                let (word, err) = match &a.phase {
                    AckPhase::Pending { attempts, last_error } => {
                        (if *attempts > 0 { "FAILING" } else { "PENDING" }, last_error.clone())
                    }
                    AckPhase::Expiring { last_error, .. } => ("UNACKING", last_error.clone()),
                    _ => ("ACK", None),
                };
                let text = format!(
                    "{} {} alert(s) of {} on {}{}",
                    word,
                    a.fingerprints.len(),
                    a.incident,
                    a.source,
                    err.map(|e| format!(": {e}")).unwrap_or_default()
                );
                Line::styled(sanitize::clean_line(&text, width), theme.style(Role::FlashError))
            }
            SilenceRow::Silence(s) => {
                let state_word = if !s.is_live() {
                    "expired"
                } else if s.is_ack() {
                    "ACK"
                } else if s.state == crate::model::SilenceState::Pending {
                    "pending"
                } else {
                    "active"
                };
                let soon = s.is_live() && s.ends_at - now < 3_600_000;
                let role = if !s.is_live() {
                    Role::TextDim
                } else if s.matched == 0 {
                    Role::StateQuiet
                } else {
                    Role::Text
                };
                let matched = if s.is_live() && s.matched == 0 {
                    "matches 0".to_string()
                } else {
                    format!("{} alert{}", s.matched, if s.matched == 1 { "" } else { "s" })
                };
                let who = if &s.created_by == me {
                    format!("{} (me)", s.created_by)
                } else {
                    s.created_by.clone()
                };
                let matchers: Vec<String> = s.matchers.iter().map(ToString::to_string).collect();
                let fixed = 8 + 1 + 10 + 1 + 10 + 1;
                let rest = width.saturating_sub(fixed);
                let who_w = (rest / 4).clamp(6, 24);
                let comment_w = (rest / 3).clamp(6, 40);
                let matcher_w = rest.saturating_sub(who_w + comment_w + 2);
                Line::from(vec![
                    Span::styled(
                        cell(state_word, 8),
                        theme.style(if s.is_ack() { Role::StateAcked } else { role }),
                    ),
                    Span::raw(" "),
                    Span::styled(
                        cell(&until(now, s.ends_at), 10),
                        theme.style(if soon { Role::FlashError } else { role }),
                    ),
                    Span::raw(" "),
                    Span::styled(cell(&matched, 10), theme.style(role)),
                    Span::raw(" "),
                    Span::styled(cell(&who, who_w), theme.style(role)),
                    Span::raw(" "),
                    Span::styled(cell(&s.comment, comment_w), theme.style(role)),
                    Span::raw(" "),
                    Span::styled(cell(&matchers.join(" "), matcher_w), theme.style(Role::TextDim)),
                ])
            }
        })
        .collect()
}

fn sources<'a>(state: &State, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let now = state.view.now;
    state
        .view
        .sources
        .iter()
        .map(|h| {
            let detail = source_detail(now, &h.status);
            let last = last_ok(now, h);
            let role = if h.status.is_healthy() { Role::Text } else { Role::FlashError };
            let name_w = (width / 5).clamp(6, 24);
            let kind_w = (width / 4).clamp(6, 40);
            let last_w = 14;
            let detail_w = width.saturating_sub(name_w + kind_w + last_w + 3);
            Line::from(vec![
                Span::styled(cell(&h.id, name_w), theme.style(Role::Title)),
                Span::raw(" "),
                Span::styled(cell(&h.kind, kind_w), theme.style(Role::TextDim)),
                Span::raw(" "),
                Span::styled(cell(&last, last_w), theme.style(Role::TextDim)),
                Span::raw(" "),
                Span::styled(cell(&detail, detail_w), theme.style(role)),
            ])
        })
        .collect()
}

/// A source's health in words, with its whole reason.
#[must_use]
pub fn source_detail(now: i64, status: &SourceStatus) -> String {
    match status {
        SourceStatus::Down { since, attempts, reason } => {
            format!("down for {} ({attempts} attempts): {reason}", format_age(now - since))
        }
        SourceStatus::AuthFailed { reason } => {
            format!("auth failed, polling stopped until retry: {reason}")
        }
        SourceStatus::Tls { reason } => format!("TLS error: {reason}"),
        SourceStatus::BadResponse { excerpt } => format!("bad response: {excerpt}"),
        SourceStatus::TooLarge { limit_bytes } => {
            format!("response over the {limit_bytes}-byte cap")
        }
        SourceStatus::Slow { millis } => format!("slow: {millis} ms"),
        SourceStatus::Partial { warnings } => format!("partial data: {}", warnings.join("; ")),
        other => other.word().to_string(),
    }
}

/// "ok 3m ago" or "never ok".
#[must_use]
pub fn last_ok(now: i64, h: &crate::model::SourceHealth) -> String {
    h.last_ok.map_or_else(|| "never ok".to_string(), |t| format!("ok {} ago", format_age(now - t)))
}

/// `in 14m` or `3m ago`, for the reader.
#[must_use]
pub fn until_text(now: i64, t: i64) -> String {
    until(now, t)
}

fn anomalies<'a>(state: &State, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    state
        .view
        .anomalies
        .iter()
        .map(|a| {
            let service = a.service.as_deref().unwrap_or("-");
            // Per-pod series of one service would read the same.
            let on = a.instance.as_deref().map(|i| format!("  on {i}")).unwrap_or_default();
            let text = format!(
                "{}  {:<14} {:<12} {:<7} score {:.2}  value {:<7}{on}",
                format_clock(a.ts),
                sanitize::clean_line(service, 14),
                a.signal.describe(),
                a.kind,
                a.score,
                crate::ui::widgets::spark::compact(a.value)
            );
            // Strong ones stand out; the many barely over the threshold
            // (young series break their records often) recede.
            let role = if a.score >= 0.9 {
                Role::FlashError
            } else if a.score < 0.7 {
                Role::TextDim
            } else {
                Role::Text
            };
            // The instance at the end is what tells per-pod rows apart.
            Line::styled(crate::ui::ellipsis::middle(&text, width), theme.style(role))
        })
        .collect()
}

/// "in 3h10m ± 25m (at 12:20)"; "in 3h10m, maybe never" without an upper bound.
#[must_use]
pub fn breach_text(now: i64, f: &crate::model::Forecast) -> String {
    let eta = format_age((f.eta - now).max(0));
    match f.latest {
        Some(latest) => {
            let half = ((latest - f.earliest).max(0)) / 2;
            format!("in {eta} \u{00b1} {} (at {})", format_age(half), format_clock(f.eta))
        }
        None => format!("in {eta} (at {}), or never if the trend flattens", format_clock(f.eta)),
    }
}

fn forecasts<'a>(state: &State, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let now = state.view.now;
    let mut rows: Vec<&crate::model::Forecast> = state.view.forecasts.iter().collect();
    rows.sort_by_key(|f| f.eta);
    rows.into_iter()
        .map(|f| {
            let service = f.service.as_deref().unwrap_or("-");
            let text = format!(
                "{:<14} {:<12} reaches {} {}",
                sanitize::clean_line(service, 14),
                f.signal.describe(),
                crate::ui::widgets::spark::compact(f.threshold),
                breach_text(now, f)
            );
            let role = if f.eta - now < 3_600_000 { Role::FlashError } else { Role::Text };
            Line::styled(sanitize::clean_line(&text, width), theme.style(role))
        })
        .collect()
}
