//! Where quell keeps files: the platform data dir (history, audit log, ack
//! records, template tables, logs) and the config dir (config file, themes).
//! Only path computation; nothing here creates or reads files.

use std::path::PathBuf;

/// `$XDG_CONFIG_HOME/quell` or `~/.config/quell`.
#[must_use]
pub fn config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".config")))?;
    Some(base.join("quell"))
}

/// Platform data dir for history, audit log and ack state.
#[must_use]
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "quell").map(|p| p.data_dir().to_path_buf())
}
