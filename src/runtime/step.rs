//! Pure head maintenance (Alembic's `HeadMaintainer`): given one migration or
//! stamp step and the current version-table rows, which INSERT, UPDATE and
//! DELETE statements to issue, in order, and what the rows become. No
//! database here: the runtime executes the returned [`VersionOp`]s.
//!
//! Where Alembic iterates a Python set to choose which row to delete and
//! which to update (merges and unmerges), we use the order of the revision's
//! `Revises` list followed by its dependencies, so the statements are
//! deterministic; the resulting set of rows is the same as Alembic's.

use crate::script::revision::{Direction, MigrationStep, RevisionMap, StampStep};

/// One statement on the version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionOp {
    /// `INSERT INTO alembic_version (version_num) VALUES ('x')`.
    Insert(String),
    /// `UPDATE alembic_version SET version_num='to' WHERE version_num = 'from'`.
    Update {
        /// Row before.
        from: String,
        /// Row after.
        to: String,
    },
    /// `DELETE FROM alembic_version WHERE version_num = 'x'`.
    Delete(String),
    /// `DELETE FROM alembic_version` (`stamp --purge`).
    DeleteAll,
}

/// A step that does not fit the rows it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// An UPDATE whose row is not present.
    #[error("Online migration expected to match one row when updating '{from}' to '{to}' in 'alembic_version'; 0 found")]
    UpdateMissing {
        /// Row that should be updated.
        from: String,
        /// Value it should get.
        to: String,
    },
    /// A DELETE whose row is not present.
    #[error("Online migration expected to match one row when deleting '{row}' in 'alembic_version'; 0 found")]
    DeleteMissing {
        /// Row that should be deleted.
        row: String,
    },
    /// An INSERT (or UPDATE target) whose row is already present.
    #[error("Version table already contains '{row}'; the step for {revision} cannot add it again")]
    RowExists {
        /// The row.
        row: String,
        /// The step's revision.
        revision: String,
    },
    /// The rows do not say which branch the step continues.
    #[error("Can't do an UPDATE for {revision} because its down revision is ambiguous among the current rows ({})", .rows.join(", "))]
    Ambiguous {
        /// The step's revision.
        revision: String,
        /// The rows.
        rows: Vec<String>,
    },
}

impl StepError {
    /// The message with the version table's real name.
    pub fn message_for_table(&self, table: &str) -> String {
        self.to_string()
            .replace("'alembic_version'", &format!("'{table}'"))
    }
}

struct Rows<'a> {
    rows: &'a mut Vec<String>,
    ops: Vec<VersionOp>,
    revision: String,
}

impl Rows<'_> {
    fn has(&self, r: &str) -> bool {
        self.rows.iter().any(|x| x == r)
    }
    fn insert(&mut self, r: &str) -> Result<(), StepError> {
        if self.has(r) {
            return Err(StepError::RowExists {
                row: r.to_string(),
                revision: self.revision.clone(),
            });
        }
        self.rows.push(r.to_string());
        self.ops.push(VersionOp::Insert(r.to_string()));
        Ok(())
    }
    fn delete(&mut self, r: &str) -> Result<(), StepError> {
        let Some(p) = self.rows.iter().position(|x| x == r) else {
            return Err(StepError::DeleteMissing { row: r.to_string() });
        };
        self.rows.remove(p);
        self.ops.push(VersionOp::Delete(r.to_string()));
        Ok(())
    }
    fn update(&mut self, from: &str, to: &str) -> Result<(), StepError> {
        let Some(p) = self.rows.iter().position(|x| x == from) else {
            return Err(StepError::UpdateMissing {
                from: from.to_string(),
                to: to.to_string(),
            });
        };
        if from != to && self.has(to) {
            return Err(StepError::RowExists {
                row: to.to_string(),
                revision: self.revision.clone(),
            });
        }
        self.rows[p] = to.to_string();
        self.ops.push(VersionOp::Update {
            from: from.to_string(),
            to: to.to_string(),
        });
        Ok(())
    }
}

/// Alembic's HeadMaintainer rules for a migration step, as a pure function
/// of (step, current rows). Returns the statements in issue order and
/// updates `rows` (new rows are appended; updated rows keep their place).
/// A statement whose row is missing (or already present) is an error.
pub fn apply_step(
    map: &RevisionMap,
    step: &MigrationStep,
    rows: &mut Vec<String>,
) -> Result<Vec<VersionOp>, StepError> {
    let rev = step.revision.as_str();
    let downs: Vec<String> = map
        .normalized_down_revisions(rev)
        .into_iter()
        .map(str::to_string)
        .collect();
    let snapshot = rows.clone();
    let mut w = Rows {
        rows,
        ops: Vec::new(),
        revision: rev.to_string(),
    };
    let in_heads = |r: &String| snapshot.contains(r);
    match step.direction {
        Direction::Up => {
            let present = downs.iter().filter(|d| in_heads(d)).count();
            if downs.is_empty() || present == 0 {
                w.insert(rev)?;
            } else if downs.len() > 1 && present > 1 {
                // Merge: keep the down revisions not implied by other rows.
                let others: Vec<String> = snapshot
                    .iter()
                    .filter(|h| !downs.contains(h))
                    .cloned()
                    .collect();
                let from: Vec<&String> = if others.is_empty() {
                    downs.iter().collect()
                } else {
                    downs
                        .iter()
                        .filter(|d| !map.is_ancestor_of_any(d, &others))
                        .collect()
                };
                let Some((last, rest)) = from.split_last() else {
                    return Err(StepError::Ambiguous {
                        revision: rev.to_string(),
                        rows: snapshot.clone(),
                    });
                };
                for d in rest {
                    w.delete(d)?;
                }
                w.update(last, rev)?;
            } else {
                let d = if downs.len() == 1 {
                    downs[0].clone()
                } else {
                    let hit: Vec<&String> = downs.iter().filter(|d| in_heads(d)).collect();
                    if hit.len() != 1 {
                        return Err(StepError::Ambiguous {
                            revision: rev.to_string(),
                            rows: snapshot.clone(),
                        });
                    }
                    hit[0].clone()
                };
                w.update(&d, rev)?;
            }
        }
        Direction::Down => {
            let is_row = snapshot.iter().any(|h| h == rev);
            let unmerge_to = || -> Vec<String> {
                let others: Vec<String> = snapshot
                    .iter()
                    .filter(|h| h.as_str() != rev)
                    .cloned()
                    .collect();
                if !others.is_empty() {
                    downs
                        .iter()
                        .filter(|d| !map.is_ancestor_of_any(d, &others))
                        .cloned()
                        .collect()
                } else if downs.len() == 1 {
                    downs.clone()
                } else {
                    // Drop targets that are ancestors of another target.
                    downs
                        .iter()
                        .filter(|d| {
                            let rest: Vec<String> =
                                downs.iter().filter(|x| x != d).cloned().collect();
                            !map.is_ancestor_of_any(d, &rest)
                        })
                        .cloned()
                        .collect()
                }
            };
            if is_row && (downs.is_empty() || unmerge_to().is_empty()) {
                w.delete(rev)?;
            } else if is_row && downs.len() > 1 {
                let to = unmerge_to();
                let Some((last, rest)) = to.split_last() else {
                    return Err(StepError::Ambiguous {
                        revision: rev.to_string(),
                        rows: snapshot.clone(),
                    });
                };
                for t in rest {
                    w.insert(t)?;
                }
                w.update(rev, last)?;
            } else {
                let d = if downs.len() == 1 {
                    downs[0].clone()
                } else {
                    let hit: Vec<&String> = downs.iter().filter(|d| in_heads(d)).collect();
                    if hit.len() != 1 {
                        return Err(StepError::Ambiguous {
                            revision: rev.to_string(),
                            rows: snapshot.clone(),
                        });
                    }
                    hit[0].clone()
                };
                w.update(rev, &d)?;
            }
        }
    }
    Ok(w.ops)
}

/// Alembic's HeadMaintainer rules for a stamp step. Returns the statements
/// in issue order and updates `rows`.
pub fn apply_stamp(
    map: &RevisionMap,
    step: &StampStep,
    rows: &mut Vec<String>,
) -> Result<Vec<VersionOp>, StepError> {
    let _ = map;
    let snapshot = rows.clone();
    let label = step
        .to
        .first()
        .or(step.from.first())
        .cloned()
        .unwrap_or_default();
    let mut w = Rows {
        rows,
        ops: Vec::new(),
        revision: label,
    };
    let has = |r: &String| snapshot.contains(r);
    if !step.is_upgrade && step.branch_move {
        if let Some(f) = step.from.first() {
            w.delete(f)?;
        }
    } else if step.is_upgrade
        && (step.branch_move || step.from.iter().any(|f| !has(f)))
        && step.to.iter().any(|t| !has(t))
    {
        if let Some(t) = step.to.first() {
            w.insert(t)?;
        }
    } else if step.from.len() > 1 {
        let Some((last, rest)) = step.from.split_last() else {
            return Ok(w.ops);
        };
        for f in rest {
            w.delete(f)?;
        }
        if let Some(t) = step.to.first() {
            w.update(last, t)?;
        }
    } else if step.to.len() > 1 {
        if let Some((last, rest)) = step.to.split_last() {
            for t in rest {
                w.insert(t)?;
            }
            if let Some(f) = step.from.first() {
                w.update(f, last)?;
            }
        }
    } else if let (Some(f), Some(t)) = (step.from.first(), step.to.first()) {
        w.update(f, t)?;
    }
    Ok(w.ops)
}

/// The operations of `stamp --purge`: `DELETE FROM alembic_version`, after
/// which the stamp steps start from no rows.
pub fn purge(rows: &mut Vec<String>) -> Vec<VersionOp> {
    rows.clear();
    vec![VersionOp::DeleteAll]
}
