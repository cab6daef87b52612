//! The Loki side of the stub tests (tests/backends_loki.rs): a
//! `[[logs.loki]]` config and its connector, `query_range` answers in the
//! shape of Loki's HTTP API reference, and what one poll cycle delivered.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use quell::connectors::logs::loki::LokiStream;
use quell::model::LogRecord;
use quell::store::Ingest;
use serde_json::json;

use super::config;
use super::stub::Reply;

/// A `[[logs.loki]]` source at `url` with a fast interval; `extra` adds keys.
pub fn loki_toml(url: &str, extra: &str) -> String {
    format!(
        "[[logs.loki]]\nname = \"loki\"\nurl = {url:?}\nquery = '{{app=~\".+\"}} != \"healthz\"'\n\
         interval = \"200ms\"\ntimeout = \"3s\"\nconnect_timeout = \"1s\"\n{extra}\n"
    )
}

/// The connector for that source.
pub fn stream(url: &str, extra: &str) -> LokiStream {
    LokiStream::new(config(&loki_toml(url, extra)).logs.loki[0].clone()).unwrap()
}

/// A `query_range` answer: `(labels, [(ns, line)])` per stream.
pub fn answer(streams: &[(serde_json::Value, Vec<(i64, &str)>)]) -> Reply {
    let result: Vec<serde_json::Value> = streams
        .iter()
        .map(|(labels, values)| {
            let values: Vec<serde_json::Value> =
                values.iter().map(|(ts, line)| json!([ts.to_string(), line])).collect();
            json!({"stream": labels, "values": values})
        })
        .collect();
    let body = json!({"status": "success", "data": {"resultType": "streams", "result": result,
        "stats": {"summary": {"execTime": 0.002, "totalLinesProcessed": 3}}}});
    Reply::json(serde_json::to_vec(&body).unwrap())
}

/// The log lines a cycle delivered, in order.
pub fn lines(events: &[Ingest]) -> Vec<LogRecord> {
    events
        .iter()
        .filter_map(|e| match e {
            Ingest::Logs(l) => Some(l.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}
