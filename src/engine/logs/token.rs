//! What kind of value a whole log token is, by its shape alone.
//!
//! Values that carry no digit still vary from line to line: host and domain
//! names (`get.sogou.com`), endpoints (`proxy.example.org:5070`), file names
//! (`chrome.exe`), paths (`/etc/httpd/conf`), URLs, hex strings. A word that
//! is part of an event's text has none of those shapes. The rules are the
//! shapes robust log parsers use for every source; none names a system.
//!
//! Also here: the words that belong to a value next to them rather than to
//! the template (a month or weekday name before a date or time, a unit after
//! a number), so `lifetime 00:03` and `lifetime <1 sec` read alike.
//!
//! Pure functions over bytes, no allocation.

use super::scan::{ALPHA, COLON, DASH, DOT, LEAD, SLASH, Shape, TAIL, class, shape};

/// Leading and trailing punctuation that wraps a value without being part
/// of it: `(10.0.0.1)`, `host.example.org:`, `"GET`.
fn trim(tok: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = tok.len();
    while a < b && class(tok[a]) & LEAD != 0 {
        a += 1;
    }
    while b > a && class(tok[b - 1]) & TAIL != 0 {
        b -= 1;
    }
    &tok[a..b]
}

/// Whether a whole token is a value by its shape: a URL, a path, an
/// endpoint (`name:port`), a host, domain or file name, a hardware address
/// or a long hex string. Tokens with digits are partly masked elsewhere;
/// this catches the values without digits and makes a value with a few
/// letters in it (`FF:F2:9F`, `ns.example.com`) one variable.
#[must_use]
pub fn is_value(tok: &str) -> bool {
    is_value_shaped(tok, shape(tok.as_bytes()))
}

/// [`is_value`] for a token whose [`Shape`] (the classes of all its bytes)
/// the tokenizer already knows, so no byte is read twice to rule shapes out.
#[must_use]
pub fn is_value_shaped(tok: &str, seen: Shape) -> bool {
    // The shape says which shapes are possible at all: most tokens are plain
    // words or numbers and stop here. It is the whole token's, trimmed
    // punctuation included; only `:` and `.` can be trimmed off, and each
    // test they gate fails by itself on a core without them.
    // Without a letter a token is masked by its digits (or is punctuation).
    if seen & ALPHA == 0 {
        return false;
    }
    let core = trim(tok.as_bytes());
    (seen & SLASH != 0 && (is_url(core) || is_path(core)))
        || (seen & COLON != 0 && (is_endpoint(core) || is_hex_groups(core)))
        || (seen & DOT != 0 && is_dotted_name(core))
        || (seen & DASH != 0 && is_hex_groups(core))
        || (core.len() >= 8 && is_hex(core))
}

/// `scheme://...`.
fn is_url(c: &[u8]) -> bool {
    c.windows(3).position(|w| w == b"://").is_some_and(|i| {
        i > 0 && c[..i].iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    })
}

/// An absolute or home-relative path (`/a/b`, `~/x`, `./x`), a relative
/// path of at least three parts (`dfs/data/current`; two parts are as often
/// words: `read/write`, `HTTP/1.1`), or a Windows path (`C:\x`).
fn is_path(c: &[u8]) -> bool {
    let slashes = c.iter().filter(|&&b| b == b'/').count();
    let has_word = c.iter().any(u8::is_ascii_alphanumeric);
    let rooted = c.starts_with(b"/") || c.starts_with(b"~/") || c.starts_with(b"./");
    let windows = c.len() > 3 && c[0].is_ascii_alphabetic() && &c[1..3] == b":\\";
    has_word && (rooted && c.len() > 1 || slashes >= 2 && !c.contains(&b' ') || windows)
}

/// `name:port`: a host-like name, a colon and a port number.
fn is_endpoint(c: &[u8]) -> bool {
    let Some(colon) = c.iter().rposition(|&b| b == b':') else { return false };
    let (name, port) = (&c[..colon], &c[colon + 1..]);
    !name.is_empty()
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name.iter().any(|&b| b == b'.' || b.is_ascii_digit())
}

/// A dotted lower-case name: host and domain names (`proxy.cse.cuhk.edu.hk`),
/// file names (`chrome.exe`). At least two labels of two or more letters,
/// digits and `-`, the last one letters only, no capital letter anywhere:
/// qualified class names (`java.io.IOException`) and field references
/// (`n.leader`) stay words. Setting names (`mapred.task.id`) have the same
/// shape and are taken for values too: lines that differ only in the name
/// of a setting read as one event.
fn is_dotted_name(c: &[u8]) -> bool {
    let mut labels = 0usize;
    let mut last_alpha = false;
    let mut last_len = 0usize;
    for label in c.split(|&b| b == b'.') {
        if label.len() < 2
            || !label.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return false;
        }
        labels += 1;
        last_alpha = label.iter().all(u8::is_ascii_lowercase);
        last_len = label.len();
    }
    labels >= 2 && last_alpha && last_len >= 2
}

/// Hardware addresses and IPv6: at least four groups of one to four hex
/// digits joined by `:` or `-` (`FF:F2:9F:15`, `fe80::1`), with a digit.
fn is_hex_groups(c: &[u8]) -> bool {
    let sep = |b: &u8| *b == b':' || *b == b'-';
    let groups = c.split(sep).filter(|g| !g.is_empty());
    let mut n = 0usize;
    for g in groups {
        if g.len() > 4 || !g.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        n += 1;
    }
    n >= 4 && c.iter().any(u8::is_ascii_digit)
}

/// At least eight hex digits, optionally after `0x` (`deadbeefcafe`).
fn is_hex(c: &[u8]) -> bool {
    let h = c.strip_prefix(b"0x").or_else(|| c.strip_prefix(b"0X")).unwrap_or(c);
    h.len() >= 8 && h.iter().all(u8::is_ascii_hexdigit)
}

/// Up to `N` bytes of a trimmed token, lower-cased, for matching short
/// words without allocating; `None` when it is longer.
fn lower<const N: usize>(tok: &str) -> Option<([u8; N], usize)> {
    let t = trim(tok.as_bytes());
    if t.is_empty() || t.len() > N {
        return None;
    }
    let mut buf = [0u8; N];
    for (d, s) in buf.iter_mut().zip(t) {
        *d = s.to_ascii_lowercase();
    }
    Some((buf, t.len()))
}

/// A month or weekday name, which belongs to the date next to it.
#[must_use]
pub fn is_date_word(tok: &str) -> bool {
    let Some((b, 3)) = lower::<3>(tok) else { return false };
    matches!(
        &b,
        b"jan"
            | b"feb"
            | b"mar"
            | b"apr"
            | b"may"
            | b"jun"
            | b"jul"
            | b"aug"
            | b"sep"
            | b"oct"
            | b"nov"
            | b"dec"
            | b"mon"
            | b"tue"
            | b"wed"
            | b"thu"
            | b"fri"
            | b"sat"
            | b"sun"
    )
}

/// A key under which structured loggers write the event's own text: the
/// message (`msg`, `message`) and the error (`err`, `error`) of logfmt,
/// JSON and key=value loggers. Its value is what happened, worded by the
/// program, so it is masked word by word like a plain line (`msg=started`,
/// `msg="write failed"`), never taken whole for a datum.
#[must_use]
pub fn is_message_key(key: &[u8]) -> bool {
    if key.len() > 7 {
        return false;
    }
    let mut buf = [0u8; 7];
    for (d, s) in buf.iter_mut().zip(key) {
        *d = s.to_ascii_lowercase();
    }
    matches!(&buf[..key.len()], b"msg" | b"message" | b"err" | b"error")
}

/// A unit of time, size or rate, which belongs to the number before it
/// (`12 ms`, `<1 sec`, `651 bytes`, `5 KB`).
#[must_use]
pub fn is_unit(tok: &str) -> bool {
    let Some((b, n)) = lower::<7>(tok) else { return false };
    matches!(
        &b[..n],
        b"ns"
            | b"us"
            | b"ms"
            | b"s"
            | b"sec"
            | b"secs"
            | b"second"
            | b"seconds"
            | b"min"
            | b"mins"
            | b"minute"
            | b"minutes"
            | b"h"
            | b"hr"
            | b"hrs"
            | b"hour"
            | b"hours"
            | b"day"
            | b"days"
            | b"b"
            | b"byte"
            | b"bytes"
            | b"kb"
            | b"kib"
            | b"mb"
            | b"mib"
            | b"gb"
            | b"gib"
            | b"tb"
            | b"tib"
            | b"kbps"
            | b"mbps"
            | b"gbps"
            | b"bps"
            | b"%"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_values() {
        assert!(is_value("https://example.org/a?b=c"));
        assert!(is_value("(hdfs://namenode/user/x)"));
        assert!(!is_value("://"));
    }

    #[test]
    fn paths_are_values_two_part_words_are_not() {
        assert!(is_value("/etc/httpd/conf/workers.properties"));
        assert!(is_value("/login"));
        assert!(is_value("~/notes"));
        assert!(is_value("dfs/data/current"));
        assert!(is_value("C:\\Windows\\system"));
        assert!(!is_value("read/write"));
        assert!(!is_value("/"));
    }

    #[test]
    fn endpoints_are_values() {
        assert!(is_value("proxy.cse.cuhk.edu.hk:5070"));
        assert!(is_value("localhost.localdomain:80,"));
        // (`10.0.0.1:22` has no letter: its digits mask it, see `mask`.)
        assert!(!is_value("10.0.0.1:22"));
        // A key and a number is no endpoint, nor a port of letters.
        assert!(!is_value("status:ok"));
        assert!(!is_value("retries:3"));
    }

    #[test]
    fn host_domain_and_file_names_are_values_class_names_are_not() {
        assert!(is_value("get.sogou.com"));
        assert!(is_value("rhost.example-isp.net."));
        assert!(is_value("(chrome.exe)"));
        assert!(!is_value("java.io.IOException:"));
        assert!(!is_value("NameSystem.addStoredBlock:"));
        assert!(!is_value("(n.leader),"));
        assert!(!is_value("e.g."));
        assert!(!is_value("done."));
        assert!(!is_value("my_module.run"));
    }

    #[test]
    fn hardware_addresses_are_values() {
        assert!(is_value("FF:F2:9F:16:EB:27:00:0D:60:E9:14:D8"));
        assert!(is_value("00-1A-2B-3C-4D-5E"));
        assert!(is_value("fe80::1ff:fe23:4567:890a"));
        assert!(!is_value("a-b-c-d"));
        assert!(!is_value("ERROR:"));
    }

    #[test]
    fn long_hex_is_a_value_short_words_are_not() {
        assert!(is_value("deadbeefcafe"));
        assert!(is_value("0xDEADBEEF"));
        assert!(!is_value("added"));
        assert!(!is_value("facade"));
    }

    #[test]
    fn message_keys() {
        for k in ["msg", "MSG", "message", "Message", "err", "error"] {
            assert!(is_message_key(k.as_bytes()), "{k}");
        }
        for k in ["", "user", "status", "errors", "msgid", "error_code", "e"] {
            assert!(!is_message_key(k.as_bytes()), "{k}");
        }
    }

    #[test]
    fn date_words_and_units() {
        assert!(is_date_word("Dec"));
        assert!(is_date_word("MON"));
        assert!(!is_date_word("Monitor"));
        assert!(is_unit("ms"));
        assert!(is_unit("sec,"));
        assert!(is_unit("KB"));
        assert!(is_unit("bytes"));
        assert!(!is_unit("blocks"));
    }
}
