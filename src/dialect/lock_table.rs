//! The SQL of `lock = "table"`: one row in `<version_table>_lock`, beside the
//! version table, that says who holds the migration lock and until when.
//! Composed once from each dialect's primitives (quoting, literals, the
//! server's clock, an INSERT that skips a duplicate key), as the version
//! table's SQL is in `bookkeeping`. Every statement is whole in itself, with
//! its values written as literals: no parameters, no session state, each one
//! its own autocommit statement, so that it works through a pooler in
//! transaction mode and over PostgreSQL's simple query protocol.
//!
//! Times are whole seconds since 1970 by the database server's clock, so
//! that clients whose clocks disagree still agree on when a lease ends.

use super::bookkeeping::qualified;
use super::{Dialect, VersionTable};

/// The lock table's name for a version table: `<version_table>_lock`.
pub fn lock_table_name(version_table: &str) -> String {
    format!("{version_table}_lock")
}

/// Who asks for the lock: what its row records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// Unique per run (a UUID).
    pub id: String,
    pub host: String,
    pub pid: u32,
}

/// The lock row as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub host: String,
    pub pid: String,
    pub acquired_at: i64,
    pub expires_at: i64,
    /// The server's clock when the row was read.
    pub now: i64,
}

impl Holder {
    /// The lease has run out: the row may be taken over.
    pub fn expired(&self) -> bool {
        self.expires_at < self.now
    }

    /// Reads a row of [`LockTable::read`]; `None` when it is not one.
    pub fn from_row(row: &[Option<String>]) -> Option<Holder> {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let int = |i: usize| text(i).trim().parse::<i64>().ok();
        Some(Holder {
            owner: text(0),
            host: text(1),
            pid: text(2),
            acquired_at: int(3)?,
            expires_at: int(4)?,
            now: int(5)?,
        })
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = chrono::DateTime::from_timestamp(self.acquired_at, 0).map_or_else(
            || self.acquired_at.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        let left = self.expires_at - self.now;
        let expiry = if left >= 0 {
            format!("expires in {left} s unless renewed")
        } else {
            format!("expired {} s ago", -left)
        };
        write!(
            f,
            "run {} on host '{}' pid {} (since {since}, {expiry})",
            self.owner, self.host, self.pid
        )
    }
}

/// The statements on one version table's lock table.
pub struct LockTable {
    dialect: &'static dyn Dialect,
    table: String,
    /// The unquoted name and schema, for `table_exists`.
    pub place: VersionTable,
}

impl LockTable {
    /// The lock table beside `version_table`.
    pub fn new(dialect: &'static dyn Dialect, version_table: &VersionTable) -> LockTable {
        let name = lock_table_name(&version_table.name);
        LockTable {
            dialect,
            table: qualified(dialect, version_table, &name),
            place: VersionTable {
                name,
                schema: version_table.schema.clone(),
            },
        }
    }

    /// The quoted, schema-qualified name, for messages.
    pub fn name(&self) -> &str {
        &self.table
    }

    /// Creates the table when it is missing. `lock_id` is always 1: one row,
    /// one lock per version table.
    pub fn create(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    lock_id INTEGER NOT NULL, \n    owner VARCHAR(64) NOT NULL, \n    host VARCHAR(255) NOT NULL, \n    pid BIGINT NOT NULL, \n    acquired_at BIGINT NOT NULL, \n    expires_at BIGINT NOT NULL, \n    renewals BIGINT NOT NULL, \n    PRIMARY KEY (lock_id)\n)",
            self.table
        )
    }

    /// The row and the server's clock: owner, host, pid, acquired_at,
    /// expires_at, now (see [`Holder::from_row`]).
    pub fn read(&self) -> String {
        format!(
            "SELECT owner, host, {pid}, {acq}, {exp}, {now} FROM {} WHERE lock_id = 1",
            self.table,
            pid = self.text_of("pid"),
            acq = self.text_of("acquired_at"),
            exp = self.text_of("expires_at"),
            now = self.text_of(self.dialect.epoch_now()),
        )
    }

    /// Takes the lock when nobody holds it: one row, or nothing when the row
    /// is there (whoever's it is). Affects 1 row when taken.
    pub fn insert(&self, owner: &Owner, lease_secs: u64) -> String {
        let now = self.dialect.epoch_now();
        self.dialect.insert_skipping_duplicate(&format!(
            "INSERT INTO {} (lock_id, owner, host, pid, acquired_at, expires_at, renewals) VALUES (1, {}, {}, {}, {now}, {now} + {lease_secs}, 0)",
            self.table,
            self.dialect.text_literal(&owner.id),
            self.dialect.text_literal(&owner.host),
            owner.pid,
        ))
    }

    /// Takes over the lease of `expired_owner` when it has run out (and is
    /// still that owner's: two runs that saw it expire cannot both take it).
    /// Affects 1 row when taken.
    pub fn take_over(&self, owner: &Owner, lease_secs: u64, expired_owner: &str) -> String {
        let now = self.dialect.epoch_now();
        format!(
            "UPDATE {} SET owner = {}, host = {}, pid = {}, acquired_at = {now}, expires_at = {now} + {lease_secs}, renewals = 0 WHERE lock_id = 1 AND owner = {} AND expires_at < {now}",
            self.table,
            self.dialect.text_literal(&owner.id),
            self.dialect.text_literal(&owner.host),
            owner.pid,
            self.dialect.text_literal(expired_owner),
        )
    }

    /// Extends the lease of `owner` by `lease_secs` from now. Affects 1 row
    /// while the lock is still `owner`'s (`renewals` changes each time, so
    /// MySQL counts the row as changed even within one second).
    pub fn renew(&self, owner: &Owner, lease_secs: u64) -> String {
        format!(
            "UPDATE {} SET expires_at = {} + {lease_secs}, renewals = renewals + 1 WHERE lock_id = 1 AND owner = {}",
            self.table,
            self.dialect.epoch_now(),
            self.dialect.text_literal(&owner.id),
        )
    }

    /// Releases the lock of `owner` (nothing when it is no longer theirs).
    pub fn release(&self, owner: &Owner) -> String {
        format!(
            "DELETE FROM {} WHERE lock_id = 1 AND owner = {}",
            self.table,
            self.dialect.text_literal(&owner.id),
        )
    }

    /// An integer expression as text, so every backend's row reader sees a string.
    fn text_of(&self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.dialect.cast_text_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::dialect_of;
    use crate::Kind;

    fn owner() -> Owner {
        Owner {
            id: "6f1c".into(),
            host: "ci-7".into(),
            pid: 42,
        }
    }

    fn table(kind: Kind, schema: Option<&str>) -> LockTable {
        LockTable::new(
            dialect_of(kind),
            &VersionTable {
                name: "alembic_version".into(),
                schema: schema.map(str::to_string),
            },
        )
    }

    #[test]
    fn the_lock_table_sits_beside_the_version_table() {
        assert_eq!(
            table(Kind::Postgres, Some("app")).name(),
            "\"app\".\"alembic_version_lock\""
        );
        assert_eq!(table(Kind::MySql, None).name(), "`alembic_version_lock`");
        assert_eq!(table(Kind::Sqlite, None).place.name, "alembic_version_lock");
    }

    #[test]
    fn each_backend_skips_a_duplicate_key_its_own_way() {
        let o = owner();
        let pg = table(Kind::Postgres, None).insert(&o, 60);
        assert!(pg.ends_with("ON CONFLICT DO NOTHING"), "{pg}");
        assert!(pg.contains("E'6f1c'"), "{pg}");
        let my = table(Kind::MySql, None).insert(&o, 60);
        assert!(
            my.starts_with("INSERT IGNORE INTO `alembic_version_lock`"),
            "{my}"
        );
        assert!(my.contains("UNIX_TIMESTAMP() + 60"), "{my}");
        let lite = table(Kind::Sqlite, None).insert(&o, 60);
        assert!(lite.ends_with("ON CONFLICT DO NOTHING"), "{lite}");
    }

    #[test]
    fn take_over_needs_the_expired_owner_and_an_expired_lease() {
        let sql = table(Kind::Sqlite, None).take_over(&owner(), 30, "dead");
        assert!(
            sql.contains("WHERE lock_id = 1 AND owner = 'dead' AND expires_at < "),
            "{sql}"
        );
        assert!(sql.contains("owner = '6f1c'"), "{sql}");
    }

    #[test]
    fn renew_and_release_touch_only_the_owners_row() {
        let t = table(Kind::Postgres, None);
        assert!(t
            .renew(&owner(), 60)
            .ends_with("WHERE lock_id = 1 AND owner = E'6f1c'"));
        assert!(t.renew(&owner(), 60).contains("renewals = renewals + 1"));
        assert_eq!(
            t.release(&owner()),
            "DELETE FROM \"alembic_version_lock\" WHERE lock_id = 1 AND owner = E'6f1c'"
        );
    }

    #[test]
    fn a_holder_says_who_where_and_until_when() {
        let row: Vec<Option<String>> = [
            "6f1c",
            "ci-7",
            "42",
            "1700000000",
            "1700000060",
            "1700000015",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
        let h = Holder::from_row(&row).unwrap();
        assert!(!h.expired());
        assert_eq!(
            h.to_string(),
            "run 6f1c on host 'ci-7' pid 42 (since 2023-11-14 22:13:20 UTC, expires in 45 s unless renewed)"
        );
        let gone = Holder {
            now: 1_700_000_070,
            ..h
        };
        assert!(gone.expired());
        assert!(gone.to_string().ends_with("expired 10 s ago)"));
        assert_eq!(Holder::from_row(&[Some("x".into())]), None);
    }
}
