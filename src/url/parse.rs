//! Parsing a database URL into a [`DbUrl`]: the scheme and its `+driver`,
//! user info whose password may hold raw `@`, `/`, `?` or `:`, bracketed IPv6
//! hosts, ports, `%XX` escapes and query options. Pure; it uses `std`, its
//! parent module's types and `crate::kind`.

use std::path::PathBuf;

use super::redact::userinfo_end;
use super::{redact, DbUrl, Kind, PortProblem, UrlError};

/// Parses a database URL (the forms are listed in the `url` module docs).
pub fn parse(url: &str) -> Result<DbUrl, UrlError> {
    let input = url.trim();
    if input.is_empty() {
        return Err(UrlError::Empty);
    }
    let shown = || redact(input);
    let (scheme, rest) = split_scheme(input).ok_or_else(|| UrlError::NotAUrl { url: shown() })?;
    let base = scheme
        .split('+')
        .next()
        .unwrap_or(scheme)
        .to_ascii_lowercase();
    let (kind, mariadb) = match base.as_str() {
        "postgresql" | "postgres" => (Kind::Postgres, false),
        "mysql" => (Kind::MySql, false),
        "mariadb" => (Kind::MySql, true),
        "sqlite" => (Kind::Sqlite, false),
        _ => {
            return Err(UrlError::UnsupportedScheme {
                scheme: scheme.to_string(),
                url: shown(),
            })
        }
    };
    if kind == Kind::Sqlite {
        return parse_sqlite(rest, input);
    }

    let (userinfo, after) = match userinfo_end(rest) {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let decode_part = |s: &str, part: &'static str| {
        percent_decode(s, false).ok_or_else(|| UrlError::BadEncoding { part, url: shown() })
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => {
            let (u, p) = match info.find(':') {
                Some(c) => (&info[..c], Some(&info[c + 1..])),
                None => (info, None),
            };
            let user = non_empty(decode_part(u, "user name")?);
            let password = match p {
                Some(p) => Some(decode_part(p, "password")?),
                None => None,
            };
            (user, password)
        }
    };

    let (before_query, query) = match after.find('?') {
        Some(q) => (&after[..q], Some(&after[q + 1..])),
        None => (after, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(s) => (&before_query[..s], Some(&before_query[s + 1..])),
        None => (before_query, None),
    };
    let (host, port_text) =
        split_host_port(authority).ok_or_else(|| UrlError::BadIpv6 { url: shown() })?;
    let port = match port_text {
        None | Some("") => None,
        Some(p) => Some(parse_port(p).map_err(|reason| UrlError::BadPort {
            url: shown(),
            reason,
        })?),
    };
    let host = non_empty(decode_part(host, "host")?);
    let database = match path {
        Some(p) => non_empty(decode_part(p, "database name")?),
        None => None,
    };
    let query = match query {
        Some(q) => parse_query(q).ok_or_else(|| UrlError::BadEncoding {
            part: "query",
            url: shown(),
        })?,
        None => Vec::new(),
    };
    let parsed = DbUrl {
        kind,
        user,
        password,
        host,
        port,
        database,
        sqlite_path: None,
        query,
        mariadb,
    };
    if parsed.host.is_none() {
        // A socket given as an option stands in for the host.
        let socket = match kind {
            Kind::Postgres => parsed.option("host").is_some(),
            _ => parsed.option("socket").is_some() || parsed.option("unix_socket").is_some(),
        };
        if !socket {
            return Err(UrlError::MissingHost { kind, url: shown() });
        }
    }
    Ok(parsed)
}

fn parse_sqlite(rest: &str, input: &str) -> Result<DbUrl, UrlError> {
    let (path, query) = match rest.find('?') {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    let sqlite_path = if path.is_empty() {
        None
    } else if let Some(p) = path.strip_prefix('/') {
        let decoded = percent_decode(p, false).ok_or_else(|| UrlError::BadEncoding {
            part: "path",
            url: redact(input),
        })?;
        if decoded.is_empty() || decoded == ":memory:" {
            None
        } else {
            Some(PathBuf::from(decoded))
        }
    } else {
        return Err(UrlError::SqliteHost { url: redact(input) });
    };
    let query = match query {
        Some(q) => parse_query(q).ok_or_else(|| UrlError::BadEncoding {
            part: "query",
            url: redact(input),
        })?,
        None => Vec::new(),
    };
    Ok(DbUrl {
        kind: Kind::Sqlite,
        user: None,
        password: None,
        host: None,
        port: None,
        database: None,
        sqlite_path,
        query,
        mariadb: false,
    })
}

/// `scheme://rest` → (scheme, rest) when the scheme is a plausible one.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let sep = input.find("://")?;
    let scheme = &input[..sep];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_'));
    (first_ok && rest_ok).then(|| (scheme, &input[sep + 3..]))
}

/// `host[:port]` or `[v6]:port` → (host, port text). `None` for a broken `[…]`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(inner) = authority.strip_prefix('[') {
        let close = inner.find(']')?;
        let host = &inner[..close];
        let tail = &inner[close + 1..];
        return match tail.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if tail.is_empty() => Some((host, None)),
            None => None,
        };
    }
    if authority.matches(':').count() > 1 {
        return None; // an IPv6 address without its brackets
    }
    Some(match authority.rfind(':') {
        Some(c) => (&authority[..c], Some(&authority[c + 1..])),
        None => (authority, None),
    })
}

fn parse_port(text: &str) -> Result<u16, PortProblem> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortProblem::NotANumber);
    }
    match text.parse::<u16>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(PortProblem::OutOfRange {
            port: text.to_string(),
        }),
    }
}

fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.find('=') {
            Some(e) => (&pair[..e], &pair[e + 1..]),
            None => (pair, ""),
        };
        // As SQLAlchemy (parse_qsl) does: `+` in a query means a space.
        out.push((percent_decode(k, true)?, percent_decode(v, true)?));
    }
    Some(out)
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
/// `None` when the decoded bytes are not UTF-8.
fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ok(url: &str) -> DbUrl {
        match parse(url) {
            Ok(u) => u,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn every_url_form() {
        struct Case {
            url: &'static str,
            kind: Kind,
            user: Option<&'static str>,
            password: Option<&'static str>,
            host: Option<&'static str>,
            port: Option<u16>,
            database: Option<&'static str>,
            sqlite: Option<&'static str>,
            mariadb: bool,
        }
        let pg = |url, user, password, host, port, database| Case {
            url,
            kind: Kind::Postgres,
            user,
            password,
            host,
            port,
            database,
            sqlite: None,
            mariadb: false,
        };
        let my = |url, mariadb, host: Option<&'static str>, port, database| Case {
            url,
            kind: Kind::MySql,
            user: Some("u"),
            password: Some("p"),
            host,
            port,
            database,
            sqlite: None,
            mariadb,
        };
        let lite = |url, sqlite| Case {
            url,
            kind: Kind::Sqlite,
            user: None,
            password: None,
            host: None,
            port: None,
            database: None,
            sqlite,
            mariadb: false,
        };
        let cases = vec![
            pg(
                "postgresql://u:p@host:5432/db",
                Some("u"),
                Some("p"),
                Some("host"),
                Some(5432),
                Some("db"),
            ),
            pg(
                "postgres://u:p@host/db",
                Some("u"),
                Some("p"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql+psycopg2://u:p@host:5433/db",
                Some("u"),
                Some("p"),
                Some("host"),
                Some(5433),
                Some("db"),
            ),
            pg(
                "POSTGRESQL+Asyncpg://u@host",
                Some("u"),
                None,
                Some("host"),
                None,
                None,
            ),
            pg("postgresql://host", None, None, Some("host"), None, None),
            pg("postgresql://host/", None, None, Some("host"), None, None),
            pg(
                "postgresql://u:@host/db",
                Some("u"),
                Some(""),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://:p@host/db",
                None,
                Some("p"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u:p@[::1]:5432/db",
                Some("u"),
                Some("p"),
                Some("::1"),
                Some(5432),
                Some("db"),
            ),
            pg(
                "postgresql://u:p@[::1]/db",
                Some("u"),
                Some("p"),
                Some("::1"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u%40corp:p%2Fw%3Ad%25@host/my%20db",
                Some("u@corp"),
                Some("p/w:d%"),
                Some("host"),
                None,
                Some("my db"),
            ),
            pg(
                "postgresql://u:p@ss@host/db",
                Some("u"),
                Some("p@ss"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u:pa/ss@host:5432/db",
                Some("u"),
                Some("pa/ss"),
                Some("host"),
                Some(5432),
                Some("db"),
            ),
            pg(
                "postgresql://u:12/cd@host/db",
                Some("u"),
                Some("12/cd"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u:p?x@host/db",
                Some("u"),
                Some("p?x"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u:p:q@host/db",
                Some("u"),
                Some("p:q"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u:p@host/db?application_name=a@b",
                Some("u"),
                Some("p"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://host:5432/db?application_name=a@b",
                None,
                None,
                Some("host"),
                Some(5432),
                Some("db"),
            ),
            pg(
                "postgresql://u:100%@host/db",
                Some("u"),
                Some("100%"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "  postgresql://u:p@host/db\n",
                Some("u"),
                Some("p"),
                Some("host"),
                None,
                Some("db"),
            ),
            pg(
                "postgresql://u@/db?host=/var/run/postgresql",
                Some("u"),
                None,
                None,
                None,
                Some("db"),
            ),
            pg(
                "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
                None,
                None,
                Some("/var/run/postgresql"),
                None,
                Some("db"),
            ),
            my(
                "mysql://u:p@host:3306/db",
                false,
                Some("host"),
                Some(3306),
                Some("db"),
            ),
            my(
                "mysql+pymysql://u:p@host/db",
                false,
                Some("host"),
                None,
                Some("db"),
            ),
            my(
                "mariadb://u:p@host:3307/db",
                true,
                Some("host"),
                Some(3307),
                Some("db"),
            ),
            my(
                "mariadb+mariadbconnector://u:p@host/db",
                true,
                Some("host"),
                None,
                Some("db"),
            ),
            my(
                "mysql://u:p@/db?socket=/run/mysqld/mysqld.sock",
                false,
                None,
                None,
                Some("db"),
            ),
            lite("sqlite:///relative/path.db", Some("relative/path.db")),
            lite("sqlite:///app.db", Some("app.db")),
            lite("sqlite:////absolute/path.db", Some("/absolute/path.db")),
            lite("sqlite+pysqlite:///app.db", Some("app.db")),
            lite("sqlite:///my%20app.db", Some("my app.db")),
            lite("sqlite://", None),
            lite("sqlite:///", None),
            lite("sqlite:///:memory:", None),
            lite("sqlite:///app.db?mode=ro", Some("app.db")),
        ];
        for c in cases {
            let u = ok(c.url);
            assert_eq!(u.kind, c.kind, "{}", c.url);
            assert_eq!(u.user.as_deref(), c.user, "user of {}", c.url);
            assert_eq!(u.password.as_deref(), c.password, "password of {}", c.url);
            assert_eq!(u.host.as_deref(), c.host, "host of {}", c.url);
            assert_eq!(u.port, c.port, "port of {}", c.url);
            assert_eq!(u.database.as_deref(), c.database, "database of {}", c.url);
            assert_eq!(
                u.sqlite_path.as_deref(),
                c.sqlite.map(Path::new),
                "path of {}",
                c.url
            );
            assert_eq!(u.mariadb, c.mariadb, "mariadb of {}", c.url);
        }
    }
}
