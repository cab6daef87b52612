//! An incident's title: its headline alert's name on the services it
//! covers (`HighErrorRate on checkout, payments (+3 alerts)`).

use crate::model::Incident;
use crate::store::AlertEntry;

use super::headline_alert;

pub(super) fn title(inc: &Incident, alerts: &[&AlertEntry]) -> String {
    let Some(head) = headline_alert(alerts.iter().copied()) else {
        return inc.title.clone();
    };
    // Alerts with no service or host label are correlated under one
    // placeholder name; the title names the headline alert's other labels
    // instead (`BackupOverdue on cluster=eu-1, team=storage`).
    let unnamed = || crate::model::place_of(None, &head.labels);
    let mut svcs: Vec<String> = inc
        .services
        .iter()
        .take(3)
        .map(|s| if s == crate::model::UNNAMED_ENTITY { unnamed() } else { s.clone() })
        .collect();
    if svcs.is_empty() {
        svcs.push(unnamed());
    }
    let more = inc.services.len().saturating_sub(3);
    let extra = if more > 0 { format!(" +{more}") } else { String::new() };
    let others = inc.alerts.len().saturating_sub(1);
    let alerts_note = if others > 0 { format!(" (+{others} alerts)") } else { String::new() };
    format!("{} on {}{extra}{alerts_note}", head.name(), svcs.join(", "))
}
