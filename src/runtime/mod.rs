//! Running migrations, the one place where the policy lives: a pure step
//! plan (`plan`: statements, version-table operations, the transaction each
//! step runs in, what the audit log records) and a short driver (`driver`)
//! that executes it against a `Database`, holding the database-wide lock and
//! the transaction (`session`) and telling the journal (`journal`, the audit
//! log) what happens.
//!
//! It uses the `Database` primitives of `dialect` (never a specific backend:
//! what differs is `Capabilities` data and the backend's own SQL), the
//! splitter of `sql`, the plans of `script::revision` and the pure
//! head-maintenance rules of `step`.
//!
//! Two kinds of step:
//! - inside a transaction (PostgreSQL and SQLite, unless `Transactional:
//!   false`): statements, version-table update and log row commit together,
//!   or not at all (the log rows of a transaction are written together just
//!   before it commits); a failure is logged as `rolled_back` after the
//!   rollback, in a short transaction of its own.
//! - outside any transaction (MySQL/MariaDB, whose DDL commits itself, and
//!   `Transactional: false` revisions): the log row is written `running` first
//!   and its statement counter advances after each statement, so a revision
//!   that failed or was killed half-way is known, refused by the next run, and
//!   can be resumed. The last statement's count, the version table and the
//!   `running` row of the next such revision commit together: one commit per
//!   revision.

pub mod audit;
pub mod check;
pub mod diff;
mod driver;
pub mod error;
pub mod journal;
pub mod lock;
pub mod plan;
mod session;
mod stamp;
pub mod step;
#[cfg(test)]
mod tests;

use crate::dialect::{Capabilities, Database, DbError, LockKey, LockMode, VersionTable};
use crate::progress::Progress;
pub use error::{HalfApplied, RunError, StatementError};
use journal::Journal;
use std::time::Duration;

pub use audit::LogRow;

/// How a run behaves, as configured.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// One transaction per revision instead of one for the whole run.
    pub transaction_per_migration: bool,
    /// How long to wait for another `migrate` to release the lock.
    pub lock_timeout: Duration,
    /// The audit log table's name (beside the version table).
    pub log_table: String,
    /// `--tag`: recorded in the audit log's rows of the run.
    pub tag: Option<String>,
    /// How the run locks the database, as configured (`auto` is decided on
    /// connecting, see `Target::open`).
    pub lock: LockMode,
    /// How long a `lock = "table"` lease lasts unless renewed.
    pub lock_lease: Duration,
}

/// How a half-applied revision is continued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// `--resume`: from the statement that failed or was interrupted, which runs again.
    AtFailed,
    /// `--resume-after N`: after statement N, the one a killed run was
    /// interrupted in, which the operator checked did take effect.
    After(usize),
}

/// What the command asks of one `upgrade`/`downgrade` run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--resume` or `--resume-after N`: continue the half-applied revision.
    pub resume: Option<Resume>,
    /// The target means the same from any starting point (`head`, an id; not
    /// `+1`), so the run may plan again when the version table moved under it.
    pub replan: bool,
    /// The command line that runs it, for messages (`upgrade`, `downgrade`).
    pub verb: &'static str,
}

/// What one step did, for the summary.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    pub revision: String,
    pub direction: &'static str,
    pub message: String,
    /// Statements run (from the resumed one on, for `--resume`).
    pub statements: usize,
    pub seconds: f64,
}

/// A connection with the version table, the lock, the transaction state and
/// the journal of the run.
pub struct MigrationContext {
    db: Box<dyn Database>,
    /// The connection that holds the lock, where it is not `db` (see
    /// `Capabilities::lock_on_own_connection`).
    lock_db: Option<Box<dyn Database>>,
    caps: Capabilities,
    table: VersionTable,
    lock_key: LockKey,
    locked: bool,
    /// The lock this context takes: `Advisory` (the database's own, on
    /// `lock_key`), `Table` (`table_lock`) or `None`.
    lock_mode: LockMode,
    table_lock: Option<lock::TableLock>,
    in_tx: bool,
    settings: RunSettings,
    progress: Progress,
    journal: Journal,
}

impl MigrationContext {
    /// A context on `db`; `lock_db` holds the lock where the database needs a
    /// connection of its own for it.
    pub fn new(
        db: Box<dyn Database>,
        lock_db: Option<Box<dyn Database>>,
        table: VersionTable,
        lock_key: LockKey,
        settings: RunSettings,
        progress: Progress,
    ) -> MigrationContext {
        let journal = Journal::new(
            db.as_ref(),
            &table,
            &settings.log_table,
            settings.tag.as_deref(),
        );
        MigrationContext {
            caps: db.capabilities(),
            db,
            lock_db,
            table,
            lock_key,
            locked: false,
            lock_mode: LockMode::Advisory,
            table_lock: None,
            in_tx: false,
            settings,
            progress,
            journal,
        }
    }

    /// Takes the lock `mode` names instead of the database's own lock
    /// (`Table` needs `table_lock`; without it the mode stays as it was).
    pub fn use_lock(&mut self, mode: LockMode, table_lock: Option<lock::TableLock>) {
        match (mode, table_lock) {
            (LockMode::Table, Some(t)) => {
                self.lock_mode = LockMode::Table;
                self.table_lock = Some(t);
            }
            (LockMode::Table, None) => {}
            (mode, _) => self.lock_mode = mode,
        }
    }

    /// Runs revisions outside a transaction even though the backend's DDL
    /// is transactional (a distributed engine that speaks its protocol
    /// without its transactional DDL).
    pub fn without_transactional_ddl(&mut self) {
        self.caps.transactional_ddl = false;
    }

    /// A run on a scratch database, read once and thrown away: no audit
    /// log, whose rows nobody reads (where DDL commits itself, its statement
    /// counter is a commit after every statement), and commits that need
    /// not survive a crash.
    pub fn disposable(&mut self) -> Result<(), DbError> {
        self.caps.audit_log = false;
        self.journal = Journal::none();
        self.db.disposable_session()
    }

    /// Which database this is.
    pub fn kind(&self) -> crate::Kind {
        self.db.kind()
    }

    /// The connection, for commands that read more than the version table.
    pub fn db(&mut self) -> &mut dyn Database {
        self.db.as_mut()
    }

    fn whole_run_transaction(&self) -> bool {
        plan::whole_run_transaction(&self.caps, self.settings.transaction_per_migration)
    }

    /// Every row of the audit log, newest first; none when there is no log. Never writes.
    pub fn audit_rows(&mut self) -> Result<Vec<LogRow>, RunError> {
        self.journal.rows(self.db.as_mut())
    }

    /// Failed or interrupted rows not dealt with yet, newest first. Never writes.
    pub fn unresolved(&mut self) -> Result<Vec<LogRow>, RunError> {
        self.journal.unresolved(self.db.as_mut())
    }

    /// `ensure-version`: creates the version table (and the audit log) under the lock.
    pub fn ensure_version(&mut self) -> Result<(), RunError> {
        self.start_writing()?;
        self.finish_writing()
    }
}
