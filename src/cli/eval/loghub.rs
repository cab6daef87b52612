//! `quell eval loghub`: Score the log template miner on Loghub-2k data.

use clap::Args;

#[derive(Debug, Args)]
pub struct LoghubArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// # Errors
/// Not implemented yet.
pub fn run(_args: &LoghubArgs) -> anyhow::Result<()> {
    anyhow::bail!("quell eval loghub is not implemented yet")
}
