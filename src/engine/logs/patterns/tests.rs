use super::*;

fn rec(ts: UnixMs, service: &str, level: LogLevel, line: &str) -> LogRecord {
    LogRecord {
        ts,
        source: "test".into(),
        service: Some(service.into()),
        level,
        line: line.into(),
        trace: None,
        template: Default::default(),
    }
}

/// 30 minutes of steady info traffic on two services, then from minute 30 a
/// new error on payments and a burst of an old line on cart.
fn world() -> LogPatterns {
    let mut p = LogPatterns::new(MinerConfig::default());
    for m in 0..40i64 {
        let t = m * MINUTE;
        p.observe(&rec(t, "payments", LogLevel::Info, &format!("charge ok id={m} took {m}ms")));
        let burst = if m >= 30 { 20 } else { 1 };
        for k in 0..burst {
            p.observe(&rec(t + k, "cart", LogLevel::Info, &format!("cache miss key=user{k}")));
        }
        if m >= 30 {
            for k in 0..3 {
                let line = format!("ERROR connection refused to db-{k}:5432 after {m}ms");
                p.observe(&rec(t + 10 + k, "payments", LogLevel::Error, &line));
            }
        }
    }
    p
}

#[test]
fn new_error_template_is_found_on_its_service_only() {
    let p = world();
    let base = (0, 30 * MINUTE);
    let win = (30 * MINUTE, 40 * MINUTE);
    let f = p.findings("payments", base, win);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, FindingKind::New);
    assert_eq!(f[0].level, LogLevel::Error);
    assert_eq!(f[0].count, 30);
    assert!(f[0].text.contains("connection refused"), "{}", f[0].text);
    assert!(p.findings("payments", base, (0, 10 * MINUTE)).is_empty());
}

#[test]
fn rate_jump_is_a_spike_not_new() {
    let p = world();
    let f = p.findings("cart", (0, 30 * MINUTE), (30 * MINUTE, 40 * MINUTE));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, FindingKind::Spike);
    assert!(f[0].count >= 200);
    assert!((f[0].baseline_per_min - 1.0).abs() < 0.01);
}

#[test]
fn stats_table_is_bounded() {
    let mut p = LogPatterns::new(MinerConfig { max_templates: 50, ..MinerConfig::default() });
    for i in 0..(MAX_STATS + 500) {
        // Letters-only names so every line is a distinct template.
        let name: String =
            format!("{i:x}").chars().map(|c| char::from(b'g' + (c as u8 % 16))).collect();
        p.observe(&rec(0, &name, LogLevel::Info, &format!("{name} {name} {name}")));
    }
    assert!(p.stats.len() <= MAX_STATS);
    assert!(p.miner().len() <= 50);
}
