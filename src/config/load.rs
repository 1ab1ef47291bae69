//! Loading: which config file to read ([`locate`]: `-c/--config`, then
//! `MIGRATE_CONFIG`, then `./migrate.toml`), reading it, and which database
//! URL wins ([`load`]: `--url`, then `url` in the file, then `DATABASE_URL`).
//! This is the config module's one reader of files besides `.env`; what the
//! file's text means is decided by `tables`.

use std::io;
use std::path::{Path, PathBuf};

use super::tables::read_file;
use super::{
    clean, Config, ConfigError, ConfigSource, LoadOptions, Located, UrlSource, CONFIG_ENV,
    CONFIG_FILE, URL_ENV,
};

/// The config file to read: `-c/--config`, else `MIGRATE_CONFIG`, else `./migrate.toml`.
pub fn locate(opts: &LoadOptions, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Located {
    let (path, source) = match (&opts.config_path, env(CONFIG_ENV).filter(|v| !v.is_empty())) {
        (Some(p), _) => (p.clone(), ConfigSource::Flag),
        (None, Some(v)) => (PathBuf::from(v), ConfigSource::Env),
        (None, None) => (PathBuf::from(CONFIG_FILE), ConfigSource::Default),
    };
    Located {
        path: clean(&cwd.join(path)),
        source,
    }
}

/// Loads the configuration: finds and reads the config file (see [`locate`]),
/// validates it, resolves its paths and picks the URL. `cwd` must be absolute;
/// `env` is the environment (with `.env` already loaded, see [`super::load_dotenv`]).
pub fn load(
    opts: &LoadOptions,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let located = locate(opts, cwd, env);
    let flag_url = opts.url.clone().filter(|u| !u.trim().is_empty());
    let (mut config, file_url) = match std::fs::metadata(&located.path) {
        Ok(meta) if meta.is_dir() => return Err(ConfigError::NotAFile { path: located.path }),
        Ok(_) => {
            let text =
                std::fs::read_to_string(&located.path).map_err(|source| ConfigError::Read {
                    path: located.path.clone(),
                    source,
                })?;
            let dir = located.path.parent().unwrap_or(cwd);
            read_file(&text, &located.path, dir, env, flag_url.is_none())?
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if opts.require_file {
                return Err(ConfigError::NotFound {
                    path: located.path,
                    origin: located.source,
                });
            }
            (Config::defaults(cwd), None)
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: located.path,
                source,
            })
        }
    };
    let env_url = env(URL_ENV).filter(|u| !u.trim().is_empty());
    (config.url, config.url_source) = match (flag_url, file_url, env_url) {
        (Some(u), _, _) => (Some(u), UrlSource::Flag),
        (None, Some(u), _) => (Some(u), UrlSource::File),
        (None, None, Some(u)) => (Some(u), UrlSource::Env),
        (None, None, None) => (None, UrlSource::Unset),
    };
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env::{env_of, no_env};
    use crate::config::Timezone;

    type EnvRef<'a> = &'a dyn Fn(&str) -> Option<String>;
    type Want = (Option<&'static str>, UrlSource);

    /// A temp project with `migrate.toml` holding `toml`.
    fn project(toml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(CONFIG_FILE), toml).expect("write migrate.toml");
        dir
    }

    fn opts() -> LoadOptions {
        LoadOptions {
            require_file: true,
            ..LoadOptions::default()
        }
    }

    #[test]
    fn defaults_without_a_file() {
        let cwd = tempfile::tempdir().expect("temp dir");
        let opts = LoadOptions::default();
        let c = load(&opts, cwd.path(), &no_env).expect("defaults");
        assert_eq!(c.file, None);
        assert_eq!(c.dir, cwd.path());
        assert_eq!(c.script_location, cwd.path().join("migrations"));
        assert_eq!(
            c.version_locations,
            vec![cwd.path().join("migrations/versions")]
        );
        assert_eq!(c.url, None);
        assert_eq!(c.url_source, UrlSource::Unset);
        assert_eq!(c.version_table, "alembic_version");
        assert_eq!(c.log_table_name(), "alembic_version_log");
        assert_eq!(c.file_template, "{{ rev }}_{{ slug }}");
        assert_eq!(c.truncate_slug_length, 40);
        assert_eq!(c.timezone, "UTC");
        assert!(!c.transaction_per_migration);
        assert_eq!(c.lock_timeout_secs(), 60);
        let e = c.require_url().expect_err("no url");
        let msg = e.to_string();
        for needle in [
            "--url",
            "`url`",
            "DATABASE_URL",
            "migrate init",
            "migrate.toml",
        ] {
            assert!(msg.contains(needle), "{msg:?} lacks {needle}");
        }
    }

    #[test]
    fn missing_required_file_says_how_to_get_one() {
        let cwd = tempfile::tempdir().expect("temp dir");
        let cases = [
            (
                opts(),
                no_env as fn(&str) -> Option<String>,
                "migrate.toml",
                "",
            ),
            (
                LoadOptions {
                    config_path: Some("conf/other.toml".into()),
                    ..opts()
                },
                no_env,
                "conf/other.toml",
                "-c/--config",
            ),
        ];
        for (o, env, path, how) in cases {
            let e = load(&o, cwd.path(), &env).expect_err("missing file");
            assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains(&cwd.path().join(path).display().to_string()),
                "{msg}"
            );
            for needle in [
                "no config file was found",
                "migrate init",
                "-c PATH",
                "MIGRATE_CONFIG",
                how,
            ] {
                assert!(msg.contains(needle), "{msg:?} lacks {needle}");
            }
        }
        let env = env_of(&[("MIGRATE_CONFIG", "elsewhere.toml")]);
        let msg = load(&opts(), cwd.path(), &env)
            .expect_err("missing")
            .to_string();
        assert!(
            msg.contains("elsewhere.toml") && msg.contains("named by MIGRATE_CONFIG"),
            "{msg}"
        );
        // A folder is not a config file.
        let o = LoadOptions {
            config_path: Some(".".into()),
            ..opts()
        };
        assert!(matches!(
            load(&o, cwd.path(), &no_env),
            Err(ConfigError::NotAFile { .. })
        ));
    }

    #[test]
    fn config_file_choice_flag_then_env_then_default() {
        let cwd = Path::new("/work/p");
        let flag = LoadOptions {
            config_path: Some("./a/m.toml".into()),
            ..LoadOptions::default()
        };
        let env = env_of(&[("MIGRATE_CONFIG", "/etc/m.toml")]);
        let empty_env = env_of(&[("MIGRATE_CONFIG", "")]);
        let cases: [(&LoadOptions, EnvRef, &str, ConfigSource); 4] = [
            (&flag, &env, "/work/p/a/m.toml", ConfigSource::Flag),
            (
                &LoadOptions::default(),
                &env,
                "/etc/m.toml",
                ConfigSource::Env,
            ),
            (
                &LoadOptions::default(),
                &no_env,
                "/work/p/migrate.toml",
                ConfigSource::Default,
            ),
            (
                &LoadOptions::default(),
                &empty_env,
                "/work/p/migrate.toml",
                ConfigSource::Default,
            ),
        ];
        for (o, env, path, source) in cases {
            let got = locate(o, cwd, env);
            assert_eq!((got.path.as_path(), got.source), (Path::new(path), source));
        }
    }

    #[test]
    fn every_key_is_read_and_paths_are_relative_to_the_file() {
        let root = tempfile::tempdir().expect("temp dir");
        let conf_dir = root.path().join("conf");
        std::fs::create_dir(&conf_dir).expect("mkdir");
        std::fs::write(
            conf_dir.join("migrate.toml"),
            r#"
# a comment
[migrate]
script_location = "db/${SUB:-scripts}"
version_locations = ["db/versions", "/abs/versions", "./plugins/${PLUGIN}/versions"]
url = "${DATABASE_URL:-sqlite:///app.db}"
version_table = "${TABLE_PREFIX}version"
version_table_schema = "public"
log_table = "audit"
file_template = "{{ year }}_{{ rev }}_{{ slug }}"
truncate_slug_length = 60
timezone = "+02:00"
transaction_per_migration = true
lock_timeout = 0
"#,
        )
        .expect("write");
        let env = env_of(&[("PLUGIN", "billing"), ("TABLE_PREFIX", "my_")]);
        let o = LoadOptions {
            config_path: Some("conf/migrate.toml".into()),
            ..opts()
        };
        let c = load(&o, root.path(), &env).expect("load");
        assert_eq!(
            c.file.as_deref(),
            Some(conf_dir.join("migrate.toml").as_path())
        );
        assert_eq!(c.dir, conf_dir);
        assert_eq!(c.script_location, conf_dir.join("db/scripts"));
        assert_eq!(
            c.version_locations,
            vec![
                conf_dir.join("db/versions"),
                PathBuf::from("/abs/versions"),
                conf_dir.join("plugins/billing/versions")
            ]
        );
        assert_eq!(c.url.as_deref(), Some("sqlite:///app.db"));
        assert_eq!(c.url_source, UrlSource::File);
        assert_eq!(
            c.url_origin(),
            format!("`url` in {}", conf_dir.join("migrate.toml").display())
        );
        assert_eq!(c.version_table, "my_version");
        assert_eq!(c.version_table_schema.as_deref(), Some("public"));
        assert_eq!(c.log_table_name(), "audit");
        assert_eq!(c.file_template, "{{ year }}_{{ rev }}_{{ slug }}");
        assert_eq!(c.truncate_slug_length, 60);
        assert_eq!(c.timezone_kind(), Timezone::Offset(120));
        assert!(c.transaction_per_migration);
        assert_eq!(c.lock_timeout, Some(0));
    }

    #[test]
    fn version_locations_default_follows_script_location() {
        let dir = project("[migrate]\nscript_location = \"/srv/db\"\n");
        let c = load(&opts(), dir.path(), &no_env).expect("load");
        assert_eq!(c.script_location, Path::new("/srv/db"));
        assert_eq!(c.version_locations, vec![PathBuf::from("/srv/db/versions")]);
        // An empty file (or one with no [migrate]) is all defaults.
        let dir = project("");
        let c = load(&opts(), dir.path(), &no_env).expect("load");
        assert_eq!(c.script_location, dir.path().join("migrations"));
        assert_eq!(
            c.file.as_deref(),
            Some(dir.path().join("migrate.toml").as_path())
        );
    }

    #[test]
    fn url_precedence_flag_then_file_then_env() {
        let with_url = "[migrate]\nurl = \"sqlite:///file.db\"\n";
        let unset_var = "[migrate]\nurl = \"${NOT_SET}\"\n";
        let empty_default = "[migrate]\nurl = \"${NOT_SET:-}\"\n";
        let env = env_of(&[("DATABASE_URL", "sqlite:///env.db")]);
        let empty_env = env_of(&[("DATABASE_URL", "")]);
        let flag = Some("sqlite:///flag.db");
        use UrlSource::{Env, File, Flag, Unset};
        let (env_url, file_url, flag_url) = (
            Some("sqlite:///env.db"),
            Some("sqlite:///file.db"),
            Some("sqlite:///flag.db"),
        );
        // (migrate.toml, --url, environment, expected (url, source))
        let cases: [(&str, Option<&str>, EnvRef, Want); 8] = [
            (with_url, flag, &env, (flag_url, Flag)),
            (with_url, None, &env, (file_url, File)),
            ("", None, &env, (env_url, Env)),
            ("", Some("   "), &env, (env_url, Env)),
            ("", None, &empty_env, (None, Unset)),
            ("", None, &no_env, (None, Unset)),
            // Under --url the file's URL is not expanded, so its unset variable does not matter.
            (unset_var, flag, &no_env, (flag_url, Flag)),
            (empty_default, None, &env, (env_url, Env)),
        ];
        for (toml, flag, env, (want, source)) in cases {
            let dir = project(toml);
            let o = LoadOptions {
                url: flag.map(str::to_string),
                ..opts()
            };
            let c = load(&o, dir.path(), env).expect("load");
            assert_eq!(
                (c.url.as_deref(), c.url_source),
                (want, source),
                "{toml:?} {flag:?}"
            );
            assert_eq!(c.require_url().ok(), want);
        }
        // Without --url, an unset variable in `url` is an error naming it, the key and the
        // place, when a URL is needed: commands that do not connect still load.
        let dir = project(unset_var);
        let c = load(&opts(), dir.path(), &no_env).expect("loads without a URL");
        let e = c.require_url().expect_err("the URL is needed");
        let msg = e.to_string();
        assert!(
            matches!(
                e,
                ConfigError::Interpolate {
                    line: 2,
                    column: 7,
                    ..
                }
            ),
            "{e:?}"
        );
        for needle in ["migrate.toml:2:7", "`url`", "NOT_SET is not set"] {
            assert!(msg.contains(needle), "{msg:?} lacks {needle}");
        }
    }
}
