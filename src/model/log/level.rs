//! The level a log line states. Structured lines state it in a field:
//! JSON (`"level":"error"`, `"severity":"WARNING"`, pino's `"level":50`),
//! also inside a container runtime's envelope (`{"log":"{\"severity\":
//! \"info\",…}"}`, where the quotes are escaped), and logfmt
//! (`level=warn`). The field is what the program meant; the words of its
//! message are not (`"msg":"retrying after error","level":"info"` is an
//! info line). A plain line states it as its first level word (`2024-05-01
//! 12:00:00 INFO …`, `[ERROR] …`, `java.lang.IllegalStateException: …`):
//! whole words, so `TraceID:` is no trace level and `NOERROR` no error.

use super::LogLevel;

/// Field names logging libraries write the level under (any case).
const KEYS: [&[u8]; 8] =
    [b"level", b"severity", b"lvl", b"loglevel", b"log_level", b"log.level", b"levelname", b"@l"];

/// How far into a line its level field is looked for: fields come first in
/// every library we know of, but some put a long message before it.
const FIELD_SCAN: usize = 4096;

/// How far into a plain line its level word is looked for.
const WORD_SCAN: usize = 120;

impl LogLevel {
    /// The level a line states (see the module docs); `Unknown` when it
    /// states none.
    #[must_use]
    pub fn sniff(line: &str) -> Self {
        field_level(line).or_else(|| word_level(line)).unwrap_or(Self::Unknown)
    }

    /// A level's name as logging libraries and syslog write it, any case:
    /// `error`, `ERR`, `fatal`, `warning`, `notice`, `debug`, ….
    #[must_use]
    pub fn named(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "error" | "err" | "eror" | "fatal" | "critical" | "crit" | "panic" | "dpanic"
            | "emerg" | "emergency" | "alert" | "severe" => Some(Self::Error),
            "warn" | "warning" | "wrn" => Some(Self::Warn),
            "info" | "inf" | "information" | "informational" | "notice" => Some(Self::Info),
            "debug" | "dbg" | "dbug" | "trace" | "verbose" | "fine" | "finer" | "finest" => {
                Some(Self::Debug)
            }
            _ => None,
        }
    }

    /// A numeric level as pino and bunyan write it (10 trace, 20 debug, 30
    /// info, 40 warn, 50 error, 60 fatal).
    fn numbered(n: u32) -> Option<Self> {
        match n {
            10..=29 => Some(Self::Debug),
            30..=39 => Some(Self::Info),
            40..=49 => Some(Self::Warn),
            50..=69 => Some(Self::Error),
            _ => None,
        }
    }
}

/// The level a line's first level field names, if any.
fn field_level(line: &str) -> Option<LogLevel> {
    let b = &line.as_bytes()[..line.len().min(FIELD_SCAN)];
    let first = |k: &[u8]| k[0];
    for i in 0..b.len() {
        let c = b[i].to_ascii_lowercase();
        if !KEYS.iter().any(|k| first(k) == c) {
            continue;
        }
        for key in KEYS {
            if let Some(level) = field_at(b, i, key) {
                return Some(level);
            }
        }
    }
    None
}

/// The level of a `key` field starting at `b[i]`: `"key":"value"` or
/// `"key":number` (quotes possibly escaped), or logfmt `key=value`.
fn field_at(b: &[u8], i: usize, key: &[u8]) -> Option<LogLevel> {
    let end = i + key.len();
    if !b.get(i..end)?.eq_ignore_ascii_case(key) {
        return None;
    }
    let quoted = i > 0 && b[i - 1] == b'"';
    let bare = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'{' | b',');
    if !quoted && !bare {
        return None;
    }
    let mut j = end;
    if quoted {
        // The closing quote, escaped in an envelope.
        if b.get(j) == Some(&b'\\') {
            j += 1;
        }
        if b.get(j) != Some(&b'"') {
            return None;
        }
        j += 1;
    }
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    match b.get(j) {
        Some(b':') if quoted => {}
        Some(b'=') if !quoted => {}
        _ => return None,
    }
    j += 1;
    while matches!(b.get(j), Some(b' ' | b'\\' | b'"')) {
        j += 1;
    }
    let start = j;
    while b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
        j += 1;
    }
    let value = std::str::from_utf8(&b[start..j]).ok()?;
    if value.bytes().all(|c| c.is_ascii_digit()) {
        return value.parse().ok().and_then(LogLevel::numbered);
    }
    LogLevel::named(value)
}

/// The level named by the first level word of a plain line's head. Fewer
/// words than [`LogLevel::named`] takes from a level field: in running
/// text "alert", "notice", "fine" or "information" are ordinary words.
fn word_level(line: &str) -> Option<LogLevel> {
    let mut n = line.len().min(WORD_SCAN);
    while !line.is_char_boundary(n) {
        n -= 1;
    }
    let head = &line[..n];
    head.split(|c: char| !c.is_ascii_alphanumeric()).find_map(|w| {
        let up = w.to_ascii_uppercase();
        match up.as_str() {
            "ERROR" | "ERR" | "FATAL" | "PANIC" | "CRIT" | "CRITICAL" | "SEVERE" | "EMERG" => {
                Some(LogLevel::Error)
            }
            "WARN" | "WARNING" => Some(LogLevel::Warn),
            "INFO" | "NOTICE" => Some(LogLevel::Info),
            "DEBUG" | "TRACE" => Some(LogLevel::Debug),
            _ if up.ends_with("EXCEPTION") => Some(LogLevel::Error),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_lines_state_their_level_in_a_field() {
        for (line, want) in [
            (r#"{"level":"error","ts":1.5,"msg":"db timeout"}"#, LogLevel::Error),
            (r#"{"msg":"retrying after error","level":"info"}"#, LogLevel::Info),
            (r#"{"severity":"WARNING","message":"slow"}"#, LogLevel::Warn),
            (r#"{"level":50,"time":1,"msg":"boom"}"#, LogLevel::Error),
            (r#"{"level":30,"msg":"error budget fine"}"#, LogLevel::Info),
            (r#"{"@t":"2024-01-01","@l":"Warning","@m":"x"}"#, LogLevel::Warn),
            (r#"{"log.level": "debug", "message": "error path taken"}"#, LogLevel::Debug),
            // A message first, its severity after it (OnlineBoutique's Go services).
            (
                r#"{"message":"TraceID: 4bf92f3577b34da6 SpanID: 00f0 charge failed","severity":"error","timestamp":"2022-08-22T00:00:00Z"}"#,
                LogLevel::Error,
            ),
            // A container runtime's envelope: the payload's quotes are escaped.
            (
                r#"{"log":"{\"severity\":\"warning\",\"message\":\"TraceID: ab error\"}\n","stream":"stdout"}"#,
                LogLevel::Warn,
            ),
            ("ts=2024-01-01 level=warn msg=\"an error was retried\"", LogLevel::Warn),
            ("lvl=eror msg=\"failed\" err=timeout", LogLevel::Error),
        ] {
            assert_eq!(LogLevel::sniff(line), want, "{line}");
        }
    }

    #[test]
    fn plain_lines_state_their_level_as_their_first_level_word() {
        for (line, want) in [
            ("2024 ERROR db timeout", LogLevel::Error),
            ("[WARN] slow", LogLevel::Warn),
            (
                "2023-01-29 08:43:05 INFO c.s.Impl#34 TraceID: 4bf92f3577b34da6 [find]",
                LogLevel::Info,
            ),
            ("INFO handled IllegalStateException, retrying", LogLevel::Info),
            ("java.lang.IllegalStateException: closed", LogLevel::Error),
            ("query[A] shop.local status NOERROR", LogLevel::Unknown),
            ("errors=0 retries=0", LogLevel::Unknown),
            ("GET /healthz 200", LogLevel::Unknown),
            // A value that is no level leaves the words to tell.
            ("level=high temperature, ERROR", LogLevel::Error),
        ] {
            assert_eq!(LogLevel::sniff(line), want, "{line}");
        }
    }

    #[test]
    fn level_names_and_numbers() {
        assert_eq!(LogLevel::named("CRIT"), Some(LogLevel::Error));
        assert_eq!(LogLevel::named("Notice"), Some(LogLevel::Info));
        assert_eq!(LogLevel::named("trace"), Some(LogLevel::Debug));
        assert_eq!(LogLevel::named("high"), None);
        assert_eq!(LogLevel::numbered(60), Some(LogLevel::Error));
        assert_eq!(LogLevel::numbered(7), None);
        assert_eq!(LogLevel::numbered(200), None);
    }

    #[test]
    fn hostile_lines_do_not_panic() {
        for line in [
            "level",
            "\"level\"",
            "\"level\\",
            "level=",
            "é\"level\":\"",
            "{\"lvl\":\"\u{1b}[31m\"}",
        ] {
            let _ = LogLevel::sniff(line);
        }
        let long = format!("{}\"level\":\"error\"", "x".repeat(FIELD_SCAN));
        assert_eq!(LogLevel::sniff(&long), LogLevel::Unknown);
    }
}
