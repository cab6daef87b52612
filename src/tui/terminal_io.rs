//! Terminal side channels: the clipboard (OSC 52), desktop notifications
//! (OSC 9 and OSC 777) and `:export` files. Every sequence is built from
//! text that went through the sanitizer or base64, so nothing an alert
//! carries can end a sequence early or start another one.

use std::io::{self, Write};
use std::path::PathBuf;

/// OSC 52 "set clipboard" with the text base64-encoded. tmux forwards it
/// to the outer terminal when `set-clipboard` is on; it works over SSH.
#[must_use]
pub fn osc52(text: &str) -> Vec<u8> {
    format!("\x1b]52;c;{}\x07", crate::encode::base64(text.as_bytes())).into_bytes()
}

/// Text safe inside an OSC parameter: printable, no `;` (the separator).
fn param(s: &str) -> String {
    crate::sanitize::clean_line(s, 200).replace(';', ",")
}

/// A desktop notification as OSC 9 (iTerm2, Windows Terminal, kitty) and
/// OSC 777 (rxvt, foot, Ghostty), plus the bell. Inside tmux the OSCs go
/// through its passthrough (`allow-passthrough on`).
#[must_use]
pub fn notification(title: &str, body: &str) -> Vec<u8> {
    let (t, b) = (param(title), param(body));
    let seqs = [format!("\x1b]9;{t}: {b}\x07"), format!("\x1b]777;notify;{t};{b}\x07")];
    let in_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let mut out = Vec::new();
    for s in seqs {
        if in_tmux {
            out.extend_from_slice(b"\x1bPtmux;");
            out.extend_from_slice(s.replace('\x1b', "\x1b\x1b").as_bytes());
            out.extend_from_slice(b"\x1b\\");
        } else {
            out.extend_from_slice(s.as_bytes());
        }
    }
    out.push(0x07);
    out
}

/// Writes bytes to the terminal between frames.
///
/// # Errors
/// The terminal is gone.
pub fn write_raw(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(bytes)?;
    out.flush()
}

/// Writes `text` to `path` (`~/` expanded), through a temporary file and a
/// rename; returns the path written.
///
/// # Errors
/// The file cannot be written.
pub fn export(path: &str, text: &str) -> io::Result<String> {
    let path = path.trim();
    let full: PathBuf = match path.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|b| b.home_dir().join(rest))
            .ok_or_else(|| io::Error::other("no home directory"))?,
        None => PathBuf::from(path),
    };
    let tmp = full.with_extension("quell-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &full)?;
    Ok(full.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_hostile_text_only_as_base64() {
        let seq = osc52("x\x1b]0;pwned\x07\n$(id)");
        let s = String::from_utf8(seq).unwrap();
        assert!(s.starts_with("\x1b]52;c;") && s.ends_with('\x07'));
        let inner = &s[7..s.len() - 1];
        assert!(inner.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
    }

    #[test]
    fn notifications_cannot_be_broken_out_of() {
        let n = notification("quell: critical", "db\x1b]52;c;AAAA\x07; down");
        let s = String::from_utf8(n).unwrap();
        // Exactly our own sequences: two OSC starts (or their tmux-wrapped
        // forms), no foreign one.
        assert!(!s.contains("]52;"), "{s:?}");
        assert!(s.contains("db") && s.contains(", down"));
    }

    #[test]
    fn export_writes_the_file() {
        let dir = std::env::temp_dir().join(format!("quell-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("inc.md");
        let shown = export(p.to_str().unwrap(), "# hi\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "# hi\n");
        assert!(shown.ends_with("inc.md"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
