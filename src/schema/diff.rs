//! The difference between two schemas, as a list of changes that turn the
//! first into the second. Pure: two catalogs (and the renames the desired
//! schema asks for) in, changes out; `plan` orders them and marks hazards,
//! and each backend writes them as its SQL.
//!
//! Objects are matched by name; constraints and indexes by name, or by
//! definition where a database gives none. Column order counts only where
//! a database can place a column (MySQL's `AFTER`); elsewhere a new column
//! goes at the end, as there. An object whose definition
//! changed and that has no `ALTER` for it (a view, a routine, a trigger, an
//! index, a constraint) is dropped and created again.

use super::model::*;
use super::Ddl;
use std::collections::{BTreeMap, BTreeSet};

/// The renames a desired schema asks for (`-- migrate:renamed-from OLD`):
/// new name → old name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    pub tables: BTreeMap<QName, QName>,
    /// (table, new column) → old column; the table by its new name.
    pub columns: BTreeMap<(QName, String), String>,
}

impl Renames {
    /// The same renames the other way, for the reverse diff (the downgrade).
    #[must_use]
    pub fn reversed(&self) -> Renames {
        Renames {
            tables: self
                .tables
                .iter()
                .map(|(new, old)| (old.clone(), new.clone()))
                .collect(),
            columns: self
                .columns
                .iter()
                .map(|((table, new), old)| {
                    let table_then = self.tables.get(table).cloned().unwrap_or(table.clone());
                    ((table_then, old.clone()), new.clone())
                })
                .collect(),
        }
    }
}

/// What a database's `ALTER TABLE` can do in place; the rest is done by
/// rebuilding the table (SQLite).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlterSupport {
    /// Change a column's type, nullability, default.
    pub alter_column: bool,
    pub drop_column: bool,
    pub rename_column: bool,
    /// Add or drop a primary key, unique, check or foreign key constraint.
    pub constraints: bool,
    /// Place a new column after another (MySQL `AFTER`).
    pub column_position: bool,
}

impl AlterSupport {
    /// PostgreSQL: everything in place.
    pub const FULL: AlterSupport = AlterSupport {
        alter_column: true,
        drop_column: true,
        rename_column: true,
        constraints: true,
        column_position: false,
    };

    /// True when `ALTER TABLE` makes `change` in place (else the table is rebuilt).
    pub fn in_place(&self, change: &Change) -> bool {
        match change {
            Change::AlterColumn { .. } => self.alter_column,
            Change::DropColumn { .. } => self.drop_column,
            Change::RenameColumn { .. } => self.rename_column,
            Change::AddPrimaryKey { .. }
            | Change::DropPrimaryKey { .. }
            | Change::AddUnique { .. }
            | Change::DropUnique { .. }
            | Change::AddCheck { .. }
            | Change::DropCheck { .. }
            | Change::AddForeignKey { .. }
            | Change::DropForeignKey { .. } => self.constraints,
            _ => true,
        }
    }
}

/// Where a new column goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// At the end (or where the database puts it).
    Last,
    First,
    After(String),
}

/// One change from one schema to the other. (A few hundred per diff at
/// most: their size does not matter, boxing them would only add noise.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Change {
    CreateSchema(Namespace),
    DropSchema(Namespace),
    CreateExtension(Extension),
    DropExtension(Extension),
    CreateEnum(EnumType),
    DropEnum(EnumType),
    /// New labels only, the old ones kept in order: each added before the
    /// label that follows it (or at the end).
    AddEnumLabel {
        name: QName,
        label: String,
        before: Option<String>,
    },
    /// Labels removed or reordered: the type is made again.
    RecreateEnum {
        from: EnumType,
        to: EnumType,
    },
    CreateSequence(Sequence),
    DropSequence(Sequence),
    AlterSequence {
        from: Sequence,
        to: Sequence,
    },
    CreateTable(Table),
    DropTable(Table),
    RenameTable {
        from: QName,
        to: QName,
    },
    /// A table whose changes `ALTER TABLE` cannot make: made again, its rows copied.
    RebuildTable {
        from: Table,
        to: Table,
    },
    AddColumn {
        table: QName,
        column: Column,
        position: Position,
    },
    DropColumn {
        table: QName,
        column: Column,
    },
    RenameColumn {
        table: QName,
        from: String,
        to: String,
    },
    /// A column's type, nullability, default, … changed, or (`position`) it moves.
    AlterColumn {
        table: QName,
        from: Column,
        to: Column,
        position: Option<Position>,
    },
    AddPrimaryKey {
        table: QName,
        key: Key,
    },
    DropPrimaryKey {
        table: QName,
        key: Key,
    },
    AddUnique {
        table: QName,
        key: Key,
    },
    DropUnique {
        table: QName,
        key: Key,
    },
    AddCheck {
        table: QName,
        check: Check,
    },
    DropCheck {
        table: QName,
        check: Check,
    },
    AddForeignKey {
        table: QName,
        fk: ForeignKey,
    },
    DropForeignKey {
        table: QName,
        fk: ForeignKey,
    },
    CreateIndex {
        table: QName,
        index: Index,
    },
    DropIndex {
        table: QName,
        index: Index,
    },
    AlterTableOptions {
        table: QName,
        from: TableOptions,
        to: TableOptions,
    },
    SetTableComment {
        table: QName,
        comment: Option<String>,
    },
    CreateView(View),
    DropView(View),
    CreateRoutine(Routine),
    DropRoutine(Routine),
    /// A routine whose definition changed (`CREATE OR REPLACE` where it can).
    ReplaceRoutine {
        from: Routine,
        to: Routine,
    },
    CreateTrigger(Trigger),
    DropTrigger(Trigger),
    CreateEvent(Event),
    DropEvent(Event),
}

/// The changes that turn `from` into `to`.
pub fn diff(from: &Catalog, to: &Catalog, renames: &Renames, ddl: &dyn Ddl) -> Vec<Change> {
    let mut out = Vec::new();
    keyed(
        &from.schemas,
        &to.schemas,
        &mut out,
        |a, b, out| {
            if a != b {
                out.push(Change::DropSchema(a.clone()));
                out.push(Change::CreateSchema(b.clone()));
            }
        },
        Change::CreateSchema,
        Change::DropSchema,
    );
    keyed(
        &from.extensions,
        &to.extensions,
        &mut out,
        |a, b, out| {
            if a != b {
                out.push(Change::DropExtension(a.clone()));
                out.push(Change::CreateExtension(b.clone()));
            }
        },
        Change::CreateExtension,
        Change::DropExtension,
    );
    keyed(
        &from.enums,
        &to.enums,
        &mut out,
        enum_changes,
        Change::CreateEnum,
        Change::DropEnum,
    );
    keyed(
        &from.sequences,
        &to.sequences,
        &mut out,
        |a, b, out| {
            if a != b {
                out.push(Change::AlterSequence {
                    from: a.clone(),
                    to: b.clone(),
                });
            }
        },
        Change::CreateSequence,
        Change::DropSequence,
    );
    let applied = Applied::new(from, to, renames);
    tables(from, to, &applied, ddl, &mut out);
    renamed_sequences(&mut out);
    keyed(
        &from.views,
        &to.views,
        &mut out,
        |a, b, out| {
            if a.definition != b.definition
                || a.materialized != b.materialized
                || a.indexes != b.indexes
                || a.comment != b.comment
                || a.options != b.options
            {
                out.push(Change::DropView(a.clone()));
                out.push(Change::CreateView(b.clone()));
            }
        },
        Change::CreateView,
        Change::DropView,
    );
    keyed(
        &from.routines,
        &to.routines,
        &mut out,
        |a, b, out| {
            if a != b {
                out.push(Change::ReplaceRoutine {
                    from: a.clone(),
                    to: b.clone(),
                });
            }
        },
        Change::CreateRoutine,
        Change::DropRoutine,
    );
    triggers(from, to, &applied, ddl, &mut out);
    keyed(
        &from.events,
        &to.events,
        &mut out,
        |a, b, out| {
            if a != b {
                out.push(Change::DropEvent(a.clone()));
                out.push(Change::CreateEvent(b.clone()));
            }
        },
        Change::CreateEvent,
        Change::DropEvent,
    );
    out
}

/// Triggers matched by table and name, a renamed table's by its new name
/// and their text as the renames rewrite it; a trigger that changes is
/// dropped as it is and created as it must be.
fn triggers(from: &Catalog, to: &Catalog, applied: &Applied, ddl: &dyn Ddl, out: &mut Vec<Change>) {
    let mut matched: BTreeSet<(QName, String)> = BTreeSet::new();
    for (key, a) in &from.triggers {
        let table = applied.table(&key.0).clone();
        let definition = if applied.is_empty() {
            a.definition.clone()
        } else {
            ddl.rename_in(&a.definition, &applied.pairs(&[&table]))
        };
        let now = (table, key.1.clone());
        match to.triggers.get(&now) {
            Some(b) => {
                if definition != b.definition {
                    out.push(Change::DropTrigger(a.clone()));
                    out.push(Change::CreateTrigger(b.clone()));
                }
                matched.insert(now);
            }
            None => out.push(Change::DropTrigger(a.clone())),
        }
    }
    for (key, b) in &to.triggers {
        if !matched.contains(key) {
            out.push(Change::CreateTrigger(b.clone()));
        }
    }
}

/// A sequence owned by a column, and one owned by the same column after
/// the column or its table is renamed (a serial column's sequence is named
/// after them), are the same sequence under another name: renamed
/// (`AlterSequence` between two names), keeping the value it stood at,
/// rather than dropped and made again.
fn renamed_sequences(out: &mut Vec<Change>) {
    let mut tables: BTreeMap<QName, QName> = BTreeMap::new();
    let mut columns: BTreeMap<(QName, String), String> = BTreeMap::new();
    for c in out.iter() {
        match c {
            Change::RenameTable { from, to } => {
                tables.insert(from.clone(), to.clone());
            }
            Change::RenameColumn { table, from, to } => {
                columns.insert((table.clone(), from.clone()), to.clone());
            }
            _ => {}
        }
    }
    let mut taken = vec![false; out.len()];
    for i in 0..out.len() {
        let a = match &out[i] {
            Change::DropSequence(a) => a.clone(),
            _ => continue,
        };
        let Some((t, c)) = &a.owned_by else { continue };
        let t = tables.get(t).unwrap_or(t).clone();
        let c = columns.get(&(t.clone(), c.clone())).unwrap_or(c).clone();
        let owner = Some((t, c));
        let found = out.iter().enumerate().position(|(j, x)| {
            !taken[j] && matches!(x, Change::CreateSequence(b) if b.owned_by == owner)
        });
        if let Some(j) = found {
            if let Change::CreateSequence(b) = &out[j] {
                let b = b.clone();
                taken[j] = true;
                out[i] = Change::AlterSequence { from: a, to: b };
            }
        }
    }
    let mut j = 0;
    out.retain(|_| {
        j += 1;
        !taken[j - 1]
    });
}

/// Objects matched by key: created, dropped, or compared by `both`.
fn keyed<K: Ord, V: Clone>(
    from: &BTreeMap<K, V>,
    to: &BTreeMap<K, V>,
    out: &mut Vec<Change>,
    both: impl Fn(&V, &V, &mut Vec<Change>),
    create: impl Fn(V) -> Change,
    drop: impl Fn(V) -> Change,
) {
    for (k, a) in from {
        match to.get(k) {
            Some(b) => both(a, b, out),
            None => out.push(drop(a.clone())),
        }
    }
    for (k, b) in to {
        if !from.contains_key(k) {
            out.push(create(b.clone()));
        }
    }
}

fn enum_changes(a: &EnumType, b: &EnumType, out: &mut Vec<Change>) {
    if a.labels == b.labels {
        if a.comment != b.comment {
            out.push(Change::RecreateEnum {
                from: a.clone(),
                to: b.clone(),
            });
        }
        return;
    }
    // Only additions, the old labels in the same order: ADD VALUE each.
    let kept: Vec<&String> = b.labels.iter().filter(|l| a.labels.contains(l)).collect();
    let only_added =
        kept.len() == a.labels.len() && kept.iter().zip(&a.labels).all(|(x, y)| *x == y);
    if only_added && a.comment == b.comment {
        for (i, label) in b.labels.iter().enumerate() {
            if a.labels.contains(label) {
                continue;
            }
            let before = b.labels[i + 1..]
                .iter()
                .find(|l| a.labels.contains(l))
                .cloned();
            out.push(Change::AddEnumLabel {
                name: b.name.clone(),
                label: label.clone(),
                before,
            });
        }
    } else {
        out.push(Change::RecreateEnum {
            from: a.clone(),
            to: b.clone(),
        });
    }
}

/// The renames that apply (a hint whose old name no longer exists, or whose
/// new name already did, is ignored): tables old → new, and per table (by
/// its new name) columns new → old.
#[derive(Default)]
struct Applied {
    tables: BTreeMap<QName, QName>,
    columns: BTreeMap<QName, BTreeMap<String, String>>,
}

impl Applied {
    fn new(from: &Catalog, to: &Catalog, renames: &Renames) -> Applied {
        let mut out = Applied::default();
        for (new, old) in &renames.tables {
            if to.tables.contains_key(new)
                && !from.tables.contains_key(new)
                && from.tables.contains_key(old)
                && !to.tables.contains_key(old)
            {
                out.tables.insert(old.clone(), new.clone());
            }
        }
        for ((table, new), old) in &renames.columns {
            let old_table = out
                .tables
                .iter()
                .find(|(_, n)| *n == table)
                .map_or(table, |(o, _)| o);
            let (Some(a), Some(b)) = (from.tables.get(old_table), to.tables.get(table)) else {
                continue;
            };
            if b.column(new).is_some()
                && a.column(new).is_none()
                && a.column(old).is_some()
                && b.column(old).is_none()
            {
                out.columns
                    .entry(table.clone())
                    .or_default()
                    .insert(new.clone(), old.clone());
            }
        }
        out
    }

    fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    fn table<'a>(&'a self, name: &'a QName) -> &'a QName {
        self.tables.get(name).unwrap_or(name)
    }

    /// Column `column` of table `table` (by its new name), as it is named now.
    fn column(&self, table: &QName, column: &str) -> String {
        self.columns
            .get(table)
            .and_then(|m| m.iter().find(|(_, old)| *old == column))
            .map_or_else(|| column.to_string(), |(new, _)| new.clone())
    }

    /// Old and new names, for `Ddl::rename_in`: every table's, and the
    /// columns of `tables`.
    fn pairs(&self, tables: &[&QName]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .tables
            .iter()
            .map(|(o, n)| (o.name.clone(), n.name.clone()))
            .collect();
        for t in tables {
            if let Some(m) = self.columns.get(*t) {
                out.extend(m.iter().map(|(new, old)| (old.clone(), new.clone())));
            }
        }
        out
    }
}

/// `a` as it reads once the renames are made in place: its name, its
/// columns, its keys, the tables and columns its foreign keys reference,
/// and its definitions as the server rewrites them (`Ddl::rename_in`). So
/// only what the renames do not make counts as a change.
fn as_renamed(a: &Table, applied: &Applied, ddl: &dyn Ddl) -> Table {
    let mut t = a.clone();
    if applied.is_empty() {
        return t;
    }
    t.name = applied.table(&a.name).clone();
    let name = t.name.clone();
    let pairs = applied.pairs(&[&name]);
    let text = |s: &str| ddl.rename_in(s, &pairs);
    let col = |c: &str| applied.column(&name, c);
    for c in &mut t.columns {
        c.name = col(&c.name);
        if let Some(g) = &mut c.generated {
            g.expression = text(&g.expression);
        }
    }
    // Named after the table, where the backend renames them with it.
    let renamed = |n: &str| ddl.renamed_with_table(n, &a.name.name, &name.name);
    for k in t.primary_key.iter_mut().chain(t.uniques.iter_mut()) {
        k.columns = k.columns.iter().map(|c| col(c)).collect();
        k.definition = text(&k.definition);
        if let Some(n) = k.name.as_deref().and_then(renamed) {
            k.name = Some(n);
        }
    }
    for c in &mut t.checks {
        c.definition = text(&c.definition);
        if let Some(n) = c.name.as_deref().and_then(renamed) {
            c.name = Some(n);
        }
    }
    for f in &mut t.foreign_keys {
        f.columns = f.columns.iter().map(|c| col(c)).collect();
        f.ref_table = applied.table(&f.ref_table).clone();
        f.ref_columns = f
            .ref_columns
            .iter()
            .map(|c| applied.column(&f.ref_table, c))
            .collect();
        f.definition = ddl.rename_in(&f.definition, &applied.pairs(&[&name, &f.ref_table]));
    }
    for i in &mut t.indexes {
        i.definition = text(&i.definition);
        if let Some(n) = renamed(&i.name) {
            let mut with_name = pairs.clone();
            with_name.push((i.name.clone(), n.clone()));
            i.definition = ddl.rename_in(&i.definition, &with_name);
            i.name = n;
        }
    }
    t
}

fn tables(from: &Catalog, to: &Catalog, applied: &Applied, ddl: &dyn Ddl, out: &mut Vec<Change>) {
    let renamed_from: BTreeMap<&QName, &QName> =
        applied.tables.iter().map(|(o, n)| (n, o)).collect();
    let apart = ddl.foreign_keys_after_tables();
    let dropped = |name: &QName| {
        from.tables.contains_key(name)
            && !to.tables.contains_key(name)
            && !applied.tables.contains_key(name)
    };
    for (name, a) in &from.tables {
        if dropped(name) {
            if apart {
                for fk in &a.foreign_keys {
                    if fk.ref_table != *name && dropped(&fk.ref_table) {
                        out.push(Change::DropForeignKey {
                            table: name.clone(),
                            fk: fk.clone(),
                        });
                    }
                }
            }
            out.push(Change::DropTable(a.clone()));
        }
    }
    let no_renames = BTreeMap::new();
    for (name, b) in &to.tables {
        let old_name = renamed_from.get(name).copied();
        match old_name.or(from.tables.contains_key(name).then_some(name)) {
            None if apart => {
                let mut t = b.clone();
                let fks = std::mem::take(&mut t.foreign_keys);
                out.push(Change::CreateTable(t));
                for fk in fks {
                    out.push(Change::AddForeignKey {
                        table: name.clone(),
                        fk,
                    });
                }
            }
            None => out.push(Change::CreateTable(b.clone())),
            Some(old) => {
                let a = &from.tables[old];
                if old != name {
                    out.push(Change::RenameTable {
                        from: old.clone(),
                        to: name.clone(),
                    });
                }
                let old_of = applied.columns.get(name).unwrap_or(&no_renames);
                table_changes(&as_renamed(a, applied, ddl), b, old, old_of, ddl, out);
            }
        }
    }
}

/// The changes to one table that exists on both sides, `a` as the renames
/// left it (`as_renamed`); `old_of` maps its renamed columns to their old names.
fn table_changes(
    a: &Table,
    b: &Table,
    old_name: &QName,
    old_of: &BTreeMap<String, String>,
    ddl: &dyn Ddl,
    out: &mut Vec<Change>,
) {
    let name = &b.name;
    let alter = ddl.alter_support();
    let mut changes = Vec::new();
    for c in &a.columns {
        if b.column(&c.name).is_none() {
            changes.push(Change::DropColumn {
                table: name.clone(),
                column: c.clone(),
            });
        }
    }
    // Where columns can be placed (MySQL), the kept ones move when their order
    // changed: each placed after the one before it in the new order, in that
    // order, which builds the new order one column at a time.
    let kept_then: Vec<&str> = a
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| b.column(n).is_some())
        .collect();
    let kept_now: Vec<&str> = b
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| a.column(n).is_some())
        .collect();
    let reordered = alter.column_position && kept_then != kept_now;
    for (i, c) in b.columns.iter().enumerate() {
        let position = if !alter.column_position {
            Position::Last
        } else if i == 0 {
            Position::First
        } else {
            Position::After(b.columns[i - 1].name.clone())
        };
        match a.column(&c.name) {
            None => {
                changes.push(Change::AddColumn {
                    table: name.clone(),
                    column: c.clone(),
                    position,
                });
            }
            Some(ac) => {
                if let Some(old) = old_of.get(&c.name) {
                    changes.push(Change::RenameColumn {
                        table: name.clone(),
                        from: old.clone(),
                        to: c.name.clone(),
                    });
                }
                if !same_column(ac, c) || reordered {
                    changes.push(Change::AlterColumn {
                        table: name.clone(),
                        from: ac.clone(),
                        to: c.clone(),
                        position: reordered.then_some(position),
                    });
                }
            }
        }
    }
    let keys = |k: &Option<Key>| k.clone();
    if keys(&a.primary_key) != keys(&b.primary_key) {
        if let Some(k) = &a.primary_key {
            changes.push(Change::DropPrimaryKey {
                table: name.clone(),
                key: k.clone(),
            });
        }
        if let Some(k) = &b.primary_key {
            changes.push(Change::AddPrimaryKey {
                table: name.clone(),
                key: k.clone(),
            });
        }
    }
    let (gone, new) = matched(
        &a.uniques,
        &b.uniques,
        |k| k.name.clone(),
        |k| k.definition.clone(),
    );
    for k in gone {
        changes.push(Change::DropUnique {
            table: name.clone(),
            key: k.clone(),
        });
    }
    for k in new {
        changes.push(Change::AddUnique {
            table: name.clone(),
            key: k.clone(),
        });
    }
    let (gone, new) = matched(
        &a.checks,
        &b.checks,
        |c| c.name.clone(),
        |c| c.definition.clone(),
    );
    for c in gone {
        changes.push(Change::DropCheck {
            table: name.clone(),
            check: c.clone(),
        });
    }
    for c in new {
        changes.push(Change::AddCheck {
            table: name.clone(),
            check: c.clone(),
        });
    }
    let (gone, new) = matched(&a.foreign_keys, &b.foreign_keys, |f| f.name.clone(), fk_key);
    for f in gone {
        // Foreign keys are dropped before tables are renamed (plan): by the old name.
        changes.push(Change::DropForeignKey {
            table: old_name.clone(),
            fk: f.clone(),
        });
    }
    for f in new {
        changes.push(Change::AddForeignKey {
            table: name.clone(),
            fk: f.clone(),
        });
    }
    let (gone, new) = matched(
        &a.indexes,
        &b.indexes,
        |i| Some(i.name.clone()),
        // Its comment too: no ALTER changes it everywhere.
        |i| format!("{}\n{:?}", i.definition, i.comment),
    );
    for i in gone {
        changes.push(Change::DropIndex {
            table: name.clone(),
            index: i.clone(),
        });
    }
    for i in new {
        changes.push(Change::CreateIndex {
            table: name.clone(),
            index: i.clone(),
        });
    }
    if !same_options(&a.options, &b.options) {
        changes.push(Change::AlterTableOptions {
            table: name.clone(),
            from: a.options.clone(),
            to: b.options.clone(),
        });
    }
    if a.comment != b.comment {
        changes.push(Change::SetTableComment {
            table: name.clone(),
            comment: b.comment.clone(),
        });
    }
    if changes.iter().any(|c| !ddl.in_place(c)) {
        // Columns are renamed in place first where the database can (SQLite):
        // the rebuild then copies each column to its own name, and the
        // server has already renamed it in what refers to it.
        let mut from = a.clone();
        for c in &changes {
            if let Change::RenameColumn {
                from: old, to: new, ..
            } = c
            {
                if ddl.in_place(c) {
                    out.push(c.clone());
                } else if let Some(col) = from.columns.iter_mut().find(|x| x.name == *new) {
                    col.name = old.clone();
                }
            }
        }
        out.push(Change::RebuildTable {
            from,
            to: b.clone(),
        });
    } else {
        out.extend(changes);
    }
}

/// Two columns the same in everything compared (not `definition`, which is
/// how the server writes it, nor the name).
pub fn same_column(a: &Column, b: &Column) -> bool {
    a.data_type == b.data_type
        && a.nullable == b.nullable
        && a.default == b.default
        && a.identity == b.identity
        && a.auto_increment == b.auto_increment
        && a.generated == b.generated
        && a.collation == b.collation
        && a.comment == b.comment
        && a.on_update == b.on_update
        && a.invisible == b.invisible
}

/// Table options compared (not `create_sql`).
fn same_options(a: &TableOptions, b: &TableOptions) -> bool {
    a.engine == b.engine
        && a.charset == b.charset
        && a.collation == b.collation
        && a.strict == b.strict
        && a.without_rowid == b.without_rowid
        && a.using == b.using
        && a.partition_by == b.partition_by
        && a.partition_of == b.partition_of
}

fn fk_key(f: &ForeignKey) -> String {
    format!(
        "{:?}|{}|{:?}|{}|{}|{}",
        f.columns, f.ref_table, f.ref_columns, f.on_delete, f.on_update, f.definition
    )
}

/// Items of `a` with no equal in `b` (to drop) and of `b` with no equal in
/// `a` (to add). Equal: same name (where both have one) and same
/// definition; where names are missing, the definition alone.
fn matched<'a, T>(
    a: &'a [T],
    b: &'a [T],
    name: impl Fn(&T) -> Option<String>,
    def: impl Fn(&T) -> String,
) -> (Vec<&'a T>, Vec<&'a T>) {
    let same = |x: &T, y: &T| {
        def(x) == def(y)
            && match (name(x), name(y)) {
                (Some(p), Some(q)) => p == q,
                _ => true,
            }
    };
    let mut used = vec![false; b.len()];
    let mut gone = Vec::new();
    for x in a {
        match b.iter().enumerate().find(|(j, y)| !used[*j] && same(x, y)) {
            Some((j, _)) => used[j] = true,
            None => gone.push(x),
        }
    }
    let new = b
        .iter()
        .enumerate()
        .filter(|(j, _)| !used[*j])
        .map(|(_, y)| y)
        .collect();
    (gone, new)
}
