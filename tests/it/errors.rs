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

// ---------------------------------------------------------------------------
// Every message of `config` (src/config/: ConfigError, InterpolateError) and
// `url` (src/url/: UrlError, PortProblem), pinned whole: the line `migrate`
// prints, byte for byte. Messages reachable only through the library (no
// command can reach them) are pinned through it; those of tables and value
// types that no real table declares yet are pinned in src/config/reader.rs.
// ---------------------------------------------------------------------------

/// The keys of [migrate], as messages list them.
const KEYS: &str = "script_location, version_locations, url, version_table, version_table_schema, log_table, file_template, truncate_slug_length, timezone, transaction_per_migration, lock_timeout, lock, lock_lease, schema, dev_url";

/// A project folder (an empty `migrations/versions`) whose `migrate.toml`
/// holds `toml` (raw bytes), and the folder's real path.
fn config_dir(toml: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
    std::fs::write(dir.path().join("migrate.toml"), toml).unwrap();
    let shown = dir.path().canonicalize().unwrap().display().to_string();
    (dir, shown)
}

/// What `migrate ARGS` prints on stderr in a folder whose migrate.toml holds `toml`,
/// with the folder's path written as `{D}`.
fn config_stderr(toml: &[u8], args: &[&str], env: &[(&str, &str)]) -> String {
    let (dir, shown) = config_dir(toml);
    migrate_in(dir.path(), args, env)
        .fails()
        .stderr
        .replace(&shown, "{D}")
}

#[test]
fn config_messages_are_pinned() {
    let p = "{D}/migrate.toml";
    let cases: Vec<(&str, String)> = vec![
        (
            "[migrate]\nscript_locaton = \"m\"\n",
            format!("{p}:2:1: unknown key `script_locaton` in [migrate]; did you mean `script_location`? The known keys are: {KEYS}"),
        ),
        (
            "[migrate]\nprepend_sys_path = \".\"\n",
            format!("{p}:2:1: unknown key `prepend_sys_path` in [migrate] (an alembic.ini setting that migrate does not use; remove it) The known keys are: {KEYS}"),
        ),
        (
            "[migrate]\ncompletely_different = 1\n",
            format!("{p}:2:1: unknown key `completely_different` in [migrate] The known keys are: {KEYS}"),
        ),
        (
            "[migrate]\nsqlalchemy.url = \"x\"\n",
            format!("{p}:2:1: unknown key `sqlalchemy` in [migrate]; did you mean `url`? The known keys are: {KEYS}"),
        ),
        (
            "[migrat]\n",
            format!("{p}:1:2: unknown table [migrat]; did you mean [migrate]? The known tables are: [migrate], [lint], [targets.NAME]"),
        ),
        (
            "[alembic]\n",
            format!("{p}:1:2: unknown table [alembic]. The known tables are: [migrate], [lint], [targets.NAME]"),
        ),
        (
            "url = \"x\"\n[migrate]\n",
            format!("{p}:1:1: `url` is outside the [migrate] table; put a `[migrate]` line above it"),
        ),
        (
            "scrip_location = \"x\"\n",
            format!("{p}:1:1: unknown key `scrip_location` outside the [migrate] table; did you mean `script_location`? Settings go under a `[migrate]` line; the known keys are: {KEYS}"),
        ),
        (
            "banana = 1\n",
            format!("{p}:1:1: unknown key `banana` outside the [migrate] table; settings go under a `[migrate]` line; the known keys are: {KEYS}"),
        ),
        (
            "migrate = 1\n",
            format!("{p}:1:1: `migrate` must be a table: write a `[migrate]` line and the settings below it"),
        ),
        (
            "[migrate]\nscript_location = migrations\n",
            format!("{p}:2:19: string values must be quoted, expected literal string"),
        ),
        (
            "[migrate\n",
            format!("{p}:1:9: unclosed table, expected `]`"),
        ),
        (
            "[migrate]\nurl = \"a\"\nurl = \"b\"\n",
            format!("{p}:3:1: duplicate key `url`: it is set earlier in the file; keep one"),
        ),
        (
            "[migrate]\ntruncate_slug_length = \"40\"\n",
            format!("{p}:2:24: `truncate_slug_length` must be a whole number of characters, e.g. 40, but it is a string; remove the quotes: truncate_slug_length = 40"),
        ),
        (
            "[migrate]\ntruncate_slug_length = 4.5\n",
            format!("{p}:2:24: `truncate_slug_length` must be a whole number of characters, e.g. 40, but it is a float"),
        ),
        (
            "[migrate]\nurl = 5\n",
            format!("{p}:2:7: `url` must be a string, but it is an integer; put the value in quotes: url = \"…\""),
        ),
        (
            "[migrate]\ntransaction_per_migration = \"false\"\n",
            format!("{p}:2:29: `transaction_per_migration` must be true or false, but it is a string; remove the quotes: transaction_per_migration = false"),
        ),
        (
            "[migrate]\nlock_timeout = \"ten\"\n",
            format!("{p}:2:16: `lock_timeout` must be a whole number of seconds, e.g. 60, but it is a string"),
        ),
        (
            "[migrate]\nversion_locations = \"a/versions\"\n",
            format!("{p}:2:21: `version_locations` must be an array of folder paths, but it is a string; write a list, even of one folder: version_locations = [\"a/versions\"]"),
        ),
        (
            "[migrate]\nversion_locations = [\"a\", 3]\n",
            format!("{p}:2:27: `version_locations[1]` must be a string (a folder path), but it is an integer"),
        ),
        (
            "[migrate]\nversion_table = \"\"\n",
            format!("{p}:2:17: `version_table`: is empty; give a value or remove the line to use the default"),
        ),
        (
            "[migrate]\nversion_locations = []\n",
            format!("{p}:2:21: `version_locations`: is empty; list at least one folder, or remove the line to use <script_location>/versions"),
        ),
        (
            "[migrate]\nversion_locations = [\"a\", \"\"]\n",
            format!("{p}:2:27: `version_locations[1]`: is an empty path; remove it or name a folder"),
        ),
        (
            "[migrate]\nlock_timeout = 9223372036854775808\n",
            format!("{p}:2:16: `lock_timeout`: is too large"),
        ),
        (
            "[migrate]\ntruncate_slug_length = 0\n",
            format!("{p}:2:24: `truncate_slug_length`: 0 is out of range; give a number of characters from 1 to 255 (default 40)"),
        ),
        (
            "[migrate]\nlock_timeout = -1\n",
            format!("{p}:2:16: `lock_timeout`: -1 is negative; give the seconds to wait for the migration lock (0 = do not wait, default 60)"),
        ),
        (
            "[migrate]\ntimezone = \"Europe/Berlin\"\n",
            format!("{p}:2:12: `timezone`: `Europe/Berlin` is not a time zone migrate knows; write \"UTC\", \"local\" (this machine's zone) or a fixed offset such as \"+02:00\" or \"-05:30\" (named zones such as Europe/Berlin are not supported)"),
        ),
        (
            "[migrate]\nversion_table = \"${MIGRATE_PIN_UNSET}\"\n",
            format!("{p}:2:17: in `version_table`: the environment variable MIGRATE_PIN_UNSET is not set; set it (a .env file in the working directory counts), or give a default as in ${{MIGRATE_PIN_UNSET:-value}}"),
        ),
        (
            "[migrate]\nfile_template = \"ab${X\"\n",
            format!("{p}:2:17: in `file_template`: `${{` at character 3 is never closed by `}}`; write ${{VAR}} or ${{VAR:-default}}, and $$ for a literal $"),
        ),
        (
            "[migrate]\nlog_table = \"${1X}\"\n",
            format!("{p}:2:13: in `log_table`: `${{1X}}` is not a variable reference: write ${{VAR}} or ${{VAR:-default}} with VAR made of letters, digits and _, and $$ for a literal $"),
        ),
    ];
    for (toml, want) in cases {
        let got = config_stderr(toml.as_bytes(), &["heads"], &[]);
        assert_eq!(got, format!("error: {want}\n"), "{toml:?}");
    }
}

#[test]
fn config_messages_of_commands_that_connect_are_pinned() {
    let got = config_stderr(
        b"[migrate]\nurl = \"${MIGRATE_PIN_UNSET}\"\n",
        &["current"],
        &[],
    );
    assert_eq!(
        got,
        "error: {D}/migrate.toml:2:7: in `url`: the environment variable MIGRATE_PIN_UNSET is not set; set it (a .env file in the working directory counts), or give a default as in ${MIGRATE_PIN_UNSET:-value}\n"
    );
    let got = config_stderr(b"[migrate]\n", &["current"], &[]);
    assert_eq!(
        got,
        "error: no database URL was given: pass --url URL, set `url` under [migrate] in {D}/migrate.toml, or set the DATABASE_URL environment variable (a .env file in the working directory counts)\n"
    );
}

#[test]
fn config_file_messages_are_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap().display().to_string();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        migrate_in(dir.path(), args, env)
            .fails()
            .stderr
            .replace(&d, "{D}")
    };
    let tail = "; create one with `migrate init`, or point at one with `-c PATH` or the MIGRATE_CONFIG environment variable\n";
    assert_eq!(
        run(&["heads"], &[]),
        format!("error: no config file was found at {{D}}/migrate.toml{tail}")
    );
    assert_eq!(
        run(&["-c", "other.toml", "heads"], &[]),
        format!(
            "error: no config file was found at {{D}}/other.toml (given with -c/--config){tail}"
        )
    );
    assert_eq!(
        run(&["heads"], &[("MIGRATE_CONFIG", "elsewhere.toml")]),
        format!("error: no config file was found at {{D}}/elsewhere.toml (named by MIGRATE_CONFIG){tail}")
    );
    assert_eq!(
        run(&["-c", ".", "heads"], &[]),
        "error: {D} is a folder, not a config file; point -c/--config or MIGRATE_CONFIG at the migrate.toml file itself\n"
    );
    std::fs::write(dir.path().join(".env"), "A=1\nnot a valid line\n").unwrap();
    assert_eq!(
        run(&["heads"], &[]),
        "error: {D}/.env:2:5: this line cannot be parsed; write KEY=VALUE, quoting a value that holds spaces, `#` or quotes, and close every quote\n"
    );
}

#[test]
fn an_unreadable_file_says_its_cause_once() {
    let got = config_stderr(b"[migrate]\nurl = \"\xff\"\n", &["heads"], &[]);
    assert_eq!(
        got,
        "error: cannot read {D}/migrate.toml: stream did not contain valid UTF-8\n"
    );
    let (dir, d) = config_dir(b"[migrate]\n");
    std::fs::write(dir.path().join(".env"), b"A=\xff\n").unwrap();
    let got = migrate_in(dir.path(), &["heads"], &[]).fails().stderr;
    assert_eq!(
        got,
        format!("error: cannot read {d}/.env: stream did not contain valid UTF-8\n")
    );
}

#[test]
fn config_messages_only_the_library_reaches_are_pinned() {
    // Every command reads a config file, so "none was found" is for library callers.
    let dir = tempfile::tempdir().unwrap();
    let opts = migrate::config::LoadOptions::default();
    let config = migrate::config::load(&opts, dir.path(), &|_| None).unwrap();
    let e = config.require_url().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "no database URL was given: pass --url URL, set `url` under [migrate] in a config file (none was found at {}/migrate.toml; `migrate init` creates one), or set the DATABASE_URL environment variable (a .env file in the working directory counts)",
            dir.path().display()
        )
    );
    // An empty URL never reaches the parser from the command line (it means "unset").
    assert_eq!(
        migrate::url::parse("  ").unwrap_err().to_string(),
        "the database URL is empty; give one such as postgresql://user:password@localhost:5432/app, mysql://user:password@localhost:3306/app or sqlite:///app.db"
    );
}

#[test]
fn url_messages_are_pinned() {
    let p = Project::new(Db::Sqlite);
    // The examples' `user:password@` is printed as `user:***@`: main hides
    // anything shaped like a password in every error line.
    let cases = [
        (
            "localhost:5432/db",
            "`localhost:5432/db` is not a database URL: it must start with `scheme://`, as in postgresql://user:***@localhost:5432/app, mysql://user:***@localhost:3306/app or sqlite:///app.db",
        ),
        (
            "u:s3cret@localhost/db",
            "`u:***@localhost/db` is not a database URL: it must start with `scheme://`, as in postgresql://user:***@localhost:5432/app, mysql://user:***@localhost:3306/app or sqlite:///app.db",
        ),
        (
            "oracle://u:s3cret@h/db",
            "unsupported database `oracle` in `oracle://u:***@h/db`: the supported schemes are postgresql (or postgres), mysql, mariadb and sqlite, each optionally with a `+driver` suffix that is ignored (postgresql+psycopg2://…)",
        ),
        (
            "postgresql://u:s3cret@/db",
            "no host in `postgresql://u:***@/db`: a PostgreSQL URL needs one, as in postgresql://user:***@localhost:5432/app (or postgresql://user@/app?host=/var/run/postgresql for a Unix socket)",
        ),
        (
            "mariadb:///db",
            "no host in `mariadb:///db`: a MySQL URL needs one, as in mysql://user:***@localhost:3306/app (or mysql://user@/app?socket=/run/mysqld/mysqld.sock for a Unix socket)",
        ),
        (
            "postgresql://u:s3cret@h:99999/db",
            "bad port in `postgresql://u:***@h:99999/db`: 99999 is not between 1 and 65535; write a number from 1 to 65535 after the host, as in localhost:5432",
        ),
        (
            "postgresql://u:s3cret@h:0/db",
            "bad port in `postgresql://u:***@h:0/db`: 0 is not between 1 and 65535; write a number from 1 to 65535 after the host, as in localhost:5432",
        ),
        (
            "postgresql://u:s3cret@h:54x/db",
            "bad port in `postgresql://u:***@h:54x/db`: the port is not a number (or the `@host` after a password is missing); write a number from 1 to 65535 after the host, as in localhost:5432",
        ),
        (
            "postgresql://u:s3cret@[::1/db",
            "bad IPv6 host in `postgresql://u:***@[::1/db`: write it in brackets, as in postgresql://user@[::1]:5432/app",
        ),
        (
            "sqlite://host/app.db",
            "`sqlite://host/app.db` names a host, but a SQLite URL has none: write sqlite:///relative/path.db (three slashes), sqlite:////absolute/path.db (four) or sqlite:// for an in-memory database",
        ),
        (
            "postgresql://%FF:s3cret@h/db",
            "the user name in `postgresql://%FF:***@h/db` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
        (
            "postgresql://u:%FF@h/db",
            "the password in `postgresql://u:***@h/db` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
        (
            "postgresql://u:s3cret@%FF/db",
            "the host in `postgresql://u:***@%FF/db` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
        (
            "postgresql://u:s3cret@h/%FF",
            "the database name in `postgresql://u:***@h/%FF` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
        (
            "sqlite:///%FF.db",
            "the path in `sqlite:///%FF.db` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
        (
            "postgresql://u:s3cret@h/db?x=%FF",
            "the query in `postgresql://u:***@h/db?x=%FF` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character",
        ),
    ];
    for (url, want) in cases {
        let r = p.run(&["--url", url, "current"]).fails();
        assert_eq!(r.stderr, format!("error: {want}\n"), "{url}");
    }
}

// ---------------------------------------------------------------------------
// Every message of `command` (CommandError) and of `runtime` (RunError,
// ResumeError) that a command line can reach without a server failing on
// purpose, pinned whole, with the project's folder written as `{D}`.
// ---------------------------------------------------------------------------

/// stderr of `migrate ARGS` in the project, its folder as `{D}`.
fn pinned(p: &Project, args: &[&str]) -> String {
    let r = p.run(args).fails();
    let shown = p.path().canonicalize().unwrap().display().to_string();
    r.stderr
        .replace(&shown, "{D}")
        .replace(&p.path().display().to_string(), "{D}")
}

#[test]
fn command_messages_are_pinned() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    let cases: &[(&[&str], &str)] = &[
        (
            &["init", "-t", "nope", "other"],
            "error: No such template 'nope'; available: generic, postgresql, mysql (see `migrate list-templates`)\n",
        ),
        (
            &["init", "migrations"],
            "error: Directory {D}/migrations already exists and is not empty; choose another folder (`migrate init OTHER`)\n",
        ),
        (
            &["revision", "-m", "x", "--rev-id", "a@b"],
            "error: --rev-id 'a@b' contains one of the characters @ - + : which revision targets use\n",
        ),
        (
            &["revision", "-m", "x", "--rev-id", "head"],
            "error: --rev-id 'head' is a word targets reserve (head, heads, base, current); choose another id\n",
        ),
        (
            &["revision", "-m", "x", "--rev-id", "aaaa00000001"],
            "error: Revision aaaa00000001 is already present in {D}/migrations/versions/aaaa00000001_rev.sql; choose another --rev-id\n",
        ),
        (
            &["downgrade", "base", "--sql"],
            "error: downgrade with --sql requires <fromrev>:<torev>\n",
        ),
        (
            &["upgrade", "head", "--sql", "--resume"],
            "error: --resume runs SQL on the database; it can't be used with --sql\n",
        ),
        (
            &["upgrade", "base:head"],
            "error: Range revision not allowed (a FROM:TO range is for --sql only)\n",
        ),
        (
            &["stamp", "head", "--sql", "--purge"],
            "error: Can't use --purge with --sql mode\n",
        ),
        (
            &["stamp", "base:aaaa", "base:aaaa", "--sql"],
            "error: Stamp operation with --sql only supports one starting revision at a time\n",
        ),
        (
            &["upgrade", "head", "--resume"],
            "error: nothing to resume: the audit log \"alembic_version_log\" shows no half-applied revision; run `migrate upgrade` without --resume\n",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(pinned(&p, args), *want, "{args:?}");
    }
    // `edit` of nothing, and an editor that fails.
    let r = p.run_env(&["edit", "base"], &[("EDITOR", "false")]).fails();
    assert_eq!(
        r.stderr,
        "error: No revision files indicated by symbol 'base'\n"
    );
    let r = p.run_env(&["edit", "head"], &[("EDITOR", "false")]).fails();
    assert_eq!(
        r.stderr,
        "error: the editor 'false' exited with exit status: 1\n"
    );
    let r = p
        .run_env(&["edit", "head"], &[("EDITOR", "/no/such/editor")])
        .fails();
    assert_eq!(
        r.stderr,
        "error: starting the editor '/no/such/editor' (set $EDITOR): No such file or directory (os error 2)\n"
    );
}

#[test]
fn run_messages_are_pinned() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        "CREATE TABLE t2 (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
        &drop_table("t2"),
    );
    assert_eq!(
        pinned(&p, &["upgrade", "head"]),
        "Running upgrade  -> aaaa00000001, rev aaaa00000001\nRunning upgrade aaaa00000001 -> bbbb00000002, rev bbbb00000002\nerror: {D}/migrations/versions/bbbb00000002_rev.sql:9:1: statement 2 failed: [SQLITE 1] no such table: nowhere\n  INSERT INTO nowhere VALUES (1)\nThe run was rolled back: the database is as it was before it. Fix the statement and run the command again.\n"
    );
    // One transaction per revision: the first stays, the message says so.
    let q = Project::with_config(Db::Sqlite, "transaction_per_migration = true");
    std::fs::copy(
        p.versions_dir().join("aaaa00000001_rev.sql"),
        q.versions_dir().join("aaaa00000001_rev.sql"),
    )
    .unwrap();
    std::fs::copy(
        p.versions_dir().join("bbbb00000002_rev.sql"),
        q.versions_dir().join("bbbb00000002_rev.sql"),
    )
    .unwrap();
    let err = pinned(&q, &["-q", "upgrade", "head"]);
    assert_eq!(
        err,
        "error: revision bbbb00000002 failed and was rolled back; the revisions before it in this run (aaaa00000001) are applied: {D}/migrations/versions/bbbb00000002_rev.sql:9:1: statement 2 failed: [SQLITE 1] no such table: nowhere\n  INSERT INTO nowhere VALUES (1)\n"
    );
    // A section that does not split.
    let r = Project::new(Db::Sqlite);
    r.revision("aaaa00000001", &[], "SELECT 'open;", "SELECT 1;");
    assert_eq!(
        pinned(&r, &["-q", "upgrade", "head"]),
        "error: {D}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the string ' opened here is never closed; add the closing '\n"
    );
}

#[test]
fn resume_messages_are_pinned_on_mariadb() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision(
        "aaaa00000001",
        &[],
        "CREATE TABLE t1 (id INT);\nINSERT INTO nowhere VALUES (1);\nCREATE TABLE t2 (id INT);",
        "DROP TABLE t1;",
    );
    p.run(&["-q", "upgrade", "head"]).fails();
    assert_eq!(
        pinned(&p, &["-q", "downgrade", "base", "--resume"]),
        "error: revision aaaa00000001 is half-applied by an upgrade, not a downgrade: resume it with `migrate upgrade <target> --resume`\n"
    );
    assert_eq!(
        pinned(&p, &["-q", "upgrade", "head", "--resume-after", "2"]),
        "error: --resume-after 2: revision aaaa00000001 did not stop in a statement of unknown outcome: statement 2 failed with an error from the server, so it did not take effect; fix it and use `--resume`\n"
    );
    // The statement that ran is no longer the file's first one.
    let path = p.versions_dir().join("aaaa00000001_rev.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("CREATE TABLE t1 (id INT)", "CREATE TABLE t1 (id BIGINT)"),
    )
    .unwrap();
    let err = pinned(&p, &["-q", "upgrade", "head", "--resume"]);
    assert!(
        err.starts_with("error: cannot resume revision aaaa00000001: statements 1 to 1 of {D}/migrations/versions/aaaa00000001_rev.sql ran on "),
        "{err}"
    );
    assert!(
        err.ends_with(", but they have changed in the file since; --resume would skip statements that are not the ones that ran. Put them back as they were (see the SQL that ran with `migrate history --applied -v`), or repair the database by hand and run `migrate stamp aaaa00000001`\n"),
        "{err}"
    );
}
