//! Connectors: the tasks that bring data into the pipeline.
//!
//! Each connector owns its polling loop (interval, timeout, backoff) and
//! delivers typed [`crate::store::Ingest`] events; none of them touches UI
//! state. For now the only one is the embedded demo world; Alertmanager and
//! Prometheus connectors plug in beside it.

pub mod demo;
pub mod logs;
