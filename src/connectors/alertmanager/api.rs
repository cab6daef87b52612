//! Alertmanager API v2 wire types, parsed leniently: every field defaults,
//! unknown fields are ignored and unknown enum values stay data (a state
//! word quell does not know is kept as text, never a parse failure).

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::connectors::http::{FetchError, escape_excerpt};

use crate::model::{Alert, AlertState, Fingerprint, Labels, UnixMs};

/// One element of `GET /api/v2/alerts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiAlert {
    pub fingerprint: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(rename = "generatorURL")]
    pub generator_url: Option<String>,
    pub status: ApiAlertStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiAlertStatus {
    /// `active`, `suppressed`, `unprocessed`, or a word a newer server added.
    pub state: String,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
}

/// `GET /api/v2/status`, minus `config` (it holds receiver secrets: never
/// parsed, never logged).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiStatus {
    pub cluster: ApiCluster,
    pub version_info: ApiVersion,
    /// Start time of the process; a change means it restarted.
    pub uptime: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiCluster {
    /// `ready`, `settling`, `disabled`.
    pub status: String,
    pub peers: Vec<ApiPeer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiPeer {
    pub name: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiVersion {
    pub version: String,
}

/// RFC 3339 to Unix milliseconds; `None` for absent, unparsable or the Go
/// zero time.
#[must_use]
pub fn parse_time(s: Option<&str>) -> Option<UnixMs> {
    let t = chrono::DateTime::parse_from_rfc3339(s?).ok()?.timestamp_millis();
    (t > 0).then_some(t)
}

/// How much a state counts when replicas disagree: active > suppressed > unprocessed.
#[must_use]
pub fn state_rank(s: AlertState) -> u8 {
    match s {
        AlertState::Firing => 3,
        AlertState::Suppressed => 2,
        AlertState::Unprocessed | AlertState::Pending => 1,
        AlertState::Resolved => 0,
    }
}

/// Prometheus's label-set fingerprint (FNV-1a 64 over sorted names and
/// values, each followed by byte 255), as Alertmanager reports it. Lets an
/// alert from Prometheus's API be recognised in Alertmanager's.
#[must_use]
pub fn prometheus_fingerprint(labels: &Labels) -> Fingerprint {
    let mut h = crate::base::Fnv1a::new();
    for (k, v) in labels {
        h.bytes(k.as_bytes()).bytes(&[0xff]).bytes(v.as_bytes()).bytes(&[0xff]);
    }
    Fingerprint::from(format!("{:016x}", h.finish()))
}

/// Parses a `GET /api/v2/alerts` body straight into alerts, one element at
/// a time: no list of wire alerts is built next to the result (a
/// 125,000-alert answer would otherwise be held twice).
///
/// # Errors
/// The body is not a JSON list of alerts.
pub fn parse_alerts(
    body: &[u8],
    source: &str,
    replica: &str,
    now: UnixMs,
) -> Result<Vec<Alert>, FetchError> {
    let seed = AlertList { source, replica, now };
    let mut de = serde_json::Deserializer::from_slice(body);
    let alerts = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    alerts.map_err(|_| FetchError::Bad { excerpt: escape_excerpt(body) })
}

/// Deserializes a list of [`ApiAlert`], converting each as it is read.
struct AlertList<'a> {
    source: &'a str,
    replica: &'a str,
    now: UnixMs,
}

impl<'de> DeserializeSeed<'de> for AlertList<'_> {
    type Value = Vec<Alert>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for AlertList<'_> {
    type Value = Vec<Alert>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of alerts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The size hint is the untrusted sender's word: cap the reservation.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        // One replica string shared by every alert's list would still be a
        // copy each; the list is small and needed per alert (HA merge).
        while let Some(a) = seq.next_element::<ApiAlert>()? {
            out.push(a.into_alert(self.source, self.replica, self.now));
        }
        Ok(out)
    }
}

impl ApiAlert {
    /// The alert as one replica reports it. `now` stands in for missing times.
    #[must_use]
    pub fn into_alert(self, source: &str, replica: &str, now: UnixMs) -> Alert {
        let state = match self.status.state.as_str() {
            "active" => AlertState::Firing,
            "suppressed" => AlertState::Suppressed,
            other => {
                if other != "unprocessed" {
                    tracing::debug!(state = %crate::sanitize::clean_line(other, 40), "unknown alert state");
                }
                AlertState::Unprocessed
            }
        };
        let fingerprint = if self.fingerprint.is_empty() {
            prometheus_fingerprint(&self.labels)
        } else {
            Fingerprint::from(self.fingerprint)
        };
        let starts_at = parse_time(self.starts_at.as_deref()).unwrap_or(now);
        Alert {
            source: source.to_string(),
            fingerprint,
            labels: self.labels,
            annotations: self.annotations,
            state,
            starts_at,
            ends_at: parse_time(self.ends_at.as_deref()),
            updated_at: parse_time(self.updated_at.as_deref()).unwrap_or(now),
            generator_url: self.generator_url.filter(|u| !u.is_empty()),
            silenced_by: self.status.silenced_by,
            inhibited_by: self.status.inhibited_by.into_iter().map(Fingerprint::from).collect(),
            replicas: vec![replica.to_string()],
            expr: None,
            series: None,
            flaps: 0,
            unconfirmed: false,
            rule_engine: false,
            am_group: None,
            rule_ended: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_leniently_with_unknown_fields_and_states() {
        let body = br#"[{"fingerprint":"abc","labels":{"alertname":"X"},"annotations":{},
            "startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-01T00:04:00.123Z",
            "updatedAt":"2026-01-01T00:00:01Z","status":{"state":"muted-by-newer","silencedBy":[],
            "inhibitedBy":["def"],"mutedBy":["x"]},"receivers":[{"name":"r"}],"newField":1},
            {"labels":{"alertname":"Y"}}]"#;
        let alerts: Vec<ApiAlert> = serde_json::from_slice(body).unwrap();
        let a = alerts[0].clone().into_alert("am", "r1", 5);
        assert_eq!(a.state, AlertState::Unprocessed);
        assert_eq!(a.starts_at, 1_767_225_600_000);
        assert_eq!(a.ends_at, Some(1_767_225_840_123));
        assert_eq!(a.inhibited_by, vec![Fingerprint::from("def")]);
        let b = alerts[1].clone().into_alert("am", "r1", 5);
        assert_eq!(b.starts_at, 5, "missing time falls back to now");
        assert_eq!(b.fingerprint, prometheus_fingerprint(&b.labels));
    }

    #[test]
    fn the_streaming_parser_agrees_and_rejects_what_is_not_a_list() {
        let body =
            br#"[{"fingerprint":"a1","labels":{"alertname":"X"},"status":{"state":"active"}},
            {"fingerprint":"b2","labels":{"alertname":"Y"},"status":{"state":"suppressed"}}]"#;
        let got = parse_alerts(body, "am", "r1", 7).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].state, got[1].state), (AlertState::Firing, AlertState::Suppressed));
        assert_eq!(got[1].replicas, vec!["r1".to_string()]);
        assert!(parse_alerts(b"{\"error\":\"x\"}", "am", "r1", 7).is_err());
        assert!(parse_alerts(b"[] trailing", "am", "r1", 7).is_err());
        assert!(parse_alerts(b"[{\"labels\":5}]", "am", "r1", 7).is_err());
    }

    #[test]
    fn zero_time_is_none() {
        assert_eq!(parse_time(Some("0001-01-01T00:00:00.000Z")), None);
        assert_eq!(parse_time(Some("garbage")), None);
    }
}
