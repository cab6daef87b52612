//! Throughput and memory of the streaming anomaly detector.
//!
//! `cargo bench --bench anomaly` prints samples per second for one series
//! on one core (target ≥ 1,000,000/s) and the memory one series' detector
//! state takes (stack size plus its heap table, and measured RSS growth for
//! 10,000 series).

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

fn main() {
    throughput();
    memory();
}
