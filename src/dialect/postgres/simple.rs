//! PostgreSQL's simple query protocol, for connections that may not rely on
//! a session of their own (PgBouncer in transaction mode hands each
//! transaction, and each statement outside one, to whichever server
//! connection is free): every statement goes whole, as one `Query` message,
//! parameters written into it as literals, rows coming back as text. No
//! statement is prepared, named or unnamed, and nothing outlives the call.

use super::{db_error, Postgres, POSTGRES};
use crate::dialect::{DbError, Dialect, Row};
use tokio_postgres::SimpleQueryMessage;

impl Postgres {
    /// Runs `sql` over the simple protocol: its rows as text, and the
    /// affected row count of its last command.
    pub(super) fn simple(&mut self, sql: &str) -> Result<(Vec<Row>, u64), DbError> {
        let messages = self
            .rt
            .block_on(self.client.simple_query(sql))
            .map_err(db_error)?;
        let mut rows = Vec::new();
        let mut count = 0;
        for m in messages {
            match m {
                SimpleQueryMessage::Row(r) => {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
                SimpleQueryMessage::CommandComplete(n) => count = n,
                _ => {}
            }
        }
        Ok((rows, count))
    }
}

/// `sql` with each `$n` placeholder replaced by `params[n - 1]` as a
/// literal. Placeholders inside quoted strings, quoted names and comments
/// are left alone; an untyped literal takes its type from where it stands,
/// as an untyped parameter does.
pub(super) fn inline_params(sql: &str, params: &[&str]) -> String {
    if params.is_empty() {
        return sql.to_string();
    }
    let b = sql.as_bytes();
    let mut out =
        String::with_capacity(sql.len() + params.iter().map(|p| p.len() + 4).sum::<usize>());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                // E'…' strings escape with a backslash; standard ones only double quotes.
                let escapes = i > 0 && matches!(b[i - 1], b'E' | b'e');
                i += 1;
                while i < b.len() {
                    if escapes && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n: usize = sql[start + 1..i].parse().unwrap_or(0);
                if let Some(p) = n.checked_sub(1).and_then(|k| params.get(k)) {
                    out.push_str(&sql[copied..start]);
                    out.push_str(&POSTGRES.text_literal(p));
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::inline_params;

    #[test]
    fn placeholders_become_literals_in_order() {
        assert_eq!(
            inline_params("UPDATE t SET v = $2 WHERE v = $1", &["a", "b"]),
            "UPDATE t SET v = E'b' WHERE v = E'a'"
        );
        assert_eq!(
            inline_params("SELECT CAST(CAST($1 AS TEXT) AS BIGINT)", &["12"]),
            "SELECT CAST(CAST(E'12' AS TEXT) AS BIGINT)"
        );
    }

    #[test]
    fn two_digit_placeholders_are_not_read_as_one_digit() {
        let params: Vec<String> = (1..=11).map(|n| format!("p{n}")).collect();
        let refs: Vec<&str> = params.iter().map(String::as_str).collect();
        assert_eq!(inline_params("$11, $1", &refs), "E'p11', E'p1'");
    }

    #[test]
    fn quotes_names_comments_and_dollar_words_are_left_alone() {
        assert_eq!(
            inline_params("SELECT '$1', E'it\\'s $1', \"$1\", $1 -- $1\n, a$1", &["x"]),
            "SELECT '$1', E'it\\'s $1', \"$1\", E'x' -- $1\n, a$1"
        );
        assert_eq!(inline_params("SELECT 'a''$1'", &["x"]), "SELECT 'a''$1'");
    }

    #[test]
    fn values_are_escaped_and_missing_parameters_stay() {
        assert_eq!(
            inline_params("VALUES ($1, $2)", &["o'k\\"]),
            "VALUES (E'o''k\\\\', $2)"
        );
        assert_eq!(inline_params("SELECT $1", &[]), "SELECT $1");
    }
}
