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
use crate::model::{AckPhase, Incident, IncidentId, Labels, SilenceMatcher, View};
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
    if !state.caps.can_write {
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
        let name = al.labels.get("alertname").unwrap_or("?");
        let rest: Vec<String> = al
            .labels
            .iter()
            .filter(|(k, _)| *k != "alertname")
            .map(|(k, v)| format!("{}={}", c(k), c(v)))
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
        let url =
            state.caps.ack_urls.get(source).map_or("http://ALERTMANAGER:9093", String::as_str);
        let (sets, untypeable) = typeable(cover(&labels));
        for name in untypeable {
            out.push(format!(
                "# not expressible as a command: a label name carries control characters \
                 ({}); acknowledge these alerts from quell",
                crate::sanitize::escape_visible(&name, 60)
            ));
        }
        if sets.is_empty() {
            continue;
        }
        out.extend(amtool_query(url, &sets));
        let comment = format!("ACK! {} (quell)", clean_line(&inc.title, 80));
        let dur = crate::base::HumanDuration(std::time::Duration::from_millis(
            u64::try_from(state.caps.ack_ms).unwrap_or(900_000),
        ));
        out.extend(amtool_silence(url, &sets, &state.caps.ack_author, &dur.to_string(), &comment));
    }
    out.join("\n")
}

/// The matcher sets whose text can be copied without control characters:
/// a value carrying one becomes an anchored regex that spells it as
/// `\x{…}` (RE2 and both of Alertmanager's matcher parsers read it back to
/// the same character), so the silence still selects exactly those alerts.
/// A set with such a label *name* cannot be written safely at all; it is
/// left out (never widened) and its names are returned to be reported.
fn typeable(sets: Vec<Vec<SilenceMatcher>>) -> (Vec<Vec<SilenceMatcher>>, Vec<String>) {
    let mut kept = Vec::new();
    let mut names = Vec::new();
    for set in sets {
        let bad: Vec<String> = set
            .iter()
            .filter(|m| m.name.chars().any(crate::sanitize::is_control_or_bidi))
            .map(|m| m.name.clone())
            .collect();
        if bad.is_empty() {
            kept.push(set.into_iter().map(typeable_value).collect());
        } else {
            names.extend(bad);
        }
    }
    names.sort();
    names.dedup();
    (kept, names)
}

fn typeable_value(m: SilenceMatcher) -> SilenceMatcher {
    if !m.value.chars().any(crate::sanitize::is_control_or_bidi) {
        return m;
    }
    // A regex value is already escaped, and escaping never puts a backslash
    // in front of a control character, so each one stands alone.
    let pattern = if m.is_regex { m.value } else { regex::escape(&m.value) };
    let mut value = String::with_capacity(pattern.len() + 8);
    for c in pattern.chars() {
        if crate::sanitize::is_control_or_bidi(c) {
            let _ = write!(value, "\\x{{{:x}}}", u32::from(c));
        } else {
            value.push(c);
        }
    }
    SilenceMatcher { value, is_regex: true, ..m }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Label names an Alertmanager-compatible server that does not check
    /// names may serve: terminal title, clipboard write, screen wipe, 8-bit
    /// CSI, bidi override, CR, NUL, BEL.
    const HOSTILE_NAMES: [&str; 8] = [
        "t\x1b]0;PWNTITLE\x07",
        "c\x1b]52;c;cm0gLXJmIH4=\x07",
        "w\x1b[2J",
        "csi\u{9b}31m",
        "rtl\u{202e}gnp",
        "cr\rx",
        "nul\0x",
        "bel\x07",
    ];

    /// Everything in `text` is printable or a newline.
    fn assert_inert_text(text: &str) {
        for c in text.chars() {
            assert!(
                c == '\n' || !crate::sanitize::is_control_or_bidi(c),
                "raw {:#x} in {text:?}",
                u32::from(c)
            );
        }
    }

    /// The fixture's selected incident with its first alert carrying the
    /// hostile label names and its second hostile values.
    fn hostile_state() -> (State, String) {
        use crate::app::{Msg, update};
        let mut s = crate::app::fixture::state();
        s.caps.can_write = true;
        s.caps.ack_author = "ana".into();
        s.caps.ack_urls.insert("demo".into(), "http://am:9093".into());
        let mut view = (*s.view).clone();
        let inc = s.selected_incident().unwrap().clone();
        let first = view.alerts.get_mut(&inc.alerts[0]).unwrap();
        for name in HOSTILE_NAMES {
            first.alert.labels.insert(name.to_string(), "v".into());
        }
        let second = view.alerts.get_mut(&inc.alerts[1]).unwrap();
        let value = "p\x1b]0;T\x07\u{9b}2J\u{202e}\r\0.*".to_string();
        second.alert.labels.insert("vpod".into(), value.clone());
        update(&mut s, Msg::View(std::sync::Arc::new(view)));
        (s, value)
    }

    #[test]
    fn hostile_label_names_never_leave_quell_raw() {
        let (s, _) = hostile_state();
        let inc = s.selected_incident().unwrap();
        let md = summary_markdown(&s.view, inc);
        assert_inert_text(&md);
        // The names are still there, defanged, so the reader sees them.
        assert!(md.contains("rtlgnp=v") && md.contains("csi=v"), "{md}");
        let cmds = amtool_commands(&s, inc);
        assert_inert_text(&cmds);
        assert!(cmds.contains("# not expressible as a command"), "{cmds}");
        assert!(cmds.contains("\\u{1b}]0;PWNTITLE"), "the name is named, escaped: {cmds}");
        // Alerts without hostile names still get their commands.
        assert!(cmds.contains("amtool silence add"), "{cmds}");
    }

    #[test]
    fn hostile_label_values_become_regexes_that_still_match_them() {
        let (s, value) = hostile_state();
        let inc = s.selected_incident().unwrap();
        let cmds = amtool_commands(&s, inc);
        assert_inert_text(&cmds);
        let line = cmds.lines().find(|l| l.contains("vpod=~")).expect("a regex vpod matcher");
        // Undo the shell quoting and the matcher quoting, as amtool would.
        let start = line.find("'vpod=~\"").unwrap() + "'vpod=~\"".len();
        let rest = &line[start..];
        let quoted = &rest[..rest.find("\"'").unwrap()];
        let pattern = quoted.replace("\\\\", "\\");
        assert!(pattern.contains("\\x{1b}") && pattern.contains("\\x{202e}"), "{pattern}");
        let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
        assert!(re.is_match(&value), "{pattern} must select the alert");
        assert!(!re.is_match("p"), "and only it");
    }
}
