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
    fn scrolling_keeps_cursor_visible() {
        assert_eq!(scroll_to(0, 5, 3), 0);
        assert_eq!(scroll_to(9, 5, 10), 5);
        assert_eq!(scroll_to(4, 5, 10), 2);
        assert_eq!(scroll_to(3, 0, 10), 0);
    }
}
