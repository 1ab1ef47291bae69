//! Partitioned tables and partitions.

use super::*;

#[test]
fn partitioned_table_and_partitions() {
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
    crate::require!(Db::Postgres);
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
