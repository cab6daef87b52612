//! Integrity before every run: who may have changed the script, and is it
//! the script that was approved?
//!
//! * The script and every directory above it are owned by the user or root
//!   and not writable by group or others. An ancestor may be a root-owned
//!   sticky directory such as `/tmp` (nobody else can rename entries in it);
//!   the script's own directory may not.
//! * The script is opened with `O_NOFOLLOW` after its directory has been
//!   resolved, so a symlink planted as the script is refused, and the checks
//!   run on the opened descriptor (`fstat`), not on a path looked up again.
//! * The sha256 is computed from the bytes read through that descriptor.
//!   Those bytes are copied into a sealed memfd (Linux) and executed through
//!   `/proc/self/fd/N`, so what runs is exactly what was hashed, whatever
//!   happens to the path afterwards. Elsewhere, or where memfds may not be
//!   executed, the verified descriptor itself is executed.
//!
//! The config file that declares runbooks passes the same ownership checks.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Scripts larger than this are refused (they are scripts, not binaries).
pub const MAX_SCRIPT_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    #[error("{path}: path must be absolute")]
    NotAbsolute { path: String },
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: is a symlink (refused; point path at the real file)")]
    Symlink { path: String },
    #[error("{path}: not a regular file")]
    NotRegular { path: String },
    #[error("{path}: owned by uid {uid}, expected the user ({me}) or root")]
    Owner { path: String, uid: u32, me: u32 },
    #[error("{path}: mode {mode:04o} is writable by group or others")]
    Writable { path: String, mode: u32 },
    #[error("{path}: larger than {MAX_SCRIPT_BYTES} bytes")]
    TooLarge { path: String },
    #[error("{path}: sha256 mismatch: expected {expected}, file has {actual}")]
    Mismatch { path: String, expected: String, actual: String },
}

impl IntegrityError {
    /// The sha256 the file actually had, when the refusal is a mismatch.
    #[must_use]
    pub fn actual_sha256(&self) -> Option<&str> {
        match self {
            Self::Mismatch { actual, .. } => Some(actual),
            _ => None,
        }
    }
}

fn io_err(path: &Path, e: &std::io::Error) -> IntegrityError {
    IntegrityError::Io { path: path.display().to_string(), reason: e.to_string() }
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Owner is the user or root, and group/others cannot write.
fn check_meta(
    path: &Path,
    meta: &std::fs::Metadata,
    allow_sticky: bool,
) -> Result<(), IntegrityError> {
    let me = euid();
    let uid = meta.uid();
    if uid != me && uid != 0 {
        return Err(IntegrityError::Owner { path: path.display().to_string(), uid, me });
    }
    let mode = meta.mode() & 0o7777;
    let sticky_root_dir = allow_sticky && meta.is_dir() && uid == 0 && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky_root_dir {
        return Err(IntegrityError::Writable { path: path.display().to_string(), mode });
    }
    Ok(())
}

/// Resolves `dir` and checks it and every ancestor. Returns the real path.
fn check_dirs(dir: &Path) -> Result<PathBuf, IntegrityError> {
    let real = std::fs::canonicalize(dir).map_err(|e| io_err(dir, &e))?;
    let mut first = true;
    for d in real.ancestors() {
        let meta = std::fs::metadata(d).map_err(|e| io_err(d, &e))?;
        check_meta(d, &meta, !first)?;
        first = false;
    }
    Ok(real)
}

/// Checks a file that must be owned by the user or root and not writable by
/// others (the runbook config file), following symlinks to the real file.
///
/// # Errors
/// The first ownership or permission problem, or an unreadable path.
pub fn check_owned_file(path: &Path) -> Result<(), IntegrityError> {
    let real = std::fs::canonicalize(path).map_err(|e| io_err(path, &e))?;
    let meta = std::fs::metadata(&real).map_err(|e| io_err(&real, &e))?;
    if !meta.is_file() {
        return Err(IntegrityError::NotRegular { path: real.display().to_string() });
    }
    check_meta(&real, &meta, false)?;
    if let Some(parent) = real.parent() {
        check_dirs(parent)?;
    }
    Ok(())
}

/// Hex sha256 of some bytes.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A script that passed every check, held open. Executing it goes through
/// [`VerifiedScript::exec_fds`], never through the path.
#[derive(Debug)]
pub struct VerifiedScript {
    /// The path as configured (for display and the audit log).
    pub path: PathBuf,
    pub sha256: String,
    pub len: u64,
    /// A sealed in-memory copy of the checked bytes, when the platform has one.
    memfd: Option<OwnedFd>,
    /// The verified descriptor of the file itself.
    file: OwnedFd,
}

impl VerifiedScript {
    /// Descriptors to try executing, best first: the sealed copy, then the
    /// verified file.
    #[must_use]
    pub fn exec_fds(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.memfd.iter().map(AsRawFd::as_raw_fd).collect();
        v.push(self.file.as_raw_fd());
        v
    }
}

/// Runs every check on the script at `path` and compares its sha256 with
/// `expected` (hex, any case).
///
/// # Errors
/// The first failed check; a mismatch carries the actual hash.
pub fn verify(path: &Path, expected: &str) -> Result<VerifiedScript, IntegrityError> {
    let shown = path.display().to_string();
    if !path.is_absolute() {
        return Err(IntegrityError::NotAbsolute { path: shown });
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(IntegrityError::NotRegular { path: shown });
    };
    let real_dir = check_dirs(parent)?;
    let real = real_dir.join(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&real)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                IntegrityError::Symlink { path: shown.clone() }
            } else {
                io_err(path, &e)
            }
        })?;
    let meta = file.metadata().map_err(|e| io_err(path, &e))?;
    if !meta.is_file() {
        return Err(IntegrityError::NotRegular { path: shown });
    }
    check_meta(path, &meta, false)?;
    if meta.len() > MAX_SCRIPT_BYTES {
        return Err(IntegrityError::TooLarge { path: shown });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&file).take(MAX_SCRIPT_BYTES + 1).read_to_end(&mut bytes).map_err(|e| io_err(path, &e))?;
    if bytes.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(IntegrityError::TooLarge { path: shown });
    }
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(expected.trim()) {
        return Err(IntegrityError::Mismatch {
            path: shown,
            expected: expected.trim().to_ascii_lowercase(),
            actual,
        });
    }
    Ok(VerifiedScript {
        path: path.to_path_buf(),
        sha256: actual,
        len: bytes.len() as u64,
        memfd: sealed_copy(&bytes),
        file: OwnedFd::from(file),
    })
}

/// An executable, sealed in-memory copy of `bytes`: once sealed nobody,
/// not even this process, can change it.
#[cfg(target_os = "linux")]
fn sealed_copy(bytes: &[u8]) -> Option<OwnedFd> {
    use rustix::fs::{MemfdFlags, SealFlags};
    use std::io::Write as _;
    let owned =
        rustix::fs::memfd_create(c"quell-runbook", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
            .ok()?;
    let mut f = File::from(owned);
    f.write_all(bytes).ok()?;
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o500)).ok()?;
    let seals = SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE;
    rustix::fs::fcntl_add_seals(&f, seals).ok()?;
    Some(OwnedFd::from(f))
}

#[cfg(not(target_os = "linux"))]
fn sealed_copy(_bytes: &[u8]) -> Option<OwnedFd> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_hash_are_standard() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
