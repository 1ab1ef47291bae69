//! Tables and columns: made, dropped, changed, renamed with their rows, hazards.

use super::*;

#[test]
fn table_created_and_dropped() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, age int CHECK (age >= 0));",
    );
    assert_has(&r.up.statements, "CREATE TABLE public.users (");
    assert_eq!(r.down.statements, ["DROP TABLE public.users"]);
    assert_eq!(
        r.down.warnings,
        ["drops table public.users and all its rows"]
    );
}

#[test]
fn table_in_another_schema_with_the_schema() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        "CREATE SCHEMA sales; COMMENT ON SCHEMA sales IS 'orders and invoices';
         CREATE TABLE sales.orders (id int PRIMARY KEY);",
    );
    assert_eq!(r.up.statements[0], "CREATE SCHEMA sales");
    assert_eq!(r.down.statements.last().unwrap(), "DROP SCHEMA sales");
}

#[test]
fn column_added_dropped_with_warning() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int);",
        "CREATE TABLE t (id int, note text DEFAULT 'none', n int NOT NULL);",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.t ADD COLUMN note text DEFAULT 'none'::text",
    );
    assert_eq!(
        r.up.warnings,
        ["adds NOT NULL column public.t.n without a default: fails if the table has rows"]
    );
    assert!(r
        .down
        .warnings
        .iter()
        .any(|w| w.contains("drops column public.t.note")));
}

#[test]
fn column_type_nullability_default_collation_and_comment_change() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE TABLE t (id int, qty text DEFAULT '1', name text, code varchar(10) NOT NULL);",
        "CREATE TABLE t (id int, qty integer DEFAULT 2 NOT NULL, name text COLLATE \"C\", code varchar(20));
         COMMENT ON COLUMN t.name IS 'shown to users';",
        "INSERT INTO t VALUES (1, '5', 'x', 'abc');",
    );
    assert_has(
        &r.up.statements,
        "ALTER COLUMN qty TYPE integer USING qty::integer",
    );
    assert_has(
        &r.up.statements,
        "ALTER COLUMN name TYPE text COLLATE \"C\"",
    );
    assert_has(
        &r.up.statements,
        "COMMENT ON COLUMN public.t.name IS 'shown to users'",
    );
    assert!(r
        .up
        .warnings
        .iter()
        .any(|w| w.contains("changes the type of public.t.qty")));
}

#[test]
fn table_comment_set_and_removed() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int);",
        "CREATE TABLE t (id int); COMMENT ON TABLE t IS 'it''s the table';",
    );
    assert_eq!(
        r.up.statements,
        ["COMMENT ON TABLE public.t IS 'it''s the table'"]
    );
    assert_eq!(r.down.statements, ["COMMENT ON TABLE public.t IS NULL"]);
}

#[test]
fn table_renamed_by_hint_keeps_its_rows() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE TABLE accounts (id int PRIMARY KEY, mail text);",
        "CREATE TABLE users ( -- migrate:renamed-from accounts
             id int PRIMARY KEY,
             email text -- migrate:renamed-from mail
         );",
        "INSERT INTO accounts VALUES (1, 'a@example.com');",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.accounts RENAME TO users",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.users RENAME COLUMN mail TO email",
    );
    assert_lacks(&r.up.statements, "DROP TABLE");
    assert_lacks(&r.up.statements, "DROP COLUMN");
    assert!(r.up.warnings.is_empty(), "{:?}", r.up.warnings);
    assert_has(
        &r.down.statements,
        "ALTER TABLE public.users RENAME TO accounts",
    );
}

#[test]
fn renamed_table_rows_survive_the_upgrade() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE TABLE a (id serial PRIMARY KEY, v text); INSERT INTO a (v) VALUES ('x'), ('y');",
    );
    let desired = TestDb::new(PG, dir.path());
    let after = "CREATE TABLE b ( -- migrate:renamed-from a\n id serial PRIMARY KEY, v text);";
    apply(&desired, after);
    let renames =
        migrate::schema::renames::parse(after, migrate::Kind::Postgres, Some("public")).unwrap();
    let m = migration(PG, &catalog(&db), &catalog(&desired), &renames);
    apply(&db, &script(&m));
    // The rows are there, and the serial column's sequence went on from where it stood.
    apply(&db, "INSERT INTO b (v) VALUES ('z');");
    assert_eq!(
        db.query("SELECT id, v FROM b ORDER BY id"),
        [["1", "x"], ["2", "y"], ["3", "z"]]
    );
    assert_has(
        &m.statements,
        "ALTER SEQUENCE public.a_id_seq RENAME TO b_id_seq",
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn renamed_table_keeps_its_keys_indexes_and_references() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE TABLE accounts (id int PRIMARY KEY, mail text UNIQUE, age int CHECK (age > 0), boss int REFERENCES accounts);
         CREATE INDEX accounts_age_idx ON accounts (age);
         CREATE INDEX by_mail ON accounts (lower(mail));
         CREATE TABLE posts (id int, author int REFERENCES accounts);",
        "CREATE TABLE users ( -- migrate:renamed-from accounts
             id int PRIMARY KEY,
             mail text UNIQUE,
             years int CHECK (years > 0), -- migrate:renamed-from age
             boss int REFERENCES users
         );
         CREATE INDEX users_age_idx ON users (years);
         CREATE INDEX by_mail ON users (lower(mail));
         CREATE TABLE posts (id int, author int REFERENCES users);",
        "INSERT INTO accounts VALUES (1, 'a@example.com', 30, NULL), (2, 'b@example.com', 40, 1);
         INSERT INTO posts VALUES (1, 2);",
    );
    let s = &r.up.statements;
    assert_has(
        s,
        "ALTER TABLE public.users RENAME CONSTRAINT accounts_pkey TO users_pkey",
    );
    assert_has(
        s,
        "ALTER INDEX public.accounts_age_idx RENAME TO users_age_idx",
    );
    // Nothing made again but the check named after the renamed column and
    // the foreign key named after the table (dropped before the rename).
    assert_lacks(s, "PRIMARY KEY");
    assert_lacks(s, "CREATE INDEX");
    assert_lacks(s, "UNIQUE");
    assert_lacks(s, "posts");
    assert_has(s, "ADD CONSTRAINT users_years_check CHECK ((years > 0))");
    assert_has(s, "ADD CONSTRAINT users_boss_fkey");
    assert_eq!(r.up.warnings.len(), 1, "{:?}", r.up.warnings);
}

#[test]
fn rename_hint_whose_old_name_is_gone_is_ignored() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int);",
        "CREATE TABLE t (id int);\nCREATE TABLE u ( -- migrate:renamed-from nowhere\n id int);",
    );
    assert_eq!(r.up.statements.len(), 1);
    assert_has(&r.up.statements, "CREATE TABLE public.u");
}

#[test]
fn quoted_names_and_keywords() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE \"Order\" (\"user\" int, \"select\" text, \"Mixed Case\" int);
         CREATE INDEX \"Order idx\" ON \"Order\" (\"user\");",
    );
    assert_has(&r.up.statements, "CREATE TABLE public.\"Order\" (");
    assert_has(&r.up.statements, "\"user\" integer");
}

#[test]
fn column_renamed_with_a_view_on_it_and_rows() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE TABLE t (id int, qty int); CREATE VIEW v AS SELECT id, qty FROM t;",
        "CREATE TABLE t (\n id int,\n amount int -- migrate:renamed-from qty\n);\nCREATE VIEW v AS SELECT id, amount FROM t;",
        "INSERT INTO t VALUES (1, 5);",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.t RENAME COLUMN qty TO amount",
    );
    assert_lacks(&r.up.statements, "DROP COLUMN");
}

#[test]
fn narrowing_and_not_null_hazards() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TABLE t (a bigint, b text);",
        "CREATE TABLE t (a smallint, b text NOT NULL);",
    );
    assert_eq!(
        r.up.warnings,
        [
            "changes the type of public.t.a from bigint to smallint: rows whose value does not fit fail or lose data",
            "makes public.t.b NOT NULL without a default: fails if a row holds NULL there"
        ]
    );
}

#[test]
fn a_referenced_key_widened_with_its_references() {
    crate::require!(Db::Postgres);
    roundtrip_with(
        PG,
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int, p int REFERENCES p);",
        "CREATE TABLE p (id bigint PRIMARY KEY); CREATE TABLE c (id int, p bigint REFERENCES p);",
        "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);",
    );
}

#[test]
fn a_table_moved_to_another_schema_by_hint() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE SCHEMA archive; CREATE TABLE t (id int PRIMARY KEY);",
        "CREATE SCHEMA archive;\nCREATE TABLE archive.t ( -- migrate:renamed-from public.t\n id int PRIMARY KEY);",
        "INSERT INTO t VALUES (1);",
    );
    assert_eq!(r.up.statements, ["ALTER TABLE public.t SET SCHEMA archive"]);
}
