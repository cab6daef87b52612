//! Reading Nezha's published layout as is (IntelligentDDS/Nezha):
//!
//! ```text
//! rca_data/<day>/<day>-fault_list.json      faults per hour: inject_time, inject_pod, inject_type
//! rca_data/<day>/metric/<pod>_metric.csv    one row a minute per pod
//! rca_data/<day>/log/HH_MM_log.csv          log lines (ns timestamps, pod, raw JSON)
//! rca_data/<day>/trace/HH_MM_trace.csv      spans (trace, span, parent, pod, operation, ns)
//! construct_data/<day>/{metric,log,trace}/  the fault-free phase
//! ```
//!
//! Pods map to services by workload name (replica-set and pod hashes
//! stripped). Metric columns map to quell's signals through one table,
//! [`METRIC_COLUMNS`]; nothing else here knows a column, service or fault
//! type. A listed file that is absent or unreadable, and a row that does not
//! parse, is counted in [`Counts`] and skipped, never fatal. Text from the
//! files is sanitized before it enters the store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::{
    LogLevel, LogRecord, Sample, SeriesKey, SeriesMeta, Signal, Span, SpanId, UnixMs, labels_of,
    trace_key,
};
use crate::store::Ingest;

use super::super::csv;

/// Nezha's pod metric columns quell reads, as (column, signal, unit).
/// Columns not listed are not read: node-level figures describe the host,
/// not the service; a pod's client latency is what it waits for its
/// callees (theirs, not its own); memory usage drifts over an hour more
/// than a fault moves it in minutes; `PodSuccessRate(%)` is 0 in every row
/// of the published TrainTicket days.
pub const METRIC_COLUMNS: &[(&str, &str, &str)] = &[
    ("CpuUsageRate(%)", "cpu", "%"),
    ("PodServerLatencyP99(s)", "latency_p99", "s"),
    ("PodWorkload(Ops)", "request_rate", "ops"),
];

fn signal_of(name: &str) -> Signal {
    match name {
        "cpu" => Signal::Cpu,
        "memory" => Signal::Memory,
        "latency_p99" => Signal::LatencyP99,
        "request_rate" => Signal::RequestRate,
        other => Signal::Other(other.replace('_', " ")),
    }
}

/// What was read and what was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub files_read: usize,
    /// Listed or expected but absent, or unreadable.
    pub files_skipped: usize,
    /// Rows that did not parse.
    pub rows_skipped: usize,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fault {
    pub at: UnixMs,
    /// `inject_time` as written.
    pub when: String,
    pub service: String,
    pub kind: String,
}

/// A per-minute file of logs or spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    Logs,
    Spans,
}

#[derive(Debug, Clone)]
pub struct Chunk {
    /// The minute the file is named for.
    pub at: UnixMs,
    pub path: PathBuf,
    pub kind: ChunkKind,
    /// From `construct_data` (the fault-free phase).
    pub fault_free: bool,
}

/// One day (one system's run) of the layout.
#[derive(Debug, Clone)]
pub struct Day {
    pub name: String,
    pub faults: Vec<Fault>,
    pub metric_files: Vec<PathBuf>,
    /// Logs and spans, by minute.
    pub chunks: Vec<Chunk>,
}

/// The workload a pod belongs to: `ts-order-service-5b67c48447-mv5hb` →
/// `ts-order-service` (a Deployment's replica-set hash and pod suffix).
/// A StatefulSet ordinal (`db-0`) or a lone suffix loses one part.
#[must_use]
pub fn workload_of(pod: &str) -> &str {
    let hashy = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
    match parts.as_slice() {
        [suffix, rs, rest]
            if suffix.len() == 5
                && hashy(suffix)
                && (6..=10).contains(&rs.len())
                && hashy(rs)
                && rs.chars().any(|c| c.is_ascii_digit()) =>
        {
            rest
        }
        [suffix, ..] if (suffix.len() == 5 && hashy(suffix)) || suffix.parse::<u32>().is_ok() => {
            &pod[..pod.len() - suffix.len() - 1]
        }
        _ => pod,
    }
}

/// The days present under `root/rca_data` that have a fault list, sorted.
#[must_use]
pub fn days(root: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(root.join("rca_data")) else { return Vec::new() };
    let mut out: Vec<String> = rd
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|d| root.join("rca_data").join(d).join(format!("{d}-fault_list.json")).is_file())
        .collect();
    out.sort();
    out
}

fn parse_clock(s: &str) -> Option<UnixMs> {
    let t = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(t.and_utc().timestamp_millis())
}

/// The faults of a day, in time order. `inject_time` is read as UTC, the
/// clock of the metric rows and file names (`inject_timestamp` disagrees
/// with both on some days and is not used).
///
/// # Errors
/// The fault list is absent or not JSON: without it there is nothing to score.
pub fn faults(root: &Path, day: &str, counts: &mut Counts) -> anyhow::Result<Vec<Fault>> {
    let path = root.join("rca_data").join(day).join(format!("{day}-fault_list.json"));
    let text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    counts.files_read += 1;
    let mut out = Vec::new();
    for list in v.as_object().into_iter().flat_map(|o| o.values()) {
        for f in list.as_array().into_iter().flatten() {
            let text = |k: &str| f.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
            let (when, pod, kind) = (text("inject_time"), text("inject_pod"), text("inject_type"));
            match parse_clock(when) {
                Some(at) if !pod.is_empty() => out.push(Fault {
                    at,
                    when: crate::sanitize::clean_line(when, 40),
                    service: crate::sanitize::clean_line(workload_of(pod), 120),
                    kind: crate::sanitize::clean_line(kind, 40),
                }),
                _ => counts.rows_skipped += 1,
            }
        }
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.service.cmp(&b.service)));
    Ok(out)
}

/// The day's files: metrics from `rca_data` (falling back to
/// `construct_data`), logs and spans from both, chunks in minute order.
#[must_use]
pub fn open_day(root: &Path, day: &str, faults: Vec<Fault>, counts: &mut Counts) -> Day {
    let list = |dir: &Path, suffix: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_str().is_some_and(|s| s.ends_with(suffix)))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let rca = root.join("rca_data").join(day);
    let construct = root.join("construct_data").join(day);
    let mut metric_files = list(&rca.join("metric"), "_metric.csv");
    if metric_files.is_empty() {
        metric_files = list(&construct.join("metric"), "_metric.csv");
    }
    let mut chunks = Vec::new();
    for (base, fault_free) in [(&rca, false), (&construct, true)] {
        for (sub, suffix, kind) in
            [("log", "_log.csv", ChunkKind::Logs), ("trace", "_trace.csv", ChunkKind::Spans)]
        {
            for path in list(&base.join(sub), suffix) {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let hhmm = name.get(..5).unwrap_or("").replace('_', ":");
                match parse_clock(&format!("{day} {hhmm}:00")) {
                    Some(at) => chunks.push(Chunk { at, path, kind, fault_free }),
                    None => counts.files_skipped += 1,
                }
            }
        }
    }
    chunks.sort_by(|a, b| a.at.cmp(&b.at).then(a.path.cmp(&b.path)));
    Day { name: day.to_string(), faults, metric_files, chunks }
}

/// A CSV file as a header index and rows; `None` (counted) when absent or
/// unreadable.
fn table(path: &Path, counts: &mut Counts) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let parsed = std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .and_then(|t| csv::parse(&t).ok());
    let Some(mut rows) = parsed.filter(|r| !r.is_empty()) else {
        counts.files_skipped += 1;
        return None;
    };
    counts.files_read += 1;
    let header = rows.remove(0);
    Some((header, rows))
}

fn col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim() == name)
}

/// One pod's metric file as series samples (one `Ingest` per mapped column).
#[must_use]
pub fn read_metrics(path: &Path, counts: &mut Counts) -> Vec<Ingest> {
    let Some((header, rows)) = table(path, counts) else { return Vec::new() };
    let (Some(ts), Some(pod)) = (col(&header, "TimeStamp"), col(&header, "PodName")) else {
        counts.rows_skipped += rows.len();
        return Vec::new();
    };
    let mut out = Vec::new();
    for (column, name, unit) in METRIC_COLUMNS {
        let Some(c) = col(&header, column) else { continue };
        let mut samples = Vec::with_capacity(rows.len());
        let mut pod_name = None;
        for r in &rows {
            let t = r.get(ts).and_then(|v| v.trim().parse::<i64>().ok());
            let v = r.get(c).and_then(|v| v.trim().parse::<f64>().ok());
            match (t, v) {
                (Some(t), Some(v)) if v.is_finite() => {
                    samples.push(Sample { ts: t * 1000, value: v });
                    pod_name = pod_name.or_else(|| r.get(pod).cloned());
                }
                (Some(_), Some(_)) => {} // NaN: no traffic that minute
                _ => counts.rows_skipped += 1,
            }
        }
        let Some(pod_name) = pod_name else { continue };
        let pod_name = crate::sanitize::clean_line(&pod_name, 120);
        let service = workload_of(&pod_name).to_string();
        samples.sort_by_key(|s| s.ts);
        let labels = labels_of(&[("service", &service), ("instance", &pod_name)]);
        out.push(Ingest::Samples {
            key: SeriesKey::of(&format!("nezha_{name}"), &labels),
            meta: SeriesMeta {
                labels,
                service: Some(service),
                signal: signal_of(name),
                unit: (*unit).to_string(),
            },
            samples,
        });
    }
    out
}

/// Log lines of one file, oldest first. The `Log` column is the container
/// runtime's JSON (`{"log": "...", ...}`); its `log` text is the line.
#[must_use]
pub fn read_logs(path: &Path, counts: &mut Counts) -> Vec<LogRecord> {
    let Some((header, rows)) = table(path, counts) else { return Vec::new() };
    let (Some(ts), Some(pod), Some(log)) =
        (col(&header, "TimeUnixNano"), col(&header, "PodName"), col(&header, "Log"))
    else {
        counts.rows_skipped += rows.len();
        return Vec::new();
    };
    let trace = col(&header, "TraceID");
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (Some(t), Some(p), Some(raw)) =
            (r.get(ts).and_then(|v| v.trim().parse::<i64>().ok()), r.get(pod), r.get(log))
        else {
            counts.rows_skipped += 1;
            continue;
        };
        let text = serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| v.get("log").and_then(serde_json::Value::as_str).map(str::to_string))
            .unwrap_or_else(|| raw.clone());
        let line = crate::sanitize::clean_line(text.trim_end(), 2000);
        let pod = crate::sanitize::clean_line(p, 120);
        let trace = trace
            .and_then(|i| r.get(i))
            .and_then(|v| trace_key(v))
            .or_else(|| crate::model::trace_in_line(&line));
        out.push(LogRecord {
            ts: t / 1_000_000,
            source: "nezha".into(),
            service: Some(workload_of(&pod).to_string()),
            level: LogLevel::sniff(&line),
            line,
            trace,
            template: Default::default(),
        });
    }
    out.sort_by_key(|l| l.ts);
    out
}

/// Spans of one file. Service and operation names are shared per file.
#[must_use]
pub fn read_spans(path: &Path, counts: &mut Counts) -> Vec<Span> {
    let Some((header, rows)) = table(path, counts) else { return Vec::new() };
    let idx = |n: &str| col(&header, n);
    let (Some(tr), Some(id), Some(par), Some(pod), Some(op), Some(st), Some(en)) = (
        idx("TraceID"),
        idx("SpanID"),
        idx("ParentID"),
        idx("PodName"),
        idx("OperationName"),
        idx("StartTimeUnixNano"),
        idx("EndTimeUnixNano"),
    ) else {
        counts.rows_skipped += rows.len();
        return Vec::new();
    };
    let mut names: std::collections::HashMap<String, Arc<str>> = std::collections::HashMap::new();
    let mut intern = |s: &str, max: usize| -> Arc<str> {
        if let Some(a) = names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(crate::sanitize::clean_line(s, max).as_str());
        names.insert(s.to_string(), a.clone());
        a
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let num = |i: usize| r.get(i).and_then(|v| v.trim().parse::<i64>().ok());
        let (Some(trace), Some(sid), Some(p), Some(start), Some(end)) = (
            r.get(tr).and_then(|v| SpanId::parse(v)),
            r.get(id).and_then(|v| SpanId::parse(v)),
            r.get(pod),
            num(st),
            num(en),
        ) else {
            counts.rows_skipped += 1;
            continue;
        };
        let parent = r.get(par).filter(|v| v.trim() != "root").and_then(|v| SpanId::parse(v));
        let instance = intern(p, 120);
        let service = intern(workload_of(&instance), 120);
        out.push(Span {
            trace,
            id: sid,
            parent,
            service,
            instance: Some(instance),
            operation: intern(r.get(op).map_or("", String::as_str), 200),
            start: start / 1_000_000,
            duration_us: u64::try_from((end - start) / 1000).unwrap_or(0),
            error: false,
        });
    }
    out
}

#[cfg(test)]
mod tests;
