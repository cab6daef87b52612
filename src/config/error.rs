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

impl ConfigError {
    pub(super) fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> Self {
        let message = e.message().trim().to_string();
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
        let (line, column) = line_col(text, span.start);
        Self::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key: key_at(text, span.start),
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
            key: Some(key.to_string()),
            message,
            excerpt: line_text(text, line),
        }
    }
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
    text.lines().nth(line - 1).map(|l| l.chars().take(160).collect())
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
