//! Walks over the built graph: ancestors and descendants (with or without
//! dependencies), Alembic's checked closure, lineage, and the effective
//! current heads `current` prints. Each is one linear pass. Pure.

use super::resolve::Pos;
use super::target::Spec;
use super::{Ix, RevisionError, RevisionMap};

/// Walk helper: marks reused across a walk.
struct Marks {
    seen: Vec<bool>,
}

impl Marks {
    fn new(n: usize) -> Self {
        Marks {
            seen: vec![false; n],
        }
    }
}

impl RevisionMap {
    /// Ids of `ids` plus all their ancestors (dependencies included); unknown ids are ignored.
    pub fn ancestors_of(&self, ids: &[String]) -> Vec<String> {
        let start: Vec<Ix> = ids.iter().filter_map(|s| self.index_of(s)).collect();
        let set = self.ancestors(&start, true);
        (0..self.revs.len())
            .filter(|&i| set[i])
            .map(|i| self.revs[i].id.clone())
            .collect()
    }

    /// True when `id` is one of `of` or an ancestor (dependencies included)
    /// of one of them. Walks down from `of` only through revisions placed
    /// after `id` in a topological order, so it stays short near the tips.
    pub fn is_ancestor_of_any(&self, id: &str, of: &[String]) -> bool {
        let Some(target) = self.index_of(id) else {
            return false;
        };
        let floor = self.topo_pos[target];
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<Ix> = of.iter().filter_map(|s| self.index_of(s)).collect();
        while let Some(x) = stack.pop() {
            if x == target {
                return true;
            }
            if self.topo_pos[x] < floor || !seen.insert(x) {
                continue;
            }
            stack.extend(self.norm_down[x].iter().copied());
        }
        false
    }

    // ------------------------------------------------------------- closures

    /// Ancestors (inclusive) as a mask; with deps via normalized down revisions.
    pub(super) fn ancestors(&self, start: &[Ix], deps: bool) -> Vec<bool> {
        let mut m = Marks::new(self.revs.len());
        let mut stack: Vec<Ix> = start.to_vec();
        while let Some(x) = stack.pop() {
            if m.seen[x] {
                continue;
            }
            m.seen[x] = true;
            let edges = if deps {
                &self.norm_down[x]
            } else {
                &self.down[x]
            };
            stack.extend(edges.iter().copied());
        }
        m.seen
    }

    /// Descendants (inclusive) as a mask; with deps via all children.
    pub(super) fn descendants(&self, start: &[Ix], deps: bool) -> Vec<bool> {
        let mut m = Marks::new(self.revs.len());
        let mut stack: Vec<Ix> = start.to_vec();
        while let Some(x) = stack.pop() {
            if m.seen[x] {
                continue;
            }
            m.seen[x] = true;
            let edges = if deps {
                &self.all_next[x]
            } else {
                &self.next[x]
            };
            stack.extend(edges.iter().copied());
        }
        m.seen
    }

    /// Alembic's `_iterate_related_revisions(check=True)`: the closure, and
    /// an error when one target lies in another's closure.
    pub(super) fn closure_checked(
        &self,
        targets: &[Ix],
        up: bool,
        deps: bool,
    ) -> Result<Vec<bool>, RevisionError> {
        let n = self.revs.len();
        let mut seen = vec![false; n];
        let mut is_target = vec![false; n];
        for &t in targets {
            is_target[t] = true;
        }
        for &t in targets {
            let mut overlaps = Vec::new();
            let mut stack = vec![t];
            while let Some(x) = stack.pop() {
                if x != t && is_target[x] && !overlaps.contains(&x) {
                    overlaps.push(x);
                }
                if seen[x] {
                    continue;
                }
                seen[x] = true;
                let edges = match (up, deps) {
                    (false, true) => &self.norm_down[x],
                    (false, false) => &self.down[x],
                    (true, true) => &self.all_next[x],
                    (true, false) => &self.next[x],
                };
                stack.extend(edges.iter().copied());
            }
            if !overlaps.is_empty() {
                overlaps.sort_unstable();
                return Err(RevisionError::Overlap {
                    revision: self.id(t).to_string(),
                    others: self.ids(&overlaps),
                });
            }
        }
        Ok(seen)
    }

    /// Mask of revisions sharing lineage (ancestor or descendant, inclusive)
    /// with any of `revs`.
    pub(super) fn lineage(&self, revs: &[Ix], deps: bool) -> Vec<bool> {
        let mut a = self.ancestors(revs, deps);
        let d = self.descendants(revs, deps);
        for (x, y) in a.iter_mut().zip(d) {
            *x = *x || y;
        }
        a
    }

    pub(super) fn all_current_ix(&self, rows: &[Ix]) -> Vec<Ix> {
        let set = self.ancestors(rows, true);
        (0..self.revs.len())
            .filter(|&i| set[i] && !self.next[i].iter().any(|&c| set[c]))
            .collect()
    }

    /// What `current` prints: the rows plus all their ancestors (with
    /// dependencies), reduced to the tips of versioned branches; linear time,
    /// in input order. An unknown row is an error.
    pub fn effective_current(&self, rows: &[String]) -> Result<Vec<&str>, RevisionError> {
        let mut ix = Vec::new();
        for p in self.get_revisions(Spec::Tuple(rows))? {
            if let Pos::Rev(i) = p {
                ix.push(i);
            }
        }
        Ok(self
            .all_current_ix(&ix)
            .into_iter()
            .map(|i| self.id(i))
            .collect())
    }
}
