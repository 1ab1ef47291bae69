//! Schema cases on SQLite, by object kind: each a round trip on a real
//! database (see schema_support), some with rows that must come through the
//! upgrade and the downgrade, run in one transaction as `migrate` runs a
//! revision; then the scratch-database primitives.

use crate::schema_support::*;
use crate::support::{Db, TestDb};
use migrate::dialect::Database;
use migrate::schema::{self, Catalog};
use migrate::Kind;

const S: Db = Db::Sqlite;

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect()
}

/// Runs `sql` in one transaction on a connection of `migrate`'s own.
fn in_transaction(db: &TestDb, sql: &str) {
    let mut conn = connect(db);
    conn.begin().unwrap();
    apply_on(conn.as_mut(), S, sql);
    conn.commit().unwrap();
}

/// Runs `sql` in one transaction that must fail; the error, once rolled back.
fn fails_in_transaction(conn: &mut dyn Database, sql: &str) -> String {
    conn.begin().unwrap();
    for s in migrate::sql::split(sql, Kind::Sqlite).unwrap() {
        if let Err(e) = conn.execute(&s.text) {
            conn.rollback().unwrap();
            return e.to_string();
        }
    }
    panic!("no statement failed in:\n{sql}");
}

/// What the upgrade and the downgrade leave in a table.
struct Rows<'a> {
    /// Run on the database before the upgrade.
    fill: &'a str,
    query: &'a str,
    /// The query after the downgrade, where it differs (a table renamed).
    query_down: Option<&'a str>,
    after_up: &'a [&'a [&'a str]],
    after_down: &'a [&'a [&'a str]],
}

/// The round trip with rows, each way in one transaction: the catalog and
/// the rows after the upgrade, then after the downgrade.
fn keeps_rows(before: &str, after: &str, r: Rows<'_>) -> Roundtrip {
    let dir = tempfile::tempdir().unwrap();
    let current = TestDb::new(S, dir.path());
    let desired = TestDb::new(S, dir.path());
    apply(&current, before);
    apply(&desired, after);
    apply(&current, r.fill);
    let (c_before, c_after) = (catalog(&current), catalog(&desired));
    let renames = schema::renames::parse(after, Kind::Sqlite, None).unwrap();
    let up = migration(S, &c_before, &c_after, &renames);
    let down = migration(S, &c_after, &c_before, &renames.reversed());
    let context = format!("--- up\n{}--- down\n{}", script(&up), script(&down));
    in_transaction(&current, &script(&up));
    let left = migration(S, &catalog(&current), &c_after, &schema::Renames::default());
    assert!(
        left.is_empty(),
        "after the upgrade, left:\n{}{context}",
        script(&left)
    );
    assert_eq!(
        current.query(r.query),
        rows(r.after_up),
        "after the upgrade\n{context}"
    );
    in_transaction(&current, &script(&down));
    let left = migration(
        S,
        &catalog(&current),
        &c_before,
        &schema::Renames::default(),
    );
    assert!(
        left.is_empty(),
        "after the downgrade, left:\n{}{context}",
        script(&left)
    );
    assert_eq!(
        current.query(r.query_down.unwrap_or(r.query)),
        rows(r.after_down),
        "after the downgrade\n{context}"
    );
    Roundtrip { up, down }
}

fn has(statements: &[String], text: &str) -> bool {
    statements.iter().any(|s| s.contains(text))
}

fn rebuilds(statements: &[String], table: &str) -> bool {
    has(
        statements,
        &format!("ALTER TABLE _migrate_new_{table} RENAME TO {table}"),
    )
}

fn catalog_of(schema: &str) -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    apply(&db, schema);
    catalog(&db)
}

// ---------------------------------------------------------------- tables

#[test]
fn a_table_is_created_with_its_indexes_and_dropped_with_a_warning() {
    let r = roundtrip(
        S,
        "",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n\
         CREATE INDEX notes_body ON notes (body);",
    );
    assert_eq!(
        r.up.statements,
        [
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
            "CREATE INDEX notes_body ON notes (body)"
        ]
    );
    assert!(r.up.warnings.is_empty());
    assert_eq!(r.down.statements, ["DROP TABLE notes"]);
    assert_eq!(r.down.warnings, ["drops table notes and all its rows"]);
}

#[test]
fn strict_and_without_rowid_are_compared_and_made_by_a_rebuild() {
    let plain = "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);";
    let c = catalog_of("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) STRICT, WITHOUT ROWID;");
    let kv = &c.tables[&migrate::schema::model::QName::bare("kv")];
    assert!(kv.options.strict && kv.options.without_rowid);
    let r = keeps_rows(
        plain,
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) STRICT, WITHOUT ROWID;",
        Rows {
            fill: "INSERT INTO kv VALUES ('a', 1), ('b', 2);",
            query: "SELECT k, v FROM kv ORDER BY k",
            query_down: None,
            after_up: &[&["a", "1"], &["b", "2"]],
            after_down: &[&["a", "1"], &["b", "2"]],
        },
    );
    assert!(rebuilds(&r.up.statements, "kv"), "{:?}", r.up.statements);
    assert!(r.up.warnings[0].starts_with("rebuilds table kv"));
}

#[test]
fn a_renamed_table_is_renamed_in_place_with_its_rows_indexes_and_triggers() {
    let r = keeps_rows(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, mail TEXT UNIQUE);\n\
         CREATE INDEX accounts_mail ON accounts (mail);\n\
         CREATE TABLE log (what TEXT);\n\
         CREATE TRIGGER accounts_log AFTER INSERT ON accounts BEGIN INSERT INTO log VALUES (NEW.mail); END;\n\
         CREATE TABLE orders (id INTEGER PRIMARY KEY, account INTEGER REFERENCES accounts (id));",
        "CREATE TABLE users ( -- migrate:renamed-from accounts\n  id INTEGER PRIMARY KEY, mail TEXT UNIQUE);\n\
         CREATE INDEX accounts_mail ON users (mail);\n\
         CREATE TABLE log (what TEXT);\n\
         CREATE TRIGGER accounts_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES (NEW.mail); END;\n\
         CREATE TABLE orders (id INTEGER PRIMARY KEY, account INTEGER REFERENCES users (id));",
        Rows {
            fill: "INSERT INTO accounts VALUES (1, 'a@x'); INSERT INTO orders VALUES (7, 1);",
            query: "SELECT o.id, u.mail FROM orders o JOIN users u ON u.id = o.account",
            query_down: Some("SELECT o.id, a.mail FROM orders o JOIN accounts a ON a.id = o.account"),
            after_up: &[&["7", "a@x"]],
            after_down: &[&["7", "a@x"]],
        },
    );
    // The index, the trigger and the key referencing it follow the table:
    // SQLite rewrote them (`ON "users"`), which compares equal to the
    // schema's `ON users`.
    assert_eq!(r.up.statements, ["ALTER TABLE accounts RENAME TO users"]);
    assert_eq!(r.down.statements, ["ALTER TABLE users RENAME TO accounts"]);
    assert!(r.up.warnings.is_empty(), "{:?}", r.up.warnings);
}

#[test]
fn a_virtual_table_is_created_rebuilt_when_its_arguments_change_and_dropped() {
    let r = roundtrip(S, "", "CREATE VIRTUAL TABLE docs USING fts5(title, body);");
    assert_eq!(
        r.up.statements,
        ["CREATE VIRTUAL TABLE docs USING fts5(title, body)"]
    );
    let r = keeps_rows(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body);",
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter');",
        Rows {
            fill: "INSERT INTO docs (rowid, title, body) VALUES (7, 'running', 'fast');",
            query: "SELECT rowid, title FROM docs WHERE docs MATCH 'running'",
            query_down: None,
            after_up: &[&["7", "running"]],
            after_down: &[&["7", "running"]],
        },
    );
    assert!(rebuilds(&r.up.statements, "docs"), "{:?}", r.up.statements);
}

#[test]
fn internal_shadow_and_own_tables_are_left_out() {
    let c = catalog_of(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE);\n\
         INSERT INTO t (v) VALUES ('x');\n\
         CREATE INDEX t_v ON t (v);\n\
         ANALYZE;\n\
         CREATE VIRTUAL TABLE f USING fts5(a);\n\
         CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n\
         CREATE TABLE alembic_version_log (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE alembic_version_lock (lock_id INTEGER PRIMARY KEY);\n\
         CREATE INDEX alembic_version_log_id ON alembic_version_log (id);",
    );
    let tables: Vec<&str> = c.tables.keys().map(|q| q.name.as_str()).collect();
    assert_eq!(tables, ["f", "t"]);
    let t = &c.tables[&migrate::schema::model::QName::bare("t")];
    // The index SQLite made for UNIQUE is the constraint, not an index.
    let indexes: Vec<&str> = t.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(indexes, ["t_v"]);
    assert_eq!(t.uniques.len(), 1);
    assert_eq!(c.objects(), 2);
}

// ---------------------------------------------------------------- columns

#[test]
fn a_nullable_column_is_added_in_place_and_dropped_by_a_rebuild() {
    let r = keeps_rows(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER DEFAULT 7 CHECK (b > 0));",
        Rows {
            fill: "INSERT INTO t VALUES (1, 'x');",
            query: "SELECT * FROM t",
            query_down: None,
            after_up: &[&["1", "x", "7"]],
            after_down: &[&["1", "x"]],
        },
    );
    // A CHECK on the new column is a change of its own: a rebuild.
    assert!(rebuilds(&r.up.statements, "t"));
    let r = keeps_rows(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT,\n  b INTEGER NOT NULL DEFAULT 7 COLLATE NOCASE -- counts\n);",
        Rows {
            fill: "INSERT INTO t VALUES (1, 'x');",
            query: "SELECT * FROM t",
            query_down: None,
            after_up: &[&["1", "x", "7"]],
            after_down: &[&["1", "x"]],
        },
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 7 COLLATE NOCASE"]
    );
    assert!(rebuilds(&r.down.statements, "t"));
    assert!(
        r.down.warnings[0].contains("drops column t.b and its data"),
        "{:?}",
        r.down.warnings
    );
}

#[test]
fn columns_sqlite_cannot_add_in_place_are_added_by_a_rebuild() {
    for column in [
        "b TEXT DEFAULT CURRENT_TIMESTAMP",
        "b INTEGER DEFAULT (1 + 2)",
        "b INTEGER AS (id * 2) STORED",
        "b INTEGER NOT NULL DEFAULT NULL",
    ] {
        let r = roundtrip(
            S,
            "CREATE TABLE t (id INTEGER PRIMARY KEY);",
            &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, {column});"),
        );
        assert!(
            rebuilds(&r.up.statements, "t"),
            "{column}: {:?}",
            r.up.statements
        );
    }
    // A virtual generated column is added in place.
    let r = roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL);",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE t ADD COLUMN b INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL"]
    );
}

#[test]
fn a_not_null_column_without_default_warns() {
    let r = roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT NOT NULL);",
    );
    assert!(
        r.up.warnings[0].contains("adds NOT NULL column t.b without a default"),
        "{:?}",
        r.up.warnings
    );
}

#[test]
fn a_renamed_column_is_renamed_in_place_with_its_data() {
    // Its check, unique constraint and index and the key referencing it follow.
    let r = keeps_rows(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, mail TEXT UNIQUE CHECK (mail LIKE '%@%'));\n\
         CREATE INDEX t_mail ON t (lower(mail));\n\
         CREATE TABLE c (m TEXT REFERENCES t (mail));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY,\n  email TEXT UNIQUE CHECK (email LIKE '%@%') -- migrate:renamed-from mail\n);\n\
         CREATE INDEX t_mail ON t (lower(email));\n\
         CREATE TABLE c (m TEXT REFERENCES t (email));",
        Rows {
            fill: "INSERT INTO t VALUES (1, 'a@x');",
            query: "SELECT * FROM t",
            query_down: None,
            after_up: &[&["1", "a@x"]],
            after_down: &[&["1", "a@x"]],
        },
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE t RENAME COLUMN mail TO email"]
    );
    assert_eq!(
        r.down.statements,
        ["ALTER TABLE t RENAME COLUMN email TO mail"]
    );
}

#[test]
fn a_renamed_column_that_also_changes_is_renamed_then_rebuilt() {
    let r = keeps_rows(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, mail TEXT, old TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY,\n  email VARCHAR(200) NOT NULL DEFAULT '', -- migrate:renamed-from mail\n  new INT);",
        Rows {
            fill: "INSERT INTO t VALUES (1, 'a@x', 'gone');",
            query: "SELECT * FROM t",
            query_down: None,
            after_up: &[&["1", "a@x", "NULL"]],
            after_down: &[&["1", "a@x", "NULL"]],
        },
    );
    assert_eq!(
        r.up.statements[0],
        "ALTER TABLE t RENAME COLUMN mail TO email"
    );
    assert!(rebuilds(&r.up.statements, "t"));
    assert!(has(
        &r.up.statements,
        "INSERT INTO _migrate_new_t (id, email) SELECT id, email FROM t"
    ));
    let w = &r.up.warnings[0];
    assert!(w.contains("drops column t.old and its data"), "{w}");
    assert!(
        w.contains("changes the type of t.email from TEXT to VARCHAR(200)"),
        "{w}"
    );
}

#[test]
fn type_nullability_default_and_collation_changes_rebuild_the_table() {
    for (from, to, value) in [
        ("v TEXT", "v INTEGER", "'2'"),
        ("v TEXT", "v TEXT NOT NULL DEFAULT 'none'", "'2'"),
        ("v TEXT DEFAULT 'a'", "v TEXT DEFAULT 'b'", "NULL"),
        ("v TEXT", "v TEXT COLLATE NOCASE", "'2'"),
        ("v INTEGER AS (id + 1)", "v INTEGER AS (id + 2)", ""),
        (
            "v INTEGER AS (id + 1) VIRTUAL",
            "v INTEGER AS (id + 1) STORED",
            "",
        ),
    ] {
        let fill = if value.is_empty() {
            "INSERT INTO t (id) VALUES (1);".to_string()
        } else {
            format!("INSERT INTO t (id, v) VALUES (1, {value});")
        };
        let r = keeps_rows(
            &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, {from});"),
            &format!("CREATE TABLE t (id INTEGER PRIMARY KEY, {to});"),
            Rows {
                fill: &fill,
                query: "SELECT id, typeof(v) <> 'null' FROM t",
                query_down: None,
                after_up: &[&["1", if value == "NULL" { "0" } else { "1" }]],
                after_down: &[&["1", if value == "NULL" { "0" } else { "1" }]],
            },
        );
        assert!(rebuilds(&r.up.statements, "t"), "{from} -> {to}");
    }
    // Collation names ignore case.
    let column = |sql: &str| catalog_of(sql).tables.into_values().next().unwrap().columns;
    assert_eq!(
        column("CREATE TABLE t (v TEXT COLLATE nocase);")[0]
            .collation
            .as_deref(),
        Some("NOCASE")
    );
}

#[test]
fn defaults_are_compared_as_written() {
    let c = catalog_of(
        "CREATE TABLE t (a TEXT DEFAULT 'it''s', b INTEGER DEFAULT -1, c DEFAULT (1 + 2), d TEXT DEFAULT CURRENT_TIMESTAMP, e);",
    );
    let t = &c.tables[&migrate::schema::model::QName::bare("t")];
    let defaults: Vec<Option<&str>> = t.columns.iter().map(|c| c.default.as_deref()).collect();
    assert_eq!(
        defaults,
        [
            Some("'it''s'"),
            Some("-1"),
            Some("1 + 2"),
            Some("CURRENT_TIMESTAMP"),
            None
        ]
    );
    let types: Vec<&str> = t.columns.iter().map(|c| c.data_type.as_str()).collect();
    assert_eq!(types, ["TEXT", "INTEGER", "", "TEXT", ""]);
}

// ---------------------------------------------------------------- keys

#[test]
fn primary_key_and_autoincrement_changes_rebuild_and_keep_the_counter() {
    let r = keeps_rows(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL DEFAULT '');",
        Rows {
            // The highest id is deleted: AUTOINCREMENT never gives it again.
            fill: "INSERT INTO t (v) VALUES ('a'), ('b'), ('c'); DELETE FROM t WHERE id = 3;",
            query: "SELECT seq FROM sqlite_sequence WHERE name = 't'",
            query_down: None,
            after_up: &[&["3"]],
            after_down: &[&["3"]],
        },
    );
    assert!(rebuilds(&r.up.statements, "t"));
    let c = catalog_of("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);");
    assert!(c.tables[&migrate::schema::model::QName::bare("t")].columns[0].auto_increment);
    for (from, to) in [
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);",
        ),
        (
            "CREATE TABLE t (id INTEGER, v TEXT);",
            "CREATE TABLE t (id INTEGER, v TEXT, PRIMARY KEY (id, v));",
        ),
    ] {
        let r = keeps_rows(
            from,
            to,
            Rows {
                fill: "INSERT INTO t VALUES (1, 'a');",
                query: "SELECT id, v FROM t",
                query_down: None,
                after_up: &[&["1", "a"]],
                after_down: &[&["1", "a"]],
            },
        );
        assert!(rebuilds(&r.up.statements, "t"), "{to}");
    }
}

#[test]
fn rowids_survive_a_rebuild() {
    keeps_rows(
        "CREATE TABLE t (v TEXT);",
        "CREATE TABLE t (v TEXT NOT NULL DEFAULT '');",
        Rows {
            fill: "INSERT INTO t (rowid, v) VALUES (10, 'a'), (20, 'b');",
            query: "SELECT rowid, v FROM t ORDER BY rowid",
            query_down: None,
            after_up: &[&["10", "a"], &["20", "b"]],
            after_down: &[&["10", "a"], &["20", "b"]],
        },
    );
}

#[test]
fn unique_and_check_constraints_are_added_with_a_warning_and_dropped() {
    let r = roundtrip(
        S,
        "CREATE TABLE t (a INTEGER, b INTEGER);",
        "CREATE TABLE t (a INTEGER, b INTEGER, CONSTRAINT ab UNIQUE (a, b), CONSTRAINT positive CHECK (a > 0));",
    );
    assert!(rebuilds(&r.up.statements, "t"));
    let w = &r.up.warnings[0];
    assert!(w.contains("adds a unique constraint on t (a, b)"), "{w}");
    assert!(w.contains("adds the check CHECK (a > 0) on t"), "{w}");
    // A check whose expression changes.
    let r = roundtrip(
        S,
        "CREATE TABLE t (a INTEGER CHECK (a > 0));",
        "CREATE TABLE t (a INTEGER CHECK (a >= 0));",
    );
    assert!(rebuilds(&r.up.statements, "t"));
    // The same check written with other spacing, comments and quoting is the same.
    let checks = |sql: &str| catalog_of(sql).tables.into_values().next().unwrap().checks;
    assert_eq!(
        checks("CREATE TABLE t (a INTEGER CHECK (a>0 AND \"a\" <  10));"),
        checks("CREATE TABLE t (a INTEGER CHECK (a>0 /* low */ AND [a]\n <  10));"),
    );
    assert_eq!(
        checks("CREATE TABLE t (a INTEGER CONSTRAINT small CHECK (a < 10));")[0]
            .name
            .as_deref(),
        Some("small")
    );
}

#[test]
fn a_rebuild_whose_rows_break_a_new_check_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    apply(
        &db,
        "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (-1);",
    );
    let to = catalog_of("CREATE TABLE t (a INTEGER CHECK (a > 0));");
    let up = migration(S, &catalog(&db), &to, &schema::Renames::default());
    let e = fails_in_transaction(connect(&db).as_mut(), &script(&up));
    assert!(e.contains("CHECK constraint failed"), "{e}");
    assert_eq!(db.query("SELECT a FROM t"), rows(&[&["-1"]]));
    assert!(catalog(&db)
        .tables
        .values()
        .next()
        .unwrap()
        .checks
        .is_empty());
}

// ---------------------------------------------------------------- foreign keys

const PARENT: &str = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);";

#[test]
fn foreign_keys_are_read_with_their_actions_and_added_by_a_rebuild() {
    let c = catalog_of(&format!(
        "{PARENT}\nCREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES PARENT ON DELETE CASCADE ON UPDATE SET NULL);"
    ));
    let fk = &c.tables[&migrate::schema::model::QName::bare("child")].foreign_keys[0];
    assert_eq!(fk.columns, ["p"]);
    assert_eq!(fk.ref_table.name, "parent");
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(
        (fk.on_delete.as_str(), fk.on_update.as_str()),
        ("CASCADE", "SET NULL")
    );
    // `REFERENCES parent` and `REFERENCES parent (id)` are one key.
    assert_eq!(
        catalog_of(&format!(
            "{PARENT}\nCREATE TABLE child (p INTEGER REFERENCES parent);"
        ))
        .tables[&migrate::schema::model::QName::bare("child")]
            .foreign_keys,
        catalog_of(&format!(
            "{PARENT}\nCREATE TABLE child (p INTEGER REFERENCES parent (ID));"
        ))
        .tables[&migrate::schema::model::QName::bare("child")]
            .foreign_keys,
    );
    let r = keeps_rows(
        &format!("{PARENT}\nCREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER);"),
        &format!(
            "{PARENT}\nCREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id) ON DELETE CASCADE);"
        ),
        Rows {
            fill: "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (10, 1), (11, NULL);",
            query: "SELECT id, p FROM child",
            query_down: None,
            after_up: &[&["10", "1"], &["11", "NULL"]],
            after_down: &[&["10", "1"], &["11", "NULL"]],
        },
    );
    assert!(rebuilds(&r.up.statements, "child"));
    assert!(has(&r.up.statements, "pragma_foreign_key_check('child')"));
    // An action that changes.
    let r = roundtrip(
        S,
        &format!(
            "{PARENT}\nCREATE TABLE child (p INTEGER REFERENCES parent (id) ON DELETE CASCADE);"
        ),
        &format!(
            "{PARENT}\nCREATE TABLE child (p INTEGER REFERENCES parent (id) ON DELETE SET NULL);"
        ),
    );
    assert!(rebuilds(&r.up.statements, "child"));
}

#[test]
fn a_rebuild_that_breaks_a_foreign_key_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    apply(
        &db,
        &format!("{PARENT}\nCREATE TABLE child (p INTEGER);\nINSERT INTO child VALUES (5);"),
    );
    let to = catalog_of(&format!(
        "{PARENT}\nCREATE TABLE child (p INTEGER REFERENCES parent (id));"
    ));
    let before = catalog(&db);
    let up = migration(S, &before, &to, &schema::Renames::default());
    let e = fails_in_transaction(connect(&db).as_mut(), &script(&up));
    assert!(
        e.contains("rebuilding table child leaves rows that break a foreign key"),
        "{e}"
    );
    assert_eq!(catalog(&db), before);
    assert_eq!(db.query("SELECT p FROM child"), rows(&[&["5"]]));
}

/// The parent of a table whose key cascades is rebuilt: with foreign keys
/// on, its DROP TABLE would delete the child's rows.
const CASCADING: &str = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n\
     CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id) ON DELETE CASCADE);";

#[test]
fn rebuilding_a_parent_keeps_the_rows_that_reference_it() {
    let r = keeps_rows(
        CASCADING,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
         CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id) ON DELETE CASCADE);",
        Rows {
            fill: "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (10, 1);",
            query: "SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.p",
            query_down: None,
            after_up: &[&["10", "a"]],
            after_down: &[&["10", "a"]],
        },
    );
    // The child keeps its shape: its key is checked once the parent is back.
    assert!(has(&r.up.statements, "pragma_foreign_key_check('child')"));
}

#[test]
fn rebuilding_a_parent_with_foreign_keys_on_fails_before_anything_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    apply(&db, CASCADING);
    apply(
        &db,
        "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (10, 1);",
    );
    let to = catalog_of(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
         CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id) ON DELETE CASCADE);",
    );
    let up = migration(S, &catalog(&db), &to, &schema::Renames::default());
    // As an application that turns them on would run the revision.
    let mut conn = connect(&db);
    conn.execute("PRAGMA foreign_keys = ON").unwrap();
    let e = fails_in_transaction(conn.as_mut(), &script(&up));
    assert!(
        e.contains("with foreign keys on deletes the rows that reference it"),
        "{e}"
    );
    assert_eq!(db.query("SELECT id, p FROM child"), rows(&[&["10", "1"]]));
}

#[test]
fn migrate_connects_with_foreign_keys_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    assert_eq!(
        connect(&db).query_rows("PRAGMA foreign_keys", &[]).unwrap(),
        vec![vec![Some("0".to_string())]]
    );
}

#[test]
fn tables_are_rebuilt_after_the_tables_they_reference_so_new_keys_check() {
    // The child gains a key to a column the parent makes unique in the
    // same revision: the parent is rebuilt first, then the child checked.
    keeps_rows(
        "CREATE TABLE b_products (id INTEGER PRIMARY KEY, sku TEXT);\n\
         CREATE TABLE a_orders (id INTEGER PRIMARY KEY, sku TEXT);",
        "CREATE TABLE b_products (id INTEGER PRIMARY KEY, sku TEXT UNIQUE);\n\
         CREATE TABLE a_orders (id INTEGER PRIMARY KEY, sku TEXT REFERENCES b_products (sku));",
        Rows {
            fill: "INSERT INTO b_products VALUES (1, 'x'); INSERT INTO a_orders VALUES (1, 'x');",
            query: "SELECT o.id, p.id FROM a_orders o JOIN b_products p USING (sku)",
            query_down: None,
            after_up: &[&["1", "1"]],
            after_down: &[&["1", "1"]],
        },
    );
}

// ---------------------------------------------------------------- indexes

#[test]
fn indexes_partial_expression_and_unique_are_created_changed_and_dropped() {
    let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);";
    let r = roundtrip(
        S,
        base,
        &format!(
            "{base}\nCREATE INDEX t_a ON t (a) WHERE b > 0;\n\
             CREATE INDEX t_lower ON t (lower(a), b DESC);\n\
             CREATE UNIQUE INDEX t_b ON t (b);"
        ),
    );
    assert_eq!(
        r.up.statements,
        [
            "CREATE INDEX t_a ON t (a) WHERE b > 0",
            "CREATE UNIQUE INDEX t_b ON t (b)",
            "CREATE INDEX t_lower ON t (lower(a), b DESC)"
        ]
    );
    assert_eq!(
        r.up.warnings,
        ["adds the unique index t_b on t: fails if rows repeat a value"]
    );
    assert_eq!(
        r.down.statements,
        ["DROP INDEX t_a", "DROP INDEX t_b", "DROP INDEX t_lower"]
    );
    let r = roundtrip(
        S,
        &format!("{base}\nCREATE INDEX t_a ON t (a) WHERE b > 0;"),
        &format!("{base}\nCREATE INDEX t_a ON t (a) WHERE b > 1;"),
    );
    assert_eq!(
        r.up.statements,
        ["DROP INDEX t_a", "CREATE INDEX t_a ON t (a) WHERE b > 1"]
    );
    // Only spacing, comments and quoting differ: nothing to do.
    assert_eq!(
        catalog_of(&format!("{base}\nCREATE INDEX t_a ON t (a) WHERE b > 0;")).tables,
        catalog_of(&format!(
            "{base}\nCREATE INDEX \"t_a\" ON [t]  (\"a\") -- why\n WHERE b > 0;"
        ))
        .tables
        .into_iter()
        .map(|(k, mut t)| {
            t.indexes[0].create_sql = Some("CREATE INDEX t_a ON t (a) WHERE b > 0".into());
            (k, t)
        })
        .collect(),
    );
}

#[test]
fn a_rebuilt_table_gets_its_indexes_back() {
    let r = roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX t_a ON t (a);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '');\nCREATE INDEX t_a ON t (a);",
    );
    assert!(has(&r.up.statements, "CREATE INDEX t_a ON t (a)"));
}

// ---------------------------------------------------------------- views

#[test]
fn views_are_created_changed_and_dropped() {
    let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);";
    let r = roundtrip(
        S,
        base,
        &format!("{base}\nCREATE VIEW v AS SELECT id, a FROM t -- all of them\n;\nCREATE VIEW w AS SELECT id FROM v;"),
    );
    assert_eq!(
        r.up.statements,
        [
            "CREATE VIEW v AS SELECT id, a FROM t",
            "CREATE VIEW w AS SELECT id FROM v"
        ]
    );
    assert_eq!(r.down.statements, ["DROP VIEW w", "DROP VIEW v"]);
    let r = roundtrip(
        S,
        &format!("{base}\nCREATE VIEW v AS SELECT id FROM t;"),
        &format!("{base}\nCREATE VIEW v AS SELECT id, a FROM t;"),
    );
    assert_eq!(
        r.up.statements,
        ["DROP VIEW v", "CREATE VIEW v AS SELECT id, a FROM t"]
    );
}

#[test]
fn views_reading_a_rebuilt_or_renamed_table_are_made_again() {
    let r = roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n\
         CREATE VIEW v AS SELECT a FROM t;\nCREATE VIEW w AS SELECT * FROM v;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '');\n\
         CREATE VIEW v AS SELECT a FROM t;\nCREATE VIEW w AS SELECT * FROM v;",
    );
    assert_eq!(r.up.statements[..2], ["DROP VIEW w", "DROP VIEW v"]);
    assert_eq!(
        r.up.statements[r.up.statements.len() - 2..],
        [
            "CREATE VIEW v AS SELECT a FROM t",
            "CREATE VIEW w AS SELECT * FROM v"
        ]
    );
    roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nCREATE VIEW v AS SELECT a FROM t;",
        "CREATE TABLE u ( -- migrate:renamed-from t\n id INTEGER PRIMARY KEY, a TEXT);\n\
         CREATE VIEW v AS SELECT a FROM u;",
    );
}

// ---------------------------------------------------------------- triggers

#[test]
fn triggers_are_created_changed_and_dropped() {
    let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nCREATE TABLE log (what TEXT);";
    let trigger = |what: &str| {
        format!(
            "CREATE TRIGGER t_log AFTER INSERT ON t\nBEGIN\n  -- note it\n  INSERT INTO log VALUES ({what});\nEND;"
        )
    };
    let r = roundtrip(S, base, &format!("{base}\n{}", trigger("'new'")));
    assert_eq!(
        r.up.statements,
        ["CREATE TRIGGER t_log AFTER INSERT ON t\nBEGIN\n  \n  INSERT INTO log VALUES ('new');\nEND"]
    );
    assert_eq!(r.down.statements, ["DROP TRIGGER t_log"]);
    let r = roundtrip(
        S,
        &format!("{base}\n{}", trigger("'new'")),
        &format!("{base}\n{}", trigger("NEW.id")),
    );
    assert_eq!(r.up.statements.len(), 2);
    assert_eq!(r.up.statements[0], "DROP TRIGGER t_log");
}

#[test]
fn triggers_survive_a_rebuild_of_their_table_or_of_a_table_they_write() {
    let schema = |n: &str| {
        format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, {n});\nCREATE TABLE log (what TEXT);\n\
             CREATE TABLE other (x INTEGER);\n\
             CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('t'); END;\n\
             CREATE TRIGGER other_t AFTER INSERT ON other BEGIN INSERT INTO t (id) VALUES (NEW.x); END;"
        )
    };
    let r = keeps_rows(
        &schema("n INTEGER"),
        &schema("n INTEGER NOT NULL DEFAULT 0"),
        Rows {
            fill: "INSERT INTO t VALUES (1, 1);",
            query: "SELECT id FROM t",
            query_down: None,
            after_up: &[&["1"]],
            after_down: &[&["1"]],
        },
    );
    assert!(has(
        &r.up.statements,
        "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('t'); END"
    ));
}

#[test]
fn instead_of_triggers_come_back_with_their_view() {
    roundtrip(
        S,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n\
         CREATE VIEW v AS SELECT id, a FROM t;\n\
         CREATE TRIGGER v_insert INSTEAD OF INSERT ON v BEGIN INSERT INTO t VALUES (NEW.id, NEW.a); END;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '');\n\
         CREATE VIEW v AS SELECT id, a FROM t;\n\
         CREATE TRIGGER v_insert INSTEAD OF INSERT ON v BEGIN INSERT INTO t VALUES (NEW.id, NEW.a); END;",
    );
}

// ---------------------------------------------------------------- scratch databases

#[test]
fn a_scratch_database_is_created_beside_the_one_connected_and_dropped_even_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    let mut conn = connect(&db);
    conn.create_database("scratch.db").unwrap();
    let path = dir.path().join("scratch.db");
    assert!(path.is_file());
    let e = conn.create_database("scratch.db").unwrap_err();
    assert!(e.to_string().contains("scratch.db"), "{e}");
    // A connection still open to it does not stop the drop.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (a);")
        .unwrap();
    conn.drop_database("scratch.db").unwrap();
    assert!(!path.exists());
    assert!(!dir.path().join("scratch.db-wal").exists());
    drop(other);
    let e = conn.drop_database("scratch.db").unwrap_err();
    assert!(e.to_string().contains("cannot drop SQLite database"), "{e}");
    let own = db.path.as_ref().unwrap().display().to_string();
    let e = conn.drop_database(&own).unwrap_err();
    assert!(e.to_string().contains("the database connected to"), "{e}");
}

#[test]
fn emptying_a_database_drops_every_object() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(S, dir.path());
    apply(
        &db,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT);\n\
         CREATE TABLE child (p INTEGER REFERENCES parent (id));\n\
         INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);\n\
         CREATE INDEX child_p ON child (p);\n\
         CREATE VIEW v AS SELECT * FROM child;\n\
         CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END;\n\
         CREATE VIRTUAL TABLE f USING fts5(a);\n\
         ANALYZE;",
    );
    let mut conn = connect(&db);
    conn.execute("PRAGMA foreign_keys = ON").unwrap();
    conn.empty_database().unwrap();
    assert_eq!(
        db.query("SELECT type, name FROM sqlite_schema WHERE name <> 'sqlite_sequence'"),
        Vec::<Vec<String>>::new()
    );
    assert!(catalog(&db).is_empty());
    // Foreign keys are as they were.
    assert_eq!(
        conn.query_rows("PRAGMA foreign_keys", &[]).unwrap(),
        vec![vec![Some("1".to_string())]]
    );
}

#[test]
fn a_table_referencing_itself_is_rebuilt_with_its_rows_and_checked() {
    let r = keeps_rows(
        "CREATE TABLE node (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node (id) ON DELETE CASCADE);",
        "CREATE TABLE node (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node (id) ON DELETE CASCADE, label TEXT NOT NULL DEFAULT '');",
        Rows {
            fill: "INSERT INTO node VALUES (1, NULL), (2, 1), (3, 2);",
            query: "SELECT id, parent FROM node ORDER BY id",
            query_down: None,
            after_up: &[&["1", "NULL"], &["2", "1"], &["3", "2"]],
            after_down: &[&["1", "NULL"], &["2", "1"], &["3", "2"]],
        },
    );
    // Only other tables' rows are at risk with foreign keys on: no guard.
    assert!(!has(&r.down.statements, "migrate_rebuild_guard"));
    assert!(has(&r.down.statements, "pragma_foreign_key_check('node')"));
}

#[test]
fn names_that_must_be_quoted_are_quoted() {
    let r = keeps_rows(
        "CREATE TABLE \"group\" (\"order\" INTEGER, [select] TEXT, `two words` TEXT);\n\
         CREATE INDEX \"group by\" ON \"group\" (\"order\");",
        "CREATE TABLE \"group\" (\"order\" INTEGER, [select] TEXT NOT NULL DEFAULT '', `two words` TEXT);\n\
         CREATE INDEX \"group by\" ON \"group\" (\"order\");",
        Rows {
            fill: "INSERT INTO \"group\" VALUES (1, 'a', 'b');",
            query: "SELECT * FROM \"group\"",
            query_down: None,
            after_up: &[&["1", "a", "b"]],
            after_down: &[&["1", "a", "b"]],
        },
    );
    assert!(has(
        &r.up.statements,
        "INSERT INTO _migrate_new_group (rowid, \"order\", \"select\", \"two words\") SELECT rowid, \"order\", \"select\", \"two words\" FROM \"group\""
    ));
}

#[test]
fn a_whole_schema_is_created_in_order_and_dropped_in_order() {
    let schema = "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER NOT NULL REFERENCES customers (id));\n\
         CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE) STRICT;\n\
         CREATE INDEX orders_customer ON orders (customer);\n\
         CREATE VIEW big_customers AS SELECT c.name FROM customers c JOIN orders o ON o.customer = c.id;\n\
         CREATE VIEW names AS SELECT name FROM big_customers;\n\
         CREATE TRIGGER customers_gone AFTER DELETE ON customers BEGIN DELETE FROM orders WHERE customer = OLD.id; END;\n\
         CREATE VIRTUAL TABLE search USING fts5(name);";
    let r = roundtrip(S, "", schema);
    assert_eq!(r.up.statements.len(), 7, "{:?}", r.up.statements);
    assert!(
        r.up.statements[5].starts_with("CREATE VIEW names"),
        "{:?}",
        r.up.statements
    );
    assert_eq!(
        r.down.statements,
        [
            "DROP TRIGGER customers_gone",
            "DROP VIEW names",
            "DROP VIEW big_customers",
            "DROP TABLE customers",
            "DROP TABLE orders",
            "DROP TABLE search"
        ]
    );
}
