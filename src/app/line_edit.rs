//! Readline-style editing of one line of text with a cursor: moves by
//! character and word, deletes before, under and around the cursor.
//!
//! Pure string work on a `String` and a cursor counted in characters (so a
//! multi-byte character is one step). Which key does what is the keymap's
//! business (`Context::Input`); this module only knows the operations.

use super::action::Action;

/// A line being edited and its cursor (a character index, `0..=len`).
#[derive(Debug)]
pub struct Line<'a> {
    pub text: &'a mut String,
    pub cursor: &'a mut usize,
}

fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

/// Words are runs of non-space characters, as in a shell line.
fn word_start_before(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i > 0 && chars[i - 1] == ' ' {
        i -= 1;
    }
    while i > 0 && chars[i - 1] != ' ' {
        i -= 1;
    }
    i
}

fn word_end_after(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() && chars[i] == ' ' {
        i += 1;
    }
    while i < chars.len() && chars[i] != ' ' {
        i += 1;
    }
    i
}

impl Line<'_> {
    fn clamp(&mut self) -> usize {
        let len = self.text.chars().count();
        *self.cursor = (*self.cursor).min(len);
        len
    }

    /// Inserts one character at the cursor and moves past it.
    pub fn insert(&mut self, c: char) {
        self.clamp();
        let at = byte_at(self.text, *self.cursor);
        self.text.insert(at, c);
        *self.cursor += 1;
    }

    /// Deletes the characters `from..to` (character indices) and puts the
    /// cursor at `from`.
    fn delete(&mut self, from: usize, to: usize) {
        let (a, b) = (byte_at(self.text, from), byte_at(self.text, to));
        self.text.replace_range(a..b, "");
        *self.cursor = from;
    }

    /// Applies an editing action; false when the action is not one.
    pub fn apply(&mut self, action: Action) -> bool {
        let len = self.clamp();
        let cur = *self.cursor;
        let chars: Vec<char> = self.text.chars().collect();
        match action {
            Action::CursorLeft => *self.cursor = cur.saturating_sub(1),
            Action::CursorRight => *self.cursor = (cur + 1).min(len),
            Action::LineStart => *self.cursor = 0,
            Action::LineEnd => *self.cursor = len,
            Action::WordLeft => *self.cursor = word_start_before(&chars, cur),
            Action::WordRight => *self.cursor = word_end_after(&chars, cur),
            Action::DeleteBack if cur > 0 => self.delete(cur - 1, cur),
            Action::DeleteForward if cur < len => self.delete(cur, cur + 1),
            Action::DeleteWord => self.delete(word_start_before(&chars, cur), cur),
            Action::DeleteToStart => self.delete(0, cur),
            Action::DeleteToEnd => self.delete(cur, len),
            Action::DeleteBack | Action::DeleteForward => {}
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, cursor: usize, actions: &[Action]) -> (String, usize) {
        let mut t = text.to_string();
        let mut c = cursor;
        let mut line = Line { text: &mut t, cursor: &mut c };
        for a in actions {
            assert!(line.apply(*a), "{a:?}");
        }
        (t, c)
    }

    #[test]
    fn moves_by_character_word_and_line() {
        let s = "silence a=\"x\" b=\"y\" -- note";
        assert_eq!(run(s, 99, &[Action::LineStart]).1, 0);
        assert_eq!(run(s, 0, &[Action::LineEnd]).1, s.chars().count());
        assert_eq!(run(s, 0, &[Action::WordRight]).1, 7);
        assert_eq!(run(s, 0, &[Action::WordRight, Action::WordRight]).1, 13);
        assert_eq!(run(s, 13, &[Action::WordLeft]).1, 8);
        assert_eq!(run(s, 8, &[Action::WordLeft, Action::WordLeft]).1, 0);
        assert_eq!(run(s, 0, &[Action::CursorLeft]).1, 0, "clamped at the start");
        assert_eq!(run("ab", 2, &[Action::CursorRight]).1, 2, "clamped at the end");
        assert_eq!(run("日本語", 3, &[Action::CursorLeft, Action::CursorLeft]).1, 1);
    }

    #[test]
    fn deletes_around_the_cursor() {
        assert_eq!(run("abc", 1, &[Action::DeleteBack]), ("bc".into(), 0));
        assert_eq!(run("abc", 0, &[Action::DeleteBack]), ("abc".into(), 0));
        assert_eq!(run("abc", 1, &[Action::DeleteForward]), ("ac".into(), 1));
        assert_eq!(run("abc", 3, &[Action::DeleteForward]), ("abc".into(), 3));
        assert_eq!(run("one two three", 7, &[Action::DeleteWord]), ("one  three".into(), 4));
        assert_eq!(run("one two  ", 9, &[Action::DeleteWord]), ("one ".into(), 4));
        assert_eq!(run("one two", 4, &[Action::DeleteToStart]), ("two".into(), 0));
        assert_eq!(run("one two", 3, &[Action::DeleteToEnd]), ("one".into(), 3));
        assert_eq!(run("日本語", 2, &[Action::DeleteBack]), ("日語".into(), 1));
    }

    #[test]
    fn inserts_at_the_cursor() {
        let mut t = "ac".to_string();
        let mut c = 1;
        Line { text: &mut t, cursor: &mut c }.insert('b');
        assert_eq!((t.as_str(), c), ("abc", 2));
        let mut c = usize::MAX;
        Line { text: &mut t, cursor: &mut c }.insert('d');
        assert_eq!((t.as_str(), c), ("abcd", 4), "a cursor past the end appends");
        assert!(!Line { text: &mut t, cursor: &mut c }.apply(Action::Quit));
    }
}
