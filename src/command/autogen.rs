//! The commands that write or show SQL from a comparison of schemas:
//! `revision --autogenerate`, `diff` and `baseline`.

use super::revision::{generate, NewRevision};
use super::schema::{between, section_text, Reader, Side};
use super::{Ctx, RevisionArgs};
use crate::schema::Catalog;
use anyhow::{bail, Result};
use serde_json::json;

/// `revision --autogenerate -m MSG [--from-database]`: a revision whose
/// upgrade turns what the revisions make into the desired schema, and whose
/// downgrade turns it back.
pub(crate) fn revision_autogenerate(
    ctx: &mut Ctx<'_>,
    args: &RevisionArgs,
    from_database: bool,
) -> Result<()> {
    let scripts = ctx.scripts()?;
    let head = if args.head.is_empty() {
        "head"
    } else {
        args.head.as_str()
    };
    let parents = scripts.map.new_revision_parents(head, args.splice)?;
    let depends_on = scripts.map.resolve_depends_on(&args.depends_on)?;
    let kind = ctx.target()?.url.kind;
    let (up, down) = {
        let mut reader = Reader::new(ctx);
        let current = if from_database {
            let rows = ctx.reader()?.read_heads()?;
            let pending = scripts.map.upgrade_plan(&rows, "heads")?;
            if !pending.is_empty() || rows.is_empty() && !scripts.map.is_empty() {
                bail!(
                    "--from-database compares the desired schema with the database as its revisions left it, but the database is not at head ({} revision(s) pending); run `migrate upgrade head` first, or leave out --from-database to compare with the revisions replayed on a scratch database",
                    pending.len()
                );
            }
            reader.read(&Side::Database, scripts)?
        } else {
            reader.read(&Side::Migrations(Some(parents.clone())), scripts)?
        };
        let desired = reader.read(&Side::Schema, scripts)?;
        let up = between(kind, &current.catalog, &desired.catalog, &desired.renames)?;
        let down = between(
            kind,
            &desired.catalog,
            &current.catalog,
            &desired.renames.reversed(),
        )?;
        (up, down)
    };
    if up.is_empty() {
        if ctx.globals.json {
            ctx.json_out(&json!({"revision": null, "changes": false}))?;
        } else {
            writeln!(ctx.out, "No changes in schema detected.")?;
        }
        return Ok(());
    }
    for w in &up.warnings {
        ctx.say(&format!("WARNING: upgrade {w}"));
    }
    for w in &down.warnings {
        ctx.say(&format!("WARNING: downgrade {w}"));
    }
    let json = ctx.globals.json;
    let path = generate(
        ctx,
        scripts,
        NewRevision {
            message: args.message.as_deref(),
            rev_id: args.rev_id.as_deref(),
            parents,
            branch_labels: args.branch_labels.clone(),
            depends_on,
            version_path: args.version_path.as_deref(),
            upgrades: section_text(&up),
            downgrades: section_text(&down),
        },
        !json,
    )?;
    if json {
        let rev = crate::script::file::parse(&std::fs::read_to_string(&path)?)
            .map(|f| f.revision)
            .unwrap_or_default();
        ctx.json_out(&json!({
            "revision": rev,
            "path": path.display().to_string(),
            "changes": true,
            "upgrade": {"statements": up.statements, "warnings": up.warnings},
            "downgrade": {"statements": down.statements, "warnings": down.warnings},
        }))?;
    }
    Ok(())
}

/// `diff [--from S] [--to S] [--exit-code]`
pub struct DiffArgs {
    pub from: Side,
    pub to: Side,
    pub exit_code: bool,
}

/// `diff`: the SQL that turns one schema into another; false when they
/// differ and `--exit-code` asks so.
pub fn diff(ctx: &mut Ctx<'_>, args: &DiffArgs) -> Result<bool> {
    let scripts = ctx.scripts()?;
    let kind = ctx.target()?.url.kind;
    let m = {
        let mut reader = Reader::new(ctx);
        let from = reader.read(&args.from, scripts)?;
        let to = reader.read(&args.to, scripts)?;
        between(kind, &from.catalog, &to.catalog, &to.renames)?
    };
    let differs = !m.is_empty();
    if ctx.globals.json {
        ctx.json_out(&json!({
            "from": args.from.to_string(),
            "to": args.to.to_string(),
            "differs": differs,
            "statements": m.statements,
            "warnings": m.warnings,
        }))?;
    } else if differs {
        writeln!(ctx.out, "{}", section_text(&m))?;
    } else {
        ctx.say(&format!(
            "No differences between {} and {}.",
            args.from, args.to
        ));
    }
    Ok(!(differs && args.exit_code))
}

/// `baseline -m MSG`: a root revision that creates the configured database's
/// schema as it is (its downgrade drops it), and the database stamped with it.
pub fn baseline(ctx: &mut Ctx<'_>, args: &RevisionArgs) -> Result<()> {
    let scripts = ctx.scripts()?;
    if !scripts.map.is_empty() {
        bail!(
            "baseline writes the first revision of a project, but this one has {} revision(s) already; to record changes made to the database by hand, compare them with `migrate diff --from migrations --to database`",
            scripts.map.len()
        );
    }
    let kind = ctx.target()?.url.kind;
    let live = Reader::new(ctx).read(&Side::Database, scripts)?;
    if live.catalog.is_empty() {
        bail!(
            "the database {} holds no schema to start from; write the first revision with `migrate revision -m ...` (or `--autogenerate` from a schema file)",
            ctx.target()?.display
        );
    }
    let empty = Catalog::default();
    let up = between(kind, &empty, &live.catalog, &Default::default())?;
    let down = between(kind, &live.catalog, &empty, &Default::default())?;
    let path = generate(
        ctx,
        scripts,
        NewRevision {
            message: args.message.as_deref(),
            rev_id: args.rev_id.as_deref(),
            parents: Vec::new(),
            branch_labels: args.branch_labels.clone(),
            depends_on: Vec::new(),
            version_path: args.version_path.as_deref(),
            upgrades: section_text(&up),
            downgrades: section_text(&down),
        },
        true,
    )?;
    // Stamp with the new revision: the database already has its schema.
    let text = std::fs::read_to_string(&path)?;
    let rev = crate::script::file::parse(&text)
        .map(|f| f.revision)
        .map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
    ctx.migrator()?.stamp(&[&rev], false)?;
    Ok(())
}
