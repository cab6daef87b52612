//! Alertmanager (API v2) connector: one cluster, every replica polled each
//! cycle, answers merged (see [`merge`]), health per cluster.
//!
//! Speaks `/api/v2/alerts`, `/api/v2/alerts/groups` (route grouping, see
//! [`groups`]), `/api/v2/silences` and `/api/v2/status` under a
//! configurable base path (Grafana, Mimir). Emits [`Ingest`] events only; never touches UI
//! state. An `AlertPoll` is sent only when a replica answered, so an outage
//! leaves the last data in place (shown stale), never resolved.

pub mod api;
pub mod groups;
pub mod merge;
mod replica;
pub mod silences;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::settings::AlertmanagerConfig;
use crate::model::{Clock, SourceHealth, SourceStatus, SystemClock, UnixMs};
use crate::store::Ingest;

use super::http::{Http, SetupError};
use super::poller::{Endpoint, Jitter};
use api::parse_time;
use groups::GroupOf;
use merge::{ClusterAlerts, ReplicaAnswer, SETTLE_MS, Trust};
use replica::{Groups, GroupsAsk, ReplicaData, ReplicaResult, fetch_replica};

/// One configured Alertmanager cluster.
#[derive(Debug)]
pub struct Cluster {
    cfg: AlertmanagerConfig,
    http: Http,
    endpoints: Vec<Endpoint>,
    uptimes: Vec<Option<String>>,
    alerts: ClusterAlerts,
    version: String,
    peers: usize,
    warnings: Vec<String>,
    jitter: Jitter,
    /// Replica polls under way. A poll outlives its cycle when its replica
    /// is slow, so one hanging replica never holds back another's alerts;
    /// its answer is taken by a later cycle.
    inflight: JoinSet<(usize, ReplicaResult, Duration)>,
    /// Per replica: a poll of it is under way.
    busy: Vec<bool>,
    /// Each alert's route group, from the latest answers that had them.
    groups: Arc<GroupOf>,
    /// Cycles to go before the route groups are asked for again whether or
    /// not an alert is new (groups change with the routing configuration).
    groups_in: u32,
    /// The last groups answer was too large: none are asked for until
    /// `groups_in` runs out.
    groups_paused: bool,
}

/// Cycles between route group refreshes when no new alert asks for one.
const GROUPS_REFRESH: u32 = 20;

/// After the first replica answered, how long a cycle waits for the others
/// at least (at most the first one's own time if that was longer).
const STRAGGLER_WAIT: Duration = Duration::from_millis(500);

impl Cluster {
    /// # Errors
    /// Secrets or certificates named in the config cannot be read.
    pub fn new(cfg: AlertmanagerConfig) -> Result<Self, SetupError> {
        let http = Http::new(&cfg.conn)?;
        let now = Instant::now();
        let endpoints = cfg.urls.iter().map(|u| Endpoint::new(u.clone(), now)).collect();
        let jitter = Jitter::seeded(&cfg.name);
        let cfg_len = cfg.urls.len();
        Ok(Self {
            uptimes: vec![None; cfg.urls.len()],
            cfg,
            http,
            endpoints,
            alerts: ClusterAlerts::default(),
            version: String::new(),
            peers: 0,
            warnings: Vec::new(),
            jitter,
            inflight: JoinSet::new(),
            busy: vec![false; cfg_len],
            groups: Arc::new(GroupOf::new()),
            groups_in: 0,
            groups_paused: false,
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The user asked to retry (e.g. after an auth failure).
    pub fn retry(&mut self) {
        let now = Instant::now();
        for e in &mut self.endpoints {
            e.retry(now);
        }
    }

    /// How long to wait before the next cycle: the interval with jitter, or
    /// sooner if a failing replica's backoff ends first.
    pub fn next_wait(&mut self) -> Duration {
        super::poller::next_wait(self.cfg.conn.interval.0, &mut self.jitter, &self.endpoints)
    }

    /// Polls every replica that is due, concurrently (one request per
    /// replica at most), and returns what to ingest: the answers of every
    /// replica that answered by shortly after the first one did.
    pub async fn cycle(&mut self) -> Vec<Ingest> {
        let started = Instant::now();
        let now_ms = SystemClock.now();
        let ask = if self.groups_in == 0 {
            self.groups_paused = false;
            GroupsAsk::Always
        } else if self.groups_paused {
            GroupsAsk::Never
        } else {
            GroupsAsk::IfNew(Arc::clone(&self.groups))
        };
        self.groups_in = self.groups_in.saturating_sub(1);
        for (i, ep) in self.endpoints.iter().enumerate() {
            if !ep.is_due(started) || self.busy.get(i).copied().unwrap_or(true) {
                continue;
            }
            let http = self.http.clone();
            let base = api_base(&ep.url, &self.cfg.conn.base_path);
            let source = self.cfg.name.clone();
            let replica = ep.url.clone();
            let ask = ask.clone();
            if let Some(b) = self.busy.get_mut(i) {
                *b = true;
            }
            self.inflight.spawn(async move {
                let t = Instant::now();
                let r = fetch_replica(&http, &base, &source, &replica, now_ms, ask).await;
                (i, r, t.elapsed())
            });
        }
        let mut results: Vec<(usize, ReplicaResult, Duration)> = Vec::new();
        let mut until: Option<Instant> = None;
        loop {
            let next = match until {
                None => self.inflight.join_next().await,
                Some(t) => {
                    let left = t.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, self.inflight.join_next()).await {
                        Ok(r) => r,
                        Err(_) => break,
                    }
                }
            };
            let Some(joined) = next else { break };
            match joined {
                Ok(r) => {
                    if let Some(b) = self.busy.get_mut(r.0) {
                        *b = false;
                    }
                    until.get_or_insert_with(|| Instant::now() + r.2.max(STRAGGLER_WAIT));
                    results.push(r);
                }
                Err(e) => {
                    tracing::error!(source = %self.cfg.name, "replica poll task failed: {e}");
                    // Which replica is unknown: let every idle one be polled again.
                    if self.inflight.is_empty() {
                        self.busy.iter_mut().for_each(|b| *b = false);
                    }
                }
            }
        }
        results.sort_by_key(|r| r.0);
        self.absorb(results, now_ms)
    }

    fn absorb(
        &mut self,
        results: Vec<(usize, ReplicaResult, Duration)>,
        now_ms: UnixMs,
    ) -> Vec<Ingest> {
        let grace = self.cfg.resolve_grace.as_ms();
        let settle = SETTLE_MS.min(grace);
        let interval = self.cfg.conn.interval.0;
        let now = Instant::now();
        self.warnings.clear();
        let mut answers = Vec::new();
        let mut silence_lists = Vec::new();
        let mut group_lists = Vec::new();
        for (i, result, elapsed) in results {
            let Some(ep) = self.endpoints.get_mut(i) else { continue };
            match result {
                Ok(ReplicaData { alerts, status, silences, groups }) => {
                    silence_lists.extend(silences);
                    group_lists.push(groups);
                    let was_failing = ep.is_failing();
                    ep.succeeded(now, now_ms, elapsed, self.cfg.conn.slow_after.0, vec![]);
                    if was_failing {
                        self.alerts.settling(&ep.url, now_ms + settle);
                    }
                    if let Some(st) = status {
                        let restarted = self.uptimes[i].as_ref().is_some_and(|u| *u != st.uptime);
                        if restarted {
                            tracing::info!(replica = %ep.url, "alertmanager restarted");
                            self.alerts.settling(&ep.url, now_ms + settle);
                        }
                        // A replica that started moments ago (also seen by a
                        // one-shot snapshot) may not have been re-sent every
                        // alert yet; an empty answer from it is no all-clear.
                        let first_sight = self.uptimes[i].is_none() || restarted;
                        if let Some(up) = parse_time(Some(&st.uptime)) {
                            if now_ms - up < settle && first_sight {
                                self.alerts.settling(&ep.url, up + settle);
                            }
                            if now_ms - up < settle && alerts.is_empty() {
                                self.warnings
                                    .push(crate::model::fresh_start_warning(&ep.url, now_ms - up));
                            }
                        }
                        if st.cluster.status == "settling" {
                            self.warnings.push(format!("replica {}: cluster settling", ep.url));
                        }
                        self.uptimes[i] = Some(st.uptime);
                        self.version = st.version_info.version;
                        self.peers = st.cluster.peers.len();
                    }
                    answers.push(ReplicaAnswer { replica: ep.url.clone(), alerts });
                }
                Err(e) => {
                    tracing::warn!(source = %self.cfg.name, replica = %ep.url, "poll failed: {e}");
                    ep.failed(now, now_ms, &e, interval);
                }
            }
        }
        let mut events = Vec::new();
        if !answers.is_empty() {
            let most = answers.iter().map(|a| a.alerts.len()).max().unwrap_or(0);
            let mut trusted = Vec::new();
            for a in &answers {
                if a.alerts.is_empty() && most > 0 {
                    self.warnings.push(format!(
                        "replica {} reports no alerts while a peer reports {most}",
                        a.replica
                    ));
                } else {
                    trusted.push(a.replica.clone());
                }
            }
            let all = trusted.len() == self.endpoints.len()
                && !trusted.iter().any(|r| self.alerts.is_settling(r, now_ms));
            let trust = Trust { trusted, all, grace_ms: grace, ..Trust::default() };
            let too_large = group_lists.iter().any(|g| matches!(g, Groups::TooLarge));
            let lists: Vec<GroupOf> = group_lists
                .into_iter()
                .filter_map(|g| if let Groups::Got(g) = g { Some(g) } else { None })
                .collect();
            // None taken (not asked, or failed): the last known groups stay.
            if too_large {
                // A storm: no grouping for a while rather than a large
                // answer every cycle.
                self.groups = Arc::new(GroupOf::new());
                (self.groups_in, self.groups_paused) = (GROUPS_REFRESH, true);
            } else if !lists.is_empty() {
                self.groups = Arc::new(groups::union(lists));
                self.groups_in = GROUPS_REFRESH;
            }
            let mut fresh = merge::union(answers);
            for a in &mut fresh {
                a.am_group = self.groups.get(&a.fingerprint).cloned().flatten();
            }
            let alerts = self.alerts.settle(now_ms, fresh, &trust);
            events.push(Ingest::AlertPoll { source: self.cfg.name.clone(), at: now_ms, alerts });
        }
        if !silence_lists.is_empty() {
            let silences = silences::union(silence_lists)
                .iter()
                .map(|s| s.to_silence(&self.cfg.name))
                .collect();
            events.push(Ingest::Silences { source: self.cfg.name.clone(), silences });
        }
        events.push(Ingest::Health(self.health()));
        events
    }

    /// The cluster's health: the replicas' worst when all fail, "partial
    /// data" naming the degraded replicas when some do.
    #[must_use]
    pub fn health(&self) -> SourceHealth {
        let bad: Vec<&Endpoint> = self.endpoints.iter().filter(|e| e.is_failing()).collect();
        let status = if !bad.is_empty() && bad.len() == self.endpoints.len() {
            bad[0].status.clone()
        } else if !bad.is_empty() || !self.warnings.is_empty() {
            let mut warnings: Vec<String> =
                bad.iter().map(|e| format!("replica {}: {}", e.url, describe(&e.status))).collect();
            warnings.extend(self.warnings.iter().cloned());
            SourceStatus::Partial { warnings }
        } else if let Some(slow) =
            self.endpoints.iter().find(|e| matches!(e.status, SourceStatus::Slow { .. }))
        {
            slow.status.clone()
        } else if self.endpoints.iter().all(|e| e.status == SourceStatus::Starting) {
            SourceStatus::Starting
        } else {
            SourceStatus::Ok
        };
        let mut kind = String::from("alertmanager");
        if !self.version.is_empty() {
            kind.push(' ');
            kind.push_str(&crate::sanitize::clean_line(&self.version, 20));
        }
        if self.endpoints.len() > 1 || self.peers > 1 {
            kind.push_str(&format!(", {} replicas, {} peers", self.endpoints.len(), self.peers));
        }
        if self.cfg.conn.tls.insecure_skip_verify {
            kind.push_str(", INSECURE TLS (certificates not verified)");
        }
        SourceHealth {
            id: self.cfg.name.clone(),
            kind,
            status,
            last_ok: self.endpoints.iter().filter_map(|e| e.last_ok).max(),
            interval_ms: u64::try_from(self.cfg.conn.interval.as_ms()).unwrap_or(u64::MAX),
        }
    }
}

/// One line for a replica's state in a cluster's warnings.
#[must_use]
pub fn describe(s: &SourceStatus) -> String {
    match s {
        SourceStatus::Down { attempts, reason, .. } => {
            format!("down ({attempts} attempts): {reason}")
        }
        SourceStatus::AuthFailed { reason } => format!("auth failed: {reason}"),
        SourceStatus::Tls { reason } => format!("TLS error: {reason}"),
        SourceStatus::BadResponse { excerpt } => format!("bad response: {excerpt}"),
        SourceStatus::TooLarge { limit_bytes } => format!("response over {limit_bytes} bytes"),
        other => other.word().to_string(),
    }
}

/// `https://host:9093` + `/api/alertmanager/grafana` → the prefix before `/api/v2`.
#[must_use]
pub fn api_base(url: &str, base_path: &str) -> String {
    let path = base_path.trim_matches('/');
    if path.is_empty() {
        url.trim_end_matches('/').to_string()
    } else {
        format!("{}/{path}", url.trim_end_matches('/'))
    }
}

/// One silence client per replica of a cluster, for the ack writer.
///
/// # Errors
/// Secrets or certificates named in the config cannot be read.
pub fn silence_apis(cfg: &AlertmanagerConfig) -> Result<Vec<silences::SilenceApi>, SetupError> {
    let http = Http::new(&cfg.conn)?;
    Ok(cfg
        .urls
        .iter()
        .map(|u| silences::SilenceApi {
            http: http.clone(),
            base: api_base(u, &cfg.conn.base_path),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_join_cleanly() {
        assert_eq!(api_base("http://a:9093/", ""), "http://a:9093");
        assert_eq!(
            api_base("http://g", "/api/alertmanager/grafana/"),
            "http://g/api/alertmanager/grafana"
        );
    }
}
