//! Pure text of `history`, `heads`, `branches`, `current` and `show`,
//! line for line as Alembic 1.20 prints them (`Script._head_only`,
//! `Script.log_entry`, `command.branches`). No I/O: each function returns
//! the text of one Alembic `print_stdout` call, which the caller writes
//! followed by a newline. Where Alembic prints a Python set (branch labels,
//! "Branches into"), the order is stable: labels sorted, children in input
//! order (`docs/spec.md` §4).

use crate::script::revision::{RevisionError, RevisionInfo, RevisionMap};

fn format_down(rev: &RevisionInfo) -> String {
    if rev.down_revisions.is_empty() {
        "<base>".to_string()
    } else {
        rev.down_revisions.join(", ")
    }
}

/// Which parts of Alembic's `_head_only` line to include.
#[derive(Debug, Clone, Copy, Default)]
struct HeadOnly {
    include_branches: bool,
    include_doc: bool,
    include_parents: bool,
    tree_indicators: bool,
    head_indicators: bool,
    current: bool,
}

fn head_only(map: &RevisionMap, rev: &RevisionInfo, o: HeadOnly) -> String {
    // Built in one buffer: `history` makes one of these per revision.
    let mut text = String::with_capacity(64 + rev.doc.len());
    if o.include_parents {
        if rev.down_revisions.is_empty() {
            text.push_str("<base>");
        } else {
            push_joined(&mut text, &rev.down_revisions);
        }
        if !rev.depends_on.is_empty() {
            text.push_str(" (");
            push_joined(&mut text, &rev.depends_on);
            text.push(')');
        }
        text.push_str(" -> ");
    }
    text.push_str(&rev.id);
    let marks = map.marks(rev);
    if o.include_branches && !marks.labels.is_empty() {
        text.push_str(" (");
        push_joined(&mut text, &marks.labels);
        text.push(')');
    }
    if o.head_indicators || o.tree_indicators {
        if marks.real_head {
            text.push_str(" (head)");
        }
        if marks.head && !marks.real_head {
            text.push_str(" (effective head)");
        }
        if o.current {
            text.push_str(" (current)");
        }
    }
    if o.tree_indicators {
        if marks.branch_point {
            text.push_str(" (branchpoint)");
        }
        if marks.merge_point {
            text.push_str(" (mergepoint)");
        }
    }
    if o.include_doc {
        text.push_str(", ");
        text.push_str(&rev.doc);
    }
    text
}

/// Appends `items` joined by ", ".
fn push_joined(text: &mut String, items: &[String]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(item);
    }
}

fn is_current(rev: &RevisionInfo, current: Option<&[String]>) -> bool {
    current.is_some_and(|c| c.contains(&rev.id))
}

/// One `history` line: `<down(s) | <base>>[ (<deps>)] -> <rev>[ (<labels>)][ (head)|
/// (effective head)][ (current)][ (branchpoint)][ (mergepoint)], <doc>`.
/// `current` (the version-table rows, for `-i`) marks ` (current)`.
pub fn history_line(map: &RevisionMap, rev: &RevisionInfo, current: Option<&[String]>) -> String {
    head_only(
        map,
        rev,
        HeadOnly {
            include_branches: true,
            include_doc: true,
            include_parents: true,
            tree_indicators: true,
            head_indicators: true,
            current: is_current(rev, current),
        },
    )
}

/// One `history` entry, verbose or not (what Alembic's `cmd_format` gives).
pub fn history_entry(
    map: &RevisionMap,
    rev: &RevisionInfo,
    verbose: bool,
    current: Option<&[String]>,
) -> String {
    if verbose {
        log_entry(map, rev, is_current(rev, current))
    } else {
        history_line(map, rev, current)
    }
}

/// Alembic's verbose block (`log_entry`): `Rev:` with markers, `Parent:` or
/// `Merges:`, `Also depends on:`, `Branches into:`, `Branch names:`,
/// `Path:`, a blank line, then the header indented by 4, ending in a
/// newline (so, printed with its own newline, a blank line follows).
pub fn log_entry(map: &RevisionMap, rev: &RevisionInfo, current: bool) -> String {
    let id = &rev.id;
    let mut e = format!(
        "Rev: {}{}{}{}{}\n",
        id,
        if map.is_head(id) { " (head)" } else { "" },
        if map.is_branch_point(id) {
            " (branchpoint)"
        } else {
            ""
        },
        if map.is_merge_point(id) {
            " (mergepoint)"
        } else {
            ""
        },
        if current { " (current)" } else { "" },
    );
    if map.is_merge_point(id) {
        e.push_str(&format!("Merges: {}\n", format_down(rev)));
    } else {
        e.push_str(&format!("Parent: {}\n", format_down(rev)));
    }
    if !rev.depends_on.is_empty() {
        e.push_str(&format!("Also depends on: {}\n", rev.depends_on.join(", ")));
    }
    if map.is_branch_point(id) {
        e.push_str(&format!("Branches into: {}\n", map.children(id).join(", ")));
    }
    let labels = map.branch_labels_of(id);
    if !labels.is_empty() {
        e.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    e.push_str(&format!("Path: {}\n", rev.path));
    let body: Vec<String> = rev
        .longdoc
        .trim()
        .lines()
        .map(|l| format!("    {}", header_line(l)))
        .collect();
    e.push_str(&format!("\n{}\n", body.join("\n")));
    e
}

/// A header line as Alembic's docstring has it: a key with an empty value
/// keeps the space after its colon (`Revises: ` for a root), which the file
/// parser trims.
fn header_line(l: &str) -> String {
    let key_only = l
        .strip_suffix(':')
        .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == ' '));
    if key_only {
        format!("{l} ")
    } else {
        l.to_string()
    }
}

/// The facts of one revision as JSON (`--format json` of `heads`,
/// `history`, `branches`, `current`, `show`): what the text lines show, as
/// data. `current` is the version-table rows when the command knows them.
pub fn revision_json(
    map: &RevisionMap,
    rev: &RevisionInfo,
    current: Option<&[String]>,
) -> serde_json::Value {
    let id = rev.id.as_str();
    let mut v = serde_json::json!({
        "revision": id,
        "down_revisions": rev.down_revisions,
        "branch_labels": map.branch_labels_of(id),
        "own_branch_labels": rev.branch_labels,
        "depends_on": rev.depends_on,
        "message": rev.doc,
        "path": rev.path,
        "is_head": map.is_real_head(id),
        "is_effective_head": map.is_head(id) && !map.is_real_head(id),
        "is_branch_point": map.is_branch_point(id),
        "is_merge_point": map.is_merge_point(id),
        "children": map.children(id),
    });
    if let (Some(c), Some(obj)) = (current, v.as_object_mut()) {
        obj.insert(
            "is_current".to_string(),
            serde_json::Value::Bool(c.iter().any(|x| x == id)),
        );
    }
    v
}

/// `branches` as JSON: each branch point with its children's facts.
pub fn branches_json(map: &RevisionMap) -> serde_json::Value {
    let Ok(all) = map.history(None, &[]) else {
        return serde_json::json!([]);
    };
    let items: Vec<serde_json::Value> = all
        .into_iter()
        .filter(|r| map.is_branch_point(&r.id))
        .map(|r| {
            let mut v = revision_json(map, r, None);
            let kids: Vec<serde_json::Value> = map
                .children(&r.id)
                .into_iter()
                .filter_map(|c| map.get(c))
                .map(|c| revision_json(map, c, None))
                .collect();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("branches_into".to_string(), serde_json::Value::Array(kids));
            }
            v
        })
        .collect();
    serde_json::Value::Array(items)
}

/// `heads [-v] [--resolve-dependencies]`: one entry per head, input order.
/// Plain `heads` includes revisions that are only depended on
/// (`(effective head)`); `--resolve-dependencies` leaves them out.
pub fn heads_lines(map: &RevisionMap, verbose: bool, resolve_dependencies: bool) -> Vec<String> {
    let ids = if resolve_dependencies {
        map.heads()
    } else {
        map.versioned_heads()
    };
    ids.into_iter()
        .filter_map(|id| map.get(id))
        .map(|rev| {
            if verbose {
                log_entry(map, rev, false)
            } else {
                head_only(
                    map,
                    rev,
                    HeadOnly {
                        include_branches: true,
                        head_indicators: true,
                        ..HeadOnly::default()
                    },
                )
            }
        })
        .collect()
}

/// `branches [-v]`: for each branch point, in history order, the point and
/// an indented `-> child` line per child (children in input order).
pub fn branches_lines(map: &RevisionMap, verbose: bool) -> Vec<String> {
    let Ok(all) = map.history(None, &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rev in all {
        if !map.is_branch_point(&rev.id) {
            continue;
        }
        let head = if verbose {
            log_entry(map, rev, false)
        } else {
            head_only(
                map,
                rev,
                HeadOnly {
                    include_branches: true,
                    tree_indicators: true,
                    head_indicators: true,
                    ..HeadOnly::default()
                },
            )
        };
        let pad = " ".repeat(rev.id.chars().count());
        let kids: Vec<String> = map
            .children(&rev.id)
            .into_iter()
            .filter_map(|c| map.get(c))
            .map(|c| {
                format!(
                    "{pad} -> {}",
                    head_only(
                        map,
                        c,
                        HeadOnly {
                            include_branches: true,
                            include_doc: verbose,
                            tree_indicators: true,
                            head_indicators: true,
                            ..HeadOnly::default()
                        },
                    )
                )
            })
            .collect();
        out.push(format!("{head}\n{}\n", kids.join("\n")));
    }
    out
}

/// `current [-v]`: one entry per effective current head (the rows and
/// their ancestors reduced to branch tips), input order. The `-v` header
/// line (`Current revision(s) for URL:`) is the caller's.
pub fn current_lines(
    map: &RevisionMap,
    rows: &[String],
    verbose: bool,
) -> Result<Vec<String>, RevisionError> {
    let cur = map.effective_current(rows)?;
    Ok(cur
        .into_iter()
        .filter_map(|id| map.get(id))
        .map(|rev| {
            if verbose {
                log_entry(map, rev, false)
            } else {
                head_only(
                    map,
                    rev,
                    HeadOnly {
                        tree_indicators: true,
                        head_indicators: true,
                        ..HeadOnly::default()
                    },
                )
            }
        })
        .collect())
}

/// `show REV`: one verbose block per revision REV names (`current`: the rows).
pub fn show_lines(
    map: &RevisionMap,
    rev: &str,
    rows: &[String],
) -> Result<Vec<String>, RevisionError> {
    Ok(map
        .show(rev, rows)?
        .into_iter()
        .map(|r| log_entry(map, r, false))
        .collect())
}

/// `history [-r RANGE] [-v] [-i]`: one entry per revision, newest first.
/// `indicate` marks the rows as ` (current)`.
pub fn history_lines(
    map: &RevisionMap,
    range: Option<&str>,
    rows: &[String],
    verbose: bool,
    indicate: bool,
) -> Result<Vec<String>, RevisionError> {
    let cur = if indicate { Some(rows) } else { None };
    Ok(map
        .history(range, rows)?
        .into_iter()
        .map(|r| history_entry(map, r, verbose, cur))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> RevisionMap {
        let rev = |id: &str, down: &[&str], labels: &[&str], deps: &[&str]| RevisionInfo {
            id: id.to_string(),
            down_revisions: down.iter().map(std::string::ToString::to_string).collect(),
            branch_labels: labels
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            depends_on: deps.iter().map(std::string::ToString::to_string).collect(),
            doc: format!("rev {id}"),
            // As the file parser gives it: trailing spaces trimmed.
            longdoc: format!(
                "rev {id}\n\nRevision ID: {id}\nRevises:{}\nCreate Date: 2026-01-01 00:00:00",
                if down.is_empty() {
                    String::new()
                } else {
                    format!(" {}", down.join(", "))
                }
            ),
            path: format!("versions/{id}.sql"),
            ..Default::default()
        };
        RevisionMap::new(vec![
            rev("aaaa0001", &[], &[], &[]),
            rev("bbbb0002", &["aaaa0001"], &["shop"], &[]),
            rev("cccc0003", &["aaaa0001"], &[], &["bbbb0002"]),
        ])
        .unwrap()
    }

    #[test]
    fn verbose_root_keeps_the_space_after_revises() {
        let m = map();
        let e = log_entry(&m, m.get("aaaa0001").unwrap(), false);
        assert!(e.contains("\n    Revises: \n"), "{e:?}");
        let e = log_entry(&m, m.get("bbbb0002").unwrap(), false);
        assert!(e.contains("\n    Revises: aaaa0001\n"), "{e:?}");
    }

    #[test]
    fn revision_json_has_the_facts_of_the_text() {
        let m = map();
        let v = revision_json(
            &m,
            m.get("bbbb0002").unwrap(),
            Some(&["bbbb0002".to_string()]),
        );
        assert_eq!(v["revision"], "bbbb0002");
        assert_eq!(v["down_revisions"], serde_json::json!(["aaaa0001"]));
        assert_eq!(v["branch_labels"], serde_json::json!(["shop"]));
        assert_eq!(v["is_head"], false);
        assert_eq!(v["is_effective_head"], true);
        assert_eq!(v["is_current"], true);
        let v = revision_json(&m, m.get("aaaa0001").unwrap(), None);
        assert_eq!(v["is_branch_point"], true);
        assert_eq!(v["children"], serde_json::json!(["bbbb0002", "cccc0003"]));
        assert!(v.get("is_current").is_none());
        let v = revision_json(&m, m.get("cccc0003").unwrap(), None);
        assert_eq!(v["depends_on"], serde_json::json!(["bbbb0002"]));
        assert_eq!(v["is_head"], true);
        let b = branches_json(&m);
        assert_eq!(b[0]["revision"], "aaaa0001");
        assert_eq!(b[0]["branches_into"][1]["revision"], "cccc0003");
    }
}
