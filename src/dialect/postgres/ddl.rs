//! How PostgreSQL writes schema changes: each `Change` as statements that
//! run as they stand in a revision file. Pure: a change and the two whole
//! schemas in, SQL out.
//!
//! Names are written schema-qualified, as the catalog reader reads them,
//! so a revision runs the same whatever the `search_path`. The plan gives
//! the order; what PostgreSQL needs beyond it is done here: a serial
//! column's sequence is owned by its column once the column exists, a
//! routine is created with `check_function_bodies` off (its body may name
//! tables created after it, as in `pg_dump` output), an enum made again
//! converts the columns that use it, a materialized view made again gets
//! back its indexes, keys, checks and indexes named after a renamed table
//! are renamed with it, and a partition leaves what it inherits to its
//! partitioned table.

use super::quote::{ident, literal, qualified, sibling};
use crate::schema::model::*;
use crate::schema::{AlterSupport, Catalog, Change, Ddl, Unsupported};

pub(crate) struct PostgresDdl;

pub(crate) static POSTGRES_DDL: PostgresDdl = PostgresDdl;

impl Ddl for PostgresDdl {
    fn alter_support(&self) -> AlterSupport {
        AlterSupport::FULL
    }

    /// Tables first, then the foreign keys between them, as `pg_dump` does:
    /// PostgreSQL checks that a referenced table exists when the key is made.
    fn foreign_keys_after_tables(&self) -> bool {
        true
    }

    /// The server refers to tables and columns by number: what names a
    /// renamed one reads with its new name.
    fn rename_in(&self, text: &str, renamed: &[(String, String)]) -> String {
        renamed
            .iter()
            .fold(text.to_string(), |t, (old, new)| renamed_in(&t, old, new))
    }

    /// `RenameTable` renames with the table the keys, checks and indexes
    /// named after it, as PostgreSQL names them (`accounts_pkey`).
    fn renamed_with_table(&self, name: &str, old_table: &str, new_table: &str) -> Option<String> {
        renamed_with_table(name, old_table, new_table)
    }

    fn render(
        &self,
        change: &Change,
        from: &Catalog,
        to: &Catalog,
    ) -> Result<Vec<String>, Unsupported> {
        let mut out = Vec::new();
        render(change, from, to, &mut out)?;
        Ok(out)
    }
}

fn render(
    change: &Change,
    from: &Catalog,
    to: &Catalog,
    out: &mut Vec<String>,
) -> Result<(), Unsupported> {
    match change {
        // A schema or an extension the diff drops and creates again only
        // changed (its comment, its schema): changed in place.
        Change::CreateSchema(s) => match from.schemas.get(&s.name) {
            Some(old) => {
                if old.comment != s.comment {
                    out.push(comment("SCHEMA", &ident(&s.name), &s.comment));
                }
            }
            None => {
                out.push(format!("CREATE SCHEMA {}", ident(&s.name)));
                if s.comment.is_some() {
                    out.push(comment("SCHEMA", &ident(&s.name), &s.comment));
                }
            }
        },
        Change::DropSchema(s) => {
            if !to.schemas.contains_key(&s.name) {
                out.push(format!("DROP SCHEMA {}", ident(&s.name)));
            }
        }
        Change::CreateExtension(e) => {
            if from.extensions.contains_key(&e.name) {
                out.push(format!(
                    "ALTER EXTENSION {} SET SCHEMA {}",
                    ident(&e.name),
                    ident(&e.schema)
                ));
            } else {
                out.push(format!(
                    "CREATE EXTENSION {} WITH SCHEMA {}",
                    ident(&e.name),
                    ident(&e.schema)
                ));
            }
        }
        Change::DropExtension(e) => {
            if !to.extensions.contains_key(&e.name) {
                out.push(format!("DROP EXTENSION {}", ident(&e.name)));
            }
        }
        Change::CreateEnum(e) => create_enum(e, out),
        Change::DropEnum(e) => out.push(format!("DROP TYPE {}", qualified(&e.name))),
        Change::AddEnumLabel {
            name,
            label,
            before,
        } => out.push(format!(
            "ALTER TYPE {} ADD VALUE {}{}",
            qualified(name),
            literal(label),
            before
                .as_ref()
                .map(|b| format!(" BEFORE {}", literal(b)))
                .unwrap_or_default()
        )),
        Change::RecreateEnum { from: a, to: b } => recreate_enum(a, b, from, to, out),
        Change::CreateSequence(s) => {
            out.push(create_sequence(s));
            // Owned now if its column exists; else once its table or column is made.
            if let Some((t, c)) = &s.owned_by {
                if column_exists(from, t, c) {
                    out.push(owned_by(s, t, c));
                }
            }
        }
        Change::DropSequence(s) => out.push(format!("DROP SEQUENCE {}", qualified(&s.name))),
        Change::AlterSequence { from: a, to: b } => alter_sequence(a, b, from, out),
        Change::CreateTable(t) => create_table(t, from, to, out),
        Change::DropTable(t) => out.push(format!("DROP TABLE {}", qualified(&t.name))),
        Change::RenameTable { from: a, to: b } => rename_table(a, b, from, out),
        Change::RebuildTable { from: a, .. } => {
            return Err(Unsupported {
                what: format!("rebuild table {}", a.name),
                why: "PostgreSQL alters tables in place; a rebuild is never planned for it".into(),
            })
        }
        Change::AddColumn { table, column, .. } => {
            if !inherited(to, table, &column.name) {
                out.push(format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    qualified(table),
                    column_definition(column)
                ));
            }
            if column.comment.is_some() {
                out.push(column_comment(table, column));
            }
            owned_sequences(table, Some(&column.name), from, to, out);
        }
        Change::DropColumn { table, column } => {
            if !inherited(from, table, &column.name) && !inherited(to, table, &column.name) {
                out.push(format!(
                    "ALTER TABLE {} DROP COLUMN {}",
                    qualified(table),
                    ident(&column.name)
                ));
            }
        }
        Change::RenameColumn {
            table,
            from: a,
            to: b,
        } => {
            if !inherited(to, table, b) {
                out.push(format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    qualified(table),
                    ident(a),
                    ident(b)
                ));
            }
        }
        Change::AlterColumn {
            table,
            from: a,
            to: b,
            ..
        } => alter_column(table, a, b, from, to, out),
        Change::AddPrimaryKey { table, key } | Change::AddUnique { table, key } => {
            out.push(add_constraint(table, key.name.as_deref(), &key.definition));
        }
        Change::AddCheck { table, check } => out.push(add_constraint(
            table,
            check.name.as_deref(),
            &check.definition,
        )),
        Change::AddForeignKey { table, fk } => {
            out.push(add_constraint(table, fk.name.as_deref(), &fk.definition));
        }
        Change::DropPrimaryKey { table, key } | Change::DropUnique { table, key } => {
            out.push(drop_constraint(table, key.name.as_deref()));
        }
        Change::DropCheck { table, check } => {
            out.push(drop_constraint(table, check.name.as_deref()));
        }
        Change::DropForeignKey { table, fk } => {
            out.push(drop_constraint(table, fk.name.as_deref()));
        }
        // An index whose comment alone changed keeps the index.
        Change::CreateIndex { table, index } => {
            if comment_only(table, index, from, to) {
                out.push(comment(
                    "INDEX",
                    &sibling(table, &index.name),
                    &index.comment,
                ));
            } else {
                create_index(table, index, out);
            }
        }
        Change::DropIndex { table, index } => {
            if !comment_only(table, index, from, to) {
                out.push(format!("DROP INDEX {}", sibling(table, &index.name)));
            }
        }
        Change::AlterTableOptions {
            table,
            from: a,
            to: b,
        } => table_options(table, a, b, to, out)?,
        Change::SetTableComment { table, comment: c } => {
            out.push(comment("TABLE", &qualified(table), c));
        }
        Change::CreateView(v) => create_view(v, out),
        Change::DropView(v) => out.push(format!("DROP {} {}", view_word(v), qualified(&v.name))),
        Change::CreateRoutine(r) => create_routine(r, out),
        Change::DropRoutine(r) => out.push(format!("DROP {}", routine_signature(r))),
        Change::ReplaceRoutine { from: a, to: b } => replace_routine(a, b, out),
        Change::CreateTrigger(t) => out.push(t.definition.clone()),
        Change::DropTrigger(t) => out.push(format!(
            "DROP TRIGGER {} ON {}",
            ident(&t.name),
            qualified(&t.table)
        )),
        Change::CreateEvent(e) | Change::DropEvent(e) => {
            return Err(Unsupported {
                what: format!("change event {}", e.name),
                why: "events are MySQL's; PostgreSQL has none (use pg_cron or a scheduler)".into(),
            })
        }
    }
    Ok(())
}

/// `COMMENT ON <what> <name> IS …` (NULL removes it).
fn comment(what: &str, name: &str, text: &Option<String>) -> String {
    format!(
        "COMMENT ON {what} {name} IS {}",
        text.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

fn column_comment(table: &QName, c: &Column) -> String {
    comment(
        "COLUMN",
        &format!("{}.{}", qualified(table), ident(&c.name)),
        &c.comment,
    )
}

fn create_enum(e: &EnumType, out: &mut Vec<String>) {
    let labels: Vec<String> = e.labels.iter().map(|l| literal(l)).collect();
    out.push(format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(&e.name),
        labels.join(", ")
    ));
    if e.comment.is_some() {
        out.push(comment("TYPE", &qualified(&e.name), &e.comment));
    }
}

/// An enum whose labels were removed or reordered: the old type renamed out
/// of the way, the new one made, every column that used the old one
/// converted through its text (its default set again after), the old one
/// dropped. Only the comment changed: the comment.
fn recreate_enum(a: &EnumType, b: &EnumType, from: &Catalog, to: &Catalog, out: &mut Vec<String>) {
    if a.labels == b.labels {
        out.push(comment("TYPE", &qualified(&b.name), &b.comment));
        return;
    }
    let old_name = format!("{}__migrate_old", a.name.name);
    let new_type = qualified(&b.name);
    out.push(format!(
        "ALTER TYPE {} RENAME TO {}",
        qualified(&a.name),
        ident(&old_name)
    ));
    create_enum(b, out);
    let array = format!("{new_type}[]");
    for t in from.tables.values() {
        for c in &t.columns {
            let ty = if c.data_type == new_type {
                &new_type
            } else if c.data_type == array {
                &array
            } else {
                continue;
            };
            if inherited(from, &t.name, &c.name) {
                continue;
            }
            let table = qualified(&t.name);
            let col = ident(&c.name);
            let through = if ty == &array { "text[]" } else { "text" };
            if c.default.is_some() {
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT"
                ));
            }
            out.push(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} TYPE {ty} USING {col}::{through}::{ty}"
            ));
            // The default the column has once changed, where it keeps it.
            let default = to
                .tables
                .get(&t.name)
                .and_then(|t| t.column(&c.name))
                .filter(|n| n.data_type == c.data_type)
                .and_then(|n| n.default.as_ref());
            if let (Some(_), Some(d)) = (&c.default, default) {
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {d}"
                ));
            }
        }
    }
    out.push(format!("DROP TYPE {}", sibling(&a.name, &old_name)));
}

/// The type's own bounds, which `CREATE SEQUENCE` takes when none is given.
fn type_bounds(data_type: &str) -> (i64, i64) {
    match data_type {
        "smallint" => (i16::MIN.into(), i16::MAX.into()),
        "integer" => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The options of a sequence that differ from what PostgreSQL takes by
/// default for its type and direction.
fn sequence_options(s: &Sequence) -> Vec<String> {
    let (lo, hi) = type_bounds(&s.data_type);
    let (min, max) = if s.increment > 0 { (1, hi) } else { (lo, -1) };
    let start = if s.increment > 0 { s.min } else { s.max };
    let mut o = Vec::new();
    if s.increment != 1 {
        o.push(format!("INCREMENT BY {}", s.increment));
    }
    if s.min != min {
        o.push(format!("MINVALUE {}", s.min));
    }
    if s.max != max {
        o.push(format!("MAXVALUE {}", s.max));
    }
    if s.start != start {
        o.push(format!("START WITH {}", s.start));
    }
    if s.cache != 1 {
        o.push(format!("CACHE {}", s.cache));
    }
    if s.cycle {
        o.push("CYCLE".into());
    }
    o
}

fn create_sequence(s: &Sequence) -> String {
    let mut sql = format!("CREATE SEQUENCE {}", qualified(&s.name));
    if s.data_type != "bigint" {
        sql.push_str(&format!(" AS {}", s.data_type));
    }
    for o in sequence_options(s) {
        sql.push(' ');
        sql.push_str(&o);
    }
    sql
}

fn owned_by(s: &Sequence, t: &QName, c: &str) -> String {
    format!(
        "ALTER SEQUENCE {} OWNED BY {}.{}",
        qualified(&s.name),
        qualified(t),
        ident(c)
    )
}

fn column_exists(c: &Catalog, table: &QName, column: &str) -> bool {
    c.tables
        .get(table)
        .is_some_and(|t| t.column(column).is_some())
}

/// Sequences owned by `table` (by `column` only, where given) in the schema
/// after that were not owned so before: owned now that the column exists.
fn owned_sequences(
    table: &QName,
    column: Option<&str>,
    from: &Catalog,
    to: &Catalog,
    out: &mut Vec<String>,
) {
    for s in to.sequences.values() {
        let Some((t, c)) = &s.owned_by else { continue };
        if t != table || column.is_some_and(|col| col != c) {
            continue;
        }
        let before = from
            .sequences
            .get(&s.name)
            .and_then(|f| f.owned_by.as_ref());
        if before != s.owned_by.as_ref() {
            out.push(owned_by(s, t, c));
        }
    }
}

fn alter_sequence(a: &Sequence, b: &Sequence, from: &Catalog, out: &mut Vec<String>) {
    let mut name = a.name.clone();
    if a.name.schema != b.name.schema {
        out.push(format!(
            "ALTER SEQUENCE {} SET SCHEMA {}",
            qualified(&name),
            ident(b.name.schema.as_deref().unwrap_or("public"))
        ));
        name.schema = b.name.schema.clone();
    }
    if a.name.name != b.name.name {
        out.push(format!(
            "ALTER SEQUENCE {} RENAME TO {}",
            qualified(&name),
            ident(&b.name.name)
        ));
    }
    let mut o = Vec::new();
    if a.data_type != b.data_type {
        o.push(format!("AS {}", b.data_type));
    }
    if a.increment != b.increment {
        o.push(format!("INCREMENT BY {}", b.increment));
    }
    if a.min != b.min || a.data_type != b.data_type {
        o.push(format!("MINVALUE {}", b.min));
    }
    if a.max != b.max || a.data_type != b.data_type {
        o.push(format!("MAXVALUE {}", b.max));
    }
    if a.start != b.start {
        o.push(format!("START WITH {}", b.start));
    }
    if a.cache != b.cache {
        o.push(format!("CACHE {}", b.cache));
    }
    if a.cycle != b.cycle {
        o.push(if b.cycle { "CYCLE" } else { "NO CYCLE" }.into());
    }
    if !o.is_empty() {
        out.push(format!(
            "ALTER SEQUENCE {} {}",
            qualified(&b.name),
            o.join(" ")
        ));
    }
    if a.owned_by != b.owned_by {
        match &b.owned_by {
            None => out.push(format!(
                "ALTER SEQUENCE {} OWNED BY NONE",
                qualified(&b.name)
            )),
            // A column made later takes it then; one renamed keeps it.
            Some((t, c)) => {
                if column_exists(from, t, c) {
                    out.push(owned_by(b, t, c));
                }
            }
        }
    }
}

/// A column as `CREATE TABLE` and `ADD COLUMN` write it.
fn column_definition(c: &Column) -> String {
    let mut sql = format!("{} {}", ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        sql.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(g) = &c.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", g.expression));
    } else if let Some(i) = &c.identity {
        sql.push_str(&format!(" GENERATED {i} AS IDENTITY"));
    } else if let Some(d) = &c.default {
        sql.push_str(&format!(" DEFAULT {d}"));
    }
    if !c.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// True when `column` of `table` is a partition's column its partitioned
/// table has: the partitioned table's changes reach it, its own cannot.
fn inherited(c: &Catalog, table: &QName, column: &str) -> bool {
    c.tables
        .get(table)
        .and_then(|t| t.options.partition_of.as_ref())
        .is_some_and(|(parent, _)| column_exists(c, parent, column))
}

fn add_constraint(table: &QName, name: Option<&str>, definition: &str) -> String {
    match name {
        Some(n) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
            qualified(table),
            ident(n)
        ),
        None => format!("ALTER TABLE {} ADD {definition}", qualified(table)),
    }
}

fn drop_constraint(table: &QName, name: Option<&str>) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        qualified(table),
        ident(name.unwrap_or_default())
    )
}

fn create_index(table: &QName, index: &Index, out: &mut Vec<String>) {
    out.push(index.definition.clone());
    if index.comment.is_some() {
        out.push(comment(
            "INDEX",
            &sibling(table, &index.name),
            &index.comment,
        ));
    }
}

/// True when index `index` of `table` is on both sides with the same
/// definition: only its comment changed.
fn comment_only(table: &QName, index: &Index, from: &Catalog, to: &Catalog) -> bool {
    let find = |c: &Catalog| {
        c.tables
            .get(table)
            .and_then(|t| t.indexes.iter().find(|i| i.name == index.name))
            .map(|i| i.definition.clone())
    };
    let (a, b) = (find(from), find(to));
    a.is_some() && a == b
}

/// The constraints of a new table, each `CONSTRAINT name definition`.
fn constraints(t: &Table) -> Vec<(Option<&str>, &str)> {
    let mut all: Vec<(Option<&str>, &str)> = Vec::new();
    if let Some(k) = &t.primary_key {
        all.push((k.name.as_deref(), &k.definition));
    }
    all.extend(
        t.uniques
            .iter()
            .map(|k| (k.name.as_deref(), k.definition.as_str())),
    );
    all.extend(
        t.checks
            .iter()
            .map(|k| (k.name.as_deref(), k.definition.as_str())),
    );
    all.extend(
        t.foreign_keys
            .iter()
            .map(|k| (k.name.as_deref(), k.definition.as_str())),
    );
    all
}

fn create_table(t: &Table, from: &Catalog, to: &Catalog, out: &mut Vec<String>) {
    let name = qualified(&t.name);
    // A constraint NOT VALID is made valid inside CREATE TABLE: added after.
    let (later, inline): (Vec<_>, Vec<_>) = constraints(t)
        .into_iter()
        .partition(|(_, def)| def.ends_with("NOT VALID"));
    let partition_by = t
        .options
        .partition_by
        .as_ref()
        .map(|p| format!(" PARTITION BY {p}"))
        .unwrap_or_default();
    let mut after = Vec::new();
    if let Some((parent, bound)) = &t.options.partition_of {
        // Its columns are its partitioned table's: only what differs is set.
        out.push(format!(
            "CREATE TABLE {name} PARTITION OF {} {bound}{partition_by}",
            qualified(parent)
        ));
        let parent_table = to.tables.get(parent);
        for c in &t.columns {
            let p = parent_table.and_then(|p| p.column(&c.name));
            let col = ident(&c.name);
            if p.is_some_and(|p| p.default != c.default) {
                out.push(match &c.default {
                    Some(d) => format!("ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {d}"),
                    None => format!("ALTER TABLE {name} ALTER COLUMN {col} DROP DEFAULT"),
                });
            }
            if p.is_some_and(|p| p.nullable && !c.nullable) {
                out.push(format!(
                    "ALTER TABLE {name} ALTER COLUMN {col} SET NOT NULL"
                ));
            }
        }
        after.extend(inline);
    } else {
        let mut items: Vec<String> = t.columns.iter().map(column_definition).collect();
        for (n, def) in inline {
            items.push(match n {
                Some(n) => format!("CONSTRAINT {} {def}", ident(n)),
                None => def.to_string(),
            });
        }
        let body = if items.is_empty() {
            String::new()
        } else {
            format!("\n    {}\n", items.join(",\n    "))
        };
        out.push(format!("CREATE TABLE {name} ({body}){partition_by}"));
    }
    for (n, def) in after.into_iter().chain(later) {
        out.push(add_constraint(&t.name, n, def));
    }
    for i in &t.indexes {
        create_index(&t.name, i, out);
    }
    if t.comment.is_some() {
        out.push(comment("TABLE", &name, &t.comment));
    }
    for c in t.columns.iter().filter(|c| c.comment.is_some()) {
        out.push(column_comment(&t.name, c));
    }
    owned_sequences(&t.name, None, from, to, out);
}

fn rename_table(a: &QName, b: &QName, from: &Catalog, out: &mut Vec<String>) {
    let mut name = a.clone();
    if a.schema != b.schema {
        out.push(format!(
            "ALTER TABLE {} SET SCHEMA {}",
            qualified(a),
            ident(b.schema.as_deref().unwrap_or("public"))
        ));
        name.schema = b.schema.clone();
    }
    if a.name != b.name {
        out.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            qualified(&name),
            ident(&b.name)
        ));
    }
    // What is named after the table follows its name (the diff compares
    // them so: `rename_keeps_dependents`); foreign keys keep theirs.
    let Some(t) = from.tables.get(a) else { return };
    let renamed = |n: &str| renamed_with_table(n, &a.name, &b.name);
    let keys = t.primary_key.iter().chain(&t.uniques).map(|k| &k.name);
    for old in keys.chain(t.checks.iter().map(|c| &c.name)).flatten() {
        if let Some(new) = renamed(old) {
            out.push(format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                qualified(b),
                ident(old),
                ident(&new)
            ));
        }
    }
    for i in &t.indexes {
        if let Some(new) = renamed(&i.name) {
            out.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                sibling(b, &i.name),
                ident(&new)
            ));
        }
    }
}

/// The type of an enum (or an array of one) of either schema, for a cast
/// that must go through text.
fn is_enum(data_type: &str, from: &Catalog, to: &Catalog) -> bool {
    let base = data_type.trim_end_matches("[]");
    from.enums
        .keys()
        .chain(to.enums.keys())
        .any(|e| qualified(e) == base)
}

fn alter_column(
    table: &QName,
    a: &Column,
    b: &Column,
    from: &Catalog,
    to: &Catalog,
    out: &mut Vec<String>,
) {
    let t = qualified(table);
    let col = ident(&b.name);
    let alter = |what: String| format!("ALTER TABLE {t} ALTER COLUMN {col} {what}");
    if inherited(to, table, &b.name) {
        // The partitioned table's change reaches the column; its default
        // and comment are its own.
        if a.default != b.default {
            out.push(alter(match &b.default {
                Some(d) => format!("SET DEFAULT {d}"),
                None => "DROP DEFAULT".into(),
            }));
        }
        if a.comment != b.comment {
            out.push(column_comment(table, b));
        }
        return;
    }
    if b.generated.is_some() && a.generated != b.generated {
        // PostgreSQL 15 cannot change a generation expression, nor make a
        // column generated: the column is made again, with the indexes and
        // constraints that went with it.
        out.push(format!("ALTER TABLE {t} DROP COLUMN {col}"));
        out.push(format!(
            "ALTER TABLE {t} ADD COLUMN {}",
            column_definition(b)
        ));
        if b.comment.is_some() {
            out.push(column_comment(table, b));
        }
        put_back_after_column(table, &b.name, from, to, out);
        return;
    }
    let retype = a.data_type != b.data_type || a.collation != b.collation;
    let adds_identity = a.identity.is_none() && b.identity.is_some();
    if a.generated.is_some() && b.generated.is_none() {
        out.push(alter("DROP EXPRESSION".into()));
    }
    // The old default may not convert to the new type, and an identity
    // column has none.
    let drops_default = a.default.is_some() && (a.default != b.default || retype || adds_identity);
    if drops_default {
        out.push(alter("DROP DEFAULT".into()));
    }
    if a.identity.is_some() && b.identity.is_none() {
        out.push(alter("DROP IDENTITY".into()));
    }
    if retype {
        let collate = b
            .collation
            .as_ref()
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default();
        let through = if is_enum(&a.data_type, from, to) || is_enum(&b.data_type, from, to) {
            if b.data_type.ends_with("[]") {
                "::text[]"
            } else {
                "::text"
            }
        } else {
            ""
        };
        // A generated column is computed again; it takes no USING.
        let using = if b.generated.is_some() {
            String::new()
        } else {
            format!(" USING {col}{through}::{}", b.data_type)
        };
        out.push(alter(format!("TYPE {}{collate}{using}", b.data_type)));
    }
    if a.nullable && !b.nullable {
        out.push(alter("SET NOT NULL".into()));
    }
    if !a.nullable && b.nullable {
        out.push(alter("DROP NOT NULL".into()));
    }
    match (&a.identity, &b.identity) {
        (None, Some(i)) => {
            out.push(alter(format!("ADD GENERATED {i} AS IDENTITY")));
            // The rows there already hold values: the identity goes on after them.
            out.push(format!(
                "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), coalesce(max({col}), 0) + 1, false) FROM {t}",
                literal(&t),
                literal(&b.name)
            ));
        }
        (Some(x), Some(y)) if x != y => out.push(alter(format!("SET GENERATED {y}"))),
        _ => {}
    }
    if let Some(d) = &b.default {
        if drops_default || a.default.is_none() {
            out.push(alter(format!("SET DEFAULT {d}")));
        }
    }
    if a.comment != b.comment {
        out.push(column_comment(table, b));
    }
}

/// True when `definition` names `column` (as a whole word, bare or quoted).
fn mentions(definition: &str, column: &str) -> bool {
    let quoted = ident(column);
    if quoted.starts_with('"') {
        return definition.contains(quoted.as_ref());
    }
    definition.match_indices(column).any(|(i, _)| {
        let before = definition[..i].chars().next_back();
        let after = definition[i + column.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// After a column is made again: the indexes and constraints of the table
/// that named it and that the change keeps (the diff makes the others).
fn put_back_after_column(
    table: &QName,
    column: &str,
    from: &Catalog,
    to: &Catalog,
    out: &mut Vec<String>,
) {
    let (Some(a), Some(b)) = (from.tables.get(table), to.tables.get(table)) else {
        return;
    };
    for (n, def) in constraints(b) {
        let kept = constraints(a).contains(&(n, def));
        if kept && mentions(def, column) {
            out.push(add_constraint(table, n, def));
        }
    }
    for i in &b.indexes {
        if a.indexes.contains(i) && mentions(&i.definition, column) {
            create_index(table, i, out);
        }
    }
}

fn table_options(
    table: &QName,
    a: &TableOptions,
    b: &TableOptions,
    to: &Catalog,
    out: &mut Vec<String>,
) -> Result<(), Unsupported> {
    if a.partition_by != b.partition_by {
        return Err(Unsupported {
            what: format!("change how table {table} is partitioned"),
            why: "PostgreSQL cannot change a table's PARTITION BY, nor make a table partitioned or not; \
                  create the new table under another name, copy the rows, drop the old one and rename \
                  the new one (--renamed-from), in a revision of its own"
                .into(),
        });
    }
    if a.partition_of == b.partition_of {
        return Ok(());
    }
    let name = qualified(table);
    if let Some((parent, bound)) = &a.partition_of {
        // A parent that is gone from the schema after was renamed (dropping
        // it would have dropped this partition too): it is the new one.
        let parent = match &b.partition_of {
            _ if to.tables.contains_key(parent) => parent,
            Some((_, same)) if same == bound => return Ok(()),
            Some((renamed, _)) => renamed,
            None => parent,
        };
        out.push(format!(
            "ALTER TABLE {} DETACH PARTITION {name}",
            qualified(parent)
        ));
    }
    if let Some((parent, bound)) = &b.partition_of {
        out.push(format!(
            "ALTER TABLE {} ATTACH PARTITION {name} {bound}",
            qualified(parent)
        ));
    }
    Ok(())
}

fn view_word(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

/// `CREATE [MATERIALIZED] VIEW` of a view as the reader read it.
pub(super) fn create_view_sql(v: &View) -> String {
    let query = v.definition.trim_end().trim_end_matches(';');
    let options = v
        .options
        .as_ref()
        .map(|o| format!(" WITH ({o})"))
        .unwrap_or_default();
    format!(
        "CREATE {} {}{options} AS{query}",
        view_word(v),
        qualified(&v.name)
    )
}

fn create_view(v: &View, out: &mut Vec<String>) {
    out.push(create_view_sql(v));
    for i in &v.indexes {
        create_index(&v.name, i, out);
    }
    if v.comment.is_some() {
        out.push(comment(view_word(v), &qualified(&v.name), &v.comment));
    }
}

/// `FUNCTION public.f(integer)` or `PROCEDURE …`: for DROP and COMMENT.
fn routine_signature(r: &Routine) -> String {
    format!(
        "{} {}({})",
        if r.procedure { "PROCEDURE" } else { "FUNCTION" },
        qualified(&r.id.name),
        r.id.arguments
    )
}

fn routine_comment(r: &Routine) -> String {
    format!(
        "COMMENT ON {} IS {}",
        routine_signature(r),
        r.comment.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

/// A routine made with `check_function_bodies` off, as `pg_dump` makes
/// it: its body may name what is created after it.
fn create_routine(r: &Routine, out: &mut Vec<String>) {
    out.push("SET check_function_bodies = false".into());
    out.push(r.definition.clone());
    out.push("RESET check_function_bodies".into());
    if r.comment.is_some() {
        out.push(routine_comment(r));
    }
}

/// What `CREATE OR REPLACE` cannot change: the kind, the name and
/// arguments (names and defaults too: the first line), the result type.
fn routine_head(r: &Routine) -> (bool, &str, Option<&str>) {
    let first = r.definition.lines().next().unwrap_or_default();
    let returns = r
        .definition
        .lines()
        .find(|l| l.trim_start().starts_with("RETURNS "));
    (r.procedure, first, returns)
}

fn replace_routine(a: &Routine, b: &Routine, out: &mut Vec<String>) {
    if a.definition == b.definition {
        out.push(routine_comment(b));
        return;
    }
    if routine_head(a) != routine_head(b) {
        out.push(format!("DROP {}", routine_signature(a)));
        create_routine(b, out);
        return;
    }
    out.push("SET check_function_bodies = false".into());
    out.push(b.definition.clone());
    out.push("RESET check_function_bodies".into());
    if a.comment != b.comment {
        out.push(routine_comment(b));
    }
}

/// `text` with the name `old` written `new` wherever it stands as a whole
/// name, bare or quoted, as the server writes it (`ident`).
fn renamed_in(text: &str, old: &str, new: &str) -> String {
    let (old, new) = (ident(old), ident(new));
    if old == new {
        return text.to_string();
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices(old.as_ref()) {
        let before = text[..i].chars().next_back();
        let after = text[i + old.len()..].chars().next();
        let whole = old.starts_with('"') || (!before.is_some_and(word) && !after.is_some_and(word));
        if whole && i >= last {
            out.push_str(&text[last..i]);
            out.push_str(&new);
            last = i + old.len();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The name a key, check or index named after a table (`accounts_pkey`,
/// `accounts_email_key`) takes when the table is renamed, if it is.
fn renamed_with_table(name: &str, old: &str, new: &str) -> Option<String> {
    let rest = name.strip_prefix(old)?;
    (old != new && rest.starts_with('_')).then(|| format!("{new}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_reach_whole_names_only() {
        assert_eq!(
            renamed_in(
                "CREATE INDEX t_a ON public.t USING btree (a, a_b)",
                "a",
                "z"
            ),
            "CREATE INDEX t_a ON public.t USING btree (z, a_b)"
        );
        assert_eq!(
            renamed_in("CHECK ((\"A b\" > 0))", "A b", "c"),
            "CHECK ((c > 0))"
        );
        assert_eq!(renamed_in("myt, t2, t$, (t)", "t", "u"), "myt, t2, t$, (u)");
        assert_eq!(
            renamed_with_table("accounts_pkey", "accounts", "users").as_deref(),
            Some("users_pkey")
        );
        assert_eq!(renamed_with_table("accountsx", "accounts", "users"), None);
    }
}
