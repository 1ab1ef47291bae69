//! One function per verb, named as Alembic names them, each taking its
//! arguments as a struct. Orchestration only: resolve the settings, load the
//! scripts, connect to the target, hand the work to `runtime`, and write
//! results to the injected writer. Progress lines go to the context's
//! progress writer (stderr); errors go back to `main`.
//!
//! Settings are resolved once and only when a verb needs them (`Ctx`): the
//! config file, then the database target (URL, version table, timeouts), so
//! commands that need no database (`heads`, `init`) work without a URL.

mod autogen;
mod check;
mod error;
mod import;
mod inspect;
mod lint;
mod revision;
mod rtest;
mod run;
mod schema;

pub use crate::target::Target;
pub use autogen::{baseline, diff, DiffArgs};
pub use check::{check, CheckArgs};
pub use error::CommandError;
pub use import::{import_alembic, ImportArgs};
pub use inspect::{
    applied_history, branches, current, edit, heads, history, show, HeadsArgs, HistoryArgs,
};
pub use lint::{lint, LintArgs};
pub use revision::{init, list_templates, merge, InitArgs, MergeArgs, RevisionArgs};
pub use rtest::{test, TestArgs};
pub use run::{downgrade, ensure_version, stamp, upgrade, RunArgs, StampArgs};
pub use schema::Side;

use crate::config::{self, Config, LoadOptions};
use crate::migrator::{CommandSettings, Migrator};
use crate::progress::Progress;
use crate::runtime::MigrationContext;
pub use crate::runtime::Resume;
use crate::script::ScriptDirectory;
use crate::target::Access;
use anyhow::Result;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `revision -m MSG …`: a revision with empty sections from the template,
/// or with `--autogenerate` one written from the difference with the desired
/// schema.
pub fn revision(ctx: &mut Ctx<'_>, args: &RevisionArgs) -> Result<()> {
    if args.autogenerate {
        autogen::revision_autogenerate(ctx, args, args.from_database)
    } else {
        revision::empty_revision(ctx, args)
    }
}

/// The global options, as the command line gives them.
pub struct Globals {
    pub cwd: PathBuf,
    /// `-c/--config`.
    pub config_path: Option<PathBuf>,
    /// `--url`.
    pub url: Option<String>,
    /// `-x KEY=VALUE`, for templates.
    pub x: BTreeMap<String, String>,
    pub quiet: bool,
    pub verbose: bool,
    /// `--wait[=SECONDS]`.
    pub wait: Option<Duration>,
    /// `--lock-timeout SECONDS`.
    pub lock_timeout: Option<Duration>,
    /// `--lock MODE`: wins over `lock` in the config file.
    pub lock: Option<crate::dialect::LockMode>,
    /// `--format json`.
    pub json: bool,
    /// `--format`: what `lint` and `check` write.
    pub report: Report,
    /// `--dev-url`: a database `migrate` may empty and fill to read schemas.
    pub dev_url: Option<String>,
    /// `--targets` and the fleet's options: run on many databases (`crate::fleet`).
    pub fleet: Option<FleetArgs>,
}

/// `--targets`, `--jobs`, `--canary`, `--fail-fast`.
#[derive(Clone, Debug)]
pub struct FleetArgs {
    /// A `[targets.NAME]` set, a file of URLs, or `-` (standard input).
    pub targets: String,
    /// Targets at once (default `crate::fleet::DEFAULT_JOBS`, never more than targets).
    pub jobs: Option<usize>,
    /// The first K targets run first; the rest only when all of them succeeded.
    pub canary: Option<usize>,
    /// Stop starting targets after the first failure.
    pub fail_fast: bool,
}

/// `--format`: text, JSON, or (for `lint` and `check`) SARIF or GitHub
/// workflow annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Report {
    #[default]
    Text,
    Json,
    Sarif,
    Github,
}

/// Everything a command needs from its caller: where to write, the global
/// options, and the settings resolved from them (once, when first needed).
pub struct Ctx<'a> {
    /// Results (stdout).
    pub out: &'a mut dyn Write,
    /// Progress lines (stderr); silenced by `quiet`.
    pub progress: fn() -> Box<dyn Write>,
    pub globals: Globals,
    /// Reads an environment variable (injected so tests can control it).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    config: OnceCell<Config>,
    target: OnceCell<Target>,
    /// The scripts every target of a fleet shares (loaded once).
    shared: Option<&'static Arc<ScriptDirectory>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        out: &'a mut dyn Write,
        progress: fn() -> Box<dyn Write>,
        globals: Globals,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Ctx<'a> {
        Ctx {
            out,
            progress,
            globals,
            env,
            config: OnceCell::new(),
            target: OnceCell::new(),
            shared: None,
        }
    }

    /// The context of one target of a fleet: its configuration (the target's
    /// URL in it) and the fleet's scripts, loaded once for every target.
    pub fn for_fleet(
        out: &'a mut dyn Write,
        progress: fn() -> Box<dyn Write>,
        globals: Globals,
        env: &'a dyn Fn(&str) -> Option<String>,
        config: Config,
        scripts: &'static Arc<ScriptDirectory>,
    ) -> Ctx<'a> {
        let mut ctx = Ctx::new(out, progress, globals, env);
        ctx.config = OnceCell::from(config);
        ctx.shared = Some(scripts);
        ctx
    }

    /// The configuration (`migrate.toml`, the flags and the environment).
    pub fn config(&self) -> Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let mut c = config::load(
            &LoadOptions {
                config_path: self.globals.config_path.clone(),
                url: self.globals.url.clone(),
                require_file: true,
            },
            &self.globals.cwd,
            self.env,
        )?;
        if let Some(lock) = self.globals.lock {
            c.lock = lock;
        }
        Ok(self.config.get_or_init(|| c))
    }

    /// The database the configuration names.
    pub fn target(&self) -> Result<&Target> {
        if let Some(t) = self.target.get() {
            return Ok(t);
        }
        let config = self.config()?;
        let raw = config.require_url()?;
        let t = Target::new(raw, config, self.globals.lock_timeout, &self.globals.cwd)?;
        Ok(self.target.get_or_init(|| t))
    }

    /// A context on the configured database that reads; never writes.
    fn reader(&self) -> Result<MigrationContext> {
        self.open(self.target()?, Access::Read, self.progress(false))
    }

    /// A context on `target`, connecting while `--wait` allows; with `-v`,
    /// each attempt is said.
    fn open(
        &self,
        target: &Target,
        access: Access,
        progress: Progress,
    ) -> Result<MigrationContext> {
        let verbose = self.globals.verbose;
        let mut note = |line: &str| {
            if verbose {
                self.say(line);
            }
        };
        Ok(target.open(access, self.globals.wait, &mut note, progress)?)
    }

    /// A context that prints the SQL (`--sql`) instead of running it, from
    /// the version-table rows `start` (none: from base).
    fn offline(&self, start: Option<Vec<String>>) -> Result<MigrationContext> {
        // The SQL goes to stdout, maybe the same terminal: no redrawn live line.
        Ok(self.target()?.offline(start, self.progress(true)))
    }

    /// The library's migrator for the configured project and database, with
    /// the command line's options; its progress goes to stderr.
    fn migrator(&self) -> Result<Migrator> {
        let config = self.config()?;
        let scripts = match self.shared {
            Some(shared) => Arc::clone(shared),
            None => {
                let scripts = Arc::new(ScriptDirectory::load(config)?);
                // Kept until the process ends, as `scripts` (see there).
                std::mem::forget(Arc::clone(&scripts));
                scripts
            }
        };
        let url = config.require_url()?.to_string();
        let settings = CommandSettings {
            url: Some(url),
            cwd: self.globals.cwd.clone(),
            wait: self.globals.wait,
            lock_timeout: self.globals.lock_timeout,
            out: self.progress,
            quiet: self.globals.quiet,
            verbose: self.globals.verbose,
        };
        Ok(Migrator::for_command(config.clone(), scripts, settings))
    }

    /// Progress for a run: a live line on a terminal, unless `plain`.
    fn progress(&self, plain: bool) -> Progress {
        let p = Progress::new((self.progress)(), self.globals.quiet);
        if plain {
            p.plain()
        } else {
            p
        }
    }

    pub(crate) fn say(&self, line: &str) {
        if !self.globals.quiet {
            let mut w = (self.progress)();
            let _ = writeln!(w, "{line}");
        }
    }

    fn json_out(&mut self, v: &serde_json::Value) -> Result<()> {
        writeln!(self.out, "{}", serde_json::to_string_pretty(v)?)?;
        Ok(())
    }

    fn lines_out(&mut self, lines: &[String]) -> Result<()> {
        for l in lines {
            writeln!(self.out, "{l}")?;
        }
        Ok(())
    }

    /// The scripts with their SQL, kept until the process ends: one command
    /// runs per process, and freeing thousands of parsed revisions one by one
    /// on the way out is work nobody waits for.
    fn scripts(&self) -> Result<&'static ScriptDirectory> {
        if let Some(shared) = self.shared {
            return Ok(shared);
        }
        Ok(Box::leak(Box::new(ScriptDirectory::load(self.config()?)?)))
    }

    /// The graph without SQL, for the commands that only inspect it:
    /// unchanged files come from the header cache (`script::cache`).
    fn headers(&self) -> Result<&'static ScriptDirectory> {
        if let Some(shared) = self.shared {
            return Ok(shared);
        }
        let dir = crate::script::cache::cache_dir(self.env);
        Ok(Box::leak(Box::new(ScriptDirectory::load_headers(
            self.config()?,
            dir.as_deref(),
        )?)))
    }
}
