//! [`redact`]: every password in a text replaced by `***`, in URLs, in
//! scheme-less `user:password@host` and in `password=` options. Pure; it uses
//! `std` only. Where a URL's user info ends ([`userinfo_end`]) is answered
//! here, for the parser too.

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

/// Where the user info ends in the text after `scheme://`: the index of its `@`.
///
/// Passwords often hold a raw `@`, `/`, `?` or `:` that their owner did not
/// percent-encode; hosts never do. So the user info ends at the last `@` before
/// the query (a `?` that follows the first `@`), and it must look like user
/// info: no `/` or `?` in the user name, and not `host:port/…?…@…` (an `@`
/// that belongs to the query).
pub(super) fn userinfo_end(rest: &str) -> Option<usize> {
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
                        out.push_str(&text[copied..=(start + colon)]);
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
    use crate::url::{parse, DbUrl};

    fn ok(url: &str) -> DbUrl {
        match parse(url) {
            Ok(u) => u,
            Err(e) => panic!("{url}: {e}"),
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
}
