//! How SQLite writes schema changes. Its `ALTER TABLE` renames tables and
//! columns and adds columns (not every column); everything else is done by
//! rebuilding the table the way SQLite documents it: the new table created
//! under a temporary name from the desired definition, the rows of the
//! columns both have copied, the old table dropped, the new one renamed,
//! its indexes created again, and the foreign keys checked so that a
//! violation fails the statement. The views that read the table and its
//! triggers are dropped before and created after by the plan.
//!
//! Pure: changes and catalogs in, statements out.

use super::sqltext::{self, ident, literal};
use crate::schema::diff::{self, AlterSupport, Change, Renames};
use crate::schema::model::{Catalog, Column, QName, Table};
use crate::schema::{Ddl, Unsupported};

pub(crate) struct SqliteDdl;

pub(crate) static SQLITE_DDL: SqliteDdl = SqliteDdl;

/// What SQLite's `ALTER TABLE` does in place (adding a column: see
/// `addable`). Its `DROP COLUMN` works only where nothing refers to the
/// column and no other change comes with it: a rebuild works every time.
const ALTER: AlterSupport = AlterSupport {
    alter_column: false,
    drop_column: false,
    rename_column: true,
    constraints: false,
    column_position: false,
};

impl Ddl for SqliteDdl {
    fn alter_support(&self) -> AlterSupport {
        ALTER
    }

    fn in_place(&self, change: &Change) -> bool {
        match change {
            Change::AddColumn { column, .. } => addable(column),
            // STRICT, WITHOUT ROWID, a virtual table's module.
            Change::AlterTableOptions { .. } => false,
            other => ALTER.in_place(other),
        }
    }

    /// SQLite's `RENAME` rewrites every mention of the name, quoted where
    /// the new name needs it (`sqltext::ident`, as the catalog's text is
    /// normalized).
    fn rename_in(&self, text: &str, renamed: &[(String, String)]) -> String {
        sqltext::replace_names(text, renamed)
    }

    fn render(
        &self,
        change: &Change,
        from: &Catalog,
        to: &Catalog,
    ) -> Result<Vec<String>, Unsupported> {
        use Change::*;
        Ok(match change {
            CreateTable(t) => {
                let sql = t.options.create_sql.clone().ok_or_else(|| Unsupported {
                    what: format!("create table {}", t.name),
                    why: "its CREATE TABLE was not read from an SQLite catalog".into(),
                })?;
                let mut out = vec![sql];
                out.extend(t.indexes.iter().map(index_sql));
                out
            }
            DropTable(t) => vec![format!("DROP TABLE {}", name(&t.name))],
            RenameTable { from, to } => vec![format!(
                "ALTER TABLE {} RENAME TO {}",
                name(from),
                name(to)
            )],
            RebuildTable { from: a, to: b } => rebuild(a, b, from, to)?,
            AddColumn { table, column, .. } => match &column.definition {
                Some(def) if addable(column) => {
                    vec![format!("ALTER TABLE {} ADD COLUMN {def}", name(table))]
                }
                _ => return Err(internal(change)),
            },
            RenameColumn { table, from, to } => vec![format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                name(table),
                ident(from),
                ident(to)
            )],
            CreateIndex { index, .. } => vec![index_sql(index)],
            DropIndex { index, .. } => vec![format!("DROP INDEX {}", ident(&index.name))],
            CreateView(v) => vec![v.create_sql.clone().unwrap_or_else(|| v.definition.clone())],
            DropView(v) => vec![format!("DROP VIEW {}", name(&v.name))],
            CreateTrigger(t) => vec![t.create_sql.clone().unwrap_or_else(|| t.definition.clone())],
            DropTrigger(t) => vec![format!("DROP TRIGGER {}", ident(&t.name))],
            SetTableComment { table, .. } => {
                return Err(Unsupported {
                    what: format!("set the comment of table {table}"),
                    why: "SQLite has no comments on tables or columns; keep them as -- comments in the schema file".into(),
                })
            }
            CreateSchema(_) | DropSchema(_) => return Err(none_here(change, "schemas (each database is one file; ATTACH another)")),
            CreateExtension(_) | DropExtension(_) => return Err(none_here(change, "extensions to create (load them in the application)")),
            CreateEnum(_) | DropEnum(_) | AddEnumLabel { .. } | RecreateEnum { .. } => {
                return Err(none_here(change, "enum types (use a CHECK constraint)"))
            }
            CreateSequence(_) | DropSequence(_) | AlterSequence { .. } => {
                return Err(none_here(change, "sequences (use INTEGER PRIMARY KEY AUTOINCREMENT)"))
            }
            CreateRoutine(_) | DropRoutine(_) | ReplaceRoutine { .. } => {
                return Err(none_here(change, "stored functions or procedures (register functions in the application)"))
            }
            CreateEvent(_) | DropEvent(_) => return Err(none_here(change, "scheduled events")),
            // Made by rebuilding the table (`in_place` says so), never alone.
            DropColumn { .. }
            | AlterColumn { .. }
            | AddPrimaryKey { .. }
            | DropPrimaryKey { .. }
            | AddUnique { .. }
            | DropUnique { .. }
            | AddCheck { .. }
            | DropCheck { .. }
            | AddForeignKey { .. }
            | DropForeignKey { .. }
            | AlterTableOptions { .. } => return Err(internal(change)),
        })
    }
}

fn name(q: &QName) -> String {
    match &q.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&q.name)),
        None => ident(&q.name).into_owned(),
    }
}

fn index_sql(index: &crate::schema::model::Index) -> String {
    index
        .create_sql
        .clone()
        .unwrap_or_else(|| index.definition.clone())
}

fn none_here(change: &Change, what: &str) -> Unsupported {
    Unsupported {
        what: describe(change),
        why: format!("SQLite has no {what}"),
    }
}

fn internal(change: &Change) -> Unsupported {
    Unsupported {
        what: describe(change),
        why: "SQLite's ALTER TABLE cannot make this change; the table is rebuilt instead, which this change should have been part of".into(),
    }
}

/// A change in a few words, for messages.
fn describe(change: &Change) -> String {
    use Change::*;
    match change {
        CreateSchema(n) => format!("create schema {}", n.name),
        DropSchema(n) => format!("drop schema {}", n.name),
        CreateExtension(e) => format!("create extension {}", e.name),
        DropExtension(e) => format!("drop extension {}", e.name),
        CreateEnum(e) => format!("create enum type {}", e.name),
        DropEnum(e) => format!("drop enum type {}", e.name),
        AddEnumLabel { name, .. } => format!("add a label to enum type {name}"),
        RecreateEnum { to, .. } => format!("change enum type {}", to.name),
        CreateSequence(q) => format!("create sequence {}", q.name),
        DropSequence(q) => format!("drop sequence {}", q.name),
        AlterSequence { to, .. } => format!("change sequence {}", to.name),
        CreateRoutine(r) => format!("create routine {}", r.id.name),
        DropRoutine(r) => format!("drop routine {}", r.id.name),
        ReplaceRoutine { to, .. } => format!("change routine {}", to.id.name),
        CreateEvent(e) => format!("create event {}", e.name),
        DropEvent(e) => format!("drop event {}", e.name),
        AddColumn { table, column, .. } => format!("add column {table}.{}", column.name),
        DropColumn { table, column } => format!("drop column {table}.{}", column.name),
        AlterColumn { table, to, .. } => format!("change column {table}.{}", to.name),
        AddPrimaryKey { table, .. } | DropPrimaryKey { table, .. } => {
            format!("change the primary key of table {table}")
        }
        AddUnique { table, .. } | DropUnique { table, .. } => {
            format!("change a unique constraint of table {table}")
        }
        AddCheck { table, .. } | DropCheck { table, .. } => {
            format!("change a check constraint of table {table}")
        }
        AddForeignKey { table, .. } | DropForeignKey { table, .. } => {
            format!("change a foreign key of table {table}")
        }
        AlterTableOptions { table, .. } => format!("change the options of table {table}"),
        other => format!("{other:?}"),
    }
}

/// True when `ALTER TABLE … ADD COLUMN` can add the column: SQLite refuses
/// a stored generated column, a NOT NULL column without a default, and a
/// default that is not a constant (`CURRENT_TIMESTAMP`, an expression in
/// parentheses). A key, a unique or check constraint or a foreign key on
/// the new column are changes of their own, which rebuild the table.
fn addable(column: &Column) -> bool {
    let Some(def) = &column.definition else {
        return false;
    };
    if column.generated.as_ref().is_some_and(|g| g.stored) {
        return false;
    }
    let constant = match &column.default {
        None => true,
        Some(d) => literal_default(d) && !parenthesized_default(def),
    };
    let null_default = column
        .default
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case("NULL"));
    constant && (column.nullable || column.generated.is_some() || !null_default)
}

/// A number (signed), a string, a blob, NULL, TRUE or FALSE.
fn literal_default(text: &str) -> bool {
    let t = text.trim();
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let number = !unsigned.is_empty()
        && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && unsigned
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '+' || c == '-');
    let quoted = |s: &str| s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'');
    number
        || quoted(t)
        || ((t.starts_with(['x', 'X'])) && quoted(&t[1..]))
        || ["NULL", "TRUE", "FALSE"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
}

fn parenthesized_default(definition: &str) -> bool {
    let toks: Vec<sqltext::Token<'_>> = sqltext::tokens(definition)
        .into_iter()
        .filter(|t| !matches!(t.kind, sqltext::Kind::Space | sqltext::Kind::Comment))
        .collect();
    toks.windows(2)
        .any(|w| w[0].is("DEFAULT") && w[1].text == "(")
}

/// True when the table is SQLite's rowid table and `column` holds the rowid
/// (`INTEGER PRIMARY KEY`).
fn rowid_alias(table: &Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    let [col] = pk.columns.as_slice() else {
        return None;
    };
    let c = table.column(col)?;
    c.data_type
        .eq_ignore_ascii_case("INTEGER")
        .then_some(c.name.as_str())
}

/// A table whose rows have a rowid a copy can keep: an ordinary table
/// without `WITHOUT ROWID`, or a full-text (`fts3`/`fts4`/`fts5`) virtual
/// table, whose rowid is how its rows are found.
fn is_rowid_table(t: &Table) -> bool {
    match &t.options.using {
        None => !t.options.without_rowid,
        Some(using) => {
            let module = using.to_ascii_lowercase();
            ["fts3", "fts4", "fts5"]
                .iter()
                .any(|m| module.starts_with(m) && module[m.len()..].trim_start().starts_with('('))
        }
    }
}

/// Does the `to` table have a rebuild of its own in this migration?
/// (Renames are not known here: a table renamed, or whose columns are
/// renamed, counts as rebuilt, and checks its foreign keys itself.)
fn rebuilt(name: &QName, from: &Catalog, to: &Catalog) -> bool {
    let (Some(a), Some(b)) = (from.tables.get(name), to.tables.get(name)) else {
        return true;
    };
    let one = |t: &Table| {
        let mut c = Catalog::default();
        c.tables.insert(t.name.clone(), t.clone());
        c
    };
    diff::diff(&one(a), &one(b), &Renames::default(), &SQLITE_DDL)
        .iter()
        .any(|c| matches!(c, Change::RebuildTable { .. }))
}

/// SQLite's procedure for the changes its `ALTER TABLE` cannot make.
/// `a` is the table as it is (under its new name, renamed columns
/// renamed), `b` as it must become.
fn rebuild(a: &Table, b: &Table, from: &Catalog, to: &Catalog) -> Result<Vec<String>, Unsupported> {
    let what = || format!("rebuild table {}", b.name);
    let create = b.options.create_sql.as_deref().ok_or_else(|| Unsupported {
        what: what(),
        why: "its CREATE TABLE was not read from an SQLite catalog".into(),
    })?;
    let parsed = sqltext::parse_table(create).ok_or_else(|| Unsupported {
        what: what(),
        why: format!("its definition is not a CREATE TABLE: {create}"),
    })?;
    let table = name(&b.name);
    let mut temp = format!("_migrate_new_{}", b.name.name);
    while from
        .tables
        .keys()
        .chain(to.tables.keys())
        .any(|q| q.name.eq_ignore_ascii_case(&temp))
    {
        temp.insert(0, '_');
    }
    let temp_q = ident(&temp).into_owned();
    let mut out = Vec::new();

    // With foreign keys on, DROP TABLE first deletes the rows, which
    // cascades to (or fails on) the rows that reference them; PRAGMA
    // foreign_keys cannot change inside the transaction, so this fails
    // before anything is lost. `migrate` runs SQLite with them off.
    let referenced = from
        .tables
        .values()
        .chain(to.tables.values())
        .filter(|t| t.name != b.name)
        .any(|t| t.foreign_keys.iter().any(|f| f.ref_table == b.name));
    if referenced {
        out.extend(guard(
            "migrate_rebuild_guard",
            "foreign_keys",
            &format!(
                "rebuilding table {} drops it, which with foreign keys on deletes the rows that reference it: run PRAGMA foreign_keys = OFF outside the transaction first",
                b.name
            ),
            "SELECT foreign_keys FROM pragma_foreign_keys",
        ));
    }

    out.push(sqltext::renamed(create, &parsed, &temp));

    // The rows: the columns both have (renamed ones already carry their new
    // name), and the rowid where both are rowid tables and the new one has
    // no column holding it.
    let mut into: Vec<String> = Vec::new();
    let mut select: Vec<String> = Vec::new();
    if is_rowid_table(a) && is_rowid_table(b) && rowid_alias(b).is_none() {
        into.push("rowid".into());
        select.push("rowid".into());
    }
    for c in b.columns.iter().filter(|c| c.generated.is_none()) {
        if let Some(old) = a
            .columns
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(&c.name))
        {
            into.push(ident(&c.name).into_owned());
            select.push(ident(&old.name).into_owned());
        }
    }
    if !into.is_empty() {
        out.push(format!(
            "INSERT INTO {temp_q} ({}) SELECT {} FROM {table}",
            into.join(", "),
            select.join(", ")
        ));
    }
    // AUTOINCREMENT's counter stays where it was (rows may have been
    // deleted above the highest id left), not at the highest id copied.
    let autoincrement = |t: &Table| t.columns.iter().any(|c| c.auto_increment);
    if autoincrement(a) && autoincrement(b) {
        out.push(format!(
            "DELETE FROM sqlite_sequence WHERE name = {}",
            literal(&temp)
        ));
        out.push(format!(
            "UPDATE sqlite_sequence SET name = {} WHERE name = {}",
            literal(&temp),
            literal(&b.name.name)
        ));
    }
    out.push(format!("DROP TABLE {table}"));
    // Without the legacy setting, RENAME checks every view and trigger of
    // the schema, and those that read the table dropped just now fail it.
    out.push("PRAGMA legacy_alter_table = ON".into());
    out.push(format!("ALTER TABLE {temp_q} RENAME TO {table}"));
    out.push("PRAGMA legacy_alter_table = OFF".into());
    // The table's triggers went with it: the plan creates them again.
    out.extend(b.indexes.iter().map(index_sql));

    // Foreign keys: the table's own, and those of the tables referencing it
    // that keep their shape (a table rebuilt itself checks its own; the
    // plan rebuilds the tables a table references before it).
    let mut checked: Vec<&QName> = Vec::new();
    if !b.foreign_keys.is_empty() {
        checked.push(&b.name);
    }
    for t in to.tables.values() {
        if t.name != b.name
            && t.foreign_keys.iter().any(|f| f.ref_table == b.name)
            && !rebuilt(&t.name, from, to)
        {
            checked.push(&t.name);
        }
    }
    if !checked.is_empty() {
        let counts: Vec<String> = checked
            .iter()
            .map(|t| {
                format!(
                    "(SELECT count(*) FROM pragma_foreign_key_check({}))",
                    literal(&t.name)
                )
            })
            .collect();
        out.extend(guard(
            "migrate_foreign_key_check",
            "violations",
            &format!(
                "rebuilding table {} leaves rows that break a foreign key: PRAGMA foreign_key_check lists them",
                b.name
            ),
            &format!("SELECT {}", counts.join(" + ")),
        ));
    }
    Ok(out)
}

/// Statements that fail with `message` unless `query` returns 0: its value
/// goes into a temporary table whose CHECK constraint is named by the
/// message (SQLite has no statement that raises an error outside a trigger).
fn guard(table: &str, column: &str, message: &str, query: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TEMP TABLE {table} ({column} INTEGER CONSTRAINT {} CHECK ({column} = 0))",
            ident(message)
        ),
        format!("INSERT INTO temp.{table} {query}"),
        format!("DROP TABLE temp.{table}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(def: &str, default: Option<&str>, nullable: bool) -> Column {
        Column {
            name: "c".into(),
            nullable,
            default: default.map(str::to_string),
            definition: Some(def.into()),
            ..Column::default()
        }
    }

    #[test]
    fn columns_are_added_in_place_where_sqlite_allows_it() {
        let cases = [
            (column("c TEXT", None, true), true),
            (column("c INT NOT NULL DEFAULT 0", Some("0"), false), true),
            (column("c INT DEFAULT -1", Some("-1"), true), true),
            (column("c TEXT DEFAULT 'x'", Some("'x'"), true), true),
            (column("c BLOB DEFAULT x'00'", Some("x'00'"), true), true),
            (column("c INT NOT NULL", None, false), false),
            (
                column("c INT NOT NULL DEFAULT NULL", Some("NULL"), false),
                false,
            ),
            (
                column(
                    "c TEXT DEFAULT CURRENT_TIMESTAMP",
                    Some("CURRENT_TIMESTAMP"),
                    true,
                ),
                false,
            ),
            (column("c INT DEFAULT (1 + 2)", Some("1 + 2"), true), false),
            (column("c INT DEFAULT (5)", Some("5"), true), false),
        ];
        for (c, expected) in cases {
            assert_eq!(addable(&c), expected, "{:?}", c.definition);
        }
        let mut stored = column("c INT AS (1) STORED", None, true);
        stored.generated = Some(crate::schema::model::Generated {
            expression: "1".into(),
            stored: true,
        });
        assert!(!addable(&stored));
        let mut virt = stored.clone();
        virt.generated = Some(crate::schema::model::Generated {
            expression: "1".into(),
            stored: false,
        });
        assert!(addable(&virt));
        let mut unknown = column("c TEXT", None, true);
        unknown.definition = None;
        assert!(!addable(&unknown));
    }

    #[test]
    fn what_sqlite_has_not_is_unsupported_with_the_way_out() {
        use crate::schema::model::{Namespace, Sequence};
        let c = Catalog::default();
        let say = |change: Change| SQLITE_DDL.render(&change, &c, &c).unwrap_err().to_string();
        assert_eq!(
            say(Change::CreateSchema(Namespace {
                name: "audit".into(),
                comment: None
            })),
            "cannot create schema audit: SQLite has no schemas (each database is one file; ATTACH another)"
        );
        assert_eq!(
            say(Change::CreateSequence(Sequence {
                name: QName::bare("ids"),
                ..Sequence::default()
            })),
            "cannot create sequence ids: SQLite has no sequences (use INTEGER PRIMARY KEY AUTOINCREMENT)"
        );
        assert_eq!(
            say(Change::SetTableComment {
                table: QName::bare("t"),
                comment: Some("x".into())
            }),
            "cannot set the comment of table t: SQLite has no comments on tables or columns; keep them as -- comments in the schema file"
        );
    }

    #[test]
    fn a_guard_fails_through_a_named_check() {
        let g = guard("g", "n", "it went wrong", "SELECT 1");
        assert_eq!(
            g,
            [
                "CREATE TEMP TABLE g (n INTEGER CONSTRAINT \"it went wrong\" CHECK (n = 0))",
                "INSERT INTO temp.g SELECT 1",
                "DROP TABLE temp.g"
            ]
        );
    }
}
