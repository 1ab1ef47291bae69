//! One function per verb, named as Alembic names them. Orchestration only:
//! load the config and the scripts, connect, hand the work to `runtime`, and
//! write results to the injected writer. Progress lines go to the context's
//! progress writer (stderr); errors go back to `main`.

use crate::config::{self, Config, LoadOptions};
use crate::dialect::{self, offline::Offline, ConnectOptions, Database, LockKey, VersionTable};
use crate::runtime::audit::{self, LogRow};
pub use crate::runtime::Resume;
use crate::runtime::{diff, MigrationContext, RunOptions, RunSettings, StepReport};
use crate::script::revision::{Direction, MigrationStep, RevRange, RevisionInfo, Target};
use crate::script::{self, display, ScriptDirectory};
use crate::template;
use crate::url::{self, DbUrl, Kind};
use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Everything a command needs from its caller: where to write, and the global options.
pub struct Ctx<'a> {
    /// Results (stdout).
    pub out: &'a mut dyn Write,
    /// Progress lines (stderr); silenced by `quiet`.
    pub progress: fn() -> Box<dyn Write>,
    pub cwd: PathBuf,
    pub config_path: Option<PathBuf>,
    pub url: Option<String>,
    pub x: BTreeMap<String, String>,
    pub quiet: bool,
    pub verbose: bool,
    pub wait: Option<Duration>,
    pub lock_timeout: Option<Duration>,
    pub json: bool,
    /// Reads an environment variable (injected so tests can control it).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Ctx<'_> {
    fn say(&self, line: &str) {
        if !self.quiet {
            let mut w = (self.progress)();
            let _ = writeln!(w, "{line}");
        }
    }

    fn load_config(&self) -> Result<Config> {
        let c = config::load(
            &LoadOptions {
                config_path: self.config_path.clone(),
                url: self.url.clone(),
                require_file: true,
            },
            &self.cwd,
            self.env,
        )?;
        Ok(c)
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
}

/// The scripts, kept until the process ends: one command runs per process, and
/// freeing thousands of parsed revisions one by one on the way out cost 13% of
/// the instructions of `heads` at 10,000 revisions (callgrind).
fn load_scripts(config: &Config) -> Result<&'static ScriptDirectory> {
    Ok(Box::leak(Box::new(ScriptDirectory::load(config)?)))
}

/// The graph without SQL, for the commands that only inspect it: unchanged
/// files come from the header cache (`script::cache`).
fn load_headers(ctx: &Ctx<'_>, config: &Config) -> Result<&'static ScriptDirectory> {
    let dir = crate::script::cache::cache_dir(ctx.env);
    Ok(Box::leak(Box::new(ScriptDirectory::load_headers(
        config,
        dir.as_deref(),
    )?)))
}

fn version_table(config: &Config) -> VersionTable {
    VersionTable {
        name: config.version_table.clone(),
        schema: config.version_table_schema.clone(),
    }
}

fn parse_url(config: &Config) -> Result<(DbUrl, String)> {
    let raw = config.require_url()?;
    let parsed = url::parse(raw)?;
    Ok((parsed, url::redact(raw)))
}

fn lock_key(u: &DbUrl, config: &Config, cwd: &Path) -> LockKey {
    let db = match u.kind {
        Kind::Sqlite => u
            .sqlite_path
            .as_ref()
            .map(|p| cwd.join(p).display().to_string())
            .unwrap_or_default(),
        _ => format!(
            "{}:{}",
            u.host.as_deref().unwrap_or(""),
            u.database.as_deref().unwrap_or("")
        ),
    };
    LockKey::new(
        &db,
        config.version_table_schema.as_deref(),
        &config.version_table,
    )
}

/// How to connect to `u` (`display`: the redacted URL).
fn connect_options<'a>(
    ctx: &'a Ctx<'_>,
    config: &Config,
    u: &'a DbUrl,
    display: &str,
) -> ConnectOptions<'a> {
    ConnectOptions {
        url: u,
        display: display.to_string(),
        cwd: &ctx.cwd,
        busy_timeout: lock_timeout(ctx, config),
    }
}

/// Connects, retrying with backoff while `--wait` allows and the failure is one
/// that can pass. Each attempt is bounded by the URL's `connect_timeout`, so a
/// server that never answers fails within about `--wait` plus one attempt.
fn connect(ctx: &Ctx<'_>, config: &Config) -> Result<(Box<dyn Database>, DbUrl, String)> {
    let (u, display) = parse_url(config)?;
    let opts = connect_options(ctx, config, &u, &display);
    let start = Instant::now();
    let mut attempt = 0u32;
    let mut delay = Duration::from_millis(100);
    loop {
        attempt += 1;
        if ctx.verbose {
            ctx.say(&format!("Connecting to {display} (attempt {attempt})"));
        }
        match dialect::connect(&opts) {
            Ok(db) => {
                if ctx.verbose && attempt > 1 {
                    ctx.say(&format!("Connected to {display} on attempt {attempt}"));
                }
                return Ok((db, u, display));
            }
            Err(e) => {
                let Some(wait) = ctx.wait else {
                    bail!("{}", url::redact(&e.message));
                };
                let elapsed = start.elapsed();
                if !e.retryable || elapsed >= wait {
                    if e.retryable {
                        bail!(
                            "gave up after {attempt} connection attempt{} over {:.1} s (--wait={}): {}",
                            if attempt == 1 { "" } else { "s" },
                            elapsed.as_secs_f64(),
                            wait.as_secs(),
                            url::redact(&e.message)
                        );
                    }
                    bail!("{}", url::redact(&e.message));
                }
                let pause = delay.min(wait - elapsed);
                if ctx.verbose {
                    ctx.say(&format!(
                        "Attempt {attempt} to connect to {display} failed: {}; retrying in {} ms",
                        url::redact(&e.message),
                        pause.as_millis()
                    ));
                }
                std::thread::sleep(pause);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
        }
    }
}

fn lock_timeout(ctx: &Ctx<'_>, config: &Config) -> Duration {
    ctx.lock_timeout
        .or(config.lock_timeout.map(Duration::from_secs))
        .unwrap_or(Duration::from_secs(60))
}

fn settings(ctx: &Ctx<'_>, config: &Config) -> RunSettings {
    RunSettings {
        transaction_per_migration: config.transaction_per_migration,
        lock_timeout: lock_timeout(ctx, config),
        quiet: ctx.quiet,
        log_table: config.log_table_name(),
    }
}

/// An online migration context; `writing` ones get the lock's own connection
/// where the database needs one (MySQL).
fn online(ctx: &Ctx<'_>, config: &Config, writing: bool) -> Result<(MigrationContext, String)> {
    let (db, u, display) = connect(ctx, config)?;
    let key = lock_key(&u, config, &ctx.cwd);
    let mut mc = MigrationContext::new(
        db,
        version_table(config),
        key,
        settings(ctx, config),
        (ctx.progress)(),
    );
    if writing && u.kind.lock_on_own_connection() {
        let opts = connect_options(ctx, config, &u, &display);
        let lock_db = dialect::connect(&opts).map_err(|e| {
            anyhow!(
                "opening the connection that holds the migration lock: {}",
                url::redact(&e.message)
            )
        })?;
        mc = mc.with_lock_connection(lock_db);
    }
    Ok((mc, display))
}

/// An offline (`--sql`) context writing to stdout; the dialect comes from the URL's scheme.
fn offline(ctx: &Ctx<'_>, config: &Config, start: Option<Vec<String>>) -> Result<MigrationContext> {
    let (u, _) = parse_url(config)?;
    // As Alembic: starting from base (`upgrade base:head`, no range) includes the CREATE TABLE.
    let table_exists = start.as_ref().is_some_and(|s| !s.is_empty());
    let db = Offline::new(u.kind, Box::new(std::io::stdout()), table_exists);
    let key = lock_key(&u, config, &ctx.cwd);
    let mut mc = MigrationContext::new(
        Box::new(db),
        version_table(config),
        key,
        settings(ctx, config),
        (ctx.progress)(),
    );
    mc.assumed_heads = start;
    Ok(mc)
}

fn print_summary(
    ctx: &mut Ctx<'_>,
    verb: &str,
    reports: &[StepReport],
    started: Instant,
) -> Result<()> {
    if ctx.json {
        ctx.json_out(&json!({
            "command": verb,
            "steps": reports,
            "seconds": started.elapsed().as_secs_f64(),
        }))?;
    } else if ctx.verbose {
        ctx.say(&format!(
            "{} revision(s) in {:.3} s",
            reports.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- init

/// `init [DIR] [-t TEMPLATE]`
pub fn init(ctx: &mut Ctx<'_>, directory: &Path, template_name: &str) -> Result<()> {
    let t = template::find(template_name).ok_or_else(|| {
        anyhow!(
            "No such template '{template_name}'; available: {} (see `migrate list-templates`)",
            template::TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let dir = ctx.cwd.join(directory);
    if dir.exists() {
        let non_empty = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if non_empty {
            bail!(
                "Directory {} already exists and is not empty; choose another folder (`migrate init OTHER`)",
                dir.display()
            );
        }
    } else {
        ctx.say(&format!("Creating directory {} ...  done", dir.display()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let versions = dir.join("versions");
    ctx.say(&format!(
        "Creating directory {} ...  done",
        versions.display()
    ));
    std::fs::create_dir_all(&versions)
        .with_context(|| format!("creating {}", versions.display()))?;
    let script = dir.join("script.sql.tera");
    ctx.say(&format!("Generating {} ...  done", script.display()));
    std::fs::write(&script, t.script).with_context(|| format!("writing {}", script.display()))?;

    let config_path = match &ctx.config_path {
        Some(p) => ctx.cwd.join(p),
        None => ctx.cwd.join("migrate.toml"),
    };
    if config_path.exists() {
        ctx.say(&format!(
            "File {} already exists, skipping",
            config_path.display()
        ));
    } else {
        let base = config_path.parent().unwrap_or(&ctx.cwd);
        let rel = relative_to(&dir, base);
        ctx.say(&format!("Generating {} ...  done", config_path.display()));
        std::fs::write(&config_path, t.render_config(&rel))
            .with_context(|| format!("writing {}", config_path.display()))?;
    }
    writeln!(
        ctx.out,
        "Please edit configuration/connection settings in {} before proceeding.",
        config_path.display()
    )?;
    Ok(())
}

/// `path` relative to `base` when it lies below it; else absolute.
fn relative_to(path: &Path, base: &Path) -> String {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, b) = (canon(path), canon(base));
    match p.strip_prefix(&b) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => p.display().to_string(),
    }
}

/// `list-templates`
pub fn list_templates(ctx: &mut Ctx<'_>) -> Result<()> {
    writeln!(ctx.out, "Available templates:\n")?;
    for t in template::TEMPLATES {
        writeln!(ctx.out, "{} - {}", t.name, t.description.trim())?;
    }
    writeln!(
        ctx.out,
        "\nTemplates are used via the 'init' command, e.g.:\n\n  migrate init --template generic ./migrations"
    )?;
    Ok(())
}

// ---------------------------------------------------------------- revision, merge

/// What `revision` and `merge` have in common.
struct NewRevision<'s> {
    message: Option<&'s str>,
    rev_id: Option<&'s str>,
    parents: Vec<String>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    version_path: Option<&'s Path>,
}

fn now_in(config: &Config) -> Result<(chrono::NaiveDateTime, String)> {
    let utc = chrono::Utc::now();
    let tz = config.timezone.trim();
    let (naive, suffix) = if tz.eq_ignore_ascii_case("utc") {
        (utc.naive_utc(), String::new())
    } else if tz.eq_ignore_ascii_case("local") {
        (chrono::Local::now().naive_local(), String::new())
    } else {
        let off: chrono::FixedOffset = tz.parse().map_err(|_| {
            anyhow!("timezone '{tz}' in migrate.toml is not UTC, local or an offset like +02:00")
        })?;
        (utc.with_timezone(&off).naive_local(), tz.to_string())
    };
    Ok((
        naive,
        format!("{}{suffix}", naive.format("%Y-%m-%d %H:%M:%S%.6f")),
    ))
}

fn generate(
    ctx: &mut Ctx<'_>,
    config: &Config,
    scripts: &ScriptDirectory,
    new: NewRevision<'_>,
) -> Result<()> {
    let rev = match new.rev_id {
        Some(r) => {
            if let Some(why) = script::file::check_revision_id(r) {
                bail!("--rev-id '{}' {why}", crate::text::escape_controls(r));
            }
            r.to_string()
        }
        None => loop {
            let r = script::new_rev_id();
            if scripts.script(&r).is_none() {
                break r;
            }
        },
    };
    if let Some(existing) = scripts.script(&rev) {
        bail!(
            "Revision {rev} is already present in {}; choose another --rev-id",
            existing.path.display()
        );
    }
    let message = new.message.unwrap_or("").to_string();
    let (now, create_date) = now_in(config)?;
    let dir = scripts
        .version_path_for(new.version_path, &ctx.cwd, &new.parents)
        .map_err(|e| anyhow!(e))?;
    let name = script::file_name(config, &rev, &message, now, chrono::Utc::now().timestamp())
        .map_err(|e| anyhow!(e))?;
    let shown_message = if message.is_empty() {
        "empty message".to_string()
    } else {
        message.clone()
    };
    // The graph must stay sound with the new revision; check before writing anything.
    scripts.check_with(RevisionInfo {
        id: rev.clone(),
        down_revisions: new.parents.clone(),
        branch_labels: new.branch_labels.clone(),
        depends_on: new.depends_on.clone(),
        doc: shown_message.clone(),
        longdoc: String::new(),
        path: dir.join(format!("{name}.sql")).display().to_string(),
        lines: Default::default(),
    })?;
    let (tpl_path, tpl) = scripts.script_template().map_err(|e| anyhow!(e))?;
    let text = template::render_revision(
        &tpl_path.display().to_string(),
        &tpl,
        &template::RevisionContext {
            message: shown_message,
            up_revision: rev.clone(),
            down_revision: new.parents,
            branch_labels: new.branch_labels,
            depends_on: new.depends_on,
            create_date,
            upgrades: String::new(),
            downgrades: String::new(),
            x: ctx.x.clone(),
        },
    )?;
    let path = script::write_new_revision(&dir, &name, &text, &rev).map_err(|e| anyhow!(e))?;
    if ctx.json {
        ctx.json_out(&json!({"revision": rev, "path": path.display().to_string()}))?;
    } else {
        writeln!(ctx.out, "Generating {} ...  done", path.display())?;
    }
    Ok(())
}

/// `revision -m MSG …`
#[allow(clippy::too_many_arguments)]
pub fn revision(
    ctx: &mut Ctx<'_>,
    message: Option<&str>,
    rev_id: Option<&str>,
    head: &str,
    splice: bool,
    branch_labels: &[String],
    depends_on: &[String],
    version_path: Option<&Path>,
) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_scripts(&config)?;
    let parents = scripts.map.new_revision_parents(head, splice)?;
    let depends_on = scripts.map.resolve_depends_on(depends_on)?;
    generate(
        ctx,
        &config,
        scripts,
        NewRevision {
            message,
            rev_id,
            parents,
            branch_labels: branch_labels.to_vec(),
            depends_on,
            version_path,
        },
    )
}

/// `merge REVS… -m MSG`
pub fn merge(
    ctx: &mut Ctx<'_>,
    revisions: &[String],
    message: Option<&str>,
    branch_labels: &[String],
    rev_id: Option<&str>,
) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_scripts(&config)?;
    let parents = scripts.map.merge_parents(revisions)?;
    generate(
        ctx,
        &config,
        scripts,
        NewRevision {
            message,
            rev_id,
            parents,
            branch_labels: branch_labels.to_vec(),
            depends_on: Vec::new(),
            version_path: None,
        },
    )
}

// ---------------------------------------------------------------- upgrade, downgrade, stamp

/// `upgrade TARGET [--sql] [--resume | --resume-after N]`
pub fn upgrade(ctx: &mut Ctx<'_>, target: &str, sql: bool, resume: Option<Resume>) -> Result<()> {
    run_revisions(ctx, Direction::Up, target, sql, resume)
}

/// `downgrade TARGET [--sql] [--resume | --resume-after N]`
pub fn downgrade(ctx: &mut Ctx<'_>, target: &str, sql: bool, resume: Option<Resume>) -> Result<()> {
    run_revisions(ctx, Direction::Down, target, sql, resume)
}

/// What `upgrade` and `downgrade` share: plan from the heads, run the steps.
fn run_revisions(
    ctx: &mut Ctx<'_>,
    direction: Direction,
    target: &str,
    sql: bool,
    resume: Option<Resume>,
) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_scripts(&config)?;
    let started = Instant::now();
    let (verb, up) = match direction {
        Direction::Up => ("upgrade", true),
        Direction::Down => ("downgrade", false),
    };
    let plan = |rows: &[String], dest: &str| -> Result<Vec<MigrationStep>> {
        Ok(if up {
            scripts.map.upgrade_plan(rows, dest)?
        } else {
            scripts.map.downgrade_plan(rows, dest)?
        })
    };
    let form = Target::new(target);
    if sql {
        if !up && !form.is_range() {
            bail!("downgrade with --sql requires <fromrev>:<torev>");
        }
        if resume.is_some() {
            bail!("--resume runs SQL on the database; it can't be used with --sql");
        }
        let (from, dest) = scripts.map.sql_range(target)?;
        let start = form.is_range().then(|| from.clone());
        let mut mc = offline(ctx, &config, start)?;
        mc.run_steps(scripts, &RunOptions::default(), |_| plan(&from, &dest))?;
        return Ok(());
    }
    if form.is_range() {
        bail!("Range revision not allowed (a FROM:TO range is for --sql only)");
    }
    let (mut mc, _) = online(ctx, &config, true)?;
    let opts = RunOptions {
        resume,
        replan: !form.is_relative(),
        verb,
    };
    let reports = mc.run_steps(scripts, &opts, |rows| plan(rows, target))?;
    drop(mc);
    print_summary(ctx, verb, &reports, started)
}

/// `stamp REV… [--sql] [--purge]`
pub fn stamp(ctx: &mut Ctx<'_>, revisions: &[String], sql: bool, purge: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_scripts(&config)?;
    if sql {
        if purge {
            bail!("Can't use --purge with --sql mode");
        }
        let mut start: Option<Vec<String>> = None;
        let mut dests = Vec::new();
        for r in revisions {
            if Target::new(r).is_range() {
                if start.is_some() {
                    bail!(
                        "Stamp operation with --sql only supports one starting revision at a time"
                    );
                }
                let (from, dest) = scripts.map.sql_range(r)?;
                start = Some(from);
                dests.push(dest);
            } else {
                dests.push(r.clone());
            }
        }
        let from = start.clone().unwrap_or_default();
        let mut mc = offline(ctx, &config, start)?;
        mc.run_stamp(scripts, false, revisions, |_| {
            Ok(scripts.map.stamp_plan(&from, &dests, false)?)
        })?;
        return Ok(());
    }
    let (mut mc, _) = online(ctx, &config, true)?;
    mc.run_stamp(scripts, purge, revisions, |rows| {
        Ok(scripts.map.stamp_plan(rows, revisions, purge)?)
    })
}

/// `ensure-version [--sql]`
pub fn ensure_version(ctx: &mut Ctx<'_>, sql: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let mut mc = if sql {
        offline(ctx, &config, None)?
    } else {
        online(ctx, &config, true)?.0
    };
    mc.start_writing()?;
    mc.finish_writing()
}

// ---------------------------------------------------------------- inspection

/// Reads the version table without writing anything.
fn db_heads(ctx: &Ctx<'_>, config: &Config) -> Result<(Vec<String>, String)> {
    let (mut mc, display) = online(ctx, config, false)?;
    Ok((mc.read_heads()?, display))
}

/// `current [-v]`
pub fn current(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_headers(ctx, &config)?;
    let (rows, display) = db_heads(ctx, &config)?;
    if ctx.json {
        let current = scripts.map.effective_current(&rows)?;
        let items: Vec<_> = current
            .iter()
            .filter_map(|id| scripts.map.get(id))
            .map(|r| display::revision_json(&scripts.map, r, Some(&rows)))
            .collect();
        return ctx.json_out(&json!({"url": display, "rows": rows, "current": items}));
    }
    if verbose {
        writeln!(ctx.out, "Current revision(s) for {display}:")?;
    }
    let lines = display::current_lines(&scripts.map, &rows, verbose)?;
    ctx.lines_out(&lines)
}

/// `history [-r RANGE] [-v] [-i]`
pub fn history(
    ctx: &mut Ctx<'_>,
    range: Option<&str>,
    verbose: bool,
    indicate_current: bool,
) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_headers(ctx, &config)?;
    let range = range.map(RevRange::parse).transpose()?;
    let needs_db = indicate_current || range.is_some_and(RevRange::mentions_current);
    let rows = if needs_db {
        db_heads(ctx, &config)?.0
    } else {
        Vec::new()
    };
    let revs = scripts.map.history_of(range, &rows)?;
    // Alembic marks the version-table rows, not the effective heads.
    let current: Option<Vec<String>> = indicate_current.then(|| rows.clone());
    if ctx.json {
        let items: Vec<_> = revs
            .iter()
            .map(|r| display::revision_json(&scripts.map, r, current.as_deref()))
            .collect();
        return ctx.json_out(&json!(items));
    }
    let mut lines = Vec::with_capacity(revs.len());
    for r in revs {
        if verbose {
            lines.push(display::log_entry(
                &scripts.map,
                r,
                current.as_ref().is_some_and(|c| c.contains(&r.id)),
            ));
        } else {
            lines.push(display::history_line(&scripts.map, r, current.as_deref()));
        }
    }
    ctx.lines_out(&lines)
}

fn revision_json(scripts: &ScriptDirectory, r: &RevisionInfo) -> serde_json::Value {
    display::revision_json(&scripts.map, r, None)
}

/// `heads [-v] [--resolve-dependencies]`
pub fn heads(ctx: &mut Ctx<'_>, verbose: bool, resolve_dependencies: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_headers(ctx, &config)?;
    if ctx.json {
        let ids = if resolve_dependencies {
            scripts.map.heads()
        } else {
            scripts.map.versioned_heads()
        };
        let items: Vec<_> = ids
            .iter()
            .filter_map(|id| scripts.map.get(id))
            .map(|r| revision_json(scripts, r))
            .collect();
        return ctx.json_out(&json!(items));
    }
    let lines = display::heads_lines(&scripts.map, verbose, resolve_dependencies);
    ctx.lines_out(&lines)
}

/// `branches [-v]`
pub fn branches(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_headers(ctx, &config)?;
    if ctx.json {
        return ctx.json_out(&display::branches_json(&scripts.map));
    }
    let lines = display::branches_lines(&scripts.map, verbose);
    ctx.lines_out(&lines)
}

/// `show REV`
pub fn show(ctx: &mut Ctx<'_>, rev: &str) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_headers(ctx, &config)?;
    let rows = if Target::new(rev).is_current() {
        db_heads(ctx, &config)?.0
    } else {
        Vec::new()
    };
    let revs = scripts.map.show(rev, &rows)?;
    if ctx.json {
        let items: Vec<_> = revs.iter().map(|r| revision_json(scripts, r)).collect();
        return ctx.json_out(&json!(items));
    }
    let mut lines = Vec::new();
    for r in revs {
        lines.push(display::log_entry(&scripts.map, r, false));
    }
    ctx.lines_out(&lines)
}

/// `edit REV`
pub fn edit(ctx: &mut Ctx<'_>, rev: &str) -> Result<()> {
    let config = ctx.load_config()?;
    let scripts = load_scripts(&config)?;
    let rows = if Target::new(rev).is_current() {
        db_heads(ctx, &config)?.0
    } else {
        Vec::new()
    };
    let revs: Vec<String> = scripts
        .map
        .show(rev, &rows)?
        .iter()
        .map(|r| r.id.clone())
        .collect();
    if revs.is_empty() {
        bail!("No revision files indicated by symbol '{rev}'");
    }
    let editor = (ctx.env)("EDITOR")
        .or_else(|| (ctx.env)("VISUAL"))
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    for id in revs {
        let Some(s) = scripts.script(&id) else {
            continue;
        };
        let mut parts = editor.split_whitespace();
        let program = parts.next().unwrap_or("vi");
        let status = std::process::Command::new(program)
            .args(parts)
            .arg(&s.path)
            .status()
            .with_context(|| format!("starting the editor '{editor}' (set $EDITOR)"))?;
        if !status.success() {
            bail!("the editor '{editor}' exited with {status}");
        }
    }
    Ok(())
}

/// One problem `check` found.
#[derive(serde::Serialize)]
struct Problem {
    /// `graph`, `multiple_heads`, `unknown_revision`, `not_at_head`, `changed`, `half_applied`.
    kind: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    revisions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// For `changed`: a unified diff from the SQL that ran to the file now.
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

impl Problem {
    fn new(kind: &'static str, message: String) -> Problem {
        Problem {
            kind,
            message,
            revisions: Vec::new(),
            path: None,
            diff: None,
        }
    }
}

/// `check [--offline]`: every problem at once; exit 1 when there is any.
pub fn check(ctx: &mut Ctx<'_>, offline_only: bool) -> Result<bool> {
    let config = ctx.load_config()?;
    let mut problems: Vec<Problem> = Vec::new();
    let scripts = match ScriptDirectory::load(&config) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors.0 {
                problems.push(Problem::new("graph", e.to_string()));
            }
            None
        }
    };
    if let Some(scripts) = &scripts {
        let heads = scripts.map.heads();
        if heads.len() > 1 {
            let mut p = Problem::new(
                "multiple_heads",
                format!(
                    "the revision graph has {} heads ({}); join them with `migrate merge heads -m \"merge\"`",
                    heads.len(),
                    heads.join(", ")
                ),
            );
            p.revisions = heads.iter().map(|h| h.to_string()).collect();
            problems.push(p);
        }
        if !offline_only {
            check_database(ctx, &config, scripts, &mut problems)?;
        }
    }
    if ctx.json {
        ctx.json_out(&json!({
            "ok": problems.is_empty(),
            "offline": offline_only,
            "revisions": scripts.as_ref().map_or(0, |s| s.scripts.len()),
            "problems": problems,
        }))?;
    } else if problems.is_empty() {
        writeln!(
            ctx.out,
            "OK: {} revision(s), one head{}",
            scripts.as_ref().map_or(0, |s| s.scripts.len()),
            if offline_only {
                " (graph only: --offline)"
            } else {
                ", database at head, no applied revision changed, none half-applied"
            }
        )?;
    } else {
        for p in &problems {
            writeln!(ctx.out, "FAILED: {}", p.message)?;
            if let Some(d) = &p.diff {
                for line in d.lines() {
                    writeln!(ctx.out, "    {line}")?;
                }
            }
        }
        writeln!(ctx.out, "{} problem(s) found", problems.len())?;
    }
    Ok(problems.is_empty())
}

/// The checks that need the database: where it is, what ran, what failed. Never writes.
fn check_database(
    ctx: &Ctx<'_>,
    config: &Config,
    scripts: &ScriptDirectory,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let (mut mc, _) = online(ctx, config, false)?;
    let rows = mc.read_heads()?;
    let kind = mc.kind();
    let unknown: Vec<String> = rows
        .iter()
        .filter(|r| scripts.map.get(r).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let mut p = Problem::new(
            "unknown_revision",
            format!(
                "the database is at revision(s) no file has: {}; restore the file(s) (e.g. from version control), or if the database should be elsewhere, `migrate stamp --purge <rev>`",
                unknown.join(", ")
            ),
        );
        p.revisions = unknown.clone();
        problems.push(p);
    } else {
        let pending = scripts.map.upgrade_plan(&rows, "heads")?;
        if !pending.is_empty() {
            let ids: Vec<String> = pending.iter().map(|s| s.revision.clone()).collect();
            let mut p = Problem::new(
                "not_at_head",
                format!(
                    "the database is not at head: {} revision(s) pending: {}; run `migrate upgrade heads`",
                    ids.len(),
                    ids.join(", ")
                ),
            );
            p.revisions = ids;
            problems.push(p);
        }
    }
    let log = mc.audit_rows()?;
    for row in log.iter().filter(|r| r.is_half_applied()) {
        let mut p = Problem::new(
            "half_applied",
            crate::runtime::half_applied_message(row, scripts, kind),
        );
        p.revisions = vec![row.revision.clone()];
        p.path = scripts
            .script(&row.revision)
            .map(|s| s.path.display().to_string());
        problems.push(p);
    }
    let applied = scripts.map.ancestors_of(&rows);
    for rev in applied {
        let Some(script) = scripts.script(&rev) else {
            continue;
        };
        // The newest finished record of the revision says what the database has.
        let Some(last) = log.iter().find(|r| {
            r.revision == rev
                && r.outcome == audit::OK
                && matches!(r.direction.as_str(), "upgrade" | "downgrade" | "stamp")
        }) else {
            continue;
        };
        if last.direction == "downgrade" || last.checksum.is_empty() {
            continue;
        }
        let now = audit::checksum(&script.file.upgrade.text);
        if now == last.checksum {
            continue;
        }
        let path = script.path.display().to_string();
        let verb = if last.direction == "stamp" {
            "was stamped"
        } else {
            "ran"
        };
        let d = diff::unified(
            &last.sql,
            &audit::normalize(&script.file.upgrade.text),
            &format!(
                "{rev} as it {verb} on {} (audit log row {})",
                last.started_at, last.id
            ),
            &format!("{path} now"),
            3,
        );
        let mut p = Problem::new(
            "changed",
            format!(
                "revision {rev} was edited since it {verb}: the upgrade section of {path} differs from the SQL that {verb} on {} (checksum {} then, {} now); the database has the old version. Undo the edit and put the change in a new revision (`migrate revision -m ...`), or if the database really matches the file, `migrate stamp {rev}` records the file as it is",
                last.started_at,
                short(&last.checksum),
                short(&now)
            ),
        );
        p.revisions = vec![rev.clone()];
        p.path = Some(path);
        p.diff = Some(d);
        problems.push(p);
    }
    Ok(())
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// `history --applied`: the audit log, newest first.
pub fn applied_history(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let config = ctx.load_config()?;
    let (mut mc, _) = online(ctx, &config, false)?;
    let rows = mc.audit_rows()?;
    if ctx.json {
        return ctx.json_out(&json!(rows));
    }
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        lines.push(applied_line(r));
        if verbose {
            lines.push(format!("    step: {}", r.step));
            if !r.message.is_empty() {
                lines.push(format!("    message: {}", r.message));
            }
            if !r.checksum.is_empty() {
                lines.push(format!("    checksum: sha256:{}", r.checksum));
            }
            lines.push(format!(
                "    started: {}, finished: {}",
                r.started_at,
                if r.finished_at.is_empty() {
                    "-"
                } else {
                    &r.finished_at
                }
            ));
            if !r.sql.is_empty() {
                lines.push("    sql:".to_string());
                for l in r.sql.lines() {
                    lines.push(format!("      {l}"));
                }
            }
        }
    }
    ctx.lines_out(&lines)
}

/// One line of `history --applied`.
fn applied_line(r: &LogRow) -> String {
    let mut outcome = r.outcome.clone();
    if !r.resolution.is_empty() {
        outcome = format!("{outcome} ({})", r.resolution);
    }
    let mut s = format!(
        "{}  {:<9} {:<12}  {}",
        r.started_at, r.direction, r.revision, outcome
    );
    if r.direction != "stamp" {
        s.push_str(&format!(
            ", {}/{} statements",
            r.statements_done, r.statements_total
        ));
    }
    if let Some(ms) = r.duration_ms {
        s.push_str(&format!(", {:.3} s", ms as f64 / 1000.0));
    }
    if let Some(n) = r.failed_statement {
        s.push_str(&format!(", failed at statement {n}"));
        if let Some(l) = r.failed_line {
            s.push_str(&format!(" (line {l})"));
        }
    }
    if !r.error.is_empty() {
        s.push_str(&format!(": {}", r.error.lines().next().unwrap_or("")));
    }
    if !r.db_user.is_empty() {
        s.push_str(&format!("  user {}", r.db_user));
    }
    if !r.client_host.is_empty() {
        s.push_str(&format!("  from {}", r.client_host));
    }
    s.push_str(&format!("  migrate {}", r.migrate_version));
    s
}
