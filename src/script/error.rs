//! The script directory's errors: [`LoadError`] for a revision file or
//! version location that cannot be read, parsed or fitted into the graph
//! (all of them at once in [`LoadErrors`]), and [`ScriptError`] for writing a
//! new revision. Each message is worded here, in `Display`, and nowhere
//! else. An I/O error's text is part of the message, not a `source`, so a
//! chain of causes prints it once.

use super::file::FileError;
use super::revision::GraphError;
use crate::template::TemplateError;
use std::fmt;
use std::path::PathBuf;

/// One problem found while loading the revision files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A version location that cannot be listed.
    #[error("cannot read the version location {}: {error}; create it, run `migrate init`, or fix script_location/version_locations in migrate.toml", .dir.display())]
    ListFolder {
        /// The version location.
        dir: PathBuf,
        /// Why it cannot be listed.
        error: std::io::Error,
    },
    /// An entry of a version location's listing that cannot be read.
    #[error("reading {}: {error}", .dir.display())]
    ListEntry {
        /// The version location.
        dir: PathBuf,
        /// Why the entry cannot be read.
        error: std::io::Error,
    },
    /// A revision file that cannot be read.
    #[error("{}: cannot read: {error}", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        error: std::io::Error,
    },
    /// A revision file that is not UTF-8.
    #[error("{}: not UTF-8 text (byte {byte}); save the file as UTF-8", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The offset of the first byte that is not UTF-8.
        byte: usize,
    },
    /// A revision file that does not parse.
    #[error("{}:{}: {error}", .path.display(), .error.line)]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, and on which line.
        error: FileError,
    },
    /// A problem of the graph the files make (`path:line` included).
    #[error("{0}")]
    Graph(GraphError),
    /// A thread reading revision files panicked.
    #[error("a thread reading revision files failed")]
    ThreadFailed,
}

/// Every problem found while loading, each naming its file (and line).
#[derive(Debug)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [one] = self.0.as_slice() {
            return write!(f, "{one}");
        }
        writeln!(f, "{} problems in the revision files:", self.0.len())?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// Why a new revision file was not written.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// `--version-path` names no version location.
    #[error("Path {} is not represented in current version locations: {}", .path.display(), list(.locations))]
    NotAVersionLocation {
        /// The path as given (made absolute).
        path: PathBuf,
        /// The configured version locations.
        locations: Vec<PathBuf>,
    },
    /// Several version locations and nothing to choose one by.
    #[error("Multiple version locations present, please specify --version-path")]
    MultipleVersionLocations,
    /// The project's `script.sql.tera` cannot be read.
    #[error("cannot read the revision template {}: {error}; restore it (`migrate init` writes one) or fix script_location", .path.display())]
    ReadTemplate {
        /// The template's path.
        path: PathBuf,
        /// Why it cannot be read.
        error: std::io::Error,
    },
    /// `file_template` does not render.
    #[error("{0}")]
    FileName(TemplateError),
    /// The folder of the new file cannot be created, or the file itself.
    #[error("cannot create {}: {error}", .path.display())]
    Create {
        /// The folder or file.
        path: PathBuf,
        /// Why it cannot be created.
        error: std::io::Error,
    },
    /// A file by the new file's name exists.
    #[error("{} already exists; not overwriting it (choose another --rev-id or message)", .path.display())]
    FileExists {
        /// The file.
        path: PathBuf,
    },
    /// The new file cannot be written.
    #[error("writing {}: {error}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why it cannot be written.
        error: std::io::Error,
    },
    /// The rendered file holds another revision id than the one asked for.
    #[error("the revision template rendered Revision ID '{rendered}' instead of '{expected}'; fix script.sql.tera (it must write `-- Revision ID: {{{{ up_revision }}}}`)")]
    TemplateId {
        /// The id in the rendered file.
        rendered: String,
        /// The id the file was rendered for.
        expected: String,
    },
    /// The rendered file does not parse.
    #[error("the revision template rendered a file that does not parse (line {}: {error}); fix script.sql.tera; nothing was written", .error.line)]
    TemplateParse {
        /// What is wrong with the rendered file.
        error: FileError,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
