//! The rule engine: walks the revisions in order (oldest first), splits each
//! section into statements, classifies them, asks the rules shared by every
//! database and the database's own rules ([`super::dialect`]) what they
//! find, and applies the policy once: `[lint]` levels, suppression by
//! `-- migrate:lint-ignore`, and lowering for empty tables.
//!
//! Pure: the scripts, the server's facts and the levels come in as values.

use super::classify::{self, Action, Constraint, Op};
use super::cx::{Cx, Facts, Here, Stmt};
use super::dialect::{self, Hit};
use super::finding::Finding;
use super::model::Model;
use super::rules::{RuleId, Severity};
use super::suppress::{self, Ignore};
use crate::script::file::Section;
use crate::script::Script;
use crate::Kind;
use std::collections::{BTreeMap, BTreeSet};

/// One revision the engine walks.
pub struct Unit<'a> {
    /// The revision's id (the graph holds it, not the parsed file).
    pub id: &'a str,
    pub script: &'a Script,
    /// Report what its statements break (else only learn the schema from it).
    pub lint: bool,
    /// The database has it applied: the tables it creates hold rows.
    pub applied: bool,
}

/// What `[lint]` sets a rule to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    /// The rule's own severity.
    On,
    Warning,
    Error,
}

impl Level {
    /// The words `[lint]` takes, each one [`Level::parse`] reads.
    pub const WORDS: &'static [&'static str] = &["off", "on", "warning", "error"];

    /// The word of `migrate.toml` as a level.
    pub fn parse(word: &str) -> Option<Level> {
        Some(match word {
            "off" => Level::Off,
            "on" => Level::On,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }
}

/// Checks the revisions marked `lint`, learning the schema from all of them.
pub fn lint(
    units: &[Unit<'_>],
    kind: Kind,
    facts: &Facts,
    levels: &BTreeMap<String, Level>,
) -> Vec<Finding> {
    let rules = dialect::rules_for(kind);
    let mut model = Model::default();
    let mut out = Vec::new();
    for u in units {
        let mut raw = Vec::new();
        walk_revision(u, kind, facts, rules, &mut model, &mut raw);
        if !u.lint {
            continue;
        }
        let ignores = suppress::ignores(u.id, u.script, kind);
        raw.extend(ignores.problems);
        for mut f in raw {
            let rule = f.rule.rule();
            if !rule.kinds.contains(&kind) {
                continue;
            }
            if f.rule != RuleId::LintIgnore && ignored(&ignores.list, &f) {
                continue;
            }
            let level = levels.get(rule.name).copied().unwrap_or(Level::On);
            f.severity = match level {
                Level::Off => continue,
                Level::On => rule.severity,
                Level::Warning => Severity::Warning,
                Level::Error => Severity::Error,
            };
            if rule.rows_matter && f.severity > Severity::Note && empty_subject(&f, facts) {
                f.severity = Severity::Note;
            }
            out.push(f);
        }
    }
    out
}

/// The table a finding is about is empty by the server's estimate.
fn empty_subject(f: &Finding, facts: &Facts) -> bool {
    f.subject
        .strip_prefix("table ")
        .map(|t| t.split([' ', ',', ':']).next().unwrap_or(t))
        .is_some_and(|t| facts.empty_tables.contains(t))
}

fn ignored(list: &[Ignore], f: &Finding) -> bool {
    list.iter().any(|i| {
        i.rules.contains(&f.rule)
            && match i.applies_to {
                None => true,
                Some((section, line)) => section == f.section && line == f.line,
            }
    })
}

/// The statements of `section`; when it does not split, one `Unparsed`
/// statement where the splitter stopped, so it is reported as `unchecked`.
fn statements(section: &Section, kind: Kind) -> Vec<Stmt> {
    match crate::sql::split(&section.text, kind) {
        Ok(list) => list
            .into_iter()
            .map(|s| Stmt {
                line: section.first_line + s.line - 1,
                column: s.column,
                op: classify::classify(&s.text, kind),
                text: s.text,
            })
            .collect(),
        Err(e) => {
            let (line, column) = e.position();
            vec![Stmt {
                line: section.first_line + line - 1,
                column,
                text: String::new(),
                op: Op::Unparsed(format!("the section does not split into statements: {e}")),
            }]
        }
    }
}

fn walk_revision(
    u: &Unit<'_>,
    kind: Kind,
    facts: &Facts,
    rules: &dyn dialect::Rules,
    model: &mut Model,
    out: &mut Vec<Finding>,
) {
    let file = &u.script.file;
    let up = statements(&file.upgrade, kind);
    let finding = |section: &'static str, s: Option<&Stmt>, hit: Hit| {
        let rule = hit.rule.rule();
        Finding {
            rule: hit.rule,
            severity: rule.severity,
            revision: u.id.to_string(),
            path: u.script.path.clone(),
            section,
            line: s.map_or(file.downgrade.first_line.saturating_sub(1), |s| s.line),
            column: s.map_or(1, |s| s.column),
            subject: hit.subject,
            why: rule.why,
            fix: rule.fix,
            excerpt: s.map(|s| excerpt(&s.text)).unwrap_or_default(),
        }
    };
    // The upgrade: every rule, and the schema learned as it goes.
    let mut set = BTreeSet::new();
    let mut here = Here::default();
    let new = !u.applied;
    for i in 0..up.len() {
        let s = &up[i];
        let mut hits = Vec::new();
        if u.lint {
            let cx = Cx {
                kind,
                facts,
                model,
                transactional: file.transactional,
                stmts: &up,
                at: i,
                set: &set,
                here: &here,
            };
            common(&cx, &mut hits);
            rules.upgrade(&cx, &mut hits);
        }
        for h in hits {
            out.push(finding("upgrade", Some(s), h));
        }
        if let Op::Set { name } = &s.op {
            set.insert(name.clone());
        }
        here.learn(&s.op);
        model.apply(&s.op, new);
    }
    if !u.lint {
        return;
    }
    let down = statements(&file.downgrade, kind);
    // The downgrade: statements that certainly fail, and whether it undoes
    // what the upgrade did.
    if down.is_empty() && !up.is_empty() {
        out.push(finding(
            "downgrade",
            None,
            Hit::new(RuleId::MissingDowngrade, ""),
        ));
    }
    let mut touched = Touched::of(&up, &down);
    let mut set = BTreeSet::new();
    // The downgrade runs on the schema the upgrade made; what it does is
    // learned on a copy, as the walk goes on from the upgrade.
    let mut model = model.clone();
    let model = &mut model;
    for i in 0..down.len() {
        let s = &down[i];
        let cx = Cx {
            kind,
            facts,
            model,
            transactional: file.transactional,
            stmts: &down,
            at: i,
            set: &set,
            here: &here,
        };
        let mut hits = Vec::new();
        if let Op::Unparsed(e) = &s.op {
            hits.push(Hit::new(RuleId::Unchecked, &format!("parser: {e}")));
        }
        rules.downgrade(&cx, &mut hits);
        touched.check(&s.op, &mut hits);
        touched.learn_downgrade(&s.op);
        for h in hits {
            out.push(finding("downgrade", Some(s), h));
        }
        if let Op::Set { name } = &s.op {
            set.insert(name.clone());
        }
        model.apply(&s.op, true);
    }
}

/// The first line of a statement, at most 80 characters, control characters
/// escaped (a terminal escape in a statement reaches the terminal as text).
fn excerpt(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default().trim();
    let line = crate::text::escape_controls(first);
    let line = line.as_ref();
    let mut e: String = line.chars().take(80).collect();
    if line.chars().count() > 80 || text.lines().count() > 1 {
        e.push('…');
    }
    e
}

/// The rules every database shares, for an upgrade statement.
fn common(cx: &Cx<'_>, hits: &mut Vec<Hit>) {
    let stmt = &cx.stmts[cx.at];
    match &stmt.op {
        Op::Unparsed(e) => hits.push(Hit::new(RuleId::Unchecked, &format!("parser: {e}"))),
        Op::DropTable { tables } => {
            for t in tables {
                if cx.existing(t) && !replaced_later(cx, t) {
                    hits.push(Hit::table(RuleId::DropTable, t));
                }
            }
        }
        Op::DropSchema { names } => {
            hits.push(Hit::new(
                RuleId::DropSchema,
                &format!("schema {}", names.join(", ")),
            ));
        }
        Op::Truncate { tables } => {
            for t in tables.iter().filter(|t| cx.existing(t)) {
                hits.push(Hit::table(RuleId::Truncate, t));
            }
        }
        Op::RenameTable { from, .. } if cx.existing(from) => {
            hits.push(Hit::table(RuleId::RenameTable, from));
        }
        Op::CreateIndex {
            table,
            columns,
            unique: true,
            ..
        } if cx.existing(table) && !all_null_columns(cx, table, columns) => {
            hits.push(Hit::table(RuleId::NewUnique, table));
        }
        Op::AlterTable { table, actions } if cx.existing(table) => {
            for a in actions {
                match a {
                    Action::DropColumn(cols) => {
                        for c in cols.iter().filter(|c| cx.existing_column(table, c)) {
                            hits.push(Hit::new(
                                RuleId::DropColumn,
                                &format!("table {table}, column {c}"),
                            ));
                        }
                    }
                    Action::RenameColumn { from, .. } if cx.existing_column(table, from) => {
                        hits.push(Hit::new(
                            RuleId::RenameColumn,
                            &format!("table {table}, column {from}"),
                        ));
                    }
                    // MySQL's `CHANGE old new type` renames as it redefines.
                    Action::Redefine { column, new }
                        if !new.name.eq_ignore_ascii_case(column)
                            && cx.existing_column(table, column) =>
                    {
                        hits.push(Hit::new(
                            RuleId::RenameColumn,
                            &format!("table {table}, column {column}"),
                        ));
                    }
                    Action::RenameTo(_) => hits.push(Hit::table(RuleId::RenameTable, table)),
                    Action::AddConstraint {
                        kind:
                            Constraint::Unique {
                                using_index: false, ..
                            },
                        ..
                    } => hits.push(Hit::table(RuleId::NewUnique, table)),
                    Action::AddColumn(c)
                        if (c.unique || c.primary_key)
                            && (c.default.is_some() || c.computed || c.auto_increment) =>
                    {
                        hits.push(Hit::table(RuleId::NewUnique, table));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Columns this revision added with no default: every row holds NULL
/// there, so a unique index over them cannot meet a duplicate.
fn all_null_columns(cx: &Cx<'_>, table: &str, columns: &[String]) -> bool {
    !columns.is_empty()
        && columns.iter().all(|c| {
            cx.here.columns.contains(&(table.to_string(), c.clone()))
                && cx.model.column(table, c).is_some_and(|d| {
                    matches!(d.default, None | Some(classify::Default::Null)) && !d.computed
                })
        })
}

/// A table dropped and, later in the section, another renamed to its name:
/// the rebuild of a table (SQLite's procedure), not a loss of its rows.
fn replaced_later(cx: &Cx<'_>, table: &str) -> bool {
    cx.stmts[cx.at + 1..].iter().any(|s| match &s.op {
        Op::RenameTable { to, .. } => to == table,
        Op::AlterTable { actions, .. } => actions
            .iter()
            .any(|a| matches!(a, Action::RenameTo(to) if to == table)),
        _ => false,
    })
}

/// What an upgrade created, changed or dropped, for the downgrade's check.
#[derive(Default)]
struct Touched {
    /// Tables created, altered or renamed (both names).
    tables: BTreeSet<String>,
    created: BTreeSet<String>,
    /// `table.column` added or renamed to.
    columns: BTreeSet<(String, String)>,
    /// Indexes and constraints created, by name.
    indexes: BTreeSet<String>,
    schemas: BTreeSet<String>,
    /// Tables the downgrade renames another table to: dropping one of them
    /// first is a rebuild (SQLite's way to change a table), not a loss.
    rebuilt: BTreeSet<String>,
    /// A statement of the upgrade could not be read: what it made is unknown
    /// (it is reported as `unchecked`), so the downgrade is not judged.
    unknown: bool,
}

impl Touched {
    fn of(up: &[Stmt], down: &[Stmt]) -> Touched {
        let mut t = Touched::default();
        for s in down {
            match &s.op {
                Op::RenameTable { to, .. } => {
                    t.rebuilt.insert(to.clone());
                }
                Op::AlterTable { actions, .. } => {
                    for a in actions {
                        if let Action::RenameTo(to) = a {
                            t.rebuilt.insert(to.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        for s in up {
            match &s.op {
                Op::Unparsed(_) => t.unknown = true,
                Op::CreateTable { table, .. } => {
                    t.created.insert(table.clone());
                    t.tables.insert(table.clone());
                }
                Op::CreateIndex { name, table, .. } => {
                    t.indexes.extend(name.clone());
                    t.tables.insert(table.clone());
                }
                Op::CreateSchema { name } => {
                    t.schemas.insert(name.clone());
                }
                Op::RenameTable { from, to } => {
                    t.tables.insert(from.clone());
                    t.tables.insert(to.clone());
                    t.created.insert(to.clone());
                }
                Op::DropTable { tables } => t.tables.extend(tables.iter().cloned()),
                Op::AlterTable { table, actions } => {
                    t.tables.insert(table.clone());
                    for a in actions {
                        match a {
                            Action::AddColumn(c) => {
                                t.columns.insert((table.clone(), c.name.clone()));
                            }
                            Action::RenameColumn { to, .. } => {
                                t.columns.insert((table.clone(), to.clone()));
                            }
                            Action::Redefine { new, .. } => {
                                t.columns.insert((table.clone(), new.name.clone()));
                            }
                            Action::RenameTo(to) => {
                                t.tables.insert(to.clone());
                                t.created.insert(to.clone());
                            }
                            Action::AddConstraint { name: Some(n), .. } => {
                                t.indexes.insert(n.clone());
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        t
    }

    /// What a downgrade statement makes is the downgrade's own: a table it
    /// creates (a rebuild's new copy) may be altered, renamed or dropped.
    fn learn_downgrade(&mut self, op: &Op) {
        if let Op::CreateTable { table, .. } = op {
            self.created.insert(table.clone());
            self.tables.insert(table.clone());
        }
    }

    /// Flags a downgrade statement that drops or alters what the upgrade
    /// did not create or change.
    fn check(&self, op: &Op, hits: &mut Vec<Hit>) {
        let hit = |what: String| Hit::new(RuleId::DowngradeNotInverse, &what);
        if self.unknown {
            return;
        }
        match op {
            Op::DropTable { tables } => {
                let rebuild = |t: &String| self.tables.contains(t) && self.rebuilt.contains(t);
                for t in tables
                    .iter()
                    .filter(|t| !self.created.contains(*t) && !rebuild(t))
                {
                    hits.push(hit(format!("table {t} was not created by the upgrade")));
                }
            }
            Op::DropIndex { names } => {
                for n in names.iter().filter(|n| !self.indexes.contains(*n)) {
                    hits.push(hit(format!("index {n} was not created by the upgrade")));
                }
            }
            Op::DropSchema { names } => {
                for n in names.iter().filter(|n| !self.schemas.contains(*n)) {
                    hits.push(hit(format!("schema {n} was not created by the upgrade")));
                }
            }
            Op::AlterTable { table, actions } => {
                if !self.tables.contains(table) {
                    hits.push(hit(format!("table {table} was not changed by the upgrade")));
                    return;
                }
                if self.created.contains(table) {
                    return;
                }
                for a in actions {
                    if let Action::DropColumn(cols) = a {
                        for c in cols {
                            if !self.columns.contains(&(table.clone(), c.clone())) {
                                hits.push(hit(format!(
                                    "column {table}.{c} was not added by the upgrade"
                                )));
                            }
                        }
                    }
                    if let Action::DropIndex(n) | Action::DropConstraint(n) = a {
                        if !self.indexes.contains(n) {
                            hits.push(hit(format!(
                                "{n} on {table} was not created by the upgrade"
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
