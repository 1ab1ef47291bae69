//! `init`, `list-templates`, `revision` and `merge`: the commands that write
//! files and never connect.

use super::{CommandError, Ctx};
use crate::config::Config;
use crate::script::revision::RevisionInfo;
use crate::script::{self, ScriptDirectory};
use crate::template;
use anyhow::{anyhow, Context as _, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `init [DIR] [-t TEMPLATE]`
pub struct InitArgs {
    pub directory: PathBuf,
    pub template: String,
}

/// `revision -m MSG [--rev-id ID] [--head H] [--splice] …`
#[derive(Default)]
pub struct RevisionArgs {
    pub message: Option<String>,
    pub rev_id: Option<String>,
    /// The parent (`head` by default; `base` for a new root).
    pub head: String,
    pub splice: bool,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub version_path: Option<PathBuf>,
    /// `--autogenerate`: the SQL from the difference with the desired schema.
    pub autogenerate: bool,
    /// `--from-database`: compare with the configured database, not the revisions replayed.
    pub from_database: bool,
}

/// `merge REVS… -m MSG [--branch-label L] [--rev-id ID]`
pub struct MergeArgs {
    pub revisions: Vec<String>,
    pub message: Option<String>,
    pub branch_labels: Vec<String>,
    pub rev_id: Option<String>,
}

/// `init [DIR] [-t TEMPLATE]`
pub fn init(ctx: &mut Ctx<'_>, args: &InitArgs) -> Result<()> {
    let t = template::find(&args.template).ok_or_else(|| CommandError::NoTemplate {
        name: args.template.clone(),
        available: template::TEMPLATES.iter().map(|t| t.name).collect(),
    })?;
    let cwd = ctx.globals.cwd.clone();
    let dir = cwd.join(&args.directory);
    if dir.exists() {
        let non_empty = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if non_empty {
            return Err(CommandError::NotEmpty(dir).into());
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

    let config_path = match &ctx.globals.config_path {
        Some(p) => cwd.join(p),
        None => cwd.join("migrate.toml"),
    };
    if config_path.exists() {
        ctx.say(&format!(
            "File {} already exists, skipping",
            config_path.display()
        ));
    } else {
        let base = config_path.parent().unwrap_or(&cwd);
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
pub(super) fn relative_to(path: &Path, base: &Path) -> String {
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

/// What `revision` and `merge` have in common.
pub(super) struct NewRevision<'s> {
    pub message: Option<&'s str>,
    pub rev_id: Option<&'s str>,
    pub parents: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub version_path: Option<&'s Path>,
    /// The SQL of the two sections (empty for a revision to write by hand).
    pub upgrades: String,
    pub downgrades: String,
}

/// The current time in the configured time zone, and as `Create Date` shows it.
fn now_in(config: &Config) -> Result<(chrono::NaiveDateTime, String), CommandError> {
    let utc = chrono::Utc::now();
    let tz = config.timezone.trim();
    let (naive, suffix) = if tz.eq_ignore_ascii_case("utc") {
        (utc.naive_utc(), String::new())
    } else if tz.eq_ignore_ascii_case("local") {
        (chrono::Local::now().naive_local(), String::new())
    } else {
        let off: chrono::FixedOffset = tz
            .parse()
            .map_err(|_| CommandError::BadTimezone(tz.to_string()))?;
        (utc.with_timezone(&off).naive_local(), tz.to_string())
    };
    Ok((
        naive,
        format!("{}{suffix}", naive.format("%Y-%m-%d %H:%M:%S%.6f")),
    ))
}

/// Writes a new revision file from the project's template; checks first that
/// the graph stays sound with it, and parses it again once written.
/// `announce`: print what was written (`Generating … done`, or its JSON).
pub(super) fn generate(
    ctx: &mut Ctx<'_>,
    scripts: &ScriptDirectory,
    new: NewRevision<'_>,
    announce: bool,
) -> Result<PathBuf> {
    let config = ctx.config()?;
    let rev = match new.rev_id {
        Some(r) => {
            if let Some(why) = script::file::check_revision_id(r) {
                return Err(CommandError::BadRevId {
                    id: r.to_string(),
                    why,
                }
                .into());
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
        return Err(CommandError::RevisionExists {
            rev,
            path: existing.path.clone(),
        }
        .into());
    }
    let message = new.message.unwrap_or("").to_string();
    let (now, create_date) = now_in(config)?;
    let dir = scripts
        .version_path_for(new.version_path, &ctx.globals.cwd, &new.parents)
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
            upgrades: new.upgrades,
            downgrades: new.downgrades,
            x: ctx.globals.x.clone(),
        },
    )?;
    let path = script::write_new_revision(&dir, &name, &text, &rev).map_err(|e| anyhow!(e))?;
    if !announce {
        return Ok(path);
    }
    if ctx.globals.json {
        ctx.json_out(&json!({"revision": rev, "path": path.display().to_string()}))?;
    } else {
        writeln!(ctx.out, "Generating {} ...  done", path.display())?;
    }
    Ok(path)
}

/// `revision -m MSG …` without `--autogenerate`: empty sections, for the
/// user to fill in.
pub(super) fn empty_revision(ctx: &mut Ctx<'_>, args: &RevisionArgs) -> Result<()> {
    let scripts = ctx.scripts()?;
    let head = if args.head.is_empty() {
        "head"
    } else {
        args.head.as_str()
    };
    let parents = scripts.map.new_revision_parents(head, args.splice)?;
    let depends_on = scripts.map.resolve_depends_on(&args.depends_on)?;
    generate(
        ctx,
        scripts,
        NewRevision {
            message: args.message.as_deref(),
            rev_id: args.rev_id.as_deref(),
            parents,
            branch_labels: args.branch_labels.clone(),
            depends_on,
            version_path: args.version_path.as_deref(),
            upgrades: String::new(),
            downgrades: String::new(),
        },
        true,
    )
    .map(drop)
}

/// `merge REVS… -m MSG`
pub fn merge(ctx: &mut Ctx<'_>, args: &MergeArgs) -> Result<()> {
    let scripts = ctx.scripts()?;
    let parents = scripts.map.merge_parents(&args.revisions)?;
    generate(
        ctx,
        scripts,
        NewRevision {
            message: args.message.as_deref(),
            rev_id: args.rev_id.as_deref(),
            parents,
            branch_labels: args.branch_labels.clone(),
            depends_on: Vec::new(),
            version_path: None,
            upgrades: String::new(),
            downgrades: String::new(),
        },
        true,
    )
    .map(drop)
}
