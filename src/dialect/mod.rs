//! The databases `migrate` speaks to, behind one `Database` trait of
//! primitives (execute one statement, run a parameterised bookkeeping
//! statement, read rows, take and release the database-wide lock).
//!
//! Each backend owns everything about its database: how it connects, its
//! SQL's quoting, literals and placeholders (its [`Dialect`]), and what it can
//! do, as data ([`Capabilities`]). The SQL of the version table and the audit
//! log is composed once, in `bookkeeping`, from each dialect's primitives;
//! the policy that uses all of this (ordering, transactions, bookkeeping)
//! lives once in `runtime`, which never asks which database it talks to.
//! `connect` picks the backend by an explicit match on the URL's kind.
//! Offline `--sql` mode is one more backend that writes SQL instead of running
//! it.

pub mod bookkeeping;
pub mod flavor;
pub mod lock_table;
pub mod mysql;
pub mod offline;
pub mod postgres;
pub mod sqlite;
pub mod tls;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::schema::model::QName;
use crate::schema::{Catalog, Ddl};
use crate::url::DbUrl;
pub use crate::Kind;
pub use bookkeeping::{AuditTable, Query, VersionOp};
pub use flavor::{Flavor, LockMode, ServerInfo};

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
        let message = crate::text::escape_controls_in_lines(&self.message);
        match &self.code {
            Some(code) => write!(f, "[{code}] {message}"),
            None => f.write_str(&message),
        }
    }
}

impl std::error::Error for DbError {}

/// One row of a query's result: each column as text, NULL as `None`.
pub type Row = Vec<Option<String>>;

pub use crate::interrupt::Canceller;

/// What a database can do, as data: the runtime's policy reads it instead
/// of asking which database it talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// DDL can be rolled back (PostgreSQL, SQLite), so a whole run can be one transaction.
    pub transactional_ddl: bool,
    /// The lock is the write transaction itself (SQLite): committing releases
    /// it, so whoever opens the next transaction must read the version table again.
    pub lock_is_transaction: bool,
    /// The lock is held on a connection of its own that stays idle (MySQL):
    /// the server frees the lock of a dead client only when it notices the
    /// closed connection, which a connection busy in a long statement does not.
    pub lock_on_own_connection: bool,
    /// Several statements go to the server in one message and their results
    /// come back apart (MySQL's multi-statement text protocol), with a guard
    /// that stops the message when an UPDATE or DELETE did not match one row
    /// ([`Dialect::one_row_guard`]): the bookkeeping between two revisions
    /// takes one round trip instead of one per statement.
    pub batches_statements: bool,
    /// Statements cross a network (every server but SQLite): rows are better
    /// written several per INSERT, one round trip for all of them.
    pub batches_rows: bool,
    /// The run is recorded in the audit log. Offline `--sql` output keeps
    /// Alembic's layout: no audit-log statements.
    pub audit_log: bool,
    /// A step that ran outside a transaction is recorded (version table,
    /// audit log) in a commit of its own at once: on a live server a crash
    /// must not lose the record of SQL that took effect. Offline output has
    /// nothing to lose, and keeps the run's one transaction.
    pub commits_each_record: bool,
}

/// How a database writes SQL: quoting, literals, placeholders, and the few
/// statements that differ. Pure (no connection); one static value per
/// backend. The version-table and audit-log statements are composed from
/// these primitives in `bookkeeping`.
pub trait Dialect: Sync {
    /// Which database this is (for the statement splitter and messages).
    fn kind(&self) -> Kind;

    /// Quotes an identifier.
    fn quote_ident(&self, name: &str) -> String;

    /// The bind placeholder for the `n`th (1-based) parameter.
    fn placeholder(&self, n: usize) -> String;

    /// The bind placeholder for the `n`th parameter when it holds an integer
    /// given as text (PostgreSQL types its parameters; the others convert).
    fn int_placeholder(&self, n: usize) -> String {
        self.placeholder(n)
    }

    /// Text as an SQL literal that means the same whatever the session's
    /// settings (for bookkeeping statements sent several in one message).
    fn text_literal(&self, value: &str) -> String;

    /// Text as an SQL literal that reads as the user would write it (for
    /// offline output, which people review).
    fn readable_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    /// The column type for text of any length (a revision's SQL in the audit log).
    fn long_text_type(&self) -> &'static str {
        "TEXT"
    }

    /// A query returning one row when a table `name` exists, in `schema` or,
    /// without one, where unqualified names are found.
    fn table_exists(&self, schema: Option<&str>, name: &str) -> Query;

    /// A query returning the names of a table's columns, one per row (none
    /// when the table does not exist), found as `table_exists` finds it.
    fn table_columns(&self, schema: Option<&str>, name: &str) -> Query;

    /// A statement that fails unless the statement before it in the same
    /// message affected exactly one row (see `Capabilities::batches_statements`).
    fn one_row_guard(&self) -> Option<&'static str> {
        None
    }

    /// What offline output starts with, so the database's client reads it as
    /// the online run sends it.
    fn offline_preamble(&self) -> &'static str {
        ""
    }

    /// What names the database for the lock (a file for SQLite; host and
    /// database for a server): replicas of one project on one database share it.
    fn lock_identity(&self, url: &DbUrl, cwd: &Path) -> String;

    /// How this database writes schema changes (`revision --autogenerate`, `diff`).
    fn ddl(&self) -> &'static dyn Ddl;

    /// The server's clock as whole seconds since 1970, an integer expression
    /// (the lock table's leases).
    fn epoch_now(&self) -> &'static str;

    /// `insert` (an `INSERT INTO … VALUES …`) made to insert nothing, with no
    /// error, when the row's key is taken.
    fn insert_skipping_duplicate(&self, insert: &str) -> String {
        format!("{insert} ON CONFLICT DO NOTHING")
    }

    /// The type `CAST(… AS …)` turns a value into text with.
    fn cast_text_type(&self) -> &'static str {
        "TEXT"
    }
}

/// The primitives each database provides. One method, one SQL action.
pub trait Database {
    /// How this database writes SQL.
    fn dialect(&self) -> &'static dyn Dialect;
    /// What this database can do.
    fn capabilities(&self) -> Capabilities;
    /// Which database this is.
    fn kind(&self) -> Kind {
        self.dialect().kind()
    }
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
    /// server takes several at once (`Capabilities::batches_statements`);
    /// returns each one's affected row count, or the index of the statement
    /// that failed with its error (the ones before it ran, the ones after it did not).
    fn execute_many(&mut self, statements: &[String]) -> Result<Vec<u64>, (usize, DbError)> {
        let mut counts = Vec::with_capacity(statements.len());
        for (i, sql) in statements.iter().enumerate() {
            counts.push(self.execute_params(sql, &[]).map_err(|e| (i, e))?);
        }
        Ok(counts)
    }
    /// Runs a query with text parameters; every row, every column as text.
    fn query_rows(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Row>, DbError>;

    /// The first column of the first row `sql` (one statement a user wrote)
    /// returns, as text (inner `None`: NULL); `None` when it returns no row.
    /// Read as [`Database::query_simple`] reads, so a backend whose
    /// parameterised reads decode only some types gets text, whatever the type.
    fn query_first(&mut self, sql: &str) -> Result<Option<Option<String>>, DbError> {
        Ok(self
            .query_simple(sql)?
            .into_iter()
            .next()
            .map(|row| row.into_iter().next().flatten()))
    }
    /// True when the table exists (see [`Dialect::table_exists`]).
    fn table_exists(&mut self, schema: Option<&str>, name: &str) -> Result<bool, DbError> {
        let q = self.dialect().table_exists(schema, name);
        Ok(!self.query_rows(&q.sql, &q.params())?.is_empty())
    }
    /// The version table's rows, sorted; none when it does not exist. Never writes.
    fn read_versions(&mut self, table: &VersionTable) -> Result<Vec<String>, DbError> {
        if !self.table_exists(table.schema.as_deref(), &table.name)? {
            return Ok(Vec::new());
        }
        let sql = self.dialect().version_select(table);
        let mut rows: Vec<String> = self
            .query_rows(&sql, &[])?
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect();
        rows.sort();
        Ok(rows)
    }
    /// Tries once to take the database-wide lock named `key`; true when taken.
    fn try_lock(&mut self, key: &LockKey) -> Result<bool, DbError>;
    /// Releases the lock taken by `try_lock`.
    fn unlock(&mut self, key: &LockKey) -> Result<(), DbError>;
    /// Who holds the lock, in words, where the server can tell.
    fn lock_holder(&mut self, _key: &LockKey) -> Option<String> {
        None
    }
    /// Runs one statement with no parameters, whole, as the server's simple
    /// protocol sends it (no prepared statement, named or not, where the
    /// protocol has a difference); returns the affected row count.
    fn execute_simple(&mut self, sql: &str) -> Result<u64, DbError> {
        self.execute_params(sql, &[])
    }
    /// Runs a query with no parameters as `execute_simple` runs a statement.
    fn query_simple(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        self.query_rows(sql, &[])
    }
    /// From now on relies on no state of its own session: no named prepared
    /// statements kept between calls, no session settings (a pooler in
    /// transaction mode may hand each transaction to another server connection).
    fn sessionless(&mut self) {}
    /// What the server says about itself (to tell distributed engines apart
    /// from the databases whose protocol they speak).
    fn server_info(&mut self) -> ServerInfo {
        ServerInfo::default()
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
    /// The connected database user and client host, for the audit log.
    fn session_info(&mut self) -> (String, String) {
        (String::new(), String::new())
    }
    /// Prepares a session that will hold the lock so that the server notices a
    /// dead client even while a long statement runs, and frees the lock then.
    fn guard_session(&mut self) -> Result<(), DbError> {
        Ok(())
    }
    /// What stops the statement this connection runs, from another thread.
    fn canceller(&self) -> Option<Canceller> {
        None
    }

    /// The schema of the database connected to, from the server's own
    /// catalog, leaving out `own` (`migrate`'s tables, see [`own_tables`]).
    fn read_catalog(&mut self, own: &[QName]) -> Result<Catalog, DbError> {
        let _ = own;
        Err(not_here(self.kind(), "reading the schema"))
    }

    /// Creates database `name` on the server (a scratch database).
    fn create_database(&mut self, name: &str) -> Result<(), DbError> {
        let _ = name;
        Err(not_here(self.kind(), "creating a database"))
    }

    /// Drops database `name` from the server, with whatever still uses it.
    fn drop_database(&mut self, name: &str) -> Result<(), DbError> {
        let _ = name;
        Err(not_here(self.kind(), "dropping a database"))
    }

    /// Drops everything in the database connected to (a `dev_url` database,
    /// which `migrate` may empty and fill).
    fn empty_database(&mut self) -> Result<(), DbError> {
        Err(not_here(self.kind(), "emptying a database"))
    }

    /// Tells the server that what this session commits need not survive a
    /// crash (a scratch database: it is filled, read and thrown away), so a
    /// schema run statement by statement does not wait for the disk at every
    /// commit. Where the database has no such setting, nothing.
    fn disposable_session(&mut self) -> Result<(), DbError> {
        Ok(())
    }
}

fn not_here(kind: Kind, what: &str) -> DbError {
    DbError::msg(format!("{what} is not supported here ({})", kind.name()))
}

/// `migrate`'s own tables beside the version table, which a schema never
/// includes: the version table, the audit log and the lock table.
pub fn own_tables(version_table: &VersionTable, log_table: &str, kind: Kind) -> Vec<QName> {
    let schema = match (&version_table.schema, kind) {
        (Some(s), _) => Some(s.clone()),
        (None, Kind::Postgres) => Some("public".to_string()),
        (None, _) => None,
    };
    let lock_table = lock_table::lock_table_name(&version_table.name);
    [version_table.name.as_str(), log_table, lock_table.as_str()]
        .iter()
        .map(|name| QName {
            schema: schema.clone(),
            name: (*name).to_string(),
        })
        .collect()
}

/// Name of the version table, and where it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionTable {
    pub name: String,
    pub schema: Option<String>,
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

    /// The lock of the version table `table` on the database `url` names.
    pub fn of(dialect: &dyn Dialect, url: &DbUrl, cwd: &Path, table: &VersionTable) -> LockKey {
        LockKey::new(
            &dialect.lock_identity(url, cwd),
            table.schema.as_deref(),
            &table.name,
        )
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
    connect_send(opts).map(|d| d as Box<dyn Database>)
}

/// Opens a connection another thread may own (the lock table's renewals).
pub fn connect_send(opts: &ConnectOptions<'_>) -> Result<Box<dyn Database + Send>, ConnectError> {
    match opts.url.kind {
        Kind::Sqlite => sqlite::connect(opts).map(|d| Box::new(d) as Box<dyn Database + Send>),
        Kind::Postgres => postgres::connect(opts).map(|d| Box::new(d) as Box<dyn Database + Send>),
        Kind::MySql => mysql::connect(opts).map(|d| Box::new(d) as Box<dyn Database + Send>),
    }
}

/// Connects, retrying with backoff while `wait` allows and the failure is one
/// that can pass (the server is starting, the database is not created yet,
/// the server did not answer within `connect_timeout`). Each attempt is
/// bounded by the URL's `connect_timeout`, so a server that never answers
/// fails within about `wait` plus one attempt. `note` hears of each attempt.
pub fn connect_waiting(
    opts: &ConnectOptions<'_>,
    wait: Option<std::time::Duration>,
    note: &mut dyn FnMut(&str),
) -> Result<Box<dyn Database>, ConnectError> {
    use std::time::{Duration, Instant};
    let display = &opts.display;
    let start = Instant::now();
    let mut attempt = 0u32;
    let mut delay = Duration::from_millis(100);
    loop {
        attempt += 1;
        note(&format!("Connecting to {display} (attempt {attempt})"));
        let e = match connect(opts) {
            Ok(db) => {
                if attempt > 1 {
                    note(&format!("Connected to {display} on attempt {attempt}"));
                }
                return Ok(db);
            }
            Err(e) => e,
        };
        let message = crate::url::redact(&e.message);
        let Some(wait) = wait else {
            return Err(ConnectError {
                message,
                retryable: e.retryable,
            });
        };
        let elapsed = start.elapsed();
        if !e.retryable {
            return Err(ConnectError {
                message,
                retryable: false,
            });
        }
        if elapsed >= wait {
            return Err(ConnectError {
                message: format!(
                    "gave up after {attempt} connection attempt{} over {:.1} s (--wait={}): {message}",
                    if attempt == 1 { "" } else { "s" },
                    elapsed.as_secs_f64(),
                    wait.as_secs(),
                ),
                retryable: true,
            });
        }
        if crate::interrupt::interrupted() {
            return Err(ConnectError {
                message: format!("interrupted (Ctrl-C) while waiting for the database: {message}"),
                retryable: false,
            });
        }
        let pause = delay.min(wait.saturating_sub(elapsed));
        note(&format!(
            "Attempt {attempt} to connect to {display} failed: {message}; retrying in {} ms",
            pause.as_millis()
        ));
        std::thread::sleep(pause);
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The dialect of a kind of database, without a connection (offline output).
pub fn dialect_of(kind: Kind) -> &'static dyn Dialect {
    match kind {
        Kind::Sqlite => &sqlite::SQLITE,
        Kind::Postgres => &postgres::POSTGRES,
        Kind::MySql => &mysql::MYSQL,
    }
}

/// What a kind of database can do, without a connection (offline output).
pub fn capabilities_of(kind: Kind) -> Capabilities {
    match kind {
        Kind::Sqlite => sqlite::CAPABILITIES,
        Kind::Postgres => postgres::CAPABILITIES,
        Kind::MySql => mysql::CAPABILITIES,
    }
}

/// The connection that holds the lock for writing commands on `db`: a second
/// one where the database needs it (`Capabilities::lock_on_own_connection`),
/// else none (the lock is taken on `db` itself).
pub fn lock_connection(
    db: &dyn Database,
    opts: &ConnectOptions<'_>,
) -> Result<Option<Box<dyn Database>>, ConnectError> {
    if !db.capabilities().lock_on_own_connection {
        return Ok(None);
    }
    connect(opts).map(Some).map_err(|e| ConnectError {
        message: format!(
            "opening the connection that holds the migration lock: {}",
            e.message
        ),
        retryable: false,
    })
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

    #[test]
    fn lock_identity_is_the_file_or_the_server_and_database() {
        let t = VersionTable {
            name: "alembic_version".into(),
            schema: None,
        };
        let cwd = Path::new("/work/app");
        let u = crate::url::parse("sqlite:///app.db").unwrap();
        assert_eq!(
            LockKey::of(dialect_of(Kind::Sqlite), &u, cwd, &t).name,
            "migrate:/work/app/app.db::alembic_version"
        );
        let u = crate::url::parse("postgresql://u:p@db.internal:5433/shop").unwrap();
        assert_eq!(
            LockKey::of(dialect_of(Kind::Postgres), &u, cwd, &t).name,
            "migrate:db.internal:shop::alembic_version"
        );
        let u = crate::url::parse("mysql://u@db/shop").unwrap();
        assert_eq!(
            LockKey::of(dialect_of(Kind::MySql), &u, cwd, &t).name,
            "migrate:db:shop::alembic_version"
        );
    }
}
