//! `check [--offline]`: every problem at once, exit 1 when there is any. The
//! policy (what is a problem) is `runtime::check`; this reads and prints.

use super::schema::{between, section_text, Reader, Side};
use super::{lint as lint_cmd, Ctx, Report};
use crate::lint::{output, Finding, Severity};
use crate::runtime::check::{self, Problem};
use crate::script::ScriptDirectory;
use anyhow::Result;
use serde_json::json;

/// `check [--offline] [--drift] [--test]`
pub struct CheckArgs {
    /// Graph checks only; no database.
    pub offline: bool,
    /// Also compare the database's schema with what its revisions make.
    pub drift: bool,
    /// Also run every revision's round trip on a scratch database (`migrate test`).
    pub test: bool,
}

/// `check`; returns false when a problem was found.
pub fn check(ctx: &mut Ctx<'_>, args: &CheckArgs) -> Result<bool> {
    let offline_only = args.offline;
    let config = ctx.config()?;
    let mut problems: Vec<Problem> = Vec::new();
    // In a fleet the revisions were loaded once (and loaded cleanly) for
    // every target; alone, what does not load is a problem to report.
    let owned;
    let scripts: Option<&ScriptDirectory> = match ctx.shared {
        Some(shared) => Some(shared),
        None => match ScriptDirectory::load(config) {
            Ok(s) => {
                owned = s;
                Some(&owned)
            }
            Err(errors) => {
                for e in errors.0 {
                    problems.push(Problem::new("graph", e.to_string()));
                }
                None
            }
        },
    };
    let mut findings = Vec::new();
    if let Some(scripts) = scripts {
        problems.extend(check::graph_problems(scripts));
        if !offline_only {
            let mut mc = ctx.reader()?;
            let rows = mc.read_heads()?;
            let log = mc.audit_rows()?;
            problems.extend(check::database_problems(scripts, &rows, &log, mc.kind())?);
            findings = lint_cmd::online(ctx, scripts, &mut mc, &rows, None, false)?.0;
            drop(mc);
            problems.extend(schema_problems(ctx, scripts, &rows, args.drift)?);
            if args.test {
                problems.extend(super::rtest::round_trip_problems(ctx, scripts)?);
            }
        } else if ctx.target().is_ok() {
            // Without a usable URL the dialect is unknown: the graph checks only.
            findings = lint_cmd::offline(ctx, scripts, None)?.0;
        }
    }
    let cwd = ctx.globals.cwd.clone();
    problems.extend(findings.iter().map(|f| lint_problem(f, &cwd)));
    let failed = problems.iter().any(|p| p.fails);
    let count = scripts.map_or(0, |s| s.scripts.len());
    if matches!(ctx.globals.report, Report::Sarif | Report::Github) {
        let others: Vec<&Problem> = problems.iter().filter(|p| p.kind != "lint").collect();
        if ctx.globals.report == Report::Sarif {
            let extra = others
                .iter()
                .map(|p| output::sarif_problem(p.kind, &p.message, p.path.as_deref()))
                .collect();
            ctx.json_out(&output::sarif(&findings, extra, &cwd))?;
        } else {
            let mut lines: Vec<String> = others
                .iter()
                .map(|p| {
                    output::github_line(
                        Severity::Error,
                        None,
                        &format!("migrate check: {}", p.kind),
                        &p.message,
                    )
                })
                .collect();
            lines.extend(output::github(&findings, &cwd));
            ctx.lines_out(&lines)?;
        }
        return Ok(!failed);
    }
    if ctx.globals.json {
        ctx.json_out(&json!({
            "ok": !failed,
            "offline": offline_only,
            "revisions": count,
            "problems": problems,
        }))?;
    } else if !failed {
        for p in &problems {
            writeln!(ctx.out, "{}", p.message)?;
        }
        writeln!(
            ctx.out,
            "OK: {count} revision(s), one head{}",
            if offline_only {
                " (graph and lint only: --offline)"
            } else {
                ", database at head, no applied revision changed, none half-applied"
            }
        )?;
    } else {
        for p in &problems {
            let head = if p.fails { "FAILED" } else { "NOTE" };
            writeln!(ctx.out, "{head}: {}", p.message)?;
            for text in [&p.diff, &p.sql].into_iter().flatten() {
                for line in text.lines() {
                    writeln!(ctx.out, "    {line}")?;
                }
            }
        }
        writeln!(
            ctx.out,
            "{} problem(s) found",
            problems.iter().filter(|p| p.fails).count()
        )?;
    }
    Ok(!failed)
}

/// A lint finding as a problem of kind `lint`: only an error fails `check`.
fn lint_problem(f: &Finding, cwd: &std::path::Path) -> Problem {
    let path = output::shown_path(&f.path, cwd);
    let mut p = Problem::new(
        "lint",
        format!(
            "{path}:{}:{}: lint {}[{}]: {}; safe way: {}",
            f.line,
            f.column,
            f.severity.name(),
            f.rule.name(),
            f.message(),
            f.fix
        ),
    );
    p.revisions = vec![f.revision.clone()];
    p.path = Some(path);
    p.lint = Some(output::json_finding(f, cwd));
    p.fails = f.severity == Severity::Error;
    p
}

/// The schema problems: `schema` has changes no revision makes; and, with
/// `--drift`, the database differs from what its revisions make.
fn schema_problems(
    ctx: &Ctx<'_>,
    scripts: &ScriptDirectory,
    rows: &[String],
    drift: bool,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let has_schema = !ctx.config()?.schema.is_empty();
    if !has_schema && !drift {
        return Ok(problems);
    }
    let kind = ctx.target()?.url.kind;
    let mut reader = Reader::new(ctx);
    if has_schema {
        let made = reader.read(&Side::Migrations(None), scripts)?;
        let desired = reader.read(&Side::Schema, scripts)?;
        let m = between(kind, &made.catalog, &desired.catalog, &desired.renames)?;
        if !m.is_empty() {
            let mut p = Problem::new(
                "schema_changes",
                format!(
                    "New upgrade operations detected: the desired schema has {} change(s) that no revision makes; write them with `migrate revision --autogenerate -m \"...\"`",
                    m.statements.len()
                ),
            );
            p.sql = Some(section_text(&m));
            problems.push(p);
        }
    }
    if drift {
        let made = reader.read(&Side::Migrations(Some(rows.to_vec())), scripts)?;
        let live = reader.read(&Side::Database, scripts)?;
        let m = between(kind, &made.catalog, &live.catalog, &Default::default())?;
        if !m.is_empty() {
            let mut p = Problem::new(
                "drift",
                format!(
                    "the database's schema has drifted from what its revisions make ({} change(s) made outside them); the SQL below turns what the revisions make into what the database has: put it in a revision, or undo it in the database",
                    m.statements.len()
                ),
            );
            p.sql = Some(section_text(&m));
            problems.push(p);
        }
    }
    Ok(problems)
}
