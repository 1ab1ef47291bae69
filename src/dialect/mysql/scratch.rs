//! Scratch databases on a MySQL/MariaDB server: created and dropped for one
//! comparison, or a `dev_url` database emptied for the next one.

use super::clauses::{ident, literal};
use super::MySql;
use crate::dialect::{Database, DbError};

/// Creates database `name` with the default character set and collation of
/// the database connected to, so that tables created there without one get
/// the same as in the configured database.
pub(crate) fn create_database(db: &mut MySql, name: &str) -> Result<(), DbError> {
    let rows = db.rows("SELECT @@character_set_database, @@collation_database")?;
    let mut sql = format!("CREATE DATABASE {}", ident(name));
    if let Some(r) = rows.first() {
        if let (Some(Some(charset)), Some(Some(collation))) = (r.first(), r.get(1)) {
            sql.push_str(&format!(" CHARACTER SET {charset} COLLATE {collation}"));
        }
    }
    db.execute(&sql)
}

/// Drops database `name`. The connections still using it are ended first:
/// an open transaction there holds locks that `DROP DATABASE` would wait for
/// (for `lock_wait_timeout`, a year by default). A connection the user may
/// not end is left to the server's own waiting.
pub(crate) fn drop_database(db: &mut MySql, name: &str) -> Result<(), DbError> {
    let sql = format!(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = {} AND ID <> CONNECTION_ID()",
        literal(name)
    );
    for r in db.rows(&sql)? {
        if let Some(Some(id)) = r.first() {
            if id.bytes().all(|b| b.is_ascii_digit()) {
                // Gone already, or not ours to end: DROP DATABASE says what remains.
                let _ = db.execute(&format!("KILL CONNECTION {id}"));
            }
        }
    }
    db.execute(&format!("DROP DATABASE IF EXISTS {}", ident(name)))
}

/// Drops every table, view, sequence, routine and event of the database
/// connected to (triggers go with their tables), foreign keys not checked
/// meanwhile, so tables go in any order.
pub(crate) fn empty_database(db: &mut MySql) -> Result<(), DbError> {
    let head = db.rows("SELECT DATABASE(), @@FOREIGN_KEY_CHECKS")?;
    let (Some(name), checks) = (
        head.first().and_then(|r| r.first().cloned().flatten()),
        head.first().and_then(|r| r.get(1).cloned().flatten()),
    ) else {
        return Err(DbError::msg(
            "no database is selected: the URL names none, so there is nothing to empty",
        ));
    };
    let schema = literal(&name);
    let names = |rows: Vec<crate::dialect::Row>| -> Vec<(String, String)> {
        rows.into_iter()
            .map(|r| {
                let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                (cell(0), cell(1))
            })
            .collect()
    };
    let objects = names(db.rows(&format!(
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {schema}"
    ))?);
    let routines = names(db.rows(&format!(
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {schema} AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')"
    ))?);
    let events = names(db.rows(&format!(
        "SELECT EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {schema}"
    ))?);
    let list = |kind: &str| -> String {
        objects
            .iter()
            .filter(|(_, t)| match kind {
                "VIEW" | "SEQUENCE" => t == kind,
                _ => t != "VIEW" && t != "SEQUENCE",
            })
            .map(|(n, _)| ident(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut statements = Vec::new();
    for (kind, what) in [
        ("VIEW", "VIEW"),
        ("TABLE", "TABLE"),
        ("SEQUENCE", "SEQUENCE"),
    ] {
        let names = list(kind);
        if !names.is_empty() {
            statements.push(format!("DROP {what} IF EXISTS {names}"));
        }
    }
    for (n, kind) in &routines {
        statements.push(format!("DROP {kind} IF EXISTS {}", ident(n)));
    }
    for (n, _) in &events {
        statements.push(format!("DROP EVENT IF EXISTS {}", ident(n)));
    }
    db.execute("SET FOREIGN_KEY_CHECKS = 0")?;
    let result = statements.iter().try_for_each(|s| db.execute(s));
    // Put back as it was, whatever happened.
    let restore = match checks.as_deref() {
        Some("0") => Ok(()),
        _ => db.execute("SET FOREIGN_KEY_CHECKS = 1"),
    };
    result.and(restore)
}
