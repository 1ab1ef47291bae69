//! `.env`: the variables of the working directory's `.env` file, which never
//! override the real environment. [`read_dotenv`] reads the file (I/O);
//! [`with_dotenv`] layers it under an environment lookup (pure);
//! [`load_dotenv`] sets the missing ones in the process environment (the
//! binary calls it once at start). Uses `std`, `dotenvy` and the config
//! module's errors and positions.

use std::io;
use std::path::Path;

use super::reader::line_col;
use super::ConfigError;

/// The variables of `<cwd>/.env`, first occurrence winning; empty without the file.
pub fn read_dotenv(cwd: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let path = cwd.join(".env");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut vars: Vec<(String, String)> = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((k, v)) => {
                if !vars.iter().any(|(seen, _)| *seen == k) {
                    vars.push((k, v));
                }
            }
            Err(dotenvy::Error::LineParse(line, index)) => {
                let (line, column) = dotenv_position(text, &line, index);
                return Err(ConfigError::Dotenv { path, line, column });
            }
            Err(dotenvy::Error::Io(source)) => return Err(ConfigError::Read { path, source }),
            Err(other) => {
                return Err(ConfigError::Read {
                    path,
                    source: io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
                })
            }
        }
    }
    Ok(vars)
}

/// Where dotenvy's failing logical line (and the byte `index` in it) is in `text`.
fn dotenv_position(text: &str, logical: &str, index: usize) -> (usize, usize) {
    let first = logical.lines().next().unwrap_or("");
    let start = text
        .match_indices(first)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text[..i].ends_with('\n'))
        .unwrap_or(0);
    // dotenvy reports a quote left open with the index just past the end of
    // the text; point at the quote instead, where the mistake is.
    let in_line = if index >= logical.len() {
        first.find(['"', '\'']).unwrap_or(0)
    } else {
        index
    };
    line_col(text, (start + in_line).min(text.len()))
}

/// An environment lookup that sees the real environment first, then `.env`'s
/// variables (so `.env` never overrides a real variable).
pub fn with_dotenv<'a>(
    dotenv: &'a [(String, String)],
    env: &'a dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        env(name).or_else(|| {
            dotenv
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }
}

/// Loads `<cwd>/.env` into the process environment, never overriding a
/// variable that is already set. No file is fine; a malformed one is an error
/// with its line.
pub fn load_dotenv(cwd: &Path) -> Result<(), ConfigError> {
    for (k, v) in read_dotenv(cwd)? {
        if std::env::var_os(&k).is_none() {
            std::env::set_var(k, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env::{env_of, no_env};
    use crate::config::{load, LoadOptions, UrlSource};

    #[test]
    fn dotenv_is_read_and_never_overrides_the_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(".env"),
            "# comment\nDATABASE_URL=sqlite:///dotenv.db\nexport ONLY_IN_DOTENV=\"quoted value\"\nDATABASE_URL=sqlite:///second.db\n",
        )
        .expect("write .env");
        let vars = read_dotenv(dir.path()).expect("read .env");
        assert_eq!(
            vars,
            vec![
                (
                    "DATABASE_URL".to_string(),
                    "sqlite:///dotenv.db".to_string()
                ),
                ("ONLY_IN_DOTENV".to_string(), "quoted value".to_string()),
            ]
        );
        let real = env_of(&[("DATABASE_URL", "sqlite:///real.db")]);
        let env = with_dotenv(&vars, &real);
        assert_eq!(env("DATABASE_URL").as_deref(), Some("sqlite:///real.db"));
        assert_eq!(env("ONLY_IN_DOTENV").as_deref(), Some("quoted value"));
        assert_eq!(env("NEITHER"), None);
        // And through load: the real DATABASE_URL wins over .env's.
        let c = load(&LoadOptions::default(), dir.path(), &env).expect("load");
        assert_eq!(
            (c.url.as_deref(), c.url_source),
            (Some("sqlite:///real.db"), UrlSource::Env)
        );
        let env_without = with_dotenv(&vars, &no_env);
        let c = load(&LoadOptions::default(), dir.path(), &env_without).expect("load");
        assert_eq!(c.url.as_deref(), Some("sqlite:///dotenv.db"));
        // No .env at all is fine.
        let empty = tempfile::tempdir().expect("temp dir");
        assert_eq!(read_dotenv(empty.path()).expect("no .env"), vec![]);
    }

    #[test]
    fn load_dotenv_sets_only_unset_process_variables() {
        // Names unique to this test, so parallel tests are not affected.
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(".env"),
            "MIGRATE_CFG_TEST_PRESET=from_dotenv\nMIGRATE_CFG_TEST_NEW=from_dotenv\n",
        )
        .expect("write .env");
        std::env::set_var("MIGRATE_CFG_TEST_PRESET", "real");
        load_dotenv(dir.path()).expect("load .env");
        assert_eq!(
            std::env::var("MIGRATE_CFG_TEST_PRESET").as_deref(),
            Ok("real")
        );
        assert_eq!(
            std::env::var("MIGRATE_CFG_TEST_NEW").as_deref(),
            Ok("from_dotenv")
        );
    }

    #[test]
    fn malformed_dotenv_names_its_line() {
        let cases = [
            ("A=1\nB=2\nnot a valid line\n", 3),
            ("A=1\n\n# c\nBAD KEY=1\n", 4),
            ("A=1\nB=\"never closed\nC=3\n", 2),
            ("A=1\nB='never closed", 2),
        ];
        for (text, line) in cases {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join(".env"), text).expect("write .env");
            let e = read_dotenv(dir.path()).expect_err("malformed");
            assert!(
                matches!(e, ConfigError::Dotenv { line: l, .. } if l == line),
                "{text:?}: {e:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&format!(".env:{line}:")) && msg.contains("KEY=VALUE"),
                "{msg}"
            );
            assert!(load_dotenv(dir.path()).is_err());
        }
    }
}
