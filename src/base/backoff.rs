//! Exponential backoff: the one growth rule for "wait longer after each
//! failure" (polling a down source, retrying a silence write). Callers add
//! jitter on top where many clients could retry in lockstep.

use std::time::Duration;

/// `base` × 2^`step`, at most `cap`. Saturating: huge steps or bases give
/// `cap`, never an overflow.
#[must_use]
pub fn backoff(base: Duration, step: u32, cap: Duration) -> Duration {
    base.saturating_mul(1u32 << step.min(16)).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_per_step_up_to_the_cap() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(5), 0, s(300)), s(5));
        assert_eq!(backoff(s(5), 1, s(300)), s(10));
        assert_eq!(backoff(s(5), 5, s(300)), s(160));
        assert_eq!(backoff(s(5), 6, s(300)), s(300));
        assert_eq!(backoff(s(5), u32::MAX, s(300)), s(300));
        assert_eq!(backoff(Duration::MAX, 3, s(300)), s(300));
    }
}
