//! Unit tests of masking one line (the kinds of values: `kinds_tests.rs`).

use super::*;

fn masked(line: &str) -> Vec<String> {
    let mut m = Masked::default();
    m.fill(line);
    (0..m.len()).map(|i| m.token(i).to_string()).collect()
}

#[test]
fn masks_generic_variables() {
    assert_eq!(
        masked("Receiving block blk_-123 src: /10.0.0.1:50010 dest: /10.0.0.2:50010"),
        ["Receiving", "block", "<*>", "src:", "<*>", "dest:", "<*>"]
    );
    assert_eq!(masked("ambient=30 took 12ms"), ["ambient=<*>", "took", "<*>"]);
    assert_eq!(masked("uuid 9c4b0f3e-1d2a-4b5c-8d7e-0123456789ab ok"), ["uuid", "<*>", "ok"]);
    assert_eq!(masked("open /var/lib/x1/data"), ["open", "<*>"]);
}

#[test]
fn masks_values_without_digits_by_shape() {
    // Endpoint, file name and host name: one variable each.
    assert_eq!(
        masked("chrome.exe - get.sogou.com:80 open through proxy proxy.example.org:5070 HTTPS"),
        ["<*>", "-", "<*>", "open", "through", "proxy", "<*>", "HTTPS"]
    );
    assert_eq!(masked("GET https://example.org/a/b done"), ["GET", "<*>", "done"]);
    assert_eq!(masked("open /etc/httpd/conf/workers.properties"), ["open", "<*>"]);
    assert_eq!(masked("chip FF:F2:9F:16:EB:27 inserted"), ["chip", "<*>", "inserted"]);
    // A qualified class name is part of the event's text.
    assert_eq!(masked("caught java.io.IOException: x"), ["caught", "java.io.IOException:", "x"]);
}

#[test]
fn masks_key_value_values() {
    assert_eq!(
        masked("auth failure; logname= uid=0 tty=NODEVssh ruser= rhost=example.org user=root"),
        [
            "auth",
            "failure;",
            "logname=<*>",
            "uid=<*>",
            "tty=<*>",
            "ruser=<*>",
            "rhost=<*>",
            "user=<*>"
        ]
    );
    assert_eq!(masked("state=\"idle\", mode=fast)"), ["state=<*>,", "mode=<*>)"]);
    // Quoted values may hold spaces; bracketed ones are values too.
    assert_eq!(masked("user=\"Jane Doe\" code=3"), ["user=<*>", "code=<*>"]);
    // Three words or more in quotes are a sentence: its words stay, its
    // values are masked as anywhere else in the line.
    assert_eq!(
        masked("msg=\"upstream connect error after 3 tries\" code=3"),
        ["msg=\"upstream", "connect", "error", "after", "<*>", "tries\"", "code=<*>"]
    );
    assert_eq!(masked("id={9B3F-AC}, x"), ["id=<*>,", "x"]);
}

#[test]
fn units_and_date_words_join_their_value() {
    // Whichever way a duration was written, the line reads the same.
    assert_eq!(masked("lifetime <1 sec"), masked("lifetime 00:03"));
    assert_eq!(masked("took 12 ms"), masked("took 12ms"));
    assert_eq!(masked("sent 651 bytes"), ["sent", "<*>"]);
    assert_eq!(
        masked("connection from 10.0.0.1 (host.example.net) at Sat Jun 25 09:19:11 2005"),
        ["connection", "from", "<*>", "at", "<*>"]
    );
    // A month name that is no part of a date stays a word.
    assert_eq!(masked("May I help"), ["May", "I", "help"]);
    // A unit word with no number before it stays a word.
    assert_eq!(masked("bytes sent"), ["bytes", "sent"]);
}

#[test]
fn collapses_runs_of_variables_and_caps_length() {
    assert_eq!(masked("ids 1 2 3 4 done"), ["ids", "<*>", "done"]);
    let long = "w ".repeat(10_000);
    let m = masked(&long);
    assert_eq!(m.len(), MAX_TOKENS);
    assert_eq!(m.last().map(String::as_str), Some("<*>"));
}

#[test]
fn hash_is_content_only_and_never_wild() {
    assert_eq!(hash_bytes(b"abc"), hash_bytes(b"abc"));
    assert_ne!(hash_bytes(b"abc"), hash_bytes(b"abd"));
    assert_ne!(hash_bytes(b""), WILD);
}
