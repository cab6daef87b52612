//! An incident's timeline: what fired and resolved when, in time order,
//! capped so a flapping alert cannot grow it without bound.

use crate::model::{Incident, TimelineEntry, TimelineKind, UnixMs};

/// Timeline entries kept per incident.
const MAX_TIMELINE: usize = 200;

/// "`name` fired on `svc`[: `summary`]".
pub(super) fn fired_text(name: &str, svc: &str, summary: Option<&str>) -> String {
    const FIRED_ON: &str = " fired on ";
    let extra = summary.map_or(0, |s| s.len() + 2);
    let mut text = String::with_capacity(name.len() + FIRED_ON.len() + svc.len() + extra);
    text.push_str(name);
    text.push_str(FIRED_ON);
    text.push_str(svc);
    if let Some(s) = summary {
        text.push_str(": ");
        text.push_str(s);
    }
    text
}

/// A re-fire of an alert already seen: one line that says it flaps.
pub(super) fn refired_text(name: &str, svc: &str, refires: u32) -> String {
    if refires > 0 {
        format!("{name} fired again on {svc} (flapping: {refires} re-fires)")
    } else {
        format!("{name} fired again on {svc}")
    }
}

pub(super) fn push_timeline(inc: &mut Incident, ts: UnixMs, kind: TimelineKind, text: String) {
    let entry = TimelineEntry { ts, kind, text };
    // Entries mostly arrive in time order: append without searching.
    if inc.timeline.last().is_none_or(|e| e.ts <= ts) {
        inc.timeline.push(entry);
    } else {
        let pos = inc.timeline.partition_point(|e| e.ts <= ts);
        inc.timeline.insert(pos, entry);
    }
    if inc.timeline.len() > MAX_TIMELINE {
        inc.timeline.remove(0);
    }
}
