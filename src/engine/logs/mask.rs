//! Tokenising and masking one log line, with no per-dataset rules.
//!
//! A line is split on whitespace. Inside each token, every run of "word"
//! characters (letters, digits, `_ - . +`) that contains a digit is a
//! variable: numbers, hex, IPs, UUIDs, block ids, timestamps, durations
//! (`12ms`), versioned ids all have digits, while the words that make a
//! template rarely do. A token with no letters left outside its variables
//! (`10.0.0.1:80`, `(0x1f)`) is a variable as a whole, and consecutive
//! whole-token variables collapse into one, so lists of numbers of varying
//! length still fall into one template.
//!
//! Values without digits are recognised by their shape (see [`super::token`]:
//! URLs, paths, endpoints, host, domain and file names, long hex), and the
//! value after `key=` is a variable whatever it looks like (`user=root`,
//! `rhost=example.org`), except a logger's message and error, which are
//! text (`msg="write failed"`, see [`token::is_message_key`]). A month or weekday name next to a masked date, and
//! a unit after a masked number (`12 ms`, `651 bytes`), join that variable,
//! so the same event reads alike whichever way a value was written.
//!
//! Owns no state beyond a reusable scratch buffer, so masking allocates
//! nothing per line once warm.

use super::{scan, token};

/// The hash of a whole-token variable. Constant tokens never hash to it.
pub const WILD: u64 = 0;

/// The text shown for a variable part.
pub const WILD_TEXT: &str = "<*>";

/// Tokens kept per line; the rest of a longer line is one trailing variable,
/// so an attacker's megabyte line costs no more than a normal one.
pub const MAX_TOKENS: usize = 128;

/// One masked line: token hashes plus the masked text of each token.
#[derive(Debug, Default, Clone)]
pub struct Masked {
    /// One hash per token; [`WILD`] for a whole-token variable.
    pub hashes: Vec<u64>,
    /// Masked text of all tokens, concatenated; `spans` index into it.
    text: String,
    spans: Vec<(u32, u32)>,
}

impl Masked {
    /// Masked text of token `i` (`<*>` for a whole-token variable).
    #[must_use]
    pub fn token(&self, i: usize) -> &str {
        match (self.hashes.get(i), self.spans.get(i)) {
            (Some(&h), Some(&(a, b))) if h != WILD => {
                self.text.get(a as usize..b as usize).unwrap_or(WILD_TEXT)
            }
            _ => WILD_TEXT,
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Masks `line` into `self`, reusing its buffers.
    pub fn fill(&mut self, line: &str) {
        self.hashes.clear();
        self.text.clear();
        self.spans.clear();
        let mut open_quote: Option<u8> = None;
        // Brackets still open in a list of values being skipped.
        let mut list_depth = 0i32;
        let mut rest = scan::tokens(line);
        while let Some((tok, seen)) = rest.next() {
            if self.hashes.len() + 1 >= MAX_TOKENS {
                self.push_wild();
                break;
            }
            if list_depth > 0 {
                // The next items of a list of values: part of it.
                list_depth += bracket_balance(tok);
                continue;
            }
            if tok.len() <= 9 && self.hashes.last() == Some(&WILD) && token::is_unit(tok) {
                // `12 ms` is one value, as `12ms` is.
                continue;
            }
            if let Some(q) = open_quote {
                // Inside a quoted `key="a value with spaces"`: part of it.
                if tok.as_bytes().contains(&q) {
                    open_quote = None;
                }
                continue;
            }
            let start = self.text.len();
            let mut t = mask_token(tok, &mut self.text, false);
            // A quoted value of three or more words is a sentence the
            // program wrote (`msg="upstream connect error or …"`), not a
            // datum like `user="Jane Doe"`: its words are masked one by one,
            // like the rest of the line, so the template keeps its message.
            if let Some(q) = t.open
                && rest.clone().next().is_some_and(|(next, _)| !next.as_bytes().contains(&q))
            {
                self.text.truncate(start);
                t = mask_token(tok, &mut self.text, true);
            }
            open_quote = t.open;
            // A list of values (`[id-1:GaoTie, id-2:DongChe]`, `[7]`) is one
            // variable however many items it has and whatever words sit
            // beside their values: its first item holds a value and ends
            // in this token.
            if t.var && starts_list(tok) {
                self.text.truncate(start);
                self.push_wild();
                list_depth = bracket_balance(tok);
                continue;
            }
            if t.var && tok.ends_with(',') && bracket_balance(tok) > 0 {
                // `ids=[1,`: the value's next items follow.
                list_depth = bracket_balance(tok);
            }
            let mut has_letter = t.constant;
            // A token that kept letters may still be a value by its shape;
            // only one with a mark or of some length can be. A position in
            // the code (`main.go:42`) looks like an endpoint but is none.
            if has_letter
                && !t.position
                && (tok.len() >= 8 || seen & scan::MARK != 0)
                && token::is_value_shaped(tok, seen)
            {
                has_letter = false;
            }
            if has_letter {
                let end = self.text.len();
                let h = hash_bytes(&self.text.as_bytes()[start..end]);
                self.hashes.push(h);
                self.spans.push((to_u32(start), to_u32(end)));
            } else {
                self.text.truncate(start);
                self.push_wild();
            }
        }
    }

    fn push_wild(&mut self) {
        // A month or weekday name before a masked date is part of it.
        while self.hashes.last().is_some_and(|&h| h != WILD)
            && self.spans.last().is_some_and(|&(a, b)| (3..=5).contains(&(b - a)))
            && token::is_date_word(self.token(self.hashes.len() - 1))
        {
            self.hashes.pop();
            if let Some((a, _)) = self.spans.pop() {
                self.text.truncate(a as usize);
            }
        }
        if self.hashes.last() != Some(&WILD) {
            self.hashes.push(WILD);
            let at = to_u32(self.text.len());
            self.spans.push((at, at));
        }
    }
}

/// Whether a token opens a list and ends its first item: `[` first, then
/// a `,` at its end or a `]` inside it.
fn starts_list(tok: &str) -> bool {
    let b = tok.as_bytes();
    b.len() > 2 && b[0] == b'[' && (b.ends_with(b",") || b[1..].contains(&b']'))
}

/// Brackets a token opens minus those it closes.
fn bracket_balance(tok: &str) -> i32 {
    tok.bytes().map(|c| i32::from(c == b'[') - i32::from(c == b']')).sum()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn is_word(b: u8) -> bool {
    scan::class(b) & scan::WORD != 0
}

/// Ends the value of a `key=value` inside a token.
fn is_delimiter(b: u8) -> bool {
    scan::class(b) & scan::DELIM != 0
}

fn is_connector(b: u8) -> bool {
    scan::class(b) & scan::CONNECT != 0
}

/// Opens a quoted or bracketed `key=` value.
fn is_opener(b: u8) -> bool {
    scan::class(b) & scan::OPENER != 0
}

/// The byte that closes a value opened by `open`.
fn closer(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'[' => b']',
        b'(' => b')',
        b'<' => b'>',
        q => q,
    }
}

/// Whether a run of word characters without digits is still a value: at
/// least eight characters, all hex digits (`deadbeefcafe`).
fn is_hex_run(run: &[u8]) -> bool {
    run.len() >= 8 && run.iter().all(u8::is_ascii_hexdigit)
}

/// Whether the digits at `b[start..end]` are the source line of a log
/// statement: logback's `%class#%line` (`r.c.RouteController#53`,
/// `OrderServiceImpl#120`: a package-qualified or CamelCase class, `#`) or
/// a source file and line (`main.go:42`, `Worker.java:132`, `sweep.c:1831`:
/// a file name with a source-code extension, `:`), then up to six digits
/// that end the token or meet punctuation. A position in the code is a
/// constant of the event: two statements of one class are two events,
/// however alike their text. A bare capitalised word (`Thread#12`,
/// `Worker#3`) is more often a counter and stays a variable, and a host
/// and port (`proxy.example.org:5070`) stays a value.
fn is_code_line(b: &[u8], start: usize, end: usize) -> bool {
    if end - start > 6 || start < 2 || !matches!(b[start - 1], b'#' | b':') {
        return false;
    }
    if !b[start..end].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if b.get(end).is_some_and(|&c| is_word(c) || is_connector(c)) {
        return false;
    }
    let name_end = start - 1;
    let mut name_start = name_end;
    while name_start > 0 && (is_word(b[name_start - 1]) || b[name_start - 1] == b'.') {
        name_start -= 1;
    }
    let name = &b[name_start..name_end];
    if b[name_end] == b':' {
        return is_source_file(name);
    }
    let class = name.rsplit(|&c| c == b'.').next().unwrap_or(&[]);
    let qualified = class.len() < name.len();
    let camel = class.windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    class.first().is_some_and(u8::is_ascii_uppercase)
        && class.iter().any(u8::is_ascii_lowercase)
        && class.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        && (qualified || camel)
}

/// A file name with the extension of a programming language's source
/// (`main.go`, `Worker.java`, `ib_sm_sweep.c`): what loggers print as the
/// caller's position.
fn is_source_file(name: &[u8]) -> bool {
    const EXT: [&[u8]; 22] = [
        b"c", b"cc", b"cpp", b"cxx", b"h", b"hpp", b"go", b"rs", b"java", b"kt", b"scala", b"py",
        b"rb", b"js", b"ts", b"php", b"cs", b"swift", b"ex", b"erl", b"lua", b"pl",
    ];
    let Some(dot) = name.iter().rposition(|&c| c == b'.') else { return false };
    dot > 0 && EXT.contains(&&name[dot + 1..])
}

/// Appends the masked form of one whitespace-free token to `out`; returns
/// what it found (see [`Token`]).
///
/// With `sentence`, an unclosed quote opens text rather than a value: the
/// quote is kept and the words after it are masked as usual.
fn mask_token(tok: &str, out: &mut String, sentence: bool) -> Token {
    let b = tok.as_bytes();
    let mut has_letter = false;
    let mut has_var = false;
    let mut position = false;
    let mut i = 0;
    while i < b.len() {
        if is_word(b[i]) {
            let start = i;
            let mut digit = false;
            let mut letter = false;
            // A run of word characters, joined across single connectors
            // (`10.0.0.1`, `a-b_c`, `1.5e+3`), but not across `....` leaders.
            while i < b.len() {
                let c = scan::class(b[i]);
                if c & scan::WORD != 0 {
                    digit |= c & scan::DIGIT != 0;
                    letter |= c & scan::LETTER != 0;
                    i += 1;
                } else if is_connector(b[i]) && b.get(i + 1).is_some_and(|&n| is_word(n)) {
                    i += 1;
                } else {
                    break;
                }
            }
            if digit && !letter && is_code_line(b, start, i) {
                // `RouteController#53`: where the statement that wrote the
                // line sits in the code, the same for every line it writes.
                position = true;
                out.push_str(tok.get(start..i).unwrap_or(""));
            } else if digit || is_hex_run(&b[start..i]) {
                has_var = true;
                out.push_str(WILD_TEXT);
            } else {
                has_letter |= letter;
                // Runs end on ASCII bytes, so this is a char boundary.
                out.push_str(tok.get(start..i).unwrap_or(""));
            }
        } else {
            let start = i;
            // `key=value`: the value, up to the next delimiter, is a
            // variable whatever its shape (`user=root`, `state="idle"`,
            // `id={9B3F...}`); quotes and brackets around it are part of
            // it, so `state=idle` and `state="not ready"` read alike.
            let eq = match &b[i..] {
                [b'=', ..] => 1,
                [b':', b'=', ..] => 2,
                _ => 0,
            };
            if eq > 0 && start > 0 && is_word(b[start - 1]) {
                i += eq;
                out.push_str(tok.get(start..i).unwrap_or(""));
                let key = b[..start].iter().rposition(|&c| !is_word(c)).map_or(0, |k| k + 1);
                if token::is_message_key(&b[key..start]) {
                    // A logger's message is text: its words stay, masked
                    // as anywhere else in the line (`msg="write failed"`).
                    continue;
                }
                let open = b.get(i).copied().filter(|&c| is_opener(c));
                if let Some(o) = open {
                    i += 1;
                    let value_at = i;
                    let close = closer(o);
                    while i < b.len() && b[i] != close {
                        i += 1;
                    }
                    if i == b.len() {
                        let spans = o == b'"' || o == b'\'';
                        if spans && sentence {
                            out.push(char::from(o));
                            i = value_at;
                            continue;
                        }
                        // The value goes on past this token (quotes only).
                        out.push_str(WILD_TEXT);
                        return Token {
                            constant: has_letter,
                            open: spans.then_some(close),
                            position,
                            var: true,
                        };
                    }
                    i += 1;
                } else {
                    while i < b.len() && !is_delimiter(b[i]) {
                        i += 1;
                    }
                }
                // An empty value is a value too (`ruser= rhost=x`).
                has_var = true;
                out.push_str(WILD_TEXT);
                continue;
            }
            i += 1;
            while i < b.len() && !is_word(b[i]) {
                i += 1;
            }
            out.push_str(tok.get(start..i).unwrap_or(""));
        }
    }
    Token { constant: has_letter || !has_var, open: None, position, var: has_var }
}

/// What [`mask_token`] found in a token.
struct Token {
    /// Some letter survived outside the variables, or it had no variable
    /// at all (like `-`).
    constant: bool,
    /// The quote a `key="value` left open: the value goes on in the next
    /// tokens.
    open: Option<u8>,
    /// It holds a position in the code (`Class#53`, `main.go:42`).
    position: bool,
    /// Some part of it was masked.
    var: bool,
}

/// A fast 64-bit hash (FNV-style with a wide multiply); never returns [`WILD`].
#[must_use]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (b.len() as u64);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h ^ u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(w));
    }
    if h == WILD { 1 } else { h }
}

fn mix(x: u64) -> u64 {
    let m = u128::from(x) * 0x9e37_79b9_7f4a_7c15_u128;
    #[allow(clippy::cast_possible_truncation)]
    let folded = (m as u64) ^ ((m >> 64) as u64);
    folded
}

#[cfg(test)]
#[path = "mask_tests.rs"]
mod tests;
