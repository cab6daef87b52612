//! The renderer's answers to navigation (see [`crate::app::Measure`]): page
//! heights from the same layout `render` uses, and the line counts of the
//! help overlay and the alert detail as they are drawn.

use ratatui::layout::Rect;

use crate::app::layers::Layer;
use crate::app::{Measure, Pane, State};

/// The measure a `State` should carry whenever it is drawn by this module.
pub const MEASURE: Measure = Measure {
    page_rows,
    help_len: super::panes::help::content_len,
    detail_len: super::panes::alert_detail::content_len,
    reader_len,
};

/// Lines of the open reader as wrapped on this screen.
fn reader_len(state: &State) -> usize {
    let (w, h) = state.size;
    let body = super::layout::areas(Rect::new(0, 0, w, h), state.visible.len()).body;
    super::panes::reader::wrapped(state, body).1.len()
}

/// Rows in one page of the focused pane, from the same layout the renderer uses.
fn page_rows(state: &State) -> usize {
    // A page of help is what its popup shows, so paging skips no line.
    if state.scroll_layer() == Layer::Help {
        return super::panes::help::visible_rows(state);
    }
    if state.scroll_layer() == Layer::Reader {
        let (w, h) = state.size;
        let body = super::layout::areas(Rect::new(0, 0, w, h), state.visible.len()).body;
        return usize::from(super::panes::reader::popup(body).height.saturating_sub(2)).max(1);
    }
    let (w, h) = state.size;
    let areas = super::layout::areas(Rect::new(0, 0, w, h), state.visible.len());
    let rect = if state.scroll_layer() != Layer::Panes {
        areas.body
    } else {
        match state.focus {
            Pane::Incidents => areas.incidents,
            Pane::Alerts => areas.detail,
            Pane::Causes => areas.causes,
            Pane::Runbooks => areas.runbooks,
        }
    };
    usize::from(rect.height.saturating_sub(3)).max(1)
}
