//! The findings as text (one `file:line:column: severity[rule]: why` line
//! and the safe way under it), as JSON, as SARIF 2.1.0 (for code scanning)
//! and as GitHub workflow annotation lines
//! (`::warning file=…,line=…,col=…::…`). Paths are written relative to the
//! working directory where they are under it. Pure: values in, text out.

use super::finding::Finding;
use super::rules::{Severity, RULES};
use serde_json::{json, Value};
use std::path::Path;

/// `path` relative to `cwd` where it is under it, with `/` separators.
pub fn shown_path(path: &Path, cwd: &Path) -> String {
    let p = path.strip_prefix(cwd).unwrap_or(path);
    p.display().to_string().replace('\\', "/")
}

/// The text lines of the findings.
pub fn text(findings: &[Finding], cwd: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for f in findings {
        lines.push(format!(
            "{}:{}:{}: {}[{}]: {}",
            shown_path(&f.path, cwd),
            f.line,
            f.column,
            f.severity.name(),
            f.rule.name(),
            f.message()
        ));
        if !f.excerpt.is_empty() {
            lines.push(format!("    {}", f.excerpt));
        }
        lines.push(format!("    safe way: {}", f.fix));
    }
    lines
}

/// One finding as JSON.
pub fn json_finding(f: &Finding, cwd: &Path) -> Value {
    json!({
        "rule": f.rule.name(),
        "severity": f.severity.name(),
        "revision": f.revision,
        "path": shown_path(&f.path, cwd),
        "section": f.section,
        "line": f.line,
        "column": f.column,
        "subject": f.subject,
        "why": f.why,
        "fix": f.fix,
        "statement": f.excerpt,
    })
}

/// GitHub's escaping of an annotation's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of an annotation's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A workflow annotation line; `place` is (path, line, column).
pub fn github_line(
    severity: Severity,
    place: Option<(&str, usize, usize)>,
    title: &str,
    message: &str,
) -> String {
    let command = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut props = Vec::new();
    if let Some((path, line, col)) = place {
        props.push(format!("file={}", escape_property(path)));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
    }
    props.push(format!("title={}", escape_property(title)));
    format!("::{command} {}::{}", props.join(","), escape_data(message))
}

/// The findings as GitHub workflow annotation lines.
pub fn github(findings: &[Finding], cwd: &Path) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let path = shown_path(&f.path, cwd);
            github_line(
                f.severity,
                Some((&path, f.line, f.column)),
                &format!("migrate lint: {}", f.rule.name()),
                &format!("{}. Safe way: {}", f.message(), f.fix),
            )
        })
        .collect()
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A SARIF result with no rule of the lint table (a `check` problem).
pub fn sarif_problem(kind: &str, message: &str, path: Option<&str>) -> Value {
    let mut r = json!({
        "ruleId": kind,
        "level": "error",
        "message": {"text": message},
    });
    if let Some(p) = path {
        r["locations"] = json!([{"physicalLocation": {"artifactLocation": {"uri": p}}}]);
    }
    r
}

/// The findings (and `extra` results) as one SARIF 2.1.0 log.
pub fn sarif(findings: &[Finding], extra: Vec<Value>, cwd: &Path) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.name,
                "shortDescription": {"text": r.why},
                "help": {"text": format!("Safe way: {}", r.fix)},
                "defaultConfiguration": {"level": sarif_level(r.severity)},
            })
        })
        .collect();
    let mut results: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule.name(),
                "level": sarif_level(f.severity),
                "message": {"text": format!("{}. Safe way: {}", f.message(), f.fix)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": shown_path(&f.path, cwd)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }],
                "properties": {"revision": f.revision, "section": f.section},
            })
        })
        .collect();
    results.extend(extra);
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "migrate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_annotations_escape_their_properties_and_message() {
        let l = github_line(
            Severity::Warning,
            Some(("a,b:c.sql", 3, 7)),
            "t",
            "50% done\nnext",
        );
        assert_eq!(
            l,
            "::warning file=a%2Cb%3Ac.sql,line=3,col=7,title=t::50%25 done%0Anext"
        );
    }
}
