//! Why an Alembic project could not be converted. Each message is worded
//! here, names the file or the interpreter, and says what to do.

use std::path::PathBuf;

/// Everything `migrate import alembic` can fail with before it writes a file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The `alembic.ini` named (or looked for) is not there.
    #[error("no Alembic configuration at {}; name it: `migrate import alembic path/to/alembic.ini`", .0.display())]
    NoIni(PathBuf),
    /// `migrate.toml` exists where the new one would go.
    #[error("{} already exists; `migrate import alembic` never overwrites it: remove it, or write the project elsewhere with --out DIR", .0.display())]
    ConfigExists(PathBuf),
    /// The script folder exists and is not empty.
    #[error("{} already exists and is not empty; remove it, or write the project elsewhere with --out DIR", .0.display())]
    FolderNotEmpty(PathBuf),
    /// The interpreter could not be started.
    #[error("cannot run Python `{}`: {error}; install Python 3 with Alembic, or pass --python PATH (e.g. .venv/bin/python, the virtualenv that runs your Alembic)", .python.display())]
    NoPython {
        python: PathBuf,
        error: std::io::Error,
    },
    /// The interpreter runs, but Alembic (or SQLAlchemy) cannot be imported.
    #[error("the Python at `{}` cannot import Alembic: {message}; pass --python with the interpreter of the virtualenv your project's Alembic runs in, or `pip install alembic` into it", .python.display())]
    NoAlembic { python: PathBuf, message: String },
    /// Alembic could not read the configuration or the script folder.
    #[error("Alembic cannot read {}: {message}", .ini.display())]
    Config { ini: PathBuf, message: String },
    /// Alembic could not load the revision files.
    #[error("Alembic cannot load the revisions of {}: {message}; fix that revision file (`alembic history` shows the same error)", .ini.display())]
    Scripts { ini: PathBuf, message: String },
    /// The target dialect is unknown.
    #[error("{message}")]
    Dialect { message: String },
    /// The helper ended without a report.
    #[error("the Alembic helper run by `{}` failed ({status}){}", .python.display(), tail(.stderr))]
    HelperFailed {
        python: PathBuf,
        status: String,
        stderr: String,
    },
    /// The helper's report is not what `migrate` expects.
    #[error("the Alembic helper run by `{}` printed a report migrate cannot read ({message}){}", .python.display(), tail(.stderr))]
    BadReport {
        python: PathBuf,
        message: String,
        stderr: String,
    },
}

/// The end of the helper's stderr, for a message.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let from = lines.len().saturating_sub(8);
    format!(":\n  {}", lines[from..].join("\n  "))
}
