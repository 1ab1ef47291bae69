//! The renames a desired schema asks for: a `-- migrate:renamed-from OLD`
//! comment at the end of a table's line (where `CREATE TABLE name` stands)
//! or of a column's line inside it. Pure: the schema's text in, the renames
//! out. It reads only which name stands on the commented line, not the SQL.

use super::diff::Renames;
use super::model::QName;
use crate::sql::{self, SplitError};
use crate::Kind;

/// The marker, after `--` and spaces.
const MARKER: &str = "migrate:renamed-from";

/// The renames in `text`, a schema file in `kind`'s SQL. A PostgreSQL name
/// without a schema is in `default_schema`.
pub fn parse(text: &str, kind: Kind, default_schema: Option<&str>) -> Result<Renames, SplitError> {
    let statements = sql::split(text, kind)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Renames::default();
    for (i, line) in lines.iter().enumerate() {
        let line_no = i + 1;
        let Some(old) = hint(line) else { continue };
        // The statement the line belongs to: it starts on or before it and
        // ends on or after it.
        let Some(st) = statements.iter().rev().find(|s| {
            let end = s.line + s.text.matches('\n').count();
            s.line <= line_no && line_no <= end
        }) else {
            continue;
        };
        let Some((table, name_line)) = created_table(&st.text, kind) else {
            continue;
        };
        let table = qualify(&table, kind, default_schema);
        let offset = line_no - st.line;
        if offset == name_line {
            out.tables
                .insert(table.clone(), qualify(&old, kind, table.schema.as_deref()));
        } else if let Some(column) = st.text.lines().nth(offset).and_then(|l| column_of(l, kind)) {
            out.columns
                .insert((table, column), unquote(&old, kind).unwrap_or(old));
        }
    }
    Ok(out)
}

/// The old name a line's hint gives.
fn hint(line: &str) -> Option<String> {
    let at = line.find("--")?;
    let rest = line[at + 2..].trim_start();
    let name = rest.strip_prefix(MARKER)?.trim();
    let name = name.split_whitespace().next()?;
    Some(name.to_string())
}

/// The table a `CREATE TABLE` statement creates, as written, and the line
/// (0-based, within the statement) its name stands on.
fn created_table(text: &str, kind: Kind) -> Option<(String, usize)> {
    let mut words = Words::new(text);
    let first = words.next()?;
    if !first.0.eq_ignore_ascii_case("create") {
        return None;
    }
    loop {
        let (w, _) = words.next()?;
        if w.eq_ignore_ascii_case("table") {
            break;
        }
        // CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE
        if ![
            "global",
            "local",
            "temp",
            "temporary",
            "unlogged",
            "or",
            "replace",
        ]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
        {
            return None;
        }
    }
    let (mut name, mut line) = words.next()?;
    if name.eq_ignore_ascii_case("if") {
        // IF NOT EXISTS
        words.next()?;
        words.next()?;
        (name, line) = words.next()?;
    }
    let _ = kind;
    Some((name.trim_end_matches('(').to_string(), line))
}

/// The column a line of a `CREATE TABLE` defines, if it defines one.
fn column_of(line: &str, kind: Kind) -> Option<String> {
    let word = Words::new(line).next()?.0;
    let word = word.trim_end_matches([',', '(']);
    let constraint = [
        "constraint",
        "primary",
        "unique",
        "check",
        "foreign",
        "key",
        "index",
        "exclude",
        "like",
        "fulltext",
        "spatial",
        ")",
        "create",
    ];
    if word.is_empty() || constraint.iter().any(|k| word.eq_ignore_ascii_case(k)) {
        return None;
    }
    unquote(word, kind)
}

/// A schema-qualified name as the catalog names it.
fn qualify(name: &str, kind: Kind, default_schema: Option<&str>) -> QName {
    let parts = split_dotted(name);
    match (parts.as_slice(), kind) {
        ([schema, table], Kind::Postgres) => QName {
            schema: unquote(schema, kind),
            name: unquote(table, kind).unwrap_or_default(),
        },
        ([.., table], _) => QName {
            schema: if kind == Kind::Postgres {
                default_schema.map(str::to_string)
            } else {
                None
            },
            name: unquote(table, kind).unwrap_or_default(),
        },
        ([], _) => QName::default(),
    }
}

/// `a.b` split at dots outside quotes.
fn split_dotted(name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in name.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' || c == '[' => {
                quote = Some(if c == '[' { ']' } else { c });
            }
            None if c == '.' => {
                parts.push(&name[start..i]);
                start = i + 1;
            }
            None => {}
        }
    }
    parts.push(&name[start..]);
    parts
}

/// An identifier as the server stores it: quotes removed; PostgreSQL folds
/// an unquoted one to lower case.
fn unquote(word: &str, kind: Kind) -> Option<String> {
    let w = word.trim();
    for (open, close) in [('"', '"'), ('`', '`'), ('[', ']')] {
        if let Some(inner) = w.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            let doubled = format!("{close}{close}");
            return Some(inner.replace(&doubled, &close.to_string()));
        }
    }
    if w.is_empty() {
        return None;
    }
    Some(if kind == Kind::Postgres {
        w.to_lowercase()
    } else {
        w.to_string()
    })
}

/// The words of a text (quoted names kept whole), with the 0-based line each starts on.
struct Words<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        Words {
            text,
            pos: 0,
            line: 0,
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        // Skip white space and comments.
        loop {
            while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
                if bytes[self.pos] == b'\n' {
                    self.line += 1;
                }
                self.pos += 1;
            }
            if self.text[self.pos..].starts_with("--") {
                while self.pos < bytes.len() && bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let mut quote: Option<u8> = None;
        while self.pos < bytes.len() {
            let b = bytes[self.pos];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'`' => quote = Some(b),
                None if b == b'[' => quote = Some(b']'),
                None if b.is_ascii_whitespace() || (b == b'(' && self.pos > start) => break,
                None => {}
            }
            self.pos += 1;
        }
        Some((&self.text[start..self.pos], self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_column_hints() {
        let text = "\
-- the users
CREATE TABLE users ( -- migrate:renamed-from accounts
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL, -- migrate:renamed-from mail
    \"Full Name\" TEXT -- migrate:renamed-from name
);
CREATE TABLE IF NOT EXISTS app.orders (id int); -- migrate:renamed-from purchases
CREATE TABLE notes (id int, -- a plain comment
  body text);
";
        let r = parse(text, Kind::Postgres, Some("public")).unwrap();
        assert_eq!(
            r.tables.into_iter().collect::<Vec<_>>(),
            vec![
                (
                    QName::new(Some("app"), "orders"),
                    QName::new(Some("app"), "purchases")
                ),
                (
                    QName::new(Some("public"), "users"),
                    QName::new(Some("public"), "accounts")
                ),
            ]
        );
        assert_eq!(
            r.columns.into_iter().collect::<Vec<_>>(),
            vec![
                (
                    (QName::new(Some("public"), "users"), "Full Name".to_string()),
                    "name".to_string()
                ),
                (
                    (QName::new(Some("public"), "users"), "email".to_string()),
                    "mail".to_string()
                ),
            ]
        );
    }

    #[test]
    fn mysql_and_sqlite_names_keep_their_case_and_have_no_schema() {
        let text =
            "CREATE TABLE `Users` (\n  `Email` varchar(50) -- migrate:renamed-from Mail\n);\n";
        let r = parse(text, Kind::MySql, None).unwrap();
        assert_eq!(
            r.columns.keys().next(),
            Some(&(QName::bare("Users"), "Email".to_string()))
        );
        let r = parse(
            "CREATE TABLE t (\n  [a b] INT -- migrate:renamed-from c\n);",
            Kind::Sqlite,
            None,
        )
        .unwrap();
        assert_eq!(
            r.columns.keys().next(),
            Some(&(QName::bare("t"), "a b".to_string()))
        );
    }

    #[test]
    fn hints_elsewhere_are_ignored() {
        let text = "CREATE VIEW v AS SELECT 1; -- migrate:renamed-from w\nCREATE TABLE t (\n  PRIMARY KEY (id), -- migrate:renamed-from x\n  id int\n);\n";
        let r = parse(text, Kind::Sqlite, None).unwrap();
        assert!(r.tables.is_empty() && r.columns.is_empty(), "{r:?}");
    }
}
