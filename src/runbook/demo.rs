//! Runbooks offered in the demo world when the config declares none, so a
//! newcomer sees how runbooks attach to incidents.

use super::{Confirm, Runbook};

fn rb(id: &str, title: &str, description: &str, matchers: &[&str], dangerous: bool) -> Runbook {
    let mut r = Runbook::declared(id, title, "", "");
    r.description = description.into();
    r.args = vec!["{label.service}".into()];
    r.matchers = matchers.iter().map(|m| (*m).to_string()).collect();
    r.confirm = if dangerous { Confirm::Typed } else { Confirm::Yes };
    r.dangerous = dangerous;
    r
}

/// The demo's runbooks (declared only; the demo does not execute them yet).
#[must_use]
pub fn runbooks() -> Vec<Runbook> {
    vec![
        rb(
            "restart-service",
            "Restart the service's pods",
            "Rolling restart of the affected deployment.",
            &[r#"severity=~"critical|warning""#],
            false,
        ),
        rb(
            "rollback-deploy",
            "Roll back the last deploy",
            "Re-deploys the previous version.",
            &[r#"alertname=~"HighErrorRate|HighLatency""#],
            true,
        ),
        rb(
            "failover-postgres",
            "Fail over the primary database",
            "Promotes the standby.",
            &[r#"service=~"postgres|warehouse-db""#],
            true,
        ),
        rb(
            "flush-redis",
            "Flush the cache's evicted keys",
            "Clears keys and warms the cache.",
            &[r#"service="redis""#],
            false,
        ),
        rb(
            "expand-volume",
            "Expand the data volume by 20%",
            "Grows the volume online.",
            &[r#"alertname=~"Disk.*""#],
            false,
        ),
        rb(
            "renew-cert",
            "Renew the TLS certificate",
            "Requests and installs a new certificate.",
            &[r#"alertname=~"Cert.*""#],
            false,
        ),
    ]
}
