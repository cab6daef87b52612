//! journald's JSON export (`journalctl -o json --follow`): one object per
//! line. Field values are strings, but binary ones arrive as arrays of byte
//! values and ones over journalctl's size limit as `null`. The stream itself
//! comes from [`super::command::CommandStream`] with the argv built here.

use serde_json::Value;

use crate::model::{LogLevel, LogRecord, UnixMs};

use super::{MAX_LINE_BYTES, cut};

/// argv for following the journal, optionally one unit.
#[must_use]
pub fn argv(unit: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = ["journalctl", "-o", "json", "--follow", "--lines", "0"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    if let Some(u) = unit {
        v.push("--unit".into());
        v.push(u.to_string());
    }
    v
}

/// A field as text: strings as-is, byte arrays decoded lossily, `null`
/// (too large to export) and anything else as `None`.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(bytes) => {
            let b: Vec<u8> = bytes
                .iter()
                .filter_map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            Some(String::from_utf8_lossy(&b).into_owned())
        }
        _ => None,
    }
}

/// Parses one line of `journalctl -o json` into a record for `service`.
/// `now` stands in when the entry has no usable timestamp.
#[must_use]
pub fn parse(line: &str, source: &str, service: &str, now: UnixMs) -> Option<LogRecord> {
    let v: Value = serde_json::from_str(line).ok()?;
    let obj = v.as_object()?;
    let message =
        text(obj.get("MESSAGE")).unwrap_or_else(|| "(message too large or missing)".into());
    let ts = text(obj.get("__REALTIME_TIMESTAMP"))
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(now, |us| us / 1000);
    // syslog priorities: 0-3 are errors and worse, 4 warning, 5-6 info, 7 debug.
    let level = match text(obj.get("PRIORITY")).and_then(|p| p.parse::<u8>().ok()) {
        Some(0..=3) => LogLevel::Error,
        Some(4) => LogLevel::Warn,
        Some(5 | 6) => LogLevel::Info,
        Some(7) => LogLevel::Debug,
        _ => LogLevel::sniff(&message),
    };
    Some(LogRecord {
        ts,
        source: source.to_string(),
        service: Some(service.to_string()),
        level,
        trace: crate::model::trace_in_line(&message),
        template: Default::default(),
        line: cut(&message, MAX_LINE_BYTES).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strings_byte_arrays_and_nulls() {
        let s = r#"{"__REALTIME_TIMESTAMP":"1700000000123456","PRIORITY":"3","MESSAGE":"disk full","_SYSTEMD_UNIT":"x.service"}"#;
        let r = parse(s, "journald", "db", 0).unwrap();
        assert_eq!(
            (r.ts, r.level, r.line.as_str()),
            (1_700_000_000_123, LogLevel::Error, "disk full")
        );
        let b = r#"{"PRIORITY":"6","MESSAGE":[104,105,0,27,91,51,49,109]}"#;
        let r = parse(b, "journald", "db", 42).unwrap();
        assert_eq!((r.ts, r.level), (42, LogLevel::Info));
        // Raw bytes survive here; sanitizing happens before drawing.
        assert_eq!(r.line, "hi\u{0}\u{1b}[31m");
        let n = r#"{"PRIORITY":"4","MESSAGE":null}"#;
        let r = parse(n, "journald", "db", 0).unwrap();
        assert_eq!(r.level, LogLevel::Warn);
        assert!(r.line.contains("too large"));
        assert!(parse("not json", "journald", "db", 0).is_none());
        assert_eq!(argv(Some("nginx")).last().map(String::as_str), Some("nginx"));
    }
}
