//! Grapheme clusters that ratatui and the terminal would measure
//! differently, rewritten into ones they agree on.
//!
//! ratatui gives a cluster the width of the whole cluster (a zero-width
//! joiner family 👨‍👩‍👧 is 2 columns), while many terminals, tmux among them,
//! draw each emoji of it (6 columns): every cell after it is drawn in the
//! wrong place, leaving stale characters and stray border glyphs. Flags
//! (regional-indicator pairs), skin-tone modifiers, variation selectors and
//! tag sequences differ the same way. So, per cluster:
//!
//! * a ZWJ emoji sequence keeps its first emoji (👨‍👩‍👧 → 👨); a ZWJ
//!   between letters (Indic half forms) is dropped, the letters kept;
//! * regional indicators become their ASCII letters (🇩🇪 → `DE`);
//! * skin-tone modifiers, variation selectors, emoji tags and zero-width
//!   spaces are dropped;
//! * combining marks stay with their base (at most [`MAX_MARKS`]), and one
//!   with no base is dropped (it would combine with a border).
//!
//! What remains is one base character (width 1 or 2) plus marks (width 0)
//! per cluster, which both sides measure alike.

use unicode_width::UnicodeWidthChar;

/// Combining marks kept per base character ("Zalgo" text has hundreds).
pub const MAX_MARKS: usize = 4;

const ZWJ: char = '\u{200d}';

/// Whether `c` needs the rewriting at all (so clean text can be borrowed).
pub fn needs_rewrite(c: char) -> bool {
    c == ZWJ || dropped(c) || regional_letter(c).is_some() || c.width() == Some(0)
}

/// Dropped wherever it appears.
fn dropped(c: char) -> bool {
    matches!(c,
        '\u{fe00}'..='\u{fe0f}'          // variation selectors (VS16: emoji presentation)
        | '\u{1f3fb}'..='\u{1f3ff}'      // skin-tone modifiers
        | '\u{e0000}'..='\u{e007f}'      // tags (subdivision flags)
        | '\u{e0100}'..='\u{e01ef}'      // variation selectors supplement
        | '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{180e}')
}

/// A regional indicator as the ASCII letter it stands for.
fn regional_letter(c: char) -> Option<char> {
    let offset = u32::from(c).checked_sub(0x1f1e6).filter(|o| *o < 26)?;
    char::from_u32(u32::from('A') + offset)
}

/// Emoji that join into ZWJ sequences (an approximation of Unicode's
/// Extended_Pictographic that covers every emoji block).
fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{2300}'..='\u{23ff}' | '\u{2600}'..='\u{27bf}' | '\u{2b00}'..='\u{2bff}'
        | '\u{1f000}'..='\u{1faff}')
}

/// The state of the cluster being written.
#[derive(Debug, Default)]
pub struct Clusters {
    /// A base character has been written (marks may follow).
    has_base: bool,
    /// The last base was an emoji.
    last_pictographic: bool,
    /// A ZWJ followed that emoji: the next emoji is part of its sequence.
    joined: bool,
    marks: usize,
}

impl Clusters {
    /// What to write for `c`, if anything.
    pub fn feed(&mut self, c: char) -> Option<char> {
        if dropped(c) {
            return None;
        }
        if c == ZWJ {
            self.joined = self.last_pictographic;
            return None;
        }
        let c = regional_letter(c).unwrap_or(c);
        if std::mem::take(&mut self.joined) && is_pictographic(c) {
            return None;
        }
        if c.width() == Some(0) {
            if !self.has_base || self.marks >= MAX_MARKS {
                return None;
            }
            self.marks += 1;
            return Some(c);
        }
        self.has_base = true;
        self.last_pictographic = is_pictographic(c);
        self.marks = 0;
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(s: &str) -> String {
        let mut cl = Clusters::default();
        s.chars().filter_map(|c| cl.feed(c)).collect()
    }

    #[test]
    fn clusters_become_what_both_sides_measure_alike() {
        assert_eq!(rewrite("a\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}b"), "a\u{1f468}b");
        assert_eq!(rewrite("\u{1f1e9}\u{1f1ea} ok"), "DE ok");
        assert_eq!(rewrite("\u{1f44d}\u{1f3fd}\u{2764}\u{fe0f}"), "\u{1f44d}\u{2764}");
        assert_eq!(rewrite("\u{1f3f4}\u{e0067}\u{e0062}\u{e007f}"), "\u{1f3f4}");
        assert_eq!(rewrite("e\u{301}x\u{200b}y"), "e\u{301}xy");
        // A mark with no base would combine with whatever is drawn before.
        assert_eq!(rewrite("\u{301}a"), "a");
        let zalgo: String =
            std::iter::once('z').chain(std::iter::repeat_n('\u{336}', 50)).collect();
        assert_eq!(rewrite(&zalgo).chars().count(), 1 + MAX_MARKS);
        // ZWJ between letters: the letters stay.
        assert_eq!(rewrite("\u{915}\u{94d}\u{200d}\u{937}"), "\u{915}\u{94d}\u{937}");
    }
}
