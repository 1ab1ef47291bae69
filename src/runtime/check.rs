//! `check`'s policy: every problem a project and its database can have, found
//! from values (the loaded scripts, the version table's rows, the audit log).
//! Pure: the command reads the database and prints; this decides.

use super::audit::{self, LogRow};
use super::diff;
use super::error::HalfApplied;
use crate::script::ScriptDirectory;
use crate::Kind;

/// One problem `check` found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// `graph`, `todo`, `multiple_heads`, `unknown_revision`, `not_at_head`, `changed`, `half_applied`.
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For `changed`: a unified diff from the SQL that ran to the file now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// For `schema_changes` and `drift`: the SQL of the difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// For `lint`: the finding (rule, severity, line, column, why, safe way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lint: Option<serde_json::Value>,
    /// For `lint`: only an error fails `check`.
    #[serde(skip)]
    pub fails: bool,
}

impl Problem {
    pub fn new(kind: &'static str, message: String) -> Problem {
        Problem {
            kind,
            message,
            revisions: Vec::new(),
            path: None,
            diff: None,
            sql: None,
            lint: None,
            fails: true,
        }
    }
}

/// The problems of the graph alone (no database): several heads.
pub fn graph_problems(scripts: &ScriptDirectory) -> Vec<Problem> {
    let mut problems = todo_problems(scripts);
    let heads = scripts.map.heads();
    if heads.len() <= 1 {
        return problems;
    }
    let mut p = Problem::new(
        "multiple_heads",
        format!(
            "the revision graph has {} heads ({}); join them with `migrate merge heads -m \"merge\"`",
            heads.len(),
            heads.join(", ")
        ),
    );
    p.revisions = heads.iter().map(std::string::ToString::to_string).collect();
    problems.push(p);
    problems
}

/// The revisions whose SQL is still to be written (`-- migrate:todo`), one
/// problem each: `upgrade` and `downgrade` refuse them.
fn todo_problems(scripts: &ScriptDirectory) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in &scripts.scripts {
        let Some(todo) = s.file.todo(true).or_else(|| s.file.todo(false)) else {
            continue;
        };
        let at = format!("{}:{}", s.path.display(), todo.line);
        let mut p = Problem::new(
            "todo",
            format!(
                "{at}: revision {} is marked `-- migrate:todo`: its SQL is still to be written by hand; write it and delete the marker line (`upgrade` refuses it until then)",
                s.file.revision
            ),
        );
        p.revisions = vec![s.file.revision.clone()];
        p.path = Some(at);
        problems.push(p);
    }
    problems
}

/// The problems of the database: where it is (`rows`), what ran and what
/// failed (`log`, newest first).
pub fn database_problems(
    scripts: &ScriptDirectory,
    rows: &[String],
    log: &[LogRow],
    kind: Kind,
) -> Result<Vec<Problem>, crate::script::revision::RevisionError> {
    let mut problems = Vec::new();
    let unknown: Vec<String> = rows
        .iter()
        .filter(|r| scripts.map.get(r).is_none())
        .cloned()
        .collect();
    if unknown.is_empty() {
        let pending = scripts.map.upgrade_plan(rows, "heads")?;
        if !pending.is_empty() {
            let ids: Vec<String> = pending.iter().map(|s| s.revision.clone()).collect();
            let mut p = Problem::new(
                "not_at_head",
                format!(
                    "the database is not at head: {} revision(s) pending: {}; run `migrate upgrade heads`",
                    ids.len(),
                    ids.join(", ")
                ),
            );
            p.revisions = ids;
            problems.push(p);
        }
    } else {
        let mut p = Problem::new(
            "unknown_revision",
            format!(
                "the database is at revision(s) no file has: {}; restore the file(s) (e.g. from version control), or if the database should be elsewhere, `migrate stamp --purge <rev>`",
                unknown.join(", ")
            ),
        );
        p.revisions = unknown;
        problems.push(p);
    }
    for row in log.iter().filter(|r| r.is_half_applied()) {
        let mut p = Problem::new(
            "half_applied",
            HalfApplied::new(row, scripts, kind).to_string(),
        );
        p.revisions = vec![row.revision.clone()];
        p.path = scripts
            .script(&row.revision)
            .map(|s| s.path.display().to_string());
        problems.push(p);
    }
    for rev in scripts.map.ancestors_of(rows) {
        if let Some(p) = changed_since_it_ran(scripts, &rev, log) {
            problems.push(p);
        }
    }
    Ok(problems)
}

/// An applied revision whose upgrade section differs from the SQL that ran
/// (or was stamped), with the diff.
fn changed_since_it_ran(scripts: &ScriptDirectory, rev: &str, log: &[LogRow]) -> Option<Problem> {
    let script = scripts.script(rev)?;
    // The newest finished record of the revision says what the database has.
    let last = log.iter().find(|r| {
        r.revision == rev
            && r.outcome == audit::OK
            && matches!(r.direction.as_str(), "upgrade" | "downgrade" | "stamp")
    })?;
    if last.direction == "downgrade" || last.checksum.is_empty() {
        return None;
    }
    let now = audit::checksum(&script.file.upgrade.text);
    if now == last.checksum {
        return None;
    }
    let path = script.path.display().to_string();
    let verb = if last.direction == "stamp" {
        "was stamped"
    } else {
        "ran"
    };
    let d = diff::unified(
        &last.sql,
        &audit::normalize(&script.file.upgrade.text),
        &format!(
            "{rev} as it {verb} on {} (audit log row {})",
            last.started_at, last.id
        ),
        &format!("{path} now"),
        3,
    );
    let mut p = Problem::new(
        "changed",
        format!(
            "revision {rev} was edited since it {verb}: the upgrade section of {path} differs from the SQL that {verb} on {} (checksum {} then, {} now); the database has the old version. Undo the edit and put the change in a new revision (`migrate revision -m ...`), or if the database really matches the file, `migrate stamp {rev}` records the file as it is",
            last.started_at,
            short(&last.checksum),
            short(&now)
        ),
    );
    p.revisions = vec![rev.to_string()];
    p.path = Some(path);
    p.diff = Some(d);
    Some(p)
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}
