//! What the audit log holds, as values: a table of `migrate`'s own beside the
//! version table (`<version_table>_log` unless `log_table` says otherwise),
//! one row per applied, reverted or stamped revision. It never touches the
//! version table, so Alembic can still take over the database.
//!
//! Each row keeps the revision's SQL as it ran and its checksum, so `check`
//! can show what changed in a file since it ran, and the statement counter of
//! revisions that run outside a transaction, so a revision that failed
//! half-way can be reported and resumed. Pure: the outcomes, the checksums
//! and the row type; `journal` writes and reads the table. Timestamps are
//! ISO-8601 text in UTC, which every database stores and sorts the same way.

use crate::script::marker;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// `ok`: the revision ran (or was stamped) and the version table says so.
pub const OK: &str = "ok";
/// `running`: started outside a transaction and not finished (or the process died).
pub const RUNNING: &str = "running";
/// `failed`: failed outside a transaction; the statements before the failing one stay applied.
pub const FAILED: &str = "failed";
/// `rolled_back`: failed inside a transaction that was rolled back; nothing of it remains.
pub const ROLLED_BACK: &str = "rolled_back";

/// The section text as checksummed and stored: a leading byte-order mark
/// removed, CRLF (and lone CR) turned into LF, trailing whitespace trimmed, so
/// that a checkout on another OS or an editor's final newline changes nothing.
pub fn normalize(text: &str) -> String {
    normalized_text(text).into_owned()
}

/// `normalize` without a copy when the text has no CR and no
/// `-- migrate:lint-ignore` line (the common case). Those lines are left
/// out: adding one to an applied revision is not an edit.
fn normalized_text(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let text = if text.contains("migrate:") && text.lines().any(marker::is_lint_ignore) {
        let mut kept = String::with_capacity(text.len());
        for line in text.split('\n').filter(|l| !marker::is_lint_ignore(l)) {
            kept.push_str(line);
            kept.push('\n');
        }
        Cow::Owned(kept)
    } else {
        text
    };
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim_end()),
        Cow::Owned(t) => Cow::Owned(t.trim_end().to_string()),
    }
}

/// SHA-256 (hex) of the normalized section text.
pub fn checksum(text: &str) -> String {
    hex(&Sha256::digest(normalized_text(text).as_bytes()))
}

/// The section as stored and its checksum, normalizing once.
pub fn normalized(text: &str) -> (Cow<'_, str>, String) {
    let sql = normalized_text(text);
    let sum = hex(&Sha256::digest(sql.as_bytes()));
    (sql, sum)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Checksum of the statements run so far, one after another: what `--resume`
/// compares to make sure the statements it skips are the ones that ran.
#[derive(Clone, Default)]
pub struct StatementsDigest(Sha256);

impl StatementsDigest {
    pub fn new() -> StatementsDigest {
        StatementsDigest(Sha256::new())
    }

    /// Adds one statement (its text, normalized as sections are).
    pub fn push(&mut self, statement: &str) {
        self.0.update(normalized_text(statement).as_bytes());
        self.0.update([0u8]);
    }

    /// The checksum of the statements pushed so far.
    pub fn hex(&self) -> String {
        hex(&self.0.clone().finalize())
    }

    /// The checksum of the first `n` of `statements`.
    pub fn of<'a>(statements: impl IntoIterator<Item = &'a str>, n: usize) -> String {
        let mut d = StatementsDigest::new();
        for s in statements.into_iter().take(n) {
            d.push(s);
        }
        d.hex()
    }
}

/// Now, as stored in the log: ISO-8601 UTC with microseconds.
pub fn now_iso() -> String {
    iso(chrono::Utc::now())
}

/// A time as stored in the log: ISO-8601 UTC with microseconds.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        // A leap second's nanoseconds run past 1e9; the fraction stays six digits.
        t.nanosecond() % 1_000_000_000 / 1000
    )
}

/// One row of the audit log.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LogRow {
    pub id: i64,
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction: String,
    /// What moved, as the progress line says it (`upgrade a -> b`).
    pub step: String,
    pub message: String,
    /// `ok`, `running`, `failed` or `rolled_back`.
    pub outcome: String,
    /// For a `running`/`failed` row that was dealt with: how (`resumed`, `stamped`, `retried`).
    pub resolution: String,
    /// SHA-256 of the section that ran (the upgrade section for stamps).
    pub checksum: String,
    /// The section's text as it ran (normalized).
    pub sql: String,
    pub statements_done: i64,
    pub statements_total: i64,
    /// Checksum of the statements done (see [`StatementsDigest`]).
    pub done_checksum: String,
    pub failed_statement: Option<i64>,
    pub failed_line: Option<i64>,
    pub failed_excerpt: String,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: Option<i64>,
    pub db_user: String,
    pub client_host: String,
    pub migrate_version: String,
    /// `--tag` of the run that wrote the row (empty without one).
    pub tag: String,
    /// The `-- migrate:lint-ignore` lines of the section that ran (and of
    /// the header), one per line: `line N: RULES: reason`.
    pub lint_ignored: String,
}

impl LogRow {
    /// A failed or interrupted row nobody has dealt with yet, which may have left
    /// part of the revision applied. A failure at the first statement left nothing.
    pub fn is_half_applied(&self) -> bool {
        self.resolution.is_empty()
            && (self.outcome == RUNNING || (self.outcome == FAILED && self.statements_done > 0))
    }

    /// A run was killed or lost its connection during statement
    /// `statements_done + 1`: the server may have finished it or not.
    pub fn outcome_unknown(&self) -> bool {
        self.resolution.is_empty()
            && self.outcome == RUNNING
            && self.statements_done < self.statements_total
    }

    /// A failed row that nothing of which was applied, and nobody resolved yet.
    pub fn is_clean_failure(&self) -> bool {
        self.resolution.is_empty() && self.outcome == FAILED && self.statements_done == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_line_endings_bom_and_trailing_whitespace() {
        let unix = "CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);\n";
        let windows = "\u{feff}CREATE TABLE t (id INT);\r\nINSERT INTO t VALUES (1);\r\n\r\n  ";
        assert_eq!(checksum(unix), checksum(windows));
        assert_ne!(checksum(unix), checksum("CREATE TABLE t (id BIGINT);\n"));
        assert_eq!(checksum(unix).len(), 64);
        // Whitespace inside the SQL still counts.
        assert_ne!(checksum("a\n\nb"), checksum("a\nb"));
    }

    #[test]
    fn lint_ignore_lines_do_not_count_in_the_checksum() {
        let plain = "CREATE INDEX i ON t (a);\nDROP TABLE old;\n";
        let ignored = "CREATE INDEX i ON t (a);\n-- migrate:lint-ignore drop-table archived in ticket 12\r\nDROP TABLE old;\n";
        assert_eq!(checksum(plain), checksum(ignored));
        assert_eq!(normalize(ignored), normalize(plain));
        // Another comment still counts.
        assert_ne!(
            checksum(plain),
            checksum("-- note\nCREATE INDEX i ON t (a);\nDROP TABLE old;")
        );
    }

    #[test]
    fn statements_digest_is_incremental_and_order_sensitive() {
        let mut d = StatementsDigest::new();
        d.push("CREATE TABLE a (x INT)");
        let one = d.hex();
        d.push("CREATE TABLE b (x INT)");
        assert_eq!(one, StatementsDigest::of(["CREATE TABLE a (x INT)"], 1));
        assert_eq!(
            d.hex(),
            StatementsDigest::of(["CREATE TABLE a (x INT)", "CREATE TABLE b (x INT)", "z"], 2)
        );
        assert_ne!(
            d.hex(),
            StatementsDigest::of(["CREATE TABLE b (x INT)", "CREATE TABLE a (x INT)"], 2)
        );
        // Statement boundaries count: "ab" is not "a" then "b".
        assert_ne!(
            StatementsDigest::of(["ab"], 1),
            StatementsDigest::of(["a", "b"], 2)
        );
    }

    #[test]
    fn half_applied_means_something_may_remain() {
        let row = |outcome: &str, done: i64, resolution: &str| LogRow {
            outcome: outcome.into(),
            statements_done: done,
            resolution: resolution.into(),
            ..Default::default()
        };
        assert!(row(RUNNING, 0, "").is_half_applied());
        assert!(row(FAILED, 2, "").is_half_applied());
        assert!(!row(FAILED, 0, "").is_half_applied());
        assert!(row(FAILED, 0, "").is_clean_failure());
        assert!(!row(FAILED, 2, "stamped").is_half_applied());
        assert!(!row(OK, 3, "").is_half_applied());
        assert!(!row(ROLLED_BACK, 3, "").is_half_applied());
        let mut interrupted = row(RUNNING, 1, "");
        interrupted.statements_total = 3;
        assert!(interrupted.outcome_unknown());
        interrupted.statements_done = 3;
        assert!(!interrupted.outcome_unknown());
    }
}
