use super::*;

#[test]
fn pods_map_to_their_workload() {
    assert_eq!(workload_of("ts-order-service-5b67c48447-mv5hb"), "ts-order-service");
    assert_eq!(workload_of("ts-consign-price-service-df498d7fb-725nt"), "ts-consign-price-service");
    assert_eq!(workload_of("redis-0"), "redis");
    assert_eq!(workload_of("frontend"), "frontend");
    assert_eq!(workload_of("node-exporter-x7k2p"), "node-exporter");
}

/// A service that logs JSON behind the container runtime's envelope
/// (the `Log` column holds `{"log":"{\"message\":…,\"severity\":…}"}`),
/// in a file with no `TraceID` column: the level is the payload's
/// severity and the trace id the one its message names.
#[test]
fn json_payloads_give_their_severity_and_trace() {
    let dir = std::env::temp_dir().join(format!("quell-nezha-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("10_00_log.csv");
    // The payload as the service wrote it, in the runtime's envelope,
    // quoted as a CSV field.
    let payload = |msg: &str, sev: &str| {
        let inner = serde_json::json!({
            "message": format!("TraceID: 4bf92f3577b34da6a3ce929d0e0e4736 SpanID: 00f067aa0ba902b7 {msg}"),
            "severity": sev,
        });
        let envelope =
            serde_json::json!({ "log": format!("{inner}\n"), "stream": "stdout" }).to_string();
        format!("\"{}\"", envelope.replace('"', "\"\""))
    };
    let text = format!(
        "TimeUnixNano,PodName,Log\n1661126400000000000,checkoutservice-5d4b8c7f9-abcde,{}\n1661126401000000000,checkoutservice-5d4b8c7f9-abcde,{}\n",
        payload("failed to charge card", "error"),
        payload("error budget report", "info"),
    );
    std::fs::write(&path, text).unwrap();
    let mut counts = Counts::default();
    let recs = read_logs(&path, &mut counts);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(recs.len(), 2, "{counts:?}");
    assert_eq!(recs[0].service.as_deref(), Some("checkoutservice"));
    assert!(recs[0].line.starts_with("{\"message\":\"TraceID:"), "{}", recs[0].line);
    assert_eq!(recs[0].level, LogLevel::Error);
    assert_eq!(recs[1].level, LogLevel::Info);
    let id = crate::model::trace_key("4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(id.is_some());
    assert_eq!(recs[0].trace, id);
}
