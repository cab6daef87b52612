//! What an alerting rule's expression compares: `<lhs> <op> <threshold>`.
//!
//! A rule like `node_load1 / count(...) > 0.8` returns only the points past
//! the threshold, so charting it as is hides the build-up. Charts use the
//! left-hand side and draw the threshold. This is a small scanner for the
//! top level of PromQL (outside parentheses, brackets, braces and strings),
//! not a parser: anything it cannot read plainly (set operators at the top,
//! a right-hand side that is not a number) gives the LHS without a
//! threshold, or nothing.

/// The parts of a top-level comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison<'a> {
    /// The expression charted (trimmed).
    pub lhs: &'a str,
    /// `>`, `>=`, `<`, `<=`, `==` or `!=`.
    pub op: &'a str,
    /// The right-hand side when it is a plain number.
    pub threshold: Option<f64>,
}

/// `expr`'s top-level comparison, if it is one.
#[must_use]
pub fn comparison(expr: &str) -> Option<Comparison<'_>> {
    let b = expr.as_bytes();
    let (mut depth, mut quote, mut i) = (0i32, None::<u8>, 0usize);
    let mut found: Option<(usize, usize)> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' && q != b'`' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' | b'\'' | b'`' => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b'#' => break, // a comment runs to the end of the line; rules rarely have one
            _ if depth == 0 => {
                if top_level_keyword(b, i) {
                    return None;
                }
                let two = b.get(i..i + 2);
                let len = match (c, two) {
                    (_, Some(b">=" | b"<=" | b"==" | b"!=")) => 2,
                    (b'>' | b'<', _) => 1,
                    _ => 0,
                };
                if len > 0 && found.is_none() {
                    found = Some((i, len));
                    i += len;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let (at, len) = found?;
    let lhs = expr.get(..at)?.trim();
    let op = expr.get(at..at + len)?;
    let mut rhs = expr.get(at + len..)?.trim();
    rhs = rhs.strip_prefix("bool").map_or(rhs, str::trim_start);
    let threshold = rhs.trim_matches(|c| c == '(' || c == ')' || c == ' ').parse::<f64>().ok();
    (!lhs.is_empty()).then_some(Comparison {
        lhs,
        op,
        threshold: threshold.filter(|t| t.is_finite()),
    })
}

/// `and`, `or`, `unless` as a word at `i`.
fn top_level_keyword(b: &[u8], i: usize) -> bool {
    let word = |w: &[u8]| {
        b.get(i..i + w.len()) == Some(w)
            && (i == 0 || !is_ident(b[i - 1]))
            && b.get(i + w.len()).is_none_or(|c| !is_ident(*c))
    };
    word(b"and") || word(b"or") || word(b"unless")
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

/// A unit for a chart of `expr`, guessed from its metric names and scaling
/// (`_bytes`, `_seconds`, `* 100`); empty when nothing says.
#[must_use]
pub fn unit_of(expr: &str) -> &'static str {
    let e = expr.replace(' ', "");
    if e.contains("*100") || e.contains("100*") || e.contains("percent") {
        "%"
    } else if e.contains("_bytes") && !e.contains('/') {
        "B"
    } else if e.contains("_seconds") && !e.contains("rate(") {
        "s"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(e: &str) -> Option<(&str, &str, Option<f64>)> {
        comparison(e).map(|c| (c.lhs, c.op, c.threshold))
    }

    #[test]
    fn community_host_rules_split_into_what_to_chart_and_the_threshold() {
        let cpu = r#"100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80"#;
        assert_eq!(
            parts(cpu),
            Some((
                r#"100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100)"#,
                ">",
                Some(80.0)
            ))
        );
        let mem = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10";
        assert_eq!(parts(mem).map(|p| (p.1, p.2)), Some(("<", Some(10.0))));
        assert_eq!(parts("up == 0"), Some(("up", "==", Some(0.0))));
        assert_eq!(parts("x >= bool 0.5").map(|p| p.2), Some(Some(0.5)));
        assert_eq!(parts("a > (1e3)").map(|p| p.2), Some(Some(1000.0)));
    }

    #[test]
    fn operators_inside_selectors_strings_and_calls_do_not_count() {
        assert_eq!(parts(r#"m{path=~"/a>b", x!="<"}"#), None);
        assert_eq!(parts("sum(a > 1)"), None);
        let vs = parts("a > on(instance) b").expect("comparison");
        assert_eq!((vs.0, vs.2), ("a", None), "a vector on the right: no threshold");
        assert_eq!(parts("(a > 1) and on(instance) b"), None, "set operators at the top");
        assert_eq!(parts("> 5"), None);
        assert_eq!(parts("errors_or_warnings > 3").map(|p| p.0), Some("errors_or_warnings"));
        assert_eq!(parts(r#"m{a="x\"y>"} < 2"#).map(|p| p.2), Some(Some(2.0)));
    }

    #[test]
    fn units_from_names() {
        assert_eq!(unit_of("node_filesystem_avail_bytes"), "B");
        assert_eq!(unit_of("(1 - a / b) * 100"), "%");
        assert_eq!(unit_of("node_load1"), "");
    }
}
