//! A small RFC 4180 CSV reader and writer for the evaluations' files:
//! quoted fields may hold commas, doubled quotes and line breaks.

/// Parses a whole CSV text into records of fields.
///
/// # Errors
/// A quoted field that never ends.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    let mut line = 1usize;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("unterminated quoted field before line {line}"));
    }
    if any {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Quotes a field when it needs it.
#[must_use]
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_commas_and_newlines() {
        let t = "a,b\n1,\"x, \"\"y\"\"\"\r\n2,\"multi\nline\"\n3,";
        let r = parse(t).unwrap_or_default();
        assert_eq!(r.len(), 4);
        assert_eq!(r[1], ["1", "x, \"y\""]);
        assert_eq!(r[2], ["2", "multi\nline"]);
        assert_eq!(r[3], ["3", ""]);
        assert!(parse("a,\"open").is_err());
    }

    #[test]
    fn field_round_trips() {
        let s = "he said \"hi\", then left";
        let r = parse(&field(s)).unwrap_or_default();
        assert_eq!(r, vec![vec![s.to_string()]]);
    }
}
