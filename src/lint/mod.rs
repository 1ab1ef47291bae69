//! `migrate lint`: finds the statements of revisions that lock a busy table,
//! rewrite or copy it, lose data, break code that still runs, fail on
//! existing rows, or certainly fail; and downgrades that do not undo their
//! upgrade.
//!
//! The rooms: `rules` declares every rule once (id, databases, severity,
//! why, safe way); `classify` reads a statement with `sqlparser` into the
//! facts the rules use; `model` is the schema the revisions made so far, so
//! a rule knows which tables are new; `cx` is what a rule sees of one
//! statement; `engine` walks the revisions and applies the policy once
//! (levels, suppression, empty tables); `dialect` holds each database's own
//! rules and facts; `suppress` reads `-- migrate:lint-ignore`; `finding` is
//! one thing found, and `output` writes findings as text, JSON, SARIF and
//! GitHub annotations. All pure except `dialect`'s facts, which read a database the
//! caller connected to.

pub mod classify;
pub mod cx;
pub mod dialect;
pub mod engine;
pub mod finding;
pub mod model;
pub mod output;
pub mod rules;
pub mod suppress;

pub use cx::Facts;
pub use engine::Level;
pub use finding::Finding;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::{Path, PathBuf};

    #[test]
    fn every_level_word_is_a_level() {
        for w in Level::WORDS {
            assert!(Level::parse(w).is_some(), "{w}");
        }
    }

    /// Revisions `(id, revises, header, up, down)` as files, linted offline
    /// (`applied` all) or with `pending` ids not applied.
    fn lint_texts(
        kind: Kind,
        revs: &[(&str, &str, &str, &str, &str)],
        pending: &[&str],
    ) -> Vec<Finding> {
        let files = revs.iter().map(|(id, revises, header, up, down)| {
            (
                PathBuf::from(format!("{id}.sql")),
                format!(
                    "-- {id}\n-- Revision ID: {id}\n-- Revises: {revises}\n{header}\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\n{down}\n"
                ),
            )
        });
        let scripts = ScriptDirectory::from_texts(&Config::defaults(Path::new("/p")), files)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let facts = dialect::rules_for(kind).facts_offline();
        lint(
            &scripts,
            kind,
            &|_| true,
            &|id| !pending.contains(&id),
            &facts,
            &BTreeMap::new(),
        )
    }

    fn names(f: &[Finding]) -> Vec<(&str, &'static str, usize)> {
        f.iter()
            .map(|f| (f.revision.as_str(), f.rule.name(), f.line))
            .collect()
    }

    #[test]
    fn pending_revisions_make_new_tables_and_applied_ones_do_not() {
        let revs = [
            ("a", "", "", "CREATE TABLE t (id int);", "DROP TABLE t;"),
            (
                "b",
                "a",
                "",
                "SET lock_timeout = '1s';\nCREATE INDEX i ON t (id);",
                "DROP INDEX i;",
            ),
        ];
        assert_eq!(
            names(&lint_texts(Kind::Postgres, &revs, &[])),
            [("b", "index-not-concurrently", 7)]
        );
        assert!(lint_texts(Kind::Postgres, &revs, &["a", "b"]).is_empty());
    }

    #[test]
    fn a_section_that_does_not_split_is_unchecked_not_passed() {
        let revs = [(
            "a",
            "",
            "",
            "CREATE TABLE t (note text DEFAULT 'open);",
            "DROP TABLE t;",
        )];
        let f = lint_texts(Kind::Postgres, &revs, &[]);
        assert_eq!(names(&f), [("a", "unchecked", 6)]);
        assert!(f[0].subject.contains("does not split"), "{}", f[0].subject);
    }

    #[test]
    fn a_downgrade_that_undoes_more_than_its_upgrade_is_flagged() {
        let revs = [
            (
                "a",
                "",
                "",
                "CREATE TABLE t (id int, x int);",
                "DROP TABLE t;",
            ),
            (
                "b",
                "a",
                "",
                "ALTER TABLE t ADD COLUMN y int;",
                "ALTER TABLE t DROP COLUMN y;\nALTER TABLE t DROP COLUMN x;\nDROP TABLE u;",
            ),
        ];
        let f = lint_texts(Kind::Sqlite, &revs, &[]);
        assert_eq!(
            names(&f),
            [
                ("b", "downgrade-not-inverse", 9),
                ("b", "downgrade-not-inverse", 10)
            ]
        );
    }

    #[test]
    fn sqlite_rebuilds_are_not_drops_and_suppression_is_per_statement() {
        let rebuild = "CREATE TABLE _new_t (id int NOT NULL);\nINSERT INTO _new_t SELECT id FROM t;\nDROP TABLE t;\nALTER TABLE _new_t RENAME TO t;";
        let revs = [
            (
                "a",
                "",
                "",
                "CREATE TABLE t (id int);\nCREATE TABLE u (id int);",
                "DROP TABLE u;\nDROP TABLE t;",
            ),
            ("b", "a", "", rebuild, "SELECT 1;"),
            (
                "c",
                "b",
                "",
                "-- migrate:lint-ignore drop-table,truncate kept in the archive\nDROP TABLE u;",
                "",
            ),
        ];
        let f = lint_texts(Kind::Sqlite, &revs, &[]);
        assert_eq!(names(&f), [("c", "missing-downgrade", 8)]);
    }
}
