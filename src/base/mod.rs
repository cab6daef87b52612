//! Shared primitives every layer may use: human durations, quell's
//! directories, atomic file writes, a stable hash, retry backoff and cutting
//! text on a character boundary.
//!
//! The bottom of the module graph: it imports nothing from the crate, so
//! anything may depend on it. It must not know about alerts, incidents,
//! configuration files or the terminal.

mod backoff;
mod duration;
mod file;
mod hash;
pub mod paths;
mod text;

pub use backoff::backoff;
pub use duration::HumanDuration;
pub use file::{write_atomic, write_atomic_mode};
pub use hash::{Fnv1a, fnv1a};
pub use text::cut;
