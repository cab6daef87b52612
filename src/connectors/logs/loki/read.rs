//! Reading one LogQL query forward from its cursor, a page at a time, and
//! turning Loki's streams into [`LogRecord`]s (service from the stream's
//! labels, sanitized; level from its labels, else sniffed).

use std::collections::BTreeMap;

use crate::connectors::http::{FetchError, Http};
use crate::model::{LogLevel, LogRecord};

use super::super::{MAX_LINE_BYTES, cut};
use super::LokiSource;
use super::api;
use super::cursor::{Cursor, PageLine, stream_key};
use super::focus::Seen;

/// Longest service name taken from a label.
const MAX_SERVICE_WIDTH: usize = 64;

/// What one query read in one cycle.
pub(super) struct Read {
    pub(super) records: Vec<LogRecord>,
    pub(super) warnings: Vec<String>,
    /// The last page was not full: everything up to `end` was read.
    pub(super) caught_up: bool,
    /// Stopped at the page budget with more to read.
    pub(super) behind: bool,
}

/// What every query of one cycle shares.
pub(super) struct Reader<'a> {
    pub(super) http: &'a Http,
    pub(super) url: &'a str,
    pub(super) cfg: &'a LokiSource,
    pub(super) source_id: &'a str,
    pub(super) end: i64,
    pub(super) limit: usize,
}

impl Reader<'_> {
    /// Pages one query forward from its cursor, up to `pages` requests;
    /// lines another query of this source already delivered are dropped.
    pub(super) async fn read(
        &self,
        query: &str,
        cursor: &mut Cursor,
        pages: usize,
        seen: &mut Seen,
    ) -> Result<Read, FetchError> {
        let limit = self.limit;
        let mut out =
            Read { records: Vec::new(), warnings: Vec::new(), caught_up: false, behind: false };
        for page in 0..pages {
            let params = [
                ("query", query.to_string()),
                ("start", cursor.start_ns().to_string()),
                ("end", self.end.to_string()),
                ("limit", limit.to_string()),
                ("direction", "forward".to_string()),
            ];
            let (streams, w) = fetch(self.http, self.url, &params).await?;
            out.warnings.extend(w);
            let services: Vec<Option<String>> =
                streams.iter().map(|s| service_of(&s.stream, self.cfg)).collect();
            let levels: Vec<Option<LogLevel>> =
                streams.iter().map(|s| level_of(&s.stream)).collect();
            let traces: Vec<Option<u64>> = streams.iter().map(|s| trace_of(&s.stream)).collect();
            let (fresh, step) = cursor.take(flatten(streams), limit);
            if step.skipped {
                out.warnings.push(format!(
                    "more than {limit} lines share one timestamp: some were skipped (raise limit)"
                ));
            }
            out.records.extend(
                fresh.into_iter().filter(|l| seen.first_time(l.ts_ns, l.stream_key, &l.line)).map(
                    |l| {
                        let service = services.get(l.stream).cloned().flatten();
                        let level = levels.get(l.stream).copied().flatten();
                        let trace = traces.get(l.stream).copied().flatten();
                        to_record(self.source_id, l, service, level, trace)
                    },
                ),
            );
            if !step.more {
                out.caught_up = true;
                break;
            }
            out.behind = page + 1 == pages;
        }
        Ok(out)
    }
}

fn to_record(
    source: &str,
    l: PageLine,
    service: Option<String>,
    level: Option<LogLevel>,
    trace: Option<u64>,
) -> LogRecord {
    let line = cut(l.line.trim_end_matches(['\r', '\n']), MAX_LINE_BYTES);
    LogRecord {
        ts: l.ts_ns.div_euclid(1_000_000),
        source: source.to_string(),
        service,
        level: level.unwrap_or_else(|| LogLevel::sniff(line)),
        line: line.to_string(),
        trace: trace.or_else(|| crate::model::trace_in_line(line)),
        template: Default::default(),
    }
}

async fn fetch(
    http: &Http,
    url: &str,
    query: &[(&str, String)],
) -> Result<(Vec<api::Stream>, Vec<String>), FetchError> {
    let body = http.get(url, query).await?;
    // Megabytes of JSON: parse on the blocking pool, not a runtime worker.
    tokio::task::spawn_blocking(move || api::parse(&body))
        .await
        .map_err(|e| FetchError::Bad { excerpt: format!("parser stopped: {e}") })?
}

fn flatten(streams: Vec<api::Stream>) -> Vec<PageLine> {
    let mut out = Vec::with_capacity(streams.iter().map(|s| s.values.len()).sum());
    for (i, s) in streams.into_iter().enumerate() {
        let key = stream_key(&s.stream);
        out.extend(s.values.into_iter().map(|e| PageLine {
            ts_ns: e.ts_ns,
            stream: i,
            stream_key: key,
            line: e.line,
        }));
    }
    out
}

/// The service a stream belongs to: the first configured label it carries,
/// sanitized (label values are attacker-controlled), else the fallback.
fn service_of(labels: &BTreeMap<String, String>, cfg: &LokiSource) -> Option<String> {
    cfg.service_labels
        .iter()
        .filter_map(|k| labels.get(k))
        .map(|v| crate::sanitize::clean_line(v, MAX_SERVICE_WIDTH))
        .find(|v| !v.trim().is_empty())
        .or_else(|| cfg.service.clone())
}

/// The trace a stream names (structured metadata `trace_id`, as the
/// OpenTelemetry exporter sets it, comes back among the stream's labels).
fn trace_of(labels: &BTreeMap<String, String>) -> Option<u64> {
    labels
        .iter()
        .find(|(k, _)| {
            let k: String = k.chars().filter(char::is_ascii_alphanumeric).collect();
            k.eq_ignore_ascii_case("traceid")
        })
        .and_then(|(_, v)| crate::model::trace_key(v))
}

/// A level the stream states (`level`, or Loki's `detected_level`), when it
/// is one of the usual words.
fn level_of(labels: &BTreeMap<String, String>) -> Option<LogLevel> {
    let word = labels.get("level").or_else(|| labels.get("detected_level"))?;
    LogLevel::named(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> LokiSource {
        let text = format!(
            "[[logs.loki]]\nname = \"l\"\nurl = \"http://127.0.0.1:1\"\nquery = '{{job=~\".+\"}}'\n{extra}"
        );
        crate::config::parse(&text, std::path::Path::new("t.toml")).unwrap().logs.loki[0].clone()
    }

    #[test]
    fn service_comes_from_the_first_configured_label_present_and_is_sanitized() {
        let c = cfg("");
        let labels = |kv: &[(&str, &str)]| {
            kv.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
        };
        assert_eq!(service_of(&labels(&[("job", "j"), ("app", "a")]), &c).as_deref(), Some("a"));
        assert_eq!(service_of(&labels(&[("job", "ns/j")]), &c).as_deref(), Some("ns/j"));
        assert_eq!(service_of(&labels(&[("pod", "p")]), &c), None);
        let hostile = service_of(&labels(&[("service", "pay\u{1b}]52;c;eA==\u{7}\u{202e}x")]), &c);
        assert_eq!(hostile.as_deref(), Some("payx"));
        let c = cfg("service_labels = [\"container\"]\nservice = \"web\"\n");
        assert_eq!(service_of(&labels(&[("service", "s")]), &c).as_deref(), Some("web"));
        assert_eq!(service_of(&labels(&[("container", "c")]), &c).as_deref(), Some("c"));
        assert_eq!(c.limit, 1000);
        assert_eq!(c.lookback.0, std::time::Duration::from_secs(300));
    }

    #[test]
    fn levels_from_labels_else_sniffed() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(level_of(&one("level", "ERROR")), Some(LogLevel::Error));
        assert_eq!(level_of(&one("detected_level", "warn")), Some(LogLevel::Warn));
        assert_eq!(level_of(&one("level", "verbose")), Some(LogLevel::Debug));
        assert_eq!(level_of(&one("level", "high")), None);
        assert_eq!(level_of(&one("app", "error")), None);
    }

    #[test]
    fn the_trace_comes_from_structured_metadata_else_the_line() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let want = crate::model::trace_key(id);
        assert_eq!(trace_of(&one("trace_id", id)), want);
        assert_eq!(trace_of(&one("traceID", id)), want);
        assert_eq!(trace_of(&one("app", id)), None);
        let line = |text: &str| PageLine { ts_ns: 0, stream: 0, stream_key: 0, line: text.into() };
        let r = to_record("l", line("paid"), None, None, trace_of(&one("trace_id", id)));
        assert_eq!(r.trace, want);
        let r = to_record("l", line(&format!("paid trace_id={id}")), None, None, None);
        assert_eq!(r.trace, want);
        assert_eq!(to_record("l", line("paid"), None, None, None).trace, None);
    }
}
