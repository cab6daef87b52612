//! Terminal side channels: the clipboard (OSC 52), desktop notifications
//! (OSC 9 and OSC 777) and `:export` files. Every sequence is built from
//! text that went through the sanitizer or base64, so nothing an alert
//! carries can end a sequence early or start another one.

use std::io::{self, Write};
use std::path::PathBuf;

/// OSC 52 "set clipboard" with the text base64-encoded. tmux forwards it
/// to the outer terminal when `set-clipboard` is on; it works over SSH.
/// The text is cleaned first ([`crate::sanitize::clean_block`]): pasted into
/// a shell, a raw ESC could end a bracketed paste and run the rest.
#[must_use]
pub fn osc52(text: &str) -> Vec<u8> {
    let text = crate::sanitize::clean_block(text);
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

/// Re-prints the cells of each link wrapped in OSC 8 (`ESC ] 8 ; ; URL ST`
/// … `ESC ] 8 ; ; ST`), with the styles the frame gave them, so the screen
/// looks the same but the text is clickable in terminals that support it
/// (others ignore the sequence). Called right after a frame, inside its
/// synchronized update; the cursor is saved and restored around it. Every
/// frame rewrites the links, because ratatui may have redrawn those cells.
///
/// URLs reach here only through `ui::Hyperlink`, whose contract is
/// `is_safe_link` (no controls, no spaces); anything else is skipped so a
/// URL can never end the sequence early.
///
/// # Errors
/// The terminal is gone.
pub fn hyperlinks(
    out: &mut impl Write,
    buf: &ratatui::buffer::Buffer,
    links: &[crate::ui::Hyperlink],
) -> io::Result<()> {
    use crossterm::cursor::{MoveTo, RestorePosition, SavePosition};
    use crossterm::style::{Attribute, PrintStyledContent, SetAttribute};
    use ratatui::backend::IntoCrossterm;

    let links: Vec<_> = links
        .iter()
        .filter(|l| crate::app::runbook_flow::is_safe_link(&l.url))
        .map(|l| (l.area.intersection(buf.area), &l.url))
        .filter(|(area, _)| !area.is_empty())
        .collect();
    if links.is_empty() {
        return Ok(());
    }
    crossterm::queue!(out, SavePosition)?;
    for (area, url) in links {
        for y in area.top()..area.bottom() {
            crossterm::queue!(out, MoveTo(area.x, y))?;
            write!(out, "\x1b]8;;{url}\x1b\\")?;
            // Runs of cells with one style print as one styled string; the
            // cells a wide character covers are skipped, as ratatui does.
            let mut runs: Vec<(ratatui::style::Style, String)> = Vec::new();
            let mut covered = 0usize;
            for x in area.left()..area.right() {
                let Some(cell) = buf.cell((x, y)) else { continue };
                if covered > 0 {
                    covered -= 1;
                    continue;
                }
                if cell.diff_option == ratatui::buffer::CellDiffOption::Skip {
                    continue;
                }
                covered = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
                let style = cell.style();
                match runs.last_mut() {
                    Some((s, text)) if *s == style => text.push_str(cell.symbol()),
                    _ => runs.push((style, cell.symbol().to_string())),
                }
            }
            for (style, text) in runs {
                let style: crossterm::style::ContentStyle = style.into_crossterm();
                crossterm::queue!(out, PrintStyledContent(style.apply(text)))?;
            }
            write!(out, "\x1b]8;;\x1b\\")?;
        }
    }
    crossterm::queue!(out, SetAttribute(Attribute::Reset), RestorePosition)?;
    out.flush()
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

/// Writes `text`, cleaned so that `cat`-ing the file runs no terminal
/// sequence, to `path` (`~/` expanded) atomically; returns the path written.
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
    // A typo in the directory is an error, not a new directory tree.
    if let Some(dir) = full.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"));
    }
    crate::base::write_atomic(&full, crate::sanitize::clean_block(text).as_bytes())?;
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
    fn clipboard_and_export_bytes_carry_no_controls() {
        let hostile = "# t\x1b]0;PWN\x07 \u{9b}2J\u{202e}x\r\0\x1b[201~rm\n- k\u{85}=v\n";
        let expected = "# t xrm\n- k=v\n";
        let want = format!("\x1b]52;c;{}\x07", crate::encode::base64(expected.as_bytes()));
        assert_eq!(osc52(hostile), want.into_bytes());
        let dir = std::env::temp_dir().join(format!("quell-export-h-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("inc.md");
        export(p.to_str().unwrap(), hostile).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), expected.as_bytes());
        std::fs::remove_dir_all(&dir).unwrap();
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

    #[test]
    fn hyperlinks_wrap_the_drawn_cells_in_osc8_with_their_style() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::style::{Color, Style};
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 3));
        buf.set_string(2, 1, "https://a.example/\u{5b57}x", Style::default().fg(Color::Cyan));
        let link =
            |url: &str| crate::ui::Hyperlink { area: Rect::new(2, 1, 21, 1), url: url.to_string() };
        let mut out = Vec::new();
        hyperlinks(&mut out, &buf, &[link("https://a.example/\u{5b57}x")]).unwrap();
        let s = String::from_utf8(out).unwrap();
        let open = s.find("\x1b]8;;https://a.example/\u{5b57}x\x1b\\").expect("opens the link");
        let close = s.rfind("\x1b]8;;\x1b\\").expect("closes the link");
        let body = &s[open..close];
        // The cells are printed in their colour, the wide character once.
        assert!(body.contains("\x1b[38;5;6m"), "{s:?}");
        assert!(body.contains("https://a.example/\u{5b57}x\x1b["), "{s:?}");
        assert_eq!(s.matches('\u{5b57}').count(), 2, "URL + text: {s:?}");
        // Cursor saved before and restored after.
        assert!(s.starts_with("\x1b7") && s.ends_with("\x1b8"), "{s:?}");
        // A URL that could end the sequence is never written.
        for bad in ["https://x/\x1b\\\x1b]52;c;eA==\x07", "javascript:alert(1)"] {
            let mut out = Vec::new();
            hyperlinks(&mut out, &buf, &[link(bad)]).unwrap();
            assert!(out.is_empty(), "{bad:?}");
        }
        // A link outside the buffer writes nothing either.
        let mut out = Vec::new();
        let far = crate::ui::Hyperlink { area: Rect::new(40, 9, 5, 1), url: "https://a".into() };
        hyperlinks(&mut out, &buf, &[far]).unwrap();
        assert!(out.is_empty());
    }
}
