//! Offline `--sql` mode: a `Database` that writes each statement to the output
//! instead of running it, in a form that `psql`, `mysql` and `sqlite3` accept
//! as is (each statement followed by `;` and a blank line, as Alembic prints
//! them; MySQL compound statements wrapped in `DELIMITER` lines).

use super::{literal, Database, DbError, Kind, LockKey};
use std::io::Write;

pub struct Offline {
    kind: Kind,
    out: Box<dyn Write>,
    /// True when the version table is taken to exist (a `FROM:TO` range was given).
    pub table_exists: bool,
}

impl Offline {
    pub fn new(kind: Kind, out: Box<dyn Write>, table_exists: bool) -> Offline {
        Offline {
            kind,
            out,
            table_exists,
        }
    }

    fn write(&mut self, text: &str) -> Result<(), DbError> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|e| DbError::msg(format!("writing SQL output: {e}")))
    }
}

/// Replaces the placeholders of `sql` (`$1`… or `?`) with the values as literals.
pub fn inline_params(kind: Kind, sql: &str, params: &[&str]) -> String {
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
                    out.push_str(
                        &params
                            .get(next)
                            .map(|p| literal(kind, p))
                            .unwrap_or_default(),
                    );
                    next += 1;
                    rest = &rest[len..];
                } else if c == '$' && kind == Kind::Postgres {
                    let digits: String =
                        rest[1..].chars().take_while(char::is_ascii_digit).collect();
                    match digits.parse::<usize>() {
                        Ok(n) if n >= 1 => {
                            out.push_str(
                                &params
                                    .get(n - 1)
                                    .map(|p| literal(kind, p))
                                    .unwrap_or_default(),
                            );
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

impl Database for Offline {
    fn kind(&self) -> Kind {
        self.kind
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.write(&format!("{sql};\n\n"))
    }

    fn execute_compound(&mut self, sql: &str) -> Result<(), DbError> {
        if self.kind == Kind::MySql {
            let delim = ["$$", "//", ";;", "$$$"]
                .into_iter()
                .find(|d| !sql.contains(d))
                .unwrap_or("//");
            self.write(&format!("DELIMITER {delim}\n{sql}{delim}\nDELIMITER ;\n\n"))
        } else {
            self.execute(sql)
        }
    }

    fn execute_params(&mut self, sql: &str, params: &[&str]) -> Result<u64, DbError> {
        let text = inline_params(self.kind, sql, params);
        self.execute(&text)?;
        Ok(1)
    }

    fn query_column(&mut self, sql: &str, _params: &[&str]) -> Result<Vec<String>, DbError> {
        // Only table-existence checks reach here: answer as the mode was told.
        if self.table_exists && sql.starts_with("SELECT 1") {
            Ok(vec!["1".into()])
        } else {
            Ok(Vec::new())
        }
    }

    fn try_lock(&mut self, _key: &LockKey) -> Result<bool, DbError> {
        Ok(true)
    }

    fn unlock(&mut self, _key: &LockKey) -> Result<(), DbError> {
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
        if self.kind.transactional_ddl() {
            self.write("BEGIN;\n\n")?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), DbError> {
        if self.kind.transactional_ddl() {
            self.write("COMMIT;\n\n")?;
        }
        self.out
            .flush()
            .map_err(|e| DbError::msg(format!("writing SQL output: {e}")))
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    fn comment(&mut self, text: &str) -> Result<(), DbError> {
        self.write(&format!("-- {text}\n\n"))
    }

    fn is_offline(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_become_literals() {
        assert_eq!(
            inline_params(
                Kind::Postgres,
                "UPDATE \"t$1\" SET v = $1 WHERE v = $2",
                &["b", "a'"]
            ),
            "UPDATE \"t$1\" SET v = 'b' WHERE v = 'a'''"
        );
        assert_eq!(
            inline_params(Kind::MySql, "DELETE FROM `t?` WHERE v = ?", &["x"]),
            "DELETE FROM `t?` WHERE v = 'x'"
        );
    }
}
