//! `m` and `x`: the operator regroups what the correlator decided. `m`
//! merges the marked incidents into the one under the cursor; `x` (in the
//! alerts pane or an alert's detail) splits the marked alerts, else the one
//! in focus, out of the selected incident into a new one. The pipeline
//! applies, saves and journals the decision and answers with a notice; this
//! module only turns the selection into a request, which waits for the
//! operator's confirmation (`confirm`) before it is sent.

use super::confirm::Pending;
use super::state::Pane;
use super::{Effect, State};
use crate::model::Fingerprint;

/// `m`: the marked incidents (other than the selected one) go into it.
pub fn merge(state: &mut State) -> Vec<Effect> {
    if !state.caps.can_regroup {
        state.flash_error("merge is not available here (a replay shows what was recorded)");
        return Vec::new();
    }
    let Some(into) = state.selected_incident().map(|i| i.id.clone()) else {
        state.flash_error("merge: no incident selected");
        return Vec::new();
    };
    if into.is_suspected() || state.marked.iter().any(crate::model::IncidentId::is_suspected) {
        state.flash_error("merge: suspected incidents have no alerts to merge; unmark them");
        return Vec::new();
    }
    let shown: std::collections::BTreeSet<_> =
        state.view.incidents.iter().map(|i| i.id.clone()).collect();
    let from: Vec<_> =
        state.marked.iter().filter(|id| **id != into && shown.contains(*id)).cloned().collect();
    if from.is_empty() {
        state.flash_info(
            "mark incidents with space, then m merges them into the one under the cursor",
        );
        return Vec::new();
    }
    super::confirm::ask(state, Pending::Merge { into, from });
    Vec::new()
}

/// `x`: the marked alerts of the selected incident, else the alert in
/// focus, move to a new incident.
pub fn split(state: &mut State) -> Vec<Effect> {
    if !state.caps.can_regroup {
        state.flash_error("split is not available here (a replay shows what was recorded)");
        return Vec::new();
    }
    let Some(inc) = state.selected_incident() else {
        state.flash_error("split: no incident selected");
        return Vec::new();
    };
    let from = inc.id.clone();
    let mut alerts: Vec<Fingerprint> =
        inc.alerts.iter().filter(|fp| state.marked_alerts.contains(*fp)).cloned().collect();
    if alerts.is_empty() {
        let in_alerts = state.focus == Pane::Alerts || state.drill.is_some();
        match state.focused_alert().filter(|_| in_alerts) {
            Some(a) => alerts.push(a.alert.fingerprint.clone()),
            None => {
                state.flash_info(
                    "open the incident (Enter), mark its alerts with space, then x splits them out",
                );
                return Vec::new();
            }
        }
    }
    if alerts.len() >= inc.alerts.len() {
        state.flash_error(format!("{from} would be left without alerts: nothing split"));
        return Vec::new();
    }
    super::confirm::ask(state, Pending::Split { from, alerts });
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture;
    use crate::app::{Action, Msg, update};
    use crate::engine::regroup::Regroup;

    fn act(s: &mut State, a: Action) -> Vec<Effect> {
        update(s, Msg::Action(a))
    }

    fn flash(s: &State) -> String {
        s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
    }

    #[test]
    fn m_merges_the_marked_incidents_into_the_selected_one() {
        let mut s = fixture::state();
        s.caps.can_regroup = true;
        assert!(act(&mut s, Action::Merge).is_empty());
        assert!(flash(&s).contains("mark incidents with space"), "{}", flash(&s));
        act(&mut s, Action::Mark); // marks the first, moves to the second
        act(&mut s, Action::Mark);
        act(&mut s, Action::Up);
        let into = s.selected_incident().unwrap().id.clone();
        let other = s.marked.iter().find(|id| **id != into).unwrap().clone();
        assert!(act(&mut s, Action::Merge).is_empty(), "m alone only asks");
        assert!(s.pending.is_some() && s.marked.len() == 2);
        let fx = act(&mut s, Action::Confirm);
        assert_eq!(
            fx,
            vec![Effect::Regroup(Regroup::Merge { into: into.clone(), from: vec![other] })]
        );
        assert!(s.marked.is_empty());
        assert!(flash(&s).contains(&format!("into {into}")));
    }

    #[test]
    fn x_splits_the_marked_alerts_else_the_one_under_the_cursor() {
        let mut s = fixture::state();
        s.caps.can_regroup = true;
        // From the incidents pane: nothing, with a hint.
        assert!(act(&mut s, Action::Split).is_empty());
        assert!(flash(&s).contains("mark its alerts"), "{}", flash(&s));
        // Find an incident with two alerts or more.
        let n = s.visible.len();
        for _ in 0..n {
            if s.selected_incident().is_some_and(|i| i.alerts.len() >= 2) {
                break;
            }
            act(&mut s, Action::Down);
        }
        let inc = s.selected_incident().unwrap().clone();
        assert!(inc.alerts.len() >= 2, "the fixture has a multi-alert incident");
        act(&mut s, Action::Enter);
        assert_eq!(s.focus, Pane::Alerts);
        let under = s.selected_alert().unwrap().alert.fingerprint.clone();
        assert!(act(&mut s, Action::Split).is_empty(), "x alone only asks");
        let fx = act(&mut s, Action::Confirm);
        assert_eq!(
            fx,
            vec![Effect::Regroup(Regroup::Split { from: inc.id.clone(), alerts: vec![under] })]
        );
        // Space marks alerts in the alerts pane; marking all is refused.
        for _ in 0..inc.alerts.len() {
            act(&mut s, Action::Mark);
        }
        assert_eq!(s.marked_alerts.len(), inc.alerts.len());
        assert!(s.marked.is_empty(), "no incident got marked");
        assert!(act(&mut s, Action::Split).is_empty());
        assert!(flash(&s).contains("left without alerts"), "{}", flash(&s));
        act(&mut s, Action::Top);
        act(&mut s, Action::Mark); // unmark the first
        act(&mut s, Action::Split);
        let fx = act(&mut s, Action::Confirm);
        let Some(Effect::Regroup(Regroup::Split { alerts, .. })) = fx.first() else {
            panic!("{fx:?}");
        };
        assert_eq!(alerts.len(), inc.alerts.len() - 1);
        assert!(s.marked_alerts.is_empty());
    }

    #[test]
    fn suspected_incidents_are_not_merged() {
        let mut s = fixture::state();
        s.caps.can_regroup = true;
        s.marked.insert(crate::model::IncidentId("S-abc123".into()));
        assert!(act(&mut s, Action::Merge).is_empty());
        assert!(flash(&s).contains("suspected incidents have no alerts"), "{}", flash(&s));
    }

    #[test]
    fn without_a_pipeline_to_tell_nothing_is_sent() {
        let mut s = fixture::state();
        act(&mut s, Action::Mark);
        assert!(act(&mut s, Action::Merge).is_empty());
        assert!(act(&mut s, Action::Split).is_empty());
        assert!(flash(&s).contains("not available"));
    }

    #[test]
    fn esc_on_the_merge_dialog_sends_nothing_and_keeps_the_marks() {
        let mut s = fixture::state();
        s.caps.can_regroup = true;
        act(&mut s, Action::Mark);
        act(&mut s, Action::Mark);
        act(&mut s, Action::Up);
        assert!(act(&mut s, Action::Merge).is_empty());
        assert_eq!(crate::app::context(&s), crate::app::keymap::Context::Dialog);
        assert!(act(&mut s, Action::Back).is_empty());
        assert!(s.pending.is_none());
        assert_eq!(s.marked.len(), 2, "cancelling keeps the marks");
        assert!(flash(&s).contains("merge cancelled"), "{}", flash(&s));
    }
}
