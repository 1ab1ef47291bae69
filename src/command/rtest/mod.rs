//! `test [RANGE] [--no-downgrade]`: every revision's upgrade, downgrade and
//! upgrade again on a scratch database, the schema compared at each step,
//! and the revision's data checks (`-- migrate:test`). This prints; the
//! round trip is `run`, the data checks `data`. `check --test` reports the
//! same failures as problems of kind `round_trip`.

mod data;
mod run;

use run::Outcome;

use super::Ctx;
use crate::runtime::check::Problem;
use crate::script::ScriptDirectory;
use anyhow::Result;
use serde_json::json;

/// `test [RANGE] [--no-downgrade]`
pub struct TestArgs {
    /// `history -r`'s range (`a:b`, `base:head`, `-3:`); all revisions when `None`.
    pub range: Option<String>,
    /// Upgrades and data checks only, for histories without downgrades.
    pub no_downgrade: bool,
}

/// `test`; returns false when a revision failed.
pub fn test(ctx: &mut Ctx<'_>, args: &TestArgs) -> Result<bool> {
    let scripts = ctx.scripts()?;
    let opts = run::Options {
        range: args.range.as_deref(),
        downgrade: !args.no_downgrade,
    };
    let json = ctx.globals.json;
    let mut lines: Vec<String> = Vec::new();
    let outcomes = {
        let ctx_ref: &Ctx<'_> = ctx;
        run::round_trip(ctx_ref, scripts, &opts, |o| {
            if !json {
                lines.extend(text_lines(o));
            }
            Ok(())
        })?
    };
    let count = |what: &str| outcomes.iter().filter(|o| o.outcome == what).count();
    let (passed, failed, not_run) = (count("passed"), count("failed"), count("not_run"));
    if json {
        ctx.json_out(&json!({
            "ok": failed == 0,
            "downgrade": opts.downgrade,
            "passed": passed,
            "failed": failed,
            "not_run": not_run,
            "revisions": outcomes,
        }))?;
        return Ok(failed == 0);
    }
    ctx.lines_out(&lines)?;
    let what = if opts.downgrade {
        "upgrade, downgrade and upgrade again leave the schema as they should"
    } else {
        "upgrade (--no-downgrade)"
    };
    if outcomes.is_empty() {
        writeln!(ctx.out, "No revisions to test.")?;
    } else if failed == 0 {
        writeln!(ctx.out, "OK: {passed} revision(s) {what}")?;
    } else {
        writeln!(
            ctx.out,
            "FAILED: {passed} passed, {failed} failed, {not_run} not run"
        )?;
    }
    Ok(failed == 0)
}

/// The lines `test` prints for one revision: a line, and for a failure
/// its message and SQL (or diff), indented.
fn text_lines(o: &Outcome) -> Vec<String> {
    let checks = match o.data_checks {
        0 => String::new(),
        n => format!(" ({n} data check statement(s))"),
    };
    let status = match o.outcome {
        "passed" => "ok     ",
        "failed" => "FAILED ",
        _ => "not run",
    };
    let mut out = vec![format!("{status} {}  {}{checks}", o.revision, o.message)];
    if let Some(f) = &o.failure {
        for text in [Some(&f.message), f.sql.as_ref(), f.diff.as_ref()]
            .into_iter()
            .flatten()
        {
            out.extend(text.lines().map(|l| format!("    {l}")));
        }
    }
    out
}

/// `check --test`: the round trip of every revision, its failure as a
/// problem of kind `round_trip`.
pub(crate) fn round_trip_problems(
    ctx: &Ctx<'_>,
    scripts: &ScriptDirectory,
) -> Result<Vec<Problem>> {
    let opts = run::Options {
        range: None,
        downgrade: true,
    };
    let outcomes = run::round_trip(ctx, scripts, &opts, |_| Ok(()))?;
    Ok(outcomes
        .into_iter()
        .filter_map(|o| {
            let f = o.failure?;
            let mut p = Problem::new("round_trip", f.message);
            p.revisions = vec![o.revision];
            p.path = Some(o.path);
            p.sql = f.sql;
            p.diff = f.diff;
            Some(p)
        })
        .collect())
}
