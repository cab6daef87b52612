//! An incident's timeline: what fired and resolved when, in time order,
//! capped so a flapping alert cannot grow it without bound.

use crate::model::{Incident, TimelineEntry, TimelineKind, UnixMs};

/// Timeline entries kept per incident.
const MAX_TIMELINE: usize = 200;

/// Where an alert is, as its timeline lines say it (see
/// [`crate::model::place_of`]: each fact once, never `?`).
pub(super) struct Place(String);

impl Place {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn push_to(&self, text: &mut String) {
        text.push_str(&self.0);
    }
}

/// The place of an alert on entity `service` (if any) with labels `labels`.
pub(super) fn place(service: Option<&str>, labels: &crate::model::Labels) -> Place {
    Place(crate::model::place_of(service, labels))
}

/// "`name` fired on `place`[: `summary`]".
pub(super) fn fired_text(name: &str, at: &Place, summary: Option<&str>) -> String {
    const FIRED_ON: &str = " fired on ";
    let extra = summary.map_or(0, |s| s.len() + 2);
    let mut text = String::with_capacity(name.len() + FIRED_ON.len() + at.len() + extra);
    text.push_str(name);
    text.push_str(FIRED_ON);
    at.push_to(&mut text);
    if let Some(s) = summary {
        text.push_str(": ");
        text.push_str(s);
    }
    text
}

/// A re-fire of an alert already seen: one line that says it flaps.
pub(super) fn refired_text(name: &str, at: &Place, refires: u32) -> String {
    let mut text = format!("{name} fired again on ");
    at.push_to(&mut text);
    if refires > 0 {
        text.push_str(&format!(" (flapping: {refires} re-fires)"));
    }
    text
}

/// "`name` resolved on `place`".
pub(super) fn resolved_text(name: &str, at: &Place) -> String {
    let mut text = format!("{name} resolved on ");
    at.push_to(&mut text);
    text
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::labels_of as labels;

    #[test]
    fn lines_name_the_instance_when_it_tells_alerts_apart() {
        let pod = labels(&[("instance", "10.0.0.2:8080")]);
        let at = place(Some("cart"), &pod);
        assert_eq!(
            fired_text("High", &at, Some("5% errors")),
            "High fired on cart (10.0.0.2:8080): 5% errors"
        );
        assert_eq!(refired_text("High", &at, 0), "High fired again on cart (10.0.0.2:8080)");
        assert_eq!(
            refired_text("High", &at, 3),
            "High fired again on cart (10.0.0.2:8080) (flapping: 3 re-fires)"
        );
        assert_eq!(resolved_text("High", &at), "High resolved on cart (10.0.0.2:8080)");
        // The host's exporter: `host-c (host-c:9100)` said the host twice.
        let port = labels(&[("instance", "host-c:9100")]);
        assert_eq!(
            fired_text("Down", &place(Some("host-c"), &port), None),
            "Down fired on host-c:9100"
        );
        // No entity label at all: its other labels, never `?`.
        let bare = labels(&[("alertname", "BackupOverdue"), ("cluster", "eu-1")]);
        assert_eq!(
            fired_text("BackupOverdue", &place(None, &bare), None),
            "BackupOverdue fired on cluster=eu-1"
        );
        // No instance, an empty one, or one that only repeats the service.
        for l in [labels(&[]), labels(&[("instance", "")]), labels(&[("instance", "cart")])] {
            let at = place(Some("cart"), &l);
            assert_eq!(fired_text("High", &at, None), "High fired on cart");
            assert_eq!(resolved_text("High", &at), "High resolved on cart");
        }
    }
}
