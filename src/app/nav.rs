//! Cursor movement: up/down/page/top/bottom in whatever has focus (the
//! help overlay, the alert detail, or one of the four panes). Every move
//! clamps; nothing here can index out of bounds.
//!
//! How tall a page is and how long the help and the alert detail are
//! depend on what is drawn, which `app` does not know: the renderer answers
//! through the [`Measure`] a `State` carries (`ui::MEASURE`), so paging
//! uses the very rectangles and line counts on screen without `app`
//! depending on `ui`.

use super::layers::Layer;
use super::state::{Pane, State};

/// What navigation asks of the screen; answered by the renderer.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// Rows in one page of whatever has focus.
    pub page_rows: fn(&State) -> usize,
    /// Scroll positions of the help overlay (the last shows its end).
    pub help_len: fn(&State) -> usize,
    /// Lines of the open alert detail.
    pub detail_len: fn(&State) -> usize,
    /// Lines of the open reader, as wrapped on screen.
    pub reader_len: fn(&State) -> usize,
}

impl Measure {
    /// Before a renderer is attached: one-row pages, nothing to scroll in
    /// the help or the detail.
    pub const UNDRAWN: Self =
        Self { page_rows: one, help_len: none, detail_len: none, reader_len: none };
}

fn one(_: &State) -> usize {
    1
}

fn none(_: &State) -> usize {
    0
}

/// Moves the cursor of the focused thing by `delta` rows.
pub fn step(state: &mut State, delta: isize) {
    let len = focused_len(state);
    let cur = cursor(state);
    let next = cur.saturating_add_signed(delta).min(len.saturating_sub(1));
    set_cursor(state, next);
}

pub fn page(state: &mut State, down: bool) {
    let rows = isize::try_from(page_rows(state)).unwrap_or(1);
    step(state, if down { rows } else { -rows });
}

pub fn jump(state: &mut State, to_end: bool) {
    let target = if to_end { focused_len(state).saturating_sub(1) } else { 0 };
    set_cursor(state, target);
}

fn page_rows(state: &State) -> usize {
    (state.measure.page_rows)(state).max(1)
}

fn focused_len(state: &State) -> usize {
    // Scrolling stops when the last line reaches the top; the renderer
    // shows as much as fits from there.
    match state.scroll_layer() {
        Layer::Help => return (state.measure.help_len)(state),
        Layer::Reader => return (state.measure.reader_len)(state),
        Layer::Audit => return state.runbook_flow.audit.len(),
        Layer::List(o) => return super::overlay::len(state, o),
        Layer::Drill => return (state.measure.detail_len)(state),
        _ => {}
    }
    match state.focus {
        Pane::Incidents => state.visible.len(),
        Pane::Alerts => state.incident_alerts().len(),
        Pane::Causes => state.shown_causes().len(),
        Pane::Runbooks if state.logs_open => state.logs_patterns().len(),
        Pane::Runbooks => state.offered_runbooks().len(),
    }
}

fn cursor(state: &State) -> usize {
    let c = &state.cursors;
    match state.scroll_layer() {
        Layer::Help => c.help_scroll,
        Layer::Reader => state.reader.as_ref().map_or(0, |r| r.scroll),
        Layer::Audit => state.runbook_flow.audit_scroll,
        Layer::List(_) => c.overlay,
        Layer::Drill => c.detail_scroll,
        _ => match state.focus {
            Pane::Incidents => c.incidents,
            Pane::Alerts => c.alerts,
            Pane::Causes => c.causes,
            Pane::Runbooks => c.runbooks,
        },
    }
}

fn set_cursor(state: &mut State, v: usize) {
    match state.scroll_layer() {
        Layer::Help => state.cursors.help_scroll = v,
        Layer::Reader => {
            if let Some(r) = &mut state.reader {
                r.scroll = v;
            }
        }
        Layer::Audit => state.runbook_flow.audit_scroll = v,
        Layer::List(_) => state.cursors.overlay = v,
        Layer::Drill => state.cursors.detail_scroll = v,
        _ => match state.focus {
            Pane::Incidents => {
                if v != state.cursors.incidents {
                    state.cursors.incidents = v;
                    state.reset_incident_cursors();
                }
                state.selected = state.selected_incident().map(|i| i.id.clone());
            }
            Pane::Alerts => state.cursors.alerts = v,
            Pane::Causes => state.cursors.causes = v,
            Pane::Runbooks => state.cursors.runbooks = v,
        },
    }
}
