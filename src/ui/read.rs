//! The text of the "read whole" view: for what `app::reader` chose, every
//! line in full, in the words the panes use, built from the live view.
//!
//! Every string that came from outside goes through `crate::sanitize`
//! here (controls stripped, each line capped at [`LINE_CAP`] columns); the
//! pane only wraps it. Nothing here is cut to the screen's width.

use crate::app::overlay::{SilenceRow, silence_rows};
use crate::app::reader::ReadWhat;
use crate::app::{Overlay, State, collapse_repeats};
use crate::model::{AckPhase, Incident, format_age, format_clock};
use crate::sanitize;

use super::panes::{audit, detail, lists};

/// Longest line kept, in columns (a log line or a reason can be huge).
const LINE_CAP: usize = 16 * 1024;

/// The reader's title and lines, or `None` when nothing is open.
#[must_use]
pub fn text(state: &State) -> Option<(String, Vec<String>)> {
    let r = state.reader.as_ref()?;
    let mut out = Out::default();
    let title = match &r.what {
        ReadWhat::Incident(id) => {
            with_incident(state, id, &mut out, |inc, o| incident(state, inc, o))
        }
        ReadWhat::Alerts { incident: id, selected } => {
            with_incident(state, id, &mut out, |inc, o| alerts(state, inc, *selected, o))
        }
        ReadWhat::Cause { incident: id, index } => {
            with_incident(state, id, &mut out, |inc, o| cause(inc, *index, o))
        }
        ReadWhat::LogPattern { service, index } => log_pattern(state, service, *index, &mut out),
        ReadWhat::Runbook(key) => runbook(state, *key, &mut out),
        ReadWhat::RunOutput => run_output(state, &mut out),
        ReadWhat::Alert(fp) => match state.view.alerts.get(fp) {
            Some(a) => alert(a, &mut out),
            None => gone(&mut out, "the alert"),
        },
        ReadWhat::ListRow(o, i) => list_row(state, *o, *i, &mut out),
        ReadWhat::Audit(i) => audit_entry(state, *i, &mut out),
        ReadWhat::Messages => {
            if state.messages.is_empty() {
                out.line("no status messages yet");
            }
            for m in &state.messages {
                out.line(m);
            }
            "Status messages, newest first".to_string()
        }
    };
    Some((sanitize::clean_line(&title, 200), out.0))
}

/// Lines being built, each sanitized on the way in.
#[derive(Default)]
struct Out(Vec<String>);

impl Out {
    fn line(&mut self, s: &str) {
        // Multi-line text (a refusal reason, a comment) keeps its breaks.
        for l in s.split('\n') {
            self.0.push(sanitize::clean_line(l, LINE_CAP));
        }
    }

    fn field(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}: {value}"));
    }

    fn blank(&mut self) {
        self.0.push(String::new());
    }
}

fn gone(out: &mut Out, what: &str) -> String {
    out.line(&format!("{what} is no longer in the view"));
    "Gone".to_string()
}

fn with_incident(
    state: &State,
    id: &crate::model::IncidentId,
    out: &mut Out,
    f: impl FnOnce(&Incident, &mut Out),
) -> String {
    match state.view.incidents.iter().find(|i| &i.id == id) {
        Some(inc) => {
            f(inc, out);
            format!("{} \u{00b7} {}", inc.id, inc.title)
        }
        None => gone(out, &format!("incident {id}")),
    }
}

fn incident(state: &State, inc: &Incident, out: &mut Out) {
    out.line(&inc.title);
    out.field("severity", inc.severity.word());
    out.field("state", inc.state.word());
    out.field(
        "since",
        &format!(
            "{} ({} ago)",
            crate::app::format_stamp(inc.started_at),
            format_age(state.view.now - inc.started_at)
        ),
    );
    out.field("services", &inc.services.join(", "));
    out.field("alerts", &inc.alerts.len().to_string());
    if let Some(a) = state.view.ack_of(&inc.id) {
        let until =
            a.until.map_or_else(|| "pending".to_string(), |t| format!("until {}", format_clock(t)));
        out.field("acked", &format!("by {} {until} \u{00b7} {}", a.by, a.note));
    }
    if let Some(h) = state.view.history.get(&inc.id) {
        out.field("history", &h.headline());
        for text in h.similar_lines(state.view.now) {
            out.line(&format!("  {text}"));
        }
    }
    out.blank();
    out.line("Timeline:");
    let mut entries: Vec<(i64, String)> =
        inc.timeline.iter().map(|e| (e.ts, e.text.clone())).collect();
    for r in state.runbook_flow.runs.iter().filter(|r| r.plan.incident == inc.id.0) {
        entries.push((r.ended_at.unwrap_or(r.started_at), r.timeline_text()));
    }
    entries.sort_by_key(|e| e.0);
    for (ts, text, n) in collapse_repeats(&entries) {
        let times = if n > 1 { format!(" (\u{00d7}{n})") } else { String::new() };
        out.line(&format!("{} {text}{times}", format_clock(ts)));
    }
}

fn alerts(state: &State, inc: &Incident, selected: usize, out: &mut Out) {
    let list = crate::app::alerts_of(&state.view, inc);
    if list.is_empty() {
        out.line("no alerts: suspected from anomalies (metrics, logs, spans)");
    }
    for (i, a) in list.iter().enumerate() {
        let mark = if i == selected { "\u{25b6}" } else { " " };
        let sev = a.alert.severity();
        out.line(&format!(
            "{mark} {} {} {} \u{00b7} {} \u{00b7} {}",
            sev.glyph(),
            sev.word(),
            a.alert.name(),
            detail::target(a),
            detail::state_word(&a.alert)
        ));
        for key in ["summary", "description"] {
            if let Some(v) = a.alert.annotations.get(key) {
                out.line(&format!("    {v}"));
            }
        }
    }
}

fn cause(inc: &Incident, index: usize, out: &mut Out) {
    let causes = crate::app::shown_causes(inc);
    let Some(rc) = causes.get(index.min(causes.len().saturating_sub(1))) else {
        out.line("no suspected cause");
        return;
    };
    // In the causes pane's words: the score shown there, confidence said plainly.
    let confidence = match rc.confidence {
        crate::model::Confidence::Low => "low confidence",
        crate::model::Confidence::Medium => "medium confidence",
        crate::model::Confidence::High => "high confidence",
    };
    let score = if rc.score.is_finite() {
        format!("{:.2}", rc.score.clamp(0.0, 1.0))
    } else {
        "-.--".to_string()
    };
    out.line(&format!("{} \u{00b7} score {score} \u{00b7} {confidence}", rc.service));
    let evidence: Vec<(i64, String)> = rc.evidence.iter().map(|e| (e.ts, e.text.clone())).collect();
    for (ts, text, n) in collapse_repeats(&evidence) {
        let times = if n > 1 { format!(" (\u{00d7}{n})") } else { String::new() };
        out.line(&format!("{} {text}{times}", format_clock(ts)));
    }
}

fn log_pattern(state: &State, service: &str, index: usize, out: &mut Out) -> String {
    let Some(p) = state.view.log_patterns.get(service).and_then(|ps| ps.get(index)) else {
        return gone(out, "the log pattern");
    };
    out.line(&p.text);
    out.field("count", &p.count.to_string());
    out.field("first seen", &format_clock(p.first_seen));
    out.field("last seen", &format_clock(p.last_seen));
    out.blank();
    out.line("Latest lines, newest first:");
    for l in p.lines.iter().rev() {
        out.line(l);
    }
    format!("Log pattern on {service}")
}

fn runbook(state: &State, key: u8, out: &mut Out) -> String {
    let Some((_, rb)) = state.offered_runbooks().into_iter().find(|(k, _)| *k == key) else {
        return gone(out, "the runbook");
    };
    out.line(&rb.title);
    if !rb.description.is_empty() {
        out.line(&rb.description);
    }
    out.field("script", &rb.path);
    out.field("sha256", &rb.sha256);
    out.field("arguments", &rb.args.join(" "));
    out.field("applies to", &rb.matchers.join(", "));
    if rb.dangerous {
        out.line("dangerous: asks for a typed confirmation");
    }
    format!("Runbook {key}")
}

fn run_output(state: &State, out: &mut Out) -> String {
    let Some(run) = state.runbook_flow.shown_run() else {
        return gone(out, "the run");
    };
    if let crate::app::runbook_flow::RunStatus::Refused(reason) = &run.status {
        out.line(&format!("refused: {reason}"));
    }
    out.field("argv", &run.plan.argv.join(" "));
    out.blank();
    for (_, text) in &run.output {
        out.line(text);
    }
    format!("Run {} \u{00b7} {}", run.id, run.plan.title)
}

fn alert(a: &crate::model::AlertView, out: &mut Out) -> String {
    let al = &a.alert;
    out.field("state", detail::state_word(al));
    out.field("severity", al.severity().word());
    out.field("target", &detail::target(a));
    out.field("since", &crate::app::format_stamp(al.starts_at));
    if let Some(u) = &al.generator_url {
        out.field("source URL", u);
    }
    out.blank();
    out.line("Labels:");
    for (k, v) in &al.labels {
        out.line(&format!("  {k}={v}"));
    }
    out.line("Annotations:");
    for (k, v) in &al.annotations {
        out.line(&format!("  {k}: {v}"));
    }
    format!("Alert {}", al.name())
}

fn list_row(state: &State, o: Overlay, i: usize, out: &mut Out) -> String {
    let now = state.view.now;
    match o {
        Overlay::Silences => match silence_rows(&state.view).get(i) {
            Some(SilenceRow::Silence(s)) => {
                out.field("id", &s.id);
                out.field("cluster", &s.source.to_string());
                out.field(
                    "ends",
                    &format!("{} ({})", format_clock(s.ends_at), lists::until_text(now, s.ends_at)),
                );
                out.field("matches", &format!("{} alert(s)", s.matched));
                out.field("created by", &s.created_by);
                out.field("comment", &s.comment);
                out.line("matchers:");
                for m in &s.matchers {
                    out.line(&format!("  {m}"));
                }
                "Silence".to_string()
            }
            Some(SilenceRow::PendingAck(a)) => {
                out.field("incident", &a.incident.to_string());
                out.field("cluster", &a.source.to_string());
                out.field("by", &a.by);
                out.field("note", &a.note);
                if let AckPhase::Pending { last_error: Some(e), .. }
                | AckPhase::Expiring { last_error: Some(e), .. } = &a.phase
                {
                    out.field("last error", e);
                }
                out.line("alerts:");
                for fp in &a.fingerprints {
                    out.line(&format!("  {fp}"));
                }
                "Pending ack".to_string()
            }
            None => gone(out, "the silence"),
        },
        Overlay::Sources => match state.view.sources.get(i) {
            Some(h) => {
                out.field("kind", &h.kind);
                out.field("health", &lists::source_detail(now, &h.status));
                out.field("last success", &lists::last_ok(now, h));
                out.field("polled every", &format!("{} s", h.interval_ms / 1000));
                format!("Source {}", h.id)
            }
            None => gone(out, "the source"),
        },
        Overlay::Anomalies => match state.view.anomalies.get(i) {
            Some(a) => {
                out.field("series", &a.series.to_string());
                out.field("at", &format_clock(a.ts));
                out.field("signal", a.signal.describe());
                out.field("kind", &a.kind);
                out.field("score", &format!("{:.2}", a.score));
                out.field("value", &crate::ui::widgets::spark::compact(a.value));
                "Anomaly".to_string()
            }
            None => gone(out, "the anomaly"),
        },
        Overlay::Forecasts => {
            let mut rows: Vec<&crate::model::Forecast> = state.view.forecasts.iter().collect();
            rows.sort_by_key(|f| f.eta);
            match rows.get(i) {
                Some(f) => {
                    out.field("series", &f.series.to_string());
                    out.field("signal", f.signal.describe());
                    out.field(
                        "breach",
                        &format!(
                            "reaches {} {}",
                            crate::ui::widgets::spark::compact(f.threshold),
                            lists::breach_text(now, f)
                        ),
                    );
                    "Forecast".to_string()
                }
                None => gone(out, "the forecast"),
            }
        }
    }
}

fn audit_entry(state: &State, i: usize, out: &mut Out) -> String {
    let Some(e) = state.runbook_flow.audit.iter().rev().nth(i) else {
        return gone(out, "the audit entry");
    };
    out.field("time", &audit::wall_time(&e.ts));
    out.field("runbook", &e.runbook);
    out.field("by", &e.who.describe());
    out.field("incident", &e.incident);
    out.field("outcome", &audit::outcome(e));
    out.field("script", &e.path);
    out.field("sha256", &e.sha256);
    out.field("argv", &format!("{:?}", e.argv));
    if !e.alerts.is_empty() {
        out.field("alerts", &e.alerts.join(", "));
    }
    "Audit entry".to_string()
}
