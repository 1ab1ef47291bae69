//! Everything a run can fail with, as data, and the one place each message
//! is worded: what failed, where (file, line, statement), what the database
//! is left with, and the way out.

use super::audit::{self, LogRow};
use crate::dialect::{DbError, VersionOp};
use crate::runtime::step::StepError;
use crate::script::revision::{Direction, MigrationStep, RevisionError};
use crate::script::ScriptDirectory;
use crate::sql::{self, SplitError};
use crate::Kind;
use std::fmt;

/// What a database call was doing when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doing {
    CheckingVersionTable,
    ReadingVersionTable(String),
    CreatingVersionTable(String),
    UpdatingVersionTable(String),
    CreatingAuditLog(String),
    WritingAuditLog(String),
    ReadingAuditLog(String),
    TakingLock,
    ReleasingLock,
    StartingTransaction,
    Committing,
    WritingOutput,
}

impl fmt::Display for Doing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Doing::CheckingVersionTable => f.write_str("checking for the version table"),
            Doing::ReadingVersionTable(t) => write!(f, "reading the version table {t}"),
            Doing::CreatingVersionTable(t) => write!(f, "creating the version table {t}"),
            Doing::UpdatingVersionTable(sql) => write!(f, "updating the version table ({sql})"),
            Doing::CreatingAuditLog(t) => write!(f, "creating the audit log table {t}"),
            Doing::WritingAuditLog(t) => write!(f, "writing the audit log {t}"),
            Doing::ReadingAuditLog(t) => write!(f, "reading the audit log {t}"),
            Doing::TakingLock => f.write_str("taking the migration lock"),
            Doing::ReleasingLock => f.write_str("releasing the migration lock"),
            Doing::StartingTransaction => f.write_str("starting a transaction"),
            Doing::Committing => f.write_str("committing"),
            Doing::WritingOutput => f.write_str("writing SQL output"),
        }
    }
}

/// A statement that failed, with everything a user needs to find it.
#[derive(Debug, Clone)]
pub struct StatementError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub number: usize,
    pub excerpt: String,
    pub error: DbError,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: statement {} failed: {}\n  {}",
            self.path, self.line, self.column, self.number, self.error, self.excerpt
        )
    }
}

/// What a failed statement left behind, for the message.
#[derive(Debug, Clone)]
pub enum Aftermath {
    /// Nothing to add to the statement's own error.
    Nothing,
    /// The run was one transaction and nothing of it had committed: all gone.
    RunRolledBack,
    /// The revision's transaction was rolled back; `committed` revisions of
    /// this run had committed before it and stay (`whole`: the run's
    /// transaction was the one rolled back).
    RolledBack {
        revision: String,
        whole: bool,
        committed: Vec<String>,
    },
    /// Outside a transaction: what ran stays, and the ways out.
    HalfApplied(Guidance),
}

/// The ways out after a statement failed outside a transaction.
#[derive(Debug, Clone)]
pub struct Guidance {
    pub step: MigrationStep,
    pub path: String,
    pub number: usize,
    pub total: usize,
    /// Resumed at the statement a killed run was interrupted in, which
    /// failed again: its outcome is still unknown (the earlier audit row).
    pub still_unknown: Option<(i64, String)>,
}

/// Everything a run can fail with.
#[derive(Debug)]
pub enum RunError {
    /// A database call failed.
    Db { doing: Doing, error: DbError },
    /// A revision's statement failed.
    Statement {
        failure: Box<StatementError>,
        aftermath: Box<Aftermath>,
    },
    /// A failure that could not be written to the audit log, and why.
    Unlogged {
        error: Box<RunError>,
        why: Box<RunError>,
    },
    /// A section that cannot be split into statements.
    Split {
        path: String,
        direction: Direction,
        error: SplitError,
    },
    /// Another `migrate` held the lock for the whole wait.
    LockTimeout {
        seconds: u64,
        key: String,
        holder: Option<String>,
    },
    /// A version-table UPDATE or DELETE matched `found` rows (not known: `None`), not one.
    VersionCount {
        table: String,
        op: VersionOp,
        found: Option<u64>,
    },
    /// The head-maintenance rules do not fit the version table's rows.
    Step { table: String, error: StepError },
    /// The graph could not plan the run.
    Graph(RevisionError),
    /// A half-applied revision blocks the run.
    HalfApplied(Box<HalfApplied>),
    /// `--resume` or `--resume-after` cannot be done.
    Resume(ResumeError),
    /// SQLite between revisions: another `migrate` moved the version table.
    Moved {
        expected: Vec<String>,
        found: Vec<String>,
        /// This run's revisions already committed (a relative target stops).
        applied: Option<Vec<String>>,
        /// The revision that ran outside a transaction meanwhile.
        during: Option<String>,
    },
    /// Every statement ran but recording the step failed.
    NotRecorded {
        statements: usize,
        step: MigrationStep,
        cause: Box<RunError>,
    },
    /// A step whose revision has no file (the graph and the files disagree).
    NoFile(String),
    /// A section still marked `-- migrate:todo` (SQL to write by hand).
    Todo {
        revision: String,
        path: String,
        line: usize,
        direction: Direction,
        /// The marker's text after `todo`.
        why: String,
    },
    /// Ctrl-C: the run stopped at a statement boundary or rolled back.
    Interrupted { applied: Vec<String> },
    /// `lock = "table"`: the lease could not be kept (renewals failed past
    /// its end, or another run took the row over); the run stopped.
    LockLost {
        table: String,
        why: String,
        applied: Vec<String>,
    },
}

/// Why `--resume` or `--resume-after N` cannot go on.
#[derive(Debug)]
pub enum ResumeError {
    /// The half-applied revision was left by the other direction.
    OtherDirection {
        revision: String,
        by: String,
        verb: &'static str,
    },
    /// No revision is half-applied.
    Nothing { table: String, verb: &'static str },
    /// The half-applied revision is not on the way to the target.
    NotOnTheWay { revision: String, direction: String },
    /// More statements ran than the file has now.
    FileShrank {
        revision: String,
        done: i64,
        path: String,
        now: usize,
    },
    /// The statements that ran are not the file's first ones any more.
    Changed {
        revision: String,
        done: i64,
        path: String,
        started_at: String,
    },
    /// `--resume-after N` names another statement than the interrupted one.
    NotTheInterrupted {
        n: usize,
        revision: String,
        interrupted: i64,
    },
    /// `--resume-after N` on a revision whose statement failed with an error.
    NotUnknown {
        n: usize,
        revision: String,
        failed: i64,
    },
    /// `--resume-after N` past the section's end.
    PastTheEnd {
        n: usize,
        path: String,
        direction: String,
        total: usize,
    },
    /// `--resume` with `--sql`.
    Offline,
}

impl RunError {
    pub(crate) fn db(doing: Doing) -> impl FnOnce(DbError) -> RunError {
        move |error| RunError::Db { doing, error }
    }

    /// This error, with why it could not be written to the audit log, if it could not.
    pub(crate) fn unlogged(self, why: Option<RunError>) -> RunError {
        match why {
            None => self,
            Some(why) => RunError::Unlogged {
                error: Box::new(self),
                why: Box::new(why),
            },
        }
    }
}

impl std::error::Error for RunError {}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Db { doing, error } => write!(f, "{doing}: {error}"),
            RunError::Statement { failure, aftermath } => match aftermath.as_ref() {
                    Aftermath::Nothing => write!(f, "{failure}"),
                    Aftermath::RunRolledBack => write!(
                        f,
                        "{failure}\nThe run was rolled back: the database is as it was before it. Fix the statement and run the command again."
                    ),
                    Aftermath::RolledBack {
                        revision,
                        whole,
                        committed,
                    } => {
                        if *whole {
                            write!(
                                f,
                                "revision {revision} failed and the run's transaction was rolled back; {} had been committed before it (outside the transaction) and stay applied",
                                committed.join(", ")
                            )?;
                        } else if committed.is_empty() {
                            write!(f, "revision {revision} failed and was rolled back")?;
                        } else {
                            write!(
                                f,
                                "revision {revision} failed and was rolled back; the revisions before it in this run ({}) are applied",
                                committed.join(", ")
                            )?;
                        }
                        write!(f, ": {failure}")
                    }
                    Aftermath::HalfApplied(g) => write!(f, "{failure}\n{g}"),
            },
            RunError::Unlogged { error, why } => write!(
                f,
                "{error}\n(the failure could not be written to the audit log: {why})"
            ),
            RunError::Split {
                path,
                direction,
                error,
            } => write!(
                f,
                "{path}: cannot split the {} section: {error}",
                direction_name(*direction)
            ),
            RunError::LockTimeout {
                seconds,
                key,
                holder,
            } => write!(
                f,
                "timed out after {seconds} s waiting for the migration lock '{key}'{}: another `migrate` is working on this database; run again when it is done, or raise --lock-timeout (or lock_timeout in migrate.toml)",
                holder
                    .as_ref()
                    .map(|h| format!(" (held by {h})"))
                    .unwrap_or_default()
            ),
            RunError::VersionCount { table, op, found } => {
                let what = match op {
                    VersionOp::Update { from, to } => format!("updating '{from}' to '{to}'"),
                    VersionOp::Delete(v) => format!("deleting '{v}'"),
                    VersionOp::Insert(v) => format!("inserting '{v}'"),
                    VersionOp::DeleteAll => "deleting every row".to_string(),
                };
                let found = match found {
                    Some(n) if *n != 1 => n.to_string(),
                    _ => "none or several".to_string(),
                };
                write!(
                    f,
                    "Online migration expected to match one row when {what} in '{table}'; {found} found. The version table was changed by someone else during the run; check it with `migrate current`"
                )
            }
            RunError::Step { table, error } => f.write_str(&error.describe(table)),
            RunError::Graph(e) => write!(f, "{e}"),
            RunError::HalfApplied(h) => write!(f, "{h}"),
            RunError::Resume(e) => write!(f, "{e}"),
            RunError::Moved {
                expected,
                found,
                applied,
                during,
            } => match (during, applied) {
                (Some(rev), _) => write!(
                    f,
                    "the version table changed while revision {rev} ran outside a transaction (expected {}, found {}): another `migrate` ran meanwhile",
                    list_or_none(expected),
                    list_or_none(found)
                ),
                (None, Some(applied)) => write!(
                    f,
                    "the version table changed while this run waited between revisions (expected {}, found {}): another `migrate` ran; this run applied {} and stops here, as a relative target now means something else; run the command again",
                    list_or_none(expected),
                    list_or_none(found),
                    list_or_none(applied)
                ),
                (None, None) => write!(
                    f,
                    "the version table changed (expected {}, found {})",
                    list_or_none(expected),
                    list_or_none(found)
                ),
            },
            RunError::NotRecorded {
                statements,
                step,
                cause,
            } => write!(
                f,
                "all {statements} statements of revision {} ran, but recording it failed; once the cause is fixed, `migrate {} {} --resume` records it: {cause}",
                step.revision,
                direction_name(step.direction),
                complete_target(step)
            ),
            RunError::NoFile(rev) => write!(f, "revision {rev} has no file (internal error)"),
            RunError::Todo {
                revision,
                path,
                line,
                direction,
                why,
            } => {
                let section = direction_name(*direction);
                write!(
                    f,
                    "{path}:{line}: revision {revision} cannot run: its {section} section is marked `-- migrate:todo`"
                )?;
                if !why.is_empty() {
                    write!(f, " ({why})")?;
                }
                write!(
                    f,
                    "; nothing was run. Write its {section} SQL by hand (the Python it came from is quoted there) and delete the `-- migrate:todo` line"
                )
            }
            RunError::LockLost {
                table,
                why,
                applied,
            } => {
                let done = if applied.is_empty() {
                    "no revision of this run was applied".to_string()
                } else {
                    format!("{} stay applied", applied.join(", "))
                };
                write!(
                    f,
                    "lost the migration lock in {table}: {why}; the run stopped and rolled back what was open ({done}). Check that no other run is working on the database (`migrate current`, the audit log), then run the command again; a longer lock_lease in migrate.toml gives renewals more time"
                )
            }
            RunError::Interrupted { applied } => {
                if applied.is_empty() {
                    f.write_str("interrupted (Ctrl-C): the run stopped; what was open was rolled back, and no revision of this run was applied")
                } else {
                    write!(
                        f,
                        "interrupted (Ctrl-C): the run stopped after {}, which stay applied; what was open was rolled back. Run the command again to go on",
                        applied.join(", ")
                    )
                }
            }
        }
    }
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeError::OtherDirection { revision, by, verb } => write!(
                f,
                "revision {revision} is half-applied by {} {by}, not {} {verb}: resume it with `migrate {by} <target> --resume`",
                article(by),
                article(verb)
            ),
            ResumeError::Nothing { table, verb } => write!(
                f,
                "nothing to resume: the audit log {table} shows no half-applied revision; run `migrate {verb}` without --resume"
            ),
            ResumeError::NotOnTheWay {
                revision,
                direction,
            } => write!(
                f,
                "--resume continues the half-applied revision {revision}, which is not on the way to the target; run `migrate {direction} --resume {revision}`"
            ),
            ResumeError::FileShrank {
                revision,
                done,
                path,
                now,
            } => write!(
                f,
                "cannot resume revision {revision}: {done} statement(s) of it ran, but {path} now has {now}; the file changed too much to know where to go on. Repair the database by hand and run `migrate stamp {revision}`"
            ),
            ResumeError::Changed {
                revision,
                done,
                path,
                started_at,
            } => write!(
                f,
                "cannot resume revision {revision}: statements 1 to {done} of {path} ran on {started_at}, but they have changed in the file since; --resume would skip statements that are not the ones that ran. Put them back as they were (see the SQL that ran with `migrate history --applied -v`), or repair the database by hand and run `migrate stamp {revision}`"
            ),
            ResumeError::NotTheInterrupted {
                n,
                revision,
                interrupted,
            } => write!(
                f,
                "--resume-after {n}: revision {revision} was interrupted during statement {interrupted}, the only one whose outcome is unknown; run `--resume-after {interrupted}` once you checked that it took effect, or `--resume` to run it again"
            ),
            ResumeError::NotUnknown {
                n,
                revision,
                failed,
            } => write!(
                f,
                "--resume-after {n}: revision {revision} did not stop in a statement of unknown outcome: statement {failed} failed with an error from the server, so it did not take effect; fix it and use `--resume`"
            ),
            ResumeError::PastTheEnd {
                n,
                path,
                direction,
                total,
            } => write!(
                f,
                "--resume-after {n}: {path} has {total} statement(s) in its {direction} section now"
            ),
            ResumeError::Offline => {
                f.write_str("--resume runs SQL on the database; it can't be used with --sql")
            }
        }
    }
}

impl fmt::Display for Guidance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = &self.step;
        let verb = direction_name(st.direction);
        let (number, total, path) = (self.number, self.total, &self.path);
        let complete = complete_target(st);
        let undone = undone_target(st);
        if let Some((row, started_at)) = &self.still_unknown {
            let done = number - 1;
            let ran = if done == 0 {
                "No statement before it ran".to_string()
            } else {
                format!(
                    "{} ran and stay applied",
                    capitalized(&statements_upto(done as i64))
                )
            };
            return write!(
                f,
                "Revision {} stays half-applied: statement {number} of {total} was interrupted on {started_at} (audit log row {row}), and running it again failed, which can mean that the interrupted run did finish it (the server's error above says what it found). {ran}; the version table does not record the {verb}. Either:\n  - if statement {number} did take effect (check the database), run `migrate {verb} {complete} --resume-after {number}`, which goes on from statement {}; or\n  - fix statement {number} in {path} and run `migrate {verb} {complete} --resume` again; or\n  - repair the database by hand and run `migrate stamp {complete}` (the {verb} is complete) or `migrate stamp {undone}` (it is undone), which marks it resolved.",
                st.revision,
                number + 1,
            );
        }
        if number <= 1 {
            return write!(
                f,
                "Nothing of revision {} was applied (it failed at its first statement). Fix {path} and run the command again.",
                st.revision
            );
        }
        let done_n = number as i64 - 1;
        let done = statements_upto(done_n);
        let pronoun = if done_n == 1 { "it" } else { "they" };
        write!(
            f,
            "Revision {} is now half-applied: {done} of {total} ran and committed (outside any transaction), statement {number} and those after it did not, and the version table does not record it. Either:\n  - fix statement {number} in {path} (leave {done} as {pronoun} ran) and run `migrate {verb} {complete} --resume`, which runs the revision from statement {number} on; or\n  - repair the database by hand and run `migrate stamp {complete}` (the {verb} is complete) or `migrate stamp {undone}` (it is undone), which marks it resolved.",
            st.revision,
        )
    }
}

/// A revision a failed or killed run left half-applied, as the audit log
/// says, with what the files say about it: the refusal every writing command
/// gives, and what `check` reports.
#[derive(Debug, Clone)]
pub struct HalfApplied {
    pub row: LogRow,
    /// The file, or `None` when no file has the revision now.
    pub path: Option<String>,
    /// Line of the file where the section that ran starts.
    pub first_line: usize,
    /// The revision's parents (to undo it by stamping).
    pub parents: Vec<String>,
    pub kind: Kind,
}

impl HalfApplied {
    pub fn new(row: &LogRow, scripts: &ScriptDirectory, kind: Kind) -> HalfApplied {
        let script = scripts.script(&row.revision);
        HalfApplied {
            row: row.clone(),
            path: script.map(|s| s.path.display().to_string()),
            first_line: script.map_or(1, |s| match row.direction.as_str() {
                "downgrade" => s.file.downgrade.first_line,
                _ => s.file.upgrade.first_line,
            }),
            parents: scripts
                .map
                .get(&row.revision)
                .map(|r| r.down_revisions.clone())
                .unwrap_or_default(),
            kind,
        }
    }
}

impl fmt::Display for HalfApplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = &self.row;
        let path = self
            .path
            .clone()
            .unwrap_or_else(|| "(no file has this revision now)".to_string());
        let done = row.statements_done;
        let number = row.failed_statement.unwrap_or(done + 1);
        // The statement, from the SQL that ran (the file may have changed since).
        let (line, excerpt_text) = match (row.failed_line, row.failed_excerpt.is_empty()) {
            (Some(l), false) => (Some(l), row.failed_excerpt.clone()),
            _ => {
                let stmts = sql::split(&row.sql, self.kind).unwrap_or_default();
                match usize::try_from(number - 1).ok().and_then(|i| stmts.get(i)) {
                    Some(s) => (
                        Some((s.line + self.first_line - 1) as i64),
                        excerpt(&s.text),
                    ),
                    None => (None, String::new()),
                }
            }
        };
        let (done_stamp, undone_stamp) = if row.direction == "downgrade" {
            (parent_or_base(&self.parents), row.revision.clone())
        } else {
            (row.revision.clone(), parent_or_base(&self.parents))
        };
        write!(
            f,
            "revision {} ({}) is half-applied: ",
            row.revision,
            if row.message.is_empty() {
                &path
            } else {
                &row.message
            }
        )?;
        let total = row.statements_total;
        let at = match line {
            Some(l) => format!("statement {number} of {total} (line {l} of {path})"),
            None => format!("statement {number} of {total} ({path})"),
        };
        if row.outcome == audit::RUNNING {
            if done >= total {
                write!(
                    f,
                    "all {total} statements of its {} ran on {}, but the run stopped before the version table recorded it.",
                    row.direction, row.started_at
                )?;
            } else {
                write!(
                    f,
                    "its {} started on {} was interrupted during {at}: the process stopped (killed, crashed, or lost its connection) and the server may have finished or abandoned that statement.",
                    row.direction, row.started_at
                )?;
            }
        } else if row.failed_statement.is_none() {
            write!(
                f,
                "all {total} statements of its {} ran on {}, but recording it failed: {}",
                row.direction, row.started_at, row.error
            )?;
        } else {
            write!(
                f,
                "its {} failed on {} at {at}:\n  {excerpt_text}\n  {}",
                row.direction,
                if row.finished_at.is_empty() {
                    &row.started_at
                } else {
                    &row.finished_at
                },
                row.error
            )?;
        }
        if row.outcome == audit::RUNNING && !excerpt_text.is_empty() && done < total {
            write!(f, "\n  {excerpt_text}")?;
        }
        if done > 0 {
            write!(
                f,
                "\n{} ran and {} applied; the version table does not record the {}.",
                capitalized(&statements_upto(done)),
                if done == 1 { "stays" } else { "stay" },
                row.direction
            )?;
        } else {
            write!(
                f,
                "\nNo statement of it is known to have finished; the version table does not record the {}.",
                row.direction
            )?;
        }
        write!(
            f,
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
        )?;
        if row.outcome_unknown() {
            write!(
                f,
                "\n  - if statement {} did take effect before the process stopped (check the database), run `migrate {} {done_stamp} --resume-after {}`, which goes on from statement {}; or",
                done + 1,
                row.direction,
                done + 1,
                done + 2
            )?;
        }
        write!(
            f,
            "\n  - repair the database by hand and run `migrate stamp {done_stamp}` (the {} is complete) or `migrate stamp {undone_stamp}` (it is undone), which marks it resolved.\nSee it with `migrate history --applied`.",
            row.direction,
        )
    }
}

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

pub(crate) fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// Where the database stands once the step is complete: the target that resumes it.
pub(crate) fn complete_target(st: &MigrationStep) -> String {
    if st.direction == Direction::Up {
        st.revision.clone()
    } else {
        parent_or_base(&st.to_revisions)
    }
}

/// Where the database stands once the step is undone.
fn undone_target(st: &MigrationStep) -> String {
    if st.direction == Direction::Up {
        parent_or_base(&st.from_revisions)
    } else {
        st.revision.clone()
    }
}

pub(crate) fn parent_or_base(revs: &[String]) -> String {
    if revs.is_empty() {
        "base".to_string()
    } else {
        revs.join(" ")
    }
}

pub(crate) fn list_or_none(rows: &[String]) -> String {
    if rows.is_empty() {
        "no revision".to_string()
    } else {
        rows.join(", ")
    }
}

/// What ran of a resumed revision: `statements 1 to 3 ran on …`.
pub(crate) fn ran_on(done: usize, started_at: &str) -> String {
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

/// `a` or `an` before `word` (`an upgrade`, `a downgrade`).
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
