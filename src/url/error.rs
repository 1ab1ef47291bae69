//! [`UrlError`]: why a database URL was refused, each reason worded once,
//! here, with the URL's password already hidden. Pure; it uses `std`,
//! `thiserror` and `crate::kind`.

use super::Kind;

/// Why a database URL could not be parsed. Every URL inside is already redacted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The text is empty.
    #[error("the database URL is empty; give one such as postgresql://user:password@localhost:5432/app, mysql://user:password@localhost:3306/app or sqlite:///app.db")]
    Empty,
    /// No `scheme://` at the start.
    #[error("`{url}` is not a database URL: it must start with `scheme://`, as in postgresql://user:password@localhost:5432/app, mysql://user:password@localhost:3306/app or sqlite:///app.db")]
    NotAUrl {
        /// The input, redacted.
        url: String,
    },
    /// A scheme that names no supported database.
    #[error("unsupported database `{scheme}` in `{url}`: the supported schemes are postgresql (or postgres), mysql, mariadb and sqlite, each optionally with a `+driver` suffix that is ignored (postgresql+psycopg2://…)")]
    UnsupportedScheme {
        /// The scheme as written.
        scheme: String,
        /// The input, redacted.
        url: String,
    },
    /// A PostgreSQL or MySQL URL without a host.
    #[error("no host in `{url}`: a {kind} URL needs one, as in {}", host_example(*.kind))]
    MissingHost {
        /// The database the scheme named.
        kind: Kind,
        /// The input, redacted.
        url: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("bad port in `{url}`: {reason}; write a number from 1 to 65535 after the host, as in localhost:5432")]
    BadPort {
        /// The input, redacted.
        url: String,
        /// What is wrong (never echoes non-numeric text, which may be a password).
        reason: PortProblem,
    },
    /// A bracketed IPv6 host without its closing `]`, or text after it.
    #[error(
        "bad IPv6 host in `{url}`: write it in brackets, as in postgresql://user@[::1]:5432/app"
    )]
    BadIpv6 {
        /// The input, redacted.
        url: String,
    },
    /// `sqlite://host/…`: SQLite URLs have no host.
    #[error("`{url}` names a host, but a SQLite URL has none: write sqlite:///relative/path.db (three slashes), sqlite:////absolute/path.db (four) or sqlite:// for an in-memory database")]
    SqliteHost {
        /// The input, redacted.
        url: String,
    },
    /// A part that is not UTF-8 once its `%XX` escapes are decoded.
    #[error("the {part} in `{url}` is not valid UTF-8 once its %-escapes are decoded; percent-encode the UTF-8 bytes of each character")]
    BadEncoding {
        /// Which part: "user name", "password", "host", "database name", "path", "query".
        part: &'static str,
        /// The input, redacted.
        url: String,
    },
}

/// What is wrong with a URL's port.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortProblem {
    /// Not made of digits. The text is not kept: after `user:` with no `@`,
    /// it is likely a password.
    #[error("the port is not a number (or the `@host` after a password is missing)")]
    NotANumber,
    /// Digits, but 0 or more than 65535.
    #[error("{port} is not between 1 and 65535")]
    OutOfRange {
        /// The digits as written.
        port: String,
    },
}

/// What a correct URL of `kind` looks like, with the socket alternative.
fn host_example(kind: Kind) -> &'static str {
    match kind {
        Kind::Postgres => "postgresql://user:password@localhost:5432/app (or postgresql://user@/app?host=/var/run/postgresql for a Unix socket)",
        _ => "mysql://user:password@localhost:3306/app (or mysql://user@/app?socket=/run/mysqld/mysqld.sock for a Unix socket)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::parse;

    #[test]
    fn errors_name_the_problem_and_never_the_password() {
        type IsErr = fn(&UrlError) -> bool;
        let cases: &[(&str, IsErr, &[&str])] = &[
            ("", |e| matches!(e, UrlError::Empty), &[]),
            (
                "localhost:5432/db",
                |e| matches!(e, UrlError::NotAUrl { .. }),
                &["scheme://"],
            ),
            (
                "u:s3cret@localhost/db",
                |e| matches!(e, UrlError::NotAUrl { .. }),
                &["u:***@localhost"],
            ),
            (
                "oracle://u:s3cret@h/db",
                |e| matches!(e, UrlError::UnsupportedScheme { scheme, .. } if scheme == "oracle"),
                &[
                    "`oracle`",
                    "postgresql",
                    "mysql",
                    "mariadb",
                    "sqlite",
                    "oracle://u:***@h/db",
                ],
            ),
            (
                "mssql+pyodbc://u:s3cret@h/db",
                |e| matches!(e, UrlError::UnsupportedScheme { .. }),
                &["`mssql+pyodbc`"],
            ),
            (
                "postgresql://u:s3cret@/db",
                |e| {
                    matches!(
                        e,
                        UrlError::MissingHost {
                            kind: Kind::Postgres,
                            ..
                        }
                    )
                },
                &["no host", "PostgreSQL", "postgresql://u:***@/db", "?host="],
            ),
            (
                "mysql:///db",
                |e| {
                    matches!(
                        e,
                        UrlError::MissingHost {
                            kind: Kind::MySql,
                            ..
                        }
                    )
                },
                &["socket="],
            ),
            (
                "postgresql://u:s3cret@h:99999/db",
                |e| matches!(e, UrlError::BadPort { .. }),
                &["99999", "1 to 65535"],
            ),
            (
                "postgresql://u:s3cret@h:0/db",
                |e| matches!(e, UrlError::BadPort { .. }),
                &["bad port"],
            ),
            (
                "postgresql://u:s3cret@h:54x/db",
                |e| matches!(e, UrlError::BadPort { .. }),
                &["not a number"],
            ),
            (
                "postgresql://u:s3cret",
                |e| matches!(e, UrlError::BadPort { .. }),
                &["postgresql://u:***"],
            ),
            (
                "postgresql://u:s3cret@[::1/db",
                |e| matches!(e, UrlError::BadIpv6 { .. }),
                &["[::1]"],
            ),
            (
                "postgresql://u:s3cret@::1/db",
                |e| matches!(e, UrlError::BadIpv6 { .. }),
                &["brackets"],
            ),
            (
                "sqlite://host/app.db",
                |e| matches!(e, UrlError::SqliteHost { .. }),
                &["sqlite:///relative"],
            ),
            (
                "postgresql://u:s3cret@h/%FF",
                |e| {
                    matches!(
                        e,
                        UrlError::BadEncoding {
                            part: "database name",
                            ..
                        }
                    )
                },
                &["UTF-8"],
            ),
        ];
        for (url, is, needles) in cases {
            let err = match parse(url) {
                Ok(u) => panic!("{url} parsed as {u:?}"),
                Err(e) => e,
            };
            assert!(is(&err), "{url}: wrong error {err:?}");
            let msg = err.to_string();
            assert!(!msg.contains("s3cret"), "{url}: password in {msg}");
            for n in *needles {
                assert!(msg.contains(n), "{url}: {msg:?} lacks {n:?}");
            }
        }
    }
}
