//! Runbooks offered in the demo world when the config declares none: real,
//! harmless scripts (embedded from `assets/runbooks/`) that print what a
//! real remediation would do, so a newcomer can press a key, read the exact
//! command in the dialog, confirm and watch the output stream.
//!
//! [`install`] writes the scripts into `<data dir>/runbooks` (mode 0700)
//! at startup; their sha256 comes from the embedded bytes, so a script
//! changed on disk is refused like any other.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::integrity::sha256_hex;
use super::{Confirm, Runbook};

/// (file name, contents) of every embedded script.
pub const SCRIPTS: &[(&str, &str)] = &[
    ("restart-service.sh", include_str!("../../assets/runbooks/restart-service.sh")),
    ("rollback-deploy.sh", include_str!("../../assets/runbooks/rollback-deploy.sh")),
    ("failover-postgres.sh", include_str!("../../assets/runbooks/failover-postgres.sh")),
    ("flush-redis.sh", include_str!("../../assets/runbooks/flush-redis.sh")),
    ("expand-volume.sh", include_str!("../../assets/runbooks/expand-volume.sh")),
    ("renew-cert.sh", include_str!("../../assets/runbooks/renew-cert.sh")),
    ("show-args.sh", include_str!("../../assets/runbooks/show-args.sh")),
];

fn script(file: &str) -> &'static str {
    SCRIPTS.iter().find(|(f, _)| *f == file).map_or("", |(_, body)| body)
}

/// Where [`install`] puts the scripts by default.
#[must_use]
pub fn default_dir() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join("runbooks"))
}

struct Spec<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    file: &'a str,
    args: &'a [&'a str],
    matchers: &'a [&'a str],
    dangerous: bool,
}

fn rb(dir: &Path, s: &Spec<'_>) -> Runbook {
    let path = dir.join(s.file);
    let mut r = Runbook::declared(
        s.id,
        s.title,
        &path.display().to_string(),
        &sha256_hex(script(s.file).as_bytes()),
    );
    r.description = s.description.into();
    r.args = s.args.iter().map(|a| (*a).to_string()).collect();
    r.matchers = s.matchers.iter().map(|m| (*m).to_string()).collect();
    r.confirm = if s.dangerous { Confirm::Typed } else { Confirm::Yes };
    r.dangerous = s.dangerous;
    r.timeout = crate::base::HumanDuration::secs(60);
    r
}

/// The demo's runbooks, their scripts expected in `dir` (see [`install`]).
#[must_use]
pub fn runbooks_in(dir: &Path) -> Vec<Runbook> {
    let mut restart = rb(
        dir,
        &Spec {
            id: "restart-service",
            title: "Restart the service's pods",
            description: "Rolling restart of the affected deployment (simulated).",
            file: "restart-service.sh",
            args: &["--service", "{label.service}"],
            matchers: &[r#"severity=~"critical|warning""#],
            dangerous: false,
        },
    );
    restart.env.insert("NAMESPACE".into(), "{label.namespace}".into());
    let mut rollback = rb(
        dir,
        &Spec {
            id: "rollback-deploy",
            title: "Roll back the last deploy",
            description: "Re-deploys the previous version (simulated); dry run first.",
            file: "rollback-deploy.sh",
            args: &["{label.service}"],
            matchers: &[r#"alertname=~"HighErrorRate|HighLatency""#],
            dangerous: true,
        },
    );
    rollback.dry_run_args = Some(vec!["--dry-run".into(), "{label.service}".into()]);
    let mut show_args = rb(
        dir,
        &Spec {
            id: "show-args",
            title: "Show the arguments a runbook receives",
            description: "Prints each argument on its own line: one placeholder, one argument.",
            file: "show-args.sh",
            args: &["{label.alertname}", "{label.service}", "{incident.id}"],
            matchers: &[],
            dangerous: false,
        },
    );
    // It only prints its arguments: safe to run in --read-only.
    show_args.read_only_safe = true;
    let mut failover = rb(
        dir,
        &Spec {
            id: "failover-postgres",
            title: "Fail over the primary database",
            description: "Promotes the standby (simulated); acknowledge the incident first.",
            file: "failover-postgres.sh",
            args: &["{label.service}"],
            matchers: &[r#"service=~"postgres|warehouse-db""#],
            dangerous: true,
        },
    );
    failover.requires_ack = true;
    vec![
        restart,
        rollback,
        failover,
        rb(
            dir,
            &Spec {
                id: "flush-redis",
                title: "Flush the cache's evicted keys",
                description: "Clears keys and warms the cache (simulated).",
                file: "flush-redis.sh",
                args: &["{label.service}"],
                matchers: &[r#"service="redis""#],
                dangerous: false,
            },
        ),
        rb(
            dir,
            &Spec {
                id: "expand-volume",
                title: "Expand the data volume by 20%",
                description: "Grows the volume online (simulated).",
                file: "expand-volume.sh",
                args: &["{label.service}", "20"],
                matchers: &[r#"alertname=~"Disk.*""#],
                dangerous: false,
            },
        ),
        rb(
            dir,
            &Spec {
                id: "renew-cert",
                title: "Renew the TLS certificate",
                description: "Requests and installs a new certificate (simulated).",
                file: "renew-cert.sh",
                args: &["{label.service}"],
                matchers: &[r#"alertname=~"Cert.*""#],
                dangerous: false,
            },
        ),
        show_args,
    ]
}

/// The demo's runbooks in the default dir (declared even when there is no
/// data dir; running them is then refused with a clear message).
#[must_use]
pub fn runbooks() -> Vec<Runbook> {
    runbooks_in(&default_dir().unwrap_or_else(|| PathBuf::from("/nonexistent/quell/runbooks")))
}

/// Installs the scripts into the default dir and returns the runbooks. A
/// failed install is not fatal: running them is then refused, saying why.
#[must_use]
pub fn installed() -> Vec<Runbook> {
    if let Some(dir) = default_dir()
        && let Err(e) = install(&dir)
    {
        tracing::warn!(dir = %dir.display(), error = %e, "could not install the demo runbooks");
    }
    runbooks()
}

/// Writes the embedded scripts into `dir` (created 0700), each 0700,
/// replacing a file only when its content differs. Writes go to a temp
/// file renamed into place, so a half-written script never exists.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn install(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    for (file, body) in SCRIPTS {
        let path = dir.join(file);
        let current = std::fs::symlink_metadata(&path).ok();
        let same = current.as_ref().is_some_and(|m| {
            m.is_file()
                && m.permissions().mode() & 0o777 == 0o700
                && std::fs::read(&path).is_ok_and(|b| b == body.as_bytes())
        });
        if same {
            continue;
        }
        crate::base::write_atomic_mode(&path, body.as_bytes(), 0o700)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_hashes_match_the_published_sums() {
        let sums = include_str!("../../assets/runbooks/SHA256SUMS");
        assert_eq!(sums.lines().count(), SCRIPTS.len());
        for (file, body) in SCRIPTS {
            let line = format!("{}  {file}", sha256_hex(body.as_bytes()));
            assert!(sums.lines().any(|l| l == line), "SHA256SUMS lacks or mismatches {file}");
        }
    }

    #[test]
    fn every_demo_runbook_is_valid_and_installs_runnable() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("demo-runbooks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        install(&dir).unwrap();
        install(&dir).unwrap();
        for r in runbooks_in(&dir) {
            r.check().unwrap();
            r.parsed_matchers().unwrap();
            let v = crate::runbook::integrity::verify(Path::new(&r.path), &r.sha256);
            assert!(v.is_ok(), "{}: {v:?}", r.id);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
