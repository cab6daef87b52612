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

/// Pieces of at most `width` columns: broken at a space when one is near,
/// anywhere otherwise; continuation lines keep the line's indent.
#[must_use]
pub fn wrap_whole(line: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(2);
    if sanitize::width(line) <= width {
        return vec![line.to_string()];
    }
    // Continuations hang two columns in from the line's own indent.
    let indent = (line.chars().take_while(|c| *c == ' ').count() + 2).min(width / 2);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            // Back up to the last space of this piece when it is not too far.
            let cut = cur.rfind(' ').filter(|&p| p > indent && cur.len() - p < width / 3);
            let rest = match cut {
                Some(p) => {
                    let rest = cur[p + 1..].to_string();
                    cur.truncate(p);
                    rest
                }
                None => String::new(),
            };
            out.push(std::mem::take(&mut cur));
            cur = " ".repeat(indent);
            cur.push_str(&rest);
            used = sanitize::width(&cur);
        }
        cur.push(c);
        used += w;
    }
    if !cur.trim().is_empty() || out.is_empty() {
        out.push(cur);
    }
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

    /// Labels whose grapheme clusters terminals draw wider than ratatui
    /// measures them (or the other way round).
    const CLUSTERS: [&str; 6] = [
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}-family",
        "\u{1f1e9}\u{1f1ea}\u{1f1eb}\u{1f1f7}-flags",
        "thumbs-\u{1f44d}\u{1f3fd}-\u{2764}\u{fe0f}",
        "caf\u{e9}-cafe\u{301}-\u{301}lead",
        "z\u{336}\u{336}\u{336}\u{336}\u{336}\u{336}algo\u{200b}\u{200b}",
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}-tag",
    ];

    /// Columns a terminal that draws each character by its own width
    /// (tmux, most of them) uses for a cell's symbol.
    fn terminal_cols(symbol: &str) -> usize {
        symbol.chars().map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)).sum()
    }

    /// Every row of `buf` as the terminal draws it is exactly as wide as
    /// the buffer: no cell claims fewer columns than the terminal uses.
    fn assert_rows_fit(buf: &ratatui::buffer::Buffer, what: &str) {
        for y in 0..buf.area.height {
            let mut drawn = 0;
            let mut x = 0;
            while x < buf.area.width {
                let sym = buf[(x, y)].symbol();
                let ratatui_w = unicode_width::UnicodeWidthStr::width(sym).max(1);
                assert_eq!(
                    terminal_cols(sym).max(1),
                    ratatui_w,
                    "{what}: row {y} col {x}: {sym:?} measured differently"
                );
                drawn += terminal_cols(sym).max(1);
                x += u16::try_from(ratatui_w).unwrap();
            }
            assert_eq!(drawn, usize::from(buf.area.width), "{what}: row {y} is {drawn} wide");
        }
    }

    #[test]
    fn grapheme_clusters_never_shift_a_row_at_80x24() {
        use crate::app::{Msg, fixture, update};
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut s = fixture::state();
        let mut view = (*s.view).clone();
        let inc = s.selected_incident().unwrap().clone();
        let mut title_inc = (*view.incidents[0]).clone();
        title_inc.title = CLUSTERS.join(" ");
        view.incidents[0] = std::sync::Arc::new(title_inc);
        for fp in &inc.alerts {
            let a = view.alerts.get_mut(fp).unwrap();
            for (i, v) in CLUSTERS.iter().enumerate() {
                a.alert.labels.insert(format!("k{i}"), (*v).to_string());
            }
            a.alert.labels.insert("instance".into(), CLUSTERS[0].to_string());
            a.alert.labels.insert("service".into(), CLUSTERS[1].to_string());
        }
        update(&mut s, Msg::View(std::sync::Arc::new(view)));
        let draw = |s: &crate::app::State| {
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
            term.draw(|f| crate::ui::render(f, s, &s.theme)).unwrap();
            term.backend().buffer().clone()
        };
        let main = draw(&s);
        assert_rows_fit(&main, "main screen");
        let shown: String = main.content.iter().map(ratatui::buffer::Cell::symbol).collect();
        assert!(shown.contains('\u{1f468}') && shown.contains("DEFR"), "{shown}");
        // The alert detail lists every label.
        for k in [KeyCode::Enter, KeyCode::Enter] {
            update(&mut s, Msg::Key(KeyEvent::new(k, KeyModifiers::NONE)));
        }
        assert!(s.drill.is_some());
        let detail = draw(&s);
        assert_rows_fit(&detail, "alert detail");
        let shown: String = detail.content.iter().map(ratatui::buffer::Cell::symbol).collect();
        assert!(shown.contains("-family") && shown.contains("cafe\u{301}"), "{shown}");
        // Borders stay where they belong: the right edge of every row that
        // has a left border.
        for y in 0..detail.area.height {
            if detail[(0, y)].symbol() == "\u{2502}" {
                assert_eq!(detail[(79, y)].symbol(), "\u{2502}", "row {y}");
            }
        }
    }

    #[test]
    fn scrolling_keeps_cursor_visible() {
        assert_eq!(scroll_to(0, 5, 3), 0);
        assert_eq!(scroll_to(9, 5, 10), 5);
        assert_eq!(scroll_to(4, 5, 10), 2);
        assert_eq!(scroll_to(3, 0, 10), 0);
    }

    #[test]
    fn wrapping_keeps_every_character_and_the_width() {
        let line = "  ERROR payment 4f2a refused: upstream connect error or disconnect/reset before headers. reset reason: connection termination";
        let parts = wrap_whole(line, 30);
        assert!(parts.len() > 3);
        for p in &parts {
            assert!(sanitize::width(p) <= 30, "{p}");
        }
        let squeeze = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
        assert_eq!(squeeze(&parts.concat()), squeeze(line), "nothing lost");
        let long_word = "x".repeat(70);
        assert_eq!(squeeze(&wrap_whole(&long_word, 30).concat()), long_word);
        assert_eq!(wrap_whole("short", 30), ["short"]);
    }
}
