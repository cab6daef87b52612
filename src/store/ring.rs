//! A fixed-capacity FIFO: pushing onto a full ring drops the oldest item.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Self::new(1)
    }
}

impl<T> Ring<T> {
    /// A ring holding at most `cap` items (at least one).
    #[must_use]
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self { items: VecDeque::with_capacity(cap.min(4096)), cap }
    }

    /// Appends, returning the evicted oldest item when full.
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.len() >= self.cap { self.items.pop_front() } else { None };
        self.items.push_back(item);
        evicted
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[must_use]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    #[must_use]
    pub fn back(&self) -> Option<&T> {
        self.items.back()
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    /// The items at positions `range` (oldest is 0).
    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &T> {
        self.items.range(range)
    }
}

impl<'a, T> IntoIterator for &'a Ring<T> {
    type Item = &'a T;
    type IntoIter = std::collections::vec_deque::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}
