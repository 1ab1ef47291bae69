//! SQLite's SQL text as the catalog holds it (`sqlite_schema.sql`): split
//! into tokens, normalized for comparison, and read for the few things no
//! pragma gives. Pure: text in, text out.
//!
//! Only `CREATE TABLE` is read, and only for what the pragmas leave out:
//! each column's definition as written (to add it with `ALTER TABLE … ADD
//! COLUMN`), its `COLLATE`, its generated expression, `AUTOINCREMENT`, the
//! `CHECK` constraints, a virtual table's `USING` clause, and where the
//! table's name stands (to create it under another name for a rebuild).
//! Views, triggers and indexes are compared by their whole text, normalized.

use std::borrow::Cow;
use std::ops::Range;

/// SQLite's keywords (`SQLITE_N_KEYWORD`): a name that is one must be quoted.
const KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

fn is_keyword(word: &str) -> bool {
    KEYWORDS
        .binary_search_by(|k| k.bytes().cmp(word.bytes().map(|b| b.to_ascii_uppercase())))
        .is_ok()
}

/// A name SQLite reads the same without quotes.
fn plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name)
}

/// A name as SQL: bare where SQLite reads it the same, else double-quoted.
pub(crate) fn ident(name: &str) -> Cow<'_, str> {
    if plain(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

/// Text as an SQL string literal.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Space,
    Comment,
    /// `'…'`
    Str,
    /// `"…"`, `` `…` ``, `[…]`
    Quoted,
    /// A keyword, a bare name or a number.
    Word,
    Punct,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub start: usize,
}

impl Token<'_> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// True for the keyword `kw` (any case).
    pub(crate) fn is(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// The name a name token stands for (quotes removed).
    pub(crate) fn name(&self) -> String {
        match self.kind {
            Kind::Quoted | Kind::Str => {
                let open = self.text.chars().next().unwrap_or('"');
                let close = if open == '[' { ']' } else { open };
                let inner = &self.text[open.len_utf8()..];
                let inner = inner.strip_suffix(close).unwrap_or(inner);
                match open {
                    '"' => inner.replace("\"\"", "\""),
                    '`' => inner.replace("``", "`"),
                    '\'' => inner.replace("''", "'"),
                    _ => inner.to_string(),
                }
            }
            _ => self.text.to_string(),
        }
    }
}

/// The tokens of `sql`, white space and comments included: their texts
/// put together are `sql` again.
pub(crate) fn tokens(sql: &str) -> Vec<Token<'_>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            Kind::Space
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            Kind::Comment
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(b.len());
            Kind::Comment
        } else if c == b'\'' || c == b'"' || c == b'`' || c == b'[' {
            let close = if c == b'[' { b']' } else { c };
            i += 1;
            loop {
                match b.get(i) {
                    None => break,
                    Some(&x) if x == close => {
                        // A doubled quote stands for itself (not inside `[…]`).
                        if close != b']' && b.get(i + 1) == Some(&close) {
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            if c == b'\'' {
                Kind::Str
            } else {
                Kind::Quoted
            }
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            Kind::Word
        } else {
            i += 1;
            Kind::Punct
        };
        out.push(Token {
            kind,
            text: &sql[start..i],
            start,
        });
    }
    out
}

/// The tokens that mean something (no white space, no comments).
fn meaningful(sql: &str) -> Vec<Token<'_>> {
    tokens(sql)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .collect()
}

/// `sql` as it is compared: comments dropped, each run of white space one
/// space, and quotes only where a name needs them (SQLite writes `"new"`
/// where `ALTER TABLE … RENAME` replaced a name, whatever the quoting the
/// schema used). Case and everything else are kept as written.
pub(crate) fn normalize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut gap = false;
    for t in tokens(sql) {
        match t.kind {
            Kind::Space | Kind::Comment => gap = true,
            _ => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                if t.kind == Kind::Quoted {
                    out.push_str(&ident(&t.name()));
                } else {
                    out.push_str(t.text);
                }
            }
        }
    }
    out
}

/// `sql` without its comments, as it is run: a comment at the end of a
/// view's text would swallow the `;` written after it.
pub(crate) fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for t in tokens(sql) {
        match t.kind {
            Kind::Comment if t.text.starts_with("/*") => out.push(' '),
            Kind::Comment => {}
            _ => out.push_str(t.text),
        }
    }
    out.trim().to_string()
}

/// `sql` with each name that is the first of a pair in `renamed` (in any
/// case, quoted or not) replaced by the second, quoted where it must be.
pub(crate) fn replace_names(sql: &str, renamed: &[(String, String)]) -> String {
    let mut out = String::with_capacity(sql.len());
    for t in tokens(sql) {
        let new = matches!(t.kind, Kind::Word | Kind::Quoted)
            .then(|| t.name())
            .and_then(|name| {
                renamed
                    .iter()
                    .find(|(old, _)| old.eq_ignore_ascii_case(&name))
            });
        match new {
            Some((_, new)) => out.push_str(&ident(new)),
            None => out.push_str(t.text),
        }
    }
    out
}

/// The names (tables, views, columns, functions, …) `sql` mentions, in
/// lower case: what a view may read.
pub(crate) fn names(sql: &str) -> impl Iterator<Item = String> + '_ {
    tokens(sql)
        .into_iter()
        .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted))
        .map(|t| t.name().to_lowercase())
}

/// What `CREATE TABLE` says that the pragmas do not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TableSql {
    /// Where the table's name (with its schema, if written) stands.
    pub name: Range<usize>,
    /// A virtual table's module and arguments (`fts5(a, b)`), normalized.
    pub using: Option<String>,
    pub columns: Vec<ColumnSql>,
    /// Check constraints of the columns and of the table, in order: name and
    /// normalized expression.
    pub checks: Vec<(Option<String>, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ColumnSql {
    pub name: String,
    /// The column's definition as written, without comments.
    pub definition: String,
    pub collation: Option<String>,
    /// The generated expression, normalized.
    pub generated: Option<String>,
    pub autoincrement: bool,
}

/// Reads a `CREATE [VIRTUAL] TABLE` statement as `sqlite_schema` holds it;
/// `None` when it is not one.
pub(crate) fn parse_table(sql: &str) -> Option<TableSql> {
    let t = meaningful(sql);
    let mut i = 0;
    let at = |i: usize| t.get(i);
    if !at(i)?.is("CREATE") {
        return None;
    }
    i += 1;
    if at(i)?.is("TEMP") || at(i)?.is("TEMPORARY") {
        i += 1;
    }
    let is_virtual = at(i)?.is("VIRTUAL");
    if is_virtual {
        i += 1;
    }
    if !at(i)?.is("TABLE") {
        return None;
    }
    i += 1;
    if at(i)?.is("IF") {
        i += 3;
    }
    let first = at(i)?;
    let mut last = first;
    if at(i + 1).is_some_and(|p| p.text == ".") {
        last = at(i + 2)?;
        i += 2;
    }
    i += 1;
    let mut out = TableSql {
        name: first.start..last.end(),
        ..TableSql::default()
    };
    if is_virtual {
        if !at(i)?.is("USING") {
            return None;
        }
        out.using = Some(normalize(&sql[at(i + 1)?.start..]));
        return Some(out);
    }
    if at(i)?.text != "(" {
        // CREATE TABLE … AS SELECT: SQLite stores the columns it made instead.
        return Some(out);
    }
    i += 1;
    // The items between the parentheses, split at the commas outside others.
    let mut depth = 0usize;
    let mut item_start = i;
    while let Some(tok) = at(i) {
        match tok.text {
            "(" => depth += 1,
            ")" if depth == 0 => {
                item(sql, &t[item_start..i], &mut out);
                break;
            }
            ")" => depth -= 1,
            "," if depth == 0 => {
                item(sql, &t[item_start..i], &mut out);
                item_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// The index of the `)` closing the `(` at `open`.
fn closing(t: &[Token<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, tok) in t.iter().enumerate().skip(open) {
        match tok.text {
            "(" => depth += 1,
            ")" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    t.len()
}

/// The text between the parentheses that open at `t[open]`, normalized,
/// and the index after the closing one.
fn parenthesized(sql: &str, t: &[Token<'_>], open: usize) -> Option<(String, usize)> {
    if t.get(open)?.text != "(" {
        return None;
    }
    let close = closing(t, open);
    let from = t.get(open)?.end();
    let to = t.get(close).map_or(sql.len(), |c| c.start);
    Some((normalize(&sql[from..to]), close + 1))
}

/// One column definition or table constraint.
fn item(sql: &str, t: &[Token<'_>], out: &mut TableSql) {
    let Some(first) = t.first() else { return };
    let table_constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|k| first.is(k));
    let mut column = (!table_constraint).then(|| ColumnSql {
        name: first.name(),
        definition: strip_comments(&sql[first.start..t[t.len() - 1].end()]),
        ..ColumnSql::default()
    });
    let mut constraint_name = None;
    let mut i = usize::from(!table_constraint);
    while i < t.len() {
        let tok = t[i];
        if tok.is("CONSTRAINT") {
            constraint_name = t.get(i + 1).map(Token::name);
            i += 2;
            continue;
        }
        if tok.is("CHECK") {
            if let Some((expr, next)) = parenthesized(sql, t, i + 1) {
                out.checks.push((constraint_name.take(), expr));
                i = next;
                continue;
            }
        } else if let Some(c) = column.as_mut() {
            if tok.is("COLLATE") {
                c.collation = t.get(i + 1).map(Token::name);
                i += 2;
                continue;
            } else if tok.is("AS") {
                if let Some((expr, next)) = parenthesized(sql, t, i + 1) {
                    c.generated = Some(expr);
                    i = next;
                    continue;
                }
            } else if tok.is("AUTOINCREMENT") {
                c.autoincrement = true;
            }
        }
        if [
            "PRIMARY",
            "NOT",
            "NULL",
            "UNIQUE",
            "DEFAULT",
            "REFERENCES",
            "GENERATED",
        ]
        .iter()
        .any(|k| tok.is(k))
        {
            constraint_name = None;
        }
        i = if tok.text == "(" {
            closing(t, i) + 1
        } else {
            i + 1
        };
    }
    if let Some(c) = column {
        out.columns.push(c);
    }
}

/// A table's `CREATE TABLE` with another name in place of its own.
pub(crate) fn renamed(sql: &str, table: &TableSql, name: &str) -> String {
    format!(
        "{}{}{}",
        &sql[..table.name.start],
        ident(name),
        &sql[table.name.end..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_and_known() {
        let mut sorted = KEYWORDS;
        sorted.sort_unstable();
        assert_eq!(sorted, KEYWORDS);
        assert!(is_keyword("select") && is_keyword("Current_Timestamp"));
        assert!(!is_keyword("rowid") && !is_keyword("strict"));
    }

    #[test]
    fn names_are_quoted_only_where_needed() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn normalized_text_drops_comments_spaces_and_needless_quotes() {
        assert_eq!(
            normalize("CREATE  INDEX \"i\" on \"t3\" ( [a b] ,\n `c` ) -- done\n"),
            "CREATE INDEX i on t3 ( \"a b\" , c )"
        );
        assert_eq!(
            normalize("CREATE VIEW v AS SELECT 'it''s  \"x\"' /* c */ FROM \"order\""),
            "CREATE VIEW v AS SELECT 'it''s  \"x\"' FROM \"order\""
        );
        // Tokens that touch stay together.
        assert_eq!(normalize("a<=b"), "a<=b");
        // An unterminated quote (never in the catalog) ends the text.
        assert_eq!(normalize("x \"é"), "x \"é\"");
        assert_eq!(normalize("x [é"), "x \"é\"");
    }

    #[test]
    fn renamed_names_are_replaced_as_sqlite_renames_them() {
        let renamed = [
            ("accounts".to_string(), "users".to_string()),
            ("mail".to_string(), "e mail".to_string()),
        ];
        assert_eq!(
            replace_names(
                "CREATE INDEX i ON \"Accounts\" (mail, 'mail', mailbox)",
                &renamed
            ),
            "CREATE INDEX i ON users (\"e mail\", 'mail', mailbox)"
        );
    }

    #[test]
    fn comments_are_stripped_from_text_that_runs() {
        assert_eq!(
            strip_comments("CREATE VIEW v AS SELECT 1 -- trailing"),
            "CREATE VIEW v AS SELECT 1"
        );
        assert_eq!(strip_comments("SELECT a/*x*/FROM t"), "SELECT a FROM t");
        assert_eq!(strip_comments("SELECT '--' AS x"), "SELECT '--' AS x");
    }

    #[test]
    fn create_table_yields_what_the_pragmas_do_not() {
        let sql = "CREATE TABLE \"main\".[t] (\n  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key\n  \
                   name TEXT COLLATE NOCASE NOT NULL CONSTRAINT named CHECK (length(name)  > 0),\n  \
                   up TEXT GENERATED ALWAYS AS (upper(name)) STORED,\n  \
                   n NUMERIC(10, 2) DEFAULT (1 + 2) REFERENCES p (id),\n  \
                   CONSTRAINT pos CHECK (n >= 0), UNIQUE (name, n), CHECK(id<>0)\n) STRICT";
        let t = parse_table(sql).unwrap();
        assert_eq!(&sql[t.name.clone()], "\"main\".[t]");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "name", "up", "n"]);
        assert!(t.columns[0].autoincrement && !t.columns[1].autoincrement);
        assert_eq!(
            t.columns[0].definition,
            "id INTEGER PRIMARY KEY AUTOINCREMENT"
        );
        assert_eq!(t.columns[1].collation.as_deref(), Some("NOCASE"));
        assert_eq!(t.columns[2].generated.as_deref(), Some("upper(name)"));
        assert_eq!(
            t.columns[3].definition,
            "n NUMERIC(10, 2) DEFAULT (1 + 2) REFERENCES p (id)"
        );
        assert_eq!(
            t.checks,
            [
                (Some("named".to_string()), "length(name) > 0".to_string()),
                (Some("pos".to_string()), "n >= 0".to_string()),
                (None, "id<>0".to_string()),
            ]
        );
        assert_eq!(
            renamed(sql, &t, "new t")[..22].to_string(),
            "CREATE TABLE \"new t\" ("
        );
    }

    #[test]
    fn virtual_tables_keep_their_module_and_arguments() {
        let t = parse_table("CREATE VIRTUAL TABLE f USING fts5(title,  body)").unwrap();
        assert_eq!(t.using.as_deref(), Some("fts5(title, body)"));
        assert!(t.columns.is_empty());
        assert_eq!(parse_table("CREATE VIEW v AS SELECT 1"), None);
    }
}
