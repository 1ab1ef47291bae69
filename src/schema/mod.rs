//! Schemas as values: the normalized model the backends' catalog readers
//! fill (`model`), the difference between two of them (`diff`), and the
//! order and hazards of the changes (`plan`). Each backend writes the
//! changes as its own SQL (`Ddl`). Pure: catalogs in, statements out.
//!
//! `migrate` never parses a schema: both sides of a comparison are real
//! schemas, read from a server's catalog after the SQL ran there.

pub mod diff;
pub mod model;
pub mod plan;
pub mod renames;
#[cfg(test)]
mod tests;

pub use diff::{AlterSupport, Change, Position, Renames};
pub use model::Catalog;

use std::fmt;

/// A change a database's SQL cannot express, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// What was asked (`change the partitioning of table events`).
    pub what: String,
    /// Why it cannot be done, and what to do instead.
    pub why: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {}: {}", self.what, self.why)
    }
}

impl std::error::Error for Unsupported {}

/// How a database writes schema changes as SQL (each backend has one).
pub trait Ddl {
    /// What its `ALTER TABLE` can do in place.
    fn alter_support(&self) -> AlterSupport;
    /// True when `ALTER TABLE` makes `change` in place; a table with any
    /// change that is not is rebuilt instead (`Change::RebuildTable`).
    fn in_place(&self, change: &Change) -> bool {
        self.alter_support().in_place(change)
    }
    /// `text`, a definition read from the catalog (an index, a constraint, a
    /// generated expression, a trigger), with the names `renamed` (old, new)
    /// replaced as the server's own `RENAME` rewrites what refers to a
    /// renamed table or column: the diff compares that with the desired
    /// definition, so a rename alone changes nothing else. By default
    /// nothing is replaced, and what names a renamed table or column is made again.
    fn rename_in(&self, text: &str, renamed: &[(String, String)]) -> String {
        let _ = renamed;
        text.to_string()
    }
    /// The name a key, check or index of a renamed table takes where the
    /// backend's `RenameTable` renames it with the table (PostgreSQL: those
    /// named after the table, `accounts_pkey` → `users_pkey`): the diff
    /// compares it under that name. By default names stay.
    fn renamed_with_table(&self, name: &str, old_table: &str, new_table: &str) -> Option<String> {
        let _ = (name, old_table, new_table);
        None
    }
    /// True when a new table's foreign keys are added after every table is
    /// created (`ALTER TABLE … ADD`), and those between tables dropped
    /// together are dropped before them: tables may then reference each
    /// other in any order, in a cycle too. False: they stay in the table's
    /// `CREATE TABLE`.
    fn foreign_keys_after_tables(&self) -> bool {
        false
    }
    /// The statements of one change; `from` and `to` are the whole schemas
    /// before and after (for what a change needs to know of the others).
    fn render(
        &self,
        change: &Change,
        from: &Catalog,
        to: &Catalog,
    ) -> Result<Vec<String>, Unsupported>;
}

/// The SQL that turns one schema into another, and what in it can lose
/// data or fail on existing rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Migration {
    pub statements: Vec<String>,
    pub warnings: Vec<String>,
}

impl Migration {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// The migration from `from` to `to` as `ddl` writes it.
pub fn migration(
    from: &Catalog,
    to: &Catalog,
    renames: &Renames,
    ddl: &dyn Ddl,
) -> Result<Migration, Unsupported> {
    let changes = plan::order(diff::diff(from, to, renames, ddl), from, to);
    let mut m = Migration::default();
    for change in &changes {
        if let Some(h) = plan::hazard(change) {
            m.warnings.push(h);
        }
        m.statements.extend(ddl.render(change, from, to)?);
    }
    Ok(m)
}
