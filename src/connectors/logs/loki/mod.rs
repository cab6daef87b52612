//! Loki connector: polls one LogQL stream selector with `query_range`
//! (direction forward), moving `start` up to the newest timestamp seen
//! (see [`cursor`]), and turns the entries into [`LogRecord`]s whose service
//! comes from the stream's labels.
//!
//! Shares the HTTP client (auth, tenant as `X-Scope-OrgID`, TLS, headers,
//! timeouts, response size cap) and the polling discipline (backoff, auth
//! stop, health) of the other real connectors. Emits [`Ingest`] events only.
//! Log lines stay raw here, like every log source's (capped in length);
//! label values used as service names are sanitized, since they key maps
//! and appear in evidence text.

pub mod api;
pub mod cursor;
pub mod focus;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{ConnectionConfig, HumanDuration};
use crate::model::{Clock, LogLevel, LogRecord, SourceHealth, SystemClock, UnixMs};
use crate::store::Ingest;

use super::{MAX_LINE_BYTES, cut};
use crate::connectors::alertmanager::api_base;
use crate::connectors::http::{FetchError, Http, SetupError};
use crate::connectors::poller::{Endpoint, Jitter};
use cursor::{Cursor, PageLine, stream_key};
use focus::{LogFocus, Seen};

/// Requests per cycle at most; a source further behind catches up over
/// the following cycles.
pub const MAX_PAGES: usize = 10;
/// Requests per cycle at most for each incident followed.
pub const FOCUS_PAGES: usize = 3;
/// An incident query never reads further back than this.
const FOCUS_MAX_BACK_MS: i64 = 3_600_000;
/// Lines remembered to drop the ones two queries both return.
const SEEN_LINES: usize = 100_000;
/// Longest service name taken from a label.
const MAX_SERVICE_WIDTH: usize = 64;

/// `[[logs.loki]]`: one Loki (or Grafana Cloud Logs, or GEL) query.
// serde cannot combine `deny_unknown_fields` with `flatten`: unknown keys
// land in `unknown` and validation rejects them by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiSource {
    pub name: String,
    pub url: String,
    /// LogQL log query: a stream selector, optionally with line filters.
    pub query: String,
    /// Stream labels naming the service, first present wins.
    #[serde(default = "default_service_labels")]
    pub service_labels: Vec<String>,
    /// Service for streams that carry none of `service_labels`.
    #[serde(default)]
    pub service: Option<String>,
    /// Entries per request (Loki's own cap, `max_entries_limit_per_query`,
    /// is 5000 by default).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// The first poll reads this far back; after an outage, at most this far.
    #[serde(default = "default_lookback")]
    pub lookback: HumanDuration,
    /// Also read the lines of each open incident's services (and suspected
    /// causes) with a query of their own (see [`focus`]).
    #[serde(default = "yes")]
    pub incidents: bool,
    /// That query, with `$services` standing for the services' regex, e.g.
    /// `{namespace="shop", app=~"$services"}`; default
    /// `{<first of service_labels>=~"$services"}`.
    #[serde(default)]
    pub incident_query: Option<String>,
    /// How far before an incident started its lines are read.
    #[serde(default = "default_incident_lookback")]
    pub incident_lookback: HumanDuration,
    #[serde(flatten)]
    pub conn: ConnectionConfig,
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, toml::Value>,
}

fn default_service_labels() -> Vec<String> {
    ["service", "app", "job"].iter().map(|s| (*s).to_string()).collect()
}

fn default_limit() -> u32 {
    1000
}

fn default_lookback() -> HumanDuration {
    HumanDuration::mins(5)
}

fn yes() -> bool {
    true
}

fn default_incident_lookback() -> HumanDuration {
    HumanDuration::mins(30)
}

/// One incident followed, with its own read position.
#[derive(Debug)]
struct Followed {
    focus: LogFocus,
    query: String,
    cursor: Cursor,
}

/// One configured Loki query and its read position.
#[derive(Debug)]
pub struct LokiStream {
    cfg: LokiSource,
    http: Http,
    endpoint: Endpoint,
    jitter: Jitter,
    cursor: Option<Cursor>,
    /// Everything before this was read (the `end` of the last cycle that
    /// reached a page that was not full).
    read_to_ns: Option<i64>,
    source_id: String,
    /// Open incidents whose services are read with queries of their own.
    followed: Vec<Followed>,
    /// Lines delivered lately by any of this source's queries.
    seen: Seen,
}

impl LokiStream {
    /// # Errors
    /// Secrets or certificates named in the config cannot be read.
    pub fn new(cfg: LokiSource) -> Result<Self, SetupError> {
        let http = Http::new(&cfg.conn)?;
        let endpoint = Endpoint::new(cfg.url.clone(), Instant::now());
        let jitter = Jitter::seeded(&cfg.name);
        let source_id = format!("loki:{}", cfg.name);
        Ok(Self {
            cfg,
            http,
            endpoint,
            jitter,
            cursor: None,
            read_to_ns: None,
            source_id,
            followed: Vec::new(),
            seen: Seen::new(SEEN_LINES),
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The user asked to retry (e.g. after an auth failure).
    pub fn retry(&mut self) {
        self.endpoint.retry(Instant::now());
    }

    /// The interval with jitter, or sooner when a failing source's backoff ends first.
    pub fn next_wait(&mut self) -> Duration {
        let interval = self.jitter.spread(self.cfg.conn.interval.0, 0.1);
        match (self.endpoint.status.is_healthy(), self.endpoint.next_at()) {
            (false, Some(t)) => t.saturating_duration_since(Instant::now()).min(interval),
            _ => interval,
        }
    }

    /// Reads what arrived since the last cycle, up to [`MAX_PAGES`] requests,
    /// and returns the new lines (if any) and the source's health.
    pub async fn cycle(&mut self) -> Vec<Ingest> {
        self.cycle_at(SystemClock.now()).await
    }

    /// [`Self::cycle`] with the wall clock passed in.
    pub async fn cycle_at(&mut self, now_ms: UnixMs) -> Vec<Ingest> {
        let started = Instant::now();
        if !self.endpoint.is_due(started) {
            return vec![Ingest::Health(self.health())];
        }
        let limit = usize::try_from(self.cfg.limit).unwrap_or(usize::MAX).max(1);
        let floor = ms_to_ns(now_ms.saturating_sub(self.cfg.lookback.as_ms()));
        let end = ms_to_ns(now_ms.saturating_add(1));
        let mut warnings = Vec::new();
        let cursor = self.cursor.get_or_insert_with(|| Cursor::new(floor));
        // An idle stream keeps its start at its last line; moving it up to
        // the floor loses nothing when everything up to there was read.
        let unread_gap = self.read_to_ns.is_none_or(|r| r < floor);
        if cursor.raise_to(floor) && unread_gap {
            warnings
                .push(format!("more than {} behind: older lines were not read", self.cfg.lookback));
        }
        let url = format!(
            "{}/loki/api/v1/query_range",
            api_base(&self.cfg.url, &self.cfg.conn.base_path)
        );
        let reader = Reader {
            http: &self.http,
            url: &url,
            cfg: &self.cfg,
            source_id: &self.source_id,
            end,
            limit,
        };
        let mut records = Vec::new();
        let main = reader.read(&self.cfg.query, cursor, MAX_PAGES, &mut self.seen).await;
        let failure = match main {
            Ok(r) => {
                records.extend(r.records);
                warnings.extend(r.warnings);
                if r.caught_up {
                    self.read_to_ns = Some(end);
                }
                if r.behind {
                    warnings.push(format!(
                        "catching up: {MAX_PAGES} pages of {limit} lines this cycle, more to read"
                    ));
                }
                None
            }
            Err(e) => Some(e),
        };
        // The open incidents' own queries, once the main one answered: a
        // failure there is a warning, the source itself works.
        if failure.is_none() {
            for f in &mut self.followed {
                match reader.read(&f.query, &mut f.cursor, FOCUS_PAGES, &mut self.seen).await {
                    Ok(r) => {
                        records.extend(r.records);
                        warnings.extend(r.warnings);
                    }
                    Err(e) => warnings.push(format!(
                        "lines of incident {}'s services not read: {e}",
                        f.focus.incident
                    )),
                }
            }
        }
        let now = Instant::now();
        match failure {
            None => {
                let mut seen = std::collections::BTreeSet::new();
                warnings.retain(|w| seen.insert(w.clone()));
                self.endpoint.succeeded(
                    now,
                    now_ms,
                    started.elapsed(),
                    self.cfg.conn.slow_after.0,
                    warnings,
                );
            }
            Some(e) => {
                tracing::warn!(source = %self.cfg.name, "loki poll failed: {e}");
                self.endpoint.failed(now, now_ms, &e, self.cfg.conn.interval.0);
            }
        }
        let mut out = Vec::with_capacity(2);
        if !records.is_empty() {
            out.push(Ingest::Logs(records));
        }
        out.push(Ingest::Health(self.health()));
        out
    }

    /// Follows these incidents from now on (see [`focus`]): a new one is
    /// read from `incident_lookback` before it started (at most an hour
    /// back), one whose services changed starts over (lines already
    /// delivered are not delivered again), one no longer listed is dropped.
    pub fn set_focus(&mut self, foci: &[LogFocus], now_ms: UnixMs) {
        if !self.cfg.incidents {
            return;
        }
        self.followed.retain(|f| foci.contains(&f.focus));
        let label = self.cfg.service_labels.first().map_or("service", String::as_str);
        for focus in foci {
            if self.followed.iter().any(|f| &f.focus == focus) {
                continue;
            }
            let from = focus
                .started_at
                .saturating_sub(self.cfg.incident_lookback.as_ms())
                .max(now_ms.saturating_sub(FOCUS_MAX_BACK_MS));
            self.followed.push(Followed {
                query: focus::incident_query(
                    self.cfg.incident_query.as_deref(),
                    label,
                    &focus.services,
                ),
                cursor: Cursor::new(ms_to_ns(from)),
                focus: focus.clone(),
            });
        }
    }

    /// The LogQL queries of the incidents followed now.
    #[must_use]
    pub fn incident_queries(&self) -> Vec<(String, String)> {
        self.followed.iter().map(|f| (f.focus.incident.clone(), f.query.clone())).collect()
    }

    #[must_use]
    pub fn health(&self) -> SourceHealth {
        let mut kind = String::from("loki");
        if self.cfg.conn.tls.insecure_skip_verify {
            kind.push_str(", INSECURE TLS (certificates not verified)");
        }
        match self.followed.len() {
            0 => {}
            1 => kind.push_str(", following 1 incident"),
            n => kind.push_str(&format!(", following {n} incidents")),
        }
        SourceHealth {
            id: self.cfg.name.clone(),
            kind,
            status: self.endpoint.status.clone(),
            last_ok: self.endpoint.last_ok,
            interval_ms: u64::try_from(self.cfg.conn.interval.as_ms()).unwrap_or(u64::MAX),
        }
    }
}

/// What one query read in one cycle.
struct Read {
    records: Vec<LogRecord>,
    warnings: Vec<String>,
    /// The last page was not full: everything up to `end` was read.
    caught_up: bool,
    /// Stopped at the page budget with more to read.
    behind: bool,
}

/// What every query of one cycle shares.
struct Reader<'a> {
    http: &'a Http,
    url: &'a str,
    cfg: &'a LokiSource,
    source_id: &'a str,
    end: i64,
    limit: usize,
}

impl Reader<'_> {
    /// Pages one query forward from its cursor, up to `pages` requests;
    /// lines another query of this source already delivered are dropped.
    async fn read(
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
                        to_record(self.source_id, l, service, level)
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
) -> LogRecord {
    let line = cut(l.line.trim_end_matches(['\r', '\n']), MAX_LINE_BYTES);
    LogRecord {
        ts: l.ts_ns.div_euclid(1_000_000),
        source: source.to_string(),
        service,
        level: level.unwrap_or_else(|| LogLevel::sniff(line)),
        line: line.to_string(),
    }
}

fn ms_to_ns(ms: UnixMs) -> i64 {
    ms.saturating_mul(1_000_000)
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

/// A level the stream states (`level`, or Loki's `detected_level`), when it
/// is one of the usual words.
fn level_of(labels: &BTreeMap<String, String>) -> Option<LogLevel> {
    let word = labels.get("level").or_else(|| labels.get("detected_level"))?;
    match word.to_ascii_lowercase().as_str() {
        "error" | "err" | "fatal" | "critical" | "crit" | "panic" | "emerg" | "alert" => {
            Some(LogLevel::Error)
        }
        "warn" | "warning" => Some(LogLevel::Warn),
        "info" | "notice" | "informational" => Some(LogLevel::Info),
        "debug" | "trace" => Some(LogLevel::Debug),
        _ => None,
    }
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
        assert_eq!(c.lookback.0, Duration::from_secs(300));
    }

    #[test]
    fn levels_from_labels_else_sniffed() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(level_of(&one("level", "ERROR")), Some(LogLevel::Error));
        assert_eq!(level_of(&one("detected_level", "warn")), Some(LogLevel::Warn));
        assert_eq!(level_of(&one("level", "verbose")), None);
        assert_eq!(level_of(&one("app", "error")), None);
    }
}
