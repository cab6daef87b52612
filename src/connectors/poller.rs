//! The polling discipline every real connector shares: when an endpoint is
//! due (interval with jitter, exponential backoff with jitter after
//! failures), and what its health is after each attempt.
//!
//! One [`Endpoint`] per URL, driven by exactly one loop, so there are never
//! two requests in flight to one endpoint. Auth failures stop polling until
//! [`Endpoint::retry`] (the user asked for it): no lockout loop.
//! No I/O here; time is passed in, so the rules are tested without sleeping.

use std::time::{Duration, Instant};

use crate::model::{SourceStatus, UnixMs};

use super::http::FetchError;

/// Longest wait between attempts while a source is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Small deterministic PRNG (xorshift64*) for jitter; seeded per endpoint so
/// replicas do not poll in lockstep.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    #[must_use]
    pub fn seeded(seed: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self(crate::base::Fnv1a::salted(u64::from(nanos)).bytes(seed.as_bytes()).finish() | 1)
    }

    /// Uniform in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `d` scaled by a factor in [1 - spread, 1 + spread).
    pub fn spread(&mut self, d: Duration, spread: f64) -> Duration {
        d.mul_f64(1.0 - spread + 2.0 * spread * self.next_unit())
    }
}

/// Delay before the next attempt after `failures` consecutive failures:
/// interval × 2^(failures-1), capped, with "equal jitter" (half fixed, half random).
#[must_use]
pub fn backoff(interval: Duration, failures: u32, jitter: &mut Jitter) -> Duration {
    let capped =
        crate::base::backoff(interval, failures.saturating_sub(1), MAX_BACKOFF.max(interval));
    capped / 2 + (capped / 2).mul_f64(jitter.next_unit())
}

/// How long a source waits before its next cycle: its interval with ±10 %
/// jitter, or less when a failing endpoint's backoff ends first.
pub fn next_wait<'a>(
    interval: Duration,
    jitter: &mut Jitter,
    endpoints: impl IntoIterator<Item = &'a Endpoint>,
) -> Duration {
    let interval = jitter.spread(interval, 0.1);
    let now = Instant::now();
    endpoints
        .into_iter()
        .filter(|e| !e.status.is_healthy())
        .filter_map(Endpoint::next_at)
        .map(|t| t.saturating_duration_since(now))
        .fold(interval, Duration::min)
}

/// One polled URL and what is known about its health.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub status: SourceStatus,
    pub last_ok: Option<UnixMs>,
    failures: u32,
    down_since: Option<UnixMs>,
    next_at: Instant,
    stopped: bool,
    jitter: Jitter,
}

impl Endpoint {
    #[must_use]
    pub fn new(url: String, now: Instant) -> Self {
        let jitter = Jitter::seeded(&url);
        Self {
            url,
            status: SourceStatus::Starting,
            last_ok: None,
            failures: 0,
            down_since: None,
            next_at: now,
            stopped: false,
            jitter,
        }
    }

    /// Whether to poll now. Stopped endpoints (auth failed) never are.
    #[must_use]
    pub fn is_due(&self, now: Instant) -> bool {
        !self.stopped && now >= self.next_at
    }

    #[must_use]
    pub fn next_at(&self) -> Option<Instant> {
        (!self.stopped).then_some(self.next_at)
    }

    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Its last attempt failed (it has been tried and is not healthy).
    #[must_use]
    pub fn is_failing(&self) -> bool {
        self.status != SourceStatus::Starting && !self.status.is_healthy()
    }

    /// Not tried yet.
    #[must_use]
    pub fn is_starting(&self) -> bool {
        self.status == SourceStatus::Starting
    }

    /// A successful poll that took `elapsed`; `warnings` from the API make it partial.
    pub fn succeeded(
        &mut self,
        now: Instant,
        now_ms: UnixMs,
        elapsed: Duration,
        slow_after: Duration,
        warnings: Vec<String>,
    ) {
        self.failures = 0;
        self.down_since = None;
        self.last_ok = Some(now_ms);
        self.status = if !warnings.is_empty() {
            SourceStatus::Partial { warnings }
        } else if elapsed > slow_after {
            SourceStatus::Slow { millis: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX) }
        } else {
            SourceStatus::Ok
        };
        // The owner paces healthy polls (one interval per cycle for all
        // replicas of a cluster); only failures push the next attempt out.
        self.next_at = now;
    }

    /// A failed poll. Auth failures stop polling; others back off.
    pub fn failed(&mut self, now: Instant, now_ms: UnixMs, err: &FetchError, interval: Duration) {
        self.failures = self.failures.saturating_add(1);
        let since = *self.down_since.get_or_insert(now_ms);
        self.status = status_of(err, since, self.failures);
        if matches!(err, FetchError::Auth { .. }) {
            self.stopped = true;
            tracing::warn!(url = %self.url, "credentials rejected; polling stopped until retry");
            return;
        }
        self.next_at = now + backoff(interval, self.failures, &mut self.jitter);
    }

    /// The user asked to try again (after fixing credentials, say).
    pub fn retry(&mut self, now: Instant) {
        self.stopped = false;
        self.next_at = now;
    }
}

/// The health state a failure means.
#[must_use]
pub fn status_of(err: &FetchError, since: UnixMs, attempts: u32) -> SourceStatus {
    match err {
        FetchError::Auth { status, message } => {
            SourceStatus::AuthFailed { reason: format!("HTTP {status}: {message}") }
        }
        FetchError::Tls(reason) => SourceStatus::Tls { reason: reason.clone() },
        FetchError::TooLarge(limit) => SourceStatus::TooLarge { limit_bytes: *limit },
        FetchError::Bad { excerpt } => SourceStatus::BadResponse { excerpt: excerpt.clone() },
        FetchError::Status { status, message } if *status < 500 => {
            SourceStatus::BadResponse { excerpt: format!("HTTP {status}: {message}") }
        }
        FetchError::Down(_) | FetchError::Timeout(_) | FetchError::Status { .. } => {
            SourceStatus::Down { since, attempts, reason: err.to_string() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let mut j = Jitter::seeded("x");
        let i = Duration::from_secs(10);
        let first = backoff(i, 1, &mut j);
        assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10), "{first:?}");
        let fourth = backoff(i, 4, &mut j);
        assert!(
            fourth >= Duration::from_secs(40) && fourth <= Duration::from_secs(80),
            "{fourth:?}"
        );
        let many = backoff(i, 40, &mut j);
        assert!(many <= MAX_BACKOFF && many >= MAX_BACKOFF / 2, "{many:?}");
        let a: Vec<Duration> = (0..5).map(|_| backoff(i, 3, &mut j)).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]), "jittered: {a:?}");
    }

    #[test]
    fn down_counts_attempts_since_first_failure_and_recovers() {
        let t0 = Instant::now();
        let mut e = Endpoint::new("http://a".into(), t0);
        let i = Duration::from_secs(1);
        e.failed(t0, 1_000, &FetchError::Down("refused".into()), i);
        e.failed(t0, 2_000, &FetchError::Timeout(i), i);
        match &e.status {
            SourceStatus::Down { since, attempts, .. } => {
                assert_eq!((*since, *attempts), (1_000, 2))
            }
            s => panic!("{s:?}"),
        }
        assert!(!e.is_due(t0), "backs off");
        e.succeeded(t0, 3_000, Duration::from_millis(10), i, vec![]);
        assert_eq!(e.status, SourceStatus::Ok);
        assert_eq!(e.last_ok, Some(3_000));
        e.succeeded(t0, 4_000, Duration::from_secs(3), i, vec![]);
        assert!(matches!(e.status, SourceStatus::Slow { millis: 3000 }));
    }

    #[test]
    fn auth_failure_stops_polling_until_retry() {
        let t0 = Instant::now();
        let mut e = Endpoint::new("http://a".into(), t0);
        let err = FetchError::Auth { status: 401, message: "Unauthorized".into() };
        e.failed(t0, 0, &err, Duration::from_secs(1));
        assert!(matches!(e.status, SourceStatus::AuthFailed { .. }));
        assert!(!e.is_due(t0 + Duration::from_secs(3600)));
        e.retry(t0);
        assert!(e.is_due(t0));
    }
}
