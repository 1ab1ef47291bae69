//! `import alembic [ALEMBIC_INI]`: converts an Alembic project into a
//! `migrate` project beside it. Orchestration only: find the interpreter,
//! make the scratch SQLite file, run the helper (`import::python`), write
//! `migrate.toml`, `script.sql.tera` and one revision file per Python
//! revision (`import` renders them), load the result as any command would,
//! and list the revisions left to write by hand.

use super::revision::relative_to;
use super::Ctx;
use crate::config::{self, LoadOptions};
use crate::import::python::{self, HelperRun};
use crate::import::{self, AlembicProject, ImportError, NewConfig};
use crate::scratch::Scratch;
use crate::script::{self, ScriptDirectory};
use crate::template;
use anyhow::{anyhow, Context as _, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The script folder of the converted project, beside its `migrate.toml`.
const SCRIPT_FOLDER: &str = "migrate";

/// `import alembic [ALEMBIC_INI] [--out DIR] [--python PATH] …`
pub struct ImportArgs {
    /// `alembic.ini` (default: `./alembic.ini`).
    pub ini: Option<PathBuf>,
    /// Where `migrate.toml` and the script folder go (default: beside `alembic.ini`).
    pub out: Option<PathBuf>,
    /// The interpreter (default: the virtualenv beside `alembic.ini`, else `python3`).
    pub python: Option<PathBuf>,
    /// SQLAlchemy's dialect name (default: from `sqlalchemy.url`).
    pub dialect: Option<String>,
    pub version_table: String,
    pub version_table_schema: Option<String>,
    /// Exit 0 even when some revisions are left to write by hand.
    pub allow_todo: bool,
}

/// One `-- migrate:todo` the conversion left.
struct Todo {
    revision: String,
    function: &'static str,
    path: PathBuf,
    line: usize,
    python: String,
    why: String,
}

/// `import alembic`; returns false when revisions are left to write by hand
/// (unless `--allow-todo`).
pub fn import_alembic(ctx: &mut Ctx<'_>, args: &ImportArgs) -> Result<bool> {
    let cwd = ctx.globals.cwd.clone();
    let ini = cwd.join(args.ini.as_deref().unwrap_or(Path::new("alembic.ini")));
    if !ini.is_file() {
        return Err(ImportError::NoIni(ini).into());
    }
    let ini_dir = ini.parent().unwrap_or(&cwd).to_path_buf();
    let out = match &args.out {
        Some(o) => cwd.join(o),
        None => ini_dir.clone(),
    };
    let toml_path = out.join("migrate.toml");
    if toml_path.exists() {
        return Err(ImportError::ConfigExists(toml_path).into());
    }
    let folder = out.join(SCRIPT_FOLDER);
    if folder.exists() {
        let non_empty = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .next()
            .is_some();
        if non_empty {
            return Err(ImportError::FolderNotEmpty(folder).into());
        }
    }

    let python = python::find_python(args.python.as_deref(), &ini_dir);
    // batch_alter_table on SQLite reads the live table: the helper fills this
    // file with a revision's ancestors to render it (`--dev-url` names one).
    let sqlite = crate::url::parse("sqlite://").map_err(|e| anyhow!(e))?;
    let dev = match &ctx.globals.dev_url {
        Some(u) => Some(crate::url::parse(u).map_err(|e| anyhow!(e))?),
        None => None,
    };
    let scratch = Scratch::new(&sqlite, dev.as_ref(), &cwd)?;
    let scratch_path = scratch.url.sqlite_path.as_ref().map(|p| cwd.join(p));
    ctx.say(&format!(
        "Reading {} with {} ...",
        ini.display(),
        python.display()
    ));
    let project = python::run_helper(&HelperRun {
        python: &python,
        ini: &ini,
        dialect: args.dialect.as_deref(),
        scratch: scratch_path.as_deref(),
    })?;
    drop(scratch);

    let (written, todos) = write_project(ctx, args, &project, &ini, &out)?;
    check_written(ctx, &toml_path)?;

    let scratch_count = project
        .revisions
        .iter()
        .filter(|r| r.upgrade.how == "scratch" || r.downgrade.how == "scratch")
        .count();
    let ok = todos.is_empty() || args.allow_todo;
    if ctx.globals.json {
        let todo_json: Vec<_> = todos
            .iter()
            .map(|t| {
                json!({
                    "revision": t.revision,
                    "section": t.function,
                    "path": t.path.display().to_string(),
                    "line": t.line,
                    "python": t.python,
                    "why": t.why,
                })
            })
            .collect();
        ctx.json_out(&json!({
            "config": toml_path.display().to_string(),
            "alembic": project.alembic,
            "sqlalchemy": project.sqlalchemy,
            "python": project.python,
            "dialect": project.dialect,
            "revisions": written.len(),
            "rendered_on_scratch": scratch_count,
            "files": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "todo": todo_json,
            "ok": ok,
        }))?;
        return Ok(ok);
    }
    writeln!(
        ctx.out,
        "Converted {} revision(s) from {} (Alembic {}, SQLAlchemy {}, dialect {}) into {}",
        written.len(),
        ini.display(),
        project.alembic,
        project.sqlalchemy,
        project.dialect,
        toml_path.display()
    )?;
    if scratch_count > 0 {
        writeln!(
            ctx.out,
            "{scratch_count} of them rendered on a scratch SQLite database (batch_alter_table reads the live table)"
        )?;
    }
    if !todos.is_empty() {
        writeln!(
            ctx.out,
            "{} section(s) could not be converted; each is marked `-- migrate:todo` with its Python source quoted, and `migrate upgrade`, `downgrade` and `check` refuse it until you write its SQL and delete the marker line:",
            todos.len()
        )?;
        for t in &todos {
            writeln!(
                ctx.out,
                "TODO: {}:{}: revision {}, {}() of {}: {}",
                t.path.display(),
                t.line,
                t.revision,
                t.function,
                t.python,
                t.why
            )?;
        }
        if !args.allow_todo {
            writeln!(
                ctx.out,
                "Exit status 1 while any is left; --allow-todo makes the conversion itself exit 0."
            )?;
        }
    }
    Ok(ok)
}

/// Writes the script folder, the revisions and `migrate.toml`; returns the
/// revision files and the sections left to write by hand.
fn write_project(
    ctx: &mut Ctx<'_>,
    args: &ImportArgs,
    project: &AlembicProject,
    ini: &Path,
    out: &Path,
) -> Result<(Vec<PathBuf>, Vec<Todo>)> {
    let folder = out.join(SCRIPT_FOLDER);
    let versions = folder.join("versions");
    std::fs::create_dir_all(&versions)
        .with_context(|| format!("creating {}", versions.display()))?;
    let generic = template::find("generic").ok_or_else(|| anyhow!("no generic template"))?;
    let tpl_path = folder.join("script.sql.tera");
    std::fs::write(&tpl_path, generic.script)
        .with_context(|| format!("writing {}", tpl_path.display()))?;
    ctx.say(&format!("Generating {} ...  done", tpl_path.display()));

    let ini_dir = ini.parent().unwrap_or(Path::new("."));
    let mut written = Vec::new();
    let mut todos = Vec::new();
    for rev in &project.revisions {
        let shown = relative_to(Path::new(&rev.path), ini_dir);
        let text = template::render_revision(
            &tpl_path.display().to_string(),
            generic.script,
            &template::RevisionContext {
                message: rev.message.trim().to_string(),
                up_revision: rev.revision.clone(),
                down_revision: rev.down_revision.clone(),
                branch_labels: rev.branch_labels.clone(),
                depends_on: rev.depends_on.clone(),
                create_date: rev.create_date.clone().unwrap_or_default(),
                upgrades: import::section_text(&rev.upgrade, "upgrade", &shown),
                downgrades: import::section_text(&rev.downgrade, "downgrade", &shown),
                x: ctx.globals.x.clone(),
            },
        )?;
        let text = if rev.upgrade.autocommit || rev.downgrade.autocommit {
            import::non_transactional(&text)
        } else {
            text
        };
        let path = script::write_new_revision(&versions, &rev.stem(), &text, &rev.revision)
            .map_err(|e| anyhow!(e))?;
        ctx.say(&format!("Generating {} ...  done", path.display()));
        let parsed = script::file::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        for (up, function, rendered) in [
            (true, "upgrade", &rev.upgrade),
            (false, "downgrade", &rev.downgrade),
        ] {
            if let (Some(why), Some(d)) = (&rendered.todo, parsed.todo(up)) {
                todos.push(Todo {
                    revision: rev.revision.clone(),
                    function,
                    path: path.clone(),
                    line: d.line,
                    python: format!("{shown}:{}", rendered.line),
                    why: why.clone(),
                });
            }
        }
        written.push(path);
    }

    let file_template = match project.file_template.as_deref() {
        None => "{{ rev }}_{{ slug }}".to_string(),
        Some(t) => import::file_template(t).unwrap_or_else(|| {
            ctx.say(&format!(
                "alembic.ini's file_template `{t}` uses a token migrate does not have; migrate.toml gets the default {{{{ rev }}}}_{{{{ slug }}}}"
            ));
            "{{ rev }}_{{ slug }}".to_string()
        }),
    };
    let toml_path = out.join("migrate.toml");
    let text = import::render_config(&NewConfig {
        script_location: SCRIPT_FOLDER,
        url: project.url.as_deref(),
        version_table: &args.version_table,
        version_table_schema: args.version_table_schema.as_deref(),
        file_template: &file_template,
        truncate_slug_length: project
            .truncate_slug_length
            .as_deref()
            .and_then(|n| n.trim().parse().ok()),
        from: &relative_to(ini, out),
    });
    // Never overwrite: a migrate.toml made meanwhile stays.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&toml_path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                ImportError::ConfigExists(toml_path.clone()).into()
            }
            _ => anyhow!("creating {}: {e}", toml_path.display()),
        })?;
    use std::io::Write as _;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", toml_path.display()))?;
    ctx.say(&format!("Generating {} ...  done", toml_path.display()));
    Ok((written, todos))
}

/// Loads the written project as every command does: the graph must be
/// sound, and each file must parse.
fn check_written(ctx: &Ctx<'_>, toml_path: &Path) -> Result<()> {
    let config = config::load(
        &LoadOptions {
            config_path: Some(toml_path.to_path_buf()),
            url: None,
            require_file: true,
        },
        &ctx.globals.cwd,
        ctx.env,
    )?;
    ScriptDirectory::load(&config)
        .map_err(|e| {
            anyhow!(
                "the converted revisions do not load: {e}; fix the Alembic revision, delete {} and the folder it names, and run the import again",
                toml_path.display()
            )
        })?;
    Ok(())
}
