//! Marks across views: when a new view arrives, every marked incident must
//! still be on the screen, or the mark moves to where it went, or it goes.
//!
//! An incident leaves the view in three ways: the operator or the
//! correlator merged it into another (its alerts now belong to that one), a
//! suspected incident was taken over by an incident made of alerts on the
//! same service, or it is simply gone (resolved out of the window). Marks
//! follow the first two and drop on the third, so the header's "N marked"
//! always counts rows that show `*`. Marked alerts drop when they leave the
//! view. Pure: old view and new view in, marks out.

use std::collections::BTreeSet;

use crate::model::{Fingerprint, Incident, IncidentId, IncidentState, View};

/// Where each mark of `marked` goes when `new` replaces `old`.
#[must_use]
pub fn follow(old: &View, new: &View, marked: &BTreeSet<IncidentId>) -> BTreeSet<IncidentId> {
    let mut out = BTreeSet::new();
    for id in marked {
        if new.incidents.iter().any(|i| &i.id == id) {
            out.insert(id.clone());
            continue;
        }
        let Some(before) = old.incidents.iter().find(|i| &i.id == id) else {
            continue;
        };
        if let Some(next) = successor(before, new) {
            out.insert(next.id.clone());
        }
    }
    out
}

/// The incident that took over `before`: the one now holding most of its
/// alerts, else (a suspected incident, which has none) the open incident
/// covering its service.
fn successor<'v>(before: &Incident, new: &'v View) -> Option<&'v Incident> {
    if before.alerts.is_empty() {
        let service = before.services.first()?;
        return new
            .incidents
            .iter()
            .filter(|i| i.state != IncidentState::Resolved && !i.id.is_suspected())
            .find(|i| i.services.iter().any(|s| s == service))
            .map(AsRef::as_ref);
    }
    let held = |inc: &Incident| inc.alerts.iter().filter(|fp| before.alerts.contains(fp)).count();
    new.incidents
        .iter()
        .map(|i| (held(i), i))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, i)| i.as_ref())
}

/// Marked alerts that are still in the view.
#[must_use]
pub fn live_alerts(new: &View, marked: &BTreeSet<Fingerprint>) -> BTreeSet<Fingerprint> {
    marked.iter().filter(|fp| new.alerts.contains_key(*fp)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::fixture;

    fn ids(v: &[&str]) -> BTreeSet<IncidentId> {
        v.iter().map(|s| IncidentId((*s).into())).collect()
    }

    #[test]
    fn a_merged_incident_hands_its_mark_to_the_one_holding_its_alerts() {
        let old = fixture::view();
        let mut new = old.clone();
        // I-77b0 is merged into I-3f2a: its alert moves, the id goes.
        let gone = new.incidents.remove(1);
        let mut into = (*new.incidents[0]).clone();
        into.alerts.extend(gone.alerts.iter().cloned());
        new.incidents[0] = Arc::new(into);
        assert_eq!(follow(&old, &new, &ids(&["I-77b0"])), ids(&["I-3f2a"]));
    }

    #[test]
    fn a_suspected_incident_hands_its_mark_to_the_one_that_took_over() {
        let mut old = fixture::view();
        let mut s = (*old.incidents[1]).clone();
        s.id = IncidentId("S-abc".into());
        s.alerts.clear();
        s.services = vec!["payments".into()];
        old.incidents.push(Arc::new(s));
        let new = fixture::view();
        assert_eq!(follow(&old, &new, &ids(&["S-abc"])), ids(&["I-3f2a"]));
    }

    #[test]
    fn a_mark_on_an_incident_that_is_gone_drops() {
        let old = fixture::view();
        let mut new = old.clone();
        new.incidents.remove(2);
        let alerts = new.incidents.iter().flat_map(|i| i.alerts.clone()).collect::<Vec<_>>();
        new.alerts.retain(|fp, _| alerts.contains(fp));
        assert_eq!(follow(&old, &new, &ids(&["I-0c19", "I-77b0"])), ids(&["I-77b0"]));
        let c1 = old.incidents[2].alerts[0].clone();
        assert!(live_alerts(&new, &[c1].into_iter().collect()).is_empty());
    }

    #[test]
    fn through_update_marks_never_outlive_their_rows_and_esc_clears_them() {
        use crate::app::{Action, Msg, update};
        let mut s = fixture::state();
        update(&mut s, Msg::Action(Action::Down)); // I-77b0
        update(&mut s, Msg::Action(Action::Mark));
        assert_eq!(s.marked, ids(&["I-77b0"]));
        // The next view no longer has it, and nothing holds its alert.
        let mut v = fixture::view();
        let gone = v.incidents.remove(1);
        v.alerts.retain(|fp, _| !gone.alerts.contains(fp));
        update(&mut s, Msg::View(Arc::new(v)));
        assert!(s.marked.is_empty(), "a mark on a row that is gone: {:?}", s.marked);
        // Esc at the top level clears marks (before the filter).
        update(&mut s, Msg::Action(Action::Mark));
        assert_eq!(s.marked.len(), 1);
        s.filter = "x".into();
        update(&mut s, Msg::Action(Action::Back));
        assert!(s.marked.is_empty());
        assert_eq!(s.filter, "x", "the first Esc took the marks, not the filter");
    }
}
