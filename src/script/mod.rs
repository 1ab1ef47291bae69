//! The script directory: scans the version locations, parses every revision
//! file once, builds the revision map, and writes new revision files.
//!
//! It reads and writes files; the graph (`revision`), the parser (`file`) and
//! the text output (`display`) below it are pure.

pub mod display;
pub mod file;
pub mod revision;

use crate::config::Config;
use crate::template;
use file::RevisionFile;
use revision::{HeaderLines, RevisionInfo, RevisionMap};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A revision file as loaded: where it is and what it says.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: PathBuf,
    pub file: RevisionFile,
}

/// Every problem found while loading, each naming its file (and line).
#[derive(Debug)]
pub struct LoadErrors(pub Vec<String>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() == 1 {
            return f.write_str(&self.0[0]);
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

/// The loaded scripts and their graph.
pub struct ScriptDirectory {
    pub script_location: PathBuf,
    pub version_locations: Vec<PathBuf>,
    pub scripts: Vec<Script>,
    index: HashMap<String, usize>,
    pub map: RevisionMap,
}

/// Lists the `.sql` files of one version location, sorted by name.
fn list_sql_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read the version location {}: {e}; create it, run `migrate init`, or fix script_location/version_locations in migrate.toml",
            dir.display()
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let name = name.as_encoded_bytes();
        if name.starts_with(b".") || !name.ends_with(b".sql") {
            continue;
        }
        // The listing gives the type: no stat per file, except for a symbolic
        // link (or a file system that does not say), which is followed.
        let is_file = match entry.file_type() {
            Ok(t) if t.is_file() => true,
            Ok(t) if t.is_dir() => false,
            _ => entry.path().is_file(),
        };
        if is_file {
            files.push(entry.path());
        }
    }
    // All in one folder: comparing the paths' bytes orders them by file name,
    // as `Path`'s component-wise comparison would, at a fraction of its cost.
    files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(files)
}

/// Reads a whole file into `buf` (reused from file to file): open, read until
/// the end, close. `std::fs::read` also stats the file and seeks, which costs
/// two system calls per revision file for a size hint that files this small
/// do not need.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize((buf.len() * 2).max(16 * 1024), 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads and parses revision files, in order: each file is read exactly once.
fn load_files(paths: Vec<PathBuf>) -> Vec<Result<Script, String>> {
    let mut buf = Vec::new();
    paths
        .into_iter()
        .map(|path| {
            let len = read_into(&path, &mut buf)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            let text = std::str::from_utf8(&buf[..len]).map_err(|e| {
                format!(
                    "{}: not UTF-8 text (byte {}); save the file as UTF-8",
                    path.display(),
                    e.valid_up_to()
                )
            })?;
            match file::parse(text) {
                Ok(file) => Ok(Script { path, file }),
                Err(e) => Err(format!("{}:{}: {e}", path.display(), e.line)),
            }
        })
        .collect()
}

/// `load_files` over a folder's files, split between the machine's cores when
/// there are enough files to pay for a thread (the order is kept).
fn load_files_parallel(mut paths: Vec<PathBuf>) -> Vec<Result<Script, String>> {
    const MIN_FILES_PER_THREAD: usize = 128;
    let threads = if paths.len() >= 2 * MIN_FILES_PER_THREAD {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(paths.len() / MIN_FILES_PER_THREAD)
            .min(8)
    } else {
        1
    };
    if threads <= 1 {
        return load_files(paths);
    }
    let chunk = paths.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    while paths.len() > chunk {
        let rest = paths.split_off(chunk);
        parts.push(std::mem::replace(&mut paths, rest));
    }
    parts.push(paths);
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|s| {
        let others: Vec<_> = parts.map(|p| s.spawn(move || load_files(p))).collect();
        let mut all = load_files(first);
        for h in others {
            match h.join() {
                Ok(r) => all.extend(r),
                Err(_) => all.push(Err("a thread reading revision files failed".into())),
            }
        }
        all
    })
}

/// The graph's view of a parsed file.
pub fn revision_info(path: &Path, f: &RevisionFile) -> RevisionInfo {
    RevisionInfo {
        id: f.revision.clone(),
        down_revisions: f.revises.clone(),
        branch_labels: f.branch_labels.clone(),
        depends_on: f.depends_on.clone(),
        doc: f.message.clone(),
        longdoc: f.header.clone(),
        path: path.to_string_lossy().into_owned(),
        lines: HeaderLines {
            revision: f.lines.revision,
            revises: f.lines.revises,
            branch_labels: f.lines.branch_labels,
            depends_on: f.lines.depends_on,
        },
    }
}

impl ScriptDirectory {
    /// Reads every revision file of the configured version locations and builds the graph.
    pub fn load(config: &Config) -> Result<ScriptDirectory, LoadErrors> {
        let mut errors = Vec::new();
        let mut scripts = Vec::new();
        for loc in &config.version_locations {
            let files = match list_sql_files(loc) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for loaded in load_files_parallel(files) {
                match loaded {
                    Ok(script) => scripts.push(script),
                    Err(e) => errors.push(e),
                }
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        Self::build(config, scripts)
    }

    fn build(config: &Config, scripts: Vec<Script>) -> Result<ScriptDirectory, LoadErrors> {
        let infos: Vec<RevisionInfo> = scripts
            .iter()
            .map(|s| revision_info(&s.path, &s.file))
            .collect();
        let map = RevisionMap::new(infos)
            .map_err(|e| LoadErrors(e.0.iter().map(|g| g.to_string()).collect()))?;
        let mut index = HashMap::with_capacity(scripts.len());
        for (i, s) in scripts.iter().enumerate() {
            index.insert(s.file.revision.clone(), i);
        }
        Ok(ScriptDirectory {
            script_location: config.script_location.clone(),
            version_locations: config.version_locations.clone(),
            scripts,
            index,
            map,
        })
    }

    /// The script of a revision id.
    pub fn script(&self, id: &str) -> Option<&Script> {
        self.index.get(id).map(|&i| &self.scripts[i])
    }

    /// Checks that the graph stays valid with one more revision, before its file is written.
    pub fn check_with(&self, extra: RevisionInfo) -> Result<(), LoadErrors> {
        let mut infos: Vec<RevisionInfo> = self
            .scripts
            .iter()
            .map(|s| revision_info(&s.path, &s.file))
            .collect();
        infos.push(extra);
        RevisionMap::new(infos)
            .map(|_| ())
            .map_err(|e| LoadErrors(e.0.iter().map(|g| g.to_string()).collect()))
    }

    /// The folder a new revision goes into.
    pub fn version_path_for(
        &self,
        requested: Option<&Path>,
        cwd: &Path,
        parents: &[String],
    ) -> Result<PathBuf, String> {
        if let Some(p) = requested {
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            };
            let canon = |x: &Path| std::fs::canonicalize(x).unwrap_or_else(|_| x.to_path_buf());
            let want = canon(&p);
            return self
                .version_locations
                .iter()
                .find(|l| canon(l) == want)
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "Path {} is not represented in current version locations: {}",
                        p.display(),
                        self.version_locations
                            .iter()
                            .map(|l| l.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
        }
        if self.version_locations.len() == 1 {
            return Ok(self.version_locations[0].clone());
        }
        for p in parents {
            if let Some(dir) = self.script(p).and_then(|s| s.path.parent()) {
                return Ok(dir.to_path_buf());
            }
        }
        Err("Multiple version locations present, please specify --version-path".into())
    }

    /// The project's `script.sql.tera`.
    pub fn script_template(&self) -> Result<(PathBuf, String), String> {
        let path = self.script_location.join("script.sql.tera");
        std::fs::read_to_string(&path)
            .map(|t| (path.clone(), t))
            .map_err(|e| {
                format!(
                    "cannot read the revision template {}: {e}; restore it (`migrate init` writes one) or fix script_location",
                    path.display()
                )
            })
    }
}

/// Writes a new revision file without ever overwriting one, then parses it again.
pub fn write_new_revision(
    dir: &Path,
    file_name: &str,
    text: &str,
    expected_id: &str,
) -> Result<PathBuf, String> {
    use std::io::Write;
    let path = dir.join(format!("{file_name}.sql"));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} already exists; not overwriting it (choose another --rev-id or message)",
                    path.display()
                )
            } else {
                format!("cannot create {}: {e}", path.display())
            }
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    drop(f);
    match file::parse(text) {
        Ok(parsed) if parsed.revision == expected_id => Ok(path),
        Ok(parsed) => {
            let _ = std::fs::remove_file(&path);
            Err(format!(
                "the revision template rendered Revision ID '{}' instead of '{expected_id}'; fix script.sql.tera (it must write `-- Revision ID: {{{{ up_revision }}}}`)",
                parsed.revision
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(format!(
                "the revision template rendered a file that does not parse (line {}: {e}); fix script.sql.tera; nothing was written",
                e.line
            ))
        }
    }
}

/// A new revision id: the last 12 hex digits of a random UUID, as Alembic makes them.
pub fn new_rev_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[hex.len() - 12..].to_string()
}

/// The file name of a new revision (without `.sql`), from `file_template`.
pub fn file_name(
    config: &Config,
    rev: &str,
    message: &str,
    now: chrono::NaiveDateTime,
    epoch: i64,
) -> Result<String, String> {
    let slug = template::slug(message, config.truncate_slug_length);
    template::render_file_name(
        &config.file_template,
        &template::FileNameContext {
            rev,
            slug: &slug,
            time: now,
            epoch,
        },
    )
    .map_err(|e| e.to_string())
}
