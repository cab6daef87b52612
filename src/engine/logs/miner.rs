//! A streaming template miner in the spirit of Drain (He et al., ICWS 2017).
//!
//! Each line is masked (see [`super::mask`]) and looked up in a bucket keyed
//! by its token count and first constant token. Within the bucket the most
//! similar template wins if at least [`MinerConfig::similarity`] of its
//! positions agree with the line; positions that disagree become variables.
//! Otherwise the line starts a new template. Templates never merge, so a
//! line's template is final the moment it is assigned.
//!
//! Ids come from content: the hash of the masked line that created the
//! template, kept as it generalises, so the same log stream yields the same
//! ids in every run, and a persisted table keeps them across restarts.
//! Memory is bounded: past [`MinerConfig::max_templates`] the least recently
//! seen tenth is evicted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::choices::{MAX_CHOICES, MAX_NAMES, Position};
use super::mask::{Masked, WILD, WILD_TEXT, hash_bytes};

/// A template's content-derived id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TemplateId(pub u64);

impl std::fmt::Display for TemplateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{:016x}", self.0)
    }
}

/// Tuning, identical for every log source (no per-dataset settings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinerConfig {
    /// Fraction of positions that must agree for a line to join a template.
    pub similarity: f64,
    /// Templates kept; the least recently seen are evicted past it.
    pub max_templates: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self { similarity: 0.5, max_templates: 10_000 }
    }
}

/// One mined template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: TemplateId,
    /// Token hashes; [`WILD`] marks a variable position.
    tokens: Vec<u64>,
    /// Masked token texts (`<*>` at variable positions).
    texts: Vec<Box<str>>,
    /// What each position has held (see [`super::choices`]).
    positions: Vec<Position>,
    pub count: u64,
    /// Sequence number of the last line it matched (recency for eviction).
    last_seq: u64,
}

impl Template {
    /// The template as text, variables as `<*>`.
    #[must_use]
    pub fn text(&self) -> String {
        self.texts.join(" ")
    }

    /// The id of the template a line of this cluster belongs to: the
    /// cluster's own id, refined by the words at its choice positions.
    #[must_use]
    pub fn refine(&self, line: &[u64]) -> TemplateId {
        let mut h = self.id.0;
        let mut refined = false;
        for (p, w) in self.positions.iter().zip(line) {
            if let Some(k) = p.key(*w) {
                h = hash_bytes(&[h.to_le_bytes(), k.to_le_bytes()].concat());
                refined = true;
            }
        }
        if refined { TemplateId(h) } else { self.id }
    }

    /// The refined template's text for a line (choice words filled in).
    #[must_use]
    pub fn refined_text(&self, m: &Masked) -> String {
        let mut out: Vec<&str> = Vec::with_capacity(self.texts.len());
        for (i, (p, t)) in self.positions.iter().zip(&self.texts).enumerate() {
            let w = m.hashes.get(i).copied().unwrap_or(WILD);
            out.push(if p.key(w).is_some() { m.token(i) } else { t });
        }
        out.join(" ")
    }

    /// What each position has held: choice words survive a restart with it.
    #[must_use]
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Tokens of the template, each with whether it is a variable position.
    pub fn parts(&self) -> impl Iterator<Item = (&str, bool)> {
        self.tokens.iter().zip(&self.texts).map(|(h, t)| (&**t, *h == WILD))
    }
}

/// Bucket key: token count and first constant token's hash.
type Key = (u32, u64);

#[derive(Debug, Clone, Default)]
pub struct Miner {
    cfg: MinerConfig,
    slots: Vec<Option<Template>>,
    free: Vec<u32>,
    by_id: HashMap<TemplateId, u32>,
    buckets: HashMap<Key, Vec<u32>>,
    /// Templates by their creating line with the bucket word masked (see
    /// [`rest_key`]): where a line whose first word is new finds the event
    /// it belongs to.
    by_rest: HashMap<u64, u32>,
    seq: u64,
    scratch: Masked,
    evicted: u64,
}

impl Miner {
    #[must_use]
    pub fn new(cfg: MinerConfig) -> Self {
        Self { cfg, ..Self::default() }
    }

    #[must_use]
    pub fn config(&self) -> MinerConfig {
        self.cfg
    }

    /// Templates currently held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Templates evicted so far.
    #[must_use]
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Lines added since this miner was made (a change counter for saving).
    #[must_use]
    pub fn lines_seen(&self) -> u64 {
        self.seq
    }

    #[must_use]
    pub fn get(&self, id: TemplateId) -> Option<&Template> {
        let slot = *self.by_id.get(&id)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.slots.iter().flatten()
    }

    /// Assigns `line` to a template (creating one if none is similar enough)
    /// and returns its id.
    pub fn add(&mut self, line: &str) -> TemplateId {
        self.add_detailed(line).1
    }

    /// Like [`Self::add`], returning (cluster, template): the Drain cluster the
    /// line joined and the template within it (see [`Template::refine`]).
    pub fn add_detailed(&mut self, line: &str) -> (TemplateId, TemplateId) {
        let mut m = std::mem::take(&mut self.scratch);
        m.fill(line);
        let ids = self.add_masked(&m);
        self.scratch = m;
        ids
    }

    /// The template a line of `cluster` belongs to now, and its text; lines
    /// added earlier may regroup as choice positions turn out variable.
    pub fn regroup(&mut self, cluster: TemplateId, line: &str) -> Option<(TemplateId, String)> {
        self.scratch.fill(line);
        let t = self.get(cluster)?;
        Some((t.refine(&self.scratch.hashes), t.refined_text(&self.scratch)))
    }

    fn add_masked(&mut self, m: &Masked) -> (TemplateId, TemplateId) {
        self.seq += 1;
        let first = bucket_word(&m.hashes, |i| names_a_field(m.token(i)));
        let key = key_of(&m.hashes, first);
        let found = self.best_match(key, &m.hashes).or_else(|| {
            // The bucket word may be a value no mask knows (a user or host
            // name): the same line with another word there is the same
            // event. The position then holds choices, and becomes a variable
            // once it has shown more words than an event has alternatives.
            // (Looked up again for every such line rather than added to the
            // line's bucket, so a stream of new names grows no table.)
            self.by_rest.get(&rest_key(&m.hashes, first)?).copied()
        });
        if let Some(slot) = found
            && let Some(t) = self.slots.get_mut(slot as usize).and_then(Option::as_mut)
        {
            let mut after_variable = false;
            // The bucket word is never a unit after a number: it may be a
            // choice even after a masked value.
            for (i, lh) in m.hashes.iter().enumerate() {
                let (Some(th), Some(s), Some(p)) =
                    (t.tokens.get_mut(i), t.texts.get_mut(i), t.positions.get_mut(i))
                else {
                    break;
                };
                let masked_before = after_variable && Some(i) != first;
                after_variable = *lh == WILD;
                if *th == *lh && *p == Position::Fixed {
                    // The line agrees with a fixed position: nothing to learn.
                    continue;
                }
                let limit = if Some(i) == first { MAX_NAMES } else { MAX_CHOICES };
                p.observe((*th, s, t.count), (*lh, m.token(i)), !masked_before, limit);
                if *th != *lh && *th != WILD {
                    *th = WILD;
                    *s = WILD_TEXT.into();
                }
            }
            t.count += 1;
            t.last_seq = self.seq;
            return (t.id, t.refine(&m.hashes));
        }
        let texts: Vec<Box<str>> = (0..m.len()).map(|i| m.token(i).into()).collect();
        let id = TemplateId(hash_bytes(texts.join(" ").as_bytes()));
        let positions = vec![Position::Fixed; texts.len()];
        let t = Template {
            id,
            tokens: m.hashes.clone(),
            texts,
            positions,
            count: 1,
            last_seq: self.seq,
        };
        let id = self.insert(key, t);
        if let (Some(rest), Some(&slot)) = (rest_key(&m.hashes, first), self.by_id.get(&id)) {
            self.by_rest.entry(rest).or_insert(slot);
        }
        (id, id)
    }

    /// Inserts a template (new or loaded) and returns its id, which differs
    /// from `t.id` only in the unlikely case that id is taken.
    fn insert(&mut self, key: Key, mut t: Template) -> TemplateId {
        if self.by_id.len() >= self.cfg.max_templates.max(1) {
            self.evict();
        }
        while self.by_id.contains_key(&t.id) {
            // Two templates with the same creating text can only arise from a
            // hash collision or a reload; keep ids unique and deterministic.
            t.id = TemplateId(t.id.0.wrapping_mul(0x100_0000_01b3).wrapping_add(1));
        }
        let id = t.id;
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(x) = self.slots.get_mut(s as usize) {
                    *x = Some(t);
                }
                s
            }
            None => {
                self.slots.push(Some(t));
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.by_id.insert(id, slot);
        self.buckets.entry(key).or_default().push(slot);
        id
    }

    fn best_match(&self, key: Key, line: &[u64]) -> Option<u32> {
        let bucket = self.buckets.get(&key)?;
        let mut best: Option<(u32, usize, usize)> = None;
        for &slot in bucket {
            let Some(t) = self.slots.get(slot as usize).and_then(Option::as_ref) else {
                continue;
            };
            // Counted without branches: buckets of long lines hold many
            // templates, and this loop is most of the lookup.
            let mut same = 0usize;
            let mut wild = 0usize;
            for (&th, &lh) in t.tokens.iter().zip(line) {
                let w = th == WILD;
                wild += usize::from(w);
                same += usize::from(!w & (th == lh));
            }
            // Drain's rule: most agreeing constants; ties go to the template
            // with more variables (the more general one).
            if best.is_none_or(|(_, s, w)| same > s || (same == s && wild > w)) {
                best = Some((slot, same, wild));
            }
        }
        let (slot, same, wild) = best?;
        let n = line.len().max(1);
        // As in Drain, only agreeing constants count: a variable position
        // says nothing about whether two lines are the same event.
        #[allow(clippy::cast_precision_loss)]
        let sim = same as f64 / n as f64;
        (sim >= self.cfg.similarity && same > 0 || n == wild).then_some(slot)
    }

    /// Drops the least recently seen tenth of the templates.
    fn evict(&mut self) {
        let mut ages: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (t.last_seq, u32::try_from(i).unwrap_or(0))))
            .collect();
        let n = (ages.len() / 10).max(1);
        ages.select_nth_unstable(n - 1);
        let mut gone = std::collections::HashSet::new();
        for &(_, slot) in &ages[..n] {
            if let Some(t) = self.slots.get_mut(slot as usize).and_then(Option::take) {
                self.by_id.remove(&t.id);
                self.free.push(slot);
                gone.insert(slot);
                self.evicted += 1;
            }
        }
        self.buckets.retain(|_, v| {
            v.retain(|s| !gone.contains(s));
            !v.is_empty()
        });
        self.by_rest.retain(|_, s| !gone.contains(s));
    }

    /// Restores a template from its persisted form (see [`super::persist`]).
    pub fn restore(&mut self, id: TemplateId, text: &str, count: u64) {
        self.restore_with(id, text, count, Vec::new());
    }

    /// Like [`Self::restore`], with what each position held, so lines at
    /// choice positions keep their refined ids. Positions that do not match
    /// the text token for token are ignored (all fixed).
    pub fn restore_with(
        &mut self,
        id: TemplateId,
        text: &str,
        count: u64,
        positions: Vec<Position>,
    ) {
        let mut tokens = Vec::new();
        let mut texts: Vec<Box<str>> = Vec::new();
        for tok in text.split(' ').filter(|t| !t.is_empty()) {
            tokens.push(if tok == WILD_TEXT { WILD } else { hash_bytes(tok.as_bytes()) });
            texts.push(tok.into());
        }
        if tokens.is_empty() || self.by_id.contains_key(&id) {
            return;
        }
        let key = key_of(
            &tokens,
            bucket_word(&tokens, |i| texts.get(i).is_some_and(|t| names_a_field(t))),
        );
        let positions = if positions.len() == texts.len() {
            positions
        } else {
            vec![Position::Fixed; texts.len()]
        };
        self.insert(key, Template { id, tokens, texts, positions, count, last_seq: 0 });
    }
}

/// A line's tokens with its bucket word (see [`bucket_word`]) masked, for
/// lines of at least three tokens with another constant besides it: two
/// such lines that differ only in that word are one event. `None` for
/// shorter lines (`Starting server` / `Stopping server`).
fn rest_key(tokens: &[u64], first: Option<usize>) -> Option<u64> {
    let first = first?;
    let others = tokens.iter().filter(|&&h| h != WILD).count();
    if tokens.len() < 3 || others < 2 {
        return None;
    }
    let mut h = crate::base::Fnv1a::salted(tokens.len() as u64);
    for (i, &t) in tokens.iter().enumerate() {
        h.word(if i == first { WILD } else { t });
    }
    Some(h.finish())
}

/// The position of a line's bucket word: its first constant token, not
/// just its first token (lines that start with a timestamp or an id would
/// otherwise all share one bucket), and not one that only names a field
/// whose value is masked (`level=<*>`): a key=value line tells its event
/// by its message, not by the keys every line of its logger starts with.
/// The first constant of any kind when the line has nothing else.
fn bucket_word(tokens: &[u64], is_field: impl Fn(usize) -> bool) -> Option<usize> {
    let mut constants = tokens.iter().enumerate().filter(|(_, h)| **h != WILD).map(|(i, _)| i);
    let first = constants.clone().next();
    constants.find(|&i| !is_field(i)).or(first)
}

/// Whether a masked token is a field name and nothing more: `key=<*>`.
fn names_a_field(text: &str) -> bool {
    text.strip_suffix("=<*>").is_some_and(|k| {
        !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    })
}

fn key_of(tokens: &[u64], first: Option<usize>) -> Key {
    let n = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
    (n, first.and_then(|i| tokens.get(i).copied()).unwrap_or(WILD))
}

#[cfg(test)]
#[path = "miner_tests.rs"]
mod tests;
