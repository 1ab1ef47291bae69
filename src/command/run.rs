//! `upgrade`, `downgrade`, `stamp` and `ensure-version`: the commands that
//! write the database (or, with `--sql`, print what they would run).

use super::{CommandError, Ctx};
use crate::runtime::{Resume, RunError, RunOptions, StepReport};
use crate::script::revision::{Direction, Target};
use crate::target::Access;
use anyhow::Result;
use serde_json::json;
use std::time::Instant;

/// `upgrade TARGET` / `downgrade TARGET`, with `--sql` and `--resume`.
pub struct RunArgs {
    /// The target, as Alembic's grammar writes it (`head`, `-1`, `a:b` with `--sql`).
    pub target: String,
    pub sql: bool,
    pub resume: Option<Resume>,
    /// `--tag`: recorded in the audit log.
    pub tag: Option<String>,
}

/// `stamp REV… [--sql] [--purge]`
pub struct StampArgs {
    pub revisions: Vec<String>,
    pub sql: bool,
    pub purge: bool,
    /// `--tag`: recorded in the audit log.
    pub tag: Option<String>,
}

/// `upgrade TARGET [--sql] [--resume | --resume-after N]`
pub fn upgrade(ctx: &mut Ctx<'_>, args: &RunArgs) -> Result<()> {
    run_revisions(ctx, Direction::Up, args)
}

/// `downgrade TARGET [--sql] [--resume | --resume-after N]`
pub fn downgrade(ctx: &mut Ctx<'_>, args: &RunArgs) -> Result<()> {
    run_revisions(ctx, Direction::Down, args)
}

/// A `FROM:TO` range (for `--sql`).
fn is_range(target: &str) -> bool {
    Target::new(target).is_range()
}

/// What `upgrade` and `downgrade` share: plan from the heads, run the steps.
fn run_revisions(ctx: &mut Ctx<'_>, direction: Direction, args: &RunArgs) -> Result<()> {
    let started = Instant::now();
    let verb = match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    let target = args.target.as_str();
    if args.sql {
        return run_offline(ctx, direction, args);
    }
    if is_range(target) {
        return Err(CommandError::RangeNotAllowed.into());
    }
    let reports = ctx
        .migrator()?
        .tag(args.tag.as_deref())
        .run(direction, target, args.resume)?;
    summary(ctx, verb, &reports, started)
}

/// `upgrade`/`downgrade --sql`: the SQL of a range, from the graph alone.
fn run_offline(ctx: &mut Ctx<'_>, direction: Direction, args: &RunArgs) -> Result<()> {
    let scripts = ctx.scripts()?;
    let target = args.target.as_str();
    if direction == Direction::Down && !is_range(target) {
        return Err(CommandError::DowngradeSqlNeedsRange.into());
    }
    if args.resume.is_some() {
        return Err(CommandError::ResumeWithSql.into());
    }
    let (from, dest) = scripts.map.sql_range(target)?;
    // As Alembic: starting from base (`upgrade base:head`, no range) includes the CREATE TABLE.
    let start = is_range(target).then(|| from.clone());
    let mut mc = ctx.offline(start)?;
    mc.run_steps(scripts, &RunOptions::default(), |_| {
        match direction {
            Direction::Up => scripts.map.upgrade_plan(&from, &dest),
            Direction::Down => scripts.map.downgrade_plan(&from, &dest),
        }
        .map_err(RunError::Graph)
    })?;
    Ok(())
}

fn summary(ctx: &mut Ctx<'_>, verb: &str, reports: &[StepReport], started: Instant) -> Result<()> {
    if ctx.globals.json {
        ctx.json_out(&json!({
            "command": verb,
            "steps": reports,
            "seconds": started.elapsed().as_secs_f64(),
        }))?;
    } else if ctx.globals.verbose {
        ctx.say(&format!(
            "{} revision(s) in {:.3} s",
            reports.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// `stamp REV… [--sql] [--purge]`
pub fn stamp(ctx: &mut Ctx<'_>, args: &StampArgs) -> Result<()> {
    let revisions = &args.revisions;
    if args.sql {
        let scripts = ctx.scripts()?;
        if args.purge {
            return Err(CommandError::PurgeWithSql.into());
        }
        let mut start: Option<Vec<String>> = None;
        let mut dests = Vec::new();
        for r in revisions {
            if is_range(r) {
                if start.is_some() {
                    return Err(CommandError::OneStampStart.into());
                }
                let (from, dest) = scripts.map.sql_range(r)?;
                start = Some(from);
                dests.push(dest);
            } else {
                dests.push(r.clone());
            }
        }
        let from = start.clone().unwrap_or_default();
        let mut mc = ctx.offline(start)?;
        mc.run_stamp(scripts, false, revisions, |_| {
            scripts
                .map
                .stamp_plan(&from, &dests, false)
                .map_err(RunError::Graph)
        })?;
        return Ok(());
    }
    let revisions: Vec<&str> = revisions.iter().map(String::as_str).collect();
    ctx.migrator()?
        .tag(args.tag.as_deref())
        .stamp(&revisions, args.purge)?;
    Ok(())
}

/// `ensure-version [--sql]`
pub fn ensure_version(ctx: &mut Ctx<'_>, sql: bool) -> Result<()> {
    let mut mc = if sql {
        ctx.offline(None)?
    } else {
        ctx.open(ctx.target()?, Access::Write, ctx.progress(false))?
    };
    mc.ensure_version()?;
    Ok(())
}
