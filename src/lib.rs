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
//!  keys ─► app::keymap ─► Action ─► app::update(&mut State, Msg) -> Vec<Effect>
//!                                 │                                │
//!                                 ▼                                ▼ run by the tui loop
//!                               ui::render(&State, &Theme)       (quit, refresh, ...)
//! ```
//!
//! Modules are layered; each imports only modules below it
//! (`tests/architecture.rs` fails on a cycle):
//!
//! ```text
//!  cli, tui                  entry points: arguments, the terminal and its loop
//!  config                    the whole config file: aggregates the sections below
//!  ui                        render(&State, &Theme); answers navigation (ui::MEASURE)
//!  app                       State, Msg, Action, update; app::keymap (keys → Actions)
//!  runbook, ack              runbooks and their audit; the silence (ack) writer
//!  connectors                backends, connectors::settings (their config), templates
//!  pipeline                  store + engine + history for one stream of events
//!  history, journal, sim     data-dir records; the demo world
//!  engine                    pure analysis over the store (no files, no config)
//!  store, theme, sanitize    bounded buffers; theme files; the one sanitizer
//!  model                     domain types shared by everything above
//!  base                      durations, dirs, atomic writes, FNV-1a, backoff
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
