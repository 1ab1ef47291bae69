//! `stamp`: the version table moved as the stamp plan says, no revision run,
//! each move recorded in the audit log; stamping a half-applied revision
//! (or its parent) by name marks it resolved.

use super::error::{HalfApplied, RunError};
use super::plan::Record;
use super::step::{self, VersionOp};
use super::{audit, MigrationContext};
use crate::runtime::error::Doing;
use crate::script::revision::StampStep;
use crate::script::ScriptDirectory;

impl MigrationContext {
    /// Stamps: writes the version table as `plan` says, running no revision.
    /// `targets` are the revisions as the user wrote them: stamping a
    /// half-applied revision (or its parent) by name resolves it.
    pub fn run_stamp(
        &mut self,
        scripts: &ScriptDirectory,
        purge: bool,
        targets: &[String],
        plan: impl FnOnce(&[String]) -> Result<Vec<StampStep>, RunError>,
    ) -> Result<(), RunError> {
        let mut rows = self.start_writing()?;
        let mut resolves: Vec<(i64, &str)> = Vec::new();
        for row in self.unresolved()? {
            if !row.is_half_applied() {
                resolves.push((row.id, "stamped"));
            } else if purge {
                resolves.push((row.id, "stamped (--purge)"));
            } else if stamp_names(scripts, targets, &row.revision) {
                resolves.push((row.id, "stamped"));
            } else {
                return Err(RunError::HalfApplied(Box::new(HalfApplied::new(
                    &row,
                    scripts,
                    self.db.kind(),
                ))));
            }
        }
        // The version-table rows and their log rows commit together.
        if !self.in_tx && self.caps.audit_log {
            self.begin()?;
        }
        if purge {
            self.apply_ops(&[VersionOp::DeleteAll])?;
            rows.clear();
        }
        for st in &plan(&rows)? {
            let line = format!("Running {}", st.short_log());
            self.progress.line(&line);
            self.db
                .comment(&line)
                .map_err(RunError::db(Doing::WritingOutput))?;
            let ops =
                step::apply_stamp(&scripts.map, st, &mut rows).map_err(|error| RunError::Step {
                    table: self.table.name.clone(),
                    error,
                })?;
            self.apply_ops(&ops)?;
            for rec in stamp_records(scripts, st) {
                self.journal.stamped(self.db.as_mut(), &rec)?;
            }
        }
        for (id, how) in &resolves {
            self.journal.resolve(self.db.as_mut(), *id, how)?;
        }
        self.finish_writing()
    }
}

/// What the audit log records of a stamp step: one row per revision it moves
/// to (or away from, to base), with the upgrade section of those it moves to.
fn stamp_records(scripts: &ScriptDirectory, st: &StampStep) -> Vec<Record> {
    let (revs, with_sql) = if st.to.is_empty() {
        (&st.from, false)
    } else {
        (&st.to, true)
    };
    revs.iter()
        .map(|rev| {
            let script = scripts.script(rev);
            let text = match (script, with_sql) {
                (Some(s), true) => s.file.upgrade.text.as_str(),
                _ => "",
            };
            let (sql, mut checksum) = audit::normalized(text);
            if text.is_empty() {
                checksum.clear();
            }
            Record {
                revision: rev.clone(),
                direction_name: "stamp",
                step: st.short_log(),
                message: script.map_or(String::new(), |s| s.file.message.clone()),
                sql: sql.into_owned(),
                checksum,
                total: 0,
                lint_ignored: String::new(),
            }
        })
        .collect()
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
