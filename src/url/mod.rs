//! Database URLs: a typed [`DbUrl`] parsed from SQLAlchemy-style text
//! ([`parse`], in `parse.rs`), the reasons one is refused ([`UrlError`], in
//! `error.rs`), and [`redact`] (in `redact.rs`), the one place that knows how
//! to hide a password in text.
//!
//! Pure: no I/O, no environment, no clock; it uses `std` and `crate::kind`
//! only. A URL is
//! `scheme[+driver]://[user[:password]@]host[:port][/database][?key=value&…]`
//! for PostgreSQL and MySQL/MariaDB, and `sqlite:///relative.db`,
//! `sqlite:////absolute.db` or `sqlite://` (in memory) for SQLite, so that a URL
//! from an `alembic.ini` can be pasted unchanged. Query options are kept as
//! given (decoded, in order); the dialect decides what they mean. Every error
//! and every `Display`/`Debug` form shows the URL with its password as `***`.

mod error;
mod parse;
mod redact;

use std::fmt;
use std::path::{Path, PathBuf};

pub use self::error::{PortProblem, UrlError};
pub use self::parse::parse;
pub use self::redact::redact;
pub use crate::kind::Kind;

/// The URL schemes `parse` accepts, for messages (each may carry a `+driver` suffix).
pub const SUPPORTED_SCHEMES: &[&str] = &["postgresql", "postgres", "mysql", "mariadb", "sqlite"];

/// A parsed database URL. `Display` and `Debug` show the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// Which database.
    pub kind: Kind,
    /// User name, percent-decoded.
    pub user: Option<String>,
    /// Password, percent-decoded. Never print it.
    pub password: Option<String>,
    /// Host name or address (IPv6 without its brackets), percent-decoded.
    pub host: Option<String>,
    /// TCP port.
    pub port: Option<u16>,
    /// PostgreSQL/MySQL database name, percent-decoded.
    pub database: Option<String>,
    /// SQLite file as written in the URL (relative paths are relative to the
    /// working directory, see [`DbUrl::sqlite_path_in`]); `None` = in memory.
    pub sqlite_path: Option<PathBuf>,
    /// Query options as given, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The scheme said `mariadb`.
    pub mariadb: bool,
}

/// Percent-encodes the bytes of `s` that are in `special`, `%`, controls, spaces and non-ASCII.
fn percent_encode(s: &str, special: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b == b'%' || b <= b' ' || b >= 0x7f || special.contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

impl DbUrl {
    /// The last value of query option `name`; `-` and `_` are the same and case
    /// does not matter, so `ssl_mode` finds `ssl-mode`.
    pub fn option(&self, name: &str) -> Option<&str> {
        let want = normalize_key(name);
        self.query
            .iter()
            .rev()
            .find(|(k, _)| normalize_key(k) == want)
            .map(|(_, v)| v.as_str())
    }

    /// The SQLite file resolved against `cwd` (relative URLs are relative to
    /// the working directory); `None` for an in-memory database or another kind.
    pub fn sqlite_path_in(&self, cwd: &Path) -> Option<PathBuf> {
        self.sqlite_path.as_ref().map(|p| cwd.join(p))
    }

    /// The scheme this URL is shown with.
    pub fn scheme(&self) -> &'static str {
        match self.kind {
            Kind::Postgres => "postgresql",
            Kind::MySql if self.mariadb => "mariadb",
            Kind::MySql => "mysql",
            Kind::Sqlite => "sqlite",
        }
    }
}

fn normalize_key(k: &str) -> String {
    k.chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Query keys whose values are secrets (`password`, `sslpassword`, …).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("password") || k == "pwd" || k == "passwd"
}

impl fmt::Display for DbUrl {
    /// The URL with its password (and any password-like query option) as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme())?;
        if self.kind == Kind::Sqlite {
            if let Some(p) = &self.sqlite_path {
                write!(f, "/{}", percent_encode(&p.to_string_lossy(), b"?#"))?;
            }
        } else {
            if self.user.is_some() || self.password.is_some() {
                if let Some(u) = &self.user {
                    f.write_str(&percent_encode(u, b":@/?#"))?;
                }
                if self.password.is_some() {
                    f.write_str(":***")?;
                }
                f.write_str("@")?;
            }
            if let Some(h) = &self.host {
                if h.contains(':') {
                    write!(f, "[{h}]")?;
                } else {
                    f.write_str(&percent_encode(h, b":@/?#[]"))?;
                }
            }
            if let Some(p) = self.port {
                write!(f, ":{p}")?;
            }
            if let Some(d) = &self.database {
                write!(f, "/{}", percent_encode(d, b"/?#"))?;
            }
        }
        for (i, (k, v)) in self.query.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            f.write_str(&percent_encode(k, b"&=#+"))?;
            f.write_str("=")?;
            if is_secret_key(k) {
                f.write_str("***")?;
            } else {
                f.write_str(&percent_encode(v, b"&=#+"))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DbUrl {
    // Hand-written so that `{:?}` never shows the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret_key(k) { "***" } else { v.as_str() },
                )
            })
            .collect();
        f.debug_struct("DbUrl")
            .field("kind", &self.kind)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("sqlite_path", &self.sqlite_path)
            .field("query", &query)
            .field("mariadb", &self.mariadb)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> DbUrl {
        match parse(url) {
            Ok(u) => u,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn query_options_pass_through_decoded_in_order() {
        let u = ok("postgresql://u:p@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=-c+search_path%3Dapp&application_name=mig&connect_timeout=5&unknown_key=x&flag");
        let keys: Vec<&str> = u.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "sslmode",
                "sslrootcert",
                "options",
                "application_name",
                "connect_timeout",
                "unknown_key",
                "flag"
            ]
        );
        assert_eq!(u.option("sslrootcert"), Some("/etc/ca.pem"));
        assert_eq!(u.option("options"), Some("-c search_path=app"));
        assert_eq!(u.option("flag"), Some(""));
        assert_eq!(u.option("missing"), None);

        let m = ok("mysql://u:p@h/db?ssl-mode=REQUIRED&ssl_ca=/ca.pem");
        assert_eq!(m.option("ssl_mode"), Some("REQUIRED"));
        assert_eq!(m.option("ssl-mode"), Some("REQUIRED"));
        assert_eq!(m.option("ssl-ca"), Some("/ca.pem"));
        assert_eq!(m.option("SSL_CA"), Some("/ca.pem"));

        let s = ok("sqlite:///app.db?mode=ro&cache=shared");
        assert_eq!(s.option("cache"), Some("shared"));
    }

    #[test]
    fn display_is_redacted_and_round_trips() {
        let cases = [
            (
                "postgresql+psycopg2://u:p@host:5432/db?sslmode=require",
                "postgresql://u:***@host:5432/db?sslmode=require",
            ),
            ("postgres://u@host/db", "postgresql://u@host/db"),
            (
                "mariadb://u:p@[::1]:3306/db",
                "mariadb://u:***@[::1]:3306/db",
            ),
            ("mysql://u%40x:p@h/my%20db", "mysql://u%40x:***@h/my%20db"),
            (
                "postgresql://h/db?password=secret",
                "postgresql://h/db?password=***",
            ),
            ("sqlite:///rel/app.db", "sqlite:///rel/app.db"),
            ("sqlite:////abs/app.db", "sqlite:////abs/app.db"),
            ("sqlite:///:memory:", "sqlite://"),
        ];
        for (input, want) in cases {
            let u = ok(input);
            assert_eq!(u.to_string(), want, "{input}");
            // What Display prints parses back to the same URL, password aside.
            let back = ok(&u.to_string());
            assert_eq!(
                (
                    back.kind,
                    &back.user,
                    &back.host,
                    back.port,
                    &back.database,
                    &back.sqlite_path
                ),
                (
                    u.kind,
                    &u.user,
                    &u.host,
                    u.port,
                    &u.database,
                    &u.sqlite_path
                ),
                "{input}"
            );
        }
    }

    #[test]
    fn sqlite_paths_resolve_against_the_working_directory() {
        let cwd = Path::new("/work/proj");
        assert_eq!(
            ok("sqlite:///app.db").sqlite_path_in(cwd),
            Some(PathBuf::from("/work/proj/app.db"))
        );
        assert_eq!(
            ok("sqlite:////abs/app.db").sqlite_path_in(cwd),
            Some(PathBuf::from("/abs/app.db"))
        );
        assert_eq!(ok("sqlite://").sqlite_path_in(cwd), None);
    }
}
