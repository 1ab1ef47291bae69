//! Faults an operator can cause, each pinned where it once went wrong: a
//! server that accepts connections and never answers, a resume that fails at
//! the very statement whose outcome was unknown, revision ids that could not
//! be read back or named, control characters in messages, and colour only
//! where a person reads a terminal.

use crate::safety::{bare_project, bin, finish, spawn_in, Watched, LOG};
use crate::support::all;
use crate::support::*;
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

/// A TCP port on 127.0.0.1 that accepts every connection and never writes a
/// byte (a stuck proxy, a half-open load balancer, a server frozen mid-start).
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent port");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// `migrate ARGS` in `dir`, with how long it took.
fn timed(dir: &std::path::Path, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let r = finish(spawn_in(dir, args));
    (r, started.elapsed())
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_within_the_wait_plus_one_attempt() {
    let port = silent_server();
    let handles: Vec<_> = ["postgresql", "mysql"]
        .into_iter()
        .map(|scheme| {
            std::thread::spawn(move || {
                let url = format!("{scheme}://u:s3cret@127.0.0.1:{port}/x?connect_timeout=2");
                let dir = bare_project(&url);
                // --wait=3, connect_timeout=2: about max(3, 2) plus one attempt of 2 s.
                for args in [
                    &["--wait=3", "-v", "upgrade", "head"][..],
                    &["--wait=3", "--lock-timeout=1", "current"][..],
                ] {
                    let (r, took) = timed(dir.path(), args);
                    let r = r.fails();
                    assert!(
                        took >= Duration::from_secs(3) && took < Duration::from_secs(8),
                        "{scheme} {args:?}: {took:?}\n{}",
                        r.stderr
                    );
                    for needle in [
                        format!("127.0.0.1:{port}"),
                        "u:***@".to_string(),
                        "within 2 s (connect_timeout)".to_string(),
                        "gave up after 2 connection attempts".to_string(),
                        "(--wait=3)".to_string(),
                    ] {
                        assert!(
                            r.stderr.contains(&needle),
                            "{scheme}: {needle:?} in {}",
                            r.stderr
                        );
                    }
                    assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);
                    if args.contains(&"-v") {
                        // Each attempt is announced as it starts.
                        for n in [1, 2] {
                            let line = format!("(attempt {n})");
                            assert!(r.stderr.contains(&line), "{scheme}: {}", r.stderr);
                        }
                    }
                }
                // Without --wait: one attempt, bounded by connect_timeout.
                let (r, took) = timed(dir.path(), &["upgrade", "head"]);
                r.fails();
                assert!(
                    took >= Duration::from_secs(2) && took < Duration::from_secs(5),
                    "{scheme}: {took:?}"
                );
                // No connect_timeout in the URL: 10 s by default.
                let dir = bare_project(&format!("{scheme}://u:s3cret@127.0.0.1:{port}/x"));
                let (r, took) = timed(dir.path(), &["current"]);
                let r = r.fails();
                assert!(r.stderr.contains("within 10 s"), "{}", r.stderr);
                assert!(
                    took >= Duration::from_secs(10) && took < Duration::from_secs(14),
                    "{scheme}: {took:?}"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn a_statement_longer_than_connect_timeout_still_runs_to_the_end() {
    crate::require!(Db::Postgres, Db::MySql);
    for kind in [Db::Postgres, Db::MySql] {
        let p = Project::new(kind);
        let sleep = match kind {
            Db::Postgres => "SELECT pg_sleep(2.5);",
            _ => "SELECT SLEEP(2.5);",
        };
        p.revision(
            "aaaa00000001",
            &[],
            &format!("{}\n{sleep}", create_table("t1")),
            &drop_table("t1"),
        );
        let url = format!("{}?connect_timeout=1", p.db.url);
        p.run(&["--url", &url, "upgrade", "head"]).ok();
        assert_eq!(p.db.versions(), vec!["aaaa00000001"], "{kind:?}");
    }
}

/// The audit log's rows of revision `rev` as (outcome, resolution, done), oldest first.
fn rows_of(db: &TestDb, rev: &str) -> Vec<(String, String, String)> {
    db.query(&format!(
        "SELECT outcome, COALESCE(resolution, ''), statements_done FROM {LOG} WHERE revision = '{rev}' ORDER BY id"
    ))
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
    .collect()
}

#[test]
fn a_resume_failing_at_the_statement_of_unknown_outcome_keeps_the_revision_half_applied() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE slow1 AS SELECT SLEEP(2) AS s;\nCREATE TABLE slow2 (id INT);",
        "DROP TABLE slow2;\nDROP TABLE slow1;",
    );
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade  -> a1");
    std::thread::sleep(Duration::from_secs(1));
    w.kill();
    // The server finishes the statement of the dead client.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p.db.has_table("slow1") {
        assert!(Instant::now() < deadline, "slow1 never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
    let c = p.run(&["check"]);
    assert_eq!(c.code, 1, "{}", c.stdout);
    assert!(
        c.stdout.contains("was interrupted during statement 1 of 2"),
        "{}",
        c.stdout
    );
    assert!(c.stdout.contains("--resume-after 1`"), "{}", c.stdout);

    // The resume runs statement 1 again, which fails: it did take effect.
    let r = p.run(&["upgrade", "head", "--resume"]).fails();
    for needle in [
        "[1050] Table 'slow1' already exists",
        "Revision a1 stays half-applied: statement 1 of 2 was interrupted on",
        "`migrate upgrade a1 --resume-after 1`, which goes on from statement 2",
        "`migrate stamp a1`",
    ] {
        assert!(r.stderr.contains(needle), "{needle:?} in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("Nothing of revision"), "{}", r.stderr);
    // `check` goes on reporting it, from the same audit row.
    let c = p.run(&["check"]);
    assert_eq!(c.code, 1, "{}", c.stdout);
    assert!(
        c.stdout.contains("revision a1 (rev a1) is half-applied")
            && c.stdout.contains("interrupted during statement 1 of 2"),
        "{}",
        c.stdout
    );
    let log = rows_of(&p.db, "a1");
    assert_eq!(
        log[0],
        ("running".into(), String::new(), "0".into()),
        "{log:?}"
    );
    assert_eq!(log[1].0, "failed", "{log:?}");
    assert!(log[1].1.starts_with("outcome still unknown"), "{log:?}");
    // And a plain run still refuses.
    p.run(&["upgrade", "head"]).fails();

    // Only the interrupted statement can be confirmed.
    let r = p.run(&["upgrade", "head", "--resume-after", "2"]).fails();
    assert!(
        r.stderr.contains("interrupted during statement 1"),
        "{}",
        r.stderr
    );
    // The operator checked: slow1 is there. Go on after it.
    let r = p.run(&["upgrade", "head", "--resume-after", "1"]).ok();
    assert!(
        r.stderr
            .contains("Resuming upgrade of a1 after statement 1 of 2"),
        "{}",
        r.stderr
    );
    assert_eq!(p.db.versions(), vec!["a1"]);
    assert!(p.db.has_table("slow2"));
    let log = rows_of(&p.db, "a1");
    assert!(log[0].1.contains("after statement 1"), "{log:?}");
    assert_eq!(log[2], ("ok".into(), String::new(), "2".into()), "{log:?}");
    p.run(&["check"]).ok();
}

#[test]
fn a_resume_that_gets_past_the_unknown_statement_resolves_the_interrupted_row() {
    crate::require!(Db::MySql);
    // The interrupted statement had not taken effect: running it again works,
    // and only then is the old row marked resumed.
    let p = Project::new(Db::MySql);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE t1 (id INT);\nSELECT SLEEP(30);\nCREATE TABLE t2 (id INT);",
        "DROP TABLE t2;\nDROP TABLE t1;",
    );
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade  -> a1");
    let deadline = Instant::now() + Duration::from_secs(20);
    while rows_of(&p.db, "a1").first().map(|r| r.2.clone()) != Some("1".into()) {
        assert!(Instant::now() < deadline, "statement 1 never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    w.kill();
    let path = p.versions_dir().join("a1_rev.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("SLEEP(30)", "SLEEP(0)")).unwrap();
    p.run(&["--lock-timeout=5", "upgrade", "head", "--resume"])
        .ok();
    let log = rows_of(&p.db, "a1");
    assert_eq!(
        log,
        vec![
            ("running".into(), "resumed by row 2".into(), "1".into()),
            ("ok".into(), String::new(), "3".into()),
        ]
    );
    p.run(&["check"]).ok();
}

#[test]
fn revision_ids_that_cannot_be_read_back_or_named_are_refused() {
    let p = Project::new(Db::Sqlite);
    p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
    for (id, why) in [
        ("a/b", "contains / or \\"),
        ("a\\b", "contains / or \\"),
        (".", "starts with '.'"),
        ("..", "starts with '.'"),
        (".x", "starts with '.'"),
        ("head", "reserve"),
        ("heads", "reserve"),
        ("base", "reserve"),
        ("current", "reserve"),
        ("a\u{1}b", "control character"),
    ] {
        let r = p.run(&["revision", "-m", "t", "--rev-id", id]).fails();
        assert!(r.stderr.contains(why), "{id:?}: {}", r.stderr);
        assert!(!r.stderr.contains('\u{1}'), "{id:?}: {:?}", r.stderr);
        let r = p
            .run(&["merge", "heads", "-m", "t", "--rev-id", id])
            .fails();
        assert!(r.stderr.contains(why), "{id:?}: {}", r.stderr);
    }
    // Nothing was written, anywhere under versions/.
    let mut names: Vec<String> = walk(&p.versions_dir());
    names.sort();
    assert_eq!(names, vec!["aaaa00000001_rev.sql"]);
    p.run(&["revision", "-m", "t", "--rev-id", "bbbb00000002"])
        .ok();
    assert_eq!(p.run(&["heads"]).ok().stdout, "bbbb00000002 (head)\n");

    // A header holding such an id is an error naming the file and line.
    for (id, why) in [
        ("head", "reserve"),
        ("base", "reserve"),
        ("a/b", "contains / or \\"),
        (".x", "starts with '.'"),
        ("a\u{7}b", "control character"),
    ] {
        let q = Project::new(Db::Sqlite);
        let path = q.versions_dir().join("x.sql");
        std::fs::write(
            &path,
            format!("-- bad\n--\n-- Revision ID: {id}\n-- Revises:\n\n-- migrate:upgrade\nSELECT 1;\n\n-- migrate:downgrade\nSELECT 1;\n"),
        )
        .unwrap();
        for args in [&["heads"][..], &["upgrade", "head"][..]] {
            let r = q.run(args).fails();
            assert!(
                r.stderr.contains(&format!("{}:3", path.display())) && r.stderr.contains(why),
                "{id:?} {args:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains('\u{7}'), "{:?}", r.stderr);
        }
    }
}

/// File names under `dir`, at any depth, relative to it; hidden ones too.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            for inner in walk(&path) {
                out.push(format!("{}/{inner}", e.file_name().to_string_lossy()));
            }
        } else {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

#[test]
fn a_nul_byte_in_a_statement_is_shown_escaped() {
    for kind in all() {
        let p = Project::new(kind);
        p.revision(
            "aaaa00000001",
            &[],
            &format!(
                "{}\nSELECT 'a\u{0}b' FROM t1 WHERE x\u{0} = 1;",
                create_table("t1")
            ),
            &drop_table("t1"),
        );
        let r = p.run(&["upgrade", "head"]).fails();
        assert!(!r.stderr.contains('\u{0}'), "{kind:?}: {:?}", r.stderr);
        assert!(
            r.stderr.contains("SELECT 'a\\0b'"),
            "{kind:?}: {}",
            r.stderr
        );
    }
}

/// `migrate ARGS` on a pseudo-terminal (util-linux `script`), with `env`;
/// returns what the terminal received.
fn on_a_terminal(dir: &std::path::Path, args: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("script");
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env("MIGRATE_CACHE_DIR", dir.join(".migrate-cache"))
        .args(["-qefc", &format!("{} {args}", bin().display()), "/dev/null"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("util-linux `script` runs");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// True when `text` holds an SGR (colour) escape: ESC [ digits m.
fn has_colour(text: &str) -> bool {
    text.split('\u{1b}').skip(1).any(|s| {
        s.strip_prefix('[').is_some_and(|rest| {
            let params: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ';')
                .collect();
            rest[params.len()..].starts_with('m') && !params.is_empty()
        })
    })
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let p = Project::new(Db::Sqlite);
    // A statement of about a second, so the live line is drawn.
    p.revision(
        "aaaa00000001",
        &[],
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c;",
        "SELECT 1;",
    );
    let tty = on_a_terminal(p.path(), "upgrade head", &[]);
    assert!(tty.contains("Running upgrade  -> aaaa00000001"), "{tty:?}");
    assert!(
        has_colour(&tty),
        "a terminal gets the coloured live line: {tty:?}"
    );
    p.run(&["downgrade", "base"]).ok();
    let tty = on_a_terminal(p.path(), "upgrade head", &[("NO_COLOR", "1")]);
    assert!(
        tty.contains("statement 1/1"),
        "the live line is drawn: {tty:?}"
    );
    assert!(!has_colour(&tty), "NO_COLOR: {tty:?}");
    p.run(&["downgrade", "base"]).ok();
    // Into a pipe: plain lines, no escape at all.
    let o = Command::new(bin())
        .current_dir(p.path())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env("MIGRATE_CACHE_DIR", p.path().join(".migrate-cache"))
        .args(["upgrade", "head"])
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        piped,
        "Running upgrade  -> aaaa00000001, rev aaaa00000001\n"
    );
}

/// Sends SIGINT (Ctrl-C) to a running `migrate`.
fn ctrl_c(w: &Watched) {
    let status = Command::new("kill")
        .args(["-INT", &w.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn ctrl_c_rolls_back_postgres_and_sqlite_and_releases_the_lock() {
    crate::require!(Db::Postgres);
    let handles: Vec<_> = [Db::Postgres, Db::Sqlite]
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = Project::new(kind);
                p.revision("aaaa00000001", &[], &create_table("t1"), &drop_table("t1"));
                let sleep = match kind {
                    Db::Postgres => "SELECT pg_sleep(30);".to_string(),
                    _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c;".to_string(),
                };
                p.revision(
                    "bbbb00000002",
                    &["aaaa00000001"],
                    &format!("{}\n{sleep}", create_table("t2")),
                    &drop_table("t2"),
                );
                let mut w = Watched::start(p.path(), &["upgrade", "head"]);
                w.wait_for("Running upgrade aaaa00000001 -> bbbb00000002");
                std::thread::sleep(Duration::from_millis(800));
                let started = Instant::now();
                ctrl_c(&w);
                let r = w.finish();
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "{kind:?}: {:?}",
                    started.elapsed()
                );
                assert_eq!(r.code, 1, "{kind:?}: {}", r.stderr);
                assert!(
                    r.stderr.contains("error: interrupted (Ctrl-C): the run stopped; what was open was rolled back, and no revision of this run was applied"),
                    "{kind:?}: {}",
                    r.stderr
                );
                // As it was: no table of the run, no version row; and no lock left.
                assert!(!p.db.has_table("t1") && !p.db.has_table("t2"), "{kind:?}");
                assert!(p.db.versions_or_empty().is_empty(), "{kind:?}");
                let r = p.run(&["--lock-timeout=1", "upgrade", "aaaa00000001"]).ok();
                assert!(!r.stderr.contains("Waiting"), "{}", r.stderr);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn ctrl_c_on_mariadb_lets_the_statement_finish_and_stops_before_the_next() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE t1 (id INT);\nSELECT SLEEP(2);\nCREATE TABLE t3 (id INT);",
        "DROP TABLE t3;\nDROP TABLE t1;",
    );
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade  -> a1");
    let deadline = Instant::now() + Duration::from_secs(20);
    while rows_of(&p.db, "a1").first().map(|r| r.2.clone()) != Some("1".into()) {
        assert!(Instant::now() < deadline, "statement 1 never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    ctrl_c(&w);
    let r = w.finish();
    assert_eq!(r.code, 1, "{}", r.stderr);
    for needle in [
        "statement 3 failed: interrupted (Ctrl-C): the run stopped before this statement",
        "Revision a1 is now half-applied: statements 1 to 2 of 3 ran and committed",
    ] {
        assert!(r.stderr.contains(needle), "{needle:?} in {}", r.stderr);
    }
    assert!(p.db.has_table("t1") && !p.db.has_table("t3"));
    assert_eq!(
        rows_of(&p.db, "a1"),
        vec![("failed".into(), String::new(), "2".into())]
    );
    // The next run says so, and --resume goes on from statement 3.
    p.run(&["upgrade", "head"]).fails();
    p.run(&["upgrade", "head", "--resume"]).ok();
    assert!(p.db.has_table("t3"));
    p.run(&["check"]).ok();
}
