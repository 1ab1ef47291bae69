//! SQLite through rusqlite (SQLite bundled). DDL is transactional here, so a
//! failed run leaves the file as it was. The database-wide lock is SQLite's own
//! write lock: `BEGIN IMMEDIATE` taken up front, waited for with a busy timeout.

use super::{
    Canceller, Capabilities, ConnectError, ConnectOptions, Database, DbError, Dialect, Kind,
    LockKey, Query, Row,
};
use crate::schema::model::QName;
use crate::schema::Catalog;
use crate::url::DbUrl;
use rusqlite::{params_from_iter, Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod catalog;
mod ddl;
mod sqltext;

/// How SQLite writes SQL.
pub struct SqliteDialect;

/// The SQLite dialect.
pub static SQLITE: SqliteDialect = SqliteDialect;

/// What the backend can do (see `Capabilities`).
pub const CAPABILITIES: Capabilities = Capabilities {
    transactional_ddl: true,
    lock_is_transaction: true,
    lock_on_own_connection: false,
    batches_statements: false,
    batches_rows: false,
    audit_log: true,
    commits_each_record: true,
};

impl Dialect for SqliteDialect {
    fn kind(&self) -> Kind {
        Kind::Sqlite
    }

    fn quote_ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn placeholder(&self, _n: usize) -> String {
        "?".to_string()
    }

    fn text_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    fn table_exists(&self, schema: Option<&str>, name: &str) -> Query {
        Query {
            sql: format!(
                "SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name = ?",
                self.quote_ident(schema.unwrap_or("main"))
            ),
            params: vec![name.to_string()],
        }
    }

    fn table_columns(&self, schema: Option<&str>, name: &str) -> Query {
        Query {
            sql: "SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid".into(),
            params: vec![name.to_string(), schema.unwrap_or("main").to_string()],
        }
    }

    /// The database file, as an absolute path; an in-memory database has none.
    fn lock_identity(&self, url: &DbUrl, cwd: &Path) -> String {
        url.sqlite_path
            .as_ref()
            .map(|p| cwd.join(p).display().to_string())
            .unwrap_or_default()
    }

    fn ddl(&self) -> &'static dyn crate::schema::Ddl {
        &ddl::SQLITE_DDL
    }

    fn epoch_now(&self) -> &'static str {
        "CAST(strftime('%s', 'now') AS INTEGER)"
    }
}

pub struct Sqlite {
    conn: Connection,
    /// True while `try_lock` holds the write transaction it opened.
    in_lock_tx: bool,
}

fn db_error(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(code, msg) => DbError {
            code: Some(format!("SQLITE {}", code.extended_code)),
            message: msg.clone().unwrap_or_else(|| code.to_string()),
            position: None,
        },
        // A syntax error names the byte where the bad token starts; the
        // position is counted in characters, as PostgreSQL counts it.
        rusqlite::Error::SqlInputError {
            error,
            msg,
            sql,
            offset,
        } => DbError {
            code: Some(format!("SQLITE {}", error.extended_code)),
            message: msg.clone(),
            position: usize::try_from(*offset)
                .ok()
                .and_then(|o| sql.get(..o))
                .map(|before| before.chars().count() + 1),
        },
        _ => DbError::msg(e.to_string()),
    }
}

pub fn connect(opts: &ConnectOptions<'_>) -> Result<Sqlite, ConnectError> {
    let conn = match &opts.url.sqlite_path {
        None => Connection::open_in_memory(),
        Some(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                opts.cwd.join(p)
            };
            if let Some(dir) = path.parent() {
                if !dir.as_os_str().is_empty() && !dir.is_dir() {
                    return Err(ConnectError {
                        message: format!(
                            "cannot open SQLite database {}: the folder {} does not exist; create it or fix the URL",
                            path.display(),
                            dir.display()
                        ),
                        retryable: false,
                    });
                }
            }
            Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        }
    }
    .map_err(|e| ConnectError {
        message: format!("cannot open SQLite database {}: {e}", opts.display),
        retryable: false,
    })?;
    // The page cache, for this connection only (nothing is stored in the
    // file): 1 MiB instead of SQLite's default 2,000 KiB. A run is one
    // transaction that leaves each page it creates (a table's root) dirty,
    // so the cache fills whatever the schema's size; a smaller cache keeps
    // the peak memory of a long run down, and what no longer fits is
    // spilled to the file and read back from the OS's cache at no measurable
    // cost (bench/README.md has the figures).
    //
    // Foreign keys off, as the sqlite3 shell and Python's sqlite3 module
    // (Alembic's driver) leave them: the bundled library turns them on by
    // default, and then a table rebuilt by a generated revision (its DROP
    // TABLE, inside the run's transaction, where PRAGMA foreign_keys cannot
    // change) deletes or fails on the rows that reference it. The rebuild
    // checks the foreign keys it touches itself.
    conn.busy_timeout(opts.busy_timeout)
        .and_then(|()| conn.execute_batch("PRAGMA cache_size = -1024; PRAGMA foreign_keys = OFF"))
        .map_err(|e| ConnectError {
            message: format!("cannot configure SQLite database {}: {e}", opts.display),
            retryable: false,
        })?;
    Ok(Sqlite {
        conn,
        in_lock_tx: false,
    })
}

impl Database for Sqlite {
    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql).map_err(db_error)
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_error)?;
        let n = stmt
            .execute(params_from_iter(params.iter()))
            .map_err(db_error)?;
        Ok(n as u64)
    }

    fn query_rows(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Row>, DbError> {
        use rusqlite::types::Value;
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_error)?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(params_from_iter(params.iter()), |row| {
                (0..n)
                    .map(|i| {
                        Ok(match row.get::<_, Value>(i)? {
                            Value::Null => None,
                            Value::Integer(i) => Some(i.to_string()),
                            Value::Real(f) => Some(f.to_string()),
                            Value::Text(t) => Some(t),
                            Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                        })
                    })
                    .collect::<Result<Row, _>>()
            })
            .map_err(db_error)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
    }

    /// SQLite's lock is its write lock: `BEGIN IMMEDIATE` waits (busy timeout) for
    /// other writers, and the run goes on inside that transaction.
    fn try_lock(&mut self, _key: &LockKey) -> Result<bool, DbError> {
        match self.conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {
                self.in_lock_tx = true;
                Ok(true)
            }
            Err(rusqlite::Error::SqliteFailure(code, _))
                if code.code == rusqlite::ErrorCode::DatabaseBusy
                    || code.code == rusqlite::ErrorCode::DatabaseLocked =>
            {
                Ok(false)
            }
            Err(e) => Err(db_error(e)),
        }
    }

    fn unlock(&mut self, _key: &LockKey) -> Result<(), DbError> {
        if self.in_lock_tx && !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK").map_err(db_error)?;
        }
        self.in_lock_tx = false;
        Ok(())
    }

    /// The lock already opened the transaction; the first `begin` joins it.
    fn begin(&mut self) -> Result<(), DbError> {
        if !self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_error)
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.in_lock_tx = false;
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("COMMIT").map_err(db_error)
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.in_lock_tx = false;
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(db_error)
    }

    fn session_info(&mut self) -> (String, String) {
        (String::new(), local_host())
    }

    fn canceller(&self) -> Option<Canceller> {
        let handle = self.conn.get_interrupt_handle();
        Some(Arc::new(move || handle.interrupt()))
    }

    fn read_catalog(&mut self, own: &[QName]) -> Result<Catalog, DbError> {
        catalog::read(&self.conn, own).map_err(db_error)
    }

    /// A database is a file: `name` is its path, relative to the folder of
    /// the database connected to (the working directory for one in memory).
    fn create_database(&mut self, name: &str) -> Result<(), DbError> {
        let path = self.database_path(name)?;
        // An empty file is an empty database; `create_new` never takes over
        // an existing one.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map(drop)
            .map_err(|e| {
                DbError::msg(format!(
                    "cannot create SQLite database {}: {e}",
                    path.display()
                ))
            })
    }

    /// Removes the file and its journal, WAL and shared-memory files.
    /// Connections still open to it keep reading what they had; the
    /// database connected to is refused.
    fn drop_database(&mut self, name: &str) -> Result<(), DbError> {
        let path = self.database_path(name)?;
        if let Some(main) = self.main_file()? {
            if same_file(&main, &path) {
                return Err(DbError::msg(format!(
                    "cannot drop SQLite database {}: it is the database connected to",
                    path.display()
                )));
            }
        }
        std::fs::remove_file(&path).map_err(|e| {
            DbError::msg(format!(
                "cannot drop SQLite database {}: {e}",
                path.display()
            ))
        })?;
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            match std::fs::remove_file(&side) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(DbError::msg(format!(
                        "cannot remove {}: {e}",
                        PathBuf::from(side).display()
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Drops every view, table (virtual ones first: their shadow tables go
    /// with them), index and trigger, in one transaction with foreign keys
    /// off, so that no table's rows are checked or cascaded on the way.
    fn disposable_session(&mut self) -> Result<(), DbError> {
        // No sync to disk at each commit, and the rollback journal kept in
        // memory: a scratch file is thrown away, also after a crash.
        self.conn
            .execute_batch("PRAGMA synchronous = OFF")
            .and_then(|()| {
                self.conn
                    .query_row("PRAGMA journal_mode = MEMORY", [], |_| Ok(()))
            })
            .map_err(db_error)
    }

    fn empty_database(&mut self) -> Result<(), DbError> {
        let own_tx = self.conn.is_autocommit();
        let fk_on = own_tx
            && self
                .conn
                .query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0))
                .map_err(db_error)?
                != 0;
        if fk_on {
            self.execute("PRAGMA foreign_keys = OFF")?;
        }
        if own_tx {
            self.execute("BEGIN IMMEDIATE")?;
        }
        let result = self.drop_everything();
        let end = if own_tx {
            self.execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
        } else {
            Ok(())
        };
        if fk_on {
            self.execute("PRAGMA foreign_keys = ON")?;
        }
        result.and(end)
    }
}

impl Sqlite {
    /// The file of the `main` database, if it has one.
    fn main_file(&self) -> Result<Option<PathBuf>, DbError> {
        let file: String = self
            .conn
            .query_row(
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
                [],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        Ok((!file.is_empty()).then(|| PathBuf::from(file)))
    }

    fn database_path(&self, name: &str) -> Result<PathBuf, DbError> {
        let path = Path::new(name);
        if path.is_absolute() {
            return Ok(path.to_path_buf());
        }
        let base = match self.main_file()?.as_deref().and_then(Path::parent) {
            Some(dir) => dir.to_path_buf(),
            None => std::env::current_dir()
                .map_err(|e| DbError::msg(format!("cannot read the working directory: {e}")))?,
        };
        Ok(base.join(path))
    }

    fn drop_everything(&mut self) -> Result<(), DbError> {
        let names = |conn: &Connection, sql: &str| -> Result<Vec<String>, DbError> {
            let mut stmt = conn.prepare(sql).map_err(db_error)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(db_error)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db_error)
        };
        let q = |n: &str| SQLITE.quote_ident(n);
        for v in names(
            &self.conn,
            "SELECT name FROM main.sqlite_schema WHERE type = 'view'",
        )? {
            self.execute(&format!("DROP VIEW main.{}", q(&v)))?;
        }
        for kind in ["virtual", "table"] {
            let sql = format!(
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = '{kind}' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            );
            for t in names(&self.conn, &sql)? {
                self.execute(&format!("DROP TABLE main.{}", q(&t)))?;
            }
        }
        // What ANALYZE made; sqlite_sequence cannot be dropped, and lost
        // its rows with the tables.
        for t in names(
            &self.conn,
            "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name LIKE 'sqlite\\_stat%' ESCAPE '\\'",
        )? {
            self.execute(&format!("DROP TABLE main.{}", q(&t)))?;
        }
        Ok(())
    }
}

/// True when two paths name one file (the second may not exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// This machine's host name, for the audit log.
pub fn local_host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn page_cache_is_1_mib_for_this_connection_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::url::parse("sqlite:///cache.db").unwrap();
        let opts = ConnectOptions {
            url: &url,
            display: "sqlite:///cache.db".into(),
            cwd: dir.path(),
            busy_timeout: Duration::from_secs(1),
        };
        let mut db = connect(&opts).unwrap();
        assert_eq!(
            db.query_rows("PRAGMA cache_size", &[]).unwrap(),
            vec![vec![Some("-1024".to_string())]]
        );
        drop(db);
        // Nothing of it is written to the file: a plain connection has the default.
        let plain = Connection::open(dir.path().join("cache.db")).unwrap();
        let n: i64 = plain
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, -2000);
    }
}
