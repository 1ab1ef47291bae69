//! `lint [RANGE] [--all] [--offline]`: checks revisions for statements that
//! lock, rewrite, lose data, break running code or certainly fail (see
//! `crate::lint`). By default the revisions the configured database has not
//! applied; `--all` every revision; `--offline` needs no database (every
//! revision unless RANGE says otherwise). Where the database is reachable,
//! its version and its row estimates feed the rules. Exit 1 on errors.

use super::{Ctx, Report};
use crate::lint::{self, output, Facts, Finding};
use crate::runtime::MigrationContext;
use crate::script::revision::RevRange;
use crate::script::ScriptDirectory;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeSet;

/// `lint [RANGE] [--all] [--offline]`
pub struct LintArgs {
    /// Revisions as for `history -r` (`base:head`, `ae10:`).
    pub range: Option<String>,
    /// Every revision, applied or not.
    pub all: bool,
    /// No database: every revision (or RANGE), the server's facts unknown.
    pub offline: bool,
}

/// The revisions `range` names, as a set of ids (`rows`: the database's).
fn in_range(scripts: &ScriptDirectory, range: &str, rows: &[String]) -> Result<BTreeSet<String>> {
    let r = RevRange::parse(range)?;
    Ok(scripts
        .map
        .history_of(Some(r), rows)?
        .iter()
        .map(|r| r.id.clone())
        .collect())
}

/// Lints without a database: `range` or every revision; every revision
/// counts as applied (only a table created earlier in the same revision is
/// new).
pub(super) fn offline(
    ctx: &Ctx<'_>,
    scripts: &ScriptDirectory,
    range: Option<&str>,
) -> Result<(Vec<Finding>, usize)> {
    let kind = ctx.target()?.url.kind;
    let levels = lint::levels(&ctx.config()?.lint);
    let chosen = range.map(|r| in_range(scripts, r, &[])).transpose()?;
    let count = chosen.as_ref().map_or(scripts.map.len(), BTreeSet::len);
    let facts = lint::dialect::rules_for(kind).facts_offline();
    let selected = |id: &str| chosen.as_ref().is_none_or(|c| c.contains(id));
    let findings = lint::lint(scripts, kind, &selected, &|_| true, &facts, &levels);
    Ok((findings, count))
}

/// Lints on the database `mc` reads: `range`, every revision (`all`), or
/// the pending ones; the revisions it has not applied make new tables, and
/// its version and row estimates feed the rules.
pub(super) fn online(
    ctx: &Ctx<'_>,
    scripts: &ScriptDirectory,
    mc: &mut MigrationContext,
    rows: &[String],
    range: Option<&str>,
    all: bool,
) -> Result<(Vec<Finding>, usize)> {
    let kind = mc.kind();
    let levels = lint::levels(&ctx.config()?.lint);
    let applied: BTreeSet<String> = scripts.map.ancestors_of(rows).into_iter().collect();
    let chosen: BTreeSet<String> = match range {
        Some(r) => in_range(scripts, r, rows)?,
        None => scripts
            .map
            .revisions()
            .iter()
            .map(|r| r.id.clone())
            .filter(|id| all || !applied.contains(id))
            .collect(),
    };
    let facts: Facts = lint::dialect::rules_for(kind)
        .facts(mc.db())
        .map_err(|e| anyhow::anyhow!("reading the server's version and row estimates: {e}"))?;
    let findings = lint::lint(
        scripts,
        kind,
        &|id| chosen.contains(id),
        &|id| applied.contains(id),
        &facts,
        &levels,
    );
    Ok((findings, chosen.len()))
}

/// `lint`; returns false when a finding is an error.
pub fn lint(ctx: &mut Ctx<'_>, args: &LintArgs) -> Result<bool> {
    let scripts = ctx.scripts()?;
    let range = args.range.as_deref();
    let (findings, count) = if args.offline {
        offline(ctx, scripts, range)?
    } else {
        let mut mc = ctx.reader()?;
        let rows = mc.read_heads()?;
        online(ctx, scripts, &mut mc, &rows, range, args.all)?
    };
    let (errors, warnings, notes) = lint::counts(&findings);
    let cwd = ctx.globals.cwd.clone();
    match ctx.globals.report {
        Report::Json => {
            let items: Vec<_> = findings
                .iter()
                .map(|f| output::json_finding(f, &cwd))
                .collect();
            ctx.json_out(&json!({
                "ok": errors == 0,
                "offline": args.offline,
                "revisions": count,
                "errors": errors,
                "warnings": warnings,
                "notes": notes,
                "findings": items,
            }))?;
        }
        Report::Sarif => ctx.json_out(&output::sarif(&findings, Vec::new(), &cwd))?,
        Report::Github => ctx.lines_out(&output::github(&findings, &cwd))?,
        Report::Text => {
            ctx.lines_out(&output::text(&findings, &cwd))?;
            if findings.is_empty() {
                writeln!(ctx.out, "OK: {count} revision(s) checked, no findings")?;
            } else {
                writeln!(
                    ctx.out,
                    "{errors} error(s), {warnings} warning(s), {notes} note(s) in {count} revision(s) checked"
                )?;
            }
        }
    }
    Ok(errors == 0)
}
