//! A database target: the URL, parsed and validated once, with the version
//! table, the audit log and the timeouts that go with it; how to connect to
//! it (retrying while a wait allows), and the run contexts on it. Its own
//! value, so that a program could work on several; the library API
//! ([`Migrator`](crate::Migrator)) and the commands both open theirs here.

use crate::config::Config;
use crate::dialect::flavor::{self, Flavor, LockMode};
use crate::dialect::{self, offline::Offline, ConnectError, ConnectOptions, Database};
use crate::dialect::{LockKey, VersionTable};
use crate::progress::Progress;
use crate::runtime::lock::TableLock;
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
                lock: config.lock,
                lock_lease: Duration::from_secs(config.lock_lease_secs()),
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
    /// progress going to `progress`. For writing, the lock mode is settled
    /// here: `auto` becomes the advisory lock where the server has one that
    /// works and the lock table elsewhere (told apart by what the server
    /// says about itself), and a server whose DDL is not transactional
    /// though its protocol's is runs revisions outside a transaction; `note`
    /// (`-v`) says what was chosen and why.
    pub fn open(
        &self,
        access: Access,
        wait: Option<Duration>,
        note: &mut dyn FnMut(&str),
        progress: Progress,
    ) -> Result<MigrationContext, ConnectError> {
        let mut db = self.connect(wait, note)?;
        let wanted = self.settings.lock;
        if wanted.sessionless() {
            db.sessionless();
        }
        let redacted = |e: ConnectError| ConnectError {
            message: url::redact(&e.message),
            retryable: e.retryable,
        };
        let (lock_db, choice) = match access {
            Access::Read => (None, None),
            Access::Write => {
                let flavor = Flavor::detect(db.kind(), &db.server_info());
                let mode = flavor::resolve(wanted, flavor);
                note(&lock_note(
                    flavor,
                    wanted,
                    mode,
                    db.capabilities().transactional_ddl,
                ));
                let lock_db = if mode == LockMode::Advisory {
                    dialect::lock_connection(db.as_ref(), &self.connect_options())
                        .map_err(redacted)?
                } else {
                    None
                };
                (lock_db, Some((flavor, mode)))
            }
        };
        let table_lock = match choice {
            Some((_, LockMode::Table)) => {
                let mut conn = dialect::connect_send(&self.connect_options()).map_err(|e| {
                    redacted(ConnectError {
                        message: format!(
                            "opening the connection that holds the lock table's lease: {}",
                            e.message
                        ),
                        retryable: false,
                    })
                })?;
                conn.sessionless();
                Some(TableLock::new(
                    conn,
                    &self.version_table,
                    self.settings.lock_lease,
                ))
            }
            _ => None,
        };
        let key = self.lock_key(db.as_ref());
        let mut ctx = MigrationContext::new(
            db,
            lock_db,
            self.version_table.clone(),
            key,
            self.settings.clone(),
            progress,
        );
        if let Some((flavor, mode)) = choice {
            ctx.use_lock(mode, table_lock);
            if flavor.ddl_not_transactional() {
                ctx.without_transactional_ddl();
            }
        }
        Ok(ctx)
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

/// What `-v` says about the lock and transactions a writing run chose.
fn lock_note(flavor: Flavor, wanted: LockMode, mode: LockMode, transactional_ddl: bool) -> String {
    let why = match (wanted, mode) {
        (LockMode::Auto, LockMode::Advisory) => format!("lock = auto: {flavor} has a working advisory lock"),
        (LockMode::Auto, _) => format!(
            "lock = auto: {flavor} has no advisory lock that keeps every client out, so the lock table"
        ),
        (_, LockMode::None) => "lock = none: no lock; make sure only one run works on this database at a time".to_string(),
        _ => format!("lock = {wanted}, as configured"),
    };
    let tx = if flavor.ddl_not_transactional() && transactional_ddl {
        format!("; {flavor} does not roll back DDL in a transaction, so each revision runs outside one, its progress recorded statement by statement")
    } else {
        String::new()
    };
    format!("Server: {flavor}; migration lock: {mode} ({why}){tx}")
}
