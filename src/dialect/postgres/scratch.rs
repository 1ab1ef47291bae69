//! Scratch databases on a PostgreSQL server: created and dropped for a
//! comparison, or a `dev_url` database emptied of everything in it.

use super::quote::ident;
use super::Postgres;
use crate::dialect::{Database, DbError};

/// How many objects one `DROP` names: each statement locks what it drops,
/// and the server's lock table is sized for tens of locks per transaction.
const BATCH: usize = 100;

pub(super) fn create_database(db: &mut Postgres, name: &str) -> Result<(), DbError> {
    db.execute(&format!("CREATE DATABASE {}", ident(name)))
}

/// Drops `name` even with sessions still open on it (`WITH (FORCE)`,
/// PostgreSQL 13+); an older server has them ended first.
pub(super) fn drop_database(db: &mut Postgres, name: &str) -> Result<(), DbError> {
    let forced = db.execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        ident(name)
    ));
    match forced {
        Err(e) if e.code.as_deref() == Some("42601") => {
            db.query_rows(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[name],
            )?;
            db.execute(&format!("DROP DATABASE IF EXISTS {}", ident(name)))
        }
        other => other,
    }
}

/// Objects to drop, each kind with its `DROP` words; names are written by
/// the server (`format('%I')`), `IF EXISTS` because dropping one (a table)
/// can drop others (its sequences, the views on it) first.
const KINDS: &[(&str, &str)] = &[
    (
        "DROP TABLE IF EXISTS",
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER} AND NOT {EXT_CLASS} ORDER BY 1",
    ),
    (
        "DROP FOREIGN TABLE IF EXISTS",
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'f' AND {USER} AND NOT {EXT_CLASS} ORDER BY 1",
    ),
    (
        "DROP MATERIALIZED VIEW IF EXISTS",
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'm' AND {USER} AND NOT {EXT_CLASS} ORDER BY 1",
    ),
    (
        "DROP VIEW IF EXISTS",
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'v' AND {USER} AND NOT {EXT_CLASS} ORDER BY 1",
    ),
    (
        "DROP SEQUENCE IF EXISTS",
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'S' AND {USER} AND NOT {EXT_CLASS} ORDER BY 1",
    ),
    (
        "DROP ROUTINE IF EXISTS",
        "SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prokind IN ('f', 'p', 'w') AND {USER}
           AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
         ORDER BY 1",
    ),
    (
        "DROP AGGREGATE IF EXISTS",
        "SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prokind = 'a' AND {USER}
           AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
         ORDER BY 1",
    ),
    (
        "DROP DOMAIN IF EXISTS",
        "SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typtype = 'd' AND {USER} AND NOT {EXT_TYPE} ORDER BY 1",
    ),
    (
        "DROP TYPE IF EXISTS",
        "SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         LEFT JOIN pg_class c ON c.oid = t.typrelid
         WHERE (t.typtype IN ('e', 'r') OR (t.typtype = 'c' AND c.relkind = 'c')) AND {USER} AND NOT {EXT_TYPE} ORDER BY 1",
    ),
    (
        "DROP COLLATION IF EXISTS",
        "SELECT format('%I.%I', n.nspname, k.collname) FROM pg_collation k JOIN pg_namespace n ON n.oid = k.collnamespace
         WHERE {USER}
           AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_collation'::regclass AND e.objid = k.oid AND e.deptype = 'e')
         ORDER BY 1",
    ),
    (
        "DROP EVENT TRIGGER IF EXISTS",
        "SELECT format('%I', t.evtname) FROM pg_event_trigger t
         WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_event_trigger'::regclass AND e.objid = t.oid AND e.deptype = 'e')
         ORDER BY 1",
    ),
    (
        "DROP SCHEMA IF EXISTS",
        "SELECT format('%I', n.nspname) FROM pg_namespace n
         WHERE n.nspname <> 'public' AND {USER}
           AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')
         ORDER BY 1",
    ),
    (
        "DROP EXTENSION IF EXISTS",
        "SELECT format('%I', x.extname) FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
         WHERE n.nspname <> 'pg_catalog' ORDER BY 1",
    ),
];

/// Drops every object of the connected database, kind after kind (tables
/// first, so that what the others hold goes with them), the `public`
/// schema itself kept (its owner and grants are the database's own) and
/// the extensions every database has (`plpgsql`).
pub(super) fn empty_database(db: &mut Postgres) -> Result<(), DbError> {
    for (drop, query) in KINDS {
        let sql = query
            .replace("{USER}", "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'")
            .replace(
                "{EXT_CLASS}",
                "EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')",
            )
            .replace(
                "{EXT_TYPE}",
                "EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')",
            );
        let names: Vec<String> = db
            .query_rows(&sql, &[])?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        // These two take one name at a time.
        let per = if drop.contains("COLLATION") || drop.contains("EVENT TRIGGER") {
            1
        } else {
            BATCH
        };
        for batch in names.chunks(per) {
            db.execute(&format!("{drop} {} CASCADE", batch.join(", ")))?;
        }
    }
    Ok(())
}
