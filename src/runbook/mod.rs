//! Runbooks: approved remediation scripts offered for matching incidents.
//!
//! This module owns the declaration of runbooks and which alerts they apply
//! to. Running them (integrity checks, argv without a shell, audit) is built
//! on top of this; nothing here executes anything.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::Labels;

pub mod demo;
pub mod matcher;

pub use matcher::{MatchOp, Matcher, MatcherError};

/// How the operator confirms a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirm {
    /// Press `y`.
    #[default]
    Yes,
    /// Type the target's name.
    Typed,
}

/// One approved runbook as declared in config (`[[runbook]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Absolute path of the script.
    #[serde(default)]
    pub path: String,
    /// Hex sha256 of the script; required before anything can run.
    #[serde(default)]
    pub sha256: String,
    /// Literal strings and `{label.x}` placeholders, each one argv element.
    #[serde(default)]
    pub args: Vec<String>,
    /// Alertmanager-style matchers, e.g. `service=~"payments|postgres"`. All must hold.
    #[serde(default, rename = "match")]
    pub matchers: Vec<String>,
    /// The key that runs it (`1`–`9`); assigned in order when absent.
    #[serde(default)]
    pub key: Option<char>,
    #[serde(default)]
    pub confirm: Confirm,
    /// Hidden in `--read-only`.
    #[serde(default)]
    pub dangerous: bool,
    /// Matchers compiled once, on first use (regex compilation is costly
    /// and `applies_to` runs for every alert on every frame).
    #[serde(skip)]
    compiled: Compiled,
}

#[derive(Debug, Clone, Default)]
struct Compiled(OnceLock<Result<Vec<Matcher>, MatcherError>>);

/// A cache, not data: two runbooks are equal whatever their caches hold.
impl PartialEq for Compiled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Runbook {
    /// Parsed matchers; an invalid one is a config error reported at load time.
    ///
    /// # Errors
    /// The first matcher that does not parse.
    pub fn parsed_matchers(&self) -> Result<&[Matcher], MatcherError> {
        self.compiled
            .0
            .get_or_init(|| self.matchers.iter().map(|m| Matcher::parse(m)).collect())
            .as_deref()
            .map_err(Clone::clone)
    }

    /// Whether this runbook is offered for an alert with these labels.
    #[must_use]
    pub fn applies_to(&self, labels: &Labels) -> bool {
        self.parsed_matchers().is_ok_and(|ms| ms.iter().all(|m| m.matches(labels)))
    }
}
