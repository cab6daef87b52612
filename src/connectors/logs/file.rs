//! Following a log file like `tail -F`: new complete lines on each poll,
//! surviving rotation (the path now names a new file) and truncation (the
//! file got shorter than what was read).
//!
//! Rotation is detected by file identity (device and inode on Unix) and, as
//! a fallback everywhere, by the file being shorter than our offset. After a
//! rotation the rest of the old file is read first, so no line is lost
//! between the last poll and the rename.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes read per poll at most, so one huge burst cannot stall the loop.
const MAX_READ: u64 = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct FileTail {
    path: PathBuf,
    file: Option<File>,
    id: Option<(u64, u64)>,
    offset: u64,
    /// A line whose newline has not arrived yet.
    partial: Vec<u8>,
}

impl FileTail {
    /// Starts following `path`. With `from_start` false, existing content is
    /// skipped (as `tail -F` does); a file that does not exist yet is fine.
    #[must_use]
    pub fn new(path: &Path, from_start: bool) -> Self {
        let mut t =
            Self { path: path.to_path_buf(), file: None, id: None, offset: 0, partial: Vec::new() };
        if t.open() && !from_start {
            t.offset = t.file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
        }
        t
    }

    fn open(&mut self) -> bool {
        match File::open(&self.path) {
            Ok(f) => {
                self.id = identity(&f);
                self.file = Some(f);
                self.offset = 0;
                self.partial.clear();
                true
            }
            Err(_) => false,
        }
    }

    /// New complete lines since the last poll.
    ///
    /// # Errors
    /// Reading an open file failed (a missing file is not an error: it may
    /// be between rotation steps).
    pub fn poll(&mut self) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        if self.file.is_none() && !self.open() {
            return Ok(out);
        }
        let on_disk = File::open(&self.path).ok();
        let rotated = match (&on_disk, self.id) {
            (Some(f), Some(id)) => identity(f).is_some_and(|n| n != id),
            _ => false,
        };
        if rotated {
            // Drain what the old file still holds, then switch.
            self.read_new(&mut out)?;
            self.flush_partial(&mut out);
            self.open();
        } else if let Some(f) = &self.file
            && f.metadata()?.len() < self.offset
        {
            // Truncated in place (`> file`, copytruncate): start over.
            self.offset = 0;
            self.partial.clear();
        }
        self.read_new(&mut out)?;
        Ok(out)
    }

    fn read_new(&mut self, out: &mut Vec<String>) -> std::io::Result<()> {
        let Some(f) = self.file.as_mut() else { return Ok(()) };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        let n = f.take(MAX_READ).read_to_end(&mut buf)?;
        self.offset += n as u64;
        for chunk in buf.split_inclusive(|&b| b == b'\n') {
            if chunk.last() == Some(&b'\n') {
                self.partial.extend_from_slice(&chunk[..chunk.len() - 1]);
                out.push(String::from_utf8_lossy(&self.partial).into_owned());
                self.partial.clear();
            } else {
                self.partial.extend_from_slice(chunk);
            }
        }
        Ok(())
    }

    fn flush_partial(&mut self, out: &mut Vec<String>) {
        if !self.partial.is_empty() {
            out.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
    }
}

#[cfg(unix)]
fn identity(f: &File) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    f.metadata().ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_f: &File) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(p: &Path, s: &str) {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap();
        f.write_all(s.as_bytes()).unwrap();
    }

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = std::env::temp_dir().join(format!("quell-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("app.log");
        append(&p, "old line before start\n");
        let mut t = FileTail::new(&p, false);
        assert!(t.poll().unwrap().is_empty());
        append(&p, "one\ntw");
        assert_eq!(t.poll().unwrap(), ["one"]);
        append(&p, "o\n");
        assert_eq!(t.poll().unwrap(), ["two"]);
        // Rotation: a last line lands in the old file, then a new file appears.
        append(&p, "three\n");
        std::fs::rename(&p, dir.join("app.log.1")).unwrap();
        append(&p, "four\n");
        assert_eq!(t.poll().unwrap(), ["three", "four"]);
        // Truncation in place, then shorter content.
        std::fs::write(&p, "").unwrap();
        assert!(t.poll().unwrap().is_empty());
        append(&p, "five\n");
        assert_eq!(t.poll().unwrap(), ["five"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
