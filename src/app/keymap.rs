//! The keymap as data: per context, which keys trigger which named action.
//!
//! One table is the single source of truth for key handling, the help
//! overlay and the footer hints, so they can never disagree. It owns the
//! defaults and the user's overrides; it must not decide what an action
//! does (that is `app::update`).

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;

pub use super::keyspec::KeySpec;
use crate::app::Action;

/// Where a key is pressed. Each context has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    /// The panes and the alert detail view.
    Main,
    /// The help overlay is open.
    Help,
    /// Typing a filter or a command line.
    Input,
    /// A list overlay (`:silences`, `:sources`, `:audit`, ...) is open.
    List,
    /// A dialog waits for confirmation (a runbook run, expiring a
    /// silence, a merge or a split).
    Dialog,
}

impl Context {
    pub const ALL: [Self; 5] = [Self::Main, Self::List, Self::Dialog, Self::Help, Self::Input];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Help => "help and the read-whole view",
            Self::Input => "input (filter and command line)",
            Self::List => "lists (:silences, :sources, :anomalies, :forecasts, :audit)",
            Self::Dialog => "dialogs (runbook run, expire, merge, split)",
        }
    }
}

/// The default bindings. Order is the order help lists them.
const DEFAULTS: &[(Context, Action, &[&str])] = &[
    (Context::Main, Action::Down, &["j", "down"]),
    (Context::Main, Action::Up, &["k", "up"]),
    (Context::Main, Action::Top, &["g", "home"]),
    (Context::Main, Action::Bottom, &["G", "end"]),
    (Context::Main, Action::PageUp, &["pgup", "ctrl-b"]),
    (Context::Main, Action::PageDown, &["pgdn", "ctrl-f"]),
    (Context::Main, Action::NextPane, &["tab"]),
    (Context::Main, Action::PrevPane, &["shift-tab"]),
    (Context::Main, Action::Enter, &["enter"]),
    (Context::Main, Action::Back, &["esc"]),
    (Context::Main, Action::Filter, &["/"]),
    (Context::Main, Action::Command, &[":"]),
    (Context::Main, Action::Mark, &["space"]),
    (Context::Main, Action::Ack, &["a"]),
    (Context::Main, Action::Unack, &["A"]),
    (Context::Main, Action::Silence, &["s"]),
    (Context::Main, Action::Copy, &["y"]),
    (Context::Main, Action::CopyCommand, &["Y"]),
    (Context::Main, Action::Retry, &["R"]),
    (Context::Main, Action::Logs, &["l"]),
    (Context::Main, Action::Read, &["v"]),
    (Context::Main, Action::Merge, &["m"]),
    (Context::Main, Action::Split, &["x"]),
    (Context::Main, Action::ToggleResolved, &["H"]),
    (Context::Main, Action::KillRun, &["K"]),
    (Context::Main, Action::CopyLink, &["o"]),
    (Context::Main, Action::Runbook(1), &["1"]),
    (Context::Main, Action::Runbook(2), &["2"]),
    (Context::Main, Action::Runbook(3), &["3"]),
    (Context::Main, Action::Runbook(4), &["4"]),
    (Context::Main, Action::Runbook(5), &["5"]),
    (Context::Main, Action::Runbook(6), &["6"]),
    (Context::Main, Action::Runbook(7), &["7"]),
    (Context::Main, Action::Runbook(8), &["8"]),
    (Context::Main, Action::Runbook(9), &["9"]),
    (Context::Main, Action::Help, &["?", "f1"]),
    (Context::Main, Action::Quit, &["q", "ctrl-c"]),
    (Context::List, Action::Down, &["j", "down"]),
    (Context::List, Action::Up, &["k", "up"]),
    (Context::List, Action::Top, &["g", "home"]),
    (Context::List, Action::Bottom, &["G", "end"]),
    (Context::List, Action::PageUp, &["pgup", "ctrl-b"]),
    (Context::List, Action::PageDown, &["pgdn", "ctrl-f"]),
    (Context::List, Action::Expire, &["x", "delete"]),
    (Context::List, Action::Extend, &["e"]),
    (Context::List, Action::Retry, &["r", "R"]),
    (Context::List, Action::Read, &["v"]),
    (Context::List, Action::Back, &["esc", "q"]),
    (Context::List, Action::Command, &[":"]),
    (Context::List, Action::Help, &["?", "f1"]),
    (Context::Help, Action::Down, &["j", "down"]),
    (Context::Help, Action::Up, &["k", "up"]),
    (Context::Help, Action::Top, &["g", "home"]),
    (Context::Help, Action::Bottom, &["G", "end"]),
    (Context::Help, Action::PageUp, &["pgup", "ctrl-b"]),
    (Context::Help, Action::PageDown, &["pgdn", "ctrl-f"]),
    (Context::Help, Action::Back, &["esc"]),
    (Context::Help, Action::Help, &["?", "f1"]),
    (Context::Help, Action::Quit, &["ctrl-c"]),
    (Context::Dialog, Action::Confirm, &["enter"]),
    (Context::Dialog, Action::Back, &["esc"]),
    (Context::Dialog, Action::DeleteBack, &["backspace"]),
    (Context::Dialog, Action::Quit, &["ctrl-c"]),
    (Context::Input, Action::Submit, &["enter"]),
    (Context::Input, Action::Cancel, &["esc"]),
    (Context::Input, Action::Complete, &["tab"]),
    (Context::Input, Action::CursorLeft, &["left"]),
    (Context::Input, Action::CursorRight, &["right"]),
    (Context::Input, Action::LineStart, &["home", "ctrl-a"]),
    (Context::Input, Action::LineEnd, &["end", "ctrl-e"]),
    (Context::Input, Action::WordLeft, &["alt-b", "ctrl-left"]),
    (Context::Input, Action::WordRight, &["alt-f", "ctrl-right"]),
    (Context::Input, Action::DeleteBack, &["backspace", "ctrl-h"]),
    (Context::Input, Action::DeleteForward, &["delete", "ctrl-d"]),
    (Context::Input, Action::DeleteWord, &["ctrl-w", "alt-backspace"]),
    (Context::Input, Action::DeleteToStart, &["ctrl-u"]),
    (Context::Input, Action::DeleteToEnd, &["ctrl-k"]),
    (Context::Input, Action::HistoryPrev, &["up", "ctrl-p"]),
    (Context::Input, Action::HistoryNext, &["down", "ctrl-n"]),
    (Context::Input, Action::Quit, &["ctrl-c"]),
];

/// Bindings that yield to the user's: added after the overrides, each key
/// only where nothing else in its context took it. `q` closes help as it
/// closes the lists, unless the user bound `q` to something (say `quit`).
const SOFT_DEFAULTS: &[(Context, Action, &str)] = &[(Context::Help, Action::Back, "q")];

/// Why a keymap override was rejected. Every variant names the action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("unknown action `{action}` in [keys] (known: {known})")]
    UnknownAction { action: String, known: String },
    #[error("action `{action}`: bad key `{spec}`: {reason}")]
    BadKey { action: String, spec: String, reason: String },
    #[error("key `{key}` is bound to both `{action}` and `{other}` in the {context} context")]
    Conflict { key: String, action: String, other: String, context: &'static str },
}

/// Bindings per context: action → keys, in the order help shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    tables: BTreeMap<Context, Vec<(Action, Vec<KeySpec>)>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Keymap {
    /// The built-in bindings.
    #[must_use]
    pub fn defaults() -> Self {
        let mut tables: BTreeMap<Context, Vec<(Action, Vec<KeySpec>)>> = BTreeMap::new();
        for (ctx, action, specs) in DEFAULTS {
            // The default table is ours and tested; a bad spec in it would be
            // caught by `defaults_parse`, so skipping is unreachable in practice.
            let keys = specs.iter().filter_map(|s| KeySpec::parse(s).ok()).collect();
            tables.entry(*ctx).or_default().push((*action, keys));
        }
        let mut map = Self { tables };
        map.add_soft_defaults();
        map
    }

    fn add_soft_defaults(&mut self) {
        for (ctx, action, spec) in SOFT_DEFAULTS {
            let Ok(key) = KeySpec::parse(spec) else { continue };
            let Some(table) = self.tables.get_mut(ctx) else { continue };
            if table.iter().any(|(_, keys)| keys.contains(&key)) {
                continue;
            }
            if let Some((_, keys)) = table.iter_mut().find(|(a, _)| a == action) {
                keys.push(key);
            }
        }
    }

    /// The defaults with some actions rebound: each named action loses its
    /// default keys, in every context it appears in, and gets the listed
    /// ones. An empty list unbinds the action.
    ///
    /// # Errors
    /// An unknown action name, an unparsable key spec, or a key that would
    /// trigger two actions in one context.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, KeymapError> {
        let mut parsed: BTreeMap<Action, Vec<KeySpec>> = BTreeMap::new();
        for (name, specs) in overrides {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                action: name.clone(),
                known: crate::app::action_names().join(", "),
            })?;
            let keys = specs
                .iter()
                .map(|s| {
                    KeySpec::parse(s).map_err(|reason| KeymapError::BadKey {
                        action: name.clone(),
                        spec: s.clone(),
                        reason,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            parsed.insert(action, keys);
        }
        let mut map = Self::defaults();
        for (ctx, table) in &mut map.tables {
            for (action, keys) in table.iter_mut() {
                if let Some(new) = parsed.get(action) {
                    keys.clone_from(new);
                } else {
                    // A soft default goes back in below only if still free.
                    let soft = SOFT_DEFAULTS
                        .iter()
                        .filter(|(c, a, _)| c == ctx && a == action)
                        .filter_map(|(_, _, s)| KeySpec::parse(s).ok())
                        .collect::<Vec<_>>();
                    keys.retain(|k| !soft.contains(k));
                }
            }
        }
        map.add_soft_defaults();
        map.check_conflicts()?;
        Ok(map)
    }

    fn check_conflicts(&self) -> Result<(), KeymapError> {
        for (ctx, table) in &self.tables {
            let mut seen: BTreeMap<String, Action> = BTreeMap::new();
            for (action, keys) in table {
                for key in keys {
                    let k = key.to_string();
                    match seen.get(&k) {
                        Some(other) if other != action => {
                            return Err(KeymapError::Conflict {
                                key: k,
                                action: action.name().to_string(),
                                other: other.name().to_string(),
                                context: ctx.name(),
                            });
                        }
                        _ => {
                            seen.insert(k, *action);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The action a key press triggers in a context, if any.
    #[must_use]
    pub fn action_for(&self, ctx: Context, ev: &KeyEvent) -> Option<Action> {
        let key = KeySpec::from_event(ev);
        self.bindings(ctx).find(|(_, keys)| keys.contains(&key)).map(|(a, _)| a)
    }

    /// The keys bound to an action in a context (empty when unbound).
    #[must_use]
    pub fn keys(&self, ctx: Context, action: Action) -> &[KeySpec] {
        self.bindings(ctx).find(|(a, _)| *a == action).map_or(&[], |(_, k)| k)
    }

    /// All bindings of a context in help order.
    pub fn bindings(&self, ctx: Context) -> impl Iterator<Item = (Action, &[KeySpec])> {
        self.tables.get(&ctx).into_iter().flatten().map(|(a, k)| (*a, k.as_slice()))
    }

    /// The first key of an action, as a short label (`?` when unbound is
    /// never shown: callers skip unbound actions).
    #[must_use]
    pub fn first_label(&self, ctx: Context, action: Action) -> Option<String> {
        self.keys(ctx, action).first().map(KeySpec::label)
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    fn ov(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(a, ks)| ((*a).to_string(), ks.iter().map(|k| (*k).to_string()).collect()))
            .collect()
    }

    #[test]
    fn defaults_parse_without_conflicts() {
        for (_, _, specs) in DEFAULTS {
            for s in *specs {
                assert!(KeySpec::parse(s).is_ok(), "{s}");
            }
        }
        for (_, _, s) in SOFT_DEFAULTS {
            assert!(KeySpec::parse(s).is_ok(), "{s}");
        }
        assert!(Keymap::defaults().check_conflicts().is_ok());
        let km = Keymap::defaults();
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action_for(Context::Main, &q), Some(Action::Quit));
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action_for(Context::Main, &g), Some(Action::Bottom));
    }

    #[test]
    fn overrides_replace_keys_in_every_context() {
        let km = Keymap::with_overrides(&ov(&[("quit", &["z", "ctrl-q"])])).unwrap();
        let x = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action_for(Context::Main, &x), Some(Action::Quit));
        assert_eq!(km.action_for(Context::Help, &x), Some(Action::Quit));
        assert_eq!(km.action_for(Context::Main, &q), None);
        assert_eq!(km.first_label(Context::Main, Action::Quit).as_deref(), Some("z"));
    }

    #[test]
    fn swapping_two_actions_is_allowed() {
        let km = Keymap::with_overrides(&ov(&[("ack", &["s"]), ("silence", &["a"])])).unwrap();
        let s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE);
        assert_eq!(km.action_for(Context::Main, &s), Some(Action::Ack));
    }

    #[test]
    fn errors_name_the_action_and_the_key() {
        let err = Keymap::with_overrides(&ov(&[("launch_rockets", &["x"])])).unwrap_err();
        assert!(
            matches!(&err, KeymapError::UnknownAction { action, .. } if action == "launch_rockets")
        );
        let err = Keymap::with_overrides(&ov(&[("quit", &["ctrl-banana"])])).unwrap_err();
        assert_eq!(
            err,
            KeymapError::BadKey {
                action: "quit".into(),
                spec: "ctrl-banana".into(),
                reason: "unknown key `banana`".into()
            }
        );
        assert!(err.to_string().contains("quit") && err.to_string().contains("ctrl-banana"));
        let err = Keymap::with_overrides(&ov(&[("down", &["s"])])).unwrap_err();
        assert!(matches!(err, KeymapError::Conflict { ref key, .. } if key == "s"), "{err}");
    }

    #[test]
    fn q_closes_help_unless_the_user_gave_q_to_something_else() {
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        let km = Keymap::defaults();
        assert_eq!(km.action_for(Context::Help, &q), Some(Action::Back));
        assert_eq!(km.action_for(Context::List, &q), Some(Action::Back));
        let km = Keymap::with_overrides(&ov(&[("quit", &["q", "ctrl-q"])])).unwrap();
        assert_eq!(km.action_for(Context::Help, &q), Some(Action::Quit));
        let km = Keymap::with_overrides(&ov(&[("back", &["esc"])])).unwrap();
        assert_eq!(km.action_for(Context::Help, &q), Some(Action::Back), "still free");
    }

    #[test]
    fn every_key_a_view_reacts_to_is_in_the_table() {
        // The runbook keys, the dialog and the line editor are data too.
        let km = Keymap::defaults();
        let ev = |c, m| KeyEvent::new(c, m);
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        for (ctx, e, a) in [
            (Context::Main, ev(KeyCode::Char('K'), KeyModifiers::SHIFT), Action::KillRun),
            (Context::Main, ev(KeyCode::Char('o'), none), Action::CopyLink),
            (Context::Main, ev(KeyCode::Char('H'), KeyModifiers::SHIFT), Action::ToggleResolved),
            (Context::Dialog, ev(KeyCode::Enter, none), Action::Confirm),
            (Context::Dialog, ev(KeyCode::Esc, none), Action::Back),
            (Context::List, ev(KeyCode::PageDown, none), Action::PageDown),
            (Context::Input, ev(KeyCode::Left, none), Action::CursorLeft),
            (Context::Input, ev(KeyCode::Char('a'), ctrl), Action::LineStart),
            (Context::Input, ev(KeyCode::Char('e'), ctrl), Action::LineEnd),
            (Context::Input, ev(KeyCode::Char('w'), ctrl), Action::DeleteWord),
            (Context::Input, ev(KeyCode::Char('b'), KeyModifiers::ALT), Action::WordLeft),
            (Context::Input, ev(KeyCode::Up, none), Action::HistoryPrev),
        ] {
            assert_eq!(km.action_for(ctx, &e), Some(a), "{ctx:?} {e:?}");
        }
        // `y` means copy, never "run".
        let y = ev(KeyCode::Char('y'), none);
        assert_eq!(km.action_for(Context::Dialog, &y), None);
    }
}
