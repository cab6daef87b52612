//! The one sanitizer every external string passes before it reaches a
//! terminal buffer.
//!
//! Label values, annotations, evidence text, log lines, source error reasons
//! and runbook output are attacker-controlled: a label value such as
//! `\x1b]52;c;<base64>\x07` would write the operator's clipboard, `\x1b[2J`
//! would wipe the screen and U+202E would make `gnp.exe` read as `exe.png`.
//! This module removes all of that and measures what is left by display
//! width. It must not do layout or styling; it only turns hostile text into
//! inert, width-bounded text.
//!
//! What is removed:
//! * ESC and complete (or truncated) CSI, OSC, DCS, APC, PM and SOS
//!   sequences, including their 8-bit C1 introducers (U+009B, U+009D, ...);
//! * other C0 controls, DEL and C1 controls (U+0080–U+009F), `\r`;
//! * bidi embeddings, overrides, isolates and marks.
//!
//! Tab becomes a space; a newline becomes `⏎` in one-line contexts
//! ([`clean`], [`clean_line`]) or splits lines in [`clean_lines`].
//!
//! Text for the screen also has its grapheme clusters rewritten into ones
//! ratatui and the terminal measure alike (see `clusters`), and widths are
//! measured per grapheme cluster, as ratatui lays them out.

mod clusters;
mod strip;

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation as _;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use clusters::Clusters;
use strip::strip_into;

/// Upper bound on the display width [`clean`] returns, so a 100 kB label
/// cannot make every frame do 100 kB of work.
pub const MAX_WIDTH: usize = 4096;

/// Shown in place of a newline in one-line contexts.
pub const NEWLINE_MARK: char = '\u{23ce}'; // ⏎

/// Marks text cut to fit.
pub const ELLIPSIS: char = '\u{2026}'; // …

/// Cleans `s` for a one-line context, capped at [`MAX_WIDTH`] columns.
/// Borrows when there is nothing to change (the common case).
#[must_use]
pub fn clean(s: &str) -> Cow<'_, str> {
    if is_inert(s) && width(s) <= MAX_WIDTH {
        return Cow::Borrowed(s);
    }
    Cow::Owned(clean_line(s, MAX_WIDTH))
}

/// Cleans `s` for a one-line context and cuts it to `max_width` columns,
/// ending with `…` when cut.
#[must_use]
pub fn clean_line(s: &str, max_width: usize) -> String {
    let mut out = Sink::new(max_width);
    strip_into(s, &mut out);
    out.finish()
}

/// Cleans `s` for a multi-line context: one entry per line of the input,
/// each capped at [`MAX_WIDTH`], at most `max_lines` lines (the last one says
/// how many were left out).
#[must_use]
pub fn clean_lines(s: &str, max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let total = s.split('\n').count();
    for (i, raw) in s.split('\n').enumerate() {
        if i + 1 == max_lines && total > max_lines {
            lines.push(format!("{ELLIPSIS} {} more lines", total - i));
            break;
        }
        if i >= max_lines {
            break;
        }
        lines.push(clean_line(raw, MAX_WIDTH));
    }
    lines
}

/// Cuts already-clean text to `max_width` columns with `…`. Borrows when it fits.
#[must_use]
pub fn truncate(s: &str, max_width: usize) -> Cow<'_, str> {
    if width(s) <= max_width {
        return Cow::Borrowed(s);
    }
    let mut out = Sink::new(max_width);
    for c in s.chars() {
        if !out.push(c) {
            break;
        }
    }
    Cow::Owned(out.finish())
}

/// Display width of (clean) text, in terminal columns, summed per
/// grapheme cluster as ratatui lays text out.
#[must_use]
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len() - s.bytes().filter(u8::is_ascii_control).count();
    }
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Cleans multi-line text that leaves quell (clipboard, `:export` files):
/// every line as [`clean_line`] without a width cap, newlines kept. The
/// result carries no control character other than `\n`, so pasting it into
/// a shell or `cat`-ing the file can neither run a terminal sequence nor end
/// a bracketed paste early.
#[must_use]
pub fn clean_block(s: &str) -> String {
    if is_inert_block(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Files and the clipboard keep emoji as they are: no layout there.
        let mut sink = Sink::new(usize::MAX);
        sink.clusters = None;
        strip_into(line, &mut sink);
        out.push_str(&sink.finish());
    }
    out
}

/// Writes `c` visibly when it is [control or bidi](is_control_or_bidi) (`\u{1b}`), as is otherwise.
pub fn push_escaped(out: &mut String, c: char) {
    if is_control_or_bidi(c) {
        let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{{{:x}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}

/// `s` with every [control or bidi](is_control_or_bidi) character written as `\u{…}`, cut to
/// `max_chars` characters (with `…`): for naming a hostile string in a
/// message without running or hiding it.
#[must_use]
pub fn escape_visible(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push(ELLIPSIS);
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// True when no character of `s` needs removing or replacing.
fn is_inert(s: &str) -> bool {
    s.chars().all(|c| !is_control_or_bidi(c) && !clusters::needs_rewrite(c))
}

fn is_inert_block(s: &str) -> bool {
    s.chars().all(|c| c == '\n' || !is_control_or_bidi(c))
}

/// A character that must never leave quell or reach a terminal raw: C0
/// (tab and newline included: callers that keep them say so), DEL, C1 and
/// the [bidi controls](is_bidi_control).
#[must_use]
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The one list of characters that reorder text: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), LRM/RLM and the Arabic letter
/// mark (U+061C). Every check in quell uses this list.
#[must_use]
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Accumulates output up to a display width, remembering whether anything
/// was cut so the ellipsis is added exactly once.
struct Sink {
    out: String,
    width: usize,
    max: usize,
    cut: bool,
    /// Rewrites clusters for the screen; `None` keeps them.
    clusters: Option<Clusters>,
}

impl Sink {
    fn new(max: usize) -> Self {
        Self { out: String::new(), width: 0, max, cut: false, clusters: Some(Clusters::default()) }
    }

    /// Appends one printable char; returns false once the width is exhausted.
    fn push(&mut self, c: char) -> bool {
        if self.cut {
            return false;
        }
        let c = match c {
            '\n' => NEWLINE_MARK,
            '\t' => ' ',
            _ => c,
        };
        let c = match &mut self.clusters {
            Some(cl) => match cl.feed(c) {
                Some(c) => c,
                None => return true,
            },
            None => c,
        };
        let w = c.width().unwrap_or(0);
        // Whether the ellipsis is needed is only known once something does
        // not fit, so `finish` makes room for it afterwards.
        if self.width + w > self.max {
            self.cut = true;
            return false;
        }
        self.out.push(c);
        self.width += w;
        true
    }

    fn finish(mut self) -> String {
        if self.cut {
            if self.max == 0 {
                return String::new();
            }
            // Drop chars from the end until the ellipsis fits.
            while self.width + 1 > self.max {
                match self.out.pop() {
                    Some(c) => self.width -= c.width().unwrap_or(0),
                    None => break,
                }
            }
            self.out.push(ELLIPSIS);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_inert(s: &str) {
        for c in s.chars() {
            assert!(!c.is_control(), "control {:?} left in {s:?}", c as u32);
            assert!(!is_bidi_control(c), "bidi {:?} left in {s:?}", c as u32);
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(clean("payments p99 > 2s"), Cow::Borrowed(_)));
        assert!(matches!(clean("日本語 ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn osc52_clipboard_write_is_removed() {
        let hostile = "db\x1b]52;c;cm0gLXJmIH4=\x07-primary";
        assert_eq!(clean(hostile), "db-primary");
        // ST-terminated variant.
        assert_eq!(clean("a\x1b]52;c;Zm9v\x1b\\b"), "ab");
        // Unterminated: the payload never shows.
        assert_eq!(clean("a\x1b]52;c;Zm9vYmFy"), "a");
    }

    #[test]
    fn csi_sequences_are_removed() {
        assert_eq!(clean("\x1b[2Jwiped"), "wiped");
        assert_eq!(clean("\x1b[31mred\x1b[0m"), "red");
        assert_eq!(clean("\x1b[?1049lout"), "out");
        assert_eq!(clean("x\x1b[1;31"), "x");
        // 8-bit CSI (U+009B) as a terminal in UTF-8 mode may honour it.
        assert_eq!(clean("a\u{9b}2Jb"), "ab");
        assert_eq!(clean("a\u{9d}0;title\u{9c}b"), "ab");
    }

    #[test]
    fn other_escapes_and_strings_are_removed() {
        assert_eq!(clean("\x1bPq#0;2;0;0;0\x1b\\ok"), "ok"); // DCS sixel
        assert_eq!(clean("\x1b_Gf=100;AAAA\x1b\\ok"), "ok"); // APC kitty graphics
        assert_eq!(clean("\x1b^pm\x1b\\ok"), "ok");
        assert_eq!(clean("\x1bXsos\x07ok"), "ok");
        assert_eq!(clean("\x1b(Bok\x1bc"), "ok");
        assert_eq!(clean("lone\x1b"), "lone");
    }

    #[test]
    fn controls_bidi_and_newlines() {
        assert_eq!(clean("a\tb"), "a b");
        assert_eq!(clean("a\r\nb"), "a\u{23ce}b");
        assert_eq!(clean("a\x07\x08\x7f\u{85}b"), "ab");
        assert_eq!(clean("invoice\u{202e}gnp.exe"), "invoicegnp.exe");
        assert_eq!(clean("\u{2066}x\u{2069}\u{200e}\u{200f}\u{061c}"), "x");
        assert_eq!(clean_lines("one\ntwo\x1b[2J\r", 10), vec!["one", "two"]);
    }

    #[test]
    fn blocks_keep_their_lines_and_lose_their_controls() {
        assert_eq!(clean_block("a\nb\n"), "a\nb\n");
        assert_eq!(clean_block("a\x1b]0;t\x07\r\nb\u{61c}\u{9b}2J\n"), "a\nb\n");
        let long = "x".repeat(MAX_WIDTH * 2);
        assert_eq!(clean_block(&long), long, "no width cap for files");
    }

    #[test]
    fn visible_escapes_name_hostile_text() {
        assert_eq!(escape_visible("a\x1b]0;\u{202e}\u{61c}b", 20), "a\\u{1b}]0;\\u{202e}\\u{61c}b");
        assert_eq!(escape_visible("abcdef", 3), "abc\u{2026}");
    }

    #[test]
    fn clean_lines_caps_line_count() {
        let many = "x\n".repeat(50);
        let lines = clean_lines(&many, 5);
        assert_eq!(lines.len(), 5);
        assert!(lines[4].contains("more lines"));
    }

    #[test]
    fn width_is_capped_with_ellipsis() {
        assert_eq!(clean_line("abcdef", 4), "abc\u{2026}");
        assert_eq!(clean_line("abcd", 4), "abcd");
        assert_eq!(clean_line("abc", 0), "");
        // Wide chars: never exceed the budget, even when a wide char straddles it.
        let s = clean_line("日本語テキスト", 6);
        assert!(s.width() <= 6, "{s}");
        assert!(s.ends_with(ELLIPSIS));
        assert_eq!(truncate("ab日本", 4), "ab\u{2026}");
        assert_eq!(truncate("ab", 4), "ab");
    }

    #[test]
    fn huge_hostile_strings_are_bounded_and_inert() {
        let mut s = String::new();
        while s.len() < 100_000 {
            s.push_str("\x1b[2J\u{202e}日本\x1b]52;c;QUJD\x07\u{9b}31m\r\n\t");
        }
        let out = clean(&s);
        assert!(out.width() <= MAX_WIDTH);
        assert_inert(&out);
        assert!(out.contains('日'));
        let short = clean_line(&s, 20);
        assert!(short.width() <= 20);
        assert_inert(&short);
        let plain = "x".repeat(100_000);
        assert_eq!(clean(&plain).width(), MAX_WIDTH);
    }

    #[test]
    fn every_single_char_is_handled() {
        // Each code point alone, and after ESC, comes out inert.
        for cp in (0u32..0x3000).chain(0xfff0..0x10000) {
            if let Some(c) = char::from_u32(cp) {
                assert_inert(&clean(&c.to_string()));
                assert_inert(&clean(&format!("\x1b{c}tail")));
            }
        }
    }
}
