//! Syntactic checks of the connectors' sections: names unique across every
//! source kind, URLs, connection options (timing, one kind of auth, TLS
//! files named, header names), unknown keys. Nothing is read or resolved.

use std::collections::BTreeMap;

use super::{AlertmanagerConfig, ConnectionConfig, PrometheusConfig};

/// Returns (key, message) of the first problem, in config's validate style.
pub fn validate(
    ams: &[AlertmanagerConfig],
    proms: &[PrometheusConfig],
    lokis: &[crate::connectors::logs::loki::LokiSource],
) -> Result<(), (String, String)> {
    let mut names = std::collections::BTreeSet::new();
    for am in ams {
        check_name(&mut names, &am.name, "alertmanager")?;
        check_unknown(&am.unknown, "alertmanager")?;
        if am.urls.is_empty() {
            return Err((
                "alertmanager.urls".into(),
                format!("{:?}: list at least one URL", am.name),
            ));
        }
        for u in &am.urls {
            check_url(u, "alertmanager.urls")?;
        }
        check_conn(&am.conn, "alertmanager")?;
    }
    for p in proms {
        check_name(&mut names, &p.name, "prometheus")?;
        check_unknown(&p.unknown, "prometheus")?;
        check_url(&p.url, "prometheus.url")?;
        if let Some(r) = &p.rules_url {
            check_url(r, "prometheus.rules_url")?;
        }
        check_conn(&p.conn, "prometheus")?;
        for s in &p.signals {
            if s.service.trim().is_empty() || s.query.trim().is_empty() {
                return Err((
                    "prometheus.signal".into(),
                    format!("{:?}: every signal needs a service and a query", p.name),
                ));
            }
        }
    }
    for l in lokis {
        check_name(&mut names, &l.name, "logs.loki")?;
        check_unknown(&l.unknown, "logs.loki")?;
        check_url(&l.url, "logs.loki.url")?;
        check_conn(&l.conn, "logs.loki")?;
        if !l.query.trim_start().starts_with('{') {
            return Err((
                "logs.loki.query".into(),
                format!("{:?}: a LogQL log query starts with a stream selector {{...}}", l.name),
            ));
        }
        if !(1..=100_000).contains(&l.limit) {
            return Err(("logs.loki.limit".into(), "expected 1 to 100000 lines".into()));
        }
        if l.lookback.0 < std::time::Duration::from_secs(1) {
            return Err(("logs.loki.lookback".into(), "must be at least 1s".into()));
        }
        if let Some(q) = &l.incident_query {
            let placeholder = crate::connectors::logs::loki::focus::PLACEHOLDER;
            if !q.trim_start().starts_with('{') || !q.contains(&format!("=~\"{placeholder}\"")) {
                return Err((
                    "logs.loki.incident_query".into(),
                    format!(
                        "{:?}: a stream selector with a regex matcher on {placeholder}, \
                         e.g. '{{app=~\"{placeholder}\"}}'",
                        l.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_name(
    names: &mut std::collections::BTreeSet<String>,
    name: &str,
    table: &str,
) -> Result<(), (String, String)> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err((format!("{table}.name"), format!("{name:?}: use letters, digits, - _ .")));
    }
    if !names.insert(name.to_string()) {
        return Err((format!("{table}.name"), format!("duplicate source name {name:?}")));
    }
    Ok(())
}

fn check_unknown(
    unknown: &BTreeMap<String, toml::Value>,
    table: &str,
) -> Result<(), (String, String)> {
    match unknown.keys().next() {
        Some(k) => Err((format!("{table}.{k}"), format!("unknown field `{k}`"))),
        None => Ok(()),
    }
}

fn check_url(u: &str, key: &str) -> Result<(), (String, String)> {
    match reqwest::Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            if url.password().is_some() {
                return Err((key.into(), "no credentials in URLs: use [auth]".into()));
            }
            Ok(())
        }
        Ok(_) => Err((key.into(), format!("{u:?}: expected an http:// or https:// URL"))),
        Err(e) => Err((key.into(), format!("{u:?}: {e}"))),
    }
}

fn check_conn(c: &ConnectionConfig, table: &str) -> Result<(), (String, String)> {
    let a = &c.auth;
    if a.token_file.is_some() && a.token_env.is_some() {
        return Err((format!("{table}.auth.token_env"), "give token_file or token_env".into()));
    }
    let basic = a.username.is_some();
    if basic && (a.token_file.is_some() || a.token_env.is_some()) {
        return Err((
            format!("{table}.auth.username"),
            "bearer token or basic auth, not both".into(),
        ));
    }
    if basic && a.password_file.is_none() && a.password_env.is_none() {
        return Err((
            format!("{table}.auth.username"),
            "needs password_file or password_env".into(),
        ));
    }
    if !basic && (a.password_file.is_some() || a.password_env.is_some()) {
        return Err((format!("{table}.auth.username"), "a password needs a username".into()));
    }
    if c.tls.cert_file.is_some() != c.tls.key_file.is_some() {
        return Err((
            format!("{table}.tls.cert_file"),
            "give cert_file and key_file together".into(),
        ));
    }
    for name in c.headers.keys() {
        if name.eq_ignore_ascii_case("authorization") {
            return Err((
                format!("{table}.headers"),
                "no inline Authorization header: use [auth] token_file/token_env".into(),
            ));
        }
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err((format!("{table}.headers"), format!("{name:?} is not a header name")));
        }
    }
    if c.interval.0 < std::time::Duration::from_millis(100) {
        return Err((format!("{table}.interval"), "must be at least 100ms".into()));
    }
    if c.timeout.0.is_zero() || c.connect_timeout.0.is_zero() {
        return Err((format!("{table}.timeout"), "timeouts must be above zero".into()));
    }
    if c.max_response_bytes < 1024 {
        return Err((format!("{table}.max_response_bytes"), "must be at least 1024".into()));
    }
    Ok(())
}
