//! Byte-level scanning of a log line: one table of byte classes, and the
//! whitespace tokenizer that reads it.
//!
//! Every question the masker asks about a byte (is it part of a word, a
//! digit, a separator, a mark that makes a path or a host name) is one load
//! from [`CLASS`]. The tokenizer visits each byte of a line once and hands
//! out every token with the union of its bytes' classes ([`Shape`]), so the
//! shape tests of [`super::token`] know which shapes are possible without
//! scanning the token again.
//!
//! Pure functions over bytes; no allocation, no state.

/// A set of byte classes (bits below), for one byte or a whole token.
pub type Shape = u16;

/// Letters, digits, `_` and every non-ASCII byte: what a word is made of.
pub const WORD: Shape = 1;
/// `0-9`.
pub const DIGIT: Shape = 1 << 1;
/// ASCII letters and non-ASCII bytes (letters of other scripts).
pub const LETTER: Shape = 1 << 2;
/// ASCII letters only.
pub const ALPHA: Shape = 1 << 3;
/// `.`, `-`, `+`: join two word runs into one (`10.0.0.1`, `1.5e+3`).
pub const CONNECT: Shape = 1 << 4;
/// Ends the value of a `key=value` inside a token.
pub const DELIM: Shape = 1 << 5;
/// Opens a quoted or bracketed `key=` value.
pub const OPENER: Shape = 1 << 6;
/// ASCII whitespace, exactly the bytes `str::split_ascii_whitespace` splits on.
pub const SPACE: Shape = 1 << 7;
/// `/` and `\`.
pub const SLASH: Shape = 1 << 8;
/// `:`.
pub const COLON: Shape = 1 << 9;
/// `.`.
pub const DOT: Shape = 1 << 10;
/// `-`.
pub const DASH: Shape = 1 << 11;
/// Punctuation that may wrap a value at its start (`(`, `"`).
pub const LEAD: Shape = 1 << 12;
/// Punctuation that may wrap a value at its end (`)`, `,`, `:`).
pub const TAIL: Shape = 1 << 13;
/// `0-9`, `a-f`, `A-F`.
pub const HEX: Shape = 1 << 14;

/// The marks a value without digits is recognised by (paths, endpoints,
/// host names, hardware addresses).
pub const MARK: Shape = SLASH | COLON | DOT | DASH;

/// The class of every byte value.
pub static CLASS: [Shape; 256] = table();

const fn table() -> [Shape; 256] {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 {
            c |= WORD;
        }
        if b.is_ascii_digit() {
            c |= DIGIT;
        }
        if b.is_ascii_alphabetic() || b >= 0x80 {
            c |= LETTER;
        }
        if b.is_ascii_alphabetic() {
            c |= ALPHA;
        }
        if b.is_ascii_hexdigit() {
            c |= HEX;
        }
        if b.is_ascii_whitespace() {
            c |= SPACE;
        }
        c |= match b {
            b'.' => CONNECT | DOT | TAIL,
            b'-' => CONNECT | DASH,
            b'+' => CONNECT,
            b'/' | b'\\' => SLASH,
            b':' => COLON | TAIL,
            b',' | b';' => DELIM | TAIL,
            b')' | b']' | b'}' => DELIM | TAIL,
            b'>' => TAIL,
            b'&' => DELIM,
            b'"' | b'\'' => DELIM | OPENER | LEAD | TAIL,
            b'`' => LEAD | TAIL,
            b'{' | b'[' | b'(' | b'<' => OPENER | LEAD,
            _ => 0,
        };
        t[i] = c;
        i += 1;
    }
    t
}

/// The class of one byte.
#[inline]
#[must_use]
pub fn class(b: u8) -> Shape {
    CLASS[usize::from(b)]
}

/// The union of the classes of `bytes`.
#[inline]
#[must_use]
pub fn shape(bytes: &[u8]) -> Shape {
    bytes.iter().fold(0, |s, &b| s | class(b))
}

/// The tokens of a line split on ASCII whitespace (as
/// `str::split_ascii_whitespace` splits), each with its [`Shape`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    line: &'a str,
    at: usize,
}

/// Splits `line` into whitespace-separated tokens.
#[must_use]
pub fn tokens(line: &str) -> Tokens<'_> {
    Tokens { line, at: 0 }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (&'a str, Shape);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.line.as_bytes();
        let mut i = self.at;
        while i < b.len() && class(b[i]) & SPACE != 0 {
            i += 1;
        }
        let start = i;
        let mut seen = 0;
        while i < b.len() {
            let c = class(b[i]);
            if c & SPACE != 0 {
                break;
            }
            seen |= c;
            i += 1;
        }
        self.at = i;
        // Whitespace bytes are ASCII, so both ends are char boundaries.
        (i > start).then(|| self.line.get(start..i).map(|t| (t, seen))).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_split_ascii_whitespace() {
        let lines = [
            "",
            "   ",
            "a",
            " a  b\tc\n d\r\x0ce ",
            "x\x0by z",
            "héllo wörld\u{a0}x  日本 語",
            "key=\"a b\" [1, 2]",
        ];
        for l in lines {
            let ours: Vec<&str> = tokens(l).map(|(t, _)| t).collect();
            let std: Vec<&str> = l.split_ascii_whitespace().collect();
            assert_eq!(ours, std, "{l:?}");
        }
    }

    #[test]
    fn a_token_carries_the_classes_of_its_bytes() {
        let got: Vec<Shape> = tokens("abc 10.0.0.1 /x: é").map(|(_, s)| s).collect();
        assert_eq!(got[0] & (WORD | ALPHA | HEX | DIGIT), WORD | ALPHA | HEX);
        assert_eq!(got[1] & (DIGIT | DOT | ALPHA), DIGIT | DOT);
        assert_eq!(got[2] & MARK, SLASH | COLON);
        assert_eq!(got[3] & (LETTER | ALPHA | WORD), LETTER | WORD);
        assert_eq!(shape(b"a-b"), class(b'a') | class(b'-') | class(b'b'));
    }

    #[test]
    fn classes_agree_with_the_byte_predicates() {
        for b in 0..=255u8 {
            let c = class(b);
            assert_eq!(c & WORD != 0, b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80);
            assert_eq!(c & DIGIT != 0, b.is_ascii_digit());
            assert_eq!(c & ALPHA != 0, b.is_ascii_alphabetic());
            assert_eq!(c & HEX != 0, b.is_ascii_hexdigit());
            assert_eq!(c & SPACE != 0, b.is_ascii_whitespace());
            assert_eq!(c & CONNECT != 0, matches!(b, b'.' | b'-' | b'+'));
            assert_eq!(
                c & DELIM != 0,
                matches!(b, b',' | b';' | b')' | b']' | b'}' | b'&' | b'"' | b'\'')
            );
            assert_eq!(c & OPENER != 0, matches!(b, b'"' | b'\'' | b'{' | b'[' | b'(' | b'<'));
            assert_eq!(c & LEAD != 0, matches!(b, b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'`'));
            assert_eq!(
                c & TAIL != 0,
                matches!(
                    b,
                    b')' | b']' | b'}' | b'>' | b',' | b';' | b':' | b'.' | b'"' | b'\'' | b'`'
                )
            );
            assert_eq!(c & MARK != 0, matches!(b, b'/' | b'\\' | b':' | b'.' | b'-'));
        }
    }
}
