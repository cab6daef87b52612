//! Acknowledging, silencing and handing off, as `update` decides them:
//! which alerts a key acts on, the commands for the ack writer, the
//! Markdown hand-off summary and the equivalent `amtool` commands. Pure;
//! the writes and the clipboard are effects the loop performs.

use std::fmt::Write as _;

use super::action::Effect;
use super::query::alerts_of;
use super::query::format_stamp;
use super::state::{Pane, State};
use crate::ack::plan::{amtool_query, amtool_silence, cover};
use crate::ack::{AckCommand, AckTarget};
use crate::model::{AckPhase, Incident, IncidentId, Labels, View};
use crate::sanitize::clean_line;

/// The incidents an action applies to: the marked ones, else the selected one.
fn targets(state: &State) -> Vec<&Incident> {
    if state.marked.is_empty() {
        state.selected_incident().into_iter().collect()
    } else {
        state
            .view
            .incidents
            .iter()
            .filter(|i| state.marked.contains(&i.id))
            .map(AsRef::as_ref)
            .collect()
    }
}

/// The active alerts of an incident to acknowledge; only the selected one
/// when the alerts pane has focus or the alert detail is open.
pub(super) fn ack_targets(state: &State, inc: &Incident, single: bool) -> Vec<AckTarget> {
    let only =
        if single { state.focused_alert().map(|a| a.alert.fingerprint.clone()) } else { None };
    alerts_of(&state.view, inc)
        .into_iter()
        .filter(|a| a.alert.state.is_active())
        .filter(|a| only.as_ref().is_none_or(|fp| *fp == a.alert.fingerprint))
        .map(|a| AckTarget {
            source: a.alert.source.clone(),
            fingerprint: a.alert.fingerprint.clone(),
            labels: a.alert.labels.clone(),
        })
        .collect()
}

pub(super) fn writable(state: &mut State, what: &str) -> bool {
    if state.read_only {
        state.flash_error(format!("{what}: read-only mode, nothing is written"));
        return false;
    }
    if !state.can_write {
        state.flash_error(format!("{what}: no Alertmanager to write to"));
        return false;
    }
    true
}

/// `a` (or `:ack NOTE`): acknowledge the marked incidents, else the selected
/// incident, else (alerts pane focused) the selected alert.
pub fn ack(state: &mut State, note: &str) -> Vec<Effect> {
    if !writable(state, "ack") {
        return Vec::new();
    }
    let single = state.marked.is_empty() && (state.focus == Pane::Alerts || state.drill.is_some());
    let mut effects = Vec::new();
    let mut empty = 0;
    for inc in targets(state) {
        let alerts = ack_targets(state, inc, single);
        if alerts.is_empty() {
            empty += 1;
            continue;
        }
        effects.push(Effect::Ack(AckCommand::Ack {
            incident: inc.id.clone(),
            title: clean_line(&inc.title, 80),
            alerts,
            note: clean_line(note, 200),
        }));
    }
    match (effects.len(), empty) {
        (0, 0) => state.flash_error("ack: nothing selected"),
        (0, _) if targets(state).iter().all(|i| i.id.is_suspected()) => state.flash_error(
            "ack: a suspected incident has no alerts to silence; it goes when an alert takes over",
        ),
        (0, _) => state.flash_error("ack: no active alerts to acknowledge"),
        (n, _) => {
            state.flash_info(format!("acknowledging {n} incident(s)\u{2026}"));
            state.marked.clear();
        }
    }
    effects
}

/// `A`: expire quell's ack of the marked or selected incidents.
pub fn unack(state: &mut State) -> Vec<Effect> {
    if !writable(state, "un-ack") {
        return Vec::new();
    }
    let ids: Vec<IncidentId> = targets(state)
        .into_iter()
        .filter(|i| state.view.ack_of(&i.id).is_some())
        .map(|i| i.id.clone())
        .collect();
    if ids.is_empty() {
        state.flash_error("un-ack: no acknowledgement by quell on the selection");
        return Vec::new();
    }
    state.marked.clear();
    ids.into_iter().map(|incident| Effect::Ack(AckCommand::Unack { incident })).collect()
}

/// Short ack state of an incident for its row: `ACK`, `ACK PENDING`,
/// `ACK FAILING`, or nothing.
#[must_use]
pub fn ack_badge(view: &View, inc: &Incident) -> Option<&'static str> {
    match view.ack_of(&inc.id).map(|a| &a.phase) {
        Some(AckPhase::Pending { attempts, .. }) if *attempts > 0 => Some("ACK FAILING"),
        Some(AckPhase::Pending { .. }) => Some("ACK PENDING"),
        Some(AckPhase::Expiring { .. }) => Some("UNACK PENDING"),
        Some(AckPhase::Active | AckPhase::LocalOnly { .. }) => Some("ACK"),
        None if inc.acked => Some("ACK"),
        None => None,
    }
}

/// `y`: the selected incident as Markdown, for the clipboard.
#[must_use]
pub fn summary_markdown(view: &View, inc: &Incident) -> String {
    let c = |s: &str| clean_line(s, 300);
    let mut md = String::new();
    let _ = writeln!(md, "## {} — {}", inc.id, c(&inc.title));
    let _ = writeln!(
        md,
        "\n- **Severity:** {}\n- **State:** {}\n- **Started:** {} (updated {})",
        inc.severity.word(),
        inc.state.word(),
        format_stamp(inc.started_at),
        format_stamp(inc.updated_at)
    );
    if !inc.services.is_empty() {
        let services: Vec<String> = inc.services.iter().map(|s| c(s)).collect();
        let _ = writeln!(md, "- **Services:** {}", services.join(", "));
    }
    if let Some(a) = view.ack_of(&inc.id) {
        let until = a.until.map(format_stamp).unwrap_or_else(|| "-".into());
        let _ =
            writeln!(md, "- **Acknowledged:** by {} — {} (until {until})", c(&a.by), c(&a.note));
    } else if inc.acked {
        let _ = writeln!(md, "- **Acknowledged:** yes (ack silence on the cluster)");
    }
    let alerts = alerts_of(view, inc);
    let _ = writeln!(md, "\n### Alerts ({})\n", alerts.len());
    for a in alerts.iter().take(50) {
        let al = &a.alert;
        let name = al.labels.get("alertname").map_or("?", String::as_str);
        let rest: Vec<String> = al
            .labels
            .iter()
            .filter(|(k, _)| *k != "alertname")
            .map(|(k, v)| format!("{k}={}", c(v)))
            .collect();
        let mut why = String::new();
        for id in &al.silenced_by {
            if let Some(s) = view.silence(id) {
                let _ = write!(why, " — silenced by {} ({})", c(&s.created_by), c(&s.comment));
            }
        }
        let _ = writeln!(md, "- `{}` **{}** {}{why}", al.state.word(), c(name), rest.join(" "));
    }
    if alerts.len() > 50 {
        let _ = writeln!(md, "- … and {} more", alerts.len() - 50);
    }
    let causes = super::query::shown_causes(inc);
    if !causes.is_empty() {
        let _ = writeln!(md, "\n### Suspected root causes\n");
        for (i, rc) in causes.iter().take(3).enumerate() {
            let _ = writeln!(
                md,
                "{}. **{}** (confidence {}, score {:.2})",
                i + 1,
                c(&rc.service),
                rc.confidence.word(),
                rc.score
            );
            for e in rc.evidence.iter().take(5) {
                let _ = writeln!(md, "   - {} {}", format_stamp(e.ts), c(&e.text));
            }
        }
    }
    if let Some(h) = view.history.get(&inc.id) {
        let _ = writeln!(
            md,
            "\n### History\n\n{} ({} like it in the last 30 days)\n",
            h.rarity.word(),
            h.same_kind
        );
        for (sim, p) in &h.similar {
            let _ = writeln!(
                md,
                "- {:.0}% similar: {} {} (resolved {}){}{}",
                sim * 100.0,
                p.id,
                c(&p.title),
                format_stamp(p.resolved_at),
                p.cause.as_deref().map(|x| format!(", cause {}", c(x))).unwrap_or_default(),
                p.note.as_deref().map(|x| format!(", {}", c(x))).unwrap_or_default()
            );
        }
    }
    if !inc.timeline.is_empty() {
        let _ = writeln!(md, "\n### Timeline\n");
        for t in inc.timeline.iter().take(30) {
            let _ = writeln!(md, "- {} {}", format_stamp(t.ts), c(&t.text));
        }
    }
    let clock = if super::query::simulated_clock(view) {
        "times: the demo world's simulated clock"
    } else {
        "times: UTC"
    };
    let _ = writeln!(md, "\n_from quell; {clock}_");
    md
}

/// `Y`: `amtool` commands for the selection: query its alerts, and the
/// silence that acknowledges them.
#[must_use]
pub fn amtool_commands(state: &State, inc: &Incident) -> String {
    let alerts = ack_targets(state, inc, false);
    let mut by_source: std::collections::BTreeMap<&str, Vec<&Labels>> = Default::default();
    for t in &alerts {
        by_source.entry(t.source.as_str()).or_default().push(&t.labels);
    }
    let mut out = Vec::new();
    for (source, labels) in by_source {
        let url = state.ack_urls.get(source).map_or("http://ALERTMANAGER:9093", String::as_str);
        let sets = cover(&labels);
        out.extend(amtool_query(url, &sets));
        let comment = format!("ACK! {} (quell)", clean_line(&inc.title, 80));
        let dur = crate::config::HumanDuration(std::time::Duration::from_millis(
            u64::try_from(state.ack_ms).unwrap_or(900_000),
        ));
        out.extend(amtool_silence(url, &sets, &state.ack_author, &dur.to_string(), &comment));
    }
    out.join("\n")
}
