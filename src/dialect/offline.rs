//! Offline `--sql` mode: a `Database` that writes each statement to the output
//! instead of running it, in a form that `psql`, `mysql`/`mariadb` and
//! `sqlite3` accept as is.
//!
//! The layout is Alembic's (`DefaultImpl.static_output`): each statement
//! followed by `;` and a blank line, `-- Running upgrade a -> b` markers,
//! `BEGIN;`/`COMMIT;` only where DDL is transactional (here PostgreSQL and
//! SQLite). Three additions: a step's marker is written after a `BEGIN;` that
//! opens the step (as Alembic's per-migration transaction does); a MySQL
//! compound statement (a routine or trigger body, whose text holds `;`) is
//! wrapped in `DELIMITER` lines, which the mysql client needs; and MySQL
//! output starts with the dialect's preamble (`SET NAMES utf8mb4;`, the
//! online connection's character set). The runtime drives it exactly as it
//! drives a connection; nothing is read back: the version table holds the
//! rows the command's `FROM` names, and exists when a `FROM:TO` range is given.

use super::{
    capabilities_of, dialect_of, Capabilities, Database, DbError, Dialect, Kind, LockKey, Row,
    VersionTable,
};
use std::io::{ErrorKind, Write};

/// A `Database` that prints the SQL it is given.
pub struct Offline {
    dialect: &'static dyn Dialect,
    out: Box<dyn Write>,
    /// The version table's rows the run starts from; `None` when the table is
    /// taken not to exist (the run starts from base and creates it).
    start: Option<Vec<String>>,
    /// A step marker not yet written: it goes after the `BEGIN;` that may follow it.
    pending_comment: Option<String>,
    /// The reader went away (`migrate … --sql | head`): nothing more is written.
    closed: bool,
    /// Something was written (the MySQL preamble goes first).
    started: bool,
}

impl Offline {
    /// Output for `kind` to `out`, starting from the version-table rows
    /// `start` (`None`: there is no version table yet).
    pub fn new(kind: Kind, out: Box<dyn Write>, start: Option<Vec<String>>) -> Offline {
        Offline {
            dialect: dialect_of(kind),
            out,
            start,
            pending_comment: None,
            closed: false,
            started: false,
        }
    }

    fn write_raw(&mut self, text: &str) -> Result<(), DbError> {
        if self.closed {
            return Ok(());
        }
        let preamble = if self.started {
            ""
        } else {
            self.started = true;
            self.dialect.offline_preamble()
        };
        match self.out.write_all(format!("{preamble}{text}").as_bytes()) {
            Ok(()) => Ok(()),
            // Like `cat`, stop quietly when the reader is gone.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(DbError::msg(format!("writing SQL output: {e}"))),
        }
    }

    fn flush_comment(&mut self) -> Result<(), DbError> {
        match self.pending_comment.take() {
            Some(text) => self.write_raw(&format!("-- {text}\n\n")),
            None => Ok(()),
        }
    }

    /// Writes `text` after any pending step marker.
    fn write(&mut self, text: &str) -> Result<(), DbError> {
        self.flush_comment()?;
        self.write_raw(text)
    }

    fn flush(&mut self) -> Result<(), DbError> {
        self.flush_comment()?;
        if self.closed {
            return Ok(());
        }
        match self.out.flush() {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| DbError::msg(format!("writing SQL output: {e}"))),
        }
    }
}

impl Drop for Offline {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A client delimiter that does not occur in `sql`, nor starts to where `sql`
/// ends (`END/` + `//` would end at the first `//`), for a `DELIMITER` block.
fn delimiter_for(sql: &str) -> String {
    let fits = |d: &str| !sql.contains(d) && !d.starts_with(|c| sql.ends_with(c));
    ["//", "$$", ";;", "@@"]
        .into_iter()
        .find(|d| fits(d))
        .map_or_else(
            || {
                // Longer and longer runs of a character `sql` does not end with
                // (one of two always is): one is absent from `sql` in the end.
                let c = if sql.ends_with('|') { '~' } else { '|' };
                let mut d = format!("{c}{c}");
                while !fits(&d) {
                    d.push(c);
                }
                d
            },
            str::to_string,
        )
}

/// Replaces the placeholders of `sql` (`$1`… or `?`) with the values as
/// readable literals.
pub fn inline_params(dialect: &dyn Dialect, sql: &str, params: &[&str]) -> String {
    let kind = dialect.kind();
    let literal = |p: &&str| dialect.readable_literal(p);
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    let mut next = 0usize;
    let mut in_quote: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        match in_quote {
            Some(q) => {
                if c == q {
                    in_quote = None;
                }
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                if c == '"' || c == '`' || c == '\'' {
                    in_quote = Some(c);
                    out.push(c);
                    rest = &rest[len..];
                } else if c == '?' && kind != Kind::Postgres {
                    out.push_str(&params.get(next).map(literal).unwrap_or_default());
                    next += 1;
                    rest = &rest[len..];
                } else if c == '$' && kind == Kind::Postgres {
                    let digits: String =
                        rest[1..].chars().take_while(char::is_ascii_digit).collect();
                    match digits.parse::<usize>() {
                        Ok(n) if n >= 1 => {
                            out.push_str(&params.get(n - 1).map(literal).unwrap_or_default());
                            rest = &rest[1 + digits.len()..];
                        }
                        _ => {
                            out.push(c);
                            rest = &rest[len..];
                        }
                    }
                } else {
                    out.push(c);
                    rest = &rest[len..];
                }
            }
        }
    }
    out
}

impl Offline {
    fn transactional(&self) -> bool {
        capabilities_of(self.dialect.kind()).transactional_ddl
    }
}

impl Database for Offline {
    fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// The online database's transactions, and nothing that needs a server
    /// or an audit log.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: self.transactional(),
            lock_is_transaction: false,
            lock_on_own_connection: false,
            batches_statements: false,
            batches_rows: false,
            audit_log: false,
            commits_each_record: false,
        }
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.write(&format!("{sql};\n\n"))
    }

    fn execute_compound(&mut self, sql: &str) -> Result<(), DbError> {
        if self.dialect.kind() == Kind::MySql {
            // The mysql client ends a statement at the first `;`; DELIMITER lines are
            // client syntax that tells it otherwise (never sent to the server).
            let delim = delimiter_for(sql);
            self.write(&format!("DELIMITER {delim}\n{sql}{delim}\nDELIMITER ;\n\n"))
        } else {
            self.execute(sql)
        }
    }

    /// Written with its values in; taken to match the one row it means.
    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        let text = inline_params(self.dialect, sql, params);
        self.execute(&text)?;
        Ok(1)
    }

    fn query_rows(&mut self, _sql: &str, _params: &[&str]) -> Result<Vec<Row>, DbError> {
        Ok(Vec::new())
    }

    /// Only the version table is asked about: it exists when a `FROM` was given.
    fn table_exists(&mut self, _schema: Option<&str>, _name: &str) -> Result<bool, DbError> {
        Ok(self.start.is_some())
    }

    fn read_versions(&mut self, _table: &VersionTable) -> Result<Vec<String>, DbError> {
        Ok(self.start.clone().unwrap_or_default())
    }

    fn try_lock(&mut self, _key: &LockKey) -> Result<bool, DbError> {
        Ok(true)
    }

    fn unlock(&mut self, _key: &LockKey) -> Result<(), DbError> {
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
        if self.transactional() {
            // A step's marker goes inside the transaction that opens the step.
            self.write_raw("BEGIN;\n\n")?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), DbError> {
        if self.transactional() {
            self.write("COMMIT;\n\n")?;
        }
        self.flush()
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    fn comment(&mut self, text: &str) -> Result<(), DbError> {
        self.flush_comment()?;
        self.pending_comment = Some(text.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn offline(kind: Kind) -> (Offline, Buf) {
        let buf = Buf::default();
        (Offline::new(kind, Box::new(buf.clone()), None), buf)
    }

    fn text(buf: &Buf) -> String {
        String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned()
    }

    #[test]
    fn a_step_marker_goes_after_the_begin_that_opens_the_step() {
        let (mut db, buf) = offline(Kind::Postgres);
        db.comment("Running upgrade  -> a").unwrap();
        db.begin().unwrap();
        db.execute("CREATE TABLE t (id int)").unwrap();
        db.commit().unwrap();
        assert_eq!(
            text(&buf),
            "BEGIN;\n\n-- Running upgrade  -> a\n\nCREATE TABLE t (id int);\n\nCOMMIT;\n\n"
        );
    }

    #[test]
    fn a_step_marker_goes_before_the_commit_of_an_autocommit_block() {
        let (mut db, buf) = offline(Kind::Sqlite);
        db.begin().unwrap();
        db.comment("Running upgrade a -> b").unwrap();
        db.commit().unwrap();
        db.execute("VACUUM").unwrap();
        db.begin().unwrap();
        assert_eq!(
            text(&buf),
            "BEGIN;\n\n-- Running upgrade a -> b\n\nCOMMIT;\n\nVACUUM;\n\nBEGIN;\n\n"
        );
    }

    #[test]
    fn mysql_has_no_transactions_and_wraps_compound_statements_in_delimiter_lines() {
        let (mut db, buf) = offline(Kind::MySql);
        db.begin().unwrap();
        db.comment("Running upgrade  -> a").unwrap();
        db.execute_compound("CREATE PROCEDURE p() BEGIN SELECT 1; END")
            .unwrap();
        db.execute_compound("CREATE PROCEDURE q() BEGIN SELECT '//'; END")
            .unwrap();
        db.commit().unwrap();
        assert_eq!(
            text(&buf),
            "SET NAMES utf8mb4;\n\n\
             -- Running upgrade  -> a\n\n\
             DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\n\n\
             DELIMITER $$\nCREATE PROCEDURE q() BEGIN SELECT '//'; END$$\nDELIMITER ;\n\n"
        );
    }

    #[test]
    fn compound_statements_elsewhere_are_plain_statements() {
        let (mut db, buf) = offline(Kind::Sqlite);
        db.execute_compound("CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END")
            .unwrap();
        assert_eq!(
            text(&buf),
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\n\n"
        );
    }

    #[test]
    fn a_delimiter_is_always_found() {
        assert_eq!(delimiter_for("a"), "//");
        assert_eq!(delimiter_for("a /"), "$$");
        assert_eq!(delimiter_for("// $$ ;; @@"), "||");
        assert_eq!(delimiter_for("// $$ ;; @@ || x"), "|||");
        assert_eq!(delimiter_for("// $$ ;; @@ ||"), "~~");
        assert_eq!(delimiter_for("// $$ ;; @@ |"), "~~");
    }

    #[test]
    fn a_closed_pipe_ends_the_output_quietly() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::Error::from(ErrorKind::BrokenPipe))
            }
        }
        let mut db = Offline::new(Kind::Postgres, Box::new(Closed), None);
        assert!(db.execute("SELECT 1").is_ok());
        assert!(db.commit().is_ok());
    }

    #[test]
    fn params_become_literals() {
        assert_eq!(
            inline_params(
                dialect_of(Kind::Postgres),
                "UPDATE \"t$1\" SET v = $1 WHERE v = $2",
                &["b", "a'"]
            ),
            "UPDATE \"t$1\" SET v = 'b' WHERE v = 'a'''"
        );
        assert_eq!(
            inline_params(
                dialect_of(Kind::MySql),
                "DELETE FROM `t?` WHERE v = ?",
                &["x"]
            ),
            "DELETE FROM `t?` WHERE v = 'x'"
        );
    }
}
