//! One runbook per file: `runbooks/*.toml` beside the config file (by
//! default `<config dir>/runbooks/`), each holding the keys of one
//! `[[runbook]]` table at top level. Files load in name order after the
//! config file's own runbooks; every error names the file, line and key.
//!
//! Each runbook remembers the file that declared it, so the executor can
//! apply the ownership checks to that file before every run.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError};
use crate::runbook::Runbook;

/// The runbook directory that goes with a config file path.
#[must_use]
pub fn dir_beside(config_file: &Path) -> Option<PathBuf> {
    config_file.parent().map(|d| d.join("runbooks"))
}

/// Appends the runbooks of `dir` (absent: nothing to do).
///
/// # Errors
/// An unreadable dir or file, TOML errors, duplicate ids, invalid values.
pub fn load(config: &mut Config, dir: &Path) -> Result<(), ConfigError> {
    let io = |path: &Path, e: &std::io::Error| ConfigError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir, &e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, &e))?;
        let mut rb: Runbook =
            toml::from_str(&text).map_err(|e| ConfigError::from_toml(&path, &text, &e))?;
        if config.runbooks.iter().any(|r| r.id == rb.id) {
            let message = format!("duplicate runbook id {:?}", rb.id);
            return Err(ConfigError::locate(&path, &text, "id", message));
        }
        rb.parsed_matchers().map_err(|e| {
            ConfigError::locate(&path, &text, "match", format!("runbook {:?}: {e}", rb.id))
        })?;
        rb.check().map_err(|(field, m)| ConfigError::locate(&path, &text, field, m))?;
        rb.source = Some(path);
        config.runbooks.push(rb);
    }
    Ok(())
}
