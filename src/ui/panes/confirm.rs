//! The second-look dialog of a risky key (`app::confirm`): what will
//! happen, in words, and the keys that do it or drop it, from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::block;
use crate::app::Action;
use crate::app::confirm::Pending;
use crate::app::keymap::{Context, Keymap};
use crate::theme::{Role, Theme};

pub fn render(frame: &mut Frame, area: Rect, p: &Pending, keymap: &Keymap, theme: &Theme) {
    let (title, text, verb) = p.describe();
    let label = |a| keymap.first_label(Context::Dialog, a).unwrap_or_else(|| "?".into());
    let w = area.width.saturating_sub(4).min(72);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let mut lines: Vec<Line> =
        text.into_iter().map(|t| Line::styled(t, theme.style(Role::Text))).collect();
    lines.push(Line::raw(""));
    let key = theme.style(Role::FooterKey);
    lines.push(Line::from(vec![
        Span::styled(label(Action::Confirm), key),
        Span::raw(format!(" {verb} \u{00b7} ")),
        Span::styled(label(Action::Back), key),
        Span::raw(" cancel"),
    ]));
    // Rows once wrapped, so nothing is cut.
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner_w)).sum::<usize>() + 2;
    let h = u16::try_from(rows).unwrap_or(u16::MAX);
    let popup = crate::ui::popup(area, w, h);
    frame.render_widget(Clear, popup);
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(popup);
    frame.render_widget(b.style(theme.style(Role::Help)), popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
