//! Template miner benchmark: throughput on Loghub lines and memory with many
//! templates. `cargo bench --bench logs`.
//!
//! Lines come from `../shared/data/loghub/<System>/<System>_2k.log` (the raw
//! lines, headers included) when present, and from a synthetic generator.
//! Each figure is the best of 5 rounds, in wall time and in the bench
//! thread's CPU time (on a shared machine the second is what the miner
//! costs), with the load average printed beside it. Memory is measured with
//! a counting global allocator, so the number is exact and needs no OS
//! support.
//!
//! Measured 2026-11-23 on the shared 2-core box under load (load average ~6,
//! other builds running), one thread: Loghub raw lines (9 systems, headers
//! included) 1.20 M lines/s; synthetic lines 1.98 M lines/s; 10,000
//! templates held in 7.1 MiB. Reference Python Drain: ~10 k lines/s.
//! 2026-12-04, with the token kinds of `token.rs` (load average 3–6): raw
//! lines 1.24 M lines/s, synthetic 2.21 M lines/s, 7.10 MiB. 2026-12-04
//! 15:32–16:11, with the byte-class table of `scan.rs`: raw lines 1.54–1.63
//! M lines per CPU second in 12 of 14 runs (1.24, 1.00 in two), wall
//! 1.12–1.60 M lines/s at load 3.8–4.6 and 0.77–0.80 at load 6; 7.36 MiB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use quell::engine::logs::{Miner, MinerConfig};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn loghub_lines() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/loghub");
    let Ok(rd) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut lines = Vec::new();
    let mut systems: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    systems.sort();
    for sys in systems {
        let Some(name) = sys.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        let raw = sys.join(format!("{name}_2k.log"));
        if let Ok(text) = std::fs::read_to_string(&raw) {
            lines.extend(text.lines().map(str::to_string));
        }
    }
    lines
}

fn synthetic(n: usize, templates: usize) -> Vec<String> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // A template is four words spelt from its number (letters only, so the
    // masker keeps them); lines add a duration, an address and an id.
    let word = |t: usize, k: usize| -> String {
        let mut v = (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(k as u32 * 16);
        (0..6)
            .map(|_| {
                let c = char::from(b'a' + u8::try_from(v % 26).unwrap_or(0));
                v /= 26;
                c
            })
            .collect()
    };
    (0..n)
        .map(|_| {
            let t = usize::try_from(next() % templates as u64).unwrap_or(0);
            format!(
                "{} {} {} {} took {}ms from 10.0.{}.{} id={:x}",
                word(t, 0),
                word(t, 1),
                word(t, 2),
                word(t, 3),
                next() % 900,
                next() % 256,
                next() % 256,
                next()
            )
        })
        .collect()
}

/// CPU time this thread has run, from the kernel's scheduler statistics
/// (Linux); `None` elsewhere. On a shared machine wall time counts the time
/// other processes held the core; CPU time is what the miner cost.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    #[allow(clippy::cast_precision_loss)]
    Some(ns as f64 / 1e9)
}

/// The 1-minute load average, written next to every figure.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn throughput(name: &str, lines: &[String], rounds: usize) {
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut templates = 0;
    let load_before = load();
    for _ in 0..rounds {
        let mut m = Miner::new(MinerConfig::default());
        let c0 = thread_cpu();
        let t0 = Instant::now();
        for l in lines {
            std::hint::black_box(m.add(l));
        }
        best = best.min(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            best_cpu = best_cpu.min(b - a);
        }
        templates = m.len();
    }
    #[allow(clippy::cast_precision_loss)]
    let n = lines.len() as f64;
    let cpu = if best_cpu.is_finite() {
        format!("; CPU {:.1} ms, {:.2} M lines per CPU second", best_cpu * 1e3, n / best_cpu / 1e6)
    } else {
        String::new()
    };
    eprintln!(
        "{name}: {} lines, {templates} templates, best of {rounds}: {:.1} ms, {:.2} M lines/s{cpu} \
         (load average {load_before} before, {} after)",
        lines.len(),
        best * 1e3,
        n / best / 1e6,
        load()
    );
}

fn main() {
    let real = loghub_lines();
    if real.is_empty() {
        eprintln!("loghub data not found; synthetic lines only");
    } else {
        // Repeat the corpus so a run is long enough to time; templates are
        // re-matched, as in a live stream.
        let many: Vec<String> = real.iter().cycle().take(real.len() * 20).cloned().collect();
        throughput("loghub raw lines x20", &many, 5);
    }
    throughput("synthetic (200 templates)", &synthetic(400_000, 200), 5);

    let lines = synthetic(200_000, 10_000);
    let before = LIVE.load(Ordering::Relaxed);
    let mut m = Miner::new(MinerConfig { max_templates: 10_000, ..MinerConfig::default() });
    for l in &lines {
        m.add(l);
    }
    let bytes = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    #[allow(clippy::cast_precision_loss)]
    let mib = bytes as f64 / (1024.0 * 1024.0);
    eprintln!("memory: {} templates held ({} evicted): {mib:.2} MiB live", m.len(), m.evicted());
    std::hint::black_box(&m);
}
