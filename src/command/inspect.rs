//! The commands that look and never write: `current`, `history` (and
//! `history --applied`), `heads`, `branches`, `show` and `edit`. Their text
//! output reads line for line as Alembic's (`script::display`).

use super::{CommandError, Ctx};
use crate::runtime::LogRow;
use crate::script::revision::{RevRange, RevisionInfo, Target};
use crate::script::{display, ScriptDirectory};
use anyhow::Result;
use serde_json::json;

/// `history [-r RANGE] [-v] [-i]`
pub struct HistoryArgs {
    pub range: Option<String>,
    pub verbose: bool,
    pub indicate_current: bool,
}

/// `heads [-v] [--resolve-dependencies]`
pub struct HeadsArgs {
    pub verbose: bool,
    pub resolve_dependencies: bool,
}

/// The version table's rows; never writes.
fn db_heads(ctx: &Ctx<'_>) -> Result<Vec<String>> {
    Ok(ctx.reader()?.read_heads()?)
}

/// True when `show`/`edit` are asked for the database's current revisions.
fn is_current(rev: &str) -> bool {
    Target::new(rev).is_current()
}

/// `current [-v]`
pub fn current(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let scripts = ctx.headers()?;
    let rows = db_heads(ctx)?;
    let display_url = ctx.target()?.display.clone();
    if ctx.globals.json {
        let current = scripts.map.effective_current(&rows)?;
        let items: Vec<_> = current
            .iter()
            .filter_map(|id| scripts.map.get(id))
            .map(|r| display::revision_json(&scripts.map, r, Some(&rows)))
            .collect();
        return ctx.json_out(&json!({"url": display_url, "rows": rows, "current": items}));
    }
    if verbose {
        writeln!(ctx.out, "Current revision(s) for {display_url}:")?;
    }
    let lines = display::current_lines(&scripts.map, &rows, verbose)?;
    ctx.lines_out(&lines)
}

/// `history [-r RANGE] [-v] [-i]`
pub fn history(ctx: &mut Ctx<'_>, args: &HistoryArgs) -> Result<()> {
    let scripts = ctx.headers()?;
    let range = args.range.as_deref().map(RevRange::parse).transpose()?;
    let needs_db = args.indicate_current || range.is_some_and(RevRange::mentions_current);
    let rows = if needs_db { db_heads(ctx)? } else { Vec::new() };
    let revs = scripts.map.history_of(range, &rows)?;
    // Alembic marks the version-table rows, not the effective heads.
    let current: Option<Vec<String>> = args.indicate_current.then(|| rows.clone());
    if ctx.globals.json {
        let items: Vec<_> = revs
            .iter()
            .map(|r| display::revision_json(&scripts.map, r, current.as_deref()))
            .collect();
        return ctx.json_out(&json!(items));
    }
    let mut lines = Vec::with_capacity(revs.len());
    for r in revs {
        if args.verbose {
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
pub fn heads(ctx: &mut Ctx<'_>, args: &HeadsArgs) -> Result<()> {
    let scripts = ctx.headers()?;
    if ctx.globals.json {
        let ids = if args.resolve_dependencies {
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
    let lines = display::heads_lines(&scripts.map, args.verbose, args.resolve_dependencies);
    ctx.lines_out(&lines)
}

/// `branches [-v]`
pub fn branches(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let scripts = ctx.headers()?;
    if ctx.globals.json {
        return ctx.json_out(&display::branches_json(&scripts.map));
    }
    let lines = display::branches_lines(&scripts.map, verbose);
    ctx.lines_out(&lines)
}

/// `show REV`
pub fn show(ctx: &mut Ctx<'_>, rev: &str) -> Result<()> {
    let scripts = ctx.headers()?;
    let rows = if is_current(rev) {
        db_heads(ctx)?
    } else {
        Vec::new()
    };
    let revs = scripts.map.show(rev, &rows)?;
    if ctx.globals.json {
        let items: Vec<_> = revs.iter().map(|r| revision_json(scripts, r)).collect();
        return ctx.json_out(&json!(items));
    }
    let lines: Vec<String> = revs
        .into_iter()
        .map(|r| display::log_entry(&scripts.map, r, false))
        .collect();
    ctx.lines_out(&lines)
}

/// `edit REV`
pub fn edit(ctx: &mut Ctx<'_>, rev: &str) -> Result<()> {
    let scripts = ctx.scripts()?;
    let rows = if is_current(rev) {
        db_heads(ctx)?
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
        return Err(CommandError::NoFiles(rev.to_string()).into());
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
            .map_err(|error| CommandError::EditorNotStarted {
                editor: editor.clone(),
                error,
            })?;
        if !status.success() {
            return Err(CommandError::EditorFailed {
                editor: editor.clone(),
                status,
            }
            .into());
        }
    }
    Ok(())
}

/// `history --applied`: the audit log, newest first.
pub fn applied_history(ctx: &mut Ctx<'_>, verbose: bool) -> Result<()> {
    let rows = ctx.reader()?.audit_rows()?;
    if ctx.globals.json {
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
    if !r.tag.is_empty() {
        s.push_str(&format!("  tag {}", crate::text::escape_controls(&r.tag)));
    }
    s
}
