use super::super::testutil::{chain, jittered};
use super::*;
use crate::model::Span;

fn stats(spans: &[Span]) -> CallStats {
    CallStats::of(&spans.iter().collect::<Vec<_>>())
}

fn blamed(ch: &[SpanChange]) -> Vec<&str> {
    let mut v: Vec<&str> = ch.iter().map(SpanChange::blamed).collect();
    v.dedup();
    v
}

#[test]
fn slow_callee_is_blamed_not_its_callers() {
    let base = stats(&jittered(chain(0, 60, 5, 2, 5, 10)));
    // c takes 200 ms instead of 10: a and b wait longer, but only c works longer.
    let win = stats(&jittered(chain(100_000, 30, 5, 2, 5, 200)));
    let ch = changes(&base, &win, 4.0);
    assert_eq!(blamed(&ch), vec!["c"], "{ch:?}");
}

#[test]
fn slow_caller_is_blamed_not_its_callees() {
    let base = stats(&jittered(chain(0, 60, 5, 2, 5, 10)));
    let win = stats(&jittered(chain(100_000, 30, 5, 2, 300, 10)));
    let ch = changes(&base, &win, 4.0);
    assert_eq!(blamed(&ch), vec!["b"], "{ch:?}");
}

#[test]
fn a_slow_wire_blames_the_callee_and_reads_as_evidence() {
    let base = stats(&jittered(chain(0, 60, 5, 2, 5, 10)));
    let win = stats(&jittered(chain(100_000, 30, 5, 400, 5, 10)));
    let ch = changes(&base, &win, 4.0);
    assert_eq!(blamed(&ch), vec!["b"], "{ch:?}");
    let line = ch[0].describe();
    assert!(line.starts_with("calls a→b: wire+queue p99 "), "{line}");
    // Every window call waited 400 ms more: all of them over the normal.
    assert!(line.contains(", 100% over the normal p95 "), "{line}");
    assert!(line.contains("errors 0% → 0%"), "{line}");
}

/// A slow-down found by the share of calls over the normal p95 says so,
/// as its p99 alone may even fall: a few slow outliers in the normal, most
/// window calls a little slower than nearly all of it.
#[test]
fn a_slow_down_says_how_many_calls_were_over_the_normal() {
    let mut base = jittered(chain(0, 60, 5, 2, 5, 10));
    for s in base.iter_mut().filter(|s| &*s.service == "c").take(3) {
        s.duration_us = 400_000;
    }
    let mut win = jittered(chain(100_000, 30, 5, 2, 5, 10));
    for s in win.iter_mut().filter(|s| &*s.service == "c") {
        s.duration_us = 60_000;
    }
    let ch = changes(&stats(&base), &stats(&win), 4.0);
    let own = ch
        .iter()
        .find(|c| c.subject == Subject::Own("c".into()))
        .unwrap_or_else(|| panic!("c's own work in {ch:?}"));
    assert!(own.p99.1 < own.p99.0, "{own:?}");
    let line = own.describe();
    assert!(line.contains(", 100% over the normal p95 "), "{line}");
}

#[test]
fn a_slow_wire_on_a_rarely_seen_call_is_judged_against_every_wire() {
    // a→b is seen a few times in the baseline, too few to know its own
    // gap; x→y, on the same network, often.
    let mut base_spans = jittered(chain(0, 3, 5, 2, 5, 10));
    base_spans.extend(renamed(jittered(chain(50_000, 60, 5, 2, 5, 10)), ["x", "y", "z"]));
    let base = stats(&base_spans);
    assert!(base.calls[&("a".to_string(), "b".to_string())].gap.count() < MIN_BASELINE);
    let win = stats(&jittered(chain(100_000, 8, 5, 900, 5, 10)));
    let ch = changes(&base, &win, 4.0);
    assert_eq!(blamed(&ch), vec!["b"], "{ch:?}");
    // The same window with no wire slower than usual: nothing.
    let calm = stats(&jittered(chain(100_000, 8, 5, 2, 5, 10)));
    assert!(changes(&base, &calm, 4.0).is_empty());
}

/// `n` traces from `t0` where `caller` calls "b" and then "c" through
/// client spans, with `wire_b` and `wire_c` ms on the wire.
fn fan(t0: i64, n: u128, caller: &str, wire_b: u64, wire_c: u64) -> Vec<Span> {
    use super::super::testutil::span;
    let mut out = Vec::new();
    for i in 0..n {
        let start = t0 + i as i64 * 1000;
        let tr = (t0 as u128) << 40 | (u128::from(caller.as_bytes()[0]) << 32) | i;
        out.push(span(tr, 1, None, caller, start, 5 + wire_b + wire_c + 20));
        out.push(span(tr, 2, Some(1), caller, start, wire_b + 10));
        out.push(span(tr, 3, Some(2), "b", start + 1, 10));
        out.push(span(tr, 4, Some(1), caller, start + 20, wire_c + 10));
        out.push(span(tr, 5, Some(4), "c", start + 21, 10));
    }
    jittered(out)
}

fn blame_of(ch: &[SpanChange]) -> Vec<&str> {
    let mut v: Vec<&str> = ch.iter().map(SpanChange::blamed).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn wider_gaps_on_every_call_of_one_caller_blame_the_caller() {
    // a calls b and c; in the window both calls wait 300 ms more
    // between a's client span and the callee's server span: a's side
    // (its egress, or its CPU starved before it reads the answer).
    let base = stats(&fan(0, 60, "a", 2, 2));
    let win = stats(&fan(100_000, 30, "a", 300, 300));
    let ch = changes(&base, &win, 4.0);
    assert_eq!(blame_of(&ch), vec!["a"], "{ch:?}");
    assert!(ch[0].describe().contains("the caller's side"), "{}", ch[0].describe());
    // Only the call to b slower: b's wire, b's doing.
    let win = stats(&fan(100_000, 30, "a", 300, 2));
    assert_eq!(blame_of(&changes(&base, &win, 4.0)), vec!["b"]);
    // Two callers' calls into b slower: still b.
    let mut base_spans = fan(0, 60, "a", 2, 2);
    base_spans.extend(fan(0, 60, "x", 2, 2));
    let mut win_spans = fan(100_000, 30, "a", 300, 2);
    win_spans.extend(fan(100_000, 30, "x", 300, 2));
    let ch = changes(&stats(&base_spans), &stats(&win_spans), 4.0);
    assert_eq!(blame_of(&ch), vec!["b"], "{ch:?}");
}

#[test]
fn a_gap_far_wider_than_the_callers_other_calls_is_the_callees() {
    // a's call to c waits 20 ms more (its side, a little), its call to
    // b 3 s more: far more than a's side explains, so b's own.
    let base = stats(&fan(0, 60, "a", 2, 2));
    let win = stats(&fan(100_000, 30, "a", 3000, 22));
    let ch = changes(&base, &win, 4.0);
    let gap = |to: &str| {
        ch.iter()
            .find(|c| c.subject == Subject::Gap("a".into(), to.into()))
            .unwrap_or_else(|| panic!("a gap to {to} in {ch:?}"))
    };
    assert!(gap("c").z >= SIGNIFICANT_Z, "{ch:?}");
    assert_eq!(gap("b").blamed(), "b", "{ch:?}");
    assert_eq!(gap("c").blamed(), "a", "{ch:?}");
    // Both about as much wider: a's side, both.
    let win = stats(&fan(100_000, 30, "a", 3000, 1600));
    assert_eq!(blame_of(&changes(&base, &win, 4.0)), vec!["a"]);
}

fn renamed(mut spans: Vec<Span>, to: [&str; 3]) -> Vec<Span> {
    for s in &mut spans {
        s.service = match &*s.service {
            "a" => to[0].into(),
            "b" => to[1].into(),
            _ => to[2].into(),
        };
    }
    spans
}

#[test]
fn failures_of_a_call_blame_the_callee() {
    let base = stats(&jittered(chain(0, 60, 5, 2, 5, 10)));
    let mut w = jittered(chain(100_000, 30, 5, 2, 5, 10));
    for s in w.iter_mut().filter(|s| &*s.service == "c").take(10) {
        s.error = true;
    }
    let ch = changes(&base, &stats(&w), 4.0);
    assert_eq!(blamed(&ch), vec!["c"], "{ch:?}");
    assert!(ch[0].describe().contains("errors 0% → 33%"), "{}", ch[0].describe());
}

#[test]
fn a_flat_quantized_baseline_does_not_make_noise_a_shift() {
    // Every baseline span takes exactly the same time; the window too.
    let base = stats(&chain(0, 60, 5, 2, 5, 10));
    let win = stats(&chain(100_000, 30, 5, 2, 5, 10));
    assert!(changes(&base, &win, 4.0).is_empty());
}
