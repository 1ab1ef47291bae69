//! Test support: a `Project` builder in a temporary folder, the built
//! `migrate` binary, and one fresh database per test on the real servers.
//!
//! PostgreSQL and MariaDB are reached at MIGRATE_TEST_PG_URL and
//! MIGRATE_TEST_MYSQL_URL (defaults: the local servers). A test that needs a
//! server says so first (`require!(Db::Postgres)`, or a loop over `all()`):
//! when the server is unreachable, the test is skipped with a loud line on
//! the terminal, except with `CI=true`, where it fails with the way to start
//! the server.

#![allow(dead_code)]

use assert_cmd::Command;
use mysql::prelude::Queryable;
use std::path::{Path, PathBuf};
use std::process::Output;

pub(crate) const PG_ADMIN_DEFAULT: &str = "postgresql://postgres@127.0.0.1:5432/postgres";
pub(crate) const MY_ADMIN_DEFAULT: &str = "mysql://root@127.0.0.1:3306/mysql";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
    MySql,
}

pub(crate) const ALL: [Db; 3] = [Db::Sqlite, Db::Postgres, Db::MySql];

impl Db {
    fn server(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
            Db::MySql => "MariaDB",
        }
    }
}

/// Why the server of `kind` cannot be reached (None: it answers), asked once
/// per test process.
fn unreachable(kind: Db) -> Option<&'static str> {
    use std::sync::OnceLock;
    static PG: OnceLock<Option<String>> = OnceLock::new();
    static MY: OnceLock<Option<String>> = OnceLock::new();
    let probe = |kind: Db| -> Option<String> {
        match kind {
            Db::Sqlite => None,
            Db::Postgres => {
                let mut config: postgres::Config = pg_admin_url().parse().ok()?;
                config.connect_timeout(std::time::Duration::from_secs(3));
                config.connect(postgres::NoTls).err().map(|e| e.to_string())
            }
            Db::MySql => {
                let opts = mysql::Opts::from_url(&my_admin_url()).ok()?;
                let opts = mysql::OptsBuilder::from_opts(opts)
                    .tcp_connect_timeout(Some(std::time::Duration::from_secs(3)));
                mysql::Conn::new(opts).err().map(|e| e.to_string())
            }
        }
    };
    let slot = match kind {
        Db::Sqlite => return None,
        Db::Postgres => &PG,
        Db::MySql => &MY,
    };
    slot.get_or_init(|| probe(kind)).as_deref()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn how_to_start(kind: Db) -> &'static str {
    match kind {
        Db::Sqlite => "",
        Db::Postgres => {
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        }
        Db::MySql => "`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`",
    }
}

/// True when the test may use the servers of `kinds`. When one is
/// unreachable: with `CI=true` the test fails; otherwise a line on the
/// terminal (past the test harness's capture) says the test is skipped and
/// why, and this returns false.
#[track_caller]
pub(crate) fn need(kinds: &[Db]) -> bool {
    for &kind in kinds {
        let Some(why) = unreachable(kind) else {
            continue;
        };
        let url = match kind {
            Db::Postgres => pg_admin_url(),
            _ => my_admin_url(),
        };
        assert!(!in_ci(),
            "{} is unreachable at {url}: {why}\nCI=true: tests that need it fail. Start it ({}) or run `.ci/run`, which provisions it.",
            kind.server(),
            how_to_start(kind)
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {}: {} is unreachable at {url} ({why}). Start it ({}) or run `.ci/run`; with CI=true this fails.",
            std::panic::Location::caller(),
            kind.server(),
            how_to_start(kind)
        );
        return false;
    }
    true
}

/// Every database whose server answers (SQLite always), for tests that run
/// on each; the others are skipped as [`need`] says.
#[track_caller]
pub(crate) fn all() -> Vec<Db> {
    ALL.into_iter().filter(|&k| need(&[k])).collect()
}

/// Skips the test (returns from it) unless the servers it names answer; see [`need`].
#[macro_export]
macro_rules! require {
    ($($kind:expr),+ $(,)?) => {
        if !$crate::support::need(&[$($kind),+]) {
            return;
        }
    };
}

fn pg_admin_url() -> String {
    std::env::var("MIGRATE_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN_DEFAULT.into())
}

fn my_admin_url() -> String {
    std::env::var("MIGRATE_TEST_MYSQL_URL").unwrap_or_else(|_| MY_ADMIN_DEFAULT.into())
}

fn pg_admin() -> postgres::Client {
    guarded(Db::Postgres);
    let url = pg_admin_url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {url}: {e}\nStart it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or run `.ci/run`, which provisions it."
        )
    })
}

fn my_admin() -> mysql::Conn {
    guarded(Db::MySql);
    let url = my_admin_url();
    mysql::Conn::new(mysql::Opts::from_url(&url).expect("MIGRATE_TEST_MYSQL_URL")).unwrap_or_else(|e| {
        panic!(
            "MariaDB is unreachable at {url}: {e}\nStart it (`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`) or run `.ci/run`, which provisions it."
        )
    })
}

/// A test that reaches an unreachable server without `require!` first fails
/// and says so, rather than failing on the connection.
fn guarded(kind: Db) {
    assert!(unreachable(kind).is_none() || in_ci(),
        "{} is unreachable, and this test uses it without `require!({kind:?})` (or a loop over `all()`) at its start",
        kind.server()
    );
}

fn base_of(url: &str) -> &str {
    url.rsplit_once('/').map_or(url, |(a, _)| a)
}

/// A database of its own for one test, dropped at the end.
pub(crate) struct TestDb {
    pub kind: Db,
    pub name: String,
    /// The URL `migrate` is given.
    pub url: String,
    /// SQLite: the file.
    pub path: Option<PathBuf>,
}

impl TestDb {
    pub(crate) fn new(kind: Db, dir: &Path) -> TestDb {
        let name = format!("mt_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        match kind {
            Db::Sqlite => {
                let path = dir.join(format!("{name}.db"));
                TestDb {
                    kind,
                    url: format!("sqlite:///{}", path.display()),
                    name,
                    path: Some(path),
                }
            }
            Db::Postgres => {
                pg_admin()
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .expect("create database");
                TestDb {
                    kind,
                    url: format!("{}/{name}", base_of(&pg_admin_url())),
                    name,
                    path: None,
                }
            }
            Db::MySql => {
                my_admin()
                    .query_drop(format!("CREATE DATABASE `{name}`"))
                    .expect("create database");
                TestDb {
                    kind,
                    url: format!("{}/{name}", base_of(&my_admin_url())),
                    name,
                    path: None,
                }
            }
        }
    }

    /// Runs a query and returns every row as text cells.
    pub(crate) fn query(&self, sql: &str) -> Vec<Vec<String>> {
        match self.kind {
            Db::Sqlite => {
                let conn = rusqlite::Connection::open(self.path.as_ref().unwrap()).unwrap();
                let mut st = conn.prepare(sql).unwrap();
                let n = st.column_count();
                let rows = st
                    .query_map([], |r| {
                        Ok((0..n)
                            .map(|i| match r.get::<_, rusqlite::types::Value>(i).unwrap() {
                                rusqlite::types::Value::Null => "NULL".to_string(),
                                rusqlite::types::Value::Integer(i) => i.to_string(),
                                rusqlite::types::Value::Real(f) => f.to_string(),
                                rusqlite::types::Value::Text(t) => t,
                                rusqlite::types::Value::Blob(_) => "<blob>".into(),
                            })
                            .collect::<Vec<_>>())
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            Db::Postgres => {
                let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
                c.simple_query(sql)
                    .unwrap()
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => Some(
                            (0..r.len())
                                .map(|i| r.get(i).unwrap_or("NULL").to_string())
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect()
            }
            Db::MySql => {
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&self.url).unwrap()).unwrap();
                let rows: Vec<mysql::Row> = c.query(sql).unwrap();
                rows.into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| match r.as_ref(i).unwrap() {
                                mysql::Value::NULL => "NULL".to_string(),
                                mysql::Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                                v => v.as_sql(true).trim_matches('\'').to_string(),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// Runs statements directly (setup).
    pub(crate) fn exec(&self, sql: &str) {
        match self.kind {
            Db::Sqlite => rusqlite::Connection::open(self.path.as_ref().unwrap())
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Db::Postgres => postgres::Client::connect(&self.url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            Db::MySql => mysql::Conn::new(mysql::Opts::from_url(&self.url).unwrap())
                .unwrap()
                .query_drop(sql)
                .unwrap(),
        }
    }

    /// The version table's rows, sorted.
    pub(crate) fn versions(&self) -> Vec<String> {
        self.versions_in("alembic_version")
    }

    /// The version table's rows, or none when the table does not exist.
    pub(crate) fn versions_or_empty(&self) -> Vec<String> {
        if self.has_table("alembic_version") {
            self.versions()
        } else {
            Vec::new()
        }
    }

    pub(crate) fn versions_in(&self, table: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .query(&format!("SELECT version_num FROM {table}"))
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        v.sort();
        v
    }

    /// Names of the user tables, sorted.
    pub(crate) fn tables(&self) -> Vec<String> {
        let sql = match self.kind {
            Db::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name".to_string(),
            Db::Postgres => "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name".to_string(),
            Db::MySql => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name".to_string(),
        };
        self.query(&sql).into_iter().map(|r| r[0].clone()).collect()
    }

    pub(crate) fn has_table(&self, name: &str) -> bool {
        self.tables().iter().any(|t| t == name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.kind {
            Db::Sqlite => {}
            Db::Postgres => {
                let _ = pg_admin().batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ));
            }
            Db::MySql => {
                let _ = my_admin().query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
            }
        }
    }
}

/// The result of one `migrate` run.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub(crate) fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn fails(self) -> Run {
        assert_eq!(
            self.code, 1,
            "expected exit 1\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.starts_with("error: ") || self.stderr.contains("\nerror: "),
            "errors go to stderr as `error: …`: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    pub(crate) fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// A project folder with migrate.toml and revision files.
pub(crate) struct Project {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
}

impl Project {
    /// A project with the generic layout, pointed at a fresh database of `kind`.
    pub(crate) fn new(kind: Db) -> Project {
        Project::with_config(kind, "")
    }

    /// Same, with extra `[migrate]` keys.
    pub(crate) fn with_config(kind: Db, extra: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::new(kind, dir.path());
        std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
        std::fs::write(
            dir.path().join("migrations/script.sql.tera"),
            migrate::template::find("generic").unwrap().script,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("migrate.toml"),
            format!(
                "[migrate]\nscript_location = \"migrations\"\nurl = \"{}\"\n{extra}\n",
                db.url
            ),
        )
        .unwrap();
        Project { dir, db }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The header cache of this project's runs (kept out of the user's own).
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.path().join(".migrate-cache")
    }

    pub(crate) fn versions_dir(&self) -> PathBuf {
        self.path().join("migrations/versions")
    }

    /// Writes a revision file by hand.
    pub(crate) fn revision(&self, id: &str, revises: &[&str], up: &str, down: &str) -> PathBuf {
        self.revision_with(id, revises, "", up, down)
    }

    /// Writes a revision file with extra header lines (e.g. `-- Branch Labels: x`).
    pub(crate) fn revision_with(
        &self,
        id: &str,
        revises: &[&str],
        extra_header: &str,
        up: &str,
        down: &str,
    ) -> PathBuf {
        let path = self.versions_dir().join(format!("{id}_rev.sql"));
        let extra = if extra_header.is_empty() {
            String::new()
        } else {
            format!("{extra_header}\n")
        };
        std::fs::write(
            &path,
            format!(
                "-- rev {id}\n--\n-- Revision ID: {id}\n-- Revises: {}\n-- Create Date: 2026-01-01 00:00:00\n{extra}\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n",
                revises.join(", ")
            ),
        )
        .unwrap();
        path
    }

    /// Runs `migrate ARGS` in the project folder.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::cargo_bin("migrate").unwrap();
        cmd.current_dir(self.path())
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATE_CONFIG")
            .env("MIGRATE_CACHE_DIR", self.cache_dir())
            .env("NO_COLOR", "1")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }
}

/// Runs `migrate ARGS` in any folder.
pub(crate) fn migrate_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("migrate").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_CONFIG")
        .env("MIGRATE_CACHE_DIR", dir.join(".migrate-cache"))
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

/// A table definition that works on every database.
pub(crate) fn create_table(name: &str) -> String {
    format!("CREATE TABLE {name} (id INTEGER PRIMARY KEY, note VARCHAR(50));")
}

pub(crate) fn drop_table(name: &str) -> String {
    format!("DROP TABLE {name};")
}
