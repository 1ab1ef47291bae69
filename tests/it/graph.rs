//! A branched graph on every database, checked against what Alembic 1.20.1
//! printed and stored for the same graph (the expected lines below were
//! produced by running Alembic on it): a branch point, a labelled branch, a
//! spliced branch, a merge, stamps across branches.

use crate::support::all;
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
        .map(std::string::ToString::to_string)
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
    children.sort_unstable();
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
    for kind in all() {
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
            .map(std::string::ToString::to_string)
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

/// `history` with `current` in the range, as Alembic 1.20.1 printed it for
/// this graph with no version table, an empty one, one row and two rows
/// (`tests/data/alembic_cases/history_current.txt`, written by
/// `tools/history_current.py`).
const HISTORY_CURRENT: &str = include_str!("../data/alembic_cases/history_current.txt");

/// One state of the version table (None: no table) and the commands run on it,
/// each with Alembic's stdout lines.
type HistoryCase = (Option<Vec<String>>, Vec<(Vec<String>, Vec<String>)>);

fn history_current_cases() -> Vec<HistoryCase> {
    let mut states: Vec<HistoryCase> = Vec::new();
    for line in HISTORY_CURRENT.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rows) = line.strip_prefix("=== rows") {
            let rows = rows.trim();
            let rows = (rows != "-").then(|| rows.split_whitespace().map(str::to_string).collect());
            states.push((rows, Vec::new()));
        } else if let Some(cmd) = line.strip_prefix("--- ") {
            let state = states.last_mut().expect("a state first");
            let args = cmd.split_whitespace().map(str::to_string).collect();
            state.1.push((args, Vec::new()));
        } else if let Some(out) = line.strip_prefix("| ").or((line == "|").then_some("")) {
            let state = states.last_mut().expect("a state first");
            let cmd = state.1.last_mut().expect("a command first");
            cmd.1.push(out.to_string());
        }
    }
    states
}

/// Runs the transcript's commands (all of them, or with `all` false the
/// first four ranges of each state) and checks stdout line for line, or
/// Alembic's error as ours: exit 1 and that one message on stderr. The rows
/// are never written, and a missing version table is not created.
fn check_history_with_current(kind: Db, all: bool) -> usize {
    let p = project(kind);
    let mut ran = 0;
    let states = history_current_cases();
    assert_eq!(states.len(), 4, "no table, empty, one row, two rows");
    for (rows, cmds) in &states {
        match rows {
            None => {}
            Some(r) if r.is_empty() => {
                p.run(&["ensure-version"]).ok();
            }
            Some(r) => {
                let mut args = vec!["stamp", "--purge"];
                args.extend(r.iter().map(String::as_str));
                p.run(&args).ok();
            }
        }
        for (args, want) in cmds.iter().take(if all { usize::MAX } else { 4 }) {
            ran += 1;
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = p.run(&args);
            let what = format!("{kind:?}, rows {rows:?}: migrate {}", args.join(" "));
            match want.first().and_then(|l| l.strip_prefix("FAILED: ")) {
                Some(msg) => {
                    assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
                    assert_eq!(r.stderr, format!("error: {msg}\n"), "{what}");
                    assert_eq!(r.stdout, "", "{what}");
                }
                None => {
                    assert_eq!(r.code, 0, "{what}: {}", r.stderr);
                    assert_eq!(r.lines(), *want, "{what}");
                    assert_eq!(r.stderr, "", "{what}");
                }
            }
        }
        match rows {
            None => assert!(!p.db.has_table("alembic_version"), "{kind:?}"),
            Some(r) => assert_eq!(p.db.versions(), *r, "{kind:?}"),
        }
    }
    ran
}

#[test]
fn history_with_current_prints_what_alembic_prints_on_sqlite() {
    assert_eq!(check_history_with_current(Db::Sqlite, true), 4 * 28);
}

/// Only reading the rows differs between the databases (a missing table, an
/// empty one): the first four ranges of each state on the servers.
#[test]
fn history_with_current_reads_the_rows_as_alembic_on_the_servers() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in [Db::Postgres, Db::MySql] {
        assert_eq!(check_history_with_current(kind, false), 4 * 4);
    }
}
