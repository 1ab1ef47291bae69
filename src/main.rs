//! The `migrate` binary: parses the command line, loads `.env`, calls the
//! library, prints `error: …` (password-redacted) and picks the exit code:
//! 0 success, 1 failure, 2 bad usage.

mod cli;

use clap::Parser;
use cli::{Cli, Command, Format};
use migrate::command::{self, Ctx};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

fn stderr() -> Box<dyn Write> {
    Box::new(std::io::stderr())
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn parse_x(args: &[String]) -> Result<BTreeMap<String, String>, String> {
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
    Ok(map)
}

/// `--resume` and `--resume-after N` as the library takes them.
fn resume_from(resume: bool, after: Option<usize>) -> Option<command::Resume> {
    match (resume, after) {
        (_, Some(n)) => Some(command::Resume::After(n)),
        (true, None) => Some(command::Resume::AtFailed),
        (false, None) => None,
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the working directory: {e}"))?;
    migrate::config::load_dotenv(&cwd)?;
    let g = cli.global;
    let x = parse_x(&g.x).map_err(|e| anyhow::anyhow!(e))?;
    // Buffered: a locked stdout is line-buffered even into a pipe, which made
    // `history` of 10,000 revisions 10,000 write calls. Flushed below, or on
    // drop when a command returns early (before main prints any error).
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut ctx = Ctx {
        out: &mut stdout,
        progress: stderr,
        cwd,
        config_path: g.config,
        url: g.url,
        x,
        quiet: g.quiet,
        verbose: g.verbose,
        wait: g.wait.map(Duration::from_secs),
        lock_timeout: g.lock_timeout.map(Duration::from_secs),
        json: g.format == Format::Json,
        env: &env_var,
    };
    let ctx = &mut ctx;
    match cli.command {
        Command::Init {
            directory,
            template,
        } => command::init(ctx, &directory, &template)?,
        Command::ListTemplates => command::list_templates(ctx)?,
        Command::Revision {
            message,
            rev_id,
            head,
            splice,
            branch_label,
            depends_on,
            version_path,
        } => command::revision(
            ctx,
            message.as_deref(),
            rev_id.as_deref(),
            &head,
            splice,
            &branch_label,
            &depends_on,
            version_path.as_deref(),
        )?,
        Command::Merge {
            revisions,
            message,
            branch_label,
            rev_id,
        } => command::merge(
            ctx,
            &revisions,
            message.as_deref(),
            &branch_label,
            rev_id.as_deref(),
        )?,
        Command::Upgrade {
            revision,
            sql,
            resume,
            resume_after,
            ..
        } => command::upgrade(ctx, &revision, sql, resume_from(resume, resume_after))?,
        Command::Downgrade {
            revision,
            sql,
            resume,
            resume_after,
            ..
        } => command::downgrade(ctx, &revision, sql, resume_from(resume, resume_after))?,
        Command::Current => command::current(ctx, g.verbose)?,
        Command::History { applied: true, .. } => command::applied_history(ctx, g.verbose)?,
        Command::History {
            rev_range,
            indicate_current,
            ..
        } => command::history(ctx, rev_range.as_deref(), g.verbose, indicate_current)?,
        Command::Heads {
            resolve_dependencies,
        } => command::heads(ctx, g.verbose, resolve_dependencies)?,
        Command::Branches => command::branches(ctx, g.verbose)?,
        Command::Show { revision } => command::show(ctx, &revision)?,
        Command::Stamp {
            revisions,
            sql,
            purge,
            ..
        } => command::stamp(ctx, &revisions, sql, purge)?,
        Command::Edit { revision } => command::edit(ctx, &revision)?,
        Command::Check { offline } => return command::check(ctx, offline),
        Command::EnsureVersion { sql } => command::ensure_version(ctx, sql)?,
    }
    stdout.flush()?;
    Ok(true)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let text = migrate::url::redact(&format!("{e:#}"));
            let _ = writeln!(std::io::stderr(), "error: {text}");
            ExitCode::from(1)
        }
    }
}
