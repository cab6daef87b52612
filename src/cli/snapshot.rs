//! `quell snapshot` (being wired to the demo world).
use crate::config::Loaded;

use super::SnapshotArgs;

pub fn run(_loaded: &Loaded, _args: &SnapshotArgs) -> anyhow::Result<()> {
    anyhow::bail!("snapshot: not wired yet")
}
