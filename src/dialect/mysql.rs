//! MySQL and MariaDB through the `mysql` crate. DDL commits itself here, so
//! the runtime records each revision in the version table right after it runs.
//! The lock is `GET_LOCK`, held by the session and released by the server if
//! the process dies.

use super::{endpoint, ConnectError, ConnectOptions, Database, DbError, Kind, LockKey};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Value};
use std::time::Duration;

pub struct MySql {
    conn: Conn,
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

fn opts(opts: &ConnectOptions<'_>) -> Result<OptsBuilder, ConnectError> {
    let url = opts.url;
    let mut b = OptsBuilder::new()
        .ip_or_hostname(Some(url.host.clone().unwrap_or_else(|| "localhost".into())))
        .tcp_port(url.port.unwrap_or(3306))
        .user(Some(url.user.clone().unwrap_or_else(|| "root".into())))
        .pass(url.password.clone())
        .db_name(url.database.clone())
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(10)));
    for (k, v) in &url.query {
        let bad = |what: &str| ConnectError {
            message: format!("bad `{k}={v}` in {}: {what}", opts.display),
            retryable: false,
        };
        match k.as_str() {
            "socket" | "unix_socket" => b = b.socket(Some(v.clone())),
            "connect_timeout" => {
                let s: u64 = v.parse().map_err(|_| bad("expected seconds"))?;
                b = b.tcp_connect_timeout(Some(Duration::from_secs(s.max(1))));
            }
            "ssl-mode" | "ssl_mode" | "sslmode" => match v.to_ascii_uppercase().as_str() {
                "DISABLED" | "PREFERRED" | "DISABLE" | "PREFER" => {}
                _ => {
                    return Err(bad(
                        "this build connects without TLS; use ssl-mode=DISABLED or PREFERRED",
                    ))
                }
            },
            "charset" => {}
            _ => {}
        }
    }
    Ok(b)
}

pub fn connect(o: &ConnectOptions<'_>) -> Result<MySql, ConnectError> {
    let b = opts(o)?;
    let where_ = endpoint(o.url, 3306);
    match Conn::new(b) {
        Ok(conn) => Ok(MySql { conn }),
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

fn text(v: Value) -> String {
    match v {
        Value::NULL => String::new(),
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(f) => f.to_string(),
        other => other.as_sql(true),
    }
}

impl Database for MySql {
    fn kind(&self) -> Kind {
        Kind::MySql
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.query_drop(sql).map_err(db_error)
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        let p: Vec<Value> = params.iter().map(|s| Value::from(*s)).collect();
        self.conn.exec_drop(sql, p).map_err(db_error)?;
        Ok(self.conn.affected_rows())
    }

    fn query_column(&mut self, sql: &str, params: &[&str]) -> Result<Vec<String>, DbError> {
        let p: Vec<Value> = params.iter().map(|s| Value::from(*s)).collect();
        let rows: Vec<mysql::Row> = self.conn.exec(sql, p).map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|mut r| r.take::<Value, _>(0).map(text).unwrap_or_default())
            .collect())
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

    fn session_info(&mut self) -> (String, String) {
        let user: String = self
            .conn
            .query_first("SELECT CURRENT_USER()")
            .ok()
            .flatten()
            .unwrap_or_default();
        (user, super::sqlite::local_host())
    }
}
