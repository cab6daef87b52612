//! The list overlays: `:silences` (every cluster's silences and quell's
//! pending acks; extend, expire) and `:sources` (health of each source;
//! retry). Row order is decided here so the renderer and the keys agree.

use super::action::Effect;
use super::state::{Overlay, State};
use crate::ack::AckCommand;
use crate::model::{AckStatus, Silence, View};

/// One row of the silences list.
#[derive(Debug, Clone, Copy)]
pub enum SilenceRow<'v> {
    /// An ack quell has not yet confirmed on its cluster.
    PendingAck(&'v AckStatus),
    Silence(&'v Silence),
}

/// Pending acks first, then live silences ending soonest first, then
/// expired ones (most recent first).
#[must_use]
pub fn silence_rows(view: &View) -> Vec<SilenceRow<'_>> {
    let mut rows: Vec<SilenceRow<'_>> =
        view.acks.iter().filter(|a| a.silence_ids.is_empty()).map(SilenceRow::PendingAck).collect();
    let mut live: Vec<&Silence> = view.silences.iter().filter(|s| s.is_live()).collect();
    live.sort_by_key(|s| (s.ends_at, s.id.clone()));
    let mut expired: Vec<&Silence> = view.silences.iter().filter(|s| !s.is_live()).collect();
    expired.sort_by_key(|s| std::cmp::Reverse(s.ends_at));
    rows.extend(live.into_iter().chain(expired.into_iter().take(50)).map(SilenceRow::Silence));
    rows
}

#[must_use]
pub fn len(state: &State, o: Overlay) -> usize {
    match o {
        Overlay::Silences => silence_rows(&state.view).len(),
        Overlay::Sources => state.view.sources.len(),
        Overlay::Anomalies => state.view.anomalies.len(),
        Overlay::Forecasts => state.view.forecasts.len(),
    }
}

pub fn open(state: &mut State, o: Overlay) {
    state.overlay = Some(o);
    state.cursors.overlay = 0;
}

fn selected_silence(state: &State) -> Option<Silence> {
    match silence_rows(&state.view).get(state.cursors.overlay) {
        Some(SilenceRow::Silence(s)) => Some((*s).clone()),
        _ => None,
    }
}

/// `x` / `e` on the silences list: `e` extends at once (harmless), `x`
/// asks first.
pub fn silence_action(state: &mut State, extend: bool) -> Vec<Effect> {
    if state.read_only || !state.caps.can_write {
        state.flash_error("read-only: silences are not changed");
        return Vec::new();
    }
    let Some(s) = selected_silence(state) else {
        state.flash_error("select a silence first");
        return Vec::new();
    };
    if !s.is_live() {
        state.flash_error("that silence already expired");
        return Vec::new();
    }
    let (source, id) = (s.source.clone(), s.id.clone());
    if extend {
        state.flash_info(format!(
            "extending silence {} by 1h\u{2026}",
            crate::sanitize::clean_line(&id, 40)
        ));
        vec![Effect::Ack(AckCommand::Extend { source, id, by_ms: 3_600_000 })]
    } else {
        let comment = s.comment.clone();
        super::confirm::ask(state, super::confirm::Pending::Expire { source, id, comment });
        Vec::new()
    }
}
