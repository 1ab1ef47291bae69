//! Offline `--sql` mode, proved against the real clients: the SQL that
//! `upgrade head --sql` prints, piped into `psql`, `mariadb` or `sqlite3` on a
//! fresh database, gives the same schema, data and version table as the
//! online run on a second fresh database (compared as dumps); and so does
//! `downgrade HEAD:base --sql` on the way back. The projects are every example
//! and one fixture project per database (tests/fixtures/offline/) that holds
//! each construct the splitter knows. Also: the output's layout (Alembic's),
//! ranges, stamp and ensure-version, and what goes to stderr.

use crate::support::*;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs a native client with `input` on stdin; panics with its output when it fails.
fn client(program: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {program}: {e}; install it (.ci/run installs the clients)")
        });
    let mut stdin = child.stdin.take().unwrap();
    let input_owned = input.to_string();
    // Written from a thread so that a client that talks back cannot block us.
    let writer = std::thread::spawn(move || stdin.write_all(input_owned.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({})\n--- stderr\n{}\n--- stdout\n{stdout}\n--- input\n{input}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
    );
    stdout
}

/// `user`, `password`, `host`, `port` and database of a `mysql://` URL.
fn mysql_args(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, location) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (hostport, db) = location.split_once('/').unwrap_or((location, ""));
    let db = db.split('?').next().unwrap_or(db);
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "3306"));
    let mut args = vec![
        format!("--host={host}"),
        format!("--port={port}"),
        format!("--user={user}"),
    ];
    if !password.is_empty() {
        args.push(format!("--password={password}"));
    }
    args.push(db.to_string());
    args
}

/// Feeds `sql` to the database's own client, as a user would pipe it.
fn replay(db: &TestDb, sql: &str) {
    match db.kind {
        Db::Postgres => {
            client(
                "psql",
                &["-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", &db.url],
                sql,
            );
        }
        Db::MySql => {
            // --comments: the client would otherwise drop the comments inside a
            // routine's body, which the online run stores (see README).
            let mut args = vec!["--comments".to_string()];
            args.extend(mysql_args(&db.url));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            client("mariadb", &args, sql);
        }
        Db::Sqlite => {
            let path = db.path.as_ref().unwrap().to_str().unwrap();
            client("sqlite3", &["-bail", path], sql);
        }
    }
}

/// The audit log, which only an online run writes (migrate's own bookkeeping,
/// like Alembic's offline mode, `--sql` output has none); left out of dumps.
const LOG_TABLE: &str = "alembic_version_log";

/// Schema and data of the database as its own dump tool writes them, less
/// what differs between two databases of the same content (names, dates,
/// pg_dump's random `\restrict` key, session settings, routine definers) and
/// the online-only audit log.
fn dump(db: &TestDb) -> String {
    let text = match db.kind {
        Db::Postgres => client(
            "pg_dump",
            &[
                "--no-owner",
                "--no-privileges",
                &format!("--exclude-table={LOG_TABLE}"),
                "--dbname",
                &db.url,
            ],
            "",
        ),
        Db::MySql => {
            let mut args = vec![
                "--skip-comments".to_string(),
                "--skip-dump-date".to_string(),
                "--routines".to_string(),
                "--triggers".to_string(),
                format!("--ignore-table={}.{LOG_TABLE}", db.name),
            ];
            args.extend(mysql_args(&db.url));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            client("mariadb-dump", &args, "")
        }
        Db::Sqlite => {
            let path = db.path.as_ref().unwrap();
            let copy = path.with_extension("dump.db");
            std::fs::copy(path, &copy).unwrap();
            let copy = copy.to_str().unwrap();
            client(
                "sqlite3",
                &[copy],
                &format!("DROP TABLE IF EXISTS {LOG_TABLE};"),
            );
            client("sqlite3", &[copy, ".dump"], "")
        }
    };
    text.lines()
        .filter(|l| {
            let t = l.trim();
            !(t.is_empty()
                || t.starts_with("--")
                || t.starts_with("SET ")
                || t.starts_with("SELECT pg_catalog.set_config")
                || t.starts_with("\\restrict")
                || t.starts_with("\\unrestrict"))
        })
        .map(|l| strip_definer(l).replace(&db.name, "<db>"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `DEFINER=`root`@`host`` depends on how the client connected, not on the SQL.
fn strip_definer(line: &str) -> String {
    match line.find("DEFINER=") {
        Some(i) => {
            let rest = &line[i + "DEFINER=".len()..];
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            format!("{}{}", &line[..i], &rest[end..])
        }
        None => line.to_string(),
    }
}

/// A project's `migrate` command line against one database.
struct Runner<'a> {
    dir: &'a Path,
    config: PathBuf,
}

impl Runner<'_> {
    fn run(&self, db: &TestDb, args: &[&str]) -> Run {
        let cfg = self.config.to_str().unwrap();
        let mut all = vec!["-c", cfg];
        all.extend_from_slice(args);
        migrate_in(
            self.dir,
            &all,
            &[("DATABASE_URL", &db.url), ("NO_COLOR", "1")],
        )
    }

    /// `--sql` output; stderr holds only the `Running …` lines.
    fn sql(&self, db: &TestDb, args: &[&str]) -> String {
        let r = self.run(db, args).ok();
        for line in r.stderr.lines() {
            assert!(
                line.starts_with("Running "),
                "only progress lines on stderr: {}",
                r.stderr
            );
        }
        r.stdout
    }
}

/// Online on one fresh database, offline through the client on another:
/// the same dumps after `upgrade head`, and again after going back to base.
fn online_equals_offline(kind: Db, config: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let online = TestDb::new(kind, dir.path());
    let offline = TestDb::new(kind, dir.path());
    let m = Runner {
        dir: dir.path(),
        config: config.to_path_buf(),
    };
    let head = m.run(&online, &["heads"]).ok().stdout;
    let head = head.split_whitespace().next().unwrap().to_string();

    m.run(&online, &["upgrade", "head"]).ok();
    let up = m.sql(&offline, &["upgrade", "head", "--sql"]);
    replay(&offline, &up);
    assert_eq!(online.versions(), vec![head.clone()]);
    assert_eq!(offline.versions(), vec![head.clone()]);
    let (a, b) = (dump(&online), dump(&offline));
    assert!(
        a == b,
        "{}: upgrade: online and offline dumps differ\n--- online\n{a}\n--- offline\n{b}\n--- sql\n{up}",
        config.display()
    );

    m.run(&online, &["downgrade", "base"]).ok();
    let down = m.sql(&offline, &["downgrade", &format!("{head}:base"), "--sql"]);
    replay(&offline, &down);
    assert!(online.versions().is_empty());
    assert!(offline.versions().is_empty());
    let (a, b) = (dump(&online), dump(&offline));
    assert!(
        a == b,
        "{}: downgrade: online and offline dumps differ\n--- online\n{a}\n--- offline\n{b}\n--- sql\n{down}",
        config.display()
    );
}

fn example(name: &str) -> PathBuf {
    repo_path(&format!("examples/{name}/migrate.toml"))
}

/// A config in a temporary folder for a fixture project; the URL comes from DATABASE_URL.
fn fixture(name: &str, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let location = repo_path(&format!("tests/fixtures/offline/{name}"));
    let config = dir.path().join("migrate.toml");
    std::fs::write(
        &config,
        format!(
            "[migrate]\nscript_location = \"{}\"\n{extra}\n",
            location.display()
        ),
    )
    .unwrap();
    (dir, config)
}

#[test]
fn quickstart_offline_on_sqlite_equals_online() {
    online_equals_offline(Db::Sqlite, &example("quickstart"));
}

#[test]
fn notes_offline_on_postgres_equals_online() {
    crate::require!(Db::Postgres);
    online_equals_offline(Db::Postgres, &example("notes"));
}

#[test]
fn cleanings_offline_on_postgres_equals_online() {
    crate::require!(Db::Postgres);
    online_equals_offline(Db::Postgres, &example("cleanings"));
}

#[test]
fn some_infos_offline_on_mysql_equals_online() {
    crate::require!(Db::MySql);
    online_equals_offline(Db::MySql, &example("some_infos"));
}

#[test]
fn users_offline_on_mysql_equals_online() {
    crate::require!(Db::MySql);
    online_equals_offline(Db::MySql, &example("users"));
}

#[test]
fn postgres_functions_do_blocks_and_begin_atomic_offline_equal_online() {
    crate::require!(Db::Postgres);
    let (_dir, config) = fixture("postgres", "");
    online_equals_offline(Db::Postgres, &config);
}

#[test]
fn postgres_transaction_per_migration_offline_equals_online() {
    crate::require!(Db::Postgres);
    let (_dir, config) = fixture("postgres", "transaction_per_migration = true");
    online_equals_offline(Db::Postgres, &config);
}

#[test]
fn mysql_procedures_triggers_and_functions_offline_equal_online() {
    crate::require!(Db::MySql);
    let (dir, config) = fixture("mysql", "");
    online_equals_offline(Db::MySql, &config);
    // The client as most run it, without --comments: it drops the comments
    // inside routine bodies, and nothing else.
    let db = TestDb::new(Db::MySql, dir.path());
    let m = Runner {
        dir: dir.path(),
        config,
    };
    let sql = m.sql(&db, &["upgrade", "head", "--sql"]);
    let args = mysql_args(&db.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    client("mariadb", &args, &sql);
    assert_eq!(db.versions(), vec!["e5f6a7b8c9d0"]);
    assert_eq!(
        db.query("SELECT msg FROM audit ORDER BY id"),
        [
            "café ☕; 🎉 four bytes",
            "added; first; item",
            "x; inserted",
            "added; x;",
            "twice: 42"
        ]
        .map(|m| vec![m.to_string()])
    );
}

#[test]
fn sqlite_triggers_and_views_offline_equal_online() {
    let (_dir, config) = fixture("sqlite", "");
    online_equals_offline(Db::Sqlite, &config);
}

#[test]
fn sqlite_transaction_per_migration_offline_equals_online() {
    let (_dir, config) = fixture("sqlite", "transaction_per_migration = true");
    online_equals_offline(Db::Sqlite, &config);
}

/// The lines of `text` that are not blank.
fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn non_transactional_revision_runs_between_commit_and_begin_and_replays_through_psql() {
    crate::require!(Db::Postgres);
    let (dir, config) = fixture("postgres", "");
    let db = TestDb::new(Db::Postgres, dir.path());
    let m = Runner {
        dir: dir.path(),
        config,
    };
    let sql = m.sql(&db, &["upgrade", "head", "--sql"]);
    let all = lines(&sql);
    let at = all
        .iter()
        .position(|l| *l == "-- Running upgrade b2c3d4e5f6a7 -> c3d4e5f6a7b8")
        .unwrap_or_else(|| panic!("no marker for the concurrent index in\n{sql}"));
    assert_eq!(
        all[at..],
        [
            "-- Running upgrade b2c3d4e5f6a7 -> c3d4e5f6a7b8",
            "COMMIT;",
            "CREATE INDEX CONCURRENTLY ix_accounts_kind ON accounts (kind);",
            "BEGIN;",
            "UPDATE \"alembic_version\" SET version_num = 'c3d4e5f6a7b8' WHERE version_num = 'b2c3d4e5f6a7';",
            "COMMIT;",
        ]
    );
    replay(&db, &sql);
    assert_eq!(
        db.query("SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_accounts_kind'"),
        vec![vec!["true".to_string()]]
    );
    assert_eq!(db.versions(), vec!["c3d4e5f6a7b8"]);
    // And back: DROP INDEX CONCURRENTLY outside a transaction too.
    let down = m.sql(&db, &["downgrade", "c3d4e5f6a7b8:b2c3d4e5f6a7", "--sql"]);
    assert_eq!(
        lines(&down),
        [
            "BEGIN;",
            "-- Running downgrade c3d4e5f6a7b8 -> b2c3d4e5f6a7",
            "COMMIT;",
            "DROP INDEX CONCURRENTLY ix_accounts_kind;",
            "BEGIN;",
            "UPDATE \"alembic_version\" SET version_num = 'b2c3d4e5f6a7' WHERE version_num = 'c3d4e5f6a7b8';",
            "COMMIT;",
        ]
    );
    replay(&db, &down);
    assert_eq!(db.versions(), vec!["b2c3d4e5f6a7"]);
}

/// Three revisions as in Alembic's samples (reference §6).
fn three(kind: Db) -> Project {
    let p = Project::new(kind);
    p.revision(
        "77d3ebb99569",
        &[],
        "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);",
        "DROP TABLE account;",
    );
    p.revision(
        "0c1b235c520a",
        &["77d3ebb99569"],
        "ALTER TABLE account ADD COLUMN email VARCHAR(100);",
        "ALTER TABLE account DROP COLUMN email;",
    );
    p.revision(
        "3c837bf0435b",
        &["0c1b235c520a"],
        "CREATE INDEX ix_account_email ON account (email);",
        "DROP INDEX ix_account_email;",
    );
    p
}

const PG_UPGRADE_HEAD: &str = r#"BEGIN;

CREATE TABLE "alembic_version" (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT "alembic_version_pkc" PRIMARY KEY (version_num)
);

-- Running upgrade  -> 77d3ebb99569

CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);

INSERT INTO "alembic_version" (version_num) VALUES ('77d3ebb99569');

-- Running upgrade 77d3ebb99569 -> 0c1b235c520a

ALTER TABLE account ADD COLUMN email VARCHAR(100);

UPDATE "alembic_version" SET version_num = '0c1b235c520a' WHERE version_num = '77d3ebb99569';

-- Running upgrade 0c1b235c520a -> 3c837bf0435b

CREATE INDEX ix_account_email ON account (email);

UPDATE "alembic_version" SET version_num = '3c837bf0435b' WHERE version_num = '0c1b235c520a';

COMMIT;

"#;

#[test]
fn upgrade_sql_prints_alembics_layout_and_only_sql_on_stdout() {
    crate::require!(Db::Postgres);
    let p = three(Db::Postgres);
    let r = p.run(&["upgrade", "head", "--sql"]).ok();
    assert_eq!(r.stdout, PG_UPGRADE_HEAD);
    assert_eq!(
        r.stderr,
        "Running upgrade  -> 77d3ebb99569, rev 77d3ebb99569\n\
         Running upgrade 77d3ebb99569 -> 0c1b235c520a, rev 0c1b235c520a\n\
         Running upgrade 0c1b235c520a -> 3c837bf0435b, rev 3c837bf0435b\n"
    );
    // Nothing was connected to, nothing written.
    assert!(!p.db.has_table("alembic_version"));
    // -q: the same SQL, nothing on stderr; --format json changes nothing on stdout.
    let q = p.run(&["-q", "upgrade", "head", "--sql"]).ok();
    assert_eq!(
        (q.stdout.as_str(), q.stderr.as_str()),
        (PG_UPGRADE_HEAD, "")
    );
    let j = p
        .run(&["--format", "json", "upgrade", "head", "--sql"])
        .ok();
    assert_eq!(j.stdout, PG_UPGRADE_HEAD);
}

#[test]
fn mysql_sql_has_no_transactions_even_per_migration() {
    crate::require!(Db::MySql);
    let p = Project::with_config(Db::MySql, "transaction_per_migration = true");
    p.revision(
        "77d3ebb99569",
        &[],
        "CREATE TABLE account (id INTEGER PRIMARY KEY);",
        "DROP TABLE account;",
    );
    let r = p.run(&["upgrade", "head", "--sql"]).ok();
    assert_eq!(
        r.stdout,
        "SET NAMES utf8mb4;\n\n\
         CREATE TABLE `alembic_version` (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT `alembic_version_pkc` PRIMARY KEY (version_num)\n);\n\n\
         -- Running upgrade  -> 77d3ebb99569\n\n\
         CREATE TABLE account (id INTEGER PRIMARY KEY);\n\n\
         INSERT INTO `alembic_version` (version_num) VALUES ('77d3ebb99569');\n\n"
    );
}

#[test]
fn transaction_per_migration_gives_one_transaction_per_revision() {
    let (dir, config) = fixture("sqlite", "transaction_per_migration = true");
    let db = TestDb::new(Db::Sqlite, dir.path());
    let m = Runner {
        dir: dir.path(),
        config,
    };
    let sql = m.sql(&db, &["upgrade", "f6a7b8c9d0e1:head", "--sql"]);
    let skeleton: Vec<&str> = lines(&sql)
        .into_iter()
        .filter(|l| *l == "BEGIN;" || *l == "COMMIT;" || l.starts_with("-- Running"))
        .collect();
    assert_eq!(
        skeleton,
        [
            "BEGIN;",
            "-- Running upgrade f6a7b8c9d0e1 -> a7b8c9d0e1f2",
            "COMMIT;",
            // Transactional: false: its statements outside, its version row in a transaction.
            "-- Running upgrade a7b8c9d0e1f2 -> b8c9d0e1f2a3",
            "BEGIN;",
            "COMMIT;",
        ]
    );
}

#[test]
fn ranges_stamp_and_ensure_version_as_alembic() {
    crate::require!(Db::Postgres);
    let p = three(Db::Postgres);
    // FROM:TO starts from FROM: no CREATE TABLE.
    let r = p.run(&["upgrade", "77d3:head", "--sql"]).ok();
    assert_eq!(
        lines(&r.stdout),
        [
            "BEGIN;",
            "-- Running upgrade 77d3ebb99569 -> 0c1b235c520a",
            "ALTER TABLE account ADD COLUMN email VARCHAR(100);",
            "UPDATE \"alembic_version\" SET version_num = '0c1b235c520a' WHERE version_num = '77d3ebb99569';",
            "-- Running upgrade 0c1b235c520a -> 3c837bf0435b",
            "CREATE INDEX ix_account_email ON account (email);",
            "UPDATE \"alembic_version\" SET version_num = '3c837bf0435b' WHERE version_num = '0c1b235c520a';",
            "COMMIT;",
        ]
    );
    // base:TO starts from base: the CREATE TABLE is there.
    let r = p.run(&["upgrade", "base:77d3", "--sql"]).ok();
    assert!(
        r.stdout.contains("CREATE TABLE \"alembic_version\""),
        "{}",
        r.stdout
    );

    let r = p.run(&["downgrade", "head:0c1b", "--sql"]).ok();
    assert_eq!(
        lines(&r.stdout),
        [
            "BEGIN;",
            "-- Running downgrade 3c837bf0435b -> 0c1b235c520a",
            "DROP INDEX ix_account_email;",
            "UPDATE \"alembic_version\" SET version_num = '0c1b235c520a' WHERE version_num = '3c837bf0435b';",
            "COMMIT;",
        ]
    );
    // To base: a DELETE, and the version table stays (Alembic 1.19+).
    let r = p.run(&["downgrade", "0c1b:base", "--sql"]).ok();
    let out = lines(&r.stdout);
    assert_eq!(
        out[out.len() - 4..],
        [
            "-- Running downgrade 77d3ebb99569 -> ",
            "DROP TABLE account;",
            "DELETE FROM \"alembic_version\" WHERE version_num = '77d3ebb99569';",
            "COMMIT;",
        ]
    );
    let r = p.run(&["downgrade", "base", "--sql"]).fails();
    assert!(
        r.stderr
            .contains("downgrade with --sql requires <fromrev>:<torev>"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");

    // --sql after the revisions is a flag, not a revision.
    let r = p.run(&["stamp", "head", "--sql"]).ok();
    assert_eq!(
        lines(&r.stdout)[lines(&r.stdout).len() - 3..],
        [
            "-- Running stamp_revision  -> 3c837bf0435b",
            "INSERT INTO \"alembic_version\" (version_num) VALUES ('3c837bf0435b');",
            "COMMIT;",
        ]
    );
    assert!(
        r.stdout.starts_with("BEGIN;\n\nCREATE TABLE"),
        "{}",
        r.stdout
    );
    let r = p.run(&["stamp", "77d3:head", "--sql"]).ok();
    assert_eq!(
        lines(&r.stdout),
        [
            "BEGIN;",
            "-- Running stamp_revision 77d3ebb99569 -> 3c837bf0435b",
            "UPDATE \"alembic_version\" SET version_num = '3c837bf0435b' WHERE version_num = '77d3ebb99569';",
            "COMMIT;",
        ]
    );
    let r = p.run(&["ensure-version", "--sql"]).ok();
    assert_eq!(
        r.stdout,
        "BEGIN;\n\nCREATE TABLE \"alembic_version\" (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)\n);\n\nCOMMIT;\n\n"
    );
    assert_eq!(r.stderr, "");
    // None of it touched the database.
    assert!(p.db.tables().is_empty());
}

#[test]
fn sql_needs_no_server() {
    let p = three(Db::Sqlite);
    // Port 9 (discard) on a TEST-NET address: nothing answers there.
    for url in [
        "postgresql://u:secret@192.0.2.1:9/app",
        "mysql://u:secret@192.0.2.1:9/app",
    ] {
        let r = p.run(&["--url", url, "upgrade", "head", "--sql"]).ok();
        assert!(r
            .stdout
            .contains("-- Running upgrade 0c1b235c520a -> 3c837bf0435b"));
        assert!(!r.stdout.contains("secret") && !r.stderr.contains("secret"));
    }
}

#[test]
fn progress_lines_without_a_terminal_are_the_plain_log() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision(
        "aaaa00000001",
        &[],
        "CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);",
        "DROP TABLE a;",
    );
    p.revision(
        "bbbb00000002",
        &["aaaa00000001"],
        "SELECT pg_sleep(0.3);\nCREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    // stderr is a pipe here: exactly the step lines, no live line, no escape codes.
    for env in [&[][..], &[("NO_COLOR", ""), ("TERM", "xterm-256color")][..]] {
        let r = p.run_env(&["upgrade", "head"], env).ok();
        assert_eq!(
            r.stderr,
            "Running upgrade  -> aaaa00000001, rev aaaa00000001\n\
             Running upgrade aaaa00000001 -> bbbb00000002, rev bbbb00000002\n"
        );
        assert_eq!(r.stdout, "");
        p.run(&["-q", "downgrade", "base"]).ok();
    }
    let r = p.run(&["-q", "upgrade", "head"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert_eq!(p.db.versions(), vec!["bbbb00000002"]);
}
