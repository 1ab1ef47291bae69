//! The policy against a recording fake `Database`: which statements a run
//! sends, in which transactions, with which bookkeeping, for each kind of
//! database the capabilities describe. The real servers are exercised by the
//! integration tests; here the order of calls is pinned.

use super::plan::{self, TxMode};
use super::{MigrationContext, Resume, RunError, RunOptions, RunSettings};
use crate::config::Config;
use crate::dialect::{
    capabilities_of, dialect_of, Capabilities, Database, DbError, Dialect, Kind, LockKey, Row,
    VersionTable,
};
use crate::progress::Progress;
use crate::script::ScriptDirectory;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A database that records every call and keeps the version table's rows.
struct Fake {
    kind: Kind,
    caps: Capabilities,
    log: Arc<Mutex<Vec<String>>>,
    tables: Vec<String>,
    versions: Vec<String>,
    /// Statements (by a piece of their text) that fail.
    fail_on: Option<&'static str>,
}

impl Fake {
    fn new(kind: Kind, log: &Arc<Mutex<Vec<String>>>) -> Fake {
        Fake {
            kind,
            caps: capabilities_of(kind),
            log: Arc::clone(log),
            tables: Vec::new(),
            versions: Vec::new(),
            fail_on: None,
        }
    }

    fn record(&self, what: String) {
        self.log.lock().unwrap().push(what);
    }
}

impl Database for Fake {
    fn dialect(&self) -> &'static dyn Dialect {
        dialect_of(self.kind)
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.record(short(sql));
        if let Some(bad) = self.fail_on {
            if sql.contains(bad) {
                return Err(DbError::msg("boom"));
            }
        }
        if let Some(rest) = sql.strip_prefix("CREATE TABLE ") {
            let name: String = rest
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_' || *c == ' ')
                .collect();
            if let Some(first) = name.split_whitespace().next() {
                self.tables.push(first.to_string());
            }
        }
        Ok(())
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        self.record(short(sql));
        if sql.contains("version_num") {
            if sql.starts_with("INSERT") {
                self.versions.push(params[0].to_string());
            } else if sql.starts_with("UPDATE") {
                let Some(i) = self.versions.iter().position(|v| v == params[1]) else {
                    return Ok(0);
                };
                self.versions[i] = params[0].to_string();
            } else if sql.starts_with("DELETE") {
                let before = self.versions.len();
                self.versions.retain(|v| v != params[0]);
                return Ok((before - self.versions.len()) as u64);
            }
        }
        Ok(1)
    }

    fn execute_many(&mut self, statements: &[String]) -> Result<Vec<u64>, (usize, DbError)> {
        self.record(format!(
            "MESSAGE[{}]",
            statements
                .iter()
                .map(|s| short(s))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        for s in statements {
            if s.starts_with("INSERT INTO `alembic_version`") {
                let hex = s
                    .split("X'")
                    .nth(1)
                    .unwrap_or("")
                    .trim_end_matches(['\'', ')']);
                let bytes: Vec<u8> = (0..hex.len() / 2)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                    .collect();
                self.versions.push(String::from_utf8(bytes).unwrap());
            }
        }
        Ok(vec![1; statements.len()])
    }

    fn query_rows(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Row>, DbError> {
        let columns_query = self
            .dialect()
            .table_columns(None, "alembic_version_log")
            .sql;
        if sql == columns_query {
            self.record("COLUMNS OF".into());
            let exists = self.tables.iter().any(|t| params.contains(&t.as_str()));
            return Ok(crate::dialect::bookkeeping::AUDIT_COLUMNS
                .iter()
                .filter(|_| exists)
                .map(|c| vec![Some((*c).to_string())])
                .collect());
        }
        self.record(short(sql));
        if sql.starts_with("SELECT 1 FROM") {
            let name = params.last().copied().unwrap_or_default();
            let exists = self.tables.iter().any(|t| t == name);
            return Ok(if exists {
                vec![vec![Some("1".into())]]
            } else {
                vec![]
            });
        }
        if sql.starts_with("SELECT version_num") {
            return Ok(self
                .versions
                .iter()
                .map(|v| vec![Some(v.clone())])
                .collect());
        }
        if sql.contains("COALESCE(MAX(id), 0) + 1") {
            return Ok(vec![vec![Some("1".into())]]);
        }
        Ok(Vec::new())
    }

    fn try_lock(&mut self, _key: &LockKey) -> Result<bool, DbError> {
        self.record("LOCK".into());
        Ok(true)
    }

    fn unlock(&mut self, _key: &LockKey) -> Result<(), DbError> {
        self.record("UNLOCK".into());
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.record("BEGIN".into());
        Ok(())
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.record("COMMIT".into());
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.record("ROLLBACK".into());
        Ok(())
    }
}

/// The first words of a statement: enough to read the order of calls.
fn short(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(3).collect();
    words.join(" ")
}

/// A project of `n` revisions in a line, revision `r<i>` creating table `t<i>`.
fn project(n: usize, transactional: &[bool]) -> (tempfile::TempDir, &'static ScriptDirectory) {
    let dir = tempfile::tempdir().unwrap();
    let versions = dir.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    for i in 1..=n {
        let revises = if i == 1 {
            String::new()
        } else {
            format!("r{}", i - 1)
        };
        let tx = if transactional.get(i - 1).copied().unwrap_or(true) {
            ""
        } else {
            "-- Transactional: false\n"
        };
        std::fs::write(
            versions.join(format!("r{i}.sql")),
            format!(
                "-- rev {i}\n--\n-- Revision ID: r{i}\n-- Revises: {revises}\n{tx}\n-- migrate:upgrade\nCREATE TABLE t{i} (id INT);\nCREATE INDEX i{i} ON t{i} (id);\n\n-- migrate:downgrade\nDROP TABLE t{i};\n"
            ),
        )
        .unwrap();
    }
    let mut config = Config::defaults(dir.path());
    config.script_location = dir.path().join("migrations");
    config.version_locations = vec![versions];
    let scripts = Box::leak(Box::new(ScriptDirectory::load(&config).unwrap()));
    (dir, scripts)
}

fn context(db: Fake, per_migration: bool) -> MigrationContext {
    let table = VersionTable {
        name: "alembic_version".into(),
        schema: None,
    };
    MigrationContext::new(
        Box::new(db),
        None,
        table,
        LockKey::new("fake", None, "alembic_version"),
        RunSettings {
            transaction_per_migration: per_migration,
            lock_timeout: Duration::from_secs(1),
            log_table: "alembic_version_log".into(),
            tag: None,
            lock: crate::dialect::LockMode::Auto,
            lock_lease: Duration::from_secs(60),
        },
        Progress::new(Box::new(std::io::sink()), true),
    )
}

fn upgrade(
    mc: &mut MigrationContext,
    scripts: &ScriptDirectory,
) -> Result<Vec<super::StepReport>, RunError> {
    let opts = RunOptions {
        resume: None,
        replan: true,
        verb: "upgrade",
    };
    mc.run_steps(scripts, &opts, |rows| {
        scripts
            .map
            .upgrade_plan(rows, "head")
            .map_err(RunError::Graph)
    })
}

fn calls(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn a_transactional_run_is_one_transaction_with_its_log_rows_written_before_the_commit() {
    let (_dir, scripts) = project(2, &[]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut mc = context(Fake::new(Kind::Postgres, &log), false);
    let reports = upgrade(&mut mc, scripts).unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(
        calls(&log),
        [
            "LOCK",
            "BEGIN",
            "SELECT 1 FROM",
            "CREATE TABLE \"alembic_version\"",
            "COLUMNS OF",
            "CREATE TABLE \"alembic_version_log\"",
            "SELECT 1 FROM",
            "SELECT version_num FROM",
            // no unresolved rows: the log is read once for them
            "COLUMNS OF",
            "SELECT id FROM",
            "CREATE TABLE t1",
            "CREATE INDEX i1",
            "INSERT INTO \"alembic_version\"",
            "SELECT COALESCE(MAX(id), 0)",
            "CREATE TABLE t2",
            "CREATE INDEX i2",
            "UPDATE \"alembic_version\" SET",
            // both log rows in one INSERT, then the one commit
            "INSERT INTO \"alembic_version_log\"",
            "COMMIT",
            "UNLOCK",
        ]
    );
}

#[test]
fn a_transaction_per_migration_commits_each_revision() {
    let (_dir, scripts) = project(2, &[]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut mc = context(Fake::new(Kind::Postgres, &log), true);
    upgrade(&mut mc, scripts).unwrap();
    let c = calls(&log);
    let tail: Vec<&str> = c
        .iter()
        .skip_while(|s| !s.starts_with("CREATE TABLE t1"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "CREATE TABLE t1",
            "CREATE INDEX i1",
            "INSERT INTO \"alembic_version\"",
            "SELECT COALESCE(MAX(id), 0)",
            "INSERT INTO \"alembic_version_log\"",
            "COMMIT",
            "BEGIN",
            "CREATE TABLE t2",
            "CREATE INDEX i2",
            "UPDATE \"alembic_version\" SET",
            "INSERT INTO \"alembic_version_log\"",
            "COMMIT",
            "UNLOCK",
        ]
    );
}

#[test]
fn outside_a_transaction_each_revision_is_tracked_and_recorded_in_one_message() {
    let (_dir, scripts) = project(2, &[]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut mc = context(Fake::new(Kind::MySql, &log), false);
    upgrade(&mut mc, scripts).unwrap();
    let c = calls(&log);
    let tail: Vec<&str> = c
        .iter()
        .skip_while(|s| !s.starts_with("SELECT id FROM"))
        .skip(1)
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            // r1: its running row, statement 1, the counter, statement 2 ...
            "SELECT COALESCE(MAX(id), 0)",
            "INSERT INTO `alembic_version_log`",
            "CREATE TABLE t1",
            "UPDATE `alembic_version_log` SET",
            "CREATE INDEX i1",
            // ... then the version row, its log row finished and r2's running
            // row, committed in one message.
            "MESSAGE[START TRANSACTION | INSERT INTO `alembic_version` | UPDATE `alembic_version_log` SET | INSERT INTO `alembic_version_log` | COMMIT]",
            "CREATE TABLE t2",
            "UPDATE `alembic_version_log` SET",
            "CREATE INDEX i2",
            "MESSAGE[START TRANSACTION | UPDATE `alembic_version` SET | SELECT 1 FROM | UPDATE `alembic_version_log` SET | COMMIT]",
            "UNLOCK",
        ]
    );
}

#[test]
fn a_failure_inside_the_transaction_rolls_back_and_logs_in_a_transaction_of_its_own() {
    let (_dir, scripts) = project(2, &[]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut db = Fake::new(Kind::Sqlite, &log);
    db.fail_on = Some("INDEX i2");
    let mut mc = context(db, false);
    let e = upgrade(&mut mc, scripts).unwrap_err();
    assert!(
        e.to_string().contains("statement 2 failed: boom")
            && e.to_string().contains("The run was rolled back"),
        "{e}"
    );
    let c = calls(&log);
    let tail: Vec<&str> = c
        .iter()
        .skip_while(|s| !s.starts_with("CREATE INDEX i2"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "CREATE INDEX i2",
            "ROLLBACK",
            "BEGIN",
            // the log table exists (created when the run started)
            "COLUMNS OF",
            "SELECT COALESCE(MAX(id), 0)",
            "INSERT INTO \"alembic_version_log\"",
            "UPDATE \"alembic_version_log\" SET",
            "COMMIT",
        ]
    );
    drop(mc);
    assert_eq!(calls(&log), ["UNLOCK"]);
}

#[test]
fn a_failure_outside_a_transaction_keeps_what_ran_and_records_where() {
    let (_dir, scripts) = project(1, &[]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut db = Fake::new(Kind::MySql, &log);
    db.fail_on = Some("INDEX i1");
    let mut mc = context(db, false);
    let e = upgrade(&mut mc, scripts).unwrap_err().to_string();
    assert!(
        e.contains("Revision r1 is now half-applied: statement 1 of 2 ran and committed"),
        "{e}"
    );
    let c = calls(&log);
    let tail: Vec<&str> = c
        .iter()
        .skip_while(|s| !s.starts_with("CREATE INDEX i1"))
        .map(String::as_str)
        .collect();
    // The row is marked failed; nothing touches the version table.
    assert_eq!(
        tail,
        ["CREATE INDEX i1", "UPDATE `alembic_version_log` SET"]
    );
}

#[test]
fn offline_output_has_no_audit_log_and_keeps_the_runs_transaction() {
    let (_dir, scripts) = project(2, &[true, false]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut db = Fake::new(Kind::Postgres, &log);
    // What the offline backend says of itself.
    db.caps = Capabilities {
        audit_log: false,
        commits_each_record: false,
        batches_rows: false,
        ..capabilities_of(Kind::Postgres)
    };
    let mut mc = context(db, false);
    upgrade(&mut mc, scripts).unwrap();
    let c = calls(&log);
    assert!(!c.iter().any(|s| s.contains("_log")), "{c:?}");
    let tail: Vec<&str> = c
        .iter()
        .skip_while(|s| !s.starts_with("CREATE TABLE t1"))
        .map(String::as_str)
        .collect();
    // r2 (Transactional: false) runs between a COMMIT and a BEGIN; its
    // version row stays in the run's transaction, committed at the end.
    assert_eq!(
        tail,
        [
            "CREATE TABLE t1",
            "CREATE INDEX i1",
            "INSERT INTO \"alembic_version\"",
            "COMMIT",
            "CREATE TABLE t2",
            "CREATE INDEX i2",
            "BEGIN",
            "UPDATE \"alembic_version\" SET",
            "COMMIT",
            "UNLOCK",
        ]
    );
}

#[test]
fn the_plan_names_each_steps_transaction() {
    let (_dir, scripts) = project(3, &[true, false, true]);
    let steps = scripts.map.upgrade_plan(&[], "head").unwrap();
    let modes = |kind: Kind, per_migration: bool| -> Vec<TxMode> {
        plan::plan(
            scripts,
            steps.clone(),
            &[],
            kind,
            &capabilities_of(kind),
            per_migration,
            None,
        )
        .unwrap()
        .iter()
        .map(|p| p.mode)
        .collect()
    };
    use TxMode::{None as Outside, Own, Run};
    assert_eq!(modes(Kind::Postgres, false), [Run, Outside, Run]);
    assert_eq!(modes(Kind::Sqlite, true), [Own, Outside, Own]);
    assert_eq!(modes(Kind::MySql, false), [Outside, Outside, Outside]);
}

#[test]
fn the_plan_records_the_version_rows_each_step_starts_from() {
    let (_dir, scripts) = project(3, &[]);
    let steps = scripts.map.upgrade_plan(&["r1".into()], "head").unwrap();
    let p = plan::plan(
        scripts,
        steps,
        &["r1".into()],
        Kind::Postgres,
        &capabilities_of(Kind::Postgres),
        false,
        None,
    )
    .unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].rows_before, ["r1"]);
    assert_eq!(p[1].rows_before, ["r2"]);
    assert_eq!(p[0].record.total, 2);
    assert_eq!(p[0].record.step, "upgrade r1 -> r2");
}

#[test]
fn resume_after_confirms_only_the_interrupted_statement() {
    let row = |outcome: &str, done: i64, total: i64| super::audit::LogRow {
        revision: "r1".into(),
        outcome: outcome.into(),
        statements_done: done,
        statements_total: total,
        ..Default::default()
    };
    assert!(plan::check_resume_after(&row("running", 1, 3), 2).is_ok());
    assert!(plan::check_resume_after(&row("running", 1, 3), 3).is_err());
    assert!(plan::check_resume_after(&row("failed", 1, 3), 2).is_err());
    let _ = Resume::After(2);
}
