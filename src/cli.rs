//! The command line: clap types, and their conversion into the library's
//! typed values (the global options and one verb with its argument struct).
//! Nothing else in the crate sees clap. The shell completion scripts and the
//! manual page are made here too, from the same definition, so they cannot
//! drift from what the parser accepts.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use migrate::command::{
    CheckArgs, DiffArgs, Globals, HeadsArgs, HistoryArgs, ImportArgs, InitArgs, LintArgs,
    MergeArgs, Report, Resume, RevisionArgs, RunArgs, Side, StampArgs, TestArgs,
};
use migrate::fleet::{FleetArgs, FleetCommand};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "migrate",
    version,
    about = "Alembic's revision graph with plain-SQL revision files, for PostgreSQL, MySQL/MariaDB and SQLite",
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Top,
}

/// The commands: those that work on a project, and those that describe the
/// binary itself.
#[derive(Subcommand, Debug)]
pub(crate) enum Top {
    #[command(flatten)]
    Run(Command),
    /// Print a shell completion script: `source <(migrate completions bash)`
    Completions {
        /// The shell the script is for
        shell: Shell,
    },
    /// Print the manual page (roff): `migrate man | man -l -`
    Man {
        /// A command whose own page to print (e.g. `upgrade`) instead of migrate(1)
        command: Option<String>,
    },
}

/// What the binary prints about itself: it needs no project, no `.env`, no
/// database and no working directory, so it works wherever a shell's start-up
/// file or a packaging script runs it.
pub(crate) enum Doc {
    Completions(Shell),
    Man(Option<String>),
}

/// A command line that works on a project: the global options and the command.
pub(crate) struct Run {
    global: Global,
    command: Command,
}

impl Cli {
    /// `completions` and `man` as a [`Doc`], every other command as a [`Run`].
    pub(crate) fn split(self) -> Result<Run, Doc> {
        match self.command {
            Top::Run(command) => Ok(Run {
                global: self.global,
                command,
            }),
            Top::Completions { shell } => Err(Doc::Completions(shell)),
            Top::Man { command } => Err(Doc::Man(command)),
        }
    }
}

impl Doc {
    /// Writes the script or the page. An unknown command name for `man` is a
    /// usage error, worded as clap words its own.
    pub(crate) fn write(&self, out: &mut dyn std::io::Write) -> Result<(), DocError> {
        let mut cmd = Cli::command();
        // Built, every subcommand knows its full name (`migrate upgrade`) and
        // carries the global options, as the parser sees them.
        cmd.build();
        match self {
            Doc::Completions(shell) => {
                clap_complete::generate(*shell, &mut cmd, "migrate", out);
                Ok(())
            }
            Doc::Man(None) => {
                let mut page = Vec::new();
                man_page(&cmd, &mut page).map_err(DocError::Io)?;
                out.write_all(ascii_roff(&page).as_bytes())
                    .map_err(DocError::Io)
            }
            Doc::Man(Some(name)) => {
                // clap's `help` is no command of ours and has no page.
                let found = cmd.find_subcommand(name).filter(|c| c.get_name() != "help");
                let Some(sub) = found.cloned() else {
                    let known: Vec<String> = cmd
                        .get_subcommands()
                        .map(|c| c.get_name().to_string())
                        .filter(|n| n != "help")
                        .collect();
                    let message = format!(
                        "no command `{name}` to print the page of; the commands are: {}",
                        known.join(", ")
                    );
                    let kind = clap::error::ErrorKind::InvalidValue;
                    // The usage line shown is `man`'s own.
                    let error = match cmd.find_subcommand_mut("man") {
                        Some(man) => man.error(kind, message),
                        None => cmd.error(kind, message),
                    };
                    return Err(DocError::Usage(error));
                };
                let mut page = Vec::new();
                clap_mangen::Man::new(sub)
                    .render(&mut page)
                    .map_err(DocError::Io)?;
                out.write_all(ascii_roff(&page).as_bytes())
                    .map_err(DocError::Io)
            }
        }
    }
}

/// Why a [`Doc`] was not written.
pub(crate) enum DocError {
    /// Bad usage: exit 2, as any other usage error.
    Usage(clap::Error),
    /// Writing to stdout failed.
    Io(std::io::Error),
}

/// The page with every non-ASCII character (the help's `…`, say) written as
/// roff's `\[uXXXX]`: groff reads its input as Latin-1 unless a preprocessor
/// converts it first, which man-db does and a plain `groff -man` does not.
fn ascii_roff(page: &[u8]) -> String {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

/// migrate(1): clap's sections, then the facts that are not options (exit
/// status, environment, files), which a reader of a manual page looks for.
fn man_page(cmd: &clap::Command, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    out.write_all(MAN_EXTRA.as_bytes())?;
    man.render_version_section(out)
}

/// Hand-written roff: `\-` is a hyphen-minus that man keeps as typed.
const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Failure: the message on standard error says what, where, and what to do next.
\fBcheck\fR and \fBdiff \-\-exit\-code\fR also exit 1 when they find a problem or a difference.
.TP
\fB2\fR
Bad usage.
.SH ENVIRONMENT
.TP
\fBDATABASE_URL\fR
The database URL when neither \fB\-\-url\fR nor \fBurl\fR in the configuration file gives one.
.TP
\fBMIGRATE_CONFIG\fR
The configuration file when \fB\-c\fR is not given.
.TP
\fBMIGRATE_CACHE_DIR\fR
Where the header cache is kept (default \fI$XDG_CACHE_HOME/migrate\fR, else \fI~/.cache/migrate\fR); empty turns the cache off.
.TP
\fBEDITOR\fR, \fBVISUAL\fR
The editor \fBedit\fR opens (default \fBvi\fR).
.SH FILES
.TP
\fImigrate.toml\fR
The configuration file in the working directory; \fB${VAR}\fR and \fB${VAR:\-default}\fR in it are read from the environment.
.TP
\fI.env\fR
Variables loaded from the working directory first; it never overrides a variable that is already set.
.SH "SEE ALSO"
\fBmigrate man\fR \fICOMMAND\fR prints the page of one command, \fBmigrate\-\fR\fICOMMAND\fR(1).
.PP
\fBmigrate completions\fR prints the completion script of bash, zsh, fish, PowerShell or elvish.
"#;

#[derive(Args, Debug, Clone)]
pub(crate) struct Global {
    /// Configuration file (default: $MIGRATE_CONFIG, then ./migrate.toml)
    #[arg(short = 'c', long = "config", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL; wins over `url` in the config file and over DATABASE_URL
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// KEY=VALUE passed to templates (repeatable)
    #[arg(short = 'x', global = true, value_name = "KEY=VALUE")]
    pub x: Vec<String>,
    /// No progress lines
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// More detail: verbose listings, connection attempts, timings
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    /// Retry the first connection until the database accepts it (default 60 s)
    #[arg(long, global = true, value_name = "SECONDS", num_args = 0..=1, require_equals = true, default_missing_value = "60")]
    pub wait: Option<u64>,
    /// Seconds to wait for another migrate's lock on the database (default 60, or lock_timeout in migrate.toml)
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// How runs lock the database: auto, advisory, table or none (wins over lock in migrate.toml)
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    pub lock: Option<LockArg>,
    /// Output format of results (sarif and github: `lint` and `check` only)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// A database migrate may empty and fill to read schemas (wins over dev_url in the config file)
    #[arg(long, global = true, value_name = "URL")]
    pub dev_url: Option<String>,
    /// Run on a fleet: a [targets.NAME] set of the config file, a file of URLs (one a line), or - (stdin)
    #[arg(
        long,
        global = true,
        value_name = "NAME|FILE|-",
        conflicts_with = "url"
    )]
    pub targets: Option<String>,
    /// With --targets: how many targets at once (default 4, never more than targets)
    #[arg(long, global = true, value_name = "N", requires = "targets", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// With --targets: run the first K targets first, and the rest only when all of them succeeded
    #[arg(long, global = true, value_name = "K", requires = "targets", value_parser = clap::value_parser!(u32).range(1..))]
    pub canary: Option<u32>,
    /// With --targets: start no more targets after one fails (default: run them all, report at the end)
    #[arg(long, global = true, requires = "targets")]
    pub fail_fast: bool,
}

/// `--lock`: the lock modes of `lock` in migrate.toml.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockArg {
    /// The server's advisory lock where it has one that works, else table
    Auto,
    /// The server's own lock (pg_advisory_lock, GET_LOCK, SQLite's write lock)
    Advisory,
    /// A renewed lease in <version_table>_lock (works behind PgBouncer and on distributed SQL)
    Table,
    /// No lock at all: only safe when nothing else can run at the same time
    None,
}

impl From<LockArg> for migrate::dialect::LockMode {
    fn from(a: LockArg) -> Self {
        match a {
            LockArg::Auto => Self::Auto,
            LockArg::Advisory => Self::Advisory,
            LockArg::Table => Self::Table,
            LockArg::None => Self::None,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning (`lint` and `check`)
    Sarif,
    /// GitHub workflow annotation lines (`lint` and `check`)
    Github,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Create migrate.toml and a script folder (default `migrations`)
    Init {
        /// The script folder to create
        #[arg(default_value = "migrations")]
        directory: PathBuf,
        /// Template to use (see list-templates)
        #[arg(short = 't', long, default_value = "generic")]
        template: String,
    },
    /// List the templates `init` can use
    ListTemplates,
    /// Create a new revision file
    Revision {
        /// The revision's message
        #[arg(short = 'm', long)]
        message: Option<String>,
        /// Revision id to use instead of a random one
        #[arg(long)]
        rev_id: Option<String>,
        /// The revision the new one is based on (default: head; `base` for a new root)
        #[arg(long, default_value = "head")]
        head: String,
        /// Allow a parent that is not a head (a new branch)
        #[arg(long)]
        splice: bool,
        /// Branch label for the new revision
        #[arg(long)]
        branch_label: Vec<String>,
        /// Revision(s) or label(s) the new one depends on
        #[arg(long)]
        depends_on: Vec<String>,
        /// Version location to write the file into
        #[arg(long)]
        version_path: Option<PathBuf>,
        /// Write the upgrade and downgrade from the difference between the revisions and `schema`
        #[arg(long)]
        autogenerate: bool,
        /// With --autogenerate: compare with the configured database (at head) instead of the revisions replayed
        #[arg(long, requires = "autogenerate")]
        from_database: bool,
    },
    /// Create a revision that merges several heads
    Merge {
        /// The revisions to merge (e.g. `heads`)
        #[arg(required = true)]
        revisions: Vec<String>,
        #[arg(short = 'm', long)]
        message: Option<String>,
        #[arg(long)]
        branch_label: Vec<String>,
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Apply revisions up to a target
    Upgrade {
        /// Target: head, heads, an id, +N, label@head, … (FROM:TO with --sql)
        #[arg(allow_negative_numbers = true)]
        revision: String,
        /// Print the SQL instead of running it
        #[arg(long)]
        sql: bool,
        /// Recorded with each revision of the run in the audit log
        /// (`history --applied` shows it); accepted as Alembic accepts it
        #[arg(long)]
        tag: Option<String>,
        /// Continue a half-applied revision from the statement that failed
        #[arg(long)]
        resume: bool,
        /// Continue a revision interrupted during statement N after it: you
        /// checked that statement N did take effect
        #[arg(long, value_name = "N", conflicts_with = "resume")]
        resume_after: Option<usize>,
    },
    /// Revert revisions down to a target
    Downgrade {
        /// Target: -N, base, an id, label@-N, … (FROM:TO with --sql)
        #[arg(allow_negative_numbers = true)]
        revision: String,
        #[arg(long)]
        sql: bool,
        /// Recorded with each revision of the run in the audit log
        #[arg(long)]
        tag: Option<String>,
        /// Continue a half-applied downgrade from the statement that failed
        #[arg(long)]
        resume: bool,
        /// Continue a downgrade interrupted during statement N after it: you
        /// checked that statement N did take effect
        #[arg(long, value_name = "N", conflicts_with = "resume")]
        resume_after: Option<usize>,
    },
    /// Show the database's current revisions (-v: verbose)
    Current,
    /// List the revision graph, newest first
    History {
        /// Range [start]:[end]
        #[arg(short = 'r', long, allow_hyphen_values = true)]
        rev_range: Option<String>,
        /// Mark the database's current revisions
        #[arg(short = 'i', long)]
        indicate_current: bool,
        /// The database's audit log instead: every upgrade, downgrade and stamp run on it (-v: with the SQL)
        #[arg(long, conflicts_with_all = ["rev_range", "indicate_current"])]
        applied: bool,
    },
    /// Show the head revisions (-v: verbose)
    Heads {
        /// Leave out heads that are only dependency targets
        #[arg(long)]
        resolve_dependencies: bool,
    },
    /// Show the branch points (-v: verbose)
    Branches,
    /// Show one revision
    Show {
        #[arg(allow_hyphen_values = true)]
        revision: String,
    },
    /// Set the version table without running any SQL
    Stamp {
        // Negative numbers (`-1`) yes, but not `--sql`/`--purge` swallowed as revisions.
        #[arg(required = true, allow_negative_numbers = true)]
        revisions: Vec<String>,
        #[arg(long)]
        sql: bool,
        /// Empty the version table first
        #[arg(long)]
        purge: bool,
        /// Recorded with the stamp in the audit log
        #[arg(long)]
        tag: Option<String>,
    },
    /// Open a revision file in $EDITOR
    Edit { revision: String },
    /// Fail when the database is not at head or the graph is not sound
    Check {
        /// Graph checks only; no database
        #[arg(long)]
        offline: bool,
        /// Also report a database whose schema differs from what its revisions make
        #[arg(long, conflicts_with = "offline")]
        drift: bool,
        /// Also run `migrate test`'s round trip of every revision on a scratch database
        #[arg(long, conflicts_with = "offline")]
        test: bool,
    },
    /// Check revisions for statements that lock, rewrite, lose data or fail
    Lint {
        /// Revisions as for `history -r` (default: those the database has not applied)
        #[arg(allow_hyphen_values = true)]
        range: Option<String>,
        /// Every revision, applied or not
        #[arg(long, conflicts_with = "range")]
        all: bool,
        /// No database: every revision (or RANGE); the server's version and row counts unknown
        #[arg(long)]
        offline: bool,
    },
    /// Create the version table
    EnsureVersion {
        #[arg(long)]
        sql: bool,
    },
    /// Print the SQL that turns one schema into another
    Diff {
        /// migrations (default), schema, database, a database URL, or a .sql file
        #[arg(long, default_value = "migrations", value_name = "FROM")]
        from: String,
        /// schema (default), migrations, database, a database URL, or a .sql file
        #[arg(long, default_value = "schema", value_name = "TO")]
        to: String,
        /// Exit 1 when the two differ
        #[arg(long)]
        exit_code: bool,
    },
    /// Write the first revision from an existing database's schema, and stamp the database with it
    Baseline {
        /// The revision's message
        #[arg(short = 'm', long)]
        message: Option<String>,
        /// Revision id to use instead of a random one
        #[arg(long)]
        rev_id: Option<String>,
        /// Branch label for the revision
        #[arg(long)]
        branch_label: Vec<String>,
        /// Version location to write the file into
        #[arg(long)]
        version_path: Option<PathBuf>,
    },
    /// Upgrade, downgrade and upgrade each revision again on a scratch database, comparing schemas, and run its data checks
    Test {
        /// Range [start]:[end], as `history -r` takes it (default: every revision)
        #[arg(allow_hyphen_values = true)]
        range: Option<String>,
        /// Upgrades and data checks only, for histories without downgrades
        #[arg(long)]
        no_downgrade: bool,
    },
    /// Convert a project of another tool into a migrate project
    #[command(subcommand)]
    Import(ImportFrom),
}

/// The tools `import` converts from.
#[derive(Subcommand, Debug)]
pub(crate) enum ImportFrom {
    /// Convert an Alembic project: migrate.toml, and one SQL revision per Python revision, rendered by Alembic
    Alembic {
        /// The project's alembic.ini
        #[arg(default_value = "alembic.ini", value_name = "ALEMBIC_INI")]
        ini: PathBuf,
        /// Where migrate.toml and the `migrate` script folder go (default: beside alembic.ini)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The Python with the project's Alembic (default: .venv or venv beside alembic.ini, else python3)
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// The SQL dialect to render (default: from sqlalchemy.url)
        #[arg(long, value_parser = ["postgresql", "mysql", "mariadb", "sqlite"])]
        dialect: Option<String>,
        /// The version table env.py names (Alembic's default: alembic_version)
        #[arg(long, default_value = "alembic_version", value_name = "NAME")]
        version_table: String,
        /// The version table's schema, if env.py names one
        #[arg(long, value_name = "SCHEMA")]
        version_table_schema: Option<String>,
        /// Exit 0 even when revisions are left marked `-- migrate:todo`
        #[arg(long)]
        allow_todo: bool,
    },
}

/// One verb with its arguments, as the library takes them.
pub(crate) enum Verb {
    Init(InitArgs),
    ListTemplates,
    Revision(RevisionArgs),
    Merge(MergeArgs),
    Upgrade(RunArgs),
    Downgrade(RunArgs),
    Current { verbose: bool },
    History(HistoryArgs),
    Applied { verbose: bool },
    Heads(HeadsArgs),
    Branches { verbose: bool },
    Show(String),
    Stamp(StampArgs),
    Edit(String),
    Check(CheckArgs),
    Lint(LintArgs),
    EnsureVersion { sql: bool },
    Diff(DiffArgs),
    Baseline(RevisionArgs),
    Test(TestArgs),
    ImportAlembic(ImportArgs),
}

impl Verb {
    /// The verb as a fleet runs it, if it runs on databases.
    pub(crate) fn into_fleet(self) -> Option<FleetCommand> {
        Some(match self {
            Verb::Upgrade(a) => FleetCommand::Upgrade(a),
            Verb::Downgrade(a) => FleetCommand::Downgrade(a),
            Verb::Stamp(a) => FleetCommand::Stamp(a),
            Verb::Current { verbose } => FleetCommand::Current { verbose },
            Verb::Check(a) => FleetCommand::Check(a),
            Verb::Applied { verbose } => FleetCommand::Applied { verbose },
            _ => return None,
        })
    }
}

/// `-x KEY=VALUE` arguments as a map (a bare `KEY` is an empty value).
fn parse_x(args: &[String]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                map.insert(k.to_string(), v.to_string());
            }
            _ => {
                map.insert(a.clone(), String::new());
            }
        }
    }
    map
}

/// `--resume` and `--resume-after N` as the library takes them.
fn resume_from(resume: bool, after: Option<usize>) -> Option<Resume> {
    match (resume, after) {
        (_, Some(n)) => Some(Resume::After(n)),
        (true, None) => Some(Resume::AtFailed),
        (false, None) => None,
    }
}

impl Run {
    /// `--targets` with a command that does not run on databases, or runs
    /// without one (`--sql`, `check --offline`): a usage error.
    pub(crate) fn fleet_misuse(&self) -> Option<clap::Error> {
        self.global.targets.as_ref()?;
        let why = match &self.command {
            Command::Upgrade { sql: true, .. }
            | Command::Downgrade { sql: true, .. }
            | Command::Stamp { sql: true, .. } => {
                "--targets runs on databases, and --sql prints SQL without one; drop one of the two"
            }
            Command::Check { offline: true, .. } => {
                "--targets runs on databases, and check --offline reads none; drop one of the two"
            }
            Command::History { applied: false, .. } => {
                "--targets works with `history --applied` (each database's audit log); `history` alone reads only the revision files"
            }
            _ if matches!(self.global.format, Format::Sarif | Format::Github) => {
                "--targets reports a table or (with --format json) one JSON record per target, not SARIF or GitHub annotations; use --format json, or run check on one database for --format sarif|github"
            }
            Command::Upgrade { .. }
            | Command::Downgrade { .. }
            | Command::Stamp { .. }
            | Command::Current
            | Command::Check { .. }
            | Command::History { .. } => return None,
            _ => {
                "--targets works with upgrade, downgrade, stamp, current, check and history --applied, the commands that read or write a database; drop it for this command"
            }
        };
        Some(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, why))
    }

    /// `--format sarif` or `github` given to a command other than `lint`
    /// and `check`: the one message that refuses it.
    pub(crate) fn format_refusal(&self) -> Option<String> {
        let name = match self.global.format {
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Text | Format::Json => return None,
        };
        if matches!(self.command, Command::Lint { .. } | Command::Check { .. }) {
            return None;
        }
        Some(format!(
            "--format {name} is for `migrate lint` and `migrate check` only; use --format text or --format json here"
        ))
    }

    /// The global options and the verb, as typed values.
    pub(crate) fn into_parts(self, cwd: PathBuf) -> (Globals, Verb) {
        let g = self.global;
        let verbose = g.verbose;
        let globals = Globals {
            cwd,
            config_path: g.config,
            url: g.url,
            x: parse_x(&g.x),
            quiet: g.quiet,
            verbose,
            wait: g.wait.map(Duration::from_secs),
            lock_timeout: g.lock_timeout.map(Duration::from_secs),
            lock: g.lock.map(Into::into),
            json: g.format == Format::Json,
            report: match g.format {
                Format::Text => Report::Text,
                Format::Json => Report::Json,
                Format::Sarif => Report::Sarif,
                Format::Github => Report::Github,
            },
            dev_url: g.dev_url,
            fleet: g.targets.map(|targets| FleetArgs {
                targets,
                jobs: g.jobs.map(usize::from),
                canary: g.canary.and_then(|k| usize::try_from(k).ok()),
                fail_fast: g.fail_fast,
            }),
        };
        let verb = match self.command {
            Command::Init {
                directory,
                template,
            } => Verb::Init(InitArgs {
                directory,
                template,
            }),
            Command::ListTemplates => Verb::ListTemplates,
            Command::Revision {
                message,
                rev_id,
                head,
                splice,
                branch_label,
                depends_on,
                version_path,
                autogenerate,
                from_database,
            } => Verb::Revision(RevisionArgs {
                message,
                rev_id,
                head,
                splice,
                branch_labels: branch_label,
                depends_on,
                version_path,
                autogenerate,
                from_database,
            }),
            Command::Merge {
                revisions,
                message,
                branch_label,
                rev_id,
            } => Verb::Merge(MergeArgs {
                revisions,
                message,
                branch_labels: branch_label,
                rev_id,
            }),
            Command::Upgrade {
                revision,
                sql,
                tag,
                resume,
                resume_after,
            } => Verb::Upgrade(RunArgs {
                target: revision,
                sql,
                resume: resume_from(resume, resume_after),
                tag,
            }),
            Command::Downgrade {
                revision,
                sql,
                tag,
                resume,
                resume_after,
            } => Verb::Downgrade(RunArgs {
                target: revision,
                sql,
                resume: resume_from(resume, resume_after),
                tag,
            }),
            Command::Current => Verb::Current { verbose },
            Command::History { applied: true, .. } => Verb::Applied { verbose },
            Command::History {
                rev_range,
                indicate_current,
                ..
            } => Verb::History(HistoryArgs {
                range: rev_range,
                verbose,
                indicate_current,
            }),
            Command::Heads {
                resolve_dependencies,
            } => Verb::Heads(HeadsArgs {
                verbose,
                resolve_dependencies,
            }),
            Command::Branches => Verb::Branches { verbose },
            Command::Show { revision } => Verb::Show(revision),
            Command::Stamp {
                revisions,
                sql,
                purge,
                tag,
            } => Verb::Stamp(StampArgs {
                revisions,
                sql,
                purge,
                tag,
            }),
            Command::Edit { revision } => Verb::Edit(revision),
            Command::Check {
                offline,
                drift,
                test,
            } => Verb::Check(CheckArgs {
                offline,
                drift,
                test,
            }),
            Command::Lint {
                range,
                all,
                offline,
            } => Verb::Lint(LintArgs {
                range,
                all,
                offline,
            }),
            Command::EnsureVersion { sql } => Verb::EnsureVersion { sql },
            Command::Diff {
                from,
                to,
                exit_code,
            } => Verb::Diff(DiffArgs {
                from: Side::parse(&from),
                to: Side::parse(&to),
                exit_code,
            }),
            Command::Baseline {
                message,
                rev_id,
                branch_label,
                version_path,
            } => Verb::Baseline(RevisionArgs {
                message,
                rev_id,
                branch_labels: branch_label,
                version_path,
                ..RevisionArgs::default()
            }),
            Command::Test {
                range,
                no_downgrade,
            } => Verb::Test(TestArgs {
                range,
                no_downgrade,
            }),
            Command::Import(ImportFrom::Alembic {
                ini,
                out,
                python,
                dialect,
                version_table,
                version_table_schema,
                allow_todo,
            }) => Verb::ImportAlembic(ImportArgs {
                ini: Some(ini),
                out,
                python,
                dialect,
                version_table,
                version_table_schema,
                allow_todo,
            }),
        };
        (globals, verb)
    }
}
