//! `${VAR}`, `${VAR:-default}` and `$$` in a config value: [`interpolate`]
//! and the reasons it fails ([`InterpolateError`]). Pure: the environment
//! comes in as a closure; it uses only `std` and `thiserror`.

/// Why a `${…}` reference could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InterpolateError {
    /// `${VAR}` with no default and `VAR` not set.
    #[error("the environment variable {var} is not set; set it (a .env file in the working directory counts), or give a default as in ${{{var}:-value}}")]
    Unset {
        /// The variable's name.
        var: String,
    },
    /// `${` with no matching `}`.
    #[error("`${{` at character {column} is never closed by `}}`; write ${{VAR}} or ${{VAR:-default}}, and $$ for a literal $")]
    Unclosed {
        /// 1-based character position of the `$` in the value.
        column: usize,
    },
    /// `${…}` whose name is not a variable name.
    #[error("`${{{text}}}` is not a variable reference: write ${{VAR}} or ${{VAR:-default}} with VAR made of letters, digits and _, and $$ for a literal $")]
    BadName {
        /// What stood between the braces.
        text: String,
    },
}

/// Expands `${VAR}`, `${VAR:-default}` (default when unset or empty; the default may
/// itself hold `${…}`) and `$$` (a literal `$`). Any other `$` stays as it is.
pub fn interpolate(
    s: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("$$") {
            out.push('$');
            i += 2;
            continue;
        }
        if rest.starts_with("${") {
            let column = s[..i].chars().count() + 1;
            let close = matching_brace(s, i + 2).ok_or(InterpolateError::Unclosed { column })?;
            let inner = &s[i + 2..close];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let name = &inner[..name_len];
            let tail = &inner[name_len..];
            let valid_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let default = tail.strip_prefix(":-");
            if !valid_name || (!tail.is_empty() && default.is_none()) {
                return Err(InterpolateError::BadName {
                    text: inner.to_string(),
                });
            }
            let value = match (env(name), default) {
                (Some(v), None) => v,
                (Some(v), Some(_)) if !v.is_empty() => v,
                (_, Some(d)) => interpolate(d, env)?,
                (None, None) => {
                    return Err(InterpolateError::Unset {
                        var: name.to_string(),
                    })
                }
            };
            out.push_str(&value);
            i = close + 1;
            continue;
        }
        let c = rest.chars().next().unwrap_or('\0');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    Ok(out)
}

/// The index of the `}` that closes a `${` whose body starts at `from`.
fn matching_brace(s: &str, from: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"$$") {
            i += 2;
        } else if bytes[i..].starts_with(b"${") {
            depth += 1;
            i += 2;
        } else {
            if bytes[i] == b'}' {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env::env_of;

    #[test]
    fn interpolation_table() {
        let env = env_of(&[
            ("HOST", "db"),
            ("EMPTY", ""),
            ("PORT", "5432"),
            ("NAME", "app"),
        ]);
        let cases: &[(&str, Result<&str, InterpolateError>)] = &[
            ("plain", Ok("plain")),
            ("", Ok("")),
            ("${HOST}", Ok("db")),
            ("pg://${HOST}:${PORT}/${NAME}", Ok("pg://db:5432/app")),
            ("${EMPTY}", Ok("")),
            ("${EMPTY:-fallback}", Ok("fallback")),
            ("${HOST:-fallback}", Ok("db")),
            ("${NOPE:-}", Ok("")),
            (
                "${NOPE:-postgresql://u:p@localhost:5432/db?x=1}",
                Ok("postgresql://u:p@localhost:5432/db?x=1"),
            ),
            ("${NOPE:-sqlite:///${NAME}.db}", Ok("sqlite:///app.db")),
            ("${NOPE:-${ALSO_NOPE:-a:b/c}}", Ok("a:b/c")),
            ("${NOPE:-{braces}}", Ok("{braces}")),
            ("$$", Ok("$")),
            ("$${HOST}", Ok("${HOST}")),
            ("pa$$word", Ok("pa$word")),
            ("cost $5 and $", Ok("cost $5 and $")),
            ("naïve ${HOST} é", Ok("naïve db é")),
            (
                "${NOPE}",
                Err(InterpolateError::Unset { var: "NOPE".into() }),
            ),
            (
                "x ${NOPE:-${INNER}}",
                Err(InterpolateError::Unset {
                    var: "INNER".into(),
                }),
            ),
            ("ab${HOST", Err(InterpolateError::Unclosed { column: 3 })),
            (
                "${}",
                Err(InterpolateError::BadName {
                    text: String::new(),
                }),
            ),
            (
                "${1X}",
                Err(InterpolateError::BadName { text: "1X".into() }),
            ),
            (
                "${A B}",
                Err(InterpolateError::BadName { text: "A B".into() }),
            ),
            (
                "${HOST-x}",
                Err(InterpolateError::BadName {
                    text: "HOST-x".into(),
                }),
            ),
        ];
        for (input, want) in cases {
            let got = interpolate(input, &env);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "{input:?}"
            );
        }
        let msg = InterpolateError::Unset { var: "DB".into() }.to_string();
        assert!(
            msg.contains("DB is not set") && msg.contains("${DB:-value}"),
            "{msg}"
        );
    }
}
