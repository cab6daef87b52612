//! Fixture builders for engine tests: a small shop topology, series with a
//! baseline and a shift, and alerts.

use crate::model::{
    Alert, AlertState, Labels, Sample, SeriesKey, SeriesMeta, Signal, Topology, UnixMs,
};
use crate::store::{Ingest, Store, StoreLimits};

pub const STEP: i64 = 15_000;
pub const T0: UnixMs = 1_700_000_000_000;

pub fn shop() -> Topology {
    Topology::from_edges([
        ("frontend", "checkout"),
        ("checkout", "payments"),
        ("payments", "postgres"),
        ("frontend", "cart"),
        ("cart", "redis"),
        ("reports", "warehouse"),
    ])
}

pub fn alert(name: &str, service: &str, severity: &str, starts_at: UnixMs) -> Alert {
    let mut labels = Labels::new();
    labels.insert("alertname".into(), name.into());
    labels.insert("service".into(), service.into());
    labels.insert("severity".into(), severity.into());
    labels.insert("cluster".into(), "eu1".into());
    Alert::new("test", labels, AlertState::Firing, starts_at)
}

/// 200 steps of a latency series that is flat-ish at `base` and jumps to
/// `shifted` from step `shift_at` (if any).
pub fn latency(store: &mut Store, service: &str, base: f64, shift: Option<(usize, f64)>) {
    latency_of(store, service, None, base, shift);
}

/// [`latency`] of one instance of `service` (`instance` label) when given.
pub fn latency_of(
    store: &mut Store,
    service: &str,
    instance: Option<&str>,
    base: f64,
    shift: Option<(usize, f64)>,
) {
    let mut labels = Labels::new();
    labels.insert("service".into(), service.into());
    if let Some(i) = instance {
        labels.insert("instance".into(), i.into());
    }
    let key = SeriesKey::of("p99", &labels);
    let meta = SeriesMeta {
        labels,
        service: Some(service.into()),
        signal: Signal::LatencyP99,
        unit: "s".into(),
    };
    let samples = (0..200)
        .map(|i| {
            let wobble = 1.0 + 0.02 * (((i * 7) % 5) as f64 - 2.0);
            let v = match shift {
                Some((at, high)) if i >= at => high,
                _ => base * wobble,
            };
            Sample { ts: T0 + i as i64 * STEP, value: v }
        })
        .collect();
    store.apply(Ingest::Samples { key, meta, samples });
}

pub fn store() -> Store {
    Store::new(StoreLimits::default())
}

pub fn poll(store: &mut Store, at: UnixMs, alerts: Vec<Alert>) {
    store.apply(Ingest::AlertPoll { source: "test".into(), at, alerts });
}

pub fn at(step: usize) -> UnixMs {
    T0 + step as i64 * STEP
}
