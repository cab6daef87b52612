//! Log patterns: template mining over the log stream and what changed in it.
//!
//! - [`mask`] turns a line into tokens with generic variables masked;
//!   [`token`] recognises values without digits by their shape; [`scan`]
//!   classifies bytes (one table) and splits a line into tokens.
//! - [`miner`] assigns each line to a template online (Drain-like), with
//!   content-derived ids and bounded memory.
//! - [`patterns`] counts templates per service over time and finds new and
//!   spiking ones; [`evidence`] turns those into root-cause evidence.
//! - [`persist`] saves and restores the template table (atomic writes).
//!
//! Plain Rust over plain data: no tokio, no terminal, no I/O except the
//! explicit persistence helpers.

pub mod choices;
pub mod evidence;
pub mod mask;
pub mod miner;
pub mod patterns;
pub mod persist;
pub mod scan;
pub mod token;
pub mod view;

#[cfg(test)]
mod kinds_tests;

pub use miner::{Miner, MinerConfig, Template, TemplateId};
pub use patterns::{Finding, FindingKind, LogPatterns, PatternStats};
