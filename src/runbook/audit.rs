//! The audit log: one JSON object per line, appended to `audit.jsonl` in the
//! data dir, file mode 0600, flushed and `fsync`ed per entry.
//!
//! Every refusal, every start and every finish is written. A run starts only
//! after its `started` entry is on disk: if the log cannot be written, the
//! run does not happen. JSON string escaping keeps hostile label values from
//! forging lines. Env values whose names look secret are redacted before
//! they are written (or shown).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name inside the data dir.
pub const FILE_NAME: &str = "audit.jsonl";

/// Shown instead of a secret env value.
pub const REDACTED: &str = "<redacted>";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Refused before anything ran (validation, integrity, ack, duplicate).
    Refused,
    Started,
    Finished,
}

impl Event {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Started => "started",
            Self::Finished => "finished",
        }
    }
}

/// Who ran it, as far as the process can tell.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Who {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
}

impl Who {
    /// From the environment and the controlling terminal of stdin.
    #[must_use]
    pub fn current() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let user = var("USER").or_else(|| var("LOGNAME")).unwrap_or_else(account_name);
        Self {
            user,
            sudo_user: var("SUDO_USER"),
            ssh_connection: var("SSH_CONNECTION"),
            tty: std::fs::read_link("/proc/self/fd/0")
                .ok()
                .map(|p| p.display().to_string())
                .filter(|p| p.starts_with("/dev/")),
        }
    }

    /// "alice", "alice (sudo from bob)".
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.sudo_user {
            Some(s) => format!("{} (sudo from {s})", self.user),
            None => self.user.clone(),
        }
    }
}

/// The effective user's account name from the password database, else "uid N".
fn account_name() -> String {
    let uid = rustix::process::geteuid().as_raw();
    let mut buf = vec![0u8; 4096];
    // SAFETY: `passwd` is plain data (all-zero is a valid value) that
    // getpwuid_r fills; its string pointers point into `buf`, which outlives
    // their use here, and `pw_name` is checked for null before it is read as
    // a NUL-terminated string. rustix and std have no wrapper for it.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc =
            libc::getpwuid_r(uid, &raw mut pw, buf.as_mut_ptr().cast(), buf.len(), &raw mut result);
        if rc == 0 && !result.is_null() && !pw.pw_name.is_null() {
            let name = std::ffi::CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned();
            if !name.is_empty() {
                return name;
            }
        }
    }
    format!("uid {uid}")
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC, milliseconds.
    pub ts: String,
    pub event: Option<Event>,
    pub who: Who,
    pub runbook: String,
    pub path: String,
    /// The sha256 the config approves.
    pub sha256: String,
    /// What the file hashed to, when that differs (a refused mismatch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_sha256: Option<String>,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub incident: String,
    pub alerts: Vec<String>,
    /// "yes", "typed" or "" (refused before confirmation).
    pub confirmation: String,
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub killed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_sha256: Option<String>,
}

impl Entry {
    /// Stamps the entry with the current time and user.
    #[must_use]
    pub fn now(event: Event) -> Self {
        Self {
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event: Some(event),
            who: Who::current(),
            ..Self::default()
        }
    }
}

/// Whether an env var's name suggests its value is a secret.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "KEY", "AUTH", "CREDENTIAL", "COOKIE"]
        .iter()
        .any(|w| n.contains(w))
}

/// The env with secret-looking values replaced by [`REDACTED`].
#[must_use]
pub fn redact_env(env: &[(String, String)]) -> BTreeMap<String, String> {
    env.iter()
        .map(|(k, v)| (k.clone(), if is_secret_name(k) { REDACTED.to_string() } else { v.clone() }))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {reason}")]
    Io { path: String, reason: String },
    #[error(
        "audit log {path}: mode {mode:04o}, owner uid {uid}: expected 0600 and owned by the user"
    )]
    Permissions { path: String, mode: u32, uid: u32 },
    #[error("no data dir for the audit log")]
    NoDataDir,
}

/// The append-only log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// `<data dir>/audit.jsonl`.
    ///
    /// # Errors
    /// When the platform has no data dir.
    pub fn in_data_dir() -> Result<Self, AuditError> {
        crate::base::paths::data_dir()
            .map(|d| Self::new(d.join(FILE_NAME)))
            .ok_or(AuditError::NoDataDir)
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, e: &std::io::Error) -> AuditError {
        AuditError::Io { path: self.path.display().to_string(), reason: e.to_string() }
    }

    /// Appends one entry and syncs it to disk.
    ///
    /// # Errors
    /// Any failure to create, check, write or sync the file: the caller must
    /// then not run anything.
    pub fn append(&self, entry: &Entry) -> Result<(), AuditError> {
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| self.io(&e))?;
        }
        let mut f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&self.path)
            .map_err(|e| self.io(&e))?;
        let meta = f.metadata().map_err(|e| self.io(&e))?;
        let me = rustix::process::geteuid().as_raw();
        if !meta.is_file() || meta.mode() & 0o077 != 0 || meta.uid() != me {
            return Err(AuditError::Permissions {
                path: self.path.display().to_string(),
                mode: meta.mode() & 0o7777,
                uid: meta.uid(),
            });
        }
        let mut line = serde_json::to_string(entry).map_err(|e| AuditError::Io {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        line.push('\n');
        f.write_all(line.as_bytes()).map_err(|e| self.io(&e))?;
        f.flush().map_err(|e| self.io(&e))?;
        f.sync_data().map_err(|e| self.io(&e))?;
        Ok(())
    }

    /// The newest `max` entries, oldest first; unparsable lines are skipped.
    /// A missing file is an empty log.
    ///
    /// # Errors
    /// The file exists but cannot be read.
    pub fn read_recent(&self, max: usize) -> Result<Vec<Entry>, AuditError> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(&e)),
        };
        let mut out = std::collections::VecDeque::with_capacity(max.min(4096));
        for line in BufReader::new(f).lines() {
            let line = line.map_err(|e| self.io(&e))?;
            if let Ok(e) = serde_json::from_str::<Entry>(&line) {
                if out.len() == max {
                    out.pop_front();
                }
                out.push_back(e);
            }
        }
        Ok(out.into())
    }

    /// The latest `started` entry of a runbook, for "last ran by … at …".
    #[must_use]
    pub fn last_run(&self, runbook: &str) -> Option<Entry> {
        self.read_recent(10_000)
            .ok()?
            .into_iter()
            .rev()
            .find(|e| e.runbook == runbook && e.event == Some(Event::Started))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> AuditLog {
        let dir = std::env::temp_dir().join(format!("quell-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        AuditLog::new(dir.join("sub").join(FILE_NAME))
    }

    #[test]
    fn appends_private_lines_and_reads_them_back() {
        let log = temp_log("rw");
        let mut e = Entry::now(Event::Started);
        e.runbook = "r1".into();
        e.argv = vec!["x\n{\"forged\":true}".into()];
        log.append(&e).unwrap();
        let mut f = Entry::now(Event::Finished);
        f.runbook = "r1".into();
        f.exit_code = Some(0);
        log.append(&f).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 2, "a newline in a value must not split the entry");
        let mode = std::fs::metadata(log.path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = log.read_recent(10).unwrap();
        assert_eq!(back, vec![e.clone(), f]);
        assert_eq!(log.last_run("r1"), Some(e));
        assert_eq!(log.read_recent(1).unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(log.path().parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_loose_file_mode_refuses_to_log() {
        use std::os::unix::fs::PermissionsExt;
        let log = temp_log("mode");
        log.append(&Entry::now(Event::Refused)).unwrap();
        std::fs::set_permissions(log.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = log.append(&Entry::now(Event::Refused)).unwrap_err();
        assert!(matches!(e, AuditError::Permissions { mode: 0o644, .. }), "{e}");
        let _ = std::fs::remove_dir_all(log.path().parent().unwrap().parent().unwrap());
    }

    #[test]
    fn secrets_are_redacted_by_name() {
        let env = vec![
            ("API_TOKEN".to_string(), "s3cr3t".to_string()),
            ("db_password".to_string(), "pw".to_string()),
            ("TARGET".to_string(), "web-1".to_string()),
        ];
        let r = redact_env(&env);
        assert_eq!(r["API_TOKEN"], REDACTED);
        assert_eq!(r["db_password"], REDACTED);
        assert_eq!(r["TARGET"], "web-1");
    }
}
