//! A branched graph on every database, checked against what Alembic 1.20.1
//! printed and stored for the same graph (the expected lines below were
//! produced by running Alembic on it): a branch point, a labelled branch, a
//! spliced branch, a merge, stamps across branches.

use crate::support::*;

const ACCOUNT: &str = "727178216963";
const EMAIL: &str = "64dd9a01f257";
const ORDERS: &str = "aa1af58ca28f";
const STATUS: &str = "814c54c7a386";
const AUDIT: &str = "a0b47dc6f698";
const MERGE: &str = "589a82b98fc2";

fn project(kind: Db) -> Project {
    let p = Project::new(kind);
    let rev = |id: &str, revises: &[&str], extra: &str, msg: &str, table: &str| {
        let path = p
            .versions_dir()
            .join(format!("{id}_{}.sql", msg.replace(' ', "_")));
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("{extra}\n")
        };
        std::fs::write(
            &path,
            format!(
                "-- {msg}\n--\n-- Revision ID: {id}\n-- Revises: {}\n-- Create Date: 2026-11-22 03:13:27.360780\n{extra}\n-- migrate:upgrade\n{}\n\n-- migrate:downgrade\n{}\n",
                revises.join(", "),
                create_table(table),
                drop_table(table)
            ),
        )
        .unwrap();
    };
    rev(ACCOUNT, &[], "", "create account table", "account");
    rev(EMAIL, &[ACCOUNT], "", "add email column", "email");
    rev(
        ORDERS,
        &[EMAIL],
        "-- Branch Labels: shop",
        "add orders table",
        "orders",
    );
    rev(STATUS, &[ORDERS], "", "add order status", "order_status");
    rev(AUDIT, &[EMAIL], "", "add audit table", "audit");
    p
}

fn add_merge(p: &Project) {
    let r = p
        .run(&[
            "merge",
            "heads",
            "-m",
            "merge shop and audit",
            "--rev-id",
            MERGE,
        ])
        .ok();
    assert!(r.stdout.contains(MERGE));
    // The merge revision needs SQL too: give it a table so its steps are visible.
    let path = std::fs::read_dir(p.versions_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.to_str().unwrap().contains(MERGE))
        .unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "-- migrate:upgrade\n",
            &format!("-- migrate:upgrade\n{}\n", create_table("merged")),
        )
        .replace(
            "-- migrate:downgrade\n",
            &format!("-- migrate:downgrade\n{}\n", drop_table("merged")),
        );
    std::fs::write(&path, text).unwrap();
}

fn stderr_lines(r: &Run) -> Vec<String> {
    r.stderr.lines().map(str::to_string).collect()
}

#[test]
fn inspection_of_a_branched_graph_matches_alembic() {
    let p = project(Db::Sqlite);
    assert_eq!(
        p.run(&["history"]).ok().lines(),
        vec![
            "aa1af58ca28f -> 814c54c7a386 (shop) (head), add order status",
            "64dd9a01f257 -> aa1af58ca28f (shop), add orders table",
            "64dd9a01f257 -> a0b47dc6f698 (head), add audit table",
            "727178216963 -> 64dd9a01f257 (branchpoint), add email column",
            "<base> -> 727178216963, create account table",
        ]
    );
    let mut heads = p
        .run(&["heads"])
        .ok()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    heads.sort();
    assert_eq!(
        heads,
        vec!["814c54c7a386 (shop) (head)", "a0b47dc6f698 (head)"]
    );
    let branches = p.run(&["branches"]).ok().stdout;
    let lines: Vec<&str> = branches.lines().collect();
    assert_eq!(lines[0], "64dd9a01f257 (branchpoint)");
    // Alembic ends each branch point's block with a blank line.
    assert_eq!(lines.last(), Some(&""));
    let mut children: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .filter(|l| !l.is_empty())
        .collect();
    children.sort();
    assert_eq!(
        children,
        vec![
            "             -> a0b47dc6f698 (head)",
            "             -> aa1af58ca28f (shop)"
        ]
    );
    // Stable order: the same output every time.
    assert_eq!(p.run(&["branches"]).ok().stdout, branches);
}

#[test]
fn upgrade_downgrade_and_stamp_across_branches_on_every_database() {
    for kind in ALL {
        let p = project(kind);
        let r = p.run(&["upgrade", "head"]).fails();
        assert!(r.stderr.contains("Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"), "{}", r.stderr);

        let r = p.run(&["upgrade", "shop@head"]).ok();
        assert_eq!(
            stderr_lines(&r),
            vec![
                "Running upgrade  -> 727178216963, create account table",
                "Running upgrade 727178216963 -> 64dd9a01f257, add email column",
                "Running upgrade 64dd9a01f257 -> aa1af58ca28f, add orders table",
                "Running upgrade aa1af58ca28f -> 814c54c7a386, add order status",
            ],
            "{kind:?}"
        );
        assert_eq!(p.run(&["current"]).ok().stdout, "814c54c7a386 (head)\n");

        let r = p.run(&["upgrade", "heads"]).ok();
        assert_eq!(
            stderr_lines(&r),
            vec!["Running upgrade 64dd9a01f257 -> a0b47dc6f698, add audit table"]
        );
        assert_eq!(p.db.versions(), vec![STATUS, AUDIT]);
        let mut cur = p
            .run(&["current"])
            .ok()
            .lines()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>();
        cur.sort();
        assert_eq!(cur, vec!["814c54c7a386 (head)", "a0b47dc6f698 (head)"]);

        let r = p.run(&["upgrade", "+1"]).fails();
        assert!(
            r.stderr
                .contains("Ambiguous upgrade from multiple current revisions"),
            "{}",
            r.stderr
        );
        // Deliberate difference: downgrade -1 with two heads is an error naming them.
        let r = p.run(&["downgrade", "-1"]).fails();
        assert!(
            r.stderr.contains(STATUS) && r.stderr.contains(AUDIT),
            "{}",
            r.stderr
        );
        assert_eq!(p.db.versions(), vec![STATUS, AUDIT]);

        add_merge(&p);
        let r = p.run(&["upgrade", "heads"]).ok();
        let lines = stderr_lines(&r);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0] == "Running upgrade 814c54c7a386, a0b47dc6f698 -> 589a82b98fc2, merge shop and audit",
            "{lines:?}"
        );
        assert_eq!(p.db.versions(), vec![MERGE]);
        let r = p.run(&["downgrade", "-1"]).fails();
        assert!(r.stderr.contains("Ambiguous walk"), "{}", r.stderr);

        // Single-branch downgrade to the branch point, from the merge.
        let r = p.run(&["downgrade", EMAIL]).ok();
        let lines = stderr_lines(&r);
        assert_eq!(
            lines[0],
            "Running downgrade 589a82b98fc2 -> 814c54c7a386, a0b47dc6f698, merge shop and audit"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines.contains(
            &"Running downgrade 814c54c7a386 -> aa1af58ca28f, add order status".to_string()
        ));
        assert!(lines.contains(
            &"Running downgrade aa1af58ca28f -> 64dd9a01f257, add orders table".to_string()
        ));
        assert!(lines.contains(
            &"Running downgrade a0b47dc6f698 -> 64dd9a01f257, add audit table".to_string()
        ));
        assert_eq!(p.db.versions(), vec![EMAIL], "{kind:?}");
        assert!(!p.db.has_table("orders") && !p.db.has_table("audit") && p.db.has_table("email"));

        // Stamps move only the heads in each target's lineage.
        p.run(&["stamp", AUDIT, ORDERS]).ok();
        assert_eq!(p.db.versions(), vec![AUDIT, ORDERS]);
        let r = p.run(&["stamp", "heads"]).ok();
        assert_eq!(p.db.versions(), vec![MERGE]);
        assert!(r.stderr.contains("Running stamp_revision"), "{}", r.stderr);
        p.run(&["stamp", "base"]).ok();
        assert!(p.db.versions().is_empty());
        p.run(&["stamp", "--purge", ORDERS]).ok();
        assert_eq!(p.db.versions(), vec![ORDERS]);
    }
}

#[test]
fn history_indicates_current_and_show_describes_a_merge() {
    let p = project(Db::Sqlite);
    add_merge(&p);
    p.run(&["upgrade", "shop@aa1af58ca28f"]).ok();
    p.run(&["upgrade", AUDIT]).ok();
    assert_eq!(p.db.versions(), vec![AUDIT, ORDERS]);
    assert_eq!(
        p.run(&["history", "-i"]).ok().lines(),
        vec![
            "814c54c7a386, a0b47dc6f698 -> 589a82b98fc2 (shop) (head) (mergepoint), merge shop and audit",
            "aa1af58ca28f -> 814c54c7a386 (shop), add order status",
            "64dd9a01f257 -> aa1af58ca28f (shop) (current), add orders table",
            "64dd9a01f257 -> a0b47dc6f698 (current), add audit table",
            "727178216963 -> 64dd9a01f257 (branchpoint), add email column",
            "<base> -> 727178216963, create account table",
        ]
    );
    let show = p.run(&["show", "589a"]).ok().stdout;
    let lines: Vec<&str> = show.lines().collect();
    assert_eq!(lines[0], "Rev: 589a82b98fc2 (head) (mergepoint)");
    assert_eq!(lines[1], "Merges: 814c54c7a386, a0b47dc6f698");
    assert_eq!(lines[2], "Branch names: shop");
    assert!(lines[3].starts_with("Path: ") && lines[3].ends_with("_merge_shop_and_audit.sql"));
}
