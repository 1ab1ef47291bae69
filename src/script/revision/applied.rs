//! Head maintenance's questions about the version-table rows: which
//! revisions the other rows imply, kept as reference counts between the
//! steps of one plan so each step costs its own degree, not a walk of the
//! graph (Alembic's `HeadMaintainer` asks the same of whole ancestor sets).
//! Pure; the counts are a cache that never changes an answer.

use super::{Ix, RevisionMap};
use std::fmt;

/// The version-table rows last seen by head maintenance, with reference
/// counts over the applied revisions, so each step's "is this implied by the
/// other rows" check costs the step's degree instead of a walk of the graph.
/// A cache only: results never depend on it, and a mismatch rebuilds it.
#[derive(Default)]
pub(super) struct AppliedMemo(std::sync::Mutex<Option<Applied>>);

pub(super) struct Applied {
    rows: Vec<String>,
    /// Occurrences as a row + applied revisions that have it as a
    /// normalized down revision; > 0 exactly for applied revisions.
    cnt: Vec<u32>,
    /// Occurrences as a row.
    row_cnt: Vec<u32>,
}

impl Applied {
    /// Whether these counts are for exactly `rows`. Head maintenance hands
    /// the whole list over at every step, so this comparison (and the copy
    /// in [`copy_rows`]) costs the number of rows per step: the one part of
    /// head maintenance that is not bounded by the step's own degree.
    fn holds(&self, rows: &[String]) -> bool {
        self.rows == rows
    }
}

impl Clone for AppliedMemo {
    fn clone(&self) -> Self {
        AppliedMemo::default()
    }
}

impl fmt::Debug for AppliedMemo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppliedMemo")
    }
}

impl RevisionMap {
    // ------------------------------------------------- head maintenance

    pub(super) fn lock_applied(&self) -> std::sync::MutexGuard<'_, Option<Applied>> {
        match self.applied.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Reference counts for the applied revisions of `rows` (their ancestors,
    /// dependencies included).
    pub(super) fn build_applied(&self, rows: &[String]) -> Applied {
        let n = self.revs.len();
        let known: Vec<Ix> = rows.iter().filter_map(|r| self.index_of(r)).collect();
        let applied = self.ancestors(&known, true);
        let mut cnt = vec![0u32; n];
        for &k in &known {
            cnt[k] += 1;
        }
        let row_cnt = cnt.clone();
        for (x, _) in applied.iter().enumerate().filter(|(_, &a)| a) {
            for &d in &self.norm_down[x] {
                cnt[d] += 1;
            }
        }
        Applied {
            rows: rows.to_vec(),
            cnt,
            row_cnt,
        }
    }

    /// For head maintenance (Alembic's ancestors of the other heads): for
    /// each candidate, whether it is one of `rows` other than `excluded`, or
    /// an ancestor (dependencies included) of one of them. Costs the
    /// revisions only the excluded rows held up, no lower than the lowest
    /// candidate; a plan's consecutive steps reuse one set of counts.
    pub fn implied_by_other_rows(
        &self,
        rows: &[String],
        excluded: &[&str],
        candidates: &[&str],
    ) -> Vec<bool> {
        let cand: Vec<Option<Ix>> = candidates.iter().map(|c| self.index_of(c)).collect();
        let Some(floor) = cand.iter().flatten().map(|&c| self.level[c]).min() else {
            return vec![false; candidates.len()];
        };
        let mut guard = self.lock_applied();
        if guard.as_ref().is_none_or(|a| !a.holds(rows)) {
            *guard = Some(self.build_applied(rows));
        }
        let Some(a) = guard.as_mut() else {
            return vec![false; candidates.len()];
        };
        let mut undo: Vec<Ix> = Vec::new();
        let mut stack: Vec<Ix> = Vec::new();
        for e in excluded {
            let Some(x) = self.index_of(e) else { continue };
            for _ in 0..a.row_cnt[x] {
                if a.cnt[x] > 0 {
                    a.cnt[x] -= 1;
                    undo.push(x);
                    if a.cnt[x] == 0 {
                        stack.push(x);
                    }
                }
            }
        }
        while let Some(x) = stack.pop() {
            for &d in &self.norm_down[x] {
                if self.level[d] >= floor && a.cnt[d] > 0 {
                    a.cnt[d] -= 1;
                    undo.push(d);
                    if a.cnt[d] == 0 {
                        stack.push(d);
                    }
                }
            }
        }
        let out = cand
            .iter()
            .map(|c| c.is_some_and(|c| a.cnt[c] > 0))
            .collect();
        for x in undo {
            a.cnt[x] += 1;
        }
        out
    }

    /// For an unmerge from the only row `id`: for each normalized down
    /// revision, whether it is an ancestor of another one.
    pub fn down_revisions_implied_by_siblings(&self, rows: &[String], id: &str) -> Vec<bool> {
        let Some(r) = self.index_of(id) else {
            return Vec::new();
        };
        let mut guard = self.lock_applied();
        if guard.as_ref().is_none_or(|a| !a.holds(rows)) {
            *guard = Some(self.build_applied(rows));
        }
        let Some(a) = guard.as_ref() else {
            return vec![false; self.norm_down[r].len()];
        };
        // `r` is applied and counts once on each; another applied revision
        // above `d` lies under `r`, so under another down revision.
        self.norm_down[r]
            .iter()
            .map(|&d| a.cnt[d] >= 2 + a.row_cnt[d])
            .collect()
    }

    /// Tells the head-maintenance cache that the rows went from `before` to
    /// `after` by inserting `added` and removing `removed`.
    pub fn rows_moved(
        &self,
        before: &[String],
        added: &[&str],
        removed: &[&str],
        after: &[String],
    ) {
        let mut guard = self.lock_applied();
        let Some(a) = guard.as_mut() else { return };
        if !a.holds(before) {
            *guard = None;
            return;
        }
        let mut ok = true;
        for x in added.iter().filter_map(|x| self.index_of(x)) {
            a.row_cnt[x] += 1;
            let mut stack = vec![x];
            while let Some(y) = stack.pop() {
                a.cnt[y] += 1;
                if a.cnt[y] == 1 {
                    stack.extend(self.norm_down[y].iter().copied());
                }
            }
        }
        for x in removed.iter().filter_map(|x| self.index_of(x)) {
            if a.row_cnt[x] == 0 {
                ok = false;
                break;
            }
            a.row_cnt[x] -= 1;
            let mut stack = vec![x];
            while let Some(y) = stack.pop() {
                if a.cnt[y] == 0 {
                    ok = false;
                    break;
                }
                a.cnt[y] -= 1;
                if a.cnt[y] == 0 {
                    stack.extend(self.norm_down[y].iter().copied());
                }
            }
        }
        if ok {
            copy_rows(&mut a.rows, after);
        } else {
            *guard = None;
        }
    }
}

/// `into` made equal to `from`, reusing the strings it holds: head
/// maintenance moves the rows after every step, and this copies bytes
/// instead of allocating every row again.
fn copy_rows(into: &mut Vec<String>, from: &[String]) {
    into.truncate(from.len());
    let kept = into.len();
    for (mine, theirs) in into.iter_mut().zip(from) {
        mine.clone_from(theirs);
    }
    into.extend(from[kept..].iter().cloned());
}
