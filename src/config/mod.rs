//! `migrate.toml` → a typed, validated [`Config`]: where the file is, its
//! tables, `${VAR}` interpolation, `.env`, paths relative to the file's
//! folder, and which database URL wins (`--url`, then `url` in the file, then
//! `DATABASE_URL`).
//!
//! The rooms: `load` finds and reads the one config file and picks the URL;
//! `tables` declares the tables the file may hold (today `[migrate]`), each
//! key once, with its type and where its value goes; `reader` walks the
//! parsed TOML against those declarations (unknown tables and keys, types,
//! positions); `interpolate` expands `${VAR}`; `dotenv` reads `.env`;
//! `timezone` parses the `timezone` value; `error` words every message.
//!
//! Only `load` and `dotenv` touch files or the process environment; the rest
//! is pure, and the environment always comes in as a closure, so tests (and
//! callers) decide what it holds. Errors are a [`ConfigError`] that carries
//! the file, line and column and says how to fix the problem; none of them
//! prints a URL or an environment variable's value. It uses `std`,
//! `toml`, `dotenvy`, `crate::text` (suggestions) and `crate::url` (redaction).

mod dotenv;
mod error;
mod interpolate;
mod lint_table;
mod load;
mod reader;
mod tables;
mod targets;
mod timezone;

use std::fmt;
use std::path::{Component, Path, PathBuf};

pub use self::dotenv::{load_dotenv, read_dotenv, with_dotenv};
pub use self::error::{ConfigError, Hint, Invalid, SetProblem, UrlError};
pub use self::interpolate::{interpolate, InterpolateError};
pub use self::load::{load, locate};
pub(crate) use self::reader::Unexpanded;
pub use self::tables::KNOWN_KEYS;
pub use self::targets::{TargetSet, TargetSets};
pub use self::timezone::{parse_timezone, Timezone};

/// The config file's name in the working directory when none is given.
pub const CONFIG_FILE: &str = "migrate.toml";
/// Environment variable that names the config file (after `-c/--config`).
pub const CONFIG_ENV: &str = "MIGRATE_CONFIG";
/// Environment variable read for the URL when neither `--url` nor `url` gives one.
pub const URL_ENV: &str = "DATABASE_URL";
/// The TOML table that holds every setting of a run.
pub const TABLE: &str = "migrate";

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
/// Seconds a `lock = "table"` lease lasts when `lock_lease` is not set.
pub const DEFAULT_LOCK_LEASE: u64 = 60;

/// Seconds to wait for the migration lock when `lock_timeout` is not set.
pub const DEFAULT_LOCK_TIMEOUT: u64 = 60;

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
    /// How runs lock the database (`lock`; `--lock` wins); default `auto`.
    pub lock: crate::dialect::LockMode,
    /// Seconds a `lock = "table"` lease lasts unless renewed; `None` = 60
    /// (see [`Config::lock_lease_secs`]).
    pub lock_lease: Option<u64>,
    /// The desired schema: `.sql` files and folders (absolute), for
    /// `revision --autogenerate`, `diff` and `check`.
    pub schema: Vec<PathBuf>,
    /// A database `migrate` may empty and fill to read schemas (`dev_url`,
    /// or `--dev-url`), expanded; `None` = temporary scratch databases.
    pub dev_url: Option<String>,
    /// Why the file's `dev_url` could not be expanded, reported only by the
    /// commands that need it.
    pub dev_url_error: Option<UrlError>,
    /// The `[targets.NAME]` tables: sets of databases for `--targets NAME`.
    pub targets: TargetSets,
    /// `[lint]`: (rule, `off`/`on`/`warning`/`error`), in file order.
    pub lint: Vec<(String, String)>,
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
            .field("lock", &self.lock)
            .field("lock_lease", &self.lock_lease)
            .field("schema", &self.schema)
            .field("dev_url", &self.dev_url.as_deref().map(crate::url::redact))
            .field("targets", &self.targets)
            .field("lint", &self.lint)
            .finish_non_exhaustive()
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
            lock: crate::dialect::LockMode::Auto,
            lock_lease: None,
            schema: Vec::new(),
            dev_url: None,
            dev_url_error: None,
            targets: TargetSets::new(),
            lint: Vec::new(),
        }
    }

    /// The `dev_url`, expanded, if one is set; an error when it cannot be expanded.
    pub fn dev_url(&self) -> Result<Option<&str>, ConfigError> {
        if let Some(e) = &self.dev_url_error {
            return Err(ConfigError::Interpolate {
                path: e.path.clone(),
                line: e.line,
                column: e.column,
                key: "dev_url".into(),
                problem: e.problem.clone(),
            });
        }
        Ok(self.dev_url.as_deref())
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

    /// Seconds a `lock = "table"` lease lasts unless renewed: `lock_lease`, or 60.
    pub fn lock_lease_secs(&self) -> u64 {
        self.lock_lease.unwrap_or(DEFAULT_LOCK_LEASE)
    }

    /// The `timezone` setting as a value (UTC if it was somehow not valid).
    pub fn timezone_kind(&self) -> Timezone {
        parse_timezone(&self.timezone).unwrap_or(Timezone::Utc)
    }
}

/// Drops `.` components (`/p/./migrate.toml` → `/p/migrate.toml`); `..` stays,
/// since removing it is only right without symlinks.
fn clean(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Environments for tests: a fixed map, or nothing at all.
#[cfg(test)]
mod test_env {
    use std::collections::HashMap;

    pub(super) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    pub(super) fn no_env(_: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn clean_drops_only_cur_dir_components() {
        assert_eq!(
            clean(Path::new("/p/./a/../b/./m.toml")),
            Path::new("/p/a/../b/m.toml")
        );
    }
}
