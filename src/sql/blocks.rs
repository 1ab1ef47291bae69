//! Which `;` ends a statement, per dialect: psql's parentheses and
//! `BEGIN ATOMIC … END` bodies, SQLite's trigger bodies (as
//! `sqlite3_complete()` decides), and MySQL compound statements in routines
//! written without DELIMITER lines. Pure; it sees the lexer's tokens one at a
//! time.

use super::{Block, Kind, Token, TokenKind};

/// Which `;` end a statement: the dialect's block tracking.
pub(super) enum Blocks {
    Postgres(PgBlocks),
    MySql(MySqlBlocks),
    Sqlite(SqliteBlocks),
}

impl Blocks {
    pub(super) fn new(dialect: Kind) -> Self {
        match dialect {
            Kind::Postgres => Blocks::Postgres(PgBlocks::default()),
            Kind::MySql => Blocks::MySql(MySqlBlocks::default()),
            Kind::Sqlite => Blocks::Sqlite(SqliteBlocks::default()),
        }
    }

    pub(super) fn reset(&mut self) {
        match self {
            Blocks::Postgres(blocks) => *blocks = PgBlocks::default(),
            Blocks::MySql(blocks) => blocks.reset(),
            Blocks::Sqlite(blocks) => *blocks = SqliteBlocks::default(),
        }
    }

    /// Sees one significant token other than a statement-ending `;`.
    pub(super) fn token(&mut self, token: Token, b: &[u8]) {
        match self {
            Blocks::Postgres(blocks) => blocks.token(token, b),
            Blocks::MySql(blocks) => blocks.token(token, b),
            Blocks::Sqlite(blocks) => blocks.token(token, b),
        }
    }

    /// Sees a `;` and says whether it ends the statement.
    pub(super) fn semicolon_ends(&mut self) -> bool {
        match self {
            Blocks::Postgres(blocks) => blocks.paren == 0 && blocks.begin == 0,
            Blocks::MySql(blocks) => blocks.semicolon_ends(),
            Blocks::Sqlite(blocks) => blocks.semicolon_ends(),
        }
    }

    /// The block still open at the end of the input, and where it opened.
    pub(super) fn unterminated(&self, stmt_start: usize) -> Option<(Block, usize)> {
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
pub(super) struct PgBlocks {
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
pub(super) struct SqliteBlocks {
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
pub(super) struct MySqlBlocks {
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
