//! `migrate test`: each revision's upgrade, downgrade and upgrade again on a
//! scratch database, the schemas compared, and its `-- migrate:test` data
//! checks; `check --test`. On SQLite, PostgreSQL and MariaDB.

use crate::autogen::scratch_databases;
use crate::support::*;
use std::path::{Path, PathBuf};

fn drop_index(kind: Db, index: &str, table: &str) -> String {
    match kind {
        Db::MySql => format!("DROP INDEX {index} ON {table};"),
        _ => format!("DROP INDEX {index};"),
    }
}

/// A project with `t` created by r1 (and dropped by its downgrade).
fn base(kind: Db) -> Project {
    let p = Project::new(kind);
    p.revision("r1", &[], &create_table("t"), &drop_table("t"));
    p
}

/// The line `test` prints for revision `id`.
fn line_of<'a>(out: &'a str, id: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.split_whitespace().nth(1) == Some(id) || l.starts_with(&format!("not run {id} "))
        })
        .unwrap_or_else(|| panic!("no line for {id} in:\n{out}"))
}

/// Asserts that `test` fails at `id` (after r1 passed), with `sql` in what it prints.
#[track_caller]
fn fails_at(p: &Project, kind: Db, id: &str, sql: &[&str]) -> String {
    let r = p.run(&["test"]);
    assert_eq!(r.code, 1, "{kind:?}\n{}\n{}", r.stdout, r.stderr);
    let out = r.stdout;
    assert!(line_of(&out, "r1").starts_with("ok "), "{kind:?}\n{out}");
    assert!(line_of(&out, id).starts_with("FAILED "), "{kind:?}\n{out}");
    assert!(
        out.contains(&format!("revision {id} (")) && out.contains(&format!("{id}_rev.sql")),
        "{kind:?}: the failure names the revision and its file\n{out}"
    );
    assert!(
        out.contains("its downgrade does not undo its upgrade"),
        "{kind:?}\n{out}"
    );
    for s in sql {
        assert!(out.contains(s), "{kind:?}: {s:?} in\n{out}");
    }
    assert!(
        out.contains("FAILED: 1 passed, 1 failed"),
        "{kind:?}\n{out}"
    );
    out
}

#[test]
fn a_downgrade_that_forgets_an_index_is_named_with_the_sql_it_leaves_undone() {
    for kind in all() {
        let p = base(kind);
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            "-- forgot",
        );
        p.revision("r3", &["r2"], &create_table("u"), &drop_table("u"));
        let out = fails_at(&p, kind, "r2", &["DROP INDEX", "t_note"]);
        assert!(
            line_of(&out, "r3").starts_with("not run"),
            "{kind:?}\n{out}"
        );
        assert!(out.contains("1 not run"), "{kind:?}\n{out}");
        // Fixed, it passes.
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            &drop_index(kind, "t_note", "t"),
        );
        let r = p.run(&["test"]).ok();
        assert!(
            r.stdout.ends_with("OK: 3 revision(s) upgrade, downgrade and upgrade again leave the schema as they should\n"),
            "{kind:?}\n{}",
            r.stdout
        );
    }
}

#[test]
fn a_downgrade_that_forgets_a_column_default_is_named() {
    for kind in all() {
        let p = base(kind);
        let up = match kind {
            // SQLite's ALTER TABLE cannot change a default: the table is made again.
            Db::Sqlite => "CREATE TABLE t_new (id INTEGER PRIMARY KEY, note VARCHAR(50) DEFAULT 'none');\nINSERT INTO t_new SELECT id, note FROM t;\nDROP TABLE t;\nALTER TABLE t_new RENAME TO t;".to_string(),
            _ => "ALTER TABLE t ALTER COLUMN note SET DEFAULT 'none';".to_string(),
        };
        p.revision("r2", &["r1"], &up, "-- forgot");
        let out = fails_at(&p, kind, "r2", &["note"]);
        // The SQL that restores the schema before the upgrade leaves the default out.
        match kind {
            Db::Sqlite => assert!(out.contains("note VARCHAR(50)"), "{out}"),
            Db::Postgres => assert!(out.contains("DROP DEFAULT"), "{out}"),
            Db::MySql => assert!(
                out.contains("MODIFY COLUMN `note`") && !out.contains("DEFAULT"),
                "{out}"
            ),
        }
    }
}

fn trigger(kind: Db) -> (&'static str, &'static str) {
    match kind {
        Db::Postgres => (
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'x'; RETURN NEW; END $$;",
            "CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        ),
        Db::MySql => (
            "",
            "CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW SET NEW.note = 'x';",
        ),
        Db::Sqlite => (
            "",
            "CREATE TRIGGER t_touch AFTER INSERT ON t BEGIN UPDATE t SET note = 'x' WHERE id = NEW.id; END;",
        ),
    }
}

#[test]
fn a_downgrade_that_forgets_a_trigger_is_named() {
    for kind in all() {
        let p = Project::new(kind);
        let (function, create) = trigger(kind);
        let drop_function = if function.is_empty() {
            ""
        } else {
            "DROP FUNCTION touch();"
        };
        p.revision(
            "r1",
            &[],
            &format!("{}\n{function}", create_table("t")),
            &format!("{}\n{drop_function}", drop_table("t")),
        );
        p.revision("r2", &["r1"], create, "-- forgot");
        fails_at(&p, kind, "r2", &["DROP TRIGGER", "t_touch"]);
    }
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// `migrate test` with `config` against a fresh database of `kind`: passes,
/// and leaves that database untouched.
fn passes(config: &Path, kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(kind, dir.path());
    let env = [("DATABASE_URL", db.url.as_str())];
    let r = migrate_in(dir.path(), &["-c", config.to_str().unwrap(), "test"], &env).ok();
    assert!(
        r.stdout.contains("OK: ") && !r.stdout.contains("FAILED"),
        "{}: {}",
        config.display(),
        r.stdout
    );
    assert_eq!(db.tables(), Vec::<String>::new(), "{}", config.display());
}

#[test]
fn every_example_passes() {
    passes(&example("quickstart").join("migrate.toml"), Db::Sqlite);
    if need(&[Db::Postgres]) {
        for name in ["notes", "cleanings", "compose/postgres"] {
            passes(&example(name).join("migrate.toml"), Db::Postgres);
        }
        // The embedded example's revisions, with a configuration of their own.
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("migrate.toml");
        std::fs::write(
            &cfg,
            format!(
                "[migrate]\nscript_location = \"{}\"\n",
                example("embedded").join("migrations").display()
            ),
        )
        .unwrap();
        passes(&cfg, Db::Postgres);
    }
    if need(&[Db::MySql]) {
        for name in ["some_infos", "users", "compose/mariadb"] {
            passes(&example(name).join("migrate.toml"), Db::MySql);
        }
    }
}

#[test]
fn a_long_history_passes() {
    for kind in all() {
        let p = Project::new(kind);
        let n: usize = 120;
        let mut parent: Option<String> = None;
        for i in 1..=n {
            let id = format!("h{i:03}");
            let table = format!("t{}", i.div_ceil(2));
            let (up, down) = if i % 2 == 1 {
                (create_table(&table), drop_table(&table))
            } else {
                let index = format!("{table}_note");
                (
                    format!("CREATE INDEX {index} ON {table} (note);"),
                    drop_index(kind, &index, &table),
                )
            };
            let revises: Vec<&str> = parent.iter().map(String::as_str).collect();
            p.revision(&id, &revises, &up, &down);
            parent = Some(id);
        }
        let started = std::time::Instant::now();
        let r = p.run(&["test"]).ok();
        assert_eq!(r.stdout.lines().count(), n + 1, "{kind:?}");
        assert!(
            r.stdout
                .ends_with(&format!("OK: {n} revision(s) upgrade, downgrade and upgrade again leave the schema as they should\n")),
            "{kind:?}\n{}",
            r.stdout
        );
        eprintln!("{kind:?}: {n} revisions tested in {:?}", started.elapsed());
        // A range tests its revisions only, the ones before it applied untested.
        let r = p.run(&["test", "h100:h102"]).ok();
        assert_eq!(
            tested(&r.stdout),
            ["h100", "h101", "h102"],
            "{kind:?}\n{}",
            r.stdout
        );
        assert!(p.db.tables().is_empty(), "{kind:?}");
    }
}

/// A project whose r2 fills `t` and has data checks `checks`.
fn with_checks(kind: Db, checks: &str) -> Project {
    let p = base(kind);
    p.revision(
        "r2",
        &["r1"],
        "INSERT INTO t (id, note) VALUES (1, 'a');\nINSERT INTO t (id, note) VALUES (2, 'b');",
        &format!("DELETE FROM t;\n\n-- migrate:test\n{checks}"),
    );
    p
}

#[test]
fn data_checks_pass_and_fail_as_specified() {
    for kind in all() {
        let good = "SELECT count(*) = 2 FROM t;\nSELECT 1;\nSELECT note FROM t WHERE id = 1;\nINSERT INTO t (id, note) VALUES (3, 'c');\nSELECT count(*) FROM t WHERE id = 3;";
        let p = with_checks(kind, good);
        let r = p.run(&["test"]).ok();
        assert!(
            line_of(&r.stdout, "r2").contains("(5 data check statement(s))"),
            "{kind:?}\n{}",
            r.stdout
        );
        let r = p.run(&["--format", "json", "test"]).ok();
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["revisions"][1]["data_checks"], 5, "{kind:?}");
        for (check, why) in [
            ("SELECT count(*) = 3 FROM t;", "the check returned "),
            (
                "SELECT count(*) FROM t WHERE id = 99;",
                "the check returned 0",
            ),
            (
                "SELECT note FROM t WHERE id = 99;",
                "the check returned no row",
            ),
            ("SELECT NULL;", "the check returned NULL"),
            (
                "SELECT 1;\nUPDATE nope SET a = 1;",
                "the statement failed: ",
            ),
        ] {
            let p = with_checks(kind, check);
            let r = p.run(&["test"]);
            assert_eq!(r.code, 1, "{kind:?} {check}\n{}\n{}", r.stdout, r.stderr);
            assert!(
                line_of(&r.stdout, "r2").starts_with("FAILED "),
                "{}",
                r.stdout
            );
            let text = std::fs::read_to_string(p.versions_dir().join("r2_rev.sql")).unwrap();
            let marker = text.lines().position(|l| l == "-- migrate:test").unwrap() + 1;
            let line = marker + check.lines().count();
            assert!(
                r.stdout.contains(&format!(
                    "r2_rev.sql:{line}:1: a data check of revision r2 failed: {why}"
                )),
                "{kind:?} {check}\n{}",
                r.stdout
            );
            let r = p.run(&["--format", "json", "test"]);
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["ok"], false);
            assert_eq!(v["failed"], 1);
            assert_eq!(
                v["revisions"][1]["failure"]["stage"], "data_check",
                "{kind:?}"
            );
        }
        // PostgreSQL's false is a boolean, the others' a number.
        let p = with_checks(kind, "SELECT 1 = 0;");
        let r = p.run(&["test"]);
        assert_eq!(r.code, 1, "{kind:?}\n{}\n{}", r.stdout, r.stderr);
        let shown = if kind == Db::Postgres { "f" } else { "0" };
        assert!(
            r.stdout.contains(&format!("the check returned {shown}\n")),
            "{kind:?}\n{}",
            r.stdout
        );
        // A section that does not split is named at the line in the file
        // where the broken statement starts.
        let p = with_checks(kind, "SELECT 1;\nSELECT 'open;");
        let r = p.run(&["test"]);
        assert_eq!(r.code, 1, "{kind:?}\n{}\n{}", r.stdout, r.stderr);
        let text = std::fs::read_to_string(p.versions_dir().join("r2_rev.sql")).unwrap();
        let line = text.lines().position(|l| l == "-- migrate:test").unwrap() + 3;
        assert!(
            r.stdout.contains(&format!(
                "r2_rev.sql:{line}:8: a data check of revision r2 failed"
            )),
            "{kind:?}\n{}",
            r.stdout
        );
    }
}

#[test]
fn upgrade_and_sql_never_run_the_test_section_and_adding_one_is_no_edit() {
    for kind in all() {
        let p = base(kind);
        p.run(&["upgrade", "head"]).ok();
        // A test section added to an applied revision: no checksum covers it.
        p.revision(
            "r1",
            &[],
            &create_table("t"),
            &format!(
                "{}\n\n-- migrate:test\nINSERT INTO t (id, note) VALUES (99, 'test');",
                drop_table("t")
            ),
        );
        p.run(&["check"]).ok();
        p.run(&["downgrade", "base"]).ok();
        p.run(&["upgrade", "head"]).ok();
        assert_eq!(p.db.query("SELECT count(*) FROM t"), [["0"]], "{kind:?}");
        let sql = p.run(&["upgrade", "head", "--sql"]).ok().stdout;
        assert!(!sql.contains("99"), "{kind:?}\n{sql}");
        let sql = p.run(&["downgrade", "head:base", "--sql"]).ok().stdout;
        assert!(!sql.contains("99"), "{kind:?}\n{sql}");
        // `test` does run it.
        let r = p.run(&["test"]).ok();
        assert!(
            line_of(&r.stdout, "r1").contains("(1 data check"),
            "{}",
            r.stdout
        );
        assert_eq!(p.db.query("SELECT count(*) FROM t"), [["0"]], "{kind:?}");
    }
}

#[test]
fn no_downgrade_tests_upgrades_only() {
    for kind in all() {
        let p = Project::new(kind);
        p.revision("r1", &[], &create_table("t"), "-- no downgrades here");
        p.revision("r2", &["r1"], &create_table("u"), "-- no downgrades here");
        let r = p.run(&["test"]);
        assert_eq!(r.code, 1, "{kind:?}");
        assert!(
            line_of(&r.stdout, "r1").starts_with("FAILED"),
            "{}",
            r.stdout
        );
        let r = p.run(&["test", "--no-downgrade"]).ok();
        assert!(
            r.stdout
                .ends_with("OK: 2 revision(s) upgrade (--no-downgrade)\n"),
            "{kind:?}\n{}",
            r.stdout
        );
        // Each upgrade must still apply.
        p.revision("r3", &["r2"], "CREATE TABLE t (id INTEGER);", "");
        let r = p.run(&["test", "--no-downgrade"]);
        assert_eq!(r.code, 1, "{kind:?}\n{}", r.stdout);
        assert!(
            r.stdout.contains("revision r3 (")
                && r.stdout
                    .contains("its upgrade failed on the scratch database"),
            "{kind:?}\n{}",
            r.stdout
        );
        assert!(p.db.tables().is_empty(), "{kind:?}");
    }
}

#[test]
fn the_configured_database_is_never_written() {
    for kind in all() {
        let p = base(kind);
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            "-- forgot",
        );
        p.run(&["upgrade", "r1"]).ok();
        p.db.exec("INSERT INTO t (id, note) VALUES (7, 'kept')");
        let log = |p: &Project| p.db.query("SELECT count(*) FROM alembic_version_log");
        let before = (p.db.tables(), p.db.versions(), log(&p));
        p.run(&["test"]);
        p.run(&["test", "--no-downgrade"]).ok();
        p.run(&["test", "current:"]);
        p.run(&["check", "--test"]);
        let after = (p.db.tables(), p.db.versions(), log(&p));
        assert_eq!(before, after, "{kind:?}");
        assert_eq!(p.db.query("SELECT note FROM t"), [["kept"]], "{kind:?}");
    }
}

/// The revisions `test` printed a line for, in order.
fn tested(out: &str) -> Vec<&str> {
    out.lines()
        .filter_map(|l| l.strip_prefix("ok      "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect()
}

#[test]
fn a_range_with_current_starts_at_the_database() {
    for kind in all() {
        let p = base(kind);
        p.revision("r2", &["r1"], &create_table("u"), &drop_table("u"));
        p.revision("r3", &["r2"], &create_table("v"), &drop_table("v"));
        // As `history -r current:head`: from the database's revision on.
        p.run(&["upgrade", "r2"]).ok();
        let r = p.run(&["test", "current:head"]).ok();
        assert_eq!(tested(&r.stdout), ["r2", "r3"], "{kind:?}\n{}", r.stdout);
        p.run(&["upgrade", "head"]).ok();
        let r = p.run(&["test", "current:"]).ok();
        assert_eq!(tested(&r.stdout), ["r3"], "{kind:?}\n{}", r.stdout);
        let r = p.run(&["test", "r2:"]).ok();
        assert_eq!(tested(&r.stdout), ["r2", "r3"], "{kind:?}\n{}", r.stdout);
    }
}

/// The scratch databases the `migrate` process `pid` made and left.
/// Sessions on the server running the 30-second data check.
fn sleeping_checks(kind: Db) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let probe = TestDb::new(kind, dir.path());
    let q = match kind {
        Db::Postgres => {
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg\\_sleep(30)%'"
        }
        _ => "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(30)%'",
    };
    probe.query(q).len()
}

#[test]
fn the_scratch_database_is_dropped_after_a_failure() {
    for kind in all() {
        let p = base(kind);
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            "-- forgot",
        );
        p.revision("r3", &["r2"], "CREATE TABLE t (id INTEGER);", "");
        for args in [
            &["test"][..],
            &["test", "r3:"][..],
            &["check", "--test"][..],
        ] {
            let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
                .current_dir(p.path())
                .env_remove("DATABASE_URL")
                .env("MIGRATE_CACHE_DIR", p.cache_dir())
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let pid = child.id();
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{kind:?} {args:?}");
            assert_eq!(scratch_databases(kind, pid), 0, "{kind:?} {args:?}");
        }
    }
}

#[test]
fn a_dev_url_database_is_used_and_left_empty() {
    crate::require!(Db::Postgres);
    let p = base(Db::Postgres);
    p.revision(
        "r2",
        &["r1"],
        "CREATE INDEX t_note ON t (note);",
        "-- forgot",
    );
    let dev = TestDb::new(Db::Postgres, p.path());
    let r = p.run(&["--dev-url", &dev.url, "test"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        line_of(&r.stdout, "r2").starts_with("FAILED"),
        "{}",
        r.stdout
    );
    assert!(dev.tables().is_empty(), "{:?}", dev.tables());
    assert!(p.db.tables().is_empty());
}

#[test]
fn check_test_reports_round_trip_problems() {
    for kind in all() {
        let p = base(kind);
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            "-- forgot",
        );
        p.run(&["upgrade", "head"]).ok();
        p.run(&["check"]).ok();
        let r = p.run(&["--format", "json", "check", "--test"]);
        assert_eq!(r.code, 1, "{kind:?}\n{}\n{}", r.stdout, r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["ok"], false);
        let problems = v["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{kind:?}: {problems:?}");
        let pr = &problems[0];
        assert_eq!(pr["kind"], "round_trip");
        assert_eq!(pr["revisions"], serde_json::json!(["r2"]));
        assert!(pr["path"].as_str().unwrap().ends_with("r2_rev.sql"));
        assert!(
            pr["sql"].as_str().unwrap().contains("t_note"),
            "{kind:?}: {pr}"
        );
        let r = p.run(&["check", "--test"]);
        assert_eq!(r.code, 1);
        assert!(r.stdout.contains("FAILED: revision r2 ("), "{}", r.stdout);
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("    ") && l.contains("DROP INDEX") && l.contains("t_note")),
            "{}",
            r.stdout
        );
        // Fixed, check --test passes.
        p.revision(
            "r2",
            &["r1"],
            "CREATE INDEX t_note ON t (note);",
            &drop_index(kind, "t_note", "t"),
        );
        p.run(&["check", "--test"]).ok();
    }
}

#[test]
fn a_downgrade_that_leaves_rows_behind_fails_the_second_upgrade() {
    for kind in all() {
        let p = base(kind);
        p.revision(
            "r2",
            &["r1"],
            "INSERT INTO t (id, note) VALUES (1, 'seed');",
            "-- forgot",
        );
        let r = p.run(&["--format", "json", "test"]);
        assert_eq!(r.code, 1, "{kind:?}\n{}\n{}", r.stdout, r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let f = &v["revisions"][1]["failure"];
        assert_eq!(f["stage"], "reupgrade", "{kind:?}: {f}");
        assert!(
            f["message"].as_str().unwrap().contains("revision r2 (")
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("its upgrade failed when run again after its downgrade"),
            "{kind:?}: {f}"
        );
    }
}

#[test]
fn ctrl_c_during_a_data_check_drops_the_scratch_database() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in [Db::Postgres, Db::MySql] {
        let sleep = match kind {
            Db::Postgres => "SELECT pg_sleep(30) IS NULL;",
            _ => "SELECT SLEEP(30) = 0;",
        };
        let p = with_checks(kind, sleep);
        let w = crate::safety::Watched::start(p.path(), &["test"]);
        let pid = w.pid();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while scratch_databases(kind, pid) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{kind:?}: no scratch database"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // Into the data check's sleep: the server shows it running (a fixed
        // pause is not enough on a loaded machine).
        while sleeping_checks(kind) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{kind:?}: the data check never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap();
        let started = std::time::Instant::now();
        let r = w.finish();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{kind:?}: {:?}",
            started.elapsed()
        );
        assert_eq!(r.code, 1, "{kind:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr
                .contains("error: interrupted (Ctrl-C) while testing revision r2"),
            "{kind:?}: {}",
            r.stderr
        );
        assert_eq!(scratch_databases(kind, pid), 0, "{kind:?}: {}", r.stderr);
        assert!(p.db.tables().is_empty(), "{kind:?}");
    }
}

#[test]
fn branches_merges_and_dependencies_round_trip() {
    for kind in all() {
        let p = base(kind);
        p.revision("a1", &["r1"], &create_table("a"), &drop_table("a"));
        p.revision("b1", &["r1"], &create_table("b"), &drop_table("b"));
        p.revision(
            "a2",
            &["a1"],
            "CREATE INDEX a_note ON a (note);",
            &drop_index(kind, "a_note", "a"),
        );
        p.revision_with(
            "c1",
            &[],
            "-- Depends On: b1",
            &create_table("c"),
            &drop_table("c"),
        );
        p.revision("m1", &["a2", "b1"], &create_table("m"), &drop_table("m"));
        let r = p.run(&["test"]).ok();
        let mut ids = tested(&r.stdout);
        assert_eq!(ids.len(), 6, "{kind:?}\n{}", r.stdout);
        // Oldest first: each after the revisions it needs.
        let at = |id: &str| ids.iter().position(|i| *i == id).unwrap();
        assert!(at("r1") < at("a1") && at("a1") < at("a2") && at("a2") < at("m1"));
        assert!(at("b1") < at("m1") && at("b1") < at("c1"), "{ids:?}");
        ids.sort_unstable();
        assert_eq!(ids, ["a1", "a2", "b1", "c1", "m1", "r1"], "{kind:?}");
    }
}
