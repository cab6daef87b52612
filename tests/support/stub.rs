//! A tiny HTTP server inside the test process, for failure modes the real
//! servers cannot be asked to produce: garbage bodies, slow answers, huge
//! answers. Std `TcpListener`, one thread per connection.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What every request gets.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Arc<Vec<u8>>,
    pub delay: Duration,
    pub content_type: &'static str,
}

impl Reply {
    pub fn json(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            body: Arc::new(body),
            delay: Duration::ZERO,
            content_type: "application/json",
        }
    }
}

pub struct Stub {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    /// Request heads (request line and headers) received, oldest first.
    pub heads: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Stub {
    /// Serves `reply` to every request until the process ends.
    pub fn start(reply: Reply) -> Self {
        Self::sequence(vec![reply])
    }

    /// Serves `replies` in order, one per request, then repeats the last.
    pub fn sequence(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty());
        Self::serve(move |_, n| replies[n.min(replies.len() - 1)].clone())
    }

    /// Serves the reply of the route whose path is the request's (query
    /// ignored), else `fallback`.
    pub fn routes(routes: Vec<(&'static str, Reply)>, fallback: Reply) -> Self {
        Self::serve(move |head, _| {
            let target = head.split_whitespace().nth(1).unwrap_or("");
            let path = target.split('?').next().unwrap_or("");
            routes.iter().find(|(p, _)| *p == path).map_or(fallback.clone(), |(_, r)| r.clone())
        })
    }

    /// Serves `choose(request head, request number)` to every request.
    fn serve(choose: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Self {
        let replies = Arc::new(choose);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&requests);
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&heads);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let replies = Arc::clone(&replies);
                let count = Arc::clone(&count);
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let n = {
                        // Counted and recorded together, so the n-th head
                        // is the request that got the n-th reply.
                        let mut heads = sink.lock().unwrap();
                        heads.push(String::from_utf8_lossy(&seen).to_lowercase());
                        count.fetch_add(1, Ordering::SeqCst)
                    };
                    let head = String::from_utf8_lossy(&seen).to_lowercase();
                    let reply = &replies(&head, n);
                    std::thread::sleep(reply.delay);
                    let head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.status,
                        reply.content_type,
                        reply.body.len()
                    );
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(&reply.body);
                });
            }
        });
        Self { port, requests, heads }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Percent-decoding of a query value (the stub sees the raw request line).
pub fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The value of query parameter `key` in a lowercased request head.
pub fn param(head: &str, key: &str) -> String {
    let target = head.split_whitespace().nth(1).unwrap();
    let query = target.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {target}"))
        .to_string()
}
