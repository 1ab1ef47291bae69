//! A database target: the URL, parsed and validated once, with the version
//! table, the audit log and the timeouts that go with it; how to connect to
//! it (retrying while `--wait` allows), and the run contexts on it. Its own
//! value, so that a command could work on several.

use super::{Ctx, Globals};
use crate::config::Config;
use crate::dialect::{self, offline::Offline, ConnectOptions, Database, LockKey, VersionTable};
use crate::runtime::{MigrationContext, RunSettings};
use crate::url::{self, DbUrl};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long to wait for another `migrate`'s lock without `--lock-timeout` or `lock_timeout`.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// One database to work on, as the configuration names it.
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

impl Target {
    /// The target of `config`, with the global options' overrides.
    pub fn from_config(config: &Config, globals: &Globals) -> Result<Target> {
        let raw = config.require_url()?;
        let parsed = url::parse(raw)?;
        Ok(Target {
            url: parsed,
            display: url::redact(raw),
            version_table: VersionTable {
                name: config.version_table.clone(),
                schema: config.version_table_schema.clone(),
            },
            settings: RunSettings {
                transaction_per_migration: config.transaction_per_migration,
                lock_timeout: globals
                    .lock_timeout
                    .or(config.lock_timeout.map(Duration::from_secs))
                    .unwrap_or(DEFAULT_LOCK_TIMEOUT),
                log_table: config.log_table_name(),
            },
            cwd: globals.cwd.clone(),
        })
    }

    fn connect_options(&self) -> ConnectOptions<'_> {
        ConnectOptions {
            url: &self.url,
            display: self.display.clone(),
            cwd: &self.cwd,
            busy_timeout: self.settings.lock_timeout,
        }
    }

    /// Connects, retrying with backoff while `--wait` allows and the failure
    /// is one that can pass. Each attempt is bounded by the URL's
    /// `connect_timeout`, so a server that never answers fails within about
    /// `--wait` plus one attempt.
    pub fn connect(&self, ctx: &Ctx<'_>) -> Result<Box<dyn Database>> {
        let opts = self.connect_options();
        let display = &self.display;
        let (wait, verbose) = (ctx.globals.wait, ctx.globals.verbose);
        let start = Instant::now();
        let mut attempt = 0u32;
        let mut delay = Duration::from_millis(100);
        loop {
            attempt += 1;
            if verbose {
                ctx.say(&format!("Connecting to {display} (attempt {attempt})"));
            }
            let e = match dialect::connect(&opts) {
                Ok(db) => {
                    if verbose && attempt > 1 {
                        ctx.say(&format!("Connected to {display} on attempt {attempt}"));
                    }
                    return Ok(db);
                }
                Err(e) => e,
            };
            let message = url::redact(&e.message);
            let Some(wait) = wait else {
                bail!("{message}");
            };
            let elapsed = start.elapsed();
            if !e.retryable {
                bail!("{message}");
            }
            if elapsed >= wait {
                bail!(
                    "gave up after {attempt} connection attempt{} over {:.1} s (--wait={}): {message}",
                    if attempt == 1 { "" } else { "s" },
                    elapsed.as_secs_f64(),
                    wait.as_secs(),
                );
            }
            if crate::interrupt::interrupted() {
                bail!("interrupted (Ctrl-C) while waiting for the database: {message}");
            }
            let pause = delay.min(wait - elapsed);
            if verbose {
                ctx.say(&format!(
                    "Attempt {attempt} to connect to {display} failed: {message}; retrying in {} ms",
                    pause.as_millis()
                ));
            }
            std::thread::sleep(pause);
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    fn lock_key(&self, db: &dyn Database) -> LockKey {
        LockKey::of(db.dialect(), &self.url, &self.cwd, &self.version_table)
    }

    /// A context that reads (the version table, the audit log); never writes.
    pub fn reader(&self, ctx: &Ctx<'_>) -> Result<MigrationContext> {
        let db = self.connect(ctx)?;
        let key = self.lock_key(db.as_ref());
        Ok(MigrationContext::new(
            db,
            None,
            self.version_table.clone(),
            key,
            self.settings.clone(),
            ctx.progress(false),
        ))
    }

    /// A context for a writing command, with the connection that holds the
    /// lock where the database needs one of its own.
    pub fn writer(&self, ctx: &Ctx<'_>) -> Result<MigrationContext> {
        self.writer_with(ctx, ctx.progress(false))
    }

    /// A writing context that says nothing (replaying revisions on a scratch database).
    pub fn quiet_writer(&self, ctx: &Ctx<'_>) -> Result<MigrationContext> {
        self.writer_with(
            ctx,
            crate::progress::Progress::new(Box::new(std::io::sink()), true),
        )
    }

    fn writer_with(
        &self,
        ctx: &Ctx<'_>,
        progress: crate::progress::Progress,
    ) -> Result<MigrationContext> {
        let db = self.connect(ctx)?;
        let lock_db = dialect::lock_connection(db.as_ref(), &self.connect_options())
            .map_err(|e| anyhow::anyhow!("{}", url::redact(&e.message)))?;
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
    pub fn offline(&self, ctx: &Ctx<'_>, start: Option<Vec<String>>) -> MigrationContext {
        let start = start.filter(|rows| !rows.is_empty());
        let db = Offline::new(self.url.kind, Box::new(std::io::stdout()), start);
        let key = self.lock_key(&db);
        // The SQL goes to stdout, maybe the same terminal: no redrawn live line.
        MigrationContext::new(
            Box::new(db),
            None,
            self.version_table.clone(),
            key,
            self.settings.clone(),
            ctx.progress(true),
        )
    }
}
