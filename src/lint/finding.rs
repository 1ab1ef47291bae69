//! One thing the linter found, as the outputs (text, JSON, SARIF, GitHub)
//! and `check` read it.

use super::rules::{RuleId, Severity};
use std::path::{Path, PathBuf};

/// One thing the linter found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    #[serde(serialize_with = "rule_name")]
    pub rule: RuleId,
    pub severity: Severity,
    pub revision: String,
    #[serde(serialize_with = "path_text")]
    pub path: PathBuf,
    /// `upgrade` or `downgrade`.
    pub section: &'static str,
    pub line: usize,
    pub column: usize,
    /// What it is about (`table users`), may be empty.
    pub subject: String,
    /// The rule's one-line why.
    pub why: &'static str,
    /// The safe way.
    pub fix: &'static str,
    /// The start of the statement.
    pub excerpt: String,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's serialize_with passes a reference
fn rule_name<S: serde::Serializer>(r: &RuleId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.name())
}

fn path_text<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.display().to_string())
}

impl Finding {
    /// The one-line message: why, and about what.
    pub fn message(&self) -> String {
        if self.subject.is_empty() {
            self.why.to_string()
        } else {
            format!("{} ({})", self.why, self.subject)
        }
    }
}
