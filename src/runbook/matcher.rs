//! Alertmanager-style label matchers: `name="v"`, `!=`, `=~`, `!~`.
//! Regexes are fully anchored, as in Alertmanager.

use std::fmt;

use regex::Regex;

use crate::model::Labels;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Ne,
    Re,
    NotRe,
}

impl MatchOp {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Re => "=~",
            Self::NotRe => "!~",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    re: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.op == o.op && self.value == o.value
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error("matcher {0:?}: expected name, one of = != =~ !~, then a value")]
    Syntax(String),
    #[error("matcher {0:?}: label name must be [a-zA-Z_][a-zA-Z0-9_]*")]
    BadName(String),
    #[error("matcher {input:?}: invalid regex: {reason}")]
    BadRegex { input: String, reason: String },
}

impl Matcher {
    /// Builds a matcher from parts.
    ///
    /// # Errors
    /// An invalid label name or regex.
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Self, MatcherError> {
        let valid_name = name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if name.is_empty() || !valid_name {
            return Err(MatcherError::BadName(name.to_string()));
        }
        let re = match op {
            MatchOp::Re | MatchOp::NotRe => {
                Some(Regex::new(&format!("^(?:{value})$")).map_err(|e| MatcherError::BadRegex {
                    input: format!("{name}{}{value}", op.as_str()),
                    reason: e.to_string(),
                })?)
            }
            _ => None,
        };
        Ok(Self { name: name.to_string(), op, value: value.to_string(), re })
    }

    /// Parses `name<op>value` where value may be double-quoted with `\"`,
    /// `\\` and `\n` escapes.
    ///
    /// # Errors
    /// Malformed text, an invalid name or regex.
    pub fn parse(input: &str) -> Result<Self, MatcherError> {
        let s = input.trim();
        let syntax = || MatcherError::Syntax(input.to_string());
        let pos = s.find(['=', '!']).ok_or_else(syntax)?;
        let name = s[..pos].trim();
        let rest = &s[pos..];
        let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
            (MatchOp::Re, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (MatchOp::NotRe, v)
        } else if let Some(v) = rest.strip_prefix("!=") {
            (MatchOp::Ne, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (MatchOp::Eq, v)
        } else {
            return Err(syntax());
        };
        let value = unquote(value.trim()).ok_or_else(syntax)?;
        Self::new(name, op, &value)
    }

    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        // A missing label matches as the empty string, as in Alertmanager.
        let v = labels.get(&self.name).unwrap_or("");
        match self.op {
            MatchOp::Eq => v == self.value,
            MatchOp::Ne => v != self.value,
            MatchOp::Re => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::NotRe => self.re.as_ref().is_some_and(|r| !r.is_match(v)),
        }
    }
}

/// Renders as Alertmanager's matcher syntax with the value quoted and escaped,
/// safe to paste into `amtool` as a single argument.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.op.as_str())?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else {
        return Some(v.to_string());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                other => out.push(other),
            }
        } else if c == '"' {
            return None;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::labels_of as labels;

    #[test]
    fn parses_and_matches_all_ops() {
        let l = labels(&[("service", "payments"), ("env", "prod")]);
        assert!(Matcher::parse("service=payments").unwrap().matches(&l));
        assert!(Matcher::parse(r#"service="payments""#).unwrap().matches(&l));
        assert!(Matcher::parse("env!=dev").unwrap().matches(&l));
        assert!(Matcher::parse(r#"service=~"pay.*|db""#).unwrap().matches(&l));
        assert!(!Matcher::parse(r#"service=~"pay""#).unwrap().matches(&l), "anchored");
        assert!(Matcher::parse(r#"service!~"cart""#).unwrap().matches(&l));
        assert!(Matcher::parse(r#"missing="""#).unwrap().matches(&l));
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(Matcher::parse("service"), Err(MatcherError::Syntax(_))));
        assert!(matches!(Matcher::parse("9x=1"), Err(MatcherError::BadName(_))));
        assert!(matches!(Matcher::parse("x=~\"(\""), Err(MatcherError::BadRegex { .. })));
        assert!(matches!(Matcher::parse("x=\"a\"b\""), Err(MatcherError::Syntax(_))));
    }

    #[test]
    fn display_round_trips_hostile_values() {
        let m = Matcher::new("instance", MatchOp::Eq, "x\"$(rm -rf ~)\\\n").unwrap();
        let text = m.to_string();
        assert_eq!(text, r#"instance="x\"$(rm -rf ~)\\\n""#);
        assert_eq!(Matcher::parse(&text).unwrap(), m);
    }
}
