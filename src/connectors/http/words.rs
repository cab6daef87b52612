//! Failures in words: an error's source chain, TLS reasons an operator can
//! act on, a server's error body, and bounded, escaped excerpts of bodies
//! (all server text is attacker-controlled).

/// Every message in an error's source chain, deduplicated, `: `-joined.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
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
pub(super) fn tls_in_words(chain: &str) -> String {
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
