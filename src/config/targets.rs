//! `[targets.NAME]`: a named set of databases (a fleet) that `--targets NAME`
//! runs a command on. Its keys are declared here and the table in `tables`,
//! as the other tables are (see `reader`); the values are kept as written, with their places, and expanded (`${VAR}`)
//! only when the set is used, so that a variable a set needs does not have
//! to be set for every other command. Where the set's databases come from
//! (reading the file, running the command or the query) is `crate::fleet`'s
//! work; this module only checks what can be checked in the file itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, SetProblem};
use super::reader::{Key, List, Take, Unexpanded};

/// One `[targets.NAME]` table as written.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TargetSet {
    /// `urls = [...]`.
    pub(crate) urls: Vec<Unexpanded>,
    /// `file = "tenants.txt"`, relative to the config file's folder.
    pub(crate) file: Option<PathBuf>,
    /// `command = "…"`: a shell command whose output lists URLs.
    pub(crate) command: Option<Unexpanded>,
    /// `query = "…"`: run on `control_url`; its first column lists URLs.
    pub(crate) query: Option<Unexpanded>,
    /// `control_url`: the database `query` runs on.
    pub(crate) control_url: Option<Unexpanded>,
    /// `schemas = [...]`: PostgreSQL schemas, each a target of its own in
    /// every database of the set (or in the configured database).
    pub(crate) schemas: Vec<String>,
}

impl fmt::Debug for TargetSet {
    // URLs as written may hold a password: `Unexpanded`'s Debug hides it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetSet")
            .field("urls", &self.urls)
            .field("file", &self.file)
            .field("command", &self.command.as_ref().map(|c| &c.raw))
            .field("query", &self.query.as_ref().map(|q| &q.raw))
            .field("control_url", &self.control_url)
            .field("schemas", &self.schemas)
            .finish()
    }
}

impl TargetSet {
    /// The schemas of the set (PostgreSQL), in order.
    pub fn schemas(&self) -> &[String] {
        &self.schemas
    }

    /// The file of URLs, if the set has one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

/// The `[targets.NAME]` tables of the file, by name.
pub type TargetSets = BTreeMap<String, TargetSet>;

/// `urls`: database URLs.
const URLS: List = List {
    expected: "an array of database URLs",
    item: "a string (a database URL)",
    noun: "database",
    default: "no URL",
    one_allowed: false,
};

/// `schemas`: PostgreSQL schema names.
const SCHEMAS: List = List {
    expected: "an array of schema names",
    item: "a string (a schema name)",
    noun: "schema",
    default: "the database's default schema",
    one_allowed: false,
};

/// The keys of a `[targets.NAME]` table.
pub(super) const TARGET_KEYS: &[Key<TargetSet>] = &[
    Key {
        name: "urls",
        take: Take::Urls(URLS, |t, v| t.urls = v),
    },
    Key {
        name: "file",
        take: Take::Path(|t, v| t.file = Some(v)),
    },
    Key {
        name: "command",
        take: Take::Url(|t, v| t.command = Some(v)),
    },
    Key {
        name: "query",
        take: Take::Url(|t, v| t.query = Some(v)),
    },
    Key {
        name: "control_url",
        take: Take::Url(|t, v| t.control_url = Some(v)),
    },
    Key {
        name: "schemas",
        take: Take::Texts(SCHEMAS, |t, v| t.schemas = v),
    },
];

/// Checks what the keys of each set say together; the place named is the
/// key that is wrong or alone.
pub(super) fn validate(sets: &TargetSets, path: &Path) -> Result<(), ConfigError> {
    let at = |set: &str, v: &Unexpanded, problem: SetProblem| ConfigError::TargetSet {
        path: path.to_path_buf(),
        line: v.line,
        column: v.column,
        set: set.to_string(),
        problem,
    };
    for (name, set) in sets {
        match (&set.query, &set.control_url) {
            (Some(q), None) => return Err(at(name, q, SetProblem::QueryWithoutControl)),
            (None, Some(c)) => return Err(at(name, c, SetProblem::ControlWithoutQuery)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::tables::read_file;
    use crate::config::test_env::env_of;
    use std::path::{Path, PathBuf};

    fn read(text: &str) -> Result<crate::config::Config, String> {
        let env = env_of(&[("TENANT", "acme")]);
        read_file(
            text,
            Path::new("/p/migrate.toml"),
            Path::new("/p"),
            &env,
            true,
        )
        .map(|(c, _)| c)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn every_key_is_read_with_its_place() {
        let c = read(
            "[migrate]\nurl = \"sqlite:///a.db\"\n\n[targets.tenants]\nurls = [\"postgresql://h/${TENANT}\"]\nschemas = [\"a\", \"b\"]\n\n[targets.listed]\nfile = \"tenants.txt\"\ncommand = \"./list\"\nquery = \"SELECT url FROM t\"\ncontrol_url = \"postgresql://h/control\"\n",
        )
        .expect("read");
        let t = &c.targets["tenants"];
        assert_eq!(t.urls[0].raw, "postgresql://h/${TENANT}");
        assert_eq!((t.urls[0].line, t.urls[0].column), (5, 9));
        assert_eq!(t.schemas, ["a", "b"]);
        let l = &c.targets["listed"];
        assert_eq!(l.file, Some(PathBuf::from("/p/tenants.txt")));
        assert_eq!(l.command.as_ref().map(|c| c.raw.as_str()), Some("./list"));
        assert_eq!(l.query.as_ref().map(|q| q.line), Some(11));
    }

    #[test]
    fn sets_that_contradict_themselves_name_file_and_line() {
        let cases = [
            (
                "[targets.a]\nquery = \"SELECT 1\"\n",
                "/p/migrate.toml:2:9: [targets.a]: `query` runs on `control_url`, which is not set",
            ),
            (
                "[targets.a]\nurls = [\"sqlite:///x.db\"]\ncontrol_url = \"postgresql://h/c\"\n",
                "/p/migrate.toml:3:15: [targets.a]: `control_url` is only the database `query` runs on",
            ),
            (
                "[targets.a]\nurl = \"x\"\n",
                "/p/migrate.toml:2:1: unknown key `url` in [targets.a]; did you mean `urls`?",
            ),
            (
                "[targets.a]\nfile = 3\n",
                "/p/migrate.toml:2:8: `file` must be a string",
            ),
        ];
        for (text, want) in cases {
            let e = read(text).expect_err(text);
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
