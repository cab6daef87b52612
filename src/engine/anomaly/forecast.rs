//! Time to breach: when will a trending series cross its threshold?
//!
//! A least-squares line over the recent samples, extrapolated to the
//! threshold. The band comes from the slope's standard error (±2 SE): a
//! flat or noisy trend gives a wide band, or none at all when the slow end
//! of the band never reaches the threshold. Pure function, O(samples).

use crate::model::{Sample, UnixMs};

/// Fewest samples a forecast is made from.
const MIN_SAMPLES: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// Expected time of the breach.
    pub eta: UnixMs,
    /// Earliest plausible breach (fast end of the band).
    pub earliest: UnixMs,
    /// Latest plausible breach; `None` when the slow end never gets there.
    pub latest: Option<UnixMs>,
    pub threshold: f64,
}

/// Forecasts when `samples` (oldest first) rise to `threshold`. `None`
/// without a rising trend, with too few samples, or when already breached.
#[must_use]
pub fn time_to_breach(samples: &[Sample], threshold: f64) -> Option<Breach> {
    let n = samples.len();
    if n < MIN_SAMPLES {
        return None;
    }
    let t0 = samples[0].ts;
    let nf = n as f64;
    let ts: Vec<f64> = samples.iter().map(|s| (s.ts - t0) as f64).collect();
    let mean_t = ts.iter().sum::<f64>() / nf;
    let mean_v = samples.iter().map(|s| s.value).sum::<f64>() / nf;
    let sxx: f64 = ts.iter().map(|t| (t - mean_t).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = ts.iter().zip(samples).map(|(t, s)| (t - mean_t) * (s.value - mean_v)).sum();
    let slope = sxy / sxx;
    let icpt = mean_v - slope * mean_t;
    let sse: f64 = ts.iter().zip(samples).map(|(t, s)| (s.value - icpt - slope * t).powi(2)).sum();
    let se = (sse / (nf - 2.0) / sxx).sqrt();
    let now = ts[n - 1];
    let level = icpt + slope * now;
    if slope <= 0.0 || level >= threshold || !slope.is_finite() {
        return None;
    }
    let at = |b: f64| (b > 0.0).then(|| t0 + (now + (threshold - level) / b) as i64);
    Some(Breach {
        eta: at(slope)?,
        earliest: at(slope + 2.0 * se)?,
        latest: at(slope - 2.0 * se),
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: impl Iterator<Item = f64>) -> Vec<Sample> {
        values.enumerate().map(|(i, value)| Sample { ts: i as i64 * 60_000, value }).collect()
    }

    #[test]
    fn a_steady_climb_breaches_on_schedule() {
        // 50% rising 1 point a minute for 30 minutes.
        let s = series((0..31).map(|i| 50.0 + f64::from(i)));
        let f = time_to_breach(&s, 100.0).expect("rising");
        // 80% now (minute 30), 20 points to go at 1/min: minute 50.
        assert_eq!(f.eta, 50 * 60_000);
        assert!(f.earliest <= f.eta && f.latest.is_some_and(|l| l >= f.eta));
    }

    #[test]
    fn noise_widens_the_band() {
        let wobble = |i: i32| if i % 2 == 0 { 3.0 } else { -3.0 };
        let s = series((0..31).map(|i| 50.0 + 0.5 * f64::from(i) + wobble(i)));
        let f = time_to_breach(&s, 100.0).expect("rising");
        assert!(f.earliest < f.eta);
        assert!(f.latest.is_none_or(|l| l - f.eta > 10 * 60_000), "{f:?}");
    }

    #[test]
    fn flat_falling_or_short_series_have_no_forecast() {
        assert!(time_to_breach(&series((0..30).map(|_| 50.0)), 100.0).is_none());
        assert!(time_to_breach(&series((0..30).map(|i| 90.0 - f64::from(i))), 100.0).is_none());
        assert!(time_to_breach(&series((0..5).map(f64::from)), 100.0).is_none());
        assert!(time_to_breach(&series((0..30).map(|i| 95.0 + f64::from(i))), 100.0).is_none());
    }
}
