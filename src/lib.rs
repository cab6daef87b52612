//! quell: on-call incident triage in the terminal.
//!
//! Data flows one way; every path back up is a typed channel into the one
//! pipeline driver (`driver/`), drawn here:
//!
//! ```text
//!  monitoring backends      connectors/  one tokio task per source ──┐ Event (mpsc)
//!  demo world (sim/)        driver::demo steps it ────────────────────┤
//!  a recording              driver::replay reads it ──────────────────┤
//!                                                                      ▼
//!                           driver/  the ONE pipeline task: Joiner → pipeline::Pipeline
//!                              │       store/   bounded ring buffers (alerts, series, logs,
//!                              │                changes, source health, acks)
//!                              │       engine/  plain functions over the store: correlation,
//!                              │                anomalies, log patterns, root-cause ranking
//!                              │     bursts coalesced, one engine pass off the loop
//!                              ├──► Arc<View> (watch) ─────────────────────────────┐
//!                              └──► Loki focus (watch) ─► connectors::logs::loki   │
//!                                                                                  ▼
//!  keys ─► keymap ─► Action ─► app::update(&mut State, Msg) -> Vec<Effect> ◄── Msg::View
//!                                │                             │ run by the tui loop; each
//!                                ▼                             │ result comes back as a Msg
//!                              ui::render(&State, &Theme)      ├─ ack/silence ─► ack writer ─► Alertmanager
//!                                                              │     └─ Ingest::Acks (mpsc) ─► driver
//!                                                              ├─ merge/split ─► Operator (mpsc) ─► driver
//!                                                              ├─ retry ─► watch ─► every source task
//!                                                              └─ runbooks, clipboard, export, bell
//! ```
//!
//! Below all of it: `base/` (durations, data-dir paths, atomic writes),
//! `model/` (plain domain types), `sanitize` (everything from outside is
//! cleaned before it is shown or written). `config/` only aggregates the
//! features' settings; `cli/` and `tui/` wire it all together.
//!
//! Modules are layered; each imports only modules below it
//! (`tests/architecture.rs` fails on a cycle):
//!
//! ```text
//!  cli, tui                  entry points: arguments, the terminal and its loop
//!  driver                    the one pipeline task and its feeds (demo, live, replay)
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
pub mod driver;
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
