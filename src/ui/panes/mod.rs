//! One file per pane. Each pane draws one region from `State` and the
//! theme; it must not mutate state or decide behaviour (that is `update`).

pub mod alert_detail;
pub mod audit;
pub mod causes;
pub mod confirm;
pub mod detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod incidents;
pub mod lists;
pub mod logs;
pub mod reader;
pub mod run_output;
pub mod runbook_dialog;
pub mod runbooks;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use crate::sanitize;
use crate::theme::{Role, Theme};

/// The bordered block of a pane; the focused one stands out by style and
/// by a thick border, so focus is visible without colour too.
#[must_use]
pub fn block<'a>(title: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let (border, kind) = if focused {
        (theme.style(Role::BorderFocused), BorderType::Thick)
    } else {
        (theme.style(Role::Border), BorderType::Plain)
    };
    let mut spans = vec![Span::raw(" ")];
    spans.extend(title);
    spans.push(Span::raw(" "));
    Block::bordered()
        .border_type(kind)
        .border_style(border)
        .title(Line::from(spans).style(theme.style(Role::Title)))
}

/// A title text from outside, sanitized and cut to fit a block of `area`.
#[must_use]
pub fn title_text(s: &str, area: Rect, reserve: usize) -> String {
    sanitize::clean_line(s, usize::from(area.width).saturating_sub(4 + reserve))
}
