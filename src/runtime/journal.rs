//! The journal: how a run is recorded in the audit log, as hooks the driver
//! calls when a step starts, makes progress, finishes or fails, and when a
//! transaction commits or rolls back. Where there is no audit log (offline
//! `--sql` output), every hook does nothing.
//!
//! What it records per step comes from the plan (`plan::Record`); the SQL
//! comes from the backend (`dialect::AuditTable`). A step inside a
//! transaction is recorded once, `ok`, in rows written together just before
//! the transaction commits (`rolled_back`, after a rollback, in a short
//! transaction of its own); a step outside one is recorded `running` before
//! its first statement, its counter advanced after each statement, and
//! finished or failed at the end, so a revision that failed or was killed
//! half-way is known.

use super::audit::{self, LogRow, StatementsDigest, FAILED, OK, ROLLED_BACK, RUNNING};
use super::error::{Doing, RunError};
use super::plan::Record;
use crate::dialect::bookkeeping::{AuditValues, AUDIT_COLUMNS, AUDIT_LATER_COLUMNS};
use crate::dialect::{AuditTable, Database, DbError, VersionTable};

/// Rows `finished_in_transaction` holds before writing them (a bound on the
/// memory they take), and the most one INSERT writes (18 parameters each: far
/// below every database's limit).
const ROWS_PER_INSERT: usize = 128;

/// Where a statement failed, for the row.
pub struct Failure<'a> {
    pub statement: Option<usize>,
    pub line: Option<usize>,
    pub excerpt: &'a str,
    pub error: &'a str,
}

/// The `running` row of the next step outside a transaction, written by the
/// transaction that recorded the step before it (one commit between two such
/// steps instead of two).
struct Prestarted {
    revision: String,
    direction: &'static str,
    id: i64,
}

/// The audit log of one run.
pub struct Journal {
    log: Option<Log>,
}

struct Log {
    table: AuditTable,
    /// Who and where, read once per connection.
    session: Option<(String, String)>,
    /// The next row id, read once: only the lock holder writes here.
    next_id: Option<i64>,
    /// Rows of steps inside the open transaction, not written yet.
    pending: Vec<AuditValues>,
    /// Several rows per INSERT (statements cross a network).
    batches_rows: bool,
    prestarted: Option<Prestarted>,
    /// `--tag`, recorded in each row of the run.
    tag: Option<String>,
}

impl Journal {
    /// The journal of runs on `db`: none where it keeps no audit log.
    pub fn new(
        db: &dyn Database,
        version_table: &VersionTable,
        name: &str,
        tag: Option<&str>,
    ) -> Journal {
        let caps = db.capabilities();
        Journal {
            log: caps.audit_log.then(|| Log {
                table: AuditTable::new(db.dialect(), version_table, name),
                session: None,
                next_id: None,
                pending: Vec::new(),
                batches_rows: caps.batches_rows,
                prestarted: None,
                tag: tag.map(str::to_string),
            }),
        }
    }

    /// A journal that keeps no audit log.
    pub fn none() -> Journal {
        Journal { log: None }
    }

    /// The audit log's table, as written in SQL.
    pub fn table(&self) -> Option<&str> {
        self.log.as_ref().map(|l| l.table.table.as_str())
    }

    fn writing(&self) -> Doing {
        Doing::WritingAuditLog(self.table().unwrap_or_default().to_string())
    }

    fn reading(&self) -> Doing {
        Doing::ReadingAuditLog(self.table().unwrap_or_default().to_string())
    }

    /// Creates the table when it is missing, and adds the columns a table
    /// from an older `migrate` does not have yet.
    pub fn ensure(&self, db: &mut dyn Database) -> Result<(), RunError> {
        let Some(log) = &self.log else { return Ok(()) };
        let doing = || Doing::CreatingAuditLog(log.table.table.clone());
        let columns = log.columns(db).map_err(RunError::db(doing()))?;
        if columns.is_empty() {
            db.execute(&log.table.create())
                .map_err(RunError::db(doing()))?;
            return Ok(());
        }
        for (name, sql_type) in AUDIT_LATER_COLUMNS {
            if !columns.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                db.execute(&log.table.add_column(name, sql_type))
                    .map_err(RunError::db(doing()))?;
            }
        }
        Ok(())
    }

    /// Every row, newest first; none when there is no log. Never writes.
    pub fn rows(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, RunError> {
        let Some(log) = &self.log else {
            return Ok(Vec::new());
        };
        log.rows(db).map_err(RunError::db(self.reading()))
    }

    /// Failed or interrupted rows not dealt with yet, newest first. Never writes.
    pub fn unresolved(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, RunError> {
        let Some(log) = &self.log else {
            return Ok(Vec::new());
        };
        log.unresolved(db).map_err(RunError::db(self.reading()))
    }

    // ---------------------------------------------------------------- hooks

    /// A step outside a transaction starts: its `running` row (the one written
    /// ahead by the step before, if any), with `done` statements already done
    /// (a resumed step). Returns the row's id.
    pub fn started(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        done: usize,
        digest: &StatementsDigest,
    ) -> Result<Option<i64>, RunError> {
        let doing = self.writing();
        let Some(log) = &mut self.log else {
            return Ok(None);
        };
        if let Some(p) = log.prestarted.take() {
            if done == 0 && p.revision == rec.revision && p.direction == rec.direction_name {
                return Ok(Some(p.id));
            }
            log.resolve(db, p.id, "not run")
                .map_err(RunError::db(doing.clone()))?;
        }
        let values = log
            .running(db, rec, done, digest)
            .map_err(RunError::db(doing.clone()))?;
        let id = log.insert_now(db, values).map_err(RunError::db(doing))?;
        Ok(Some(id))
    }

    /// Writes the `running` row of `rec`, the next step, ahead: in the open
    /// transaction, or (`literal`) as a statement to send with others.
    pub fn prestart(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        literal: bool,
    ) -> Result<Option<String>, RunError> {
        let doing = self.writing();
        let Some(log) = &mut self.log else {
            return Ok(None);
        };
        let values = log
            .running(db, rec, 0, &StatementsDigest::new())
            .map_err(RunError::db(doing.clone()))?;
        let id = values_id(&values);
        let sql = if literal {
            Some(log.table.insert_literal(&values))
        } else {
            log.insert_now(db, values).map_err(RunError::db(doing))?;
            None
        };
        log.prestarted = Some(Prestarted {
            revision: rec.revision.clone(),
            direction: rec.direction_name,
            id,
        });
        Ok(sql)
    }

    /// A `running` row written ahead for a step that did not run after all
    /// (the run stopped before it): marked so, as nothing of it was applied.
    pub fn abandon_prestarted(&mut self, db: &mut dyn Database) {
        if let Some(log) = &mut self.log {
            if let Some(p) = log.prestarted.take() {
                let _ = log.resolve(db, p.id, "not run");
            }
        }
    }

    /// Forgets a row written ahead by a transaction that was rolled back.
    pub fn forget_prestarted(&mut self) {
        if let Some(log) = &mut self.log {
            log.prestarted = None;
        }
    }

    /// One more statement of a running row succeeded.
    pub fn progressed(
        &self,
        db: &mut dyn Database,
        id: Option<i64>,
        done: usize,
        digest: &StatementsDigest,
    ) -> Result<(), RunError> {
        let (Some(log), Some(id)) = (&self.log, id) else {
            return Ok(());
        };
        db.execute_params(
            &log.table.progress(),
            &[&done.to_string(), &digest.hex(), &id.to_string()],
        )
        .map(drop)
        .map_err(RunError::db(self.writing()))
    }

    /// A running row finished well with `done` statements run (the last
    /// statement's count is recorded here, in the transaction that records the
    /// step in the version table, rather than by a commit of its own).
    pub fn finished(
        &self,
        db: &mut dyn Database,
        id: Option<i64>,
        duration_ms: u128,
        done: usize,
        digest: &StatementsDigest,
    ) -> Result<(), RunError> {
        let (Some(log), Some(id)) = (&self.log, id) else {
            return Ok(());
        };
        db.execute_params(
            &log.table.finish(),
            &[
                OK,
                &audit::now_iso(),
                &duration_ms.to_string(),
                &done.to_string(),
                &digest.hex(),
                &id.to_string(),
            ],
        )
        .map(drop)
        .map_err(RunError::db(self.writing()))
    }

    /// [`Journal::finished`] as a statement to send with others.
    pub fn finished_literal(
        &self,
        id: Option<i64>,
        duration_ms: u128,
        done: usize,
        digest: &StatementsDigest,
    ) -> Option<String> {
        let (Some(log), Some(id)) = (&self.log, id) else {
            return None;
        };
        Some(
            log.table
                .finish_literal(OK, &audit::now_iso(), duration_ms, done, &digest.hex(), id),
        )
    }

    /// A running row failed.
    pub fn failed(
        &self,
        db: &mut dyn Database,
        id: Option<i64>,
        duration_ms: u128,
        f: &Failure<'_>,
    ) -> Result<(), RunError> {
        let (Some(log), Some(id)) = (&self.log, id) else {
            return Ok(());
        };
        db.execute_params(
            &log.table.fail(duration_ms, f.statement, f.line, id),
            &[FAILED, &audit::now_iso(), f.excerpt, f.error],
        )
        .map(drop)
        .map_err(RunError::db(self.writing()))
    }

    /// A step inside a transaction finished: its `ok` row, written with the
    /// others just before the transaction commits ([`Journal::before_commit`]).
    pub fn finished_in_transaction(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        started_at: &str,
        duration_ms: u128,
        digest: &StatementsDigest,
    ) -> Result<(), RunError> {
        let doing = self.writing();
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        let mut values = log
            .values(db, rec, OK, rec.total, digest, started_at)
            .map_err(RunError::db(doing.clone()))?;
        values[13] = Some(audit::now_iso());
        values[14] = Some(duration_ms.to_string());
        log.pending.push(values);
        if log.pending.len() >= ROWS_PER_INSERT {
            log.flush(db).map_err(RunError::db(doing))?;
        }
        Ok(())
    }

    /// A step inside a transaction failed and was rolled back: its
    /// `rolled_back` row, in the transaction the caller opened for it.
    pub fn rolled_back(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        started_at: &str,
        duration_ms: u128,
        done: usize,
        f: &Failure<'_>,
    ) -> Result<(), DbError> {
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        let mut values = log.values(
            db,
            rec,
            ROLLED_BACK,
            done,
            &StatementsDigest::new(),
            started_at,
        )?;
        values[10] = Some("0".into());
        values[11] = Some(String::new());
        values[13] = Some(audit::now_iso());
        values[14] = Some(duration_ms.to_string());
        let id = log.insert_now(db, values)?;
        db.execute_params(
            &log.table.set_failure(f.statement, f.line, id),
            &[f.excerpt, f.error],
        )?;
        Ok(())
    }

    /// A stamp moved the version table to (or away from) `rec`'s revision.
    pub fn stamped(&mut self, db: &mut dyn Database, rec: &Record) -> Result<(), RunError> {
        let doing = self.writing();
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        let now = audit::now_iso();
        let mut values = log
            .values(db, rec, OK, 0, &StatementsDigest::new(), &now)
            .map_err(RunError::db(doing.clone()))?;
        values[11] = Some(String::new());
        values[13] = Some(now);
        values[14] = Some("0".into());
        log.insert_now(db, values).map_err(RunError::db(doing))?;
        Ok(())
    }

    /// Marks a failed or running row as dealt with.
    pub fn resolve(&self, db: &mut dyn Database, id: i64, how: &str) -> Result<(), RunError> {
        let Some(log) = &self.log else { return Ok(()) };
        log.resolve(db, id, how)
            .map_err(RunError::db(self.writing()))
    }

    /// Writes the rows that wait for the open transaction's commit.
    pub fn before_commit(&mut self, db: &mut dyn Database) -> Result<(), RunError> {
        let doing = self.writing();
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        log.flush(db).map_err(RunError::db(doing))
    }

    /// True when rows wait for the open transaction's commit.
    pub fn has_pending(&self) -> bool {
        self.log.as_ref().is_some_and(|l| !l.pending.is_empty())
    }

    /// The open transaction was rolled back: the rows that waited for it are gone.
    pub fn after_rollback(&mut self) {
        if let Some(log) = &mut self.log {
            log.pending.clear();
        }
    }

    /// The lock was taken again (SQLite between revisions): another run may
    /// have written rows, so the next id is read again.
    pub fn lock_retaken(&mut self) {
        if let Some(log) = &mut self.log {
            log.next_id = None;
        }
    }
}

fn values_id(values: &AuditValues) -> i64 {
    values[0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl Log {
    fn next_id(&mut self, db: &mut dyn Database) -> Result<i64, DbError> {
        let id = match self.next_id {
            Some(id) => id,
            None => first_cell(&db.query_rows(&self.table.next_id(), &[])?)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1),
        };
        // Ids of rows a rollback took away are not reused: gaps are harmless.
        self.next_id = Some(id + 1);
        Ok(id)
    }

    fn session(&mut self, db: &mut dyn Database) -> (String, String) {
        if self.session.is_none() {
            self.session = Some(db.session_info());
        }
        self.session.clone().unwrap_or_default()
    }

    /// A new row's values (finished_at and duration left NULL), with a new id.
    fn values(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        outcome: &str,
        done: usize,
        digest: &StatementsDigest,
        started_at: &str,
    ) -> Result<AuditValues, DbError> {
        let id = self.next_id(db)?;
        let (user, host) = self.session(db);
        let text = |s: &str| Some(s.to_string());
        Ok([
            Some(id.to_string()),
            text(&rec.revision),
            text(rec.direction_name),
            text(&rec.step),
            text(&rec.message),
            text(outcome),
            text(""),
            text(&rec.checksum),
            text(&rec.sql),
            Some(done.to_string()),
            Some(rec.total.to_string()),
            Some(digest.hex()),
            text(started_at),
            None,
            None,
            Some(user),
            Some(host),
            text(env!("CARGO_PKG_VERSION")),
            self.tag.clone(),
            (!rec.lint_ignored.is_empty()).then(|| rec.lint_ignored.clone()),
        ])
    }

    fn running(
        &mut self,
        db: &mut dyn Database,
        rec: &Record,
        done: usize,
        digest: &StatementsDigest,
    ) -> Result<AuditValues, DbError> {
        self.values(db, rec, RUNNING, done, digest, &audit::now_iso())
    }

    fn insert_now(&mut self, db: &mut dyn Database, values: AuditValues) -> Result<i64, DbError> {
        let id = values_id(&values);
        let rows = [values];
        let (sql, params) = self.table.insert(&rows);
        db.execute_params(&sql, &params)?;
        Ok(id)
    }

    /// Writes the rows that wait, in id order.
    fn flush(&mut self, db: &mut dyn Database) -> Result<(), DbError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        // Where statements do not travel (SQLite), one prepared single-row
        // INSERT run per row costs no round trip and keeps no large statement.
        let per_insert = if self.batches_rows {
            ROWS_PER_INSERT
        } else {
            1
        };
        for chunk in rows.chunks(per_insert) {
            let (sql, params) = self.table.insert(chunk);
            db.execute_params(&sql, &params)?;
        }
        Ok(())
    }

    fn resolve(&self, db: &mut dyn Database, id: i64, how: &str) -> Result<(), DbError> {
        db.execute_params(&self.table.resolve(id), &[how]).map(drop)
    }

    /// The table's column names; none when it does not exist.
    fn columns(&self, db: &mut dyn Database) -> Result<Vec<String>, DbError> {
        let q = self.table.columns();
        Ok(db
            .query_rows(&q.sql, &q.params())?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    /// SELECT of the rows matching `condition`; None when there is no table.
    fn select(&self, db: &mut dyn Database, condition: &str) -> Result<Option<String>, DbError> {
        let columns = self.columns(db)?;
        if columns.is_empty() {
            return Ok(None);
        }
        let present = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
        Ok(Some(self.table.select(condition, &present)))
    }

    fn rows(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, DbError> {
        let Some(select) = self.select(db, "1 = 1")? else {
            return Ok(Vec::new());
        };
        Ok(db
            .query_rows(&select, &[])?
            .into_iter()
            .map(log_row)
            .collect())
    }

    fn unresolved(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, DbError> {
        if self.columns(db)?.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = db
            .query_rows(&self.table.unresolved_ids(RUNNING, FAILED), &[])?
            .iter()
            .filter_map(|r| first_cell(std::slice::from_ref(r)))
            .filter_map(|s| s.parse().ok())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let select = self
            .select(db, &format!("id IN ({list})"))?
            .unwrap_or_default();
        Ok(db
            .query_rows(&select, &[])?
            .into_iter()
            .map(log_row)
            .collect())
    }
}

fn first_cell(rows: &[crate::dialect::Row]) -> Option<String> {
    rows.first()?.first()?.clone()
}

/// A row of the table (its columns in `AUDIT_COLUMNS` order) as a `LogRow`.
fn log_row(cells: crate::dialect::Row) -> LogRow {
    debug_assert_eq!(cells.len(), AUDIT_COLUMNS.len());
    let text = |c: usize| cells.get(c).cloned().flatten().unwrap_or_default();
    let int = |c: usize| {
        cells
            .get(c)
            .cloned()
            .flatten()
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    LogRow {
        id: int(0).unwrap_or(0),
        revision: text(1),
        direction: text(2),
        step: text(3),
        message: text(4),
        outcome: text(5),
        resolution: text(6),
        checksum: text(7),
        sql: text(8),
        statements_done: int(9).unwrap_or(0),
        statements_total: int(10).unwrap_or(0),
        done_checksum: text(11),
        failed_statement: int(12),
        failed_line: int(13),
        failed_excerpt: text(14),
        error: text(15),
        started_at: text(16),
        finished_at: text(17),
        duration_ms: int(18),
        db_user: text(19),
        client_host: text(20),
        migrate_version: text(21),
        tag: text(22),
        lint_ignored: text(23),
    }
}
