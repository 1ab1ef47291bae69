//! The scratch database: where `migrate` builds a schema to read it back
//! from the server's catalog (the revisions replayed, a schema file
//! applied). Either the `dev_url` database, which `migrate` may empty and
//! fill, or a temporary one: a database with a unique name created on the
//! server of the configured URL (PostgreSQL, MySQL/MariaDB), or a temporary
//! file (SQLite). A guard drops it (or empties the `dev_url` database) on
//! every exit path: success, error, and Ctrl-C, which ends a run with an
//! error. The configured database itself is never written.

use crate::dialect::{self, ConnectOptions, Database, DbError, Kind};
use crate::url::DbUrl;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a scratch database could not be made or used.
#[derive(Debug)]
pub enum ScratchError {
    /// Connecting to the server (or to `dev_url`) failed.
    Connect { display: String, message: String },
    /// The server refused to create a database.
    Create {
        name: String,
        server: String,
        error: DbError,
    },
    /// The `dev_url` database could not be emptied.
    Empty { display: String, error: DbError },
    /// `dev_url` names another kind of database than `url`.
    OtherKind { dev: Kind, url: Kind },
    /// A temporary SQLite file could not be made.
    TempFile {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::error::Error for ScratchError {}

impl fmt::Display for ScratchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScratchError::Connect { display, message } => write!(
                f,
                "cannot reach the database for reading schemas ({display}): {message}"
            ),
            ScratchError::Create {
                name,
                server,
                error,
            } => write!(
                f,
                "cannot create the temporary database {name} on {server} to read schemas: {error}. `migrate` builds each schema it compares in a database of its own; give it one it may empty and fill with `dev_url` in migrate.toml (or --dev-url), or the right to create databases on this server"
            ),
            ScratchError::Empty { display, error } => write!(
                f,
                "cannot empty the dev_url database {display}: {error}"
            ),
            ScratchError::OtherKind { dev, url } => write!(
                f,
                "dev_url is a {} database but url is {}: schemas are read on the same kind of database; point dev_url at a {} database",
                dev.name(),
                url.name(),
                url.name()
            ),
            ScratchError::TempFile { path, error } => write!(
                f,
                "cannot create the temporary SQLite database {}: {error}",
                path.display()
            ),
        }
    }
}

/// What the guard does when the scratch database is no longer needed.
enum Cleanup {
    /// Drop the temporary database `name` through `admin`.
    Drop {
        admin: Box<dyn Database>,
        name: String,
    },
    /// Remove the temporary SQLite file (and its journal).
    Remove(PathBuf),
    /// Empty the `dev_url` database.
    Empty,
}

/// A scratch database, dropped (or emptied) when this value goes.
pub struct Scratch {
    /// How to connect to it.
    pub url: DbUrl,
    /// The URL for messages (password hidden).
    pub display: String,
    cwd: PathBuf,
    cleanup: Cleanup,
}

impl Scratch {
    /// A scratch database for a project whose database is `url`: `dev` if
    /// given, else a temporary one beside `url`.
    pub fn new(url: &DbUrl, dev: Option<&DbUrl>, cwd: &Path) -> Result<Scratch, ScratchError> {
        if let Some(dev) = dev {
            if dev.kind != url.kind {
                return Err(ScratchError::OtherKind {
                    dev: dev.kind,
                    url: url.kind,
                });
            }
            let scratch = Scratch {
                url: dev.clone(),
                display: dev.to_string(),
                cwd: cwd.to_path_buf(),
                cleanup: Cleanup::Empty,
            };
            scratch.empty()?;
            return Ok(scratch);
        }
        // The process id names whose it is, should a killed run leave it behind.
        let name = format!(
            "migrate_scratch_{}_{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        if url.kind == Kind::Sqlite {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            std::fs::File::create(&path).map_err(|error| ScratchError::TempFile {
                path: path.clone(),
                error,
            })?;
            let mut u = url.clone();
            u.sqlite_path = Some(path.clone());
            return Ok(Scratch {
                display: u.to_string(),
                url: u,
                cwd: cwd.to_path_buf(),
                cleanup: Cleanup::Remove(path),
            });
        }
        let mut admin = connect_to(url, cwd)?;
        admin
            .create_database(&name)
            .map_err(|error| ScratchError::Create {
                name: name.clone(),
                server: dialect::endpoint(
                    url,
                    if url.kind == Kind::Postgres {
                        5432
                    } else {
                        3306
                    },
                ),
                error,
            })?;
        let mut u = url.clone();
        u.database = Some(name.clone());
        Ok(Scratch {
            display: u.to_string(),
            url: u,
            cwd: cwd.to_path_buf(),
            cleanup: Cleanup::Drop { admin, name },
        })
    }

    /// A connection to the scratch database.
    pub fn connect(&self) -> Result<Box<dyn Database>, ScratchError> {
        let mut db = connect_to(&self.url, &self.cwd)?;
        db.disposable_session().map_err(|e| ScratchError::Connect {
            display: self.display.clone(),
            message: crate::url::redact(&e.message),
        })?;
        Ok(db)
    }

    /// Drops everything in it, to fill it again.
    pub fn empty(&self) -> Result<(), ScratchError> {
        let mut db = self.connect()?;
        db.empty_database().map_err(|error| ScratchError::Empty {
            display: self.display.clone(),
            error,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &mut self.cleanup {
            Cleanup::Drop { admin, name } => {
                let _ = admin.drop_database(name);
            }
            Cleanup::Remove(path) => {
                let _ = std::fs::remove_file(&*path);
                for suffix in ["-journal", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            Cleanup::Empty => {
                if let Ok(mut db) = connect_to(&self.url, &self.cwd) {
                    let _ = db.empty_database();
                }
            }
        }
    }
}

fn connect_to(url: &DbUrl, cwd: &Path) -> Result<Box<dyn Database>, ScratchError> {
    let display = url.to_string();
    dialect::connect(&ConnectOptions {
        url,
        display: display.clone(),
        cwd,
        busy_timeout: Duration::from_secs(5),
    })
    .map_err(|e| ScratchError::Connect {
        display,
        message: crate::url::redact(&e.message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch SQLite file is written without syncing to disk at each
    /// commit, and its journal kept in memory.
    #[test]
    fn sqlite_scratch_sessions_are_disposable() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::url::parse("sqlite:///project.db").unwrap();
        let scratch = Scratch::new(&url, None, dir.path()).unwrap();
        let mut db = scratch.connect().unwrap();
        let one = |db: &mut Box<dyn Database>, sql: &str| -> String {
            db.query_rows(sql, &[]).unwrap()[0][0].clone().unwrap()
        };
        assert_eq!(one(&mut db, "PRAGMA synchronous"), "0");
        assert_eq!(one(&mut db, "PRAGMA journal_mode"), "memory");
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .unwrap();
        let path = scratch.url.sqlite_path.clone().unwrap();
        drop(db);
        drop(scratch);
        assert!(!path.exists(), "the scratch file is removed");
    }
}
