//! Schemas, enum types and extensions.

use super::*;

#[test]
fn schema_comment_changes_in_place() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE SCHEMA app; COMMENT ON SCHEMA app IS 'old';",
        "CREATE SCHEMA app; COMMENT ON SCHEMA app IS 'new';",
    );
    assert_eq!(r.up.statements, ["COMMENT ON SCHEMA app IS 'new'"]);
}

#[test]
fn enum_created_used_and_dropped() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); COMMENT ON TYPE mood IS 'how it goes';
         CREATE TABLE p (m mood DEFAULT 'ok', ms mood[]);",
    );
    assert_eq!(
        r.up.statements[0],
        "CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy')"
    );
    assert_has(&r.up.statements, "m public.mood DEFAULT 'ok'::public.mood");
}

#[test]
fn enum_labels_added_in_place() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TYPE mood AS ENUM ('sad', 'happy');",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'great');",
    );
    assert_eq!(
        r.up.statements,
        [
            "ALTER TYPE public.mood ADD VALUE 'ok' BEFORE 'happy'",
            "ALTER TYPE public.mood ADD VALUE 'great'"
        ]
    );
}

#[test]
fn enum_labels_removed_or_reordered_make_the_type_again_with_its_columns() {
    crate::require!(Db::Postgres);
    let r = roundtrip_with(
        PG,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE p (id int, m mood DEFAULT 'ok', ms mood[]);
         CREATE VIEW pv AS SELECT id, m FROM p;",
        "CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad', 'meh');
         CREATE TABLE p (id int, m mood DEFAULT 'ok', ms mood[]);
         CREATE VIEW pv AS SELECT id, m FROM p;",
        "INSERT INTO p VALUES (1, 'happy', '{sad,ok}');",
    );
    assert_has(
        &r.up.statements,
        "ALTER TYPE public.mood RENAME TO mood__migrate_old",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.p ALTER COLUMN m TYPE public.mood USING m::text::public.mood",
    );
    assert_has(&r.up.statements, "DROP TYPE public.mood__migrate_old");
    assert!(r
        .down
        .warnings
        .iter()
        .any(|w| w.contains("removes the label(s) meh")));
}

#[test]
fn enum_comment_changes_in_place() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE TYPE e AS ENUM ('a');",
        "CREATE TYPE e AS ENUM ('a'); COMMENT ON TYPE e IS 'one';",
    );
    assert_eq!(r.up.statements, ["COMMENT ON TYPE public.e IS 'one'"]);
}

#[test]
fn extensions_created_dropped_and_moved_without_their_objects() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        "CREATE EXTENSION citext; CREATE EXTENSION \"uuid-ossp\"; CREATE TABLE u (id uuid DEFAULT uuid_generate_v4(), e citext);",
    );
    assert_eq!(
        r.up.statements[0],
        "CREATE EXTENSION citext WITH SCHEMA public"
    );
    assert_has(
        &r.up.statements,
        "CREATE EXTENSION \"uuid-ossp\" WITH SCHEMA public",
    );
    let r = roundtrip(
        PG,
        "CREATE EXTENSION hstore;",
        "CREATE SCHEMA ext; CREATE EXTENSION hstore SCHEMA ext;",
    );
    assert_has(&r.up.statements, "ALTER EXTENSION hstore SET SCHEMA ext");
}

#[test]
fn a_schema_dropped_with_what_it_holds() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "CREATE SCHEMA app; CREATE TYPE app.kind AS ENUM ('a'); CREATE TABLE app.t (id serial, k app.kind);
         CREATE VIEW app.v AS SELECT id FROM app.t; CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        "",
    );
    assert_eq!(r.up.statements.last().unwrap(), "DROP SCHEMA app");
}

#[test]
fn enum_in_another_schema_used_by_arrays() {
    crate::require!(Db::Postgres);
    roundtrip(
        PG,
        "CREATE SCHEMA s; CREATE TYPE s.\"Level\" AS ENUM ('low', 'high'); CREATE TABLE s.t (l s.\"Level\"[] DEFAULT '{low}');",
        "CREATE SCHEMA s; CREATE TYPE s.\"Level\" AS ENUM ('high', 'low'); CREATE TABLE s.t (l s.\"Level\"[] DEFAULT '{low}');",
    );
}
