//! The lexer: one pass over the bytes of a revision's SQL, reading tokens
//! (whitespace, comments, words, quotes, punctuation) by one dialect's rules
//! and gathering them into statement spans, with MySQL `DELIMITER` lines.
//! Pure; it uses the parent's types and asks `blocks` which `;` ends a
//! statement.

use super::blocks::Blocks;
use super::{Block, Kind, SplitError, Token, TokenKind};

/// Turns byte offsets, visited in increasing order, into lines and columns.
#[derive(Default)]
pub(super) struct LineCounter {
    pos: usize,
    line: usize,
    column: usize,
}

impl LineCounter {
    pub(super) fn advance(&mut self, bytes: &[u8], to: usize) -> (usize, usize) {
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
pub(super) struct Fail {
    kind: FailKind,
    at: usize,
}

pub(super) enum FailKind {
    Quote(u8),
    Dollar(String),
    Comment,
    Block(Block),
    Delimiter(&'static str),
}

impl Fail {
    pub(super) fn into_error(self, src: &str) -> SplitError {
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

/// Where one statement lies in the input, in bytes.
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) compound: bool,
}

/// The lexer and the statement being gathered.
pub(super) struct Splitter<'a> {
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
    pub(super) fn new(src: &'a str, dialect: Kind) -> Self {
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

    pub(super) fn run(mut self) -> Result<Vec<Span>, Fail> {
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

pub(super) fn is_space(c: u8) -> bool {
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
pub(super) fn line_end(b: &[u8], start: usize) -> usize {
    find_byte(b, start, b'\n').unwrap_or(b.len())
}
