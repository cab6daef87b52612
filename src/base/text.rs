//! Cutting text to a byte budget without splitting a character.

/// `s` cut to at most `max` bytes on a char boundary.
#[must_use]
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_on_a_char_boundary() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abc", 2), "ab");
        // `é` is two bytes: a budget ending inside it drops it whole.
        assert_eq!(cut("aé", 2), "a");
    }
}
