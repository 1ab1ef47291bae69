//! `-- migrate:lint-ignore RULE[,RULE…] reason`: a directive line above a
//! statement that silences those rules for that statement. In the header
//! (above `-- migrate:upgrade`) it silences them for the whole revision; at
//! the end of an empty downgrade section, for `missing-downgrade`. The
//! reason is required, and recorded in the audit log when the revision runs
//! ([`reasons`]). Such lines do not count in the revision's checksum (see
//! `runtime::audit`), so adding one to an applied revision is no edit.
//!
//! Pure: the parsed file in, values out.

use super::finding::Finding;
use super::rules::{by_name, RuleId};
use crate::script::file::{RevisionFile, Section};
use crate::script::marker::LINT_IGNORE;
use crate::script::Script;
use crate::Kind;

/// One `lint-ignore` line, read.
#[derive(Clone, Debug)]
pub struct Ignore {
    pub rules: Vec<RuleId>,
    pub reason: String,
    /// The section and line of the statement it stands above; None for
    /// the whole revision.
    pub applies_to: Option<(&'static str, usize)>,
}

/// The `lint-ignore` lines of a revision, and what is wrong with them.
pub struct Ignores {
    pub list: Vec<Ignore>,
    pub problems: Vec<Finding>,
}

/// Where a directive line stands.
enum Place {
    Header,
    Section(&'static str),
    Elsewhere,
}

fn place(file: &RevisionFile, line: usize) -> Place {
    match file.section_of(line) {
        None => Place::Header,
        Some(s @ ("upgrade" | "downgrade")) => Place::Section(s),
        Some(_) => Place::Elsewhere,
    }
}

/// The rules and the reason of a directive's arguments.
fn read(arguments: &str) -> (Vec<&str>, &str) {
    let (list, reason) = match arguments.split_once(char::is_whitespace) {
        Some((l, r)) => (l, r.trim()),
        None => (arguments, ""),
    };
    (
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        reason,
    )
}

/// The `lint-ignore` lines of `script`, each tied to its statement.
pub fn ignores(id: &str, script: &Script, kind: Kind) -> Ignores {
    let file = &script.file;
    let mut out = Ignores {
        list: Vec::new(),
        problems: Vec::new(),
    };
    // Where each statement starts; a section that does not split has one
    // where the split stopped, as the engine reports it (`unchecked`).
    let starts = |section: &Section| -> Vec<usize> {
        match crate::sql::split(&section.text, kind) {
            Ok(v) => v.iter().map(|s| section.first_line + s.line - 1).collect(),
            Err(e) => vec![section.first_line + e.position().0 - 1],
        }
    };
    let up = starts(&file.upgrade);
    let down = starts(&file.downgrade);
    for d in file.directives.iter().filter(|d| d.name == LINT_IGNORE) {
        let problem = |subject: String| Finding {
            rule: RuleId::LintIgnore,
            severity: RuleId::LintIgnore.rule().severity,
            revision: id.to_string(),
            path: script.path.clone(),
            section: match place(file, d.line) {
                Place::Section(s) => s,
                Place::Header | Place::Elsewhere => "upgrade",
            },
            line: d.line,
            column: 1,
            subject,
            why: RuleId::LintIgnore.rule().why,
            fix: RuleId::LintIgnore.rule().fix,
            excerpt: String::new(),
        };
        let (names, reason) = read(&d.arguments);
        let mut rules = Vec::new();
        for n in &names {
            match by_name(n) {
                Some(r) if r.id != RuleId::LintIgnore => rules.push(r.id),
                _ => out.problems.push(problem(format!(
                    "no rule `{}`",
                    crate::text::escape_controls(n)
                ))),
            }
        }
        if names.is_empty() {
            out.problems.push(problem("no rule named".into()));
            continue;
        }
        if reason.is_empty() {
            out.problems.push(problem("no reason given".into()));
            continue;
        }
        let applies_to = match place(file, d.line) {
            Place::Header => None,
            Place::Elsewhere => continue,
            Place::Section(section) => {
                let list = if section == "upgrade" { &up } else { &down };
                match list.iter().find(|&&l| l > d.line) {
                    Some(&l) => Some((section, l)),
                    None if section == "downgrade" => {
                        Some((section, file.downgrade.first_line.saturating_sub(1)))
                    }
                    None => {
                        out.problems
                            .push(problem("no statement follows it in its section".into()));
                        continue;
                    }
                }
            }
        };
        out.list.push(Ignore {
            rules,
            reason: reason.to_string(),
            applies_to,
        });
    }
    out
}

/// What the audit log records of the `lint-ignore` lines of the section
/// that ran (`upgrade` or `downgrade`) and of the header: one line each,
/// `line N: RULES: reason`. Empty when there is none.
pub fn reasons(file: &RevisionFile, section: &str) -> String {
    let mut lines = Vec::new();
    for d in file.directives.iter().filter(|d| d.name == LINT_IGNORE) {
        let here = match place(file, d.line) {
            Place::Header => true,
            Place::Section(s) => s == section,
            Place::Elsewhere => false,
        };
        if here {
            let (names, reason) = read(&d.arguments);
            lines.push(format!("line {}: {}: {reason}", d.line, names.join(",")));
        }
    }
    lines.join("\n")
}
