//! The pure revision graph: the DAG of revisions built from their headers,
//! Alembic's target grammar (`head`, `heads`, `base`, ids and unique
//! prefixes, `label@…`, `+N`, `-N`, `REV±N`, `heads+N`, `current`), upgrade,
//! downgrade and stamp plans, history, heads, branches and the effective
//! current heads. Values in, values out: no files, clock, environment or
//! database; it uses nothing but `std` and `thiserror` (and
//! `crate::text::edit_distance` for suggestions). Semantics follow Alembic
//! 1.20, with the deliberate differences of
//! `docs/spec.md` §4: stable orders where Alembic iterates a set, every graph
//! problem reported at once, helpful resolution errors, an error for
//! `downgrade -1` from several heads, and linear-time walks.
//!
//! Orders: wherever Alembic iterates a Python set (children, branch labels,
//! resolved dependencies, current heads) we use the order in which the
//! revisions were given to [`RevisionMap::new`] (the loader gives them sorted
//! by path, like Alembic's directory listing), and branch labels sorted.
//!
//! Where each behaviour lives: this file holds the values the graph takes
//! and gives and the questions about one revision (`heads`, `marks`, …);
//! `error` words every error; `adj` is how the graph is stored; `build`
//! validates the files and builds the map; `target` reads the text of a
//! target or range; `resolve` resolves targets against the map; `walk`
//! holds ancestors, descendants and the effective current heads; `plan`
//! the upgrade, downgrade and stamp plans, history, and their topological
//! order; `applied` answers head maintenance's questions about the
//! version-table rows. `tests` and `alembic_cases` are the unit tests.
mod adj;
mod applied;
mod build;
mod error;
mod plan;
mod resolve;
mod target;
mod walk;

#[cfg(test)]
mod alembic_cases;
#[cfg(test)]
mod tests;

pub(crate) use adj::prefix_key;
pub use error::{GraphError, GraphErrorKind, GraphErrors, RevisionError};
pub use target::{RevRange, Target};

use adj::Adj;
use applied::AppliedMemo;
use build::LabelSets;
use std::collections::{BTreeMap, HashMap};

/// One parsed revision file, as the loader gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionInfo {
    /// The revision id (`Revision ID:`).
    pub id: String,
    /// `Revises:` list as written (full ids); several for a merge.
    pub down_revisions: Vec<String>,
    /// `Branch Labels:` as written.
    pub branch_labels: Vec<String>,
    /// `Depends On:` as written: ids, unique id prefixes, or branch labels.
    pub depends_on: Vec<String>,
    /// The message (first header line), shown by `history`.
    pub doc: String,
    /// The whole header block (lines without the leading `-- `), for verbose output.
    pub longdoc: String,
    /// File path, for `Path:` lines and error messages.
    pub path: String,
    /// 1-based line numbers of the header keys in the file (0 = absent).
    pub lines: HeaderLines,
}

/// What the one-line formats mark of a revision ([`RevisionMap::marks`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionMarks {
    /// Nothing revises it (`Revises` edges only).
    pub head: bool,
    /// Nothing revises or depends on it.
    pub real_head: bool,
    pub branch_point: bool,
    pub merge_point: bool,
    /// Its branch labels after propagation, sorted.
    pub labels: Vec<String>,
}

/// 1-based line numbers of the header keys of a revision file (0 = absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// Line of `Revision ID:`.
    pub revision: usize,
    /// Line of `Revises:`.
    pub revises: usize,
    /// Line of `Branch Labels:`.
    pub branch_labels: usize,
    /// Line of `Depends On:`.
    pub depends_on: usize,
}

/// Direction of a migration step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Run the revision's upgrade section.
    Up,
    /// Run the revision's downgrade section.
    Down,
}

/// One revision to run, in plan order, with what the log line and the head
/// maintenance need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStep {
    /// The revision whose upgrade or downgrade runs.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The revision's message (may be empty).
    pub doc: String,
    /// Versioned revisions before the step (`a, b` in `Running upgrade a, b -> c`).
    pub from_revisions: Vec<String>,
    /// Versioned revisions after the step.
    pub to_revisions: Vec<String>,
}

impl MigrationStep {
    /// `upgrade a, b -> c` (Alembic's `short_log`, used in `--sql` comments).
    pub fn short_log(&self) -> String {
        let name = match self.direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        format!(
            "{} {} -> {}",
            name,
            self.from_revisions.join(", "),
            self.to_revisions.join(", ")
        )
    }

    /// `upgrade a, b -> c, doc` (log line after `Running `).
    pub fn description(&self) -> String {
        if self.doc.is_empty() {
            self.short_log()
        } else {
            format!("{}, {}", self.short_log(), self.doc)
        }
    }
}

/// One stamp operation: moves the version table from `from` heads to `to`
/// heads without running SQL (Alembic's `StampStep`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampStep {
    /// Heads the step moves away from (empty for a new branch).
    pub from: Vec<String>,
    /// Heads the step moves to (empty for base).
    pub to: Vec<String>,
    /// True when `to` is above `from` (or a new branch).
    pub is_upgrade: bool,
    /// True when a whole branch row is inserted or deleted.
    pub branch_move: bool,
}

impl StampStep {
    /// `stamp_revision a -> b` (Alembic's `short_log`).
    pub fn short_log(&self) -> String {
        format!(
            "stamp_revision {} -> {}",
            self.from.join(", "),
            self.to.join(", ")
        )
    }

    /// The log line after `Running ` (stamps have no doc).
    pub fn description(&self) -> String {
        self.short_log()
    }
}

type Ix = usize;

const NONE: u32 = u32::MAX;

/// The revision graph, built once in linear time (sorting the keys aside),
/// whatever its shape.
#[derive(Debug, Clone)]
pub struct RevisionMap {
    revs: Vec<RevisionInfo>,
    /// Ids and branch labels → revision (Alembic's `_revision_map` keys).
    keys: BTreeMap<String, Ix>,
    /// Versioned down revisions (`Revises`).
    down: Adj,
    /// Resolved dependencies, deduplicated, as written.
    deps: Adj,
    /// Dependencies not already implied by an ancestor's dependencies.
    norm_deps: Adj,
    /// `down` + `norm_deps`, deduplicated.
    norm_down: Adj,
    /// Versioned children.
    next: Adj,
    /// Children including dependents.
    all_next: Adj,
    /// Branch labels after Alembic's propagation: the persistent set of a
    /// revision's own and inherited labels, plus the labels spread down the
    /// unbranched segment it belongs to (`seg_extra[seg[i]]`).
    label_sets: LabelSets,
    up_labels: Vec<u32>,
    seg: Vec<u32>,
    seg_extra: HashMap<u32, Vec<u32>>,
    /// Longest path from a root over normalized down revisions.
    level: Vec<u32>,
    /// Longest path from a root over `Revises` only.
    vlevel: Vec<u32>,
    applied: AppliedMemo,
    heads: Vec<Ix>,
    real_heads: Vec<Ix>,
    bases: Vec<Ix>,
    /// A topological order of all revisions, ancestors first.
    topo: Vec<Ix>,
    /// Position of each revision in `topo`.
    topo_pos: Vec<usize>,
}

impl RevisionMap {
    // ----------------------------------------------------------------- access

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&RevisionInfo> {
        self.index_of(id).map(|i| &self.revs[i])
    }

    fn index_of(&self, id: &str) -> Option<Ix> {
        self.keys
            .get(id)
            .copied()
            .filter(|&i| self.revs[i].id == id)
    }

    /// Where revision `id` (a full id) is in [`revisions`](Self::revisions).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index_of(id)
    }

    /// All revisions, in the order given to [`RevisionMap::new`].
    pub fn revisions(&self) -> &[RevisionInfo] {
        &self.revs
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.revs.len()
    }

    /// True when there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    fn id(&self, i: Ix) -> &str {
        &self.revs[i].id
    }

    fn ids(&self, v: &[Ix]) -> Vec<String> {
        v.iter().map(|&i| self.revs[i].id.clone()).collect()
    }

    /// Real heads: revisions nothing revises or depends on, in input order
    /// (Alembic's `heads` target and `heads --resolve-dependencies`).
    pub fn heads(&self) -> Vec<&str> {
        self.real_heads.iter().map(|&i| self.id(i)).collect()
    }

    /// Versioned heads: revisions nothing revises, including those only
    /// depended on (`(effective head)`); what plain `heads` lists.
    pub fn versioned_heads(&self) -> Vec<&str> {
        self.heads.iter().map(|&i| self.id(i)).collect()
    }

    /// Roots: revisions with an empty `Revises`.
    pub fn bases(&self) -> Vec<&str> {
        self.bases.iter().map(|&i| self.id(i)).collect()
    }

    /// Branch labels of a revision after propagation (own and inherited), sorted.
    pub fn branch_labels_of(&self, id: &str) -> Vec<String> {
        match self.index_of(id) {
            Some(i) => self.labels(i),
            None => Vec::new(),
        }
    }

    /// Versioned children, in input order.
    pub fn children(&self, id: &str) -> Vec<&str> {
        match self.index_of(id) {
            Some(i) => self.next[i].iter().map(|&c| self.id(c)).collect(),
            None => Vec::new(),
        }
    }

    /// True when nothing revises the revision (it may still be depended on).
    pub fn is_head(&self, id: &str) -> bool {
        self.index_of(id).is_some_and(|i| self.next[i].is_empty())
    }

    /// Where `rev`, a reference into this map, is — found by its address,
    /// without a lookup by id (None for a revision from elsewhere).
    pub fn position_of(&self, rev: &RevisionInfo) -> Option<usize> {
        let size = std::mem::size_of::<RevisionInfo>();
        let start = self.revs.as_ptr() as usize;
        let at = std::ptr::from_ref::<RevisionInfo>(rev) as usize;
        let i = at.checked_sub(start)? / size;
        (i < self.revs.len() && std::ptr::eq(&raw const self.revs[i], rev)).then_some(i)
    }

    /// What the one-line formats mark of a revision of this map (by
    /// [`position_of`](Self::position_of)): head, real head, branch point,
    /// merge point, and its branch labels.
    pub fn marks(&self, rev: &RevisionInfo) -> RevisionMarks {
        let Some(i) = self.position_of(rev).or_else(|| self.index_of(&rev.id)) else {
            return RevisionMarks::default();
        };
        RevisionMarks {
            head: self.next[i].is_empty(),
            real_head: self.all_next[i].is_empty(),
            branch_point: self.next[i].len() > 1,
            merge_point: self.down[i].len() > 1,
            labels: self.labels(i),
        }
    }

    /// True when nothing revises or depends on the revision.
    pub fn is_real_head(&self, id: &str) -> bool {
        self.index_of(id)
            .is_some_and(|i| self.all_next[i].is_empty())
    }

    /// True when several revisions revise this one.
    pub fn is_branch_point(&self, id: &str) -> bool {
        self.index_of(id).is_some_and(|i| self.next[i].len() > 1)
    }

    /// True when the revision revises several.
    pub fn is_merge_point(&self, id: &str) -> bool {
        self.index_of(id).is_some_and(|i| self.down[i].len() > 1)
    }

    /// Down revisions a step goes through: `Revises` plus dependencies not
    /// implied by ancestors (Alembic's `_normalized_down_revisions`).
    pub fn normalized_down_revisions(&self, id: &str) -> Vec<&str> {
        match self.index_of(id) {
            Some(i) => self.norm_down[i].iter().map(|&d| self.id(d)).collect(),
            None => Vec::new(),
        }
    }
}
