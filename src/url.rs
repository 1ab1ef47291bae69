//! Database URLs: parsing SQLAlchemy-style URLs into a typed [`DbUrl`], and
//! [`redact`], the one place that knows how to hide a password in text.
//!
//! Pure: no I/O, no environment, no clock. A URL is
//! `scheme[+driver]://[user[:password]@]host[:port][/database][?key=value&…]`
//! for PostgreSQL and MySQL/MariaDB, and `sqlite:///relative.db`,
//! `sqlite:////absolute.db` or `sqlite://` (in memory) for SQLite, so that a URL
//! from an `alembic.ini` can be pasted unchanged. Query options are kept as
//! given (decoded, in order); the dialect decides what they mean. Every error
//! and every `Display`/`Debug` form shows the URL with its password as `***`.

use std::fmt;
use std::path::{Path, PathBuf};

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
    #[error("no host in `{url}`: a {kind} URL needs one, as in {example}")]
    MissingHost {
        /// The database the scheme named.
        kind: Kind,
        /// The input, redacted.
        url: String,
        /// What a correct URL looks like, with the socket alternative.
        example: &'static str,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("bad port in `{url}`: {reason}; write a number from 1 to 65535 after the host, as in localhost:5432")]
    BadPort {
        /// The input, redacted.
        url: String,
        /// What is wrong (never echoes non-numeric text, which may be a password).
        reason: String,
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

/// Parses a database URL (see the module docs for the forms).
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
            let example = match kind {
                Kind::Postgres => "postgresql://user:password@localhost:5432/app (or postgresql://user@/app?host=/var/run/postgresql for a Unix socket)",
                _ => "mysql://user:password@localhost:3306/app (or mysql://user@/app?socket=/run/mysqld/mysqld.sock for a Unix socket)",
            };
            return Err(UrlError::MissingHost {
                kind,
                url: shown(),
                example,
            });
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

/// Where the user info ends in the text after `scheme://`: the index of its `@`.
///
/// Passwords often hold a raw `@`, `/`, `?` or `:` that their owner did not
/// percent-encode; hosts never do. So the user info ends at the last `@` before
/// the query (a `?` that follows the first `@`), and it must look like user
/// info: no `/` or `?` in the user name, and not `host:port/…?…@…` (an `@`
/// that belongs to the query).
fn userinfo_end(rest: &str) -> Option<usize> {
    let first_at = rest.find('@')?;
    let limit = rest[first_at..]
        .find('?')
        .map_or(rest.len(), |o| first_at + o);
    let at = rest[..limit].rfind('@')?;
    let info = &rest[..at];
    let user = match info.find(':') {
        Some(c) => &info[..c],
        None => info,
    };
    if user.contains(['/', '?']) {
        return None;
    }
    if let Some(c) = info.find(':') {
        let after_colon = &rest[c + 1..];
        let port_end = after_colon.find(['/', '?']).unwrap_or(after_colon.len());
        let looks_like_port =
            port_end > 0 && after_colon[..port_end].bytes().all(|b| b.is_ascii_digit());
        let query_before_at = rest[..at].contains('?');
        if looks_like_port && port_end < after_colon.len() && query_before_at {
            return None;
        }
    }
    Some(at)
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

fn parse_port(text: &str) -> Result<u16, String> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        // Not echoed: after `user:` with no `@`, this is likely a password.
        return Err(
            "the port is not a number (or the `@host` after a password is missing)".to_string(),
        );
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => {
            u16::try_from(n).map_err(|_| format!("{text} is out of range"))
        }
        _ => Err(format!("{text} is not between 1 and 65535")),
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

/// Replaces every password in `text` with `***`.
///
/// Works on any text: a URL, a malformed URL, or URLs inside a longer message
/// (a driver's error, a log line). It hides the part between `user:` and `@`
/// in `scheme://user:password@host…` (also when the password holds raw `@`,
/// `/`, `?`, `:` or spaces), in scheme-less `user:password@host`, and the
/// value of `password=` options (`?password=…`, `password=… host=…`). When in
/// doubt it hides more rather than less. Never panics.
pub fn redact(text: &str) -> String {
    let step1 = redact_urls(text);
    let step2 = redact_bare_userinfo(&step1);
    redact_password_options(&step2)
}

/// `scheme://user:password@…` anywhere in `text`.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let rest_start = search + found + 3;
        // A URL ends at whitespace, or where the next `scheme://` begins.
        let mut tok_end = text[rest_start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |o| rest_start + o);
        if let Some(o) = text[rest_start..tok_end].find("://") {
            let next_sep = rest_start + o;
            let scheme_start = text[..next_sep]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_')))
                .map_or(0, |i| after_char_at(text, i));
            tok_end = scheme_start.max(rest_start);
        }
        let line_end = text[rest_start..]
            .find('\n')
            .map_or(text.len(), |o| rest_start + o);
        search = rest_start;
        if let Some((a, b)) = url_password_span(text, rest_start, tok_end, line_end) {
            if a >= copied {
                out.push_str(&text[copied..a]);
                out.push_str("***");
                copied = b;
                search = search.max(b);
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte range of the password in the URL whose `scheme://` ends at `rs`.
fn url_password_span(
    text: &str,
    rs: usize,
    tok_end: usize,
    line_end: usize,
) -> Option<(usize, usize)> {
    let token = &text[rs..tok_end];
    if let Some(at) = userinfo_end(token) {
        let colon = token[..at].find(':')?;
        return (colon + 1 < at).then_some((rs + colon + 1, rs + at));
    }
    // No user info inside the token. `user:secret` with no `@` in the token
    // is a password that holds a space, or a URL with no host: hide it.
    let auth_end = token.find(['/', '?']).unwrap_or(token.len());
    let auth = &token[..auth_end];
    if auth.starts_with('[') {
        return None;
    }
    let colon = auth.find(':')?;
    let after = &auth[colon + 1..];
    if after.is_empty() || after.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let start = rs + colon + 1;
    match text[start..line_end].find('@') {
        Some(o) => Some((start, start + o)),
        None => Some((start, rs + auth_end)),
    }
}

/// The index just past the character that starts at byte `i` of `s`.
fn after_char_at(s: &str, i: usize) -> usize {
    i + s[i..].chars().next().map_or(1, char::len_utf8)
}

/// `user:password@host` without a scheme, as a whitespace-separated word.
fn redact_bare_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut pos = 0;
    while pos < text.len() {
        let Some(start) = text[pos..]
            .find(|c: char| !c.is_whitespace())
            .map(|o| pos + o)
        else {
            break;
        };
        let end = text[start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |o| start + o);
        let word = &text[start..end];
        if !word.contains("://") {
            if let Some(at) = word
                .rfind('@')
                .filter(|&at| !is_revision_target(&word[at + 1..]))
            {
                if let Some(colon) = word[..at].find(':') {
                    let secret = &word[colon + 1..at];
                    if !secret.is_empty() && secret != "***" {
                        out.push_str(&text[copied..start + colon + 1]);
                        out.push_str("***");
                        copied = start + at;
                    }
                }
            }
        }
        pos = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether the text after an `@` reads as Alembic's target grammar
/// (`label@head`, `label@base`, `label@+2`, `FROM:label@head`) rather than a host.
fn is_revision_target(after_at: &str) -> bool {
    if after_at.starts_with(['+', '-']) {
        return true;
    }
    let name_end = after_at
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after_at.len());
    let next = after_at[name_end..].chars().next();
    matches!(&after_at[..name_end], "head" | "heads" | "base")
        && !matches!(next, Some('.' | ':' | '/' | '-'))
}

/// `password=VALUE` (and `sslpassword=`, …) after `?`, `&`, `;`, whitespace or at the start.
fn redact_password_options(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("password=") {
        let key_end = search + found + "password".len();
        let value_start = key_end + 1;
        search = value_start;
        // Walk back over the key's own letters (`sslpassword`) to its start.
        let key_start = lower[..key_end]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| after_char_at(&lower, i));
        let before_ok = key_start == 0
            || lower[..key_start].chars().next_back().is_some_and(|c| {
                c.is_whitespace() || matches!(c, '?' | '&' | ';' | ',' | '"' | '\'' | '(')
            });
        if !before_ok || value_start < copied {
            continue;
        }
        let rest = &text[value_start..];
        let value_len = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => rest[1..].find(q).map_or(rest.len(), |o| o + 2),
            _ => rest
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | ','))
                .unwrap_or(rest.len()),
        };
        if value_len == 0 || &rest[..value_len] == "***" {
            continue;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str("***");
        copied = value_start + value_len;
        search = copied;
    }
    out.push_str(&text[copied..]);
    out
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

    #[test]
    fn redact_table() {
        let cases = [
            (
                "postgresql://u:p@host:5432/db",
                "postgresql://u:***@host:5432/db",
            ),
            ("postgresql://u@host/db", "postgresql://u@host/db"),
            ("postgresql://host:5432/db", "postgresql://host:5432/db"),
            ("postgresql://u:@host/db", "postgresql://u:@host/db"),
            ("sqlite:///app.db", "sqlite:///app.db"),
            ("sqlite://", "sqlite://"),
            ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),
            (
                "postgresql://u:p:a:ss@host/db",
                "postgresql://u:***@host/db",
            ),
            (
                "postgresql://u:pa/ss@host:5432/db",
                "postgresql://u:***@host:5432/db",
            ),
            (
                "postgresql://u:p@ss/x@host/db",
                "postgresql://u:***@host/db",
            ),
            ("postgresql://u:12/cd@host/db", "postgresql://u:***@host/db"),
            ("postgresql://u:p?x@host/db", "postgresql://u:***@host/db"),
            (
                "postgresql://u:p%40ss%2F@host/db",
                "postgresql://u:***@host/db",
            ),
            ("postgresql://u:pa ss@host/db", "postgresql://u:***@host/db"),
            (
                "postgresql://u:p@host/db?application_name=a@b",
                "postgresql://u:***@host/db?application_name=a@b",
            ),
            (
                "postgresql://host:5432/db?application_name=a@b",
                "postgresql://host:5432/db?application_name=a@b",
            ),
            (
                "postgresql://u:p@[::1]:5432/db",
                "postgresql://u:***@[::1]:5432/db",
            ),
            ("postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db"),
            ("postgresql://u:secret", "postgresql://u:***"),
            ("postgresql://u:secret/db", "postgresql://u:***/db"),
            ("postgresql:/u:secret@host/db", "postgresql:***@host/db"),
            ("u:secret@host/db", "u:***@host/db"),
            (
                "postgresql://h/db?user=u&password=secret&sslmode=require",
                "postgresql://h/db?user=u&password=***&sslmode=require",
            ),
            (
                "host=h user=u password=secret dbname=d",
                "host=h user=u password=*** dbname=d",
            ),
            (
                "host=h password='se cret' dbname=d",
                "host=h password=*** dbname=d",
            ),
            ("sslpassword=secret", "sslpassword=***"),
            (
                "error: could not connect to postgresql://u:secret@db:5432/app: connection refused",
                "error: could not connect to postgresql://u:***@db:5432/app: connection refused",
            ),
            (
                "tried mysql://a:one@h1/db and 'postgres://b:two@h2/db'",
                "tried mysql://a:***@h1/db and 'postgres://b:***@h2/db'",
            ),
            ("a://u:one@h,b://v:two@k", "a://u:***@h,b://v:***@k"),
            // Alembic's target grammar is not user:password@host.
            (
                "history -r base:mybranch@head failed",
                "history -r base:mybranch@head failed",
            ),
            ("'ae10:feature@+2'", "'ae10:feature@+2'"),
            ("ae10:feature@heads,", "ae10:feature@heads,"),
            ("u:p@headquarters.corp/db", "u:***@headquarters.corp/db"),
            ("u:p@base-db:5432/app", "u:***@base-db:5432/app"),
            (
                "FATAL: role \"x\" does not exist",
                "FATAL: role \"x\" does not exist",
            ),
            ("no url here: just text", "no url here: just text"),
            ("", ""),
            ("://", "://"),
            (":@", ":@"),
            ("postgresql://u:p", "postgresql://u:***"),
            ("postgresql://é:ü@h/ä", "postgresql://é:***@h/ä"),
            ("x://@@@:::", "x://@@@:::"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "redact({input:?})");
        }
    }

    #[test]
    fn redact_never_panics_and_hides_every_password() {
        let pieces = [
            "postgresql://",
            "u",
            ":",
            "pw",
            "@",
            "/",
            "?",
            "[",
            "]",
            " ",
            "é",
            "%",
            "password=",
            "&",
            "\n",
            "'",
        ];
        // Every sequence of up to 4 pieces: exercises slicing at odd places.
        let mut stack: Vec<String> = vec![String::new()];
        let mut n = 0;
        while let Some(s) = stack.pop() {
            let _ = redact(&s);
            let _ = parse(&s);
            n += 1;
            if s.len() < 24 && n < 80_000 {
                for p in pieces {
                    stack.push(format!("{s}{p}"));
                }
            }
        }
        for url in [
            "postgresql://admin:Sup3r$ecret@db.internal:5432/app",
            "mysql://root:Sup3r$ecret@127.0.0.1/app?ssl-mode=REQUIRED",
            "mariadb://root:Sup3r$ecret@[fe80::1]:3306/app",
        ] {
            let u = ok(url);
            for shown in [redact(url), u.to_string(), format!("{u:?}")] {
                assert!(!shown.contains("Sup3r"), "{shown}");
                assert!(shown.contains("***"), "{shown}");
            }
        }
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
