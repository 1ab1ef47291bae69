//! The errors of the commands themselves (usage the verbs refuse), each
//! worded once.

use std::fmt;
use std::path::PathBuf;

/// A command refused what it was asked.
#[derive(Debug)]
pub enum CommandError {
    /// `init -t NAME` with no such template.
    NoTemplate {
        name: String,
        available: Vec<&'static str>,
    },
    /// `init DIR` where DIR has files.
    NotEmpty(PathBuf),
    /// `--rev-id` that cannot be a revision id.
    BadRevId {
        id: String,
        why: crate::script::file::IdProblem,
    },
    /// `--rev-id` of a revision that exists.
    RevisionExists { rev: String, path: PathBuf },
    /// `timezone` that is not UTC, local or an offset.
    BadTimezone(String),
    /// `downgrade --sql` without `FROM:TO`.
    DowngradeSqlNeedsRange,
    /// `--resume` with `--sql`.
    ResumeWithSql,
    /// A `FROM:TO` range where only `--sql` takes one.
    RangeNotAllowed,
    /// `stamp --purge --sql`.
    PurgeWithSql,
    /// `stamp --sql` with two ranges.
    OneStampStart,
    /// `edit REV` that names no file.
    NoFiles(String),
    /// The editor did not start.
    EditorNotStarted {
        editor: String,
        error: std::io::Error,
    },
    /// The editor failed.
    EditorFailed {
        editor: String,
        status: std::process::ExitStatus,
    },
}

impl std::error::Error for CommandError {}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::NoTemplate { name, available } => write!(
                f,
                "No such template '{name}'; available: {} (see `migrate list-templates`)",
                available.join(", ")
            ),
            CommandError::NotEmpty(dir) => write!(
                f,
                "Directory {} already exists and is not empty; choose another folder (`migrate init OTHER`)",
                dir.display()
            ),
            CommandError::BadRevId { id, why } => write!(
                f,
                "--rev-id '{}' {why}",
                crate::text::escape_controls(id)
            ),
            CommandError::RevisionExists { rev, path } => write!(
                f,
                "Revision {rev} is already present in {}; choose another --rev-id",
                path.display()
            ),
            CommandError::BadTimezone(tz) => write!(
                f,
                "timezone '{tz}' in migrate.toml is not UTC, local or an offset like +02:00"
            ),
            CommandError::DowngradeSqlNeedsRange => {
                f.write_str("downgrade with --sql requires <fromrev>:<torev>")
            }
            CommandError::ResumeWithSql => {
                f.write_str("--resume runs SQL on the database; it can't be used with --sql")
            }
            CommandError::RangeNotAllowed => f.write_str(
                "Range revision not allowed (a FROM:TO range is for --sql only)",
            ),
            CommandError::PurgeWithSql => f.write_str("Can't use --purge with --sql mode"),
            CommandError::OneStampStart => f.write_str(
                "Stamp operation with --sql only supports one starting revision at a time",
            ),
            CommandError::NoFiles(rev) => {
                write!(f, "No revision files indicated by symbol '{rev}'")
            }
            CommandError::EditorNotStarted { editor, error } => write!(
                f,
                "starting the editor '{editor}' (set $EDITOR): {error}"
            ),
            CommandError::EditorFailed { editor, status } => {
                write!(f, "the editor '{editor}' exited with {status}")
            }
        }
    }
}
