//! HTTP for every real connector: one configured client per source, GETs
//! with a response size cap enforced while the body streams in, and every
//! failure sorted into a [`FetchError`] the poller turns into source health.
//!
//! Secrets are read here, once, from the files and variables the config
//! names; they live only inside the client's default headers (marked
//! sensitive) and never reach a log line or an error message.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, StatusCode};
use thiserror::Error;

use super::settings::ConnectionConfig;

/// Why a request did not give a usable body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    #[error("unreachable: {0}")]
    Down(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("credentials rejected (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    #[error("HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("response larger than {0} bytes")]
    TooLarge(u64),
    /// The body is not what the API promises; `excerpt` is escaped.
    #[error("bad response: {excerpt}")]
    Bad { excerpt: String },
}

/// A client could not be built from the config (unreadable secret or cert).
#[derive(Debug, Error)]
pub enum SetupError {
    #[error("{what}: {reason}")]
    Secret { what: String, reason: String },
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// One source's HTTP client with its limits.
#[derive(Debug, Clone)]
pub struct Http {
    client: Client,
    max_bytes: u64,
    timeout: Duration,
}

impl Http {
    /// Builds the client: headers, tenant, auth, TLS, timeouts.
    ///
    /// # Errors
    /// A secret file or variable is missing, or a PEM file is unreadable.
    pub fn new(conn: &ConnectionConfig) -> Result<Self, SetupError> {
        let mut headers = HeaderMap::new();
        for (k, v) in &conn.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| SetupError::Secret {
                what: format!("header {k:?}"),
                reason: e.to_string(),
            })?;
            let value = HeaderValue::from_str(v).map_err(|e| SetupError::Secret {
                what: format!("header {k:?}"),
                reason: e.to_string(),
            })?;
            headers.insert(name, value);
        }
        if let Some(t) = &conn.tenant {
            let value = HeaderValue::from_str(t)
                .map_err(|e| SetupError::Secret { what: "tenant".into(), reason: e.to_string() })?;
            headers.insert(HeaderName::from_static("x-scope-orgid"), value);
        }
        if let Some(auth) = authorization(conn)? {
            headers.insert(reqwest::header::AUTHORIZATION, auth);
        }
        let mut b = Client::builder()
            .use_rustls_tls()
            .default_headers(headers)
            .connect_timeout(conn.connect_timeout.0)
            .timeout(conn.timeout.0)
            .pool_max_idle_per_host(2)
            .user_agent(concat!("quell/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &conn.tls.ca_file {
            let pem = read_file(ca, "tls.ca_file")?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| SetupError::Tls(format!("{}: {e}", ca.display())))?
            {
                b = b.add_root_certificate(cert);
            }
        }
        if let (Some(cert), Some(key)) = (&conn.tls.cert_file, &conn.tls.key_file) {
            let mut pem = read_file(cert, "tls.cert_file")?;
            pem.push(b'\n');
            pem.extend(read_file(key, "tls.key_file")?);
            let id = reqwest::Identity::from_pem(&pem)
                .map_err(|e| SetupError::Tls(format!("client certificate: {e}")))?;
            b = b.identity(id);
        }
        if conn.tls.insecure_skip_verify {
            tracing::warn!("TLS certificate verification is disabled for a source");
            b = b.danger_accept_invalid_certs(true);
        }
        let client = b.build().map_err(|e| SetupError::Tls(error_chain(&e)))?;
        Ok(Self { client, max_bytes: conn.max_response_bytes, timeout: conn.timeout.0 })
    }

    /// GETs `url` with query pairs and returns the body, at most the cap.
    ///
    /// # Errors
    /// See [`FetchError`].
    pub async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Vec<u8>, FetchError> {
        let resp = self.client.get(url).query(query).send().await.map_err(|e| self.classify(&e))?;
        self.finish(resp).await
    }

    /// [`Http::get`] with a lower size cap than the configured one, for an
    /// answer worth having only while it is small.
    ///
    /// # Errors
    /// See [`FetchError`].
    pub async fn get_capped(&self, url: &str, cap: u64) -> Result<Vec<u8>, FetchError> {
        let resp = self.client.get(url).send().await.map_err(|e| self.classify(&e))?;
        let limited = Self { max_bytes: cap.min(self.max_bytes), ..self.clone() };
        limited.finish(resp).await
    }

    /// POSTs a JSON body (silences). Same errors as [`Http::get`].
    ///
    /// # Errors
    /// See [`FetchError`]; a timeout may mean the server did act.
    pub async fn post_json(&self, url: &str, body: Vec<u8>) -> Result<Vec<u8>, FetchError> {
        let resp = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify(&e))?;
        self.finish(resp).await
    }

    /// DELETE (expiring a silence).
    ///
    /// # Errors
    /// See [`FetchError`].
    pub async fn delete(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let resp = self.client.delete(url).send().await.map_err(|e| self.classify(&e))?;
        self.finish(resp).await
    }

    async fn finish(&self, resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let status = resp.status();
        let body = self.read_capped(resp).await?;
        if status.is_success() {
            return Ok(body);
        }
        let mut message = error_message(&body);
        if status == StatusCode::BAD_REQUEST && message.contains("HTTP request to an HTTPS server")
        {
            message = format!("the server speaks HTTPS: use an https:// URL (it said: {message})");
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(FetchError::Auth { status: status.as_u16(), message });
        }
        Err(FetchError::Status { status: status.as_u16(), message })
    }

    async fn read_capped(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        if resp.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        // Sized once from the announced length (already checked against
        // the cap): growing by doubling would leave up to twice the body
        // allocated, and copy it on the way, for a tens-of-megabytes answer.
        // Untouched capacity costs no memory if the sender lied.
        let announced = resp.content_length().and_then(|n| usize::try_from(n).ok());
        let mut body = Vec::with_capacity(announced.unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn classify(&self, e: &reqwest::Error) -> FetchError {
        let chain = error_chain(e);
        if e.is_timeout() {
            return FetchError::Timeout(self.timeout);
        }
        let lower = chain.to_ascii_lowercase();
        if ["certificate", "tls", "handshake", "unknownissuer", "invalid peer", "corrupt message"]
            .iter()
            .any(|w| lower.contains(w))
        {
            return FetchError::Tls(tls_in_words(&chain));
        }
        if e.is_decode() || e.is_body() {
            return FetchError::Bad { excerpt: escape_excerpt(chain.as_bytes()) };
        }
        FetchError::Down(chain)
    }
}

/// Every message in an error's source chain, deduplicated, `: `-joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// The most specific part of a TLS error chain (rustls puts it last).
fn tls_reason(chain: &str) -> String {
    chain.rsplit(": ").find(|p| !p.trim().is_empty()).unwrap_or(chain).trim().to_string()
}

/// What rustls and the server's TLS alerts say, and the same in words an
/// operator can act on. Matched against the whole error chain; the first
/// match wins, so the more specific entries come first.
const TLS_WORDS: &[(&str, &str)] = &[
    (
        "CaUsedAsEndEntity",
        "the server's certificate is a CA certificate, not a server certificate \
         (serve a certificate issued by that CA)",
    ),
    ("EndEntityUsedAsCa", "a server certificate is used as a CA in the server's chain"),
    (
        "UnknownIssuer",
        "the server's certificate is signed by an unknown authority \
         (set tls.ca_file to the CA that issued it)",
    ),
    ("not valid for name", "the server's certificate is not valid for this host name"),
    ("NotValidForName", "the server's certificate is not valid for this host name"),
    ("certificate expired", "the server's certificate has expired"),
    ("Expired", "the server's certificate has expired"),
    ("not valid yet", "the server's certificate is not valid yet (check this machine's clock)"),
    ("NotValidYet", "the server's certificate is not valid yet (check this machine's clock)"),
    ("Revoked", "the server's certificate has been revoked"),
    ("BadSignature", "the server's certificate has a bad signature"),
    (
        "UnsupportedSignatureAlgorithm",
        "the server's certificate uses a signature algorithm quell does not accept",
    ),
    ("BadEncoding", "the server's certificate could not be parsed"),
    (
        "extended key usage",
        "the server's certificate is not meant for TLS servers (extended key usage)",
    ),
    (
        "CertificateRequired",
        "the server requires a client certificate (set tls.cert_file and tls.key_file)",
    ),
    ("alert: BadCertificate", "the server rejected quell's client certificate"),
    ("alert: UnknownCA", "the server does not trust the CA of quell's client certificate"),
    ("HandshakeFailure", "the TLS handshake failed: no protocol version or cipher suite in common"),
    ("InvalidContentType", "the server does not speak TLS (is the URL meant to be http://?)"),
    ("corrupt message", "the server does not speak TLS (is the URL meant to be http://?)"),
    ("PeerIncompatible", "the server offers no TLS version or feature quell accepts"),
];

/// A TLS failure in words, with the technical reason after it in
/// parentheses (cut) for whoever needs to search for it.
fn tls_in_words(chain: &str) -> String {
    let reason = tls_reason(chain);
    // rustls wraps webpki's own errors as `Other(OtherError(Name))`.
    let reason = reason
        .strip_prefix("Other(OtherError(")
        .map_or(reason.as_str(), |inner| inner.trim_end_matches(')'));
    let reason = crate::sanitize::clean_line(reason, 200);
    match TLS_WORDS.iter().find(|(needle, _)| chain.contains(needle)) {
        Some((_, words)) => format!("{words} ({reason})"),
        None => reason,
    }
}

/// Alertmanager errors come as a JSON string, a `{code, message}` object or
/// plain text; Prometheus as `{status, errorType, error}`. Returns the
/// message, escaped and cut to 200 bytes.
#[must_use]
pub fn error_message(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(s)) => escape_excerpt(s.as_bytes()),
        Ok(serde_json::Value::Object(m)) => {
            let text = ["message", "error", "msg"]
                .iter()
                .find_map(|k| m.get(*k).and_then(serde_json::Value::as_str));
            match text {
                Some(t) => escape_excerpt(t.as_bytes()),
                None => escape_excerpt(body),
            }
        }
        _ => escape_excerpt(body),
    }
}

/// The first 200 bytes, with control characters and invalid UTF-8 escaped
/// so an excerpt is always safe to log and draw.
#[must_use]
pub fn escape_excerpt(body: &[u8]) -> String {
    let body = body.trim_ascii();
    let cut = &body[..body.len().min(200)];
    let mut out = String::with_capacity(cut.len() + 8);
    for chunk in cut.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if body.len() > 200 {
        out.push('…');
    }
    out
}

fn authorization(conn: &ConnectionConfig) -> Result<Option<HeaderValue>, SetupError> {
    let a = &conn.auth;
    let token = match (&a.token_file, &a.token_env) {
        (Some(f), _) => Some(secret_from_file(f, "auth.token_file")?),
        (None, Some(var)) => Some(secret_from_env(var, "auth.token_env")?),
        (None, None) => None,
    };
    let value = if let Some(t) = token {
        format!("Bearer {t}")
    } else if let Some(user) = &a.username {
        let password = match (&a.password_file, &a.password_env) {
            (Some(f), _) => secret_from_file(f, "auth.password_file")?,
            (None, Some(var)) => secret_from_env(var, "auth.password_env")?,
            (None, None) => String::new(),
        };
        format!("Basic {}", crate::encode::base64(format!("{user}:{password}").as_bytes()))
    } else {
        return Ok(None);
    };
    let mut v = HeaderValue::from_str(&value).map_err(|_| SetupError::Secret {
        what: "auth".into(),
        reason: "the secret contains characters not allowed in a header".into(),
    })?;
    v.set_sensitive(true);
    Ok(Some(v))
}

fn read_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>, SetupError> {
    std::fs::read(path).map_err(|e| SetupError::Secret {
        what: format!("{what} {}", path.display()),
        reason: e.to_string(),
    })
}

fn secret_from_file(path: &std::path::Path, what: &str) -> Result<String, SetupError> {
    let bytes = read_file(path, what)?;
    String::from_utf8(bytes).map(|s| s.trim_end().to_string()).map_err(|_| SetupError::Secret {
        what: format!("{what} {}", path.display()),
        reason: "not UTF-8".into(),
    })
}

fn secret_from_env(var: &str, what: &str) -> Result<String, SetupError> {
    std::env::var(var)
        .map_err(|_| SetupError::Secret { what: format!("{what} {var}"), reason: "not set".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_all_three_shapes() {
        assert_eq!(error_message(br#""bad matcher format: x""#), "bad matcher format: x");
        assert_eq!(error_message(br#"{"code":400,"message":"nope"}"#), "nope");
        assert_eq!(error_message(b"Unauthorized\n"), "Unauthorized");
        assert_eq!(
            error_message(br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#),
            "parse error"
        );
    }

    #[test]
    fn tls_failures_are_said_in_words() {
        let cases = [
            (
                "error sending request for url (https://am:9093/api/v2/alerts): client error \
                 (Connect): invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
                "the server's certificate is a CA certificate, not a server certificate",
            ),
            ("invalid peer certificate: UnknownIssuer", "signed by an unknown authority"),
            (
                "invalid peer certificate: certificate not valid for name \"am\"; certificate \
                 is only valid for DnsName(\"x\")",
                "not valid for this host name",
            ),
            (
                "invalid peer certificate: certificate expired: verification time 1700000000 \
                 (UNIX), but certificate is not valid after 1600000000 (100000000 seconds ago)",
                "the server's certificate has expired",
            ),
            ("invalid peer certificate: Expired", "has expired"),
            ("invalid peer certificate: NotValidYet", "check this machine's clock"),
            ("invalid peer certificate: Revoked", "has been revoked"),
            ("received fatal alert: CertificateRequired", "requires a client certificate"),
            ("received fatal alert: HandshakeFailure", "handshake failed"),
            ("received corrupt message of type InvalidContentType", "does not speak TLS"),
        ];
        for (chain, want) in cases {
            let said = tls_in_words(chain);
            assert!(said.contains(want), "{chain}\n-> {said}");
            assert!(!said.contains("OtherError("), "{said}");
        }
        // The technical reason stays, after the words.
        let said = tls_in_words("x: Other(OtherError(CaUsedAsEndEntity))");
        assert!(
            said.ends_with(
                "server certificate (serve a certificate issued by that CA) (CaUsedAsEndEntity)"
            ),
            "{said}"
        );
        // Unknown reasons pass through, cleaned.
        assert_eq!(tls_in_words("tls: Something\x1b[2J new"), "Something new");
    }

    #[test]
    fn excerpts_escape_controls_and_invalid_utf8_and_cut_at_200() {
        let e = escape_excerpt(b"a\x1b[31mb\xffc\nd\n");
        assert_eq!(e, "a\\u{1b}[31mb\\xffc\\nd");
        let long = vec![b'x'; 1000];
        assert_eq!(escape_excerpt(&long).chars().count(), 201);
    }
}
