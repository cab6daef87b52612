//! Test fixture: a small, fixed `View` (three incidents, their alerts with
//! sparks and gaps, ranked root causes with evidence, two sources) and a
//! `State` built on it. Shared by the `app` and `ui` tests. One label value
//! and one annotation are hostile on purpose: they must come out inert.

use std::sync::Arc;

use crate::app::keymap::Keymap;
use crate::app::{Msg, State, update};
use crate::model::{
    Alert, AlertState, AlertView, Confidence, Evidence, Incident, IncidentId, IncidentState,
    RootCause, Severity, SourceHealth, SourceStatus, TimelineEntry, TimelineKind, View,
};
use crate::runbook::Runbook;
use crate::theme::Theme;

/// 2024-05-01 03:12:45 UTC.
pub const NOW: i64 = 1_714_533_165_000;
const MIN: i64 = 60_000;

/// A label value that tries to write the clipboard, clear the screen and
/// flip text direction.
pub const HOSTILE: &str = "pod-7\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u{202e}evil\x07\r\n";

use crate::model::labels_of as labels;

fn alert(
    name: &str,
    service: &str,
    severity: &str,
    extra: &[(&str, &str)],
    mins_ago: i64,
    spark: Vec<f64>,
) -> AlertView {
    let mut l = labels(&[("alertname", name), ("service", service), ("severity", severity)]);
    l.extend(labels(extra));
    let annotations = labels(&[
        ("summary", &format!("{name} on {service}")),
        ("description", "Line one of the description.\nLine two\x1b[31m in red?"),
    ]);
    AlertView {
        alert: Alert {
            annotations,
            updated_at: NOW,
            ..Alert::new("demo", l, AlertState::Firing, NOW - mins_ago * MIN)
        },
        spark,
        threshold: Some(0.5),
        anomalies: Vec::new(),
        spark_span: None,
    }
}

fn ramp(n: usize, gap_at: Option<usize>) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if Some(i) == gap_at {
                f64::NAN
            } else {
                (i as f64 / 4.0).sin().abs() * (i as f64 / n as f64)
            }
        })
        .collect()
}

fn cause(service: &str, score: f64, confidence: Confidence, evidence: &[(i64, &str)]) -> RootCause {
    RootCause {
        service: service.into(),
        score,
        confidence,
        evidence: evidence
            .iter()
            .map(|(m, t)| Evidence { ts: NOW - m * MIN, text: (*t).into() })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn incident(
    id: &str,
    title: &str,
    severity: Severity,
    state: IncidentState,
    mins_ago: i64,
    alerts: &[&AlertView],
    services: &[&str],
    causes: Vec<RootCause>,
) -> Incident {
    Incident {
        id: IncidentId(id.into()),
        title: title.into(),
        severity,
        state,
        started_at: NOW - mins_ago * MIN,
        updated_at: NOW,
        resolved_at: None,
        alerts: alerts.iter().map(|a| a.alert.fingerprint.clone()).collect(),
        services: services.iter().map(|s| (*s).to_string()).collect(),
        root_causes: causes,
        timeline: alerts
            .iter()
            .map(|a| TimelineEntry {
                ts: a.alert.starts_at,
                kind: TimelineKind::AlertFired,
                text: format!("{} fired on {}", a.alert.name(), a.alert.service().unwrap_or("?")),
            })
            .collect(),
        acked: false,
    }
}

#[must_use]
pub fn view() -> View {
    let a1 = alert(
        "HighLatency",
        "checkout",
        "critical",
        &[("instance", "checkout-1")],
        12,
        ramp(60, Some(40)),
    );
    let a2 = alert(
        "HighLatency",
        "payments",
        "critical",
        &[("instance", "payments-0")],
        11,
        ramp(60, None),
    );
    let a3 =
        alert("ErrorBudgetBurn", "checkout", "high", &[("pod", HOSTILE)], 10, ramp(30, Some(3)));
    let a4 = alert("DBConnectionsSaturated", "postgres", "critical", &[], 13, ramp(60, None));
    let b1 = alert("DiskFilling", "logs", "warning", &[("instance", "logs-2")], 95, vec![1.0; 40]);
    let c1 = alert("CertExpiringSoon", "edge", "info", &[], 300, Vec::new());
    let i1 = incident(
        "I-3f2a",
        "checkout and payments latency; postgres connections saturated",
        Severity::Critical,
        IncidentState::Open,
        13,
        &[&a1, &a2, &a3, &a4],
        &["checkout", "payments", "postgres"],
        vec![
            cause(
                "postgres",
                0.82,
                Confidence::High,
                &[
                    (14, "deploy postgres v14.2 -> v14.3"),
                    (13, "connections 95% of max (anomaly, 6.1σ)"),
                ],
            ),
            cause("payments", 0.31, Confidence::Low, &[(11, "p99 latency 2.4s, calls postgres")]),
        ],
    );
    let mut i2 = incident(
        "I-77b0",
        "logs disk filling",
        Severity::Warning,
        IncidentState::Open,
        95,
        &[&b1],
        &["logs"],
        vec![cause("logs", 0.6, Confidence::Medium, &[(95, "disk usage +4%/h")])],
    );
    i2.acked = true;
    let i3 = incident(
        "I-0c19",
        "edge certificate expiring",
        Severity::Info,
        IncidentState::Resolved,
        300,
        &[&c1],
        &["edge"],
        Vec::new(),
    );
    let alerts =
        [a1, a2, a3, a4, b1, c1].into_iter().map(|a| (a.alert.fingerprint.clone(), a)).collect();
    View {
        silences: Vec::new(),
        acks: Vec::new(),
        history: std::collections::BTreeMap::new(),
        anomalies: Vec::new(),
        forecasts: Vec::new(),
        now: NOW,
        incidents: vec![Arc::new(i1), Arc::new(i2), Arc::new(i3)],
        alerts,
        sources: vec![
            SourceHealth {
                id: "demo".into(),
                kind: "demo".into(),
                status: SourceStatus::Ok,
                last_ok: Some(NOW - 2_000),
                interval_ms: 5_000,
            },
            SourceHealth {
                id: "am-eu".into(),
                kind: "alertmanager".into(),
                status: SourceStatus::Down {
                    since: NOW - 3 * MIN,
                    attempts: 4,
                    reason: "connection refused".into(),
                },
                last_ok: Some(NOW - 3 * MIN),
                interval_ms: 15_000,
            },
        ],
        changes: Vec::new(),
        ground_truth: Vec::new(),
        log_patterns: std::collections::BTreeMap::new(),
    }
}

/// Runbooks as a config file declares them (their matcher cache is private
/// to `runbook`, so they are built the way config builds them).
#[must_use]
pub fn runbooks() -> Vec<Runbook> {
    let rb = |id: &str, title: &str, m: &str, dangerous: bool| -> Runbook {
        // Showing connections changes nothing: the one read-only may run.
        let safe = id == "pg-conns";
        let text = format!(
            "id = \"{id}\"\ntitle = \"{title}\"\npath = \"/opt/runbooks/{id}.sh\"\nmatch = [{m:?}]\ndangerous = {dangerous}\nread_only_safe = {safe}\n"
        );
        toml::from_str(&text).unwrap()
    };
    vec![
        rb("pg-conns", "Show postgres connections by client", "service=\"postgres\"", false),
        rb("restart-payments", "Restart payments pods", "service=\"payments\"", true),
        rb("rotate-logs", "Rotate and compress logs", "service=\"logs\"", false),
    ]
}

/// A state with the fixture view applied and theme names known.
#[must_use]
pub fn state() -> State {
    let mut s = State::new(Theme::default(), Keymap::defaults(), runbooks(), false);
    s.caps.theme_names = Theme::available(None);
    s.measure = crate::ui::MEASURE;
    update(&mut s, Msg::View(Arc::new(view())));
    s
}

/// Types `text` key by key, as a user would.
pub fn typed(s: &mut State, text: &str) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for c in text.chars() {
        update(s, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
}

/// Runs `:line` from the command prompt.
pub fn command(s: &mut State, line: &str) {
    update(s, Msg::Action(crate::app::Action::Command));
    typed(s, line);
    update(s, Msg::Action(crate::app::Action::Submit));
}
