//! quell: on-call incident triage in the terminal.
//!
//! Data flows one way:
//!
//! ```text
//!  monitoring backends        connectors/  one tokio task per source (or the demo world, sim/)
//!  (Alertmanager, Prometheus,     │ typed `Ingest` events over a bounded channel
//!   demo world)                   ▼
//!                               store/     bounded ring buffers: alerts by fingerprint,
//!                                 │        series, log lines, changes, source health
//!                                 ▼        (owned by the pipeline task, never by the UI)
//!                               engine/    plain functions over the store: correlation →
//!                                 │        incidents, root-cause ranking with evidence
//!                                 ▼ Arc<View> over a watch channel
//!  keys ─► ui::keymap ─► Action ─► app::update(&mut State, Msg) -> Vec<Effect>
//!                                 │                                │
//!                                 ▼                                ▼ run by the tui loop
//!                               ui::render(&State, &Theme)       (quit, refresh, ...)
//! ```
//!
//! `main.rs` only parses arguments; everything else lives here so tests and
//! benchmarks use the same code.

pub mod ack;
pub mod app;
pub mod base;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod encode;
pub mod engine;
pub mod history;
pub mod journal;
pub mod model;
pub mod pipeline;
pub mod runbook;
pub mod sanitize;
pub mod sim;
pub mod store;
pub mod theme;
pub mod tui;
pub mod ui;
