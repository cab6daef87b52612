//! Template-level log evidence for root-cause candidates and incident
//! timelines.
//!
//! After [`crate::engine::rca::rank`] has scored the candidates, each one
//! whose service shows new or spiking warning/error templates in the
//! incident's window gets a line of evidence naming them ("2 new error
//! templates in payments since 02:14: ...") and a small score bonus, and the
//! incident's timeline gets one marker per such template. The bonus is
//! small on purpose: log patterns confirm a suspect, they rarely name one
//! on their own.

use crate::model::{
    Evidence, Incident, LogLevel, TimelineEntry, TimelineKind, UnixMs, format_clock,
};

use std::collections::HashMap;

use super::miner::TemplateId;
use super::patterns::{Finding, FindingKind, LogPatterns};

/// Look-back before the incident start, as in root-cause ranking.
const LOOKBACK_MS: i64 = 10 * 60_000;
/// Score added per new or spiking error template, and its cap.
const BONUS_PER_TEMPLATE: f64 = 0.03;
const MAX_BONUS: f64 = 0.06;
/// Timeline markers added per incident.
const MAX_MARKERS: usize = 5;
/// Characters of template text quoted in evidence: enough for a whole
/// template of any real log line (the screen cuts it in the middle, `v`
/// reads it whole), bounded so one hostile line cannot bloat every view.
const QUOTE_CHARS: usize = 1024;

/// Adds log-pattern evidence, bonus and timeline markers to a ranked incident.
pub fn annotate(inc: &mut Incident, patterns: &LogPatterns, baseline_ms: i64, now: UnixMs) {
    let end = inc.resolved_at.unwrap_or(now).max(inc.started_at);
    let window = (inc.started_at - LOOKBACK_MS, end);
    let base = (window.0 - baseline_ms, window.0);
    let mut markers: Vec<TimelineEntry> = Vec::new();
    let per_cause: Vec<Vec<Finding>> = inc
        .root_causes
        .iter()
        .map(|rc| {
            patterns
                .findings(&rc.service, base, window)
                .into_iter()
                .filter(|f| matches!(f.level, LogLevel::Error | LogLevel::Warn))
                .collect()
        })
        .collect();
    // A template that appears on several suspects at once ("upstream request
    // failed") is a symptom travelling along calls, not a cause: it is shown
    // but earns no bonus.
    let mut spread: HashMap<TemplateId, usize> = HashMap::new();
    for f in per_cause.iter().flatten() {
        *spread.entry(f.template).or_default() += 1;
    }
    for (rc, notable) in inc.root_causes.iter_mut().zip(per_cause) {
        if notable.is_empty() {
            continue;
        }
        for kind in [FindingKind::New, FindingKind::Spike] {
            let of_kind: Vec<&Finding> = notable.iter().filter(|f| f.kind == kind).collect();
            let Some(first) = of_kind.first() else { continue };
            let since =
                of_kind.iter().map(|f| f.first_seen.max(window.0)).min().unwrap_or(window.0);
            let errors = of_kind.iter().filter(|f| f.level == LogLevel::Error).count();
            let own_errors = of_kind
                .iter()
                .filter(|f| f.level == LogLevel::Error && spread.get(&f.template) == Some(&1))
                .count();
            let what = if errors == of_kind.len() { "error" } else { "warning/error" };
            let text = match kind {
                FindingKind::New => format!(
                    "{} new {what} log template(s) in {} since {}: \"{}\"",
                    of_kind.len(),
                    rc.service,
                    format_clock(since),
                    quote(&first.text)
                ),
                FindingKind::Spike => format!(
                    "{} {what} log template(s) spiking in {} ({} lines vs {:.1}/min before): \"{}\"",
                    of_kind.len(),
                    rc.service,
                    first.count,
                    first.baseline_per_min,
                    quote(&first.text)
                ),
            };
            rc.evidence.push(Evidence { ts: since, text });
            #[allow(clippy::cast_precision_loss)]
            let bonus = (own_errors as f64 * BONUS_PER_TEMPLATE).min(MAX_BONUS);
            rc.score += bonus;
        }
        for f in notable.iter().filter(|f| f.kind == FindingKind::New) {
            markers.push(TimelineEntry {
                ts: f.first_seen,
                kind: TimelineKind::Anomaly,
                text: format!("new log pattern in {}: {}", f.service, quote(&f.text)),
            });
        }
    }
    inc.root_causes.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.service.cmp(&b.service)));
    markers.sort_by_key(|m| m.ts);
    for m in markers.into_iter().take(MAX_MARKERS) {
        // Re-ranking runs repeatedly: add each marker once.
        if !inc.timeline.iter().any(|e| e.kind == m.kind && e.text == m.text) {
            let pos = inc.timeline.partition_point(|e| e.ts <= m.ts);
            inc.timeline.insert(pos, m);
        }
    }
}

fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(QUOTE_CHARS).collect();
    if s.chars().nth(QUOTE_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{QUOTE_CHARS, quote};

    #[test]
    fn a_template_is_quoted_whole_up_to_the_bound() {
        let long = format!("ERROR upstream failed {} reset_reason=<*> status=<*>", "x".repeat(300));
        assert_eq!(quote(&long), long, "a long real template is kept whole");
        let huge = "y".repeat(QUOTE_CHARS * 4);
        let q = quote(&huge);
        assert_eq!(q.chars().count(), QUOTE_CHARS + 1);
        assert!(q.ends_with('…'));
    }
}
