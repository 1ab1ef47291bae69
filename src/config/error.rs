//! [`ConfigError`]: every way the configuration can be refused, as data (the
//! file, line, column, key, what was found), and its `Display`, the one place
//! each message is worded. Pure; uses `std` and the names the tables declare.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::{ConfigSource, InterpolateError, CONFIG_ENV, TABLE, URL_ENV};

/// A `${…}` in the file's `url` that could not be expanded, kept for when a URL is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub problem: InterpolateError,
}

/// Why the configuration could not be loaded. `Display` gives the whole sentence.
#[derive(Debug)]
pub enum ConfigError {
    /// The config file does not exist and one is required.
    NotFound {
        /// Where it was looked for.
        path: PathBuf,
        /// What chose that path.
        origin: ConfigSource,
    },
    /// The config path names a folder.
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The config file or `.env` could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not valid TOML.
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// The parser's message, redacted.
        message: String,
    },
    /// A key set twice in one table.
    DuplicateKey {
        /// The file.
        path: PathBuf,
        /// 1-based line of the second one.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key as written.
        key: String,
    },
    /// A key that the table does not declare.
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table, as its header is written (`migrate`, `targets.prod`).
        table: String,
        /// The key as written.
        key: String,
        /// A known key it is close to.
        suggestion: Option<&'static str>,
        /// The table's keys, in declaration order.
        known: Box<[&'static str]>,
    },
    /// A top-level table that no declaration names.
    UnknownTable {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table's name.
        name: String,
        /// A known table it is close to, as its header is written.
        suggestion: Option<String>,
        /// Every known table, as its header is written (`migrate`, `targets.NAME`).
        known: Box<[String]>,
    },
    /// A key at the top level, outside any table.
    OutsideTable {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key as written.
        key: String,
        /// The table the key belongs in (or its likeliest one).
        table: &'static str,
        /// The known key it is (or is close to).
        suggestion: Option<&'static str>,
        /// That table's keys.
        known: Box<[&'static str]>,
    },
    /// A declared table's name with a value that is not a table (`migrate = 1`).
    NotATable {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table's name.
        table: &'static str,
        /// It holds one table per name (`[targets.NAME]`).
        named: bool,
    },
    /// A key directly in a table that holds one table per name (`[targets]` then `urls = …`).
    NotNamed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table's name.
        table: &'static str,
        /// The key as written.
        key: String,
    },
    /// A value of the wrong TOML type.
    WrongType {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key (`version_locations[1]` for an element).
        key: String,
        /// What the key takes, as a phrase ("a whole number of seconds, e.g. 60").
        expected: &'static str,
        /// The TOML type found ("string", "integer", …).
        found: &'static str,
        /// How to fix it, when there is a likely fix (boxed: it is rare, and
        /// every `Result` carrying this error is the smaller for it).
        hint: Option<Box<Hint>>,
    },
    /// A value of the right type that is not allowed.
    InvalidValue {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key.
        key: String,
        /// What is wrong.
        problem: Invalid,
    },
    /// A `${…}` in a value that could not be expanded.
    Interpolate {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key.
        key: String,
        /// What went wrong (not a `source`: the message already says it).
        problem: InterpolateError,
    },
    /// A `[targets.NAME]` table whose keys contradict each other.
    TargetSet {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key at fault.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The set's name.
        set: String,
        /// What is wrong.
        problem: SetProblem,
    },
    /// No database URL from `--url`, the file or `DATABASE_URL`.
    NoUrl {
        /// The config file read, if any.
        file: Option<PathBuf>,
        /// Where a config file would be.
        expected_file: PathBuf,
    },
    /// A line of `.env` that dotenvy cannot parse.
    Dotenv {
        /// The `.env` file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

// No `source()`: each message already says its cause (a `Read` error ends
// with the I/O error), and a chain printed with `{:#}` would say it twice.
impl std::error::Error for ConfigError {}

/// The likely fix for a value of the wrong type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// A number or boolean where a string goes: quote it.
    Quote,
    /// A quoted number or boolean where the bare value goes: `value` without its quotes.
    Unquote(String),
    /// One string where a list goes: the list of that one `value`, a `noun`.
    ListOfOne {
        /// What each item names ("folder").
        noun: &'static str,
        /// The string given.
        value: String,
    },
}

/// What is wrong with a value of the right type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// An empty string where a value is needed.
    Empty,
    /// An empty list.
    EmptyList {
        /// What each item names ("folder").
        noun: &'static str,
        /// What removing the line means ("<script_location>/versions").
        default: &'static str,
    },
    /// An empty item in a list.
    EmptyItem {
        /// What the item is ("path").
        kind: &'static str,
        /// What it names ("folder").
        noun: &'static str,
    },
    /// An integer too large for 64 bits.
    TooLarge,
    /// A number outside what the key allows.
    OutOfRange {
        /// The number.
        n: i64,
        /// What to give instead ("a number of characters from 1 to 255 (default 40)").
        give: &'static str,
    },
    /// A negative number where only zero or more is allowed.
    Negative {
        /// The number.
        n: i64,
        /// What to give instead.
        give: &'static str,
    },
    /// A time zone that `migrate` does not know.
    Timezone {
        /// The value as written (after `${…}`).
        text: String,
    },
    /// A word that is not one of the key's choices.
    NotOneOf {
        /// The word as written (after `${…}`).
        word: String,
        /// The choices.
        choices: &'static [&'static str],
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotFound { path, origin } => {
                let how = match origin {
                    ConfigSource::Flag => " (given with -c/--config)",
                    ConfigSource::Env => " (named by MIGRATE_CONFIG)",
                    ConfigSource::Default => "",
                };
                write!(
                    f,
                    "no config file was found at {}{how}; create one with `migrate init`, or point at one with `-c PATH` or the {CONFIG_ENV} environment variable",
                    path.display()
                )
            }
            ConfigError::NotAFile { path } => write!(
                f,
                "{} is a folder, not a config file; point -c/--config or {CONFIG_ENV} at the migrate.toml file itself",
                path.display()
            ),
            ConfigError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ConfigError::Toml {
                path,
                line,
                column,
                message,
            } => write!(f, "{}:{line}:{column}: {message}", path.display()),
            ConfigError::DuplicateKey {
                path,
                line,
                column,
                key,
            } => write!(
                f,
                "{}:{line}:{column}: duplicate key `{key}`: it is set earlier in the file; keep one",
                path.display()
            ),
            ConfigError::UnknownKey {
                path,
                line,
                column,
                table,
                key,
                suggestion,
                known,
            } => {
                write!(f, "{}:{line}:{column}: unknown key `{key}` in [{table}]", path.display())?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                } else if table == TABLE && ALEMBIC_ONLY_KEYS.contains(&key.as_str()) {
                    write!(f, " (an alembic.ini setting that migrate does not use; remove it)")?;
                }
                write!(f, " The known keys are: {}", known.join(", "))
            }
            ConfigError::UnknownTable {
                path,
                line,
                column,
                name,
                suggestion,
                known,
            } => {
                write!(f, "{}:{line}:{column}: unknown table [{name}]", path.display())?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean [{s}]?")?,
                    None => f.write_str(".")?,
                }
                match &known[..] {
                    [one] => write!(f, " Every setting goes in the one [{one}] table."),
                    several => {
                        let tables: Vec<String> = several.iter().map(|t| format!("[{t}]")).collect();
                        write!(f, " The known tables are: {}", tables.join(", "))
                    }
                }
            }
            ConfigError::OutsideTable {
                path,
                line,
                column,
                key,
                table,
                suggestion,
                known,
            } => {
                let at = format!("{}:{line}:{column}", path.display());
                let known = known.join(", ");
                match suggestion {
                    Some(s) if *s == key.as_str() => write!(
                        f,
                        "{at}: `{key}` is outside the [{table}] table; put a `[{table}]` line above it"
                    ),
                    Some(s) => write!(
                        f,
                        "{at}: unknown key `{key}` outside the [{table}] table; did you mean `{s}`? Settings go under a `[{table}]` line; the known keys are: {known}"
                    ),
                    None => write!(
                        f,
                        "{at}: unknown key `{key}` outside the [{table}] table; settings go under a `[{table}]` line; the known keys are: {known}"
                    ),
                }
            }
            ConfigError::NotATable {
                path,
                line,
                column,
                table,
                named,
            } => {
                let header = if *named { format!("{table}.NAME") } else { (*table).to_string() };
                write!(
                    f,
                    "{}:{line}:{column}: `{table}` must be a table: write a `[{header}]` line and the settings below it",
                    path.display()
                )
            }
            ConfigError::NotNamed {
                path,
                line,
                column,
                table,
                key,
            } => write!(
                f,
                "{}:{line}:{column}: `{key}` is directly under [{table}], which holds one table per name: write a `[{table}.NAME]` line above it",
                path.display()
            ),
            ConfigError::WrongType {
                path,
                line,
                column,
                key,
                expected,
                found,
                hint,
            } => {
                write!(
                    f,
                    "{}:{line}:{column}: `{key}` must be {expected}, but it is {} {found}",
                    path.display(),
                    article(found)
                )?;
                match hint.as_deref() {
                    None => Ok(()),
                    Some(Hint::Quote) => write!(f, "; put the value in quotes: {key} = \"…\""),
                    Some(Hint::Unquote(value)) => write!(f, "; remove the quotes: {key} = {value}"),
                    Some(Hint::ListOfOne { noun, value }) => {
                        write!(f, "; write a list, even of one {noun}: {key} = [\"{value}\"]")
                    }
                }
            }
            ConfigError::InvalidValue {
                path,
                line,
                column,
                key,
                problem,
            } => write!(f, "{}:{line}:{column}: `{key}`: {problem}", path.display()),
            ConfigError::Interpolate {
                path,
                line,
                column,
                key,
                problem,
            } => write!(f, "{}:{line}:{column}: in `{key}`: {problem}", path.display()),
            ConfigError::TargetSet {
                path,
                line,
                column,
                set,
                problem,
            } => write!(
                f,
                "{}:{line}:{column}: [targets.{set}]: {problem}",
                path.display()
            ),
            ConfigError::NoUrl { file, expected_file } => {
                write!(f, "no database URL was given: pass --url URL, ")?;
                match file {
                    Some(p) => write!(f, "set `url` under [{TABLE}] in {}", p.display())?,
                    None => write!(
                        f,
                        "set `url` under [{TABLE}] in a config file (none was found at {}; `migrate init` creates one)",
                        expected_file.display()
                    )?,
                }
                write!(
                    f,
                    ", or set the {URL_ENV} environment variable (a .env file in the working directory counts)"
                )
            }
            ConfigError::Dotenv { path, line, column } => write!(
                f,
                "{}:{line}:{column}: this line cannot be parsed; write KEY=VALUE, quoting a value that holds spaces, `#` or quotes, and close every quote",
                path.display()
            ),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("is empty; give a value or remove the line to use the default"),
            Invalid::EmptyList { noun, default } => write!(
                f,
                "is empty; list at least one {noun}, or remove the line to use {default}"
            ),
            Invalid::EmptyItem { kind, noun } => {
                write!(f, "is an empty {kind}; remove it or name a {noun}")
            }
            Invalid::TooLarge => f.write_str("is too large"),
            Invalid::OutOfRange { n, give } => write!(f, "{n} is out of range; give {give}"),
            Invalid::Negative { n, give } => write!(f, "{n} is negative; give {give}"),
            Invalid::Timezone { text } => write!(
                f,
                "`{text}` is not a time zone migrate knows; write \"UTC\", \"local\" (this machine's zone) or a fixed offset such as \"+02:00\" or \"-05:30\" (named zones such as Europe/Berlin are not supported)"
            ),
            Invalid::NotOneOf { word, choices } => {
                write!(f, "`{word}` is not one of: {}", choices.join(", "))
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

/// Keys of an `alembic.ini` `[alembic]` section that mean nothing here.
const ALEMBIC_ONLY_KEYS: &[&str] = &[
    "prepend_sys_path",
    "path_separator",
    "version_path_separator",
    "recursive_version_locations",
    "output_encoding",
    "revision_environment",
    "sourceless",
];

/// What is wrong with a `[targets.NAME]` table as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetProblem {
    /// `query` without `control_url`.
    QueryWithoutControl,
    /// `control_url` without `query`.
    ControlWithoutQuery,
}

impl fmt::Display for SetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetProblem::QueryWithoutControl => f.write_str(
                "`query` runs on `control_url`, which is not set; add control_url = \"postgresql://…/control\" (the database that lists the targets)",
            ),
            SetProblem::ControlWithoutQuery => f.write_str(
                "`control_url` is only the database `query` runs on, and there is no `query`; add query = \"SELECT url FROM …\" or remove control_url",
            ),
        }
    }
}
