//! Positions of a template where a few constant words alternate.
//!
//! Similarity alone cannot tell `VM Started` / `VM Paused` (two events that
//! differ in one word) from `user alice` / `user bob` (one event with a
//! variable). What tells them apart is how many different words a position
//! takes: events come in a handful of fixed words, variables keep bringing
//! new ones. So a position the miner generalised from constants keeps its
//! words while there are at most [`MAX_CHOICES`]; each word then makes its
//! own template. Past that, or once a masked variable shows up there, the
//! position is a variable for good and its lines regroup into one template.

use super::mask::WILD;

/// Distinct words a position may take and still be part of the template.
pub const MAX_CHOICES: usize = 4;

/// Distinct words the first word of an event may take (see
/// [`Position::observe`]).
pub const MAX_NAMES: usize = 32;

/// What one template position has held.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    /// Always the template's word (or always a masked variable).
    Fixed,
    /// A few constant words: (hash, text, lines).
    Choices(Vec<(u64, Box<str>, u64)>),
    /// A variable.
    Variable,
}

impl Position {
    /// Folds in the word a new line has here, given the template's own word
    /// (`old`, `old_text`, seen `old_count` times) when the position was fixed.
    /// `may_choose` is false where alternating words are variables by shape:
    /// paths (`/` inside) and the unit right after a number (`5 KB`, `93 B`).
    /// `limit` is how many words the position may hold: [`MAX_CHOICES`], or
    /// [`MAX_NAMES`] for a line's first word, which often names the event
    /// (`boot (command 7)`, `tickTime set to 2000`) and may also be a name
    /// no mask knows (a user, a host); a few dozen distinct words there make
    /// it a variable, so such a value cannot make a template per line.
    pub fn observe(
        &mut self,
        (old, old_text, old_count): (u64, &str, u64),
        (word, text): (u64, &str),
        may_choose: bool,
        limit: usize,
    ) {
        // Read only where a fixed word meets another one: most lines agree
        // with the template, and this is the per-token path of the miner.
        let may_choose = || may_choose && !text.contains('/') && !old_text.contains('/');
        match self {
            Self::Fixed if old == word => {}
            Self::Fixed if old == WILD || word == WILD || !may_choose() => *self = Self::Variable,
            Self::Fixed => {
                *self =
                    Self::Choices(vec![(old, old_text.into(), old_count), (word, text.into(), 1)]);
            }
            Self::Choices(_) if word == WILD => *self = Self::Variable,
            Self::Choices(v) => {
                if let Some(e) = v.iter_mut().find(|e| e.0 == word) {
                    e.2 += 1;
                } else if v.len() >= limit {
                    *self = Self::Variable;
                } else {
                    v.push((word, text.into(), 1));
                }
            }
            Self::Variable => {}
        }
    }

    /// The word this position contributes to a line's template identity.
    #[must_use]
    pub fn key(&self, word: u64) -> Option<u64> {
        match self {
            Self::Choices(v) if v.iter().any(|e| e.0 == word) => Some(word),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_words_stay_choices_many_become_variable() {
        let mut p = Position::Fixed;
        p.observe((10, "Started", 3), (11, "Paused"), true, MAX_CHOICES);
        assert!(matches!(&p, Position::Choices(v) if v.len() == 2));
        assert_eq!(p.key(11), Some(11));
        for w in 12..=14 {
            p.observe((10, "Started", 3), (w, "x"), true, MAX_CHOICES);
        }
        assert_eq!(p, Position::Variable);
        assert_eq!(p.key(11), None);
        let mut q = Position::Fixed;
        q.observe((10, "a", 1), (WILD, "<*>"), true, MAX_CHOICES);
        assert_eq!(q, Position::Variable);
        let mut r = Position::Fixed;
        r.observe((10, "/a/b", 1), (11, "/a/c"), true, MAX_CHOICES);
        assert_eq!(r, Position::Variable);
    }
}
