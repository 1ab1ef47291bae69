//! The library API for Rust programs that migrate their own database, for
//! example a service at start-up: a [`Migrator`] over a project's revisions
//! (a folder, a `migrate.toml`, or revision files embedded in the program
//! at compile time with [`embed_migrations!`](crate::embed_migrations)) and
//! a database URL, with `upgrade`, `downgrade`, `current`, `heads`, `check`
//! and `stamp`, progress as [`Event`]s, and typed errors. The command line
//! is a user of this API for the same verbs.
//!
//! ```
//! # fn main() -> Result<(), migrate::Error> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let versions = dir.path().join("versions");
//! # std::fs::create_dir(&versions).unwrap();
//! # std::fs::write(versions.join("a1.sql"), "-- create notes\n--\n-- Revision ID: a1\n-- Revises:\n\n-- migrate:upgrade\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n\n-- migrate:downgrade\nDROP TABLE notes;\n").unwrap();
//! # let url = format!("sqlite:///{}", dir.path().join("app.db").display());
//! use migrate::Migrator;
//!
//! let migrator = Migrator::from_folder(&versions)?.url(&url);
//! let steps = migrator.upgrade("head")?;
//! assert_eq!(steps[0].revision, "a1");
//! assert_eq!(migrator.current()?, ["a1"]);
//! migrator.downgrade("base")?;
//! assert!(migrator.current()?.is_empty());
//! # Ok(())
//! # }
//! ```

use crate::config::{self, Config, ConfigError, LoadOptions};
use crate::dialect::ConnectError;
use crate::progress::{Event, Listener, Progress};
use crate::runtime::check::{self, Problem};
use crate::runtime::{MigrationContext, Resume, RunError, RunOptions, StepReport};
use crate::script::revision::{Direction, RevisionError, Target as TargetGrammar};
use crate::script::{LoadErrors, ScriptDirectory};
use crate::target::{Access, Target};
use crate::url::{self, UrlError};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What can go wrong, each kind with its data; `Display` gives the message
/// the command line prints. New kinds may come: match with a `_` arm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `migrate.toml` could not be read.
    Config(ConfigError),
    /// No database URL was given.
    NoUrl,
    /// The URL does not parse.
    Url(UrlError),
    /// Revision files that cannot be read, or a graph that is not sound.
    Load(LoadErrors),
    /// A target the graph cannot resolve or plan.
    Graph(RevisionError),
    /// The database could not be reached.
    Connect(ConnectError),
    /// A run failed (a statement, the lock, a half-applied revision, …).
    Run(RunError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "{e}"),
            Error::NoUrl => f.write_str(
                "no database URL: give one with Migrator::url, or set `url` in migrate.toml",
            ),
            Error::Url(e) => write!(f, "{e}"),
            Error::Load(e) => write!(f, "{e}"),
            Error::Graph(e) => write!(f, "{e}"),
            Error::Connect(e) => write!(f, "{}", url::redact(&e.message)),
            Error::Run(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<RunError> for Error {
    fn from(e: RunError) -> Self {
        Error::Run(e)
    }
}

impl From<RevisionError> for Error {
    fn from(e: RevisionError) -> Self {
        Error::Graph(e)
    }
}

/// Revision files embedded in a program at compile time (see [`embed_migrations!`](crate::embed_migrations)).
#[derive(Clone, Debug, Default)]
pub struct Embedded {
    /// Each file's path within the embedded folder, and its text.
    pub files: Vec<(&'static str, &'static str)>,
}

impl Embedded {
    /// The `.sql` files of a folder embedded with `include_dir`, at any depth.
    pub fn from_dir(dir: &'static include_dir::Dir<'static>) -> Embedded {
        let mut files = Vec::new();
        collect(dir, &mut files);
        files.sort_unstable();
        Embedded { files }
    }
}

fn collect(dir: &'static include_dir::Dir<'static>, out: &mut Vec<(&'static str, &'static str)>) {
    for entry in dir.entries() {
        match entry {
            include_dir::DirEntry::Dir(d) => collect(d, out),
            include_dir::DirEntry::File(f) => {
                let is_sql = f.path().extension().is_some_and(|e| e == "sql");
                if let (true, Some(path), Some(text)) =
                    (is_sql, f.path().to_str(), f.contents_utf8())
                {
                    out.push((path, text));
                }
            }
        }
    }
}

/// Embeds a folder of revision files in the program at compile time (its
/// `.sql` files, at any depth), with `include_dir`: the path may start with
/// `$CARGO_MANIFEST_DIR`, the folder of the crate being compiled:
/// `migrate::embed_migrations!("$CARGO_MANIFEST_DIR/migrations/versions")`.
/// Cargo rebuilds the program when an embedded file changes, but not when a
/// file is added: `touch` a source file (or `cargo clean -p` the crate) then.
#[macro_export]
macro_rules! embed_migrations {
    ($path:tt) => {{
        use $crate::__private::include_dir;
        static DIR: include_dir::Dir<'static> = include_dir::include_dir!($path);
        $crate::Embedded::from_dir(&DIR)
    }};
}

/// One revision a run applied or reverted.
pub type Step = StepReport;

/// A project's revisions and the database they run on.
pub struct Migrator {
    scripts: Arc<ScriptDirectory>,
    /// The version table, the run settings.
    config: Config,
    url: Option<String>,
    /// Relative SQLite paths are relative to it.
    cwd: PathBuf,
    /// How long to keep trying to connect (none: one attempt).
    wait: Option<Duration>,
    /// Overrides the configured lock timeout.
    lock_timeout: Option<Duration>,
    /// Recorded in the audit log's rows of each run.
    tag: Option<String>,
    reporter: Reporter,
}

/// Where a run's progress goes.
enum Reporter {
    /// To the program's listener, if it set one (`on_progress`).
    Events(Arc<Mutex<Option<Listener>>>),
    /// As lines to a writer (the command line's stderr); connection
    /// attempts only when `verbose`.
    Lines {
        out: fn() -> Box<dyn Write>,
        quiet: bool,
        verbose: bool,
    },
}

impl Migrator {
    fn with(config: Config, scripts: ScriptDirectory, cwd: PathBuf) -> Migrator {
        Migrator {
            url: config.url.clone(),
            scripts: Arc::new(scripts),
            config,
            cwd,
            wait: None,
            lock_timeout: None,
            tag: None,
            reporter: Reporter::Events(Arc::new(Mutex::new(None))),
        }
    }

    /// The project of a `migrate.toml` (its revisions, URL and settings).
    pub fn from_config(path: impl AsRef<Path>) -> Result<Migrator, Error> {
        let cwd = current_dir();
        let env = |k: &str| std::env::var(k).ok();
        let config = config::load(
            &LoadOptions {
                config_path: Some(path.as_ref().to_path_buf()),
                url: None,
                require_file: true,
            },
            &cwd,
            &env,
        )
        .map_err(Error::Config)?;
        let scripts = ScriptDirectory::load(&config).map_err(Error::Load)?;
        Ok(Migrator::with(config, scripts, cwd))
    }

    /// The revision files of a folder, with the default settings.
    pub fn from_folder(versions: impl AsRef<Path>) -> Result<Migrator, Error> {
        let cwd = current_dir();
        let mut config = Config::defaults(&cwd);
        config.version_locations = vec![cwd.join(versions.as_ref())];
        let scripts = ScriptDirectory::load(&config).map_err(Error::Load)?;
        Ok(Migrator::with(config, scripts, cwd))
    }

    /// Revision files embedded in the program (see [`embed_migrations!`](crate::embed_migrations)).
    pub fn embedded(files: &Embedded) -> Result<Migrator, Error> {
        let cwd = current_dir();
        let config = Config::defaults(&cwd);
        let texts = files
            .files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_string()));
        let scripts = ScriptDirectory::from_texts(&config, texts).map_err(Error::Load)?;
        Ok(Migrator::with(config, scripts, cwd))
    }

    /// The command line's migrator: its configuration and loaded revisions,
    /// its options, progress as lines to `out`.
    pub(crate) fn for_command(
        config: Config,
        scripts: Arc<ScriptDirectory>,
        settings: CommandSettings,
    ) -> Migrator {
        Migrator {
            url: settings.url,
            scripts,
            config,
            cwd: settings.cwd,
            wait: settings.wait,
            lock_timeout: settings.lock_timeout,
            tag: None,
            reporter: Reporter::Lines {
                out: settings.out,
                quiet: settings.quiet,
                verbose: settings.verbose,
            },
        }
    }

    /// The database to work on.
    #[must_use]
    pub fn url(mut self, url: &str) -> Migrator {
        self.url = Some(url.to_string());
        self
    }

    /// The version table's name and schema (default `alembic_version`).
    #[must_use]
    pub fn version_table(mut self, name: &str, schema: Option<&str>) -> Migrator {
        self.config.version_table = name.to_string();
        self.config.version_table_schema = schema.map(str::to_string);
        self
    }

    /// One transaction per revision instead of one for the whole run.
    #[must_use]
    pub fn transaction_per_migration(mut self, yes: bool) -> Migrator {
        self.config.transaction_per_migration = yes;
        self
    }

    /// How long to wait for another `migrate`'s lock (default 60 s).
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Migrator {
        self.lock_timeout = Some(timeout);
        self
    }

    /// How runs lock the database (default [`LockMode::Auto`](crate::dialect::LockMode)).
    #[must_use]
    pub fn lock(mut self, mode: crate::dialect::LockMode) -> Migrator {
        self.config.lock = mode;
        self
    }

    /// How long a `LockMode::Table` lease lasts unless renewed (default 60 s).
    #[must_use]
    pub fn lock_lease(mut self, lease: Duration) -> Migrator {
        self.config.lock_lease = Some(lease.as_secs().max(2));
        self
    }

    /// A tag recorded with each revision a run applies, reverts or stamps in
    /// the audit log (a release name, a ticket); none without it.
    #[must_use]
    pub fn tag(mut self, tag: Option<&str>) -> Migrator {
        self.tag = tag.map(str::to_string);
        self
    }

    /// Keeps trying to connect for up to `wait` while the server is not up
    /// yet (a service starting next to its database), with backoff; without
    /// it, one attempt. Each attempt is bounded by the URL's `connect_timeout`.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Migrator {
        self.wait = Some(wait);
        self
    }

    /// Calls `listener` as the run goes: each connection attempt, each step,
    /// each statement.
    #[must_use]
    pub fn on_progress(mut self, listener: impl FnMut(&Event) + Send + 'static) -> Migrator {
        self.reporter = Reporter::Events(Arc::new(Mutex::new(Some(Box::new(listener)))));
        self
    }

    /// The revisions' heads.
    pub fn heads(&self) -> Vec<String> {
        self.scripts
            .map
            .heads()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The loaded revisions (for a program that wants to show them).
    pub fn scripts(&self) -> &ScriptDirectory {
        &self.scripts
    }

    fn target(&self) -> Result<Target, Error> {
        let Some(raw) = self.url.as_deref() else {
            // A `url` in migrate.toml that does not interpolate says why.
            return Err(match self.config.require_url() {
                Err(e) if self.config.url_error.is_some() => Error::Config(e),
                _ => Error::NoUrl,
            });
        };
        let mut target =
            Target::new(raw, &self.config, self.lock_timeout, &self.cwd).map_err(Error::Url)?;
        target.settings.tag.clone_from(&self.tag);
        Ok(target)
    }

    /// The progress of one run, and what hears of connection attempts.
    fn progress(&self) -> (Progress, Note<'_>) {
        match &self.reporter {
            Reporter::Lines {
                out,
                quiet,
                verbose,
            } => {
                let (out, quiet, verbose) = (*out, *quiet, *verbose);
                let note = move |line: &str| {
                    if verbose && !quiet {
                        let _ = writeln!(out(), "{line}");
                    }
                };
                (Progress::new(out(), quiet), Box::new(note))
            }
            Reporter::Events(slot) => {
                let has = slot.lock().is_ok_and(|l| l.is_some());
                if !has {
                    return (
                        Progress::new(Box::new(std::io::sink()), true),
                        Box::new(|_: &str| {}),
                    );
                }
                let tell = |slot: &Arc<Mutex<Option<Listener>>>, event: &Event| {
                    if let Ok(mut slot) = slot.lock() {
                        if let Some(listener) = slot.as_mut() {
                            listener(event);
                        }
                    }
                };
                let shared = Arc::clone(slot);
                let progress = Progress::events(Box::new(move |e| tell(&shared, e)));
                let note = move |line: &str| tell(slot, &Event::Connecting(line.to_string()));
                (progress, Box::new(note))
            }
        }
    }

    fn context(&self, access: Access) -> Result<MigrationContext, Error> {
        let target = self.target()?;
        let (progress, mut note) = self.progress();
        target
            .open(access, self.wait, &mut note, progress)
            .map_err(Error::Connect)
    }

    /// Applies the revisions up to `target` (`head`, `heads`, an id, `+1`, `label@head`, …).
    pub fn upgrade(&self, target: &str) -> Result<Vec<Step>, Error> {
        self.run(Direction::Up, target, None)
    }

    /// Reverts revisions down to `target` (`-1`, `base`, an id, …).
    pub fn downgrade(&self, target: &str) -> Result<Vec<Step>, Error> {
        self.run(Direction::Down, target, None)
    }

    /// [`upgrade`](Self::upgrade) or [`downgrade`](Self::downgrade), continuing a
    /// half-applied revision as `resume` says.
    pub fn run(
        &self,
        direction: Direction,
        target: &str,
        resume: Option<Resume>,
    ) -> Result<Vec<Step>, Error> {
        let scripts = &*self.scripts;
        let verb = match direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        let mut mc = self.context(Access::Write)?;
        let opts = RunOptions {
            resume,
            // A target that means the same whatever the database is at (`head`,
            // an id, a label) may be planned again when another `migrate` moved
            // the version table under this run; a step from it (`+1`) may not.
            replan: !TargetGrammar::new(target).is_relative(),
            verb,
        };
        let steps = mc.run_steps(scripts, &opts, |rows| {
            match direction {
                Direction::Up => scripts.map.upgrade_plan(rows, target),
                Direction::Down => scripts.map.downgrade_plan(rows, target),
            }
            .map_err(RunError::Graph)
        })?;
        Ok(steps)
    }

    /// The database's current revisions (the version table's rows); never writes.
    pub fn current(&self) -> Result<Vec<String>, Error> {
        Ok(self.context(Access::Read)?.read_heads()?)
    }

    /// Sets the version table to `revisions` without running any SQL; with
    /// `purge`, whatever the table holds is replaced (even unknown revisions).
    pub fn stamp(&self, revisions: &[&str], purge: bool) -> Result<(), Error> {
        let targets: Vec<String> = revisions.iter().map(|r| (*r).to_string()).collect();
        let scripts = &*self.scripts;
        let mut mc = self.context(Access::Write)?;
        mc.run_stamp(scripts, purge, &targets, |rows| {
            scripts
                .map
                .stamp_plan(rows, &targets, purge)
                .map_err(RunError::Graph)
        })?;
        Ok(())
    }

    /// Every problem `migrate check` reports of the graph and the database
    /// (several heads, not at head, half-applied, edited since it ran, …);
    /// none when all is well. Never writes.
    pub fn check(&self) -> Result<Vec<Problem>, Error> {
        let mut problems = check::graph_problems(&self.scripts);
        let mut mc = self.context(Access::Read)?;
        let rows = mc.read_heads()?;
        let log = mc.audit_rows()?;
        problems.extend(check::database_problems(
            &self.scripts,
            &rows,
            &log,
            mc.kind(),
        )?);
        Ok(problems)
    }
}

/// What hears of each connection attempt.
type Note<'a> = Box<dyn FnMut(&str) + 'a>;

/// What the command line sets on its [`Migrator`].
pub(crate) struct CommandSettings {
    pub url: Option<String>,
    pub cwd: PathBuf,
    pub wait: Option<Duration>,
    pub lock_timeout: Option<Duration>,
    pub out: fn() -> Box<dyn Write>,
    pub quiet: bool,
    pub verbose: bool,
}

fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}
