//! Output of a capture-mode run: bytes from stdout and stderr are counted
//! and hashed as they arrive, split into lines (long ones cut), sanitized,
//! and delivered until `max_output` bytes were shown; after that one note
//! says so and the rest is only counted and hashed.

use std::io::Read;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::exec::{RunEvent, Stream};

/// Longest line shown; longer ones are cut into pieces of this size.
const MAX_LINE_BYTES: usize = 4096;

#[derive(Default)]
pub(super) struct Tally {
    pub(super) bytes: u64,
    pub(super) hasher: Sha256,
    shown: usize,
    pub(super) truncated: bool,
}

pub(super) type Sink = Arc<dyn Fn(RunEvent) + Send + Sync>;

pub(super) struct Pump {
    pub(super) stream: Stream,
    pub(super) tally: Arc<Mutex<Tally>>,
    pub(super) max: usize,
    pub(super) sink: Sink,
}

impl Pump {
    pub(super) fn run(&self, mut r: impl Read) {
        let mut buf = [0u8; 8192];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            if let Ok(mut t) = self.tally.lock() {
                t.bytes += n as u64;
                t.hasher.update(chunk);
            }
            for &b in chunk {
                if b == b'\n' {
                    self.emit(&pending);
                    pending.clear();
                } else {
                    pending.push(b);
                    if pending.len() >= MAX_LINE_BYTES {
                        self.emit(&pending);
                        pending.clear();
                    }
                }
            }
        }
        if !pending.is_empty() {
            self.emit(&pending);
        }
    }

    fn emit(&self, line: &[u8]) {
        let note = {
            let Ok(mut t) = self.tally.lock() else { return };
            if t.shown + line.len() > self.max {
                if t.truncated {
                    return;
                }
                t.truncated = true;
                true
            } else {
                t.shown += line.len() + 1;
                false
            }
        };
        let ev = if note {
            RunEvent::Line {
                stream: Stream::Note,
                text: format!(
                    "\u{2026} output beyond {} bytes is not shown (still counted and hashed)",
                    self.max
                ),
            }
        } else {
            let text = crate::sanitize::clean_line(&String::from_utf8_lossy(line), MAX_LINE_BYTES);
            RunEvent::Line { stream: self.stream, text }
        };
        (self.sink)(ev);
    }
}
