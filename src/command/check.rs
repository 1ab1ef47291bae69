//! `check [--offline]`: every problem at once, exit 1 when there is any. The
//! policy (what is a problem) is `runtime::check`; this reads and prints.

use super::Ctx;
use crate::runtime::check::{self, Problem};
use crate::script::ScriptDirectory;
use anyhow::Result;
use serde_json::json;

/// `check [--offline]`; returns false when a problem was found.
pub fn check(ctx: &mut Ctx<'_>, offline_only: bool) -> Result<bool> {
    let config = ctx.config()?;
    let mut problems: Vec<Problem> = Vec::new();
    let scripts = match ScriptDirectory::load(config) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors.0 {
                problems.push(Problem::new("graph", e.to_string()));
            }
            None
        }
    };
    if let Some(scripts) = &scripts {
        problems.extend(check::graph_problems(scripts));
        if !offline_only {
            let mut mc = ctx.target()?.reader(ctx)?;
            let rows = mc.read_heads()?;
            let log = mc.audit_rows()?;
            problems.extend(check::database_problems(scripts, &rows, &log, mc.kind())?);
        }
    }
    let count = scripts.as_ref().map_or(0, |s| s.scripts.len());
    if ctx.globals.json {
        ctx.json_out(&json!({
            "ok": problems.is_empty(),
            "offline": offline_only,
            "revisions": count,
            "problems": problems,
        }))?;
    } else if problems.is_empty() {
        writeln!(
            ctx.out,
            "OK: {count} revision(s), one head{}",
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
