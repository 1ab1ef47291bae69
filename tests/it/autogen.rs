//! The autogenerate loop as a user runs it, on each database: edit
//! `schema.sql`, `migrate revision --autogenerate -m …`, `migrate upgrade
//! head`; and `diff`, `check` (schema changes, drift), `baseline`, with the
//! scratch databases they use dropped on every exit path and the configured
//! database never written by what only compares.

use crate::safety::{finish, spawn_in, Watched};
use crate::support::all;
use crate::support::*;
use std::process::Command;
use std::time::Duration;

/// A table definition of each database's SQL.
fn users(kind: Db, extra: &str) -> String {
    let id = match kind {
        Db::Postgres => "id SERIAL PRIMARY KEY",
        Db::MySql => "id INT AUTO_INCREMENT PRIMARY KEY",
        Db::Sqlite => "id INTEGER PRIMARY KEY",
    };
    format!("CREATE TABLE users (\n    {id},\n    email VARCHAR(100) NOT NULL{extra}\n);\n")
}

/// A project whose migrate.toml names `schema.sql` with `schema`.
fn project(kind: Db, schema: &str) -> Project {
    let p = Project::with_config(kind, "schema = \"schema.sql\"");
    std::fs::write(p.path().join("schema.sql"), schema).unwrap();
    p
}

/// The revision files, by name.
fn files(p: &Project) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(p.versions_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn newest(p: &Project) -> String {
    let mut paths: Vec<_> = std::fs::read_dir(p.versions_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    std::fs::read_to_string(paths.last().unwrap()).unwrap()
}

/// What stands in the configured database, byte for byte: the SQLite file,
/// or the server's own dump of the database (schema and rows).
fn fingerprint(db: &TestDb) -> String {
    let out = match db.kind {
        Db::Sqlite => {
            return format!(
                "{:?}",
                std::fs::read(db.path.as_ref().unwrap()).unwrap_or_default()
            )
        }
        Db::Postgres => {
            Command::new("pg_dump")
                .args(["--no-owner", "-d", &db.url])
                .output()
                .expect("pg_dump")
                .stdout
        }
        Db::MySql => {
            Command::new("mariadb-dump")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                    "--skip-dump-date",
                    &db.name,
                ])
                .output()
                .expect("mariadb-dump")
                .stdout
        }
    };
    // pg_dump writes a new random `\restrict` key on every run: left out.
    String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The scratch databases the `migrate` process `pid` made and left on the
/// server (their names carry the process id).
pub(crate) fn scratch_databases(kind: Db, pid: u32) -> usize {
    let prefix = format!("migrate_scratch_{pid}_");
    let dir = tempfile::tempdir().unwrap();
    let probe = TestDb::new(kind, dir.path());
    let q = match kind {
        Db::Postgres => format!("SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"),
        Db::MySql => format!(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '{}%'",
            prefix.replace('_', "\\_")
        ),
        Db::Sqlite => {
            return std::fs::read_dir(std::env::temp_dir())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                })
                .count()
        }
    };
    probe.query(&q).len()
}

#[test]
fn the_autogenerate_loop_on_every_database() {
    let handles: Vec<_> = all()
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = project(kind, &users(kind, ""));
                let r = p
                    .run(&["revision", "--autogenerate", "-m", "create users"])
                    .ok();
                assert!(
                    r.stdout.starts_with("Generating "),
                    "{kind:?}: {}",
                    r.stdout
                );
                let text = newest(&p);
                assert!(
                    text.contains("-- migrate:upgrade\nCREATE ") && text.contains("CREATE TABLE"),
                    "{kind:?}: {text}"
                );
                assert!(
                    text.contains("-- migrate:downgrade\n-- WARNING: drops table "),
                    "{kind:?}: {text}"
                );
                assert!(
                    r.stderr.contains("WARNING: downgrade drops table "),
                    "{kind:?}: {}",
                    r.stderr
                );
                p.run(&["upgrade", "head"]).ok();
                assert!(p.db.has_table("users"), "{kind:?}");
                // Nothing more to do: no file.
                let r = p.run(&["revision", "--autogenerate", "-m", "again"]).ok();
                assert_eq!(r.stdout, "No changes in schema detected.\n", "{kind:?}");
                assert_eq!(files(&p).len(), 1, "{kind:?}");
                // A new column and a rename: one revision, rows kept both ways.
                p.db.exec("INSERT INTO users (email) VALUES ('a@example.com')");
                let schema = users(kind, ",\n    nickname VARCHAR(30)")
                    .replace("email VARCHAR(100)", "mail VARCHAR(100)")
                    .replace(
                        "mail VARCHAR(100) NOT NULL,",
                        "mail VARCHAR(100) NOT NULL, -- migrate:renamed-from email",
                    );
                std::fs::write(p.path().join("schema.sql"), schema).unwrap();
                p.run(&["revision", "--autogenerate", "-m", "mail"]).ok();
                let text = newest(&p);
                assert!(text.contains("RENAME COLUMN"), "{kind:?}: {text}");
                assert!(!text.contains("DROP COLUMN email"), "{kind:?}: {text}");
                p.run(&["upgrade", "head"]).ok();
                assert_eq!(
                    p.db.query("SELECT mail FROM users"),
                    vec![vec!["a@example.com".to_string()]],
                    "{kind:?}"
                );
                p.run(&["check"]).ok();
                p.run(&["downgrade", "-1"]).ok();
                assert_eq!(
                    p.db.query("SELECT email FROM users"),
                    vec![vec!["a@example.com".to_string()]],
                    "{kind:?}"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn comparing_never_writes_the_configured_database() {
    for kind in all() {
        let p = project(kind, &users(kind, ",\n    nickname VARCHAR(30)"));
        p.revision("aaaa00000001", &[], &users(kind, ""), "DROP TABLE users;");
        p.run(&["upgrade", "head"]).ok();
        p.db.exec("INSERT INTO users (email) VALUES ('x@example.com')");
        let before = fingerprint(&p.db);
        assert!(!before.is_empty(), "{kind:?}");
        for args in [
            &["diff"][..],
            &["diff", "--from", "database", "--to", "schema"][..],
            &[
                "diff",
                "--from",
                "migrations",
                "--to",
                "database",
                "--exit-code",
            ][..],
            &["check", "--drift"][..],
            &["revision", "--autogenerate", "-m", "nick"][..],
            &[
                "revision",
                "--autogenerate",
                "-m",
                "nick",
                "--from-database",
            ][..],
        ] {
            let _ = p.run(args);
            assert_eq!(
                fingerprint(&p.db),
                before,
                "{kind:?}: `migrate {}` wrote the configured database",
                args.join(" ")
            );
        }
    }
}

#[test]
fn diff_shows_the_sql_between_any_two_schemas() {
    for kind in all() {
        let p = project(kind, &users(kind, ",\n    nickname VARCHAR(30)"));
        p.revision("aaaa00000001", &[], &users(kind, ""), "DROP TABLE users;");
        let r = p.run(&["diff"]).ok();
        assert!(r.stdout.contains("nickname"), "{kind:?}: {}", r.stdout);
        assert!(r.stdout.contains("ADD"), "{kind:?}: {}", r.stdout);
        // --exit-code: 1 when they differ, as git diff.
        let r = p.run(&["diff", "--exit-code"]);
        assert_eq!(r.code, 1, "{kind:?}: {}", r.stderr);
        // The other way round: the column goes, with its warning.
        let r = p
            .run(&["diff", "--from", "schema", "--to", "migrations"])
            .ok();
        assert!(
            r.stdout.starts_with("-- WARNING: ")
                && r.stdout.contains("users.nickname and its data"),
            "{kind:?}: {}",
            r.stdout
        );
        // JSON.
        let r = p.run(&["--format", "json", "diff"]).ok();
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["differs"], true);
        assert_eq!(v["from"], "migrations");
        assert_eq!(v["to"], "schema");
        assert!(
            v["statements"].as_array().unwrap().len() == 1,
            "{kind:?}: {v}"
        );
        // A file, and the database (empty: no version applied yet).
        std::fs::write(p.path().join("other.sql"), users(kind, "")).unwrap();
        let r = p
            .run(&[
                "diff",
                "--from",
                "migrations",
                "--to",
                "other.sql",
                "--exit-code",
            ])
            .ok();
        assert_eq!(r.stdout, "", "{kind:?}");
        let r = p
            .run(&["diff", "--from", "database", "--to", "migrations"])
            .ok();
        assert!(r.stdout.contains("CREATE TABLE"), "{kind:?}: {}", r.stdout);
    }
}

#[test]
fn check_reports_schema_changes_and_drift() {
    for kind in all() {
        let p = project(kind, &users(kind, ",\n    nickname VARCHAR(30)"));
        p.revision("aaaa00000001", &[], &users(kind, ""), "DROP TABLE users;");
        p.run(&["upgrade", "head"]).ok();
        let r = p.run(&["check"]);
        assert_eq!(r.code, 1, "{kind:?}: {}", r.stdout);
        assert!(
            r.stdout.contains("FAILED: New upgrade operations detected: the desired schema has 1 change(s) that no revision makes"),
            "{kind:?}: {}",
            r.stdout
        );
        // --offline skips it.
        p.run(&["check", "--offline"]).ok();
        // Drift: a column added by hand.
        std::fs::write(p.path().join("schema.sql"), users(kind, "")).unwrap();
        p.run(&["check"]).ok();
        p.db.exec("ALTER TABLE users ADD COLUMN by_hand INTEGER");
        p.run(&["check"]).ok();
        let r = p.run(&["--format", "json", "check", "--drift"]);
        assert_eq!(r.code, 1, "{kind:?}: {}", r.stdout);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let drift = &v["problems"][0];
        assert_eq!(drift["kind"], "drift", "{kind:?}: {v}");
        assert!(
            drift["sql"].as_str().unwrap().contains("by_hand"),
            "{kind:?}: {v}"
        );
    }
}

#[test]
fn baseline_writes_the_first_revision_from_the_database_and_stamps_it() {
    for kind in all() {
        let p = Project::new(kind);
        p.db.exec(&users(kind, ""));
        p.db.exec("CREATE INDEX users_email ON users (email)");
        let r = p.run(&["baseline", "-m", "baseline"]).ok();
        assert!(
            r.stdout.starts_with("Generating "),
            "{kind:?}: {}",
            r.stdout
        );
        let text = newest(&p);
        assert!(text.contains("CREATE TABLE"), "{kind:?}: {text}");
        assert!(text.contains("users_email"), "{kind:?}: {text}");
        let heads = p.run(&["heads"]).ok().stdout;
        let rev = heads.split_whitespace().next().unwrap().to_string();
        assert_eq!(p.db.versions(), vec![rev], "{kind:?}");
        // The revision round-trips on an empty database of its own.
        let q = Project::new(kind);
        std::fs::copy(
            std::fs::read_dir(p.versions_dir())
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
            q.versions_dir().join("baseline.sql"),
        )
        .unwrap();
        q.run(&["upgrade", "head"]).ok();
        assert!(q.db.has_table("users"), "{kind:?}");
        q.run(&["downgrade", "base"]).ok();
        assert!(!q.db.has_table("users"), "{kind:?}");
        // Once a project has revisions, baseline refuses.
        let r = p.run(&["baseline", "-m", "again"]).fails();
        assert!(
            r.stderr.contains("has 1 revision(s) already"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn from_database_compares_with_the_configured_database_at_head_only() {
    for kind in all() {
        let p = project(kind, &users(kind, ",\n    nickname VARCHAR(30)"));
        p.revision("aaaa00000001", &[], &users(kind, ""), "DROP TABLE users;");
        let r = p
            .run(&["revision", "--autogenerate", "-m", "x", "--from-database"])
            .fails();
        assert!(r.stderr.contains("not at head"), "{kind:?}: {}", r.stderr);
        p.run(&["upgrade", "head"]).ok();
        p.run(&["revision", "--autogenerate", "-m", "x", "--from-database"])
            .ok();
        assert!(newest(&p).contains("nickname"), "{kind:?}");
    }
}

#[test]
fn a_bad_schema_file_names_its_line_and_leaves_no_scratch_database() {
    for kind in all() {
        let p = project(
            kind,
            &format!("{}\nCREATE TABLE users (id INTEGER);\n", users(kind, "")),
        );
        let child = spawn_in(p.path(), &["revision", "--autogenerate", "-m", "x"]);
        let pid = child.id();
        let r = finish(child).fails();
        assert!(
            r.stderr.contains(
                "schema.sql:6:1: the desired schema's statement failed on the scratch database: "
            ) && r.stderr.contains("Fix the schema file"),
            "{kind:?}: {}",
            r.stderr
        );
        assert_eq!(files(&p).len(), 0);
        assert_eq!(scratch_databases(kind, pid), 0, "{kind:?}");
    }
}

#[test]
fn ctrl_c_while_reading_a_schema_drops_the_scratch_database() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in [Db::Postgres, Db::MySql]
        .into_iter()
        .filter(|k| all().contains(k))
    {
        let sleep = match kind {
            Db::Postgres => "SELECT pg_sleep(30);",
            _ => "SELECT SLEEP(30);",
        };
        let p = project(kind, &format!("{}{sleep}\n", users(kind, "")));
        let w = Watched::start(p.path(), &["revision", "--autogenerate", "-m", "x"]);
        let pid = w.pid();
        // Wait until the scratch database exists.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while scratch_databases(kind, pid) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{kind:?}: no scratch database"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        Command::new("kill")
            .args(["-INT", &w.pid().to_string()])
            .status()
            .unwrap();
        let started = std::time::Instant::now();
        let r = w.finish();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{kind:?}: {:?}",
            started.elapsed()
        );
        assert_eq!(r.code, 1, "{kind:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("interrupted (Ctrl-C)"),
            "{kind:?}: {}",
            r.stderr
        );
        assert_eq!(scratch_databases(kind, pid), 0, "{kind:?}: {}", r.stderr);
        assert_eq!(files(&p).len(), 0, "{kind:?}");
    }
}
