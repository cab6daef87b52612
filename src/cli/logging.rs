//! Diagnostics go to a file in the data dir, never to the terminal the TUI owns.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Starts file logging (`QUELL_LOG` sets the filter, default `info`). Failure
/// to open the file only means no log; it is not an error for the user.
pub fn init() -> Option<std::path::PathBuf> {
    let dir = crate::config::data_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("quell.log");
    let file = OpenOptions::new().create(true).append(true).open(&path).ok()?;
    let filter = EnvFilter::try_from_env("QUELL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init()
        .ok()?;
    Some(path)
}
