//! What each database adds to the shared rules: its own rules over one
//! statement (what locks, rewrites, copies or certainly fails there), and
//! how to read the facts a finding depends on (the server's version, which
//! tables are empty by its estimate, its `lock_timeout`). One module per
//! database; [`rules_for`] is the one place that picks by [`Kind`].

mod mysql;
mod postgres;
mod sqlite;

use super::cx::{Cx, Facts};
use super::rules::RuleId;
use crate::dialect::{Database, DbError};
use crate::Kind;

/// One rule's finding on a statement, before the policy is applied.
pub struct Hit {
    pub rule: RuleId,
    /// What it is about (`table users`, `table users, column email`).
    pub subject: String,
}

impl Hit {
    pub fn new(rule: RuleId, subject: &str) -> Hit {
        Hit {
            rule,
            subject: subject.to_string(),
        }
    }

    /// A finding about `table` (the engine lowers it when the table is empty).
    pub fn table(rule: RuleId, table: &str) -> Hit {
        Hit::new(rule, &format!("table {table}"))
    }
}

/// A database's own rules and facts.
pub trait Rules: Sync {
    /// Checks an upgrade statement (`cx.stmts[cx.at]`).
    fn upgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>);
    /// Checks a downgrade statement: only what certainly fails there, and
    /// what the database adds to every section.
    fn downgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>);
    /// Reads the server's facts on a connection that only reads.
    fn facts(&self, db: &mut dyn Database) -> Result<Facts, DbError>;
    /// What is known without a database.
    fn facts_offline(&self) -> Facts {
        Facts::default()
    }
}

/// The rules of `kind`.
pub fn rules_for(kind: Kind) -> &'static dyn Rules {
    match kind {
        Kind::Postgres => &postgres::Postgres,
        Kind::MySql => &mysql::MySql,
        Kind::Sqlite => &sqlite::Sqlite,
    }
}

/// `15.4 (Debian …)`, `10.11.6-MariaDB-0+deb12u1`, `3.46.0` as numbers.
pub(crate) fn version_numbers(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default()
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_read_as_the_servers_print_them() {
        assert_eq!(super::version_numbers("15.4 (Debian 15.4-1)"), [15, 4]);
        assert_eq!(
            super::version_numbers("10.11.6-MariaDB-0+deb12u1"),
            [10, 11, 6]
        );
        assert_eq!(super::version_numbers("8.0.36"), [8, 0, 36]);
    }
}
