//! The audit log: a table of `migrate`'s own beside the version table
//! (`<version_table>_log` unless `log_table` says otherwise), one row per
//! applied, reverted or stamped revision. It never touches the version table,
//! so Alembic can still take over the database.
//!
//! Each row keeps the revision's SQL as it ran and its checksum, so `check`
//! can show what changed in a file since it ran, and the statement counter of
//! revisions that run outside a transaction, so a revision that failed half-way
//! can be reported and resumed. Everything is written through the `Database`
//! primitives (`execute_params`, `query_column`); the only per-database detail,
//! the type of long text, is data on `Kind`. Timestamps are ISO-8601 text in
//! UTC, which every database stores and sorts the same way.

use crate::dialect::{Database, DbError, Kind, VersionTable};
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

/// `normalize` without a copy when the text has no CR (the common case).
fn normalized_text(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        Cow::Owned(text.trim_end().to_string())
    } else {
        Cow::Borrowed(text.trim_end())
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
}

impl LogRow {
    /// A failed or interrupted row nobody has dealt with yet, which may have left
    /// part of the revision applied. A failure at the first statement left nothing.
    pub fn is_half_applied(&self) -> bool {
        self.resolution.is_empty()
            && (self.outcome == RUNNING || (self.outcome == FAILED && self.statements_done > 0))
    }

    /// A failed row that nothing of which was applied, and nobody resolved yet.
    /// A run was killed or lost its connection during statement
    /// `statements_done + 1`: the server may have finished it or not.
    pub fn outcome_unknown(&self) -> bool {
        self.resolution.is_empty()
            && self.outcome == RUNNING
            && self.statements_done < self.statements_total
    }

    pub fn is_clean_failure(&self) -> bool {
        self.resolution.is_empty() && self.outcome == FAILED && self.statements_done == 0
    }
}

/// The columns, in table order.
const COLUMNS: &[&str] = &[
    "id",
    "revision",
    "direction",
    "step",
    "message",
    "outcome",
    "resolution",
    "checksum",
    "sql_text",
    "statements_done",
    "statements_total",
    "done_checksum",
    "failed_statement",
    "failed_line",
    "failed_excerpt",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
    "db_user",
    "client_host",
    "migrate_version",
];

/// The columns a new row sets, in order, and whether each holds a number.
const INSERT_COLUMNS: [(&str, bool); 18] = [
    ("id", true),
    ("revision", false),
    ("direction", false),
    ("step", false),
    ("message", false),
    ("outcome", false),
    ("resolution", false),
    ("checksum", false),
    ("sql_text", false),
    ("statements_done", true),
    ("statements_total", true),
    ("done_checksum", false),
    ("started_at", false),
    ("finished_at", false),
    ("duration_ms", true),
    ("db_user", false),
    ("client_host", false),
    ("migrate_version", false),
];

/// A new row's values, in `INSERT_COLUMNS` order, as text; None is NULL.
type RowValues = [Option<String>; 18];

/// Rows `defer` holds before writing them (a bound on the memory they take),
/// and the most one INSERT writes (18 parameters each: far below every
/// database's limit).
const ROWS_PER_INSERT: usize = 128;

/// What a new row says when it is written.
pub struct NewRow<'a> {
    pub revision: &'a str,
    pub direction: &'a str,
    pub step: &'a str,
    pub message: &'a str,
    pub outcome: &'a str,
    pub checksum: &'a str,
    pub sql: &'a str,
    pub statements_done: usize,
    pub statements_total: usize,
    pub done_checksum: &'a str,
    pub started_at: &'a str,
    /// Set when the row is written finished (`ok`, `rolled_back`).
    pub finished_at: Option<&'a str>,
    pub duration_ms: Option<u128>,
}

/// Where a statement failed, for the row.
pub struct Failure<'a> {
    pub statement: Option<usize>,
    pub line: Option<usize>,
    pub excerpt: &'a str,
    pub error: &'a str,
}

/// The audit log table of one database.
pub struct AuditLog {
    kind: Kind,
    /// Unquoted name (for the existence check).
    name: String,
    /// Quoted, schema-qualified name.
    table: String,
    place: VersionTable,
    /// Who and where, read once per connection.
    session: Option<(String, String)>,
    /// The next row id, read once: only the lock holder writes here.
    next_id: Option<i64>,
    /// Rows taken by `defer`, not written yet.
    pending: Vec<RowValues>,
}

impl AuditLog {
    /// The log table `name` beside the version table.
    pub fn new(kind: Kind, version_table: &VersionTable, name: &str) -> AuditLog {
        AuditLog {
            kind,
            name: name.to_string(),
            table: version_table.qualified(kind, name),
            place: version_table.clone(),
            session: None,
            next_id: None,
            pending: Vec::new(),
        }
    }

    /// The table's name as written in SQL.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `CREATE TABLE` for the log; the same columns everywhere, long text per `Kind`.
    pub fn create_sql(&self) -> String {
        let long = self.kind.long_text_type();
        format!(
            "CREATE TABLE {} (\n    id BIGINT NOT NULL, \n    revision VARCHAR(32) NOT NULL, \n    direction VARCHAR(16) NOT NULL, \n    step TEXT, \n    message TEXT, \n    outcome VARCHAR(16) NOT NULL, \n    resolution VARCHAR(64), \n    checksum VARCHAR(64), \n    sql_text {long}, \n    statements_done BIGINT NOT NULL, \n    statements_total BIGINT NOT NULL, \n    done_checksum VARCHAR(64), \n    failed_statement BIGINT, \n    failed_line BIGINT, \n    failed_excerpt TEXT, \n    error TEXT, \n    started_at VARCHAR(32) NOT NULL, \n    finished_at VARCHAR(32), \n    duration_ms BIGINT, \n    db_user VARCHAR(255), \n    client_host VARCHAR(255), \n    migrate_version VARCHAR(32), \n    CONSTRAINT {} PRIMARY KEY (id)\n)",
            self.table,
            self.kind.quote_ident(&format!("{}_pkc", self.name))
        )
    }

    /// True when the table exists.
    pub fn exists(&self, db: &mut dyn Database) -> Result<bool, DbError> {
        let (q, params) = self.place.exists_query(self.kind, &self.name);
        let p: Vec<&str> = params.iter().map(String::as_str).collect();
        Ok(!db.query_column(&q, &p)?.is_empty())
    }

    /// Creates the table when it is missing.
    pub fn ensure(&self, db: &mut dyn Database) -> Result<(), DbError> {
        if !self.exists(db)? {
            db.execute(&self.create_sql())?;
        }
        Ok(())
    }

    fn next_id(&mut self, db: &mut dyn Database) -> Result<i64, DbError> {
        let id = match self.next_id {
            Some(id) => id,
            None => {
                let v = db.query_column(
                    &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", self.table),
                    &[],
                )?;
                v.first().and_then(|s| s.parse().ok()).unwrap_or(1)
            }
        };
        // Ids of rows a rollback took away are not reused: gaps are harmless.
        self.next_id = Some(id + 1);
        Ok(id)
    }

    fn session(&mut self, db: &mut dyn Database) -> (String, String) {
        if self.session.is_none() {
            self.session = Some(db.session_info());
        }
        self.session.clone().unwrap_or_default()
    }

    /// Writes a new row; returns its id. Ids are taken as MAX + 1: only the
    /// holder of the migration lock writes here.
    pub fn insert(&mut self, db: &mut dyn Database, row: &NewRow<'_>) -> Result<i64, DbError> {
        let (id, values) = self.values(db, row)?;
        self.insert_values(db, std::slice::from_ref(&values))?;
        Ok(id)
    }

    /// Takes a new row whose INSERT may wait until `flush`, which the caller
    /// runs before the transaction the row belongs to commits (and `discard`
    /// when it rolls back). Writing rows together, after the revisions' DDL,
    /// saves a round trip per revision, and on SQLite a statement prepared
    /// again after every schema change. Returns the row's id.
    pub fn defer(&mut self, db: &mut dyn Database, row: &NewRow<'_>) -> Result<i64, DbError> {
        let (id, values) = self.values(db, row)?;
        self.pending.push(values);
        if self.pending.len() >= ROWS_PER_INSERT {
            self.flush(db)?;
        }
        Ok(id)
    }

    /// Writes the rows `defer` took, in id order.
    pub fn flush(&mut self, db: &mut dyn Database) -> Result<(), DbError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        // Where statements do not travel (SQLite), one prepared single-row
        // INSERT run per row costs no round trip and keeps no large statement.
        let per_insert = if self.kind.batches_rows() {
            ROWS_PER_INSERT
        } else {
            1
        };
        for chunk in rows.chunks(per_insert) {
            self.insert_values(db, chunk)?;
        }
        Ok(())
    }

    /// Reads the next id again before the next row: the lock was released and
    /// taken again (SQLite between revisions), so another run may have written rows.
    pub fn forget_next_id(&mut self) {
        self.next_id = None;
    }

    /// True when rows taken by `defer` wait for `flush`.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Forgets the rows `defer` took: their transaction was rolled back.
    pub fn discard(&mut self) {
        self.pending.clear();
    }

    /// The values of a new row, in `INSERT_COLUMNS` order, and its id.
    fn values(
        &mut self,
        db: &mut dyn Database,
        row: &NewRow<'_>,
    ) -> Result<(i64, RowValues), DbError> {
        let id = self.next_id(db)?;
        let (user, host) = self.session(db);
        let text = |s: &str| Some(s.to_string());
        let values: RowValues = [
            Some(id.to_string()),
            text(row.revision),
            text(row.direction),
            text(row.step),
            text(row.message),
            text(row.outcome),
            text(""),
            text(row.checksum),
            text(row.sql),
            Some(row.statements_done.to_string()),
            Some(row.statements_total.to_string()),
            text(row.done_checksum),
            text(row.started_at),
            row.finished_at.map(str::to_string),
            row.duration_ms.map(|d| d.to_string()),
            Some(user),
            Some(host),
            text(env!("CARGO_PKG_VERSION")),
        ];
        Ok((id, values))
    }

    /// One INSERT of `rows`. Every value is bound, so the statement's text
    /// depends only on the number of rows and where NULLs are (prepared once).
    fn insert_values(&self, db: &mut dyn Database, rows: &[RowValues]) -> Result<(), DbError> {
        let mut sql = format!("INSERT INTO {} (", self.table);
        for (i, (col, _)) in INSERT_COLUMNS.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(col);
        }
        sql.push_str(") VALUES ");
        let mut params: Vec<&str> = Vec::with_capacity(rows.len() * INSERT_COLUMNS.len());
        for (r, row) in rows.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (i, (value, (_, number))) in row.iter().zip(INSERT_COLUMNS).enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                match value {
                    Some(v) => {
                        params.push(v);
                        sql.push_str(&if number {
                            self.kind.int_placeholder(params.len())
                        } else {
                            self.kind.placeholder(params.len())
                        });
                    }
                    None => sql.push_str("NULL"),
                }
            }
            sql.push(')');
        }
        db.execute_params(&sql, &params)?;
        Ok(())
    }

    /// One more statement of a running row succeeded.
    pub fn progress(
        &self,
        db: &mut dyn Database,
        id: i64,
        done: usize,
        done_checksum: &str,
    ) -> Result<(), DbError> {
        let k = self.kind;
        db.execute_params(
            &format!(
                "UPDATE {} SET statements_done = {}, done_checksum = {} WHERE id = {}",
                self.table,
                k.int_placeholder(1),
                k.placeholder(2),
                k.int_placeholder(3)
            ),
            &[&done.to_string(), done_checksum, &id.to_string()],
        )?;
        Ok(())
    }

    /// A running row finished well, with `done` statements run (the last
    /// statement's count is recorded here, in the transaction that records
    /// the revision in the version table, rather than by a commit of its own).
    pub fn finish(
        &self,
        db: &mut dyn Database,
        id: i64,
        duration_ms: u128,
        done: usize,
        done_checksum: &str,
    ) -> Result<(), DbError> {
        let now = now_iso();
        let k = self.kind;
        db.execute_params(
            &format!(
                "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {}, statements_done = {}, done_checksum = {} WHERE id = {}",
                self.table,
                k.placeholder(1),
                k.placeholder(2),
                k.int_placeholder(3),
                k.int_placeholder(4),
                k.placeholder(5),
                k.int_placeholder(6)
            ),
            &[
                OK,
                &now,
                &duration_ms.to_string(),
                &done.to_string(),
                done_checksum,
                &id.to_string(),
            ],
        )?;
        Ok(())
    }

    /// `finish` as one statement with its values written in (see `Kind::text_literal`),
    /// to be sent with others in one round trip.
    pub fn finish_sql(
        &self,
        id: i64,
        duration_ms: u128,
        done: usize,
        done_checksum: &str,
    ) -> String {
        let k = self.kind;
        format!(
            "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {duration_ms}, statements_done = {done}, done_checksum = {} WHERE id = {id}",
            self.table,
            k.text_literal(OK),
            k.text_literal(&now_iso()),
            k.text_literal(done_checksum)
        )
    }

    /// `insert` as one statement with its values written in (see
    /// `Kind::text_literal`), to be sent with others in one round trip; and the new row's id.
    pub fn insert_sql(
        &mut self,
        db: &mut dyn Database,
        row: &NewRow<'_>,
    ) -> Result<(i64, String), DbError> {
        let (id, values) = self.values(db, row)?;
        let mut sql = format!("INSERT INTO {} (", self.table);
        for (i, (col, _)) in INSERT_COLUMNS.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(col);
        }
        sql.push_str(") VALUES (");
        for (i, (value, (_, number))) in values.iter().zip(INSERT_COLUMNS).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            match value {
                // Numbers come from integers formatted by `values`: digits only.
                Some(v) if number => sql.push_str(v),
                Some(v) => sql.push_str(&self.kind.text_literal(v)),
                None => sql.push_str("NULL"),
            }
        }
        sql.push(')');
        Ok((id, sql))
    }

    /// A running row failed.
    pub fn fail(
        &self,
        db: &mut dyn Database,
        id: i64,
        duration_ms: u128,
        f: &Failure<'_>,
    ) -> Result<(), DbError> {
        let now = now_iso();
        let k = self.kind;
        let num = |v: Option<usize>| v.map_or("NULL".to_string(), |n| n.to_string());
        db.execute_params(
            &format!(
                "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {duration_ms}, failed_statement = {}, failed_line = {}, failed_excerpt = {}, error = {} WHERE id = {id}",
                self.table,
                k.placeholder(1),
                k.placeholder(2),
                num(f.statement),
                num(f.line),
                k.placeholder(3),
                k.placeholder(4),
            ),
            &[FAILED, &now, f.excerpt, f.error],
        )?;
        Ok(())
    }

    /// Sets where a finished failure row failed (rows written at once as `rolled_back`).
    pub fn set_failure(
        &self,
        db: &mut dyn Database,
        id: i64,
        f: &Failure<'_>,
    ) -> Result<(), DbError> {
        let k = self.kind;
        let num = |v: Option<usize>| v.map_or("NULL".to_string(), |n| n.to_string());
        db.execute_params(
            &format!(
                "UPDATE {} SET failed_statement = {}, failed_line = {}, failed_excerpt = {}, error = {} WHERE id = {id}",
                self.table,
                num(f.statement),
                num(f.line),
                k.placeholder(1),
                k.placeholder(2),
            ),
            &[f.excerpt, f.error],
        )?;
        Ok(())
    }

    /// Marks a failed or running row as dealt with.
    pub fn resolve(&self, db: &mut dyn Database, id: i64, how: &str) -> Result<(), DbError> {
        db.execute_params(
            &format!(
                "UPDATE {} SET resolution = {} WHERE id = {id}",
                self.table,
                self.kind.placeholder(1)
            ),
            &[how],
        )?;
        Ok(())
    }

    /// Every row, newest first; none when the table does not exist. Never writes.
    pub fn rows(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, DbError> {
        if !self.exists(db)? {
            return Ok(Vec::new());
        }
        let max = db.query_column(&format!("SELECT MAX(id) FROM {}", self.table), &[])?;
        let Some(max) = max.first().and_then(|s| s.parse::<i64>().ok()) else {
            return Ok(Vec::new());
        };
        self.read(db, &format!("id <= {max}"))
    }

    /// Rows that failed or were interrupted and are not resolved, newest first.
    pub fn unresolved(&self, db: &mut dyn Database) -> Result<Vec<LogRow>, DbError> {
        if !self.exists(db)? {
            return Ok(Vec::new());
        }
        let ids = db.query_column(
            &format!(
                "SELECT id FROM {} WHERE outcome IN ('{RUNNING}', '{FAILED}') AND (resolution IS NULL OR resolution = '') ORDER BY id DESC",
                self.table
            ),
            &[],
        )?;
        let ids: Vec<i64> = ids.iter().filter_map(|s| s.parse().ok()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        self.read(db, &format!("id IN ({list})"))
    }

    /// Reads the rows matching `condition` (built from numbers only), newest
    /// first, one column per query: the `Database` primitive reads one column,
    /// and the set of rows a condition on ids names does not change between the
    /// queries (rows are never deleted, new ones get higher ids).
    fn read(&self, db: &mut dyn Database, condition: &str) -> Result<Vec<LogRow>, DbError> {
        let mut columns: Vec<Vec<String>> = Vec::with_capacity(COLUMNS.len());
        for col in COLUMNS {
            columns.push(db.query_column(
                &format!(
                    "SELECT {col} FROM {} WHERE {condition} ORDER BY id DESC",
                    self.table
                ),
                &[],
            )?);
        }
        let n = columns.first().map_or(0, Vec::len);
        if columns.iter().any(|c| c.len() != n) {
            return Err(DbError::msg(format!(
                "the audit log {} changed while it was read; run the command again",
                self.table
            )));
        }
        let mut cells: Vec<std::vec::IntoIter<String>> =
            columns.into_iter().map(Vec::into_iter).collect();
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let cell: Vec<String> = cells
                .iter_mut()
                .map(|c| c.next().unwrap_or_default())
                .collect();
            let text = |c: usize| cell[c].clone();
            let int = |c: usize| cell[c].trim().parse::<i64>().ok();
            rows.push(LogRow {
                id: int(0).unwrap_or(0),
                revision: text(1),
                direction: text(2),
                step: text(3),
                message: text(4),
                outcome: text(5),
                resolution: text(6),
                checksum: text(7),
                sql: text(8),
                statements_done: int(9).unwrap_or(0),
                statements_total: int(10).unwrap_or(0),
                done_checksum: text(11),
                failed_statement: int(12),
                failed_line: int(13),
                failed_excerpt: text(14),
                error: text(15),
                started_at: text(16),
                finished_at: text(17),
                duration_ms: int(18),
                db_user: text(19),
                client_host: text(20),
                migrate_version: text(21),
            });
        }
        Ok(rows)
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
    }
}
