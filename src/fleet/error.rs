//! The fleet's own errors: a selection that names no targets, a source that
//! cannot be read, and a run where not every target succeeded. Each is
//! worded once, with the place and the way out; no URL shows its password.

use crate::config::ConfigError;
use std::path::PathBuf;

/// Why a fleet could not be listed, or did not fully succeed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A value of `[targets.NAME]` that cannot be expanded, or no URL for `schemas`.
    #[error("{0}")]
    Config(ConfigError),
    /// `--targets X` where X is neither a set nor a file.
    #[error("--targets {name}: no [targets.{name}] table in {} and no file {name}; {}", config_name(.config), known_sets(.known))]
    NoSuchSet {
        name: String,
        config: Option<PathBuf>,
        known: Vec<String>,
    },
    /// Standard input could not be read (`--targets -`).
    #[error("--targets -: cannot read the list of targets from standard input: {source}")]
    Stdin { source: std::io::Error },
    /// A file of URLs that cannot be read.
    #[error("cannot read the list of targets {}{}: {source}", .path.display(), .set.as_ref().map(|s| format!(" (`file` of [targets.{s}])")).unwrap_or_default())]
    ReadFile {
        path: PathBuf,
        set: Option<String>,
        source: std::io::Error,
    },
    /// A URL that does not parse.
    #[error("{origin}: {problem}")]
    BadUrl { origin: String, problem: String },
    /// The selection lists no database.
    #[error("--targets {selection} lists no database; give it URLs (`urls`, `file`, `command`, `query`, or a file with one URL per line)")]
    Empty { selection: String },
    /// The same target twice.
    #[error("{target} is listed twice ({first}, and again at {again}); list each database once, or two runs would wait for each other's lock")]
    Twice {
        target: String,
        first: String,
        again: String,
    },
    /// `schemas` on a database that is not PostgreSQL.
    #[error("[targets.{set}]: `schemas` are PostgreSQL schemas, but {target} is not a PostgreSQL database; remove `schemas`, or list PostgreSQL URLs")]
    SchemasNeedPostgres { set: String, target: String },
    /// `schemas` on a URL that sets `options` itself.
    #[error("[targets.{set}]: {target} sets `options` in its URL, and `schemas` sets the search_path through `options`; remove `options` from the URL")]
    SchemasWithOptions { set: String, target: String },
    /// `command` could not be started.
    #[error("cannot run `{command}` (the `command` listing the targets): {source}")]
    CommandNotStarted {
        command: String,
        source: std::io::Error,
    },
    /// `command` failed.
    #[error("`{command}` (the `command` listing the targets) failed ({status}){}; fix it, or run it by hand to see why", if .stderr.is_empty() { String::new() } else { format!(": {}", .stderr) })]
    CommandFailed {
        command: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    /// `command` printed something that is not UTF-8.
    #[error("`{command}` (the `command` listing the targets) printed text that is not UTF-8; print one URL per line")]
    CommandNotText { command: String },
    /// The control database could not be reached.
    #[error("cannot connect to `control_url` to list the targets: {problem}")]
    Control { problem: String },
    /// The query failed.
    #[error("the `query` listing the targets failed ({query}): {problem}")]
    Query { query: String, problem: String },
    /// Some targets failed or were not started.
    #[error("{} of {total} target(s) did not succeed ({failed} failed, {not_started} not started{}); the others succeeded. Fix what failed and run the same command again: targets that are done have nothing left to do", .failed + .not_started, if *.interrupted { ", interrupted" } else { "" })]
    Incomplete {
        total: usize,
        failed: usize,
        not_started: usize,
        interrupted: bool,
    },
}

fn config_name(config: &Option<PathBuf>) -> String {
    config
        .as_ref()
        .map_or_else(|| "migrate.toml".to_string(), |p| p.display().to_string())
}

fn known_sets(known: &[String]) -> String {
    if known.is_empty() {
        "the config file defines no target sets".to_string()
    } else {
        let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        format!("the sets it defines are: {}", names.join(", "))
    }
}
