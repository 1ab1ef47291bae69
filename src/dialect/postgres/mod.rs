//! PostgreSQL through `tokio-postgres`, driven by a runtime of its own on the
//! calling thread (each call blocks until the server answers). Statements go
//! over the simple query protocol (any statement, no parameters);
//! version-table statements are prepared once and bound, except on a
//! connection told to rely on no session (`sessionless`, behind a pooler in
//! transaction mode), where everything goes over the simple protocol
//! (`simple`). The lock is a
//! session advisory lock, polled with `pg_try_advisory_lock` so that waiting
//! never blocks inside the server (a blocked waiter can deadlock `CREATE
//! INDEX CONCURRENTLY` elsewhere).
//!
//! Connecting is bounded as a whole by `connect_timeout` (libpq's key,
//! default 10 s): the TCP connection, TLS, the startup message and
//! authentication. A server that accepts the connection and never answers (a
//! stuck proxy, a half-open load balancer) is given up on when it runs out,
//! as a failure `--wait` may retry.
//!
//! For autogenerate: `catalog` reads a schema from the server's catalog into
//! the normalized model, `ddl` writes each change as PostgreSQL's SQL,
//! `scratch` creates, drops and empties the databases a comparison runs in,
//! and `quote` writes names and literals as the server does.

mod catalog;
mod ddl;
mod quote;
mod scratch;
mod simple;

use super::tls::{self, PgSslMode};
use super::{
    endpoint, Canceller, Capabilities, ConnectError, ConnectOptions, Database, DbError, Dialect,
    Kind, LockKey, Query, Row, ServerInfo,
};
use crate::url::DbUrl;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How long connecting may take when the URL sets no `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How PostgreSQL writes SQL.
pub struct PostgresDialect;

/// The PostgreSQL dialect.
pub static POSTGRES: PostgresDialect = PostgresDialect;

/// What the backend can do (see `Capabilities`).
pub const CAPABILITIES: Capabilities = Capabilities {
    transactional_ddl: true,
    lock_is_transaction: false,
    lock_on_own_connection: false,
    batches_statements: false,
    batches_rows: true,
    audit_log: true,
    commits_each_record: true,
};

impl Dialect for PostgresDialect {
    fn kind(&self) -> Kind {
        Kind::Postgres
    }

    fn quote_ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn int_placeholder(&self, n: usize) -> String {
        format!("CAST(CAST(${n} AS TEXT) AS BIGINT)")
    }

    /// An `E''` string, backslashes escaped, so that
    /// `standard_conforming_strings` cannot change what it means. A NUL, which
    /// PostgreSQL text cannot hold, is written as the two characters `\0`.
    fn text_literal(&self, value: &str) -> String {
        format!(
            "E'{}'",
            storable(value).replace('\\', "\\\\").replace('\'', "''")
        )
    }

    fn table_exists(&self, schema: Option<&str>, name: &str) -> Query {
        match schema {
            Some(s) => Query {
                sql: "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2".into(),
                params: vec![s.to_string(), name.to_string()],
            },
            None => Query {
                sql: "SELECT 1 FROM pg_catalog.pg_class c WHERE c.relname = $1 AND c.relkind IN ('r','p') AND pg_catalog.pg_table_is_visible(c.oid)".into(),
                params: vec![name.to_string()],
            },
        }
    }

    fn table_columns(&self, schema: Option<&str>, name: &str) -> Query {
        const COLUMNS: &str = "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p')";
        match schema {
            Some(s) => Query {
                sql: format!("{COLUMNS} AND n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum"),
                params: vec![s.to_string(), name.to_string()],
            },
            None => Query {
                sql: format!("{COLUMNS} AND c.relname = $1 AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY a.attnum"),
                params: vec![name.to_string()],
            },
        }
    }

    fn lock_identity(&self, url: &DbUrl, _cwd: &Path) -> String {
        format!(
            "{}:{}",
            url.host.as_deref().unwrap_or(""),
            url.database.as_deref().unwrap_or("")
        )
    }

    fn ddl(&self) -> &'static dyn crate::schema::Ddl {
        &ddl::POSTGRES_DDL
    }

    fn epoch_now(&self) -> &'static str {
        "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"
    }
}

/// Text PostgreSQL can store: a NUL byte, which no text value may hold, as
/// the two characters `\0` (bookkeeping text only: a revision's SQL in the
/// audit log, where a NUL can only sit in a comment).
fn storable(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains('\0') {
        std::borrow::Cow::Owned(value.replace('\0', "\\0"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

pub struct Postgres {
    client: Client,
    prepared: HashMap<String, tokio_postgres::Statement>,
    /// No session of its own may be relied on (see `Database::sessionless`):
    /// every statement goes over the simple protocol, parameters as literals.
    sessionless: bool,
    /// Cancels the running statement from another thread (Ctrl-C), over a
    /// connection of its own, with the same TLS settings.
    cancel: (tokio_postgres::CancelToken, MakeRustlsConnect),
    /// Runs the connection's task while a call waits for its answer; dropped
    /// after the client, which closes the connection.
    rt: Runtime,
}

fn db_error(e: tokio_postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(db) => {
            let mut message = db.message().to_string();
            if let Some(detail) = db.detail() {
                message.push_str("\nDETAIL: ");
                message.push_str(detail);
            }
            if let Some(hint) = db.hint() {
                message.push_str("\nHINT: ");
                message.push_str(hint);
            }
            DbError {
                code: Some(db.code().code().to_string()),
                message,
                position: match db.position() {
                    Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                    _ => None,
                },
            }
        }
        None => DbError::msg(e.to_string()),
    }
}

/// The TLS options of a URL, as libpq names them.
struct TlsOptions {
    /// `sslmode`; libpq's default is `prefer`.
    mode: PgSslMode,
    /// `sslrootcert`: the CA file; `system` (or none) means the built-in Mozilla roots.
    root_cert: Option<PathBuf>,
    root_cert_given: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// Builds the connection settings from the URL's parts and query options.
fn config(opts: &ConnectOptions<'_>) -> Result<(tokio_postgres::Config, TlsOptions), ConnectError> {
    let url = opts.url;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(url.host.as_deref().unwrap_or("localhost"));
    cfg.port(url.port.unwrap_or(5432));
    cfg.user(url.user.as_deref().unwrap_or("postgres"));
    if let Some(p) = &url.password {
        cfg.password(p);
    }
    if let Some(db) = &url.database {
        cfg.dbname(db);
    }
    cfg.application_name("migrate");
    cfg.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    let mut tls = TlsOptions {
        mode: PgSslMode::Prefer,
        root_cert: None,
        root_cert_given: None,
        cert: None,
        key: None,
    };
    for (k, v) in &url.query {
        let bad = |what: &str| ConnectError {
            message: format!("bad `{k}={v}` in {}: {what}", opts.display),
            retryable: false,
        };
        match k.as_str() {
            "application_name" => {
                cfg.application_name(v);
            }
            "options" => {
                cfg.options(v);
            }
            "connect_timeout" => {
                let s: u64 = v.parse().map_err(|_| bad("expected seconds"))?;
                cfg.connect_timeout(Duration::from_secs(s.max(1)));
            }
            "sslmode" => {
                tls.mode = PgSslMode::parse(v)
                    .ok_or_else(|| bad(&format!("expected one of {}", PgSslMode::WORDS)))?;
            }
            "sslrootcert" => {
                tls.root_cert_given = Some(format!("sslrootcert={v}"));
                tls.root_cert = (v != "system").then(|| PathBuf::from(v));
            }
            "sslcert" => tls.cert = Some(PathBuf::from(v)),
            "sslkey" => tls.key = Some(PathBuf::from(v)),
            "sslnegotiation" => {
                cfg.ssl_negotiation(match v.as_str() {
                    "postgres" => tokio_postgres::config::SslNegotiation::Postgres,
                    "direct" => tokio_postgres::config::SslNegotiation::Direct,
                    _ => return Err(bad("expected postgres or direct")),
                });
            }
            "hostaddr" => {
                cfg.hostaddr(v.parse().map_err(|_| bad("expected an IP address"))?);
            }
            "host" => {
                cfg.host(v);
            }
            "port" => {
                cfg.port(v.parse().map_err(|_| bad("expected a port number"))?);
            }
            "user" => {
                cfg.user(v);
            }
            "password" => {
                cfg.password(v);
            }
            "dbname" => {
                cfg.dbname(v);
            }
            _ => {}
        }
    }
    if tls.cert.is_some() != tls.key.is_some() {
        let (given, missing) = if tls.cert.is_some() {
            ("sslcert", "sslkey")
        } else {
            ("sslkey", "sslcert")
        };
        return Err(ConnectError {
            message: format!(
                "{} gives {given} without {missing}; a client certificate needs both sslcert and sslkey",
                opts.display
            ),
            retryable: false,
        });
    }
    Ok((cfg, tls))
}

/// The rustls connector for the URL's TLS options, and the mode for `postgres`.
fn tls_connector(
    tls: &TlsOptions,
    mode: PgSslMode,
    display: &str,
) -> Result<(SslMode, MakeRustlsConnect), ConnectError> {
    let ssl_mode = match mode {
        PgSslMode::Disable => SslMode::Disable,
        PgSslMode::Allow | PgSslMode::Prefer => SslMode::Prefer,
        PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull => SslMode::Require,
    };
    let client = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => Some(tls::ClientCert {
            cert,
            cert_option: "sslcert",
            key,
            key_option: "sslkey",
        }),
        _ => None,
    };
    let config = tls::client_config(
        mode.verify(tls.root_cert_given.is_some()),
        tls.root_cert.as_deref(),
        "sslrootcert",
        client.as_ref(),
    )
    .map_err(|e| ConnectError {
        message: format!("{e} (in {display})"),
        retryable: false,
    })?;
    Ok((ssl_mode, MakeRustlsConnect::new(config)))
}

/// One connection attempt, bounded as a whole by the configured connect timeout.
fn connect_once(
    rt: &Runtime,
    cfg: &tokio_postgres::Config,
    make: MakeRustlsConnect,
) -> Result<Result<Client, tokio_postgres::Error>, Duration> {
    let limit = cfg
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    rt.block_on(async {
        match tokio::time::timeout(limit, cfg.connect(make)).await {
            Err(_) => Err(limit),
            Ok(Err(e)) => Ok(Err(e)),
            Ok(Ok((client, connection))) => {
                // The connection's task ends when the server or the client
                // closes it; its error shows in the client's next call.
                tokio::spawn(async move {
                    let _ = connection.await;
                });
                Ok(Ok(client))
            }
        }
    })
}

pub fn connect(opts: &ConnectOptions<'_>) -> Result<Postgres, ConnectError> {
    let (mut cfg, tls_opts) = config(opts)?;
    let where_ = endpoint(opts.url, 5432);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ConnectError {
            message: format!("cannot start the PostgreSQL client: {e}"),
            retryable: false,
        })?;
    let silent = |limit: Duration| {
        ConnectError {
        message: format!(
            "the PostgreSQL server at {where_} ({}) accepted the connection but did not finish the handshake within {} s (connect_timeout); is a PostgreSQL server really listening there, or is it (or a proxy in front of it) stuck? `--wait` retries, and `?connect_timeout=SECONDS` in the URL sets the limit",
            opts.display,
            limit.as_secs()
        ),
        retryable: true,
    }
    };
    // `allow` (libpq): plain first, TLS only when the server turns plain away.
    let first = match tls_opts.mode {
        PgSslMode::Allow => PgSslMode::Disable,
        m => m,
    };
    let (ssl_mode, mut make) = tls_connector(&tls_opts, first, &opts.display)?;
    cfg.ssl_mode(ssl_mode);
    let mut result = connect_once(&rt, &cfg, make.clone()).map_err(silent)?;
    if tls_opts.mode == PgSslMode::Allow {
        if let Err(e) = &result {
            if e.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION) {
                let (ssl_mode, again) =
                    tls_connector(&tls_opts, PgSslMode::Require, &opts.display)?;
                make = again;
                cfg.ssl_mode(ssl_mode);
                result = connect_once(&rt, &cfg, make.clone()).map_err(silent)?;
            }
        }
    }
    match result {
        Ok(client) => Ok(Postgres {
            cancel: (client.cancel_token(), make),
            client,
            prepared: HashMap::new(),
            sessionless: false,
            rt,
        }),
        Err(e) => {
            if let Some(message) = tls_failure(&e, &cfg, &tls_opts, &where_) {
                return Err(ConnectError {
                    message,
                    retryable: false,
                });
            }
            let db = opts.url.database.as_deref().unwrap_or("");
            let (message, retryable) = match e.as_db_error() {
                Some(d) if *d.code() == SqlState::INVALID_CATALOG_NAME => (
                    format!(
                        "database \"{db}\" does not exist on the PostgreSQL server at {where_}; create it (`createdb {db}` or `CREATE DATABASE \"{db}\"`) or fix the URL ({})",
                        opts.display
                    ),
                    true,
                ),
                Some(d) if *d.code() == SqlState::CANNOT_CONNECT_NOW => (
                    format!("the PostgreSQL server at {where_} is starting up: {}", d.message()),
                    true,
                ),
                Some(d) => (
                    format!(
                        "PostgreSQL at {where_} refused the connection ({}): [{}] {}",
                        opts.display,
                        d.code().code(),
                        d.message()
                    ),
                    false,
                ),
                None => (
                    format!(
                        "cannot connect to PostgreSQL at {where_} ({}): {}; is the server running and reachable? `--wait` retries while it starts",
                        opts.display,
                        crate::url::redact(&error_chain(&e))
                    ),
                    true,
                ),
            };
            Err(ConnectError { message, retryable })
        }
    }
}

/// A TLS failure in words (a certificate rejected, or no TLS where it is required).
#[allow(clippy::match_wildcard_for_single_variants)] // Host::Unix exists on unix only
fn tls_failure(
    e: &tokio_postgres::Error,
    cfg: &tokio_postgres::Config,
    tls_opts: &TlsOptions,
    where_: &str,
) -> Option<String> {
    let host = cfg
        .get_hosts()
        .iter()
        .find_map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => Some(name.clone()),
            #[allow(unreachable_patterns, clippy::match_wildcard_for_single_variants)]
            _ => None,
        })
        .unwrap_or_else(|| "localhost".into());
    let target = tls::Target {
        kind: Kind::Postgres,
        endpoint: where_,
        host: &host,
        mode: format!("sslmode={}", tls_opts.mode.as_str()),
        roots: tls_opts.root_cert_given.clone(),
        client_cert: tls_opts
            .cert
            .as_ref()
            .map(|p| format!("sslcert={}", p.display())),
    };
    if let Some(m) = tls::explain(e, &target) {
        return Some(m);
    }
    if error_chain(e).contains("server does not support TLS") {
        return Some(tls::no_tls_message(&target));
    }
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// Column `i` of a row as text, whatever its type (NULL as `None`).
fn cell_text(r: &tokio_postgres::Row, i: usize) -> Option<String> {
    if let Ok(v) = r.try_get::<_, Option<String>>(i) {
        return v;
    }
    if let Ok(v) = r.try_get::<_, Option<i64>>(i) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = r.try_get::<_, Option<i32>>(i) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = r.try_get::<_, Option<i16>>(i) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = r.try_get::<_, Option<bool>>(i) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = r.try_get::<_, Option<f64>>(i) {
        return v.map(|v| v.to_string());
    }
    None
}

impl Postgres {
    fn statement(&mut self, sql: &str) -> Result<tokio_postgres::Statement, DbError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .rt
            .block_on(self.client.prepare(sql))
            .map_err(db_error)?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl Database for Postgres {
    fn dialect(&self) -> &'static dyn Dialect {
        &POSTGRES
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(db_error)
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        if self.sessionless {
            return self.execute_simple(&simple::inline_params(sql, params));
        }
        let stmt = self.statement(sql)?;
        let values: Vec<std::borrow::Cow<'_, str>> = params.iter().map(|p| storable(p)).collect();
        let p: Vec<&(dyn ToSql + Sync)> = values.iter().map(|s| s as &(dyn ToSql + Sync)).collect();
        self.rt
            .block_on(self.client.execute(&stmt, &p))
            .map_err(db_error)
    }

    fn query_rows(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Row>, DbError> {
        if self.sessionless {
            return self.query_simple(&simple::inline_params(sql, params));
        }
        let p: Vec<&(dyn ToSql + Sync)> = params.iter().map(|s| s as &(dyn ToSql + Sync)).collect();
        let stmt = self.statement(sql)?;
        let rows = self
            .rt
            .block_on(self.client.query(&stmt, &p))
            .map_err(db_error)?;
        Ok(rows
            .iter()
            .map(|r| (0..r.len()).map(|i| cell_text(r, i)).collect())
            .collect())
    }

    fn execute_simple(&mut self, sql: &str) -> Result<u64, DbError> {
        self.simple(sql).map(|(_, n)| n)
    }

    fn query_simple(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        self.simple(sql).map(|(rows, _)| rows)
    }

    fn sessionless(&mut self) {
        self.sessionless = true;
        self.prepared.clear();
    }

    fn server_info(&mut self) -> ServerInfo {
        let version = self
            .query_first("SELECT version()")
            .ok()
            .flatten()
            .flatten()
            .unwrap_or_default();
        ServerInfo {
            version,
            ..ServerInfo::default()
        }
    }

    fn try_lock(&mut self, key: &LockKey) -> Result<bool, DbError> {
        let row = self
            .rt
            .block_on(
                self.client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&key.id]),
            )
            .map_err(db_error)?;
        Ok(row.get::<_, bool>(0))
    }

    fn unlock(&mut self, key: &LockKey) -> Result<(), DbError> {
        self.rt
            .block_on(
                self.client
                    .query_one("SELECT pg_advisory_unlock($1)", &[&key.id]),
            )
            .map_err(db_error)?;
        Ok(())
    }

    fn lock_holder(&mut self, key: &LockKey) -> Option<String> {
        let classid = ((key.id as u64) >> 32) as u32 as i64;
        let objid = (key.id as u64 & 0xffff_ffff) as i64;
        let rows = self
            .rt
            .block_on(self.client.query(
                "SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), \
                 coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), ''), \
                 coalesce(a.state, '') || coalesce(' for ' || extract(epoch FROM now() - a.state_change)::bigint || ' s', '') \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1",
                &[&classid, &objid],
            ))
            .ok()?;
        let r = rows.first()?;
        // pg_advisory_lock(bigint) shows in pg_locks as classid = high 32 bits,
        // objid = low 32 bits, objsubid = 1.
        Some(format!(
            "pid {} (application_name '{}', from {}, connected since {}, {})",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2),
            r.get::<_, String>(3),
            r.get::<_, String>(4)
        ))
    }

    /// The server notices a dead client only when it writes to it, which a
    /// backend busy in `pg_sleep` or a long DDL does not: it would keep the lock
    /// and the open transaction until the statement ends. PostgreSQL 14+ checks
    /// the socket every `client_connection_check_interval`; older servers
    /// ignore the setting (the error is not fatal).
    fn guard_session(&mut self) -> Result<(), DbError> {
        if self.sessionless {
            return Ok(());
        }
        let _ = self.rt.block_on(
            self.client
                .batch_execute("SET client_connection_check_interval = 1000"),
        );
        Ok(())
    }

    fn canceller(&self) -> Option<Canceller> {
        let (token, tls) = self.cancel.clone();
        Some(Arc::new(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(token.cancel_query(tls.clone()));
            }
        }))
    }

    fn read_catalog(
        &mut self,
        own: &[crate::schema::model::QName],
    ) -> Result<crate::schema::Catalog, DbError> {
        catalog::read(self, own)
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

    fn disposable_session(&mut self) -> Result<(), DbError> {
        // A commit returns before its WAL reaches the disk; a crash loses
        // only the last commits of a database that is thrown away anyway.
        self.execute("SET synchronous_commit = off")
    }

    fn session_info(&mut self) -> (String, String) {
        let user = self
            .query_first("SELECT current_user::text")
            .ok()
            .flatten()
            .flatten()
            .unwrap_or_default();
        (user, super::sqlite::local_host())
    }
}
