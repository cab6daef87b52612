//! Throughput and memory of the store and engine, without a terminal.
//!
//! `cargo bench --bench pipeline` prints one line per measurement; the
//! numbers in the README's performance section come from here. A harness of
//! our own (best of several runs) keeps the build lean.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::cast_precision_loss)]

mod common;

use common::{best_of, rss_kib};
use std::hint::black_box;
use std::time::{Duration, Instant};

use quell::engine::{Engine, EngineConfig};
use quell::model::{
    Alert, AlertState, Fingerprint, Labels, Sample, SeriesKey, SeriesMeta, Signal, Topology,
};
use quell::store::{Ingest, Store, StoreLimits};

fn store_ingest() {
    let series = 1_000usize;
    let per_batch = 100usize;
    let batches = 20usize;
    let metas: Vec<(SeriesKey, SeriesMeta)> = (0..series)
        .map(|i| {
            let mut labels = Labels::new();
            labels.insert("service".into(), format!("svc{i}"));
            (
                SeriesKey::of("latency", &labels),
                SeriesMeta {
                    labels,
                    service: Some(format!("svc{i}")),
                    signal: Signal::LatencyP99,
                    unit: "s".into(),
                },
            )
        })
        .collect();
    let events: Vec<Ingest> = (0..batches)
        .flat_map(|b| {
            metas.iter().map(move |(k, m)| Ingest::Samples {
                key: k.clone(),
                meta: m.clone(),
                samples: (0..per_batch)
                    .map(|j| Sample { ts: ((b * per_batch + j) * 15_000) as i64, value: j as f64 })
                    .collect(),
            })
        })
        .collect();
    let total = (series * per_batch * batches) as f64;
    let t = best_of(3, || {
        let evs = events.clone();
        let mut store = Store::new(StoreLimits::default());
        let start = Instant::now();
        for ev in evs {
            store.apply(ev);
        }
        let d = start.elapsed();
        black_box(store.sample_count());
        d
    });
    println!(
        "store ingest: {:.2} M samples/s ({} samples into {} series of cap 720, best of 3: {:.1} ms)",
        total / t.as_secs_f64() / 1e6,
        total,
        series,
        t.as_secs_f64() * 1e3
    );
}

fn alert(i: usize, start: i64) -> Alert {
    let mut labels = Labels::new();
    labels.insert("alertname".into(), format!("Alert{}", i % 20));
    labels.insert("service".into(), format!("svc{}", i / 10));
    labels.insert("instance".into(), format!("svc{}-{}:9100", i / 10, i % 10));
    labels.insert("severity".into(), if i % 7 == 0 { "critical" } else { "warning" }.into());
    Alert::new("bench", labels, AlertState::Firing, start)
}

fn engine_pass() {
    // 10,000 alerts on 1,000 services in chains of 10: 1,000 incidents.
    let mut topo = Topology::new();
    for s in 0..1_000 {
        if s % 10 != 9 {
            topo.add_edge(&format!("svc{s}"), &format!("svc{}", s + 1));
        }
    }
    let alerts: Vec<Alert> =
        (0..10_000).map(|i| alert(i, 1_000_000 + (i as i64 / 100) * 1_000)).collect();
    let mut first = Duration::ZERO;
    let mut quiet = Duration::ZERO;
    let t = best_of(3, || {
        let mut store = Store::new(StoreLimits::default());
        store.apply(Ingest::AlertPoll {
            source: "bench".into(),
            at: 2_000_000,
            alerts: alerts.clone(),
        });
        let mut engine = Engine::new(EngineConfig::default(), topo.clone());
        let start = Instant::now();
        let incs = engine.update(&store, 2_000_000);
        first = start.elapsed();
        black_box(incs.len());
        let start = Instant::now();
        black_box(engine.update(&store, 2_001_000).len());
        quiet = start.elapsed();
        let start = Instant::now();
        black_box(engine.update(&store, 2_016_000).len());
        start.elapsed()
    });
    println!(
        "engine (10,000 alerts, 1,000 incidents): first pass {:.1} ms; pass with nothing new {:.2} ms; pass re-ranking all open incidents {:.2} ms",
        first.as_secs_f64() * 1e3,
        quiet.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e3
    );
}

/// The demo world through the whole pipeline (store, engine, view) for
/// simulated hours, reporting resident memory: it must plateau.
fn demo_memory() {
    use quell::pipeline::Pipeline;
    use quell::sim::{self, World};
    let mut world = World::demo(1, 1_767_240_000_000);
    let mut pipe = Pipeline::new(StoreLimits::default(), EngineConfig::default(), world.topology());
    let steps_per_hour = 3_600_000 / sim::STEP_MS as usize;
    let start = Instant::now();
    let mut report = Vec::new();
    for hour in 1..=24 {
        for _ in 0..steps_per_hour {
            pipe.ingest_all(world.step());
            black_box(pipe.analyze(world.now()).incidents.len());
        }
        if [1, 6, 12, 24].contains(&hour) {
            report.push(format!("{hour}h: {} MiB", rss_kib() / 1024));
        }
    }
    let per_step = start.elapsed().as_secs_f64() * 1e3 / (24 * steps_per_hour) as f64;
    println!(
        "demo world, 24 simulated hours through store+engine+view: RSS {} (series {}, samples {}, alerts {}); {:.2} ms per 15 s step",
        report.join(", "),
        pipe.store().series_count(),
        pipe.store().sample_count(),
        pipe.store().alert_count(),
        per_step
    );
}

/// Issue-level targets: a 100,000-alert storm, an incremental pass at
/// 10,000 active alerts, and ranking one incident over 500 services.
fn engine_targets(only: &str) {
    if only.is_empty() || only == "storm" {
        engine_storm();
    }
    if only.is_empty() || only == "incremental" {
        engine_incremental();
    }
    if only.is_empty() || only == "rank" {
        engine_rank();
    }
    if only == "storm-profile" {
        engine_storm_profile();
    }
}

/// For profilers only (not part of the default run): the storm's first
/// pass repeated on fresh engines over one store, with nothing else timed
/// or freed in between, so samples land in `Engine::update`.
fn engine_storm_profile() {
    let (topo, storm) = storm_world();
    let mut store = Store::new(StoreLimits { max_alerts: 200_000, ..StoreLimits::default() });
    store.apply(Ingest::AlertPoll { source: "bench".into(), at: 2_000_000, alerts: storm });
    let runs: usize =
        std::env::var("QUELL_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let cfg = EngineConfig { max_incidents: 20_000, ..EngineConfig::default() };
    let mut engines: Vec<Engine> =
        (0..runs).map(|_| Engine::new(cfg.clone(), topo.clone())).collect();
    let mut kept = Vec::with_capacity(runs);
    let mut times = Vec::with_capacity(runs);
    for e in &mut engines {
        let start = Instant::now();
        kept.push(e.update(&store, 2_000_000));
        times.push(start.elapsed());
    }
    let ms: Vec<String> = times.iter().map(|t| format!("{:.0}", t.as_secs_f64() * 1e3)).collect();
    println!("engine: storm profile runs (ms): {}", ms.join(" "));
    // Freeing is not what is being profiled.
    std::mem::forget(kept);
    std::mem::forget(engines);
}

/// 100,000 alerts over 10,000 services in chains of 10.
fn storm_world() -> (Topology, Vec<Alert>) {
    let mut topo = Topology::new();
    for s in 0..10_000 {
        if s % 10 != 9 {
            topo.add_edge(&format!("svc{s}"), &format!("svc{}", s + 1));
        }
    }
    let storm: Vec<Alert> =
        (0..100_000).map(|i| alert(i, 1_000_000 + (i as i64 % 600) * 1_000)).collect();
    (topo, storm)
}

fn engine_storm() {
    let (topo, storm) = storm_world();
    let t = best_of(3, || {
        let mut store = Store::new(StoreLimits { max_alerts: 200_000, ..StoreLimits::default() });
        store.apply(Ingest::AlertPoll {
            source: "bench".into(),
            at: 2_000_000,
            alerts: storm.clone(),
        });
        let mut engine = Engine::new(
            EngineConfig { max_incidents: 20_000, ..EngineConfig::default() },
            topo.clone(),
        );
        let start = Instant::now();
        black_box(engine.update(&store, 2_000_000).len());
        start.elapsed()
    });
    println!(
        "engine: storm of 100,000 new alerts (10,000 services): {:.0} ms (target <= 200 ms)",
        t.as_secs_f64() * 1e3
    );
    // Numbering the call graph happens when the engine gets the topology
    // (not in a pass): timed here so the storm figure hides nothing.
    let cfg = EngineConfig { max_incidents: 20_000, ..EngineConfig::default() };
    let t = best_of(3, || {
        let start = Instant::now();
        black_box(Engine::new(cfg.clone(), topo.clone()));
        start.elapsed()
    });
    println!(
        "engine: taking a topology of 10,000 services (call graph numbering): {:.1} ms",
        t.as_secs_f64() * 1e3
    );
}

fn engine_incremental() {
    // Incremental: 10,000 active alerts, one new alert arrives.
    let topo10: Topology = {
        let mut t = Topology::new();
        for s in 0..1_000 {
            if s % 10 != 9 {
                t.add_edge(&format!("svc{s}"), &format!("svc{}", s + 1));
            }
        }
        t
    };
    let base: Vec<Alert> =
        (0..10_000).map(|i| alert(i, 1_000_000 + (i as i64 % 600) * 1_000)).collect();
    let mut store = Store::new(StoreLimits::default());
    store.apply(Ingest::AlertPoll { source: "bench".into(), at: 2_000_000, alerts: base.clone() });
    let mut engine = Engine::new(EngineConfig::default(), topo10);
    black_box(engine.update(&store, 2_000_000).len());
    let mut n = 0;
    let t = best_of(20, || {
        n += 1;
        let mut more = base.clone();
        let mut extra = alert(20_000 + n, 2_000_000 + n as i64 * 1_000);
        extra.labels.insert("alertname".into(), format!("New{n}"));
        extra.fingerprint = Fingerprint::of_labels(&extra.labels);
        more.push(extra);
        store.apply(Ingest::AlertPoll {
            source: "bench".into(),
            at: 2_000_000 + n as i64 * 1_000,
            alerts: more,
        });
        let start = Instant::now();
        black_box(engine.update(&store, 2_000_000 + n as i64 * 1_000).len());
        start.elapsed()
    });
    println!(
        "engine: incremental pass, 1 new alert at 10,000 active: {:.2} ms (target <= 5 ms)",
        t.as_secs_f64() * 1e3
    );
}

fn engine_rank() {
    // Ranking one incident that touches 500 services, with series for each.
    let mut topo = Topology::new();
    for s in 1..500 {
        topo.add_edge(&format!("svc{}", (s - 1) / 3), &format!("svc{s}"));
    }
    let mut store = Store::new(StoreLimits::default());
    for s in 0..500 {
        let mut labels = Labels::new();
        labels.insert("service".into(), format!("svc{s}"));
        let samples = (0..240)
            .map(|k| Sample {
                ts: k * 15_000,
                value: if k > 200 && s % 7 == 0 { 9.0 } else { 1.0 + (k % 5) as f64 * 0.01 },
            })
            .collect();
        store.apply(Ingest::Samples {
            key: SeriesKey::of("lat", &labels),
            meta: SeriesMeta {
                labels,
                service: Some(format!("svc{s}")),
                signal: Signal::LatencyP99,
                unit: "s".into(),
            },
            samples,
        });
    }
    let alerts: Vec<Alert> = (0..500)
        .map(|s| {
            let mut a = alert(s, 201 * 15_000);
            a.labels.insert("service".into(), format!("svc{s}"));
            a.fingerprint = Fingerprint::of_labels(&a.labels);
            a
        })
        .collect();
    store.apply(Ingest::AlertPoll { source: "bench".into(), at: 202 * 15_000, alerts });
    let t = best_of(3, || {
        let mut engine = Engine::new(EngineConfig::default(), topo.clone());
        let start = Instant::now();
        let incs = engine.update(&store, 202 * 15_000);
        let d = start.elapsed();
        black_box(incs.len());
        d
    });
    println!(
        "engine: correlate + rank an incident over 500 services: {:.1} ms (target <= 50 ms)",
        t.as_secs_f64() * 1e3
    );
}

fn main() {
    // `QUELL_BENCH=engine` runs only the engine targets (for profilers);
    // `engine:storm`, `engine:incremental` or `engine:rank` only that one.
    if let Ok(v) = std::env::var("QUELL_BENCH") {
        if let Some(rest) = v.strip_prefix("engine") {
            engine_targets(rest.trim_start_matches(':'));
            return;
        }
    }
    let before = rss_kib();
    demo_memory();
    store_ingest();
    engine_pass();
    engine_targets("");
    println!("rss after benches: {} MiB (start {} MiB)", rss_kib() / 1024, before / 1024);
}
