//! Real schemas from public projects' migration histories, taken at two
//! points in their history: the earlier one is the project's revisions, the
//! later one is `schema`, and `migrate revision --autogenerate` must write a
//! revision whose upgrade reaches the later schema and whose downgrade
//! returns to the earlier one, on PostgreSQL, MariaDB and SQLite.
//!
//! No schema text of those projects is kept in this repository: `.ci/real-schemas`
//! (run by `.ci/run`) fetches their published packages from the registries
//! into a cache and names it in MIGRATE_TEST_REAL_SCHEMAS:
//!
//! - matrix-synapse (PyPI): the full schemas its wheels ship, schema version
//!   54 (1.60.0) and 72 (1.100.0), on PostgreSQL and SQLite. The 54 schema's
//!   `stream_positions.sql` (rows, no schema) is left out.
//! - umami (npm): its Prisma migration history, 01–02 against 01–04, on
//!   PostgreSQL and MySQL/MariaDB; each migration is a revision of its own.
//!
//! Each case checks with `migrate` itself (`diff --from database --exit-code`
//! against the later and the earlier schema, autogenerate again: no changes)
//! and independently of autogenerate's catalog readers: an inventory of the
//! live catalog (columns, indexes, constraints, triggers, routines, read
//! with plain catalog queries) after the upgrade equals the one of a
//! database that ran the later schema as written, and after the downgrade
//! the one the earlier revisions made.

use crate::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The cache `.ci/real-schemas` fills, or None (the test is skipped loudly,
/// and fails under CI=true).
fn cache(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MIGRATE_TEST_REAL_SCHEMAS").map(PathBuf::from);
    let why = match &dir {
        None => "MIGRATE_TEST_REAL_SCHEMAS is not set".to_string(),
        Some(d)
            if !d.join("umami-2.10.0/.done").exists()
                || !d.join("synapse-1.60.0/.done").exists()
                || !d.join("synapse-1.100.0/.done").exists() =>
        {
            format!("{} lacks the fetched packages", d.display())
        }
        Some(_) => return dir,
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {why}. CI=true: .ci/run fetches them (.ci/real-schemas), so their absence is a failure.");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}. Run `.ci/real-schemas` and set MIGRATE_TEST_REAL_SCHEMAS to the folder it prints (`.ci/run` does both); under CI=true this fails. ***\n"
    );
    None
}

/// One project's schema at two points: the earlier as revisions (each a list
/// of files, run as written), the later as the `schema` files.
struct Case {
    name: &'static str,
    kind: Db,
    earlier: Vec<Vec<PathBuf>>,
    later: Vec<PathBuf>,
}

fn read_all(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

fn synapse(root: &Path, kind: Db) -> Case {
    let s54 = root.join("synapse-1.60.0/synapse/storage/schema");
    let s72 = root.join("synapse-1.100.0/synapse/storage/schema");
    let (main54, ext72) = match kind {
        Db::Postgres => ("full.sql.postgres", "full.sql.postgres"),
        _ => ("full.sql.sqlite", "full.sql.sqlite"),
    };
    let mut earlier = vec![
        s54.join("main/full_schemas/54").join(main54),
        s54.join("state/full_schemas/54/full.sql"),
    ];
    if kind == Db::Postgres {
        earlier.push(s54.join("state/full_schemas/54/sequence.sql.postgres"));
    }
    earlier.push(s54.join("common/full_schemas/54/full.sql"));
    Case {
        name: "synapse 54 -> 72",
        kind,
        earlier: vec![earlier],
        later: ["main", "state", "common"]
            .iter()
            .map(|part| s72.join(part).join("full_schemas/72").join(ext72))
            .collect(),
    }
}

fn umami(root: &Path, kind: Db) -> Case {
    let dir = root.join(match kind {
        Db::Postgres => "umami-2.10.0/package/db/postgresql/migrations",
        _ => "umami-2.10.0/package/db/mysql/migrations",
    });
    let migration = |name: &str| dir.join(name).join("migration.sql");
    let all = [
        "01_init",
        "02_report_schema_session_data",
        "03_metric_performance_index",
        "04_team_redesign",
    ];
    Case {
        name: "umami 02 -> 04",
        kind,
        earlier: all[..2].iter().map(|m| vec![migration(m)]).collect(),
        later: all.iter().map(|m| migration(m)).collect(),
    }
}

/// A project whose `schema` is a folder holding `files` in their order.
fn project(kind: Db, files: &[PathBuf]) -> Project {
    let p = Project::with_config(kind, "schema = \"schema\"");
    std::fs::create_dir(p.path().join("schema")).unwrap();
    for (i, f) in files.iter().enumerate() {
        std::fs::copy(f, p.path().join(format!("schema/{i:02}.sql"))).unwrap();
    }
    p
}

/// Writes `revisions` (each run as written) as a chain of hand-written
/// revisions, and returns the head's id.
fn write_chain(p: &Project, revisions: &[Vec<PathBuf>]) -> String {
    let mut parent: Option<String> = None;
    for (i, files) in revisions.iter().enumerate() {
        let id = format!("{:012}", i + 1);
        let parents: Vec<&str> = parent.iter().map(String::as_str).collect();
        p.revision(&id, &parents, &read_all(files), "");
        parent = Some(id);
    }
    parent.expect("at least one revision")
}

/// The live catalog, read with plain catalog queries (not autogenerate's
/// readers), as a sorted list of lines, the version table left out.
fn inventory(db: &TestDb) -> Vec<String> {
    let queries: &[&str] = match db.kind {
        Db::Postgres => &[
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' null=' || is_nullable || ' default=' || coalesce(column_default, '-') || ' identity=' || is_identity FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'alembic_version'",
            "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'alembic_version'",
            "SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 0 AND conrelid::regclass::text <> 'alembic_version'",
            "SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
            "SELECT 'routine ' || pg_get_functiondef(p.oid) FROM pg_proc p WHERE pronamespace = 'public'::regnamespace",
            "SELECT 'sequence ' || sequence_name || ' ' || data_type || ' ' || increment FROM information_schema.sequences WHERE sequence_schema = 'public'",
            "SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'",
        ],
        Db::MySql => &[
            "SELECT CONCAT_WS(' ', 'column', table_name, ordinal_position, column_name, column_type, is_nullable, COALESCE(column_default, '-'), extra, COALESCE(collation_name, '-'), column_comment) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'",
            "SELECT CONCAT_WS(' ', 'index', table_name, index_name, non_unique, seq_in_index, column_name, COALESCE(sub_part, '-'), index_type) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'",
            "SELECT CONCAT_WS(' ', 'fk', k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, r.update_rule, r.delete_rule) FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name WHERE k.table_schema = DATABASE()",
            "SELECT CONCAT_WS(' ', 'table', table_name, engine, table_collation) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'",
        ],
        Db::Sqlite => &[
            "SELECT 'column ' || m.name || '.' || c.name || ' ' || c.type || ' notnull=' || c.\"notnull\" || ' default=' || coalesce(c.dflt_value, '-') || ' pk=' || c.pk FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name <> 'alembic_version'",
            "SELECT 'index ' || m.name || ' ' || i.name || ' unique=' || i.\"unique\" || ' partial=' || i.partial || ' ' || group_concat(coalesce(ii.name, '<expr>'), ',') FROM sqlite_master m, pragma_index_list(m.name) i, pragma_index_xinfo(i.name) ii WHERE m.type = 'table' AND m.name <> 'alembic_version' AND ii.key GROUP BY m.name, i.name",
            "SELECT 'fk ' || m.name || ' ' || f.\"from\" || ' -> ' || f.\"table\" || '.' || coalesce(f.\"to\", '-') || ' ' || f.on_update || ' ' || f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            "SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE type IN ('trigger', 'view')",
        ],
    };
    let mut lines: Vec<String> = queries
        .iter()
        .flat_map(|q| db.query(q))
        .map(|row| row.join(" "))
        .collect();
    lines.sort();
    lines
}

/// Lines only in `a`, and lines only in `b`, for a readable failure.
fn differences(a: &[String], b: &[String]) -> String {
    let only = |x: &[String], y: &[String]| {
        x.iter()
            .filter(|l| !y.contains(l))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    format!(
        "only in the first:\n  {}\nonly in the second:\n  {}",
        only(a, b),
        only(b, a)
    )
}

fn run_case(case: Case) {
    let what = format!("{} on {:?}", case.name, case.kind);
    let p = project(case.kind, &case.later);
    let base = write_chain(&p, &case.earlier);
    p.run(&["upgrade", "head"]).ok();
    let before = inventory(&p.db);
    assert!(
        before.len() > 20,
        "{what}: the earlier schema made a catalog of {} lines",
        before.len()
    );

    // The later schema run as written, in a database of its own.
    let direct = Project::new(case.kind);
    write_chain(&direct, std::slice::from_ref(&case.later));
    direct.run(&["upgrade", "head"]).ok();
    let later = inventory(&direct.db);
    assert_ne!(before, later, "{what}: the two points do not differ");

    let out = p.run(&["revision", "--autogenerate", "-m", "later"]).ok();
    assert!(
        out.stdout.contains("Generating ") && out.stdout.contains(" done"),
        "{what}: {}",
        out.stdout
    );
    p.run(&["upgrade", "head"]).ok();
    let up = p.run(&[
        "diff",
        "--from",
        "database",
        "--to",
        "schema",
        "--exit-code",
    ]);
    assert_eq!(
        up.code, 0,
        "{what}: after upgrade:\n{}{}",
        up.stdout, up.stderr
    );
    let reached = inventory(&p.db);
    assert!(
        reached == later,
        "{what}: the upgrade's catalog differs from the later schema run as written:\n{}",
        differences(&reached, &later)
    );

    p.run(&["downgrade", "-1"]).ok();
    assert_eq!(p.db.versions(), vec![base], "{what}");
    std::fs::write(
        p.path().join("earlier.sql"),
        read_all(&case.earlier.concat()),
    )
    .unwrap();
    let down = p.run(&[
        "diff",
        "--from",
        "database",
        "--to",
        "earlier.sql",
        "--exit-code",
    ]);
    assert_eq!(
        down.code, 0,
        "{what}: after downgrade:\n{}{}",
        down.stdout, down.stderr
    );
    let returned = inventory(&p.db);
    assert!(
        returned == before,
        "{what}: the downgrade's catalog differs from the earlier one:\n{}",
        differences(&returned, &before)
    );

    let again = p.run(&["revision", "--autogenerate", "-m", "again"]).ok();
    assert!(
        again.stdout.contains("No changes in schema detected."),
        "{what}: {}",
        again.stdout
    );
}

#[test]
fn synapse_on_postgres() {
    crate::require!(Db::Postgres);
    let Some(root) = cache("real_schemas::synapse_on_postgres") else {
        return;
    };
    run_case(synapse(&root, Db::Postgres));
}

#[test]
fn synapse_on_sqlite() {
    let Some(root) = cache("real_schemas::synapse_on_sqlite") else {
        return;
    };
    run_case(synapse(&root, Db::Sqlite));
}

#[test]
fn umami_on_postgres() {
    crate::require!(Db::Postgres);
    let Some(root) = cache("real_schemas::umami_on_postgres") else {
        return;
    };
    run_case(umami(&root, Db::Postgres));
}

#[test]
fn umami_on_mysql() {
    crate::require!(Db::MySql);
    let Some(root) = cache("real_schemas::umami_on_mysql") else {
        return;
    };
    run_case(umami(&root, Db::MySql));
}
