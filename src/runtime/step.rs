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

pub use crate::dialect::bookkeeping::VersionOp;

/// A step that does not fit the rows it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// An UPDATE whose row is not present.
    UpdateMissing {
        /// Row that should be updated.
        from: String,
        /// Value it should get.
        to: String,
    },
    /// A DELETE whose row is not present.
    DeleteMissing {
        /// Row that should be deleted.
        row: String,
    },
    /// An INSERT (or UPDATE target) whose row is already present.
    RowExists {
        /// The row.
        row: String,
        /// The step's revision.
        revision: String,
    },
    /// The rows do not say which branch the step continues.
    Ambiguous {
        /// The step's revision.
        revision: String,
        /// The rows.
        rows: Vec<String>,
    },
}

impl StepError {
    /// What went wrong, naming the version table `table` (Alembic's words).
    pub fn describe(&self, table: &str) -> String {
        match self {
            StepError::UpdateMissing { from, to } => format!(
                "Online migration expected to match one row when updating '{from}' to '{to}' in '{table}'; 0 found"
            ),
            StepError::DeleteMissing { row } => format!(
                "Online migration expected to match one row when deleting '{row}' in '{table}'; 0 found"
            ),
            StepError::RowExists { row, revision } => format!(
                "Version table already contains '{row}'; the step for {revision} cannot add it again"
            ),
            StepError::Ambiguous { revision, rows } => format!(
                "Can't do an UPDATE for {revision} because its down revision is ambiguous among the current rows ({})",
                rows.join(", ")
            ),
        }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe("alembic_version"))
    }
}

impl std::error::Error for StepError {}

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
    let down_refs: Vec<&str> = downs.iter().map(String::as_str).collect();
    match step.direction {
        Direction::Up => {
            let present = downs.iter().filter(|d| in_heads(d)).count();
            if downs.is_empty() || present == 0 {
                w.insert(rev)?;
            } else if downs.len() > 1 && present > 1 {
                // Merge: keep the down revisions not implied by other rows.
                let rowed: Vec<&String> = downs.iter().filter(|d| in_heads(d)).collect();
                let has_others = snapshot.iter().any(|h| !downs.contains(h));
                // Alembic also picks down revisions that are no row (a
                // `Depends On` naming an ancestor) and then fails with a
                // KeyError; only rows can be deleted or updated.
                let from: Vec<&String> = if has_others {
                    let cands: Vec<&str> = rowed.iter().map(|d| d.as_str()).collect();
                    let implied = map.implied_by_other_rows(&snapshot, &down_refs, &cands);
                    rowed
                        .iter()
                        .zip(implied)
                        .filter(|(_, imp)| !imp)
                        .map(|(d, _)| *d)
                        .collect()
                } else {
                    rowed
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
            // Alembic's `_unmerge_to_revisions`: the down revisions not
            // implied by the other rows (or, with none, by each other).
            let unmerge_to: Vec<String> = if !is_row || downs.is_empty() {
                Vec::new()
            } else if snapshot.iter().any(|h| h.as_str() != rev) {
                let implied = map.implied_by_other_rows(&snapshot, &[rev], &down_refs);
                downs
                    .iter()
                    .zip(implied)
                    .filter(|(_, imp)| !imp)
                    .map(|(d, _)| d.clone())
                    .collect()
            } else if downs.len() == 1 {
                downs.clone()
            } else {
                let implied = map.down_revisions_implied_by_siblings(&snapshot, rev);
                downs
                    .iter()
                    .zip(implied.into_iter().chain(std::iter::repeat(false)))
                    .filter(|(_, imp)| !imp)
                    .map(|(d, _)| d.clone())
                    .collect()
            };
            if is_row && (downs.is_empty() || unmerge_to.is_empty()) {
                w.delete(rev)?;
            } else if is_row && downs.len() > 1 {
                let Some((last, rest)) = unmerge_to.split_last() else {
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
    let mut added: Vec<&str> = Vec::new();
    let mut removed: Vec<&str> = Vec::new();
    for op in &w.ops {
        match op {
            VersionOp::Insert(x) => added.push(x),
            VersionOp::Update { from, to } => {
                added.push(to);
                removed.push(from);
            }
            VersionOp::Delete(x) => removed.push(x),
            VersionOp::DeleteAll => {}
        }
    }
    map.rows_moved(&snapshot, &added, &removed, w.rows);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::revision::RevisionInfo;
    use proptest::prelude::*;

    /// A random DAG: each revision revises 0–2 earlier ones, may depend on
    /// one more earlier one, and may carry a label.
    fn graph() -> impl Strategy<Value = Vec<RevisionInfo>> {
        (1usize..18)
            .prop_flat_map(|n| {
                proptest::collection::vec(
                    (
                        any::<u16>(),
                        any::<u16>(),
                        any::<u16>(),
                        0u8..10,
                        any::<bool>(),
                    ),
                    n,
                )
            })
            .prop_map(|spec| {
                let id = |i: usize| format!("{:04x}{:08x}", 0xa000 + i * 37, i * 7919);
                let mut revs = Vec::new();
                for (i, &(p1, p2, dp, kind, lab)) in spec.iter().enumerate() {
                    let mut down = Vec::new();
                    if i > 0 && kind > 1 {
                        down.push(id(p1 as usize % i));
                        if kind > 7 {
                            let second = id(p2 as usize % i);
                            if !down.contains(&second) {
                                down.push(second);
                            }
                        }
                    }
                    let mut deps = Vec::new();
                    if i > 1 && kind % 3 == 0 {
                        let d = id(dp as usize % i);
                        if !down.contains(&d) {
                            deps.push(d);
                        }
                    }
                    let labels = if lab && kind == 4 {
                        vec![format!("l{i}")]
                    } else {
                        Vec::new()
                    };
                    revs.push(RevisionInfo {
                        id: id(i),
                        down_revisions: down,
                        branch_labels: labels,
                        depends_on: deps,
                        doc: format!("r{i}"),
                        ..Default::default()
                    });
                }
                revs
            })
    }

    fn targets(map: &RevisionMap) -> Vec<String> {
        let mut t: Vec<String> = [
            "head", "heads", "base", "+1", "-1", "+2", "-2", "heads+1", "head-1", "base+1",
            "current", "", "@", "a", "a000", "l4@head", "l4@base", "l4@+1", "l4@-1", "x@y@z", "-",
            "+", "abc:def",
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
        for r in map.revisions().iter().take(4) {
            t.push(r.id.clone());
            t.push(r.id[..5].to_string());
            t.push(format!("{}+1", r.id));
            t.push(format!("{}-1", r.id));
            t.push(format!("{}@head", r.id));
            t.push(format!("{}@{}", r.id, map.revisions()[0].id));
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        #[test]
        fn graphs_upgrade_and_downgrade_consistently(revs in graph()) {
            let map = RevisionMap::new(revs).expect("generated graphs are valid");
            // No panic from any operation on any target.
            let rows_sets: Vec<Vec<String>> = vec![
                Vec::new(),
                map.heads().iter().map(std::string::ToString::to_string).collect(),
                map.revisions().iter().take(2).map(|r| r.id.clone()).collect(),
            ];
            for t in targets(&map) {
                for rows in &rows_sets {
                    let _ = map.upgrade_plan(rows, &t);
                    let _ = map.downgrade_plan(rows, &t);
                    let _ = map.stamp_plan(rows, std::slice::from_ref(&t), false);
                    let _ = map.history(Some(&format!("{t}:")), rows);
                    let _ = map.history(Some(&format!(":{t}")), rows);
                    let _ = map.show(&t, rows);
                    let _ = map.new_revision_parents(&t, false);
                    let _ = map.effective_current(rows);
                }
            }
            // Upgrade to heads from nothing, step by step.
            let plan = map.upgrade_plan(&[], "heads").expect("upgrade heads");
            let mut rows: Vec<String> = Vec::new();
            for st in &plan {
                apply_step(&map, st, &mut rows).expect("upgrade step");
            }
            let mut got = rows.clone();
            got.sort();
            let mut want: Vec<String> = map.heads().iter().map(std::string::ToString::to_string).collect();
            want.sort();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(plan.len(), map.len());
            let mut cur: Vec<String> = map.effective_current(&rows).expect("current").iter().map(std::string::ToString::to_string).collect();
            cur.sort();
            let mut vheads: Vec<String> = map.versioned_heads().iter().map(std::string::ToString::to_string).collect();
            vheads.sort();
            prop_assert_eq!(cur, vheads);
            // Then back to base: every revision once, after its children and dependents.
            let plan = map.downgrade_plan(&rows, "base").expect("downgrade base");
            let mut reverted: Vec<String> = Vec::new();
            for st in &plan {
                for child in map.revisions().iter().filter(|r| r.down_revisions.contains(&st.revision) || r.depends_on.contains(&st.revision)) {
                    prop_assert!(reverted.contains(&child.id), "{} reverted before its child {}", st.revision, child.id);
                }
                prop_assert!(!reverted.contains(&st.revision));
                reverted.push(st.revision.clone());
                apply_step(&map, st, &mut rows).expect("downgrade step");
            }
            prop_assert!(rows.is_empty(), "rows left: {:?}", rows);
            prop_assert_eq!(reverted.len(), map.len());
        }
    }

    #[test]
    fn missing_row_is_alembics_error() {
        let map = RevisionMap::new(vec![
            RevisionInfo {
                id: "aaaa".into(),
                ..Default::default()
            },
            RevisionInfo {
                id: "bbbb".into(),
                down_revisions: vec!["aaaa".into()],
                ..Default::default()
            },
        ])
        .unwrap();
        let plan = map.upgrade_plan(&["aaaa".to_string()], "head").unwrap();
        let mut rows = vec!["zzzz".to_string(), "aaaa".to_string()];
        assert_eq!(
            apply_step(&map, &plan[0], &mut rows).unwrap(),
            vec![VersionOp::Update {
                from: "aaaa".into(),
                to: "bbbb".into()
            }]
        );
        let mut rows = vec!["cccc".to_string(), "dddd".to_string()];
        // Neither parent is a row: Alembic inserts a new branch row.
        assert_eq!(
            apply_step(&map, &plan[0], &mut rows).unwrap(),
            vec![VersionOp::Insert("bbbb".into())]
        );
        let down = map.downgrade_plan(&["bbbb".to_string()], "base").unwrap();
        let mut rows = vec!["aaaa".to_string()];
        let e = apply_step(&map, &down[0], &mut rows).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Online migration expected to match one row when updating 'bbbb' to 'aaaa' in 'alembic_version'; 0 found"
        );
        assert_eq!(
            e.describe("meta.versions"),
            "Online migration expected to match one row when updating 'bbbb' to 'aaaa' in 'meta.versions'; 0 found"
        );
    }
}
