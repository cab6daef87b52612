//! What the main keys do on the panes when no dialog or list is up:
//! Enter drills in, Esc peels one layer at a time, Space marks and moves
//! down, `y`/`Y` copy the selected incident. `apply` dispatches here.

use super::*;

pub(super) fn enter(state: &mut State) {
    if state.help_open || state.drill.is_some() {
        return;
    }
    match state.focus {
        Pane::Incidents => {
            if state.selected_incident().is_some() {
                state.focus = Pane::Alerts;
            }
        }
        Pane::Alerts => {
            if let Some(fp) = state.selected_alert().map(|a| a.alert.fingerprint.clone()) {
                state.drill = Some(fp);
                state.cursors.detail_scroll = 0;
            }
        }
        Pane::Runbooks if state.logs_open => state.toggle_log_lines(),
        // Runbooks are launched in `apply`, which can return effects.
        Pane::Runbooks | Pane::Causes => {}
    }
}

/// Esc peels one layer: help, then the alert detail, then pane focus, then
/// the marks, then the filter.
pub(super) fn back(state: &mut State) {
    use crate::app::layers::Layer;
    match state.scroll_layer() {
        Layer::Help => state.help_open = false,
        Layer::Reader => state.reader = None,
        Layer::Audit => state.runbook_flow.audit_open = false,
        Layer::List(_) => state.overlay = None,
        Layer::Drill => {
            state.drill = None;
            state.focus = Pane::Alerts;
        }
        _ => back_in_panes(state),
    }
}

/// Esc with nothing over the panes: the runbook output, the log lines,
/// pane focus, the filter.
fn back_in_panes(state: &mut State) {
    if state.runbook_flow.output_open {
        state.runbook_flow.output_open = false;
    } else if state.logs_lines {
        state.logs_lines = false;
    } else if state.focus != Pane::Incidents {
        state.focus = Pane::Incidents;
    } else if !state.marked.is_empty() || !state.marked_alerts.is_empty() {
        let n = state.marked.len() + state.marked_alerts.len();
        state.marked.clear();
        state.marked_alerts.clear();
        state.flash_info(format!("{n} mark(s) cleared"));
    } else if !state.filter.is_empty() {
        state.filter.clear();
        state.recompute_visible();
        state.flash_info("filter cleared");
    }
}

/// Space toggles the mark on the selected incident (in the alerts pane: on
/// the selected alert) and moves down, so a run of rows is marked by
/// holding the key.
pub(super) fn mark(state: &mut State) {
    if state.focus == Pane::Alerts && state.drill.is_none() {
        if let Some(fp) = state.selected_alert().map(|a| a.alert.fingerprint.clone()) {
            if !state.marked_alerts.remove(&fp) {
                state.marked_alerts.insert(fp);
            }
            crate::app::nav::step(state, 1);
        }
        return;
    }
    let Some(id) = state.selected_incident().map(|i| i.id.clone()) else {
        return;
    };
    if !state.marked.remove(&id) {
        state.marked.insert(id);
    }
    if state.focus == Pane::Incidents && state.drill.is_none() {
        crate::app::nav::step(state, 1);
    }
}

/// `y` / `Y`: the selected incident's Markdown summary or `amtool`
/// commands, to the clipboard.
pub(super) fn copy(state: &mut State, commands: bool) -> Vec<Effect> {
    let Some(inc) = state.selected_incident() else {
        state.flash_error("copy: no incident selected");
        return Vec::new();
    };
    let (text, what) = if commands {
        (crate::app::ack::amtool_commands(state, inc), "amtool commands")
    } else {
        (crate::app::ack::summary_markdown(&state.view, inc), "Markdown summary")
    };
    if text.is_empty() {
        state.flash_error("copy: no active alerts to build commands from");
        return Vec::new();
    }
    vec![Effect::Copy { text, what: what.to_string() }]
}
