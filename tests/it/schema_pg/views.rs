//! Views and materialized views.

use super::*;

#[test]
fn views_created_changed_and_dropped_in_dependency_order() {
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
    roundtrip(
        PG,
        "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t;",
        "CREATE TABLE t (id int); CREATE VIEW v WITH (security_barrier) AS SELECT id FROM t WITH LOCAL CHECK OPTION;",
    );
}

#[test]
fn materialized_views_with_their_indexes() {
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE SCHEMA s; CREATE TABLE s.t (id int); CREATE VIEW a AS SELECT id FROM s.t; CREATE VIEW b AS SELECT a.id FROM a JOIN s.t USING (id);",
    );
    let c = catalog(&db);
    let b = &c.views[&migrate::schema::model::QName::new(Some("public"), "b")];
    let deps: Vec<String> = b
        .depends_on
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(deps, ["public.a", "s.t"]);
}
