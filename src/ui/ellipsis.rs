//! Cutting in the middle: for text whose end is what tells rows apart
//! (pod names, instances, "... on cart (cart-9608f-2:8080)"), keep the
//! start and the end and put `…` between them.
//!
//! Sanitizes like the rest of `ui` (via `crate::sanitize`); widths in
//! terminal columns.

use unicode_width::UnicodeWidthChar;

use crate::sanitize;

/// `s` sanitized and at most `width` columns, cut in the middle when too long.
#[must_use]
pub fn middle(s: &str, width: usize) -> String {
    let clean = sanitize::clean(s);
    if sanitize::width(&clean) <= width {
        return clean.into_owned();
    }
    if width <= 1 {
        return "\u{2026}".chars().take(width).collect();
    }
    let room = width - 1;
    // The end gets a little more: it is usually what differs.
    let tail_w = room.div_ceil(2) + room / 6;
    let head_w = room.saturating_sub(tail_w);
    let mut head = String::new();
    let mut w = 0;
    for c in clean.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut tw = 0;
    for c in clean.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if tw + cw > room - w {
            break;
        }
        tail.push(c);
        tw += cw;
    }
    tail.reverse();
    format!("{head}\u{2026}{}", tail.into_iter().collect::<String>())
}

/// Like [`middle`], padded with spaces to exactly `width` columns.
#[must_use]
pub fn middle_cell(s: &str, width: usize) -> String {
    let mut out = middle(s, width);
    let w = sanitize::width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_end_that_tells_rows_apart() {
        let a = middle("InstanceHighErrorRate resolved on cart (cart-9608f-1:8080)", 30);
        let b = middle("InstanceHighErrorRate resolved on cart (cart-9608f-2:8080)", 30);
        assert_ne!(a, b);
        assert!(a.ends_with("cart-9608f-1:8080)"), "{a}");
        assert!(a.starts_with("Instance"), "{a}");
        assert_eq!(sanitize::width(&a), 30);
        assert_eq!(middle("short", 30), "short");
        assert_eq!(middle_cell("short", 7), "short  ");
        assert_eq!(sanitize::width(&middle("日本語のテキストです", 7)), 7);
        assert_eq!(middle("\x1b[2Jabc", 10), "abc");
        assert_eq!(middle("abcdef", 1), "\u{2026}");
        assert_eq!(middle("abcdef", 0), "");
    }
}
