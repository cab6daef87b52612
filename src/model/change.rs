//! Changes to the system: deploys, config changes, restarts.

use serde::{Deserialize, Serialize};

use super::UnixMs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Deploy,
    Config,
    Restart,
    Scale,
}

impl ChangeKind {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Config => "config change",
            Self::Restart => "restart",
            Self::Scale => "scale",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub ts: UnixMs,
    pub service: String,
    pub kind: ChangeKind,
    /// e.g. `v2.14.1 -> v2.15.0`
    pub description: String,
}
