//! The migration context: the one place where the policy of running
//! migrations lives — the database-wide lock, the version table, the
//! transaction policy, running each revision's statements in order, and the
//! version-table bookkeeping of every step.
//!
//! It uses the `Database` primitives of `dialect`, the splitter of `sql`, the
//! plans of `script::revision` and the pure head-maintenance rules of `step`.

pub mod step;

use crate::dialect::{Database, DbError, Kind, LockKey, VersionTable};
use crate::progress::Progress;
use crate::script::revision::{Direction, MigrationStep, StampStep};
use crate::script::{Script, ScriptDirectory};
use crate::sql;
use anyhow::{anyhow, bail, Context as _, Result};
use std::io::Write;
use std::time::{Duration, Instant};
use step::VersionOp;

/// How a run behaves, as configured.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// One transaction per revision instead of one for the whole run.
    pub transaction_per_migration: bool,
    /// How long to wait for another `migrate` to release the lock.
    pub lock_timeout: Duration,
    /// No progress lines.
    pub quiet: bool,
}

/// What one step did, for the summary.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    pub revision: String,
    pub direction: &'static str,
    pub message: String,
    pub statements: usize,
    pub seconds: f64,
}

/// A statement that failed, with everything a user needs to find it.
#[derive(Debug)]
pub struct StatementError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub number: usize,
    pub excerpt: String,
    pub error: DbError,
    pub rolled_back: bool,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: statement {} failed: {}\n  {}",
            self.path, self.line, self.column, self.number, self.error, self.excerpt
        )?;
        if self.rolled_back {
            write!(
                f,
                "\nThe run was rolled back: the database is as it was before it. Fix the statement and run the command again."
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for StatementError {}

/// A short one-line excerpt of a statement for messages.
pub fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

fn dialect_of(kind: Kind) -> sql::Dialect {
    match kind {
        Kind::Postgres => sql::Dialect::Postgres,
        Kind::MySql => sql::Dialect::MySql,
        Kind::Sqlite => sql::Dialect::Sqlite,
    }
}

/// A connection with the version table, the lock and the transaction state.
pub struct MigrationContext {
    db: Box<dyn Database>,
    kind: Kind,
    table: VersionTable,
    lock_key: LockKey,
    locked: bool,
    in_tx: bool,
    settings: RunSettings,
    progress: Progress,
    /// Offline mode: the heads the run starts from (`FROM` of a range), as nothing can be read.
    pub assumed_heads: Option<Vec<String>>,
}

impl Drop for MigrationContext {
    /// The lock guard: whatever happened, roll back what is open and release the lock.
    fn drop(&mut self) {
        if self.in_tx {
            let _ = self.db.rollback();
            self.in_tx = false;
        }
        if self.locked {
            let _ = self.db.unlock(&self.lock_key);
            self.locked = false;
        }
    }
}

impl MigrationContext {
    pub fn new(
        db: Box<dyn Database>,
        table: VersionTable,
        lock_key: LockKey,
        settings: RunSettings,
        progress: Box<dyn Write>,
    ) -> MigrationContext {
        let progress = Progress::new(progress, settings.quiet);
        let kind = db.kind();
        MigrationContext {
            db,
            kind,
            table,
            lock_key,
            locked: false,
            in_tx: false,
            settings,
            progress,
            assumed_heads: None,
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn db(&mut self) -> &mut dyn Database {
        self.db.as_mut()
    }

    fn say(&mut self, line: &str) {
        self.progress.line(line);
    }

    /// True when the version table exists.
    pub fn version_table_exists(&mut self) -> Result<bool> {
        let (q, params) = self.table.exists_query(self.kind, &self.table.name);
        let p: Vec<&str> = params.iter().map(String::as_str).collect();
        let rows = self
            .db
            .query_column(&q, &p)
            .context("checking for the version table")?;
        Ok(!rows.is_empty())
    }

    /// The rows of the version table; none when it does not exist. Never writes.
    pub fn read_heads(&mut self) -> Result<Vec<String>> {
        if !self.version_table_exists()? {
            return Ok(Vec::new());
        }
        let q = self.table.select_sql(self.kind);
        let mut rows = self.db.query_column(&q, &[]).with_context(|| {
            format!("reading the version table {}", self.table.table(self.kind))
        })?;
        rows.sort();
        Ok(rows)
    }

    /// Creates the version table when it is missing.
    pub fn ensure_version_table(&mut self) -> Result<()> {
        if self.version_table_exists()? {
            return Ok(());
        }
        let sql = self.table.create_sql(self.kind);
        self.db
            .execute(&sql)
            .with_context(|| format!("creating the version table {}", self.table.table(self.kind)))
    }

    /// Takes the database-wide lock, polling until `lock_timeout`.
    pub fn lock(&mut self) -> Result<()> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut told = false;
        loop {
            if self
                .db
                .try_lock(&self.lock_key)
                .context("taking the migration lock")?
            {
                self.locked = true;
                if self.kind == Kind::Sqlite && !self.db.is_offline() {
                    self.in_tx = true;
                }
                return Ok(());
            }
            let waited = start.elapsed();
            if waited >= self.settings.lock_timeout {
                let holder = self
                    .db
                    .lock_holder(&self.lock_key)
                    .map(|h| format!(" (held by {h})"))
                    .unwrap_or_default();
                bail!(
                    "timed out after {} s waiting for the migration lock '{}'{holder}: another `migrate` is working on this database; run again when it is done, or raise --lock-timeout",
                    self.settings.lock_timeout.as_secs(),
                    self.lock_key.name
                );
            }
            if !told {
                told = true;
                let holder = self
                    .db
                    .lock_holder(&self.lock_key)
                    .map(|h| format!(" held by {h}"))
                    .unwrap_or_default();
                let msg = format!(
                    "Waiting for the migration lock '{}'{holder} (up to {} s)",
                    self.lock_key.name,
                    self.settings.lock_timeout.as_secs()
                );
                self.say(&msg);
            }
            std::thread::sleep(delay.min(self.settings.lock_timeout.saturating_sub(waited)));
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    fn begin(&mut self) -> Result<()> {
        self.db.begin().context("starting a transaction")?;
        self.in_tx = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.in_tx = false;
        self.db.commit().context("committing")
    }

    /// Whether the whole run is one transaction.
    fn whole_run_transaction(&self) -> bool {
        self.kind.transactional_ddl() && !self.settings.transaction_per_migration
    }

    /// Takes the lock, opens the run's transaction, creates the version table if
    /// needed and reads the heads: the common start of every writing command.
    pub fn start_writing(&mut self) -> Result<Vec<String>> {
        self.lock()?;
        if self.whole_run_transaction() || self.kind == Kind::Sqlite {
            if !self.in_tx {
                self.begin()?;
            }
        }
        self.ensure_version_table()?;
        if self.db.is_offline() {
            return Ok(self.assumed_heads.clone().unwrap_or_default());
        }
        self.read_heads()
    }

    /// Ends a writing command: commits and releases the lock.
    pub fn finish_writing(&mut self) -> Result<()> {
        if self.in_tx {
            self.commit()?;
        }
        if self.locked {
            self.locked = false;
            self.db
                .unlock(&self.lock_key)
                .context("releasing the migration lock")?;
        }
        Ok(())
    }

    fn apply_ops(&mut self, ops: &[VersionOp]) -> Result<()> {
        let kind = self.kind;
        for op in ops {
            let (sql, params, expect_one) = match op {
                VersionOp::Insert(v) => (self.table.insert_sql(kind), vec![v.as_str()], false),
                VersionOp::Update { from, to } => (
                    self.table.update_sql(kind),
                    vec![to.as_str(), from.as_str()],
                    true,
                ),
                VersionOp::Delete(v) => (self.table.delete_sql(kind), vec![v.as_str()], true),
                VersionOp::DeleteAll => (self.table.delete_all_sql(kind), vec![], false),
            };
            let n = self
                .db
                .execute_params(&sql, &params)
                .with_context(|| format!("updating the version table ({sql})"))?;
            if expect_one && n != 1 {
                let what = match op {
                    VersionOp::Update { from, to } => format!("updating '{from}' to '{to}'"),
                    VersionOp::Delete(v) => format!("deleting '{v}'"),
                    _ => String::new(),
                };
                bail!(
                    "Online migration expected to match one row when {what} in '{}'; {n} found. The version table was changed by someone else during the run; check it with `migrate current`",
                    self.table.name
                );
            }
        }
        Ok(())
    }

    /// Runs the statements of one section of a script.
    fn run_section(&mut self, script: &Script, direction: Direction) -> Result<usize> {
        let section = match direction {
            Direction::Up => &script.file.upgrade,
            Direction::Down => &script.file.downgrade,
        };
        let path = script.path.display().to_string();
        let statements = sql::split(&section.text, dialect_of(self.kind)).map_err(|e| {
            anyhow!(
                "{path}: cannot split the {} section: {e}",
                if matches!(direction, Direction::Up) {
                    "upgrade"
                } else {
                    "downgrade"
                }
            )
        })?;
        let n = statements.len();
        for (i, st) in statements.iter().enumerate() {
            self.progress
                .statement_started(i + 1, n, st.line + section.first_line - 1);
            let result = if st.compound {
                self.db.execute_compound(&st.text)
            } else {
                self.db.execute(&st.text)
            };
            if let Err(error) = result {
                let (line, column) = match error.position {
                    Some(p) => sql::position_in_file(st, p.saturating_sub(1)),
                    None => (st.line, st.column),
                };
                let line = line + section.first_line - 1;
                return Err(StatementError {
                    path,
                    line,
                    column,
                    number: i + 1,
                    excerpt: excerpt(&st.text),
                    error,
                    rolled_back: false,
                }
                .into());
            }
        }
        Ok(n)
    }

    /// Runs the steps that `plan` computes from the heads read under the lock.
    pub fn run_steps(
        &mut self,
        scripts: &ScriptDirectory,
        plan: impl FnOnce(&[String]) -> Result<Vec<MigrationStep>>,
    ) -> Result<Vec<StepReport>> {
        let mut rows = self.start_writing()?;
        let steps = plan(&rows)?;
        let whole = self.whole_run_transaction();
        let mut reports = Vec::with_capacity(steps.len());
        for st in &steps {
            let script = scripts
                .script(&st.revision)
                .ok_or_else(|| anyhow!("revision {} has no file (internal error)", st.revision))?;
            self.progress
                .step_started(&format!("Running {}", st.description()));
            if self.db.is_offline() {
                self.db
                    .comment(&format!("Running {}", st.short_log()))
                    .context("writing SQL output")?;
            }
            let started = Instant::now();
            let transactional = script.file.transactional;
            let result = (|| -> Result<usize> {
                if !transactional {
                    // Runs outside any transaction: commit what is open, as Alembic's autocommit_block.
                    if self.in_tx {
                        self.commit()?;
                    }
                    let n = self.run_section(script, st.direction)?;
                    self.begin()?;
                    let ops = step::apply_step(&scripts.map, st, &mut rows)
                        .map_err(|e| anyhow!("{e}"))?;
                    self.apply_ops(&ops)?;
                    if !whole {
                        self.commit()?;
                    }
                    Ok(n)
                } else {
                    if !self.in_tx {
                        self.begin()?;
                    }
                    let n = self.run_section(script, st.direction)?;
                    let ops = step::apply_step(&scripts.map, st, &mut rows)
                        .map_err(|e| anyhow!("{e}"))?;
                    self.apply_ops(&ops)?;
                    if !whole {
                        self.commit()?;
                    }
                    Ok(n)
                }
            })();
            self.progress.step_finished(started.elapsed());
            match result {
                Ok(n) => reports.push(StepReport {
                    revision: st.revision.clone(),
                    direction: match st.direction {
                        Direction::Up => "upgrade",
                        Direction::Down => "downgrade",
                    },
                    message: script.file.message.clone(),
                    statements: n,
                    seconds: started.elapsed().as_secs_f64(),
                }),
                Err(e) => {
                    let rolled_back = self.in_tx && self.kind.transactional_ddl();
                    if self.in_tx {
                        let _ = self.db.rollback();
                        self.in_tx = false;
                    }
                    return Err(match e.downcast::<StatementError>() {
                        Ok(mut se) => {
                            se.rolled_back = rolled_back && whole;
                            let mut err = anyhow::Error::new(se);
                            if !whole {
                                err = err.context(format!(
                                    "revision {} failed{}; the revisions before it in this run are applied",
                                    st.revision,
                                    if rolled_back { " and was rolled back" } else { "" }
                                ));
                            }
                            err
                        }
                        Err(e) => e,
                    });
                }
            }
        }
        self.finish_writing()?;
        Ok(reports)
    }

    /// Stamps: writes the version table as `plan` says, running no revision.
    pub fn run_stamp(
        &mut self,
        scripts: &ScriptDirectory,
        purge: bool,
        plan: impl FnOnce(&[String]) -> Result<Vec<StampStep>>,
    ) -> Result<()> {
        let mut rows = self.start_writing()?;
        if purge {
            self.apply_ops(&[VersionOp::DeleteAll])?;
            rows.clear();
        }
        let steps = plan(&rows)?;
        for st in &steps {
            let line = format!("Running {}", st.short_log());
            self.say(&line);
            if self.db.is_offline() {
                self.db.comment(&line).context("writing SQL output")?;
            }
            let ops = step::apply_stamp(&scripts.map, st, &mut rows).map_err(|e| anyhow!("{e}"))?;
            self.apply_ops(&ops)?;
        }
        self.finish_writing()
    }
}
