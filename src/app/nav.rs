//! Cursor movement: up/down/page/top/bottom in whatever has focus (the
//! help overlay, the alert detail, or one of the four panes). Every move
//! clamps; nothing here can index out of bounds.

use ratatui::layout::Rect;

use super::state::{Pane, State};

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

/// Rows in one page of the focused pane, from the same layout the renderer uses.
fn page_rows(state: &State) -> usize {
    // A page of help is what its popup shows, so paging skips no line.
    if state.help_open {
        return crate::ui::panes::help::visible_rows(state);
    }
    let (w, h) = state.size;
    let areas = crate::ui::layout::areas(Rect::new(0, 0, w, h), state.visible.len());
    let rect = if state.help_open
        || state.drill.is_some()
        || state.overlay.is_some()
        || state.runbook_flow.audit_open
    {
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

fn focused_len(state: &State) -> usize {
    // Scrolling stops when the last line reaches the top; the renderer
    // shows as much as fits from there.
    if state.help_open {
        return crate::ui::panes::help::content_len(state);
    }
    if state.runbook_flow.audit_open {
        return state.runbook_flow.audit.len();
    }
    if let Some(o) = state.overlay {
        return super::overlay::len(state, o);
    }
    if state.drill.is_some() {
        return crate::ui::panes::alert_detail::content_len(state);
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
    if state.help_open {
        c.help_scroll
    } else if state.runbook_flow.audit_open {
        state.runbook_flow.audit_scroll
    } else if state.overlay.is_some() {
        c.overlay
    } else if state.drill.is_some() {
        c.detail_scroll
    } else {
        match state.focus {
            Pane::Incidents => c.incidents,
            Pane::Alerts => c.alerts,
            Pane::Causes => c.causes,
            Pane::Runbooks => c.runbooks,
        }
    }
}

fn set_cursor(state: &mut State, v: usize) {
    if state.help_open {
        state.cursors.help_scroll = v;
    } else if state.runbook_flow.audit_open {
        state.runbook_flow.audit_scroll = v;
    } else if state.overlay.is_some() {
        state.cursors.overlay = v;
    } else if state.drill.is_some() {
        state.cursors.detail_scroll = v;
    } else {
        match state.focus {
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
        }
    }
}
