//! Text helpers for drawing: external strings in, safe fixed-width cells
//! out. Every string from the view goes through `crate::sanitize` here or
//! in the caller before it becomes a `Span`.

use crate::sanitize;

/// Sanitized, cut to `width` columns and padded with spaces to exactly
/// `width`, for aligned columns.
#[must_use]
pub fn cell(s: &str, width: usize) -> String {
    let mut out = sanitize::clean_line(s, width);
    let w = sanitize::width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// Like `cell` but right-aligned.
#[must_use]
pub fn cell_right(s: &str, width: usize) -> String {
    let body = sanitize::clean_line(s, width);
    let pad = width.saturating_sub(sanitize::width(&body));
    let mut out: String = std::iter::repeat_n(' ', pad).collect();
    out.push_str(&body);
    out
}

/// Sanitized text word-wrapped into at most `max_lines` lines of `width`
/// columns; words longer than a line are broken, and the last line ends
/// with `…` when text was left out.
#[must_use]
pub fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let clean = sanitize::clean(s);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    let mut overflow = false;
    'words: for word in clean.split(' ').filter(|w| !w.is_empty()) {
        let ww = sanitize::width(word);
        if cur_w > 0 && cur_w + 1 + ww <= width {
            cur.push(' ');
            cur.push_str(word);
            cur_w += 1 + ww;
            continue;
        }
        if cur_w > 0 {
            lines.push(std::mem::take(&mut cur));
            cur_w = 0;
        }
        for c in word.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if cur_w + cw > width {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            if lines.len() >= max_lines {
                overflow = true;
                break 'words;
            }
            cur.push(c);
            cur_w += cw;
        }
        if lines.len() >= max_lines {
            overflow = true;
            break;
        }
    }
    if !cur.is_empty() {
        if lines.len() < max_lines {
            lines.push(cur);
        } else {
            overflow = true;
        }
    }
    lines.truncate(max_lines);
    if overflow && let Some(last) = lines.last_mut() {
        let mut kept = String::new();
        let mut w = 0;
        for c in last.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw + 1 > width {
                break;
            }
            kept.push(c);
            w += cw;
        }
        kept.push('\u{2026}');
        *last = kept;
    }
    lines
}

/// First row to show so that `cursor` stays visible in `height` rows,
/// keeping the cursor near the middle once the list scrolls.
#[must_use]
pub fn scroll_to(cursor: usize, height: usize, total: usize) -> usize {
    if height == 0 || total <= height {
        return 0;
    }
    cursor.saturating_sub(height / 2).min(total - height)
}

/// Width in columns of a `Rect` dimension, as `usize`.
#[must_use]
pub fn cols(w: u16) -> usize {
    usize::from(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_exact_width() {
        assert_eq!(cell("abc", 5), "abc  ");
        assert_eq!(cell("abcdef", 4), "abc\u{2026}");
        assert_eq!(cell_right("7", 3), "  7");
        assert_eq!(sanitize::width(&cell("日本語", 5)), 5);
        assert_eq!(cell("\x1b[2Jx", 2), "x ");
    }

    #[test]
    fn wraps_words_and_marks_the_cut() {
        assert_eq!(wrap("deploy v1 -> v2 at noon", 10, 3), ["deploy v1", "-> v2 at", "noon"]);
        assert_eq!(wrap("abcdefghij", 4, 2), ["abcd", "efg\u{2026}"]);
        assert_eq!(wrap("one two three four", 9, 1), ["one two\u{2026}"]);
        assert!(wrap("", 5, 2).is_empty());
        for l in wrap("日本語のテキスト\x1b[2J", 5, 4) {
            assert!(sanitize::width(&l) <= 5, "{l}");
        }
        assert!(wrap("x", 0, 3).len() <= 3);
    }

    #[test]
    fn scrolling_keeps_cursor_visible() {
        assert_eq!(scroll_to(0, 5, 3), 0);
        assert_eq!(scroll_to(9, 5, 10), 5);
        assert_eq!(scroll_to(4, 5, 10), 2);
        assert_eq!(scroll_to(3, 0, 10), 0);
    }
}
