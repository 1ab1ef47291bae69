//! Every example project runs up to head, down to base, and up again on its
//! database, exactly as its README line says to run it.

use crate::support::*;
use std::path::PathBuf;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn round_trip(name: &str, kind: Db, tables: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(kind, dir.path());
    let cfg = example(name).join("migrate.toml");
    let cfg = cfg.to_str().unwrap();
    let env = [("DATABASE_URL", db.url.as_str())];
    let run = |args: &[&str]| {
        let mut all = vec!["-c", cfg];
        all.extend_from_slice(args);
        migrate_in(dir.path(), &all, &env)
    };
    run(&["upgrade", "head"]).ok();
    for t in tables {
        assert!(db.has_table(t), "{name}: {t} after upgrade");
    }
    let heads = run(&["heads"]).ok().stdout;
    let head = heads.split_whitespace().next().unwrap().to_string();
    assert_eq!(db.versions(), vec![head.clone()], "{name}");
    assert_eq!(run(&["current"]).ok().stdout, format!("{head} (head)\n"));
    run(&["downgrade", "base"]).ok();
    assert!(db.versions().is_empty(), "{name}");
    for t in tables {
        assert!(!db.has_table(t), "{name}: {t} after downgrade");
    }
    run(&["upgrade", "head"]).ok();
    assert_eq!(db.versions(), vec![head], "{name}");
    // Its schema.sql is what its revisions make: nothing to autogenerate.
    let r = run(&["diff", "--exit-code"]).ok();
    assert_eq!(r.stdout, "", "{name}");
    let r = run(&["revision", "--autogenerate", "-m", "nothing"]).ok();
    assert_eq!(r.stdout, "No changes in schema detected.\n", "{name}");
}

#[test]
fn quickstart_on_sqlite() {
    round_trip("quickstart", Db::Sqlite, &["accounts"]);
}

#[test]
fn notes_on_postgres() {
    crate::require!(Db::Postgres);
    round_trip("notes", Db::Postgres, &["notes"]);
}

#[test]
fn cleanings_on_postgres_downgrades_one_step() {
    crate::require!(Db::Postgres);
    round_trip("cleanings", Db::Postgres, &["cleanings"]);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Postgres, dir.path());
    let cfg = example("cleanings").join("migrate.toml");
    let cfg = cfg.to_str().unwrap();
    let env = [("DATABASE_URL", db.url.as_str())];
    migrate_in(dir.path(), &["-c", cfg, "upgrade", "head"], &env).ok();
    let cols = || {
        db.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'cleanings' ORDER BY ordinal_position")
    };
    assert_eq!(cols().len(), 6);
    migrate_in(dir.path(), &["-c", cfg, "downgrade", "-1"], &env).ok();
    assert_eq!(cols().len(), 5);
    assert_eq!(db.versions(), vec!["9d8c7b6a5f4e"]);
}

#[test]
fn some_infos_on_mysql() {
    crate::require!(Db::MySql);
    round_trip("some_infos", Db::MySql, &["some_infos"]);
}

#[test]
fn users_on_mysql() {
    crate::require!(Db::MySql);
    round_trip("users", Db::MySql, &["users"]);
}
