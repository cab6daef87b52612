//! Sets of time intervals `[from, to)`: baselines with faults cut out,
//! windows merged.

use super::UnixMs;

/// `t` lies in one of `v`'s intervals.
#[must_use]
pub fn contains(v: &[(UnixMs, UnixMs)], t: UnixMs) -> bool {
    v.iter().any(|(a, b)| t >= *a && t < *b)
}

/// `[from, to)` less the `cuts`, as ordered intervals.
#[must_use]
pub fn minus(from: UnixMs, to: UnixMs, cuts: &[(UnixMs, UnixMs)]) -> Vec<(UnixMs, UnixMs)> {
    let mut cuts: Vec<(UnixMs, UnixMs)> =
        cuts.iter().copied().filter(|(a, b)| *b > from && *a < to).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = from;
    for (a, b) in cuts {
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
    }
    if at < to {
        out.push((at, to));
    }
    out
}

/// Overlapping intervals merged, so no instant counts twice.
#[must_use]
pub fn union(mut v: Vec<(UnixMs, UnixMs)>) -> Vec<(UnixMs, UnixMs)> {
    v.sort_unstable();
    let mut out: Vec<(UnixMs, UnixMs)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}
