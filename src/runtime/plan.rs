//! The step plan of a run: for each revision to run, its statements, the
//! version-table operations that record it, the transaction it runs in, and
//! what the audit log records about it. Pure: it takes the graph's steps, the
//! loaded scripts, the version table's rows and what the database can do,
//! and returns values; `driver` executes them.
//!
//! The transaction policy, written once:
//! - a revision runs inside a transaction when the database's DDL is
//!   transactional and its header does not say `Transactional: false`;
//! - such revisions share the run's one transaction, unless
//!   `transaction_per_migration` gives each its own;
//! - any other revision runs outside any transaction (MySQL/MariaDB, whose
//!   DDL commits itself, and `Transactional: false` ones), and is recorded
//!   statement by statement so that a failure half-way is known.

use super::audit::{self, LogRow, StatementsDigest};
use super::error::{direction_name, ResumeError, RunError};
use super::step::{self, StepError, VersionOp};
use super::Resume;
use crate::dialect::Capabilities;
use crate::script::file::Section;
use crate::script::revision::{Direction, MigrationStep};
use crate::script::{Script, ScriptDirectory};
use crate::sql::{self, SplitError, Statement};
use crate::Kind;

/// The transaction a step runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxMode {
    /// The run's one transaction (committed at the end of the run).
    Run,
    /// A transaction of its own, committed after the step.
    Own,
    /// No transaction: each statement commits itself.
    None,
}

/// What the audit log records about a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction_name: &'static str,
    /// What moved, as the progress line says it (`upgrade a -> b`).
    pub step: String,
    pub message: String,
    /// The section as it runs (normalized), and its checksum.
    pub sql: String,
    pub checksum: String,
    /// Statements in the section.
    pub total: usize,
    /// Its `-- migrate:lint-ignore` lines with their reasons (see `lint::suppress::reasons`).
    pub lint_ignored: String,
}

/// Where a resumed step goes on.
#[derive(Clone, Debug)]
pub struct ResumePoint {
    /// The half-applied revision's audit row.
    pub row: LogRow,
    /// Statements already done: the step runs from statement `from + 1`.
    pub from: usize,
    /// Statement `from + 1` was interrupted with an unknown outcome and runs
    /// again: the row stays open until it succeeds.
    pub unknown: bool,
    /// `--resume-after N`: statement `from` was confirmed by the operator.
    pub confirmed: bool,
}

/// One step of the plan.
#[derive(Clone, Debug)]
pub struct PlannedStep<'s> {
    pub step: MigrationStep,
    pub script: &'s Script,
    pub path: String,
    /// Line of the file where the section starts.
    pub first_line: usize,
    /// The section's statements; a section that cannot be split is
    /// reported when its step runs.
    pub statements: Result<Vec<Statement>, SplitError>,
    pub mode: TxMode,
    /// The version table's rows before the step, sorted.
    pub rows_before: Vec<String>,
    /// What records the step in the version table.
    pub version_ops: Result<Vec<VersionOp>, StepError>,
    pub record: Record,
    pub resume: Option<ResumePoint>,
}

impl PlannedStep<'_> {
    /// Statements done before the step starts (a resumed step), and their digest.
    pub fn done_before(&self) -> (usize, StatementsDigest) {
        let from = self.resume.as_ref().map_or(0, |r| r.from);
        let mut digest = StatementsDigest::new();
        if let Ok(statements) = &self.statements {
            for s in statements.iter().take(from) {
                digest.push(&s.text);
            }
        }
        (from, digest)
    }
}

/// True when the whole run is one transaction.
pub fn whole_run_transaction(caps: &Capabilities, per_migration: bool) -> bool {
    caps.transactional_ddl && !per_migration
}

/// The transaction a revision runs in.
pub fn tx_mode(caps: &Capabilities, per_migration: bool, script: &Script) -> TxMode {
    if !(caps.transactional_ddl && script.file.transactional) {
        TxMode::None
    } else if per_migration {
        TxMode::Own
    } else {
        TxMode::Run
    }
}

/// The section of `script` a step of `direction` runs.
pub fn section(script: &Script, direction: Direction) -> &Section {
    match direction {
        Direction::Up => &script.file.upgrade,
        Direction::Down => &script.file.downgrade,
    }
}

/// What the audit log records about a step of `script`.
pub fn record(script: &Script, st: &MigrationStep, total: usize) -> Record {
    let (sql, checksum) = audit::normalized(&section(script, st.direction).text);
    Record {
        revision: st.revision.clone(),
        direction_name: direction_name(st.direction),
        step: st.short_log(),
        message: script.file.message.clone(),
        sql: sql.into_owned(),
        checksum,
        total,
        lint_ignored: crate::lint::suppress::reasons(&script.file, direction_name(st.direction)),
    }
}

/// The plan of `steps` from the version table's `rows`. With `resume`, the
/// half-applied revision's step goes first, from where it stopped.
pub fn plan<'s>(
    scripts: &'s ScriptDirectory,
    mut steps: Vec<MigrationStep>,
    rows: &[String],
    kind: Kind,
    caps: &Capabilities,
    per_migration: bool,
    resume: Option<(LogRow, Resume)>,
) -> Result<Vec<PlannedStep<'s>>, RunError> {
    let mut point = None;
    if let Some((row, how)) = resume {
        let pos = steps
            .iter()
            .position(|s| {
                s.revision == row.revision && direction_name(s.direction) == row.direction
            })
            .ok_or_else(|| {
                RunError::Resume(ResumeError::NotOnTheWay {
                    revision: row.revision.clone(),
                    direction: row.direction.clone(),
                })
            })?;
        // Its ancestors were all applied when it started, and nothing has run since.
        let st = steps.remove(pos);
        steps.insert(0, st);
        point = Some((row, how));
    }
    let mut rows: Vec<String> = rows.to_vec();
    let mut broken: Option<StepError> = None;
    let mut planned = Vec::with_capacity(steps.len());
    for st in steps {
        let script = scripts
            .script(&st.revision)
            .ok_or_else(|| RunError::NoFile(st.revision.clone()))?;
        let sec = section(script, st.direction);
        let path = script.path.display().to_string();
        if let Some(todo) = script.file.todo(st.direction == Direction::Up) {
            return Err(RunError::Todo {
                revision: st.revision.clone(),
                path,
                line: todo.line,
                direction: st.direction,
                why: todo.arguments.clone(),
            });
        }
        let statements = sql::split(&sec.text, kind).map_err(|e| e.shifted(sec.first_line - 1));
        let total = statements.as_ref().map_or(0, Vec::len);
        let mut rows_before = rows.clone();
        rows_before.sort();
        let version_ops = match &broken {
            Some(e) => Err(e.clone()),
            None => step::apply_step(&scripts.map, &st, &mut rows).inspect_err(|e| {
                broken = Some(e.clone());
            }),
        };
        let resume = match point.take() {
            Some((row, how)) => Some(resume_point(row, how, &statements, &path)?),
            None => None,
        };
        planned.push(PlannedStep {
            record: record(script, &st, total),
            mode: tx_mode(caps, per_migration, script),
            first_line: sec.first_line,
            step: st,
            script,
            path,
            statements,
            rows_before,
            version_ops,
            resume,
        });
    }
    Ok(planned)
}

/// Where the resumed step goes on, after checking that the statements it
/// would skip are the ones that ran.
fn resume_point(
    row: LogRow,
    how: Resume,
    statements: &Result<Vec<Statement>, SplitError>,
    path: &str,
) -> Result<ResumePoint, RunError> {
    let Ok(statements) = statements else {
        // The split error is reported when the step runs.
        return Ok(ResumePoint {
            from: 0,
            unknown: false,
            confirmed: false,
            row,
        });
    };
    let done = usize::try_from(row.statements_done).unwrap_or(0);
    let n = statements.len();
    if done > n {
        return Err(RunError::Resume(ResumeError::FileShrank {
            revision: row.revision.clone(),
            done: row.statements_done,
            path: path.to_string(),
            now: n,
        }));
    }
    let now = StatementsDigest::of(statements.iter().map(|s| s.text.as_str()), done);
    if now != row.done_checksum {
        return Err(RunError::Resume(ResumeError::Changed {
            revision: row.revision.clone(),
            done: row.statements_done,
            path: path.to_string(),
            started_at: row.started_at.clone(),
        }));
    }
    match how {
        Resume::After(k) => {
            if k > n {
                return Err(RunError::Resume(ResumeError::PastTheEnd {
                    n: k,
                    path: path.to_string(),
                    direction: row.direction.clone(),
                    total: n,
                }));
            }
            Ok(ResumePoint {
                from: k,
                unknown: false,
                confirmed: true,
                row,
            })
        }
        Resume::AtFailed => Ok(ResumePoint {
            from: done,
            unknown: row.outcome_unknown(),
            confirmed: false,
            row,
        }),
    }
}

/// Refuses `--resume-after N` unless statement N is the one a killed run was
/// interrupted in: only a statement whose outcome is unknown can be confirmed.
pub fn check_resume_after(row: &LogRow, n: usize) -> Result<(), ResumeError> {
    let done = row.statements_done;
    if row.outcome_unknown() && i64::try_from(n).is_ok_and(|n| n == done + 1) {
        return Ok(());
    }
    if row.outcome_unknown() {
        return Err(ResumeError::NotTheInterrupted {
            n,
            revision: row.revision.clone(),
            interrupted: done + 1,
        });
    }
    Err(ResumeError::NotUnknown {
        n,
        revision: row.revision.clone(),
        failed: row.failed_statement.unwrap_or(done + 1),
    })
}
