//! `quell snapshot` with configured sources: one poll cycle of every source
//! through the live joiner and pipeline, on a short-lived runtime.

use anyhow::Context;

use crate::config::Config;
use crate::model::View;

/// Polls every source once and returns the view.
///
/// # Errors
/// The runtime cannot start, or a secret/certificate file is unreadable.
pub fn view(cfg: &Config) -> anyhow::Result<View> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let view =
        runtime.block_on(crate::driver::live::snapshot(cfg)).context("setting up sources")?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(view)
}
