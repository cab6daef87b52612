use super::*;
use crate::engine::Engine;
use crate::engine::testutil::*;
use crate::model::{ChangeEvent, LogRecord};
use crate::store::Ingest;

fn top(engine: &mut Engine, s: &Store, now: UnixMs) -> Vec<std::sync::Arc<Incident>> {
    engine.update(s, now)
}

#[test]
fn slow_database_is_ranked_first_with_evidence() {
    let mut s = store();
    latency(&mut s, "postgres", 0.02, Some((150, 0.5)));
    latency(&mut s, "payments", 0.05, Some((152, 0.6)));
    latency(&mut s, "checkout", 0.08, Some((154, 0.7)));
    latency(&mut s, "frontend", 0.10, Some((155, 0.8)));
    latency(&mut s, "cart", 0.03, None);
    latency(&mut s, "redis", 0.001, None);
    poll(
        &mut s,
        at(160),
        vec![
            alert("HighLatency", "payments", "warning", at(157)),
            alert("HighLatency", "checkout", "warning", at(158)),
            alert("HighErrorRate", "frontend", "critical", at(159)),
        ],
    );
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(160));
    assert_eq!(incs.len(), 1);
    let rc = &incs[0].root_causes;
    assert_eq!(rc[0].service, "postgres", "{rc:#?}");
    assert!(rc[0].score > rc[1].score);
    let text: Vec<&str> = rc[0].evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(
        text.iter().any(|t| t.contains("p99 latency") && t.contains("σ above baseline")),
        "{text:?}"
    );
    assert!(text.iter().any(|t| t.contains("before the first alert")), "{text:?}");
    assert!(rc.iter().any(|c| {
        c.service == "payments" && c.evidence.iter().any(|e| e.text.contains("likely a victim"))
    }));
    assert!(incs[0].title.contains("HighErrorRate"), "{}", incs[0].title);
}

/// Root causes when checkout and frontend deviate together and only
/// checkout had a change (`kind`, `description`) just before.
fn after_a_change_on_checkout(
    kind: crate::model::ChangeKind,
    description: &str,
) -> Vec<crate::model::RootCause> {
    let mut s = store();
    // Two services deviate at the same time; only checkout was just changed.
    latency(&mut s, "checkout", 0.08, Some((150, 0.9)));
    latency(&mut s, "frontend", 0.10, Some((150, 0.9)));
    s.apply(Ingest::Change(ChangeEvent {
        ts: at(148),
        service: "checkout".into(),
        kind,
        description: description.into(),
    }));
    poll(
        &mut s,
        at(156),
        vec![
            alert("HighErrorRate", "frontend", "critical", at(155)),
            alert("HighErrorRate", "checkout", "critical", at(155)),
        ],
    );
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(156));
    incs[0].root_causes.clone()
}

#[test]
fn deploy_tips_the_balance() {
    let rc = &after_a_change_on_checkout(crate::model::ChangeKind::Deploy, "v1 -> v2");
    assert_eq!(rc[0].service, "checkout", "{rc:#?}");
    assert!(rc[0].evidence.iter().any(|e| e.text.starts_with("deploy v1 -> v2")));
}

#[test]
fn a_restart_weighs_less_than_a_deploy() {
    use crate::model::ChangeKind;
    let checkout = |rc: Vec<crate::model::RootCause>| {
        rc.into_iter().find(|c| c.service == "checkout").unwrap()
    };
    let deploy = checkout(after_a_change_on_checkout(ChangeKind::Deploy, "v1 -> v2"));
    let restart = checkout(after_a_change_on_checkout(ChangeKind::Restart, "pod checkout-0"));
    assert!(deploy.score > restart.score, "deploy {} vs restart {}", deploy.score, restart.score);
    assert!(restart.evidence.iter().any(|e| e.text.starts_with("restart pod checkout-0")));
}

#[test]
fn error_logs_become_evidence() {
    let mut s = store();
    latency(&mut s, "redis", 0.001, None);
    latency(&mut s, "cart", 0.03, Some((150, 0.4)));
    let lines = (150..158)
        .map(|i| LogRecord {
            ts: at(i),
            source: "test".into(),
            service: Some("cart".into()),
            level: crate::model::LogLevel::Error,
            line: format!("ERROR connection pool exhausted after {i} ms"),
            trace: None,
            template: Default::default(),
        })
        .collect();
    s.apply(Ingest::Logs(lines));
    poll(&mut s, at(158), vec![alert("HighLatency", "cart", "warning", at(156))]);
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(158));
    let rc = &incs[0].root_causes[0];
    assert_eq!(rc.service, "cart");
    assert!(
        rc.evidence
            .iter()
            .any(|e| e.text.contains("error log lines") && e.text.contains("pool exhausted")),
        "{rc:#?}"
    );
}

#[test]
fn no_data_means_low_confidence_not_a_guess_presented_as_fact() {
    let mut s = store();
    poll(
        &mut s,
        at(10),
        vec![
            alert("Foo", "checkout", "warning", at(10)),
            alert("Bar", "payments", "warning", at(10)),
        ],
    );
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(10));
    assert_eq!(incs.len(), 1);
    for c in &incs[0].root_causes {
        assert_ne!(c.confidence, Confidence::High, "{c:#?}");
    }
}

#[test]
fn per_instance_deviations_say_which_instance() {
    let mut s = store();
    for (pod, high) in [("cart-0", 0.9), ("cart-1", 0.8), ("cart-2", 0.7)] {
        latency_of(&mut s, "cart", Some(pod), 0.03, Some((150, high)));
    }
    poll(&mut s, at(156), vec![alert("HighLatency", "cart", "warning", at(155))]);
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(156));
    let rc = &incs[0].root_causes[0];
    assert_eq!(rc.service, "cart");
    let also: Vec<&str> =
        rc.evidence.iter().map(|e| e.text.as_str()).filter(|t| t.contains(" also ")).collect();
    assert_eq!(also.len(), 2, "{rc:#?}");
    // Two different instances named, not the same line twice.
    assert!(also.iter().all(|t| t.starts_with("p99 latency on cart-")), "{also:?}");
    assert_ne!(also[0], also[1]);
}

#[test]
fn causes_carry_span_lines_for_live_use() {
    use crate::engine::spans::testutil::chain;
    let mut s = crate::store::Store::new(crate::store::StoreLimits::default());
    let jitter = |mut v: Vec<crate::model::Span>| {
        for (i, x) in v.iter_mut().enumerate() {
            x.duration_us += (i as u64 * 37) % 500;
        }
        v
    };
    s.apply(Ingest::Spans(jitter(chain(0, 600, 5, 2, 5, 10))));
    s.apply(Ingest::Spans(jitter(chain(1_800_000, 300, 5, 2, 5, 300))));
    let mut causes = vec![crate::model::RootCause {
        service: "c".into(),
        score: 0.5,
        confidence: crate::model::Confidence::Low,
        evidence: vec![],
    }];
    super::add_span_evidence(&mut causes, &s, (0, 1_800_000), (1_800_000, 2_100_000));
    let lines: Vec<&str> = causes[0].evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(lines.iter().any(|l| l.starts_with("c own work: p99 ")), "{lines:?}");
    assert!(lines.iter().all(|l| l.contains(" → ")), "{lines:?}");
    // Dated at the cause's first sign, not at the window's start.
    let mut causes = vec![crate::model::RootCause {
        service: "c".into(),
        score: 0.5,
        confidence: crate::model::Confidence::Low,
        evidence: vec![crate::model::Evidence { ts: 1_950_000, text: "c p99 latency".into() }],
    }];
    super::add_span_evidence(&mut causes, &s, (0, 1_800_000), (1_800_000, 2_100_000));
    assert!(causes[0].evidence.len() > 1);
    assert!(causes[0].evidence.iter().all(|e| e.ts == 1_950_000), "{:?}", causes[0].evidence);
}

#[test]
fn an_alert_with_no_service_or_host_titles_its_incident_by_its_other_labels() {
    let mut s = store();
    let labels = crate::model::labels_of(&[
        ("alertname", "BackupOverdue"),
        ("cluster", "eu-1"),
        ("team", "storage"),
        ("severity", "warning"),
    ]);
    let backup = crate::model::Alert::new("am", labels, crate::model::AlertState::Firing, at(150));
    poll(&mut s, at(151), vec![backup]);
    let mut e = Engine::new(EngineConfig::default(), shop());
    let incs = top(&mut e, &s, at(152));
    assert_eq!(incs.len(), 1);
    assert_eq!(incs[0].title, "BackupOverdue on cluster=eu-1, team=storage");
}
