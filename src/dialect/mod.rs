//! The databases `migrate` speaks to, behind one `Database` trait of primitives
//! (execute one statement, run a parameterised version-table statement, read a
//! column, take and release the database-wide lock).
//!
//! What differs between databases is data here (`Kind`, `transactional_ddl`,
//! placeholder and quoting style); the policy that uses these primitives
//! (ordering, transactions, bookkeeping) lives once in `runtime`. `connect`
//! picks the implementation by an explicit match on the URL's kind. Offline
//! `--sql` mode is one more implementation that writes SQL instead of running it.

pub mod mysql;
pub mod offline;
pub mod postgres;
pub mod sqlite;
pub mod tls;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::url::DbUrl;
pub use crate::url::Kind;

/// An error from the database, as the server reported it.
#[derive(Debug, Clone)]
pub struct DbError {
    /// The server's own code: SQLSTATE on PostgreSQL, error number on MySQL, extended code on SQLite.
    pub code: Option<String>,
    /// The server's message (never holds a password: connection errors are redacted by the caller).
    pub message: String,
    /// 1-based character position within the statement, where the server gives one (PostgreSQL).
    pub position: Option<usize>,
}

impl DbError {
    pub fn msg(message: impl Into<String>) -> DbError {
        DbError {
            code: None,
            message: message.into(),
            position: None,
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "[{code}] {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DbError {}

/// The primitives each database provides. One method, one SQL action.
pub trait Database {
    /// Which database this is; everything that differs between them is derived from it.
    fn kind(&self) -> Kind;
    /// Runs one statement with no parameters (a revision's statement, BEGIN, COMMIT, DDL).
    fn execute(&mut self, sql: &str) -> Result<(), DbError>;
    /// Runs one statement whose text holds top-level `;` (a MySQL compound statement
    /// from a DELIMITER block). Online it is one statement like any other.
    fn execute_compound(&mut self, sql: &str) -> Result<(), DbError> {
        self.execute(sql)
    }
    /// Writes a comment (offline output only: `-- Running upgrade a -> b`).
    fn comment(&mut self, _text: &str) -> Result<(), DbError> {
        Ok(())
    }
    /// Runs one statement with text parameters bound in order; returns the affected row count.
    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError>;
    /// Runs statements with no parameters in order, in one round trip where the
    /// server takes several at once (`Kind::batches_statements`); returns each
    /// one's affected row count, or the index of the statement that failed with
    /// its error (the ones before it ran, the ones after it did not).
    fn execute_many(&mut self, statements: &[String]) -> Result<Vec<u64>, (usize, DbError)> {
        let mut counts = Vec::with_capacity(statements.len());
        for (i, sql) in statements.iter().enumerate() {
            counts.push(self.execute_params(sql, &[]).map_err(|e| (i, e))?);
        }
        Ok(counts)
    }
    /// Runs a query and returns its first column as text, one entry per row (NULL as empty).
    fn query_column(&mut self, sql: &str, params: &[&str]) -> Result<Vec<String>, DbError>;
    /// Tries once to take the database-wide lock named `key`; true when taken.
    fn try_lock(&mut self, key: &LockKey) -> Result<bool, DbError>;
    /// Releases the lock taken by `try_lock`.
    fn unlock(&mut self, key: &LockKey) -> Result<(), DbError>;
    /// Who holds the lock, in words, where the server can tell.
    fn lock_holder(&mut self, _key: &LockKey) -> Option<String> {
        None
    }
    /// Starts a transaction.
    fn begin(&mut self) -> Result<(), DbError> {
        self.execute("BEGIN")
    }
    fn commit(&mut self) -> Result<(), DbError> {
        self.execute("COMMIT")
    }
    fn rollback(&mut self) -> Result<(), DbError> {
        self.execute("ROLLBACK")
    }
    /// True for offline `--sql` output, where nothing is read back.
    fn is_offline(&self) -> bool {
        false
    }
    /// The connected database user and client host, for the audit log.
    fn session_info(&mut self) -> (String, String) {
        (String::new(), String::new())
    }
    /// Prepares a session that will hold the lock so that the server notices a
    /// dead client even while a long statement runs, and frees the lock then.
    fn guard_session(&mut self) -> Result<(), DbError> {
        Ok(())
    }
}

impl Kind {
    /// DDL can be rolled back (PostgreSQL, SQLite), so a whole run can be one transaction.
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Kind::MySql)
    }

    /// The lock is the write transaction itself (SQLite): committing releases it,
    /// so whoever opens the next transaction must read the version table again.
    pub fn lock_is_transaction(self) -> bool {
        matches!(self, Kind::Sqlite)
    }

    /// The lock is held on a connection of its own that stays idle (MySQL):
    /// the server frees `GET_LOCK` of a dead client only when it notices the
    /// closed connection, which a connection busy in a long statement does not.
    pub fn lock_on_own_connection(self) -> bool {
        matches!(self, Kind::MySql)
    }

    /// Several statements go to the server in one message and their results
    /// come back apart (MySQL's multi-statement text protocol), so bookkeeping
    /// between two revisions takes one round trip instead of one per statement.
    pub fn batches_statements(self) -> bool {
        matches!(self, Kind::MySql)
    }

    /// Statements cross a network (every database but SQLite): rows are
    /// better written several per INSERT, one round trip for all of them.
    pub fn batches_rows(self) -> bool {
        !matches!(self, Kind::Sqlite)
    }

    /// Text as an SQL literal that means the same whatever the session's
    /// settings: on MySQL a hex literal with a character-set introducer (no
    /// quote or backslash in it, so `NO_BACKSLASH_ESCAPES` cannot change it);
    /// on PostgreSQL an `E''` string (backslashes escaped, so
    /// `standard_conforming_strings` cannot change it).
    pub fn text_literal(self, value: &str) -> String {
        match self {
            Kind::MySql => {
                const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
                let mut s = String::with_capacity(value.len() * 2 + 12);
                s.push_str("_utf8mb4 X'");
                for b in value.bytes() {
                    s.push(char::from(DIGITS[usize::from(b >> 4)]));
                    s.push(char::from(DIGITS[usize::from(b & 0xf)]));
                }
                s.push('\'');
                s
            }
            Kind::Postgres => format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            Kind::Sqlite => format!("'{}'", value.replace('\'', "''")),
        }
    }

    /// The column type for text of any length (a revision's SQL in the audit log).
    pub fn long_text_type(self) -> &'static str {
        match self {
            Kind::MySql => "LONGTEXT",
            Kind::Postgres | Kind::Sqlite => "TEXT",
        }
    }

    /// The bind placeholder for the `n`th parameter when it holds an integer
    /// given as text (PostgreSQL types parameters; the others convert).
    pub fn int_placeholder(self, n: usize) -> String {
        match self {
            Kind::Postgres => format!("CAST(CAST(${n} AS TEXT) AS BIGINT)"),
            Kind::MySql | Kind::Sqlite => "?".to_string(),
        }
    }

    /// The bind placeholder for the `n`th (1-based) parameter.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Kind::Postgres => format!("${n}"),
            Kind::MySql | Kind::Sqlite => "?".to_string(),
        }
    }

    /// Quotes an identifier.
    pub fn quote_ident(self, name: &str) -> String {
        match self {
            Kind::MySql => format!("`{}`", name.replace('`', "``")),
            Kind::Postgres | Kind::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }
}

/// A string as an SQL literal (for offline output and batched bookkeeping).
pub fn literal(kind: Kind, value: &str) -> String {
    let mut s = value.replace('\'', "''");
    if kind == Kind::MySql {
        s = s.replace('\\', "\\\\");
    }
    format!("'{s}'")
}

/// Name of the version table, and where it lives.
#[derive(Clone, Debug)]
pub struct VersionTable {
    pub name: String,
    pub schema: Option<String>,
}

impl VersionTable {
    /// The quoted, schema-qualified name of a table beside the version table.
    pub fn qualified(&self, kind: Kind, name: &str) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", kind.quote_ident(s), kind.quote_ident(name)),
            None => kind.quote_ident(name),
        }
    }

    pub fn table(&self, kind: Kind) -> String {
        self.qualified(kind, &self.name)
    }

    /// `CREATE TABLE` for the version table, as Alembic creates it.
    pub fn create_sql(&self, kind: Kind) -> String {
        format!(
            "CREATE TABLE {} (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            self.table(kind),
            kind.quote_ident(&format!("{}_pkc", self.name))
        )
    }

    pub fn select_sql(&self, kind: Kind) -> String {
        format!("SELECT version_num FROM {}", self.table(kind))
    }

    pub fn insert_sql(&self, kind: Kind) -> String {
        format!(
            "INSERT INTO {} (version_num) VALUES ({})",
            self.table(kind),
            kind.placeholder(1)
        )
    }

    pub fn update_sql(&self, kind: Kind) -> String {
        format!(
            "UPDATE {} SET version_num = {} WHERE version_num = {}",
            self.table(kind),
            kind.placeholder(1),
            kind.placeholder(2)
        )
    }

    pub fn delete_sql(&self, kind: Kind) -> String {
        format!(
            "DELETE FROM {} WHERE version_num = {}",
            self.table(kind),
            kind.placeholder(1)
        )
    }

    pub fn delete_all_sql(&self, kind: Kind) -> String {
        format!("DELETE FROM {}", self.table(kind))
    }

    /// A query returning one row when a table named `name` exists beside the version table.
    pub fn exists_query(&self, kind: Kind, name: &str) -> (String, Vec<String>) {
        match (kind, &self.schema) {
            (Kind::Postgres, Some(s)) => (
                "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2"
                    .into(),
                vec![s.clone(), name.to_string()],
            ),
            (Kind::Postgres, None) => (
                "SELECT 1 FROM pg_catalog.pg_class c WHERE c.relname = $1 AND c.relkind IN ('r','p') AND pg_catalog.pg_table_is_visible(c.oid)"
                    .into(),
                vec![name.to_string()],
            ),
            (Kind::MySql, Some(s)) => (
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
                    .into(),
                vec![s.clone(), name.to_string()],
            ),
            (Kind::MySql, None) => (
                "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
                    .into(),
                vec![name.to_string()],
            ),
            (Kind::Sqlite, schema) => (
                format!(
                    "SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name = ?",
                    kind.quote_ident(schema.as_deref().unwrap_or("main"))
                ),
                vec![name.to_string()],
            ),
        }
    }
}

/// The identity of the database-wide lock: one per database, schema and version table.
#[derive(Clone, Debug)]
pub struct LockKey {
    /// A readable name (MySQL `GET_LOCK` name, at most 64 characters).
    pub name: String,
    /// A 64-bit key (PostgreSQL advisory lock).
    pub id: i64,
}

impl LockKey {
    pub fn new(database: &str, schema: Option<&str>, table: &str) -> LockKey {
        let full = format!("migrate:{database}:{}:{table}", schema.unwrap_or(""));
        // FNV-1a: stable across builds and platforms, unlike std's hasher.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in full.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let name = if full.len() <= 64 {
            full
        } else {
            format!("migrate:{h:016x}")
        };
        LockKey { name, id: h as i64 }
    }
}

/// How to connect: the parsed URL, plus options from the command line.
pub struct ConnectOptions<'a> {
    pub url: &'a DbUrl,
    /// The URL as the user wrote it, for messages (redacted before use).
    pub display: String,
    /// Working directory for relative SQLite paths.
    pub cwd: &'a Path,
    /// How long a busy SQLite database is waited for.
    pub busy_timeout: Duration,
}

/// Why a connection failed: retryable (server not up yet, database not created yet) or not.
#[derive(Debug)]
pub struct ConnectError {
    pub message: String,
    pub retryable: bool,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// Opens a connection to the database the URL names.
pub fn connect(opts: &ConnectOptions<'_>) -> Result<Box<dyn Database>, ConnectError> {
    match opts.url.kind {
        Kind::Sqlite => sqlite::connect(opts).map(|d| Box::new(d) as Box<dyn Database>),
        Kind::Postgres => postgres::connect(opts).map(|d| Box::new(d) as Box<dyn Database>),
        Kind::MySql => mysql::connect(opts).map(|d| Box::new(d) as Box<dyn Database>),
    }
}

/// `host:port` for messages.
pub fn endpoint(url: &DbUrl, default_port: u16) -> String {
    let host = url.host.as_deref().unwrap_or("localhost");
    let port = url.port.unwrap_or(default_port);
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_table_sql_quotes_names() {
        let t = VersionTable {
            name: "alembic_version".into(),
            schema: Some("meta".into()),
        };
        assert_eq!(
            t.create_sql(Kind::Postgres),
            "CREATE TABLE \"meta\".\"alembic_version\" (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)\n)"
        );
        assert_eq!(
            t.update_sql(Kind::MySql),
            "UPDATE `meta`.`alembic_version` SET version_num = ? WHERE version_num = ?"
        );
        assert_eq!(
            t.insert_sql(Kind::Postgres),
            "INSERT INTO \"meta\".\"alembic_version\" (version_num) VALUES ($1)"
        );
    }

    #[test]
    fn literals_escape_quotes() {
        assert_eq!(literal(Kind::Postgres, "a'b"), "'a''b'");
        assert_eq!(literal(Kind::MySql, "a\\'b"), "'a\\\\''b'");
    }

    #[test]
    fn text_literals_cannot_be_broken_out_of() {
        let nasty = "a'b\\'; DROP TABLE x; --\n\u{e9}";
        assert_eq!(
            Kind::MySql.text_literal(nasty),
            format!(
                "_utf8mb4 X'{}'",
                nasty
                    .bytes()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>()
            )
        );
        assert_eq!(Kind::MySql.text_literal(""), "_utf8mb4 X''");
        assert_eq!(
            Kind::Postgres.text_literal(nasty),
            "E'a''b\\\\''; DROP TABLE x; --\n\u{e9}'"
        );
        assert_eq!(Kind::Sqlite.text_literal("a'b"), "'a''b'");
    }

    #[test]
    fn lock_key_is_stable_and_short() {
        let a = LockKey::new("db", None, "alembic_version");
        let b = LockKey::new("db", None, "alembic_version");
        assert_eq!(a.id, b.id);
        assert_eq!(a.name, "migrate:db::alembic_version");
        let long = LockKey::new(&"x".repeat(80), None, "t");
        assert!(long.name.len() <= 64);
        assert_ne!(
            LockKey::new("db", Some("s"), "t").id,
            LockKey::new("db", None, "t").id
        );
    }
}
