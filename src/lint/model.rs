//! What the engine knows of the schema while it walks the revisions in
//! order: the tables and columns their statements created, which of them
//! are new (created in the revision being checked, or in one the database
//! has not applied yet), and the checks and indexes that later rules look
//! at. Pure; only statements the parser read change it.

use super::classify::{Action, Column, Constraint, Op};
use std::collections::BTreeMap;

/// A table as the revisions made it.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: BTreeMap<String, Col>,
    /// Created in the revision being checked or in one not applied yet.
    pub new: bool,
}

/// A column as the revisions made it.
#[derive(Clone, Debug, Default)]
pub struct Col {
    pub def: Column,
    /// Added in the revision being checked or in one not applied yet.
    pub new: bool,
}

/// The schema the revisions walked so far made.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub tables: BTreeMap<String, Table>,
    /// `CHECK (col IS NOT NULL)` constraints: name → (table, column, validated).
    pub not_null_checks: BTreeMap<String, (String, String, bool)>,
    /// Indexes: name → (table, the plain columns it covers).
    pub indexes: BTreeMap<String, (String, Vec<String>)>,
}

impl Model {
    /// Whether `table` is new: created where no row of it can exist yet.
    pub fn is_new(&self, table: &str) -> bool {
        self.tables.get(table).is_some_and(|t| t.new)
    }

    /// Whether `table.column` is new.
    pub fn is_new_column(&self, table: &str, column: &str) -> bool {
        self.is_new(table)
            || self
                .tables
                .get(table)
                .and_then(|t| t.columns.get(column))
                .is_some_and(|c| c.new)
    }

    /// The column as the revisions declared it, if known.
    pub fn column(&self, table: &str, column: &str) -> Option<&Column> {
        Some(&self.tables.get(table)?.columns.get(column)?.def)
    }

    /// Whether an index covers `table.column` (SQLite cannot drop it then).
    pub fn is_indexed(&self, table: &str, column: &str) -> bool {
        self.indexes
            .values()
            .any(|(t, cols)| t == table && cols.iter().any(|c| c == column))
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` exists on the table.
    pub fn has_valid_not_null_check(&self, table: &str, column: &str) -> bool {
        self.not_null_checks
            .values()
            .any(|(t, c, valid)| t == table && c == column && *valid)
    }

    /// Applies what `op` does; `new` marks what it creates as new.
    pub fn apply(&mut self, op: &Op, new: bool) {
        match op {
            Op::CreateTable { table, columns } => {
                let mut t = Table {
                    new,
                    ..Table::default()
                };
                for c in columns {
                    t.columns.insert(
                        c.name.clone(),
                        Col {
                            def: c.clone(),
                            new,
                        },
                    );
                }
                self.tables.insert(table.clone(), t);
            }
            Op::CreateIndex {
                table,
                name,
                columns,
                ..
            } => {
                let name = name
                    .clone()
                    .unwrap_or_else(|| format!("{table}({})", columns.join(",")));
                self.indexes.insert(name, (table.clone(), columns.clone()));
            }
            Op::DropIndex { names } => {
                for n in names {
                    self.indexes.remove(n);
                }
            }
            Op::DropTable { tables } => {
                for t in tables {
                    self.tables.remove(t);
                    self.indexes.retain(|_, (on, _)| on != t);
                }
            }
            Op::RenameTable { from, to } => self.rename(from, to),
            Op::AlterTable { table, actions } => {
                for a in actions {
                    self.alter(table, a, new);
                }
            }
            _ => {}
        }
    }

    fn rename(&mut self, from: &str, to: &str) {
        if let Some(t) = self.tables.remove(from) {
            self.tables.insert(to.to_string(), t);
        }
    }

    fn alter(&mut self, table: &str, a: &Action, new: bool) {
        match a {
            Action::RenameTo(to) => self.rename(table, to),
            Action::AddConstraint {
                name: Some(name),
                kind:
                    Constraint::Check {
                        not_null_of: Some(col),
                    },
                not_valid,
            } => {
                self.not_null_checks
                    .insert(name.clone(), (table.to_string(), col.clone(), !not_valid));
            }
            Action::ValidateConstraint(name) => {
                if let Some(c) = self.not_null_checks.get_mut(name) {
                    c.2 = true;
                }
            }
            Action::DropConstraint(name) => {
                self.not_null_checks.remove(name);
            }
            _ => {}
        }
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        match a {
            Action::AddColumn(c) => {
                t.columns.insert(
                    c.name.clone(),
                    Col {
                        def: c.clone(),
                        new,
                    },
                );
            }
            Action::DropColumn(names) => {
                for n in names {
                    t.columns.remove(n);
                }
            }
            Action::RenameColumn { from, to } => {
                if let Some(mut c) = t.columns.remove(from) {
                    c.def.name = to.clone();
                    t.columns.insert(to.clone(), c);
                }
            }
            Action::ColumnType {
                column,
                data_type,
                ty,
            } => {
                if let Some(c) = t.columns.get_mut(column) {
                    c.def.data_type = data_type.clone();
                    c.def.ty = ty.clone();
                }
            }
            Action::SetNotNull(column) => {
                if let Some(c) = t.columns.get_mut(column) {
                    c.def.not_null = true;
                }
            }
            Action::Redefine { column, new: def } => {
                let was_new = t.columns.remove(column).is_some_and(|c| c.new);
                t.columns.insert(
                    def.name.clone(),
                    Col {
                        def: def.clone(),
                        new: was_new || new,
                    },
                );
            }
            _ => {}
        }
    }
}
