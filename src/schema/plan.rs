//! The order in which changes run, and what in them can lose data or fail on
//! existing rows. Pure: changes in, ordered changes and warnings out.
//!
//! The order, written once for every database:
//! 1. what depends on what changes goes first: triggers and views that are
//!    dropped or changed, views that read a table whose columns change (they
//!    are created again at the end), the triggers of a table rebuilt or of a
//!    view made again, foreign keys that are dropped or changed;
//! 2. what tables need: schemas, extensions, enum types (new labels too),
//!    sequences, routines;
//! 3. the tables: renamed, created, altered (per table: indexes and
//!    constraints dropped, columns renamed, dropped, added and altered,
//!    constraints and indexes added), rebuilt;
//! 4. what is gone: tables, sequences, types, routines, extensions, schemas;
//! 5. what depends on the tables: views (each after the views it reads),
//!    triggers, foreign keys, events, sequence ownership.

use super::diff::{same_column, Change, Position};
use super::model::{Catalog, QName, Table, Trigger, View};
use std::collections::{BTreeMap, BTreeSet};

/// A change that can lose data or fail on existing rows, in words.
pub fn hazard(change: &Change) -> Option<String> {
    Some(match change {
        Change::DropTable(t) => format!("drops table {} and all its rows", t.name),
        Change::DropColumn { table, column } => {
            format!("drops column {}.{} and its data", table, column.name)
        }
        Change::AlterColumn {
            table, from, to, ..
        } => {
            if from.data_type != to.data_type && from.generated == to.generated {
                format!(
                    "changes the type of {}.{} from {} to {}: rows whose value does not fit fail or lose data",
                    table, to.name, from.data_type, to.data_type
                )
            } else if from.nullable && !to.nullable && to.default.is_none() {
                format!(
                    "makes {}.{} NOT NULL without a default: fails if a row holds NULL there",
                    table, to.name
                )
            } else {
                return None;
            }
        }
        Change::AddColumn { table, column, .. }
            if !column.nullable
                && column.default.is_none()
                && column.generated.is_none()
                && column.identity.is_none()
                && !column.auto_increment =>
        {
            format!(
                "adds NOT NULL column {}.{} without a default: fails if the table has rows",
                table, column.name
            )
        }
        Change::AddUnique { table, key } => format!(
            "adds a unique constraint on {} ({}): fails if rows repeat a value",
            table,
            key.columns.join(", ")
        ),
        Change::AddPrimaryKey { table, key } => format!(
            "adds a primary key on {} ({}): fails if rows repeat a value or hold NULL",
            table,
            key.columns.join(", ")
        ),
        Change::CreateIndex { table, index } if index.unique => format!(
            "adds the unique index {} on {}: fails if rows repeat a value",
            index.name, table
        ),
        Change::AddCheck { table, check } => format!(
            "adds the check {} on {}: fails if a row does not pass it",
            check.definition, table
        ),
        Change::RebuildTable { from, to } => {
            let mut what = format!(
                "rebuilds table {} (new table, rows copied, old one dropped): fails if a row does not fit the new definition",
                from.name
            );
            for h in rebuild_hazards(from, to) {
                what.push_str("; ");
                what.push_str(&h);
            }
            what
        }
        Change::RecreateEnum { from, to } => {
            let gone: Vec<&str> = from
                .labels
                .iter()
                .filter(|l| !to.labels.contains(l))
                .map(String::as_str)
                .collect();
            if gone.is_empty() {
                return None;
            }
            format!(
                "removes the label(s) {} of type {}: fails if a row holds one",
                gone.join(", "),
                from.name
            )
        }
        Change::DropSequence(s) => format!("drops sequence {} and where it stood", s.name),
        _ => return None,
    })
}

/// What a rebuild does that can lose data or fail, change by change, as the
/// same changes made in place would say it (`from` has the rebuilt table's
/// names, its renamed columns too).
fn rebuild_hazards(from: &Table, to: &Table) -> Vec<String> {
    let table = &from.name;
    let mut changes = Vec::new();
    for c in &from.columns {
        match to.column(&c.name) {
            None => changes.push(Change::DropColumn {
                table: table.clone(),
                column: c.clone(),
            }),
            Some(t) if !same_column(c, t) => changes.push(Change::AlterColumn {
                table: table.clone(),
                from: c.clone(),
                to: t.clone(),
                position: None,
            }),
            Some(_) => {}
        }
    }
    for c in &to.columns {
        if from.column(&c.name).is_none() {
            changes.push(Change::AddColumn {
                table: table.clone(),
                column: c.clone(),
                position: Position::Last,
            });
        }
    }
    if to.primary_key.as_ref().map(|k| &k.columns) != from.primary_key.as_ref().map(|k| &k.columns)
    {
        if let Some(key) = &to.primary_key {
            changes.push(Change::AddPrimaryKey {
                table: table.clone(),
                key: key.clone(),
            });
        }
    }
    for key in &to.uniques {
        if !from.uniques.iter().any(|k| k.columns == key.columns) {
            changes.push(Change::AddUnique {
                table: table.clone(),
                key: key.clone(),
            });
        }
    }
    for check in &to.checks {
        if !from.checks.iter().any(|c| c.definition == check.definition) {
            changes.push(Change::AddCheck {
                table: table.clone(),
                check: check.clone(),
            });
        }
    }
    changes.iter().filter_map(hazard).collect()
}

/// The phase a change runs in (see the module's documentation).
fn phase(change: &Change) -> (u8, u8) {
    use Change::*;
    match change {
        DropTrigger(_) => (1, 0),
        DropView(_) => (1, 1),
        DropForeignKey { .. } => (1, 2),
        CreateSchema(_) => (2, 0),
        CreateExtension(_) => (2, 1),
        CreateEnum(_) | AddEnumLabel { .. } | RecreateEnum { .. } => (2, 2),
        CreateSequence(_) | AlterSequence { .. } => (2, 3),
        CreateRoutine(_) | ReplaceRoutine { .. } => (2, 4),
        RenameTable { .. } => (3, 0),
        CreateTable(_) => (3, 1),
        DropIndex { .. } | DropUnique { .. } | DropCheck { .. } | DropPrimaryKey { .. } => (3, 2),
        RenameColumn { .. } => (3, 3),
        DropColumn { .. } => (3, 4),
        AddColumn { .. } | AlterColumn { .. } => (3, 5),
        AddPrimaryKey { .. } | AddUnique { .. } | AddCheck { .. } => (3, 6),
        CreateIndex { .. } => (3, 7),
        AlterTableOptions { .. } | SetTableComment { .. } => (3, 8),
        RebuildTable { .. } => (3, 9),
        DropTable(_) => (4, 0),
        DropSequence(_) => (4, 1),
        DropEnum(_) => (4, 2),
        DropRoutine(_) => (4, 3),
        DropEvent(_) => (4, 4),
        DropExtension(_) => (4, 5),
        DropSchema(_) => (4, 6),
        CreateView(_) => (5, 0),
        CreateTrigger(_) => (5, 1),
        AddForeignKey { .. } => (5, 2),
        CreateEvent(_) => (5, 3),
    }
}

/// The table whose columns a change alters (so the views reading it must be
/// dropped before and created after).
fn reshaped_table(change: &Change) -> Option<&QName> {
    match change {
        Change::AlterColumn { table, .. }
        | Change::DropColumn { table, .. }
        | Change::RenameColumn { table, .. } => Some(table),
        Change::RebuildTable { from, .. } => Some(&from.name),
        Change::RenameTable { from, .. } => Some(from),
        Change::DropTable(t) => Some(&t.name),
        _ => None,
    }
}

/// The changes in the order they run: phases, and within a phase the order
/// the diff gave (per table, the order of its columns). Views that read a
/// table whose columns change are dropped first and created again after,
/// and created views come after the views they read.
pub fn order(mut changes: Vec<Change>, from: &Catalog, to: &Catalog) -> Vec<Change> {
    // Views to take down and put up again around a table's change, or
    // around a view they read that is made again.
    let mut reshaped: BTreeSet<QName> =
        changes.iter().filter_map(reshaped_table).cloned().collect();
    for c in &changes {
        match c {
            Change::DropView(v) => {
                reshaped.insert(v.name.clone());
            }
            // Its columns change type.
            Change::RecreateEnum { from: e, .. } => {
                let name = e.name.to_string();
                let array = format!("{name}[]");
                for t in from.tables.values() {
                    if t.columns
                        .iter()
                        .any(|c| c.data_type == name || c.data_type == array)
                    {
                        reshaped.insert(t.name.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let mut affected: BTreeSet<QName> = BTreeSet::new();
    let mut grew = true;
    while grew {
        grew = false;
        for v in from.views.values() {
            if affected.contains(&v.name) {
                continue;
            }
            if v.depends_on
                .iter()
                .any(|d| reshaped.contains(d) || affected.contains(d))
            {
                affected.insert(v.name.clone());
                grew = true;
            }
        }
    }
    let already_dropped: BTreeSet<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropView(v) => Some(v.name.clone()),
            _ => None,
        })
        .collect();
    for name in &affected {
        if already_dropped.contains(name) {
            continue;
        }
        if let Some(v) = from.views.get(name) {
            changes.push(Change::DropView(v.clone()));
        }
        if let Some(v) = to.views.get(name) {
            changes.push(Change::CreateView(v.clone()));
        }
    }
    // A table rebuilt, or a view dropped and created again, loses its
    // triggers with it: they are dropped first, as they are, and created
    // after, as they must be, where no change of their own does it.
    let renamed: BTreeMap<&QName, &QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { from, to } => Some((to, from)),
            _ => None,
        })
        .collect();
    let dropped_views: BTreeSet<&QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropView(v) => Some(&v.name),
            _ => None,
        })
        .collect();
    let remade: BTreeSet<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RebuildTable { to, .. } => Some(&to.name),
            Change::CreateView(v) if dropped_views.contains(&v.name) => Some(&v.name),
            _ => None,
        })
        .cloned()
        .collect();
    let trigger_key = |t: &Trigger| (t.table.clone(), t.name.clone());
    let dropping: BTreeSet<(QName, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTrigger(t) => Some(trigger_key(t)),
            _ => None,
        })
        .collect();
    let creating: BTreeSet<(QName, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTrigger(t) => Some(trigger_key(t)),
            _ => None,
        })
        .collect();
    let mut extra = Vec::new();
    for name in &remade {
        let then = renamed.get(name).copied().unwrap_or(name);
        for t in from.triggers.values() {
            if &t.table == then && !dropping.contains(&trigger_key(t)) {
                extra.push(Change::DropTrigger(t.clone()));
            }
        }
        for t in to.triggers.values() {
            if &t.table == name && !creating.contains(&trigger_key(t)) {
                extra.push(Change::CreateTrigger(t.clone()));
            }
        }
    }
    changes.extend(extra);
    // A sequence owned by a dropped table goes with it.
    let dropped_tables: BTreeSet<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t.name.clone()),
            _ => None,
        })
        .collect();
    // And one owned by a dropped column.
    let dropped_columns: BTreeSet<(QName, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropColumn { table, column } => Some((table.clone(), column.name.clone())),
            _ => None,
        })
        .collect();
    changes.retain(|c| match c {
        Change::DropSequence(s) => !s.owned_by.as_ref().is_some_and(|(t, col)| {
            dropped_tables.contains(t) || dropped_columns.contains(&(t.clone(), col.clone()))
        }),
        _ => true,
    });
    changes.sort_by_key(phase);
    // Partitions (PostgreSQL) created after their table and dropped before
    // it (dropping it drops them); other tables keep the diff's order.
    let parent = |t: &Table| -> Vec<QName> {
        t.options
            .partition_of
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    };
    let created: Vec<Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let dropped: Vec<Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let mut partitions: BTreeMap<QName, Vec<QName>> = BTreeMap::new();
    for t in &dropped {
        for p in parent(t) {
            partitions.entry(p).or_default().push(t.name.clone());
        }
    }
    let mut created = in_dependency_order(created, |t| &t.name, parent).into_iter();
    let mut dropped = in_dependency_order(
        dropped,
        |t| &t.name,
        |t| partitions.get(&t.name).cloned().unwrap_or_default(),
    )
    .into_iter();
    for c in &mut changes {
        match c {
            Change::CreateTable(t) => {
                if let Some(next) = created.next() {
                    *t = next;
                }
            }
            Change::DropTable(t) => {
                if let Some(next) = dropped.next() {
                    *t = next;
                }
            }
            _ => {}
        }
    }
    // Tables rebuilt: each after the tables its foreign keys reference, so
    // that a rebuild's foreign key check sees them as they will be.
    let slots: Vec<usize> = (0..changes.len())
        .filter(|&i| matches!(changes[i], Change::RebuildTable { .. }))
        .collect();
    let rebuilds: Vec<(QName, Vec<QName>, Change)> = slots
        .iter()
        .filter_map(|&i| match &changes[i] {
            Change::RebuildTable { to, .. } => Some((
                to.name.clone(),
                to.foreign_keys
                    .iter()
                    .map(|f| f.ref_table.clone())
                    .collect(),
                changes[i].clone(),
            )),
            _ => None,
        })
        .collect();
    let rebuilds = in_dependency_order(rebuilds, |r| &r.0, |r| r.1.clone());
    for (slot, (_, _, change)) in slots.into_iter().zip(rebuilds) {
        changes[slot] = change;
    }
    // Views: dropped readers first, created after what they read.
    let views_created: Vec<View> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateView(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    let views_dropped: Vec<View> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropView(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    let reads = |v: &View| v.depends_on.clone();
    let created = in_dependency_order(views_created, |v| &v.name, reads);
    let mut dropped = in_dependency_order(views_dropped, |v| &v.name, reads);
    dropped.reverse();
    let mut created = created.into_iter();
    let mut dropped = dropped.into_iter();
    for c in &mut changes {
        match c {
            Change::CreateView(v) => {
                if let Some(next) = created.next() {
                    *v = next;
                }
            }
            Change::DropView(v) => {
                if let Some(next) = dropped.next() {
                    *v = next;
                }
            }
            _ => {}
        }
    }
    changes
}

/// Objects in an order where each comes after the ones it needs (views
/// after the views they read, tables after the tables they reference); a
/// cycle keeps the given order.
fn in_dependency_order<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &QName,
    needs: impl Fn(&T) -> Vec<QName>,
) -> Vec<T> {
    let names: BTreeSet<QName> = items.iter().map(|v| name(v).clone()).collect();
    let mut done: BTreeSet<QName> = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    let mut left = items;
    while !left.is_empty() {
        let before = left.len();
        let (ready, rest): (Vec<T>, Vec<T>) = left.into_iter().partition(|v| {
            needs(v)
                .iter()
                .all(|d| !names.contains(d) || done.contains(d) || d == name(v))
        });
        for v in &ready {
            done.insert(name(v).clone());
        }
        out.extend(ready);
        left = rest;
        if left.len() == before {
            out.append(&mut left);
        }
    }
    out
}
