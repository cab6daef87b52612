//! `quell eval scenarios`: Run the demo world's scenario library and score correlation and root causes.

use clap::Args;

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// # Errors
/// Not implemented yet.
pub fn run(_args: &ScenariosArgs) -> anyhow::Result<()> {
    anyhow::bail!("quell eval scenarios is not implemented yet")
}
