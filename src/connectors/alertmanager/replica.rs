//! One poll of one Alertmanager replica: its alert list, then its status,
//! silences and (when asked) route groups, each best effort after the list.

use std::sync::Arc;

use super::api::{self, ApiStatus};
use super::groups::{self, GROUPS_UP_TO_BYTES, GroupOf};
use super::silences::ApiSilence;
use crate::connectors::http::{FetchError, Http};
use crate::model::{Alert, UnixMs};

/// When a replica poll asks for the route groups.
#[derive(Debug, Clone)]
pub(super) enum GroupsAsk {
    Never,
    /// When the alert list holds a fingerprint this map does not know:
    /// right away, so the new alert is correlated with its group.
    IfNew(Arc<GroupOf>),
    Always,
}

/// One replica's answer: alerts, then status, silences and route groups
/// (the last three best effort).
pub(super) type ReplicaResult = Result<ReplicaData, FetchError>;

#[derive(Debug)]
pub(super) struct ReplicaData {
    pub(super) alerts: Vec<Alert>,
    pub(super) status: Option<ApiStatus>,
    pub(super) silences: Option<Vec<ApiSilence>>,
    pub(super) groups: Groups,
}

/// What became of one replica's route groups request.
#[derive(Debug)]
pub(super) enum Groups {
    NotAsked,
    Got(GroupOf),
    /// Over [`GROUPS_UP_TO_BYTES`]: dropped unread past the cap.
    TooLarge,
    Failed,
}

pub(super) async fn fetch_replica(
    http: &Http,
    base: &str,
    source: &str,
    replica: &str,
    now: UnixMs,
    ask: GroupsAsk,
) -> ReplicaResult {
    // The alert list first (a rejected or failing replica gets one
    // request, not four); then the status and silences are fetched while
    // the list is parsed; then, when asked to or when the list holds an
    // alert whose group is unknown, the route groups (in this same poll,
    // so a new alert is correlated with its group).
    let body = http.get(&format!("{base}/api/v2/alerts"), &[]).await?;
    let small = body.len() as u64 <= GROUPS_UP_TO_BYTES;
    let (src, rep) = (source.to_string(), replica.to_string());
    // Tens of megabytes of JSON: parse on the blocking pool, not a worker.
    let parse = tokio::task::spawn_blocking(move || api::parse_alerts(&body, &src, &rep, now));
    let (status_url, silences_url) =
        (format!("{base}/api/v2/status"), format!("{base}/api/v2/silences"));
    let (alerts, status, silences) =
        tokio::join!(parse, http.get(&status_url, &[]), http.get(&silences_url, &[]));
    let alerts =
        alerts.map_err(|e| FetchError::Bad { excerpt: format!("parser stopped: {e}") })??;
    let want = match &ask {
        GroupsAsk::Never => false,
        GroupsAsk::IfNew(known) => alerts.iter().any(|a| !known.contains_key(&a.fingerprint)),
        GroupsAsk::Always => true,
    };
    let groups = if !want {
        Groups::NotAsked
    } else if !small {
        Groups::TooLarge
    } else {
        fetch_groups(http, base, replica).await
    };
    let status = match status {
        Ok(b) => serde_json::from_slice::<ApiStatus>(&b).ok(),
        Err(e) => {
            tracing::debug!(%replica, "status unavailable: {e}");
            None
        }
    };
    let silences = match silences {
        Ok(b) => serde_json::from_slice::<Vec<ApiSilence>>(&b).ok(),
        Err(e) => {
            tracing::debug!(%replica, "silences unavailable: {e}");
            None
        }
    };
    Ok(ReplicaData { alerts, status, silences, groups })
}

/// The route groups of one replica (at most [`GROUPS_UP_TO_BYTES`]).
async fn fetch_groups(http: &Http, base: &str, replica: &str) -> Groups {
    let url = format!("{base}/api/v2/alerts/groups");
    match http.get_capped(&url, GROUPS_UP_TO_BYTES).await {
        Ok(body) => match tokio::task::spawn_blocking(move || groups::parse_groups(&body)).await {
            Ok(Ok(g)) => Groups::Got(g),
            _ => Groups::Failed,
        },
        Err(FetchError::TooLarge(_)) => Groups::TooLarge,
        Err(e) => {
            tracing::debug!(%replica, "route groups unavailable: {e}");
            Groups::Failed
        }
    }
}
