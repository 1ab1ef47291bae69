//! The tables `migrate.toml` may hold, each declared once (see `reader`):
//! `[migrate]`, whose keys set the [`Config`] a run uses, `[lint]` (its keys
//! in `lint_table`) and `[targets.NAME]` (its keys in `targets`). A new key
//! is one [`Key`] line (and its field in [`Config`]); a new table is one
//! [`Table`] in [`TABLES`]. [`read_file`] reads a file's text
//! against them over the defaults. Pure: the environment comes in as a
//! closure; it uses only the config module's own parts.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, UrlError};
use super::lint_table::{Levels, LINT_KEYS};
use super::reader::{self, Count, Key, List, Section, Shape, Table, Take, Unexpanded};
use super::targets::{self, TargetSet, TargetSets, TARGET_KEYS};
use super::{Config, DEFAULT_TRUNCATE_SLUG_LENGTH, TABLE};
use crate::dialect::LockMode;

/// What the file says, as the declarations store it; [`read_file`] makes a
/// [`Config`] of it.
pub(crate) struct Settings {
    /// Every setting but the two below, over the defaults.
    pub config: Config,
    /// `version_locations`; `None` = `<script_location>/versions`, once
    /// `script_location` is known.
    pub version_locations: Option<Vec<PathBuf>>,
    /// `url` as written: it is expanded only when it is the URL in use.
    pub url: Option<Unexpanded>,
    /// `dev_url` as written: expanded when the file is read.
    pub dev_url: Option<Unexpanded>,
    /// The `[targets.NAME]` tables.
    pub targets: TargetSets,
}

/// Every table the file may hold.
pub(crate) const TABLES: &[&dyn Section<Settings>] = &[&MIGRATE, &LINT, &TARGETS];

/// `[lint]`: a level per rule (the keys: `lint_table`).
const LINT: Table<Settings, Levels> = Table {
    name: "lint",
    shape: Shape::One(|s| &mut s.config.lint),
    keys: LINT_KEYS,
};

/// `[targets.NAME]`: a set of databases per name (the keys: `targets`).
const TARGETS: Table<Settings, TargetSet> = Table {
    name: "targets",
    shape: Shape::Named(|s: &mut Settings, name| s.targets.entry(name.to_string()).or_default()),
    keys: TARGET_KEYS,
};

/// `[migrate]`: the settings of a run.
const MIGRATE: Table<Settings, Settings> = Table {
    name: TABLE,
    shape: Shape::One(|s| s),
    keys: MIGRATE_KEYS,
};

/// The keys of `[migrate]`, in the order messages list them.
pub(super) const MIGRATE_KEYS: &[Key<Settings>] = &[
    Key {
        name: "script_location",
        take: Take::Path(|s, v| s.config.script_location = v),
    },
    Key {
        name: "version_locations",
        take: Take::Paths(FOLDERS, |s, v| s.version_locations = Some(v)),
    },
    Key {
        name: "url",
        take: Take::Url(|s, v| s.url = Some(v)),
    },
    Key {
        name: "version_table",
        take: Take::Text(|s, v| s.config.version_table = v),
    },
    Key {
        name: "version_table_schema",
        take: Take::OptionalText(|s, v| s.config.version_table_schema = v),
    },
    Key {
        name: "log_table",
        take: Take::OptionalText(|s, v| s.config.log_table = v),
    },
    Key {
        name: "file_template",
        take: Take::Text(|s, v| s.config.file_template = v),
    },
    Key {
        name: "truncate_slug_length",
        take: Take::Count(SLUG_LENGTH, |s, v| {
            s.config.truncate_slug_length =
                usize::try_from(v).unwrap_or(DEFAULT_TRUNCATE_SLUG_LENGTH);
        }),
    },
    Key {
        name: "timezone",
        // Stored in its canonical spelling (`utc` → `UTC`, `Z` → `UTC`).
        take: Take::Timezone(|s, v| s.config.timezone = v.to_string()),
    },
    Key {
        name: "transaction_per_migration",
        take: Take::Bool(|s, v| s.config.transaction_per_migration = v),
    },
    Key {
        name: "lock_timeout",
        take: Take::Count(LOCK_TIMEOUT, |s, v| s.config.lock_timeout = Some(v)),
    },
    Key {
        name: "lock",
        take: Take::Word(LockMode::WORDS, |s, v| {
            s.config.lock = LockMode::from_word(v).unwrap_or_default();
        }),
    },
    Key {
        name: "lock_lease",
        take: Take::Count(LOCK_LEASE, |s, v| s.config.lock_lease = Some(v)),
    },
    Key {
        name: "schema",
        take: Take::Paths(SCHEMA_FILES, |s, v| s.config.schema = v),
    },
    Key {
        name: "dev_url",
        take: Take::Url(|s, v| s.dev_url = Some(v)),
    },
];

/// Every key the `[migrate]` table accepts, in declaration order.
pub const KNOWN_KEYS: &[&str] = &names::<{ MIGRATE_KEYS.len() }>(MIGRATE_KEYS);

/// `version_locations`: folders.
const FOLDERS: List = List {
    expected: "an array of folder paths",
    item: "a string (a folder path)",
    noun: "folder",
    default: "<script_location>/versions",
    one_allowed: false,
};

/// `schema`: the desired schema's files and folders.
const SCHEMA_FILES: List = List {
    expected: "a path or an array of paths",
    item: "a string (a .sql file or a folder)",
    noun: "file or folder",
    default: "no schema",
    one_allowed: true,
};

/// `truncate_slug_length`.
const SLUG_LENGTH: Count = Count {
    expected: "a whole number of characters, e.g. 40",
    min: 1,
    max: 255,
    give: "a number of characters from 1 to 255 (default 40)",
};

/// `lock_timeout`.
const LOCK_TIMEOUT: Count = Count {
    expected: "a whole number of seconds, e.g. 60",
    min: 0,
    max: u64::MAX,
    give: "the seconds to wait for the migration lock (0 = do not wait, default 60)",
};

/// `lock_lease`.
const LOCK_LEASE: Count = Count {
    expected: "a whole number of seconds, e.g. 60",
    min: 2,
    max: 86_400,
    give: "the seconds a lock = \"table\" lease lasts unless renewed, from 2 to 86400 (default 60)",
};

/// The names of `keys`, for a `const` list.
const fn names<const N: usize>(keys: &[Key<Settings>]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = keys[i].name;
        i += 1;
    }
    out
}

/// The [`Config`] that `text` (the config file at `path`, in `dir`) gives over the
/// defaults, and the file's `url`, expanded only when `want_url` (so an unset
/// variable in it does not matter under `--url`). A `url` that cannot be
/// expanded is kept in [`Config::url_error`], for commands that need it.
pub(crate) fn read_file(
    text: &str,
    path: &Path,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    want_url: bool,
) -> Result<(Config, Option<String>), ConfigError> {
    let mut config = Config::defaults(dir);
    config.file = Some(path.to_path_buf());
    let mut settings = Settings {
        config,
        version_locations: None,
        url: None,
        dev_url: None,
        targets: Default::default(),
    };
    reader::read(text, path, dir, env, TABLES, &mut settings)?;
    let Settings {
        mut config,
        version_locations,
        url,
        dev_url,
        targets,
    } = settings;
    targets::validate(&targets, path)?;
    config.targets = targets;
    if let Some(raw) = dev_url {
        match raw.expand(env) {
            Ok(u) => config.dev_url = Some(u).filter(|u| !u.trim().is_empty()),
            Err(problem) => {
                config.dev_url_error = Some(UrlError {
                    path: path.to_path_buf(),
                    line: raw.line,
                    column: raw.column,
                    problem,
                });
            }
        }
    }
    config.version_locations =
        version_locations.unwrap_or_else(|| vec![config.script_location.join("versions")]);
    let mut file_url = None;
    if let Some(raw) = url.filter(|_| want_url) {
        match raw.expand(env) {
            Ok(u) => file_url = Some(u).filter(|u| !u.trim().is_empty()),
            Err(problem) => {
                config.url_error = Some(UrlError {
                    path: path.to_path_buf(),
                    line: raw.line,
                    column: raw.column,
                    problem,
                });
            }
        }
    }
    Ok((config, file_url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env::no_env;
    use crate::config::{DEFAULT_LOCK_TIMEOUT, DEFAULT_TRUNCATE_SLUG_LENGTH};

    /// `text` read as /p/migrate.toml, with an empty environment.
    fn read(text: &str) -> Result<(Config, Option<String>), ConfigError> {
        read_file(
            text,
            Path::new("/p/migrate.toml"),
            Path::new("/p"),
            &no_env,
            true,
        )
    }

    fn read_ok(text: &str) -> Config {
        match read(text) {
            Ok((c, url)) => Config { url, ..c },
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn read_err(text: &str) -> (String, ConfigError) {
        match read(text) {
            Ok((c, _)) => panic!("{text:?} was read: {c:?}"),
            Err(e) => (e.to_string(), e),
        }
    }

    #[test]
    fn known_keys_are_the_declared_keys_in_order() {
        let declared: Vec<&str> = MIGRATE_KEYS.iter().map(|k| k.name).collect();
        assert_eq!(KNOWN_KEYS, declared.as_slice());
        assert_eq!(KNOWN_KEYS[0], "script_location");
        assert_eq!(KNOWN_KEYS.len(), 15);
    }

    #[test]
    fn range_messages_name_the_defaults() {
        assert!(SLUG_LENGTH
            .give
            .ends_with(&format!("(default {DEFAULT_TRUNCATE_SLUG_LENGTH})")));
        assert!(LOCK_TIMEOUT
            .give
            .ends_with(&format!("default {DEFAULT_LOCK_TIMEOUT})")));
    }

    #[test]
    fn wrong_types_and_values_say_what_is_expected() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "[migrate]\ntruncate_slug_length = \"40\"\n",
                ":2:24",
                &[
                    "`truncate_slug_length` must be a whole number of characters",
                    "a string",
                    "remove the quotes: truncate_slug_length = 40",
                ],
            ),
            (
                "[migrate]\ntruncate_slug_length = 4.5\n",
                ":2:24",
                &["a float"],
            ),
            (
                "[migrate]\ntruncate_slug_length = 0\n",
                ":2:24",
                &["from 1 to 255"],
            ),
            (
                "[migrate]\ntransaction_per_migration = \"false\"\n",
                ":2:29",
                &["must be true or false", "remove the quotes"],
            ),
            (
                "[migrate]\ntransaction_per_migration = 1\n",
                ":2:29",
                &["must be true or false", "an integer"],
            ),
            ("[migrate]\nlock_timeout = -1\n", ":2:16", &["negative"]),
            (
                "[migrate]\nlock_timeout = \"ten\"\n",
                ":2:16",
                &["whole number of seconds"],
            ),
            (
                "[migrate]\nurl = 5\n",
                ":2:7",
                &["`url` must be a string", "an integer", "quotes"],
            ),
            (
                "[migrate]\nversion_table = \"\"\n",
                ":2:17",
                &["`version_table`: is empty"],
            ),
            (
                "[migrate]\nversion_locations = \"a/versions\"\n",
                ":2:21",
                &[
                    "an array of folder paths",
                    "version_locations = [\"a/versions\"]",
                ],
            ),
            (
                "[migrate]\nversion_locations = []\n",
                ":2:21",
                &["at least one folder"],
            ),
            (
                "[migrate]\nversion_locations = [\"a\", 3]\n",
                ":2:27",
                &["`version_locations[1]` must be a string"],
            ),
            (
                "[migrate]\ntimezone = \"Europe/Berlin\"\n",
                ":2:12",
                &["`Europe/Berlin`", "\"local\"", "+02:00"],
            ),
            (
                "[migrate]\ntimezone = \"+25:00\"\n",
                ":2:12",
                &["not a time zone"],
            ),
            (
                "[migrate]\nscript_location = [\"a\"]\n",
                ":2:19",
                &["must be a string", "an array"],
            ),
        ];
        for (toml, at, needles) in cases {
            let (msg, e) = read_err(toml);
            assert!(
                matches!(
                    e,
                    ConfigError::WrongType { .. } | ConfigError::InvalidValue { .. }
                ),
                "{toml:?}: {e:?}"
            );
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            for n in *needles {
                assert!(msg.contains(n), "{toml:?}: {msg:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn optional_strings_empty_means_unset() {
        let c = read_ok("[migrate]\nversion_table_schema = \"${SCHEMA:-}\"\nlog_table = \"\"\n");
        assert_eq!((c.version_table_schema, c.log_table), (None, None));
    }

    #[test]
    fn timezone_is_stored_in_its_canonical_spelling() {
        // Which chrono's FixedOffset also parses.
        for (written, stored) in [
            ("utc", "UTC"),
            ("Z", "UTC"),
            ("LOCAL", "local"),
            ("-05:30", "-05:30"),
            ("-00:00", "+00:00"),
        ] {
            let c = read_ok(&format!("[migrate]\ntimezone = \"{written}\"\n"));
            assert_eq!(c.timezone, stored, "{written}");
        }
    }

    /// Checks that `text` names every key (set or commented out) and loads,
    /// as it is and with every commented-out key switched on, with `url`.
    fn documents_every_key_and_loads(what: &str, text: &str, url: &str) {
        for key in KNOWN_KEYS {
            assert!(
                text.contains(&format!("\n{key} = ")) || text.contains(&format!("\n# {key} = ")),
                "{what}: {key} missing"
            );
        }
        let all_on: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if KNOWN_KEYS
                        .iter()
                        .any(|k| rest.starts_with(&format!("{k} = "))) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(all_on, text.trim_end(), "{what}: nothing commented out");
        for toml in [text, all_on.as_str()] {
            let c = read_ok(toml);
            assert_eq!(c.url.as_deref(), Some(url), "{what}");
        }
    }

    #[test]
    fn lint_rules_are_read_from_their_table() {
        let c = read_ok("[lint]\ndrop-column = \"error\"\nunchecked = \"off\"\n");
        assert_eq!(
            c.lint,
            [
                ("drop-column".to_string(), "error".to_string()),
                ("unchecked".to_string(), "off".to_string())
            ]
        );
        let (msg, _) = read_err("[lint]\ndrop-colum = \"on\"\n");
        assert!(
            msg.contains(":2:1: unknown key `drop-colum` in [lint]; did you mean `drop-column`?"),
            "{msg}"
        );
    }

    #[test]
    fn example_file_loads_and_documents_every_key() {
        let text = include_str!("../../migrate.toml.example");
        documents_every_key_and_loads("migrate.toml.example", text, "sqlite:///app.db");
    }

    #[test]
    fn init_templates_load_and_document_every_key() {
        for name in ["generic", "postgresql", "mysql"] {
            let Some(t) = crate::template::find(name) else {
                panic!("no template {name}");
            };
            let text = t.render_config("migrations");
            documents_every_key_and_loads(name, &text, t.default_url);
        }
    }

    #[test]
    fn unknown_keys_and_tables_are_errors_with_suggestions() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "[migrate]\nscript_locaton = \"m\"\n",
                "migrate.toml:2:1",
                &[
                    "unknown key `script_locaton`",
                    "did you mean `script_location`?",
                    "known keys are: script_location, version_locations, url",
                ],
            ),
            (
                "[migrate]\nurl = \"x\"\n  timzone = \"UTC\"\n",
                "migrate.toml:3:3",
                &["`timzone`", "did you mean `timezone`?"],
            ),
            (
                "[migrate]\nlock-timeout = 5\n",
                ":2:1",
                &["did you mean `lock_timeout`?"],
            ),
            ("[migrate]\nURL = \"x\"\n", ":2:1", &["did you mean `url`?"]),
            (
                "[migrate]\nsqlalchemy.url = \"x\"\n",
                ":2:1",
                &["`sqlalchemy`", "did you mean `url`?"],
            ),
            (
                "[migrate]\nprepend_sys_path = \".\"\n",
                ":2:1",
                &["alembic.ini setting", "remove it"],
            ),
            (
                "[migrate]\ncompletely_different = 1\n",
                ":2:1",
                &["unknown key `completely_different`", "known keys are"],
            ),
            (
                "[migrate]\n[migrate.extra]\nx = 1\n",
                ":2:10",
                &["unknown key `extra`"],
            ),
            (
                "[migrat]\nurl = \"x\"\n",
                ":1:2",
                &["unknown table [migrat]", "did you mean [migrate]?"],
            ),
            (
                "[alembic]\nurl = \"x\"\n",
                ":1:2",
                &[
                    "unknown table [alembic]",
                    "The known tables are: [migrate], [lint], [targets.NAME]",
                ],
            ),
            (
                "url = \"x\"\n[migrate]\n",
                ":1:1",
                &[
                    "`url` is outside the [migrate] table",
                    "put a `[migrate]` line above it",
                ],
            ),
            (
                "scrip_location = \"x\"\n",
                ":1:1",
                &[
                    "unknown key `scrip_location` outside",
                    "did you mean `script_location`?",
                ],
            ),
            ("migrate = 1\n", ":1:1", &["`migrate` must be a table"]),
        ];
        for (toml, at, needles) in cases {
            let (msg, _) = read_err(toml);
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            for n in *needles {
                assert!(msg.contains(n), "{toml:?}: {msg:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn bad_toml_reports_file_line_and_column() {
        let cases: &[(&str, &str)] = &[
            ("[migrate]\nurl = \"unterminated\n", "migrate.toml:2:"),
            (
                "[migrate]\nscript_location = migrations\n",
                "migrate.toml:2:19",
            ),
            (
                "[migrate]\nurl = \"a\"\nurl = \"b\"\n",
                "migrate.toml:3:1: duplicate key `url`",
            ),
            (
                "[migrate]\nurl = \"a\"\n[migrate]\n",
                "migrate.toml:3:2: duplicate key `migrate`",
            ),
            ("[migrate\n", "migrate.toml:1:"),
            (
                "# é\n[migrate]\ntimezone = \"UTC\" x\n",
                "migrate.toml:3:18",
            ),
            ("\u{feff}[migrate]\nurl = \n", "migrate.toml:2:"),
        ];
        for (toml, at) in cases {
            let (msg, e) = read_err(toml);
            assert!(
                matches!(
                    e,
                    ConfigError::Toml { .. } | ConfigError::DuplicateKey { .. }
                ),
                "{toml:?}: {e:?}"
            );
            assert!(msg.contains(at), "{toml:?}: {msg:?} lacks {at}");
            assert!(!msg.contains('\n'), "{msg:?}");
        }
    }

    #[test]
    fn suggestions() {
        let cases = [
            ("script_locaton", Some("script_location")),
            ("Script-Location", Some("script_location")),
            ("version_table_shema", Some("version_table_schema")),
            ("versions_table", Some("version_table")),
            (
                "transaction_per_migrations",
                Some("transaction_per_migration"),
            ),
            ("uri", Some("url")),
            ("sqlalchemy.url", Some("url")),
            ("banana", None),
            ("x", None),
        ];
        for (word, want) in cases {
            assert_eq!(reader::suggest(word, KNOWN_KEYS), want, "{word}");
        }
    }
}
