//! Read-only questions about `State` that both `update` and the renderer
//! ask: which incidents are visible, which is selected, its alerts (grouped),
//! which runbooks it is offered.
//!
//! Everything here is derived from the view and the interactive state; it
//! must not mutate anything except `recompute_visible`, which refreshes the
//! cached list after the view, filter or sort changed.

use std::cmp::Reverse;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::state::{SortOrder, State};
use crate::model::{AlertView, Incident, IncidentState, View};
use crate::runbook::Runbook;

impl State {
    /// The incident under the cursor of the incidents list.
    #[must_use]
    pub fn selected_incident(&self) -> Option<&Incident> {
        self.visible
            .get(self.cursors.incidents)
            .and_then(|&i| self.view.incidents.get(i))
            .map(|a| &**a)
    }

    /// The selected incident's alerts, grouped by alert name (sorted by
    /// name, then severity, then service), skipping any the view lacks.
    #[must_use]
    pub fn incident_alerts(&self) -> Vec<&AlertView> {
        self.selected_incident().map_or_else(Vec::new, |inc| alerts_of(&self.view, inc))
    }

    /// The alert under the cursor of the alerts pane.
    #[must_use]
    pub fn selected_alert(&self) -> Option<&AlertView> {
        self.incident_alerts().get(self.cursors.alerts).copied()
    }

    /// The alert whose detail view is open.
    #[must_use]
    pub fn drilled_alert(&self) -> Option<&AlertView> {
        self.drill.as_ref().and_then(|fp| self.view.alerts.get(fp))
    }

    /// The alert in focus: the open detail view's, else the one under the
    /// alerts cursor while that pane has focus; `None` otherwise.
    #[must_use]
    pub fn focused_alert(&self) -> Option<&AlertView> {
        if self.drill.is_some() {
            self.drilled_alert()
        } else if self.focus == super::state::Pane::Alerts {
            self.selected_alert()
        } else {
            None
        }
    }

    /// The service whose logs the logs pane shows: the suspected cause under
    /// the causes cursor, else the incident's first service.
    #[must_use]
    pub fn logs_service(&self) -> Option<&str> {
        let inc = self.selected_incident()?;
        let causes = shown_causes(inc);
        causes
            .get(self.cursors.causes)
            .or_else(|| causes.first())
            .map(|rc| rc.service.as_str())
            .or_else(|| inc.services.first().map(String::as_str))
    }

    /// The selected incident's suspected causes worth showing: a score
    /// that rounds to 0.00 (or is not a number) is no suspicion at all.
    #[must_use]
    pub fn shown_causes(&self) -> Vec<&crate::model::RootCause> {
        self.selected_incident().map_or_else(Vec::new, shown_causes)
    }

    /// Log patterns of [`Self::logs_service`] in the current view.
    #[must_use]
    pub fn logs_patterns(&self) -> &[crate::model::LogPatternView] {
        self.logs_service().and_then(|s| self.view.log_patterns.get(s)).map_or(&[], Vec::as_slice)
    }

    /// Runbooks that apply to any alert of the selected incident, with
    /// their keys, whatever the mode.
    #[must_use]
    pub fn applicable_runbooks(&self) -> Vec<(u8, &Runbook)> {
        let alerts = self.incident_alerts();
        if alerts.is_empty() {
            return Vec::new();
        }
        runbook_keys(&self.runbooks)
            .into_iter()
            .filter(|(_, rb)| alerts.iter().any(|a| rb.applies_to(&a.alert.labels)))
            .collect()
    }

    /// The applicable runbooks that may run here: in read-only mode only
    /// those declared `read_only_safe` (they change nothing).
    #[must_use]
    pub fn offered_runbooks(&self) -> Vec<(u8, &Runbook)> {
        let mut out = self.applicable_runbooks();
        out.retain(|(_, rb)| !self.read_only || rb.read_only_safe);
        out
    }

    /// Rebuilds `visible` from the view, filter and sort, keeping the
    /// selection on the same incident when it is still listed.
    pub fn recompute_visible(&mut self) {
        let view = &self.view;
        let matcher = SkimMatcherV2::default();
        let pattern = self.filter.trim();
        let mut rows: Vec<usize> = (0..view.incidents.len())
            .filter(|&i| {
                !(self.hide_resolved && view.incidents[i].state == IncidentState::Resolved)
            })
            .filter(|&i| {
                pattern.is_empty() || matches_filter(&matcher, view, &view.incidents[i], pattern)
            })
            .collect();
        let inc = |i: &usize| &view.incidents[*i];
        match self.sort {
            // What fires now first, worst first, alert-backed before
            // suspected (an anomaly without an alert is a hint, not a page);
            // then quiet, then resolved, each by severity.
            SortOrder::Severity => {
                rows.sort_by_key(|i| {
                    let x = inc(i);
                    (state_rank(x.state), x.severity, x.id.is_suspected(), Reverse(x.started_at))
                });
            }
            SortOrder::Age => rows.sort_by_key(|i| Reverse(inc(i).started_at)),
            SortOrder::Alerts => {
                rows.sort_by_key(|i| (Reverse(inc(i).alerts.len()), inc(i).severity))
            }
            SortOrder::Title => rows.sort_by_cached_key(|i| inc(i).title.to_lowercase()),
        }
        self.visible = rows;
        if self.follow_top {
            self.selected = self.visible.first().map(|&i| self.view.incidents[i].id.clone());
        }
        let found = self.selected.as_ref().and_then(|id| {
            self.visible
                .iter()
                .position(|&i| self.view.incidents.get(i).is_some_and(|x| &x.id == id))
        });
        match found {
            Some(pos) => self.cursors.incidents = pos,
            None => {
                self.cursors.incidents =
                    self.cursors.incidents.min(self.visible.len().saturating_sub(1));
                self.reset_incident_cursors();
            }
        }
        self.selected = self.selected_incident().map(|i| i.id.clone());
        self.clamp_cursors();
    }

    /// Cursors below the incident level start over when the incident changes.
    pub fn reset_incident_cursors(&mut self) {
        self.cursors.alerts = 0;
        self.cursors.causes = 0;
        self.cursors.runbooks = 0;
    }

    /// Keeps every cursor inside its list after the lists changed.
    pub fn clamp_cursors(&mut self) {
        let alerts = self.incident_alerts().len();
        let causes = self.shown_causes().len();
        let runbooks = self.offered_runbooks().len();
        let c = &mut self.cursors;
        c.alerts = c.alerts.min(alerts.saturating_sub(1));
        c.causes = c.causes.min(causes.saturating_sub(1));
        c.runbooks = c.runbooks.min(runbooks.saturating_sub(1));
    }
}

/// Whether the view's clock is the demo world's simulated time (which runs
/// at `--speed` and drifts from the wall clock) rather than real UTC.
#[must_use]
pub fn simulated_clock(view: &View) -> bool {
    view.sources.iter().any(|s| s.id == crate::model::DEMO_SOURCE)
}

/// A view time with date and zone, for text that leaves quell (exports,
/// hand-offs): `2024-05-01 03:12:45 UTC`.
#[must_use]
pub fn format_stamp(ts: crate::model::UnixMs) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ts)
        .map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// Causes with a score that shows as more than 0.00, in the engine's order.
#[must_use]
pub fn shown_causes(inc: &Incident) -> Vec<&crate::model::RootCause> {
    inc.root_causes.iter().filter(|rc| rc.score.is_finite() && rc.score >= 0.005).collect()
}

/// Consecutive entries with the same time and text, collapsed into one
/// with a count: the same fact said twice is noise.
#[must_use]
pub fn collapse_repeats(entries: &[(i64, String)]) -> Vec<(i64, String, usize)> {
    let mut out: Vec<(i64, String, usize)> = Vec::new();
    for (ts, text) in entries {
        match out.last_mut() {
            Some((t, x, n)) if t == ts && x == text => *n += 1,
            _ => out.push((*ts, text.clone(), 1)),
        }
    }
    out
}

fn state_rank(s: IncidentState) -> u8 {
    match s {
        IncidentState::Open => 0,
        IncidentState::Quiet => 1,
        IncidentState::Resolved => 2,
    }
}

/// An incident's alerts in display order: grouped by name.
#[must_use]
pub fn alerts_of<'v>(view: &'v View, inc: &Incident) -> Vec<&'v AlertView> {
    let mut out: Vec<&AlertView> = inc.alerts.iter().filter_map(|fp| view.alerts.get(fp)).collect();
    out.sort_by(|a, b| {
        (a.alert.name(), a.alert.severity(), a.alert.service(), &a.alert.fingerprint).cmp(&(
            b.alert.name(),
            b.alert.severity(),
            b.alert.service(),
            &b.alert.fingerprint,
        ))
    });
    out
}

/// Runbooks with their keys: an explicit `key` wins, the others take the
/// lowest free digit in config order. Runbooks beyond nine get no key.
#[must_use]
pub fn runbook_keys(runbooks: &[Runbook]) -> Vec<(u8, &Runbook)> {
    let digit =
        |c: char| c.to_digit(10).and_then(|d| u8::try_from(d).ok()).filter(|d| (1..=9).contains(d));
    let mut taken: Vec<u8> = runbooks.iter().filter_map(|r| r.key.and_then(digit)).collect();
    let mut out = Vec::new();
    for rb in runbooks {
        let key = match rb.key.and_then(digit) {
            Some(k) => Some(k),
            None => {
                let free = (1..=9).find(|k| !taken.contains(k));
                if let Some(k) = free {
                    taken.push(k);
                }
                free
            }
        };
        if let Some(k) = key {
            out.push((k, rb));
        }
    }
    out.sort_by_key(|(k, _)| *k);
    out
}

/// Fuzzy match over the title, id, services, alert names and label values.
fn matches_filter(m: &SkimMatcherV2, view: &View, inc: &Incident, pattern: &str) -> bool {
    let hit = |s: &str| m.fuzzy_match(s, pattern).is_some();
    if hit(&inc.title) || hit(&inc.id.0) || inc.services.iter().any(|s| hit(s)) {
        return true;
    }
    inc.alerts
        .iter()
        .filter_map(|fp| view.alerts.get(fp))
        .any(|a| hit(a.alert.name()) || a.alert.labels.values().any(&hit))
}
