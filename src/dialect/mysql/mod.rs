//! MySQL and MariaDB through the `mysql` crate. DDL commits itself here, so
//! the runtime records each revision in the version table right after it runs.
//! The lock is `GET_LOCK`, held by the session and released by the server if
//! the process dies.
//!
//! Connecting is bounded by `connect_timeout` (default 10 s), as for
//! PostgreSQL: the TCP connection, and every read and write of the
//! handshake, TLS and authentication. Once connected the socket has no time
//! limit again, so a long statement is never cut short.
//!
//! Schemas (`revision --autogenerate`, `diff`): `catalog` reads one from
//! `information_schema`, `ddl` writes changes (with `steps` for what keeps
//! a table valid between statements), both through `clauses`, how MySQL
//! writes each piece; `scratch` creates, drops and empties databases.

use super::tls::{self, MySslMode};
use super::{
    endpoint, Capabilities, ConnectError, ConnectOptions, Database, DbError, Dialect, Kind,
    LockKey, Query, Row,
};
use crate::schema::model::QName;
use crate::schema::Catalog;
use crate::url::DbUrl;
use mysql::prelude::Queryable;
use mysql::{ClientIdentity, Conn, OptsBuilder, SslOpts, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod catalog;
mod clauses;
mod ddl;
mod scratch;
mod steps;

/// How long connecting may take when the URL sets no `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct MySql {
    conn: Conn,
    /// How this connection was made: a second one stops its statement (`KILL QUERY`).
    opts: mysql::Opts,
}

/// How MySQL and MariaDB write SQL.
pub struct MySqlDialect;

/// The MySQL/MariaDB dialect.
pub static MYSQL: MySqlDialect = MySqlDialect;

/// What the backend can do (see `Capabilities`).
pub const CAPABILITIES: Capabilities = Capabilities {
    transactional_ddl: false,
    lock_is_transaction: false,
    lock_on_own_connection: true,
    batches_statements: true,
    batches_rows: true,
    audit_log: true,
    commits_each_record: true,
};

impl Dialect for MySqlDialect {
    fn kind(&self) -> Kind {
        Kind::MySql
    }

    fn quote_ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn placeholder(&self, _n: usize) -> String {
        "?".to_string()
    }

    /// A hex literal with a character-set introducer: no quote or backslash
    /// in it, so `NO_BACKSLASH_ESCAPES` cannot change what it means.
    fn text_literal(&self, value: &str) -> String {
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

    fn readable_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''").replace('\\', "\\\\"))
    }

    fn long_text_type(&self) -> &'static str {
        "LONGTEXT"
    }

    fn table_exists(&self, schema: Option<&str>, name: &str) -> Query {
        match schema {
            Some(s) => Query {
                sql: "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?".into(),
                params: vec![s.to_string(), name.to_string()],
            },
            None => Query {
                sql: "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?".into(),
                params: vec![name.to_string()],
            },
        }
    }

    fn table_columns(&self, schema: Option<&str>, name: &str) -> Query {
        match schema {
            Some(s) => Query {
                sql: "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position".into(),
                params: vec![s.to_string(), name.to_string()],
            },
            None => Query {
                sql: "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position".into(),
                params: vec![name.to_string()],
            },
        }
    }

    /// Fails unless the statement before it affected exactly one row
    /// (`ROW_COUNT()`, the count the client is told), and returns no row when
    /// it did. Sent after a version-table UPDATE or DELETE in a message that
    /// ends with COMMIT: a mismatch stops the message there, before the
    /// COMMIT. An unsigned overflow is an error whatever the SQL mode, and
    /// costs no table (a subquery of two rows would: a temporary table); `DO`
    /// would not do, it discards the error.
    fn one_row_guard(&self) -> Option<&'static str> {
        Some("SELECT 1 FROM DUAL WHERE ~0 + (ROW_COUNT() <> 1) = 0")
    }

    /// Revision files are UTF-8 and the online connection is utf8mb4, but the
    /// mysql/mariadb client's default character set may be another (utf8mb3
    /// on Debian): without this, routines would record another character set
    /// and 4-byte characters would not load.
    fn offline_preamble(&self) -> &'static str {
        "SET NAMES utf8mb4;\n\n"
    }

    fn lock_identity(&self, url: &DbUrl, _cwd: &Path) -> String {
        format!(
            "{}:{}",
            url.host.as_deref().unwrap_or(""),
            url.database.as_deref().unwrap_or("")
        )
    }

    fn ddl(&self) -> &'static dyn crate::schema::Ddl {
        &ddl::MYSQL_DDL
    }

    fn epoch_now(&self) -> &'static str {
        "UNIX_TIMESTAMP()"
    }

    fn insert_skipping_duplicate(&self, insert: &str) -> String {
        insert.replacen("INSERT INTO", "INSERT IGNORE INTO", 1)
    }

    fn cast_text_type(&self) -> &'static str {
        "CHAR"
    }
}

fn db_error(e: mysql::Error) -> DbError {
    match e {
        mysql::Error::MySqlError(m) => DbError {
            code: Some(m.code.to_string()),
            message: m.message,
            position: None,
        },
        other => DbError::msg(other.to_string()),
    }
}

/// The TLS options of a URL, as MySQL names them.
struct TlsOptions {
    /// `ssl-mode`; default PREFERRED (VERIFY_CA when only `ssl-ca` is given), as the mysql client.
    mode: MySslMode,
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

fn opts(opts: &ConnectOptions<'_>) -> Result<(OptsBuilder, TlsOptions, Duration), ConnectError> {
    let url = opts.url;
    let mut b = OptsBuilder::new()
        .ip_or_hostname(Some(url.host.clone().unwrap_or_else(|| "localhost".into())))
        .tcp_port(url.port.unwrap_or(3306))
        .user(Some(url.user.clone().unwrap_or_else(|| "root".into())))
        .pass(url.password.clone())
        .db_name(url.database.clone())
        .prefer_socket(false);
    let mut limit = DEFAULT_CONNECT_TIMEOUT;
    let mut mode = None;
    let mut tls = TlsOptions {
        mode: MySslMode::Preferred,
        ca: None,
        cert: None,
        key: None,
    };
    for (k, v) in &url.query {
        let bad = |what: &str| ConnectError {
            message: format!("bad `{k}={v}` in {}: {what}", opts.display),
            retryable: false,
        };
        match k.as_str() {
            "socket" | "unix_socket" => b = b.socket(Some(v.clone())),
            "connect_timeout" => {
                let s: u64 = v.parse().map_err(|_| bad("expected seconds"))?;
                limit = Duration::from_secs(s.max(1));
            }
            "ssl-mode" | "ssl_mode" | "sslmode" => {
                mode = Some(
                    MySslMode::parse(v)
                        .ok_or_else(|| bad(&format!("expected one of {}", MySslMode::WORDS)))?,
                );
            }
            "ssl-ca" | "ssl_ca" => tls.ca = Some(PathBuf::from(v)),
            "ssl-cert" | "ssl_cert" => tls.cert = Some(PathBuf::from(v)),
            "ssl-key" | "ssl_key" => tls.key = Some(PathBuf::from(v)),
            "charset" => {}
            _ => {}
        }
    }
    // Every read and write of the handshake waits at most `limit`; `connect`
    // lifts the limit once the session is open.
    b = b
        .tcp_connect_timeout(Some(limit))
        .read_timeout(Some(limit))
        .write_timeout(Some(limit));
    tls.mode = mode.unwrap_or(if tls.ca.is_some() {
        MySslMode::VerifyCa
    } else {
        MySslMode::Preferred
    });
    if tls.cert.is_some() != tls.key.is_some() {
        let (given, missing) = if tls.cert.is_some() {
            ("ssl-cert", "ssl-key")
        } else {
            ("ssl-key", "ssl-cert")
        };
        return Err(ConnectError {
            message: format!(
                "{} gives {given} without {missing}; a client certificate needs both ssl-cert and ssl-key",
                opts.display
            ),
            retryable: false,
        });
    }
    Ok((b, tls, limit))
}

/// The `mysql` crate's TLS settings for a mode; `None` connects in plain.
fn ssl_opts(tls: &TlsOptions, display: &str) -> Result<Option<SslOpts>, ConnectError> {
    let verify = tls.mode.verify();
    if tls.mode == MySslMode::Disabled {
        return Ok(None);
    }
    // The crate reads the files itself; reading them here first gives the messages
    // a name (ssl-ca=PATH) and fails before any connection is tried.
    if verify != tls::Verify::Nothing || tls.cert.is_some() {
        let client = match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => Some(tls::ClientCert {
                cert,
                cert_option: "ssl-cert",
                key,
                key_option: "ssl-key",
            }),
            _ => None,
        };
        tls::client_config(verify, tls.ca.as_deref(), "ssl-ca", client.as_ref()).map_err(|e| {
            ConnectError {
                message: format!("{e} (in {display})"),
                retryable: false,
            }
        })?;
    }
    let mut ssl = SslOpts::default()
        .with_danger_accept_invalid_certs(verify == tls::Verify::Nothing)
        .with_danger_skip_domain_validation(verify == tls::Verify::Chain);
    if verify != tls::Verify::Nothing {
        ssl = ssl.with_root_cert_path(tls.ca.clone());
    }
    if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
        ssl = ssl.with_client_identity(Some(ClientIdentity::new(cert.clone(), key.clone())));
    }
    Ok(Some(ssl))
}

pub fn connect(o: &ConnectOptions<'_>) -> Result<MySql, ConnectError> {
    let (b, tls_opts, limit) = opts(o)?;
    let where_ = endpoint(o.url, 3306);
    let ssl = ssl_opts(&tls_opts, &o.display)?;
    let mut used = b.clone().ssl_opts(ssl);
    let mut result = Conn::new(used.clone());
    // PREFERRED: a server that offers no TLS gets a plain connection.
    if tls_opts.mode == MySslMode::Preferred {
        if let Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)) = &result {
            used = b.ssl_opts(None);
            result = Conn::new(used.clone());
        }
    }
    let host = o.url.host.clone().unwrap_or_else(|| "localhost".into());
    let target = tls::Target {
        kind: Kind::MySql,
        endpoint: &where_,
        host: &host,
        mode: format!("ssl-mode={}", tls_opts.mode.as_str()),
        roots: tls_opts
            .ca
            .as_ref()
            .map(|p| format!("ssl-ca={}", p.display())),
        client_cert: tls_opts
            .cert
            .as_ref()
            .map(|p| format!("ssl-cert={}", p.display())),
    };
    if let Some(message) = result.as_ref().err().and_then(|e| tls_failure(e, &target)) {
        return Err(ConnectError {
            message,
            retryable: false,
        });
    }
    match result {
        Ok(conn) => {
            no_time_limit(&conn).map_err(|e| ConnectError {
                message: format!("cannot set up the connection to MySQL at {where_}: {e}"),
                retryable: false,
            })?;
            Ok(MySql {
                conn,
                opts: used.into(),
            })
        }
        Err(e) if timed_out(&e) => {
            Err(ConnectError {
                message: format!(
                    "the MySQL server at {where_} ({}) did not answer within {} s (connect_timeout): it accepted the connection but did not finish the handshake; is a MySQL server really listening there, or is it (or a proxy in front of it) stuck? `--wait` retries, and `?connect_timeout=SECONDS` in the URL sets the limit",
                    o.display,
                    limit.as_secs()
                ),
                retryable: true,
            })
        }
        Err(mysql::Error::TlsError(e)) => Err(ConnectError {
            message: format!(
                "TLS with the MySQL server at {where_} failed ({}): {e}",
                target.mode
            ),
            retryable: false,
        }),
        Err(mysql::Error::MySqlError(m)) if m.code == 1049 => {
            let db = o.url.database.as_deref().unwrap_or("");
            Err(ConnectError {
                message: format!(
                    "database `{db}` does not exist on the MySQL server at {where_}; create it (`CREATE DATABASE `{db}``) or fix the URL ({})",
                    o.display
                ),
                retryable: true,
            })
        }
        Err(mysql::Error::MySqlError(m)) => Err(ConnectError {
            message: format!(
                "MySQL at {where_} refused the connection ({}): [{}] {}",
                o.display, m.code, m.message
            ),
            retryable: false,
        }),
        Err(e) => Err(ConnectError {
            message: format!(
                "cannot connect to MySQL at {where_} ({}): {}; is the server running and reachable? `--wait` retries while it starts",
                o.display,
                crate::url::redact(&e.to_string())
            ),
            retryable: true,
        }),
    }
}

/// True when a read or write of the handshake ran out of time.
fn timed_out(e: &mysql::Error) -> bool {
    let io = match e {
        mysql::Error::IoError(io) => Some(io),
        mysql::Error::CodecError(c) => {
            std::error::Error::source(c).and_then(|s| s.downcast_ref::<std::io::Error>())
        }
        _ => None,
    };
    io.is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    })
}

/// Lifts the handshake's read and write time limits from the connection's
/// socket: a statement may run as long as it needs.
fn no_time_limit(conn: &Conn) -> std::io::Result<()> {
    use std::os::fd::{AsRawFd, BorrowedFd};
    // SAFETY: the descriptor belongs to `conn`, which outlives this borrow;
    // only its socket options change.
    let fd = unsafe { BorrowedFd::borrow_raw(conn.as_raw_fd()) };
    let socket = socket2::SockRef::from(&fd);
    socket.set_read_timeout(None)?;
    socket.set_write_timeout(None)
}

/// A TLS failure in words (a certificate rejected, or no TLS where it is required).
fn tls_failure(e: &mysql::Error, target: &tls::Target<'_>) -> Option<String> {
    match e {
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => {
            Some(tls::no_tls_message(target))
        }
        mysql::Error::IoError(io) => tls::explain(io, target),
        mysql::Error::CodecError(c) => tls::explain(c, target),
        _ => None,
    }
}

fn text(v: Value) -> Option<String> {
    Some(match v {
        Value::NULL => return None,
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(f) => f.to_string(),
        other => other.as_sql(true),
    })
}

impl Database for MySql {
    fn dialect(&self) -> &'static dyn Dialect {
        &MYSQL
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.query_drop(sql).map_err(db_error)
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        let p: Vec<Value> = params.iter().map(|s| Value::from(*s)).collect();
        self.conn.exec_drop(sql, p).map_err(db_error)?;
        Ok(self.conn.affected_rows())
    }

    /// One COM_QUERY with the statements joined (the client asks for
    /// multi-statement support when it connects); one result per statement.
    fn execute_many(&mut self, statements: &[String]) -> Result<Vec<u64>, (usize, DbError)> {
        let mut counts = Vec::with_capacity(statements.len());
        let mut result = self
            .conn
            .query_iter(statements.join(";\n"))
            .map_err(|e| (0, db_error(e)))?;
        while let Some(mut set) = result.iter() {
            let i = counts.len();
            let affected = set.affected_rows();
            for row in set.by_ref() {
                row.map_err(|e| (i, db_error(e)))?;
            }
            counts.push(affected);
        }
        if counts.len() != statements.len() {
            let i = counts.len().min(statements.len().saturating_sub(1));
            return Err((
                i,
                DbError::msg(format!(
                    "the server answered {} of {} statements sent together",
                    counts.len(),
                    statements.len()
                )),
            ));
        }
        Ok(counts)
    }

    fn query_rows(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Row>, DbError> {
        let p: Vec<Value> = params.iter().map(|s| Value::from(*s)).collect();
        let rows: Vec<mysql::Row> = self.conn.exec(sql, p).map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| r.unwrap().into_iter().map(text).collect())
            .collect())
    }

    /// The text protocol: what the statement returns, whatever its type.
    fn query_first(&mut self, sql: &str) -> Result<Option<Option<String>>, DbError> {
        let row: Option<mysql::Row> = self.conn.query_first(sql).map_err(db_error)?;
        Ok(row.map(|r| r.unwrap().into_iter().next().and_then(text)))
    }

    /// `VERSION()` and `@@version_comment` name TiDB and Vitess; `wsrep_on`
    /// (absent where the server has no Galera) tells a cluster node.
    fn server_info(&mut self) -> super::ServerInfo {
        let first = |rows: Vec<Row>, i: usize| {
            rows.into_iter()
                .next()
                .and_then(|r| r.into_iter().nth(i).flatten())
                .unwrap_or_default()
        };
        let (version, comment) = match self.query_rows("SELECT VERSION(), @@version_comment", &[]) {
            Ok(rows) => {
                let row = rows.into_iter().next().unwrap_or_default();
                let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
                (cell(0), cell(1))
            }
            Err(_) => (String::new(), String::new()),
        };
        let wsrep = self
            .query_rows("SHOW VARIABLES LIKE 'wsrep_on'", &[])
            .map(|rows| first(rows, 1))
            .unwrap_or_default();
        super::ServerInfo {
            version,
            comment,
            wsrep_on: wsrep.eq_ignore_ascii_case("ON"),
        }
    }

    fn try_lock(&mut self, key: &LockKey) -> Result<bool, DbError> {
        let v: Option<Option<i64>> = self
            .conn
            .exec_first("SELECT GET_LOCK(?, 0)", (key.name.as_str(),))
            .map_err(db_error)?;
        Ok(matches!(v, Some(Some(1))))
    }

    fn unlock(&mut self, key: &LockKey) -> Result<(), DbError> {
        self.conn
            .exec_drop("DO RELEASE_LOCK(?)", (key.name.as_str(),))
            .map_err(db_error)
    }

    fn lock_holder(&mut self, key: &LockKey) -> Option<String> {
        let id: Option<Option<u64>> = self
            .conn
            .exec_first("SELECT IS_USED_LOCK(?)", (key.name.as_str(),))
            .ok()?;
        let id = id.flatten()?;
        let info: Option<(String, String, u64)> = self
            .conn
            .exec_first(
                "SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = ?",
                (id,),
            )
            .ok()
            .flatten();
        Some(match info {
            Some((user, host, secs)) => {
                format!("connection {id} (user {user}, from {host}, for {secs} s)")
            }
            None => format!("connection {id}"),
        })
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.execute("START TRANSACTION")
    }

    /// `KILL QUERY` of this connection's statement, from a connection of its own.
    fn canceller(&self) -> Option<super::Canceller> {
        let opts = self.opts.clone();
        let id = self.conn.connection_id();
        Some(std::sync::Arc::new(move || {
            if let Ok(mut c) = Conn::new(opts.clone()) {
                let _ = c.query_drop(format!("KILL QUERY {id}"));
            }
        }))
    }

    fn session_info(&mut self) -> (String, String) {
        let user: String = self
            .conn
            .query_first("SELECT CURRENT_USER()")
            .ok()
            .flatten()
            .unwrap_or_default();
        (user, super::sqlite::local_host())
    }

    fn read_catalog(&mut self, own: &[QName]) -> Result<Catalog, DbError> {
        catalog::read(&mut |sql: &str| self.rows(sql), own)
    }

    fn create_database(&mut self, name: &str) -> Result<(), DbError> {
        scratch::create_database(self, name)
    }

    fn drop_database(&mut self, name: &str) -> Result<(), DbError> {
        scratch::drop_database(self, name)
    }

    fn empty_database(&mut self) -> Result<(), DbError> {
        scratch::empty_database(self)
    }
}

impl MySql {
    /// Every row of a query sent as text (one round trip; `SHOW` included),
    /// every column as text.
    fn rows(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        let rows: Vec<mysql::Row> = self.conn.query(sql).map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| r.unwrap().into_iter().map(text).collect())
            .collect())
    }
}
