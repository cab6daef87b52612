//! The one way quell replaces a file: write a temporary file in the same
//! directory, sync it, rename it over the target, then sync the directory so
//! the rename itself survives a crash. A reader sees the old contents or the
//! new ones, never half of either.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` atomically and durably, creating missing
/// parent directories. The file gets the temporary file's mode (0600).
///
/// # Errors
/// The directory cannot be created or synced, or the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(path, bytes, None)
}

/// [`write_atomic`] with the file's permission bits set to `mode` before it
/// takes the target's name (e.g. 0o700 for scripts).
///
/// # Errors
/// As [`write_atomic`].
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write(path, bytes, Some(mode))
}

fn write(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Created with O_EXCL under a random name: never follows a planted link,
    // and removed again if anything below fails.
    let mut tmp = tempfile::Builder::new().prefix(".quell-").suffix(".tmp").tempfile_in(dir)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary_behind() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested/deeper/state.json");
        write_atomic(&path, b"first")?;
        write_atomic(&path, b"second, longer")?;
        assert_eq!(std::fs::read(&path)?, b"second, longer");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(dir.path()))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
        assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn mode_is_applied_before_the_rename() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("run.sh");
        write_atomic_mode(&path, b"#!/bin/sh\n", 0o700)?;
        assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o700);
        Ok(())
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keep");
        write_atomic(&path, b"old")?;
        // A directory cannot be renamed over by a file: the write fails.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked)?;
        std::fs::write(blocked.join("x"), b"")?;
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(std::fs::read(&path)?, b"old");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 2, "no temporary left behind");
        Ok(())
    }
}
