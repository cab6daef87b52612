//! `quell eval nab`: Score the anomaly detectors on a dataset in NAB layout.

use clap::Args;

#[derive(Debug, Args)]
pub struct NabArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// # Errors
/// Not implemented yet.
pub fn run(_args: &NabArgs) -> anyhow::Result<()> {
    anyhow::bail!("quell eval nab is not implemented yet")
}
