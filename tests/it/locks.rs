//! The lock modes on every database: `lock = "table"` keeps eight replicas
//! from applying a revision twice, a SIGKILLed holder's lease is taken over
//! once it runs out (and not before), `none` and `advisory` leave the lock
//! table alone, `--lock` wins over `lock` in migrate.toml, and an upgrade
//! runs through PgBouncer in transaction pooling mode.

use crate::safety::{finish, spawn_in, Watched};
use crate::support::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LOCK: &str = "alembic_version_lock";

fn rev(i: usize) -> String {
    format!("l{i:011}")
}

/// `n` revisions in a line; each adds its id to the table `applied`.
fn counted_chain(p: &Project, kind: Db, n: usize) {
    let pause = match kind {
        Db::Postgres => "SELECT pg_sleep(0.05);\n",
        Db::MySql => "DO SLEEP(0.05);\n",
        Db::Sqlite => "",
    };
    for i in 1..=n {
        let id = rev(i);
        let parent = rev(i - 1);
        let revises: Vec<&str> = if i == 1 {
            vec![]
        } else {
            vec![parent.as_str()]
        };
        let create = if i == 1 {
            "CREATE TABLE applied (rev VARCHAR(20) NOT NULL);\n"
        } else {
            ""
        };
        p.revision(
            &id,
            &revises,
            &format!("{create}{pause}INSERT INTO applied (rev) VALUES ('{id}');"),
            &format!("DELETE FROM applied WHERE rev = '{id}';"),
        );
    }
}

#[test]
fn eight_concurrent_upgrades_with_the_lock_table_apply_each_revision_once() {
    let handles: Vec<_> = all()
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = Project::with_config(kind, "lock = \"table\"");
                counted_chain(&p, kind, 12);
                let children: Vec<Child> = (0..8)
                    .map(|_| spawn_in(p.path(), &["upgrade", "head"]))
                    .collect();
                let runs: Vec<Run> = children.into_iter().map(finish).collect();
                for (i, r) in runs.iter().enumerate() {
                    assert_eq!(r.code, 0, "{kind:?}: process {i}: {}", r.stderr);
                }
                let counts = p
                    .db
                    .query("SELECT rev, COUNT(*) FROM applied GROUP BY rev ORDER BY rev");
                let expected: Vec<Vec<String>> =
                    (1..=12).map(|i| vec![rev(i), "1".to_string()]).collect();
                assert_eq!(counts, expected, "{kind:?}");
                assert_eq!(p.db.versions(), vec![rev(12)], "{kind:?}");
                let log = p.db.query(
                    "SELECT revision, COUNT(*) FROM alembic_version_log WHERE direction = 'upgrade' AND outcome = 'ok' GROUP BY revision",
                );
                assert_eq!(log.len(), 12, "{kind:?}: {log:?}");
                assert!(log.iter().all(|r| r[1] == "1"), "{kind:?}: {log:?}");
                let running: usize = runs
                    .iter()
                    .map(|r| r.stderr.matches("Running upgrade").count())
                    .sum();
                assert_eq!(running, 12, "{kind:?}");
                // Every run released its row: the table is empty.
                assert!(p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty(), "{kind:?}");
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// A statement that keeps the run busy for seconds while `gate.slow` is 1,
/// and returns at once when it is 0.
fn slow_statement(kind: Db) -> &'static str {
    match kind {
        Db::Postgres => "SELECT pg_sleep(4 * (SELECT slow FROM gate));",
        Db::MySql => "DO SLEEP(4 * (SELECT slow FROM gate));",
        Db::Sqlite => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT 1000000000 * slow FROM gate)) SELECT count(*) FROM c;",
    }
}

#[test]
fn a_killed_holders_lease_is_taken_over_once_it_runs_out_and_not_before() {
    let handles: Vec<_> = all()
        .into_iter()
        .map(|kind| {
            std::thread::spawn(move || {
                let p = Project::with_config(kind, "lock = \"table\"\nlock_lease = 6");
                p.revision(
                    "k1",
                    &[],
                    "CREATE TABLE gate (slow INTEGER NOT NULL);\nINSERT INTO gate (slow) VALUES (1);",
                    "DROP TABLE gate;",
                );
                p.revision(
                    "k2",
                    &["k1"],
                    &format!("{}\n{}", slow_statement(kind), create_table("t2")),
                    &drop_table("t2"),
                );
                p.run(&["upgrade", "k1"]).ok();
                let mut w = Watched::start(p.path(), &["upgrade", "head"]);
                let pid = w.pid();
                w.wait_for("Running upgrade k1 -> k2");
                // Past a renewal (every lease / 3 = 2 s): the lease then has
                // at least 4 s left when the process dies.
                std::thread::sleep(Duration::from_millis(2600));
                w.kill();
                let killed = Instant::now();
                let row = p.db.query(&format!("SELECT pid, renewals FROM {LOCK}"));
                assert_eq!(row.len(), 1, "{kind:?}: the dead run's row stays");
                assert_eq!(row[0][0], pid.to_string(), "{kind:?}");
                if kind != Db::Sqlite {
                    // SQLite: the run's write transaction holds renewals back
                    // (and takeovers with them) until it ends.
                    assert_ne!(row[0][1], "0", "{kind:?}: renewed while the statement ran");
                }
                p.db.exec("UPDATE gate SET slow = 0");

                // Not before: a run that gives up after 1 s finds the row held
                // (had the lease ended, it would have taken it over and succeeded).
                let r = p.run(&["--lock-timeout", "1", "upgrade", "head"]).fails();
                for needle in [
                    "timed out after 1 s waiting for the migration lock",
                    &format!("pid {pid} ("),
                    "on host '",
                    "unless renewed",
                ] {
                    assert!(
                        r.stderr.contains(needle),
                        "{kind:?}: {needle:?} in {}",
                        r.stderr
                    );
                }

                // After: taken over.
                let r = p.run(&["--lock-timeout", "30", "upgrade", "head"]);
                assert!(
                    r.stderr.contains("Took over the migration lock in")
                        && r.stderr.contains(&format!("pid {pid} (")),
                    "{kind:?}: {}",
                    r.stderr
                );
                // The lease had at least 4 s left at the kill (SQLite, never
                // renewed: 6 s from the start, at least 3 s), in whole seconds
                // by the server's clock, give or take one.
                let left = if kind == Db::Sqlite { 2 } else { 3 };
                assert!(
                    killed.elapsed() >= Duration::from_secs(left),
                    "{kind:?}: taken over after {:?}",
                    killed.elapsed()
                );
                if kind == Db::MySql {
                    // The killed run's statement committed its progress as
                    // it went: a half-applied revision, which --resume completes.
                    let r = r.fails();
                    assert!(r.stderr.contains("half-applied"), "{}", r.stderr);
                    p.run(&["upgrade", "head", "--resume"]).ok();
                } else {
                    r.ok();
                }
                assert_eq!(p.db.versions(), vec!["k2".to_string()], "{kind:?}");
                assert!(
                    p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty(),
                    "{kind:?}"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Puts a live lease of another run in the lock table (valid until 2100).
fn foreign_holder(db: &TestDb) {
    db.exec(&format!(
        "INSERT INTO {LOCK} (lock_id, owner, host, pid, acquired_at, expires_at, renewals) VALUES (1, 'someone-else', 'elsewhere', 4242, 1700000000, 4102444800, 0)"
    ));
}

fn set_lock_key(p: &Project, mode: &str) {
    let path = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("lock = ")).collect();
    std::fs::write(&path, format!("{}\nlock = \"{mode}\"\n", kept.join("\n"))).unwrap();
}

#[test]
fn the_flag_wins_over_the_key_and_none_and_advisory_leave_the_lock_table_alone() {
    for kind in all() {
        let p = Project::with_config(kind, "lock = \"table\"");
        for i in 1..=4 {
            let id = format!("f{i}");
            let parent = format!("f{}", i - 1);
            let revises: Vec<&str> = if i == 1 {
                vec![]
            } else {
                vec![parent.as_str()]
            };
            p.revision(
                &id,
                &revises,
                &create_table(&format!("t{i}")),
                &drop_table(&format!("t{i}")),
            );
        }
        let r = p.run(&["-v", "upgrade", "f1"]).ok();
        assert!(
            r.stderr
                .contains("migration lock: table (lock = table, as configured)"),
            "{kind:?}: {}",
            r.stderr
        );
        foreign_holder(&p.db);

        // The key: the held row keeps the run out, and the message names the holder.
        let r = p.run(&["--lock-timeout", "1", "upgrade", "f2"]).fails();
        assert!(
            r.stderr.contains("held by run someone-else on host 'elsewhere' pid 4242 (since 2023-11-14 22:13:20 UTC, expires in"),
            "{kind:?}: {}",
            r.stderr
        );
        // The flag wins: no lock at all, or the server's own.
        let r = p
            .run(&[
                "-v",
                "--lock",
                "none",
                "--lock-timeout",
                "1",
                "upgrade",
                "f2",
            ])
            .ok();
        assert!(
            r.stderr
                .contains("migration lock: none (lock = none: no lock"),
            "{kind:?}: {}",
            r.stderr
        );
        let r = p
            .run(&[
                "-v",
                "--lock",
                "advisory",
                "--lock-timeout",
                "1",
                "upgrade",
                "f3",
            ])
            .ok();
        assert!(
            r.stderr
                .contains("migration lock: advisory (lock = advisory, as configured)"),
            "{kind:?}: {}",
            r.stderr
        );
        // The other way round: the key says none, the flag says table.
        set_lock_key(&p, "none");
        p.run(&["--lock", "table", "--lock-timeout", "1", "upgrade", "f4"])
            .fails();
        let r = p.run(&["-v", "--lock-timeout", "1", "upgrade", "f4"]).ok();
        assert!(
            r.stderr.contains("migration lock: none"),
            "{kind:?}: {}",
            r.stderr
        );
        // auto: the server's own lock on these three.
        set_lock_key(&p, "auto");
        let r = p.run(&["-v", "downgrade", "f3"]).ok();
        let server = match kind {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
            Db::MySql => "MariaDB",
        };
        assert!(
            r.stderr.contains(&format!("Server: {server}; migration lock: advisory (lock = auto: {server} has a working advisory lock)")),
            "{kind:?}: {}",
            r.stderr
        );
        assert_eq!(p.db.versions(), vec!["f3".to_string()], "{kind:?}");
        // None of them touched the foreign row.
        assert_eq!(
            p.db.query(&format!("SELECT owner, pid FROM {LOCK}")),
            vec![vec!["someone-else".to_string(), "4242".to_string()]],
            "{kind:?}"
        );
    }
}

#[test]
fn a_lock_mode_that_does_not_exist_is_refused_with_the_choices() {
    let p = Project::with_config(Db::Sqlite, "lock = \"tables\"");
    let r = p.run(&["upgrade", "head"]).fails();
    for needle in ["lock", "auto", "advisory", "table", "none"] {
        assert!(r.stderr.contains(needle), "{needle:?} in {}", r.stderr);
    }
    let p = Project::new(Db::Sqlite);
    let r = p.run(&["--lock", "tables", "upgrade", "head"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("possible values: auto, advisory, table, none"),
        "{}",
        r.stderr
    );
}

/// Debian's pgbouncer, where it is installed.
fn pgbouncer_binary() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/sbin/pgbouncer");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
}

/// A pgbouncer process of the test's own, stopped on drop.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bouncer {
    /// Starts pgbouncer in transaction pooling mode on a free port, in front
    /// of the test server at 127.0.0.1:5432, with trust authentication.
    fn start(binary: &PathBuf) -> Bouncer {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ini = dir.path().join("pgbouncer.ini");
        std::fs::write(
            &ini,
            format!(
                "[databases]\n* = host=127.0.0.1 port=5432 user=postgres\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = any\npool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 100\nserver_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
            ),
        )
        .unwrap();
        // pgbouncer refuses to run as root: it then runs as nobody, who must read the file.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut cmd = Command::new(binary);
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root {
            cmd.args(["-u", "nobody"]);
        }
        let child = cmd
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer");
        let b = Bouncer {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        b
    }
}

#[test]
fn upgrades_run_through_pgbouncer_in_transaction_mode_with_the_lock_table() {
    crate::require!(Db::Postgres);
    let Some(binary) = pgbouncer_binary() else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "pgbouncer is not installed; CI=true: .ci/run installs it (apt-get install pgbouncer)"
        );
        eprintln!("SKIPPED {}: pgbouncer is not installed (apt-get install pgbouncer, or run .ci/run); with CI=true this fails.", module_path!());
        return;
    };
    let bouncer = Bouncer::start(&binary);
    let p = Project::with_config(Db::Postgres, "lock = \"table\"");
    // Through the pooler, not to the server.
    let url = p.db.url.replace(":5432/", &format!(":{}/", bouncer.port));
    assert_ne!(url, p.db.url);
    let path = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(&p.db.url, &url);
    std::fs::write(&path, text).unwrap();
    counted_chain(&p, Db::Postgres, 8);

    // Four runs at once share the pool's two server connections.
    let children: Vec<Child> = (0..4)
        .map(|_| spawn_in(p.path(), &["upgrade", "head"]))
        .collect();
    for (i, r) in children.into_iter().map(finish).enumerate() {
        assert_eq!(r.code, 0, "run {i}: {}", r.stderr);
    }
    let counts =
        p.db.query("SELECT COUNT(*), COUNT(DISTINCT rev) FROM applied");
    assert_eq!(counts, vec![vec!["8".to_string(), "8".to_string()]]);
    assert_eq!(p.db.versions(), vec![rev(8)]);
    // Reading and writing commands, again and again over reused server connections.
    for _ in 0..3 {
        let r = p.run(&["current"]).ok();
        assert!(r.stdout.contains(&rev(8)), "{}", r.stdout);
        p.run(&["history", "--applied"]).ok();
        p.run(&["check"]).ok();
        p.run(&["downgrade", "-2"]).ok();
        p.run(&["upgrade", "head"]).ok();
    }
    assert_eq!(p.db.versions(), vec![rev(8)]);
    assert!(p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty());
}

#[test]
fn a_run_whose_row_was_taken_over_stops_and_rolls_back() {
    crate::require!(Db::Postgres);
    let p = Project::with_config(Db::Postgres, "lock = \"table\"\nlock_lease = 3");
    p.revision(
        "s1",
        &[],
        &format!("SELECT pg_sleep(3);\n{}", create_table("t1")),
        &drop_table("t1"),
    );
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade  -> s1");
    std::thread::sleep(Duration::from_millis(300));
    // As if the lease had run out and another run had taken the row over.
    p.db.exec(&format!(
        "UPDATE {LOCK} SET owner = 'thief', expires_at = expires_at + 3600"
    ));
    let r = w.finish();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error: lost the migration lock in \"alembic_version_lock\": the lock row is no longer this run's"),
        "{}",
        r.stderr
    );
    assert!(p.db.versions_or_empty().is_empty());
    assert!(!p.db.has_table("t1"));
    // Its release left the thief's row alone.
    assert_eq!(
        p.db.query(&format!("SELECT owner FROM {LOCK}")),
        vec![vec!["thief".to_string()]]
    );
}

#[test]
fn the_row_is_released_after_a_failed_revision_and_after_ctrl_c() {
    for kind in all() {
        let p = Project::with_config(kind, "lock = \"table\"");
        p.revision(
            "e1",
            &[],
            &format!("{}\nSELECT * FROM no_such_table;", create_table("t1")),
            &drop_table("t1"),
        );
        let r = p.run(&["upgrade", "head"]).fails();
        assert!(r.stderr.contains("no_such_table"), "{kind:?}: {}", r.stderr);
        assert!(
            p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty(),
            "{kind:?}"
        );
    }
    crate::require!(Db::Postgres);
    let p = Project::with_config(Db::Postgres, "lock = \"table\"");
    p.revision("c1", &[], "SELECT pg_sleep(30);", "SELECT 1;");
    let mut w = Watched::start(p.path(), &["upgrade", "head"]);
    w.wait_for("Running upgrade  -> c1");
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &w.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let r = w.finish();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("interrupted (Ctrl-C)"), "{}", r.stderr);
    assert!(p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty());
    assert!(p.db.versions_or_empty().is_empty());
}

#[test]
fn the_library_takes_the_lock_mode_it_is_given() {
    for kind in all() {
        let p = Project::new(kind);
        p.revision("m1", &[], &create_table("t1"), &drop_table("t1"));
        let m = migrate::Migrator::from_folder(p.versions_dir())
            .unwrap()
            .url(&p.db.url)
            .lock(migrate::dialect::LockMode::Table)
            .lock_lease(Duration::from_secs(30));
        m.upgrade("head").unwrap();
        // The lock table was made, and released at the end.
        assert!(p.db.has_table(LOCK), "{kind:?}");
        assert!(p.db.query(&format!("SELECT owner FROM {LOCK}")).is_empty());
        // Under the default (advisory here), it is not needed.
        let q = Project::new(kind);
        q.revision("m1", &[], &create_table("t1"), &drop_table("t1"));
        let m = migrate::Migrator::from_folder(q.versions_dir())
            .unwrap()
            .url(&q.db.url);
        m.upgrade("head").unwrap();
        assert!(!q.db.has_table(LOCK), "{kind:?}");
    }
}
