//! Logs pane: one service's log patterns, or the lines of one pattern.
//!
//! ```text
//! ┌ Logs: payments  (patterns) ─────────────────────────────────────┐
//! │ NEW   ERR     30  02:14:05  ERROR connection refused to <*>     │
//! │ SPIKE        214  01:02:00  cache miss key=<*>                   │
//! │              980  00:00:00  charge ok id=<*> took <*>            │
//! └─────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Variable parts (`<*>`) are drawn dim so the constant words stand out; a
//! badge word (NEW, SPIKE) and the level word keep meaning without colour.
//! In lines mode the selected pattern's latest lines are listed, narrowed by
//! the fuzzy filter. Every string here came from a log: it goes through the
//! sanitizer before it reaches the buffer. Drawing only; which service and
//! pattern are shown is decided by the caller.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use crate::model::{LogLevel, LogPatternView, format_clock};
use crate::sanitize;
use crate::theme::{Role, Theme};
use crate::ui::text::cols;

/// What the pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsMode {
    Patterns,
    /// The lines of the selected pattern (Enter on a pattern).
    Lines,
}

/// Everything the pane draws, borrowed from the view and the app state.
#[derive(Debug, Clone, Copy)]
pub struct LogsPane<'a> {
    pub service: &'a str,
    pub patterns: &'a [LogPatternView],
    pub selected: usize,
    pub mode: LogsMode,
    /// Fuzzy filter over raw lines (lines mode).
    pub filter: &'a str,
    pub focused: bool,
}

pub fn render(frame: &mut Frame, area: Rect, pane: &LogsPane<'_>, theme: &Theme) {
    let what = match pane.mode {
        LogsMode::Patterns => "patterns",
        LogsMode::Lines => "lines",
    };
    let title = format!("Logs: {}  ({what})", sanitize::clean_line(pane.service, 40));
    let b = block(vec![Span::raw(title)], pane.focused, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.is_empty() {
        return;
    }
    let width = cols(inner.width);
    let dim = theme.style(Role::TextDim);
    if pane.patterns.is_empty() {
        frame.render_widget(Paragraph::new("no log lines for this service").style(dim), inner);
        return;
    }
    let (lines, extra) = match pane.mode {
        LogsMode::Patterns => pattern_rows(pane, width, theme),
        LogsMode::Lines => (raw_lines(pane, width, theme), 0),
    };
    let rows = usize::from(inner.height);
    let skip = match pane.mode {
        // The selected pattern and its continuation lines stay in view.
        LogsMode::Patterns => (pane.selected + 1 + extra).saturating_sub(rows),
        LogsMode::Lines => 0,
    };
    let shown: Vec<Line> = lines.into_iter().skip(skip).take(rows).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn level_word(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Error => "ERR ",
        LogLevel::Warn => "WARN",
        LogLevel::Info => "info",
        LogLevel::Debug => "dbg ",
        LogLevel::Unknown => "    ",
    }
}

/// One row per pattern; the selected one, when its template was cut, is
/// followed by the whole template wrapped (how many lines: the second value).
fn pattern_rows<'a>(pane: &LogsPane<'_>, width: usize, theme: &Theme) -> (Vec<Line<'a>>, usize) {
    let mut out = Vec::new();
    let mut extra = 0;
    for (i, p) in pane.patterns.iter().enumerate() {
        let selected = i == pane.selected;
        let base = theme.style(if selected && pane.focused { Role::Selection } else { Role::Text });
        let (badge, badge_role) = if p.new {
            ("NEW  ", Role::SeverityCritical)
        } else if p.spiking {
            ("SPIKE", Role::SeverityWarning)
        } else {
            ("     ", Role::Text)
        };
        let level_role = match p.level {
            LogLevel::Error => Role::SeverityCritical,
            LogLevel::Warn => Role::SeverityWarning,
            _ => Role::TextDim,
        };
        let head = format!(" {:>7}  {}  ", p.count, format_clock(p.first_seen));
        let used = 5 + 1 + 4 + head.chars().count();
        let mut spans = vec![
            Span::styled(badge, theme.style(badge_role)),
            Span::raw(" "),
            Span::styled(level_word(p.level), theme.style(level_role)),
            Span::styled(head, base),
        ];
        let room = width.saturating_sub(used);
        spans.extend(template_spans(&p.text, room, base, theme.style(Role::TextDim)));
        out.push(Line::from(spans));
        if selected && sanitize::width(&sanitize::clean(&p.text)) > room {
            let whole = crate::ui::text::wrap(&p.text, width.saturating_sub(2).max(1), 6);
            extra = whole.len();
            out.extend(
                whole
                    .into_iter()
                    .map(|l| Line::styled(format!("  {l}"), theme.style(Role::Evidence))),
            );
        }
    }
    (out, extra)
}

/// The template's words, variables dim, sanitized and cut to `width`.
fn template_spans<'a>(
    text: &str,
    width: usize,
    word: ratatui::style::Style,
    var: ratatui::style::Style,
) -> Vec<Span<'a>> {
    let clean = sanitize::clean_line(text, width);
    let mut spans = Vec::new();
    let mut rest = clean.as_str();
    while let Some(at) = rest.find("<*>") {
        if at > 0 {
            spans.push(Span::styled(rest[..at].to_string(), word));
        }
        spans.push(Span::styled("<*>", var));
        rest = &rest[at + 3..];
    }
    if !rest.is_empty() {
        spans.push(Span::styled(rest.to_string(), word));
    }
    spans
}

fn raw_lines<'a>(pane: &LogsPane<'_>, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let Some(p) = pane.patterns.get(pane.selected) else { return Vec::new() };
    let mut out = vec![Line::from(template_spans(
        &p.text,
        width,
        theme.style(Role::Title),
        theme.style(Role::TextDim),
    ))];
    let matcher = SkimMatcherV2::default();
    let text = theme.style(Role::Text);
    let mut any = false;
    for l in p.lines.iter().rev() {
        if !pane.filter.is_empty() && matcher.fuzzy_match(l, pane.filter).is_none() {
            continue;
        }
        any = true;
        out.push(Line::from(Span::styled(sanitize::clean_line(l, width), text)));
    }
    if !any {
        out.push(Line::from(Span::styled(
            "no line matches the filter",
            theme.style(Role::TextDim),
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn pattern(text: &str, new: bool, lines: &[&str]) -> LogPatternView {
        LogPatternView {
            id: "T1".into(),
            text: text.into(),
            level: if new { LogLevel::Error } else { LogLevel::Info },
            count: 30,
            first_seen: 0,
            last_seen: 0,
            new,
            spiking: false,
            lines: lines.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    fn draw(pane: &LogsPane<'_>) -> (String, ratatui::buffer::Buffer) {
        let mut t = Terminal::new(TestBackend::new(80, 8)).unwrap();
        let theme = Theme::default();
        t.draw(|f| render(f, f.area(), pane, &theme)).unwrap();
        let buf = t.backend().buffer().clone();
        let text = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n");
        (text, buf)
    }

    #[test]
    fn patterns_show_badges_and_dim_variables_and_sanitize() {
        let ps = [
            pattern("ERROR refused to <*> \u{1b}[31mred", true, &["ERROR refused to db-1"]),
            pattern("charge ok id=<*>", false, &[]),
        ];
        let pane = LogsPane {
            service: "pay\u{1b}]0;x\u{7}ments",
            patterns: &ps,
            selected: 0,
            mode: LogsMode::Patterns,
            filter: "",
            focused: true,
        };
        let (text, buf) = draw(&pane);
        assert!(text.contains("NEW"), "{text}");
        assert!(text.contains("ERR"), "{text}");
        assert!(text.contains("charge ok id=<*>"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        // The variable part is drawn in the dim style, the words not.
        let row = (0..8).find(|&y| (0..80).any(|x| buf[(x, y)].symbol() == "c")).unwrap();
        let x = (0..78)
            .find(|&x| buf[(x, row)].symbol() == "<" && buf[(x + 1, row)].symbol() == "*")
            .unwrap();
        let dim = Theme::default().style(Role::TextDim);
        assert_eq!(buf[(x, row)].fg, dim.fg.unwrap_or_default());
    }

    #[test]
    fn lines_mode_filters_fuzzily() {
        let ps = [pattern(
            "ERROR refused to <*>",
            true,
            &["ERROR refused to db-1", "ERROR refused to cache-2"],
        )];
        let mut pane = LogsPane {
            service: "payments",
            patterns: &ps,
            selected: 0,
            mode: LogsMode::Lines,
            filter: "cach",
            focused: true,
        };
        let (text, _) = draw(&pane);
        assert!(text.contains("cache-2") && !text.contains("db-1"), "{text}");
        pane.filter = "zzz";
        let (text, _) = draw(&pane);
        assert!(text.contains("no line matches"), "{text}");
    }

    #[test]
    fn the_selected_pattern_is_readable_whole() {
        let long = "level=error msg=\"upstream request failed\" upstream=checkout err=\"upstream returned 503 after <*> retries\" path=/api/order END-OF-TEMPLATE";
        let ps = [pattern("charge ok id=<*>", false, &[]), pattern(long, true, &[])];
        let mut pane = LogsPane {
            service: "frontend",
            patterns: &ps,
            selected: 1,
            mode: LogsMode::Patterns,
            filter: "",
            focused: true,
        };
        let (text, _) = draw(&pane);
        assert!(text.contains("END-OF-TEMPLATE"), "{text}");
        pane.selected = 0;
        let (text, _) = draw(&pane);
        assert!(!text.contains("END-OF-TEMPLATE"), "only the selected one unfolds:\n{text}");
    }
}
