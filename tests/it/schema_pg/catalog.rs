//! What the reader leaves out.

use super::*;

#[test]
fn migrates_own_tables_and_extension_objects_are_left_out() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    apply(
        &db,
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
         CREATE TABLE alembic_version_log (id bigserial PRIMARY KEY);
         CREATE TABLE alembic_version_lock (lock_id integer PRIMARY KEY);
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
    crate::require!(Db::Postgres);
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
    let tables: Vec<String> = c
        .tables
        .keys()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(tables, ["meta.notes"]);
}

#[test]
fn an_empty_database_reads_empty() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(PG, dir.path());
    assert!(catalog(&db).is_empty(), "{:?}", catalog(&db));
}
