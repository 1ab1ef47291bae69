//! Primary keys, unique, check, exclusion and foreign keys; indexes.

use super::*;

#[test]
fn primary_key_unique_and_check_added_and_dropped() {
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
    roundtrip(
        PG,
        "CREATE EXTENSION btree_gist; CREATE TABLE r (room int, during tsrange);",
        "CREATE EXTENSION btree_gist; CREATE TABLE r (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
    );
}
