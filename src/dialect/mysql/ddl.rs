//! How MySQL/MariaDB write schema changes: each `Change` as statements a
//! revision file can hold as they stand (routine, trigger and event bodies
//! included: the splitter keeps their compound statements whole).
//!
//! `ALTER TABLE` makes every change in place here, and places columns
//! (`FIRST`/`AFTER`), so no table is ever rebuilt. What the plan's order
//! does not settle for this database, the statements of a change do:
//! - foreign keys between tables created (or dropped) in one migration: the
//!   `CREATE TABLE` (`DROP TABLE`) runs with `FOREIGN_KEY_CHECKS` off, as
//!   `mysqldump` does, since the other table may come later (be gone already);
//! - an `AUTO_INCREMENT` column must be a key at every step: a primary key
//!   that changes is dropped and added in one statement where its columns
//!   exist already, a new one goes with the column that gets its
//!   `AUTO_INCREMENT`, and dropping one takes the `AUTO_INCREMENT` off first;
//! - MariaDB keeps a check declared on a column with the column: it goes
//!   with a `MODIFY` of the column, and a `MODIFY` of that column for another
//!   reason repeats it.
//!
//! Every `ALTER TABLE` holds one change: a failure names it. DDL commits
//! itself on this database, so a revision that fails half-way stays
//! half-way; nothing here can change that.

use super::clauses::{self, ident, literal, qname};
use super::steps::{
    fk_group, fk_index_to_keep, index_renames, kept_column_check, new_pk, pk_at,
    redefined_in_place, PkAt,
};
use crate::schema::model::{
    Catalog, Check, Column, ForeignKey, QName, Sequence, Table, TableOptions,
};
use crate::schema::{AlterSupport, Change, Ddl, Position, Unsupported};

pub(crate) struct MySqlDdl;

pub(crate) static MYSQL_DDL: MySqlDdl = MySqlDdl;

impl Ddl for MySqlDdl {
    fn alter_support(&self) -> AlterSupport {
        AlterSupport {
            column_position: true,
            ..AlterSupport::FULL
        }
    }

    fn render(
        &self,
        change: &Change,
        from: &Catalog,
        to: &Catalog,
    ) -> Result<Vec<String>, Unsupported> {
        render(change, from, to)
    }
}

fn alter(table: &QName, what: &str) -> String {
    format!("ALTER TABLE {} {what}", qname(table))
}

fn postgres_only(what: String, kind: &str) -> Unsupported {
    Unsupported {
        what,
        why: format!("MySQL and MariaDB have no {kind}; a MySQL schema never holds one"),
    }
}

fn render(change: &Change, from: &Catalog, to: &Catalog) -> Result<Vec<String>, Unsupported> {
    use Change::*;
    Ok(match change {
        CreateSchema(s) | DropSchema(s) => {
            return Err(postgres_only(
                format!("create or drop schema {}", s.name),
                "schemas inside a database (a MySQL schema is a database)",
            ))
        }
        CreateExtension(e) | DropExtension(e) => {
            return Err(postgres_only(
                format!("create or drop extension {}", e.name),
                "extensions",
            ))
        }
        CreateEnum(e) | DropEnum(e) => {
            return Err(postgres_only(
                format!("create or drop type {}", e.name),
                "enum types (an ENUM is a column type)",
            ))
        }
        AddEnumLabel { name, .. } => {
            return Err(postgres_only(
                format!("change type {name}"),
                "enum types (an ENUM is a column type)",
            ))
        }
        RecreateEnum { to: e, .. } => {
            return Err(postgres_only(
                format!("change type {}", e.name),
                "enum types (an ENUM is a column type)",
            ))
        }
        CreateSequence(s) => vec![format!(
            "CREATE SEQUENCE {}{}",
            qname(&s.name),
            sequence_options(s)
        )],
        AlterSequence { to: s, .. } => vec![format!(
            "ALTER SEQUENCE {}{}",
            qname(&s.name),
            sequence_options(s)
        )],
        DropSequence(s) => vec![format!("DROP SEQUENCE {}", qname(&s.name))],
        CreateTable(t) => {
            // A foreign key to a table not there yet (created later in this migration).
            let ahead = t.foreign_keys.iter().any(|fk| {
                fk.ref_table != t.name
                    && fk.ref_table.schema.is_none()
                    && !from.tables.contains_key(&fk.ref_table)
            });
            without_fk_checks(ahead, create_table(t))
        }
        DropTable(t) => {
            // A foreign key to it from a table dropped in this migration, maybe later.
            let held = from.tables.values().any(|u| {
                u.name != t.name
                    && !to.tables.contains_key(&u.name)
                    && u.foreign_keys.iter().any(|fk| fk.ref_table == t.name)
            });
            without_fk_checks(held, format!("DROP TABLE {}", qname(&t.name)))
        }
        RenameTable { from: a, to: b } => {
            vec![format!("RENAME TABLE {} TO {}", qname(a), qname(b))]
        }
        RebuildTable { from: t, .. } => return Err(Unsupported {
            what: format!("rebuild table {}", t.name),
            why:
                "MySQL's ALTER TABLE makes every change in place; a rebuild is never planned for it"
                    .into(),
        }),
        AddColumn {
            table,
            column,
            position,
        } => {
            let mut s = alter(
                table,
                &format!(
                    "ADD COLUMN {}{}",
                    clauses::column(column, None),
                    place(position)
                ),
            );
            if let PkAt::Column(c) = pk_at(table, from, to) {
                if c == column.name {
                    s.push_str(&new_pk(table, to));
                }
            }
            vec![s]
        }
        DropColumn { table, column } => {
            vec![alter(
                table,
                &format!("DROP COLUMN {}", ident(&column.name)),
            )]
        }
        RenameColumn {
            table,
            from: a,
            to: b,
        } => vec![alter(
            table,
            &format!("RENAME COLUMN {} TO {}", ident(a), ident(b)),
        )],
        AlterColumn {
            table,
            from: was,
            to: now,
            position,
        } => {
            if let (Some(a), Some(b)) = (&was.generated, &now.generated) {
                if a.stored != b.stored {
                    return Ok(vec![regenerate(table, now, position, from, to)]);
                }
            }
            match fk_group(table, &now.name, from, to) {
                None => vec![modify(table, was, now, position.as_ref(), from, to)],
                Some(g) => {
                    if g.leader() != Some(&(table.clone(), now.name.clone())) {
                        // The leader changed its type; a move is left.
                        return Ok(position
                            .iter()
                            .map(|p| modify(table, now, now, Some(p), from, to))
                            .collect());
                    }
                    let mut out: Vec<String> = g
                        .fks
                        .iter()
                        .filter_map(|(t, fk)| {
                            let n = fk.name.as_deref()?;
                            Some(alter(t, &format!("DROP FOREIGN KEY {}", ident(n))))
                        })
                        .collect();
                    for (t, c) in &g.members {
                        let (Some(w), Some(n)) = (
                            from.tables.get(t).and_then(|x| x.column(c)),
                            to.tables.get(t).and_then(|x| x.column(c)),
                        ) else {
                            continue;
                        };
                        let p = if t == table && *c == now.name {
                            position.as_ref()
                        } else {
                            None
                        };
                        out.push(modify(t, w, n, p, from, to));
                    }
                    out.extend(g.fks.iter().map(|(t, fk)| add_foreign_key(t, fk, from, to)));
                    out
                }
            }
        }
        AddPrimaryKey { table, key } => match pk_at(table, from, to) {
            PkAt::Alone => vec![alter(table, &format!("ADD {}", key.definition))],
            // Added with the primary key's drop, or with its AUTO_INCREMENT column.
            PkAt::Drop | PkAt::Column(_) => Vec::new(),
        },
        DropPrimaryKey { table, .. } => match pk_at(table, from, to) {
            PkAt::Drop => vec![alter(
                table,
                &format!("DROP PRIMARY KEY{}", new_pk(table, to)),
            )],
            _ => {
                // The AUTO_INCREMENT goes first: such a column must be a key.
                let auto = from.tables.get(table).and_then(|t| {
                    let pk = t.primary_key.as_ref()?;
                    t.columns
                        .iter()
                        .find(|c| c.auto_increment && pk.columns.contains(&c.name))
                });
                match auto {
                    Some(c) => {
                        let plain = Column {
                            auto_increment: false,
                            ..c.clone()
                        };
                        let check = kept_column_check(table, &c.name, from, from);
                        vec![alter(
                            table,
                            &format!(
                                "MODIFY COLUMN {}, DROP PRIMARY KEY",
                                clauses::column(&plain, check.as_deref())
                            ),
                        )]
                    }
                    None => vec![alter(table, "DROP PRIMARY KEY")],
                }
            }
        },
        AddUnique { table, key } => vec![alter(
            table,
            &format!(
                "ADD {}UNIQUE KEY ({})",
                key.name
                    .as_deref()
                    .map(|n| format!("CONSTRAINT {} ", ident(n)))
                    .unwrap_or_default(),
                clauses::idents(&key.columns)
            ),
        )],
        DropUnique { table, key } => match &key.name {
            Some(n) => vec![alter(table, &format!("DROP INDEX {}", ident(n)))],
            None => return Err(unnamed("unique key", table)),
        },
        AddCheck { table, check } => {
            // A column's check in MariaDB is declared on the column again, so
            // that it stays with the column as in the schema it comes from.
            let column = check
                .column
                .as_ref()
                .and_then(|c| to.tables.get(table)?.column(c));
            match column {
                Some(c) => vec![alter(
                    table,
                    &format!(
                        "MODIFY COLUMN {}",
                        clauses::column(c, Some(&check.definition))
                    ),
                )],
                None => vec![alter(
                    table,
                    &format!("ADD {}{}", constraint_name(&check.name), check.definition),
                )],
            }
        }
        DropCheck { table, check } => drop_check(table, check, from)?,
        AddForeignKey { table, fk } => vec![add_foreign_key(table, fk, from, to)],
        DropForeignKey { table, fk } => match &fk.name {
            Some(n) => vec![alter(table, &format!("DROP FOREIGN KEY {}", ident(n)))],
            None => return Err(unnamed("foreign key", table)),
        },
        CreateIndex { table, index } => {
            if redefined_in_place(table, &index.name, from, to) {
                vec![alter(
                    table,
                    &format!(
                        "DROP INDEX {}, ADD {}",
                        ident(&index.name),
                        index.definition
                    ),
                )]
            } else if let Some((old, _)) = index_renames(table, from, to)
                .into_iter()
                .find(|(_, new)| *new == index.name)
            {
                vec![alter(
                    table,
                    &format!("RENAME INDEX {} TO {}", ident(&old), ident(&index.name)),
                )]
            } else {
                vec![alter(table, &format!("ADD {}", index.definition))]
            }
        }
        DropIndex { table, index } => {
            // Dropped where it is created again or renamed (see CreateIndex).
            if redefined_in_place(table, &index.name, from, to)
                || index_renames(table, from, to)
                    .iter()
                    .any(|(old, _)| *old == index.name)
            {
                Vec::new()
            } else {
                vec![alter(table, &format!("DROP INDEX {}", ident(&index.name)))]
            }
        }
        AlterTableOptions {
            table,
            from: was,
            to: now,
        } => alter_options(table, was, now)?,
        SetTableComment { table, comment } => vec![alter(
            table,
            &format!("COMMENT = {}", literal(comment.as_deref().unwrap_or(""))),
        )],
        CreateView(v) => {
            if v.materialized {
                return Err(Unsupported {
                    what: format!("create materialized view {}", v.name),
                    why: "MySQL and MariaDB have no materialized views; use a table filled by an event or triggers".into(),
                });
            }
            vec![format!(
                "CREATE {} VIEW {} AS {}",
                v.options.as_deref().unwrap_or("SQL SECURITY DEFINER"),
                qname(&v.name),
                v.definition
            )]
        }
        DropView(v) => vec![format!("DROP VIEW {}", qname(&v.name))],
        CreateRoutine(r) => vec![r.definition.clone()],
        DropRoutine(r) => vec![drop_routine(r)],
        // MySQL 8 has no CREATE OR REPLACE for routines: dropped and created again.
        ReplaceRoutine { from: a, to: b } => vec![drop_routine(a), b.definition.clone()],
        CreateTrigger(t) => vec![t.definition.clone()],
        DropTrigger(t) => vec![format!("DROP TRIGGER {}", ident(&t.name))],
        CreateEvent(e) => vec![e.definition.clone()],
        DropEvent(e) => vec![format!("DROP EVENT {}", qname(&e.name))],
    })
}

fn unnamed(what: &str, table: &QName) -> Unsupported {
    Unsupported {
        what: format!("drop a {what} of table {table}"),
        why: "it has no name to drop it by; MySQL names every constraint, so this schema was not read from MySQL".into(),
    }
}

fn constraint_name(name: &Option<String>) -> String {
    name.as_deref()
        .map(|n| format!("CONSTRAINT {} ", ident(n)))
        .unwrap_or_default()
}

fn place(p: &Position) -> String {
    match p {
        Position::Last => String::new(),
        Position::First => " FIRST".into(),
        Position::After(c) => format!(" AFTER {}", ident(c)),
    }
}

/// `stmt` between `FOREIGN_KEY_CHECKS` off and on again, when `off`.
fn without_fk_checks(off: bool, stmt: String) -> Vec<String> {
    if off {
        vec![
            "SET FOREIGN_KEY_CHECKS = 0".into(),
            stmt,
            "SET FOREIGN_KEY_CHECKS = 1".into(),
        ]
    } else {
        vec![stmt]
    }
}

fn create_table(t: &Table) -> String {
    // MariaDB's column checks are declared on their columns, table checks after.
    let column_check = |c: &Column| {
        t.checks
            .iter()
            .find(|k| k.column.as_deref() == Some(c.name.as_str()))
            .map(|k| k.definition.as_str())
    };
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|c| clauses::column(c, column_check(c)))
        .collect();
    if let Some(pk) = &t.primary_key {
        lines.push(pk.definition.clone());
    }
    for k in &t.uniques {
        lines.push(format!(
            "{}UNIQUE KEY ({})",
            constraint_name(&k.name),
            clauses::idents(&k.columns)
        ));
    }
    lines.extend(t.indexes.iter().map(|i| i.definition.clone()));
    for c in t
        .checks
        .iter()
        .filter(|k| k.column.as_ref().is_none_or(|c| t.column(c).is_none()))
    {
        lines.push(format!("{}{}", constraint_name(&c.name), c.definition));
    }
    for fk in &t.foreign_keys {
        lines.push(format!("{}{}", constraint_name(&fk.name), fk.definition));
    }
    let mut s = format!(
        "CREATE TABLE {} (\n  {}\n)",
        qname(&t.name),
        lines.join(",\n  ")
    );
    let o = &t.options;
    if let Some(e) = &o.engine {
        s.push_str(&format!(" ENGINE={e}"));
    }
    if let Some(c) = &o.charset {
        s.push_str(&format!(" DEFAULT CHARSET={c}"));
    }
    if let Some(c) = &o.collation {
        s.push_str(&format!(" COLLATE={c}"));
    }
    if let Some(c) = &t.comment {
        s.push_str(&format!(" COMMENT={}", literal(c)));
    }
    s
}

fn alter_options(
    table: &QName,
    was: &TableOptions,
    now: &TableOptions,
) -> Result<Vec<String>, Unsupported> {
    if was.strict != now.strict
        || was.without_rowid != now.without_rowid
        || was.partition_by != now.partition_by
        || was.partition_of != now.partition_of
    {
        return Err(Unsupported {
            what: format!("change the options of table {table}"),
            why: "STRICT, WITHOUT ROWID and PostgreSQL partitions are no MySQL table options"
                .into(),
        });
    }
    let mut parts = Vec::new();
    if was.engine != now.engine {
        if let Some(e) = &now.engine {
            parts.push(format!("ENGINE = {e}"));
        }
    }
    if was.charset != now.charset || was.collation != now.collation {
        if let Some(c) = &now.charset {
            parts.push(format!("DEFAULT CHARSET = {c}"));
        }
        if let Some(c) = &now.collation {
            parts.push(format!("COLLATE = {c}"));
        }
    }
    Ok(if parts.is_empty() {
        Vec::new()
    } else {
        vec![alter(table, &parts.join(", "))]
    })
}

fn sequence_options(s: &Sequence) -> String {
    format!(
        " START WITH {} MINVALUE {} MAXVALUE {} INCREMENT BY {} {} {}",
        s.start,
        s.min,
        s.max,
        s.increment,
        if s.cache == 0 {
            "NOCACHE".to_string()
        } else {
            format!("CACHE {}", s.cache)
        },
        if s.cycle { "CYCLE" } else { "NOCYCLE" }
    )
}

fn drop_routine(r: &crate::schema::model::Routine) -> String {
    format!(
        "DROP {} {}",
        if r.procedure { "PROCEDURE" } else { "FUNCTION" },
        qname(&r.id.name)
    )
}

/// `ADD CONSTRAINT … FOREIGN KEY`, with the index that serves it made
/// again in the same statement where MariaDB could replace it.
fn add_foreign_key(table: &QName, fk: &ForeignKey, from: &Catalog, to: &Catalog) -> String {
    let add = format!("ADD {}{}", constraint_name(&fk.name), fk.definition);
    match fk_index_to_keep(table, fk, from, to) {
        Some(i) => alter(
            table,
            &format!("DROP INDEX {}, ADD {}, {add}", ident(&i.name), i.definition),
        ),
        None => alter(table, &add),
    }
}

/// `MODIFY COLUMN` of one column: its whole new definition, with the check
/// MariaDB keeps on it, its new place, and the primary key it needs if it
/// becomes `AUTO_INCREMENT`.
fn modify(
    table: &QName,
    was: &Column,
    now: &Column,
    position: Option<&Position>,
    from: &Catalog,
    to: &Catalog,
) -> String {
    let check = kept_column_check(table, &was.name, from, to);
    let mut s = alter(
        table,
        &format!(
            "MODIFY COLUMN {}{}",
            clauses::column(now, check.as_deref()),
            position.map(place).unwrap_or_default()
        ),
    );
    if let PkAt::Column(c) = pk_at(table, from, to) {
        if c == now.name && now.auto_increment && !was.auto_increment {
            s.push_str(&new_pk(table, to));
        }
    }
    s
}

fn drop_check(table: &QName, check: &Check, from: &Catalog) -> Result<Vec<String>, Unsupported> {
    // A column's check in MariaDB: MODIFY the column as it is, without it.
    if let Some(column) = &check.column {
        let holder = from
            .tables
            .get(table)
            .filter(|t| t.checks.contains(check))
            .or_else(|| from.tables.values().find(|t| t.checks.contains(check)));
        if let Some(c) = holder.and_then(|t| t.column(column)) {
            return Ok(vec![alter(
                table,
                &format!("MODIFY COLUMN {}", clauses::column(c, None)),
            )]);
        }
    }
    match &check.name {
        Some(n) => Ok(vec![alter(table, &format!("DROP CONSTRAINT {}", ident(n)))]),
        None => Err(unnamed("check", table)),
    }
}

/// A generated column going from VIRTUAL to STORED or back, which neither
/// server's `MODIFY` does: dropped and added again in one statement (its
/// values are computed, no data is lost), with the indexes over it that
/// stay as they are (they would go, or lose the column, with it).
fn regenerate(
    table: &QName,
    now: &Column,
    position: &Option<Position>,
    from: &Catalog,
    to: &Catalog,
) -> String {
    let place = match position {
        Some(p) => place(p),
        None => to
            .tables
            .get(table)
            .and_then(|t| {
                let i = t.columns.iter().position(|c| c.name == now.name)?;
                Some(match i {
                    0 => " FIRST".to_string(),
                    _ => format!(" AFTER {}", ident(&t.columns[i - 1].name)),
                })
            })
            .unwrap_or_default(),
    };
    let quoted = ident(&now.name);
    let kept: Vec<&crate::schema::model::Index> =
        match (from.tables.get(table), to.tables.get(table)) {
            (Some(was), Some(will)) => was
                .indexes
                .iter()
                .filter(|i| i.definition.contains(&quoted) && will.indexes.contains(i))
                .collect(),
            _ => Vec::new(),
        };
    let mut parts: Vec<String> = kept
        .iter()
        .map(|i| format!("DROP INDEX {}", ident(&i.name)))
        .collect();
    parts.push(format!("DROP COLUMN {quoted}"));
    parts.push(format!("ADD COLUMN {}{place}", clauses::column(now, None)));
    parts.extend(kept.iter().map(|i| format!("ADD {}", i.definition)));
    alter(table, &parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{EnumType, Extension, Namespace, View};

    fn rendered(change: Change) -> Result<Vec<String>, Unsupported> {
        render(&change, &Catalog::default(), &Catalog::default())
    }

    #[test]
    fn what_mysql_has_no_word_for_is_unsupported_with_the_reason() {
        let cases = [
            (
                Change::CreateSchema(Namespace {
                    name: "app".into(),
                    comment: None,
                }),
                "cannot create or drop schema app: MySQL and MariaDB have no schemas inside a database (a MySQL schema is a database); a MySQL schema never holds one",
            ),
            (
                Change::CreateExtension(Extension {
                    name: "citext".into(),
                    schema: "public".into(),
                }),
                "cannot create or drop extension citext: MySQL and MariaDB have no extensions; a MySQL schema never holds one",
            ),
            (
                Change::CreateEnum(EnumType {
                    name: QName::bare("mood"),
                    ..Default::default()
                }),
                "cannot create or drop type mood: MySQL and MariaDB have no enum types (an ENUM is a column type); a MySQL schema never holds one",
            ),
            (
                Change::CreateView(View {
                    name: QName::bare("totals"),
                    materialized: true,
                    ..Default::default()
                }),
                "cannot create materialized view totals: MySQL and MariaDB have no materialized views; use a table filled by an event or triggers",
            ),
            (
                Change::RebuildTable {
                    from: Table {
                        name: QName::bare("t"),
                        ..Default::default()
                    },
                    to: Table::default(),
                },
                "cannot rebuild table t: MySQL's ALTER TABLE makes every change in place; a rebuild is never planned for it",
            ),
        ];
        for (change, message) in cases {
            assert_eq!(rendered(change).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn sequences_and_routines_are_written_whole() {
        let s = Sequence {
            name: QName::bare("s"),
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min: 1,
            max: 100,
            cache: 0,
            cycle: true,
            owned_by: None,
        };
        assert_eq!(
            rendered(Change::CreateSequence(s)).unwrap(),
            ["CREATE SEQUENCE `s` START WITH 1 MINVALUE 1 MAXVALUE 100 INCREMENT BY 1 NOCACHE CYCLE"]
        );
        let f = crate::schema::model::Routine {
            id: crate::schema::model::RoutineId {
                name: QName::bare("f"),
                arguments: "function".into(),
            },
            procedure: false,
            definition: "CREATE FUNCTION `f`() RETURNS int(11)\nRETURN 2".into(),
            comment: None,
        };
        let mut was = f.clone();
        was.definition = "CREATE FUNCTION `f`() RETURNS int(11)\nRETURN 1".into();
        assert_eq!(
            rendered(Change::ReplaceRoutine { from: was, to: f }).unwrap(),
            [
                "DROP FUNCTION `f`",
                "CREATE FUNCTION `f`() RETURNS int(11)\nRETURN 2"
            ]
        );
    }
}
