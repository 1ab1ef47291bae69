//! Schema cases on PostgreSQL (see schema_support): each a round trip on
//! the real server, per object kind: created, dropped, and each kind of
//! change; renames with their rows; hazards; the SQL's shape where it counts.

use crate::schema_support::*;
use crate::support::{Db, TestDb};

const PG: Db = Db::Postgres;

fn has(statements: &[String], needle: &str) -> bool {
    statements.iter().any(|s| s.contains(needle))
}

#[track_caller]
fn assert_has(statements: &[String], needle: &str) {
    assert!(
        has(statements, needle),
        "no statement holds {needle:?}:\n{}",
        statements.join(";\n")
    );
}

#[track_caller]
fn assert_lacks(statements: &[String], needle: &str) {
    assert!(
        !has(statements, needle),
        "a statement holds {needle:?}:\n{}",
        statements.join(";\n")
    );
}

// ---- tables and columns

#[test]
fn table_created_and_dropped() {
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
fn schema_comment_changes_in_place() {
    let r = roundtrip(
        PG,
        "CREATE SCHEMA app; COMMENT ON SCHEMA app IS 'old';",
        "CREATE SCHEMA app; COMMENT ON SCHEMA app IS 'new';",
    );
    assert_eq!(r.up.statements, ["COMMENT ON SCHEMA app IS 'new'"]);
}

#[test]
fn column_added_dropped_with_warning() {
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
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE \"Order\" (\"user\" int, \"select\" text, \"Mixed Case\" int);
         CREATE INDEX \"Order idx\" ON \"Order\" (\"user\");",
    );
    assert_has(&r.up.statements, "CREATE TABLE public.\"Order\" (");
    assert_has(&r.up.statements, "\"user\" integer");
}

// ---- identity, serial, generated

#[test]
fn identity_columns_and_their_changes() {
    roundtrip(
        PG,
        "",
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n bigint GENERATED BY DEFAULT AS IDENTITY);",
    );
    let r = roundtrip_with(
        PG,
        "CREATE TABLE t (id int NOT NULL, n int GENERATED ALWAYS AS IDENTITY);",
        "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY, n int GENERATED BY DEFAULT AS IDENTITY);",
        "INSERT INTO t (id) VALUES (1), (2);",
    );
    assert_has(
        &r.up.statements,
        "ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
    );
    assert_has(&r.up.statements, "ALTER COLUMN n SET GENERATED BY DEFAULT");
    assert_has(&r.down.statements, "ALTER COLUMN id DROP IDENTITY");
}

#[test]
fn identity_sequences_are_not_separate_objects() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(&db, "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY);");
    let c = catalog(&db);
    assert!(c.sequences.is_empty(), "{:?}", c.sequences);
    assert_eq!(
        c.tables.values().next().unwrap().columns[0]
            .identity
            .as_deref(),
        Some("ALWAYS")
    );
}

#[test]
fn serial_sequence_created_before_its_table_and_owned_after() {
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE t (id serial PRIMARY KEY, big bigserial);",
    );
    let s = &r.up.statements;
    let seq = s
        .iter()
        .position(|x| x.starts_with("CREATE SEQUENCE public.t_id_seq"))
        .unwrap();
    let table = s
        .iter()
        .position(|x| x.starts_with("CREATE TABLE public.t"))
        .unwrap();
    let owned = s
        .iter()
        .position(|x| x == "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id")
        .unwrap();
    assert!(seq < table && table < owned, "{s:?}");
    assert_has(s, "CREATE SEQUENCE public.t_id_seq AS integer");
    // Down: the table takes its sequences with it.
    assert_eq!(r.down.statements, ["DROP TABLE public.t"]);
}

#[test]
fn serial_column_added_to_a_table_and_dropped() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (x int);",
        "CREATE TABLE t (x int, id serial);",
    );
    assert_has(
        &r.up.statements,
        "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id",
    );
    // Down: dropping the column drops its sequence.
    assert_eq!(r.down.statements, ["ALTER TABLE public.t DROP COLUMN id"]);
}

#[test]
fn sequences_created_altered_owned_and_dropped() {
    roundtrip(
        PG,
        "",
        "CREATE SEQUENCE s1; CREATE SEQUENCE s2 AS smallint INCREMENT BY -2 CYCLE CACHE 5;",
    );
    let r = roundtrip(
        PG,
        "CREATE SEQUENCE s START 10; CREATE TABLE t (id bigint);",
        "CREATE SEQUENCE s START 100 INCREMENT 5 MAXVALUE 100000 AS integer; CREATE TABLE t (id bigint);
         ALTER SEQUENCE s OWNED BY t.id;",
    );
    assert_has(
        &r.up.statements,
        "ALTER SEQUENCE public.s OWNED BY public.t.id",
    );
    assert_has(&r.down.statements, "ALTER SEQUENCE public.s OWNED BY NONE");
    let r = roundtrip(PG, "CREATE SEQUENCE s;", "");
    assert_eq!(
        r.up.warnings,
        ["drops sequence public.s and where it stood"]
    );
}

#[test]
fn generated_columns_added_changed_and_made_plain() {
    roundtrip(
        PG,
        "CREATE TABLE t (a int, b int);",
        "CREATE TABLE t (a int, b int, s int GENERATED ALWAYS AS (a + b) STORED);",
    );
    let r = roundtrip_with(
        PG,
        "CREATE TABLE t (a int, b int, s int GENERATED ALWAYS AS (a + b) STORED); CREATE INDEX t_s ON t (s);",
        "CREATE TABLE t (a int, b int, s int GENERATED ALWAYS AS (a * b) STORED); CREATE INDEX t_s ON t (s);",
        "INSERT INTO t (a, b) VALUES (2, 3);",
    );
    assert_has(
        &r.up.statements,
        "CREATE INDEX t_s ON public.t USING btree (s)",
    );
    roundtrip(
        PG,
        "CREATE TABLE t (a int, s int GENERATED ALWAYS AS (a * 2) STORED);",
        "CREATE TABLE t (a int, s bigint GENERATED ALWAYS AS (a * 2) STORED);",
    );
    let r = roundtrip(
        PG,
        "CREATE TABLE t (a int, s int GENERATED ALWAYS AS (a + 1) STORED);",
        "CREATE TABLE t (a int, s int);",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE public.t ALTER COLUMN s DROP EXPRESSION"]
    );
}

// ---- constraints and indexes

#[test]
fn primary_key_unique_and_check_added_and_dropped() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int, code text, qty int);",
        "CREATE TABLE t (id int PRIMARY KEY, code text CONSTRAINT t_code_key UNIQUE, qty int CONSTRAINT qty_positive CHECK (qty > 0));",
    );
    assert_has(
        &r.up.statements,
        "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
    );
    assert_has(
        &r.up.statements,
        "ADD CONSTRAINT qty_positive CHECK ((qty > 0))",
    );
    assert!(r
        .up
        .warnings
        .iter()
        .any(|w| w.contains("adds a unique constraint on public.t (code)")));
    assert!(r
        .up
        .warnings
        .iter()
        .any(|w| w.contains("adds a primary key on public.t (id)")));
    assert_has(
        &r.down.statements,
        "ALTER TABLE public.t DROP CONSTRAINT t_pkey",
    );
}

#[test]
fn check_changed_and_not_valid_constraints() {
    roundtrip(
        PG,
        "CREATE TABLE t (n int CONSTRAINT c CHECK (n > 0));",
        "CREATE TABLE t (n int CONSTRAINT c CHECK (n > 1));",
    );
    let r = roundtrip(
        PG,
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (n int);",
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (n int);
         ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID;
         ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (n) REFERENCES p (id) NOT VALID;",
    );
    assert_has(&r.up.statements, "CHECK ((n > 0)) NOT VALID");
    assert_has(&r.up.statements, "REFERENCES public.p(id) NOT VALID");
    // A new table's NOT VALID constraint stays so.
    roundtrip(
        PG,
        "",
        "CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID;",
    );
}

#[test]
fn foreign_keys_with_actions_deferrable_and_between_new_tables() {
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE z_parent (id int PRIMARY KEY, first_child int);
         CREATE TABLE a_child (id int PRIMARY KEY, parent_id int REFERENCES z_parent ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED);
         ALTER TABLE z_parent ADD CONSTRAINT cycle FOREIGN KEY (first_child) REFERENCES a_child (id);",
    );
    assert_has(
        &r.up.statements,
        "FOREIGN KEY (parent_id) REFERENCES public.z_parent(id) ON UPDATE SET NULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
    );
    // Down: the keys between the two go first, then the tables.
    assert!(
        r.down.statements[0].contains("DROP CONSTRAINT"),
        "{:?}",
        r.down.statements
    );
    roundtrip(
        PG,
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p int REFERENCES p);",
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p int REFERENCES p ON DELETE SET NULL);",
    );
}

#[test]
fn dropping_a_referenced_table_drops_the_key_first() {
    let r = roundtrip(
        PG,
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int, p int REFERENCES p);",
        "CREATE TABLE c (id int, p int);",
    );
    assert_eq!(
        r.up.statements,
        [
            "ALTER TABLE public.c DROP CONSTRAINT c_p_fkey",
            "DROP TABLE public.p"
        ]
    );
}

#[test]
fn indexes_with_method_expressions_predicates_include_and_comments() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int, email text, tags text[], at timestamptz, n int);",
        "CREATE TABLE t (id int, email text, tags text[], at timestamptz, n int);
         CREATE UNIQUE INDEX t_email ON t (lower(email)) WHERE id > 0;
         CREATE INDEX t_tags ON t USING gin (tags);
         CREATE INDEX t_at ON t (at DESC NULLS LAST) INCLUDE (n);
         CREATE INDEX t_h ON t USING hash (email);
         COMMENT ON INDEX t_at IS 'recent first';",
    );
    assert_has(
        &r.up.statements,
        "CREATE UNIQUE INDEX t_email ON public.t USING btree (lower(email)) WHERE (id > 0)",
    );
    assert_has(
        &r.up.statements,
        "COMMENT ON INDEX public.t_at IS 'recent first'",
    );
    assert!(r
        .up
        .warnings
        .iter()
        .any(|w| w.contains("adds the unique index t_email")));
    assert_has(&r.down.statements, "DROP INDEX public.t_email");
    roundtrip(
        PG,
        "CREATE TABLE t (a int, b int); CREATE INDEX i ON t (a);",
        "CREATE TABLE t (a int, b int); CREATE INDEX i ON t (a, b);",
    );
}

#[test]
fn index_comment_changes_alone() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int); CREATE INDEX t_id ON t (id);",
        "CREATE TABLE t (id int); CREATE INDEX t_id ON t (id); COMMENT ON INDEX t_id IS 'by id';",
    );
    assert_eq!(r.up.statements, ["COMMENT ON INDEX public.t_id IS 'by id'"]);
    assert!(r.up.warnings.is_empty());
}

#[test]
fn exclusion_constraint() {
    roundtrip(
        PG,
        "CREATE EXTENSION btree_gist; CREATE TABLE r (room int, during tsrange);",
        "CREATE EXTENSION btree_gist; CREATE TABLE r (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
    );
}

// ---- enums and extensions

#[test]
fn enum_created_used_and_dropped() {
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
    let r = roundtrip(
        PG,
        "CREATE TYPE e AS ENUM ('a');",
        "CREATE TYPE e AS ENUM ('a'); COMMENT ON TYPE e IS 'one';",
    );
    assert_eq!(r.up.statements, ["COMMENT ON TYPE public.e IS 'one'"]);
}

#[test]
fn extensions_created_dropped_and_moved_without_their_objects() {
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

// ---- views

#[test]
fn views_created_changed_and_dropped_in_dependency_order() {
    roundtrip(
        PG,
        "CREATE TABLE t (id int, v int);",
        "CREATE TABLE t (id int, v int);
         CREATE VIEW z_base AS SELECT id, v FROM t;
         CREATE VIEW a_top AS SELECT id FROM z_base WHERE v > 10;
         COMMENT ON VIEW z_base IS 'all of t';",
    );
    // A view read by another is made again: the reader too.
    roundtrip(
        PG,
        "CREATE TABLE t (id int, v int); CREATE VIEW a AS SELECT id, v FROM t; CREATE VIEW b AS SELECT id FROM a;",
        "CREATE TABLE t (id int, v int); CREATE VIEW a AS SELECT id, v FROM t WHERE v > 0; CREATE VIEW b AS SELECT id FROM a;",
    );
}

#[test]
fn views_reading_a_changed_column_are_put_back() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int, v int); CREATE VIEW tv AS SELECT id, v FROM t;",
        "CREATE TABLE t (id int, v bigint); CREATE VIEW tv AS SELECT id, v FROM t;",
    );
    assert_eq!(r.up.statements[0], "DROP VIEW public.tv");
    assert!(r
        .up
        .statements
        .last()
        .unwrap()
        .starts_with("CREATE VIEW public.tv AS"));
}

#[test]
fn view_options_are_compared() {
    roundtrip(
        PG,
        "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t;",
        "CREATE TABLE t (id int); CREATE VIEW v WITH (security_barrier) AS SELECT id FROM t WITH LOCAL CHECK OPTION;",
    );
}

#[test]
fn materialized_views_with_their_indexes() {
    let r = roundtrip(
        PG,
        "CREATE TABLE t (id int, v int);",
        "CREATE TABLE t (id int, v int);
         CREATE MATERIALIZED VIEW m AS SELECT id, sum(v) AS total FROM t GROUP BY id;
         CREATE UNIQUE INDEX m_id ON m (id);
         COMMENT ON MATERIALIZED VIEW m IS 'totals';",
    );
    assert_has(&r.up.statements, "CREATE MATERIALIZED VIEW public.m AS");
    assert_has(
        &r.up.statements,
        "CREATE UNIQUE INDEX m_id ON public.m USING btree (id)",
    );
    assert_eq!(r.down.statements, ["DROP MATERIALIZED VIEW public.m"]);
    roundtrip(
        PG,
        "CREATE TABLE t (id int); CREATE MATERIALIZED VIEW m AS SELECT id FROM t; CREATE INDEX m_i ON m (id);",
        "CREATE TABLE t (id int); CREATE MATERIALIZED VIEW m AS SELECT id FROM t;",
    );
}

#[test]
fn view_dependencies_come_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE SCHEMA s; CREATE TABLE s.t (id int); CREATE VIEW a AS SELECT id FROM s.t; CREATE VIEW b AS SELECT a.id FROM a JOIN s.t USING (id);",
    );
    let c = catalog(&db);
    let b = &c.views[&migrate::schema::model::QName::new(Some("public"), "b")];
    let deps: Vec<String> = b.depends_on.iter().map(|d| d.to_string()).collect();
    assert_eq!(deps, ["public.a", "s.t"]);
}

// ---- routines and triggers

const FN_V1: &str =
    "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;";

#[test]
fn functions_and_procedures_created_and_dropped() {
    let r = roundtrip(
        PG,
        "",
        &format!(
            "SET check_function_bodies = false;
             {FN_V1}
             CREATE PROCEDURE note(msg text) LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE '%', msg; END $$;
             COMMENT ON FUNCTION add(int, int) IS 'sums';
             CREATE FUNCTION count_t() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM later $$;
             CREATE TABLE later (id int);"
        ),
    );
    let s = &r.up.statements;
    assert_has(
        s,
        "CREATE OR REPLACE FUNCTION public.add(a integer, b integer)",
    );
    assert_has(
        s,
        "COMMENT ON FUNCTION public.add(integer, integer) IS 'sums'",
    );
    // Bodies are not checked while routines are made (one reads a table made after it).
    let off = s
        .iter()
        .position(|x| x == "SET check_function_bodies = false")
        .unwrap();
    let reset = s
        .iter()
        .position(|x| x == "RESET check_function_bodies")
        .unwrap();
    assert!(off < reset);
    assert_has(&r.down.statements, "DROP PROCEDURE public.note(text)");
}

#[test]
fn function_body_replaced_in_place() {
    let r = roundtrip(
        PG,
        FN_V1,
        "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b + 0 $$;",
    );
    assert_lacks(&r.up.statements, "DROP FUNCTION");
    assert_has(&r.up.statements, "CREATE OR REPLACE FUNCTION public.add");
}

#[test]
fn function_result_or_argument_names_changed_is_dropped_and_made_again() {
    let r = roundtrip(
        PG,
        FN_V1,
        "CREATE FUNCTION add(x int, y int) RETURNS bigint LANGUAGE sql AS $$ SELECT (x + y)::bigint $$;",
    );
    assert_eq!(
        r.up.statements[0],
        "DROP FUNCTION public.add(integer, integer)"
    );
    // Overloads are told apart by their arguments.
    roundtrip(
        PG,
        FN_V1,
        &format!("{FN_V1} CREATE FUNCTION add(a text, b text) RETURNS text LANGUAGE sql AS $$ SELECT a || b $$;"),
    );
}

#[test]
fn triggers_created_changed_and_dropped() {
    let base = "CREATE TABLE t (id int, at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;";
    let r = roundtrip(
        PG,
        base,
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
    );
    assert_eq!(
        r.up.statements,
        ["CREATE TRIGGER t_touch BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()"]
    );
    assert_eq!(r.down.statements, ["DROP TRIGGER t_touch ON public.t"]);
    roundtrip(
        PG,
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON t FOR EACH ROW WHEN (NEW.id > 0) EXECUTE FUNCTION touch();"),
    );
    // A constraint trigger, deferred.
    roundtrip(
        PG,
        base,
        &format!("{base} CREATE CONSTRAINT TRIGGER t_c AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch();"),
    );
}

#[test]
fn trigger_on_a_view_made_again_comes_back() {
    let fun = "CREATE FUNCTION ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (NEW.id, 0); RETURN NEW; END $$;";
    roundtrip(
        PG,
        &format!("CREATE TABLE t (id int, v int); CREATE VIEW tv AS SELECT id FROM t; {fun}
                  CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION ins();"),
        &format!("CREATE TABLE t (id int, v bigint); CREATE VIEW tv AS SELECT id FROM t; {fun}
                  CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION ins();"),
    );
}

// ---- partitions

#[test]
fn partitioned_table_and_partitions() {
    let r = roundtrip(
        PG,
        "",
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, v text DEFAULT 'x', PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
         CREATE TABLE a_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE INDEX events_v ON events (v);
         CREATE TABLE events_other PARTITION OF events DEFAULT;",
    );
    let s = &r.up.statements;
    let parent = s
        .iter()
        .position(|x| x.contains("PARTITION BY RANGE (at)"))
        .unwrap();
    let part = s.iter().position(|x| x.contains("CREATE TABLE public.a_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")).unwrap();
    assert!(parent < part, "{s:?}");
    // The partitions' inherited index and key are not theirs to make.
    assert_eq!(
        s.iter().filter(|x| x.contains("CREATE INDEX")).count(),
        1,
        "{s:?}"
    );
    // Down: partitions before their table.
    assert_eq!(
        r.down.statements.last().unwrap(),
        "DROP TABLE public.events"
    );
}

const EVENTS: &str =
    "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";

#[test]
fn a_partitioned_tables_column_changes_reach_its_partitions() {
    let r = roundtrip_with(
        PG,
        EVENTS,
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text DEFAULT 'click' NOT NULL, n integer) PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         COMMENT ON COLUMN events_2024.kind IS 'per partition';",
        "INSERT INTO events VALUES (1, '2024-05-01');",
    );
    // Added once, to the partitioned table.
    assert_eq!(
        r.up.statements
            .iter()
            .filter(|s| s.contains("ADD COLUMN"))
            .count(),
        2,
        "{:?}",
        r.up.statements
    );
    assert_lacks(&r.up.statements, "ALTER TABLE public.events_2024 ADD");
    assert_lacks(&r.down.statements, "ALTER TABLE public.events_2024 DROP");
    roundtrip(
        PG,
        EVENTS,
        "CREATE TABLE events (id integer, at date NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    );
}

#[test]
fn partitions_added_attached_detached_and_dropped() {
    let r = roundtrip(
        PG,
        EVENTS,
        &format!(
            "{EVENTS} CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
             CREATE INDEX events_2025_id ON events_2025 (id);"
        ),
    );
    assert_has(&r.up.statements, "CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
    assert_has(
        &r.up.statements,
        "CREATE INDEX events_2025_id ON public.events_2025",
    );
    // A table that becomes a partition, and back.
    let r = roundtrip(
        PG,
        &format!("{EVENTS} CREATE TABLE old_events (id bigint NOT NULL, at date NOT NULL);"),
        &format!("{EVENTS} CREATE TABLE old_events (id bigint NOT NULL, at date NOT NULL);
                  ALTER TABLE events ATTACH PARTITION old_events FOR VALUES FROM ('2000-01-01') TO ('2024-01-01');"),
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE public.events ATTACH PARTITION public.old_events FOR VALUES FROM ('2000-01-01') TO ('2024-01-01')"]
    );
    assert_eq!(
        r.down.statements,
        ["ALTER TABLE public.events DETACH PARTITION public.old_events"]
    );
}

#[test]
fn sub_partitions_and_list_and_hash_partitioning() {
    roundtrip(
        PG,
        "",
        "CREATE TABLE m (id int NOT NULL, region text NOT NULL, at date NOT NULL) PARTITION BY LIST (region);
         CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu', 'uk') PARTITION BY RANGE (at);
         CREATE TABLE m_eu_2024 PARTITION OF m_eu FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE h (id int NOT NULL) PARTITION BY HASH (id);
         CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
    );
}

#[test]
fn triggers_and_keys_of_a_partitioned_table_are_not_its_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        &format!(
            "{EVENTS} ALTER TABLE events ADD PRIMARY KEY (id, at); CREATE INDEX events_at ON events (at);
             ALTER TABLE events ADD CONSTRAINT positive CHECK (id > 0);
             CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
             CREATE TRIGGER events_t BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION f();"
        ),
    );
    let c = catalog(&db);
    let part = &c.tables[&migrate::schema::model::QName::new(Some("public"), "events_2024")];
    assert!(
        part.primary_key.is_none() && part.indexes.is_empty() && part.checks.is_empty(),
        "{part:?}"
    );
    assert_eq!(c.triggers.len(), 1);
}

#[test]
fn changing_how_a_table_is_partitioned_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (TestDb::new(PG, dir.path()), TestDb::new(PG, dir.path()));
    apply(
        &a,
        "CREATE TABLE t (id int, at date) PARTITION BY RANGE (at);",
    );
    apply(
        &b,
        "CREATE TABLE t (id int, at date) PARTITION BY LIST (id);",
    );
    let ddl = migrate::dialect::dialect_of(migrate::Kind::Postgres).ddl();
    let e = migrate::schema::migration(&catalog(&a), &catalog(&b), &Default::default(), ddl)
        .unwrap_err();
    assert!(
        e.to_string().starts_with(
            "cannot change how table public.t is partitioned: PostgreSQL cannot change"
        ),
        "{e}"
    );
}

// ---- schemas, own tables, extension objects

#[test]
fn a_schema_dropped_with_what_it_holds() {
    let r = roundtrip(
        PG,
        "CREATE SCHEMA app; CREATE TYPE app.kind AS ENUM ('a'); CREATE TABLE app.t (id serial, k app.kind);
         CREATE VIEW app.v AS SELECT id FROM app.t; CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        "",
    );
    assert_eq!(r.up.statements.last().unwrap(), "DROP SCHEMA app");
}

#[test]
fn migrates_own_tables_and_extension_objects_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
         CREATE TABLE alembic_version_log (id bigserial PRIMARY KEY);
         CREATE EXTENSION citext; CREATE EXTENSION pg_trgm;",
    );
    let c = catalog(&db);
    assert!(c.tables.is_empty() && c.sequences.is_empty(), "{c:?}");
    assert!(
        c.routines.is_empty() && c.enums.is_empty(),
        "{:?}",
        c.routines.keys()
    );
    assert_eq!(
        c.extensions.keys().collect::<Vec<_>>(),
        ["citext", "pg_trgm"]
    );
}

#[test]
fn the_schema_of_migrates_own_tables_is_left_out_not_the_users_tables_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE SCHEMA meta; CREATE TABLE meta.alembic_version (version_num varchar(32) PRIMARY KEY);
         CREATE TABLE meta.notes (id int);",
    );
    let own = migrate::dialect::own_tables(
        &migrate::dialect::VersionTable {
            name: "alembic_version".into(),
            schema: Some("meta".into()),
        },
        "alembic_version_log",
        migrate::Kind::Postgres,
    );
    let c = connect(&db).read_catalog(&own).unwrap();
    assert!(c.schemas.is_empty(), "{:?}", c.schemas);
    let tables: Vec<String> = c.tables.keys().map(|t| t.to_string()).collect();
    assert_eq!(tables, ["meta.notes"]);
}

#[test]
fn an_empty_database_reads_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    assert!(catalog(&db).is_empty(), "{:?}", catalog(&db));
}

// ---- more column changes

#[test]
fn column_renamed_with_a_view_on_it_and_rows() {
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
fn identity_column_widened() {
    roundtrip_with(
        PG,
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "INSERT INTO t DEFAULT VALUES;",
    );
}

#[test]
fn serial_made_identity_and_back() {
    roundtrip_with(
        PG,
        "CREATE TABLE t (id serial PRIMARY KEY, v text);",
        "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);",
        "INSERT INTO t (v) VALUES ('a'), ('b');",
    );
}

#[test]
fn enum_in_another_schema_used_by_arrays() {
    roundtrip(
        PG,
        "CREATE SCHEMA s; CREATE TYPE s.\"Level\" AS ENUM ('low', 'high'); CREATE TABLE s.t (l s.\"Level\"[] DEFAULT '{low}');",
        "CREATE SCHEMA s; CREATE TYPE s.\"Level\" AS ENUM ('high', 'low'); CREATE TABLE s.t (l s.\"Level\"[] DEFAULT '{low}');",
    );
}

#[test]
fn procedure_body_and_function_comment_change() {
    let p = |body: &str| {
        format!("CREATE PROCEDURE p(a int) LANGUAGE plpgsql AS $$ BEGIN {body} END $$;")
    };
    let r = roundtrip(PG, &p("PERFORM 1;"), &p("PERFORM 2;"));
    assert_lacks(&r.up.statements, "DROP");
    let r = roundtrip(
        PG,
        FN_V1,
        &format!("{FN_V1} COMMENT ON FUNCTION add(int, int) IS 'sums two';"),
    );
    assert_eq!(
        r.up.statements,
        ["COMMENT ON FUNCTION public.add(integer, integer) IS 'sums two'"]
    );
}

// ---- scratch databases

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
                self.name
            ));
        }
    }
}

#[test]
fn scratch_database_created_and_dropped_with_a_session_still_open() {
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

// ---- a whole schema

const RICH: &str = r#"CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA billing;
CREATE TYPE public.status AS ENUM ('new', 'paid', 'void');
CREATE TABLE public.customers (
  id bigserial PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  name text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  tags text[] DEFAULT '{}',
  referrer bigint REFERENCES public.customers (id) ON DELETE SET NULL
);
COMMENT ON TABLE public.customers IS 'people who pay';
COMMENT ON COLUMN public.customers.email IS 'login';
CREATE INDEX customers_tags ON public.customers USING gin (tags);
CREATE INDEX customers_recent ON public.customers (created_at DESC) WHERE referrer IS NOT NULL;
CREATE TABLE billing.invoices (
  id int GENERATED ALWAYS AS IDENTITY,
  customer_id bigint NOT NULL REFERENCES public.customers ON DELETE CASCADE DEFERRABLE,
  issued date NOT NULL,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  tax numeric(12,2) GENERATED ALWAYS AS (amount * 0.2) STORED,
  status public.status NOT NULL DEFAULT 'new',
  PRIMARY KEY (id, issued)
) PARTITION BY RANGE (issued);
CREATE TABLE billing.invoices_2024 PARTITION OF billing.invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE billing.invoices_rest PARTITION OF billing.invoices DEFAULT;
CREATE INDEX invoices_customer ON billing.invoices (customer_id) INCLUDE (amount);
CREATE SEQUENCE billing.invoice_numbers START 1000 INCREMENT 10;
CREATE VIEW billing.open_invoices AS SELECT i.id, c.email, i.amount FROM billing.invoices i JOIN public.customers c ON c.id = i.customer_id WHERE i.status = 'new';
CREATE MATERIALIZED VIEW billing.totals AS SELECT customer_id, sum(amount) AS total FROM billing.invoices GROUP BY customer_id;
CREATE UNIQUE INDEX totals_customer ON billing.totals (customer_id);
CREATE FUNCTION billing.total_of(c bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM billing.invoices WHERE customer_id = c $$;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE PROCEDURE billing.void_all() LANGUAGE sql AS $$ UPDATE billing.invoices SET status = 'void' $$;
COMMENT ON FUNCTION billing.total_of(bigint) IS 'sum of invoices';
"#;

#[test]
fn a_whole_schema_made_changed_and_dropped() {
    roundtrip(PG, "", RICH);
    let changed = RICH
        .replace("('new', 'paid', 'void')", "('new', 'sent', 'paid', 'void')")
        .replace("tags text[] DEFAULT '{}',", "tags text[] DEFAULT '{}',\n  phone text,")
        .replace("INCLUDE (amount)", "INCLUDE (amount, issued)")
        .replace("WHERE i.status = 'new'", "WHERE i.status <> 'paid'")
        .replace("RETURN NEW; END", "RETURN NEW; END;")
        .replace("BEFORE UPDATE ON public.customers", "BEFORE INSERT OR UPDATE ON public.customers")
        .replace("START 1000 INCREMENT 10", "START 1000 INCREMENT 5")
        + "CREATE TABLE billing.invoices_2025 PARTITION OF billing.invoices FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";
    let r = roundtrip_with(
        PG,
        RICH,
        &changed,
        "INSERT INTO public.customers (email, name) VALUES ('a@example.com', 'A');
         INSERT INTO billing.invoices (customer_id, issued, amount) VALUES (1, '2024-03-01', 10);",
    );
    assert_has(
        &r.up.statements,
        "ALTER TYPE public.status ADD VALUE 'sent' BEFORE 'paid'",
    );
    assert_has(
        &r.up.statements,
        "ALTER SEQUENCE billing.invoice_numbers INCREMENT BY 5",
    );
    roundtrip(PG, RICH, "");
}
