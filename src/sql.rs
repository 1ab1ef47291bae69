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

use std::fmt;

pub use crate::kind::Kind;

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

/// Why SQL could not be split; each names the line and column where the
/// offending construct starts.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// A string or quoted identifier is never closed.
    #[error("line {line}, column {column}: the {} opened here is never closed; add the closing {quote}", quote_noun(*.quote))]
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

fn strip_bom(sql: &str) -> &str {
    sql.strip_prefix('\u{feff}').unwrap_or(sql)
}

/// Turns byte offsets, visited in increasing order, into lines and columns.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
    column: usize,
}

impl LineCounter {
    fn advance(&mut self, bytes: &[u8], to: usize) -> (usize, usize) {
        if self.line == 0 {
            (self.line, self.column) = (1, 1);
        }
        for &b in bytes.get(self.pos..to).unwrap_or_default() {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                self.column += 1;
            }
        }
        self.pos = self.pos.max(to);
        (self.line, self.column)
    }
}

/// A failure at a byte offset, before it is turned into line and column.
struct Fail {
    kind: FailKind,
    at: usize,
}

enum FailKind {
    Quote(u8),
    Dollar(String),
    Comment,
    Block(Block),
    Delimiter(&'static str),
}

impl Fail {
    fn into_error(self, src: &str) -> SplitError {
        let (line, column) = LineCounter::default().advance(src.as_bytes(), self.at);
        match self.kind {
            FailKind::Quote(q) => SplitError::UnterminatedQuote {
                quote: char::from(q),
                line,
                column,
            },
            FailKind::Dollar(tag) => SplitError::UnterminatedDollarQuote { tag, line, column },
            FailKind::Comment => SplitError::UnterminatedComment { line, column },
            FailKind::Block(block) => SplitError::UnterminatedBlock {
                block,
                line,
                column,
            },
            FailKind::Delimiter(reason) => SplitError::InvalidDelimiter {
                reason,
                line,
                column,
            },
        }
    }
}

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

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
}

struct Span {
    start: usize,
    end: usize,
    compound: bool,
}

/// The lexer and the statement being gathered.
struct Splitter<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    dialect: Kind,
    /// MySQL's delimiter when a DELIMITER line changed it from `;`.
    delimiter: Option<&'a [u8]>,
    spans: Vec<Span>,
    start: Option<usize>,
    end: usize,
    compound: bool,
    blocks: Blocks,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, dialect: Kind) -> Self {
        Splitter {
            src,
            b: src.as_bytes(),
            pos: 0,
            dialect,
            delimiter: None,
            spans: Vec::new(),
            start: None,
            end: 0,
            compound: false,
            blocks: Blocks::new(dialect),
        }
    }

    fn run(mut self) -> Result<Vec<Span>, Fail> {
        while self.pos < self.b.len() {
            if let Some(delimiter) = self.delimiter {
                if self.b[self.pos..].starts_with(delimiter) {
                    self.finish();
                    self.pos += delimiter.len();
                    continue;
                }
            }
            let token = self.next_token()?;
            match token.kind {
                TokenKind::Space | TokenKind::Comment => {}
                TokenKind::Punct(b';') if self.delimiter.is_none() => {
                    if self.start.is_some() {
                        if self.blocks.semicolon_ends() {
                            self.finish();
                        } else {
                            self.compound = true;
                            self.end = token.end;
                        }
                    }
                }
                _ => {
                    if self.is_delimiter_command(token) && self.delimiter_command(token)? {
                        continue;
                    }
                    if token.kind == TokenKind::Punct(b';') {
                        self.compound = true;
                    }
                    if self.start.is_none() {
                        self.start = Some(token.start);
                    }
                    self.end = token.end;
                    self.blocks.token(token, self.b);
                }
            }
        }
        if let Some(start) = self.start {
            if self.delimiter.is_none() {
                if let Some((block, at)) = self.blocks.unterminated(start) {
                    return Err(Fail {
                        kind: FailKind::Block(block),
                        at,
                    });
                }
            }
            self.finish();
        }
        Ok(self.spans)
    }

    fn finish(&mut self) {
        if let Some(start) = self.start.take() {
            self.spans.push(Span {
                start,
                end: self.end,
                compound: self.compound,
            });
        }
        self.compound = false;
        self.blocks.reset();
    }

    fn fail<T>(&self, kind: FailKind, at: usize) -> Result<T, Fail> {
        Err(Fail { kind, at })
    }

    fn next_token(&mut self) -> Result<Token, Fail> {
        let b = self.b;
        let start = self.pos;
        let c = b[start];
        let next = |n: usize| b.get(start + n).copied();
        let dialect = self.dialect;
        let (kind, end) = match c {
            _ if is_space(c) => (TokenKind::Space, self.run_while(start, is_space)),
            b'-' if next(1) == Some(b'-')
                && (dialect != Kind::MySql || next(2).is_none_or(|c| c <= b' ' || c == 0x7f)) =>
            {
                (TokenKind::Comment, line_end(b, start))
            }
            b'#' if dialect == Kind::MySql => (TokenKind::Comment, line_end(b, start)),
            b'/' if next(1) == Some(b'*') => self.block_comment(start)?,
            b'\'' | b'"' => (
                TokenKind::Quoted,
                self.quoted(start, start, dialect == Kind::MySql)?,
            ),
            b'`' if dialect != Kind::Postgres => {
                (TokenKind::Quoted, self.quoted(start, start, false)?)
            }
            b'[' if dialect == Kind::Sqlite => match find_byte(b, start + 1, b']') {
                Some(close) => (TokenKind::Quoted, close + 1),
                None => return self.fail(FailKind::Quote(b'['), start),
            },
            b'$' if dialect == Kind::Postgres => self.dollar(start)?,
            // A number (and any letters glued to it) ends at `$` and at `.`:
            // after a `.`, PostgreSQL reads an identifier, in which `$` is a
            // letter (`2a.b$$` holds no dollar quote).
            b'0'..=b'9' => (
                TokenKind::Other,
                self.run_while(start, |c| {
                    c != b'$' && (is_ident_cont(c) || (c == b'.' && dialect != Kind::Postgres))
                }),
            ),
            _ if is_ident_start(c, dialect) => {
                let end = self.run_while(start, is_ident_cont);
                if dialect == Kind::Postgres
                    && end == start + 1
                    && (c == b'E' || c == b'e')
                    && next(1) == Some(b'\'')
                {
                    (TokenKind::Quoted, self.quoted(start + 1, start, true)?)
                } else {
                    (TokenKind::Word, end)
                }
            }
            _ => (TokenKind::Punct(c), start + 1),
        };
        self.pos = end;
        Ok(Token { kind, start, end })
    }

    /// The end of the run of bytes from `start` (taken) that `keep` accepts,
    /// stopping before a MySQL custom delimiter (`END//`).
    fn run_while(&self, start: usize, keep: impl Fn(u8) -> bool) -> usize {
        let mut i = start + 1;
        while i < self.b.len() && keep(self.b[i]) {
            if let Some(delimiter) = self.delimiter {
                if self.b[i..].starts_with(delimiter) {
                    break;
                }
            }
            i += 1;
        }
        i
    }

    /// The end of the quote opened at `open`; `''`-style doubling always
    /// escapes, a backslash only when `backslash`.
    fn quoted(&self, open: usize, token_start: usize, backslash: bool) -> Result<usize, Fail> {
        let b = self.b;
        let q = b[open];
        let mut i = open + 1;
        while i < b.len() {
            let c = b[i];
            if c == b'\\' && backslash {
                i += 2;
            } else if c == q {
                if b.get(i + 1) == Some(&q) {
                    i += 2;
                } else {
                    return Ok(i + 1);
                }
            } else {
                i += 1;
            }
        }
        self.fail(FailKind::Quote(q), token_start)
    }

    fn block_comment(&self, start: usize) -> Result<(TokenKind, usize), Fail> {
        let b = self.b;
        let dialect = self.dialect;
        let executable = dialect == Kind::MySql
            && match b.get(start + 2) {
                Some(b'!') => true,
                Some(b'M') => b.get(start + 3) == Some(&b'!'),
                _ => false,
            };
        if executable {
            // The server runs what is inside, and the mysql client reads it
            // as SQL: `/*!` is text, and so is its `*/`. The opener is one
            // token, so a custom delimiter cannot end a statement inside it.
            let opener = if b.get(start + 2) == Some(&b'!') {
                3
            } else {
                4
            };
            return Ok((TokenKind::Punct(b'/'), start + opener));
        }
        let nested = dialect == Kind::Postgres;
        let mut depth = 1usize;
        let mut i = start + 2;
        while i + 1 < b.len() {
            if b[i] == b'*' && b[i + 1] == b'/' {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok((TokenKind::Comment, i));
                }
            } else if nested && b[i] == b'/' && b[i + 1] == b'*' {
                depth += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        self.fail(FailKind::Comment, start)
    }

    /// PostgreSQL `$`: a dollar quote, a `$1` parameter, or a lone `$`.
    fn dollar(&self, start: usize) -> Result<(TokenKind, usize), Fail> {
        let b = self.b;
        let mut j = start + 1;
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            return Ok((
                TokenKind::Other,
                self.run_while(start, |c| c.is_ascii_digit()),
            ));
        }
        if b.get(j).is_some_and(|&c| is_tag_start(c)) {
            j += 1;
            while b
                .get(j)
                .is_some_and(|&c| is_tag_start(c) || c.is_ascii_digit())
            {
                j += 1;
            }
        }
        if b.get(j) != Some(&b'$') {
            // `$name` with no closing `$` is no dollar quote: as psql and the
            // server do ("dolqfailed"), the `$` stands alone and what follows
            // is read again, so `$E'\'` holds the escape string `E'\'`.
            return Ok((TokenKind::Punct(b'$'), start + 1));
        }
        let tag = self.src.get(start..=j).unwrap_or("$$");
        let body = j + 1;
        match self.src.get(body..).and_then(|rest| rest.find(tag)) {
            // `str::find` is linear (two-way search), whatever the tag.
            Some(k) => Ok((TokenKind::Quoted, body + k + tag.len())),
            None => self.fail(FailKind::Dollar(tag.to_owned()), start),
        }
    }

    /// Whether `token` may be a MySQL `DELIMITER` command: the word, first in
    /// its statement or first on its line (the mysql client also ends a
    /// statement left open there).
    fn is_delimiter_command(&self, token: Token) -> bool {
        self.dialect == Kind::MySql
            && token.kind == TokenKind::Word
            && self.b[token.start..token.end].eq_ignore_ascii_case(b"delimiter")
            && (self.start.is_none() || self.at_line_start(token.start))
    }

    fn at_line_start(&self, at: usize) -> bool {
        let before = &self.b[..at];
        let blank = before
            .iter()
            .rev()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        let i = at - blank;
        i == 0 || before[i - 1] == b'\n'
    }

    /// Reads `DELIMITER xx` after the word `token`; false when it is no
    /// command after all (a name at the start of a continued line).
    fn delimiter_command(&mut self, token: Token) -> Result<bool, Fail> {
        let b = self.b;
        let mut p = token.end;
        while let Some(b' ' | b'\t') = b.get(p) {
            p += 1;
        }
        let arg_start = p;
        // The argument runs to whitespace, whatever the current delimiter.
        let mut arg_end = p;
        while arg_end < b.len() && !is_space(b[arg_end]) {
            arg_end += 1;
        }
        if p == token.end || arg_end == arg_start {
            if self.start.is_some() {
                return Ok(false);
            }
            return self.fail(
                FailKind::Delimiter(
                    "DELIMITER must be followed by the new delimiter, as in `DELIMITER //`",
                ),
                token.start,
            );
        }
        let mut arg = &b[arg_start..arg_end];
        if let [q @ (b'\'' | b'"' | b'`'), rest @ ..] = arg {
            if let Some(close) = rest.iter().position(|c| c == q) {
                arg = &rest[..close];
            }
        }
        let reason = if arg.is_empty() {
            Some("DELIMITER must be followed by the new delimiter, as in `DELIMITER //`")
        } else if arg.contains(&b'\\') {
            Some("a DELIMITER cannot contain a backslash")
        } else if arg.len() > 16 {
            Some("a DELIMITER can be at most 16 bytes long")
        } else {
            None
        };
        if let Some(reason) = reason {
            return self.fail(FailKind::Delimiter(reason), arg_start);
        }
        // Ends a statement left open, as the mysql client does.
        self.finish();
        self.pos = find_byte(b, arg_end, b'\n').map_or(b.len(), |nl| nl + 1);
        self.delimiter = if arg == b";" { None } else { Some(arg) };
        Ok(true)
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_ident_start(c: u8, dialect: Kind) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || (c == b'$' && dialect != Kind::Postgres)
}

fn is_ident_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_tag_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|i| from + i)
}

/// The end of a line comment starting at `start`: its `\n` stays outside.
fn line_end(b: &[u8], start: usize) -> usize {
    find_byte(b, start, b'\n').unwrap_or(b.len())
}

/// Which `;` end a statement: the dialect's block tracking.
enum Blocks {
    Postgres(PgBlocks),
    MySql(MySqlBlocks),
    Sqlite(SqliteBlocks),
}

impl Blocks {
    fn new(dialect: Kind) -> Self {
        match dialect {
            Kind::Postgres => Blocks::Postgres(PgBlocks::default()),
            Kind::MySql => Blocks::MySql(MySqlBlocks::default()),
            Kind::Sqlite => Blocks::Sqlite(SqliteBlocks::default()),
        }
    }

    fn reset(&mut self) {
        match self {
            Blocks::Postgres(blocks) => *blocks = PgBlocks::default(),
            Blocks::MySql(blocks) => blocks.reset(),
            Blocks::Sqlite(blocks) => *blocks = SqliteBlocks::default(),
        }
    }

    /// Sees one significant token other than a statement-ending `;`.
    fn token(&mut self, token: Token, b: &[u8]) {
        match self {
            Blocks::Postgres(blocks) => blocks.token(token, b),
            Blocks::MySql(blocks) => blocks.token(token, b),
            Blocks::Sqlite(blocks) => blocks.token(token, b),
        }
    }

    /// Sees a `;` and says whether it ends the statement.
    fn semicolon_ends(&mut self) -> bool {
        match self {
            Blocks::Postgres(blocks) => blocks.paren == 0 && blocks.begin == 0,
            Blocks::MySql(blocks) => blocks.semicolon_ends(),
            Blocks::Sqlite(blocks) => blocks.semicolon_ends(),
        }
    }

    /// The block still open at the end of the input, and where it opened.
    fn unterminated(&self, stmt_start: usize) -> Option<(Block, usize)> {
        match self {
            Blocks::Postgres(blocks) => {
                if blocks.begin > 0 {
                    Some((Block::BeginAtomic, blocks.begin_at))
                } else if blocks.paren > 0 {
                    Some((Block::Parenthesis, blocks.paren_at))
                } else {
                    None
                }
            }
            Blocks::MySql(blocks) => blocks
                .stack
                .first()
                .map(|&(opener, at)| (Block::Compound(opener.keyword()), at)),
            Blocks::Sqlite(blocks) => matches!(blocks.state, SQLITE_TRIGGER | SQLITE_SEMI)
                .then_some((Block::Trigger, stmt_start)),
        }
    }
}

/// psql's rules: `;` inside parentheses, or inside the `BEGIN … END` of a
/// statement that starts `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, does not
/// end it; `CASE` nests inside such a `BEGIN`.
#[derive(Default)]
struct PgBlocks {
    /// First letters of the first four words when they are create, or,
    /// replace, function or procedure (psql's `identifiers`).
    words: [u8; 4],
    word_count: usize,
    paren: usize,
    paren_at: usize,
    begin: usize,
    begin_at: usize,
}

impl PgBlocks {
    fn token(&mut self, token: Token, b: &[u8]) {
        match token.kind {
            TokenKind::Punct(b'(') => {
                if self.paren == 0 {
                    self.paren_at = token.start;
                }
                self.paren += 1;
            }
            TokenKind::Punct(b')') => self.paren = self.paren.saturating_sub(1),
            TokenKind::Word => self.word(token, b),
            _ => {}
        }
    }

    fn word(&mut self, token: Token, b: &[u8]) {
        let word = &b[token.start..token.end];
        if let Some(slot) = self.words.get_mut(self.word_count) {
            let tracked = ["create", "or", "replace", "function", "procedure"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w.as_bytes()));
            if tracked {
                *slot = word[0].to_ascii_lowercase();
            }
        }
        self.word_count = self.word_count.saturating_add(1);
        let w = self.words;
        let defines_routine = w[0] == b'c'
            && (matches!(w[1], b'f' | b'p')
                || (w[1] == b'o' && w[2] == b'r' && matches!(w[3], b'f' | b'p')));
        if !defines_routine || self.paren > 0 {
            return;
        }
        if word.eq_ignore_ascii_case(b"begin") {
            if self.begin == 0 {
                self.begin_at = token.start;
            }
            self.begin += 1;
        } else if word.eq_ignore_ascii_case(b"case") {
            if self.begin > 0 {
                self.begin += 1;
            }
        } else if word.eq_ignore_ascii_case(b"end") {
            self.begin = self.begin.saturating_sub(1);
        }
    }
}

// `sqlite3_complete()`'s states and token classes (SQLite's complete.c).
const SQLITE_START: u8 = 1;
const SQLITE_TRIGGER: u8 = 5;
const SQLITE_SEMI: u8 = 6;
const SQLITE_TRANSITIONS: [[u8; 7]; 8] = [
    //  SEMI OTHER EXPLAIN CREATE TEMP TRIGGER END
    [1, 2, 3, 4, 2, 2, 2], // 0 INVALID
    [1, 2, 3, 4, 2, 2, 2], // 1 START
    [1, 2, 2, 2, 2, 2, 2], // 2 NORMAL
    [1, 3, 2, 4, 2, 2, 2], // 3 EXPLAIN
    [1, 2, 2, 2, 4, 5, 2], // 4 CREATE
    [6, 5, 5, 5, 5, 5, 5], // 5 TRIGGER
    [6, 5, 5, 5, 5, 5, 7], // 6 SEMI
    [1, 5, 5, 5, 5, 5, 5], // 7 END
];

/// SQLite's own rule: after `CREATE [TEMP] TRIGGER`, only a `;` that follows
/// `; END` ends the statement.
struct SqliteBlocks {
    state: u8,
}

impl Default for SqliteBlocks {
    fn default() -> Self {
        SqliteBlocks {
            state: SQLITE_START,
        }
    }
}

impl SqliteBlocks {
    fn step(&mut self, class: usize) {
        self.state = SQLITE_TRANSITIONS[usize::from(self.state)][class];
    }

    fn token(&mut self, token: Token, b: &[u8]) {
        let class = if token.kind == TokenKind::Word {
            let word = &b[token.start..token.end];
            let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
            if is("explain") {
                2
            } else if is("create") {
                3
            } else if is("temp") || is("temporary") {
                4
            } else if is("trigger") {
                5
            } else if is("end") {
                6
            } else {
                1
            }
        } else {
            1
        };
        self.step(class);
    }

    fn semicolon_ends(&mut self) -> bool {
        self.step(0);
        self.state == SQLITE_START
    }
}

/// MySQL without DELIMITER lines: in a statement that starts
/// `CREATE … PROCEDURE|FUNCTION|TRIGGER|EVENT` (or MariaDB's
/// `BEGIN NOT ATOMIC`), a `;` inside a compound statement does not end it.
#[derive(Default)]
struct MySqlBlocks {
    header: Header,
    routine: bool,
    /// Open compound statements and where each opened.
    stack: Vec<(Opener, usize)>,
    paren: usize,
    prev: Prev,
    /// Just after `END`, whose `IF`/`CASE`/`LOOP`/… opens nothing.
    after_end: bool,
}

/// Where the header `CREATE [OR REPLACE] [DEFINER = user] [SQL SECURITY …]
/// [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT` has got to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Header {
    #[default]
    Start,
    AfterBegin(usize),
    AfterCreate,
    AfterDefiner,
    ExpectUser,
    AfterUser,
    ExpectHost,
    Done,
}

/// What the previous token says about the next one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Prev {
    #[default]
    Other,
    /// A statement may start next (after `;`, `BEGIN`, `DO`, a label…).
    StatementStart,
    /// After `THEN`/`ELSE`: a statement may start unless in a CASE expression.
    ThenElse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opener {
    Begin,
    If,
    CaseStatement,
    CaseExpression,
    Loop,
    While,
    Repeat,
    For,
}

impl Opener {
    fn keyword(self) -> &'static str {
        match self {
            Opener::Begin => "BEGIN",
            Opener::If => "IF",
            Opener::CaseStatement | Opener::CaseExpression => "CASE",
            Opener::Loop => "LOOP",
            Opener::While => "WHILE",
            Opener::Repeat => "REPEAT",
            Opener::For => "FOR",
        }
    }
}

const ROUTINE_KINDS: [&str; 4] = ["procedure", "function", "trigger", "event"];
const HEADER_WORDS: [&str; 11] = [
    "or",
    "replace",
    "aggregate",
    "sql",
    "security",
    "invoker",
    "algorithm",
    "undefined",
    "merge",
    "temptable",
    "noneditionable",
];
const END_SUFFIXES: [&str; 6] = ["if", "case", "loop", "while", "repeat", "for"];

impl MySqlBlocks {
    fn reset(&mut self) {
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        *self = MySqlBlocks {
            stack,
            ..MySqlBlocks::default()
        };
    }

    fn semicolon_ends(&mut self) -> bool {
        if self.stack.is_empty() {
            return true;
        }
        self.prev = Prev::StatementStart;
        self.after_end = false;
        false
    }

    fn token(&mut self, token: Token, b: &[u8]) {
        if !self.routine {
            self.header(token, b);
            return;
        }
        let word = (token.kind == TokenKind::Word).then(|| &b[token.start..token.end]);
        if std::mem::take(&mut self.after_end) && self.paren == 0 {
            if let Some(word) = word {
                if END_SUFFIXES
                    .iter()
                    .any(|s| word.eq_ignore_ascii_case(s.as_bytes()))
                {
                    self.prev = Prev::Other;
                    return;
                }
            }
        }
        match (token.kind, word) {
            (TokenKind::Punct(b'('), _) => {
                self.paren += 1;
                self.prev = Prev::Other;
            }
            (TokenKind::Punct(b')'), _) => {
                self.paren = self.paren.saturating_sub(1);
                self.prev = Prev::Other;
            }
            (TokenKind::Punct(b':'), _) if self.paren == 0 => self.prev = Prev::StatementStart,
            (_, Some(word)) if self.paren == 0 => self.word(word, token.start),
            _ => self.prev = Prev::Other,
        }
    }

    fn word(&mut self, word: &[u8], at: usize) {
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        let at_start = match self.prev {
            Prev::StatementStart => true,
            Prev::ThenElse => !matches!(self.stack.last(), Some((Opener::CaseExpression, _))),
            Prev::Other => false,
        };
        let (opener, prev) = if is("begin") {
            (Some(Opener::Begin), Prev::StatementStart)
        } else if is("case") {
            let opener = if at_start {
                Opener::CaseStatement
            } else {
                Opener::CaseExpression
            };
            (Some(opener), Prev::Other)
        } else if is("end") {
            self.stack.pop();
            self.after_end = true;
            (None, Prev::Other)
        } else if at_start && is("if") {
            (Some(Opener::If), Prev::Other)
        } else if at_start && is("while") {
            (Some(Opener::While), Prev::Other)
        } else if at_start && is("for") {
            (Some(Opener::For), Prev::Other)
        } else if at_start && is("loop") {
            (Some(Opener::Loop), Prev::StatementStart)
        } else if at_start && is("repeat") {
            (Some(Opener::Repeat), Prev::StatementStart)
        } else if is("then") || is("else") {
            (None, Prev::ThenElse)
        } else if is("do") || is("row") || is("atomic") {
            // `WHILE … DO`, an event's `DO`, a trigger's `FOR EACH ROW`,
            // MariaDB's `BEGIN NOT ATOMIC`.
            (None, Prev::StatementStart)
        } else {
            (None, Prev::Other)
        };
        if let Some(opener) = opener {
            self.stack.push((opener, at));
        }
        self.prev = prev;
    }

    fn header(&mut self, token: Token, b: &[u8]) {
        let word = (token.kind == TokenKind::Word).then(|| &b[token.start..token.end]);
        let is = |w: &str| word.is_some_and(|word| word.eq_ignore_ascii_case(w.as_bytes()));
        let value = matches!(
            token.kind,
            TokenKind::Word | TokenKind::Quoted | TokenKind::Other
        );
        let mut state = self.header;
        self.header = loop {
            break match state {
                Header::Start if is("create") => Header::AfterCreate,
                Header::Start if is("begin") => Header::AfterBegin(token.start),
                Header::AfterBegin(at) => {
                    if is("not") {
                        self.routine = true;
                        self.stack.push((Opener::Begin, at));
                    }
                    Header::Done
                }
                Header::AfterCreate => {
                    if ROUTINE_KINDS.iter().any(|w| is(w)) {
                        self.routine = true;
                        Header::Done
                    } else if is("definer") {
                        Header::AfterDefiner
                    } else if HEADER_WORDS.iter().any(|w| is(w))
                        || token.kind == TokenKind::Punct(b'=')
                    {
                        Header::AfterCreate
                    } else {
                        Header::Done
                    }
                }
                Header::AfterDefiner if token.kind == TokenKind::Punct(b'=') => Header::ExpectUser,
                Header::AfterDefiner => {
                    // `SQL SECURITY DEFINER`: no user follows.
                    state = Header::AfterCreate;
                    continue;
                }
                Header::ExpectUser if value => Header::AfterUser,
                Header::AfterUser => match token.kind {
                    TokenKind::Punct(b'@') => Header::ExpectHost,
                    TokenKind::Punct(b'(' | b')') => Header::AfterUser,
                    _ => {
                        state = Header::AfterCreate;
                        continue;
                    }
                },
                Header::ExpectHost if value => Header::AfterCreate,
                _ => Header::Done,
            };
        };
    }
}

/// Checks what [`split`] promises about `sql`, with a separate, deliberately
/// simple reading of whitespace, comments and delimiters: the statements are
/// the input's own text, in order, at the line and column they report, and
/// everything between them is whitespace, comments, delimiters or DELIMITER
/// lines; an error names a position inside the input. For the property tests
/// and the fuzz target.
#[doc(hidden)]
pub fn check_split_invariants(sql: &str, dialect: Kind) -> Result<(), String> {
    let src = strip_bom(sql);
    let statements = match split(sql, dialect) {
        Ok(statements) => statements,
        Err(error) => {
            let (line, column) = error.position();
            let line_text = src.split('\n').nth(line.wrapping_sub(1));
            return match line_text {
                Some(text) if column >= 1 && column <= text.chars().count() + 1 => Ok(()),
                _ => Err(format!("{error:?} points outside the input")),
            };
        }
    };
    let b = src.as_bytes();
    let mut delimiter = b";".to_vec();
    let mut cursor = 0; // bytes before it are accounted for
    let (mut line, mut column, mut at) = (1, 1, 0); // position of byte `at`
    for stmt in &statements {
        // Find the byte offset of (stmt.line, stmt.column).
        while (line, column) < (stmt.line, stmt.column) {
            let c = src
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .ok_or_else(|| format!("{stmt:?} starts past the end of the input"))?;
            if c == '\n' {
                (line, column) = (line + 1, 1);
            } else {
                column += 1;
            }
            at += c.len_utf8();
        }
        if (line, column) != (stmt.line, stmt.column) {
            return Err(format!("{stmt:?}: no character is at that line and column"));
        }
        if at < cursor {
            return Err(format!("{stmt:?} overlaps the previous statement"));
        }
        if !src[at..].starts_with(stmt.text.as_str()) {
            return Err(format!("{stmt:?} is not the input's text at its position"));
        }
        let text = stmt.text.as_bytes();
        if text.is_empty() || is_space(text[0]) || is_space(text[text.len() - 1]) {
            return Err(format!("{stmt:?} is empty or not trimmed"));
        }
        if stmt.compound && !text.contains(&b';') {
            return Err(format!("{stmt:?} is compound without a `;`"));
        }
        check_closed(text, dialect).map_err(|why| format!("{stmt:?}: {why}"))?;
        check_gap(b, cursor, at, dialect, &mut delimiter)?;
        if comment_end(b, at, dialect).is_some() {
            return Err(format!("{stmt:?} starts with a comment"));
        }
        cursor = at + text.len();
    }
    check_gap(b, cursor, b.len(), dialect, &mut delimiter)
}

/// Checks, by a reading of quotes and comments of its own, that a statement
/// on its own closes every quote and comment it opens and does not end with a
/// comment: a split inside a string or comment breaks this.
fn check_closed(text: &[u8], dialect: Kind) -> Result<(), String> {
    let n = text.len();
    let mut i = 0;
    let mut last_is_comment = false;
    // The identifier or number (`Some(true)`) that the previous byte belongs to.
    let mut word: Option<bool> = None;
    let mut word_start = 0;
    while i < n {
        let c = text[i];
        last_is_comment = false;
        let mysql_dashes_at_end = dialect == Kind::MySql && text[i..] == *b"--";
        if let Some(end) = comment_end(text, i, dialect).filter(|_| !mysql_dashes_at_end) {
            if end > n {
                return Err(format!("unclosed comment at byte {i}"));
            }
            (i, word, last_is_comment) = (end, None, true);
            continue;
        }
        let close = |from: usize, q: u8, backslash: bool| -> Result<usize, String> {
            let mut j = from;
            while j < n {
                if (text[j] == b'\\' && backslash) || (text[j] == q && text.get(j + 1) == Some(&q))
                {
                    j += 2;
                } else if text[j] == q {
                    return Ok(j + 1);
                } else {
                    j += 1;
                }
            }
            Err(format!("unclosed {} at byte {}", char::from(q), from - 1))
        };
        let e_prefix =
            word == Some(false) && i == word_start + 1 && matches!(text[i - 1], b'E' | b'e');
        let next = match (c, dialect) {
            (b'\'', Kind::MySql) | (b'"', Kind::MySql) => close(i + 1, c, true)?,
            (b'\'', Kind::Postgres) if e_prefix => close(i + 1, c, true)?,
            (b'\'' | b'"', _) => close(i + 1, c, false)?,
            (b'`', Kind::MySql | Kind::Sqlite) => close(i + 1, c, false)?,
            (b'[', Kind::Sqlite) => match text[i..].iter().position(|&c| c == b']') {
                Some(k) => i + k + 1,
                None => return Err(format!("unclosed [ at byte {i}")),
            },
            (b'$', Kind::Postgres) if word != Some(false) => {
                let tag_len = text[i + 1..]
                    .iter()
                    .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80))
                    .unwrap_or(n - i - 1);
                let digits = text[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits > 0 {
                    i + 1 + digits // a parameter: `$3g` is `$3` then `g`
                } else if text.get(i + 1 + tag_len) == Some(&b'$') {
                    let tag = &text[i..i + tag_len + 2];
                    let body = i + tag.len();
                    match text[body..].windows(tag.len()).position(|w| w == tag) {
                        Some(k) => body + k + tag.len(),
                        None => return Err(format!("unclosed dollar quote at byte {i}")),
                    }
                } else {
                    i + 1
                }
            }
            _ => {
                let ident = c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
                let number_ends = word == Some(true) && c == b'$';
                if ident && (word.is_none() || number_ends) {
                    word = Some(c.is_ascii_digit());
                    word_start = i;
                } else if !ident {
                    word = None;
                }
                i += 1;
                continue;
            }
        };
        (i, word) = (next, None);
    }
    if last_is_comment {
        return Err("ends with a comment".to_owned());
    }
    Ok(())
}

/// Checks that `b[from..to]` holds nothing but whitespace, comments,
/// delimiters and (MySQL) DELIMITER lines, which update `delimiter`.
fn check_gap(
    b: &[u8],
    from: usize,
    to: usize,
    dialect: Kind,
    delimiter: &mut Vec<u8>,
) -> Result<(), String> {
    let mut i = from;
    while i < to {
        let rest = &b[i..to];
        if rest.starts_with(delimiter) {
            i += delimiter.len();
        } else if is_space(b[i]) {
            i += 1;
        } else if let Some(end) = comment_end(b, i, dialect) {
            if end > to {
                return Err(format!("the comment at byte {i} runs into a statement"));
            }
            i = end;
        } else if dialect == Kind::MySql
            && rest.len() > 9
            && rest[..9].eq_ignore_ascii_case(b"delimiter")
            && matches!(rest[9], b' ' | b'\t')
        {
            let line = &rest[..rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())];
            let mut arg = line[9..]
                .split(|&c| is_space(c))
                .find(|part| !part.is_empty())
                .ok_or_else(|| format!("DELIMITER without argument at byte {i}"))?;
            if let [q @ (b'\'' | b'"' | b'`'), inner @ ..] = arg {
                if let Some(close) = inner.iter().position(|c| c == q) {
                    arg = &inner[..close];
                }
            }
            *delimiter = arg.to_vec();
            i += (line.len() + 1).min(rest.len());
        } else {
            return Err(format!(
                "byte {i} ({:?}) is in no statement, yet is no whitespace, comment or delimiter",
                char::from(b[i])
            ));
        }
    }
    Ok(())
}

/// The end of the comment starting at `i`, by the simplest reading of each
/// dialect's rules (MySQL executable comments are not comments).
fn comment_end(b: &[u8], i: usize, dialect: Kind) -> Option<usize> {
    let rest = &b[i..];
    let line_comment = match rest {
        [b'-', b'-', next, ..] => dialect != Kind::MySql || *next <= b' ' || *next == 0x7f,
        [b'-', b'-'] => true,
        [b'#', ..] => dialect == Kind::MySql,
        _ => false,
    };
    if line_comment {
        return Some(line_end(b, i));
    }
    match rest {
        [b'/', b'*', b'!', ..] | [b'/', b'*', b'M', b'!', ..] if dialect == Kind::MySql => None,
        [b'/', b'*', ..] => {
            let mut depth = 0usize;
            let mut j = i;
            while j + 1 < b.len() {
                match &b[j..j + 2] {
                    b"/*" if depth == 0 || dialect == Kind::Postgres => {
                        depth += 1;
                        j += 2;
                    }
                    b"*/" => {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            return Some(j);
                        }
                    }
                    _ => j += 1,
                }
            }
            Some(usize::MAX) // unterminated: runs into whatever follows
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::{MySql, Postgres, Sqlite};

    fn texts(sql: &str, dialect: Kind) -> Vec<String> {
        match split(sql, dialect) {
            Ok(statements) => statements.into_iter().map(|s| s.text).collect(),
            Err(error) => panic!("{dialect:?} {sql:?}: {error}"),
        }
    }

    /// (name, dialect, input, expected statement texts)
    const CASES: &[(&str, Kind, &str, &[&str])] = &[
        // Plain splitting, shared by all dialects.
        ("two statements", Postgres, "SELECT 1; SELECT 2;", &["SELECT 1", "SELECT 2"]),
        ("no final semicolon", Sqlite, "SELECT 1;\nSELECT 2", &["SELECT 1", "SELECT 2"]),
        ("empty statements", MySql, ";;SELECT 1;;; ;\n;", &["SELECT 1"]),
        ("empty input", Postgres, "", &[]),
        ("only whitespace", Sqlite, " \n\t\r\n ", &[]),
        ("only comments", Postgres, "-- a\n/* b */\n-- c", &[]),
        ("comment-only tail", Sqlite, "SELECT 1; -- done\n/* bye */", &["SELECT 1"]),
        ("leading comment lines dropped", Postgres, "-- one\n-- two\nSELECT 1;", &["SELECT 1"]),
        ("inner comments kept", Postgres, "SELECT /* a; */ 1 -- b;\n + 2;", &["SELECT /* a; */ 1 -- b;\n + 2"]),
        ("trailing comment before ; dropped", Sqlite, "SELECT 1 -- note\n;", &["SELECT 1"]),
        ("multi-line statement", Postgres, "CREATE TABLE t (\n  id int\n);\n", &["CREATE TABLE t (\n  id int\n)"]),
        ("crlf", Sqlite, "SELECT 1;\r\nSELECT 2;\r\n", &["SELECT 1", "SELECT 2"]),
        ("bom", Postgres, "\u{feff}SELECT 1;", &["SELECT 1"]),
        ("utf8 text", Postgres, "INSERT INTO t VALUES ('héllo; wörld'); SELECT 'ü';", &["INSERT INTO t VALUES ('héllo; wörld')", "SELECT 'ü'"]),
        ("utf8 identifier", Sqlite, "SELECT ünïcode;SELECT 2", &["SELECT ünïcode", "SELECT 2"]),
        // Single-quoted strings.
        ("semicolons in string pg", Postgres, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
        ("semicolons in string my", MySql, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
        ("semicolons in string lite", Sqlite, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
        ("doubled quote", Sqlite, "SELECT 'it''s; ok'; SELECT 2", &["SELECT 'it''s; ok'", "SELECT 2"]),
        ("doubled quote pg", Postgres, "SELECT 'a'';'; SELECT 2", &["SELECT 'a'';'", "SELECT 2"]),
        ("doubled quote my", MySql, "SELECT 'a'';'; SELECT 2", &["SELECT 'a'';'", "SELECT 2"]),
        ("backslash escapes quote in mysql", MySql, r"SELECT 'a\';b'; SELECT 2", &[r"SELECT 'a\';b'", "SELECT 2"]),
        ("escaped backslash in mysql", MySql, r"SELECT 'a\\'; SELECT 2", &[r"SELECT 'a\\'", "SELECT 2"]),
        ("backslash is plain in pg", Postgres, r"SELECT 'a\'; SELECT 2", &[r"SELECT 'a\'", "SELECT 2"]),
        ("backslash is plain in sqlite", Sqlite, r"SELECT 'a\'; SELECT 2", &[r"SELECT 'a\'", "SELECT 2"]),
        ("mysql charset introducer", MySql, r"SELECT _utf8mb4'a\';'; SELECT 2", &[r"SELECT _utf8mb4'a\';'", "SELECT 2"]),
        // E'' strings.
        ("E string escaped quote", Postgres, r"SELECT E'\''; SELECT 2", &[r"SELECT E'\''", "SELECT 2"]),
        ("lone $ then E string", Postgres, r"SELECT $E'\''; SELECT 2", &[r"SELECT $E'\''", "SELECT 2"]),
        ("e string lower case", Postgres, r"SELECT e'a\';b'; SELECT 2", &[r"SELECT e'a\';b'", "SELECT 2"]),
        ("E string doubled quote", Postgres, r"SELECT E'x''\\'; SELECT 2", &[r"SELECT E'x''\\'", "SELECT 2"]),
        ("word ending in E is no E string", Postgres, r"SELECT some'a\'; SELECT 2", &[r"SELECT some'a\'", "SELECT 2"]),
        // Double quotes and backticks.
        ("double-quoted identifier pg", Postgres, r#"SELECT "a;""b"; SELECT 2"#, &[r#"SELECT "a;""b""#, "SELECT 2"]),
        ("double quote no backslash pg", Postgres, r#"SELECT "a\"; SELECT 2"#, &[r#"SELECT "a\""#, "SELECT 2"]),
        ("double-quoted identifier sqlite", Sqlite, r#"SELECT "a;""b"; SELECT 2"#, &[r#"SELECT "a;""b""#, "SELECT 2"]),
        ("double-quoted string mysql", MySql, r#"SELECT "a\";b"; SELECT 2"#, &[r#"SELECT "a\";b""#, "SELECT 2"]),
        ("backticks mysql", MySql, "SELECT `a;``b`; SELECT 2", &["SELECT `a;``b`", "SELECT 2"]),
        ("backticks no backslash mysql", MySql, r"SELECT `a\`; SELECT 2", &[r"SELECT `a\`", "SELECT 2"]),
        ("backticks sqlite", Sqlite, "SELECT `a;b`; SELECT 2", &["SELECT `a;b`", "SELECT 2"]),
        ("brackets sqlite", Sqlite, "SELECT [a;b]; SELECT 2", &["SELECT [a;b]", "SELECT 2"]),
        ("brackets are arrays in pg", Postgres, "SELECT a[1]; SELECT 2", &["SELECT a[1]", "SELECT 2"]),
        // Dollar quotes.
        ("dollar quote", Postgres, "SELECT $$a;b$$; SELECT 2", &["SELECT $$a;b$$", "SELECT 2"]),
        ("tagged dollar quote", Postgres, "SELECT $x$a;$$;b$x$; SELECT 2", &["SELECT $x$a;$$;b$x$", "SELECT 2"]),
        ("dollar quote with quotes inside", Postgres, "SELECT $$ it's \"; $$; SELECT 2", &["SELECT $$ it's \"; $$", "SELECT 2"]),
        ("parameter is no dollar quote", Postgres, "PREPARE p AS SELECT $1; SELECT $2;", &["PREPARE p AS SELECT $1", "SELECT $2"]),
        ("parameter then identifier with dollars", Postgres, "SELECT $3g$$; SELECT 2", &["SELECT $3g$$", "SELECT 2"]),
        ("dollar inside identifier", Postgres, "SELECT a$$b; SELECT 2", &["SELECT a$$b", "SELECT 2"]),
        ("number then dollar quote", Postgres, "SELECT 1$$;$$; SELECT 2", &["SELECT 1$$;$$", "SELECT 2"]),
        ("lone dollar name", Postgres, "SELECT $a b$; SELECT 2", &["SELECT $a b$", "SELECT 2"]),
        ("dollars mean nothing in mysql", MySql, "SELECT $$a;b$$", &["SELECT $$a", "b$$"]),
        ("DO block", Postgres, "DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$;\nSELECT 1;", &["DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$", "SELECT 1"]),
        (
            "plpgsql function with $$",
            Postgres,
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f();",
            &[
                "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql",
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f()",
            ],
        ),
        (
            "plpgsql function with $body$ holding $$",
            Postgres,
            "CREATE OR REPLACE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$\nDECLARE s text := $$;$$;\nBEGIN RETURN s; END;\n$body$;\nSELECT g();",
            &[
                "CREATE OR REPLACE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$\nDECLARE s text := $$;$$;\nBEGIN RETURN s; END;\n$body$",
                "SELECT g()",
            ],
        ),
        // Comments.
        ("nested comment pg", Postgres, "SELECT /* a /* b; */ c; */ 1; SELECT 2", &["SELECT /* a /* b; */ c; */ 1", "SELECT 2"]),
        ("comments do not nest in sqlite", Sqlite, "SELECT /* a /* b */ 1; SELECT 2", &["SELECT /* a /* b */ 1", "SELECT 2"]),
        ("comments do not nest in mysql", MySql, "SELECT /* a /* b */ 1; SELECT 2", &["SELECT /* a /* b */ 1", "SELECT 2"]),
        ("dash comment hides semicolon", Sqlite, "SELECT 1 -- ; x\n, 2; SELECT 3", &["SELECT 1 -- ; x\n, 2", "SELECT 3"]),
        ("dash comment without space pg", Postgres, "SELECT 1 --;x\n; SELECT 2", &["SELECT 1", "SELECT 2"]),
        ("mysql --x is no comment", MySql, "SELECT 1 --1;\nSELECT 2;", &["SELECT 1 --1", "SELECT 2"]),
        ("mysql -- comment", MySql, "SELECT 1 -- x;\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
        ("mysql --tab comment", MySql, "SELECT 1 --\tx;\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
        ("mysql -- at end", MySql, "SELECT 1; --", &["SELECT 1"]),
        ("mysql hash comment", MySql, "SELECT 1 # a;b\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
        ("hash is no comment in pg", Postgres, "SELECT 1 # 2; SELECT 3", &["SELECT 1 # 2", "SELECT 3"]),
        ("mysql executable comment kept", MySql, "/*!40101 SET NAMES utf8mb4 */;\n/* plain */ SELECT 1;", &["/*!40101 SET NAMES utf8mb4 */", "SELECT 1"]),
        ("mysql executable comment is read as SQL", MySql, "SELECT 1 /*!50001 , ';*/' */; SELECT 2", &["SELECT 1 /*!50001 , ';*/' */", "SELECT 2"]),
        ("mysql semicolon in executable comment ends the statement", MySql, "SELECT 1 /*!50001 ; */; SELECT 2", &["SELECT 1 /*!50001", "*/", "SELECT 2"]),
        ("mysql optimizer hint is a comment", MySql, "SELECT /*+ BKA(t) ; */ 1; SELECT 2", &["SELECT /*+ BKA(t) ; */ 1", "SELECT 2"]),
        ("mariadb executable comment", MySql, "/*M!100100 SET x=1 */; SELECT 2", &["/*M!100100 SET x=1 */", "SELECT 2"]),
        ("a dollar sign after a number's dot continues an identifier", Postgres, "SELECT 2a.b$$ FROM t; SELECT 1", &["SELECT 2a.b$$ FROM t", "SELECT 1"]),
        ("a delimiter never ends a statement inside an executable comment's opener", MySql, "DELIMITER M!C\nA/*M!C SELECT 0 */M!C\nDELIMITER ;\n", &["A/*M!C SELECT 0 */"]),
        ("bang comment is a comment in pg", Postgres, "/*! x */ SELECT 1", &["SELECT 1"]),
        // MySQL DELIMITER.
        (
            "procedure between DELIMITER //",
            MySql,
            "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND//\nDELIMITER ;\nCALL p();",
            &["CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", "CALL p()"],
        ),
        (
            "procedure between DELIMITER $$",
            MySql,
            "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END $$\nCREATE FUNCTION f() RETURNS INT RETURN 1$$\nDELIMITER ;\nSELECT f();",
            &["CREATE PROCEDURE p() BEGIN SELECT 1; END", "CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT f()"],
        ),
        ("delimiter lower case with comment", MySql, "delimiter ;; # comment\nSELECT 1;;\ndelimiter ; -- back\nSELECT 2;", &["SELECT 1", "SELECT 2"]),
        ("delimiter in string is text", MySql, "DELIMITER //\nSELECT '//';//\nDELIMITER ;", &["SELECT '//';"]),
        ("delimiter quoted argument", MySql, "DELIMITER '//'\nSELECT 1//", &["SELECT 1"]),
        ("delimiter ends open statement", MySql, "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;", &["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]),
        ("delimiter after statement on a line", MySql, "SELECT 1; DELIMITER //\nSELECT 2//", &["SELECT 1", "SELECT 2"]),
        ("delimiter word inside a line is a name", MySql, "SELECT a, delimiter FROM t;", &["SELECT a, delimiter FROM t"]),
        ("delimiter at line start without argument is a name", MySql, "SELECT a,\ndelimiter\nFROM t;", &["SELECT a,\ndelimiter\nFROM t"]),
        ("delimiter inside a word", MySql, "DELIMITER //\nSELECT 1 AS x//SELECT 2//", &["SELECT 1 AS x", "SELECT 2"]),
        ("dollar delimiter after word", MySql, "DELIMITER $$\nBEGIN NOT ATOMIC SELECT 1; END$$\nDELIMITER ;", &["BEGIN NOT ATOMIC SELECT 1; END"]),
        ("delimiter is text in pg", Postgres, "DELIMITER //\nSELECT 1;", &["DELIMITER //\nSELECT 1"]),
        // MySQL compound bodies without DELIMITER.
        (
            "mysql trigger without DELIMITER",
            MySql,
            "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN\n    SET NEW.a = 0;\n  END IF;\n  SET NEW.b = 1;\nEND;\nINSERT INTO t VALUES (1);",
            &[
                "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN\n    SET NEW.a = 0;\n  END IF;\n  SET NEW.b = 1;\nEND",
                "INSERT INTO t VALUES (1)",
            ],
        ),
        ("mysql single-statement trigger", MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1; SELECT 2;", &["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "SELECT 2"]),
        ("mysql trigger with bare IF", MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF; SELECT 2;", &["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF", "SELECT 2"]),
        (
            "mysql procedure with loops",
            MySql,
            "CREATE DEFINER=`root`@`%` PROCEDURE p(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  l1: LOOP\n    SET i = i + 1;\n    IF i > n THEN LEAVE l1; END IF;\n  END LOOP l1;\n  WHILE i > 0 DO SET i = i - 1; END WHILE;\n  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n  CASE i WHEN 4 THEN SELECT 1; ELSE SELECT 2; END CASE;\nEND;\nCALL p(3);",
            &[
                "CREATE DEFINER=`root`@`%` PROCEDURE p(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  l1: LOOP\n    SET i = i + 1;\n    IF i > n THEN LEAVE l1; END IF;\n  END LOOP l1;\n  WHILE i > 0 DO SET i = i - 1; END WHILE;\n  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n  CASE i WHEN 4 THEN SELECT 1; ELSE SELECT 2; END CASE;\nEND",
                "CALL p(3)",
            ],
        ),
        (
            "mysql function with IF() and CASE expressions",
            MySql,
            "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = IF(x > 0, 1, 2);\n  SET y = CASE WHEN x THEN IF(x, 1, 0) ELSE REPEAT('a', 2) END;\n  IF (x > 1) THEN IF x > 2 THEN SET y = 3; END IF; ELSE IF x < 0 THEN SET y = 0; END IF; END IF;\n  RETURN y;\nEND;\nSELECT f(1);",
            &[
                "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = IF(x > 0, 1, 2);\n  SET y = CASE WHEN x THEN IF(x, 1, 0) ELSE REPEAT('a', 2) END;\n  IF (x > 1) THEN IF x > 2 THEN SET y = 3; END IF; ELSE IF x < 0 THEN SET y = 0; END IF; END IF;\n  RETURN y;\nEND",
                "SELECT f(1)",
            ],
        ),
        ("mysql function without body block", MySql, "CREATE FUNCTION f() RETURNS INT RETURN IF(1, 2, 3); SELECT f();", &["CREATE FUNCTION f() RETURNS INT RETURN IF(1, 2, 3)", "SELECT f()"]),
        ("mysql event", MySql, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END; SELECT 1;", &["CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END", "SELECT 1"]),
        ("mysql definer user@host", MySql, "CREATE DEFINER = root@localhost PROCEDURE p() SQL SECURITY INVOKER BEGIN SELECT 1; END; SELECT 2", &["CREATE DEFINER = root@localhost PROCEDURE p() SQL SECURITY INVOKER BEGIN SELECT 1; END", "SELECT 2"]),
        ("mysql definer quoted user@host", MySql, "CREATE DEFINER='root'@'%' FUNCTION f() RETURNS INT BEGIN RETURN 1; END; SELECT 2", &["CREATE DEFINER='root'@'%' FUNCTION f() RETURNS INT BEGIN RETURN 1; END", "SELECT 2"]),
        ("mysql definer ip host", MySql, "CREATE DEFINER=admin@127.0.0.1 TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END; SELECT 2", &["CREATE DEFINER=admin@127.0.0.1 TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END", "SELECT 2"]),
        ("mysqldump trigger in executable comments", MySql, "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END */;;\nDELIMITER ;\n", &["/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END */"]),
        ("mysql definer current_user()", MySql, "CREATE OR REPLACE DEFINER=CURRENT_USER() PROCEDURE p() BEGIN SELECT 1; END; SELECT 2", &["CREATE OR REPLACE DEFINER=CURRENT_USER() PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]),
        ("mysql handler block", MySql, "CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @e = 1; END; SELECT 1; END; SELECT 2", &["CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @e = 1; END; SELECT 1; END", "SELECT 2"]),
        ("mariadb FOR loop", MySql, "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END; SELECT 2", &["CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END", "SELECT 2"]),
        ("mariadb BEGIN NOT ATOMIC", MySql, "BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END; SELECT 2", &["BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END", "SELECT 2"]),
        ("mysql BEGIN transaction", MySql, "BEGIN; SELECT 1; COMMIT;", &["BEGIN", "SELECT 1", "COMMIT"]),
        ("mysql table named like keywords", MySql, "CREATE TABLE event (begin INT, end INT); SELECT 2;", &["CREATE TABLE event (begin INT, end INT)", "SELECT 2"]),
        ("mysql view", MySql, "CREATE DEFINER=root@localhost VIEW v AS SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2;", &["CREATE DEFINER=root@localhost VIEW v AS SELECT CASE WHEN a THEN 1 END FROM t", "SELECT 2"]),
        ("mysql drop if exists in body", MySql, "CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END; SELECT 2", &["CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END", "SELECT 2"]),
        ("mysql begin parameter in parentheses", MySql, "CREATE PROCEDURE p(begin INT, `end` INT) SELECT 1; SELECT 2", &["CREATE PROCEDURE p(begin INT, `end` INT) SELECT 1", "SELECT 2"]),
        // SQLite triggers.
        (
            "sqlite trigger with several statements and CASE",
            Sqlite,
            "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET a = CASE WHEN NEW.a > 0 THEN 1 ELSE 0 END WHERE id = NEW.id;\n  INSERT INTO log VALUES ('x;y');\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nSELECT 1;",
            &[
                "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET a = CASE WHEN NEW.a > 0 THEN 1 ELSE 0 END WHERE id = NEW.id;\n  INSERT INTO log VALUES ('x;y');\n  SELECT CASE WHEN 1 THEN 2 END;\nEND",
                "SELECT 1",
            ],
        ),
        ("sqlite temp trigger", Sqlite, "CREATE TEMP TRIGGER IF NOT EXISTS x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END; SELECT 3", &["CREATE TEMP TRIGGER IF NOT EXISTS x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END", "SELECT 3"]),
        ("sqlite temporary trigger at end of input", Sqlite, "CREATE TEMPORARY TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; END", &["CREATE TEMPORARY TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; END"]),
        ("sqlite trigger comment before END", Sqlite, "CREATE TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; /* c */ -- d\n END /* e */; SELECT 1", &["CREATE TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; /* c */ -- d\n END", "SELECT 1"]),
        ("sqlite transaction", Sqlite, "BEGIN; SELECT 1; END;", &["BEGIN", "SELECT 1", "END"]),
        ("sqlite explain create trigger", Sqlite, "EXPLAIN CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END; SELECT 2", &["EXPLAIN CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END", "SELECT 2"]),
        ("create trigger in pg is plain", Postgres, "CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f(); SELECT 2", &["CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f()", "SELECT 2"]),
        // PostgreSQL BEGIN ATOMIC and parentheses.
        (
            "begin atomic",
            Postgres,
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND;\nSELECT f(1);",
            &[
                "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND",
                "SELECT f(1)",
            ],
        ),
        ("begin atomic procedure or replace", Postgres, "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2; END; CALL p();", &["CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2; END", "CALL p()"]),
        ("pg transaction begin", Postgres, "BEGIN; SELECT 1; END;", &["BEGIN", "SELECT 1", "END"]),
        ("pg case outside function", Postgres, "SELECT CASE WHEN true THEN 1 END; SELECT 2", &["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]),
        ("pg rule with parenthesised actions", Postgres, "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2", &["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 2"]),
        ("pg stray close parenthesis", Postgres, "SELECT 1); SELECT 2", &["SELECT 1)", "SELECT 2"]),
    ];

    #[test]
    fn splits_each_construct() {
        for (name, dialect, sql, expected) in CASES {
            let got = texts(sql, *dialect);
            assert_eq!(got, *expected, "case {name:?} ({dialect:?})");
            assert_eq!(
                check_split_invariants(sql, *dialect),
                Ok(()),
                "case {name:?}"
            );
        }
    }

    #[test]
    fn reports_line_and_column_of_each_statement() {
        let sql =
            "-- header\nSELECT 1;  SELECT 2;\n\n  /* c */ SELECT\n  3;\r\n\tSELECT 'é'; SELECT 4";
        let got: Vec<_> = split(sql, Postgres)
            .unwrap()
            .into_iter()
            .map(|s| (s.text, s.line, s.column))
            .collect();
        let want = [
            ("SELECT 1", 2, 1),
            ("SELECT 2", 2, 12),
            ("SELECT\n  3", 4, 11),
            ("SELECT 'é'", 6, 2),
            ("SELECT 4", 6, 14),
        ];
        let want: Vec<_> = want.iter().map(|&(t, l, c)| (t.to_owned(), l, c)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn columns_count_characters_and_ignore_the_bom() {
        let got = split("\u{feff}SELECT 'ä'; SELECT 2", Sqlite).unwrap();
        assert_eq!((got[0].line, got[0].column), (1, 1));
        assert_eq!((got[1].line, got[1].column), (1, 13));
    }

    #[test]
    fn marks_compound_statements() {
        let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nSELECT ';'//\nDELIMITER ;\nSELECT 1;";
        let flags: Vec<_> = split(sql, MySql)
            .unwrap()
            .into_iter()
            .map(|s| s.compound)
            .collect();
        assert_eq!(flags, [true, false, false]);
        let sql = "CREATE PROCEDURE p() BEGIN SELECT 1; END; SELECT 2;";
        let flags: Vec<_> = split(sql, MySql)
            .unwrap()
            .into_iter()
            .map(|s| s.compound)
            .collect();
        assert_eq!(flags, [true, false]);
        let sql = "CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END;";
        assert!(split(sql, Sqlite).unwrap()[0].compound);
        let sql = "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END; SELECT $$;$$";
        let flags: Vec<_> = split(sql, Postgres)
            .unwrap()
            .into_iter()
            .map(|s| s.compound)
            .collect();
        assert_eq!(flags, [true, false]);
    }

    fn error(sql: &str, dialect: Kind) -> SplitError {
        match split(sql, dialect) {
            Ok(statements) => panic!("{sql:?} split into {statements:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn unterminated_constructs_name_where_they_start() {
        let quote = |quote, line, column| SplitError::UnterminatedQuote {
            quote,
            line,
            column,
        };
        let comment = |line, column| SplitError::UnterminatedComment { line, column };
        let block = |block, line, column| SplitError::UnterminatedBlock {
            block,
            line,
            column,
        };
        let cases = [
            ("SELECT 1;\nSELECT 'abc;", Postgres, quote('\'', 2, 8)),
            ("SELECT 'it''s", Sqlite, quote('\'', 1, 8)),
            (r"SELECT 'a\'", MySql, quote('\'', 1, 8)),
            (r"SELECT E'a\'", Postgres, quote('\'', 1, 8)),
            (r"SELECT '' $E'\'", Postgres, quote('\'', 1, 12)),
            ("SELECT \"a", Postgres, quote('"', 1, 8)),
            ("SELECT `a", MySql, quote('`', 1, 8)),
            ("SELECT [a", Sqlite, quote('[', 1, 8)),
            ("SELECT 1;\n  /* x", Sqlite, comment(2, 3)),
            ("/* a /* b */", Postgres, comment(1, 1)),
            ("SELECT /* 1", MySql, comment(1, 8)),
            ("SELECT /*! ';", MySql, quote('\'', 1, 12)),
            (
                "SELECT 1;\nDO $body$ x $$",
                Postgres,
                SplitError::UnterminatedDollarQuote {
                    tag: "$body$".into(),
                    line: 2,
                    column: 4,
                },
            ),
            (
                "é $$",
                Postgres,
                SplitError::UnterminatedDollarQuote {
                    tag: "$$".into(),
                    line: 1,
                    column: 3,
                },
            ),
            (
                "CREATE FUNCTION f() BEGIN ATOMIC\n SELECT 1;",
                Postgres,
                block(Block::BeginAtomic, 1, 21),
            ),
            (
                "SELECT 1;\nINSERT INTO t VALUES (1;\nSELECT 2;",
                Postgres,
                block(Block::Parenthesis, 2, 22),
            ),
            (
                "SELECT 1;\n CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1;",
                Sqlite,
                block(Block::Trigger, 2, 2),
            ),
            (
                "CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1 END",
                Sqlite,
                block(Block::Trigger, 1, 1),
            ),
            (
                "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN SELECT 1;\nEND;",
                MySql,
                block(Block::Compound("BEGIN"), 2, 1),
            ),
            (
                "DELIMITER\nSELECT 1;",
                MySql,
                SplitError::InvalidDelimiter {
                    reason: "DELIMITER must be followed by the new delimiter, as in `DELIMITER //`",
                    line: 1,
                    column: 1,
                },
            ),
            (
                r"DELIMITER \\",
                MySql,
                SplitError::InvalidDelimiter {
                    reason: "a DELIMITER cannot contain a backslash",
                    line: 1,
                    column: 11,
                },
            ),
        ];
        for (sql, dialect, want) in cases {
            assert_eq!(error(sql, dialect), want, "{sql:?} ({dialect:?})");
            assert_eq!(check_split_invariants(sql, dialect), Ok(()), "{sql:?}");
        }
    }

    #[test]
    fn unterminated_delimiter_block_at_end_is_one_statement() {
        // A custom delimiter is authoritative: the tail is the last statement.
        let got = texts("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1;", MySql);
        assert_eq!(got, ["CREATE PROCEDURE p() BEGIN SELECT 1;"]);
    }

    #[test]
    fn errors_read_as_sentences() {
        let message = error("SELECT 'x", Sqlite).to_string();
        assert_eq!(
            message,
            "line 1, column 8: the string ' opened here is never closed; add the closing '"
        );
        let message = error("CREATE PROCEDURE p() BEGIN SELECT 1;", MySql).to_string();
        assert!(
            message.starts_with("line 1, column 22: `BEGIN` has no matching `END`"),
            "{message}"
        );
    }

    #[test]
    fn shifted_errors_count_the_lines_above() {
        let shifted = error("\n SELECT 'x", Sqlite).shifted(10);
        assert_eq!(shifted.position(), (12, 9));
    }

    #[test]
    fn maps_offsets_in_a_statement_to_the_file() {
        let stmts = split("SELECT 1;\n  SELECT\n  é + x;", Postgres).unwrap();
        let stmt = &stmts[1];
        assert_eq!((stmt.line, stmt.column), (2, 3));
        assert_eq!(position_in_file(stmt, 0), (2, 3));
        assert_eq!(position_in_file(stmt, 5), (2, 8));
        assert_eq!(position_in_file(stmt, 6), (2, 9)); // the newline itself
        assert_eq!(position_in_file(stmt, 7), (3, 1));
        assert_eq!(position_in_file(stmt, 9), (3, 3)); // é
        assert_eq!(position_in_file(stmt, 11), (3, 5)); // +
        assert_eq!(position_in_file(stmt, 1000), (3, 8));
        assert_eq!(byte_position_in_file(stmt, 9), (3, 3)); // é
        assert_eq!(byte_position_in_file(stmt, 10), (3, 3)); // inside é
        assert_eq!(byte_position_in_file(stmt, 12), (3, 5)); // +
    }

    #[test]
    fn picks_a_mysql_delimiter_absent_from_the_text() {
        assert_eq!(mysql_delimiter_for("BEGIN SELECT 1; END"), "//");
        assert_eq!(mysql_delimiter_for("SELECT '//'"), "$$");
        assert_eq!(mysql_delimiter_for("SELECT x /"), "$$");
        assert_eq!(mysql_delimiter_for("SELECT '// $$ ;;'"), "//1//");
        assert_eq!(mysql_delimiter_for("SELECT '// $$ ;; //1//' //1"), "//2//");
    }

    #[test]
    fn long_inputs_split_in_linear_time() {
        // Quadratic behaviour would take minutes at this size.
        let n = 200_000;
        let sql = "SELECT 1;".repeat(n);
        assert_eq!(split(&sql, MySql).unwrap().len(), n);
        let sql = format!(
            "SELECT ${}$ {} ${}$",
            "a".repeat(n),
            "$a".repeat(n),
            "a".repeat(n)
        );
        assert_eq!(split(&sql, Postgres).unwrap().len(), 1);
        let sql = format!("DELIMITER {}b\n{}", "a".repeat(15), "a".repeat(n));
        assert_eq!(split(&sql, MySql).unwrap().len(), 1);
        let sql = format!(
            "CREATE PROCEDURE p() {} {}",
            "BEGIN ".repeat(n),
            "END; ".repeat(n)
        );
        assert_eq!(split(&sql, MySql).unwrap().len(), 1);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        const FRAGMENTS: &[&str] = &[
            " ",
            "\n",
            "\r\n",
            "\t",
            ";",
            ";;",
            "'",
            "''",
            "'a;b'",
            "\"",
            "\"x;\"",
            "`",
            "`t;`",
            "[",
            "]",
            "[c;]",
            "\\",
            "\\'",
            "$",
            "$$",
            "$a$",
            "$1",
            "$$ ; $$",
            "$a$;$a$",
            "E'",
            "e'\\';'",
            "--",
            "-- ",
            "--x",
            "-- c;\n",
            "#",
            "# c;\n",
            "/*",
            "*/",
            "/* ; */",
            "/*!",
            "/*! ; */",
            "/*M!",
            "(",
            ")",
            ":",
            "=",
            "@",
            "é",
            "\u{feff}",
            "\0",
            "SELECT 1",
            "CREATE",
            "OR",
            "REPLACE",
            "TEMP",
            "TRIGGER",
            "PROCEDURE",
            "FUNCTION",
            "EVENT",
            "DEFINER",
            "BEGIN",
            "ATOMIC",
            "NOT",
            "END",
            "CASE",
            "IF",
            "THEN",
            "ELSE",
            "LOOP",
            "WHILE",
            "REPEAT",
            "FOR",
            "DO",
            "ROW",
            "EXPLAIN",
            "DELIMITER //\n",
            "DELIMITER ;\n",
            "DELIMITER $$\n",
            "delimiter ;;\n",
            "DELIMITER",
            "//",
            "x",
            "1",
        ];

        fn sqlish() -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(FRAGMENTS), 0..48).prop_map(|v| v.concat())
        }

        fn dialect() -> impl Strategy<Value = Kind> {
            prop::sample::select(&[Kind::Postgres, Kind::MySql, Kind::Sqlite][..])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn arbitrary_text_keeps_every_significant_character(sql in any::<String>(), dialect in dialect()) {
                prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
            }

            #[test]
            fn ascii_text_keeps_every_significant_character(sql in "[ -~\n\t]{0,120}", dialect in dialect()) {
                prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
            }

            #[test]
            fn sqlish_text_keeps_every_significant_character(sql in sqlish(), dialect in dialect()) {
                prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
            }

            #[test]
            fn a_statement_splits_into_itself(sql in sqlish(), dialect in prop::sample::select(&[Kind::Postgres, Kind::Sqlite][..])) {
                // Re-splitting a statement without a top-level `;` gives it
                // back whole (not for MySQL, whose DELIMITER blocks may hold
                // a BEGIN that only the custom delimiter ends).
                if let Ok(statements) = split(&sql, dialect) {
                    for stmt in statements.iter().filter(|s| !s.compound && !s.text.starts_with('\u{feff}')) {
                        let again = split(&stmt.text, dialect);
                        prop_assert!(again.is_ok(), "{:?} -> {:?}", stmt.text, again);
                        let again = again.unwrap_or_default();
                        prop_assert_eq!(again.len(), 1, "{:?}", stmt.text);
                        prop_assert_eq!(&again[0].text, &stmt.text);
                    }
                }
            }
        }
    }
}
