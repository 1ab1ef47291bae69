//! The one enum that names the three databases `migrate` speaks to. Pure: the
//! URL parser, the statement splitter and the backends all use it; what
//! differs between the databases is decided by each backend (`dialect`), not
//! by matching on this enum elsewhere.

use std::fmt;

/// Which database: PostgreSQL, MySQL/MariaDB or SQLite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// PostgreSQL (`postgresql://`, `postgres://`); split as psql splits.
    Postgres,
    /// MySQL or MariaDB (`mysql://`, `mariadb://`); split as the mysql client splits.
    MySql,
    /// SQLite (`sqlite://`); split as `sqlite3_complete()` decides.
    Sqlite,
}

impl Kind {
    /// Every database, in the order messages list them.
    pub const ALL: [Kind; 3] = [Kind::Postgres, Kind::MySql, Kind::Sqlite];

    /// The database's usual name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::MySql => "MySQL",
            Kind::Sqlite => "SQLite",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
