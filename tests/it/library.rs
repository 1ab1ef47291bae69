//! The library API (`migrate::Migrator`) as a Rust service uses it, on the
//! three databases: runs, reads, stamps, checks, progress events, typed
//! errors; and the embedded-revisions example program, run as built.

use crate::support::{all, create_table, drop_table, Db, Project, TestDb};
use migrate::{Event, Migrator};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn project(kind: Db) -> Project {
    let p = Project::new(kind);
    p.revision("a1", &[], &create_table("lib_a"), &drop_table("lib_a"));
    p.revision("b2", &["a1"], &create_table("lib_b"), &drop_table("lib_b"));
    p
}

#[test]
fn upgrade_current_downgrade_stamp_on_each_database() {
    for kind in all() {
        let p = project(kind);
        let m = Migrator::from_folder(p.versions_dir())
            .unwrap()
            .url(&p.db.url);
        assert_eq!(m.heads(), ["b2"]);
        assert!(m.current().unwrap().is_empty(), "{kind:?}");

        let steps = m.upgrade("+1").unwrap();
        assert_eq!(steps.len(), 1, "{kind:?}");
        assert_eq!(steps[0].revision, "a1");
        assert_eq!(m.current().unwrap(), ["a1"]);
        let steps = m.upgrade("head").unwrap();
        assert_eq!(
            steps
                .iter()
                .map(|s| s.revision.as_str())
                .collect::<Vec<_>>(),
            ["b2"]
        );
        assert_eq!(
            p.db.versions(),
            ["b2"],
            "{kind:?}: the version table the CLI reads"
        );
        assert!(p.db.has_table("lib_b"));
        assert!(
            m.check().unwrap().is_empty(),
            "{kind:?}: at head, nothing to report"
        );
        // The command line sees what the library did.
        assert_eq!(p.run(&["current"]).ok().lines(), ["b2 (head)"]);

        m.downgrade("base").unwrap();
        assert!(m.current().unwrap().is_empty());
        assert!(!p.db.has_table("lib_a"), "{kind:?}");
        let problems = m.check().unwrap();
        assert!(
            problems.iter().any(|p| p.message.contains("not at head")),
            "{kind:?}: {problems:?}"
        );

        m.stamp(&["b2"], false).unwrap();
        assert_eq!(p.db.versions(), ["b2"]);
        assert!(!p.db.has_table("lib_b"), "stamp runs no SQL");
        p.db.exec("UPDATE alembic_version SET version_num = 'gone'");
        m.stamp(&["a1"], true).unwrap();
        assert_eq!(
            p.db.versions(),
            ["a1"],
            "{kind:?}: purge replaces an unknown row"
        );
    }
}

#[test]
fn progress_events_and_a_failed_revision_leave_the_database_as_it_was() {
    crate::require!(Db::MySql);
    for kind in all() {
        let p = project(kind);
        p.revision(
            "c3",
            &["b2"],
            &format!(
                "{}\nINSERT INTO no_such_table VALUES (1);",
                create_table("lib_c")
            ),
            &drop_table("lib_c"),
        );
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let m = Migrator::from_folder(p.versions_dir())
            .unwrap()
            .url(&p.db.url)
            .on_progress(move |e| seen.lock().unwrap().push(e.clone()));
        m.upgrade("b2").unwrap();
        let err = m.upgrade("head").unwrap_err();
        assert!(matches!(err, migrate::Error::Run(_)), "{kind:?}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains("c3"),
            "{kind:?}: the message names the revision: {text}"
        );
        assert!(text.contains("no_such_table"), "{kind:?}: {text}");
        if kind != Db::MySql {
            // Transactional DDL: nothing of c3 stays.
            assert_eq!(p.db.versions(), ["b2"], "{kind:?}");
            assert!(!p.db.has_table("lib_c"), "{kind:?}");
        }
        let events = events.lock().unwrap();
        let started: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                Event::StepStarted(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            started,
            [
                "Running upgrade  -> a1, rev a1",
                "Running upgrade a1 -> b2, rev b2",
                "Running upgrade b2 -> c3, rev c3"
            ],
            "{kind:?}"
        );
        assert!(
            events.iter().any(|e| matches!(e, Event::Connecting(_))),
            "{kind:?}: connection attempts are events"
        );
        assert!(
            events.iter().any(|e| matches!(e, Event::StepFinished(_))),
            "{kind:?}"
        );
    }
}

#[test]
fn typed_errors_for_what_a_service_gets_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(Db::Sqlite);
    let m = Migrator::from_folder(p.versions_dir()).unwrap();
    assert!(matches!(m.current().unwrap_err(), migrate::Error::NoUrl));
    let m = m.url("postgres://nowhere:x");
    assert!(matches!(m.current().unwrap_err(), migrate::Error::Url(_)));
    // Nothing listens on port 9: refused at once, then retried while the wait allows.
    let m = Migrator::from_folder(p.versions_dir())
        .unwrap()
        .url("postgresql://app:secret@127.0.0.1:9/app?connect_timeout=1")
        .wait(Duration::from_millis(700));
    let err = m.upgrade("head").unwrap_err();
    assert!(matches!(err, migrate::Error::Connect(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("gave up after"), "{text}");
    assert!(!text.contains("secret"), "never a password: {text}");

    std::fs::write(
        dir.path().join("broken.sql"),
        "-- Revision ID: x\n-- Revises: nope\n",
    )
    .unwrap();
    let err = Migrator::from_folder(dir.path())
        .err()
        .expect("a missing parent");
    assert!(matches!(err, migrate::Error::Load(_)), "{err:?}");
    assert!(err.to_string().contains("broken.sql"), "{err}");
}

#[test]
fn from_config_reads_the_project_and_its_url() {
    crate::require!(Db::Postgres);
    let p = project(Db::Postgres);
    let m = Migrator::from_config(p.path().join("migrate.toml")).unwrap();
    m.upgrade("heads").unwrap();
    assert_eq!(p.db.versions(), ["b2"]);
    assert_eq!(m.current().unwrap(), ["b2"]);
    assert_eq!(p.run(&["current"]).ok().lines(), ["b2 (head)"]);
}

/// The example service with its revisions embedded: built by `cargo test`,
/// and here when only this test binary was built (`cargo test --test it`).
fn embedded_example() -> std::path::PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_migrate"));
    let exe = bin.parent().unwrap().join("examples/embedded");
    BUILT.call_once(|| {
        if !exe.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--example", "embedded"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(status.success(), "cargo build --example embedded");
        }
    });
    assert!(exe.exists(), "{}", exe.display());
    exe
}

#[test]
fn the_embedded_example_migrates_each_database_at_start_up() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in [Db::Postgres, Db::MySql] {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::new(kind, dir.path());
        let run = || {
            Command::new(embedded_example())
                .arg("--once")
                .env("DATABASE_URL", &db.url)
                .output()
                .unwrap()
        };
        let out = run();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind:?}: {err}");
        assert!(err.contains("Running upgrade  -> 6a1f0c3b2d41"), "{err}");
        assert!(
            err.contains("2 revision(s) applied, at 9c2e4a7d5b18"),
            "{err}"
        );
        assert_eq!(db.versions(), ["9c2e4a7d5b18"]);
        assert!(db.has_table("todos"));
        // Started again: nothing to do.
        let out = run();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("0 revision(s) applied"), "{kind:?}: {err}");
    }
}

#[test]
fn the_embedded_example_serves_after_migrating() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(embedded_example())
        .env("DATABASE_URL", &db.url)
        .env("PORT", port.to_string())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("listening") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
    }
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(reply.ends_with("\r\n\r\n9c2e4a7d5b18\n"), "{reply}");
}
