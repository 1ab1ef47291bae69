//! Every error a user can meet in the core flow: a message naming what and
//! where and the way out, exit code 1, no panic, and no change to the database.

use crate::support::*;

#[test]
fn no_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = migrate_in(dir.path(), &["heads"], &[]).fails();
    assert!(r.stderr.contains("migrate.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("migrate init"), "{}", r.stderr);
}

#[test]
fn config_from_flag_and_env_var() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], "SELECT 1;", "SELECT 1;");
    let other = tempfile::tempdir().unwrap();
    let cfg = p.path().join("migrate.toml");
    let cfg = cfg.to_str().unwrap();
    let r = migrate_in(other.path(), &["-c", cfg, "heads"], &[]).ok();
    assert_eq!(r.stdout, "aaaa00000001 (head)\n");
    let r = migrate_in(other.path(), &["heads"], &[("MIGRATE_CONFIG", cfg)]).ok();
    assert_eq!(r.stdout, "aaaa00000001 (head)\n");
}

#[test]
fn bad_toml_names_file_line_and_column() {
    let p = Project::new(Db::Sqlite);
    std::fs::write(
        p.path().join("migrate.toml"),
        "[migrate]\nscript_location = \"migrations\"\nurl = \n",
    )
    .unwrap();
    let r = p.run(&["heads"]).fails();
    assert!(r.stderr.contains("migrate.toml:3:"), "{}", r.stderr);
}

#[test]
fn unknown_key_is_named_with_the_known_ones() {
    let p = Project::with_config(Db::Sqlite, "version_tabel = \"x\"");
    let r = p.run(&["heads"]).fails();
    assert!(r.stderr.contains("version_tabel"), "{}", r.stderr);
    assert!(r.stderr.contains("version_table"), "{}", r.stderr);
}

#[test]
fn no_url_names_all_three_sources() {
    let p = Project::new(Db::Sqlite);
    std::fs::write(
        p.path().join("migrate.toml"),
        "[migrate]\nscript_location = \"migrations\"\n",
    )
    .unwrap();
    let r = p.run(&["current"]).fails();
    for s in ["--url", "DATABASE_URL", "url"] {
        assert!(r.stderr.contains(s), "{s}: {}", r.stderr);
    }
    // DATABASE_URL, then --url, supply it.
    let db = p.db.url.clone();
    p.run_env(&["current"], &[("DATABASE_URL", &db)]).ok();
    p.run(&["--url", &db, "current"]).ok();
}

#[test]
fn url_precedence_flag_then_file_then_env() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], "SELECT 1;", "SELECT 1;");
    let other = p.path().join("other.db");
    let other_url = format!("sqlite:///{}", other.display());
    // The file's url wins over DATABASE_URL.
    p.run_env(&["upgrade", "head"], &[("DATABASE_URL", &other_url)])
        .ok();
    assert_eq!(p.db.versions(), vec!["aaaa00000001"]);
    assert!(!other.exists());
    // --url wins over the file.
    p.run(&["--url", &other_url, "upgrade", "head"]).ok();
    assert!(other.exists());
}

#[test]
fn env_interpolation_and_dotenv() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], "SELECT 1;", "SELECT 1;");
    std::fs::write(
        p.path().join("migrate.toml"),
        "[migrate]\nscript_location = \"migrations\"\nurl = \"${APP_DB_URL:-sqlite:///default.db}\"\n",
    )
    .unwrap();
    p.run(&["upgrade", "head"]).ok();
    assert!(p.path().join("default.db").exists());
    std::fs::write(
        p.path().join(".env"),
        "APP_DB_URL=sqlite:///fromdotenv.db\n",
    )
    .unwrap();
    p.run(&["upgrade", "head"]).ok();
    assert!(p.path().join("fromdotenv.db").exists());
    // A real variable wins over .env.
    p.run_env(
        &["upgrade", "head"],
        &[("APP_DB_URL", "sqlite:///fromenv.db")],
    )
    .ok();
    assert!(p.path().join("fromenv.db").exists());
}

#[test]
fn unsupported_scheme() {
    let p = Project::new(Db::Sqlite);
    let r = p
        .run(&["--url", "oracle://u:secret@h/db", "current"])
        .fails();
    assert!(r.stderr.contains("oracle"), "{}", r.stderr);
    assert!(!r.stderr.contains("secret"), "{}", r.stderr);
}

#[test]
fn unreachable_server_names_host_and_port_and_hides_the_password() {
    let p = Project::new(Db::Sqlite);
    for url in [
        "postgresql://bob:s3cr3t@127.0.0.1:1/db",
        "mysql://bob:s3cr3t@127.0.0.1:1/db",
    ] {
        let r = p.run(&["--url", url, "upgrade", "head"]).fails();
        assert!(r.stderr.contains("127.0.0.1:1"), "{}", r.stderr);
        assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
        assert!(r.stderr.contains("***"), "{}", r.stderr);
    }
}

#[test]
fn wait_retries_then_says_what_it_tried() {
    let p = Project::new(Db::Sqlite);
    let r = p
        .run(&[
            "--wait=1",
            "-v",
            "--url",
            "postgresql://bob:s3cr3t@127.0.0.1:1/db",
            "current",
        ])
        .fails();
    assert!(r.stderr.contains("gave up after"), "{}", r.stderr);
    assert!(r.stderr.contains("Attempt 1"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
}

#[test]
fn database_does_not_exist() {
    let p = Project::new(Db::Sqlite);
    for (url, needle) in [
        (
            "postgresql://postgres@127.0.0.1:5432/no_such_db_xyz",
            "does not exist",
        ),
        (
            "mysql://root@127.0.0.1:3306/no_such_db_xyz",
            "does not exist",
        ),
    ] {
        let r = p.run(&["--url", url, "current"]).fails();
        assert!(
            r.stderr.contains(needle) && r.stderr.contains("no_such_db_xyz"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn malformed_revision_file_names_file_and_line() {
    let p = Project::new(Db::Sqlite);
    let path = p.versions_dir().join("x.sql");
    std::fs::write(
        &path,
        "-- msg\n-- Revision ID: abc\n\n-- migrate:upgrade\nSELECT 1;\n",
    )
    .unwrap();
    let r = p.run(&["heads"]).fails();
    assert!(
        r.stderr.contains(&format!("{}:5:", path.display())),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("migrate:downgrade"), "{}", r.stderr);
}

#[test]
fn graph_errors_are_listed_all_at_once_before_anything_runs() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let dup = p.versions_dir().join("dup.sql");
    std::fs::write(&dup, "-- dup\n-- Revision ID: aaaa00000001\n-- Revises: \n-- migrate:upgrade\n-- migrate:downgrade\n").unwrap();
    p.revision("bbbb00000002", &["ffff99999999"], "SELECT 1;", "SELECT 1;");
    let r = p.run(&["upgrade", "heads"]).fails();
    assert!(r.stderr.contains("aaaa00000001"), "{}", r.stderr);
    assert!(r.stderr.contains("ffff99999999"), "{}", r.stderr);
    assert!(r.stderr.contains("dup.sql"), "{}", r.stderr);
    assert!(p.db.tables().is_empty());
}

#[test]
fn a_cycle_is_an_error() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &["cccc00000003"], "SELECT 1;", "SELECT 1;");
    p.revision("bbbb00000002", &["aaaa00000001"], "SELECT 1;", "SELECT 1;");
    p.revision("cccc00000003", &["bbbb00000002"], "SELECT 1;", "SELECT 1;");
    let r = p.run(&["heads"]).fails();
    assert!(r.stderr.to_lowercase().contains("cycle"), "{}", r.stderr);
}

#[test]
fn unknown_and_ambiguous_targets() {
    let p = Project::new(Db::Sqlite);
    p.revision("abcd11110001", &[], "SELECT 1;", "SELECT 1;");
    p.revision("abcd22220002", &["abcd11110001"], "SELECT 1;", "SELECT 1;");
    let r = p.run(&["upgrade", "abcd"]).fails();
    assert!(
        r.stderr
            .contains("Multiple revisions start with 'abcd': abcd11110001, abcd22220002"),
        "{}",
        r.stderr
    );
    let r = p.run(&["upgrade", "zzzz"]).fails();
    assert!(
        r.stderr
            .contains("Can't locate revision identified by 'zzzz'"),
        "{}",
        r.stderr
    );
    assert!(p.db.versions_or_empty().is_empty());
}

#[test]
fn revision_never_overwrites_and_rejects_bad_ids() {
    let p = Project::new(Db::Sqlite);
    p.run(&["revision", "-m", "one", "--rev-id", "aaaa00000001"])
        .ok();
    let r = p
        .run(&["revision", "-m", "one", "--rev-id", "aaaa00000001"])
        .fails();
    assert!(r.stderr.contains("aaaa00000001"), "{}", r.stderr);
    for bad in ["a-b", "a@b", "a+b", "a:b", &"x".repeat(33)] {
        let r = p.run(&["revision", "-m", "x", "--rev-id", bad]).fails();
        assert!(r.stderr.contains("--rev-id"), "{}", r.stderr);
    }
    // A file named as the new one would be is never overwritten.
    let taken = p.versions_dir().join("bbbb00000002_two.sql");
    let keep = "-- keep me\n-- Revision ID: cccc00000003\n-- Revises: aaaa00000001\n-- migrate:upgrade\n-- migrate:downgrade\n";
    std::fs::write(&taken, keep).unwrap();
    let r = p
        .run(&["revision", "-m", "two", "--rev-id", "bbbb00000002"])
        .fails();
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), keep);
}

#[test]
fn bad_usage_exits_2() {
    let p = Project::new(Db::Sqlite);
    let r = p.run(&["upgrade"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = p.run(&["frobnicate"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn an_unterminated_string_names_its_line_in_the_file() {
    let p = Project::new(Db::Sqlite);
    let path = p.revision("aaaa00000001", &[], "SELECT 1;\nSELECT 'oops;", "SELECT 1;");
    let r = p.run(&["upgrade", "head"]).fails();
    // The header takes 7 lines; the broken string is on line 9 of the file.
    assert!(
        r.stderr.contains(&path.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("line 9, column 8"), "{}", r.stderr);
    assert!(p.db.versions_or_empty().is_empty());
}

#[test]
fn an_unset_url_variable_only_matters_to_commands_that_connect() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], "SELECT 1;", "SELECT 1;");
    std::fs::write(
        p.path().join("migrate.toml"),
        "[migrate]\nscript_location = \"migrations\"\nurl = \"${APP_DB_URL_UNSET}\"\n",
    )
    .unwrap();
    assert_eq!(p.run(&["heads"]).ok().stdout, "aaaa00000001 (head)\n");
    p.run(&["history"]).ok();
    let r = p.run(&["current"]).fails();
    assert!(
        r.stderr.contains("migrate.toml:3:7: in `url`"),
        "{}",
        r.stderr
    );
    // Said once, not twice.
    assert_eq!(
        r.stderr.matches("APP_DB_URL_UNSET is not set").count(),
        1,
        "{}",
        r.stderr
    );
}
