//! Log patterns: template mining over the log stream and what changed in it.
//!
//! - [`mask`] turns a line into tokens with generic variables masked.
//! - [`miner`] assigns each line to a template online (Drain-like), with
//!   content-derived ids and bounded memory.
//!
//! Plain Rust over plain data: no tokio, no terminal, no I/O except the
//! explicit persistence helpers.

pub mod choices;
pub mod mask;
pub mod miner;

pub use miner::{Miner, MinerConfig, Template, TemplateId};
