//! Absence: the usual spikes have not come for longer than ever before.
//!
//! A series that bursts every so often (disk writes, CPU spikes, request
//! peaks) has a typical gap between bursts. When a gap grows longer than the
//! longest gap the series has shown (a slowly decaying record of completed
//! gaps, see [`super::record`]), the bursts are *missing*: a stalled job, a
//! dead writer, traffic routed elsewhere. Nothing in the samples themselves
//! is extreme, so the measures on values cannot see it.
//!
//! A burst is a sample far from the slow baseline (in robust scales). The
//! measure reports once per gap, when the gap first beats the record, and
//! only after the series has shown enough gaps for the record to mean
//! something. O(1) time, a few numbers of memory.

use super::record::Record;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overdue {
    /// Samples since the last burst.
    since: u32,
    /// Record of completed gaps.
    gaps: Record,
    /// Whether the current gap has already been reported.
    fired: bool,
    /// Whether a burst has been seen at all.
    started: bool,
}

impl Overdue {
    /// `decay` is applied to the record once per completed gap.
    #[must_use]
    pub fn new(decay: f64) -> Self {
        Self { since: 0, gaps: Record::new(decay), fired: false, started: false }
    }

    /// Feeds one sample: `burst` says whether it is a burst. Returns `true`
    /// once per gap, on the sample where the gap beats the record by
    /// `margin` (after at least `min_gaps` completed gaps).
    pub fn update(&mut self, burst: bool, min_gaps: u32, margin: f64) -> bool {
        if burst {
            if self.started && self.since > 0 {
                self.gaps.update(f64::from(self.since));
            }
            self.started = true;
            self.since = 0;
            self.fired = false;
            return false;
        }
        if !self.started {
            return false;
        }
        self.since = self.since.saturating_add(1);
        let late = self.gaps.count() >= min_gaps
            && !self.fired
            && self.gaps.ratio(f64::from(self.since)) > margin;
        if late {
            self.fired = true;
        }
        late
    }
}
