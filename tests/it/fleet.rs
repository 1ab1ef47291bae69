//! Fleets (`--targets`): one command on many databases, on the real servers.
//! Each fleet has one target that fails: the others are upgraded, the failure
//! is reported (text and JSON), the exit code is 1, and a rerun finishes only
//! what is left. Then the ways of stopping (canary, fail-fast, Ctrl-C), the
//! sources of targets, and the usage errors.

use crate::safety::Watched;
use crate::support::{create_table, drop_table, Db, Project, Run, TestDb};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A project with three revisions (t1, t2, t3), and `[targets.fleet]` as `set`.
fn project(kind: Db, set: &str) -> Project {
    let p = Project::with_config(kind, "transaction_per_migration = true");
    p.revision("a1", &[], &create_table("t1"), &drop_table("t1"));
    p.revision("b2", &["a1"], &create_table("t2"), &drop_table("t2"));
    p.revision("c3", &["b2"], &create_table("t3"), &drop_table("t3"));
    set_targets(&p, set);
    p
}

/// Replaces what follows `[migrate]` settings with `set`.
fn set_targets(p: &Project, set: &str) {
    let path = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let base = text
        .split("\n[targets.")
        .next()
        .unwrap_or(&text)
        .to_string();
    std::fs::write(&path, format!("{base}\n{set}\n")).unwrap();
}

/// The JSON records of a fleet's output.
fn records(r: &Run) -> Vec<Value> {
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON: {}\n{}", r.stdout, r.stderr));
    let mut items = v.as_array().expect("an array").clone();
    items.sort_by_key(|r| r["index"].as_u64());
    items
}

fn steps(record: &Value) -> usize {
    record["result"]["steps"].as_array().map_or(0, Vec::len)
}

/// The run a fleet of `n` targets is tested with: target 1 fails at `b2`
/// (its t2 exists already); `versions(i)` reads target i's version table,
/// `exec(i, sql)` runs setup SQL on it.
fn one_fails_then_rerun(
    p: &Project,
    n: usize,
    versions: &dyn Fn(usize) -> Vec<String>,
    exec: &dyn Fn(usize, &str),
) {
    exec(1, "CREATE TABLE t2 (id INTEGER)");
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    assert!(
        r.stderr.contains(&format!(
            "error: 1 of {n} target(s) did not succeed (1 failed, 0 not started)"
        )),
        "{}",
        r.stderr
    );
    // One line per target in a log, and the table.
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with('[')).count(),
        n,
        "{}",
        r.stderr
    );
    assert!(r.stdout.starts_with("TARGET "), "{}", r.stdout);
    let failed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains(" failed "))
        .collect();
    assert_eq!(failed.len(), 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("{n} target(s): {} ok, 1 failed", n - 1)),
        "{}",
        r.stdout
    );
    for i in 0..n {
        if i == 1 {
            assert_ne!(versions(i), ["c3"], "the failed target stopped");
        } else {
            assert_eq!(versions(i), ["c3"], "target {i}: {}", r.stdout);
        }
    }
    let stopped_at = versions(1);
    assert!(
        stopped_at.is_empty() || stopped_at == ["a1"],
        "a revision boundary: {stopped_at:?}"
    );
    // JSON: one record per target, the command's own result inside.
    let r = p
        .run(&["--format", "json", "--targets", "fleet", "upgrade", "head"])
        .fails();
    let recs = records(&r);
    assert_eq!(recs.len(), n, "{}", r.stdout);
    for (i, rec) in recs.iter().enumerate() {
        let target = rec["target"].as_str().unwrap();
        assert!(!target.is_empty() && !target.contains("hunter2"));
        if i == 1 {
            assert_eq!(rec["ok"], false);
            let e = rec["error"].as_str().unwrap();
            assert!(e.contains("t2"), "{e}");
        } else {
            assert_eq!(rec["ok"], true, "{rec}");
            assert_eq!(rec["error"], Value::Null);
            assert_eq!(rec["result"]["command"], "upgrade");
            assert_eq!(steps(rec), 0, "nothing left: {rec}");
        }
    }
    // Fixed, the rerun finishes only what is left.
    exec(1, "DROP TABLE t2");
    let r = p
        .run(&["--format", "json", "--targets", "fleet", "upgrade", "head"])
        .ok();
    let recs = records(&r);
    for (i, rec) in recs.iter().enumerate() {
        assert_eq!(rec["ok"], true, "{rec}");
        let want = if i == 1 { 3 - stopped_at.len() } else { 0 };
        assert_eq!(steps(rec), want, "target {i}: {rec}");
    }
    for i in 0..n {
        assert_eq!(versions(i), ["c3"]);
    }
    // `current` and `check` on the fleet agree.
    let r = p
        .run(&["--format", "json", "--targets", "fleet", "current"])
        .ok();
    for rec in records(&r) {
        assert_eq!(rec["result"]["current"][0]["revision"], "c3", "{rec}");
    }
    let r = p.run(&["--targets", "fleet", "check"]).ok();
    assert_eq!(r.stdout.lines().filter(|l| l.ends_with("  OK")).count(), n);
}

/// A fleet of `n` fresh databases of `kind`, listed in `[targets.fleet] urls`.
fn database_fleet(kind: Db, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let dbs: Vec<TestDb> = (0..n).map(|_| TestDb::new(kind, dir.path())).collect();
    let urls: Vec<String> = dbs.iter().map(|d| format!("\"{}\"", d.url)).collect();
    let p = project(
        kind,
        &format!("[targets.fleet]\nurls = [{}]", urls.join(", ")),
    );
    one_fails_then_rerun(&p, n, &|i| dbs[i].versions_or_empty(), &|i, sql| {
        dbs[i].exec(sql);
    });
}

#[test]
fn a_fleet_of_sqlite_files_with_one_failure() {
    database_fleet(Db::Sqlite, 4);
}

#[test]
fn a_fleet_of_postgres_databases_with_one_failure() {
    crate::require!(Db::Postgres);
    database_fleet(Db::Postgres, 3);
}

#[test]
fn a_fleet_of_mariadb_databases_with_one_failure() {
    crate::require!(Db::MySql);
    database_fleet(Db::MySql, 3);
}

#[test]
fn a_fleet_of_postgres_schemas_with_one_failure() {
    crate::require!(Db::Postgres);
    let p = project(
        Db::Postgres,
        "[targets.fleet]\nschemas = [\"s0\", \"Tenant One\", \"s2\"]",
    );
    let schemas = ["s0", "Tenant One", "s2"];
    for s in schemas {
        p.db.exec(&format!("CREATE SCHEMA \"{s}\""));
    }
    let versions = |i: usize| -> Vec<String> {
        let s = schemas[i];
        let exists = p.db.query(&format!(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = '{s}' AND table_name = 'alembic_version'"
        ));
        if exists.is_empty() {
            return Vec::new();
        }
        p.db.query(&format!("SELECT version_num FROM \"{s}\".alembic_version"))
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    };
    let exec = |i: usize, sql: &str| {
        p.db.exec(&format!("SET search_path = \"{}\"; {sql}", schemas[i]));
    };
    one_fails_then_rerun(&p, 3, &versions, &exec);
    // Each schema has its own tables; the default schema has none.
    let t1 = p.db.query(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 't1' ORDER BY 1",
    );
    assert_eq!(
        t1,
        [["Tenant One".to_string()], ["s0".into()], ["s2".into()]]
    );
}

/// A fleet of `n` SQLite files, target `bad` with its t2 made already.
fn sqlite_fleet(n: usize, bad: usize) -> Project {
    let list: Vec<String> = (0..n).map(|i| format!("sqlite:///t{i}.db")).collect();
    let p = project(Db::Sqlite, "[targets.fleet]\nfile = \"tenants.txt\"");
    std::fs::write(
        p.path().join("tenants.txt"),
        format!("# the tenants\n\n{}\n", list.join("\n")),
    )
    .unwrap();
    let conn = rusqlite::Connection::open(p.path().join(format!("t{bad}.db"))).unwrap();
    conn.execute_batch("CREATE TABLE t2 (id INTEGER)").unwrap();
    p
}

fn sqlite_versions(p: &Project, i: usize) -> Vec<String> {
    let conn = rusqlite::Connection::open(p.path().join(format!("t{i}.db"))).unwrap();
    let Ok(mut st) = conn.prepare("SELECT version_num FROM alembic_version") else {
        return Vec::new();
    };
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_failed_canary_stops_the_fleet() {
    let p = sqlite_fleet(5, 0);
    let r = p
        .run(&[
            "--format",
            "json",
            "--targets",
            "fleet",
            "--canary",
            "2",
            "upgrade",
            "head",
        ])
        .fails();
    let recs = records(&r);
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0]["status"], "failed");
    assert_eq!(recs[1]["status"], "ok");
    for rec in &recs[2..] {
        assert_eq!(rec["status"], "not_started", "{rec}");
        assert_eq!(rec["ok"], false);
        assert_eq!(rec["error"], "not started: a canary target failed");
    }
    for i in 2..5 {
        assert!(sqlite_versions(&p, i).is_empty());
    }
    assert!(
        r.stderr.contains("(1 failed, 3 not started)"),
        "{}",
        r.stderr
    );
    // A canary that passes lets the rest run.
    let p = sqlite_fleet(5, 4);
    let r = p
        .run(&["--targets", "fleet", "--canary", "2", "upgrade", "head"])
        .fails();
    assert!(
        r.stderr.contains("(1 failed, 0 not started)"),
        "{}",
        r.stderr
    );
    for i in 0..4 {
        assert_eq!(sqlite_versions(&p, i), ["c3"]);
    }
}

#[test]
fn fail_fast_starts_no_target_after_a_failure() {
    let p = sqlite_fleet(5, 1);
    let r = p
        .run(&[
            "--targets",
            "fleet",
            "--jobs",
            "1",
            "--fail-fast",
            "upgrade",
            "head",
        ])
        .fails();
    assert!(
        r.stderr.contains("(1 failed, 3 not started)"),
        "{}",
        r.stderr
    );
    assert_eq!(sqlite_versions(&p, 0), ["c3"]);
    for i in 2..5 {
        assert!(sqlite_versions(&p, i).is_empty(), "target {i}");
    }
    assert!(
        r.stdout.contains(
            "not started  0.00  not started: --fail-fast stopped the run after a failure"
        ) || r.stdout.contains("--fail-fast stopped the run"),
        "{}",
        r.stdout
    );
    // Without it, every target runs.
    let r = p
        .run(&["--targets", "fleet", "--jobs", "1", "upgrade", "head"])
        .fails();
    assert!(
        r.stderr.contains("(1 failed, 0 not started)"),
        "{}",
        r.stderr
    );
    for i in [0, 2, 3, 4] {
        assert_eq!(sqlite_versions(&p, i), ["c3"], "target {i}");
    }
}

#[test]
fn targets_come_from_a_file_stdin_a_command_or_a_query() {
    let p = sqlite_fleet(3, 9);
    // --targets FILE (not a set name).
    let r = p.run(&["--targets", "tenants.txt", "upgrade", "a1"]).ok();
    assert!(r.stdout.contains("3 target(s): 3 ok"), "{}", r.stdout);
    // --targets - : the same list on stdin.
    let o = assert_cmd::Command::cargo_bin("migrate")
        .unwrap()
        .current_dir(p.path())
        .env("MIGRATE_CACHE_DIR", p.cache_dir())
        .args(["--targets", "-", "upgrade", "b2"])
        .write_stdin("sqlite:///t0.db\n# not this one\n\nsqlite:///t2.db\n")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sqlite_versions(&p, 0), ["b2"]);
    assert_eq!(sqlite_versions(&p, 1), ["a1"]);
    assert_eq!(sqlite_versions(&p, 2), ["b2"]);
    // command = "…": its output lists them (run in the config file's folder).
    set_targets(
        &p,
        "[targets.fleet]\ncommand = \"printf 'sqlite:///t1.db\\\\nsqlite:///t2.db\\\\n'\"",
    );
    p.run(&["--targets", "fleet", "upgrade", "c3"]).ok();
    assert_eq!(sqlite_versions(&p, 0), ["b2"]);
    assert_eq!(sqlite_versions(&p, 1), ["c3"]);
    assert_eq!(sqlite_versions(&p, 2), ["c3"]);
    // query = "…" on control_url.
    let control = rusqlite::Connection::open(p.path().join("control.db")).unwrap();
    control
        .execute_batch(
            "CREATE TABLE tenants (url TEXT); INSERT INTO tenants VALUES ('sqlite:///t0.db'), (NULL);",
        )
        .unwrap();
    set_targets(
        &p,
        "[targets.fleet]\nquery = \"SELECT url FROM tenants\"\ncontrol_url = \"sqlite:///control.db\"",
    );
    let r = p
        .run(&["--format", "json", "--targets", "fleet", "upgrade", "head"])
        .ok();
    assert_eq!(records(&r).len(), 1, "{}", r.stdout);
    assert_eq!(sqlite_versions(&p, 0), ["c3"]);
    // history --applied on the fleet: each database's audit log.
    let r = p
        .run(&[
            "--format",
            "json",
            "--targets",
            "fleet",
            "history",
            "--applied",
        ])
        .ok();
    let recs = records(&r);
    assert_eq!(recs[0]["result"].as_array().map(Vec::len), Some(3));
    // A command that fails says which and why.
    set_targets(&p, "[targets.fleet]\ncommand = \"echo nope >&2; exit 3\"");
    let r = p.run(&["--targets", "fleet", "current"]).fails();
    assert!(
        r.stderr.contains("failed (exit status: 3): nope"),
        "{}",
        r.stderr
    );
    // The command is shown as written: a variable in it may hold a password.
    set_targets(
        &p,
        "[targets.fleet]\ncommand = \"list-tenants ${CONTROL_URL}; exit 3\"",
    );
    let r = p
        .run_env(
            &["--targets", "fleet", "current"],
            &[("CONTROL_URL", "postgresql://ops:s3cret@db/control")],
        )
        .fails();
    assert!(
        r.stderr.contains("`list-tenants ${CONTROL_URL}; exit 3`") && !r.stderr.contains("s3cret"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_target_lists_name_the_place() {
    let p = sqlite_fleet(2, 9);
    std::fs::write(
        p.path().join("tenants.txt"),
        "sqlite:///t0.db\n\nnot-a-url\n",
    )
    .unwrap();
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    assert!(r.stderr.contains("tenants.txt:3: "), "{}", r.stderr);
    std::fs::write(
        p.path().join("tenants.txt"),
        "sqlite:///t0.db\nsqlite:///t0.db\n",
    )
    .unwrap();
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    assert!(r.stderr.contains("is listed twice"), "{}", r.stderr);
    set_targets(&p, "[targets.fleet]\nquery = \"SELECT 1\"");
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    assert!(
        r.stderr.contains("migrate.toml:")
            && r.stderr
                .contains("[targets.fleet]: `query` runs on `control_url`"),
        "{}",
        r.stderr
    );
    set_targets(&p, "[targets.fleet]\nfile = \"tenants.txt\"");
    let r = p.run(&["--targets", "nosuch", "upgrade", "head"]).fails();
    assert!(
        r.stderr.contains("no [targets.nosuch] table") && r.stderr.contains("`fleet`"),
        "{}",
        r.stderr
    );
    set_targets(&p, "[targets.fleet]\nschemas = [\"a\"]");
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    assert!(
        r.stderr.contains("not a PostgreSQL database"),
        "{}",
        r.stderr
    );
    // A control_url that does not parse is named where it is written.
    set_targets(
        &p,
        "[targets.fleet]\nquery = \"SELECT 1\"\ncontrol_url = \"nope://x\"",
    );
    let r = p.run(&["--targets", "fleet", "upgrade", "head"]).fails();
    let text = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("control_url"))
        .unwrap()
        + 1;
    assert!(
        r.stderr.contains(&format!("migrate.toml:{line}:15: ")),
        "{}",
        r.stderr
    );
}

#[test]
fn targets_is_a_usage_error_with_url_or_a_command_without_a_database() {
    let p = sqlite_fleet(2, 9);
    for args in [
        &[
            "--targets",
            "fleet",
            "--url",
            "sqlite:///x.db",
            "upgrade",
            "head",
        ][..],
        &["--targets", "fleet", "heads"],
        &["--targets", "fleet", "upgrade", "head", "--sql"],
        &["--targets", "fleet", "check", "--offline"],
        &["--format", "sarif", "--targets", "fleet", "check"],
        &["--format", "github", "--targets", "fleet", "check"],
        &["--targets", "fleet", "history"],
        &["--jobs", "2", "upgrade", "head"],
    ] {
        let r = p.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("error:"), "{}", r.stderr);
    }
    // Without --targets nothing changes: the configured database.
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(p.db.versions(), ["c3"]);
}

#[test]
fn ctrl_c_leaves_every_target_at_a_revision_boundary() {
    crate::require!(Db::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let dbs: Vec<TestDb> = (0..3)
        .map(|_| TestDb::new(Db::Postgres, dir.path()))
        .collect();
    let urls: Vec<String> = dbs.iter().map(|d| format!("\"{}\"", d.url)).collect();
    let p = project(
        Db::Postgres,
        &format!("[targets.fleet]\nurls = [{}]", urls.join(", ")),
    );
    // b2 is slow: the first target is in it when Ctrl-C comes.
    p.revision(
        "b2",
        &["a1"],
        &format!("{}\nSELECT pg_sleep(30);", create_table("t2")),
        &drop_table("t2"),
    );
    let w = Watched::start(
        p.path(),
        &["--targets", "fleet", "--jobs", "1", "upgrade", "head"],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while dbs[0]
        .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "b2 never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &w.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let r = w.finish();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("interrupted"), "{}", r.stderr);
    assert!(
        r.stdout.contains("not started: interrupted"),
        "{}",
        r.stdout
    );
    // The first target: a1 committed, b2 rolled back; the others as they were.
    assert_eq!(dbs[0].versions(), ["a1"]);
    assert!(!dbs[0].has_table("t2"));
    for db in &dbs[1..] {
        assert!(db.versions_or_empty().is_empty());
    }
    // The rerun finishes the fleet (b2 made quick again).
    p.revision("b2", &["a1"], &create_table("t2"), &drop_table("t2"));
    p.run(&["--targets", "fleet", "upgrade", "head"]).ok();
    for db in &dbs {
        assert_eq!(db.versions(), ["c3"]);
    }
}

#[test]
fn check_with_a_dev_url_runs_one_target_at_a_time() {
    let p = sqlite_fleet(3, 9);
    p.run(&["--targets", "fleet", "upgrade", "head"]).ok();
    let r = p
        .run(&[
            "--dev-url",
            "sqlite:///scratch.db",
            "--jobs",
            "4",
            "--targets",
            "fleet",
            "check",
        ])
        .ok();
    assert!(
        r.stderr
            .contains("check runs one target at a time when a dev_url is set"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.lines().filter(|l| l.ends_with("  OK")).count(), 3);
}
