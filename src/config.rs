//! `migrate.toml` → a typed, validated [`Config`]: where the file is, its
//! `[migrate]` table, `${VAR}` interpolation, `.env`, paths relative to the
//! file's folder, and which database URL wins (`--url`, then `url` in the
//! file, then `DATABASE_URL`).
//!
//! I/O stays small: [`load`] reads the one config file and [`load_dotenv`]
//! reads `.env`; the environment always comes in as a closure, so tests (and
//! callers) decide what it holds. Errors are a [`ConfigError`] that carries the
//! file, line and column and says how to fix the problem; none of them prints a
//! URL or an environment variable's value.

use crate::text::edit_distance;
use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The config file's name in the working directory when none is given.
pub const CONFIG_FILE: &str = "migrate.toml";
/// Environment variable that names the config file (after `-c/--config`).
pub const CONFIG_ENV: &str = "MIGRATE_CONFIG";
/// Environment variable read for the URL when neither `--url` nor `url` gives one.
pub const URL_ENV: &str = "DATABASE_URL";
/// The TOML table that holds every setting.
pub const TABLE: &str = "migrate";
/// Every key the `[migrate]` table accepts.
pub const KNOWN_KEYS: &[&str] = &[
    "script_location",
    "version_locations",
    "url",
    "version_table",
    "version_table_schema",
    "log_table",
    "file_template",
    "truncate_slug_length",
    "timezone",
    "transaction_per_migration",
    "lock_timeout",
];

/// Default `script_location` (relative to the config file's folder).
pub const DEFAULT_SCRIPT_LOCATION: &str = "migrations";
/// Default `version_table`, Alembic's.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";
/// Default `file_template`.
pub const DEFAULT_FILE_TEMPLATE: &str = "{{ rev }}_{{ slug }}";
/// Default `truncate_slug_length`, Alembic's.
pub const DEFAULT_TRUNCATE_SLUG_LENGTH: usize = 40;
/// Default `timezone`.
pub const DEFAULT_TIMEZONE: &str = "UTC";
/// Seconds to wait for the migration lock when `lock_timeout` is not set.
pub const DEFAULT_LOCK_TIMEOUT: u64 = 60;

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

/// What the command line says about the config file and the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `-c/--config PATH`, relative to the working directory.
    pub config_path: Option<PathBuf>,
    /// `--url URL`.
    pub url: Option<String>,
    /// Fail when there is no config file (every command but `init` and `list-templates`).
    pub require_file: bool,
}

/// Where the database URL came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlSource {
    /// `--url`.
    Flag,
    /// `url` in the config file.
    File,
    /// The `DATABASE_URL` environment variable.
    Env,
    /// No URL anywhere (see [`Config::require_url`]).
    Unset,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlSource::Flag => "--url",
            UrlSource::File => "`url` in the config file",
            UrlSource::Env => URL_ENV,
            UrlSource::Unset => "nowhere",
        })
    }
}

/// Where the config file's path came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// `-c/--config PATH`.
    Flag,
    /// The `MIGRATE_CONFIG` environment variable.
    Env,
    /// `./migrate.toml`.
    Default,
}

/// The config file to read: its absolute path and what chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// Absolute path (it may not exist).
    pub path: PathBuf,
    /// What chose it.
    pub source: ConfigSource,
}

/// A validated `timezone` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timezone {
    /// Coordinated Universal Time.
    Utc,
    /// The machine's local time zone.
    Local,
    /// A fixed offset east of UTC, in minutes (`+02:00` → 120).
    Offset(i32),
}

impl fmt::Display for Timezone {
    /// The canonical spelling: `UTC`, `local` or `±HH:MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Timezone::Utc => f.write_str("UTC"),
            Timezone::Local => f.write_str("local"),
            Timezone::Offset(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                write!(f, "{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
            }
        }
    }
}

/// Parses a `timezone` value: `UTC` (any case, also `Z`), `local`, or `±HH:MM`.
pub fn parse_timezone(s: &str) -> Option<Timezone> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(Timezone::Utc);
    }
    if s.eq_ignore_ascii_case("local") {
        return Some(Timezone::Local);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(Timezone::Offset(sign * (h * 60 + m)))
}

/// The settings `migrate` runs with, from `migrate.toml` and the command line.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// The config file read (absolute); `None` when there was none.
    pub file: Option<PathBuf>,
    /// The config file's folder (the working directory without a file); paths are relative to it.
    pub dir: PathBuf,
    /// Folder with `script.sql.tera` and `versions/` (absolute).
    pub script_location: PathBuf,
    /// Folders holding revision files (absolute); default `[<script_location>/versions]`.
    pub version_locations: Vec<PathBuf>,
    /// The database URL, chosen by precedence: `--url`, `url` in the file, `DATABASE_URL`.
    pub url: Option<String>,
    /// Where `url` came from.
    pub url_source: UrlSource,
    /// Why the file's `url` could not be expanded, reported only by
    /// [`Config::require_url`]: commands that need no database still work.
    pub url_error: Option<UrlError>,
    /// The version table's name (default `alembic_version`).
    pub version_table: String,
    /// Schema of the version table (PostgreSQL); `None` = the default schema.
    pub version_table_schema: Option<String>,
    /// The audit log table's name; `None` = `<version_table>_log` (see [`Config::log_table_name`]).
    pub log_table: Option<String>,
    /// Tera template for new file names (default `{{ rev }}_{{ slug }}`).
    pub file_template: String,
    /// Maximum length of the message slug in file names (default 40).
    pub truncate_slug_length: usize,
    /// `UTC`, `local` or `±HH:MM` (validated; see [`Config::timezone_kind`]).
    pub timezone: String,
    /// One transaction per revision instead of one for the whole run.
    pub transaction_per_migration: bool,
    /// Seconds to wait for the migration lock; `None` = 60 (see [`Config::lock_timeout_secs`]).
    pub lock_timeout: Option<u64>,
}

impl fmt::Debug for Config {
    // Hand-written so that `{:?}` never shows a password in the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("dir", &self.dir)
            .field("script_location", &self.script_location)
            .field("version_locations", &self.version_locations)
            .field("url", &self.url.as_deref().map(crate::url::redact))
            .field("url_source", &self.url_source)
            .field("version_table", &self.version_table)
            .field("version_table_schema", &self.version_table_schema)
            .field("log_table", &self.log_table)
            .field("file_template", &self.file_template)
            .field("truncate_slug_length", &self.truncate_slug_length)
            .field("timezone", &self.timezone)
            .field("transaction_per_migration", &self.transaction_per_migration)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

impl Config {
    /// The settings with no config file: every default, paths relative to `dir`.
    pub fn defaults(dir: &Path) -> Config {
        let dir = clean(dir);
        let script_location = dir.join(DEFAULT_SCRIPT_LOCATION);
        Config {
            file: None,
            version_locations: vec![script_location.join("versions")],
            script_location,
            dir,
            url: None,
            url_source: UrlSource::Unset,
            url_error: None,
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            version_table_schema: None,
            log_table: None,
            file_template: DEFAULT_FILE_TEMPLATE.to_string(),
            truncate_slug_length: DEFAULT_TRUNCATE_SLUG_LENGTH,
            timezone: DEFAULT_TIMEZONE.to_string(),
            transaction_per_migration: false,
            lock_timeout: None,
        }
    }

    /// The database URL, or an error naming the three places it can come from.
    pub fn require_url(&self) -> Result<&str, ConfigError> {
        // The file's `url` wins over DATABASE_URL, so a broken one is an error, not a fallback.
        if let Some(e) = &self.url_error {
            return Err(ConfigError::Interpolate {
                path: e.path.clone(),
                line: e.line,
                column: e.column,
                key: "url".into(),
                problem: e.problem.clone(),
            });
        }
        self.url.as_deref().ok_or_else(|| ConfigError::NoUrl {
            file: self.file.clone(),
            expected_file: self.dir.join(CONFIG_FILE),
        })
    }

    /// Where the URL came from, with the file's path: "--url", "`url` in /p/migrate.toml", "DATABASE_URL".
    pub fn url_origin(&self) -> String {
        match (self.url_source, &self.file) {
            (UrlSource::File, Some(f)) => format!("`url` in {}", f.display()),
            (source, _) => source.to_string(),
        }
    }

    /// The audit log table's name: `log_table`, or `<version_table>_log`.
    pub fn log_table_name(&self) -> String {
        self.log_table
            .clone()
            .unwrap_or_else(|| format!("{}_log", self.version_table))
    }

    /// Seconds to wait for the migration lock: `lock_timeout`, or 60.
    pub fn lock_timeout_secs(&self) -> u64 {
        self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT)
    }

    /// The `timezone` setting as a value (UTC if it was somehow not valid).
    pub fn timezone_kind(&self) -> Timezone {
        parse_timezone(&self.timezone).unwrap_or(Timezone::Utc)
    }
}

/// A `${…}` in the file's `url` that could not be expanded, kept for when a URL is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub problem: InterpolateError,
}

/// Why a `${…}` reference could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InterpolateError {
    /// `${VAR}` with no default and `VAR` not set.
    #[error("the environment variable {var} is not set; set it (a .env file in the working directory counts), or give a default as in ${{{var}:-value}}")]
    Unset {
        /// The variable's name.
        var: String,
    },
    /// `${` with no matching `}`.
    #[error("`${{` at character {column} is never closed by `}}`; write ${{VAR}} or ${{VAR:-default}}, and $$ for a literal $")]
    Unclosed {
        /// 1-based character position of the `$` in the value.
        column: usize,
    },
    /// `${…}` whose name is not a variable name.
    #[error("`${{{text}}}` is not a variable reference: write ${{VAR}} or ${{VAR:-default}} with VAR made of letters, digits and _, and $$ for a literal $")]
    BadName {
        /// What stood between the braces.
        text: String,
    },
}

/// Expands `${VAR}`, `${VAR:-default}` (default when unset or empty; the default may
/// itself hold `${…}`) and `$$` (a literal `$`). Any other `$` stays as it is.
pub fn interpolate(
    s: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("$$") {
            out.push('$');
            i += 2;
            continue;
        }
        if rest.starts_with("${") {
            let column = s[..i].chars().count() + 1;
            let close = matching_brace(s, i + 2).ok_or(InterpolateError::Unclosed { column })?;
            let inner = &s[i + 2..close];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let name = &inner[..name_len];
            let tail = &inner[name_len..];
            let valid_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let default = tail.strip_prefix(":-");
            if !valid_name || (!tail.is_empty() && default.is_none()) {
                return Err(InterpolateError::BadName {
                    text: inner.to_string(),
                });
            }
            let value = match (env(name), default) {
                (Some(v), None) => v,
                (Some(v), Some(_)) if !v.is_empty() => v,
                (_, Some(d)) => interpolate(d, env)?,
                (None, None) => {
                    return Err(InterpolateError::Unset {
                        var: name.to_string(),
                    })
                }
            };
            out.push_str(&value);
            i = close + 1;
            continue;
        }
        let c = rest.chars().next().unwrap_or('\0');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    Ok(out)
}

/// The index of the `}` that closes a `${` whose body starts at `from`.
fn matching_brace(s: &str, from: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"$$") {
            i += 2;
        } else if bytes[i..].starts_with(b"${") {
            depth += 1;
            i += 2;
        } else {
            if bytes[i] == b'}' {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            i += 1;
        }
    }
    None
}

/// Why the configuration could not be loaded. `Display` gives the whole sentence.
#[derive(Debug, thiserror::Error)]
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
        #[source]
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
        /// The parser's message.
        message: String,
    },
    /// A key in `[migrate]` that is not a setting.
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key as written.
        key: String,
        /// A known key it is close to.
        suggestion: Option<&'static str>,
    },
    /// A top-level table other than `[migrate]`.
    UnknownTable {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table's name.
        name: String,
        /// Whether it is close to `migrate`.
        near_miss: bool,
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
        /// The known key it is (or is close to).
        suggestion: Option<&'static str>,
    },
    /// `migrate = …` that is not a table.
    NotATable {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
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
        /// How to fix it, when there is a likely fix.
        hint: Option<String>,
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
        /// What is wrong and what is allowed.
        message: String,
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
            ConfigError::UnknownKey {
                path,
                line,
                column,
                key,
                suggestion,
            } => {
                write!(f, "{}:{line}:{column}: unknown key `{key}` in [{TABLE}]", path.display())?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                } else if ALEMBIC_ONLY_KEYS.contains(&key.as_str()) {
                    write!(f, " (an alembic.ini setting that migrate does not use; remove it)")?;
                }
                write!(f, " The known keys are: {}", KNOWN_KEYS.join(", "))
            }
            ConfigError::UnknownTable {
                path,
                line,
                column,
                name,
                near_miss,
            } => {
                write!(f, "{}:{line}:{column}: unknown table [{name}]", path.display())?;
                if *near_miss {
                    write!(f, "; did you mean [{TABLE}]?")?;
                }
                write!(f, " Every setting goes in the one [{TABLE}] table.")
            }
            ConfigError::OutsideTable {
                path,
                line,
                column,
                key,
                suggestion,
            } => {
                let at = format!("{}:{line}:{column}", path.display());
                match suggestion {
                    Some(s) if *s == key.as_str() => write!(
                        f,
                        "{at}: `{key}` is outside the [{TABLE}] table; put a `[{TABLE}]` line above it"
                    ),
                    Some(s) => write!(
                        f,
                        "{at}: unknown key `{key}` outside the [{TABLE}] table; did you mean `{s}`? Settings go under a `[{TABLE}]` line; the known keys are: {}",
                        KNOWN_KEYS.join(", ")
                    ),
                    None => write!(
                        f,
                        "{at}: unknown key `{key}` outside the [{TABLE}] table; settings go under a `[{TABLE}]` line; the known keys are: {}",
                        KNOWN_KEYS.join(", ")
                    ),
                }
            }
            ConfigError::NotATable { path, line, column } => write!(
                f,
                "{}:{line}:{column}: `{TABLE}` must be a table: write a `[{TABLE}]` line and the settings below it",
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
                if let Some(h) = hint {
                    write!(f, "; {h}")?;
                }
                Ok(())
            }
            ConfigError::InvalidValue {
                path,
                line,
                column,
                key,
                message,
            } => write!(f, "{}:{line}:{column}: `{key}`: {message}", path.display()),
            ConfigError::Interpolate {
                path,
                line,
                column,
                key,
                problem,
            } => write!(f, "{}:{line}:{column}: in `{key}`: {problem}", path.display()),
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

fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

/// The config file to read: `-c/--config`, else `MIGRATE_CONFIG`, else `./migrate.toml`.
pub fn locate(opts: &LoadOptions, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Located {
    let (path, source) = match (&opts.config_path, env(CONFIG_ENV).filter(|v| !v.is_empty())) {
        (Some(p), _) => (p.clone(), ConfigSource::Flag),
        (None, Some(v)) => (PathBuf::from(v), ConfigSource::Env),
        (None, None) => (PathBuf::from(CONFIG_FILE), ConfigSource::Default),
    };
    Located {
        path: clean(&cwd.join(path)),
        source,
    }
}

/// Loads the configuration: finds and reads the config file (see [`locate`]),
/// validates it, resolves its paths and picks the URL. `cwd` must be absolute;
/// `env` is the environment (with `.env` already loaded, see [`load_dotenv`]).
pub fn load(
    opts: &LoadOptions,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let located = locate(opts, cwd, env);
    let flag_url = opts.url.clone().filter(|u| !u.trim().is_empty());
    let mut file_url = None;
    let mut config = match std::fs::metadata(&located.path) {
        Ok(meta) if meta.is_dir() => return Err(ConfigError::NotAFile { path: located.path }),
        Ok(_) => {
            let text =
                std::fs::read_to_string(&located.path).map_err(|source| ConfigError::Read {
                    path: located.path.clone(),
                    source,
                })?;
            let dir = located.path.parent().unwrap_or(cwd).to_path_buf();
            let mut config = Config::defaults(&dir);
            config.file = Some(located.path.clone());
            file_url = apply_file(&mut config, &text, &located.path, env, flag_url.is_none())?;
            config
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if opts.require_file {
                return Err(ConfigError::NotFound {
                    path: located.path,
                    origin: located.source,
                });
            }
            Config::defaults(cwd)
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: located.path,
                source,
            })
        }
    };
    let env_url = env(URL_ENV).filter(|u| !u.trim().is_empty());
    (config.url, config.url_source) = match (flag_url, file_url, env_url) {
        (Some(u), _, _) => (Some(u), UrlSource::Flag),
        (None, Some(u), _) => (Some(u), UrlSource::File),
        (None, None, Some(u)) => (Some(u), UrlSource::Env),
        (None, None, None) => (None, UrlSource::Unset),
    };
    Ok(config)
}

/// Reads the TOML text into `config`; returns the file's `url` (interpolated
/// only when `want_url`, so an unset variable in it does not matter under `--url`).
fn apply_file(
    config: &mut Config,
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    want_url: bool,
) -> Result<Option<String>, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let (line, column) = line_col(text, span.start);
        let mut message = tidy_toml_message(e.message());
        // The parser does not say which key; the span does (a key is no secret).
        if message == "duplicate key" {
            if let Some(key) = text
                .get(span)
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 80)
            {
                message = format!("duplicate key `{key}`: it is set earlier in the file; keep one");
            }
        }
        ConfigError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: crate::url::redact(&message),
        }
    })?;
    let cx = Cx { text, path, env };

    let mut top: Vec<_> = doc.get_ref().iter().collect();
    top.sort_by_key(|(k, _)| k.span().start);
    let mut table = None;
    for (k, v) in top {
        let name: &str = k.get_ref();
        let (line, column) = cx.pos(k.span());
        match (name, v.get_ref()) {
            (TABLE, DeValue::Table(t)) => table = Some(t),
            (TABLE, _) => {
                return Err(ConfigError::NotATable {
                    path: path.to_path_buf(),
                    line,
                    column,
                })
            }
            (_, DeValue::Table(_)) => {
                return Err(ConfigError::UnknownTable {
                    path: path.to_path_buf(),
                    line,
                    column,
                    name: name.to_string(),
                    near_miss: suggest(name, &[TABLE]).is_some(),
                })
            }
            _ => {
                return Err(ConfigError::OutsideTable {
                    path: path.to_path_buf(),
                    line,
                    column,
                    key: name.to_string(),
                    suggestion: suggest(name, KNOWN_KEYS),
                })
            }
        }
    }
    let Some(table) = table else {
        return Ok(None);
    };

    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    // Unknown keys first: a typo is the likeliest mistake, and it says the most.
    for (k, _) in &entries {
        let key: &str = k.get_ref();
        if !KNOWN_KEYS.contains(&key) {
            let (line, column) = cx.pos(k.span());
            return Err(ConfigError::UnknownKey {
                path: path.to_path_buf(),
                line,
                column,
                key: key.to_string(),
                suggestion: suggest(key, KNOWN_KEYS),
            });
        }
    }

    let dir = config.dir.clone();
    let mut url = None;
    let mut version_locations = None;
    for (k, v) in entries {
        let key: &str = k.get_ref();
        match key {
            "script_location" => config.script_location = dir.join(cx.required_string(key, v)?),
            "version_locations" => version_locations = Some(cx.path_list(key, v, &dir)?),
            "url" => {
                // Type-checked always, expanded only when it is the URL in use.
                let raw = cx.raw_string(key, v)?;
                if want_url {
                    match cx.expand(key, v, raw) {
                        Ok(u) => url = Some(u).filter(|u| !u.trim().is_empty()),
                        Err(ConfigError::Interpolate {
                            path,
                            line,
                            column,
                            problem,
                            ..
                        }) => {
                            config.url_error = Some(UrlError {
                                path,
                                line,
                                column,
                                problem,
                            })
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            "version_table" => config.version_table = cx.required_string(key, v)?,
            "version_table_schema" => config.version_table_schema = cx.optional_string(key, v)?,
            "log_table" => config.log_table = cx.optional_string(key, v)?,
            "file_template" => config.file_template = cx.required_string(key, v)?,
            "truncate_slug_length" => {
                let n = cx.integer(key, v, "a whole number of characters, e.g. 40")?;
                config.truncate_slug_length = match usize::try_from(n) {
                    Ok(n) if (1..=255).contains(&n) => n,
                    _ => return Err(cx.invalid(key, v, format!("{n} is out of range; give a number of characters from 1 to 255 (default {DEFAULT_TRUNCATE_SLUG_LENGTH})"))),
                };
            }
            "timezone" => {
                let tz = cx.required_string(key, v)?;
                let Some(parsed) = parse_timezone(&tz) else {
                    return Err(cx.invalid(
                        key,
                        v,
                        format!("`{tz}` is not a time zone migrate knows; write \"UTC\", \"local\" (this machine's zone) or a fixed offset such as \"+02:00\" or \"-05:30\" (named zones such as Europe/Berlin are not supported)"),
                    ));
                };
                // Stored in its canonical spelling (`utc` → `UTC`, `Z` → `UTC`).
                config.timezone = parsed.to_string();
            }
            "transaction_per_migration" => config.transaction_per_migration = cx.boolean(key, v)?,
            "lock_timeout" => {
                let n = cx.integer(key, v, "a whole number of seconds, e.g. 60")?;
                config.lock_timeout = Some(u64::try_from(n).map_err(|_| {
                    cx.invalid(key, v, format!("{n} is negative; give the seconds to wait for the migration lock (0 = do not wait, default {DEFAULT_LOCK_TIMEOUT})"))
                })?);
            }
            _ => {} // rejected above
        }
    }
    config.script_location = clean(&config.script_location);
    config.version_locations =
        version_locations.unwrap_or_else(|| vec![config.script_location.join("versions")]);
    Ok(url)
}

/// The config file being read, for positions and values.
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl Cx<'_> {
    fn pos(&self, span: Range<usize>) -> (usize, usize) {
        line_col(self.text, span.start)
    }

    fn wrong_type(
        &self,
        key: &str,
        v: &Value<'_>,
        expected: &'static str,
        hint: Option<String>,
    ) -> ConfigError {
        let (line, column) = self.pos(v.span());
        ConfigError::WrongType {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            expected,
            found: v.get_ref().type_str(),
            hint,
        }
    }

    fn invalid(&self, key: &str, v: &Value<'_>, message: String) -> ConfigError {
        let (line, column) = self.pos(v.span());
        ConfigError::InvalidValue {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            message,
        }
    }

    fn raw_string<'v>(&self, key: &str, v: &'v Value<'_>) -> Result<&'v str, ConfigError> {
        v.get_ref().as_str().ok_or_else(|| {
            let hint = match v.get_ref() {
                DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                    Some(format!("put the value in quotes: {key} = \"…\""))
                }
                _ => None,
            };
            self.wrong_type(key, v, "a string", hint)
        })
    }

    fn expand(&self, key: &str, v: &Value<'_>, raw: &str) -> Result<String, ConfigError> {
        interpolate(raw, self.env).map_err(|problem| {
            let (line, column) = self.pos(v.span());
            ConfigError::Interpolate {
                path: self.path.to_path_buf(),
                line,
                column,
                key: key.to_string(),
                problem,
            }
        })
    }

    /// A string that must not be empty once expanded.
    fn required_string(&self, key: &str, v: &Value<'_>) -> Result<String, ConfigError> {
        let raw = self.raw_string(key, v)?;
        let s = self.expand(key, v, raw)?;
        if s.trim().is_empty() {
            return Err(self.invalid(
                key,
                v,
                "is empty; give a value or remove the line to use the default".to_string(),
            ));
        }
        Ok(s)
    }

    /// A string where empty (after expansion) means "not set".
    fn optional_string(&self, key: &str, v: &Value<'_>) -> Result<Option<String>, ConfigError> {
        let raw = self.raw_string(key, v)?;
        let s = self.expand(key, v, raw)?;
        Ok((!s.trim().is_empty()).then_some(s))
    }

    fn integer(
        &self,
        key: &str,
        v: &Value<'_>,
        expected: &'static str,
    ) -> Result<i64, ConfigError> {
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.invalid(key, v, "is too large".to_string())),
            DeValue::String(s) if s.trim().parse::<i64>().is_ok() => Err(self.wrong_type(
                key,
                v,
                expected,
                Some(format!("remove the quotes: {key} = {}", s.trim())),
            )),
            _ => Err(self.wrong_type(key, v, expected, None)),
        }
    }

    fn boolean(&self, key: &str, v: &Value<'_>) -> Result<bool, ConfigError> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            DeValue::String(s) if matches!(s.trim(), "true" | "false") => Err(self.wrong_type(
                key,
                v,
                "true or false",
                Some(format!("remove the quotes: {key} = {}", s.trim())),
            )),
            _ => Err(self.wrong_type(key, v, "true or false", None)),
        }
    }

    /// A non-empty array of non-empty path strings, made absolute against `dir`.
    fn path_list(&self, key: &str, v: &Value<'_>, dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
        let DeValue::Array(items) = v.get_ref() else {
            let hint = v
                .get_ref()
                .as_str()
                .map(|s| format!("write a list, even of one folder: {key} = [\"{s}\"]"));
            return Err(self.wrong_type(key, v, "an array of folder paths", hint));
        };
        if items.is_empty() {
            return Err(self.invalid(
                key,
                v,
                "is empty; list at least one folder, or remove the line to use <script_location>/versions".to_string(),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let name = format!("{key}[{i}]");
            let raw = item
                .get_ref()
                .as_str()
                .ok_or_else(|| self.wrong_type(&name, item, "a string (a folder path)", None))?;
            let s = self.expand(&name, item, raw)?;
            if s.trim().is_empty() {
                return Err(self.invalid(
                    &name,
                    item,
                    "is an empty path; remove it or name a folder".to_string(),
                ));
            }
            out.push(clean(&dir.join(s)));
        }
        Ok(out)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    let before = &text[..o];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// toml's messages may span lines; ours are one line.
fn tidy_toml_message(m: &str) -> String {
    m.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Drops `.` components (`/p/./migrate.toml` → `/p/migrate.toml`); `..` stays,
/// since removing it is only right without symlinks.
fn clean(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
fn suggest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let w = norm(word);
    // Alembic's name for the URL.
    if w == "sqlalchemy.url" || w == "sqlalchemy" || w == "database_url" || w == "uri" {
        return known.iter().copied().find(|k| *k == "url");
    }
    known
        .iter()
        .filter_map(|k| Some((edit_distance(&w, k, k.chars().count() / 4 + 1)?, *k)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The variables of `<cwd>/.env`, first occurrence winning; empty without the file.
pub fn read_dotenv(cwd: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let path = cwd.join(".env");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut vars: Vec<(String, String)> = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((k, v)) => {
                if !vars.iter().any(|(seen, _)| *seen == k) {
                    vars.push((k, v));
                }
            }
            Err(dotenvy::Error::LineParse(line, index)) => {
                let (line, column) = dotenv_position(text, &line, index);
                return Err(ConfigError::Dotenv { path, line, column });
            }
            Err(dotenvy::Error::Io(source)) => return Err(ConfigError::Read { path, source }),
            Err(other) => {
                return Err(ConfigError::Read {
                    path,
                    source: io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
                })
            }
        }
    }
    Ok(vars)
}

/// Where dotenvy's failing logical line (and the byte `index` in it) is in `text`.
fn dotenv_position(text: &str, logical: &str, index: usize) -> (usize, usize) {
    let first = logical.lines().next().unwrap_or("");
    let start = text
        .match_indices(first)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text[..i].ends_with('\n'))
        .unwrap_or(0);
    // dotenvy reports a quote left open with the index just past the end of
    // the text; point at the quote instead, where the mistake is.
    let in_line = if index >= logical.len() {
        first.find(['"', '\'']).unwrap_or(0)
    } else {
        index
    };
    line_col(text, (start + in_line).min(text.len()))
}

/// An environment lookup that sees the real environment first, then `.env`'s
/// variables (so `.env` never overrides a real variable).
pub fn with_dotenv<'a>(
    dotenv: &'a [(String, String)],
    env: &'a dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        env(name).or_else(|| {
            dotenv
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }
}

/// Loads `<cwd>/.env` into the process environment, never overriding a
/// variable that is already set. No file is fine; a malformed one is an error
/// with its line.
pub fn load_dotenv(cwd: &Path) -> Result<(), ConfigError> {
    for (k, v) in read_dotenv(cwd)? {
        if std::env::var_os(&k).is_none() {
            std::env::set_var(k, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    type EnvRef<'a> = &'a dyn Fn(&str) -> Option<String>;
    type Want = (Option<&'static str>, UrlSource);

    /// A temp project with `migrate.toml` holding `toml`.
    fn project(toml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(CONFIG_FILE), toml).expect("write migrate.toml");
        dir
    }

    fn opts() -> LoadOptions {
        LoadOptions {
            require_file: true,
            ..LoadOptions::default()
        }
    }

    fn load_err(toml: &str) -> (String, ConfigError) {
        let dir = project(toml);
        match load(&opts(), dir.path(), &no_env) {
            Ok(c) => panic!("{toml:?} loaded: {c:?}"),
            Err(e) => (e.to_string(), e),
        }
    }

    #[test]
    fn interpolation_table() {
        let env = env_of(&[
            ("HOST", "db"),
            ("EMPTY", ""),
            ("PORT", "5432"),
            ("NAME", "app"),
        ]);
        let cases: &[(&str, Result<&str, InterpolateError>)] = &[
            ("plain", Ok("plain")),
            ("", Ok("")),
            ("${HOST}", Ok("db")),
            ("pg://${HOST}:${PORT}/${NAME}", Ok("pg://db:5432/app")),
            ("${EMPTY}", Ok("")),
            ("${EMPTY:-fallback}", Ok("fallback")),
            ("${HOST:-fallback}", Ok("db")),
            ("${NOPE:-}", Ok("")),
            (
                "${NOPE:-postgresql://u:p@localhost:5432/db?x=1}",
                Ok("postgresql://u:p@localhost:5432/db?x=1"),
            ),
            ("${NOPE:-sqlite:///${NAME}.db}", Ok("sqlite:///app.db")),
            ("${NOPE:-${ALSO_NOPE:-a:b/c}}", Ok("a:b/c")),
            ("${NOPE:-{braces}}", Ok("{braces}")),
            ("$$", Ok("$")),
            ("$${HOST}", Ok("${HOST}")),
            ("pa$$word", Ok("pa$word")),
            ("cost $5 and $", Ok("cost $5 and $")),
            ("naïve ${HOST} é", Ok("naïve db é")),
            (
                "${NOPE}",
                Err(InterpolateError::Unset { var: "NOPE".into() }),
            ),
            (
                "x ${NOPE:-${INNER}}",
                Err(InterpolateError::Unset {
                    var: "INNER".into(),
                }),
            ),
            ("ab${HOST", Err(InterpolateError::Unclosed { column: 3 })),
            (
                "${}",
                Err(InterpolateError::BadName {
                    text: String::new(),
                }),
            ),
            (
                "${1X}",
                Err(InterpolateError::BadName { text: "1X".into() }),
            ),
            (
                "${A B}",
                Err(InterpolateError::BadName { text: "A B".into() }),
            ),
            (
                "${HOST-x}",
                Err(InterpolateError::BadName {
                    text: "HOST-x".into(),
                }),
            ),
        ];
        for (input, want) in cases {
            let got = interpolate(input, &env);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "{input:?}"
            );
        }
        let msg = InterpolateError::Unset { var: "DB".into() }.to_string();
        assert!(
            msg.contains("DB is not set") && msg.contains("${DB:-value}"),
            "{msg}"
        );
    }

    #[test]
    fn defaults_without_a_file() {
        let cwd = tempfile::tempdir().expect("temp dir");
        let opts = LoadOptions::default();
        let c = load(&opts, cwd.path(), &no_env).expect("defaults");
        assert_eq!(c.file, None);
        assert_eq!(c.dir, cwd.path());
        assert_eq!(c.script_location, cwd.path().join("migrations"));
        assert_eq!(
            c.version_locations,
            vec![cwd.path().join("migrations/versions")]
        );
        assert_eq!(c.url, None);
        assert_eq!(c.url_source, UrlSource::Unset);
        assert_eq!(c.version_table, "alembic_version");
        assert_eq!(c.log_table_name(), "alembic_version_log");
        assert_eq!(c.file_template, "{{ rev }}_{{ slug }}");
        assert_eq!(c.truncate_slug_length, 40);
        assert_eq!(c.timezone, "UTC");
        assert!(!c.transaction_per_migration);
        assert_eq!(c.lock_timeout_secs(), 60);
        let e = c.require_url().expect_err("no url");
        let msg = e.to_string();
        for needle in [
            "--url",
            "`url`",
            "DATABASE_URL",
            "migrate init",
            "migrate.toml",
        ] {
            assert!(msg.contains(needle), "{msg:?} lacks {needle}");
        }
    }

    #[test]
    fn missing_required_file_says_how_to_get_one() {
        let cwd = tempfile::tempdir().expect("temp dir");
        let cases = [
            (
                opts(),
                no_env as fn(&str) -> Option<String>,
                "migrate.toml",
                "",
            ),
            (
                LoadOptions {
                    config_path: Some("conf/other.toml".into()),
                    ..opts()
                },
                no_env,
                "conf/other.toml",
                "-c/--config",
            ),
        ];
        for (o, env, path, how) in cases {
            let e = load(&o, cwd.path(), &env).expect_err("missing file");
            assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains(&cwd.path().join(path).display().to_string()),
                "{msg}"
            );
            for needle in [
                "no config file was found",
                "migrate init",
                "-c PATH",
                "MIGRATE_CONFIG",
                how,
            ] {
                assert!(msg.contains(needle), "{msg:?} lacks {needle}");
            }
        }
        let env = env_of(&[("MIGRATE_CONFIG", "elsewhere.toml")]);
        let msg = load(&opts(), cwd.path(), &env)
            .expect_err("missing")
            .to_string();
        assert!(
            msg.contains("elsewhere.toml") && msg.contains("named by MIGRATE_CONFIG"),
            "{msg}"
        );
        // A folder is not a config file.
        let o = LoadOptions {
            config_path: Some(".".into()),
            ..opts()
        };
        assert!(matches!(
            load(&o, cwd.path(), &no_env),
            Err(ConfigError::NotAFile { .. })
        ));
    }

    #[test]
    fn config_file_choice_flag_then_env_then_default() {
        let cwd = Path::new("/work/p");
        let flag = LoadOptions {
            config_path: Some("./a/m.toml".into()),
            ..LoadOptions::default()
        };
        let env = env_of(&[("MIGRATE_CONFIG", "/etc/m.toml")]);
        let empty_env = env_of(&[("MIGRATE_CONFIG", "")]);
        let cases: [(&LoadOptions, EnvRef, &str, ConfigSource); 4] = [
            (&flag, &env, "/work/p/a/m.toml", ConfigSource::Flag),
            (
                &LoadOptions::default(),
                &env,
                "/etc/m.toml",
                ConfigSource::Env,
            ),
            (
                &LoadOptions::default(),
                &no_env,
                "/work/p/migrate.toml",
                ConfigSource::Default,
            ),
            (
                &LoadOptions::default(),
                &empty_env,
                "/work/p/migrate.toml",
                ConfigSource::Default,
            ),
        ];
        for (o, env, path, source) in cases {
            let got = locate(o, cwd, env);
            assert_eq!((got.path.as_path(), got.source), (Path::new(path), source));
        }
    }

    #[test]
    fn every_key_is_read_and_paths_are_relative_to_the_file() {
        let root = tempfile::tempdir().expect("temp dir");
        let conf_dir = root.path().join("conf");
        std::fs::create_dir(&conf_dir).expect("mkdir");
        std::fs::write(
            conf_dir.join("migrate.toml"),
            r#"
# a comment
[migrate]
script_location = "db/${SUB:-scripts}"
version_locations = ["db/versions", "/abs/versions", "./plugins/${PLUGIN}/versions"]
url = "${DATABASE_URL:-sqlite:///app.db}"
version_table = "${TABLE_PREFIX}version"
version_table_schema = "public"
log_table = "audit"
file_template = "{{ year }}_{{ rev }}_{{ slug }}"
truncate_slug_length = 60
timezone = "+02:00"
transaction_per_migration = true
lock_timeout = 0
"#,
        )
        .expect("write");
        let env = env_of(&[("PLUGIN", "billing"), ("TABLE_PREFIX", "my_")]);
        let o = LoadOptions {
            config_path: Some("conf/migrate.toml".into()),
            ..opts()
        };
        let c = load(&o, root.path(), &env).expect("load");
        assert_eq!(
            c.file.as_deref(),
            Some(conf_dir.join("migrate.toml").as_path())
        );
        assert_eq!(c.dir, conf_dir);
        assert_eq!(c.script_location, conf_dir.join("db/scripts"));
        assert_eq!(
            c.version_locations,
            vec![
                conf_dir.join("db/versions"),
                PathBuf::from("/abs/versions"),
                conf_dir.join("plugins/billing/versions")
            ]
        );
        assert_eq!(c.url.as_deref(), Some("sqlite:///app.db"));
        assert_eq!(c.url_source, UrlSource::File);
        assert_eq!(
            c.url_origin(),
            format!("`url` in {}", conf_dir.join("migrate.toml").display())
        );
        assert_eq!(c.version_table, "my_version");
        assert_eq!(c.version_table_schema.as_deref(), Some("public"));
        assert_eq!(c.log_table_name(), "audit");
        assert_eq!(c.file_template, "{{ year }}_{{ rev }}_{{ slug }}");
        assert_eq!(c.truncate_slug_length, 60);
        assert_eq!(c.timezone_kind(), Timezone::Offset(120));
        assert!(c.transaction_per_migration);
        assert_eq!(c.lock_timeout, Some(0));
    }

    #[test]
    fn version_locations_default_follows_script_location() {
        let dir = project("[migrate]\nscript_location = \"/srv/db\"\n");
        let c = load(&opts(), dir.path(), &no_env).expect("load");
        assert_eq!(c.script_location, Path::new("/srv/db"));
        assert_eq!(c.version_locations, vec![PathBuf::from("/srv/db/versions")]);
        // An empty file (or one with no [migrate]) is all defaults.
        let dir = project("");
        let c = load(&opts(), dir.path(), &no_env).expect("load");
        assert_eq!(c.script_location, dir.path().join("migrations"));
        assert_eq!(
            c.file.as_deref(),
            Some(dir.path().join("migrate.toml").as_path())
        );
    }

    #[test]
    fn url_precedence_flag_then_file_then_env() {
        let with_url = "[migrate]\nurl = \"sqlite:///file.db\"\n";
        let unset_var = "[migrate]\nurl = \"${NOT_SET}\"\n";
        let empty_default = "[migrate]\nurl = \"${NOT_SET:-}\"\n";
        let env = env_of(&[("DATABASE_URL", "sqlite:///env.db")]);
        let empty_env = env_of(&[("DATABASE_URL", "")]);
        let flag = Some("sqlite:///flag.db");
        use UrlSource::{Env, File, Flag, Unset};
        let (env_url, file_url, flag_url) = (
            Some("sqlite:///env.db"),
            Some("sqlite:///file.db"),
            Some("sqlite:///flag.db"),
        );
        // (migrate.toml, --url, environment, expected (url, source))
        let cases: [(&str, Option<&str>, EnvRef, Want); 8] = [
            (with_url, flag, &env, (flag_url, Flag)),
            (with_url, None, &env, (file_url, File)),
            ("", None, &env, (env_url, Env)),
            ("", Some("   "), &env, (env_url, Env)),
            ("", None, &empty_env, (None, Unset)),
            ("", None, &no_env, (None, Unset)),
            // Under --url the file's URL is not expanded, so its unset variable does not matter.
            (unset_var, flag, &no_env, (flag_url, Flag)),
            (empty_default, None, &env, (env_url, Env)),
        ];
        for (toml, flag, env, (want, source)) in cases {
            let dir = project(toml);
            let o = LoadOptions {
                url: flag.map(str::to_string),
                ..opts()
            };
            let c = load(&o, dir.path(), env).expect("load");
            assert_eq!(
                (c.url.as_deref(), c.url_source),
                (want, source),
                "{toml:?} {flag:?}"
            );
            assert_eq!(c.require_url().ok(), want);
        }
        // Without --url, an unset variable in `url` is an error naming it, the key and the
        // place, when a URL is needed: commands that do not connect still load.
        let dir = project(unset_var);
        let c = load(&opts(), dir.path(), &no_env).expect("loads without a URL");
        let e = c.require_url().expect_err("the URL is needed");
        let msg = e.to_string();
        assert!(
            matches!(
                e,
                ConfigError::Interpolate {
                    line: 2,
                    column: 7,
                    ..
                }
            ),
            "{e:?}"
        );
        for needle in ["migrate.toml:2:7", "`url`", "NOT_SET is not set"] {
            assert!(msg.contains(needle), "{msg:?} lacks {needle}");
        }
    }

    #[test]
    fn unknown_keys_and_tables_are_errors_with_suggestions() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "[migrate]\nscript_locaton = \"m\"\n",
                "migrate.toml:2:1",
                &[
                    "unknown key `script_locaton`",
                    "did you mean `script_location`?",
                    "known keys are: script_location, version_locations, url",
                ],
            ),
            (
                "[migrate]\nurl = \"x\"\n  timzone = \"UTC\"\n",
                "migrate.toml:3:3",
                &["`timzone`", "did you mean `timezone`?"],
            ),
            (
                "[migrate]\nlock-timeout = 5\n",
                ":2:1",
                &["did you mean `lock_timeout`?"],
            ),
            ("[migrate]\nURL = \"x\"\n", ":2:1", &["did you mean `url`?"]),
            (
                "[migrate]\nsqlalchemy.url = \"x\"\n",
                ":2:1",
                &["`sqlalchemy`", "did you mean `url`?"],
            ),
            (
                "[migrate]\nprepend_sys_path = \".\"\n",
                ":2:1",
                &["alembic.ini setting", "remove it"],
            ),
            (
                "[migrate]\ncompletely_different = 1\n",
                ":2:1",
                &["unknown key `completely_different`", "known keys are"],
            ),
            (
                "[migrate]\n[migrate.extra]\nx = 1\n",
                ":2:10",
                &["unknown key `extra`"],
            ),
            (
                "[migrat]\nurl = \"x\"\n",
                ":1:2",
                &["unknown table [migrat]", "did you mean [migrate]?"],
            ),
            (
                "[alembic]\nurl = \"x\"\n",
                ":1:2",
                &["unknown table [alembic]", "one [migrate] table"],
            ),
            (
                "url = \"x\"\n[migrate]\n",
                ":1:1",
                &[
                    "`url` is outside the [migrate] table",
                    "put a `[migrate]` line above it",
                ],
            ),
            (
                "scrip_location = \"x\"\n",
                ":1:1",
                &[
                    "unknown key `scrip_location` outside",
                    "did you mean `script_location`?",
                ],
            ),
            ("migrate = 1\n", ":1:1", &["`migrate` must be a table"]),
        ];
        for (toml, at, needles) in cases {
            let (msg, _) = load_err(toml);
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            for n in *needles {
                assert!(msg.contains(n), "{toml:?}: {msg:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn bad_toml_reports_file_line_and_column() {
        let cases: &[(&str, &str)] = &[
            ("[migrate]\nurl = \"unterminated\n", "migrate.toml:2:"),
            (
                "[migrate]\nscript_location = migrations\n",
                "migrate.toml:2:19",
            ),
            (
                "[migrate]\nurl = \"a\"\nurl = \"b\"\n",
                "migrate.toml:3:1: duplicate key `url`",
            ),
            (
                "[migrate]\nurl = \"a\"\n[migrate]\n",
                "migrate.toml:3:2: duplicate key `migrate`",
            ),
            ("[migrate\n", "migrate.toml:1:"),
            (
                "# é\n[migrate]\ntimezone = \"UTC\" x\n",
                "migrate.toml:3:18",
            ),
            ("\u{feff}[migrate]\nurl = \n", "migrate.toml:2:"),
        ];
        for (toml, at) in cases {
            let (msg, e) = load_err(toml);
            assert!(matches!(e, ConfigError::Toml { .. }), "{toml:?}: {e:?}");
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            assert!(!msg.contains('\n'), "{msg:?}");
        }
    }

    #[test]
    fn wrong_types_and_values_say_what_is_expected() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "[migrate]\ntruncate_slug_length = \"40\"\n",
                ":2:24",
                &[
                    "`truncate_slug_length` must be a whole number of characters",
                    "a string",
                    "remove the quotes: truncate_slug_length = 40",
                ],
            ),
            (
                "[migrate]\ntruncate_slug_length = 4.5\n",
                ":2:24",
                &["a float"],
            ),
            (
                "[migrate]\ntruncate_slug_length = 0\n",
                ":2:24",
                &["from 1 to 255"],
            ),
            (
                "[migrate]\ntransaction_per_migration = \"false\"\n",
                ":2:29",
                &["must be true or false", "remove the quotes"],
            ),
            (
                "[migrate]\ntransaction_per_migration = 1\n",
                ":2:29",
                &["must be true or false", "an integer"],
            ),
            ("[migrate]\nlock_timeout = -1\n", ":2:16", &["negative"]),
            (
                "[migrate]\nlock_timeout = \"ten\"\n",
                ":2:16",
                &["whole number of seconds"],
            ),
            (
                "[migrate]\nurl = 5\n",
                ":2:7",
                &["`url` must be a string", "an integer", "quotes"],
            ),
            (
                "[migrate]\nversion_table = \"\"\n",
                ":2:17",
                &["`version_table`: is empty"],
            ),
            (
                "[migrate]\nversion_locations = \"a/versions\"\n",
                ":2:21",
                &[
                    "an array of folder paths",
                    "version_locations = [\"a/versions\"]",
                ],
            ),
            (
                "[migrate]\nversion_locations = []\n",
                ":2:21",
                &["at least one folder"],
            ),
            (
                "[migrate]\nversion_locations = [\"a\", 3]\n",
                ":2:27",
                &["`version_locations[1]` must be a string"],
            ),
            (
                "[migrate]\ntimezone = \"Europe/Berlin\"\n",
                ":2:12",
                &["`Europe/Berlin`", "\"local\"", "+02:00"],
            ),
            (
                "[migrate]\ntimezone = \"+25:00\"\n",
                ":2:12",
                &["not a time zone"],
            ),
            (
                "[migrate]\nscript_location = [\"a\"]\n",
                ":2:19",
                &["must be a string", "an array"],
            ),
        ];
        for (toml, at, needles) in cases {
            let (msg, e) = load_err(toml);
            assert!(
                matches!(
                    e,
                    ConfigError::WrongType { .. } | ConfigError::InvalidValue { .. }
                ),
                "{toml:?}: {e:?}"
            );
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            for n in *needles {
                assert!(msg.contains(n), "{toml:?}: {msg:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn optional_strings_empty_means_unset() {
        let dir = project("[migrate]\nversion_table_schema = \"${SCHEMA:-}\"\nlog_table = \"\"\n");
        let c = load(&opts(), dir.path(), &no_env).expect("load");
        assert_eq!((c.version_table_schema, c.log_table), (None, None));
    }

    #[test]
    fn timezone_values() {
        let cases = [
            ("UTC", Some(Timezone::Utc)),
            ("utc", Some(Timezone::Utc)),
            ("Z", Some(Timezone::Utc)),
            ("local", Some(Timezone::Local)),
            ("Local", Some(Timezone::Local)),
            ("+02:00", Some(Timezone::Offset(120))),
            ("-05:30", Some(Timezone::Offset(-330))),
            ("+00:00", Some(Timezone::Offset(0))),
            ("+2:00", None),
            ("+0200", None),
            ("+24:00", None),
            ("+01:60", None),
            ("Europe/Berlin", None),
            ("", None),
            ("+", None),
            ("+é:00", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_timezone(s), want, "{s:?}");
        }
        // Stored in canonical spelling, which chrono's FixedOffset also parses.
        for (written, stored) in [
            ("utc", "UTC"),
            ("Z", "UTC"),
            ("LOCAL", "local"),
            ("-05:30", "-05:30"),
            ("-00:00", "+00:00"),
        ] {
            let dir = project(&format!("[migrate]\ntimezone = \"{written}\"\n"));
            let c = load(&opts(), dir.path(), &no_env).expect("load");
            assert_eq!(c.timezone, stored, "{written}");
        }
    }

    #[test]
    fn example_file_loads_and_documents_every_key() {
        let text = include_str!("../migrate.toml.example");
        for key in KNOWN_KEYS {
            assert!(
                text.contains(&format!("\n{key} = ")) || text.contains(&format!("\n# {key} = ")),
                "{key} missing"
            );
        }
        // With every commented-out key switched on, it still loads.
        let all_on: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if KNOWN_KEYS
                        .iter()
                        .any(|k| rest.starts_with(&format!("{k} = "))) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        for (toml, url) in [
            (text, "sqlite:///app.db"),
            (all_on.as_str(), "sqlite:///app.db"),
        ] {
            let dir = project(toml);
            let c = load(&opts(), dir.path(), &no_env).expect("example loads");
            assert_eq!(c.url.as_deref(), Some(url));
        }
    }

    #[test]
    fn suggestions() {
        let cases = [
            ("script_locaton", Some("script_location")),
            ("Script-Location", Some("script_location")),
            ("version_table_shema", Some("version_table_schema")),
            ("versions_table", Some("version_table")),
            (
                "transaction_per_migrations",
                Some("transaction_per_migration"),
            ),
            ("uri", Some("url")),
            ("sqlalchemy.url", Some("url")),
            ("banana", None),
            ("x", None),
        ];
        for (word, want) in cases {
            assert_eq!(suggest(word, KNOWN_KEYS), want, "{word}");
        }
    }

    #[test]
    fn debug_hides_the_url_password() {
        let mut c = Config::defaults(Path::new("/p"));
        c.url = Some("postgresql://u:hunter2@h/db".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("u:***@h"),
            "{shown}"
        );
    }

    #[test]
    fn dotenv_is_read_and_never_overrides_the_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(".env"),
            "# comment\nDATABASE_URL=sqlite:///dotenv.db\nexport ONLY_IN_DOTENV=\"quoted value\"\nDATABASE_URL=sqlite:///second.db\n",
        )
        .expect("write .env");
        let vars = read_dotenv(dir.path()).expect("read .env");
        assert_eq!(
            vars,
            vec![
                (
                    "DATABASE_URL".to_string(),
                    "sqlite:///dotenv.db".to_string()
                ),
                ("ONLY_IN_DOTENV".to_string(), "quoted value".to_string()),
            ]
        );
        let real = env_of(&[("DATABASE_URL", "sqlite:///real.db")]);
        let env = with_dotenv(&vars, &real);
        assert_eq!(env("DATABASE_URL").as_deref(), Some("sqlite:///real.db"));
        assert_eq!(env("ONLY_IN_DOTENV").as_deref(), Some("quoted value"));
        assert_eq!(env("NEITHER"), None);
        // And through load: the real DATABASE_URL wins over .env's.
        let c = load(&LoadOptions::default(), dir.path(), &env).expect("load");
        assert_eq!(
            (c.url.as_deref(), c.url_source),
            (Some("sqlite:///real.db"), UrlSource::Env)
        );
        let env_without = with_dotenv(&vars, &no_env);
        let c = load(&LoadOptions::default(), dir.path(), &env_without).expect("load");
        assert_eq!(c.url.as_deref(), Some("sqlite:///dotenv.db"));
        // No .env at all is fine.
        let empty = tempfile::tempdir().expect("temp dir");
        assert_eq!(read_dotenv(empty.path()).expect("no .env"), vec![]);
    }

    #[test]
    fn load_dotenv_sets_only_unset_process_variables() {
        // Names unique to this test, so parallel tests are not affected.
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(".env"),
            "MIGRATE_CFG_TEST_PRESET=from_dotenv\nMIGRATE_CFG_TEST_NEW=from_dotenv\n",
        )
        .expect("write .env");
        std::env::set_var("MIGRATE_CFG_TEST_PRESET", "real");
        load_dotenv(dir.path()).expect("load .env");
        assert_eq!(
            std::env::var("MIGRATE_CFG_TEST_PRESET").as_deref(),
            Ok("real")
        );
        assert_eq!(
            std::env::var("MIGRATE_CFG_TEST_NEW").as_deref(),
            Ok("from_dotenv")
        );
    }

    #[test]
    fn malformed_dotenv_names_its_line() {
        let cases = [
            ("A=1\nB=2\nnot a valid line\n", 3),
            ("A=1\n\n# c\nBAD KEY=1\n", 4),
            ("A=1\nB=\"never closed\nC=3\n", 2),
            ("A=1\nB='never closed", 2),
        ];
        for (text, line) in cases {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join(".env"), text).expect("write .env");
            let e = read_dotenv(dir.path()).expect_err("malformed");
            assert!(
                matches!(e, ConfigError::Dotenv { line: l, .. } if l == line),
                "{text:?}: {e:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&format!(".env:{line}:")) && msg.contains("KEY=VALUE"),
                "{msg}"
            );
            assert!(load_dotenv(dir.path()).is_err());
        }
    }
}
