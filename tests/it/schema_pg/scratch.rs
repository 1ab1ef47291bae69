//! Scratch databases: created, dropped with sessions open, emptied.

use super::*;

/// A database name of the test's own, dropped at the end even if it fails.
struct Scratch {
    admin_url: String,
    name: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name.replace('"', "\"\"")
            ));
        }
    }
}

#[test]
fn scratch_database_created_and_dropped_with_a_session_still_open() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let admin = TestDb::new(PG, dir.path());
    let scratch = Scratch {
        admin_url: admin.url.clone(),
        name: format!("{}_scratch \"x\"", admin.name),
    };
    let mut conn = connect(&admin);
    conn.create_database(&scratch.name).unwrap();
    // It exists: a session opens on it and stays open.
    let mut open = postgres::Client::connect(
        &format!(
            "host=127.0.0.1 user=postgres dbname='{}'",
            scratch.name.replace('\'', "\\'")
        ),
        postgres::NoTls,
    )
    .unwrap();
    open.batch_execute("CREATE TABLE t (id int)").unwrap();
    let e = conn.create_database(&scratch.name).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("42P04"), "{e}");
    conn.drop_database(&scratch.name).unwrap();
    let left = admin.query(&format!(
        "SELECT count(*) FROM pg_database WHERE datname = '{}'",
        scratch.name.replace('\'', "''")
    ));
    assert_eq!(left, [["0"]]);
    assert!(open.batch_execute("SELECT 1").is_err());
    // Dropping one that is gone already is no error.
    conn.drop_database(&scratch.name).unwrap();
}

#[test]
fn empty_database_drops_every_object_and_keeps_public() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE EXTENSION citext; CREATE EXTENSION hstore;
         CREATE SCHEMA app; CREATE TYPE app.kind AS ENUM ('a'); CREATE TABLE app.t (id serial PRIMARY KEY, k app.kind, e citext);
         CREATE TYPE mood AS ENUM ('x'); CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE TYPE pair AS (a int, b int);
         CREATE TYPE span AS RANGE (subtype = float8);
         CREATE TABLE p (id int PRIMARY KEY, m mood, n posint, h hstore);
         CREATE TABLE c (id int, p int REFERENCES p) PARTITION BY RANGE (id);
         CREATE TABLE c1 PARTITION OF c FOR VALUES FROM (0) TO (10);
         CREATE VIEW v AS SELECT * FROM p; CREATE MATERIALIZED VIEW mv AS SELECT id FROM p;
         CREATE SEQUENCE s; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
         CREATE PROCEDURE pr() LANGUAGE sql AS 'SELECT 1';
         CREATE AGGREGATE mysum(int) (sfunc = int4pl, stype = int);
         CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
         CREATE FUNCTION ev() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
         CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION ev();",
    );
    assert!(!catalog(&db).is_empty());
    let mut conn = connect(&db);
    conn.empty_database().unwrap();
    let c = catalog(&db);
    assert!(c.is_empty(), "{c:?}");
    let left = db.query(
        "SELECT (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_collation k JOIN pg_namespace n ON n.oid = k.collnamespace WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_event_trigger),
                (SELECT count(*) FROM pg_namespace WHERE nspname = 'public'),
                (SELECT count(*) FROM pg_extension WHERE extname = 'plpgsql')",
    );
    assert_eq!(left, [["0", "1", "1"]]);
    // And it fills again as before.
    apply(&db, "CREATE TABLE p (id int); CREATE EXTENSION citext;");
    conn.empty_database().unwrap();
    assert!(catalog(&db).is_empty());
}
