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
mod read;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
use crate::connectors::settings::ConnectionConfig;
use crate::model::{Clock, SourceHealth, SystemClock, UnixMs};
use crate::store::Ingest;

use crate::connectors::alertmanager::api_base;
use crate::connectors::http::{Http, SetupError};
use crate::connectors::poller::{Endpoint, Jitter};
use cursor::Cursor;
use focus::{LogFocus, Seen};
use read::Reader;

/// Requests per cycle at most; a source further behind catches up over
/// the following cycles.
pub const MAX_PAGES: usize = 10;
/// Requests per cycle at most for each incident followed.
pub const FOCUS_PAGES: usize = 3;
/// An incident query never reads further back than this.
const FOCUS_MAX_BACK_MS: i64 = 3_600_000;
/// Lines remembered to drop the ones two queries both return.
const SEEN_LINES: usize = 100_000;

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
        crate::connectors::poller::next_wait(
            self.cfg.conn.interval.0,
            &mut self.jitter,
            [&self.endpoint],
        )
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

fn ms_to_ns(ms: UnixMs) -> i64 {
    ms.saturating_mul(1_000_000)
}
