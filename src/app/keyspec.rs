//! Key specs: the text form of a key in config files (`q`, `ctrl-c`,
//! `shift-tab`, `pgdn`, `f1`, `space`) and its normalised in-memory form.
//!
//! Owns parsing, normalisation and display of single keys. It knows nothing
//! about actions or contexts (that is `keymap`).

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with modifiers, normalised so that a config spec and a terminal
/// event compare equal: the shift of a printable char lives in the char
/// itself (`G`, `?`), shift-tab is `BackTab`, ctrl letters are lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    #[must_use]
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = code;
        match code {
            KeyCode::Char(c) => {
                if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        Self { code, mods }
    }

    #[must_use]
    pub fn from_event(ev: &KeyEvent) -> Self {
        Self::new(ev.code, ev.modifiers)
    }

    /// Parses a spec such as `q`, `G`, `ctrl-c`, `alt-x`, `shift-tab`,
    /// `pgdn`, `f1`, `space`, `enter`, `esc`, `up`.
    ///
    /// # Errors
    /// A human-readable reason when the spec names no key.
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec.is_empty() {
            return Err("empty key".into());
        }
        if spec.chars().count() == 1 {
            return spec
                .chars()
                .next()
                .map(|c| Self::new(KeyCode::Char(c), KeyModifiers::NONE))
                .ok_or_else(|| "empty key".into());
        }
        // `ctrl--` binds ctrl and the minus key.
        let (head, key) = match spec.strip_suffix("--") {
            Some(h) => (format!("{h}-"), "-".to_string()),
            None => match spec.rsplit_once('-') {
                Some((h, k)) => (format!("{h}-"), k.to_string()),
                None => (String::new(), spec.to_string()),
            },
        };
        let mut mods = KeyModifiers::NONE;
        for m in head.split('-').filter(|m| !m.is_empty()) {
            mods |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "m" | "a" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                other => return Err(format!("unknown modifier `{other}`")),
            };
        }
        let code = key_code(&key).ok_or_else(|| format!("unknown key `{key}`"))?;
        Ok(Self::new(code, mods))
    }

    /// Short label for the footer and help (`↓`, `PgDn`, `^c`, `S-Tab`).
    #[must_use]
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "S-Tab".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Delete => "Del".to_string(),
            KeyCode::Insert => "Ins".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".to_string(),
        };
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push('^');
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("M-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            out.push_str("S-");
        }
        out.push_str(&base);
        out
    }
}

/// The canonical spec text, which `parse` reads back.
impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => f.write_str(NAMES.iter().find(|(_, c)| *c == code).map_or("?", |(n, _)| n)),
        }
    }
}

/// Named keys; the first name of each code is the canonical one.
const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("backspace", KeyCode::Backspace),
    ("bs", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("minus", KeyCode::Char('-')),
];

fn key_code(name: &str) -> Option<KeyCode> {
    if name.chars().count() == 1 {
        return name.chars().next().map(KeyCode::Char);
    }
    let lower = name.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
        return (1..=24).contains(&n).then_some(KeyCode::F(n));
    }
    NAMES.iter().find(|(n, _)| *n == lower).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> KeySpec {
        KeySpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_displays_round_trip() {
        for s in [
            "q", "G", "?", "ctrl-c", "alt-x", "pgdn", "pgup", "f1", "space", "enter", "esc",
            "backtab", "up", "-", "ctrl--",
        ] {
            let k = spec(s);
            assert_eq!(spec(&k.to_string()), k, "{s} -> {k}");
        }
        assert_eq!(spec("shift-tab"), KeySpec::new(KeyCode::BackTab, KeyModifiers::NONE));
        assert_eq!(spec("shift-g"), spec("G"));
        assert_eq!(spec("ctrl-C"), spec("ctrl-c"));
        assert_eq!(spec("PageDown"), spec("pgdn"));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(KeySpec::parse("").is_err());
        assert!(KeySpec::parse("hyper-x").is_err());
        assert!(KeySpec::parse("ctrl-banana").is_err());
        assert!(KeySpec::parse("f99").is_err());
    }

    #[test]
    fn events_normalise_like_specs() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&ev), spec("G"));
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&ev), spec("shift-tab"));
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(KeySpec::from_event(&ev), spec("ctrl-c"));
    }
}
