//! Frame time: one full frame at 200×50 from a view holding 10,000 alerts in
//! 1,000 incidents, drawn into ratatui's `TestBackend` (the same buffer diff
//! the real terminal backend does, without the write to a tty).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use quell::app::keymap::Keymap;
use quell::app::{Action, Msg, State, update};
use quell::model::{
    Alert, AlertState, AlertView, Confidence, Evidence, Incident, IncidentId, IncidentState,
    Labels, RootCause, Severity, SourceHealth, SourceStatus, View,
};
use quell::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn big_view() -> View {
    let now = 1_767_240_000_000;
    let mut alerts = BTreeMap::new();
    let mut incidents = Vec::new();
    for i in 0..1_000 {
        let mut fps = Vec::new();
        for j in 0..10 {
            let mut labels = Labels::new();
            labels.insert("alertname".into(), format!("Alert{}", j % 4));
            labels.insert("service".into(), format!("svc{i}-{j}"));
            labels.insert("severity".into(), ["critical", "warning", "info"][j % 3].into());
            let mut alert =
                Alert::new("bench", labels, AlertState::Firing, now - 60_000 * j as i64);
            alert.updated_at = now;
            alert.annotations.insert("summary".into(), "something is slow".into());
            let fp = alert.fingerprint.clone();
            let spark = (0..60).map(|k| ((k * 7 + j) % 13) as f64).collect();
            alerts.insert(
                fp.clone(),
                AlertView {
                    alert,
                    spark,
                    threshold: None,
                    anomalies: Vec::new(),
                    spark_span: None,
                },
            );
            fps.push(fp);
        }
        incidents.push(Arc::new(Incident {
            id: IncidentId(format!("I-{i:06x}")),
            title: format!("Alert0 on svc{i}-0, svc{i}-1 (+9 alerts)"),
            severity: [Severity::Critical, Severity::Warning][i % 2],
            state: IncidentState::Open,
            started_at: now - 600_000,
            updated_at: now,
            resolved_at: None,
            alerts: fps,
            services: (0..10).map(|j| format!("svc{i}-{j}")).collect(),
            root_causes: (0..3)
                .map(|k| RootCause {
                    service: format!("svc{i}-{k}"),
                    score: 0.9 - 0.2 * k as f64,
                    confidence: Confidence::High,
                    evidence: vec![
                        Evidence {
                            ts: now - 500_000,
                            text: "p99 latency 8.1σ above baseline".into()
                        };
                        3
                    ],
                })
                .collect(),
            timeline: vec![],
            acked: false,
        }));
    }
    View {
        now,
        incidents,
        alerts,
        sources: vec![SourceHealth {
            id: "bench".into(),
            kind: "demo".into(),
            status: SourceStatus::Ok,
            last_ok: Some(now),
            interval_ms: 15_000,
        }],
        changes: vec![],
        ground_truth: vec![],
        log_patterns: std::collections::BTreeMap::new(),
        anomalies: vec![],
        forecasts: vec![],
        ..View::default()
    }
}

fn main() {
    let theme = Theme::load("dark", None).unwrap();
    let mut state =
        State::new(theme.clone(), Keymap::defaults(), quell::runbook::demo::runbooks(), false);
    update(&mut state, Msg::Resize(200, 50));
    update(&mut state, Msg::View(Arc::new(big_view())));
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let frames = 300;
    let mut best = f64::MAX;
    let mut total = 0.0;
    for i in 0..frames {
        // Move the selection so every frame has something new to draw.
        update(&mut state, Msg::Action(if i % 2 == 0 { Action::Down } else { Action::Up }));
        let start = Instant::now();
        term.draw(|f| quell::ui::render(f, &state, &theme)).unwrap();
        let dt = start.elapsed().as_secs_f64() * 1e3;
        best = best.min(dt);
        total += dt;
        black_box(term.backend().buffer().area);
    }
    println!(
        "render 200x50, 10,000 alerts in 1,000 incidents: mean {:.3} ms, best {:.3} ms per frame ({frames} frames)",
        total / f64::from(frames),
        best
    );
}
