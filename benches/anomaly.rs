//! Throughput and memory of the streaming anomaly detector.
//!
//! `cargo bench --bench anomaly` prints samples per second for one series
//! on one core (target ≥ 1,000,000/s) and the memory one series' detector
//! state takes (stack size plus its heap table, and measured RSS growth for
//! 10,000 series).
//!
//! `cargo bench --bench anomaly -- live` (also run by default) measures the
//! false alarms of the live pipeline in the demo world: anomalies raised in
//! the scored part of the clean two-hour warm-up (seeds 1–3; every series is
//! fault-free then), and suspected incidents that appear outside every
//! fault's time (from five minutes before its start to five minutes after
//! its end) over one hour after the warm-up (seeds 1–8).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::cast_precision_loss)]

mod common;

use common::{best_of, rss_kib};
use std::hint::black_box;
use std::time::Instant;

use quell::engine::anomaly::Detector;

/// Sample spacing: five minutes, as in NAB's series.
const STEP_MS: i64 = 300_000;

/// A daily-ish wave with noise and occasional spikes, from a tiny LCG so the
/// bench needs no dependency.
fn signal(n: usize) -> Vec<f64> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|i| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
            let spike = if i % 997 == 0 { 20.0 } else { 0.0 };
            50.0 + 10.0 * (i as f64 * std::f64::consts::TAU / 288.0).sin() + 4.0 * noise + spike
        })
        .collect()
}

fn throughput() {
    let xs = signal(2_000_000);
    let t = best_of(5, || {
        let mut d = Detector::default();
        let start = Instant::now();
        let mut acc = 0.0;
        for (i, &x) in xs.iter().enumerate() {
            acc += d.observe_at(black_box(i as i64 * STEP_MS), black_box(x)).score;
        }
        black_box(acc);
        start.elapsed()
    });
    let rate = xs.len() as f64 / t.as_secs_f64();
    println!(
        "anomaly/ensemble: {} samples in {:.1} ms = {:.2} M samples/s (one core)",
        xs.len(),
        t.as_secs_f64() * 1e3,
        rate / 1e6
    );
}

fn memory() {
    let stack = std::mem::size_of::<Detector>();
    let n = 10_000usize;
    let xs = signal(400);
    let before = rss_kib();
    let mut ds: Vec<Detector> = (0..n).map(|_| Detector::default()).collect();
    for d in &mut ds {
        for (i, &x) in xs.iter().enumerate() {
            d.observe_at(i as i64 * STEP_MS, x);
        }
    }
    let after = rss_kib();
    black_box(&ds);
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    println!(
        "anomaly/memory: size_of::<Detector>() = {stack} B; measured {per:.0} B per series over {n} series"
    );
}

/// Fixed start (2026-01-01T04:00Z), as `quell snapshot` uses.
const DEMO_START: i64 = 1_767_240_000_000;

fn live() {
    use quell::engine::EngineConfig;
    use quell::pipeline::Pipeline;
    use quell::sim::{DEMO_WARMUP_STEPS, STEP_MS as SIM_STEP, World};
    use quell::store::StoreLimits;
    use std::collections::BTreeSet;

    let hour = usize::try_from(3_600_000 / SIM_STEP).unwrap();
    for seed in 1..=8u64 {
        let mut world = World::demo(seed, DEMO_START);
        let mut pipe =
            Pipeline::new(StoreLimits::default(), EngineConfig::default(), world.topology());
        // Anomalies seen in any view, by (series, time): each pass's new ones
        // are far fewer than the view's cap.
        let mut clean: BTreeSet<(String, i64)> = BTreeSet::new();
        let mut strong = 0usize;
        // The detectors' warm-up at the demo's 15-second step: anomalies
        // before it ends come from the small-sample early test.
        let warmup = EngineConfig::default().detector.warmup.count(Some(SIM_STEP)) as usize;
        let warm_at = world.now() + warmup as i64 * SIM_STEP;
        let (mut early, mut early_strong) = (0usize, 0usize);
        let mut suspects: Vec<(String, i64)> = Vec::new();
        for step in 0..DEMO_WARMUP_STEPS + hour {
            pipe.ingest_all(world.step());
            let view = pipe.analyze(world.now());
            if step < DEMO_WARMUP_STEPS {
                for a in &view.anomalies {
                    if !clean.insert((format!("{:?}", a.series), a.ts)) {
                        continue;
                    }
                    if a.ts < warm_at {
                        early += 1;
                        early_strong += usize::from(a.score >= 0.8);
                    } else if a.score >= 0.8 {
                        strong += 1;
                    }
                }
            }
            for i in &view.incidents {
                if i.id.is_suspected() && !suspects.iter().any(|(id, _)| *id == i.id.0) {
                    suspects.push((i.id.0.clone(), i.started_at));
                }
            }
        }
        let truth = world.ground_truth();
        let grace = 300_000;
        let outside = suspects
            .iter()
            .filter(|(_, t)| !truth.iter().any(|f| f.start - grace <= *t && *t <= f.end + grace))
            .count();
        let early_min = warmup as f64 * SIM_STEP as f64 / 60_000.0;
        let scored_min = (DEMO_WARMUP_STEPS - warmup) as f64 * SIM_STEP as f64 / 60_000.0;
        let clean_part = if seed <= 3 {
            format!(
                "{} anomalies ({strong} with score >= 0.8) in the {scored_min:.0} scored clean minutes, \
                 {early} ({early_strong}) in the {early_min:.0} minutes before the warm-up ended; ",
                clean.len() - early
            )
        } else {
            String::new()
        };
        println!(
            "anomaly/live seed {seed}: {clean_part}{} suspected incidents in the hour after, {outside} outside every fault",
            suspects.len()
        );
    }
}

fn main() {
    let only_live = std::env::args().any(|a| a == "live");
    if !only_live {
        throughput();
        memory();
    }
    live();
}
