//! Drawing: `render` is a pure function of `State` and a `Theme`.
//!
//! Owns layout, panes and widgets (the keymap is `app::keymap`, themes
//! `crate::theme`). It must not
//! mutate state, do I/O or know about the terminal backend: the same code
//! draws into a real terminal and into `TestBackend` in tests. Every
//! string that came from outside goes through `crate::sanitize` before it
//! reaches the buffer. See `layout` for the screen sketch.

mod ellipsis;
pub mod layout;
mod measure;
pub mod panes;
pub mod read;
mod text;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::State;
use crate::app::layers::Layer;
use crate::theme::{Role, Theme};

pub use crate::app::keymap::{Context, KeySpec, Keymap, KeymapError};
pub use crate::theme::ThemeError;
pub use measure::MEASURE;

/// A span of cells that the terminal should make a clickable link (OSC 8).
///
/// ratatui's buffer has no notion of hyperlinks, and an escape sequence
/// written into a cell would count as cell width and break its diff, so
/// `render_with_links` only reports where a link was drawn; the terminal
/// loop rewrites those cells wrapped in OSC 8 after the frame
/// (`tui::terminal_io::hyperlinks`). The URL has passed
/// `app::runbook_flow::is_safe_link`: http(s), no controls, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperlink {
    pub area: Rect,
    pub url: String,
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let _ = render_with_links(frame, state, theme);
}

/// Draws the whole screen and returns the cells to turn into hyperlinks.
/// None is returned while an overlay, dialog or help covers the panes, so
/// overlay text never becomes clickable.
pub fn render_with_links(frame: &mut Frame, state: &State, theme: &Theme) -> Vec<Hyperlink> {
    let area = frame.area();
    if area.is_empty() {
        return Vec::new();
    }
    if !layout::fits(area) {
        too_small(frame, area, state, theme);
        return Vec::new();
    }
    let mut links = Vec::new();
    let a = layout::areas(area, state.visible.len());
    panes::header::render(frame, a.header, state, theme);
    if !state.has_data {
        waiting(frame, a.body, theme);
    } else if state.drill.is_some() {
        links.extend(panes::alert_detail::render(frame, a.body, state, theme));
    } else {
        panes::incidents::render(frame, a.incidents, state, theme);
        if state.runbook_flow.output_open {
            panes::run_output::render(frame, a.detail, &state.runbook_flow, &state.keymap, theme);
        } else {
            panes::detail::render(frame, a.detail, state, theme);
        }
        panes::causes::render(frame, a.causes, state, theme);
        if state.logs_open {
            let pane = panes::logs::LogsPane {
                service: state.logs_service().unwrap_or("-"),
                patterns: state.logs_patterns(),
                selected: state.cursors.runbooks,
                mode: if state.logs_lines {
                    panes::logs::LogsMode::Lines
                } else {
                    panes::logs::LogsMode::Patterns
                },
                filter: &state.logs_filter,
                focused: state.focus == crate::app::Pane::Runbooks,
            };
            panes::logs::render(frame, a.runbooks, &pane, theme);
        } else {
            links.extend(panes::runbooks::render(frame, a.runbooks, state, theme));
        }
    }
    if state.panes_covered() {
        links.clear();
    }
    // The boxes over the panes, bottom first (see `app::layers`).
    for layer in state.layers() {
        match layer {
            Layer::List(which) if state.has_data => {
                panes::lists::render(frame, a.body, state, theme, which);
            }
            Layer::Audit => {
                panes::audit::render(frame, a.body, &state.runbook_flow, &state.keymap, theme)
            }
            Layer::Reader => panes::reader::render(frame, a.body, state, theme),
            Layer::Help => panes::help::render(frame, a.body, state, theme),
            Layer::Dialog => {
                if let Some(d) = &state.runbook_flow.dialog {
                    panes::runbook_dialog::render(frame, a.body, d, &state.keymap, theme);
                }
            }
            Layer::Confirm => {
                if let Some(p) = &state.pending {
                    panes::confirm::render(frame, a.body, p, &state.keymap, theme);
                }
            }
            Layer::Panes | Layer::Drill | Layer::List(_) | Layer::Input(_) => {}
        }
    }
    panes::footer::render(frame, a.footer, state, theme);
    if panes::footer::render_overflow(frame, a.body, state, theme) {
        links.clear();
    }
    links
}

fn centered(area: Rect, lines: u16) -> Rect {
    area.centered_vertically(Constraint::Length(lines.min(area.height)))
}

/// A `w`×`h` box centred in `area` (clamped to it), for overlays and dialogs.
#[must_use]
pub fn popup(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(Constraint::Length(w.min(area.width)), Constraint::Length(h.min(area.height)))
}

fn waiting(frame: &mut Frame, body: Rect, theme: &Theme) {
    let text = vec![
        Line::styled("waiting for data\u{2026}", theme.style(Role::Title)),
        Line::styled(
            "sources are being polled; the header shows their health",
            theme.style(Role::TextDim),
        ),
    ];
    frame.render_widget(Paragraph::new(text).centered(), centered(body, 2));
}

/// Shown below 80×24 instead of panes that would be unreadable.
fn too_small(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let text = format!(
        "terminal too small (need {}\u{00d7}{}, have {}\u{00d7}{})",
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT,
        area.width,
        area.height
    );
    let quit =
        state.keymap.first_label(Context::Main, crate::app::Action::Quit).unwrap_or_default();
    let p = Paragraph::new(vec![
        Line::styled(text, theme.style(Role::FlashError)),
        Line::raw(format!("{quit} quits")),
    ])
    .centered()
    .wrap(Wrap { trim: true });
    frame.render_widget(p, centered(area, 4));
}

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_read;
#[cfg(test)]
mod tests_text;
