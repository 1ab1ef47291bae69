//! What a rule sees of one statement: the statement and its neighbours in
//! the section, the schema the revisions made so far, what earlier
//! statements of the same revision created, and the server's facts. Pure
//! data, filled in by the engine and read by the shared and per-database
//! rules.

use super::classify::{Action, Op};
use super::model::Model;
use crate::Kind;
use std::collections::BTreeSet;

/// What the configured database says, where it was reachable.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The server's version as numbers (`[15, 4]`, `[10, 11, 6]`).
    pub version: Option<Vec<u64>>,
    /// MariaDB rather than MySQL.
    pub mariadb: bool,
    /// Tables the server estimates to hold no rows.
    pub empty_tables: BTreeSet<String>,
    /// PostgreSQL's `lock_timeout` is set for the session already (role or database).
    pub lock_timeout_set: bool,
}

impl Facts {
    /// Whether the version is at least `min` (unknown: None).
    pub fn at_least(&self, min: &[u64]) -> Option<bool> {
        let v = self.version.as_ref()?;
        for (i, m) in min.iter().enumerate() {
            let have = v.get(i).copied().unwrap_or(0);
            if have != *m {
                return Some(have > *m);
            }
        }
        Some(true)
    }
}

/// A statement of a section, where it is in the file, and what it does.
pub struct Stmt {
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub op: Op,
}

/// What a check of one statement sees.
pub struct Cx<'a> {
    pub kind: Kind,
    pub facts: &'a Facts,
    pub model: &'a Model,
    /// The revision runs in a transaction.
    pub transactional: bool,
    /// The statements of the section, and which one this is.
    pub stmts: &'a [Stmt],
    pub at: usize,
    /// `SET name` statements seen earlier in the section.
    pub set: &'a BTreeSet<String>,
    /// What earlier statements of the revision created.
    pub here: &'a Here,
}

impl Cx<'_> {
    /// Whether the table holds rows the revision did not put there.
    pub fn existing(&self, table: &str) -> bool {
        !self.model.is_new(table) && !self.here.tables.contains(table)
    }

    /// Whether the column holds values the revision did not put there.
    pub fn existing_column(&self, table: &str, column: &str) -> bool {
        self.existing(table)
            && !self.model.is_new_column(table, column)
            && !self
                .here
                .columns
                .contains(&(table.to_string(), column.to_string()))
    }
}

/// What earlier statements of the revision being checked created: new
/// even where the database has the revision applied (it has not run yet).
#[derive(Default)]
pub struct Here {
    pub tables: BTreeSet<String>,
    pub columns: BTreeSet<(String, String)>,
}

impl Here {
    pub(super) fn learn(&mut self, op: &Op) {
        match op {
            Op::CreateTable { table, .. } => {
                self.tables.insert(table.clone());
            }
            Op::RenameTable { from, to } if self.tables.contains(from) => {
                self.tables.insert(to.clone());
            }
            Op::AlterTable { table, actions } => {
                for a in actions {
                    match a {
                        Action::AddColumn(c) => {
                            self.columns.insert((table.clone(), c.name.clone()));
                        }
                        Action::RenameTo(to) if self.tables.contains(table) => {
                            self.tables.insert(to.clone());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}
