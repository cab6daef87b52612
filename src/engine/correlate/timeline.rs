//! An incident's timeline: what fired and resolved when, in time order,
//! capped so a flapping alert cannot grow it without bound.

use crate::model::{Alert, Incident, TimelineEntry, TimelineKind, UnixMs};

/// Timeline entries kept per incident.
const MAX_TIMELINE: usize = 200;

pub(super) fn fired_text(a: &Alert) -> String {
    let svc = a.service().unwrap_or("?");
    match a.summary() {
        Some(s) => format!("{} fired on {svc}: {s}", a.name()),
        None => format!("{} fired on {svc}", a.name()),
    }
}

/// A re-fire of an alert already seen: one line that says it flaps.
pub(super) fn refired_text(a: &Alert, refires: u32) -> String {
    let svc = a.service().unwrap_or("?");
    if refires > 0 {
        format!("{} fired again on {svc} (flapping: {refires} re-fires)", a.name())
    } else {
        format!("{} fired again on {svc}", a.name())
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
