//! Reads a PostgreSQL schema into the normalized model, from the server's
//! own catalog: one query per object kind over the whole database (never
//! one per table), with the server's canonical text for every expression,
//! type and definition (`format_type`, `pg_get_expr`, `pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_viewdef`, `pg_get_functiondef`,
//! `pg_get_triggerdef`).
//!
//! The reading session's `search_path` is emptied (as `pg_dump` does) so
//! that the server writes every name outside `pg_catalog` with its schema:
//! two databases read this way compare by text, and the definitions run as
//! they stand whatever the `search_path` of whoever runs them.
//!
//! Left out: the system schemas (`pg_catalog`, `information_schema`,
//! `pg_toast`, `pg_temp*`), objects that belong to an extension (a
//! `pg_depend` row of type `e`), `migrate`'s own tables with everything on
//! them, identity columns' sequences, and what a partition inherits from
//! its partitioned table (indexes, constraints, triggers cloned onto it).

// Every model value is built with `..Default::default()`, complete or not,
// so that a field another database adds to the model never breaks this file.
#![allow(clippy::needless_update)]

use super::Postgres;
use crate::dialect::{Database, DbError, Row};
use crate::schema::model::*;
use std::collections::{BTreeSet, HashMap};

/// A schema of the user's (not a system one).
const USER_SCHEMA: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/// Schemas (namespaces), `public` aside (every database has it).
const SCHEMAS: &str = "
SELECT n.nspname, de.description
FROM pg_namespace n
LEFT JOIN pg_description de ON de.objoid = n.oid AND de.classoid = 'pg_namespace'::regclass AND de.objsubid = 0
WHERE n.nspname <> 'public' AND {USER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')
ORDER BY 1";

/// Extensions, those in `pg_catalog` aside (`plpgsql`, which every database has).
const EXTENSIONS: &str = "
SELECT x.extname, n.nspname
FROM pg_extension x
JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE n.nspname <> 'pg_catalog'
ORDER BY 1";

const ENUMS: &str = "
SELECT n.nspname, t.typname,
       (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text,
       de.description
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_description de ON de.objoid = t.oid AND de.classoid = 'pg_type'::regclass AND de.objsubid = 0
WHERE t.typtype = 'e' AND {USER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
ORDER BY 1, 2";

/// Sequences with their owning column (`OWNED BY`), an identity column's
/// own sequence aside (dependency type `i`).
const SEQUENCES: &str = "
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle, tn.nspname, tc.relname, a.attname
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE {USER} AND d.deptype IS DISTINCT FROM 'i'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 1, 2";

/// Tables, partitioned tables, views and materialized views.
const RELATIONS: &str = "
SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text, de.description,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       pn.nspname, pc.relname,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
       CASE WHEN c.relkind IN ('v', 'm') THEN array_to_string(c.reloptions, ', ') END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description de ON de.objoid = c.oid AND de.classoid = 'pg_class'::regclass AND de.objsubid = 0
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 2, 3";

const COLUMNS: &str = "
SELECT a.attrelid::int8, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
       de.description
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_description de ON de.objoid = a.attrelid AND de.classoid = 'pg_class'::regclass AND de.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {USER}
ORDER BY a.attrelid, a.attnum";

/// Primary keys, unique, check, exclusion and foreign keys: those a
/// table declares itself (not cloned from a partitioned parent).
const CONSTRAINTS: &str = "
SELECT k.conrelid::int8, k.conname, k.contype::text, pg_get_constraintdef(k.oid),
       (SELECT json_agg(a.attname ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)::text,
       fn.nspname, fc.relname,
       (SELECT json_agg(a.attname ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)::text,
       k.confdeltype::text, k.confupdtype::text
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = k.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND k.conparentid = 0 AND k.conislocal AND {USER}
ORDER BY k.conrelid, k.conname";

/// Indexes no constraint owns, and not attached to a partitioned parent's index.
const INDEXES: &str = "
SELECT i.indrelid::int8, ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid), de.description
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description de ON de.objoid = i.indexrelid AND de.classoid = 'pg_class'::regclass AND de.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'm') AND {USER}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                  AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
ORDER BY i.indrelid, ic.relname";

/// What each view reads: its rewrite rule's dependencies on other relations.
const VIEW_DEPENDENCIES: &str = "
SELECT DISTINCT r.ev_class::int8, rn.nspname, rc.relname
FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
JOIN pg_class rc ON rc.oid = d.refobjid
JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE c.relkind IN ('v', 'm') AND rc.oid <> r.ev_class AND rc.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER}
ORDER BY 1, 2, 3";

/// Functions and procedures (not aggregates or window functions, which
/// `pg_get_functiondef` does not write, nor a range type's constructors,
/// which are the type's: dependency type `i`).
const ROUTINES: &str = "
SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), p.prokind::text,
       pg_get_functiondef(p.oid), de.description
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_description de ON de.objoid = p.oid AND de.classoid = 'pg_proc'::regclass AND de.objsubid = 0
WHERE p.prokind IN ('f', 'p') AND {USER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
ORDER BY 1, 2, 3";

/// Triggers a user made (not a constraint's internal ones, not clones on partitions).
const TRIGGERS: &str = "
SELECT t.tgrelid::int8, t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {USER}
ORDER BY 1, 2";

/// Reads the schema of the connected database, leaving out `own`.
pub(super) fn read(db: &mut Postgres, own: &[QName]) -> Result<Catalog, DbError> {
    let saved = db.query_rows("SELECT current_setting('search_path')", &[])?;
    let saved = saved
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default();
    db.query_rows("SELECT set_config('search_path', '', false)", &[])?;
    let read = read_all(
        &mut |sql| db.query_rows(&sql.replace("{USER}", USER_SCHEMA), &[]),
        own,
    );
    let restored = db.query_rows("SELECT set_config('search_path', $1, false)", &[&saved]);
    let catalog = read?;
    restored?;
    Ok(catalog)
}

/// A relation read so far, by its oid: where its columns, constraints,
/// indexes and triggers go.
enum Relation {
    Table(QName),
    View(QName),
}

fn read_all(
    query: &mut dyn FnMut(&str) -> Result<Vec<Row>, DbError>,
    own: &[QName],
) -> Result<Catalog, DbError> {
    let mut c = Catalog::default();
    for r in query(SCHEMAS)? {
        let name = text(&r, 0);
        // The schema migrate keeps its own tables in is migrate's (it makes
        // it where it runs); the tables of the user's in it are read.
        if own
            .iter()
            .any(|o| o.schema.as_deref() == Some(name.as_str()))
        {
            continue;
        }
        c.schemas.insert(
            name.clone(),
            Namespace {
                name,
                comment: opt(&r, 1),
                ..Default::default()
            },
        );
    }
    for r in query(EXTENSIONS)? {
        let name = text(&r, 0);
        c.extensions.insert(
            name.clone(),
            Extension {
                name,
                schema: text(&r, 1),
                ..Default::default()
            },
        );
    }
    for r in query(ENUMS)? {
        let name = qname(&r, 0, 1);
        c.enums.insert(
            name.clone(),
            EnumType {
                name,
                labels: json_list(&r, 2),
                comment: opt(&r, 3),
                ..Default::default()
            },
        );
    }
    let own: BTreeSet<&QName> = own.iter().collect();
    let mut relations: HashMap<i64, Relation> = HashMap::new();
    for r in query(RELATIONS)? {
        let name = qname(&r, 1, 2);
        if own.contains(&name) {
            continue;
        }
        let oid = int(&r, 0);
        let kind = text(&r, 3);
        if kind == "v" || kind == "m" {
            let view = View {
                name: name.clone(),
                materialized: kind == "m",
                definition: text(&r, 9),
                // `security_barrier`, `check_option`, … as `WITH (…)` writes them.
                options: opt(&r, 10).filter(|o| !o.is_empty()),
                comment: opt(&r, 4),
                ..Default::default()
            };
            c.views.insert(name.clone(), view);
            relations.insert(oid, Relation::View(name));
        } else {
            let partition_of = match (opt(&r, 6), opt(&r, 7)) {
                (Some(s), Some(t)) => Some((QName::new(Some(&s), &t), text(&r, 8))),
                _ => None,
            };
            let table = Table {
                name: name.clone(),
                comment: opt(&r, 4),
                options: TableOptions {
                    partition_by: opt(&r, 5),
                    partition_of,
                    ..Default::default()
                },
                ..Default::default()
            };
            c.tables.insert(name.clone(), table);
            relations.insert(oid, Relation::Table(name));
        }
    }
    let table_of = |relations: &HashMap<i64, Relation>, r: &Row| match relations.get(&int(r, 0)) {
        Some(Relation::Table(t)) => Some(t.clone()),
        _ => None,
    };
    for r in query(COLUMNS)? {
        let Some(t) = table_of(&relations, &r) else {
            continue;
        };
        let generated = text(&r, 6);
        let expression = opt(&r, 4);
        let column = Column {
            name: text(&r, 1),
            data_type: text(&r, 2),
            nullable: flag(&r, 3),
            default: if generated.is_empty() {
                expression.clone()
            } else {
                None
            },
            identity: match text(&r, 5).as_str() {
                "a" => Some("ALWAYS".to_string()),
                "d" => Some("BY DEFAULT".to_string()),
                _ => None,
            },
            generated: match (generated.as_str(), expression) {
                ("s", Some(e)) => Some(Generated {
                    expression: e,
                    stored: true,
                }),
                _ => None,
            },
            collation: opt(&r, 7),
            comment: opt(&r, 8),
            ..Default::default()
        };
        if let Some(table) = c.tables.get_mut(&t) {
            table.columns.push(column);
        }
    }
    for r in query(CONSTRAINTS)? {
        let Some(t) = table_of(&relations, &r) else {
            continue;
        };
        let Some(table) = c.tables.get_mut(&t) else {
            continue;
        };
        let name = Some(text(&r, 1));
        let definition = text(&r, 3);
        let columns = json_list(&r, 4);
        match text(&r, 2).as_str() {
            "p" => {
                table.primary_key = Some(Key {
                    name,
                    columns,
                    definition,
                    ..Default::default()
                });
            }
            "u" => table.uniques.push(Key {
                name,
                columns,
                definition,
                ..Default::default()
            }),
            // Exclusion constraints are added and dropped as checks are:
            // `ADD CONSTRAINT name <definition>`.
            "c" | "x" => table.checks.push(Check {
                name,
                definition,
                ..Default::default()
            }),
            "f" => table.foreign_keys.push(ForeignKey {
                name,
                columns,
                ref_table: qname(&r, 5, 6),
                ref_columns: json_list(&r, 7),
                on_delete: action(&text(&r, 8)),
                on_update: action(&text(&r, 9)),
                definition,
                ..Default::default()
            }),
            _ => {}
        }
    }
    for r in query(INDEXES)? {
        let index = Index {
            name: text(&r, 1),
            unique: flag(&r, 2),
            definition: text(&r, 3),
            comment: opt(&r, 4),
            ..Default::default()
        };
        match relations.get(&int(&r, 0)) {
            Some(Relation::Table(t)) => {
                if let Some(table) = c.tables.get_mut(t) {
                    table.indexes.push(index);
                }
            }
            Some(Relation::View(v)) => {
                if let Some(view) = c.views.get_mut(v) {
                    view.indexes.push(index);
                }
            }
            None => {}
        }
    }
    for r in query(VIEW_DEPENDENCIES)? {
        if let Some(Relation::View(v)) = relations.get(&int(&r, 0)) {
            if let Some(view) = c.views.get_mut(v) {
                view.depends_on.push(qname(&r, 1, 2));
            }
        }
    }
    for r in query(SEQUENCES)? {
        let owned_by = match (opt(&r, 9), opt(&r, 10), opt(&r, 11)) {
            (Some(s), Some(t), Some(col)) => Some((QName::new(Some(&s), &t), col)),
            _ => None,
        };
        // migrate's own tables' sequences go with them.
        if owned_by.as_ref().is_some_and(|(t, _)| own.contains(t)) {
            continue;
        }
        let name = qname(&r, 0, 1);
        c.sequences.insert(
            name.clone(),
            Sequence {
                name,
                data_type: text(&r, 2),
                start: int(&r, 3),
                increment: int(&r, 4),
                min: int(&r, 5),
                max: int(&r, 6),
                cache: int(&r, 7),
                cycle: flag(&r, 8),
                owned_by,
                ..Default::default()
            },
        );
    }
    for r in query(ROUTINES)? {
        let id = RoutineId {
            name: qname(&r, 0, 1),
            arguments: text(&r, 2),
            ..Default::default()
        };
        c.routines.insert(
            id.clone(),
            Routine {
                id,
                procedure: text(&r, 3) == "p",
                definition: text(&r, 4).trim_end().to_string(),
                comment: opt(&r, 5),
                ..Default::default()
            },
        );
    }
    for r in query(TRIGGERS)? {
        let table = match relations.get(&int(&r, 0)) {
            Some(Relation::Table(t) | Relation::View(t)) => t.clone(),
            None => continue,
        };
        let name = text(&r, 1);
        c.triggers.insert(
            (table.clone(), name.clone()),
            Trigger {
                table,
                name,
                definition: text(&r, 2),
                ..Default::default()
            },
        );
    }
    for v in c.views.values_mut() {
        v.create_sql = Some(super::ddl::create_view_sql(v));
    }
    Ok(c)
}

/// A foreign key's action, as `pg_constraint` codes it.
fn action(code: &str) -> String {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_string()
}

fn opt(r: &Row, i: usize) -> Option<String> {
    r.get(i).cloned().flatten()
}

fn text(r: &Row, i: usize) -> String {
    opt(r, i).unwrap_or_default()
}

fn int(r: &Row, i: usize) -> i64 {
    opt(r, i).and_then(|v| v.parse().ok()).unwrap_or_default()
}

/// A boolean column: `true` as the binary protocol's rows give it, `t` as
/// the simple protocol's (a sessionless connection) do.
fn flag(r: &Row, i: usize) -> bool {
    opt(r, i).is_some_and(|v| v == "true" || v == "t")
}

fn qname(r: &Row, schema: usize, name: usize) -> QName {
    QName::new(Some(&text(r, schema)), &text(r, name))
}

/// A `json_agg` of names, as a list (none when NULL).
fn json_list(r: &Row, i: usize) -> Vec<String> {
    opt(r, i)
        .and_then(|j| serde_json::from_str::<Vec<String>>(&j).ok())
        .unwrap_or_default()
}
