//! A database target: the URL, parsed and validated once, with the version
//! table, the audit log and the timeouts that go with it; how to connect to
//! it (retrying while a wait allows), and the run contexts on it. Its own
//! value, so that a program could work on several; the library API
//! ([`Migrator`](crate::Migrator)) and the commands both open theirs here.

use crate::config::Config;
use crate::dialect::{self, offline::Offline, ConnectError, ConnectOptions, Database};
use crate::dialect::{LockKey, VersionTable};
use crate::progress::Progress;
use crate::runtime::{MigrationContext, RunSettings};
use crate::url::{self, DbUrl, UrlError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One database to work on, with the settings its runs use.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: DbUrl,
    /// The URL as written, password hidden: what messages show.
    pub display: String,
    pub version_table: VersionTable,
    pub settings: RunSettings,
    /// Relative SQLite paths are relative to it.
    pub cwd: PathBuf,
}

/// How a context opens its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads the version table and the audit log; never writes.
    Read,
    /// Writes, with the connection that holds the lock where the database
    /// needs one of its own.
    Write,
}

impl Target {
    /// The target at `raw_url` with `config`'s version table and run
    /// settings; `lock_timeout` overrides the configured one.
    pub fn new(
        raw_url: &str,
        config: &Config,
        lock_timeout: Option<Duration>,
        cwd: &Path,
    ) -> Result<Target, UrlError> {
        Ok(Target {
            url: url::parse(raw_url)?,
            display: url::redact(raw_url),
            version_table: VersionTable {
                name: config.version_table.clone(),
                schema: config.version_table_schema.clone(),
            },
            settings: RunSettings {
                transaction_per_migration: config.transaction_per_migration,
                lock_timeout: lock_timeout
                    .unwrap_or_else(|| Duration::from_secs(config.lock_timeout_secs())),
                log_table: config.log_table_name(),
                tag: None,
            },
            cwd: cwd.to_path_buf(),
        })
    }

    /// Connects, retrying while `wait` allows (see `dialect::connect_waiting`);
    /// `note` hears of each attempt.
    pub fn connect(
        &self,
        wait: Option<Duration>,
        note: &mut dyn FnMut(&str),
    ) -> Result<Box<dyn Database>, ConnectError> {
        dialect::connect_waiting(&self.connect_options(), wait, note)
    }

    pub(crate) fn connect_options(&self) -> ConnectOptions<'_> {
        ConnectOptions {
            url: &self.url,
            display: self.display.clone(),
            cwd: &self.cwd,
            busy_timeout: self.settings.lock_timeout,
        }
    }

    fn lock_key(&self, db: &dyn Database) -> LockKey {
        LockKey::of(db.dialect(), &self.url, &self.cwd, &self.version_table)
    }

    /// A run context on this database, connected as `access` says, its
    /// progress going to `progress`.
    pub fn open(
        &self,
        access: Access,
        wait: Option<Duration>,
        note: &mut dyn FnMut(&str),
        progress: Progress,
    ) -> Result<MigrationContext, ConnectError> {
        let db = self.connect(wait, note)?;
        let lock_db = match access {
            Access::Read => None,
            Access::Write => dialect::lock_connection(db.as_ref(), &self.connect_options())
                .map_err(|e| ConnectError {
                    message: url::redact(&e.message),
                    retryable: e.retryable,
                })?,
        };
        let key = self.lock_key(db.as_ref());
        Ok(MigrationContext::new(
            db,
            lock_db,
            self.version_table.clone(),
            key,
            self.settings.clone(),
            progress,
        ))
    }

    /// A context that writes the SQL to stdout instead (`--sql`), for the
    /// database the URL's scheme names, starting from the version-table rows
    /// `start` (`None`, or no rows: from base, creating the table, as Alembic).
    pub fn offline(&self, start: Option<Vec<String>>, progress: Progress) -> MigrationContext {
        let start = start.filter(|rows| !rows.is_empty());
        let db = Offline::new(self.url.kind, Box::new(std::io::stdout()), start);
        let key = self.lock_key(&db);
        MigrationContext::new(
            Box::new(db),
            None,
            self.version_table.clone(),
            key,
            self.settings.clone(),
            progress,
        )
    }
}
