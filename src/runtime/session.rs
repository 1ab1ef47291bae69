//! The connection as a run holds it: the database-wide lock, the open
//! transaction, and the version table. A guard (`Drop` on the context)
//! rolls back what is open and releases the lock on every exit path.

use super::error::{Doing, RunError};
use super::lock::Attempt;
use super::MigrationContext;
use crate::dialect::{Database, LockMode, VersionOp};
use std::time::{Duration, Instant};

impl Drop for MigrationContext {
    /// The lock guard: whatever happened, roll back what is open and release the lock.
    fn drop(&mut self) {
        if self.in_tx {
            let _ = self.db.rollback();
            self.in_tx = false;
        }
        self.journal.abandon_prestarted(self.db.as_mut());
        if self.locked {
            let key = self.lock_key.clone();
            let _ = self.lock_conn().unlock(&key);
            self.locked = false;
        }
        if let Some(t) = &mut self.table_lock {
            let _ = t.release();
        }
    }
}

impl MigrationContext {
    pub(super) fn lock_conn(&mut self) -> &mut dyn Database {
        match &mut self.lock_db {
            Some(d) => d.as_mut(),
            None => self.db.as_mut(),
        }
    }

    fn table_name(&self) -> String {
        self.db.dialect().version_table(&self.table)
    }

    /// The rows of the version table; none when it does not exist. Never writes.
    pub fn read_heads(&mut self) -> Result<Vec<String>, RunError> {
        let name = self.table_name();
        let table = self.table.clone();
        self.db.read_versions(&table).map_err(|error| RunError::Db {
            doing: Doing::ReadingVersionTable(name),
            error,
        })
    }

    /// Creates the version table when it is missing.
    pub fn ensure_version_table(&mut self) -> Result<(), RunError> {
        let exists = self
            .db
            .table_exists(self.table.schema.as_deref(), &self.table.name)
            .map_err(RunError::db(Doing::CheckingVersionTable))?;
        if exists {
            return Ok(());
        }
        let sql = self.db.dialect().version_create(&self.table);
        self.db
            .execute(&sql)
            .map_err(RunError::db(Doing::CreatingVersionTable(self.table_name())))
    }

    /// Takes the lock the context was given (see `use_lock`), polling until
    /// `lock_timeout`. The database's own lock is also taken where it is the
    /// write transaction itself (SQLite), whatever the mode.
    pub fn lock(&mut self) -> Result<(), RunError> {
        if self.lock_mode == LockMode::Table {
            self.poll_lock(Which::Table)?;
        }
        if self.lock_mode == LockMode::Advisory || self.caps.lock_is_transaction {
            if self.lock_mode == LockMode::Advisory {
                let _ = self.db.guard_session();
            }
            self.poll_lock(Which::Own)?;
        }
        Ok(())
    }

    /// One attempt at `which` lock: taken or not.
    fn try_lock_once(&mut self, which: Which) -> Result<bool, RunError> {
        match which {
            Which::Own => {
                let key = self.lock_key.clone();
                let taken = self
                    .lock_conn()
                    .try_lock(&key)
                    .map_err(RunError::db(Doing::TakingLock))?;
                if taken {
                    self.locked = true;
                    if self.caps.lock_is_transaction {
                        self.in_tx = true;
                    }
                }
                Ok(taken)
            }
            Which::Table => {
                let Some(t) = self.table_lock.as_mut() else {
                    return Ok(true);
                };
                match t.try_acquire().map_err(RunError::db(Doing::TakingLock))? {
                    Attempt::Taken => Ok(true),
                    Attempt::TakenOver(h) => {
                        let msg = format!(
                            "Took over the migration lock in {} from {h}: its lease had run out",
                            t.table()
                        );
                        self.progress.line(&msg);
                        Ok(true)
                    }
                    Attempt::Held => Ok(false),
                }
            }
        }
    }

    /// Who holds `which` lock, in words, where that can be told.
    fn holder_of(&mut self, which: Which) -> Option<String> {
        match which {
            Which::Own => {
                let key = self.lock_key.clone();
                self.lock_conn().lock_holder(&key)
            }
            Which::Table => self.table_lock.as_mut()?.holder(),
        }
    }

    fn lock_name(&self, which: Which) -> String {
        match (which, &self.table_lock) {
            (Which::Table, Some(t)) => format!("{} (lock = \"table\")", t.table()),
            _ => format!("'{}'", self.lock_key.name),
        }
    }

    /// Polls `which` lock until it is taken, `lock_timeout` runs out or Ctrl-C.
    fn poll_lock(&mut self, which: Which) -> Result<(), RunError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut told = false;
        let timeout = self.settings.lock_timeout;
        loop {
            if self.try_lock_once(which)? {
                if told {
                    let msg = format!(
                        "Took the migration lock {} after {:.1} s",
                        self.lock_name(which),
                        start.elapsed().as_secs_f64()
                    );
                    self.progress.line(&msg);
                }
                return Ok(());
            }
            if crate::interrupt::interrupted() {
                return Err(RunError::Interrupted {
                    applied: Vec::new(),
                });
            }
            let waited = start.elapsed();
            if waited >= timeout {
                let key = match which {
                    Which::Own => self.lock_key.name.clone(),
                    Which::Table => self
                        .table_lock
                        .as_ref()
                        .map(|t| t.table().to_string())
                        .unwrap_or_default(),
                };
                return Err(RunError::LockTimeout {
                    seconds: timeout.as_secs(),
                    key,
                    holder: self.holder_of(which),
                });
            }
            if !told {
                told = true;
                let holder = self
                    .holder_of(which)
                    .map(|h| format!(" held by {h}"))
                    .unwrap_or_default();
                let msg = format!(
                    "Waiting for the migration lock {}{holder} (up to {} s, --lock-timeout)",
                    self.lock_name(which),
                    timeout.as_secs()
                );
                self.progress.line(&msg);
            }
            std::thread::sleep(delay.min(timeout.saturating_sub(waited)));
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// The `lock = "table"` lease was lost (see `runtime::lock`): the run
    /// must stop before it writes more.
    pub(super) fn check_lock(&self, applied: &[String]) -> Result<(), RunError> {
        match &self.table_lock {
            Some(t) => match t.lost() {
                Some(why) => Err(RunError::LockLost {
                    table: t.table().to_string(),
                    why,
                    applied: applied.to_vec(),
                }),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    pub(super) fn begin(&mut self) -> Result<(), RunError> {
        self.db
            .begin()
            .map_err(RunError::db(Doing::StartingTransaction))?;
        self.in_tx = true;
        if self.caps.lock_is_transaction {
            // The lock was taken again: log ids read under the last one may be taken.
            self.journal.lock_retaken();
        }
        Ok(())
    }

    /// Commits, writing first the audit-log rows that wait for this commit.
    pub(super) fn commit(&mut self) -> Result<(), RunError> {
        self.check_lock(&[])?;
        self.journal.before_commit(self.db.as_mut())?;
        self.in_tx = false;
        self.db.commit().map_err(RunError::db(Doing::Committing))
    }

    pub(super) fn rollback(&mut self) {
        self.journal.after_rollback();
        if self.in_tx {
            let _ = self.db.rollback();
            self.in_tx = false;
        }
    }

    /// Takes the lock, opens the run's transaction, creates the version table
    /// (and the audit log) if needed and reads the heads — under the lock, so
    /// what another `migrate` did while this one waited is seen: the common
    /// start of every writing command.
    pub fn start_writing(&mut self) -> Result<Vec<String>, RunError> {
        self.lock()?;
        if (self.whole_run_transaction() || self.caps.lock_is_transaction) && !self.in_tx {
            self.begin()?;
        }
        self.ensure_version_table()?;
        self.journal.ensure(self.db.as_mut())?;
        self.read_heads()
    }

    /// Ends a writing command: commits and releases the lock.
    pub fn finish_writing(&mut self) -> Result<(), RunError> {
        if self.in_tx {
            self.commit()?;
        }
        if self.locked {
            self.locked = false;
            let key = self.lock_key.clone();
            self.lock_conn()
                .unlock(&key)
                .map_err(RunError::db(Doing::ReleasingLock))?;
        }
        if let Some(t) = &mut self.table_lock {
            t.release().map_err(RunError::db(Doing::ReleasingLock))?;
        }
        Ok(())
    }

    /// Runs version-table operations one by one, each UPDATE or DELETE
    /// checked to match exactly one row.
    pub(super) fn apply_ops(&mut self, ops: &[VersionOp]) -> Result<(), RunError> {
        for op in ops {
            let q = self.db.dialect().version_op(&self.table, op);
            let n = self
                .db
                .execute_params(&q.sql, &q.params())
                .map_err(RunError::db(Doing::UpdatingVersionTable(q.sql.clone())))?;
            if op.expects_one_row() && n != 1 {
                return Err(self.version_count_error(op, Some(n)));
            }
        }
        Ok(())
    }

    /// A version-table UPDATE or DELETE matched `found` rows (not known: `None`), not one.
    pub(super) fn version_count_error(&self, op: &VersionOp, found: Option<u64>) -> RunError {
        RunError::VersionCount {
            table: self.table.name.clone(),
            op: op.clone(),
            found,
        }
    }

    /// The rows an UPDATE or DELETE of `op` matches now (after a rollback:
    /// what it matched when it ran, as only the lock holder writes).
    pub(super) fn version_rows_matching(&mut self, op: &VersionOp) -> Option<u64> {
        let v = match op {
            VersionOp::Update { from, .. } => from,
            VersionOp::Delete(v) => v,
            VersionOp::Insert(_) | VersionOp::DeleteAll => return None,
        };
        let q = self.db.dialect().version_count(&self.table);
        let rows = self.db.query_rows(&q, &[v.as_str()]).ok()?;
        rows.first()?.first()?.as_deref()?.parse().ok()
    }
}

/// Which of a context's locks: the database's own, or the lock table's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Own,
    Table,
}
