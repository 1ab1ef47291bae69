//! The migration context: the one place where the policy of running
//! migrations lives — the database-wide lock, the version table, the
//! transaction policy, running each revision's statements in order, the
//! version-table bookkeeping of every step, and the audit log (`audit`).
//!
//! It uses the `Database` primitives of `dialect`, the splitter of `sql`, the
//! plans of `script::revision` and the pure head-maintenance rules of `step`.
//!
//! Two kinds of step:
//! - atomic (PostgreSQL and SQLite, unless `Transactional: false`): statements,
//!   version-table update and log row commit together, or not at all (the log
//!   rows of a transaction are written together just before it commits); a
//!   failure is logged as `rolled_back` after the rollback, in a short
//!   transaction of its own.
//! - non-atomic (MySQL/MariaDB, whose DDL commits itself, and `Transactional:
//!   false` revisions): the log row is written `running` first and its statement
//!   counter advances after each statement, so a revision that failed or was
//!   killed half-way is known, refused by the next run, and can be resumed. The
//!   last statement's count, the version table and the `running` row of the
//!   next such revision commit together: one commit per revision.

pub mod audit;
pub mod diff;
pub mod step;

use crate::dialect::{mysql, Database, DbError, Kind, LockKey, VersionTable};
use crate::progress::Progress;
use crate::script::revision::{Direction, MigrationStep, StampStep};
use crate::script::{Script, ScriptDirectory};
use crate::sql;
use anyhow::{anyhow, bail, Context as _, Result};
use audit::{AuditLog, LogRow, NewRow, StatementsDigest};
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
    /// The audit log table's name (beside the version table).
    pub log_table: String,
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

/// An UPDATE or DELETE of one row: it must match exactly one, or someone
/// else changed the version table.
fn expects_one_row(op: &VersionOp) -> bool {
    matches!(op, VersionOp::Update { .. } | VersionOp::Delete(_))
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

/// A short one-line excerpt of a statement for messages, its control
/// characters escaped (a NUL byte never reaches the terminal raw).
pub fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let one_line = crate::text::escape_controls(&one_line).into_owned();
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

fn sorted(rows: &[String]) -> Vec<String> {
    let mut v = rows.to_vec();
    v.sort();
    v
}

fn list_or_none(rows: &[String]) -> String {
    if rows.is_empty() {
        "no revision".to_string()
    } else {
        rows.join(", ")
    }
}

/// A section split into statements, with where it is.
struct Split<'a> {
    statements: Vec<sql::Statement>,
    /// Line of the file where the section starts.
    first_line: usize,
    path: String,
    /// The section's text (for the log).
    text: &'a str,
}

/// The parameterised statements that write the version table.
struct VersionSql {
    insert: String,
    update: String,
    delete: String,
    delete_all: String,
}

/// What a statement of the bookkeeping message between two revisions
/// (`run_non_atomic`) is, to say what failed.
enum BatchPart {
    Begin,
    /// A version-table statement.
    Version,
    /// The check that the step's `k`-th version-table statement matched one row.
    Guard(usize),
    Log,
    Commit,
}

/// The `running` log row of the next step outside a transaction, written by
/// the transaction that recorded the step before it (one commit between two
/// such steps instead of two).
struct Prestarted {
    revision: String,
    direction: Direction,
    id: i64,
}

/// A connection with the version table, the lock and the transaction state.
pub struct MigrationContext {
    db: Box<dyn Database>,
    /// MySQL: the idle connection that holds the lock (see `Kind::lock_on_own_connection`).
    lock_db: Option<Box<dyn Database>>,
    kind: Kind,
    table: VersionTable,
    /// The version table's statements, written once.
    version_sql: VersionSql,
    lock_key: LockKey,
    locked: bool,
    in_tx: bool,
    settings: RunSettings,
    progress: Progress,
    /// The audit log; none offline (`--sql` output stays as Alembic's).
    audit: Option<AuditLog>,
    prestarted: Option<Prestarted>,
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
        self.abandon_prestarted();
        if self.locked {
            let key = self.lock_key.clone();
            let _ = self.lock_conn().unlock(&key);
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
        let mut progress = Progress::new(progress, settings.quiet);
        if db.is_offline() {
            // The SQL goes to stdout, maybe the same terminal: no redrawn live line.
            progress = progress.plain();
        }
        let kind = db.kind();
        let audit = (!db.is_offline()).then(|| AuditLog::new(kind, &table, &settings.log_table));
        let version_sql = VersionSql {
            insert: table.insert_sql(kind),
            update: table.update_sql(kind),
            delete: table.delete_sql(kind),
            delete_all: table.delete_all_sql(kind),
        };
        MigrationContext {
            db,
            lock_db: None,
            kind,
            table,
            version_sql,
            lock_key,
            locked: false,
            in_tx: false,
            settings,
            progress,
            audit,
            prestarted: None,
            assumed_heads: None,
        }
    }

    /// Holds the lock on `db`, a second connection to the same database.
    pub fn with_lock_connection(mut self, db: Box<dyn Database>) -> MigrationContext {
        self.lock_db = Some(db);
        self
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn db(&mut self) -> &mut dyn Database {
        self.db.as_mut()
    }

    fn lock_conn(&mut self) -> &mut dyn Database {
        match &mut self.lock_db {
            Some(d) => d.as_mut(),
            None => self.db.as_mut(),
        }
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

    /// Every row of the audit log, newest first; none when there is no log. Never writes.
    pub fn audit_rows(&mut self) -> Result<Vec<LogRow>> {
        let Some(audit) = &self.audit else {
            return Ok(Vec::new());
        };
        audit
            .rows(self.db.as_mut())
            .with_context(|| format!("reading the audit log {}", audit.table()))
    }

    /// Failed or interrupted rows not dealt with yet, newest first. Never writes.
    pub fn unresolved(&mut self) -> Result<Vec<LogRow>> {
        let Some(audit) = &self.audit else {
            return Ok(Vec::new());
        };
        audit
            .unresolved(self.db.as_mut())
            .with_context(|| format!("reading the audit log {}", audit.table()))
    }

    /// The audit log's table name, as written in SQL.
    pub fn audit_table(&self) -> Option<&str> {
        self.audit.as_ref().map(AuditLog::table)
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

    fn ensure_audit_table(&mut self) -> Result<()> {
        if let Some(audit) = &self.audit {
            audit
                .ensure(self.db.as_mut())
                .with_context(|| format!("creating the audit log table {}", audit.table()))?;
        }
        Ok(())
    }

    /// Takes the database-wide lock, polling until `lock_timeout`.
    pub fn lock(&mut self) -> Result<()> {
        let _ = self.db.guard_session();
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut told = false;
        let key = self.lock_key.clone();
        loop {
            if self
                .lock_conn()
                .try_lock(&key)
                .context("taking the migration lock")?
            {
                self.locked = true;
                if self.kind.lock_is_transaction() && !self.db.is_offline() {
                    self.in_tx = true;
                }
                if told {
                    let msg = format!(
                        "Took the migration lock '{}' after {:.1} s",
                        key.name,
                        start.elapsed().as_secs_f64()
                    );
                    self.say(&msg);
                }
                return Ok(());
            }
            let waited = start.elapsed();
            if waited >= self.settings.lock_timeout {
                let holder = self
                    .lock_conn()
                    .lock_holder(&key)
                    .map(|h| format!(" (held by {h})"))
                    .unwrap_or_default();
                bail!(
                    "timed out after {} s waiting for the migration lock '{}'{holder}: another `migrate` is working on this database; run again when it is done, or raise --lock-timeout (or lock_timeout in migrate.toml)",
                    self.settings.lock_timeout.as_secs(),
                    key.name
                );
            }
            if !told {
                told = true;
                let holder = self
                    .lock_conn()
                    .lock_holder(&key)
                    .map(|h| format!(" held by {h}"))
                    .unwrap_or_default();
                let msg = format!(
                    "Waiting for the migration lock '{}'{holder} (up to {} s, --lock-timeout)",
                    key.name,
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
        if self.kind.lock_is_transaction() {
            // The lock was taken again: log ids read under the last one may be taken.
            if let Some(audit) = &mut self.audit {
                audit.forget_next_id();
            }
        }
        Ok(())
    }

    /// Commits, writing first the audit-log rows that wait for this commit.
    fn commit(&mut self) -> Result<()> {
        if let Some(audit) = &mut self.audit {
            audit
                .flush(self.db.as_mut())
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
        }
        self.in_tx = false;
        self.db.commit().context("committing")
    }

    fn rollback(&mut self) {
        if let Some(audit) = &mut self.audit {
            audit.discard();
        }
        if self.in_tx {
            let _ = self.db.rollback();
            self.in_tx = false;
        }
    }

    /// Whether the whole run is one transaction.
    fn whole_run_transaction(&self) -> bool {
        self.kind.transactional_ddl() && !self.settings.transaction_per_migration
    }

    /// Takes the lock, opens the run's transaction, creates the version table
    /// (and the audit log) if needed and reads the heads — under the lock, so
    /// what another `migrate` did while this one waited is seen: the common
    /// start of every writing command.
    pub fn start_writing(&mut self) -> Result<Vec<String>> {
        self.lock()?;
        if (self.whole_run_transaction() || self.kind.lock_is_transaction()) && !self.in_tx {
            self.begin()?;
        }
        self.ensure_version_table()?;
        if self.db.is_offline() {
            return Ok(self.assumed_heads.clone().unwrap_or_default());
        }
        self.ensure_audit_table()?;
        self.read_heads()
    }

    /// Ends a writing command: commits and releases the lock.
    pub fn finish_writing(&mut self) -> Result<()> {
        if self.in_tx {
            self.commit()?;
        }
        if self.locked {
            self.locked = false;
            let key = self.lock_key.clone();
            self.lock_conn()
                .unlock(&key)
                .context("releasing the migration lock")?;
        }
        Ok(())
    }

    fn apply_ops(&mut self, ops: &[VersionOp]) -> Result<()> {
        for op in ops {
            let (sql, params, expect_one) = match op {
                VersionOp::Insert(v) => (&self.version_sql.insert, vec![v.as_str()], false),
                VersionOp::Update { from, to } => (
                    &self.version_sql.update,
                    vec![to.as_str(), from.as_str()],
                    true,
                ),
                VersionOp::Delete(v) => (&self.version_sql.delete, vec![v.as_str()], true),
                VersionOp::DeleteAll => (&self.version_sql.delete_all, vec![], false),
            };
            let n = self
                .db
                .execute_params(sql, &params)
                .with_context(|| format!("updating the version table ({sql})"))?;
            if expect_one && !self.db.is_offline() {
                self.check_version_count(op, n)?;
            }
        }
        Ok(())
    }

    /// Refuses a version-table UPDATE or DELETE that did not match exactly one row.
    fn check_version_count(&self, op: &VersionOp, n: u64) -> Result<()> {
        if expects_one_row(op) && n != 1 {
            return Err(self.version_count_error(op, Some(n)));
        }
        Ok(())
    }

    /// A version-table UPDATE or DELETE matched `found` rows (not known: `None`), not one.
    fn version_count_error(&self, op: &VersionOp, found: Option<u64>) -> anyhow::Error {
        let what = match op {
            VersionOp::Update { from, to } => format!("updating '{from}' to '{to}'"),
            VersionOp::Delete(v) => format!("deleting '{v}'"),
            VersionOp::Insert(v) => format!("inserting '{v}'"),
            VersionOp::DeleteAll => "deleting every row".to_string(),
        };
        let found = match found {
            Some(n) if n != 1 => n.to_string(),
            _ => "none or several".to_string(),
        };
        anyhow!(
            "Online migration expected to match one row when {what} in '{}'; {found} found. The version table was changed by someone else during the run; check it with `migrate current`",
            self.table.name
        )
    }

    /// The rows an UPDATE or DELETE of `op` matches now (after a rollback:
    /// what it matched when it ran, as only the lock holder writes).
    fn version_rows_matching(&mut self, op: &VersionOp) -> Option<u64> {
        let v = match op {
            VersionOp::Update { from, .. } => from,
            VersionOp::Delete(v) => v,
            VersionOp::Insert(_) | VersionOp::DeleteAll => return None,
        };
        let q = format!(
            "SELECT COUNT(*) FROM {} WHERE version_num = {}",
            self.table.table(self.kind),
            self.kind.placeholder(1)
        );
        let rows = self.db.query_column(&q, &[v.as_str()]).ok()?;
        rows.first()?.parse().ok()
    }

    /// A version-table operation as one statement with its values written in
    /// (see `Kind::text_literal`), to be sent with others in one round trip.
    fn version_op_literal(&self, op: &VersionOp) -> String {
        let k = self.kind;
        let t = self.table.table(k);
        match op {
            VersionOp::Insert(v) => {
                format!(
                    "INSERT INTO {t} (version_num) VALUES ({})",
                    k.text_literal(v)
                )
            }
            VersionOp::Update { from, to } => format!(
                "UPDATE {t} SET version_num = {} WHERE version_num = {}",
                k.text_literal(to),
                k.text_literal(from)
            ),
            VersionOp::Delete(v) => {
                format!("DELETE FROM {t} WHERE version_num = {}", k.text_literal(v))
            }
            VersionOp::DeleteAll => format!("DELETE FROM {t}"),
        }
    }

    /// Splits one section of a script into statements.
    fn split<'s>(&self, script: &'s Script, direction: Direction) -> Result<Split<'s>> {
        let section = match direction {
            Direction::Up => &script.file.upgrade,
            Direction::Down => &script.file.downgrade,
        };
        let path = script.path.display().to_string();
        let statements = sql::split(&section.text, self.kind).map_err(|e| {
            // The splitter counts lines from the section; the message counts them in the file.
            let e = e.shifted(section.first_line - 1);
            anyhow!(
                "{path}: cannot split the {} section: {e}",
                direction_name(direction)
            )
        })?;
        Ok(Split {
            statements,
            first_line: section.first_line,
            path,
            text: &section.text,
        })
    }

    /// Runs statement `i` (0-based) of `split`.
    fn run_statement(&mut self, split: &Split<'_>, i: usize) -> Result<(), Box<StatementError>> {
        let st = &split.statements[i];
        let n = split.statements.len();
        self.progress
            .statement_started(i + 1, n, st.line + split.first_line - 1);
        let result = if st.compound {
            self.db.execute_compound(&st.text)
        } else {
            self.db.execute(&st.text)
        };
        match result {
            Ok(()) => Ok(()),
            Err(error) => {
                let (line, column) = match error.position {
                    Some(p) => sql::position_in_file(st, p.saturating_sub(1)),
                    None => (st.line, st.column),
                };
                Err(Box::new(StatementError {
                    path: split.path.clone(),
                    line: line + split.first_line - 1,
                    column,
                    number: i + 1,
                    excerpt: excerpt(&st.text),
                    error,
                    rolled_back: false,
                }))
            }
        }
    }

    /// Refuses to go on over a half-applied revision, or picks it up for `--resume`.
    fn check_half_applied(
        &mut self,
        scripts: &ScriptDirectory,
        opts: &RunOptions,
    ) -> Result<(Option<LogRow>, Vec<LogRow>)> {
        if self.db.is_offline() {
            if opts.resume.is_some() {
                bail!("--resume runs SQL on the database; it can't be used with --sql");
            }
            return Ok((None, Vec::new()));
        }
        let unresolved = self.unresolved()?;
        let (half, clean): (Vec<LogRow>, Vec<LogRow>) =
            unresolved.into_iter().partition(LogRow::is_half_applied);
        match half.into_iter().next() {
            Some(row) if opts.resume.is_some() => {
                if row.direction != opts.verb {
                    bail!(
                        "revision {} is half-applied by a {}, not a {}: resume it with `migrate {} <target> --resume`",
                        row.revision,
                        row.direction,
                        opts.verb,
                        row.direction
                    );
                }
                if let Some(Resume::After(n)) = opts.resume {
                    check_resume_after(&row, n)?;
                }
                Ok((Some(row), clean))
            }
            Some(row) => Err(anyhow!(half_applied_message(&row, scripts, self.kind))),
            None if opts.resume.is_some() => bail!(
                "nothing to resume: the audit log {} shows no half-applied revision; run `migrate {}` without --resume",
                self.audit_table().unwrap_or_default(),
                opts.verb
            ),
            None => Ok((None, clean)),
        }
    }

    /// Runs the steps that `plan` computes from the heads read under the lock.
    pub fn run_steps(
        &mut self,
        scripts: &ScriptDirectory,
        opts: &RunOptions,
        plan: impl Fn(&[String]) -> Result<Vec<MigrationStep>>,
    ) -> Result<Vec<StepReport>> {
        let mut rows = self.start_writing()?;
        let offline = self.db.is_offline();
        let (mut resume, clean_failures) = self.check_half_applied(scripts, opts)?;
        let mut steps = plan(&rows)?;
        if let Some(row) = &resume {
            let pos = steps
                .iter()
                .position(|s| s.revision == row.revision && direction_name(s.direction) == row.direction)
                .ok_or_else(|| {
                    anyhow!(
                        "--resume continues the half-applied revision {}, which is not on the way to the target; run `migrate {} --resume {}`",
                        row.revision,
                        row.direction,
                        row.revision
                    )
                })?;
            // Its ancestors were all applied when it started, and nothing has run since.
            let st = steps.remove(pos);
            steps.insert(0, st);
        }
        let whole = self.whole_run_transaction();
        let mut reports: Vec<StepReport> = Vec::with_capacity(steps.len());
        // Revisions of this run committed on their own (outside the run's transaction).
        let mut committed: Vec<String> = Vec::new();
        let mut i = 0;
        while i < steps.len() {
            let st = steps[i].clone();
            let script = scripts
                .script(&st.revision)
                .ok_or_else(|| anyhow!("revision {} has no file (internal error)", st.revision))?;
            let atomic = self.kind.transactional_ddl() && script.file.transactional;
            if atomic && !self.in_tx {
                self.begin()?;
                if self.kind.lock_is_transaction() && !offline {
                    // SQLite between revisions (transaction_per_migration): the lock
                    // was released with the last commit; someone may have run since.
                    let now = self.read_heads()?;
                    if now != sorted(&rows) {
                        if !opts.replan {
                            bail!(
                                "the version table changed while this run waited between revisions (expected {}, found {}): another `migrate` ran; this run applied {} and stops here, as a relative target now means something else; run the command again",
                                list_or_none(&sorted(&rows)),
                                list_or_none(&now),
                                list_or_none(&committed)
                            );
                        }
                        let msg = format!(
                            "The version table changed while this run waited between revisions (now {}); planning again",
                            list_or_none(&now)
                        );
                        self.say(&msg);
                        rows = now;
                        steps = plan(&rows)?;
                        i = 0;
                        continue;
                    }
                }
            }
            self.progress
                .step_started(&format!("Running {}", st.description()));
            if offline {
                self.db
                    .comment(&format!("Running {}", st.short_log()))
                    .context("writing SQL output")?;
            }
            let started = Instant::now();
            let resume_row = if i == 0 { resume.take() } else { None };
            let result = if atomic {
                self.run_atomic(scripts, script, &st, &mut rows, started)
            } else {
                // The step after it, when it runs outside a transaction too.
                let next = steps
                    .get(i + 1)
                    .and_then(|n| scripts.script(&n.revision).map(|s| (s, n)))
                    .filter(|(s, _)| !(self.kind.transactional_ddl() && s.file.transactional));
                let resume_row = resume_row.map(|row| (row, opts.resume));
                self.run_non_atomic(scripts, script, &st, &mut rows, resume_row, next)
            };
            self.progress.step_finished(started.elapsed());
            match result {
                Ok(n) => {
                    if !offline {
                        self.resolve_clean_failures(&clean_failures, &st);
                    }
                    if !atomic || !whole {
                        committed.push(st.revision.clone());
                    }
                    reports.push(StepReport {
                        revision: st.revision.clone(),
                        direction: direction_name(st.direction),
                        message: script.file.message.clone(),
                        statements: n,
                        seconds: started.elapsed().as_secs_f64(),
                    })
                }
                Err(e) if atomic => {
                    return Err(self.atomic_failed(e, script, &st, started, whole, &committed))
                }
                Err(e) => return Err(e),
            }
            i += 1;
        }
        self.finish_writing()?;
        Ok(reports)
    }

    /// Marks earlier failures of `st` that left nothing behind as dealt with.
    fn resolve_clean_failures(&mut self, clean: &[LogRow], st: &MigrationStep) {
        let Some(audit) = &self.audit else { return };
        for row in clean {
            if row.revision == st.revision && row.direction == direction_name(st.direction) {
                let _ = audit.resolve(self.db.as_mut(), row.id, "retried");
            }
        }
    }

    /// A step whose statements, version-table update and log row commit together.
    fn run_atomic(
        &mut self,
        scripts: &ScriptDirectory,
        script: &Script,
        st: &MigrationStep,
        rows: &mut Vec<String>,
        started: Instant,
    ) -> Result<usize> {
        let started_at = audit::now_iso();
        let split = self.split(script, st.direction)?;
        let n = split.statements.len();
        let mut digest = StatementsDigest::new();
        for i in 0..n {
            self.run_statement(&split, i)
                .map_err(|se| anyhow::Error::new(*se))?;
            digest.push(&split.statements[i].text);
        }
        let ops = step::apply_step(&scripts.map, st, rows)
            .map_err(|e| anyhow!("{}", e.message_for_table(&self.table.name)))?;
        self.apply_ops(&ops)?;
        if let Some(audit) = &mut self.audit {
            let (sql, checksum) = audit::normalized(split.text);
            let finished_at = audit::now_iso();
            // Written just before the transaction commits (see `commit`).
            audit
                .defer(
                    self.db.as_mut(),
                    &NewRow {
                        revision: &st.revision,
                        direction: direction_name(st.direction),
                        step: &st.short_log(),
                        message: &script.file.message,
                        outcome: audit::OK,
                        checksum: &checksum,
                        sql: &sql,
                        statements_done: n,
                        statements_total: n,
                        done_checksum: &digest.hex(),
                        started_at: &started_at,
                        finished_at: Some(&finished_at),
                        duration_ms: Some(started.elapsed().as_millis()),
                    },
                )
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
        }
        if !self.whole_run_transaction() {
            self.commit()?;
        }
        Ok(n)
    }

    /// After an atomic step failed: roll back, then record the failure in a
    /// short transaction of its own (the rollback took everything else away).
    fn atomic_failed(
        &mut self,
        e: anyhow::Error,
        script: &Script,
        st: &MigrationStep,
        started: Instant,
        whole: bool,
        committed: &[String],
    ) -> anyhow::Error {
        let rolled_back = self.in_tx;
        self.rollback();
        let mut note = String::new();
        if !self.db.is_offline() {
            if let Err(le) = self.log_rolled_back(&e, script, st, started) {
                self.rollback();
                note = format!("\n(the failure could not be written to the audit log: {le:#})");
            }
        }
        match e.downcast::<StatementError>() {
            Ok(mut se) => {
                se.rolled_back = rolled_back && whole && committed.is_empty();
                let mut err = anyhow::Error::new(se);
                if !(rolled_back && whole && committed.is_empty()) {
                    let what = if whole {
                        format!(
                            "revision {} failed and the run's transaction was rolled back; {} had been committed before it (outside the transaction) and stay applied",
                            st.revision,
                            committed.join(", ")
                        )
                    } else if committed.is_empty() {
                        format!("revision {} failed and was rolled back", st.revision)
                    } else {
                        format!(
                            "revision {} failed and was rolled back; the revisions before it in this run ({}) are applied",
                            st.revision,
                            committed.join(", ")
                        )
                    };
                    err = err.context(what);
                }
                if note.is_empty() {
                    err
                } else {
                    anyhow!("{err:#}{note}")
                }
            }
            Err(e) if note.is_empty() => e,
            Err(e) => anyhow!("{e:#}{note}"),
        }
    }

    fn log_rolled_back(
        &mut self,
        e: &anyhow::Error,
        script: &Script,
        st: &MigrationStep,
        started: Instant,
    ) -> Result<()> {
        if self.audit.is_none() {
            return Ok(());
        }
        let section = match st.direction {
            Direction::Up => &script.file.upgrade.text,
            Direction::Down => &script.file.downgrade.text,
        };
        let se = e.downcast_ref::<StatementError>();
        let error = match se {
            Some(se) => se.error.to_string(),
            None => format!("{e:#}"),
        };
        let started_at = audit::iso(
            chrono::Utc::now() - chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
        );
        let (sql, checksum) = audit::normalized(section);
        self.begin()?;
        self.ensure_audit_table()?;
        let Some(audit) = &mut self.audit else {
            return Ok(());
        };
        let id = audit.insert(
            self.db.as_mut(),
            &NewRow {
                revision: &st.revision,
                direction: direction_name(st.direction),
                step: &st.short_log(),
                message: &script.file.message,
                outcome: audit::ROLLED_BACK,
                checksum: &checksum,
                sql: &sql,
                statements_done: se.map_or(0, |s| s.number - 1),
                statements_total: 0,
                done_checksum: "",
                started_at: &started_at,
                finished_at: Some(&audit::now_iso()),
                duration_ms: Some(started.elapsed().as_millis()),
            },
        )?;
        audit.set_failure(
            self.db.as_mut(),
            id,
            &audit::Failure {
                statement: se.map(|s| s.number),
                line: se.map(|s| s.line),
                excerpt: se.map_or("", |s| s.excerpt.as_str()),
                error: &error,
            },
        )?;
        self.commit()
    }

    /// A step outside any transaction: `running` row first, counter after each
    /// statement, version table and `ok` together at the end.
    fn run_non_atomic(
        &mut self,
        scripts: &ScriptDirectory,
        script: &Script,
        st: &MigrationStep,
        rows: &mut Vec<String>,
        resume: Option<(LogRow, Option<Resume>)>,
        next: Option<(&Script, &MigrationStep)>,
    ) -> Result<usize> {
        let started = Instant::now();
        let offline = self.db.is_offline();
        let whole = self.whole_run_transaction();
        let prestarted = match self.prestarted.take() {
            Some(p)
                if resume.is_none() && p.revision == st.revision && p.direction == st.direction =>
            {
                Some(p.id)
            }
            Some(p) => {
                self.prestarted = Some(p);
                self.abandon_prestarted();
                None
            }
            None => None,
        };
        // Runs outside any transaction: commit what is open, as Alembic's autocommit_block.
        if self.in_tx {
            self.commit()?;
        }
        let split = self.split(script, st.direction)?;
        let n = split.statements.len();
        let mut digest = StatementsDigest::new();
        let mut from = 0;
        // The resumed row whose statement `from + 1` was interrupted with an
        // unknown outcome and runs again now: it stays open until that
        // statement succeeds, so a failure there loses nothing of what it says.
        let mut unknown: Option<&LogRow> = None;
        if let Some((row, how)) = &resume {
            let done = usize::try_from(row.statements_done).unwrap_or(0);
            check_resumable(row, &split)?;
            let msg = match how {
                Some(Resume::After(k)) => {
                    from = *k;
                    if from > n {
                        bail!(
                            "--resume-after {k}: {} has {n} statement(s) in its {} section now",
                            split.path,
                            row.direction
                        );
                    }
                    format!(
                        "Resuming {} of {} after statement {from} of {n} ({}; statement {from}, interrupted then, took effect as you checked)",
                        row.direction,
                        row.revision,
                        ran_on(done, &row.started_at)
                    )
                }
                _ => {
                    from = done;
                    if row.outcome_unknown() {
                        unknown = Some(row);
                    }
                    format!(
                        "Resuming {} of {} at statement {} of {n} ({})",
                        row.direction,
                        row.revision,
                        from + 1,
                        ran_on(from, &row.started_at)
                    )
                }
            };
            for s in &split.statements[..from] {
                digest.push(&s.text);
            }
            self.say(&msg);
        }
        let mut log_id = prestarted;
        if let (Some(audit), None) = (&mut self.audit, prestarted) {
            let (sql, checksum) = audit::normalized(split.text);
            let id = audit
                .insert(
                    self.db.as_mut(),
                    &NewRow {
                        revision: &st.revision,
                        direction: direction_name(st.direction),
                        step: &st.short_log(),
                        message: &script.file.message,
                        outcome: audit::RUNNING,
                        checksum: &checksum,
                        sql: &sql,
                        statements_done: from,
                        statements_total: n,
                        done_checksum: &digest.hex(),
                        started_at: &audit::now_iso(),
                        finished_at: None,
                        duration_ms: None,
                    },
                )
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
            if let (Some((row, how)), None) = (&resume, unknown) {
                let how = match how {
                    Some(Resume::After(k)) => {
                        format!("resumed by row {id} after statement {k}")
                    }
                    _ => format!("resumed by row {id}"),
                };
                audit
                    .resolve(self.db.as_mut(), row.id, &how)
                    .with_context(|| format!("writing the audit log {}", audit.table()))?;
            }
            log_id = Some(id);
        }
        for i in from..n {
            if let Err(se) = self.run_statement(&split, i) {
                if let (Some(audit), Some(id)) = (&self.audit, log_id) {
                    let logged = audit.fail(
                        self.db.as_mut(),
                        id,
                        started.elapsed().as_millis(),
                        &audit::Failure {
                            statement: Some(se.number),
                            line: Some(se.line),
                            excerpt: &se.excerpt,
                            error: &se.error.to_string(),
                        },
                    );
                    let path = script.path.display().to_string();
                    let (guidance, logged) = match unknown {
                        Some(row) if i == from => {
                            // The earlier row still says what is known; this
                            // attempt is recorded and set aside.
                            let set_aside = logged.and_then(|()| {
                                audit.resolve(
                                    self.db.as_mut(),
                                    id,
                                    &format!("outcome still unknown, see row {}", row.id),
                                )
                            });
                            (
                                still_unknown_guidance(st, row, &path, se.number, n),
                                set_aside,
                            )
                        }
                        _ => (failed_guidance(st, &path, se.number, n), logged),
                    };
                    let mut msg = format!("{se}\n{guidance}");
                    if let Err(le) = logged {
                        msg.push_str(&format!(
                            "\n(the failure could not be written to the audit log: {le})"
                        ));
                    }
                    return Err(anyhow!(msg));
                }
                return Err(anyhow::Error::new(*se));
            }
            if let (Some(row), Some(audit), Some(id)) = (unknown.take(), &self.audit, log_id) {
                // The statement whose outcome was unknown has now run.
                audit
                    .resolve(self.db.as_mut(), row.id, &format!("resumed by row {id}"))
                    .with_context(|| format!("writing the audit log {}", audit.table()))?;
            }
            digest.push(&split.statements[i].text);
            // The last statement's count is written with the version table below.
            if i + 1 == n {
                break;
            }
            if let (Some(audit), Some(id)) = (&self.audit, log_id) {
                audit
                    .progress(self.db.as_mut(), id, i + 1, &digest.hex())
                    .with_context(|| format!("writing the audit log {}", audit.table()))?;
            }
        }
        let done_checksum = digest.hex();
        let finish = (|| -> Result<()> {
            let pending = self.audit.as_ref().is_some_and(AuditLog::has_pending);
            if self.kind.batches_statements() && !offline && self.audit.is_some() && !pending {
                // The same statements as below and the COMMIT, sent together:
                // one round trip. A version-table statement that must match one
                // row is followed by a guard that stops the message before the
                // COMMIT when it did not (see `mysql::ONE_ROW_GUARD`).
                let ops = step::apply_step(&scripts.map, st, rows)
                    .map_err(|e| anyhow!("{}", e.message_for_table(&self.table.name)))?;
                let mut batch = vec!["START TRANSACTION".to_string()];
                let mut parts = vec![BatchPart::Begin];
                for (k, op) in ops.iter().enumerate() {
                    batch.push(self.version_op_literal(op));
                    parts.push(BatchPart::Version);
                    if expects_one_row(op) {
                        batch.push(mysql::ONE_ROW_GUARD.to_string());
                        parts.push(BatchPart::Guard(k));
                    }
                }
                if let (Some(audit), Some(id)) = (&self.audit, log_id) {
                    batch.push(audit.finish_sql(
                        id,
                        started.elapsed().as_millis(),
                        n,
                        &done_checksum,
                    ));
                    parts.push(BatchPart::Log);
                }
                if let Some((script, st)) = next {
                    if let Some(insert) = self.prestart(script, st, true)? {
                        batch.push(insert);
                        parts.push(BatchPart::Log);
                    }
                }
                batch.push("COMMIT".to_string());
                parts.push(BatchPart::Commit);
                self.in_tx = true;
                let Err((i, e)) = self.db.execute_many(&batch) else {
                    self.in_tx = false;
                    return Ok(());
                };
                return Err(match parts.get(i) {
                    Some(BatchPart::Guard(k)) => {
                        // Nothing after the guard ran: roll back, then count
                        // what the statement matched, for the message.
                        self.rollback();
                        let found = self.version_rows_matching(&ops[*k]);
                        self.version_count_error(&ops[*k], found)
                    }
                    Some(BatchPart::Version) => anyhow::Error::new(e)
                        .context(format!("updating the version table ({})", batch[i])),
                    Some(BatchPart::Begin) => {
                        anyhow::Error::new(e).context("starting a transaction")
                    }
                    Some(BatchPart::Commit) => anyhow::Error::new(e).context("committing"),
                    Some(BatchPart::Log) | None => anyhow::Error::new(e).context(format!(
                        "writing the audit log {}",
                        self.audit_table().unwrap_or_default()
                    )),
                });
            }
            self.begin()?;
            if self.kind.lock_is_transaction() && !offline {
                let now = self.read_heads()?;
                if now != sorted(rows) {
                    bail!(
                        "the version table changed while revision {} ran outside a transaction (expected {}, found {}): another `migrate` ran meanwhile",
                        st.revision,
                        list_or_none(&sorted(rows)),
                        list_or_none(&now)
                    );
                }
            }
            let ops = step::apply_step(&scripts.map, st, rows)
                .map_err(|e| anyhow!("{}", e.message_for_table(&self.table.name)))?;
            self.apply_ops(&ops)?;
            if let (Some(audit), Some(id)) = (&self.audit, log_id) {
                audit
                    .finish(
                        self.db.as_mut(),
                        id,
                        started.elapsed().as_millis(),
                        n,
                        &done_checksum,
                    )
                    .with_context(|| format!("writing the audit log {}", audit.table()))?;
                if let Some((script, st)) = next {
                    self.prestart(script, st, false)?;
                }
            }
            // Online, commit now: the revision's SQL is in, its record must be too.
            if !(whole && offline) {
                self.commit()?;
            }
            Ok(())
        })();
        if let Err(e) = finish {
            self.rollback();
            self.prestarted = None;
            if let (Some(audit), Some(id)) = (&self.audit, log_id) {
                // Every statement ran: the count says so, for `--resume`.
                let _ = audit.progress(self.db.as_mut(), id, n, &done_checksum);
                let _ = audit.fail(
                    self.db.as_mut(),
                    id,
                    started.elapsed().as_millis(),
                    &audit::Failure {
                        statement: None,
                        line: None,
                        excerpt: "",
                        error: &format!("{e:#}"),
                    },
                );
            }
            return Err(e.context(format!(
                "all {n} statements of revision {} ran, but recording it failed; once the cause is fixed, `migrate {} {} --resume` records it",
                st.revision,
                direction_name(st.direction),
                if st.direction == Direction::Up {
                    st.revision.clone()
                } else {
                    parent_or_base(&st.to_revisions)
                }
            )));
        }
        Ok(n - from)
    }

    /// Writes the `running` row of `st`, the next step, in the open
    /// transaction; or, `literal`, returns the INSERT to send with others.
    fn prestart(
        &mut self,
        script: &Script,
        st: &MigrationStep,
        literal: bool,
    ) -> Result<Option<String>> {
        // A section that does not split is reported when its step runs.
        let Ok(split) = self.split(script, st.direction) else {
            return Ok(None);
        };
        let Some(audit) = &mut self.audit else {
            return Ok(None);
        };
        let (sql, checksum) = audit::normalized(split.text);
        let row = NewRow {
            revision: &st.revision,
            direction: direction_name(st.direction),
            step: &st.short_log(),
            message: &script.file.message,
            outcome: audit::RUNNING,
            checksum: &checksum,
            sql: &sql,
            statements_done: 0,
            statements_total: split.statements.len(),
            done_checksum: &StatementsDigest::new().hex(),
            started_at: &audit::now_iso(),
            finished_at: None,
            duration_ms: None,
        };
        let (id, insert) = if literal {
            let (id, sql) = audit
                .insert_sql(self.db.as_mut(), &row)
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
            (id, Some(sql))
        } else {
            let id = audit
                .insert(self.db.as_mut(), &row)
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
            (id, None)
        };
        self.prestarted = Some(Prestarted {
            revision: st.revision.clone(),
            direction: st.direction,
            id,
        });
        Ok(insert)
    }

    /// A `running` row written ahead for a step that did not run after all
    /// (the run stopped before it): marked so, as nothing of it was applied.
    fn abandon_prestarted(&mut self) {
        if let (Some(p), Some(audit)) = (self.prestarted.take(), &self.audit) {
            let _ = audit.resolve(self.db.as_mut(), p.id, "not run");
        }
    }

    /// Stamps: writes the version table as `plan` says, running no revision.
    /// `targets` are the revisions as the user wrote them: stamping a
    /// half-applied revision (or its parent) by name resolves it.
    pub fn run_stamp(
        &mut self,
        scripts: &ScriptDirectory,
        purge: bool,
        targets: &[String],
        plan: impl FnOnce(&[String]) -> Result<Vec<StampStep>>,
    ) -> Result<()> {
        let mut rows = self.start_writing()?;
        let offline = self.db.is_offline();
        let mut resolves: Vec<(i64, &str)> = Vec::new();
        if !offline {
            for row in self.unresolved()? {
                if !row.is_half_applied() {
                    resolves.push((row.id, "stamped"));
                } else if purge {
                    resolves.push((row.id, "stamped (--purge)"));
                } else if stamp_names(scripts, targets, &row.revision) {
                    resolves.push((row.id, "stamped"));
                } else {
                    return Err(anyhow!(half_applied_message(&row, scripts, self.kind)));
                }
            }
        }
        // Online, the version-table rows and their log rows commit together
        // (offline output keeps Alembic's layout).
        if !self.in_tx && !offline {
            self.begin()?;
        }
        if purge {
            self.apply_ops(&[VersionOp::DeleteAll])?;
            rows.clear();
        }
        let steps = plan(&rows)?;
        for st in &steps {
            let line = format!("Running {}", st.short_log());
            self.say(&line);
            if offline {
                self.db.comment(&line).context("writing SQL output")?;
            }
            let ops = step::apply_stamp(&scripts.map, st, &mut rows)
                .map_err(|e| anyhow!("{}", e.message_for_table(&self.table.name)))?;
            self.apply_ops(&ops)?;
            self.log_stamp(scripts, st)?;
        }
        if let Some(audit) = &self.audit {
            for (id, how) in &resolves {
                audit
                    .resolve(self.db.as_mut(), *id, how)
                    .with_context(|| format!("writing the audit log {}", audit.table()))?;
            }
        }
        self.finish_writing()
    }

    /// One log row per revision a stamp step moves to (or away from, to base).
    fn log_stamp(&mut self, scripts: &ScriptDirectory, st: &StampStep) -> Result<()> {
        let Some(audit) = &mut self.audit else {
            return Ok(());
        };
        let now = audit::now_iso();
        let short = st.short_log();
        let (revs, with_sql) = if st.to.is_empty() {
            (&st.from, false)
        } else {
            (&st.to, true)
        };
        for rev in revs {
            let script = scripts.script(rev);
            let text = match (script, with_sql) {
                (Some(s), true) => s.file.upgrade.text.clone(),
                _ => String::new(),
            };
            let (sql, mut checksum) = audit::normalized(&text);
            if text.is_empty() {
                checksum.clear();
            }
            audit
                .insert(
                    self.db.as_mut(),
                    &NewRow {
                        revision: rev,
                        direction: "stamp",
                        step: &short,
                        message: script.map_or("", |s| s.file.message.as_str()),
                        outcome: audit::OK,
                        checksum: &checksum,
                        sql: &sql,
                        statements_done: 0,
                        statements_total: 0,
                        done_checksum: "",
                        started_at: &now,
                        finished_at: Some(&now),
                        duration_ms: Some(0),
                    },
                )
                .with_context(|| format!("writing the audit log {}", audit.table()))?;
        }
        Ok(())
    }
}

/// True when the stamp targets name `rev` or one of its parents (or `base`
/// for a root): the user says where the half-applied revision really is.
fn stamp_names(scripts: &ScriptDirectory, targets: &[String], rev: &str) -> bool {
    let parents: Vec<String> = scripts
        .map
        .get(rev)
        .map(|r| r.down_revisions.clone())
        .unwrap_or_default();
    targets.iter().any(|t| {
        if t == "base" {
            return parents.is_empty();
        }
        // By id (or a prefix of it), not `head` or a relative step that happens to land there.
        let named = |id: &str| !t.is_empty() && id.starts_with(t.as_str());
        match scripts.map.resolve(t) {
            Ok(ids) => {
                ids.len() == 1
                    && ((ids[0] == rev && named(rev))
                        || parents.iter().any(|p| p == ids[0] && named(p)))
            }
            Err(_) => false,
        }
    })
}

/// Refuses `--resume` when the statements it would skip are not the ones that ran.
fn check_resumable(row: &LogRow, split: &Split<'_>) -> Result<()> {
    let done = usize::try_from(row.statements_done).unwrap_or(0);
    let n = split.statements.len();
    if done > n {
        bail!(
            "cannot resume revision {}: {} statement(s) of it ran, but {} now has {n}; the file changed too much to know where to go on. Repair the database by hand and run `migrate stamp {}`",
            row.revision,
            done,
            split.path,
            row.revision
        );
    }
    let now = StatementsDigest::of(split.statements.iter().map(|s| s.text.as_str()), done);
    if now != row.done_checksum {
        bail!(
            "cannot resume revision {}: statements 1 to {done} of {} ran on {}, but they have changed in the file since; --resume would skip statements that are not the ones that ran. Put them back as they were (see the SQL that ran with `migrate history --applied -v`), or repair the database by hand and run `migrate stamp {}`",
            row.revision,
            split.path,
            row.started_at,
            row.revision
        );
    }
    Ok(())
}

/// Refuses `--resume-after N` unless statement N is the one a killed run was
/// interrupted in: only a statement whose outcome is unknown can be confirmed.
fn check_resume_after(row: &LogRow, n: usize) -> Result<()> {
    let done = row.statements_done;
    if row.outcome_unknown() && i64::try_from(n).is_ok_and(|n| n == done + 1) {
        return Ok(());
    }
    if row.outcome_unknown() {
        bail!(
            "--resume-after {n}: revision {} was interrupted during statement {}, the only one whose outcome is unknown; run `--resume-after {}` once you checked that it took effect, or `--resume` to run it again",
            row.revision,
            done + 1,
            done + 1
        );
    }
    bail!(
        "--resume-after {n}: revision {} did not stop in a statement of unknown outcome: statement {} failed with an error from the server, so it did not take effect; fix it and use `--resume`",
        row.revision,
        row.failed_statement.unwrap_or(done + 1)
    );
}

/// What to do after a resumed revision failed again at the statement a killed
/// run was interrupted in: whether that statement took effect is still not known.
fn still_unknown_guidance(
    st: &MigrationStep,
    row: &LogRow,
    path: &str,
    number: usize,
    total: usize,
) -> String {
    let verb = direction_name(st.direction);
    let complete = if st.direction == Direction::Up {
        st.revision.clone()
    } else {
        parent_or_base(&st.to_revisions)
    };
    let undone = if st.direction == Direction::Up {
        parent_or_base(&st.from_revisions)
    } else {
        st.revision.clone()
    };
    let done = number - 1;
    let ran = if done == 0 {
        "No statement before it ran".to_string()
    } else {
        format!(
            "{} ran and stay applied",
            capitalized(&statements_upto(done as i64))
        )
    };
    format!(
        "Revision {} stays half-applied: statement {number} of {total} was interrupted on {} (audit log row {}), and running it again failed, which can mean that the interrupted run did finish it (the server's error above says what it found). {ran}; the version table does not record the {verb}. Either:\n  - if statement {number} did take effect (check the database), run `migrate {verb} {complete} --resume-after {number}`, which goes on from statement {}; or\n  - fix statement {number} in {path} and run `migrate {verb} {complete} --resume` again; or\n  - repair the database by hand and run `migrate stamp {complete}` (the {verb} is complete) or `migrate stamp {undone}` (it is undone), which marks it resolved.",
        st.revision,
        row.started_at,
        row.id,
        number + 1,
    )
}

/// What to do after a statement of a non-atomic step failed.
fn failed_guidance(st: &MigrationStep, path: &str, number: usize, total: usize) -> String {
    let verb = direction_name(st.direction);
    if number <= 1 {
        return format!(
            "Nothing of revision {} was applied (it failed at its first statement). Fix {path} and run the command again.",
            st.revision
        );
    }
    // Where the database stands once the step is complete: the target that resumes it.
    let complete = if st.direction == Direction::Up {
        st.revision.clone()
    } else {
        parent_or_base(&st.to_revisions)
    };
    let done_n = number as i64 - 1;
    let done = statements_upto(done_n);
    let pronoun = if done_n == 1 { "it" } else { "they" };
    format!(
        "Revision {} is now half-applied: {done} of {total} ran and committed (outside any transaction), statement {number} and those after it did not, and the version table does not record it. Either:\n  - fix statement {number} in {path} (leave {done} as {pronoun} ran) and run `migrate {verb} {complete} --resume`, which runs the revision from statement {number} on; or\n  - repair the database by hand and run `migrate stamp {complete}` (the {verb} is complete) or `migrate stamp {}` (it is undone), which marks it resolved.",
        st.revision,
        if st.direction == Direction::Up { parent_or_base(&st.from_revisions) } else { st.revision.clone() },
    )
}

fn parent_or_base(revs: &[String]) -> String {
    if revs.is_empty() {
        "base".to_string()
    } else {
        revs.join(" ")
    }
}

/// The refusal a half-applied revision causes, naming it, the statement, the
/// server's error and the ways out.
pub fn half_applied_message(row: &LogRow, scripts: &ScriptDirectory, kind: Kind) -> String {
    let script = scripts.script(&row.revision);
    let path = script.map_or_else(
        || "(no file has this revision now)".to_string(),
        |s| s.path.display().to_string(),
    );
    let done = row.statements_done;
    let number = row.failed_statement.unwrap_or(done + 1);
    // The statement, from the SQL that ran (the file may have changed since).
    let (line, excerpt_text) = match (row.failed_line, row.failed_excerpt.is_empty()) {
        (Some(l), false) => (Some(l), row.failed_excerpt.clone()),
        _ => {
            let stmts = sql::split(&row.sql, kind).unwrap_or_default();
            let first_line = script.map_or(1, |s| match row.direction.as_str() {
                "downgrade" => s.file.downgrade.first_line,
                _ => s.file.upgrade.first_line,
            });
            match usize::try_from(number - 1).ok().and_then(|i| stmts.get(i)) {
                Some(s) => (Some((s.line + first_line - 1) as i64), excerpt(&s.text)),
                None => (None, String::new()),
            }
        }
    };
    let parents: Vec<String> = scripts
        .map
        .get(&row.revision)
        .map(|r| r.down_revisions.clone())
        .unwrap_or_default();
    let (done_stamp, undone_stamp) = if row.direction == "downgrade" {
        (parent_or_base(&parents), row.revision.clone())
    } else {
        (row.revision.clone(), parent_or_base(&parents))
    };
    let mut m = format!(
        "revision {} ({}) is half-applied: ",
        row.revision,
        if row.message.is_empty() {
            &path
        } else {
            &row.message
        }
    );
    let total = row.statements_total;
    let at = match line {
        Some(l) => format!("statement {number} of {total} (line {l} of {path})"),
        None => format!("statement {number} of {total} ({path})"),
    };
    if row.outcome == audit::RUNNING {
        if done >= total {
            m.push_str(&format!(
                "all {total} statements of its {} ran on {}, but the run stopped before the version table recorded it.",
                row.direction, row.started_at
            ));
        } else {
            m.push_str(&format!(
                "its {} started on {} was interrupted during {at}: the process stopped (killed, crashed, or lost its connection) and the server may have finished or abandoned that statement.",
                row.direction, row.started_at
            ));
        }
    } else if row.failed_statement.is_none() {
        m.push_str(&format!(
            "all {total} statements of its {} ran on {}, but recording it failed: {}",
            row.direction, row.started_at, row.error
        ));
    } else {
        m.push_str(&format!(
            "its {} failed on {} at {at}:\n  {excerpt_text}\n  {}",
            row.direction,
            if row.finished_at.is_empty() {
                &row.started_at
            } else {
                &row.finished_at
            },
            row.error
        ));
    }
    if row.outcome == audit::RUNNING && !excerpt_text.is_empty() && done < total {
        m.push_str(&format!("\n  {excerpt_text}"));
    }
    if done > 0 {
        m.push_str(&format!(
            "\n{} ran and {} applied; the version table does not record the {}.",
            capitalized(&statements_upto(done)),
            if done == 1 { "stays" } else { "stay" },
            row.direction
        ));
    } else {
        m.push_str(&format!(
            "\nNo statement of it is known to have finished; the version table does not record the {}.",
            row.direction
        ));
    }
    m.push_str(&format!(
        "\nNothing more runs until it is dealt with. Either:\n  - fix {path} if needed{} and run `migrate {} {done_stamp} --resume`, which runs the revision from statement {} on; or",
        if done > 0 {
            format!(
                " (leave {} as {} ran)",
                statements_upto(done),
                if done == 1 { "it" } else { "they" }
            )
        } else {
            String::new()
        },
        row.direction,
        done + 1,
    ));
    if row.outcome_unknown() {
        m.push_str(&format!(
            "\n  - if statement {} did take effect before the process stopped (check the database), run `migrate {} {done_stamp} --resume-after {}`, which goes on from statement {}; or",
            done + 1,
            row.direction,
            done + 1,
            done + 2
        ));
    }
    m.push_str(&format!(
        "\n  - repair the database by hand and run `migrate stamp {done_stamp}` (the {} is complete) or `migrate stamp {undone_stamp}` (it is undone), which marks it resolved.\nSee it with `migrate history --applied`.",
        row.direction,
    ));
    m
}

/// What ran of a resumed revision: `statements 1 to 3 ran on …`.
fn ran_on(done: usize, started_at: &str) -> String {
    match done {
        0 => format!("no statement of it finished in the run of {started_at}"),
        1 => format!("statement 1 ran on {started_at}"),
        n => format!("statements 1 to {n} ran on {started_at}"),
    }
}

/// `statement 1` or `statements 1 to n`.
fn statements_upto(n: i64) -> String {
    if n == 1 {
        "statement 1".to_string()
    } else {
        format!("statements 1 to {n}")
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
