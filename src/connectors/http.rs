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

mod words;

use words::{error_chain, tls_in_words};
pub use words::{error_message, escape_excerpt};

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
