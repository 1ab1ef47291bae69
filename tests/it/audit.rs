//! The audit log's `tag` column: `--tag` recorded for each row of a run, and
//! a log table written by an older `migrate` (without the column) read as it
//! is and given the column by the next run that writes.

use crate::support::{all, create_table, drop_table, Db, Project};

const LOG: &str = "alembic_version_log";

fn project(kind: Db) -> Project {
    let p = Project::new(kind);
    p.revision("a1", &[], &create_table("tag_a"), &drop_table("tag_a"));
    p.revision("b2", &["a1"], &create_table("tag_b"), &drop_table("tag_b"));
    p
}

fn tags(p: &Project) -> Vec<(String, String, String)> {
    p.db.query(&format!(
        "SELECT revision, direction, COALESCE(tag, '-') FROM {LOG} ORDER BY id"
    ))
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
    .collect()
}

fn row(rev: &str, dir: &str, tag: &str) -> (String, String, String) {
    (rev.into(), dir.into(), tag.into())
}

#[test]
fn tag_is_recorded_for_each_revision_of_the_run() {
    for kind in all() {
        let p = project(kind);
        p.run(&["upgrade", "head", "--tag", "release-42"]).ok();
        p.run(&["downgrade", "-1"]).ok();
        p.run(&["stamp", "b2", "--tag", "hotfix"]).ok();
        assert_eq!(
            tags(&p),
            [
                row("a1", "upgrade", "release-42"),
                row("b2", "upgrade", "release-42"),
                row("b2", "downgrade", "-"),
                row("b2", "stamp", "hotfix"),
            ],
            "{kind:?}"
        );
        let text = p.run(&["history", "--applied"]).ok().stdout;
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("  tag hotfix"), "{kind:?}: {text}");
        assert!(!lines[1].contains("  tag "), "{kind:?}: {text}");
        assert!(lines[3].ends_with("  tag release-42"), "{kind:?}: {text}");
        let json: serde_json::Value = serde_json::from_str(
            &p.run(&["history", "--applied", "--format", "json"])
                .ok()
                .stdout,
        )
        .unwrap();
        assert_eq!(json[3]["tag"], "release-42");
        assert_eq!(json[1]["tag"], "");
    }
}

#[test]
fn a_log_from_before_the_tag_column_is_read_then_given_the_column() {
    for kind in all() {
        let p = project(kind);
        p.run(&["upgrade", "a1"]).ok();
        // The table as an older migrate created it.
        p.db.exec(&format!("ALTER TABLE {LOG} DROP COLUMN tag"));
        let text = p.run(&["history", "--applied"]).ok().stdout;
        assert!(text.contains("  upgrade   a1"), "{kind:?}: {text}");
        let check = p.run(&["check"]);
        assert_eq!(check.code, 1, "{kind:?}: {}{}", check.stdout, check.stderr);
        assert!(
            check.stdout.contains("not at head"),
            "{kind:?}: {}",
            check.stdout
        );
        assert_eq!(
            check.stdout.lines().count(),
            2,
            "only that: {}",
            check.stdout
        );
        p.run(&["upgrade", "head", "--tag", "v2"]).ok();
        assert_eq!(
            tags(&p),
            [row("a1", "upgrade", "-"), row("b2", "upgrade", "v2")],
            "{kind:?}"
        );
    }
}
