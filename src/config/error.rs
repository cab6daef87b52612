//! Config errors that point at the file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Io {
        path: PathBuf,
        reason: String,
    },
    Invalid {
        path: PathBuf,
        /// 1-based; 0 when unknown.
        line: usize,
        column: usize,
        /// Dotted key such as `ui.theme`, when known.
        key: Option<String>,
        message: String,
        /// The offending line, for context.
        excerpt: Option<String>,
    },
}

impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, reason } => {
                write!(f, "cannot read config {}: {reason}", path.display())
            }
            Self::Invalid { path, line, column, key, message, excerpt } => {
                write!(f, "invalid config {}", path.display())?;
                if *line > 0 {
                    write!(f, ":{line}:{column}")?;
                }
                if let Some(k) = key {
                    write!(f, " (key `{k}`)")?;
                }
                write!(f, ": {message}")?;
                if let Some(x) = excerpt {
                    write!(f, "\n  {line:>4} | {x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Longest message and source excerpt echoed, in columns: a 30 MB value
/// must not make a 30 MB error.
const MAX_MESSAGE: usize = 300;
const MAX_EXCERPT: usize = 160;

/// Config text is attacker-controlled too (a value may hold `ESC]0;…BEL`):
/// what is echoed to stderr is cleaned and capped.
fn echo(s: &str, max: usize) -> String {
    crate::sanitize::clean_line(s.trim(), max)
}

impl ConfigError {
    pub(super) fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> Self {
        let message = echo(e.message(), MAX_MESSAGE);
        let Some(span) = e.span() else {
            return Self::Invalid {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
                key: None,
                message,
                excerpt: None,
            };
        };
        // A key inside a flattened table (`interval` of `[[alertmanager]]`)
        // is reported at the table's header: find the value's own line.
        let start = quoted_value(e.message())
            .filter(|_| at_header(text, span.start))
            .and_then(|v| value_line_in(text, span.start..table_end(text, span.start), &v))
            .unwrap_or(span.start);
        let (line, column) = line_col(text, start);
        Self::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key: key_at(text, start).map(|k| echo(&k, 120)),
            message,
            excerpt: line_text(text, line),
        }
    }

    /// An error about a dotted key found by validation: point at the line
    /// where its last segment is assigned, if it can be found.
    pub(super) fn locate(path: &Path, text: &str, key: &str, message: String) -> Self {
        let last = key.rsplit('.').next().unwrap_or(key);
        let found = text.lines().enumerate().find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(last).is_some_and(|r| r.trim_start().starts_with('='))
        });
        let (line, column) =
            found.map_or((0, 0), |(i, l)| (i + 1, l.len() - l.trim_start().len() + 1));
        Self::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key: Some(echo(key, 120)),
            message: echo(&message, MAX_MESSAGE),
            excerpt: line_text(text, line),
        }
    }

    /// Like [`ConfigError::locate`], preferring the line that assigns
    /// `key` a value containing `value` (one of several sources).
    pub(super) fn locate_value(
        path: &Path,
        text: &str,
        key: &str,
        value: &str,
        message: String,
    ) -> Self {
        let last = key.rsplit('.').next().unwrap_or(key);
        let found = text.lines().enumerate().find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(last)
                .and_then(|r| r.trim_start().strip_prefix('='))
                .is_some_and(|v| v.contains(value))
        });
        match found {
            Some((i, l)) => Self::Invalid {
                path: path.to_path_buf(),
                line: i + 1,
                column: l.len() - l.trim_start().len() + 1,
                key: Some(echo(key, 120)),
                message: echo(&message, MAX_MESSAGE),
                excerpt: line_text(text, i + 1),
            },
            None => Self::locate(path, text, key, message),
        }
    }
}

/// The first value a serde message quotes: `"…"` (Rust's escaped form,
/// unescaped back) or `` `…` ``.
fn quoted_value(message: &str) -> Option<String> {
    let (open, close) = match (message.find('"'), message.find('`')) {
        (Some(q), Some(b)) if b < q => (b, '`'),
        (Some(q), _) => (q, '"'),
        (None, Some(b)) => (b, '`'),
        (None, None) => return None,
    };
    let rest = &message[open + 1..];
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if close == '"' => out.push(chars.next()?),
            c if c == close => return (!out.is_empty()).then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// Whether the line holding `offset` is a `[table]` or `[[array]]` header.
fn at_header(text: &str, offset: usize) -> bool {
    let (line, _) = line_col(text, offset);
    text.lines().nth(line - 1).is_some_and(|l| l.trim_start().starts_with('['))
}

/// Where the table whose header holds `offset` ends: at the next `[[`
/// header (its `[x.sub]` tables belong to it), else the end of the text.
fn table_end(text: &str, offset: usize) -> usize {
    let from = text.get(offset..).and_then(|t| t.find('\n')).map_or(text.len(), |n| offset + n);
    text.get(from..)
        .and_then(|t| t.find("\n[[").or_else(|| t.find("\n [[")))
        .map_or(text.len(), |n| from + n)
}

/// Offset of the first line in `range` that assigns a value containing
/// `value` (a key line, not a table header).
fn value_line_in(text: &str, range: std::ops::Range<usize>, value: &str) -> Option<usize> {
    let end = range.end.min(text.len());
    let mut offset = range.start.min(end);
    for l in text.get(offset..end)?.split_inclusive('\n') {
        let t = l.trim_start();
        if !t.starts_with('[') && t.split_once('=').is_some_and(|(_, v)| v.contains(value)) {
            return Some(offset + (l.len() - t.len()));
        }
        offset += l.len();
    }
    None
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn line_text(text: &str, line: usize) -> Option<String> {
    if line == 0 {
        return None;
    }
    text.lines().nth(line - 1).map(|l| echo(l, MAX_EXCERPT))
}

/// The dotted key assigned on the line containing `offset`, qualified by the
/// nearest `[table]` header above it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let table = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    if here.starts_with('[') {
        return Some(here.trim_matches(['[', ']']).trim().to_string());
    }
    let key = here.split('=').next()?.trim().trim_matches('"');
    if key.is_empty() {
        return table;
    }
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::ConfigError;

    fn invalid(text: &str) -> ConfigError {
        super::super::parse(text, Path::new("/etc/quell/config.toml")).unwrap_err()
    }

    #[test]
    fn hostile_values_are_echoed_clean_and_short() {
        let text = "[ui]\ntheme = \"x\\u001b]0;PWNTITLE\\u0007\u{1b}]0;PWNED\u{7}\"\n";
        let shown = invalid(text).to_string();
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert!(shown.contains(":2:") && shown.contains("ui.theme"), "{shown}");
        let huge = format!("[ui]\ntheme = \"{}\"\n", "\u{1b}]0;T\u{7}".repeat(5_100_000));
        assert!(huge.len() > 30_000_000);
        let shown = invalid(&huge).to_string();
        assert!(shown.len() < 2_000, "{} bytes", shown.len());
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'));
        // A 30 MB value that parses, quoted back by the duration check.
        let huge = format!(
            "[[alertmanager]]\nname = \"a\"\nurls = [\"http://am\"]\ninterval = \"{}\"\n",
            "9".repeat(30_000_000)
        );
        let shown = invalid(&huge).to_string();
        assert!(shown.len() < 2_000, "{} bytes", shown.len());
        assert!(shown.contains(":4:") && shown.contains("alertmanager.interval"), "{shown}");
    }

    #[test]
    fn a_bad_duration_in_a_source_table_is_located_at_its_own_line() {
        let text = "[ui]\ntheme = \"dark\"\n\n[[alertmanager]]\nname = \"prod\"\n\
                    urls = [\"http://am:9093\"]\ninterval = \"5x\"\n";
        match invalid(text) {
            ConfigError::Invalid { line, key, message, excerpt, .. } => {
                assert_eq!(line, 7, "{message}");
                assert_eq!(key.as_deref(), Some("alertmanager.interval"));
                assert!(message.contains("invalid duration"), "{message}");
                assert_eq!(excerpt.as_deref(), Some("interval = \"5x\""));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn quoted_values_come_back_unescaped() {
        assert_eq!(super::quoted_value(r#"invalid duration "a\"b": x"#).as_deref(), Some("a\"b"));
        assert_eq!(super::quoted_value("unknown variant `foo`, expected").as_deref(), Some("foo"));
        assert_eq!(super::quoted_value("nothing quoted"), None);
    }
}
