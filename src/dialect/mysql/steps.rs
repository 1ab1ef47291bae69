//! What keeps a table valid between the statements of a migration on
//! MySQL/MariaDB, where each `ALTER TABLE` is checked on its own: an
//! `AUTO_INCREMENT` column is a key at every step, a foreign key always has
//! an index and columns of the same type on both sides, and MariaDB's
//! column-level checks survive a `MODIFY`. The renderer asks these which
//! statement of a group does the work, so that each change's statements
//! agree with the others'. Pure: the two catalogs in, decisions out.

use super::clauses::{self, ident};
use crate::schema::model::{Catalog, ForeignKey, Index, QName};
use std::collections::BTreeSet;

/// Where a changed primary key is added, so that an `AUTO_INCREMENT` column
/// is a key at every step.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PkAt {
    /// By itself (`AddPrimaryKey`).
    Alone,
    /// In the statement that drops the old one: its columns exist already.
    Drop,
    /// With the column that becomes `AUTO_INCREMENT` (added or modified).
    Column(String),
}

pub(super) fn pk_at(table: &QName, from: &Catalog, to: &Catalog) -> PkAt {
    let (Some(was), Some(now)) = (from.tables.get(table), to.tables.get(table)) else {
        return PkAt::Alone;
    };
    let Some(pk) = &now.primary_key else {
        return PkAt::Alone;
    };
    if was.primary_key.as_ref() == Some(pk) {
        return PkAt::Alone;
    }
    if was.primary_key.is_some() && pk.columns.iter().all(|c| was.column(c).is_some()) {
        return PkAt::Drop;
    }
    for c in &pk.columns {
        let gains_auto = now.column(c).is_some_and(|n| n.auto_increment)
            && was.column(c).is_none_or(|w| !w.auto_increment);
        if gains_auto {
            return PkAt::Column(c.clone());
        }
    }
    PkAt::Alone
}

/// `, ADD PRIMARY KEY (…)` of the table in `to`.
pub(super) fn new_pk(table: &QName, to: &Catalog) -> String {
    to.tables
        .get(table)
        .and_then(|t| t.primary_key.as_ref())
        .map(|k| format!(", ADD {}", k.definition))
        .unwrap_or_default()
}

/// True when index `name` of `table` changes its definition and its columns
/// stay as they are: dropped and created in one statement, when it is
/// created, so that a foreign key that needs it never lacks an index.
pub(super) fn redefined_in_place(table: &QName, name: &str, from: &Catalog, to: &Catalog) -> bool {
    let (Some(was), Some(now)) = (from.tables.get(table), to.tables.get(table)) else {
        return false;
    };
    let (Some(a), Some(b)) = (
        was.indexes.iter().find(|i| i.name == name),
        now.indexes.iter().find(|i| i.name == name),
    ) else {
        return false;
    };
    a != b
        && clauses::index_columns(&a.definition)
            .iter()
            .all(|c| was.column(c).is_some() && now.column(c).is_some())
}

/// Indexes of `table` that only change their name (old, new): renamed in
/// place (`RENAME INDEX`) instead of dropped and made again. Each dropped
/// index pairs with the first created one of the same definition.
pub(super) fn index_renames(table: &QName, from: &Catalog, to: &Catalog) -> Vec<(String, String)> {
    let (Some(was), Some(now)) = (from.tables.get(table), to.tables.get(table)) else {
        return Vec::new();
    };
    let unnamed = |i: &Index| {
        (
            i.unique,
            i.comment.clone(),
            i.definition.replacen(&ident(&i.name), "", 1),
        )
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for a in was
        .indexes
        .iter()
        .filter(|a| !now.indexes.iter().any(|b| b.name == a.name))
    {
        let pair = now.indexes.iter().find(|b| {
            !was.indexes.iter().any(|a| a.name == b.name)
                && !out.iter().any(|(_, new)| *new == b.name)
                && unnamed(a) == unnamed(b)
        });
        if let Some(b) = pair {
            out.push((a.name.clone(), b.name.clone()));
        }
    }
    out
}

/// The check MariaDB keeps on column `column` of `table` that stays as it
/// is (`to` has it too): a `MODIFY` of the column must repeat it.
pub(super) fn kept_column_check(
    table: &QName,
    column: &str,
    from: &Catalog,
    to: &Catalog,
) -> Option<String> {
    let was = from.tables.get(table)?;
    let now = to.tables.get(table)?;
    let check = was
        .checks
        .iter()
        .find(|c| c.column.as_deref() == Some(column))?;
    now.checks
        .iter()
        .any(|c| c.name == check.name && c.definition == check.definition)
        .then(|| check.definition.clone())
}

/// Columns whose type changes while a foreign key joins them (neither
/// server changes such a column's type under a foreign key, not even with
/// `FOREIGN_KEY_CHECKS` off): the keys are dropped, the columns modified,
/// the keys added again, all by the first of them in the plan's order (the
/// leader); the others do nothing more but a move.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FkGroup {
    /// (table, column) whose type changes, in the plan's order (tables by
    /// name, columns in the table's order).
    pub members: Vec<(QName, String)>,
    /// The foreign keys that stay but must be dropped meanwhile, with their tables.
    pub fks: Vec<(QName, ForeignKey)>,
}

impl FkGroup {
    pub(crate) fn leader(&self) -> Option<&(QName, String)> {
        self.members.first()
    }
}

/// The group column `column` of `table` belongs to, if its type changes and
/// a foreign key that stays joins it: every column such keys reach, from
/// any of them, so that each member finds the same group.
pub(super) fn fk_group(
    table: &QName,
    column: &str,
    from: &Catalog,
    to: &Catalog,
) -> Option<FkGroup> {
    let retyped = |t: &QName, c: &str| -> bool {
        let a = from.tables.get(t).and_then(|x| x.column(c));
        let b = to.tables.get(t).and_then(|x| x.column(c));
        matches!((a, b), (Some(a), Some(b)) if a.data_type != b.data_type || a.collation != b.collation)
    };
    if !retyped(table, column) {
        return None;
    }
    let kept: Vec<(&QName, &ForeignKey)> = from
        .tables
        .values()
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .filter(|fk| {
                    to.tables
                        .get(&t.name)
                        .is_some_and(|u| u.foreign_keys.contains(fk))
                })
                .map(move |fk| (&t.name, fk))
        })
        .collect();
    let mut reached: BTreeSet<(QName, String)> = BTreeSet::new();
    reached.insert((table.clone(), column.to_string()));
    let mut grew = true;
    while grew {
        grew = false;
        for (t, fk) in &kept {
            for (c, r) in fk.columns.iter().zip(&fk.ref_columns) {
                let child = ((*t).clone(), c.clone());
                let parent = (fk.ref_table.clone(), r.clone());
                if reached.contains(&child) || reached.contains(&parent) {
                    grew |= reached.insert(child);
                    grew |= reached.insert(parent);
                }
            }
        }
    }
    let fks: Vec<(QName, ForeignKey)> = kept
        .iter()
        .filter(|(t, fk)| {
            fk.columns.iter().zip(&fk.ref_columns).any(|(c, r)| {
                reached.contains(&((*t).clone(), c.clone()))
                    && (retyped(t, c) || retyped(&fk.ref_table, r))
            })
        })
        .map(|(t, fk)| ((*t).clone(), (*fk).clone()))
        .collect();
    if fks.is_empty() {
        return None;
    }
    let mut members: Vec<(QName, String)> =
        reached.into_iter().filter(|(t, c)| retyped(t, c)).collect();
    let position = |t: &QName, c: &str| {
        to.tables
            .get(t)
            .and_then(|x| x.columns.iter().position(|y| y.name == c))
            .unwrap_or(usize::MAX)
    };
    members.sort_by(|a, b| (&a.0, position(&a.0, &a.1)).cmp(&(&b.0, position(&b.0, &b.1))));
    Some(FkGroup { members, fks })
}

/// The index that serves foreign key `fk` of `table` when it is added, if
/// it must be made again in the same statement: MariaDB replaces an index
/// it made itself for an earlier foreign key by one named after the new
/// key, and the catalog does not tell such an index from one a user made.
/// Made again together with the key, it stays the user's, with its name.
pub(super) fn fk_index_to_keep<'c>(
    table: &QName,
    fk: &ForeignKey,
    from: &Catalog,
    to: &'c Catalog,
) -> Option<&'c Index> {
    let now = to.tables.get(table)?;
    let serves = |columns: &[String]| columns.starts_with(&fk.columns);
    if now
        .primary_key
        .as_ref()
        .is_some_and(|pk| serves(&pk.columns))
    {
        return None;
    }
    let index = now.indexes.iter().find(|i| {
        !i.definition.starts_with("FULLTEXT")
            && !i.definition.starts_with("SPATIAL")
            && serves(&clauses::index_columns(&i.definition))
    })?;
    if fk.name.as_deref() == Some(index.name.as_str()) {
        return None;
    }
    // Made by this migration (an index the user asked for): nothing to fear.
    if from
        .tables
        .get(table)
        .is_some_and(|was| !was.indexes.contains(index))
    {
        return None;
    }
    Some(index)
}
