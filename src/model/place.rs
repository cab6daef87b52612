//! Where an alert is, as one short phrase: what alert rows, detail titles
//! and timeline lines print after its name ("fired on …").
//!
//! Each fact once: the entity (service or host), then the instance only
//! when it adds something (`cart (cart-2:8080)`, but `host-c:9100`, not
//! `host-c (host-c:9100)`). An alert with no entity label at all is named
//! by its other labels (`cluster=eu-1, team=storage`), never by `?`.
//! Text only; callers sanitize before drawing.

use super::{Labels, instance_of};
use crate::base::cut;

/// Labels that say what an alert is or how loud, not where it is.
const NOT_PLACES: [&str; 5] = ["alertname", "severity", "priority", "prometheus", "receiver"];
/// Identifying labels listed when nothing else names the place.
const MAX_OTHER_LABELS: usize = 3;
/// Longest value kept per listed label (bytes, cut at a character boundary).
const MAX_VALUE: usize = 40;

/// The place of an alert with `labels` whose entity is `entity` (its
/// service or host, see [`super::entity`]): `entity (instance)` when both
/// tell something.
#[must_use]
pub fn place_of(entity: Option<&str>, labels: &Labels) -> String {
    place_between(entity, labels, (" (", ")"))
}

/// [`place_of`] with `around` put around the instance when both are shown
/// (`(" ", "")` in narrow rows: `checkout 10.0.0.5:8080`).
#[must_use]
pub fn place_between(entity: Option<&str>, labels: &Labels, around: (&str, &str)) -> String {
    let target = instance_of(labels)
        .or_else(|| ["pod", "node", "host"].iter().find_map(|k| labels.get(k)))
        .filter(|t| !t.is_empty());
    match (entity.filter(|e| !e.is_empty()), target) {
        (Some(e), None) => e.to_string(),
        (Some(e), Some(t)) if t == e => e.to_string(),
        // `host-c:9100` on host `host-c`, `cart-9608f-2` of service `cart`:
        // the instance already says the entity.
        (Some(e), Some(t)) if t.starts_with(e) => t.to_string(),
        (Some(e), Some(t)) => format!("{e}{}{t}{}", around.0, around.1),
        (None, Some(t)) => t.to_string(),
        (None, None) => other_labels(labels),
    }
}

/// `cluster=eu-1, team=storage`: the labels left once the alert's name and
/// loudness are set aside; `(no labels)` when none are.
fn other_labels(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .filter(|(k, v)| !NOT_PLACES.contains(k) && !v.is_empty())
        .take(MAX_OTHER_LABELS)
        .map(|(k, v)| format!("{k}={}", cut(v, MAX_VALUE)))
        .collect();
    if parts.is_empty() { "(no labels)".to_string() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels_of;

    #[test]
    fn each_fact_once() {
        let host = labels_of(&[("instance", "host-a"), ("job", "node")]);
        assert_eq!(place_of(Some("host-a"), &host), "host-a");
        let port = labels_of(&[("instance", "host-c:9100"), ("job", "node")]);
        assert_eq!(place_of(Some("host-c"), &port), "host-c:9100");
        let pod = labels_of(&[("instance", "cart-9608f-2:8080"), ("service", "cart")]);
        assert_eq!(place_of(Some("cart"), &pod), "cart-9608f-2:8080");
        let other = labels_of(&[("instance", "10.0.0.5:8080"), ("service", "checkout")]);
        assert_eq!(place_of(Some("checkout"), &other), "checkout (10.0.0.5:8080)");
        assert_eq!(place_between(Some("checkout"), &other, (" ", "")), "checkout 10.0.0.5:8080");
        assert_eq!(place_of(Some("db"), &labels_of(&[("service", "db")])), "db");
        assert_eq!(place_of(None, &labels_of(&[("pod", "api-1")])), "api-1");
    }

    #[test]
    fn an_alert_without_an_entity_is_named_by_its_other_labels() {
        let backup = labels_of(&[
            ("alertname", "BackupOverdue"),
            ("cluster", "eu-1"),
            ("severity", "warning"),
            ("team", "storage"),
        ]);
        assert_eq!(place_of(None, &backup), "cluster=eu-1, team=storage");
        let bare = labels_of(&[("alertname", "Watchdog"), ("severity", "none")]);
        assert_eq!(place_of(None, &bare), "(no labels)");
        let long = "é".repeat(40);
        let wide = labels_of(&[("a", "1"), ("b", &long), ("c", "3"), ("d", "4")]);
        let got = place_of(None, &wide);
        assert_eq!(got, format!("a=1, b={}, c=3", "é".repeat(20)), "capped, whole characters");
    }
}
