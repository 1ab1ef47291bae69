//! Taking over an Alembic project (`migrate import alembic`): what Alembic
//! says about the project, as the helper script reports it, and the pure
//! conversion of that into `migrate`'s files (`migrate.toml`, revision
//! files). Running the helper with the project's Python is `python`; the
//! command that writes the files is `command::import`.
//!
//! The SQL of each revision is Alembic's own: the helper (`alembic_helper.py`,
//! shipped in the binary) renders each `upgrade()` and `downgrade()` in
//! Alembic's offline mode, or on SQLite, where `batch_alter_table` must read
//! the live table, runs it on a scratch database that holds its ancestors'
//! schema and keeps the statements it executes. What cannot be rendered is
//! written with a `-- migrate:todo` marker and its Python source.

mod error;
pub mod python;

pub use error::ImportError;

use crate::script::marker::TODO;
use serde::Deserialize;

/// The helper script, run as `python - ARGS` with this on stdin.
pub const HELPER: &str = include_str!("alembic_helper.py");

/// An Alembic project as its own code reads it.
#[derive(Debug, Deserialize)]
pub struct AlembicProject {
    /// Alembic's version.
    pub alembic: String,
    /// SQLAlchemy's version.
    pub sqlalchemy: String,
    /// The interpreter that ran the helper.
    pub python: String,
    /// The dialect the SQL was rendered for.
    pub dialect: String,
    /// `sqlalchemy.url`, interpolated (`%(here)s`) as Alembic reads it.
    pub url: Option<String>,
    /// `file_template`, interpolated (`%(rev)s` style).
    pub file_template: Option<String>,
    pub truncate_slug_length: Option<String>,
    /// Every revision, base first, each after the revisions it stands on.
    pub revisions: Vec<AlembicRevision>,
}

/// One Python revision.
#[derive(Debug, Deserialize)]
pub struct AlembicRevision {
    pub revision: String,
    pub down_revision: Vec<String>,
    pub branch_labels: Vec<String>,
    /// Resolved to revision ids.
    pub depends_on: Vec<String>,
    pub message: String,
    pub create_date: Option<String>,
    /// The `.py` file.
    pub path: String,
    pub upgrade: Rendered,
    pub downgrade: Rendered,
}

/// One function of a revision, rendered (or not).
#[derive(Debug, Deserialize)]
pub struct Rendered {
    /// `offline`, or `scratch` (run on a scratch SQLite database).
    pub how: String,
    pub statements: Vec<String>,
    /// Why it could not be rendered.
    pub todo: Option<String>,
    /// The function's Python source, and its first line in the file.
    pub source: Option<String>,
    pub line: usize,
    /// It used `autocommit_block()`: its SQL runs outside a transaction.
    #[serde(default)]
    pub autocommit: bool,
}

impl AlembicRevision {
    /// The file stem `migrate` gives the converted revision: the Python
    /// file's own (`1975ea83b712_add_users.py` → `1975ea83b712_add_users`).
    pub fn stem(&self) -> String {
        let name = std::path::Path::new(&self.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.is_empty() {
            self.revision.clone()
        } else {
            name
        }
    }
}

/// The text of one section of the converted revision: the statements, or
/// for a function that could not be rendered, the `-- migrate:todo` marker,
/// the way out and the Python source quoted in comments. `shown_path` is the
/// Python file as the comment names it.
pub fn section_text(r: &Rendered, function: &str, shown_path: &str) -> String {
    let Some(why) = &r.todo else {
        let mut out = String::new();
        for s in &r.statements {
            let s = s.replace('\t', "    ");
            out.push_str(s.trim_end());
            out.push('\n');
            if s.trim_end().contains('\n') {
                out.push('\n');
            }
        }
        return out.trim_end().to_string();
    };
    let why = why.replace(['\n', '\r'], " ");
    let mut out = format!(
        "-- migrate:{TODO} {function}() of {shown_path}:{} was not converted: {why}\n",
        r.line
    );
    out.push_str(
        "-- Write this section's SQL by hand, then delete the line above; until then\n\
         -- `migrate` refuses to run this section, and `migrate check` reports it.\n",
    );
    if let Some(src) = &r.source {
        out.push_str("-- The Alembic source:\n");
        for line in src.lines() {
            out.push_str("--     ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// `text` (a rendered revision file) with `-- Transactional: false` as the
/// last line of its header (the leading run of `--` lines).
pub fn non_transactional(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 28);
    let mut done = false;
    for line in text.split_inclusive('\n') {
        if !done && !line.trim_start().starts_with("--") {
            out.push_str("-- Transactional: false\n");
            done = true;
        }
        out.push_str(line);
    }
    out
}

/// Alembic's `file_template` (`%(rev)s_%(slug)s`, with `%(year)d`,
/// `%(month).2d`, …) as `migrate`'s Tera template; None when it uses
/// something `migrate` has no token for.
pub fn file_template(alembic: &str) -> Option<String> {
    const TOKENS: [&str; 9] = [
        "rev", "slug", "year", "month", "day", "hour", "minute", "second", "epoch",
    ];
    let mut out = String::new();
    let mut rest = alembic;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(r) = rest.strip_prefix('%') {
            out.push('%');
            rest = r;
            continue;
        }
        let r = rest.strip_prefix('(')?;
        let close = r.find(')')?;
        let name = &r[..close];
        if !TOKENS.contains(&name) {
            return None;
        }
        // The conversion: flags, width and precision, then s or d.
        let spec_end = r[close + 1..].find(|c: char| c.is_ascii_alphabetic())? + close + 1;
        let spec = &r[close + 1..spec_end];
        let conv = r[spec_end..].chars().next()?;
        if !matches!(conv, 's' | 'd') {
            return None;
        }
        let padded = matches!(spec, ".2" | "02");
        let two_digit = matches!(name, "month" | "day" | "hour" | "minute" | "second");
        match (spec, two_digit, padded) {
            ("", false, _) => out.push_str(&format!("{{{{ {name} }}}}")),
            (_, true, true) => out.push_str(&format!("{{{{ {name} }}}}")),
            ("", true, false) => out.push_str(&format!("{{{{ {name} | int }}}}")),
            _ => return None,
        }
        rest = &r[spec_end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `s` as a TOML basic string, quotes included.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What `migrate.toml` of the converted project holds.
pub struct NewConfig<'a> {
    /// The script folder, relative to `migrate.toml`.
    pub script_location: &'a str,
    pub url: Option<&'a str>,
    pub version_table: &'a str,
    pub version_table_schema: Option<&'a str>,
    /// Already converted to `migrate`'s tokens.
    pub file_template: &'a str,
    pub truncate_slug_length: Option<u32>,
    /// The `alembic.ini` it came from, for the comment at the top.
    pub from: &'a str,
}

/// `migrate.toml` for the converted project.
pub fn render_config(c: &NewConfig<'_>) -> String {
    let mut out = format!(
        "# migrate.toml: written by `migrate import alembic` from {}.\n\
         # Every key is described in the migrate.toml of `migrate init`.\n\
         [migrate]\n\
         script_location = {}\n",
        c.from.replace('\n', " "),
        toml_string(c.script_location)
    );
    // `${VAR}` in the file is expanded; a literal `$` in the URL must not be.
    let url = match c.url {
        Some(u) if !u.trim().is_empty() => {
            format!("${{DATABASE_URL:-{}}}", u.replace('$', "$$"))
        }
        _ => "${DATABASE_URL}".to_string(),
    };
    out.push_str(&format!("url = {}\n", toml_string(&url)));
    out.push_str(&format!(
        "version_table = {}\n",
        toml_string(c.version_table)
    ));
    match c.version_table_schema {
        Some(s) => out.push_str(&format!("version_table_schema = {}\n", toml_string(s))),
        None => out.push_str("# version_table_schema = \"public\"\n"),
    }
    out.push_str(&format!(
        "file_template = {}\n",
        toml_string(c.file_template)
    ));
    if let Some(n) = c.truncate_slug_length {
        out.push_str(&format!("truncate_slug_length = {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_templates_convert_to_tera_tokens() {
        assert_eq!(
            file_template("%(rev)s_%(slug)s").as_deref(),
            Some("{{ rev }}_{{ slug }}")
        );
        assert_eq!(
            file_template("%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s").as_deref(),
            Some("{{ year }}{{ month }}{{ day }}_{{ rev }}_{{ slug }}")
        );
        assert_eq!(
            file_template("%(epoch)s_%(hour)d-100%%").as_deref(),
            Some("{{ epoch }}_{{ hour | int }}-100%")
        );
        assert_eq!(file_template("%(nope)s"), None);
        assert_eq!(file_template("%(rev)r"), None);
        assert_eq!(file_template("%(rev"), None);
        assert_eq!(file_template("%(month)5d"), None);
    }

    #[test]
    fn non_transactional_goes_at_the_end_of_the_header() {
        let text = "-- m\n-- Revision ID: a1\n\n-- migrate:upgrade\nX;\n\n-- migrate:downgrade\n";
        let t = non_transactional(text);
        assert!(
            t.starts_with("-- m\n-- Revision ID: a1\n-- Transactional: false\n\n"),
            "{t}"
        );
        assert!(!crate::script::file::parse(&t).unwrap().transactional);
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        let parsed: toml::Table =
            toml::from_str(&format!("k = {}", toml_string("p@ss\"w\\rd\u{1}"))).unwrap();
        assert_eq!(parsed["k"].as_str(), Some("p@ss\"w\\rd\u{1}"));
    }

    #[test]
    fn the_config_carries_the_url_and_version_table_and_parses() {
        let text = render_config(&NewConfig {
            script_location: "migrate",
            url: Some("postgresql://app:pa$s@db/app"),
            version_table: "alembic_version",
            version_table_schema: Some("audit"),
            file_template: "{{ rev }}_{{ slug }}",
            truncate_slug_length: Some(30),
            from: "alembic.ini",
        });
        let t: toml::Table = toml::from_str(&text).unwrap();
        let m = t["migrate"].as_table().unwrap();
        assert_eq!(
            m["url"].as_str(),
            Some("${DATABASE_URL:-postgresql://app:pa$$s@db/app}")
        );
        assert_eq!(m["version_table_schema"].as_str(), Some("audit"));
        assert_eq!(m["truncate_slug_length"].as_integer(), Some(30));
    }

    #[test]
    fn a_todo_section_quotes_the_source_behind_the_marker() {
        let r = Rendered {
            how: "offline".into(),
            statements: vec![],
            todo: Some("it calls op.get_bind()".into()),
            source: Some("def upgrade():\n    conn = op.get_bind()\n".into()),
            line: 17,
            autocommit: false,
        };
        let text = section_text(&r, "upgrade", "alembic/versions/x.py");
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            "-- migrate:todo upgrade() of alembic/versions/x.py:17 was not converted: it calls op.get_bind()"
        );
        assert!(text.contains("--         conn = op.get_bind()"));
        assert!(text.lines().all(|l| l.starts_with("--")));
    }
}
