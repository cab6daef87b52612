//! The "read whole" view over the body: the text `ui::read` builds for
//! what `v` selected, wrapped to the box, scrolled by the help keys.
//!
//! ```text
//! ┏ Read · I-df5d04 · HighErrorRate on cart · j/k scroll · esc closes ━┓
//! ┃HighErrorRate on cart, frontend and ingress after deploy v2.14.1    ┃
//! ┃severity: CRIT                                                      ┃
//! ┃12:26:31 new log pattern on cart: ERROR upstream connect error or   ┃
//! ┃  disconnect/reset before headers (whole, wrapped)                  ┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::app::keymap::Context;
use crate::app::{Action, State};
use crate::theme::{Role, Theme};

/// The box the reader is drawn in, inside the body.
#[must_use]
pub fn popup(body: Rect) -> Rect {
    crate::ui::popup(body, body.width.saturating_sub(2), body.height.saturating_sub(2))
}

/// The reader's lines wrapped to the width of its box over `body`.
#[must_use]
pub fn wrapped(state: &State, body: Rect) -> (String, Vec<String>) {
    let Some((title, lines)) = crate::ui::read::text(state) else {
        return (String::new(), Vec::new());
    };
    let width = usize::from(popup(body).width.saturating_sub(2));
    let out = lines.iter().flat_map(|l| crate::ui::text::wrap_whole(l, width)).collect();
    (title, out)
}

pub fn render(frame: &mut Frame, body: Rect, state: &State, theme: &Theme) {
    let area = popup(body);
    frame.render_widget(Clear, area);
    let (title, lines) = wrapped(state, body);
    let key = |a| state.keymap.first_label(Context::Help, a).unwrap_or_else(|| "?".into());
    let scroll = state.reader.as_ref().map_or(0, |r| r.scroll).min(lines.len().saturating_sub(1));
    let keys = format!(
        " \u{00b7} {}/{} scroll \u{00b7} {} closes",
        key(Action::Down),
        key(Action::Up),
        key(Action::Back)
    );
    let reserve = crate::sanitize::width(&keys) + 5;
    let head = super::title_text(&title, area, reserve);
    let b = block(vec![Span::raw(format!("Read \u{00b7} {head}")), Span::raw(keys)], true, theme);
    let inner = b.inner(area);
    frame.render_widget(b.style(theme.style(Role::Help)), area);
    let h = usize::from(inner.height);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(h)
        .map(|l| Line::styled(l, theme.style(Role::Text)))
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
