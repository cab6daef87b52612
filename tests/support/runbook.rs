//! Runbook runs against real scripts written into a temp dir under cargo's
//! target tmp dir, not /tmp (a world-writable script directory is refused
//! by design): the fixture that writes and approves scripts, a helper that
//! plans and runs to the end (auditing a refusal), and scripts that leave a
//! background grandchild for the process-lifetime tests to watch.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quell::runbook::Runbook;
use quell::runbook::audit::{AuditLog, Entry};
use quell::runbook::exec::{self, RunEvent, Stream};
use quell::runbook::expand::Target;
use quell::runbook::integrity::sha256_hex;
use quell::runbook::run::{Executor, Plan};

use super::process::exited;

pub struct Fixture {
    pub dir: PathBuf,
    pub exec: Executor,
}

impl Fixture {
    pub fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("runbook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        for d in [&dir, &dir.join("scripts")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut exec = Executor::new(AuditLog::new(dir.join("data").join("audit.jsonl")), None);
        exec.grace = Duration::from_millis(300);
        Self { dir, exec }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes a script (mode 0700) and returns a runbook approving it.
    pub fn script(&self, name: &str, body: &str) -> Runbook {
        let path = self.dir.join("scripts").join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        Runbook::declared(name, name, path.to_str().unwrap(), &sha256_hex(body.as_bytes()))
    }

    /// A script that writes each argument NUL-terminated to args.bin.
    pub fn arg_recorder(&self) -> Runbook {
        let out = self.path("args.bin");
        self.script(
            "record.sh",
            &format!(
                "#!/bin/sh\n: > '{0}'\nfor a in \"$@\"; do printf '%s\\0' \"$a\" >> '{0}'; done\necho \"ran with $# args\"\n",
                out.display()
            ),
        )
    }

    pub fn recorded_args(&self) -> Option<Vec<Vec<u8>>> {
        let bytes = std::fs::read(self.path("args.bin")).ok()?;
        Some(bytes.split(|b| *b == 0).filter(|s| !s.is_empty()).map(<[u8]>::to_vec).collect())
    }

    pub fn audit(&self) -> Vec<Entry> {
        self.exec.audit.read_recent(1000).unwrap()
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> quell::model::Labels {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// Plans for the target and runs to the end, collecting output; a
/// refusal (expansion or execution) is audited and returned.
pub fn run(
    fx: &Fixture,
    rb: &Runbook,
    l: &quell::model::Labels,
) -> Result<(exec::Outcome, Vec<(Stream, String)>), String> {
    let target = Target { labels: l, incident_id: "inc-7", fingerprint: "fp-1" };
    let plan = match Plan::build(rb, &target, vec!["fp-1".into()], false) {
        Ok(p) => p,
        Err(e) => {
            let plan = Plan::unexpanded(rb, &target, vec!["fp-1".into()]);
            let refusal = fx.exec.refuse(&plan, "", &e.to_string());
            assert!(refusal.audited);
            return Err(refusal.reason);
        }
    };
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let handle = fx
        .exec
        .start(&plan, "yes", move |ev| {
            if let RunEvent::Line { stream, text } = ev {
                sink.lock().unwrap().push((stream, text));
            }
        })
        .map_err(|r| r.to_string())?;
    let outcome = handle.join();
    let lines = lines.lock().unwrap().clone();
    Ok((outcome, lines))
}

/// Waits up to five seconds for `pid` to be gone or a zombie.
pub fn wait_dead(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if exited(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

pub fn grandchild_script(fx: &Fixture, name: &str, then: &str) -> Runbook {
    let pidfile = fx.path(&format!("{name}.pid"));
    fx.script(
        name,
        &format!(
            "#!/bin/sh\nsleep 300 &\necho $! > '{}'\necho started\n{then}\n",
            pidfile.display()
        ),
    )
}

pub fn grandchild_pid(fx: &Fixture, name: &str) -> u32 {
    std::fs::read_to_string(fx.path(&format!("{name}.pid"))).unwrap().trim().parse().unwrap()
}
