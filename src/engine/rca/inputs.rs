//! What ranking reads besides the series: recent changes, error-log rates,
//! and which services are reachable through a chain of troubled ones.

use std::collections::BTreeSet;

use crate::model::{ChangeEvent, ChangeKind, Topology, UnixMs};

use super::super::deviation::SeriesIndex;

pub(super) struct LogSignal {
    pub(super) since: UnixMs,
    pub(super) count: usize,
    pub(super) baseline_per_min: f64,
    pub(super) example: String,
}

/// Services reachable from `from` (included) by following calls through
/// services in `troubled` only.
pub(super) fn troubled_reach<'a>(
    topo: &'a Topology,
    from: &[&'a str],
    troubled: &BTreeSet<&str>,
    max_depth: usize,
) -> BTreeSet<&'a str> {
    let mut seen: BTreeSet<&str> = from.iter().copied().collect();
    let mut frontier: Vec<&str> = from.to_vec();
    let mut depth = 0;
    while !frontier.is_empty() && depth < max_depth {
        let mut next = Vec::new();
        for s in frontier {
            for d in topo.callees(s) {
                if troubled.contains(d) && seen.insert(d) {
                    next.push(d);
                }
            }
        }
        frontier = next;
        depth += 1;
    }
    seen
}

/// The latest deploy/config change (or, failing that, restart) on `service` in `[from, to]`.
pub(super) fn recent_change(
    index: &SeriesIndex<'_>,
    service: &str,
    from: UnixMs,
    to: UnixMs,
) -> Option<ChangeEvent> {
    let mut best: Option<(u8, &ChangeEvent)> = None;
    for c in index.changes(service).iter().rev() {
        if c.ts < from || c.ts > to {
            continue;
        }
        let rank = if c.kind == ChangeKind::Restart { 0 } else { 1 };
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, c));
        }
    }
    best.map(|(_, c)| c.clone())
}

/// Error lines on `service` in the window, when clearly above the baseline rate.
pub(super) fn log_signal(
    index: &SeriesIndex<'_>,
    service: &str,
    base: (UnixMs, UnixMs),
    window: (UnixMs, UnixMs),
) -> Option<LogSignal> {
    let mut base_count = 0usize;
    let mut count = 0usize;
    let mut first: Option<(UnixMs, &str)> = None;
    for l in index.errors(service) {
        if l.ts >= base.0 && l.ts < base.1 {
            base_count += 1;
        } else if l.ts >= window.0 && l.ts <= window.1 {
            count += 1;
            if first.is_none() {
                first = Some((l.ts, &l.line));
            }
        }
    }
    let base_min = ((base.1 - base.0) as f64 / 60_000.0).max(1.0);
    let win_min = ((window.1 - window.0) as f64 / 60_000.0).max(1.0);
    let base_rate = base_count as f64 / base_min;
    let (since, example) = first?;
    (count >= 3 && count as f64 / win_min > 3.0 * base_rate + 0.2).then(|| LogSignal {
        since,
        count,
        baseline_per_min: base_rate,
        example: example.chars().take(80).collect(),
    })
}
