//! The core flow on every database: init, revision, upgrade, downgrade,
//! current, history, heads, show, stamp, ensure-version, and the errors a user
//! meets first.

use crate::support::all;
use crate::support::*;

fn linear(p: &Project) {
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        &create_table("t2"),
        &drop_table("t2"),
    );
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t3"),
        &drop_table("t3"),
    );
}

#[test]
fn upgrade_and_downgrade_a_linear_chain_on_every_database() {
    for kind in all() {
        let p = Project::new(kind);
        linear(&p);
        let r = p.run(&["upgrade", "head"]).ok();
        assert_eq!(
            r.stderr.lines().collect::<Vec<_>>(),
            vec![
                "Running upgrade  -> aaaa00000001, rev aaaa00000001",
                "Running upgrade aaaa00000001 -> bbbb00000002, rev bbbb00000002",
                "Running upgrade bbbb00000002 -> cccc00000003, rev cccc00000003",
            ],
            "{kind:?}"
        );
        assert_eq!(p.db.versions(), vec!["cccc00000003"], "{kind:?}");
        assert!(p.db.has_table("t3"), "{kind:?}");
        assert_eq!(p.run(&["current"]).ok().stdout, "cccc00000003 (head)\n");

        let r = p.run(&["downgrade", "-1"]).ok();
        assert_eq!(
            r.stderr.trim(),
            "Running downgrade cccc00000003 -> bbbb00000002, rev cccc00000003"
        );
        assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
        assert!(!p.db.has_table("t3"));
        assert_eq!(p.run(&["current"]).ok().stdout, "bbbb00000002\n");

        p.run(&["downgrade", "base"]).ok();
        assert!(p.db.versions().is_empty(), "{kind:?}");
        assert!(!p.db.has_table("t1"));
        // The version table stays, empty, as Alembic leaves it.
        assert!(p.db.has_table("alembic_version"));

        p.run(&["upgrade", "bbbb"]).ok();
        assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
        p.run(&["upgrade", "+1"]).ok();
        assert_eq!(p.db.versions(), vec!["cccc00000003"]);
        p.run(&["downgrade", "aaaa00000001"]).ok();
        assert_eq!(p.db.versions(), vec!["aaaa00000001"]);
        p.run(&["upgrade", "heads"]).ok();
        assert_eq!(p.db.versions(), vec!["cccc00000003"]);
    }
}

#[test]
fn inspection_output_reads_as_alembic() {
    let p = Project::new(Db::Sqlite);
    linear(&p);
    assert_eq!(
        p.run(&["history"]).ok().stdout,
        "bbbb00000002 -> cccc00000003 (head), rev cccc00000003\naaaa00000001 -> bbbb00000002, rev bbbb00000002\n<base> -> aaaa00000001, rev aaaa00000001\n"
    );
    assert_eq!(p.run(&["heads"]).ok().stdout, "cccc00000003 (head)\n");
    let show = p.run(&["show", "bbbb"]).ok().stdout;
    let path = p.versions_dir().join("bbbb00000002_rev.sql");
    assert_eq!(
        show,
        format!(
            "Rev: bbbb00000002\nParent: aaaa00000001\nPath: {}\n\n    rev bbbb00000002\n    \n    Revision ID: bbbb00000002\n    Revises: aaaa00000001\n    Create Date: 2026-01-01 00:00:00\n\n",
            path.display()
        )
    );
    // `current` on a database with no version table prints nothing and creates nothing.
    assert_eq!(p.run(&["current"]).ok().stdout, "");
    assert!(p.db.tables().is_empty());
    let v = p.run(&["current", "-v"]).ok().stdout;
    assert!(v.starts_with("Current revision(s) for sqlite:///"), "{v}");
}

#[test]
fn quickstart_from_init_to_downgrade() {
    let dir = tempfile::tempdir().unwrap();
    let r = migrate_in(dir.path(), &["init", "migrations"], &[]).ok();
    assert!(
        r.stdout.contains("Please edit configuration"),
        "{}",
        r.stdout
    );
    assert!(dir.path().join("migrate.toml").is_file());
    assert!(dir.path().join("migrations/script.sql.tera").is_file());
    assert!(dir.path().join("migrations/versions").is_dir());
    // A second init into the same (now non-empty) folder is refused.
    let again = migrate_in(dir.path(), &["init", "migrations"], &[]).fails();
    assert!(
        again.stderr.contains("already exists and is not empty"),
        "{}",
        again.stderr
    );

    let r = migrate_in(dir.path(), &["revision", "-m", "add users"], &[]).ok();
    let line = r.stdout.trim();
    assert!(
        line.starts_with("Generating ") && line.ends_with("_add_users.sql ...  done"),
        "{line}"
    );
    let path = line
        .trim_start_matches("Generating ")
        .trim_end_matches(" ...  done");
    let text = std::fs::read_to_string(path).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("-- Revision ID: "))
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 12);
    assert!(id
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    let text = text.replace(
        "-- migrate:upgrade\n",
        "-- migrate:upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    );
    let text = text.replace(
        "-- migrate:downgrade\n",
        "-- migrate:downgrade\nDROP TABLE users;\n",
    );
    std::fs::write(path, text).unwrap();

    let r = migrate_in(dir.path(), &["revision", "-m", "second"], &[]).ok();
    assert!(r.stdout.contains("_second.sql"));
    migrate_in(dir.path(), &["upgrade", "head"], &[]).ok();
    assert!(dir.path().join("app.db").is_file());
    let cur = migrate_in(dir.path(), &["current"], &[]).ok();
    assert!(cur.stdout.ends_with(" (head)\n"), "{}", cur.stdout);
    migrate_in(dir.path(), &["downgrade", "-1"], &[]).ok();
    let cur = migrate_in(dir.path(), &["current"], &[]).ok();
    assert_eq!(cur.stdout.trim(), id);
    migrate_in(dir.path(), &["downgrade", "base"], &[]).ok();
    assert_eq!(migrate_in(dir.path(), &["current"], &[]).ok().stdout, "");
}

#[test]
fn a_failing_statement_leaves_postgres_and_sqlite_as_they_were() {
    crate::require!(Db::Postgres);
    for kind in [Db::Sqlite, Db::Postgres] {
        let p = Project::new(kind);
        p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
        let bad = p.revision(
            "bbbb00000002",
            &["aaaa00000001"],
            "CREATE TABLE t2 (id INTEGER);\nINSERT INTO t2 VALUES (1);\nINSERT INTO nope VALUES (1);",
            "DROP TABLE t2;",
        );
        let r = p.run(&["upgrade", "head"]).fails();
        // file, line of the statement (line 10 of the file), the server's code and message;
        // PostgreSQL reports the error's position: the column of `nope`.
        let column = if kind == Db::Postgres { 13 } else { 1 };
        assert!(
            r.stderr.contains(&format!(
                "{}:10:{column}: statement 3 failed",
                bad.display()
            )),
            "{kind:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("INSERT INTO nope VALUES (1)"),
            "{}",
            r.stderr
        );
        match kind {
            Db::Postgres => assert!(r.stderr.contains("[42P01]"), "{}", r.stderr),
            _ => assert!(r.stderr.contains("no such table: nope"), "{}", r.stderr),
        }
        assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
        // Nothing of the run remains; only the audit log records the failure,
        // written after the rollback in a transaction of its own.
        assert_eq!(
            p.db.tables(),
            vec!["alembic_version_log"],
            "{kind:?}: {:?}",
            p.db.tables()
        );
        assert_eq!(
            p.db.query("SELECT revision, outcome, failed_statement FROM alembic_version_log"),
            vec![vec!["bbbb00000002", "rolled_back", "3"]],
            "{kind:?}"
        );
    }
}

#[test]
fn mysql_records_each_revision_right_after_it_runs() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        "INSERT INTO nope VALUES (1);",
        "SELECT 1;",
    );
    let r = p.run(&["upgrade", "head"]).fails();
    assert!(r.stderr.contains("[1146]"), "{}", r.stderr);
    assert_eq!(p.db.versions(), vec!["aaaa00000001"]);
    assert!(p.db.has_table("t1"));
}

#[test]
fn transaction_per_migration_keeps_the_revisions_before_a_failure() {
    crate::require!(Db::Postgres);
    for kind in [Db::Sqlite, Db::Postgres] {
        let p = Project::with_config(kind, "transaction_per_migration = true");
        p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
        p.revision(
            "bbbb00000002",
            &["aaaa00000001"],
            "CREATE TABLE t2 (id INTEGER);\nSELECT * FROM nope;",
            "DROP TABLE t2;",
        );
        p.run(&["upgrade", "head"]).fails();
        assert_eq!(p.db.versions(), vec!["aaaa00000001"], "{kind:?}");
        assert!(p.db.has_table("t1"));
        assert!(!p.db.has_table("t2"), "{kind:?}");
    }
}

#[test]
fn a_non_transactional_revision_runs_create_index_concurrently() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision_with(
        "bbbb00000002",
        &["aaaa00000001"],
        "-- Transactional: false",
        "CREATE INDEX CONCURRENTLY ix_t1_note ON t1 (note);",
        "DROP INDEX CONCURRENTLY ix_t1_note;",
    );
    p.revision(
        "cccc00000003",
        &["bbbb00000002"],
        &create_table("t3"),
        &drop_table("t3"),
    );
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(p.db.versions(), vec!["cccc00000003"]);
    let ix =
        p.db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_t1_note'");
    assert_eq!(ix.len(), 1);
    p.run(&["downgrade", "base"]).ok();
    assert!(p.db.versions().is_empty());
}

#[test]
fn stamp_and_ensure_version_write_only_the_version_table() {
    for kind in all() {
        let p = Project::new(kind);
        linear(&p);
        p.run(&["ensure-version"]).ok();
        assert!(p.db.has_table("alembic_version"));
        assert!(p.db.versions().is_empty());
        p.run(&["stamp", "bbbb"]).ok();
        assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
        assert!(!p.db.has_table("t1"), "{kind:?}");
        p.run(&["stamp", "base"]).ok();
        assert!(p.db.versions().is_empty());
        p.run(&["stamp", "--purge", "head"]).ok();
        assert_eq!(p.db.versions(), vec!["cccc00000003"]);
    }
}

#[test]
fn version_table_name_and_schema_are_configurable() {
    crate::require!(Db::Postgres);
    let p = Project::with_config(
        Db::Postgres,
        "version_table = \"schema_migrations\"\nversion_table_schema = \"meta\"",
    );
    p.db.exec("CREATE SCHEMA meta");
    linear(&p);
    p.run(&["upgrade", "head"]).ok();
    assert_eq!(
        p.db.versions_in("meta.schema_migrations"),
        vec!["cccc00000003"]
    );
    let pk = p.db.query("SELECT constraint_name FROM information_schema.table_constraints WHERE table_schema = 'meta' AND table_name = 'schema_migrations' AND constraint_type = 'PRIMARY KEY'");
    assert_eq!(pk, vec![vec!["schema_migrations_pkc".to_string()]]);
    assert_eq!(p.run(&["current"]).ok().stdout, "cccc00000003 (head)\n");
}

#[test]
fn the_version_table_is_alembics() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in all() {
        let p = Project::new(kind);
        linear(&p);
        p.run(&["upgrade", "head"]).ok();
        let cols = match kind {
            Db::Postgres => p.db.query("SELECT column_name, data_type, character_maximum_length::text, is_nullable FROM information_schema.columns WHERE table_name = 'alembic_version'"),
            Db::MySql => p.db.query("SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'alembic_version'"),
            Db::Sqlite => p.db.query("SELECT name, type, '32', CASE \"notnull\" WHEN 1 THEN 'NO' ELSE 'YES' END FROM pragma_table_info('alembic_version')"),
        };
        let cols: Vec<Vec<String>> = cols
            .into_iter()
            .map(|r| r.into_iter().map(|c| c.to_lowercase()).collect())
            .collect();
        assert_eq!(
            cols,
            vec![vec![
                "version_num".to_string(),
                if kind == Db::Sqlite {
                    "varchar(32)".into()
                } else {
                    "character varying".replace(
                        "character varying",
                        if kind == Db::MySql {
                            "varchar"
                        } else {
                            "character varying"
                        },
                    )
                },
                "32".into(),
                "no".into()
            ]],
            "{kind:?}"
        );
    }
}

#[test]
fn init_templates_and_list_templates() {
    let dir = tempfile::tempdir().unwrap();
    let r = migrate_in(dir.path(), &["list-templates"], &[]).ok();
    assert!(
        r.stdout.starts_with("Available templates:\n\n"),
        "{}",
        r.stdout
    );
    for t in ["generic - ", "postgresql - ", "mysql - "] {
        assert!(r.stdout.contains(t), "{t}: {}", r.stdout);
    }
    migrate_in(dir.path(), &["init", "db", "-t", "postgresql"], &[]).ok();
    let toml = std::fs::read_to_string(dir.path().join("migrate.toml")).unwrap();
    assert!(toml.contains("script_location = \"db\""), "{toml}");
    assert!(toml.contains("postgresql://"), "{toml}");
    let r = migrate_in(dir.path(), &["init", "other", "-t", "nope"], &[]).fails();
    assert!(
        r.stderr.contains("generic, postgresql, mysql"),
        "{}",
        r.stderr
    );
    // An existing migrate.toml is kept.
    let r = migrate_in(dir.path(), &["init", "second"], &[]).ok();
    assert!(
        r.stderr.contains("already exists, skipping"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("migrate.toml")).unwrap(),
        toml
    );
    // The new project works at once: a revision and heads.
    migrate_in(
        dir.path(),
        &["revision", "-m", "one", "--rev-id", "aaaa00000001"],
        &[],
    )
    .ok();
    assert_eq!(
        migrate_in(dir.path(), &["heads"], &[]).ok().stdout,
        "aaaa00000001 (head)\n"
    );
}

#[test]
fn edit_opens_the_revision_in_the_editor() {
    let p = Project::new(Db::Sqlite);
    let path = p.revision("aaaa00000001", &[], "SELECT 1;", "SELECT 1;");
    let editor = p.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho \"-- edited\" >> \"$1\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.run_env(&["edit", "head"], &[("EDITOR", editor.to_str().unwrap())])
        .ok();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .ends_with("-- edited\n"));
    let r = p
        .run_env(&["edit", "zzzz"], &[("EDITOR", editor.to_str().unwrap())])
        .fails();
    assert!(r.stderr.contains("zzzz"), "{}", r.stderr);
}

#[test]
fn a_sqlite_syntax_error_names_the_column_of_the_bad_token() {
    let p = Project::new(Db::Sqlite);
    let path = p.revision(
        "aaaa00000001",
        &[],
        "SELECT 1;\nCREATE TABLE t (id INTEGER,, x);",
        "SELECT 1;",
    );
    let r = p.run(&["upgrade", "head"]).fails();
    // Line 9 of the file; the second comma is its 28th character.
    assert!(
        r.stderr
            .contains(&format!("{}:9:28: statement 2 failed", path.display())),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("syntax error"), "{}", r.stderr);
}
