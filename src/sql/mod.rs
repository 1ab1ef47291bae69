//! Splits a revision's SQL into statements, one dialect's lexical rules at a
//! time, and remembers where each statement starts so that a failure can name
//! its line and column. Pure: it takes a string and returns values; it uses
//! nothing but std (and `thiserror` for its error type). One pass over the
//! bytes, no regular expressions; all syntax is ASCII, so multi-byte
//! characters are only ever carried along inside words, quotes and comments.
//!
//! What it knows, per dialect (a `;` inside any of these does not end a
//! statement):
//!
//! * every dialect: `'…'` strings with `''`, `--` comments, `/* … */`
//!   comments; whitespace and comments before a statement are dropped, and so
//!   are empty statements (`;;`) and a tail of comments.
//! * PostgreSQL: `"…"` identifiers with `""`; `E'…'` strings with backslash
//!   escapes (plain strings have none, as with `standard_conforming_strings`);
//!   `$$…$$` and `$tag$…$tag$` (`$1` is a parameter, `a$b` an identifier);
//!   nested `/* /* */ */`; and, as psql does, parentheses (the `( …; … )` of a
//!   multi-action `CREATE RULE`) and `BEGIN ATOMIC … END` bodies of
//!   `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, with `CASE … END` inside.
//! * MySQL/MariaDB: `'…'` and `"…"` strings with backslash escapes (as without
//!   `NO_BACKSLASH_ESCAPES`; `"` as under the default `sql_mode`, without
//!   `ANSI_QUOTES`), `` `…` `` identifiers with ``` `` ```; `-- ` comments only
//!   when whitespace or a control character follows (`--x` is no comment);
//!   `#` comments; `/*! … */` and `/*M! … */` executable comments are
//!   statement text, read inside as SQL as the mysql client does (a `;`
//!   there ends the statement, which is why mysqldump puts such trigger
//!   bodies between `DELIMITER ;;` lines); `DELIMITER xx` lines as the mysql
//!   client reads them (the line is never a statement, statements end at `xx`
//!   until `DELIMITER ;`, and a `DELIMITER` line that starts a line also ends
//!   a statement left open); and, without DELIMITER lines, the compound body
//!   of `CREATE … PROCEDURE|FUNCTION|TRIGGER|EVENT` and of MariaDB's
//!   `BEGIN NOT ATOMIC`: `BEGIN … END`, `IF … END IF`, `CASE … END [CASE]`,
//!   `LOOP`, `WHILE`, `REPEAT`, `FOR … END FOR`, labels included.
//! * SQLite: `"…"`, `` `…` `` and `[…]` identifiers; `CREATE [TEMP] TRIGGER`
//!   bodies, which end at `; END` as `sqlite3_complete()` decides, so a
//!   `CASE … END` inside is harmless.
//!
//! What it does not know: psql backslash commands and `COPY … FROM STDIN`
//! data, the mysql client's `\g`/`\G`/`\d`, PostgreSQL with
//! `standard_conforming_strings = off`, MySQL with `NO_BACKSLASH_ESCAPES` or
//! `ANSI_QUOTES`. Without DELIMITER lines it follows a MySQL routine body by
//! its keywords, so these need DELIMITER lines: a body that is a bare
//! `IF`/`CASE`/`LOOP`/`WHILE`/`REPEAT` not inside `BEGIN … END` (except right
//! after a trigger's `FOR EACH ROW` or an event's `DO`); a handler action
//! that is such a bare compound; `BEGIN` or `END` used unquoted as a name
//! inside the body; an `IF(…)` or `REPEAT(…)` function call where a
//! statement could start (right after `;`, a label, `BEGIN`, `THEN`, `ELSE`,
//! `DO`, `LOOP`, `REPEAT`).
//! An unterminated quote, comment, block or parenthesis is an error naming
//! where it starts, rather than a statement that swallows the rest (an
//! unclosed `/*` too, although SQLite itself would accept one at the end).
//!
//! The splitter's files: this one holds what callers see (statements, errors,
//! positions); `lexer` reads the tokens and gathers them into statements;
//! `blocks` decides, per dialect, which `;` ends a statement; `invariants`
//! checks the splitter's promises for the property tests and the fuzz
//! targets; `tests` holds the table of cases.

use std::fmt;

pub use crate::kind::Kind;

mod blocks;
mod invariants;
mod lexer;
#[cfg(test)]
mod tests;

pub use invariants::{check_split_invariants, Broken, Unclosed};
use lexer::{LineCounter, Splitter};

/// One statement of a revision's SQL, to be run on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The statement without its terminating delimiter, from its first to its
    /// last token: whitespace and comments around it are dropped, comments
    /// inside it are kept.
    pub text: String,
    /// 1-based line of the statement's first character within the input.
    pub line: usize,
    /// 1-based column, in characters, of that character.
    pub column: usize,
    /// True when `text` holds a `;` outside quotes and comments (a compound
    /// body, or a statement from a MySQL DELIMITER block): the mysql client
    /// needs it between DELIMITER lines.
    pub compound: bool,
}

/// A construct that a keyword or bracket must close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// PostgreSQL `(` without its `)`; like psql, `;` inside parentheses does
    /// not end a statement.
    Parenthesis,
    /// PostgreSQL `BEGIN ATOMIC` without its `END`.
    BeginAtomic,
    /// SQLite `CREATE TRIGGER` whose body has no final `; END`.
    Trigger,
    /// A MySQL compound statement (the keyword that opened it) without its
    /// `END`, in a routine written without DELIMITER lines.
    Compound(&'static str),
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Block::Parenthesis => f.write_str("`(` has no matching `)`"),
            Block::BeginAtomic => f.write_str("`BEGIN ATOMIC` has no matching `END`"),
            Block::Trigger => {
                f.write_str("the trigger body has no final `END` (SQLite ends it at `; END`)")
            }
            Block::Compound(keyword) => write!(
                f,
                "`{keyword}` has no matching `END`; if the routine uses BEGIN or END \
                 as names, or its body is not a BEGIN … END block, put it between \
                 `DELIMITER //` and `DELIMITER ;` lines and end it with `//`"
            ),
        }
    }
}

/// What a token of the lexer's is (`blocks` reads them one at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Space,
    Comment,
    /// An unquoted word: keyword or identifier.
    Word,
    /// A string, quoted identifier or dollar quote.
    Quoted,
    /// A number, a `$1` parameter: text that is never a keyword.
    Other,
    Punct(u8),
}

/// One token: what it is and where it lies in the input, in bytes.
#[derive(Clone, Copy, Debug)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
}

/// Why SQL could not be split; each names the line and column where the
/// offending construct starts.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// A string or quoted identifier is never closed.
    #[error("line {line}, column {column}: the {} opened here is never closed; add the closing {}", quote_noun(*.quote), closing(*.quote))]
    UnterminatedQuote {
        /// The opening character: `'`, `"`, `` ` `` or `[`.
        quote: char,
        line: usize,
        column: usize,
    },
    /// A PostgreSQL dollar-quoted string is never closed.
    #[error("line {line}, column {column}: the dollar-quoted string opened here with {tag} is never closed; add the closing {tag}")]
    UnterminatedDollarQuote {
        /// The opening tag, `$$` or `$name$`.
        tag: String,
        line: usize,
        column: usize,
    },
    /// A `/*` comment is never closed.
    #[error("line {line}, column {column}: the /* comment opened here is never closed; add the closing */")]
    UnterminatedComment { line: usize, column: usize },
    /// A block or parenthesis is never closed.
    #[error("line {line}, column {column}: {block}")]
    UnterminatedBlock {
        block: Block,
        line: usize,
        column: usize,
    },
    /// A MySQL `DELIMITER` line that the mysql client would refuse.
    #[error("line {line}, column {column}: {reason}")]
    InvalidDelimiter {
        reason: &'static str,
        line: usize,
        column: usize,
    },
}

impl SplitError {
    /// The 1-based line and column where the offending construct starts.
    pub fn position(&self) -> (usize, usize) {
        match *self {
            SplitError::UnterminatedQuote { line, column, .. }
            | SplitError::UnterminatedDollarQuote { line, column, .. }
            | SplitError::UnterminatedComment { line, column }
            | SplitError::UnterminatedBlock { line, column, .. }
            | SplitError::InvalidDelimiter { line, column, .. } => (line, column),
        }
    }
}

impl SplitError {
    /// The same error with its line moved down by `lines_before`: the lines
    /// of the file that precede the text that was split (a revision's
    /// section starts below its header).
    #[must_use]
    pub fn shifted(mut self, lines_before: usize) -> Self {
        match &mut self {
            SplitError::UnterminatedQuote { line, .. }
            | SplitError::UnterminatedDollarQuote { line, .. }
            | SplitError::UnterminatedComment { line, .. }
            | SplitError::UnterminatedBlock { line, .. }
            | SplitError::InvalidDelimiter { line, .. } => *line += lines_before,
        }
        self
    }
}

/// The character that closes `quote`: itself, but `]` for `[`.
fn closing(quote: char) -> char {
    if quote == '[' {
        ']'
    } else {
        quote
    }
}

fn quote_noun(quote: char) -> &'static str {
    match quote {
        '\'' => "string '",
        '"' => "quoted name \"",
        '`' => "quoted name `",
        '[' => "quoted name [",
        _ => "quote",
    }
}

/// Splits `sql` into statements by `dialect`'s rules (see the module docs).
pub fn split(sql: &str, dialect: Kind) -> Result<Vec<Statement>, SplitError> {
    let src = strip_bom(sql);
    let spans = Splitter::new(src, dialect)
        .run()
        .map_err(|fail| fail.into_error(src))?;
    let mut lines = LineCounter::default();
    Ok(spans
        .into_iter()
        .map(|span| {
            let (line, column) = lines.advance(src.as_bytes(), span.start);
            Statement {
                text: src.get(span.start..span.end).unwrap_or_default().to_owned(),
                line,
                column,
                compound: span.compound,
            }
        })
        .collect())
}

/// Maps a 0-based character offset within `stmt.text` (PostgreSQL reports a
/// 1-based character position: subtract one) to the 1-based line and column
/// in the file. An offset past the end maps to just after the statement.
pub fn position_in_file(stmt: &Statement, char_offset_in_stmt: usize) -> (usize, usize) {
    walk_position(stmt, stmt.text.chars().take(char_offset_in_stmt))
}

/// Like [`position_in_file`] for a 0-based byte offset within `stmt.text`
/// (SQLite reports one); an offset inside a character counts as that
/// character.
pub fn byte_position_in_file(stmt: &Statement, byte_offset_in_stmt: usize) -> (usize, usize) {
    walk_position(
        stmt,
        stmt.text
            .char_indices()
            .take_while(|&(i, c)| i + c.len_utf8() <= byte_offset_in_stmt)
            .map(|(_, c)| c),
    )
}

fn walk_position(stmt: &Statement, before: impl Iterator<Item = char>) -> (usize, usize) {
    let (mut line, mut column) = (stmt.line, stmt.column);
    for c in before {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// A delimiter to put a compound statement between `DELIMITER` lines for
/// the mysql client: `//` unless `text` holds it, or would run into it when
/// the delimiter is written right after it (`text` ending in `/`).
#[allow(clippy::maybe_infinite_iter)] // the search below ends: see its comment
pub fn mysql_delimiter_for(text: &str) -> String {
    let fits = |candidate: &str| {
        let joined = format!("{text}{candidate}");
        joined.find(candidate) == Some(text.len())
    };
    for candidate in ["//", "$$", ";;"] {
        if fits(candidate) {
            return candidate.to_owned();
        }
    }
    // Ends: `text` holds finitely many of these, and its tail runs into few.
    (1usize..)
        .map(|n| format!("//{n}//"))
        .find(|candidate| fits(candidate))
        .unwrap_or_default()
}

pub(super) fn strip_bom(sql: &str) -> &str {
    sql.strip_prefix('\u{feff}').unwrap_or(sql)
}
