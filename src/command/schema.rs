//! The schemas commands compare, each read from a real server's catalog:
//! what the revisions make (replayed on a scratch database), the desired
//! schema (`schema` in migrate.toml, applied to a scratch database), the
//! configured database itself (read, never written), another database by
//! URL, or a `.sql` file. And the one place that turns two of them into the
//! SQL between them.

use super::{Ctx, Target};
use crate::dialect::{self, own_tables, Database};
use crate::progress::Progress;
use crate::runtime::{RunError, RunOptions};
use crate::schema::{self, Catalog, Migration, Renames};
use crate::scratch::Scratch;
use crate::script::ScriptDirectory;
use crate::target::Access;
use crate::url;
use crate::Kind;
use anyhow::{anyhow, bail, Context as _, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// What the revisions make, replayed up to these revisions (`None`: the heads).
    Migrations(Option<Vec<String>>),
    /// The desired schema (`schema` in migrate.toml).
    Schema,
    /// The configured database, as it is.
    Database,
    /// Another database.
    Url(String),
    /// A schema file.
    File(PathBuf),
}

impl Side {
    /// `migrations`, `schema`, `database`, a URL, or a `.sql` file.
    pub fn parse(s: &str) -> Side {
        match s {
            "migrations" => Side::Migrations(None),
            "schema" => Side::Schema,
            "database" => Side::Database,
            _ if s.contains("://") => Side::Url(s.to_string()),
            _ => Side::File(PathBuf::from(s)),
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Side::Migrations(None) => f.write_str("migrations"),
            Side::Migrations(Some(revs)) if revs.is_empty() => f.write_str("migrations at base"),
            Side::Migrations(Some(revs)) => write!(f, "migrations at {}", revs.join(", ")),
            Side::Schema => f.write_str("schema"),
            Side::Database => f.write_str("database"),
            Side::Url(u) => f.write_str(&url::redact(u)),
            Side::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A schema read, and the renames its files ask for.
pub(crate) struct Read {
    pub catalog: Catalog,
    pub renames: Renames,
}

/// Reads schemas for one command: the scratch database (made when first
/// needed, dropped when this goes) and the project.
pub(crate) struct Reader<'c, 'a> {
    ctx: &'c Ctx<'a>,
    scratch: Option<Scratch>,
}

impl<'c, 'a> Reader<'c, 'a> {
    pub(crate) fn new(ctx: &'c Ctx<'a>) -> Self {
        Reader { ctx, scratch: None }
    }

    fn kind(&self) -> Result<Kind> {
        Ok(self.ctx.target()?.url.kind)
    }

    fn own(&self) -> Result<Vec<schema::model::QName>> {
        let t = self.ctx.target()?;
        Ok(own_tables(
            &t.version_table,
            &t.settings.log_table,
            t.url.kind,
        ))
    }

    /// The scratch database, emptied and ready to fill.
    fn scratch(&mut self) -> Result<&Scratch> {
        match &self.scratch {
            Some(s) => s.empty()?,
            None => self.scratch = Some(new_scratch(self.ctx)?),
        }
        self.scratch
            .as_ref()
            .ok_or_else(|| anyhow!("no scratch database"))
    }

    /// Reads one side.
    pub(crate) fn read(&mut self, side: &Side, scripts: &ScriptDirectory) -> Result<Read> {
        if crate::interrupt::interrupted() {
            bail!("interrupted (Ctrl-C) before reading the {side} schema");
        }
        let ctx = self.ctx;
        let kind = self.kind()?;
        let own = self.own()?;
        let mut renames = Renames::default();
        let catalog = match side {
            Side::Database => {
                let mut mc = self.ctx.reader()?;
                mc.db().read_catalog(&own)?
            }
            Side::Url(u) => {
                let parsed = url::parse(u)?;
                if parsed.kind != kind {
                    bail!(
                        "{} is a {} database, but this project's is {}: schemas are compared on one kind of database",
                        url::redact(u),
                        parsed.kind.name(),
                        kind.name()
                    );
                }
                let mut t = self.ctx.target()?.clone();
                t.display = url::redact(u);
                t.url = parsed;
                let mut mc = self.ctx.open(&t, Access::Read, self.ctx.progress(false))?;
                mc.db().read_catalog(&own)?
            }
            Side::Migrations(upto) => {
                let scratch = self.scratch()?;
                let target = scratch_target(ctx.target()?, scratch);
                replay(ctx, &target, scripts, upto.as_deref())?;
                scratch.connect()?.read_catalog(&own)?
            }
            Side::Schema | Side::File(_) => {
                let files = match side {
                    Side::File(p) => vec![self.ctx.globals.cwd.join(p)],
                    _ => {
                        let config = self.ctx.config()?;
                        if config.schema.is_empty() {
                            bail!(
                                "no desired schema: set `schema` in {} to the .sql file (or folder) of the schema you want, e.g. `schema = \"schema.sql\"`",
                                config
                                    .file
                                    .as_ref()
                                    .map_or("migrate.toml".to_string(), |f| f.display().to_string())
                            );
                        }
                        config.schema.clone()
                    }
                };
                let texts = schema_texts(&files)?;
                let scratch = self.scratch()?;
                let mut db = scratch.connect()?;
                for (path, text) in &texts {
                    apply_schema_file(ctx, db.as_mut(), path, text)?;
                    let default_schema = (kind == Kind::Postgres).then_some("public");
                    let r = schema::renames::parse(text, kind, default_schema)
                        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                    renames.tables.extend(r.tables);
                    renames.columns.extend(r.columns);
                }
                db.read_catalog(&own)?
            }
        };
        Ok(Read { catalog, renames })
    }
}

/// The scratch database of a command: `--dev-url`, else `dev_url` in
/// migrate.toml, else a temporary database beside the configured one.
pub(super) fn new_scratch(ctx: &Ctx<'_>) -> Result<Scratch> {
    let config = ctx.config()?;
    let target = ctx.target()?;
    let dev = match (&ctx.globals.dev_url, config.dev_url()?) {
        (Some(flag), _) => Some(url::parse(flag)?),
        (None, Some(file)) => Some(url::parse(file)?),
        (None, None) => None,
    };
    Ok(Scratch::new(&target.url, dev.as_ref(), &target.cwd)?)
}

/// A target on the scratch database, with the project's version table.
pub(super) fn scratch_target(project: &Target, scratch: &Scratch) -> Target {
    let mut t = project.clone();
    t.url = scratch.url.clone();
    t.display = scratch.display.clone();
    t
}

/// Runs the revisions on the scratch database up to `upto` (the heads when `None`).
fn replay(
    ctx: &Ctx<'_>,
    target: &Target,
    scripts: &ScriptDirectory,
    upto: Option<&[String]>,
) -> Result<()> {
    let heads: Vec<String> = match upto {
        Some(revs) => revs.to_vec(),
        None => vec!["heads".to_string()],
    };
    for dest in heads {
        let quiet = Progress::new(Box::new(std::io::sink()), true);
        let mut mc = ctx.open(target, Access::Write, quiet)?;
        mc.disposable()?;
        let opts = RunOptions {
            resume: None,
            replan: true,
            verb: "upgrade",
        };
        mc.run_steps(scripts, &opts, |rows| {
            scripts
                .map
                .upgrade_plan(rows, &dest)
                .map_err(RunError::Graph)
        })
        .with_context(|| {
            format!(
                "replaying the revisions on a scratch database ({})",
                target.display
            )
        })?;
    }
    Ok(())
}

/// The texts of the schema's files: each path a `.sql` file, or a folder
/// whose `*.sql` files are read in name order.
pub(crate) fn schema_texts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading the schema folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "sql") && f.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("the schema folder {} holds no .sql file", p.display());
            }
            for f in files {
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("reading the schema file {}", f.display()))?;
                out.push((f, text));
            }
        } else {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the schema file {}", p.display()))?;
            out.push((p.clone(), text));
        }
    }
    Ok(out)
}

/// A client command line of a dump that is not SQL: psql's backslash
/// commands (`\restrict` and `\unrestrict` that pg_dump writes, `\connect`).
fn is_client_command(line: &str, kind: Kind) -> bool {
    kind == Kind::Postgres && line.trim_start().starts_with('\\')
}

/// True for a statement a dump holds that creates an internal table of the
/// server (`sqlite3 .schema` prints `CREATE TABLE sqlite_sequence(...)`,
/// which SQLite makes by itself and refuses to be given).
fn is_internal(sql: &str, kind: Kind) -> bool {
    kind == Kind::Sqlite && {
        let words: Vec<String> = sql
            .split_whitespace()
            .take(3)
            .map(str::to_ascii_lowercase)
            .collect();
        words.len() == 3
            && words[0] == "create"
            && words[1] == "table"
            && words[2]
                .trim_matches(['"', '`', '[', ']'])
                .starts_with("sqlite_")
    }
}

/// True for a statement about ownership or privileges (a dump's `OWNER TO`,
/// `GRANT`, `REVOKE`), which are not compared.
fn is_ownership(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    upper.starts_with("GRANT ")
        || upper.starts_with("REVOKE ")
        || (upper.starts_with("ALTER ") && upper.contains(" OWNER TO "))
}

/// Runs a schema file's statements on `db`, as its database's client would:
/// client command lines are left out, and ownership or privileges for roles
/// the server lacks are skipped with a note.
fn apply_schema_file(ctx: &Ctx<'_>, db: &mut dyn Database, path: &Path, text: &str) -> Result<()> {
    let kind = db.kind();
    // Client commands out, line numbers kept.
    let cleaned: String = text
        .lines()
        .map(|l| if is_client_command(l, kind) { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let statements = crate::sql::split(&cleaned, kind)
        .map_err(|e| anyhow!("{}: cannot split the schema: {e}", path.display()))?;
    let stop = || crate::interrupt::interrupted();
    for s in statements {
        if crate::interrupt::interrupted() {
            bail!("interrupted (Ctrl-C) while applying {}", path.display());
        }
        if is_internal(&s.text, kind) {
            continue;
        }
        // A scratch database is disposable: Ctrl-C stops any statement at once.
        let cancel = db.canceller();
        let result = crate::interrupt::cancellable(cancel, || {
            if s.compound {
                db.execute_compound(&s.text)
            } else {
                db.execute(&s.text)
            }
        });
        if let Err(e) = result {
            if crate::interrupt::interrupted() {
                bail!("interrupted (Ctrl-C) while applying {}", path.display());
            }
            if is_ownership(&s.text) {
                ctx.say(&format!(
                    "{}:{}: skipped `{}`: {e} (ownership and privileges are not compared)",
                    path.display(),
                    s.line,
                    crate::runtime::error::excerpt(&s.text)
                ));
                continue;
            }
            bail!(
                "{}:{}:{}: the desired schema's statement failed on the scratch database: {e}\n  {}\nFix the schema file; it must run on an empty database",
                path.display(),
                s.line,
                s.column,
                crate::runtime::error::excerpt(&s.text)
            );
        }
    }
    if stop() {
        bail!("interrupted (Ctrl-C) while applying {}", path.display());
    }
    Ok(())
}

/// The SQL from `from` to `to` on the project's database, with the renames
/// `to` asks for (and the reverse for the way back).
pub(crate) fn between(
    kind: Kind,
    from: &Catalog,
    to: &Catalog,
    renames: &Renames,
) -> Result<Migration> {
    let ddl = dialect::dialect_of(kind).ddl();
    Ok(schema::migration(from, to, renames, ddl)?)
}

/// A revision section: the warnings as `-- WARNING:` lines, then the statements.
pub(crate) fn section_text(m: &Migration) -> String {
    let mut out = String::new();
    for w in &m.warnings {
        out.push_str(&format!("-- WARNING: {w}\n"));
    }
    if !m.warnings.is_empty() && !m.statements.is_empty() {
        out.push('\n');
    }
    for (i, s) in m.statements.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(s);
        out.push_str(";\n");
    }
    out.trim_end().to_string()
}
