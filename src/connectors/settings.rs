//! The connectors' sections of the config: `[[alertmanager]]`,
//! `[[prometheus]]`, `[topology]` and the connection options they share
//! (auth, TLS, headers, timing) with `[[logs.loki]]` (declared beside its
//! connector, validated here so source names are unique across all kinds).
//! `crate::config` aggregates these types into the whole file; nothing here
//! imports it.
//!
//! Holds only *where* secrets live (`token_file`, `token_env`, ...), never
//! the secrets themselves, so `--print-config` and logs cannot leak them.
//! Validation here is syntactic; files and variables are read when the
//! connectors start.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
use crate::model::Topology;

mod check;

pub use check::validate;

/// Credentials, by reference. At most one of bearer token or basic auth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// File holding a bearer token (trailing whitespace trimmed).
    pub token_file: Option<PathBuf>,
    /// Environment variable holding a bearer token.
    pub token_env: Option<String>,
    /// Basic auth user; needs `password_file` or `password_env`.
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM CA bundle trusted in addition to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate and key (mutual TLS); both or neither.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Accept any certificate. Shown loudly in the header.
    pub insecure_skip_verify: bool,
}

/// How one source is reached; shared by every source kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionConfig {
    /// Path prefix before the API, e.g. `/api/alertmanager/grafana` or `/prometheus`.
    pub base_path: String,
    /// Extra request headers (not `Authorization`: use `[*.auth]`).
    pub headers: BTreeMap<String, String>,
    /// Sent as `X-Scope-OrgID` (Mimir, Cortex, Loki).
    pub tenant: Option<String>,
    pub auth: AuthConfig,
    pub tls: TlsConfig,
    /// Time between polls (±10 % jitter).
    pub interval: HumanDuration,
    pub connect_timeout: HumanDuration,
    /// Whole request, body included.
    pub timeout: HumanDuration,
    /// Answers slower than this mark the source "slow".
    pub slow_after: HumanDuration,
    /// Bodies larger than this are cut off while streaming: "too large".
    pub max_response_bytes: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            base_path: String::new(),
            headers: BTreeMap::new(),
            tenant: None,
            auth: AuthConfig::default(),
            tls: TlsConfig::default(),
            interval: HumanDuration::secs(15),
            connect_timeout: HumanDuration::secs(5),
            timeout: HumanDuration::secs(20),
            slow_after: HumanDuration::secs(5),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One Alertmanager cluster: every replica is polled.
// serde cannot combine `deny_unknown_fields` with `flatten`: keys neither
// struct knows land in `unknown`, and validation rejects them by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertmanagerConfig {
    pub name: String,
    /// One URL per replica of the cluster.
    pub urls: Vec<String>,
    /// After a replica was down or restarted, alerts missing from its answers
    /// are kept this long (Prometheus re-sends them every resend delay).
    #[serde(default = "default_resolve_grace")]
    pub resolve_grace: HumanDuration,
    #[serde(flatten)]
    pub conn: ConnectionConfig,
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, toml::Value>,
}

fn default_resolve_grace() -> HumanDuration {
    HumanDuration::mins(3)
}

/// A per-service golden-signal query, polled into a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalQuery {
    pub service: String,
    /// `request_rate`, `error_ratio`, `latency_p99`, `cpu`, `memory`, `disk`, or any other word.
    pub signal: String,
    /// PromQL returning one series (the first is used).
    pub query: String,
    #[serde(default)]
    pub unit: String,
}

/// A Prometheus-compatible engine (Prometheus, Thanos, Mimir, vmalert + VictoriaMetrics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrometheusConfig {
    pub name: String,
    pub url: String,
    /// Where `/api/v1/rules` and `/api/v1/alerts` are served, when not at
    /// `url` (vmalert beside VictoriaMetrics).
    #[serde(default)]
    pub rules_url: Option<String>,
    /// Also show Prometheus's own firing alerts (those no Alertmanager reports).
    #[serde(default = "yes")]
    pub alerts: bool,
    /// Chart window before an alert's start (and after, up to now).
    #[serde(default = "default_chart_window")]
    pub chart_window: HumanDuration,
    /// After an outage, alerts missing from the engine's answers are kept
    /// this long (rules re-evaluate after a restart).
    #[serde(default = "default_resolve_grace")]
    pub resolve_grace: HumanDuration,
    #[serde(default, rename = "signal")]
    pub signals: Vec<SignalQuery>,
    #[serde(flatten)]
    pub conn: ConnectionConfig,
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, toml::Value>,
}

fn yes() -> bool {
    true
}

fn default_chart_window() -> HumanDuration {
    HumanDuration::mins(30)
}

/// The service dependency graph, `calls = [["caller", "callee"], ...]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopologyConfig {
    pub calls: Vec<[String; 2]>,
    /// PromQL returning caller/callee pairs (e.g. service-graph metrics), run
    /// on the first `[[prometheus]]`; its edges are added to `calls`.
    pub query: Option<String>,
    /// Labels of `query`'s result naming the caller and the callee.
    pub caller_label: String,
    pub callee_label: String,
}

impl Default for TopologyConfig {
    fn default() -> Self {
        Self {
            calls: Vec::new(),
            query: None,
            caller_label: "client".into(),
            callee_label: "server".into(),
        }
    }
}

impl TopologyConfig {
    #[must_use]
    pub fn to_topology(&self) -> Topology {
        Topology::from_edges(self.calls.iter().map(|[a, b]| (a.as_str(), b.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, parse};

    /// The commented source examples in config.example.toml, uncommented.
    fn example_sources() -> String {
        let text = include_str!("../../config.example.toml");
        let start = text.find("# [[alertmanager]]").unwrap_or(0);
        let toml_line = regex::Regex::new(r#"^(\[|[A-Za-z_][A-Za-z0-9_]* = |\s*$)"#).unwrap();
        text[start..]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .filter(|l| toml_line.is_match(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn commented_examples_have_the_right_shape() {
        let cfg: Config = toml::from_str(&example_sources()).unwrap();
        let am = &cfg.alertmanager[0];
        assert_eq!(am.urls.len(), 2);
        assert_eq!(am.conn.tenant.as_deref(), Some("team-a"));
        assert_eq!(am.conn.auth.token_env.as_deref(), Some("AM_TOKEN"));
        assert!(am.conn.tls.ca_file.is_some());
        let p = &cfg.prometheus[0];
        assert_eq!(p.signals[0].signal, "error_ratio");
        assert_eq!(p.rules_url.as_deref(), Some("http://vmalert.example:8880"));
    }

    #[test]
    fn minimal_sources_parse_and_count_as_sources() {
        let cfg = parse(
            "[[alertmanager]]\nname = \"am\"\nurls = [\"http://127.0.0.1:9093\"]\n\
             [[prometheus]]\nname = \"p\"\nurl = \"http://127.0.0.1:9090\"\nbase_path = \"/prometheus\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert!(cfg.has_sources());
        assert_eq!(cfg.alertmanager[0].conn.interval.0.as_secs(), 15);
        assert!(!Config::default().has_sources());
    }

    #[test]
    fn mistakes_are_located_errors() {
        let cases = [
            ("[[alertmanager]]\nname = \"am\"\nurls = [\"http://a\"]\ntimout = \"1s\"\n", "timout"),
            ("[[alertmanager]]\nname = \"am\"\nurls = []\n", "alertmanager.urls"),
            ("[[alertmanager]]\nname = \"am\"\nurls = [\"ftp://a\"]\n", "alertmanager.urls"),
            ("[[alertmanager]]\nname = \"am\"\nurls = [\"http://u:p@a\"]\n", "no credentials"),
            (
                "[[alertmanager]]\nname = \"am\"\nurls = [\"http://a\"]\nheaders = { Authorization = \"Bearer x\" }\n",
                "Authorization",
            ),
            (
                "[[alertmanager]]\nname = \"am\"\nurls = [\"http://a\"]\n[alertmanager.auth]\nusername = \"u\"\n",
                "password_file",
            ),
            (
                "[[alertmanager]]\nname = \"x\"\nurls = [\"http://a\"]\n[[prometheus]]\nname = \"x\"\nurl = \"http://b\"\n",
                "duplicate",
            ),
            (
                "[[prometheus]]\nname = \"p\"\nurl = \"http://b\"\n[prometheus.tls]\ncert_file = \"c\"\n",
                "key_file",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text, Path::new("t.toml")).unwrap_err().to_string();
            assert!(e.contains(want), "{text}\n=> {e}");
            assert!(e.contains("t.toml"), "{e}");
        }
    }

    #[test]
    fn print_config_names_secret_locations_only() {
        let cfg = parse(
            "[[alertmanager]]\nname = \"am\"\nurls = [\"http://a\"]\n[alertmanager.auth]\ntoken_env = \"AM_TOKEN\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let text = cfg.to_toml().unwrap();
        assert!(text.contains("token_env = \"AM_TOKEN\""), "{text}");
        assert!(!text.contains("Bearer"));
    }
}
