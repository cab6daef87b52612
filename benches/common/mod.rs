//! Helpers shared by the benchmark harnesses (each bench is its own crate,
//! so they include this file as a module).

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

/// The fastest of `runs` timings: the least disturbed by a busy machine.
pub fn best_of<F: FnMut() -> Duration>(runs: usize, mut f: F) -> Duration {
    (0..runs).map(|_| f()).min().unwrap()
}

/// Resident memory of this process in KiB (0 where /proc is unavailable).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
