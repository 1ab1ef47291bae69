//! The data checks of a revision: its `-- migrate:test` section, run by
//! `migrate test` on the scratch database after the revision's upgrade.
//! Every statement must succeed; a query (`SELECT`, `VALUES`, `WITH`) is an
//! assertion, which fails when it returns no row or its first column is
//! false, zero or NULL: `SELECT count(*) = 3 FROM t` reads the same on
//! PostgreSQL (a boolean), MySQL/MariaDB and SQLite (an integer).
//!
//! What a check is and what its answer means is pure; running the
//! statements uses the `Database` primitives only.

use crate::dialect::{Database, DbError};
use crate::script::file::Section;
use crate::Kind;
use std::fmt;

/// Why a data check failed.
#[derive(Debug, Clone)]
pub(crate) enum Why {
    /// The section cannot be split into statements.
    Split(String),
    /// The statement failed.
    Failed(DbError),
    /// The query returned no row.
    NoRow,
    /// The query's first column is NULL.
    Null,
    /// The query's first column is false or zero (the value as the server wrote it).
    False(String),
    /// Ctrl-C stopped it.
    Interrupted,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Split(e) => write!(f, "cannot split the test section into statements: {e}"),
            Why::Failed(e) => write!(f, "the statement failed: {e}"),
            Why::NoRow => f.write_str("the check returned no row"),
            Why::Null => f.write_str("the check returned NULL"),
            Why::False(v) => write!(f, "the check returned {v}"),
            Why::Interrupted => f.write_str("interrupted (Ctrl-C)"),
        }
    }
}

/// A data check that failed, and where it is in the revision file.
#[derive(Debug, Clone)]
pub(crate) struct CheckFailure {
    /// 1-based line and column of the statement in the file.
    pub line: usize,
    pub column: usize,
    /// The statement, shortened for a message.
    pub excerpt: String,
    pub why: Why,
}

/// True when `statement` (as the splitter gives it: no comment before it)
/// is a query whose answer is checked.
pub(crate) fn is_query(statement: &str) -> bool {
    let t = statement.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    let word: String = t
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(word.as_str(), "SELECT" | "VALUES" | "WITH")
}

/// The verdict on a query's first row's first column (`None`: no row).
#[allow(clippy::option_option)] // no row, a NULL, a value
pub(crate) fn verdict(first: Option<Option<String>>) -> Result<(), Why> {
    match first {
        None => Err(Why::NoRow),
        Some(None) => Err(Why::Null),
        Some(Some(v)) if is_false(&v) => Err(Why::False(v)),
        Some(Some(_)) => Ok(()),
    }
}

/// False, as the three databases write it: `false`/`f` (PostgreSQL's
/// boolean), or a number equal to zero (`0`, `0.00`).
fn is_false(value: &str) -> bool {
    let v = value.trim();
    v.eq_ignore_ascii_case("false")
        || v.eq_ignore_ascii_case("f")
        || v.parse::<f64>().is_ok_and(|x| x == 0.0)
}

/// Runs the section's statements in order on `db`; the number run, or the
/// first that failed.
pub(crate) fn run(
    db: &mut dyn Database,
    section: &Section,
    kind: Kind,
) -> Result<usize, CheckFailure> {
    let statements = crate::sql::split(&section.text, kind).map_err(|e| {
        // Lines in the file, as the statements' are.
        let e = e.shifted(section.first_line.saturating_sub(1));
        let (line, column) = e.position();
        CheckFailure {
            line,
            column,
            excerpt: String::new(),
            why: Why::Split(e.to_string()),
        }
    })?;
    for s in &statements {
        let fail = |why: Why| CheckFailure {
            line: section.first_line + s.line - 1,
            column: s.column,
            excerpt: crate::runtime::error::excerpt(&s.text),
            why,
        };
        if crate::interrupt::interrupted() {
            return Err(fail(Why::Interrupted));
        }
        // The scratch database is disposable: Ctrl-C stops a check at once.
        let cancel = db.canceller();
        let result = crate::interrupt::cancellable(cancel, || {
            if is_query(&s.text) {
                db.query_first(&s.text).map(Some)
            } else if s.compound {
                db.execute_compound(&s.text).map(|()| None)
            } else {
                db.execute(&s.text).map(|()| None)
            }
        });
        match result {
            Err(_) if crate::interrupt::interrupted() => return Err(fail(Why::Interrupted)),
            Err(e) => return Err(fail(Why::Failed(e))),
            Ok(Some(first)) => verdict(first).map_err(fail)?,
            Ok(None) => {}
        }
    }
    Ok(statements.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checks_and_other_statements_are_not() {
        for q in [
            "SELECT 1",
            "select count(*) = 0 from t",
            "(SELECT 1) UNION (SELECT 2)",
            "VALUES (1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "Select\n1",
        ] {
            assert!(is_query(q), "{q}");
        }
        for s in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "SELECTED",
            "CREATE TABLE selects (a INT)",
            "",
        ] {
            assert!(!is_query(s), "{s}");
        }
    }

    #[test]
    fn false_zero_null_and_no_row_fail_and_anything_else_passes() {
        let v = |s: &str| Some(Some(s.to_string()));
        for bad in ["false", "f", "FALSE", "0", "0.00", "-0", "0e0", " 0 "] {
            assert!(matches!(verdict(v(bad)), Err(Why::False(_))), "{bad}");
        }
        assert!(matches!(verdict(None), Err(Why::NoRow)));
        assert!(matches!(verdict(Some(None)), Err(Why::Null)));
        for good in ["true", "t", "1", "3", "-1", "0.5", "abc", ""] {
            assert!(verdict(v(good)).is_ok(), "{good}");
        }
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(Why::NoRow.to_string(), "the check returned no row");
        assert_eq!(Why::False("0".into()).to_string(), "the check returned 0");
    }
}
