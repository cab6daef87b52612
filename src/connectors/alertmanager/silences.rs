//! Alertmanager silences over API v2: list, create or extend, expire.
//!
//! Extending a silence in place needs its id, identical matchers and its
//! stored `startsAt` byte for byte (BACKENDS.md), so the wire form keeps the
//! server's own time strings and matcher order; [`ApiSilence::extended`]
//! changes nothing but `endsAt`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::api::parse_time;
use crate::connectors::http::{FetchError, Http, escape_excerpt};
use crate::model::{Silence, SilenceMatcher, SilenceState, UnixMs};

/// One element of `GET /api/v2/silences`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiSilence {
    pub id: String,
    pub status: ApiSilenceStatus,
    pub updated_at: Option<String>,
    pub comment: String,
    pub created_by: String,
    pub starts_at: String,
    pub ends_at: String,
    pub matchers: Vec<SilenceMatcher>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApiSilenceStatus {
    /// `active`, `pending`, `expired`.
    pub state: String,
}

/// The body of `POST /api/v2/silences`; with `id` it updates that silence.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostSilence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<SilenceMatcher>,
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Deserialize)]
struct PostAnswer {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

/// RFC 3339 in UTC with milliseconds, as quell writes times.
#[must_use]
pub fn rfc3339(ms: UnixMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl ApiSilence {
    #[must_use]
    pub fn state(&self) -> SilenceState {
        match self.status.state.as_str() {
            "active" => SilenceState::Active,
            "pending" => SilenceState::Pending,
            _ => SilenceState::Expired,
        }
    }

    #[must_use]
    pub fn to_silence(&self, source: &str) -> Silence {
        Silence {
            id: self.id.clone(),
            source: source.to_string(),
            matchers: self.matchers.clone(),
            starts_at: parse_time(Some(&self.starts_at)).unwrap_or(0),
            ends_at: parse_time(Some(&self.ends_at)).unwrap_or(0),
            updated_at: parse_time(self.updated_at.as_deref()).unwrap_or(0),
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
            state: self.state(),
            matched: 0,
        }
    }

    /// The same silence with a new end: same id, matchers as stored, and
    /// `startsAt` exactly as the server wrote it, so it is updated in place.
    #[must_use]
    pub fn extended(&self, ends_at: UnixMs) -> PostSilence {
        PostSilence {
            id: Some(self.id.clone()),
            matchers: self.matchers.clone(),
            starts_at: self.starts_at.clone(),
            ends_at: rfc3339(ends_at),
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// Unions replicas' silence lists by id, keeping the most recently updated
/// copy (gossip may lag on one replica).
#[must_use]
pub fn union(lists: Vec<Vec<ApiSilence>>) -> Vec<ApiSilence> {
    let mut by_id: HashMap<String, ApiSilence> = HashMap::new();
    for s in lists.into_iter().flatten() {
        let newer = by_id.get(&s.id).is_none_or(|have| {
            parse_time(s.updated_at.as_deref()) > parse_time(have.updated_at.as_deref())
        });
        if newer {
            by_id.insert(s.id.clone(), s);
        }
    }
    let mut out: Vec<ApiSilence> = by_id.into_values().collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Silences of one replica, at `base` (the prefix before `/api/v2`).
#[derive(Debug, Clone)]
pub struct SilenceApi {
    pub http: Http,
    pub base: String,
}

impl SilenceApi {
    /// # Errors
    /// Transport, HTTP or parse failures.
    pub async fn list(&self) -> Result<Vec<ApiSilence>, FetchError> {
        let body = self.http.get(&format!("{}/api/v2/silences", self.base), &[]).await?;
        serde_json::from_slice(&body)
            .map_err(|_| FetchError::Bad { excerpt: escape_excerpt(&body) })
    }

    /// Creates (or, with an id, updates) a silence; returns its id.
    ///
    /// # Errors
    /// Transport, HTTP or parse failures. A timeout may mean it was created:
    /// look it up before posting again.
    pub async fn post(&self, s: &PostSilence) -> Result<String, FetchError> {
        let body = serde_json::to_vec(s)
            .map_err(|e| FetchError::Bad { excerpt: format!("encoding the silence: {e}") })?;
        let answer = self.http.post_json(&format!("{}/api/v2/silences", self.base), body).await?;
        serde_json::from_slice::<PostAnswer>(&answer)
            .map(|a| a.silence_id)
            .map_err(|_| FetchError::Bad { excerpt: escape_excerpt(&answer) })
    }

    /// Expires a silence. One that is unknown or already expired counts as
    /// done (Alertmanager 0.25 answers 500 for unknown ids, later ones 404).
    ///
    /// # Errors
    /// Any other failure.
    pub async fn expire(&self, id: &str) -> Result<(), FetchError> {
        let url = format!("{}/api/v2/silence/{}", self.base, url_segment(id));
        match self.http.delete(&url).await {
            Ok(_) => Ok(()),
            Err(FetchError::Status { status, message })
                if status == 404
                    || message.contains("not found")
                    || message.contains("already expired") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Percent-encodes everything but unreserved characters (silence ids are
/// UUIDs, but an id read from a server is still untrusted).
fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_silences_leniently_and_extends_in_place() {
        let body = br#"[{"id":"s1","status":{"state":"active"},"updatedAt":"2026-01-01T00:00:01.5Z",
            "comment":"ACK! on it (quell)","createdBy":"ana@bastion","startsAt":"2026-01-01T00:00:00.123456789Z",
            "endsAt":"2026-01-01T00:15:00Z","matchers":[{"name":"service","value":"payments","isRegex":false}],
            "annotations":{"x":"y"}}]"#;
        let list: Vec<ApiSilence> = serde_json::from_slice(body).unwrap();
        let s = list[0].to_silence("am");
        assert!(s.is_ack());
        assert_eq!(s.state, SilenceState::Active);
        assert!(s.matchers[0].is_equal, "isEqual defaults to true on old servers");
        let ext = list[0].extended(1_767_226_800_000);
        assert_eq!(ext.id.as_deref(), Some("s1"));
        assert_eq!(ext.starts_at, "2026-01-01T00:00:00.123456789Z", "stored startsAt verbatim");
        assert_eq!(ext.ends_at, "2026-01-01T00:20:00.000Z");
        assert_eq!(ext.matchers, list[0].matchers);
    }

    #[test]
    fn union_keeps_the_newest_copy() {
        let a = ApiSilence {
            id: "x".into(),
            updated_at: Some("2026-01-01T00:00:01Z".into()),
            ends_at: "old".into(),
            ..ApiSilence::default()
        };
        let b = ApiSilence {
            updated_at: Some("2026-01-01T00:00:09Z".into()),
            ends_at: "new".into(),
            ..a.clone()
        };
        let u = union(vec![vec![a.clone()], vec![b], vec![a]]);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].ends_at, "new");
    }

    #[test]
    fn ids_are_encoded_in_paths() {
        assert_eq!(url_segment("ab-12"), "ab-12");
        assert_eq!(url_segment("../x y"), "..%2Fx%20y");
    }
}
