//! Runbooks: approved remediation scripts offered for matching incidents.
//!
//! This module owns the declaration of runbooks and which alerts they apply
//! to (`matcher`), and running them safely:
//!
//! * `expand` turns `{label.x}` placeholders into argv elements and env
//!   values, one placeholder value never becoming more than one element,
//!   and refuses values that fail validation;
//! * `integrity` checks ownership and permissions of the script, its
//!   directories and the config file, hashes the opened file and hands out
//!   an image that executes exactly the bytes that were hashed;
//! * `exec` spawns without a shell in its own process group, streams
//!   sanitized output, enforces timeout and kill;
//! * `audit` appends one synced JSON line per refusal, start and finish.
//!
//! Nothing in here draws or knows about the TUI; the TUI's `runner` drives it.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
use crate::model::Labels;

pub mod audit;
pub mod demo;
pub mod exec;
pub mod expand;
pub mod integrity;
pub mod matcher;
mod output;
pub mod run;
mod tree;

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

/// How a run uses the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// stdin is /dev/null; output streams into the output pane.
    #[default]
    Capture,
    /// The script gets the terminal; the TUI comes back when it exits.
    Interactive,
}

/// Default `timeout` of a run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default `max_output`: bytes of output shown and hashed before truncating.
pub const DEFAULT_MAX_OUTPUT: usize = 1 << 20;

fn default_timeout() -> HumanDuration {
    HumanDuration(DEFAULT_TIMEOUT)
}

fn default_max_output() -> usize {
    DEFAULT_MAX_OUTPUT
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
    /// Marked dangerous in the pane; typed confirmation in the demo's.
    #[serde(default)]
    pub dangerous: bool,
    /// It changes nothing (it only reads or shows), so `--read-only` may
    /// run it. Every other runbook is refused in read-only mode.
    #[serde(default)]
    pub read_only_safe: bool,
    /// Extra environment, values may hold placeholders (one value each).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The run is stopped (SIGTERM, then SIGKILL) after this long.
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Bytes of output kept; the rest is counted and hashed, not shown.
    #[serde(default = "default_max_output")]
    pub max_output: usize,
    /// When set, the dialog offers a dry run with these args first.
    #[serde(default)]
    pub dry_run_args: Option<Vec<String>>,
    /// Refuse unless the incident is acknowledged.
    #[serde(default)]
    pub requires_ack: bool,
    #[serde(default)]
    pub mode: RunMode,
    /// Placeholder (`label.instance`) → regex its value must match fully,
    /// replacing the default check.
    #[serde(default)]
    pub validate: BTreeMap<String, String>,
    /// The file that declared it (config.toml or `runbooks/NAME.toml`),
    /// ownership-checked before every run. Set by `config::load`.
    #[serde(skip)]
    pub source: Option<std::path::PathBuf>,
    /// The main config file in force when it was loaded, also
    /// ownership-checked before every run: a runbook declared in
    /// `runbooks/NAME.toml` runs with that config's sources, keys and
    /// settings too. Set by `config::load`.
    #[serde(skip)]
    pub config_file: Option<std::path::PathBuf>,
    /// Matchers compiled once, on first use (regex compilation is costly
    /// and `applies_to` runs for every alert on every frame).
    #[serde(skip)]
    compiled: Compiled,
}

/// Whether `s` is a sha256 written as 64 hex digits.
#[must_use]
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
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
    /// A runbook with every optional field at its default.
    #[must_use]
    pub fn declared(id: &str, title: &str, path: &str, sha256: &str) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            path: path.into(),
            sha256: sha256.into(),
            args: Vec::new(),
            matchers: Vec::new(),
            key: None,
            confirm: Confirm::Yes,
            dangerous: false,
            read_only_safe: false,
            env: BTreeMap::new(),
            timeout: default_timeout(),
            max_output: DEFAULT_MAX_OUTPUT,
            dry_run_args: None,
            requires_ack: false,
            mode: RunMode::Capture,
            validate: BTreeMap::new(),
            source: None,
            config_file: None,
            compiled: Compiled::default(),
        }
    }

    /// Load-time checks beyond the matchers: an absolute path, a sha256 in
    /// hex, templates that parse. Returns (field, message).
    ///
    /// # Errors
    /// The first problem, naming the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let id = &self.id;
        if !std::path::Path::new(&self.path).is_absolute() {
            return Err(("path", format!("runbook {id:?}: path must be absolute")));
        }
        if !is_sha256_hex(&self.sha256) {
            return Err(("sha256", format!("runbook {id:?}: sha256 must be 64 hex digits")));
        }
        if self.timeout.0.is_zero() {
            return Err(("timeout", format!("runbook {id:?}: timeout must be above 0")));
        }
        expand::Templates::new(self).map_err(|e| ("args", format!("runbook {id:?}: {e}")))?;
        Ok(())
    }
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
