//! Per-incident Loki queries: while an incident is open, each Loki source
//! also reads the lines of that incident's services (and of its suspected
//! causes), from shortly before the incident began, with one `query_range`
//! of its own per incident — so the log evidence of an incident does not
//! depend on the configured stream selector happening to cover its services.
//!
//! Owns: which incidents are followed ([`from_view`]), the LogQL for one
//! ([`incident_query`], where service names — attacker-controlled label
//! values — are escaped twice, for RE2 and for a LogQL string), and the
//! bounded memory of lines already delivered ([`Seen`]) that keeps a line
//! read by two queries from being counted twice. No I/O.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::model::{IncidentState, UnixMs, View};

/// Incidents followed at once, most recently started first: each costs
/// one more request per poll.
pub const MAX_FOCUS: usize = 8;
/// Services per incident query.
pub const MAX_SERVICES: usize = 16;
/// Placeholder in `incident_query` replaced by the services' regex.
pub const PLACEHOLDER: &str = "$services";
/// Longest service name put into a query.
const MAX_NAME: usize = 253;

/// One open incident whose services' lines are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFocus {
    pub incident: String,
    /// Sorted, deduplicated.
    pub services: Vec<String>,
    pub started_at: UnixMs,
}

/// The incidents to follow in a view: the open ones (quiet ones too: their
/// logs still explain them), newest first, each with its services and the
/// services of its top three suspected causes.
#[must_use]
pub fn from_view(view: &View) -> Vec<LogFocus> {
    let mut open: Vec<_> =
        view.incidents.iter().filter(|i| i.state != IncidentState::Resolved).collect();
    open.sort_by(|a, b| b.started_at.cmp(&a.started_at).then_with(|| a.id.0.cmp(&b.id.0)));
    open.into_iter()
        .filter_map(|i| {
            let mut services: Vec<String> = i
                .services
                .iter()
                .chain(i.root_causes.iter().take(3).map(|c| &c.service))
                .filter(|s| usable(s))
                .cloned()
                .collect();
            services.sort();
            services.dedup();
            services.truncate(MAX_SERVICES);
            (!services.is_empty()).then(|| LogFocus {
                incident: i.id.0.clone(),
                services,
                started_at: i.started_at,
            })
        })
        .take(MAX_FOCUS)
        .collect()
}

/// A name that can be matched: not empty, not absurdly long, no control
/// characters (no Loki label value carries them; a NUL would end the query).
fn usable(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && !name.chars().any(char::is_control)
}

/// The LogQL for one incident: `template` with [`PLACEHOLDER`] replaced by
/// an anchored alternation of the services (Loki anchors `=~` itself), or,
/// without a template, `{label=~"a|b"}`.
///
/// Each name is regex-escaped (so `a.b` matches only `a.b`, and `|` or `)`
/// in a label cannot widen the match), then the whole pattern is escaped as
/// the inside of a double-quoted LogQL string (`\` and `"`), so no name can
/// close the string and add a matcher or a pipeline stage.
#[must_use]
pub fn incident_query(template: Option<&str>, label: &str, services: &[String]) -> String {
    let alternation: Vec<String> = services.iter().map(|s| regex::escape(s)).collect();
    let pattern = logql_string(&alternation.join("|"));
    match template {
        Some(t) => t.replace(PLACEHOLDER, &pattern),
        None => format!("{{{label}=~\"{pattern}\"}}"),
    }
}

/// The inside of a LogQL double-quoted string (Go string syntax).
fn logql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// Lines already delivered by any query of one source (hash of timestamp,
/// stream and text), the oldest forgotten first past `cap`.
#[derive(Debug)]
pub struct Seen {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    cap: usize,
}

impl Seen {
    #[must_use]
    pub fn new(cap: usize) -> Self {
        Self { set: HashSet::new(), order: VecDeque::new(), cap: cap.max(1) }
    }

    /// Records a line; false when it was delivered before.
    pub fn first_time(&mut self, ts_ns: i64, stream_key: u64, line: &str) -> bool {
        let mut h = DefaultHasher::new();
        (ts_ns, stream_key, line).hash(&mut h);
        let key = h.finish();
        if !self.set.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_service_names_stay_inside_one_anchored_regex_string() {
        let names: Vec<String> = [
            "payments",
            "a.b",
            "x\"} |= \"\" or {job=~\".+",
            "back\\slash|.*",
            "(group)[set]{1}^$+?",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let q = incident_query(None, "service", &names);
        assert_eq!(
            q,
            r#"{service=~"payments|a\\.b|x\"\\} \\|= \"\" or \\{job=\\~\"\\.\\+|back\\\\slash\\|\\.\\*|\\(group\\)\\[set\\]\\{1\\}\\^\\$\\+\\?"}"#
        );
        // Unescaping the LogQL string gives back a regex that matches each
        // name literally and nothing else.
        let inner = &q["{service=~\"".len()..q.len() - 2];
        let mut regex_text = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('\\' | '"')) => regex_text.push(n),
                    Some(n) => {
                        regex_text.push('\\');
                        regex_text.push(n);
                    }
                    None => panic!("dangling escape"),
                }
            } else {
                assert_ne!(c, '"', "an unescaped quote would end the string: {q}");
                regex_text.push(c);
            }
        }
        let re = regex::Regex::new(&format!("^(?:{regex_text})$")).unwrap();
        for n in &names {
            assert!(re.is_match(n), "{n:?}");
        }
        for other in ["paymentsX", "aXb", "anything", "", "back"] {
            assert!(!re.is_match(other), "{other:?}");
        }
    }

    #[test]
    fn a_template_gets_the_pattern_in_place_of_the_placeholder() {
        let q = incident_query(
            Some(r#"{namespace="shop", app=~"$services"} != "healthz""#),
            "service",
            &["cart".into(), "pay\"ments".into()],
        );
        assert_eq!(q, r#"{namespace="shop", app=~"cart|pay\"ments"} != "healthz""#);
    }

    #[test]
    fn open_incidents_newest_first_with_their_cause_services() {
        use crate::model::{Confidence, Incident, IncidentId, RootCause, Severity};
        use std::sync::Arc;
        let inc = |id: &str, started: i64, state, services: &[&str], cause: &str| {
            Arc::new(Incident {
                id: IncidentId(id.into()),
                title: String::new(),
                severity: Severity::Critical,
                state,
                started_at: started,
                updated_at: started,
                resolved_at: None,
                alerts: vec![],
                services: services.iter().map(|s| (*s).to_string()).collect(),
                root_causes: vec![RootCause {
                    service: cause.into(),
                    score: 1.0,
                    confidence: Confidence::High,
                    evidence: vec![],
                }],
                timeline: vec![],
                acked: false,
            })
        };
        let view = View {
            incidents: vec![
                inc("I-old", 10, IncidentState::Open, &["web", "cart"], "postgres"),
                inc("I-done", 30, IncidentState::Resolved, &["web"], "web"),
                inc("I-new", 20, IncidentState::Quiet, &["pay\u{0}x", "pay"], "pay"),
            ],
            ..View::default()
        };
        let f = from_view(&view);
        let ids: Vec<&str> = f.iter().map(|f| f.incident.as_str()).collect();
        assert_eq!(ids, ["I-new", "I-old"]);
        assert_eq!(f[0].services, ["pay"], "control characters never reach a query");
        assert_eq!(f[1].services, ["cart", "postgres", "web"]);
        assert_eq!(f[1].started_at, 10);
    }

    #[test]
    fn seen_forgets_the_oldest_past_its_cap() {
        let mut s = Seen::new(2);
        assert!(s.first_time(1, 7, "a"));
        assert!(!s.first_time(1, 7, "a"));
        assert!(s.first_time(1, 8, "a"), "another stream");
        assert!(s.first_time(2, 7, "a"), "another instant");
        assert_eq!(s.len(), 2);
        assert!(s.first_time(1, 7, "a"), "forgotten past the cap");
    }
}
