//! The script directory: scans the version locations, parses every revision
//! file once, builds the revision map, and writes new revision files.
//!
//! It reads and writes files; the graph (`revision`), the parser (`file`) and
//! the text output (`display`) below it are pure.

pub mod cache;
pub mod display;
mod error;
pub mod file;
pub mod marker;
pub mod revision;

pub use error::{LoadError, LoadErrors, ScriptError};

use crate::config::Config;
use crate::template;
use file::RevisionFile;
use revision::{HeaderLines, RevisionInfo, RevisionMap};
use std::path::{Path, PathBuf};

/// A revision file as loaded: where it is and what it says. Its header's
/// id, lists and text are moved into the graph when it is built (read them
/// from [`RevisionMap`]); the message and the SQL stay here.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: PathBuf,
    pub file: RevisionFile,
}

/// The loaded scripts and their graph.
pub struct ScriptDirectory {
    pub script_location: PathBuf,
    pub version_locations: Vec<PathBuf>,
    /// The parsed files, in the graph's order (none when loaded by `load_headers`).
    pub scripts: Vec<Script>,
    pub map: RevisionMap,
}

/// The last component of a path joined from a folder and a listed name
/// (what follows the last `/`; `Path::file_name` costs far more, and this
/// runs once per revision file).
fn name_bytes(path: &Path) -> &[u8] {
    let b = path.as_os_str().as_encoded_bytes();
    match b
        .iter()
        .rposition(|&c| c == b'/' || (cfg!(windows) && c == b'\\'))
    {
        Some(i) => &b[i + 1..],
        None => b,
    }
}

/// Lists the `.sql` files of one version location, sorted by name.
fn list_sql_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    Ok(list_entries(dir)?.into_iter().map(|(p, _)| p).collect())
}

/// The `.sql` files of one version location with their directory entries
/// (which stat a file relative to the open folder), sorted by name.
fn list_entries(dir: &Path) -> Result<Vec<(PathBuf, std::fs::DirEntry)>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|error| LoadError::ListFolder {
        dir: dir.to_path_buf(),
        error,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| LoadError::ListEntry {
            dir: dir.to_path_buf(),
            error,
        })?;
        let path = entry.path();
        let name = name_bytes(&path);
        if name.starts_with(b".") || !name.ends_with(b".sql") {
            continue;
        }
        // The listing gives the type: no stat per file, except for a symbolic
        // link (or a file system that does not say), which is followed.
        let is_file = match entry.file_type() {
            Ok(t) if t.is_file() => true,
            Ok(t) if t.is_dir() => false,
            _ => path.is_file(),
        };
        if is_file {
            files.push((path, entry));
        }
    }
    // All in one folder: comparing the paths' bytes orders them by file name,
    // as `Path`'s component-wise comparison would, at a fraction of its cost.
    // Only the names differ: compare what follows the folder's own path,
    // by its prefix key, then whole.
    let skip = files
        .first()
        .and_then(|(p, _)| p.parent())
        .map_or(0, |d| d.as_os_str().len());
    fn tail(p: &Path, skip: usize) -> &[u8] {
        p.as_os_str()
            .as_encoded_bytes()
            .get(skip..)
            .unwrap_or_default()
    }
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (revision::prefix_key(tail(&f.0, skip)), i))
        .collect();
    order.sort_unstable_by(|&(ka, a), &(kb, b)| {
        ka.cmp(&kb)
            .then_with(|| tail(&files[a].0, skip).cmp(tail(&files[b].0, skip)))
    });
    let mut slots: Vec<Option<(PathBuf, std::fs::DirEntry)>> =
        files.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|(_, i)| slots[i].take())
        .collect())
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

/// `f` over `items` in order, the items split between the machine's cores
/// when there are enough of them to pay for a thread (the order is kept).
fn in_parallel<T: Send, R: Send>(
    mut items: Vec<T>,
    f: impl Fn(Vec<T>) -> Vec<Result<R, LoadError>> + Sync,
) -> Vec<Result<R, LoadError>> {
    const MIN_FILES_PER_THREAD: usize = 128;
    let threads = if items.len() >= 2 * MIN_FILES_PER_THREAD {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(items.len() / MIN_FILES_PER_THREAD)
            .min(8)
    } else {
        1
    };
    if threads <= 1 {
        return f(items);
    }
    let chunk = items.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    while items.len() > chunk {
        let rest = items.split_off(chunk);
        parts.push(std::mem::replace(&mut items, rest));
    }
    parts.push(items);
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    let f = &f;
    std::thread::scope(|s| {
        let others: Vec<_> = parts.map(|p| s.spawn(move || f(p))).collect();
        let mut all = f(first);
        for h in others {
            match h.join() {
                Ok(r) => all.extend(r),
                Err(_) => all.push(Err(LoadError::ThreadFailed)),
            }
        }
        all
    })
}

/// Reads and parses one file (`buf` is reused from file to file).
fn read_and_parse(path: &Path, buf: &mut Vec<u8>) -> Result<RevisionFile, LoadError> {
    read_and(path, buf, file::parse)
}

/// Reads one file and parses it with `parse`.
fn read_and(
    path: &Path,
    buf: &mut Vec<u8>,
    parse: fn(&str) -> Result<RevisionFile, file::FileError>,
) -> Result<RevisionFile, LoadError> {
    let len = read_into(path, buf).map_err(|error| LoadError::ReadFile {
        path: path.to_path_buf(),
        error,
    })?;
    let text = std::str::from_utf8(&buf[..len]).map_err(|e| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        byte: e.valid_up_to(),
    })?;
    parse(text).map_err(|error| LoadError::Parse {
        path: path.to_path_buf(),
        error,
    })
}

/// The stamp of a listed file: its entry is statted relative to the open
/// folder, and a symbolic link is followed to the file it names.
fn stamp_of(path: &Path, entry: &std::fs::DirEntry) -> Option<cache::Stamp> {
    let meta = match entry.metadata() {
        Ok(m) if m.file_type().is_symlink() => std::fs::metadata(path),
        other => other,
    };
    meta.ok().as_ref().and_then(cache::Stamp::of)
}

/// The folder, opened to stat the files in it by name.
#[cfg(target_os = "linux")]
fn open_folder(folder: &str) -> Option<rustix::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let folder = if folder.is_empty() { "." } else { folder };
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::open(folder, flags, Mode::empty()).ok()
}

#[cfg(not(target_os = "linux"))]
fn open_folder(_: &str) -> Option<std::convert::Infallible> {
    None
}

/// The stamp of `name` in the open folder, a symbolic link followed, as
/// `std::fs::metadata` gives it: `Some(None)` when it cannot be statted, None
/// when `statx` is unavailable (the caller stats the path).
#[cfg(target_os = "linux")]
#[allow(clippy::option_option)] // three outcomes, as documented above
fn stamp_at(folder: &rustix::fd::OwnedFd, name: &str) -> Option<Option<cache::Stamp>> {
    use rustix::fs::{statx, AtFlags, StatxFlags};
    match statx(folder, name, AtFlags::empty(), StatxFlags::BASIC_STATS) {
        Ok(x) => Some(Some(cache::Stamp {
            dev: rustix::fs::makedev(x.stx_dev_major, x.stx_dev_minor),
            ino: x.stx_ino,
            size: x.stx_size,
            mtime: x.stx_mtime.tv_sec,
            mtime_ns: i64::from(x.stx_mtime.tv_nsec),
            ctime: x.stx_ctime.tv_sec,
            ctime_ns: i64::from(x.stx_ctime.tv_nsec),
        })),
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => None,
        Err(_) => Some(None),
    }
}

#[cfg(not(target_os = "linux"))]
fn stamp_at(folder: &std::convert::Infallible, _: &str) -> Option<Option<cache::Stamp>> {
    match *folder {}
}

/// A file loaded for its header only: from the cache (`hit`) or read and
/// parsed; `stamp` is None where the file system gives none to cache by.
struct HeaderLoaded {
    info: RevisionInfo,
    /// Where the file name starts in `info.path`.
    name_at: usize,
    stamp: Option<cache::Stamp>,
    hit: bool,
}

/// A path as the graph keeps it (no copy when it is UTF-8).
fn path_string(path: PathBuf) -> String {
    path.into_os_string()
        .into_string()
        .unwrap_or_else(|p| p.to_string_lossy().into_owned())
}

/// Headers of the listed files, each from the cache when its stamp matches,
/// else read and parsed.
fn load_headers(
    items: Vec<(PathBuf, std::fs::DirEntry)>,
    cached: Option<&cache::Cache>,
    caching: bool,
) -> Vec<Result<HeaderLoaded, LoadError>> {
    let mut buf = Vec::new();
    items
        .into_iter()
        .map(|(path, entry)| {
            // Without a cache to read or write, no file needs a stamp.
            let stamp = if caching {
                stamp_of(&path, &entry)
            } else {
                None
            };
            let name_len = name_bytes(&path).len();
            let found = match (cached, &stamp) {
                (Some(c), Some(s)) => c.find(name_bytes(&path), s),
                _ => None,
            };
            let mut path = path;
            if let (Some(c), Some(at)) = (cached, found) {
                let full = path_string(path);
                let name_at = full.len().saturating_sub(name_len);
                match c.entry(at, full) {
                    Ok(info) => {
                        return Ok(HeaderLoaded {
                            info,
                            name_at,
                            stamp,
                            hit: true,
                        })
                    }
                    // An entry that does not decode: read the file instead.
                    Err(cache::Undecoded(full)) => path = PathBuf::from(full),
                }
            }
            let file = read_and(&path, &mut buf, file::parse_header)?;
            let path = path_string(path);
            Ok(HeaderLoaded {
                name_at: path.len().saturating_sub(name_len),
                info: revision_info_owned(path, file),
                stamp,
                hit: false,
            })
        })
        .collect()
}

/// Reads and parses revision files, in order: each file is read exactly once.
fn load_files(paths: Vec<PathBuf>) -> Vec<Result<Script, LoadError>> {
    let mut buf = Vec::new();
    paths
        .into_iter()
        .map(|path| read_and_parse(&path, &mut buf).map(|file| Script { path, file }))
        .collect()
}

impl From<file::KeyLines> for HeaderLines {
    fn from(l: file::KeyLines) -> HeaderLines {
        HeaderLines {
            revision: l.revision,
            revises: l.revises,
            branch_labels: l.branch_labels,
            depends_on: l.depends_on,
        }
    }
}

/// The graph's view of a parsed file, taking its values over.
fn revision_info_owned(path: String, f: RevisionFile) -> RevisionInfo {
    RevisionInfo {
        id: f.revision,
        down_revisions: f.revises,
        branch_labels: f.branch_labels,
        depends_on: f.depends_on,
        doc: f.message,
        longdoc: f.header,
        path,
        lines: f.lines.into(),
    }
}

/// The graph's view of a parsed file.
/// The graph's view of a loaded file. The header's id, lists and text move
/// into it (the script keeps its message, path and SQL): each is held once.
fn revision_info_taken(path: &Path, f: &mut RevisionFile) -> RevisionInfo {
    RevisionInfo {
        id: std::mem::take(&mut f.revision),
        down_revisions: std::mem::take(&mut f.revises),
        branch_labels: std::mem::take(&mut f.branch_labels),
        depends_on: std::mem::take(&mut f.depends_on),
        doc: f.message.clone(),
        longdoc: std::mem::take(&mut f.header),
        path: path.to_string_lossy().into_owned(),
        lines: f.lines.into(),
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
            for loaded in in_parallel(files, load_files) {
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

    /// The scripts of revision files given as text (embedded in a program at
    /// compile time): each file's path (for messages) and contents.
    pub fn from_texts(
        config: &Config,
        files: impl IntoIterator<Item = (PathBuf, String)>,
    ) -> Result<ScriptDirectory, LoadErrors> {
        let mut errors = Vec::new();
        let mut scripts = Vec::new();
        for (path, text) in files {
            match file::parse(&text) {
                Ok(file) => scripts.push(Script { path, file }),
                Err(error) => errors.push(LoadError::Parse { path, error }),
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        Self::build(config, scripts)
    }

    /// Like [`load`](Self::load), for commands that need the graph but no
    /// SQL: each file's header comes from the header cache in `cache_dir`
    /// when the file has not changed since it was recorded, else the file is
    /// read and parsed (and the cache brought up to date). It holds the
    /// graph only: no scripts.
    pub fn load_headers(
        config: &Config,
        cache_dir: Option<&Path>,
    ) -> Result<ScriptDirectory, LoadErrors> {
        let mut errors = Vec::new();
        let mut infos = Vec::new();
        let single = config.version_locations.len() == 1;
        // The cache is written as of now, before any file is statted: a file
        // or folder changed after this moment has a later time than the one
        // recorded, and one changed within RACY_SECS before it is not recorded.
        let started = cache::now_secs();
        for loc in &config.version_locations {
            let cache_file = cache_dir.map(|d| cache::cache_file(d, loc));
            // The folder's own stamp, taken before it is listed.
            let folder = cache_file
                .as_ref()
                .and_then(|_| std::fs::metadata(loc).ok())
                .as_ref()
                .and_then(cache::Stamp::of);
            let cached = cache_file
                .as_deref()
                .and_then(|f| cache::Cache::read(f, loc));
            // Whether the cache's files were checked already (and one differs).
            let mut checked = false;
            if let (Some(c), Some(f), true) = (&cached, &folder, single) {
                if c.folder_unchanged(f) {
                    if let Some(done) = Self::from_names_checked(config, loc, c) {
                        return done;
                    }
                    checked = true;
                }
            }
            let items = match list_entries(loc) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            // A cache that could now record the folder's stamp is rewritten
            // (below) instead of only checked.
            let record_folder =
                matches!((&cached, &folder), (Some(c), Some(f)) if c.folder_outdated(f));
            if let (Some(c), true, false, false) = (&cached, single, checked, record_folder) {
                if let Some(done) = Self::from_cache_checked(config, &items, c) {
                    return done;
                }
            }
            let listed = items.len();
            infos.reserve(listed);
            let caching = cache_file.is_some();
            let loaded = in_parallel(items, |part| load_headers(part, cached.as_ref(), caching));
            let mut headers = Vec::with_capacity(loaded.len());
            for l in loaded {
                match l {
                    Ok(h) => headers.push(h),
                    Err(e) => errors.push(e),
                }
            }
            let hits = headers.iter().filter(|h| h.hit).count();
            let stale =
                cached.as_ref().is_none_or(|c| c.len() != hits) || hits != listed || record_folder;
            if let (Some(file), true, true) = (&cache_file, stale, errors.is_empty()) {
                let recorded: Vec<_> = headers
                    .iter()
                    .filter_map(|h| {
                        let name = h.info.path.get(h.name_at..)?.as_bytes();
                        Some((name, h.stamp?, &h.info))
                    })
                    .collect();
                // The folder's stamp stands for its listing only if every
                // listed file is recorded.
                let folder = folder.filter(|_| recorded.len() == listed);
                cache::store(file, &cache::encode(loc, started, folder, &recorded));
            }
            infos.extend(headers.into_iter().map(|h| h.info));
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        Self::build_from(config, Vec::new(), infos)
    }

    /// When the cache holds exactly the listed files, builds the graph from
    /// it while every file's stamp is checked against it (see
    /// [`checked_build`](Self::checked_build)).
    fn from_cache_checked(
        config: &Config,
        items: &[(PathBuf, std::fs::DirEntry)],
        c: &cache::Cache,
    ) -> Option<Result<ScriptDirectory, LoadErrors>> {
        if c.len() != items.len() {
            return None;
        }
        let same_names = items
            .iter()
            .enumerate()
            .all(|(i, (p, _))| c.name(i) == Some(name_bytes(p)));
        if !same_names {
            return None;
        }
        Self::checked_build(
            config,
            c,
            |i| path_string(items[i].0.clone()),
            |i, _| stamp_of(&items[i].0, &items[i].1),
        )
    }

    /// When the folder still has the stamp the cache recorded with a
    /// complete listing, no file was added, removed or renamed in it since:
    /// its files are the recorded ones, and the graph is built from the cache
    /// without listing the folder, while every file's stamp is checked (a
    /// symbolic link followed, as when listed). None for a folder or name
    /// that is not UTF-8: the caller lists the folder.
    fn from_names_checked(
        config: &Config,
        folder: &Path,
        c: &cache::Cache,
    ) -> Option<Result<ScriptDirectory, LoadErrors>> {
        let folder = folder.to_str().filter(|_| cfg!(unix))?;
        // As `Path::join` joins a plain name.
        let sep = if folder.is_empty() || folder.ends_with('/') {
            ""
        } else {
            "/"
        };
        let names: Vec<&str> = (0..c.len())
            .map(|i| c.name(i).and_then(|n| std::str::from_utf8(n).ok()))
            .collect::<Option<_>>()?;
        // Each name is statted relative to the open folder, as a listing
        // does, not through the whole path again.
        let folder_fd = open_folder(folder);
        let join = |i: usize, into: &mut String| {
            into.reserve(folder.len() + sep.len() + names[i].len());
            into.push_str(folder);
            into.push_str(sep);
            into.push_str(names[i]);
        };
        Self::checked_build(
            config,
            c,
            |i| {
                let mut p = String::new();
                join(i, &mut p);
                p
            },
            |i, buf| {
                if let Some(st) = folder_fd.as_ref().and_then(|fd| stamp_at(fd, names[i])) {
                    return st;
                }
                buf.clear();
                join(i, buf);
                std::fs::metadata(&*buf)
                    .ok()
                    .as_ref()
                    .and_then(cache::Stamp::of)
            },
        )
    }

    /// Builds the graph from the cache's entries (`path_of` gives each
    /// file's path) while `stamp_of` stamps every file: the graph is kept
    /// only if every stamp matches (None otherwise, and the caller loads file
    /// by file). The stamps are checked in chunks taken from a shared
    /// counter, by a second thread from the start and by this one once the
    /// graph is built, so the two cores share whatever is left; the first
    /// mismatch stops both. The usual case — nothing changed since the last
    /// run — so costs about half the sum, not the sum.
    fn checked_build(
        config: &Config,
        c: &cache::Cache,
        path_of: impl Fn(usize) -> String,
        stamp_of: impl Fn(usize, &mut String) -> Option<cache::Stamp> + Sync,
    ) -> Option<Result<ScriptDirectory, LoadErrors>> {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        const CHUNK: usize = 256;
        let n = c.len();
        let next = AtomicUsize::new(0);
        let changed = AtomicBool::new(false);
        let check = || {
            let mut buf = String::new();
            loop {
                let from = next.fetch_add(CHUNK, Ordering::Relaxed);
                if from >= n || changed.load(Ordering::Relaxed) {
                    return;
                }
                for i in from..(from + CHUNK).min(n) {
                    if !stamp_of(i, &mut buf).is_some_and(|st| c.matches(i, &st)) {
                        changed.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            }
        };
        std::thread::scope(|s| {
            let helper = s.spawn(check);
            // Sized up front: collected through an Option, it would grow by doubling.
            let mut infos = Vec::with_capacity(n);
            for i in 0..n {
                match c.entry(i, path_of(i)) {
                    Ok(info) => infos.push(info),
                    Err(_) => break,
                }
            }
            let built = (infos.len() == n).then(|| Self::build_from(config, Vec::new(), infos));
            check();
            let checked = helper.join().is_ok() && !changed.load(Ordering::Relaxed);
            checked.then_some(built).flatten()
        })
    }

    fn build(config: &Config, mut scripts: Vec<Script>) -> Result<ScriptDirectory, LoadErrors> {
        let infos: Vec<RevisionInfo> = scripts
            .iter_mut()
            .map(|s| revision_info_taken(&s.path, &mut s.file))
            .collect();
        Self::build_from(config, scripts, infos)
    }

    fn build_from(
        config: &Config,
        scripts: Vec<Script>,
        infos: Vec<RevisionInfo>,
    ) -> Result<ScriptDirectory, LoadErrors> {
        let map = RevisionMap::new(infos)
            .map_err(|e| LoadErrors(e.0.into_iter().map(LoadError::Graph).collect()))?;
        Ok(ScriptDirectory {
            script_location: config.script_location.clone(),
            version_locations: config.version_locations.clone(),
            scripts,
            map,
        })
    }

    /// The script of a revision id.
    pub fn script(&self, id: &str) -> Option<&Script> {
        // The graph holds the revisions in the scripts' order.
        self.map.position(id).and_then(|i| self.scripts.get(i))
    }

    /// Checks that the graph stays valid with one more revision, before its file is written.
    pub fn check_with(&self, extra: RevisionInfo) -> Result<(), LoadErrors> {
        let mut infos: Vec<RevisionInfo> = self.map.revisions().to_vec();
        infos.push(extra);
        RevisionMap::new(infos)
            .map(|_| ())
            .map_err(|e| LoadErrors(e.0.into_iter().map(LoadError::Graph).collect()))
    }

    /// The folder a new revision goes into.
    pub fn version_path_for(
        &self,
        requested: Option<&Path>,
        cwd: &Path,
        parents: &[String],
    ) -> Result<PathBuf, ScriptError> {
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
                .ok_or_else(|| ScriptError::NotAVersionLocation {
                    path: p,
                    locations: self.version_locations.clone(),
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
        Err(ScriptError::MultipleVersionLocations)
    }

    /// The project's `script.sql.tera`.
    pub fn script_template(&self) -> Result<(PathBuf, String), ScriptError> {
        let path = self.script_location.join("script.sql.tera");
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok((path, t)),
            Err(error) => Err(ScriptError::ReadTemplate { path, error }),
        }
    }
}

/// Writes a new revision file without ever overwriting one, then parses it again.
pub fn write_new_revision(
    dir: &Path,
    file_name: &str,
    text: &str,
    expected_id: &str,
) -> Result<PathBuf, ScriptError> {
    use std::io::Write;
    let path = dir.join(format!("{file_name}.sql"));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| ScriptError::Create {
            path: parent.to_path_buf(),
            error,
        })?;
    }
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ScriptError::FileExists { path })
        }
        Err(error) => return Err(ScriptError::Create { path, error }),
    };
    if let Err(error) = f.write_all(text.as_bytes()) {
        return Err(ScriptError::Write { path, error });
    }
    drop(f);
    match file::parse(text) {
        Ok(parsed) if parsed.revision == expected_id => Ok(path),
        Ok(parsed) => {
            let _ = std::fs::remove_file(&path);
            Err(ScriptError::TemplateId {
                rendered: parsed.revision,
                expected: expected_id.to_string(),
            })
        }
        Err(error) => {
            let _ = std::fs::remove_file(&path);
            Err(ScriptError::TemplateParse { error })
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
) -> Result<String, ScriptError> {
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
    .map_err(ScriptError::FileName)
}
