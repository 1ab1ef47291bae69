//! SQLite's schema read into the normalized model, from the database's own
//! catalog: `sqlite_schema` (the text of every object), `pragma_table_list`
//! (`STRICT`, `WITHOUT ROWID`, virtual and shadow tables),
//! `pragma_table_xinfo` (columns: type as declared, default as written,
//! generated and hidden columns, primary key), `pragma_index_list` and
//! `pragma_index_xinfo` (unique constraints), `pragma_foreign_key_list`
//! (foreign keys and their actions). One query per kind, each over every
//! table at once (the table-valued pragmas joined to `sqlite_schema`).
//!
//! What no pragma gives is read from the `CREATE TABLE` text (`sqltext`):
//! check constraints, generated expressions, `COLLATE`, `AUTOINCREMENT`,
//! each column's definition as written, a virtual table's `USING`. Views,
//! triggers and indexes are their text, normalized (`sqltext::normalize`).
//! Internal tables (`sqlite_sequence`, `sqlite_stat*`), the shadow tables of
//! virtual tables, the indexes SQLite makes for constraints and `migrate`'s
//! own tables are left out.

use super::sqltext::{self, ident, TableSql};
use crate::schema::model::*;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `sqlite_schema` rows of user objects (SQLite reserves names starting with `sqlite_`).
const OBJECTS: &str = "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name";

const TABLES: &str = "SELECT name, type, wr, strict FROM pragma_table_list \
     WHERE schema = 'main' AND type IN ('table', 'virtual') \
     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

const COLUMNS: &str = "SELECT m.name, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden \
     FROM main.sqlite_schema m JOIN pragma_table_xinfo(m.name, 'main') c \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, c.cid";

const FOREIGN_KEYS: &str =
    "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
     FROM main.sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, f.id, f.seq";

/// The columns of the unique constraints (`origin = 'u'`), in key order.
const UNIQUES: &str = "SELECT m.name, l.name, x.name \
     FROM main.sqlite_schema m JOIN pragma_index_list(m.name, 'main') l \
     JOIN pragma_index_xinfo(l.name, 'main') x \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND l.origin = 'u' AND x.key = 1 \
     ORDER BY m.name, l.name, x.seqno";

/// Tables by their name in lower case: SQLite's names ignore ASCII case.
type ByName<'a> = HashMap<String, &'a str>;

fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The schema of `main`, without `own`'s tables.
pub(crate) fn read(conn: &Connection, own: &[QName]) -> rusqlite::Result<Catalog> {
    let own: BTreeSet<String> = own
        .iter()
        .filter(|q| {
            q.schema
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("main"))
        })
        .map(|q| lower(&q.name))
        .collect();
    let objects: Vec<(String, String, String, Option<String>)> = conn
        .prepare(OBJECTS)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let table_sql: HashMap<String, &str> = objects
        .iter()
        .filter(|o| o.0 == "table")
        .filter_map(|o| Some((lower(&o.1), o.3.as_deref()?)))
        .collect();

    let mut tables: BTreeMap<String, (Table, TableSql)> = BTreeMap::new();
    let mut stmt = conn.prepare(TABLES)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        if own.contains(&lower(&name)) {
            continue;
        }
        let sql = table_sql.get(&lower(&name)).copied().unwrap_or_default();
        let parsed = sqltext::parse_table(sql).unwrap_or_default();
        let table = Table {
            name: QName::bare(&name),
            options: TableOptions {
                without_rowid: r.get::<_, i64>(2)? != 0,
                strict: r.get::<_, i64>(3)? != 0,
                using: parsed.using.clone(),
                create_sql: Some(sql.to_string()),
                ..TableOptions::default()
            },
            checks: parsed
                .checks
                .iter()
                .map(|(name, expr)| Check {
                    name: name.clone(),
                    definition: format!("CHECK ({expr})"),
                    ..Check::default()
                })
                .collect(),
            ..Table::default()
        };
        tables.insert(lower(&name), (table, parsed));
    }

    columns(conn, &mut tables)?;
    uniques(conn, &mut tables)?;
    let names: ByName = tables
        .iter()
        .map(|(k, (t, _))| (k.clone(), t.name.name.as_str()))
        .collect();
    let fks = foreign_keys(conn, &tables, &names)?;
    for (key, list) in fks {
        if let Some((t, _)) = tables.get_mut(&key) {
            t.foreign_keys = list;
        }
    }

    let mut catalog = Catalog::default();
    for (_, (mut table, _)) in tables {
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        catalog.tables.insert(table.name.clone(), table);
    }
    objects_of_tables(&objects, &own, &mut catalog);
    Ok(catalog)
}

/// Columns and primary keys.
fn columns(
    conn: &Connection,
    tables: &mut BTreeMap<String, (Table, TableSql)>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(COLUMNS)?;
    let mut rows = stmt.query([])?;
    let mut pk: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let table: String = r.get(0)?;
        let Some((t, parsed)) = tables.get_mut(&lower(&table)) else {
            continue;
        };
        let hidden: i64 = r.get(6)?;
        // 1: a virtual table's hidden column; 2 and 3: generated, virtual or stored.
        if hidden == 1 {
            continue;
        }
        let name: String = r.get(1)?;
        let written = parsed
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&name));
        let generated = (hidden >= 2).then(|| Generated {
            expression: written
                .and_then(|c| c.generated.clone())
                .unwrap_or_default(),
            stored: hidden == 3,
        });
        let key: i64 = r.get(5)?;
        if key > 0 {
            pk.entry(lower(&table))
                .or_default()
                .push((key, name.clone()));
        }
        t.columns.push(Column {
            name,
            data_type: r.get(2)?,
            nullable: r.get::<_, i64>(3)? == 0,
            default: r.get(4)?,
            auto_increment: written.is_some_and(|c| c.autoincrement),
            generated,
            // Collation names ignore case (`nocase` is `NOCASE`).
            collation: written.and_then(|c| c.collation.as_deref().map(str::to_uppercase)),
            definition: written.map(|c| c.definition.clone()),
            ..Column::default()
        });
    }
    for (table, mut cols) in pk {
        cols.sort();
        if let Some((t, _)) = tables.get_mut(&table) {
            let columns: Vec<String> = cols.into_iter().map(|(_, c)| c).collect();
            t.primary_key = Some(Key {
                name: None,
                definition: format!("PRIMARY KEY ({})", list(&columns)),
                columns,
            });
        }
    }
    Ok(())
}

/// Names as a comma list, quoted where they must be.
fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unique constraints, from the indexes SQLite made for them.
fn uniques(
    conn: &Connection,
    tables: &mut BTreeMap<String, (Table, TableSql)>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(UNIQUES)?;
    let mut rows = stmt.query([])?;
    let mut keys: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let column: Option<String> = r.get(2)?;
        keys.entry((lower(&r.get::<_, String>(0)?), r.get(1)?))
            .or_default()
            .extend(column);
    }
    for ((table, _), columns) in keys {
        if let Some((t, _)) = tables.get_mut(&table) {
            t.uniques.push(Key {
                name: None,
                definition: format!("UNIQUE ({})", list(&columns)),
                columns,
            });
        }
    }
    for (t, _) in tables.values_mut() {
        t.uniques.sort_by(|a, b| a.columns.cmp(&b.columns));
    }
    Ok(())
}

/// Foreign keys by table, with the names as the tables have them (SQLite
/// keeps them as the `REFERENCES` clause wrote them, in any case) and the
/// parent's primary key where the clause names no columns.
fn foreign_keys(
    conn: &Connection,
    tables: &BTreeMap<String, (Table, TableSql)>,
    names: &ByName,
) -> rusqlite::Result<BTreeMap<String, Vec<ForeignKey>>> {
    let column_of = |table: &str, column: &str| -> String {
        tables
            .get(&lower(table))
            .and_then(|(t, _)| {
                t.columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(column))
            })
            .map_or_else(|| column.to_string(), |c| c.name.clone())
    };
    let mut stmt = conn.prepare(FOREIGN_KEYS)?;
    let mut rows = stmt.query([])?;
    let mut keys: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let table: String = r.get(0)?;
        let parent: String = r.get(2)?;
        let parent = names
            .get(&lower(&parent))
            .map_or(parent, std::string::ToString::to_string);
        let fk = keys
            .entry((lower(&table), r.get(1)?))
            .or_insert_with(|| ForeignKey {
                ref_table: QName::bare(&parent),
                ..ForeignKey::default()
            });
        fk.columns.push(column_of(&table, &r.get::<_, String>(3)?));
        if let Some(to) = r.get::<_, Option<String>>(4)? {
            fk.ref_columns.push(column_of(&parent, &to));
        }
        fk.on_update = r.get(5)?;
        fk.on_delete = r.get(6)?;
    }
    let mut out: BTreeMap<String, Vec<ForeignKey>> = BTreeMap::new();
    for ((table, _), mut fk) in keys {
        if fk.ref_columns.is_empty() {
            // `REFERENCES parent` alone: the parent's primary key.
            if let Some(pk) = tables
                .get(&lower(&fk.ref_table.name))
                .and_then(|(t, _)| t.primary_key.as_ref())
            {
                fk.ref_columns = pk.columns.clone();
            }
        }
        out.entry(table).or_default().push(fk);
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            (&a.columns, &a.ref_table, &a.ref_columns).cmp(&(
                &b.columns,
                &b.ref_table,
                &b.ref_columns,
            ))
        });
    }
    Ok(out)
}

/// Indexes, views and triggers, from their text.
fn objects_of_tables(
    objects: &[(String, String, String, Option<String>)],
    own: &BTreeSet<String>,
    catalog: &mut Catalog,
) {
    let mut relations: HashMap<String, QName> = catalog
        .tables
        .keys()
        .map(|q| (lower(&q.name), q.clone()))
        .collect();
    for (kind, name, _, _) in objects {
        if kind == "view" {
            relations.insert(lower(name), QName::bare(name));
        }
    }
    let table_of = |tbl_name: &str| relations.get(&lower(tbl_name)).cloned();
    for (kind, name, tbl_name, sql) in objects {
        let Some(sql) = sql else { continue };
        match kind.as_str() {
            "index" => {
                let Some(table) = table_of(tbl_name) else {
                    continue;
                };
                if let Some(t) = catalog.tables.get_mut(&table) {
                    let unique = sqltext::tokens(sql)
                        .iter()
                        .filter(|t| t.kind == sqltext::Kind::Word)
                        .nth(1)
                        .is_some_and(|t| t.is("UNIQUE"));
                    t.indexes.push(Index {
                        name: name.clone(),
                        unique,
                        definition: sqltext::normalize(sql),
                        create_sql: Some(sqltext::strip_comments(sql)),
                        ..Index::default()
                    });
                }
            }
            "view" => {
                let own_name = lower(name);
                let mut depends_on: Vec<QName> = Vec::new();
                for n in sqltext::names(sql) {
                    if n == own_name {
                        continue;
                    }
                    if let Some(q) = relations.get(&n) {
                        if !depends_on.contains(q) {
                            depends_on.push(q.clone());
                        }
                    }
                }
                catalog.views.insert(
                    QName::bare(name),
                    View {
                        name: QName::bare(name),
                        definition: sqltext::normalize(sql),
                        create_sql: Some(sqltext::strip_comments(sql)),
                        depends_on,
                        ..View::default()
                    },
                );
            }
            "trigger" => {
                if own.contains(&lower(tbl_name)) {
                    continue;
                }
                let table = table_of(tbl_name).unwrap_or_else(|| QName::bare(tbl_name));
                catalog.triggers.insert(
                    (table.clone(), name.clone()),
                    Trigger {
                        table,
                        name: name.clone(),
                        definition: sqltext::normalize(sql),
                        create_sql: Some(sqltext::strip_comments(sql)),
                    },
                );
            }
            _ => {}
        }
    }
}
