//! An incident's timeline: what fired and resolved when, in time order,
//! capped so a flapping alert cannot grow it without bound.

use crate::model::{Incident, TimelineEntry, TimelineKind, UnixMs};

/// Timeline entries kept per incident.
const MAX_TIMELINE: usize = 200;

/// Where an alert is, as its timeline lines say it: its service, and its
/// instance when it has one other than the service (per-instance alerts of
/// one service would otherwise read the same).
pub(super) struct Place<'a> {
    pub service: &'a str,
    pub instance: Option<&'a str>,
}

impl Place<'_> {
    fn len(&self) -> usize {
        self.service.len() + self.instance.map_or(0, |i| i.len() + 3)
    }

    fn push_to(&self, text: &mut String) {
        text.push_str(self.service);
        if let Some(i) = self.instance {
            text.push_str(" (");
            text.push_str(i);
            text.push(')');
        }
    }
}

/// The place of an alert on service `service` with labels `labels`.
pub(super) fn place<'a>(service: &'a str, labels: &'a crate::model::Labels) -> Place<'a> {
    let instance = crate::model::instance_of(labels).filter(|i| *i != service);
    Place { service, instance }
}

/// "`name` fired on `place`[: `summary`]".
pub(super) fn fired_text(name: &str, at: &Place<'_>, summary: Option<&str>) -> String {
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
pub(super) fn refired_text(name: &str, at: &Place<'_>, refires: u32) -> String {
    let mut text = format!("{name} fired again on ");
    at.push_to(&mut text);
    if refires > 0 {
        text.push_str(&format!(" (flapping: {refires} re-fires)"));
    }
    text
}

/// "`name` resolved on `place`".
pub(super) fn resolved_text(name: &str, at: &Place<'_>) -> String {
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
        let pod = labels(&[("instance", "cart-2")]);
        let at = place("cart", &pod);
        assert_eq!(
            fired_text("High", &at, Some("5% errors")),
            "High fired on cart (cart-2): 5% errors"
        );
        assert_eq!(refired_text("High", &at, 0), "High fired again on cart (cart-2)");
        assert_eq!(
            refired_text("High", &at, 3),
            "High fired again on cart (cart-2) (flapping: 3 re-fires)"
        );
        assert_eq!(resolved_text("High", &at), "High resolved on cart (cart-2)");
        // No instance, an empty one, or one that only repeats the service.
        for l in [labels(&[]), labels(&[("instance", "")]), labels(&[("instance", "cart")])] {
            let at = place("cart", &l);
            assert_eq!(fired_text("High", &at, None), "High fired on cart");
            assert_eq!(resolved_text("High", &at), "High resolved on cart");
        }
    }
}
