//! The round trip on the scratch database: for each revision of the range,
//! oldest first, the schema is read before its upgrade, after it, after its
//! downgrade (it must equal the first) and after upgrading again (it must
//! equal the second); its data checks run after the first upgrade. The
//! revisions before the range are applied untested. The first failure
//! ends the run: what the database holds after it is not known to be right.
//!
//! The scratch database is the one autogenerate uses (`dev_url`, or a
//! temporary database dropped on every exit path); the configured database
//! is read only for a range that names `current`, and never written.

use super::data;
use crate::command::schema::{between, new_scratch, scratch_target, section_text};
use crate::command::Ctx;
use crate::dialect::own_tables;
use crate::progress::Progress;
use crate::runtime::{MigrationContext, RunError, RunOptions};
use crate::schema::model::QName;
use crate::schema::Catalog;
use crate::script::revision::{Direction, MigrationStep, RevRange};
use crate::script::{Script, ScriptDirectory};
use crate::target::Access;
use crate::Kind;
use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;

/// What `migrate test` runs.
pub(crate) struct Options<'a> {
    /// `history -r`'s range; all revisions when `None`.
    pub range: Option<&'a str>,
    /// False for `--no-downgrade`: upgrades and data checks only.
    pub downgrade: bool,
}

/// The part of the round trip that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stage {
    /// The upgrade failed.
    Upgrade,
    /// A statement of the `-- migrate:test` section failed or a check was false.
    DataCheck,
    /// The downgrade failed.
    Downgrade,
    /// The schema after the downgrade is not the one before the upgrade.
    DowngradeSchema,
    /// Upgrading again after the downgrade failed.
    Reupgrade,
    /// Upgrading again made another schema than the first upgrade.
    ReupgradeSchema,
}

/// Why a revision failed the round trip.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Failure {
    pub stage: Stage,
    pub message: String,
    /// The SQL that turns the schema found into the one expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The two schemas as a unified diff, where the SQL cannot say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// What became of one revision.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Outcome {
    pub revision: String,
    pub path: String,
    pub message: String,
    /// `passed`, `failed`, or `not_run` (after an earlier failure).
    pub outcome: &'static str,
    /// Statements of its `-- migrate:test` section that ran.
    pub data_checks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// Runs the round trip; `each` hears of every revision as it is done.
pub(crate) fn round_trip(
    ctx: &Ctx<'_>,
    scripts: &ScriptDirectory,
    opts: &Options<'_>,
    mut each: impl FnMut(&Outcome) -> Result<()>,
) -> Result<Vec<Outcome>> {
    let rows = match opts.range {
        Some(r) if RevRange::parse(r)?.mentions_current() => ctx.reader()?.read_heads()?,
        _ => Vec::new(),
    };
    // The graph holds the ids (taken out of the files), the scripts the SQL.
    let mut revisions: Vec<(&str, &Script)> = scripts
        .map
        .history(opts.range, &rows)?
        .into_iter()
        .map(|info| {
            scripts
                .script(&info.id)
                .map(|s| (info.id.as_str(), s))
                .ok_or_else(|| anyhow!("revision {} has no file", info.id))
        })
        .collect::<Result<_>>()?;
    revisions.reverse();
    let mut outcomes = Vec::with_capacity(revisions.len());
    if revisions.is_empty() {
        return Ok(outcomes);
    }
    let project = ctx.target()?;
    let kind = project.url.kind;
    let own = own_tables(&project.version_table, &project.settings.log_table, kind);
    // Declared before the context on it, so dropped after it (a server
    // drops no database that has a connection).
    let scratch = new_scratch(ctx)?;
    let target = scratch_target(project, &scratch);
    let quiet = Progress::new(Box::new(std::io::sink()), true);
    let mut mc = ctx.open(&target, Access::Write, quiet)?;
    // A scratch run, as the schema replay's: no audit log, no waiting on disk.
    mc.disposable()?;
    let mut tester = Tester {
        mc: &mut mc,
        scripts,
        own: &own,
        kind,
        display: &scratch.display,
        last: None,
    };
    let mut failed = false;
    for (id, script) in revisions {
        let mut o = Outcome {
            revision: id.to_string(),
            path: script.path.display().to_string(),
            message: script.file.message.clone(),
            outcome: "not_run",
            data_checks: 0,
            failure: None,
        };
        if !failed {
            let result = tester.revision(id, script, opts.downgrade, &mut o.data_checks)?;
            failed = result.is_some();
            o.outcome = if failed { "failed" } else { "passed" };
            o.failure = result;
        }
        each(&o)?;
        outcomes.push(o);
    }
    Ok(outcomes)
}

/// The run on the scratch database.
struct Tester<'t> {
    mc: &'t mut MigrationContext,
    scripts: &'t ScriptDirectory,
    own: &'t [QName],
    kind: Kind,
    display: &'t str,
    /// The schema the last revision tested left (its second upgrade's), so
    /// the next one need not read it again.
    last: Option<Catalog>,
}

impl Tester<'_> {
    /// The round trip of one revision: its failure, if it fails.
    fn revision(
        &mut self,
        id: &str,
        script: &Script,
        downgrade: bool,
        data_checks: &mut usize,
    ) -> Result<Option<Failure>> {
        let path = script.path.display().to_string();
        let heads = self.mc.read_heads()?;
        let plan = self.scripts.map.upgrade_plan(&heads, id)?;
        let Some((up, before)) = plan.split_last() else {
            bail!("revision {id} is applied on the scratch database already; this is a bug in `migrate test`");
        };
        if !before.is_empty() {
            // The revisions before a range: applied untested.
            self.run(before.to_vec(), "upgrade").with_context(|| {
                format!(
                    "upgrading the scratch database ({}) to the revisions before {id}",
                    self.display
                )
            })?;
        }
        let fail = |stage: Stage, message: String| Failure {
            stage,
            message,
            sql: None,
            diff: None,
        };
        // Schemas are read only to be compared, which --no-downgrade does not.
        let last = self.last.take();
        let first = match last {
            Some(schema) if downgrade && before.is_empty() => schema,
            _ if downgrade => self.snapshot()?,
            _ => Catalog::default(),
        };
        if let Err(e) = self.run(vec![up.clone()], "upgrade") {
            stop_if_interrupted(id)?;
            return Ok(Some(fail(
                Stage::Upgrade,
                format!("revision {id} ({path}): its upgrade failed on the scratch database: {e}"),
            )));
        }
        let upgraded = if downgrade {
            self.snapshot()?
        } else {
            Catalog::default()
        };
        if let Some(section) = script.file.test() {
            match data::run(self.mc.db(), section, self.kind) {
                Ok(n) => *data_checks = n,
                Err(f) => {
                    stop_if_interrupted(id)?;
                    let statement = if f.excerpt.is_empty() {
                        String::new()
                    } else {
                        format!("\n  {}", f.excerpt)
                    };
                    return Ok(Some(fail(
                        Stage::DataCheck,
                        format!(
                            "{path}:{}:{}: a data check of revision {id} failed: {}{statement}",
                            f.line, f.column, f.why
                        ),
                    )));
                }
            }
        }
        if !downgrade {
            return Ok(None);
        }
        let down = MigrationStep {
            revision: up.revision.clone(),
            direction: Direction::Down,
            doc: up.doc.clone(),
            from_revisions: up.to_revisions.clone(),
            to_revisions: up.from_revisions.clone(),
        };
        if let Err(e) = self.run(vec![down], "downgrade") {
            stop_if_interrupted(id)?;
            return Ok(Some(fail(
                Stage::Downgrade,
                format!(
                    "revision {id} ({path}): its downgrade failed on the scratch database: {e}"
                ),
            )));
        }
        let downgraded = self.snapshot()?;
        if downgraded != first {
            let mut f = fail(
                Stage::DowngradeSchema,
                format!(
                    "revision {id} ({path}): its downgrade does not undo its upgrade; the schema after the downgrade differs from the one before the upgrade. The SQL below is what the downgrade leaves undone (it turns the schema the downgrade left into the one before the upgrade)"
                ),
            );
            (f.sql, f.diff) = self.difference(&downgraded, &first);
            return Ok(Some(f));
        }
        if let Err(e) = self.run(vec![up.clone()], "upgrade") {
            stop_if_interrupted(id)?;
            return Ok(Some(fail(
                Stage::Reupgrade,
                format!(
                    "revision {id} ({path}): its upgrade failed when run again after its downgrade (the schema was as before the first upgrade, so the downgrade left something else behind, data or an object `migrate` does not compare): {e}"
                ),
            )));
        }
        let again = self.snapshot()?;
        if again != upgraded {
            let mut f = fail(
                Stage::ReupgradeSchema,
                format!(
                    "revision {id} ({path}): upgrading again after its downgrade made another schema than its first upgrade. The SQL below turns the schema of the second upgrade into that of the first"
                ),
            );
            (f.sql, f.diff) = self.difference(&again, &upgraded);
            return Ok(Some(f));
        }
        self.last = Some(again);
        Ok(None)
    }

    /// Runs `steps` on the scratch database.
    fn run(&mut self, steps: Vec<MigrationStep>, verb: &'static str) -> Result<(), RunError> {
        let opts = RunOptions {
            resume: None,
            replan: false,
            verb,
        };
        let scripts = self.scripts;
        self.mc
            .run_steps(scripts, &opts, |_| Ok(steps.clone()))
            .map(|_| ())
    }

    /// The scratch database's schema, without `migrate`'s own tables.
    fn snapshot(&mut self) -> Result<Catalog> {
        if crate::interrupt::interrupted() {
            bail!("interrupted (Ctrl-C) during `migrate test`");
        }
        self.mc.db().read_catalog(self.own).with_context(|| {
            format!(
                "reading the schema of the scratch database ({})",
                self.display
            )
        })
    }

    /// The SQL from `found` to `expected`; or, where the diff engine finds
    /// no SQL for it, the two schemas as a unified diff.
    fn difference(&self, found: &Catalog, expected: &Catalog) -> (Option<String>, Option<String>) {
        match between(self.kind, found, expected, &Default::default()) {
            Ok(m) if !m.is_empty() => (Some(section_text(&m)), None),
            _ => (
                None,
                Some(crate::runtime::diff::unified(
                    &format!("{expected:#?}\n"),
                    &format!("{found:#?}\n"),
                    "expected",
                    "found",
                    3,
                )),
            ),
        }
    }
}

/// Ctrl-C as an error, not as the failure of revision `id`.
fn stop_if_interrupted(id: &str) -> Result<()> {
    if crate::interrupt::interrupted() {
        bail!("interrupted (Ctrl-C) while testing revision {id}; the scratch database is dropped");
    }
    Ok(())
}
