//! The header cache: what the read-only commands (`heads`, `history`,
//! `current`, `branches`, `show`) need of each revision file — its parsed
//! header — kept between runs, so that a file that has not changed since is
//! looked at with one `stat` instead of being opened, read and parsed.
//!
//! Trust rules, so that a stale entry is never used:
//! - an entry is used only when the file's device, inode, size, modification
//!   time and change time (both to the nanosecond) all equal the recorded ones;
//!   the change time cannot be set by a user (only the kernel moves it, on
//!   every write, rename or `touch`);
//! - a file whose change or modification time is less than [`RACY_SECS`]
//!   seconds before the run that writes the cache started (before it statted
//!   anything) is not recorded (an edit within the same clock tick could
//!   otherwise keep the recorded times), so it is read again next time;
//! - the cache names its format, the `migrate` version that wrote it and the
//!   folder it describes, and ends with a checksum of its bytes; anything
//!   unexpected (another version, a truncated or damaged file) discards the
//!   whole cache, which costs one full read;
//! - it is replaced atomically (written beside, then renamed), so replicas
//!   running at once see either the old or the new cache;
//! - it also records the folder's own stamp, taken before the folder was
//!   listed, when every listed file was recorded and the folder itself had
//!   not changed within [`RACY_SECS`]: while the folder keeps that stamp, no
//!   file was added, removed or renamed in it (each of those changes the
//!   folder's times), so its files are the recorded ones and the folder need
//!   not be listed again — each file is still checked by its own stamp.
//!
//! Commands that run SQL (`upgrade`, `downgrade`, `check`, …) never use it: they
//! read every file.
//!
//! Where: `$MIGRATE_CACHE_DIR`, else `$XDG_CACHE_HOME/migrate`, else
//! `$HOME/.cache/migrate`; `MIGRATE_CACHE_DIR=` (empty) turns it off. A cache
//! that cannot be read or written is ignored.
//!
//! Bounded, so that every folder ever inspected does not leave a file behind:
//! - a run that reads a cache file sets the file's modification time to now
//!   (one `futimens` on the open file; access times cannot be relied on under
//!   `relatime` or `noatime`), so that time is when a run last used it;
//! - each time a cache file is written, the folder is pruned (see [`prune`]):
//!   files of version locations that no longer exist go, then the least
//!   recently used beyond [`MAX_FILES`]. Reading, the common case, never
//!   lists the cache folder;
//! - every step tolerates another process having removed or replaced a file
//!   first: a reader keeps the file it opened, a lost removal is ignored.

use super::revision::{HeaderLines, RevisionInfo};
use std::path::{Path, PathBuf};

/// Files changed this recently (seconds before the cache is written) are not recorded.
pub const RACY_SECS: i64 = 2;

/// The most cache files the cache folder keeps (the least recently used go first).
pub const MAX_FILES: usize = 64;

/// A temporary file older than this (seconds) belongs to a writer that died
/// between writing and renaming it; a live writer renames within moments.
const ABANDONED_TMP_SECS: u64 = 600;

const MAGIC: &[u8] = b"migrate header cache\n";
const FORMAT: u32 = 3;

/// What identifies one state of a file: if any of it differs, the file changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: i64,
    pub mtime_ns: i64,
    pub ctime: i64,
    pub ctime_ns: i64,
}

impl Stamp {
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_ns: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_ns: m.ctime_nsec(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Changed so recently before `now` (seconds) that the times cannot be trusted yet.
    fn racy(&self, now: i64) -> bool {
        self.ctime >= now - RACY_SECS || self.mtime >= now - RACY_SECS
    }
}

/// The folder the cache files go in, from the environment (None: no cache).
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(d) = env("MIGRATE_CACHE_DIR") {
        return (!d.is_empty()).then(|| PathBuf::from(d));
    }
    if let Some(d) = env("XDG_CACHE_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(Path::new(&d).join("migrate"));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".cache").join("migrate"))
}

/// The cache file of one version location (its canonical path, hashed).
pub fn cache_file(cache_dir: &Path, location: &Path) -> PathBuf {
    let canon = std::fs::canonicalize(location).unwrap_or_else(|_| location.to_path_buf());
    let key = fnv64(canon.as_os_str().as_encoded_bytes());
    cache_dir.join(format!("headers-{key:016x}.bin"))
}

/// 64-bit FNV-1a over whole words (the tail byte-wise): a cheap guard against
/// a damaged cache file, not a cryptographic one.
fn fnv64(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ v).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h
}

/// A cache file as read: its entries, sorted by file name, not yet decoded.
pub struct Cache {
    data: Vec<u8>,
    written_at: i64,
    /// The folder's stamp, when it can stand for its listing.
    folder: Option<Stamp>,
    /// (name range, entry range) into `data`, sorted by name.
    entries: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// A bounds-checked reader: every read past the end is `None`, never a panic.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.data.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(self.u64()? as i64)
    }
    fn raw_str(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.raw_str()?.to_vec()).ok()
    }
    fn list(&mut self) -> Option<Vec<String>> {
        let n = self.u32()? as usize;
        let mut v = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            v.push(self.string()?);
        }
        Some(v)
    }
    fn stamp(&mut self) -> Option<Stamp> {
        Some(Stamp {
            dev: self.u64()?,
            ino: self.u64()?,
            size: self.u64()?,
            mtime: self.i64()?,
            mtime_ns: self.i64()?,
            ctime: self.i64()?,
            ctime_ns: self.i64()?,
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s);
    }
    fn list(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s.as_bytes());
        }
    }
    fn stamp(&mut self, s: &Stamp) {
        for v in [s.dev, s.ino, s.size] {
            self.u64(v);
        }
        for v in [s.mtime, s.mtime_ns, s.ctime, s.ctime_ns] {
            self.u64(v as u64);
        }
    }
}

fn header_of(location: &Path) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(MAGIC);
    w.u32(FORMAT);
    w.str(env!("CARGO_PKG_VERSION").as_bytes());
    w.str(location.as_os_str().as_encoded_bytes());
    w.0
}

impl Cache {
    /// Reads the cache file of `location`; None when there is none or it is
    /// not one this build wrote for this folder, or it is damaged.
    /// A cache that is used is marked as read now (see [`prune`]).
    pub fn read(file: &Path, location: &Path) -> Option<Cache> {
        use std::io::Read;
        let mut f = std::fs::File::open(file).ok()?;
        let len = f.metadata().map_or(0, |m| m.len());
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.read_to_end(&mut data).ok()?;
        let cache = Cache::parse(data, location)?;
        // Not allowed (a folder shared read-only, say): it is only pruned sooner.
        let _ = f.set_modified(std::time::SystemTime::now());
        Some(cache)
    }

    fn parse(data: Vec<u8>, location: &Path) -> Option<Cache> {
        let body_len = data.len().checked_sub(8)?;
        let sum = u64::from_le_bytes(data[body_len..].try_into().ok()?);
        if fnv64(&data[..body_len]) != sum {
            return None;
        }
        let expected = header_of(location);
        if !data.starts_with(&expected) {
            return None;
        }
        let mut r = Reader {
            data: &data[..body_len],
            at: expected.len(),
        };
        let written_at = r.i64()?;
        let folder = match r.bytes(1)? {
            [0] => None,
            [1] => Some(r.stamp()?),
            _ => return None,
        };
        let count = r.u32()? as usize;
        let mut entries = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let len = r.u32()? as usize;
            let start = r.at;
            r.bytes(len)?;
            let mut e = Reader {
                data: &data[start..start + len],
                at: 0,
            };
            let name_len = e.u32()? as usize;
            let name = start + 4..start + 4 + name_len;
            e.bytes(name_len)?;
            entries.push((name, start + e.at..start + len));
        }
        if r.at != body_len {
            return None;
        }
        let sorted = entries
            .windows(2)
            .all(|w| data[w[0].0.clone()] < data[w[1].0.clone()]);
        if !sorted {
            return None;
        }
        Some(Cache {
            data,
            written_at,
            folder,
            entries,
        })
    }

    /// How many files it records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it records no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of file `name`, if the file still has the recorded `stamp`.
    pub fn find(&self, name: &[u8], stamp: &Stamp) -> Option<usize> {
        let i = self
            .entries
            .binary_search_by(|(n, _)| self.data[n.clone()].cmp(name))
            .ok()?;
        self.matches(i, stamp).then_some(i)
    }

    /// Whether the folder still has the stamp recorded with a complete
    /// listing: then its files are the recorded ones, by name.
    pub fn folder_unchanged(&self, now: &Stamp) -> bool {
        self.folder.as_ref() == Some(now)
    }

    /// Whether the folder's stamp `now` differs from the recorded one and
    /// has settled, so that a rewrite would record it.
    pub fn folder_outdated(&self, now: &Stamp) -> bool {
        !self.folder_unchanged(now) && !now.racy(now_secs())
    }

    /// The file name of entry `i` (entries are sorted by name).
    pub fn name(&self, i: usize) -> Option<&[u8]> {
        self.entries.get(i).map(|(n, _)| &self.data[n.clone()])
    }

    /// Whether the file of entry `i` still has the recorded `stamp` (and was
    /// recorded long enough after its last change to be trusted).
    pub fn matches(&self, i: usize, stamp: &Stamp) -> bool {
        let Some((_, range)) = self.entries.get(i) else {
            return false;
        };
        let mut r = Reader {
            data: &self.data[range.clone()],
            at: 0,
        };
        r.stamp()
            .is_some_and(|recorded| recorded == *stamp && !recorded.racy(self.written_at))
    }

    /// The recorded header of entry `i` (from [`find`](Self::find)), for the
    /// file at `path`; the path comes back if the entry does not decode.
    pub fn entry(&self, i: usize, path: String) -> Result<RevisionInfo, Undecoded> {
        let Some(range) = self.entries.get(i) else {
            return Err(Undecoded(path));
        };
        let mut r = Reader {
            data: &self.data[range.1.clone()],
            at: 0,
        };
        let fields = (|| {
            r.stamp()?;
            Some((
                r.string()?,
                r.list()?,
                r.list()?,
                r.list()?,
                r.string()?,
                r.string()?,
                [r.u32()?, r.u32()?, r.u32()?, r.u32()?],
            ))
        })();
        match fields {
            Some((id, down_revisions, branch_labels, depends_on, doc, longdoc, l))
                if r.at == r.data.len() =>
            {
                Ok(RevisionInfo {
                    id,
                    down_revisions,
                    branch_labels,
                    depends_on,
                    doc,
                    longdoc,
                    path,
                    lines: HeaderLines {
                        revision: l[0] as usize,
                        revises: l[1] as usize,
                        branch_labels: l[2] as usize,
                        depends_on: l[3] as usize,
                    },
                })
            }
            _ => Err(Undecoded(path)),
        }
    }
}

/// An entry that does not decode (the cache is damaged): the file's path,
/// given back so the file can be read instead.
#[derive(Debug)]
pub struct Undecoded(pub String);

/// Encodes the headers of `files` (name, stamp, the graph's view of the
/// file), sorted by name, leaving out files changed within [`RACY_SECS`] of
/// `now` (when the run began, before it statted anything); `folder` (the folder's stamp from before it was listed, `files`
/// being all it listed) is recorded only if every file is and the folder
/// did not change within [`RACY_SECS`] either.
pub fn encode(
    location: &Path,
    now: i64,
    folder: Option<Stamp>,
    files: &[(&[u8], Stamp, &RevisionInfo)],
) -> Vec<u8> {
    let mut sorted: Vec<&(&[u8], Stamp, &RevisionInfo)> =
        files.iter().filter(|(_, s, _)| !s.racy(now)).collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let folder = folder.filter(|f| !f.racy(now) && sorted.len() == files.len());
    let mut w = Writer(header_of(location));
    w.u64(now as u64);
    match &folder {
        Some(f) => {
            w.0.push(1);
            w.stamp(f);
        }
        None => w.0.push(0),
    }
    w.u32(sorted.len() as u32);
    for (name, stamp, r) in sorted {
        let len_at = w.0.len();
        w.u32(0);
        w.str(name);
        w.stamp(stamp);
        w.str(r.id.as_bytes());
        w.list(&r.down_revisions);
        w.list(&r.branch_labels);
        w.list(&r.depends_on);
        w.str(r.doc.as_bytes());
        w.str(r.longdoc.as_bytes());
        for l in [
            r.lines.revision,
            r.lines.revises,
            r.lines.branch_labels,
            r.lines.depends_on,
        ] {
            w.u32(l as u32);
        }
        let len = (w.0.len() - len_at - 4) as u32;
        w.0[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
    }
    let sum = fnv64(&w.0);
    w.u64(sum);
    w.0
}

/// Replaces the cache file atomically, then prunes the cache folder (see
/// [`prune`]); any failure leaves the old file (or none).
pub fn store(file: &Path, bytes: &[u8]) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, file).is_ok() {
        prune(dir, file, MAX_FILES);
        return;
    }
    let _ = std::fs::remove_file(&tmp);
}

/// Bounds the cache folder `dir` after `written` was stored in it: removes
/// the cache files of version locations that no longer exist and temporary
/// files that writers abandoned, then, beyond `max` cache files, the least
/// recently used ones (by modification time: when one was last written, or
/// read, see [`Cache::read`]). `written` is always kept. Other files are
/// left alone. Runs only when a cache file was written, so it costs the
/// common, read-only run nothing; a file another process removed first is
/// simply gone.
pub fn prune(dir: &Path, written: &Path, max: usize) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    let mut kept = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix("headers-") else {
            continue;
        };
        let path = entry.path();
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        if rest.ends_with(".tmp") {
            let age = now.duration_since(modified).unwrap_or_default();
            if age.as_secs() > ABANDONED_TMP_SECS {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        if !rest.ends_with(".bin") || path == written {
            continue;
        }
        if location_of(&path).is_some_and(|loc| gone(&loc)) && removed(&path) {
            continue;
        }
        kept.push((modified, path));
    }
    // `written` counts as one of the `max`. One that cannot be removed (not
    // ours to remove, say) is passed over for the next least recently used.
    let mut excess = (kept.len() + 1).saturating_sub(max);
    kept.sort_unstable();
    for (_, path) in &kept {
        if excess == 0 {
            break;
        }
        if removed(path) {
            excess -= 1;
        }
    }
}

/// Removes the file at `path`; true when it is gone, whoever removed it.
fn removed(path: &Path) -> bool {
    match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// The version location a cache file describes, read from its header (the
/// part every format shares: magic, format, version, location); None when
/// the file cannot be read or is not a cache file.
fn location_of(file: &Path) -> Option<PathBuf> {
    use std::io::Read;
    // A header holds a version string and a path: a few kilobytes at most,
    // read in one call (read_to_end would probe in growing steps).
    let mut head = [0u8; 8 * 1024];
    let mut f = std::fs::File::open(file).ok()?;
    let mut len = 0;
    while len < head.len() {
        match f.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let mut r = Reader {
        data: &head[..len],
        at: 0,
    };
    if r.bytes(MAGIC.len())? != MAGIC {
        return None;
    }
    r.u32()?;
    r.raw_str()?;
    path_of_bytes(r.raw_str()?)
}

/// A path from the bytes [`header_of`] wrote for it.
#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)] // the same signature as on other platforms
fn path_of_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_of_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// Whether the folder at absolute path `loc` no longer exists (a relative
/// path, or one that cannot be checked, is not known to be gone).
fn gone(loc: &Path) -> bool {
    use std::io::ErrorKind::{NotADirectory, NotFound};
    loc.is_absolute()
        && matches!(std::fs::metadata(loc), Err(e) if matches!(e.kind(), NotFound | NotADirectory))
}

/// Seconds since the Unix epoch, by the system clock.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str) -> RevisionInfo {
        RevisionInfo {
            id: id.into(),
            down_revisions: vec!["p1".into(), "p2".into()],
            branch_labels: vec!["lbl".into()],
            depends_on: vec![],
            doc: format!("create {id}"),
            longdoc: format!("create {id}\n\nRevision ID: {id}"),
            path: format!("/p/versions/{id}.sql"),
            lines: HeaderLines {
                revision: 3,
                revises: 4,
                branch_labels: 6,
                depends_on: 0,
            },
        }
    }

    fn get(c: &Cache, name: &[u8], s: &Stamp, path: &str) -> Option<RevisionInfo> {
        c.entry(c.find(name, s)?, path.to_string()).ok()
    }

    fn stamp(ino: u64, t: i64) -> Stamp {
        Stamp {
            dev: 1,
            ino,
            size: 100,
            mtime: t,
            mtime_ns: 5,
            ctime: t,
            ctime_ns: 7,
        }
    }

    #[test]
    fn round_trip_and_every_stamp_field_invalidates() {
        let loc = Path::new("/p/versions");
        let (a, b) = (file("aaa"), file("bbb"));
        let bytes = encode(
            loc,
            1000,
            None,
            &[(b"b.sql", stamp(2, 900), &b), (b"a.sql", stamp(1, 900), &a)],
        );
        let c = Cache::parse(bytes, loc).expect("decodes");
        assert_eq!(get(&c, b"a.sql", &stamp(1, 900), &a.path), Some(a.clone()));
        assert_eq!(get(&c, b"b.sql", &stamp(2, 900), &b.path), Some(b.clone()));
        assert_eq!(get(&c, b"c.sql", &stamp(3, 900), ""), None);
        let base = stamp(1, 900);
        let changed = [
            Stamp { dev: 2, ..base },
            Stamp { ino: 9, ..base },
            Stamp { size: 101, ..base },
            Stamp { mtime: 901, ..base },
            Stamp {
                mtime_ns: 6,
                ..base
            },
            Stamp { ctime: 901, ..base },
            Stamp {
                ctime_ns: 8,
                ..base
            },
        ];
        for s in changed {
            assert_eq!(get(&c, b"a.sql", &s, ""), None, "{s:?}");
        }
    }

    #[test]
    fn recently_changed_files_are_not_recorded() {
        let loc = Path::new("/p/versions");
        let f = file("aaa");
        let bytes = encode(loc, 1000, None, &[(b"a.sql", stamp(1, 999), &f)]);
        let c = Cache::parse(bytes, loc).unwrap();
        assert_eq!(get(&c, b"a.sql", &stamp(1, 999), ""), None);
    }

    #[test]
    fn the_folder_stamp_is_kept_only_with_a_complete_settled_listing() {
        let loc = Path::new("/p/versions");
        let (a, b) = (file("aaa"), file("bbb"));
        let dir = stamp(7, 900);
        let both = [
            (&b"a.sql"[..], stamp(1, 900), &a),
            (&b"b.sql"[..], stamp(2, 900), &b),
        ];
        let c = Cache::parse(encode(loc, 1000, Some(dir), &both), loc).unwrap();
        assert!(c.folder_unchanged(&dir));
        for other in [
            Stamp { ino: 8, ..dir },
            Stamp { mtime_ns: 6, ..dir },
            Stamp { ctime: 901, ..dir },
        ] {
            assert!(!c.folder_unchanged(&other), "{other:?}");
        }
        // A file left out (changed too recently): the listing is not complete.
        let racy = [
            (&b"a.sql"[..], stamp(1, 900), &a),
            (&b"b.sql"[..], stamp(2, 999), &b),
        ];
        let c = Cache::parse(encode(loc, 1000, Some(dir), &racy), loc).unwrap();
        assert!(!c.folder_unchanged(&dir));
        // The folder itself changed too recently.
        let recent = stamp(7, 999);
        let c = Cache::parse(encode(loc, 1000, Some(recent), &both), loc).unwrap();
        assert!(!c.folder_unchanged(&recent));
        let c = Cache::parse(encode(loc, 1000, None, &both), loc).unwrap();
        assert!(!c.folder_unchanged(&dir));
    }

    #[test]
    fn another_folder_or_damage_discards_the_cache() {
        let loc = Path::new("/p/versions");
        let f = file("aaa");
        let bytes = encode(
            loc,
            1000,
            Some(stamp(7, 900)),
            &[(b"a.sql", stamp(1, 900), &f)],
        );
        assert!(Cache::parse(bytes.clone(), Path::new("/q/versions")).is_none());
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x20;
            assert!(Cache::parse(bad, loc).is_none(), "byte {i} flipped");
            assert!(
                Cache::parse(bytes[..i].to_vec(), loc).is_none(),
                "cut at {i}"
            );
        }
    }

    /// Sets the modification time of `path` to `secs` after the epoch.
    fn age(path: &Path, secs: u64) {
        let f = std::fs::File::open(path).unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn pruning_drops_gone_folders_abandoned_writes_and_the_least_recently_used() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cache");
        let live = root.path().join("live");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        let now = now_secs() as u64;
        let put = |name: &str, bytes: &[u8], secs: u64| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            age(&path, secs);
            path
        };
        let of = |loc: &Path| encode(loc, 1000, None, &[]);
        // 70 files of an existing folder, last used in an order unlike their names'.
        let used: Vec<(PathBuf, u64)> = (0..70u64)
            .map(|i| {
                let secs = now - 10_000 + (i * 37) % 70;
                (
                    put(&format!("headers-{i:016x}.bin"), &of(&live), secs),
                    secs,
                )
            })
            .collect();
        // The file just written, older than all of them by its time: kept all the same.
        let written = put("headers-written.bin", &of(&live), now - 20_000);
        // A folder that is gone: its files go however recently they were used.
        let dead = put("headers-dead.bin", &of(&root.path().join("gone")), now);
        let other = put("notes.txt", b"", 0);
        let below_file = put("headers-deadtoo.bin", &of(&other.join("versions")), now);
        // Not a cache file the header can be read from: only recency decides.
        let odd = put("headers-odd.bin", b"not a cache", now);
        let abandoned = put("headers-1.123.tmp", b"", now - 3_600);
        let in_flight = put("headers-2.456.tmp", b"", now);
        // The least recently used of all, but it cannot be removed (a folder):
        // the next one goes instead.
        let stuck = dir.join("headers-stuck.bin");
        std::fs::create_dir(&stuck).unwrap();
        age(&stuck, 1);

        prune(&dir, &written, MAX_FILES);

        for gone in [&dead, &below_file, &abandoned] {
            assert!(!gone.exists(), "{} is still there", gone.display());
        }
        for stays in [&written, &odd, &in_flight, &other, &stuck] {
            assert!(stays.exists(), "{} was removed", stays.display());
        }
        // 64 cache files: written, odd, stuck and the 61 most recently used of the 70.
        let mut by_use = used.clone();
        by_use.sort_by_key(|(_, secs)| *secs);
        let (evicted, recent) = by_use.split_at(9);
        for (path, _) in evicted {
            assert!(!path.exists(), "{} is still there", path.display());
        }
        for (path, _) in recent {
            assert!(path.exists(), "{} was removed", path.display());
        }
        let bins = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("headers-") && name.ends_with(".bin")
            })
            .count();
        assert_eq!(bins, MAX_FILES);
    }

    #[test]
    fn reading_a_cache_marks_it_used() {
        let root = tempfile::tempdir().unwrap();
        let loc = root.path();
        let file = root.path().join("headers-x.bin");
        std::fs::write(&file, encode(loc, 1000, None, &[])).unwrap();
        age(&file, 1_000_000);
        assert!(Cache::read(&file, loc).is_some());
        let used = std::fs::metadata(&file).unwrap().modified().unwrap();
        let since = std::time::SystemTime::now().duration_since(used);
        assert!(since.is_ok_and(|d| d.as_secs() < 60), "{used:?}");
    }
}
