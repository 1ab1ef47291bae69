//! The `init` templates (embedded in the binary with `include_str!`) and Tera
//! rendering of new revision files and their file names.

use std::collections::BTreeMap;

/// One `init` template: its name, one-line description and files.
pub struct InitTemplate {
    pub name: &'static str,
    pub description: &'static str,
    pub migrate_toml: &'static str,
    pub script: &'static str,
    /// The URL written into migrate.toml as the default after `DATABASE_URL`.
    pub default_url: &'static str,
}

/// Every template `init -t` accepts, in the order `list-templates` shows them.
pub const TEMPLATES: &[InitTemplate] = &[
    InitTemplate {
        name: "generic",
        description: include_str!("../templates/generic/README"),
        migrate_toml: include_str!("../templates/generic/migrate.toml"),
        script: include_str!("../templates/generic/script.sql.tera"),
        default_url: "sqlite:///app.db",
    },
    InitTemplate {
        name: "postgresql",
        description: include_str!("../templates/postgresql/README"),
        migrate_toml: include_str!("../templates/postgresql/migrate.toml"),
        script: include_str!("../templates/postgresql/script.sql.tera"),
        default_url: "postgresql://postgres@localhost:5432/app",
    },
    InitTemplate {
        name: "mysql",
        description: include_str!("../templates/mysql/README"),
        migrate_toml: include_str!("../templates/mysql/migrate.toml"),
        script: include_str!("../templates/mysql/script.sql.tera"),
        default_url: "mysql://root@localhost:3306/app",
    },
];

pub fn find(name: &str) -> Option<&'static InitTemplate> {
    TEMPLATES.iter().find(|t| t.name == name)
}

impl InitTemplate {
    /// migrate.toml for a project whose script folder is `script_location` (relative to the file).
    pub fn render_config(&self, script_location: &str) -> String {
        self.migrate_toml
            .replace("@SCRIPT_LOCATION@", &script_location.replace('\\', "/"))
            .replace("@DEFAULT_URL@", self.default_url)
    }
}

/// Values a new revision file is rendered with.
#[derive(Debug, Clone, Default)]
pub struct RevisionContext {
    pub message: String,
    pub up_revision: String,
    pub down_revision: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub create_date: String,
    pub upgrades: String,
    pub downgrades: String,
    /// `-x KEY=VALUE` arguments.
    pub x: BTreeMap<String, String>,
}

/// Why a template did not render.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct TemplateError {
    pub what: String,
    pub message: String,
}

fn tera_message(e: &tera::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn render_one(name: &str, text: &str, ctx: &tera::Context) -> Result<String, TemplateError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_template(name, text)
        .map_err(|e| TemplateError {
            what: format!("template {name}"),
            message: tera_message(&e),
        })?;
    tera.render(name, ctx).map_err(|e| TemplateError {
        what: format!("rendering {name}"),
        message: tera_message(&e),
    })
}

/// Renders a revision file from the project's `script.sql.tera`.
pub fn render_revision(
    template_name: &str,
    template: &str,
    c: &RevisionContext,
) -> Result<String, TemplateError> {
    let mut ctx = tera::Context::new();
    // A message of several lines stays inside the `--` header.
    ctx.insert("message", &c.message.replace('\n', "\n-- "));
    ctx.insert("up_revision", &c.up_revision);
    ctx.insert("down_revision", &c.down_revision);
    ctx.insert("branch_labels", &c.branch_labels);
    ctx.insert("depends_on", &c.depends_on);
    ctx.insert("create_date", &c.create_date);
    ctx.insert("upgrades", &c.upgrades);
    ctx.insert("downgrades", &c.downgrades);
    ctx.insert("x", &c.x);
    render_one(template_name, template, &ctx)
}

/// Alembic's slug: the message's word characters joined by `_`, lower case,
/// cut to `truncate` characters at a `_` (then ending in `_`).
pub fn slug(message: &str, truncate: usize) -> String {
    let words: Vec<String> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let slug = words.join("_").to_lowercase();
    if slug.chars().count() > truncate {
        let cut: String = slug.chars().take(truncate).collect();
        let head = match cut.rfind('_') {
            Some(i) => &cut[..i],
            None => cut.as_str(),
        };
        format!("{head}_")
    } else {
        slug
    }
}

/// Values of the `file_template` tokens.
pub struct FileNameContext<'a> {
    pub rev: &'a str,
    pub slug: &'a str,
    pub time: chrono::NaiveDateTime,
    pub epoch: i64,
}

/// Renders `file_template` into a file name (without `.sql`).
pub fn render_file_name(
    file_template: &str,
    c: &FileNameContext<'_>,
) -> Result<String, TemplateError> {
    use chrono::{Datelike, Timelike};
    let mut ctx = tera::Context::new();
    ctx.insert("rev", c.rev);
    ctx.insert("slug", c.slug);
    ctx.insert("year", &c.time.year());
    ctx.insert("month", &format!("{:02}", c.time.month()));
    ctx.insert("day", &format!("{:02}", c.time.day()));
    ctx.insert("hour", &format!("{:02}", c.time.hour()));
    ctx.insert("minute", &format!("{:02}", c.time.minute()));
    ctx.insert("second", &format!("{:02}", c.time.second()));
    ctx.insert("epoch", &c.epoch);
    let name = render_one("file_template", file_template, &ctx)?;
    let name = name.trim().to_string();
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return Err(TemplateError {
            what: "file_template".into(),
            message: format!("gives the file name '{name}', which cannot be used; check file_template in migrate.toml"),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_follows_alembic() {
        assert_eq!(slug("add users", 40), "add_users");
        assert_eq!(slug("", 40), "");
        assert_eq!(
            slug("Add a very long message: with punctuation & ÜNICODE", 20),
            "add_a_very_long_"
        );
        assert_eq!(slug("Create  table-x!", 40), "create_table_x");
    }

    #[test]
    fn default_template_renders_the_spec_header() {
        let t = find("generic").unwrap();
        let text = render_revision(
            "script.sql.tera",
            t.script,
            &RevisionContext {
                message: "create notes table".into(),
                up_revision: "127bcea40bef".into(),
                create_date: "2026-11-22 10:41:35.468471".into(),
                down_revision: vec!["a".into(), "b".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(text.starts_with("-- create notes table\n--\n-- Revision ID: 127bcea40bef\n-- Revises: a, b\n-- Create Date: 2026-11-22 10:41:35.468471\n"));
        let parsed = crate::script::file::parse(&text).unwrap();
        assert_eq!(parsed.revises, vec!["a", "b"]);
    }

    #[test]
    fn file_names_use_tokens() {
        let time = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let c = FileNameContext {
            rev: "abc",
            slug: "add_x",
            time,
            epoch: 1,
        };
        assert_eq!(
            render_file_name("{{ year }}{{ month }}{{ day }}_{{ rev }}_{{ slug }}", &c).unwrap(),
            "20260102_abc_add_x"
        );
        assert!(render_file_name("{{ nope }}", &c).is_err());
    }
}
