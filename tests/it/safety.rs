//! The promises to operators, on every database: replicas that run `upgrade
//! head` at once apply each revision once; a process killed mid-revision
//! leaves the database as it was (PostgreSQL, SQLite) or a half-applied
//! revision that the next run reports and `--resume` completes (MariaDB), and
//! never a lock behind; `--wait` for a database created late; the audit log;
//! `check`; and what scripts rely on (JSON, `-q`, no colour, exit codes).

use crate::support::all;
use crate::support::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const LOG: &str = "alembic_version_log";

pub(crate) fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("migrate")
}

/// `migrate ARGS` in `dir`, started and not waited for.
pub(crate) fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(bin())
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_CONFIG")
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate")
}

pub(crate) fn finish(child: Child) -> Run {
    let o = child.wait_with_output().expect("wait for migrate");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A started `migrate` whose stderr lines arrive as they are written.
pub(crate) struct Watched {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watched {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Watched {
        let mut child = spawn_in(dir, args);
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watched {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 30 s) for a stderr line containing `needle`.
    #[track_caller]
    pub(crate) fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let hit = line.contains(needle);
                self.seen.push(line);
                if hit {
                    return;
                }
            }
        }
        panic!("no stderr line with {needle:?}; saw: {:?}", self.seen);
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to end; its stderr is what was seen, with the rest.
    pub(crate) fn finish(mut self) -> Run {
        let status = self.child.wait().expect("wait for migrate");
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            use std::io::Read;
            let _ = out.read_to_string(&mut stdout);
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.seen.join("\n"),
        }
    }

    /// SIGKILL: no destructor, no rollback, no unlock from the process.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rev_id(i: usize) -> String {
    format!("r{i:011}")
}

/// `n` revisions in a line, each creating table t<i>.
fn chain(p: &Project, n: usize) {
    for i in 1..=n {
        let id = rev_id(i);
        let parent = rev_id(i - 1);
        let revises: Vec<&str> = if i == 1 {
            vec![]
        } else {
            vec![parent.as_str()]
        };
        p.revision(
            &id,
            &revises,
            &create_table(&format!("t{i}")),
            &drop_table(&format!("t{i}")),
        );
    }
}

/// The audit log as (revision, direction, outcome), oldest first.
fn log_rows(db: &TestDb) -> Vec<(String, String, String)> {
    if !db.has_table(LOG) {
        return Vec::new();
    }
    db.query(&format!(
        "SELECT revision, direction, outcome FROM {LOG} ORDER BY id"
    ))
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
    .collect()
}

/// Tables, version rows and audit-log rows: what "as it was" compares.
type Snapshot = (Vec<String>, Vec<String>, Vec<(String, String, String)>);

fn snapshot(db: &TestDb) -> Snapshot {
    (db.tables(), db.versions_or_empty(), log_rows(db))
}

fn run_concurrently(p: &Project, n: usize, args: &[&str]) -> Vec<Run> {
    let children: Vec<Child> = (0..n).map(|_| spawn_in(p.path(), args)).collect();
    children.into_iter().map(finish).collect()
}

fn assert_applied_once(p: &Project, kind: Db, runs: &[Run], n: usize) {
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(
            r.code, 0,
            "{kind:?}: process {i} failed\n--- stdout\n{}\n--- stderr\n{}",
            r.stdout, r.stderr
        );
    }
    assert_eq!(p.db.versions(), vec![rev_id(n)], "{kind:?}");
    let log = log_rows(&p.db);
    assert_eq!(log.len(), n, "{kind:?}: {log:?}");
    for (i, (rev, dir, outcome)) in log.iter().enumerate() {
        assert_eq!(
            (rev.as_str(), dir.as_str(), outcome.as_str()),
            (rev_id(i + 1).as_str(), "upgrade", "ok"),
            "{kind:?}"
        );
    }
    // Each revision's "Running upgrade" line appears once over all processes.
    let running: usize = runs
        .iter()
        .map(|r| r.stderr.matches("Running upgrade").count())
        .sum();
    assert_eq!(running, n, "{kind:?}");
}

#[test]
fn eight_replicas_upgrading_at_once_apply_each_revision_exactly_once() {
    let handles: Vec<_> = all()
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = Project::new(kind);
                chain(&p, 50);
                let runs = run_concurrently(&p, 8, &["upgrade", "head"]);
                assert_applied_once(&p, kind, &runs, 50);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn sqlite_with_a_transaction_per_migration_replans_when_another_run_moved_in_between() {
    crate::require!(Db::Postgres);
    // SQLite's lock is its write transaction: committing after each revision
    // lets another process in, so each new transaction reads the heads again.
    let p = Project::with_config(Db::Sqlite, "transaction_per_migration = true");
    chain(&p, 50);
    let runs = run_concurrently(&p, 8, &["upgrade", "head"]);
    assert_applied_once(&p, Db::Sqlite, &runs, 50);
    // The same with PostgreSQL, whose session lock spans the commits.
    let p = Project::with_config(Db::Postgres, "transaction_per_migration = true");
    chain(&p, 20);
    let runs = run_concurrently(&p, 8, &["upgrade", "head"]);
    assert_applied_once(&p, Db::Postgres, &runs, 20);
}

/// A project whose second revision runs `long` (a statement of several
/// seconds) between two DDL statements; the first revision is applied.
fn project_with_long_revision(kind: Db, long: &str) -> (Project, PathBuf) {
    let p = Project::new(kind);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let path = p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        &format!("{}\n{long};\n{}", create_table("t2"), create_table("t3")),
        &format!("{}\n{}", drop_table("t3"), drop_table("t2")),
    );
    p.run(&["upgrade", "aaaa00000001"]).ok();
    (p, path)
}

fn long_statement(kind: Db, seconds: u32) -> String {
    match kind {
        Db::Postgres => format!("SELECT pg_sleep({seconds})"),
        Db::MySql => format!("SELECT SLEEP({seconds})"),
        Db::Sqlite => format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c",
            if seconds == 0 { 10 } else { 1_000_000_000 }
        ),
    }
}

#[test]
fn a_killed_run_leaves_postgres_and_sqlite_as_they_were_and_no_lock() {
    crate::require!(Db::Postgres);
    let handles: Vec<_> = [Db::Postgres, Db::Sqlite]
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let (p, path) = project_with_long_revision(kind, &long_statement(kind, 30));
                let before = snapshot(&p.db);
                let mut w = Watched::start(p.path(), &["upgrade", "head"]);
                w.wait_for("Running upgrade aaaa00000001 -> bbbb00000002");
                std::thread::sleep(Duration::from_secs(1));
                w.kill();
                // Let the server notice the dead client (PostgreSQL checks every second).
                std::thread::sleep(Duration::from_millis(1500));
                assert_eq!(snapshot(&p.db), before, "{kind:?}");

                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(
                    &path,
                    text.replace(&long_statement(kind, 30), &long_statement(kind, 0)),
                )
                .unwrap();
                let started = Instant::now();
                let r = p.run(&["--lock-timeout=2", "upgrade", "head"]).ok();
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{kind:?}: {:?}",
                    started.elapsed()
                );
                assert!(
                    !r.stderr.contains("Waiting for the migration lock"),
                    "{kind:?}: {}",
                    r.stderr
                );
                assert_eq!(p.db.versions(), vec!["bbbb00000002"], "{kind:?}");
                assert!(p.db.has_table("t3"), "{kind:?}");
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn a_killed_run_on_mariadb_is_reported_and_resumed_and_leaves_no_lock() {
    crate::require!(Db::MySql);
    let kind = Db::MySql;
    let (p, path) = project_with_long_revision(kind, &long_statement(kind, 30));
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade aaaa00000001 -> bbbb00000002");
    // Statement 1 (CREATE TABLE t2) committed itself; statement 2 sleeps.
    let deadline = Instant::now() + Duration::from_secs(20);
    while p.db.query(&format!(
        "SELECT statements_done FROM {LOG} WHERE revision = 'bbbb00000002'"
    )) != vec![vec!["1".to_string()]]
    {
        assert!(Instant::now() < deadline, "statement 1 never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    w.kill();

    // The lock went with the dead process's idle lock connection: no waiting,
    // but a refusal that says what happened and what to do.
    let started = Instant::now();
    let r = p.run(&["--lock-timeout=2", "upgrade", "head"]).fails();
    assert!(started.elapsed() < Duration::from_secs(10));
    for needle in [
        "revision bbbb00000002 (rev bbbb00000002) is half-applied",
        "was interrupted during statement 2 of 3 (line 9 of",
        "SELECT SLEEP(30)",
        "Statement 1 ran and stays applied",
        "`migrate upgrade bbbb00000002 --resume`",
        "`migrate stamp bbbb00000002`",
    ] {
        assert!(r.stderr.contains(needle), "{needle:?} in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("timed out"), "{}", r.stderr);
    assert_eq!(p.db.versions(), vec!["aaaa00000001"]);
    // `check` says the same, and exits 1.
    let c = p.run(&["check"]);
    assert_eq!(c.code, 1, "{}", c.stdout);
    assert!(c.stdout.contains("is half-applied"), "{}", c.stdout);

    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("SLEEP(30)", "SLEEP(0)")).unwrap();
    // The command the message suggests, as printed.
    let r = p
        .run(&["--lock-timeout=2", "upgrade", "bbbb00000002", "--resume"])
        .ok();
    assert!(
        r.stderr
            .contains("Resuming upgrade of bbbb00000002 at statement 2 of 3"),
        "{}",
        r.stderr
    );
    assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
    assert!(p.db.has_table("t3"));
    assert_eq!(
        p.db.query(&format!("SELECT outcome, resolution, statements_done FROM {LOG} WHERE revision = 'bbbb00000002' ORDER BY id")),
        vec![
            vec!["running".to_string(), "resumed by row 3".into(), "1".into()],
            vec!["ok".to_string(), String::new(), "3".into()],
        ]
    );
    p.run(&["check"]).ok();
}

/// The revision of the MariaDB resume test: five statements, the third fails.
const FAILS_AT_THREE: &str = "CREATE TABLE a1 (id INT);\nINSERT INTO a1 VALUES (1);\nCREATE TABLE a1 (id INT);\nCREATE TABLE a3 (id INT);\nINSERT INTO a3 VALUES (3);";

#[test]
fn mariadb_revision_failing_at_its_third_statement_is_refused_then_resumed() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let path = p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        FAILS_AT_THREE,
        "DROP TABLE a3;\nDROP TABLE a1;",
    );
    let first = p.run(&["upgrade", "head"]).fails();
    assert!(
        first.stderr.contains(&format!(
            "{}:10:1: statement 3 failed: [1050] Table 'a1' already exists",
            path.display()
        )),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("is now half-applied"),
        "{}",
        first.stderr
    );
    assert_eq!(p.db.versions(), vec!["aaaa00000001"]);

    // Every writing command refuses, naming the revision, statement, error, ways out.
    for args in [
        &["upgrade", "head"][..],
        &["downgrade", "base"][..],
        &["stamp", "head"][..],
    ] {
        let r = p.run(args).fails();
        for needle in [
            "revision bbbb00000002 (rev bbbb00000002) is half-applied: its upgrade failed on ",
            &format!("at statement 3 of 5 (line 10 of {})", path.display()),
            "\n  CREATE TABLE a1 (id INT)\n  [1050] Table 'a1' already exists",
            "Statements 1 to 2 ran and stay applied",
            "run `migrate upgrade bbbb00000002 --resume`, which runs the revision from statement 3 on",
            "`migrate stamp bbbb00000002` (the upgrade is complete) or `migrate stamp aaaa00000001` (it is undone)",
        ] {
            assert!(r.stderr.contains(needle), "{args:?}: {needle:?} in:\n{}", r.stderr);
        }
    }

    // Statement 1 edited: resuming would skip SQL that is not what ran.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap().replacen(
            "CREATE TABLE a1 (id INT);",
            "CREATE TABLE a1 (id BIGINT);",
            1,
        ),
    )
    .unwrap();
    let r = p.run(&["upgrade", "head", "--resume"]).fails();
    assert!(
        r.stderr
            .contains("cannot resume revision bbbb00000002: statements 1 to 2 of")
            && r.stderr.contains("have changed in the file since"),
        "{}",
        r.stderr
    );
    assert!(!p.db.has_table("a3"));

    // Statement 1 as it ran, statement 3 fixed: resume runs 3, 4 and 5 only.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen(
                "CREATE TABLE a1 (id BIGINT);",
                "CREATE TABLE a1 (id INT);",
                1,
            )
            .replace(
                "CREATE TABLE a1 (id INT);\nCREATE TABLE a3",
                "CREATE TABLE a2 (id INT);\nCREATE TABLE a3",
            ),
    )
    .unwrap();
    let r = p
        .run(&["--format", "json", "upgrade", "head", "--resume"])
        .ok();
    let summary: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(summary["steps"][0]["revision"], "bbbb00000002");
    assert_eq!(summary["steps"][0]["statements"], 3);
    assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
    // Statement 2 ran once: resume did not run it again.
    assert_eq!(p.db.query("SELECT count(*) FROM a1"), vec![vec!["1"]]);
    assert!(p.db.has_table("a2") && p.db.has_table("a3"));
    p.run(&["check"]).ok();
    let log = p.run(&["history", "--applied"]).ok().stdout;
    assert!(
        log.contains("failed (resumed by row 3), 2/5 statements"),
        "{log}"
    );
}

#[test]
fn mariadb_version_row_gone_during_a_run_stops_the_bookkeeping_before_its_commit() {
    crate::require!(Db::MySql);
    // Between two revisions, the version row, the log rows and the COMMIT go
    // in one message: an UPDATE that matched no row must stop it before the
    // COMMIT (nothing of it kept, the next revision's running row included).
    let p = Project::new(Db::MySql);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        &format!("{}\nDELETE FROM alembic_version;", create_table("t2")),
        &drop_table("t2"),
    );
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t3"),
        &drop_table("t3"),
    );
    let r = p.run(&["upgrade", "head"]).fails();
    for needle in [
        "all 2 statements of revision bbbb00000002 ran, but recording it failed",
        "Online migration expected to match one row when updating 'aaaa00000001' to 'bbbb00000002' in 'alembic_version'; 0 found.",
    ] {
        assert!(r.stderr.contains(needle), "{needle:?} in:\n{}", r.stderr);
    }
    assert!(p.db.versions_or_empty().is_empty());
    assert!(p.db.has_table("t2") && !p.db.has_table("t3"));
    let rows = |outcome: &str| (outcome.to_string(), "upgrade".to_string());
    assert_eq!(
        log_rows(&p.db)
            .into_iter()
            .map(|(rev, dir, outcome)| (rev, (outcome, dir)))
            .collect::<Vec<_>>(),
        vec![
            ("aaaa00000001".to_string(), rows("ok")),
            ("bbbb00000002".to_string(), rows("failed")),
        ]
    );
    assert_eq!(
        p.db.query(&format!(
            "SELECT statements_done FROM {LOG} WHERE revision = 'bbbb00000002'"
        )),
        vec![vec!["2"]]
    );
}

#[test]
fn stamping_a_half_applied_revision_marks_it_resolved() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        FAILS_AT_THREE,
        "DROP TABLE a3;\nDROP TABLE a1;",
    );
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t4"),
        &drop_table("t4"),
    );
    p.run(&["upgrade", "head"]).fails();
    // Stamping elsewhere is refused; the revision by name (repaired by hand) resolves it.
    p.run(&["stamp", "cccc00000003"]).fails();
    p.db.exec("CREATE TABLE a3 (id INT); INSERT INTO a3 VALUES (3)");
    p.run(&["stamp", "bbbb"]).ok();
    assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(p.db.versions(), vec!["cccc00000003"]);
    let rows = p.db.query(&format!(
        "SELECT revision, direction, outcome, resolution FROM {LOG} ORDER BY id"
    ));
    assert_eq!(
        rows,
        vec![
            vec!["aaaa00000001", "upgrade", "ok", ""],
            vec!["bbbb00000002", "upgrade", "failed", "stamped"],
            vec!["bbbb00000002", "stamp", "ok", ""],
            vec!["cccc00000003", "upgrade", "ok", ""],
        ]
    );
}

#[test]
fn a_failure_at_the_first_statement_left_nothing_and_blocks_nothing() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision(
        "aaaa00000001",
        &[],
        "CREATE TABLE t1 (id INT) oops;",
        &drop_table("t1"),
    );
    p.run(&["upgrade", "head"]).fails();
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(
        p.db.query(&format!(
            "SELECT outcome, resolution FROM {LOG} ORDER BY id"
        )),
        vec![vec!["failed", "retried"], vec!["ok", ""]]
    );
}

#[test]
fn non_transactional_revision_on_postgres_is_tracked_statement_by_statement() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let path = p.revision_with(
        "bbbb00000002",
        &["aaaa00000001"],
        "-- Transactional: false",
        "CREATE INDEX CONCURRENTLY t1_note ON t1 (note);\nCREATE INDEX CONCURRENTLY t1_nope ON t1 (nope);",
        "DROP INDEX CONCURRENTLY t1_note;",
    );
    let r = p.run(&["upgrade", "head"]).fails();
    assert!(r.stderr.contains("is now half-applied"), "{}", r.stderr);
    // The first revision committed before the non-transactional one began.
    assert_eq!(p.db.versions(), vec!["aaaa00000001"]);
    let r = p.run(&["upgrade", "head"]).fails();
    assert!(r.stderr.contains("statement 2 of 2"), "{}", r.stderr);
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("(nope)", "(id)"),
    )
    .unwrap();
    p.run(&["upgrade", "head", "--resume"]).ok();
    assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
}

#[test]
fn a_lock_waiter_names_the_holder_and_gives_up_at_the_lock_timeout() {
    crate::require!(Db::Postgres, Db::MySql);
    let handles: Vec<_> = [Db::Postgres, Db::MySql]
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = Project::with_config(kind, "lock_timeout = 1");
                p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
                p.revision(
                    "bbbb00000002",
                    &["aaaa00000001"],
                    &format!("{};", long_statement(kind, 4)),
                    "SELECT 1;",
                );
                let mut w = Watched::start(p.path(), &["upgrade", "head"]);
                w.wait_for("Running upgrade aaaa00000001 -> bbbb00000002");
                // lock_timeout = 1 from migrate.toml.
                let r = p.run(&["upgrade", "head"]).fails();
                let holder = match kind {
                    // Found through pg_locks by the advisory key's classid/objid halves.
                    Db::Postgres => "held by pid ",
                    _ => "held by connection ",
                };
                assert!(
                    r.stderr
                        .contains("timed out after 1 s waiting for the migration lock")
                        && r.stderr.contains(holder)
                        && r.stderr.contains("raise --lock-timeout"),
                    "{kind:?}: {}",
                    r.stderr
                );
                if kind == Db::Postgres {
                    assert!(
                        r.stderr.contains("application_name 'migrate'"),
                        "{}",
                        r.stderr
                    );
                }
                assert!(
                    r.stderr.contains("Waiting for the migration lock"),
                    "{}",
                    r.stderr
                );
                // --lock-timeout wins over the file: this one waits for the first to finish.
                let r = p.run(&["--lock-timeout=30", "upgrade", "head"]).ok();
                assert!(
                    r.stderr.contains("Took the migration lock"),
                    "{kind:?}: {}",
                    r.stderr
                );
                w.kill();
                assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

fn admin_base(kind: Db) -> String {
    let url = match kind {
        Db::Postgres => {
            std::env::var("MIGRATE_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN_DEFAULT.into())
        }
        _ => std::env::var("MIGRATE_TEST_MYSQL_URL").unwrap_or_else(|_| MY_ADMIN_DEFAULT.into()),
    };
    url.rsplit_once('/')
        .map(|(a, _)| a.to_string())
        .unwrap_or(url)
}

fn admin_exec(kind: Db, sql: &str) {
    let url = format!(
        "{}/{}",
        admin_base(kind),
        if kind == Db::Postgres {
            "postgres"
        } else {
            "mysql"
        }
    );
    match kind {
        Db::Postgres => postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap(),
        _ => {
            use mysql::prelude::Queryable;
            mysql::Conn::new(mysql::Opts::from_url(&url).unwrap())
                .unwrap()
                .query_drop(sql)
                .unwrap();
        }
    }
}

/// A project folder pointed at `url`, with one revision.
pub(crate) fn bare_project(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        format!("[migrate]\nscript_location = \"migrations\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("migrations/versions/aaaa_rev.sql"),
        format!(
            "-- first\n--\n-- Revision ID: aaaa00000001\n-- Revises: \n\n-- migrate:upgrade\n{}\n\n-- migrate:downgrade\n{}\n",
            create_table("t1"),
            drop_table("t1")
        ),
    )
    .unwrap();
    dir
}

#[test]
fn wait_covers_a_database_that_is_created_after_the_start() {
    crate::require!(Db::Postgres, Db::MySql);
    let handles: Vec<_> = [Db::Postgres, Db::MySql]
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let name = format!(
                    "mt_wait_{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                );
                let (create, drop) = match kind {
                    Db::Postgres => (
                        format!("CREATE DATABASE \"{name}\""),
                        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    ),
                    _ => (
                        format!("CREATE DATABASE `{name}`"),
                        format!("DROP DATABASE IF EXISTS `{name}`"),
                    ),
                };
                let dir = bare_project(&format!("{}/{name}", admin_base(kind)));
                // Without --wait: at once, the error names the database and how to create it.
                let r = migrate_in(dir.path(), &["upgrade", "head"], &[]).fails();
                assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
                // --wait gives up after its time and says what it tried.
                let r = migrate_in(dir.path(), &["--wait=1", "upgrade", "head"], &[]).fails();
                assert!(
                    r.stderr.contains("connection attempts over 1.")
                        && r.stderr.contains("(--wait=1)")
                        && r.stderr.contains(&name)
                        && r.stderr.contains("does not exist"),
                    "{kind:?}: {}",
                    r.stderr
                );

                let child = spawn_in(dir.path(), &["--wait=10", "-v", "upgrade", "head"]);
                std::thread::sleep(Duration::from_millis(1500));
                admin_exec(kind, &create);
                let r = finish(child);
                let result = std::panic::catch_unwind(|| {
                    assert_eq!(r.code, 0, "{kind:?}: {}", r.stderr);
                    assert!(
                        r.stderr.contains("Attempt 1 to connect to "),
                        "{}",
                        r.stderr
                    );
                    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
                    assert!(r.stderr.contains("Connected to "), "{}", r.stderr);
                    assert!(
                        r.stderr.contains("Running upgrade  -> aaaa00000001"),
                        "{}",
                        r.stderr
                    );
                });
                admin_exec(kind, &drop);
                if let Err(e) = result {
                    std::panic::resume_unwind(e);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn the_audit_log_records_every_upgrade_downgrade_and_stamp() {
    for kind in all() {
        let p = Project::new(kind);
        p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
        p.revision(
            "bbbb00000002",
            &["aaaa00000001"],
            &create_table("t2"),
            &drop_table("t2"),
        );
        p.run(&["upgrade", "head"]).ok();
        p.run(&["downgrade", "-1"]).ok();
        p.run(&["stamp", "head"]).ok();
        assert_eq!(
            log_rows(&p.db),
            vec![
                ("aaaa00000001".into(), "upgrade".into(), "ok".into()),
                ("bbbb00000002".into(), "upgrade".into(), "ok".into()),
                ("bbbb00000002".into(), "downgrade".into(), "ok".into()),
                ("bbbb00000002".into(), "stamp".into(), "ok".into()),
            ],
            "{kind:?}"
        );
        // The log is migrate's own: the version table is Alembic's, unchanged.
        assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
        let cols = p.db.query(&format!(
            "SELECT checksum, sql_text, statements_done, statements_total, started_at, finished_at, migrate_version, client_host FROM {LOG} WHERE id = 1"
        ));
        let row = &cols[0];
        let sql = create_table("t1");
        assert_eq!(row[1], sql, "{kind:?}");
        assert_eq!(row[0].len(), 64, "{kind:?}");
        assert_eq!(row[0], migrate::runtime::audit::checksum(&sql));
        assert_eq!((row[2].as_str(), row[3].as_str()), ("1", "1"));
        assert!(row[4].ends_with('Z') && row[4] <= row[5], "{row:?}");
        assert_eq!(row[6], env!("CARGO_PKG_VERSION"));
        let host_known = std::env::var("HOSTNAME").is_ok_and(|h| !h.is_empty())
            || std::fs::read_to_string("/etc/hostname").is_ok_and(|h| !h.trim().is_empty());
        assert!(
            !host_known || !row[7].is_empty(),
            "{kind:?}: the client host is recorded"
        );
        if kind != Db::Sqlite {
            let user =
                p.db.query(&format!("SELECT db_user FROM {LOG} WHERE id = 1"));
            assert!(
                user[0][0].starts_with("root") || user[0][0] == "postgres",
                "{user:?}"
            );
        }

        let text = p.run(&["history", "--applied"]).ok().stdout;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].contains("  stamp     bbbb00000002  ok"), "{text}");
        assert!(
            lines[3].contains("  upgrade   aaaa00000001  ok, 1/1 statements, "),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(
            &p.run(&["history", "--applied", "--format", "json"])
                .ok()
                .stdout,
        )
        .unwrap();
        assert_eq!(json.as_array().unwrap().len(), 4);
        assert_eq!(json[3]["revision"], "aaaa00000001");
        assert_eq!(json[3]["sql"], sql);
        assert_eq!(json[1]["direction"], "downgrade");
        let verbose = p.run(&["history", "--applied", "-v"]).ok().stdout;
        assert!(verbose.contains(&format!("      {sql}")), "{verbose}");
    }
}

#[test]
fn offline_sql_has_no_audit_log_statements() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let r = p.run(&["upgrade", "head", "--sql"]).ok();
    assert!(r.stdout.contains("CREATE TABLE t1"), "{}", r.stdout);
    assert!(!r.stdout.contains("_log"), "{}", r.stdout);
    assert!(p.db.tables().is_empty());
    let r = p.run(&["upgrade", "head", "--sql", "--resume"]).fails();
    assert!(
        r.stderr.contains("can't be used with --sql"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_lists_every_problem_with_a_diff_and_passes_when_all_is_well() {
    let p = Project::new(Db::Sqlite);
    let a = p.revision(
        "aaaa00000001",
        &[],
        "CREATE TABLE t1 (id INTEGER);\nCREATE INDEX t1_id ON t1 (id);",
        &drop_table("t1"),
    );
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        &create_table("t2"),
        &drop_table("t2"),
    );
    p.run(&["upgrade", "head"]).ok();
    let ok = p.run(&["check"]).ok();
    assert_eq!(ok.stdout.lines().count(), 1, "{}", ok.stdout);
    assert!(ok
        .stdout
        .starts_with("OK: 2 revision(s), one head, database at head"));

    // A checkout with CRLF line endings and a byte-order mark changes nothing.
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&a, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    p.run(&["check"]).ok();

    // Now: an edited applied revision, a pending one, two heads.
    std::fs::write(
        &a,
        text.replace(
            "CREATE INDEX t1_id ON t1 (id);",
            "CREATE UNIQUE INDEX t1_id ON t1 (id);",
        ),
    )
    .unwrap();
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t3"),
        &drop_table("t3"),
    );
    p.revision(
        "dddd00000004",
        &["bbbb00000002"],
        &create_table("t4"),
        &drop_table("t4"),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let out = &r.stdout;
    assert!(
        out.contains("FAILED: the revision graph has 2 heads (cccc00000003, dddd00000004)"),
        "{out}"
    );
    assert!(
        out.contains("FAILED: the database is not at head: 2 revision(s) pending: "),
        "{out}"
    );
    assert!(
        out.contains(&format!("FAILED: revision aaaa00000001 was edited since it ran: the upgrade section of {} differs", a.display())),
        "{out}"
    );
    assert!(out.contains("    --- aaaa00000001 as it ran on "), "{out}");
    assert!(
        out.contains(&format!("    +++ {} now", a.display())),
        "{out}"
    );
    assert!(out.contains("    @@ -1,2 +1,2 @@\n     CREATE TABLE t1 (id INTEGER);\n    -CREATE INDEX t1_id ON t1 (id);\n    +CREATE UNIQUE INDEX t1_id ON t1 (id);\n"), "{out}");
    assert!(out.ends_with("3 problem(s) found\n"), "{out}");

    let j = p.run(&["check", "--format", "json"]);
    assert_eq!(j.code, 1);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let kinds: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["multiple_heads", "not_at_head", "changed"]);
    assert!(v["problems"][2]["diff"]
        .as_str()
        .unwrap()
        .contains("+CREATE UNIQUE INDEX"));

    // --offline: the graph only, no database needed.
    let r = p.run(&[
        "--url",
        "postgresql://nobody@127.0.0.1:1/none",
        "check",
        "--offline",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.lines().next().unwrap(), "FAILED: the revision graph has 2 heads (cccc00000003, dddd00000004); join them with `migrate merge heads -m \"merge\"`");

    // A database at a revision no file has.
    std::fs::remove_file(p.versions_dir().join("dddd00000004_rev.sql")).unwrap();
    p.db.exec("UPDATE alembic_version SET version_num = 'ffff00000009'");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("FAILED: the database is at revision(s) no file has: ffff00000009"),
        "{}",
        r.stdout
    );
    let r = p
        .run(&[
            "--url",
            "postgresql://nobody@127.0.0.1:1/none",
            "check",
            "--offline",
        ])
        .ok();
    assert_eq!(
        r.stdout,
        "OK: 3 revision(s), one head (graph and lint only: --offline)\n"
    );
}

#[test]
fn scripts_get_json_quiet_runs_no_colour_and_exit_codes() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        &create_table("t2"),
        &drop_table("t2"),
    );
    // -q: no progress at all.
    let r = p.run(&["-q", "upgrade", "aaaa00000001"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let r = p.run(&["--format", "json", "upgrade", "head"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["command"], "upgrade");
    assert_eq!(v["steps"][0]["revision"], "bbbb00000002");
    assert_eq!(v["steps"][0]["direction"], "upgrade");
    assert_eq!(v["steps"][0]["statements"], 1);
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    let v: serde_json::Value =
        serde_json::from_str(&p.run(&["--format", "json", "current"]).ok().stdout).unwrap();
    assert_eq!(v["current"][0]["revision"], "bbbb00000002");
    assert_eq!(v["current"][0]["is_head"], true);
    let v: serde_json::Value =
        serde_json::from_str(&p.run(&["--format", "json", "heads"]).ok().stdout).unwrap();
    assert_eq!(v[0]["revision"], "bbbb00000002");
    let v: serde_json::Value =
        serde_json::from_str(&p.run(&["--format", "json", "history"]).ok().stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let v: serde_json::Value =
        serde_json::from_str(&p.run(&["--format", "json", "check"]).ok().stdout).unwrap();
    assert_eq!(v["ok"], true);
    let v: serde_json::Value = serde_json::from_str(
        &p.run(&["--format", "json", "downgrade", "base"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(v["command"], "downgrade");
    assert_eq!(v["steps"].as_array().unwrap().len(), 2);

    // No ANSI escapes anywhere, even without NO_COLOR: help, errors, results.
    let plain = |args: &[&str]| {
        let o = Command::new(bin())
            .current_dir(p.path())
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    for (args, code) in [
        (&["--help"][..], Some(0)),
        (&["upgrade", "--nope"][..], Some(2)),
        (&["upgrade", "zzzz"][..], Some(1)),
        (&["upgrade", "head"][..], Some(0)),
        (&["history", "--applied"][..], Some(0)),
        (&["check"][..], Some(0)),
    ] {
        let (c, text) = plain(args);
        assert_eq!(c, code, "{args:?}: {text}");
        assert!(!text.contains('\u{1b}'), "{args:?}: {text:?}");
    }
}

#[test]
fn audit_rows_written_together_at_the_commit_are_all_there_or_all_rolled_back() {
    crate::require!(Db::MySql);
    // 300 revisions: their log rows go in several multi-row INSERTs before the
    // commit. A failure in the last revision takes them all back (with the
    // revisions) and leaves one rolled_back row; fixed, the run logs all 300.
    const N: usize = 300;
    for kind in all() {
        let p = Project::new(kind);
        chain(&p, N - 1);
        let last = p.revision(
            &rev_id(N),
            &[&rev_id(N - 1)],
            "CREATE TABLE t1 (id INT)",
            &drop_table(&format!("t{N}")),
        );
        p.run(&["upgrade", "head"]).fails();
        let rows = log_rows(&p.db);
        if kind == Db::MySql {
            // DDL commits itself here: every revision before the failing one stays.
            assert_eq!(rows.len(), N, "{kind:?}");
            assert_eq!(p.db.versions(), vec![rev_id(N - 1)]);
        } else {
            assert_eq!(
                rows,
                vec![(rev_id(N), "upgrade".to_string(), "rolled_back".to_string())],
                "{kind:?}"
            );
            assert!(p.db.versions_or_empty().is_empty(), "{kind:?}");
        }
        std::fs::write(
            &last,
            std::fs::read_to_string(&last)
                .unwrap()
                .replace("CREATE TABLE t1 (id INT)", &create_table(&format!("t{N}"))),
        )
        .unwrap();
        p.run(&["upgrade", "head"]).ok();
        assert_eq!(p.db.versions(), vec![rev_id(N)], "{kind:?}");
        let ok: Vec<String> = log_rows(&p.db)
            .into_iter()
            .filter(|(_, _, outcome)| outcome == "ok")
            .map(|(rev, _, _)| rev)
            .collect();
        assert_eq!(ok, (1..=N).map(rev_id).collect::<Vec<_>>(), "{kind:?}");
        // Each row holds its own revision's SQL and the count of its statements.
        let row = p.db.query(&format!(
            "SELECT sql_text, statements_done, statements_total FROM {LOG} WHERE revision = '{}' AND outcome = 'ok'",
            rev_id(200)
        ));
        assert_eq!(
            row,
            vec![vec![create_table("t200"), "1".into(), "1".into()]],
            "{kind:?}"
        );
        p.run(&["downgrade", "base"]).ok();
        let down = log_rows(&p.db)
            .into_iter()
            .filter(|(_, d, o)| d == "downgrade" && o == "ok")
            .count();
        assert_eq!(down, N, "{kind:?}");
    }
}

#[test]
fn mariadb_log_rows_sent_with_literal_values_keep_quotes_backslashes_and_accents() {
    crate::require!(Db::MySql);
    // Between two revisions, the version row, the finished log row and the
    // next revision's running row go in one message with their values written
    // in: the text must arrive byte for byte.
    let p = Project::new(Db::MySql);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let tricky = "CREATE TABLE t2 (note VARCHAR(40) DEFAULT 'it''s a \\\\ caf\u{e9} \"x\"');\nINSERT INTO t2 (note) VALUES ('\\'; DROP TABLE t1; --')";
    p.revision("bbbb00000002", &["aaaa00000001"], tricky, &drop_table("t2"));
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t3"),
        &drop_table("t3"),
    );
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(p.db.versions(), vec!["cccc00000003"]);
    assert!(p.db.has_table("t1") && p.db.has_table("t3"));
    let row = p.db.query(&format!(
        "SELECT sql_text, checksum, outcome, statements_done, statements_total FROM {LOG} WHERE revision = 'bbbb00000002'"
    ));
    assert_eq!(
        row,
        vec![vec![
            tricky.to_string(),
            migrate::runtime::audit::checksum(tricky),
            "ok".into(),
            "2".into(),
            "2".into()
        ]]
    );
    // `check` compares the file with what the log says ran: nothing changed.
    p.run(&["check"]).ok();
}
