//! Placeholder expansion: `{label.instance}`, `{incident.id}`,
//! `{alert.fingerprint}` inside `args`, `dry_run_args` and `env` values.
//!
//! The one rule: a template element becomes exactly one argv element (or
//! one env value), whatever the values contain. Nothing is ever joined into
//! a command string and nothing is split on spaces, so a label value such as
//! `x$(touch /tmp/p)` reaches the script as those literal bytes. Values that
//! fail validation (NUL, control characters, a leading `-`, too long, or the
//! runbook's own regex) refuse the whole run with a message naming the
//! placeholder. `{{` and `}}` are literal braces.

use std::collections::BTreeMap;

use regex::Regex;

use crate::model::Labels;

/// Longest value a placeholder may carry under the default check.
pub const MAX_VALUE_LEN: usize = 256;

/// What placeholders are filled from: the alert the run targets and its incident.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub labels: &'a Labels,
    pub incident_id: &'a str,
    pub fingerprint: &'a str,
}

/// One piece of a template element.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Placeholder(String),
}

/// Why a run was refused before anything was started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("template {template:?}: {reason}")]
    Template { template: String, reason: String },
    #[error("unknown placeholder {{{0}}} (use label.NAME, incident.id or alert.fingerprint)")]
    Unknown(String),
    #[error("{{{placeholder}}}: {reason}")]
    Invalid { placeholder: String, reason: String },
    #[error("validate.{placeholder}: invalid regex: {reason}")]
    BadRegex { placeholder: String, reason: String },
    #[error("env name {0:?} must be [A-Za-z_][A-Za-z0-9_]*")]
    BadEnvName(String),
}

/// Argv (without the program) and env after expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expanded {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

fn parse(template: &str) -> Result<Vec<Piece>, ExpandError> {
    let bad = |reason: &str| ExpandError::Template {
        template: template.to_string(),
        reason: reason.to_string(),
    };
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                            name.push(c)
                        }
                        Some(_) => return Err(bad("placeholder names are [A-Za-z0-9_.]")),
                        None => return Err(bad("unclosed '{'")),
                    }
                }
                if !lit.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut lit)));
                }
                check_name(&name)?;
                pieces.push(Piece::Placeholder(name));
            }
            '}' => return Err(bad("stray '}' (write '}}' for a literal brace)")),
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Literal(lit));
    }
    Ok(pieces)
}

fn check_name(name: &str) -> Result<(), ExpandError> {
    let ok = match name.split_once('.') {
        Some(("label", l)) => !l.is_empty() && !l.contains('.'),
        _ => name == "incident.id" || name == "alert.fingerprint",
    };
    if ok { Ok(()) } else { Err(ExpandError::Unknown(name.to_string())) }
}

fn lookup(name: &str, t: &Target<'_>) -> Option<String> {
    match name {
        "incident.id" => Some(t.incident_id.to_string()),
        "alert.fingerprint" => Some(t.fingerprint.to_string()),
        _ => name.strip_prefix("label.").and_then(|l| t.labels.get(l)).map(str::to_string),
    }
}

/// The default check: non-empty, printable, no leading `-`, length cap.
fn default_check(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("is missing or empty".into());
    }
    if v.len() > MAX_VALUE_LEN {
        return Err(format!("is {} bytes long (limit {MAX_VALUE_LEN})", v.len()));
    }
    if v.starts_with('-') {
        return Err("starts with '-' and could be read as an option".into());
    }
    if let Some(c) = v.chars().find(|c| crate::sanitize::is_control_or_bidi(*c)) {
        return Err(format!("contains the control character U+{:04X}", u32::from(c)));
    }
    Ok(())
}

/// A runbook's templates, parsed and with their validators compiled.
#[derive(Debug, Clone)]
pub struct Templates {
    args: Vec<Vec<Piece>>,
    dry_run_args: Option<Vec<Vec<Piece>>>,
    env: Vec<(String, Vec<Piece>)>,
    validate: BTreeMap<String, Regex>,
}

impl Templates {
    /// Parses every template and validation regex of a runbook.
    ///
    /// # Errors
    /// A malformed template, an unknown placeholder, an invalid regex or env name.
    pub fn new(rb: &super::Runbook) -> Result<Self, ExpandError> {
        let parse_all =
            |v: &[String]| v.iter().map(|t| parse(t)).collect::<Result<Vec<_>, ExpandError>>();
        let mut env = Vec::new();
        for (k, v) in &rb.env {
            let valid = k
                .chars()
                .enumerate()
                .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
            if k.is_empty() || !valid {
                return Err(ExpandError::BadEnvName(k.clone()));
            }
            env.push((k.clone(), parse(v)?));
        }
        let mut validate = BTreeMap::new();
        for (name, re) in &rb.validate {
            check_name(name)?;
            let compiled = Regex::new(&format!("^(?:{re})$")).map_err(|e| {
                ExpandError::BadRegex { placeholder: name.clone(), reason: e.to_string() }
            })?;
            validate.insert(name.clone(), compiled);
        }
        Ok(Self {
            args: parse_all(&rb.args)?,
            dry_run_args: rb.dry_run_args.as_deref().map(parse_all).transpose()?,
            env,
            validate,
        })
    }

    #[must_use]
    pub fn has_dry_run(&self) -> bool {
        self.dry_run_args.is_some()
    }

    /// Expands for a target; `dry_run` picks `dry_run_args` over `args`.
    ///
    /// # Errors
    /// The first placeholder whose value is missing or fails validation.
    pub fn expand(&self, t: &Target<'_>, dry_run: bool) -> Result<Expanded, ExpandError> {
        let args = match (&self.dry_run_args, dry_run) {
            (Some(d), true) => d,
            _ => &self.args,
        };
        let argv = args.iter().map(|pieces| self.fill(pieces, t)).collect::<Result<_, _>>()?;
        let env = self
            .env
            .iter()
            .map(|(k, pieces)| Ok((k.clone(), self.fill(pieces, t)?)))
            .collect::<Result<_, ExpandError>>()?;
        Ok(Expanded { argv, env })
    }

    fn fill(&self, pieces: &[Piece], t: &Target<'_>) -> Result<String, ExpandError> {
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Literal(s) => out.push_str(s),
                Piece::Placeholder(name) => out.push_str(&self.value(name, t)?),
            }
        }
        Ok(out)
    }

    fn value(&self, name: &str, t: &Target<'_>) -> Result<String, ExpandError> {
        let invalid =
            |reason: String| ExpandError::Invalid { placeholder: name.to_string(), reason };
        let v = lookup(name, t).unwrap_or_default();
        // No regex can make a NUL byte safe: execve would cut the argument there.
        if v.contains('\0') {
            return Err(invalid("contains a NUL byte".into()));
        }
        match self.validate.get(name) {
            Some(re) if re.is_match(&v) => Ok(v),
            Some(re) => Err(invalid(format!(
                "value {:?} does not match {}",
                crate::sanitize::clean_line(&v, 60),
                re.as_str()
            ))),
            None => default_check(&v).map(|()| v).map_err(invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::Runbook;

    use crate::model::labels_of as labels;

    fn rb(args: &[&str]) -> Runbook {
        let mut r = Runbook::declared("r", "R", "/bin/true", "00");
        r.args = args.iter().map(|a| (*a).to_string()).collect();
        r
    }

    fn expand(r: &Runbook, l: &Labels) -> Result<Expanded, ExpandError> {
        let t = Target { labels: l, incident_id: "inc-1", fingerprint: "fp9" };
        Templates::new(r)?.expand(&t, false)
    }

    #[test]
    fn each_placeholder_is_one_element_even_with_spaces_and_shell_syntax() {
        let l = labels(&[("instance", "x$(touch /tmp/p) ; rm -rf ~ `id`"), ("svc", "a b")]);
        let e = expand(&rb(&["--host", "{label.instance}", "s={label.svc}", "{incident.id}"]), &l)
            .unwrap();
        assert_eq!(e.argv, vec!["--host", "x$(touch /tmp/p) ; rm -rf ~ `id`", "s=a b", "inc-1"]);
    }

    #[test]
    fn hostile_values_are_refused_by_the_default_check() {
        for (v, why) in [
            ("-rf", "starts with '-'"),
            ("a\nb", "U+000A"),
            ("a\x1b[2Jb", "U+001B"),
            ("a\0b", "NUL"),
            ("evil\u{202e}txt", "U+202E"),
            ("", "missing"),
        ] {
            let l = labels(&[("instance", v)]);
            let e = expand(&rb(&["{label.instance}"]), &l).unwrap_err().to_string();
            assert!(e.contains("{label.instance}") && e.contains(why), "{v:?}: {e}");
        }
        let long = "a".repeat(MAX_VALUE_LEN + 1);
        let e = expand(&rb(&["{label.instance}"]), &labels(&[("instance", &long)])).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
        let e = expand(&rb(&["{label.nope}"]), &labels(&[])).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn a_regex_replaces_the_default_but_never_allows_nul() {
        let mut r = rb(&["{label.instance}"]);
        r.validate.insert("label.instance".into(), "-?[a-z0-9.-]+".into());
        assert_eq!(expand(&r, &labels(&[("instance", "-db1")])).unwrap().argv, ["-db1"]);
        let e = expand(&r, &labels(&[("instance", "db 1")])).unwrap_err().to_string();
        assert!(e.contains("does not match"), "{e}");
        r.validate.insert("label.instance".into(), "(?s).*".into());
        let e = expand(&r, &labels(&[("instance", "a\0")])).unwrap_err().to_string();
        assert!(e.contains("NUL"), "{e}");
    }

    #[test]
    fn templates_are_checked() {
        for bad in ["{label.x", "{nope}", "a}b", "{label.a b}", "{label.}"] {
            assert!(Templates::new(&rb(&[bad])).is_err(), "{bad}");
        }
        let e = expand(&rb(&["{{literal}}"]), &labels(&[])).unwrap();
        assert_eq!(e.argv, ["{literal}"]);
        let mut r = rb(&[]);
        r.env.insert("BAD-NAME".into(), "x".into());
        assert!(matches!(Templates::new(&r), Err(ExpandError::BadEnvName(_))));
    }

    #[test]
    fn env_and_dry_run_args_expand_too() {
        let mut r = rb(&["{label.svc}"]);
        r.env.insert("TARGET".into(), "{label.svc}".into());
        r.dry_run_args = Some(vec!["--dry-run".into(), "{label.svc}".into()]);
        let l = labels(&[("svc", "pay ments")]);
        let t = Target { labels: &l, incident_id: "i", fingerprint: "f" };
        let tpl = Templates::new(&r).unwrap();
        assert!(tpl.has_dry_run());
        let dry = tpl.expand(&t, true).unwrap();
        assert_eq!(dry.argv, ["--dry-run", "pay ments"]);
        assert_eq!(dry.env, [("TARGET".to_string(), "pay ments".to_string())]);
        assert_eq!(tpl.expand(&t, false).unwrap().argv, ["pay ments"]);
    }
}
