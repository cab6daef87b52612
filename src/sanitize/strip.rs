//! The escape-sequence walker: what a terminal would read as a control
//! sequence (CSI, OSC, DCS, APC, PM, SOS, nF and two-character escapes,
//! with their 8-bit C1 introducers) is skipped whole, other controls and
//! bidi marks are dropped, and everything else goes on to the [`Sink`].
//! It decides what is removed, never how the rest is laid out.

use super::{Sink, is_control_or_bidi};

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
/// 8-bit String Terminator.
const ST8: char = '\u{9c}';

/// Walks `s`, skipping escape sequences and controls, feeding the rest to `out`.
pub(super) fn strip_into(s: &str, out: &mut Sink) {
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ESC => match it.peek().copied() {
                Some('[') => {
                    it.next();
                    skip_csi(&mut it);
                }
                Some(']' | 'P' | '_' | '^' | 'X') => {
                    it.next();
                    skip_string(&mut it);
                }
                // nF escapes (`ESC ( B` and friends): intermediates then a final.
                Some('\u{20}'..='\u{2f}') => {
                    while it.next_if(|c| ('\u{20}'..='\u{2f}').contains(c)).is_some() {}
                    it.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
                }
                // Two-character escapes (`ESC 7`, `ESC c`, `ESC M`, ...).
                Some('\u{30}'..='\u{7e}') => {
                    it.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut it),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\n' | '\t' => {
                if !out.push(c) {
                    return;
                }
            }
            c if is_control_or_bidi(c) => {}
            c => {
                if !out.push(c) {
                    return;
                }
            }
        }
    }
}

/// Skips a CSI body: parameters (0x30–0x3F), intermediates (0x20–0x2F) and
/// one final byte (0x40–0x7E). Anything else ends the sequence early and is
/// processed as ordinary text (the terminal would abort the sequence too).
fn skip_csi(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while it.next_if(|c| ('\u{30}'..='\u{3f}').contains(c)).is_some() {}
    while it.next_if(|c| ('\u{20}'..='\u{2f}').contains(c)).is_some() {}
    it.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// Skips an OSC/DCS/APC/PM/SOS body up to BEL, `ESC \` or the 8-bit ST.
/// An unterminated string swallows the rest of the input, as a terminal
/// would: its payload is exactly what must never be shown or executed.
fn skip_string(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = it.next() {
        match c {
            BEL | ST8 => return,
            ESC => {
                it.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}
