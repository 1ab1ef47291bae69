//! The driver: executes a plan (`plan`) against the connection, one step
//! after another, in the transaction each step's plan names, telling the
//! journal what happens. It decides nothing the plan has not decided, except
//! how to send the bookkeeping between two steps (in one message where the
//! database takes several) and what to do when a statement fails or the
//! user presses Ctrl-C.

use super::audit::{self, LogRow, StatementsDigest};
use super::error::{
    direction_name, excerpt, list_or_none, ran_on, Aftermath, Doing, Guidance, ResumeError,
    RunError, StatementError,
};
use super::journal::Failure;
use super::plan::{self, PlannedStep, TxMode};
use super::{MigrationContext, RunOptions, StepReport};
use crate::interrupt;
use crate::script::revision::MigrationStep;
use crate::script::ScriptDirectory;
use crate::sql;
use std::time::Instant;

/// The half-applied revision to resume (and how), and the failures that left
/// nothing behind, as the audit log shows them when a run starts.
type Unresolved = (Option<(LogRow, super::Resume)>, Vec<LogRow>);

/// What a statement of the bookkeeping message between two steps is, to say what failed.
enum BatchPart {
    Begin,
    /// A version-table statement.
    Version,
    /// The check that the step's `k`-th version-table operation matched one row.
    Guard(usize),
    Log,
    Commit,
}

impl MigrationContext {
    /// Runs the steps that `steps` plans from the heads read under the lock.
    pub fn run_steps(
        &mut self,
        scripts: &ScriptDirectory,
        opts: &RunOptions,
        steps: impl Fn(&[String]) -> Result<Vec<MigrationStep>, RunError>,
    ) -> Result<Vec<StepReport>, RunError> {
        let mut rows = self.start_writing()?;
        let (resume, clean_failures) = self.check_half_applied(scripts, opts)?;
        let kind = self.db.kind();
        let per_migration = self.settings.transaction_per_migration;
        let mut planned = plan::plan(
            scripts,
            steps(&rows)?,
            &rows,
            kind,
            &self.caps,
            per_migration,
            resume,
        )?;
        let mut reports: Vec<StepReport> = Vec::with_capacity(planned.len());
        // Revisions of this run committed on their own (outside the run's transaction).
        let mut committed: Vec<String> = Vec::new();
        let mut i = 0;
        while i < planned.len() {
            let p = &planned[i];
            if interrupt::interrupted() {
                return Err(RunError::Interrupted { applied: committed });
            }
            self.check_lock(&committed)?;
            if p.mode != TxMode::None && !self.in_tx {
                self.begin()?;
                if self.caps.lock_is_transaction {
                    // SQLite between revisions (transaction_per_migration): the lock
                    // was released with the last commit; someone may have run since.
                    let now = self.read_heads()?;
                    if now != p.rows_before {
                        if !opts.replan {
                            return Err(RunError::Moved {
                                expected: p.rows_before.clone(),
                                found: now,
                                applied: Some(committed),
                                during: None,
                            });
                        }
                        self.progress.line(&format!(
                            "The version table changed while this run waited between revisions (now {}); planning again",
                            list_or_none(&now)
                        ));
                        rows = now;
                        planned = plan::plan(
                            scripts,
                            steps(&rows)?,
                            &rows,
                            kind,
                            &self.caps,
                            per_migration,
                            None,
                        )?;
                        i = 0;
                        continue;
                    }
                }
            }
            let p = &planned[i];
            self.progress
                .step_started(&format!("Running {}", p.step.description()));
            self.db
                .comment(&format!("Running {}", p.step.short_log()))
                .map_err(RunError::db(Doing::WritingOutput))?;
            let started = Instant::now();
            let result = if p.mode == TxMode::None {
                let next = planned.get(i + 1).filter(|n| n.mode == TxMode::None);
                self.run_outside(p, next)
            } else {
                self.run_inside(p, started)
                    .map_err(|e| self.inside_failed(e, p, started, &committed))
            };
            self.progress.step_finished(started.elapsed());
            let n = result?;
            self.resolve_clean_failures(&clean_failures, p);
            if p.mode != TxMode::Run {
                committed.push(p.step.revision.clone());
            }
            reports.push(StepReport {
                revision: p.step.revision.clone(),
                direction: direction_name(p.step.direction),
                message: p.script.file.message.clone(),
                statements: n,
                seconds: started.elapsed().as_secs_f64(),
            });
            i += 1;
        }
        self.finish_writing()?;
        Ok(reports)
    }

    /// Refuses to go on over a half-applied revision, or picks it up for
    /// `--resume`; returns it, and the failures that left nothing behind.
    fn check_half_applied(
        &mut self,
        scripts: &ScriptDirectory,
        opts: &RunOptions,
    ) -> Result<Unresolved, RunError> {
        if opts.resume.is_some() && !self.caps.audit_log {
            return Err(RunError::Resume(ResumeError::Offline));
        }
        let unresolved = self.unresolved()?;
        let (half, clean): (Vec<LogRow>, Vec<LogRow>) =
            unresolved.into_iter().partition(LogRow::is_half_applied);
        match (half.into_iter().next(), opts.resume) {
            (Some(row), Some(how)) => {
                if row.direction != opts.verb {
                    return Err(RunError::Resume(ResumeError::OtherDirection {
                        revision: row.revision.clone(),
                        by: row.direction.clone(),
                        verb: opts.verb,
                    }));
                }
                if let super::Resume::After(n) = how {
                    plan::check_resume_after(&row, n).map_err(RunError::Resume)?;
                }
                Ok((Some((row, how)), clean))
            }
            (Some(row), None) => Err(RunError::HalfApplied(Box::new(
                super::error::HalfApplied::new(&row, scripts, self.db.kind()),
            ))),
            (None, Some(_)) => Err(RunError::Resume(ResumeError::Nothing {
                table: self.journal.table().unwrap_or_default().to_string(),
                verb: opts.verb,
            })),
            (None, None) => Ok((None, clean)),
        }
    }

    /// Marks earlier failures of the step that left nothing behind as dealt with.
    fn resolve_clean_failures(&mut self, clean: &[LogRow], p: &PlannedStep<'_>) {
        for row in clean {
            if row.revision == p.step.revision && row.direction == p.record.direction_name {
                let _ = self.journal.resolve(self.db.as_mut(), row.id, "retried");
            }
        }
    }

    fn statements<'p>(&self, p: &'p PlannedStep<'_>) -> Result<&'p [sql::Statement], RunError> {
        p.statements.as_deref().map_err(|e| RunError::Split {
            path: p.path.clone(),
            direction: p.step.direction,
            error: e.clone(),
        })
    }

    /// Runs statement `i` (0-based) of the step, cancellable by Ctrl-C when
    /// it runs inside a transaction (which is then rolled back).
    fn run_statement(
        &mut self,
        p: &PlannedStep<'_>,
        statements: &[sql::Statement],
        i: usize,
    ) -> Result<(), Box<StatementError>> {
        let st = &statements[i];
        self.progress
            .statement_started(i + 1, statements.len(), st.line + p.first_line - 1);
        let cancel = if self.in_tx {
            self.db.canceller()
        } else {
            None
        };
        let db = self.db.as_mut();
        let result = interrupt::cancellable(cancel, || {
            if st.compound {
                db.execute_compound(&st.text)
            } else {
                db.execute(&st.text)
            }
        });
        result.map_err(|error| {
            let (line, column) = match error.position {
                Some(pos) => sql::position_in_file(st, pos.saturating_sub(1)),
                None => (st.line, st.column),
            };
            Box::new(StatementError {
                path: p.path.clone(),
                line: line + p.first_line - 1,
                column,
                number: i + 1,
                excerpt: excerpt(&st.text),
                error,
            })
        })
    }

    /// A step whose statements, version-table update and log row commit together.
    fn run_inside(&mut self, p: &PlannedStep<'_>, started: Instant) -> Result<usize, RunError> {
        let started_at = audit::now_iso();
        let statements = self.statements(p)?;
        let mut digest = StatementsDigest::new();
        for (i, s) in statements.iter().enumerate() {
            if interrupt::interrupted() {
                // Rolled back by the caller, with the whole transaction.
                return Err(RunError::Interrupted {
                    applied: Vec::new(),
                });
            }
            self.run_statement(p, statements, i)
                .map_err(|failure| RunError::Statement {
                    failure,
                    aftermath: Box::new(Aftermath::Nothing),
                })?;
            digest.push(&s.text);
        }
        let ops = self.version_ops(p)?;
        self.apply_ops(&ops)?;
        self.journal.finished_in_transaction(
            self.db.as_mut(),
            &p.record,
            &started_at,
            started.elapsed().as_millis(),
            &digest,
        )?;
        if p.mode == TxMode::Own {
            self.commit()?;
        }
        Ok(statements.len())
    }

    fn version_ops(&self, p: &PlannedStep<'_>) -> Result<Vec<crate::dialect::VersionOp>, RunError> {
        p.version_ops.clone().map_err(|error| RunError::Step {
            table: self.table.name.clone(),
            error,
        })
    }

    /// After a step inside a transaction failed: roll back, then record the
    /// failure in a short transaction of its own (the rollback took everything
    /// else away), and say what the database is left with.
    fn inside_failed(
        &mut self,
        e: RunError,
        p: &PlannedStep<'_>,
        started: Instant,
        committed: &[String],
    ) -> RunError {
        let rolled_back = self.in_tx;
        self.rollback();
        let logged = self.log_rolled_back(&e, p, started);
        if logged.is_err() {
            self.rollback();
        }
        if interrupt::interrupted() {
            return RunError::Interrupted {
                applied: committed.to_vec(),
            };
        }
        let whole = p.mode == TxMode::Run;
        let e = match e {
            RunError::Statement { failure, .. } => {
                let aftermath = if rolled_back && whole && committed.is_empty() {
                    Aftermath::RunRolledBack
                } else {
                    Aftermath::RolledBack {
                        revision: p.step.revision.clone(),
                        whole,
                        committed: committed.to_vec(),
                    }
                };
                RunError::Statement {
                    failure,
                    aftermath: Box::new(aftermath),
                }
            }
            other => other,
        };
        e.unlogged(logged.err())
    }

    fn log_rolled_back(
        &mut self,
        e: &RunError,
        p: &PlannedStep<'_>,
        started: Instant,
    ) -> Result<(), RunError> {
        if !self.caps.audit_log {
            return Ok(());
        }
        let se = match e {
            RunError::Statement { failure, .. } => Some(failure.as_ref()),
            _ => None,
        };
        let error = match se {
            Some(se) => se.error.to_string(),
            None => e.to_string(),
        };
        let started_at = audit::iso(
            chrono::Utc::now() - chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
        );
        self.begin()?;
        self.journal.ensure(self.db.as_mut())?;
        let table = self.journal.table().unwrap_or_default().to_string();
        self.journal
            .rolled_back(
                self.db.as_mut(),
                &p.record,
                &started_at,
                started.elapsed().as_millis(),
                se.map_or(0, |s| s.number - 1),
                &Failure {
                    statement: se.map(|s| s.number),
                    line: se.map(|s| s.line),
                    excerpt: se.map_or("", |s| s.excerpt.as_str()),
                    error: &error,
                },
            )
            .map_err(RunError::db(Doing::WritingAuditLog(table)))?;
        self.commit()
    }

    /// A step outside any transaction: `running` row first, counter after each
    /// statement, version table and `ok` together at the end.
    fn run_outside(
        &mut self,
        p: &PlannedStep<'_>,
        next: Option<&PlannedStep<'_>>,
    ) -> Result<usize, RunError> {
        let started = Instant::now();
        // Runs outside any transaction: commit what is open, as Alembic's autocommit_block.
        if self.in_tx {
            self.commit()?;
        }
        let statements = self.statements(p)?;
        let n = statements.len();
        let (from, mut digest) = p.done_before();
        if let Some(r) = &p.resume {
            let msg = if r.confirmed {
                format!(
                    "Resuming {} of {} after statement {from} of {n} ({}; statement {from}, interrupted then, took effect as you checked)",
                    r.row.direction,
                    r.row.revision,
                    ran_on(usize::try_from(r.row.statements_done).unwrap_or(0), &r.row.started_at)
                )
            } else {
                format!(
                    "Resuming {} of {} at statement {} of {n} ({})",
                    r.row.direction,
                    r.row.revision,
                    from + 1,
                    ran_on(from, &r.row.started_at)
                )
            };
            self.progress.line(&msg);
        }
        let log_id = self
            .journal
            .started(self.db.as_mut(), &p.record, from, &digest)?;
        // The resumed row: resolved now, or (its outcome unknown) once the
        // statement it was interrupted in has run.
        let mut open = None;
        if let (Some(r), Some(id)) = (&p.resume, log_id) {
            if r.unknown {
                open = Some(r.row.id);
            } else {
                let how = if r.confirmed {
                    format!("resumed by row {id} after statement {from}")
                } else {
                    format!("resumed by row {id}")
                };
                self.journal.resolve(self.db.as_mut(), r.row.id, &how)?;
            }
        }
        for i in from..n {
            if interrupt::interrupted() {
                return Err(self.stopped_outside(p, log_id, i, n, started));
            }
            if let Err(failure) = self.run_statement(p, statements, i) {
                return Err(self.outside_failed(
                    failure,
                    p,
                    log_id,
                    open.filter(|_| i == from),
                    n,
                    started,
                ));
            }
            if let (Some(row), Some(id)) = (open.take(), log_id) {
                // The statement whose outcome was unknown has now run.
                self.journal
                    .resolve(self.db.as_mut(), row, &format!("resumed by row {id}"))?;
            }
            digest.push(&statements[i].text);
            // The last statement's count is written with the version table below.
            if i + 1 < n {
                self.journal
                    .progressed(self.db.as_mut(), log_id, i + 1, &digest)?;
            }
        }
        let recorded = self.record_outside(p, next, log_id, started, n, &digest);
        if let Err(e) = recorded {
            self.rollback();
            self.journal.forget_prestarted();
            // Every statement ran: the count says so, for `--resume`.
            let _ = self
                .journal
                .progressed(self.db.as_mut(), log_id, n, &digest);
            let _ = self.journal.failed(
                self.db.as_mut(),
                log_id,
                started.elapsed().as_millis(),
                &Failure {
                    statement: None,
                    line: None,
                    excerpt: "",
                    error: &e.to_string(),
                },
            );
            return Err(RunError::NotRecorded {
                statements: n,
                step: p.step.clone(),
                cause: Box::new(e),
            });
        }
        Ok(n - from)
    }

    /// A statement of a step outside a transaction failed: what ran stays; the
    /// row says where it stopped, and the message the ways out.
    fn outside_failed(
        &mut self,
        failure: Box<StatementError>,
        p: &PlannedStep<'_>,
        log_id: Option<i64>,
        unknown: Option<i64>,
        total: usize,
        started: Instant,
    ) -> RunError {
        let mut logged = self.journal.failed(
            self.db.as_mut(),
            log_id,
            started.elapsed().as_millis(),
            &Failure {
                statement: Some(failure.number),
                line: Some(failure.line),
                excerpt: &failure.excerpt,
                error: &failure.error.to_string(),
            },
        );
        let mut still_unknown = None;
        if let (Some(row), Some(id)) = (unknown, log_id) {
            // The earlier row still says what is known; this attempt is
            // recorded and set aside.
            if logged.is_ok() {
                logged = self.journal.resolve(
                    self.db.as_mut(),
                    id,
                    &format!("outcome still unknown, see row {row}"),
                );
            }
            let started_at = p
                .resume
                .as_ref()
                .map(|r| r.row.started_at.clone())
                .unwrap_or_default();
            still_unknown = Some((row, started_at));
        }
        let aftermath = match log_id {
            Some(_) => Aftermath::HalfApplied(Guidance {
                step: p.step.clone(),
                path: p.path.clone(),
                number: failure.number,
                total,
                still_unknown,
            }),
            // No audit log (offline): the statement's own error.
            None => Aftermath::Nothing,
        };
        RunError::Statement {
            failure,
            aftermath: Box::new(aftermath),
        }
        .unlogged(logged.err())
    }

    /// Ctrl-C between two statements of a step outside a transaction: the
    /// statements before `i` ran and stay; the row says the step stopped there.
    fn stopped_outside(
        &mut self,
        p: &PlannedStep<'_>,
        log_id: Option<i64>,
        i: usize,
        total: usize,
        started: Instant,
    ) -> RunError {
        let _ = self.journal.failed(
            self.db.as_mut(),
            log_id,
            started.elapsed().as_millis(),
            &Failure {
                statement: Some(i + 1),
                line: None,
                excerpt: "",
                error: "interrupted (Ctrl-C) before this statement started",
            },
        );
        RunError::Statement {
            failure: Box::new(StatementError {
                path: p.path.clone(),
                line: p
                    .statements
                    .as_ref()
                    .ok()
                    .and_then(|s| s.get(i))
                    .map_or(p.first_line, |s| s.line + p.first_line - 1),
                column: 1,
                number: i + 1,
                excerpt: p
                    .statements
                    .as_ref()
                    .ok()
                    .and_then(|s| s.get(i))
                    .map(|s| excerpt(&s.text))
                    .unwrap_or_default(),
                error: crate::dialect::DbError::msg(
                    "interrupted (Ctrl-C): the run stopped before this statement",
                ),
            }),
            aftermath: Box::new(Aftermath::HalfApplied(Guidance {
                step: p.step.clone(),
                path: p.path.clone(),
                number: i + 1,
                total,
                still_unknown: None,
            })),
        }
    }

    /// Records a step that ran outside a transaction: the version table and
    /// its finished row, with the next such step's `running` row, in one
    /// transaction (in one message where the database takes several).
    fn record_outside(
        &mut self,
        p: &PlannedStep<'_>,
        next: Option<&PlannedStep<'_>>,
        log_id: Option<i64>,
        started: Instant,
        n: usize,
        digest: &StatementsDigest,
    ) -> Result<(), RunError> {
        let ops = self.version_ops(p)?;
        if self.caps.batches_statements && log_id.is_some() && !self.journal.has_pending() {
            return self.record_in_one_message(next, log_id, &ops, started, n, digest);
        }
        self.begin()?;
        if self.caps.lock_is_transaction {
            let now = self.read_heads()?;
            if now != p.rows_before {
                return Err(RunError::Moved {
                    expected: p.rows_before.clone(),
                    found: now,
                    applied: None,
                    during: Some(p.step.revision.clone()),
                });
            }
        }
        self.apply_ops(&ops)?;
        self.journal.finished(
            self.db.as_mut(),
            log_id,
            started.elapsed().as_millis(),
            n,
            digest,
        )?;
        if let (Some(next), Some(_)) = (next, log_id) {
            if next.statements.is_ok() {
                self.journal
                    .prestart(self.db.as_mut(), &next.record, false)?;
            }
        }
        // A live server commits the record now: the step's SQL took effect, its
        // record must too.
        if self.caps.commits_each_record || !self.whole_run_transaction() {
            self.commit()?;
        }
        Ok(())
    }

    /// The same statements as `record_outside` and the COMMIT, sent together:
    /// one round trip. A version-table statement that must match one row is
    /// followed by the dialect's guard, which stops the message before the
    /// COMMIT when it did not.
    fn record_in_one_message(
        &mut self,
        next: Option<&PlannedStep<'_>>,
        log_id: Option<i64>,
        ops: &[crate::dialect::VersionOp],
        started: Instant,
        n: usize,
        digest: &StatementsDigest,
    ) -> Result<(), RunError> {
        let dialect = self.db.dialect();
        let guard = dialect.one_row_guard();
        let mut batch = vec!["START TRANSACTION".to_string()];
        let mut parts = vec![BatchPart::Begin];
        for (k, op) in ops.iter().enumerate() {
            batch.push(dialect.version_op_literal(&self.table, op));
            parts.push(BatchPart::Version);
            if let (true, Some(guard)) = (op.expects_one_row(), guard) {
                batch.push(guard.to_string());
                parts.push(BatchPart::Guard(k));
            }
        }
        if let Some(sql) =
            self.journal
                .finished_literal(log_id, started.elapsed().as_millis(), n, digest)
        {
            batch.push(sql);
            parts.push(BatchPart::Log);
        }
        if let Some(next) = next.filter(|n| n.statements.is_ok()) {
            if let Some(insert) = self
                .journal
                .prestart(self.db.as_mut(), &next.record, true)?
            {
                batch.push(insert);
                parts.push(BatchPart::Log);
            }
        }
        batch.push("COMMIT".to_string());
        parts.push(BatchPart::Commit);
        self.in_tx = true;
        let Err((i, error)) = self.db.execute_many(&batch) else {
            self.in_tx = false;
            return Ok(());
        };
        Err(match parts.get(i) {
            Some(BatchPart::Guard(k)) => {
                // Nothing after the guard ran: roll back, then count what the
                // statement matched, for the message.
                self.rollback();
                let found = self.version_rows_matching(&ops[*k]);
                self.version_count_error(&ops[*k], found)
            }
            Some(BatchPart::Version) => RunError::Db {
                doing: Doing::UpdatingVersionTable(batch[i].clone()),
                error,
            },
            Some(BatchPart::Begin) => RunError::Db {
                doing: Doing::StartingTransaction,
                error,
            },
            Some(BatchPart::Commit) => RunError::Db {
                doing: Doing::Committing,
                error,
            },
            Some(BatchPart::Log) | None => RunError::Db {
                doing: Doing::WritingAuditLog(self.journal.table().unwrap_or_default().to_string()),
                error,
            },
        })
    }
}
