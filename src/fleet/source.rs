//! Where a fleet's databases come from: `--targets NAME` (a `[targets.NAME]`
//! table of migrate.toml: `urls`, `file`, `command`, `query` on
//! `control_url`, and `schemas`), `--targets FILE` (one URL per line) or
//! `--targets -` (the same on standard input). Every URL is parsed here,
//! before anything runs, so a typo stops the fleet with the place it was
//! found (file and line, or the command or query that gave it).

use super::error::FleetError;
use crate::config::{Config, ConfigError, TargetSet};
use crate::kind::Kind;
use crate::target::Target;
use crate::url;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One database of the fleet (or one schema of a PostgreSQL database).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// The URL the run connects with (a schema's `search_path` included).
    pub url: String,
    /// The schema whose version table this target keeps (`schemas`).
    pub schema: Option<String>,
    /// What output and messages show: the URL without its password, and the schema.
    pub label: String,
}

impl Spec {
    fn database(url: String) -> Spec {
        Spec {
            label: url::redact(&url),
            url,
            schema: None,
        }
    }
}

/// Where a URL was found, for messages: `tenants.txt:3`, `command `…``.
#[derive(Clone, Debug)]
struct Origin(String);

/// What resolving needs besides the selection.
pub(crate) struct Sources<'a> {
    pub config: &'a Config,
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `--wait` for the control database.
    pub wait: Option<Duration>,
    /// Standard input, for `--targets -`.
    pub stdin: &'a mut dyn Read,
}

/// The fleet `--targets SELECTION` names, in order.
pub(crate) fn resolve(selection: &str, s: &mut Sources<'_>) -> Result<Vec<Spec>, FleetError> {
    let mut found: Vec<(Spec, Origin)> = Vec::new();
    if selection == "-" {
        let mut text = String::new();
        s.stdin
            .read_to_string(&mut text)
            .map_err(|source| FleetError::Stdin { source })?;
        lines(&text, "standard input", &mut found)?;
    } else if let Some(set) = s.config.targets.get(selection) {
        from_set(selection, set, s, &mut found)?;
    } else {
        let path = s.cwd.join(selection);
        if path.is_file() {
            let text = read(&path, None)?;
            lines(&text, &path.display().to_string(), &mut found)?;
        } else {
            return Err(FleetError::NoSuchSet {
                name: selection.to_string(),
                config: s.config.file.clone(),
                known: s.config.targets.keys().cloned().collect(),
            });
        }
    }
    if found.is_empty() {
        return Err(FleetError::Empty {
            selection: selection.to_string(),
        });
    }
    let mut seen = std::collections::HashMap::with_capacity(found.len());
    for (spec, origin) in &found {
        if let Some(first) = seen.insert(spec, origin) {
            return Err(FleetError::Twice {
                target: spec.label.clone(),
                first: first.0.clone(),
                again: origin.0.clone(),
            });
        }
    }
    Ok(found.into_iter().map(|(s, _)| s).collect())
}

fn read(path: &Path, set: Option<&str>) -> Result<String, FleetError> {
    std::fs::read_to_string(path).map_err(|source| FleetError::ReadFile {
        path: path.to_path_buf(),
        set: set.map(str::to_string),
        source,
    })
}

/// One URL per line; blank lines and `#` comments are skipped.
fn lines(text: &str, origin: &str, out: &mut Vec<(Spec, Origin)>) -> Result<(), FleetError> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        push(line, Origin(format!("{origin}:{}", n + 1)), out)?;
    }
    Ok(())
}

/// Checks that `url` parses, and adds it.
fn push(url: &str, origin: Origin, out: &mut Vec<(Spec, Origin)>) -> Result<(), FleetError> {
    url::parse(url).map_err(|e| FleetError::BadUrl {
        origin: origin.0.clone(),
        problem: url::redact(&e.to_string()),
    })?;
    out.push((Spec::database(url.to_string()), origin));
    Ok(())
}

fn from_set(
    name: &str,
    set: &TargetSet,
    s: &mut Sources<'_>,
    out: &mut Vec<(Spec, Origin)>,
) -> Result<(), FleetError> {
    let config_file = s
        .config
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from("migrate.toml"));
    let expand = |v: &crate::config::Unexpanded, key: &str| -> Result<String, FleetError> {
        v.expand(s.env).map_err(|problem| {
            FleetError::Config(ConfigError::Interpolate {
                path: config_file.clone(),
                line: v.line,
                column: v.column,
                key: format!("targets.{name}.{key}"),
                problem,
            })
        })
    };
    let place = |v: &crate::config::Unexpanded| {
        format!("{}:{}:{}", config_file.display(), v.line, v.column)
    };
    let mut bases: Vec<(Spec, Origin)> = Vec::new();
    for (i, u) in set.urls.iter().enumerate() {
        let key = format!("urls[{i}]");
        push(&expand(u, &key)?, Origin(place(u)), &mut bases)?;
    }
    if let Some(file) = set.file() {
        let text = read(file, Some(name))?;
        lines(&text, &file.display().to_string(), &mut bases)?;
    }
    if let Some(command) = &set.command {
        let text = expand(command, "command")?;
        // Messages show the command as written, never with `${VAR}`s
        // expanded: a variable may hold a password.
        let shown = url::redact(&command.raw);
        let listed = run_command(&text, &shown, &s.config.dir)?;
        lines(
            &listed,
            &format!("the output of `{shown}` ([targets.{name}] command)"),
            &mut bases,
        )?;
    }
    if let (Some(query), Some(control)) = (&set.query, &set.control_url) {
        let sql = expand(query, "query")?;
        let control_place = place(control);
        let control = expand(control, "control_url")?;
        for (n, u) in run_query(&sql, &control, &control_place, s)?
            .into_iter()
            .enumerate()
        {
            push(
                u.trim(),
                Origin(format!("row {} of `query` of [targets.{name}]", n + 1)),
                &mut bases,
            )?;
        }
    }
    if set.schemas().is_empty() {
        out.extend(bases);
        return Ok(());
    }
    if set.urls.is_empty() && set.file().is_none() && set.command.is_none() && set.query.is_none() {
        // Schemas of the configured database.
        let url = s.config.require_url().map_err(FleetError::Config)?;
        bases.push((
            Spec::database(url.to_string()),
            Origin(s.config.url_origin()),
        ));
    }
    for (base, origin) in bases {
        let parsed = url::parse(&base.url).map_err(|e| FleetError::BadUrl {
            origin: origin.0.clone(),
            problem: url::redact(&e.to_string()),
        })?;
        if parsed.kind != Kind::Postgres {
            return Err(FleetError::SchemasNeedPostgres {
                set: name.to_string(),
                target: base.label,
            });
        }
        if parsed.option("options").is_some() {
            return Err(FleetError::SchemasWithOptions {
                set: name.to_string(),
                target: base.label,
            });
        }
        for schema in set.schemas() {
            out.push((
                Spec {
                    url: with_search_path(&base.url, schema),
                    schema: Some(schema.clone()),
                    label: format!("{} schema {schema}", base.label),
                },
                Origin(format!("{} (schema {schema})", origin.0)),
            ));
        }
    }
    Ok(())
}

/// `url` with the session's `search_path` set to `schema` alone (the
/// `options` query parameter PostgreSQL reads at connection start), so a
/// revision's unqualified names are the tenant's.
fn with_search_path(url: &str, schema: &str) -> String {
    // The server splits `options` at spaces, `\` escaping one; the value is
    // a list of identifiers, quoted so that case and punctuation stay.
    let ident = format!("\"{}\"", schema.replace('"', "\"\""));
    let mut escaped = String::new();
    for c in ident.chars() {
        if c == ' ' || c == '\\' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let value = format!("-csearch_path={escaped}");
    let mut encoded = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options={encoded}")
}

/// Runs `command` with `sh -c` in `dir`; its standard output. Errors name it
/// as `shown`.
fn run_command(command: &str, shown: &str, dir: &Path) -> Result<String, FleetError> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| FleetError::CommandNotStarted {
            command: shown.to_string(),
            source,
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.trim().lines().last().unwrap_or("").to_string();
        return Err(FleetError::CommandFailed {
            command: shown.to_string(),
            status: out.status,
            stderr: url::redact(&last),
        });
    }
    String::from_utf8(out.stdout).map_err(|_| FleetError::CommandNotText {
        command: shown.to_string(),
    })
}

/// Runs `sql` on the control database (`control_url`, written at `place`);
/// the first column of every row.
fn run_query(
    sql: &str,
    control: &str,
    place: &str,
    s: &Sources<'_>,
) -> Result<Vec<String>, FleetError> {
    let target = Target::new(control, s.config, None, s.cwd).map_err(|e| FleetError::BadUrl {
        origin: place.to_string(),
        problem: url::redact(&e.to_string()),
    })?;
    let mut db = target
        .connect(s.wait, &mut |_| {})
        .map_err(|e| FleetError::Control {
            problem: url::redact(&e.message),
        })?;
    // A query the user wrote: read as text whatever its column's type.
    let rows = db.query_simple(sql).map_err(|e| FleetError::Query {
        query: sql.to_string(),
        problem: url::redact(&e.to_string()),
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .filter(|u| !u.trim().is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks_and_comments_and_name_the_line() {
        let mut out = Vec::new();
        lines(
            "# tenants\n\nsqlite:///a.db\n  sqlite:///b.db  \n",
            "t.txt",
            &mut out,
        )
        .expect("lines");
        let urls: Vec<&str> = out.iter().map(|(s, _)| s.url.as_str()).collect();
        assert_eq!(urls, ["sqlite:///a.db", "sqlite:///b.db"]);
        let e = lines("sqlite:///a.db\nnope://x\n", "t.txt", &mut Vec::new()).expect_err("bad url");
        assert!(e.to_string().starts_with("t.txt:2: "), "{e}");
    }

    #[test]
    fn a_schema_sets_the_search_path_quoted() {
        assert_eq!(
            with_search_path("postgresql://h/app", "Acme Corp"),
            "postgresql://h/app?options=-csearch_path%3D%22Acme%5C%20Corp%22"
        );
        let u = with_search_path("postgresql://h/app?sslmode=disable", "t1");
        let parsed = url::parse(&u).expect("parse");
        assert_eq!(parsed.option("options"), Some("-csearch_path=\"t1\""));
        assert_eq!(parsed.option("sslmode"), Some("disable"));
    }
}
