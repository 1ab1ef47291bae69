//! `migrate lint`: finds the statements of revisions that lock a busy table,
//! rewrite or copy it, lose data, break code that still runs, fail on
//! existing rows, or certainly fail; and downgrades that do not undo their
//! upgrade.
//!
//! The rooms: `rules` declares every rule once (id, databases, severity,
//! why, safe way); `classify` reads a statement with `sqlparser` into the
//! facts the rules use; `model` is the schema the revisions made so far, so
//! a rule knows which tables are new; `engine` walks the revisions and
//! applies the policy once (levels, suppression, empty tables); `dialect`
//! holds each database's own rules and facts; `suppress` reads
//! `-- migrate:lint-ignore`; `output` writes text, JSON, SARIF and GitHub
//! annotations. All pure except `dialect`'s facts, which read a database the
//! caller connected to.

pub mod classify;
pub mod dialect;
pub mod engine;
pub mod model;
pub mod output;
pub mod rules;
pub mod suppress;

pub use engine::{Facts, Finding, Level};
pub use rules::{RuleId, Severity, RULES};

use crate::script::ScriptDirectory;
use crate::Kind;
use std::collections::BTreeMap;

/// The levels `[lint]` sets, by rule name.
pub fn levels(settings: &[(String, String)]) -> BTreeMap<String, Level> {
    settings
        .iter()
        .filter_map(|(rule, word)| Some((rule.clone(), Level::parse(word)?)))
        .collect()
}

/// Lints the revisions `selected` picks, walking every revision of the
/// graph from base so that each rule knows the schema before it; `applied`
/// tells which revisions the database has (their tables hold rows).
pub fn lint(
    scripts: &ScriptDirectory,
    kind: Kind,
    selected: &dyn Fn(&str) -> bool,
    applied: &dyn Fn(&str) -> bool,
    facts: &Facts,
    levels: &BTreeMap<String, Level>,
) -> Vec<Finding> {
    let Ok(order) = scripts.map.history_of(None, &[]) else {
        return Vec::new();
    };
    let units: Vec<engine::Unit<'_>> = order
        .iter()
        .rev()
        .filter_map(|r| {
            Some(engine::Unit {
                id: &r.id,
                script: scripts.script(&r.id)?,
                lint: selected(&r.id),
                applied: applied(&r.id),
            })
        })
        .collect();
    engine::lint(&units, kind, facts, levels)
}

/// How many findings of each severity: (errors, warnings, notes).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Note))
}
