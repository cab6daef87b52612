//! Themes: files of semantic roles (`severity.critical`, `border.focused`,
//! ...) mapped to styles, never colours in drawing code.
//!
//! Built-in themes are the TOML files in `themes/`, embedded with
//! `include_str!`; users may add or shadow themes with `NAME.toml` files in
//! a directory the caller passes in. A theme may name a `parent` and then
//! only lists the roles it changes. This module owns loading, inheritance and
//! style parsing; it must not read config files or draw anything.
//!
//! File format:
//!
//! ```toml
//! parent = "dark"                        # optional
//! [styles]
//! "severity.critical" = "light-red bold"  # fg [on bg] [modifiers...]
//! "selection" = "black on cyan"
//! ```
//!
//! `NO_COLOR`: [`Theme::from_env_or`] returns `monochrome` whenever the
//! variable is set and non-empty; [`Theme::load`] never looks at the
//! environment, so an explicit `:theme` still works.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::model::Severity;

macro_rules! roles {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A semantic role something on screen plays.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Role { $($variant),* }

        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$variant),*];

            /// The name used in theme files.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Role::$variant => $name),* }
            }
        }
    };
}

roles! {
    SeverityCritical => "severity.critical",
    SeverityHigh => "severity.high",
    SeverityWarning => "severity.warning",
    SeverityInfo => "severity.info",
    SeverityUnknown => "severity.unknown",
    StateAcked => "state.acked",
    StateQuiet => "state.quiet",
    StateResolved => "state.resolved",
    SourceOk => "source.ok",
    SourceBad => "source.bad",
    Border => "border",
    BorderFocused => "border.focused",
    Title => "title",
    Text => "text",
    TextDim => "text.dim",
    Selection => "selection",
    Marked => "marked",
    Header => "header",
    Footer => "footer",
    FooterKey => "footer.key",
    FlashError => "flash.error",
    FlashInfo => "flash.info",
    Spark => "spark",
    SparkGap => "spark.gap",
    Threshold => "threshold",
    Evidence => "evidence",
    ConfidenceLow => "confidence.low",
    ConfidenceMedium => "confidence.medium",
    ConfidenceHigh => "confidence.high",
    Input => "input",
    Help => "help",
}

const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../themes/dark.toml")),
    ("light", include_str!("../themes/light.toml")),
    ("high-contrast", include_str!("../themes/high-contrast.toml")),
    ("monochrome", include_str!("../themes/monochrome.toml")),
];

/// Parent chains longer than this are treated as cycles.
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("no theme named `{name}` (available: {available})")]
    NotFound { name: String, available: String },
    #[error("theme name `{0}` may only contain letters, digits, `-` and `_`")]
    BadName(String),
    #[error("theme `{name}`: {reason}")]
    Parse { name: String, reason: String },
    #[error("theme `{name}`: unknown role `{role}`")]
    UnknownRole { name: String, role: String },
    #[error("theme `{name}`, role `{role}`: bad style `{spec}`: {reason}")]
    BadStyle { name: String, role: String, spec: String, reason: String },
    #[error("theme `{name}`: parent chain too deep or circular")]
    ParentCycle { name: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    styles: BTreeMap<String, String>,
}

/// A resolved theme: every role has a style (missing ones are plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    name: String,
    styles: BTreeMap<Role, Style>,
}

impl Default for Theme {
    /// The built-in dark theme, or a plain one if it were ever broken (a
    /// unit test proves every built-in loads).
    fn default() -> Self {
        Self::load("dark", None)
            .unwrap_or_else(|_| Self { name: "plain".into(), styles: BTreeMap::new() })
    }
}

impl Theme {
    /// Loads a theme by name: `user_dir/NAME.toml` first, then the built-ins.
    ///
    /// # Errors
    /// Unknown name, unreadable or invalid file, unknown role, bad style,
    /// or a parent cycle.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        let styles = resolve(name, user_dir, 0, None)?;
        Ok(Self { name: name.to_string(), styles })
    }

    /// `monochrome` when `NO_COLOR` is set and non-empty, else `load(name)`.
    ///
    /// # Errors
    /// As [`Theme::load`].
    pub fn from_env_or(name: &str, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::load(if no_color { "monochrome" } else { name }, user_dir)
    }

    /// Names of the built-in themes and those in `user_dir`, sorted.
    #[must_use]
    pub fn available(user_dir: Option<&Path>) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect();
        if let Some(entries) = user_dir.and_then(|d| std::fs::read_dir(d).ok()) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml")
                    && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                    && valid_name(stem)
                {
                    names.push(stem.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    #[must_use]
    pub fn severity(&self, s: Severity) -> Style {
        self.style(match s {
            Severity::Critical => Role::SeverityCritical,
            Severity::High => Role::SeverityHigh,
            Severity::Warning => Role::SeverityWarning,
            Severity::Info => Role::SeverityInfo,
            Severity::Unknown => Role::SeverityUnknown,
        })
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads a theme's text: the user's file shadows a built-in of the same
/// name, except when resolving a parent that has the theme's own name (a
/// user `dark.toml` with `parent = "dark"` extends the built-in dark).
fn source(name: &str, user_dir: Option<&Path>, skip_user: bool) -> Result<String, ThemeError> {
    if !valid_name(name) {
        return Err(ThemeError::BadName(name.to_string()));
    }
    if !skip_user && let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ThemeError::Parse {
                    name: name.into(),
                    reason: format!("{}: {e}", path.display()),
                });
            }
        }
    }
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| (*t).to_string()).ok_or_else(|| {
        ThemeError::NotFound {
            name: name.to_string(),
            available: Theme::available(user_dir).join(", "),
        }
    })
}

fn resolve(
    name: &str,
    user_dir: Option<&Path>,
    depth: usize,
    child: Option<&str>,
) -> Result<BTreeMap<Role, Style>, ThemeError> {
    if depth > MAX_DEPTH {
        return Err(ThemeError::ParentCycle { name: name.to_string() });
    }
    let text = source(name, user_dir, child == Some(name))?;
    let file: ThemeFile = toml::from_str(&text)
        .map_err(|e| ThemeError::Parse { name: name.into(), reason: e.to_string() })?;
    let mut styles = match &file.parent {
        Some(parent) => resolve(parent, user_dir, depth + 1, Some(name))?,
        None => BTreeMap::new(),
    };
    for (role_name, spec) in &file.styles {
        let role = Role::ALL.iter().copied().find(|r| r.name() == role_name).ok_or_else(|| {
            ThemeError::UnknownRole { name: name.into(), role: role_name.clone() }
        })?;
        let style = parse_style(spec).map_err(|reason| ThemeError::BadStyle {
            name: name.into(),
            role: role_name.clone(),
            spec: spec.clone(),
            reason,
        })?;
        styles.insert(role, style);
    }
    Ok(styles)
}

/// `fg [on bg] [bold|dim|italic|underline|reversed|crossed ...]`; `none`
/// is the plain style.
fn parse_style(spec: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = spec.split_whitespace();
    let mut fg_set = false;
    while let Some(w) = words.next() {
        let lower = w.to_ascii_lowercase();
        let modifier = match lower.as_str() {
            "none" | "plain" => continue,
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reversed" | "reverse" => Some(Modifier::REVERSED),
            "crossed" | "strikethrough" => Some(Modifier::CROSSED_OUT),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
        } else if lower == "on" {
            let bg = words.next().ok_or("`on` needs a colour")?;
            style = style.bg(parse_color(bg)?);
        } else if !fg_set {
            style = style.fg(parse_color(w)?);
            fg_set = true;
        } else {
            return Err(format!("unexpected word `{w}`"));
        }
    }
    Ok(style)
}

fn parse_color(s: &str) -> Result<Color, String> {
    s.parse::<Color>().map_err(|_| format!("unknown colour `{s}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads_and_covers_every_role() {
        for (name, _) in BUILTIN {
            let t = Theme::load(name, None).unwrap_or_else(|e| panic!("{e}"));
            for role in Role::ALL {
                assert!(t.styles.contains_key(role), "{name} lacks {}", role.name());
            }
        }
    }

    #[test]
    fn monochrome_has_no_colour() {
        let t = Theme::load("monochrome", None).unwrap();
        for role in Role::ALL {
            let s = t.style(*role);
            assert!(s.fg.is_none() && s.bg.is_none(), "{} has colour", role.name());
        }
    }

    #[test]
    fn parses_styles() {
        let s = parse_style("black on yellow bold").unwrap();
        assert_eq!(
            s,
            Style::default().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
        );
        assert_eq!(parse_style("#ff0000").unwrap().fg, Some(Color::Rgb(255, 0, 0)));
        assert!(parse_style("red blue").is_err());
        assert!(parse_style("on").is_err());
        assert!(parse_style("chartreuse-ish").is_err());
    }

    #[test]
    fn user_theme_inherits_from_parent_and_errors_are_named() {
        let dir = std::env::temp_dir().join(format!("quell-theme-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.toml"),
            "parent = \"dark\"\n[styles]\n\"severity.critical\" = \"magenta\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("dark.toml"),
            "parent = \"dark\"\n[styles]\n\"text\" = \"green\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("bad.toml"), "[styles]\n\"severity.critcal\" = \"red\"\n").unwrap();
        std::fs::write(dir.join("loop.toml"), "parent = \"loop2\"\n").unwrap();
        std::fs::write(dir.join("loop2.toml"), "parent = \"loop\"\n").unwrap();
        let mine = Theme::load("mine", Some(&dir)).unwrap();
        let dark = Theme::load("dark", None).unwrap();
        assert_eq!(mine.style(Role::SeverityCritical).fg, Some(Color::Magenta));
        assert_eq!(mine.style(Role::Border), dark.style(Role::Border));
        let shadow = Theme::load("dark", Some(&dir)).unwrap();
        assert_eq!(shadow.style(Role::Text).fg, Some(Color::Green));
        assert_eq!(shadow.style(Role::Border), dark.style(Role::Border));
        assert!(
            matches!(Theme::load("bad", Some(&dir)), Err(ThemeError::UnknownRole { role, .. }) if role == "severity.critcal")
        );
        assert!(matches!(Theme::load("loop", Some(&dir)), Err(ThemeError::ParentCycle { .. })));
        assert!(matches!(Theme::load("../etc/passwd", Some(&dir)), Err(ThemeError::BadName(_))));
        assert!(matches!(Theme::load("nope", Some(&dir)), Err(ThemeError::NotFound { .. })));
        assert!(Theme::available(Some(&dir)).contains(&"mine".to_string()));
        std::fs::remove_dir_all(&dir).ok();
    }
}
