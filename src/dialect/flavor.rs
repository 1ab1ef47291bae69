//! Which server speaks a database's wire protocol, told apart from what it
//! says about itself (its version string, `@@version_comment`, `wsrep_on`),
//! and what that means for the run: the lock mode that works there and
//! whether its DDL can be rolled back. Pure: the backend reads the strings
//! ([`Database::server_info`](super::Database::server_info)); this module
//! only reads them.

use super::Kind;
use std::fmt;

/// How a run keeps other `migrate` runs off the database (`lock` in
/// migrate.toml, `--lock` on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockMode {
    /// The advisory lock where the server has one that works, else `Table`.
    #[default]
    Auto,
    /// The server's own lock: `pg_advisory_lock`, `GET_LOCK`, SQLite's write transaction.
    Advisory,
    /// A lease in a row of `<version_table>_lock`, renewed while the run runs.
    Table,
    /// No lock: the operator makes sure only one run works at a time.
    None,
}

impl LockMode {
    /// The words `lock` and `--lock` take, in the order messages list them.
    pub const WORDS: &'static [&'static str] = &["auto", "advisory", "table", "none"];

    /// The mode a word names (one of [`LockMode::WORDS`]).
    pub fn from_word(word: &str) -> Option<LockMode> {
        match word {
            "auto" => Some(LockMode::Auto),
            "advisory" => Some(LockMode::Advisory),
            "table" => Some(LockMode::Table),
            "none" => Some(LockMode::None),
            _ => None,
        }
    }

    /// The word for this mode.
    pub fn word(self) -> &'static str {
        match self {
            LockMode::Auto => "auto",
            LockMode::Advisory => "advisory",
            LockMode::Table => "table",
            LockMode::None => "none",
        }
    }

    /// No session of its own may be relied on (a pooler in transaction
    /// mode may sit in between): the backend sends no named prepared
    /// statements and sets no session state.
    pub fn sessionless(self) -> bool {
        matches!(self, LockMode::Table | LockMode::None)
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// What a server says about itself, as the backend read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// `version()` (PostgreSQL wire) or `VERSION()` (MySQL wire).
    pub version: String,
    /// `@@version_comment` (MySQL wire; empty elsewhere).
    pub comment: String,
    /// `wsrep_on` is `ON` (a Galera cluster node).
    pub wsrep_on: bool,
}

/// The server behind a URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Sqlite,
    Postgres,
    CockroachDb,
    YugabyteDb,
    MySql,
    MariaDb,
    TiDb,
    Vitess,
    Galera,
}

impl Flavor {
    /// The server `info` describes, spoken to over `kind`'s protocol.
    pub fn detect(kind: Kind, info: &ServerInfo) -> Flavor {
        let version = info.version.to_ascii_lowercase();
        let comment = info.comment.to_ascii_lowercase();
        match kind {
            Kind::Sqlite => Flavor::Sqlite,
            Kind::Postgres if version.contains("cockroachdb") => Flavor::CockroachDb,
            // "PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, ..."
            Kind::Postgres if version.contains("-yb-") => Flavor::YugabyteDb,
            Kind::Postgres => Flavor::Postgres,
            // "8.0.11-TiDB-v7.5.0"
            Kind::MySql if version.contains("tidb") => Flavor::TiDb,
            // "8.0.30-Vitess", "8.0.30-vitess-19.0.4"; the comment names it too.
            Kind::MySql if version.contains("vitess") || comment.contains("vitess") => {
                Flavor::Vitess
            }
            Kind::MySql if info.wsrep_on => Flavor::Galera,
            Kind::MySql if version.contains("mariadb") => Flavor::MariaDb,
            Kind::MySql => Flavor::MySql,
        }
    }

    /// The server's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Sqlite => "SQLite",
            Flavor::Postgres => "PostgreSQL",
            Flavor::CockroachDb => "CockroachDB",
            Flavor::YugabyteDb => "YugabyteDB",
            Flavor::MySql => "MySQL",
            Flavor::MariaDb => "MariaDB",
            Flavor::TiDb => "TiDB",
            Flavor::Vitess => "Vitess",
            Flavor::Galera => "a Galera cluster node",
        }
    }

    /// The server's advisory lock keeps every client of the database out:
    /// CockroachDB and YugabyteDB do not have a working `pg_advisory_lock`,
    /// Galera refuses or ignores `GET_LOCK` and would not share it between
    /// nodes, Vitess pins it to one shard's server on a reserved
    /// connection, and TiDB's was a no-op before its 6.x releases.
    pub fn has_advisory_lock(self) -> bool {
        matches!(
            self,
            Flavor::Sqlite | Flavor::Postgres | Flavor::MySql | Flavor::MariaDb
        )
    }

    /// DDL inside an explicit transaction is not rolled back, or not safely,
    /// though the protocol's backend would assume it is (CockroachDB commits
    /// schema changes apart from the transaction's other writes; YugabyteDB
    /// commits each DDL by itself): `migrate` runs each revision's statements
    /// outside a transaction there, recording progress as it goes, as on MySQL.
    pub fn ddl_not_transactional(self) -> bool {
        matches!(self, Flavor::CockroachDb | Flavor::YugabyteDb)
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The lock a run takes: `wanted`, or under `Auto` what `flavor` needs.
pub fn resolve(wanted: LockMode, flavor: Flavor) -> LockMode {
    match wanted {
        LockMode::Auto if flavor.has_advisory_lock() => LockMode::Advisory,
        LockMode::Auto => LockMode::Table,
        explicit => explicit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(version: &str) -> Flavor {
        Flavor::detect(
            Kind::Postgres,
            &ServerInfo {
                version: version.into(),
                ..ServerInfo::default()
            },
        )
    }

    fn my(version: &str, comment: &str, wsrep_on: bool) -> Flavor {
        Flavor::detect(
            Kind::MySql,
            &ServerInfo {
                version: version.into(),
                comment: comment.into(),
                wsrep_on,
            },
        )
    }

    #[test]
    fn postgres_wire_servers_are_told_apart_by_version() {
        assert_eq!(
            pg("PostgreSQL 16.4 (Debian 16.4-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc"),
            Flavor::Postgres
        );
        assert_eq!(
            pg("CockroachDB CCL v23.2.4 (x86_64-pc-linux-gnu, built 2024/04/08 21:34:46, go1.21.9 X:nocoverageredesign)"),
            Flavor::CockroachDb
        );
        assert_eq!(
            pg("PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 16.0.6"),
            Flavor::YugabyteDb
        );
        assert_eq!(
            pg("PostgreSQL 15.2-YB-2.25.0.0-b0 on x86_64-pc-linux-gnu"),
            Flavor::YugabyteDb
        );
    }

    #[test]
    fn mysql_wire_servers_are_told_apart_by_version_comment_and_wsrep() {
        assert_eq!(
            my("8.0.39", "MySQL Community Server - GPL", false),
            Flavor::MySql
        );
        assert_eq!(
            my("10.11.6-MariaDB-0+deb12u1", "Debian 12", false),
            Flavor::MariaDb
        );
        assert_eq!(
            my("10.11.6-MariaDB-log", "MariaDB Server", true),
            Flavor::Galera
        );
        assert_eq!(my("8.0.11-TiDB-v7.5.1", "", false), Flavor::TiDb);
        assert_eq!(my("5.7.25-TiDB-v6.5.0", "", false), Flavor::TiDb);
        assert_eq!(
            my("8.0.30-Vitess", "Version: 19.0.4 (Git revision abc)", false),
            Flavor::Vitess
        );
        assert_eq!(my("8.0.34-vitess-20.0.1", "", false), Flavor::Vitess);
        // A vtgate told to report a plain MySQL version still names itself in the comment.
        assert_eq!(my("8.0.34", "Vitess", false), Flavor::Vitess);
        assert_eq!(
            Flavor::detect(Kind::Sqlite, &ServerInfo::default()),
            Flavor::Sqlite
        );
    }

    #[test]
    fn auto_takes_the_advisory_lock_only_where_it_works() {
        for f in [
            Flavor::Sqlite,
            Flavor::Postgres,
            Flavor::MySql,
            Flavor::MariaDb,
        ] {
            assert_eq!(resolve(LockMode::Auto, f), LockMode::Advisory, "{f}");
        }
        for f in [
            Flavor::CockroachDb,
            Flavor::YugabyteDb,
            Flavor::TiDb,
            Flavor::Vitess,
            Flavor::Galera,
        ] {
            assert_eq!(resolve(LockMode::Auto, f), LockMode::Table, "{f}");
        }
    }

    #[test]
    fn an_explicit_lock_mode_always_wins() {
        for wanted in [LockMode::Advisory, LockMode::Table, LockMode::None] {
            for f in [Flavor::Postgres, Flavor::CockroachDb, Flavor::Galera] {
                assert_eq!(resolve(wanted, f), wanted);
            }
        }
    }

    #[test]
    fn only_cockroach_and_yugabyte_drop_the_transactional_ddl_of_their_protocol() {
        assert!(Flavor::CockroachDb.ddl_not_transactional());
        assert!(Flavor::YugabyteDb.ddl_not_transactional());
        assert!(!Flavor::Postgres.ddl_not_transactional());
        assert!(!Flavor::TiDb.ddl_not_transactional());
    }

    #[test]
    fn words_round_trip() {
        for w in LockMode::WORDS {
            assert_eq!(LockMode::from_word(w).map(LockMode::word), Some(*w));
        }
        assert_eq!(LockMode::from_word("Table"), None);
        assert_eq!(LockMode::default(), LockMode::Auto);
    }
}
