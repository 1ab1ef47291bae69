//! The splitter's promises, checked by a separate, deliberately simple
//! reading of whitespace, comments and delimiters: the statements are the
//! input's own text, in order, at the line and column they report, and
//! everything between them is whitespace, comments, delimiters or DELIMITER
//! lines. For the property tests and the fuzz targets; the splitter never
//! calls it. Pure; it uses the parent's `split` and the lexer's byte classes.

use super::lexer::{is_space, line_end};
use super::{split, strip_bom, Kind, SplitError, Statement};

/// A promise of [`split`] that did not hold, with the statement or byte
/// offset where it broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The error's line and column are not in the input.
    #[error("{0:?} points outside the input")]
    ErrorOutside(SplitError),
    /// The statement's line and column are past the end of the input.
    #[error("{0:?} starts past the end of the input")]
    PastTheEnd(Statement),
    /// The statement's line and column fall inside a character.
    #[error("{0:?}: no character is at that line and column")]
    NoCharacterThere(Statement),
    /// The statement starts inside the one before it.
    #[error("{0:?} overlaps the previous statement")]
    Overlaps(Statement),
    /// The statement's text is not what the input holds where it says.
    #[error("{0:?} is not the input's text at its position")]
    NotTheInput(Statement),
    /// The statement is empty or has white space at either end.
    #[error("{0:?} is empty or not trimmed")]
    NotTrimmed(Statement),
    /// The statement is marked compound yet holds no `;`.
    #[error("{0:?} is compound without a `;`")]
    CompoundWithoutSemicolon(Statement),
    /// The statement leaves a quote or comment open, or ends in a comment.
    #[error("{0:?}: {1}")]
    Unclosed(Statement, Unclosed),
    /// The statement starts with a comment.
    #[error("{0:?} starts with a comment")]
    StartsWithComment(Statement),
    /// The comment at this byte runs into the statement after it.
    #[error("the comment at byte {0} runs into a statement")]
    CommentIntoStatement(usize),
    /// A DELIMITER line at this byte has no argument.
    #[error("DELIMITER without argument at byte {0}")]
    DelimiterWithoutArgument(usize),
    /// This byte is in no statement, yet is no white space, comment or delimiter.
    #[error("byte {at} ({byte:?}) is in no statement, yet is no whitespace, comment or delimiter")]
    Dropped {
        /// Its offset in the input.
        at: usize,
        /// The byte, as a character.
        byte: char,
    },
}

/// What a statement leaves open, by the checker's own reading.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unclosed {
    /// A comment that starts at this byte of the statement.
    #[error("unclosed comment at byte {0}")]
    Comment(usize),
    /// A quote (the character) that opens at this byte.
    #[error("unclosed {0} at byte {1}")]
    Quote(char, usize),
    /// A dollar quote that opens at this byte.
    #[error("unclosed dollar quote at byte {0}")]
    DollarQuote(usize),
    /// The statement's last token is a comment.
    #[error("ends with a comment")]
    EndsWithComment,
}

/// Checks what [`split`] promises about `sql`, with a separate, deliberately
/// simple reading of whitespace, comments and delimiters: the statements are
/// the input's own text, in order, at the line and column they report, and
/// everything between them is whitespace, comments, delimiters or DELIMITER
/// lines; an error names a position inside the input. For the property tests
/// and the fuzz target.
#[doc(hidden)]
pub fn check_split_invariants(sql: &str, dialect: Kind) -> Result<(), Broken> {
    let src = strip_bom(sql);
    let statements = match split(sql, dialect) {
        Ok(statements) => statements,
        Err(error) => {
            let (line, column) = error.position();
            let line_text = src.split('\n').nth(line.wrapping_sub(1));
            return match line_text {
                Some(text) if column >= 1 && column <= text.chars().count() + 1 => Ok(()),
                _ => Err(Broken::ErrorOutside(error)),
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
                .ok_or_else(|| Broken::PastTheEnd(stmt.clone()))?;
            if c == '\n' {
                (line, column) = (line + 1, 1);
            } else {
                column += 1;
            }
            at += c.len_utf8();
        }
        if (line, column) != (stmt.line, stmt.column) {
            return Err(Broken::NoCharacterThere(stmt.clone()));
        }
        if at < cursor {
            return Err(Broken::Overlaps(stmt.clone()));
        }
        if !src[at..].starts_with(stmt.text.as_str()) {
            return Err(Broken::NotTheInput(stmt.clone()));
        }
        let text = stmt.text.as_bytes();
        if text.is_empty() || is_space(text[0]) || is_space(text[text.len() - 1]) {
            return Err(Broken::NotTrimmed(stmt.clone()));
        }
        if stmt.compound && !text.contains(&b';') {
            return Err(Broken::CompoundWithoutSemicolon(stmt.clone()));
        }
        check_closed(text, dialect).map_err(|why| Broken::Unclosed(stmt.clone(), why))?;
        check_gap(b, cursor, at, dialect, &mut delimiter)?;
        if comment_end(b, at, dialect).is_some() {
            return Err(Broken::StartsWithComment(stmt.clone()));
        }
        cursor = at + text.len();
    }
    check_gap(b, cursor, b.len(), dialect, &mut delimiter)
}

/// Checks, by a reading of quotes and comments of its own, that a statement
/// on its own closes every quote and comment it opens and does not end with a
/// comment: a split inside a string or comment breaks this.
fn check_closed(text: &[u8], dialect: Kind) -> Result<(), Unclosed> {
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
                return Err(Unclosed::Comment(i));
            }
            (i, word, last_is_comment) = (end, None, true);
            continue;
        }
        let close = |from: usize, q: u8, backslash: bool| -> Result<usize, Unclosed> {
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
            Err(Unclosed::Quote(char::from(q), from - 1))
        };
        let e_prefix =
            word == Some(false) && i == word_start + 1 && matches!(text[i - 1], b'E' | b'e');
        let next = match (c, dialect) {
            (b'\'' | b'"', Kind::MySql) => close(i + 1, c, true)?,
            (b'\'', Kind::Postgres) if e_prefix => close(i + 1, c, true)?,
            (b'\'' | b'"', _) => close(i + 1, c, false)?,
            (b'`', Kind::MySql | Kind::Sqlite) => close(i + 1, c, false)?,
            (b'[', Kind::Sqlite) => match text[i..].iter().position(|&c| c == b']') {
                Some(k) => i + k + 1,
                None => return Err(Unclosed::Quote('[', i)),
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
                        None => return Err(Unclosed::DollarQuote(i)),
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
        return Err(Unclosed::EndsWithComment);
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
) -> Result<(), Broken> {
    let mut i = from;
    while i < to {
        let rest = &b[i..to];
        if rest.starts_with(delimiter) {
            i += delimiter.len();
        } else if is_space(b[i]) {
            i += 1;
        } else if let Some(end) = comment_end(b, i, dialect) {
            if end > to {
                return Err(Broken::CommentIntoStatement(i));
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
                .ok_or(Broken::DelimiterWithoutArgument(i))?;
            if let [q @ (b'\'' | b'"' | b'`'), inner @ ..] = arg {
                if let Some(close) = inner.iter().position(|c| c == q) {
                    arg = &inner[..close];
                }
            }
            *delimiter = arg.to_vec();
            i += (line.len() + 1).min(rest.len());
        } else {
            return Err(Broken::Dropped {
                at: i,
                byte: char::from(b[i]),
            });
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
