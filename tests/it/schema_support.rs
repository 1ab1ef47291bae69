//! The round trip every schema case goes through, on the real server: the
//! schema before and the desired one, each applied to a database of its own
//! and read back from the server's catalog; the generated upgrade applied to
//! the first must make its catalog equal the desired one, the generated
//! downgrade must bring it back to the one before, and comparing again must
//! find nothing to do.

#![allow(dead_code)]

use crate::support::{Db, TestDb};
use migrate::dialect::{self, ConnectOptions, Database, VersionTable};
use migrate::schema::{self, Catalog, Migration};
use migrate::Kind;
use std::time::Duration;

pub(crate) fn kind_of(db: Db) -> Kind {
    match db {
        Db::Postgres => Kind::Postgres,
        Db::MySql => Kind::MySql,
        Db::Sqlite => Kind::Sqlite,
    }
}

/// A connection of `migrate`'s own to a test database.
pub(crate) fn connect(db: &TestDb) -> Box<dyn Database> {
    let url = migrate::url::parse(&db.url).unwrap();
    let cwd = std::env::current_dir().unwrap();
    dialect::connect(&ConnectOptions {
        url: &url,
        display: db.url.clone(),
        cwd: &cwd,
        busy_timeout: Duration::from_secs(5),
    })
    .unwrap_or_else(|e| panic!("connecting to {}: {e}", db.url))
}

/// Runs `sql` (several statements, the database's own syntax) on `db`.
pub(crate) fn apply(db: &TestDb, sql: &str) {
    apply_on(connect(db).as_mut(), db.kind, sql);
}

pub(crate) fn apply_on(conn: &mut dyn Database, db: Db, sql: &str) {
    let statements = migrate::sql::split(sql, kind_of(db)).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    for s in statements {
        let r = if s.compound {
            conn.execute_compound(&s.text)
        } else {
            conn.execute(&s.text)
        };
        r.unwrap_or_else(|e| panic!("{db:?}: {e}\nin: {}\nof:\n{sql}", s.text));
    }
}

/// The schema of `db`, as `migrate` reads it.
pub(crate) fn catalog(db: &TestDb) -> Catalog {
    let own = dialect::own_tables(
        &VersionTable {
            name: "alembic_version".into(),
            schema: None,
        },
        "alembic_version_log",
        kind_of(db.kind),
    );
    connect(db)
        .read_catalog(&own)
        .unwrap_or_else(|e| panic!("reading the catalog of {}: {e}", db.url))
}

/// The migration from `from` to `to` on `kind`.
pub(crate) fn migration(
    kind: Db,
    from: &Catalog,
    to: &Catalog,
    renames: &schema::Renames,
) -> Migration {
    let ddl = dialect::dialect_of(kind_of(kind)).ddl();
    schema::migration(from, to, renames, ddl).unwrap_or_else(|e| panic!("{kind:?}: {e}"))
}

/// A catalog with what is not compared taken out (how the server writes a
/// definition for reuse, what a view reads, where a check was declared) and,
/// where column order does not count (everywhere but MySQL), columns in name
/// order: two schemas that are the same are equal values. This is checked
/// apart from the diff, so that a diff that overlooks a difference cannot
/// hide it.
pub(crate) fn comparable(kind: Db, c: &Catalog) -> Catalog {
    let mut c = c.clone();
    for t in c.tables.values_mut() {
        t.options.create_sql = None;
        for col in &mut t.columns {
            col.definition = None;
        }
        if kind != Db::MySql {
            t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
        for i in &mut t.indexes {
            i.create_sql = None;
        }
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        for k in &mut t.checks {
            k.column = None;
        }
        t.checks.sort_by(|a, b| a.definition.cmp(&b.definition));
        t.uniques.sort_by(|a, b| a.definition.cmp(&b.definition));
        t.foreign_keys
            .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
    }
    for v in c.views.values_mut() {
        v.create_sql = None;
        v.depends_on.clear();
        for i in &mut v.indexes {
            i.create_sql = None;
        }
    }
    for t in c.triggers.values_mut() {
        t.create_sql = None;
    }
    c
}

/// The SQL of a migration as one script.
pub(crate) fn script(m: &Migration) -> String {
    m.statements.iter().fold(String::new(), |mut out, s| {
        out.push_str(s);
        out.push_str(";\n");
        out
    })
}

/// What a case generated.
pub(crate) struct Roundtrip {
    pub up: Migration,
    pub down: Migration,
}

/// The round trip of one case: `before` and `after` are schemas in the
/// database's SQL; `rows` runs on the first database before the upgrade
/// (data the upgrade must carry over).
pub(crate) fn roundtrip(kind: Db, before: &str, after: &str) -> Roundtrip {
    roundtrip_with(kind, before, after, "")
}

pub(crate) fn roundtrip_with(kind: Db, before: &str, after: &str, rows: &str) -> Roundtrip {
    let dir = tempfile::tempdir().unwrap();
    let current = TestDb::new(kind, dir.path());
    let desired = TestDb::new(kind, dir.path());
    apply(&current, before);
    apply(&desired, after);
    if !rows.is_empty() {
        apply(&current, rows);
    }
    let c_before = catalog(&current);
    let c_after = catalog(&desired);
    let default_schema = (kind == Db::Postgres).then_some("public");
    let renames = schema::renames::parse(after, kind_of(kind), default_schema).unwrap();
    let up = migration(kind, &c_before, &c_after, &renames);
    let down = migration(kind, &c_after, &c_before, &renames.reversed());
    let context = |what: &str| {
        format!(
            "{kind:?}: {what}\n--- before\n{before}\n--- after\n{after}\n--- up\n{}\n--- down\n{}",
            script(&up),
            script(&down)
        )
    };
    // Up: the catalog becomes the desired one.
    apply(&current, &script(&up));
    let c_up = catalog(&current);
    assert_eq!(
        comparable(kind, &c_up),
        comparable(kind, &c_after),
        "{}",
        context("after the upgrade, the schema is not the desired one")
    );
    let again = migration(kind, &c_up, &c_after, &schema::Renames::default());
    assert!(
        again.is_empty(),
        "{}\n--- still to do after the upgrade\n{}",
        context("the upgrade does not reach the desired schema"),
        script(&again)
    );
    // Down: back to where it was.
    apply(&current, &script(&down));
    let c_down = catalog(&current);
    assert_eq!(
        comparable(kind, &c_down),
        comparable(kind, &c_before),
        "{}",
        context("after the downgrade, the schema is not the one before")
    );
    let again = migration(kind, &c_down, &c_before, &schema::Renames::default());
    assert!(
        again.is_empty(),
        "{}\n--- still to do after the downgrade\n{}",
        context("the downgrade does not return to the schema before"),
        script(&again)
    );
    // And the desired schema compared with itself: nothing.
    let same = migration(kind, &c_after, &c_after, &schema::Renames::default());
    assert!(
        same.is_empty(),
        "{}",
        context("a schema differs from itself")
    );
    Roundtrip { up, down }
}
