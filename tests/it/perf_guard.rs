//! The performance guard: tests that count work instead of timing it, so
//! they cannot flake on a busy machine, and fail when a change makes the cost
//! per revision grow with the number of revisions (the benchmark in bench/
//! measures the time).
//!
//! - every revision file is opened exactly once per command (inotify);
//! - the database round trips of `upgrade head` and `downgrade base` grow by a
//!   small constant per revision, counted on the wire by a proxy between
//!   `migrate` and PostgreSQL (ReadyForQuery messages) or MariaDB (commands);
//! - an SQLite run is one transaction (its journal is created once), and the
//!   `--sql` output holds a fixed number of statements per revision;
//! - the instructions `heads`, `history`, `current` and `upgrade --sql` execute
//!   (valgrind's callgrind, exact and repeatable) grow linearly with N;
//! - the graph's own work (building the map, plans, head maintenance's
//!   questions, the listings), counted by callgrind from outside the binary,
//!   grows linearly with N on graph shapes chosen to make careless
//!   algorithms quadratic.

use crate::support::all;
use crate::support::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Writes `n` linear revisions, each creating one table.
fn linear_project(kind: Db, n: usize) -> Project {
    let p = Project::new(kind);
    write_linear(&p, n);
    p
}

fn rev(i: usize) -> String {
    format!("{:012x}", 0xa000_0000_0000u64 + i as u64)
}

fn write_linear(p: &Project, n: usize) {
    for i in 0..n {
        let parent = if i == 0 { String::new() } else { rev(i - 1) };
        let parents: Vec<&str> = if i == 0 { vec![] } else { vec![&parent] };
        p.revision(
            &rev(i),
            &parents,
            &create_table(&format!("t{i}")),
            &drop_table(&format!("t{i}")),
        );
    }
}

// ---------------------------------------------------------------- files read once (inotify)

#[cfg(target_os = "linux")]
pub(crate) mod inotify {
    use std::collections::HashMap;
    use std::ffi::CString;
    use std::fs::File;
    use std::io::Read;
    use std::os::unix::io::FromRawFd;
    use std::path::Path;

    extern "C" {
        fn inotify_init1(flags: i32) -> i32;
        fn inotify_add_watch(fd: i32, path: *const std::ffi::c_char, mask: u32) -> i32;
    }
    pub(crate) const IN_OPEN: u32 = 0x20;
    pub(crate) const IN_CLOSE_NOWRITE: u32 = 0x10;
    pub(crate) const IN_CREATE: u32 = 0x100;
    pub(crate) const IN_DELETE: u32 = 0x200;
    const IN_ISDIR: u32 = 0x4000_0000;
    const IN_NONBLOCK: i32 = 0o4000;
    const IN_CLOEXEC: i32 = 0o2_000_000;

    /// A watch on one folder; `take` returns how often each event hit each file name.
    pub(crate) struct Watch {
        file: File,
    }

    impl Watch {
        pub(crate) fn new(dir: &Path, mask: u32) -> Watch {
            let fd = unsafe { inotify_init1(IN_NONBLOCK | IN_CLOEXEC) };
            assert!(
                fd >= 0,
                "inotify_init1: {}",
                std::io::Error::last_os_error()
            );
            let file = unsafe { File::from_raw_fd(fd) };
            let c = CString::new(dir.to_str().unwrap()).unwrap();
            let wd = unsafe { inotify_add_watch(fd, c.as_ptr(), mask) };
            assert!(
                wd >= 0,
                "inotify_add_watch: {}",
                std::io::Error::last_os_error()
            );
            Watch { file }
        }

        /// (mask bit, file name) → count, for the events queued so far (folders left out).
        pub(crate) fn take(&mut self) -> HashMap<(u32, String), usize> {
            self.take_events(false)
        }

        /// As `take`, with the events of folders too: the watched folder
        /// itself (opened to be listed, say) as ".".
        pub(crate) fn take_with_folders(&mut self) -> HashMap<(u32, String), usize> {
            self.take_events(true)
        }

        fn take_events(&mut self, folders: bool) -> HashMap<(u32, String), usize> {
            let mut counts = HashMap::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = match self.file.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("reading inotify events: {e}"),
                };
                let mut off = 0;
                while off + 16 <= n {
                    let mask = u32::from_ne_bytes(buf[off + 4..off + 8].try_into().unwrap());
                    let len =
                        u32::from_ne_bytes(buf[off + 12..off + 16].try_into().unwrap()) as usize;
                    let name = &buf[off + 16..off + 16 + len];
                    let mut name = String::from_utf8_lossy(name)
                        .trim_end_matches('\0')
                        .to_string();
                    if name.is_empty() {
                        name.push('.');
                    }
                    assert!(mask & 0x4000 == 0, "the inotify queue overflowed");
                    if folders || mask & IN_ISDIR == 0 {
                        for bit in [IN_OPEN, IN_CLOSE_NOWRITE, IN_CREATE, IN_DELETE] {
                            if mask & bit != 0 {
                                *counts.entry((bit, name.clone())).or_insert(0) += 1;
                            }
                        }
                    }
                    off += 16 + len;
                }
            }
            counts
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn each_revision_file_is_opened_once_per_command() {
    use inotify::*;
    const N: usize = 300;
    let p = linear_project(Db::Sqlite, N);
    let names: Vec<String> = std::fs::read_dir(p.versions_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), N);
    // The files were just written, so the header cache holds none of them yet
    // and every command reads them all (cache.rs covers runs that use it).
    // IN_CLOSE_NOWRITE is watched too so that two opens of one file are never
    // merged into one event (inotify merges identical consecutive events).
    let mut watch = Watch::new(&p.versions_dir(), IN_OPEN | IN_CLOSE_NOWRITE);
    for args in [
        &["heads"][..],
        &["history"],
        &["current"],
        &["upgrade", "head"],
        &["current"],
        &["upgrade", "head", "--sql"],
        &["downgrade", "base"],
        &["check", "--offline"],
    ] {
        watch.take();
        p.run(args).ok();
        let counts = watch.take();
        for name in &names {
            let opened = counts.get(&(IN_OPEN, name.clone())).copied().unwrap_or(0);
            assert_eq!(
                opened, 1,
                "`migrate {}` opened {name} {opened} times; every revision file must be read exactly once",
                args.join(" ")
            );
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_sqlite_upgrade_is_one_transaction_whatever_the_number_of_revisions() {
    use inotify::*;
    const N: usize = 200;
    let p = linear_project(Db::Sqlite, N);
    let db_path = p.db.path.clone().unwrap();
    let db_name = db_path.file_name().unwrap().to_string_lossy().into_owned();
    let journal = format!("{db_name}-journal");
    let mut watch = Watch::new(db_path.parent().unwrap(), IN_CREATE);
    for args in [&["upgrade", "head"][..], &["downgrade", "base"]] {
        watch.take();
        p.run(args).ok();
        let created = watch
            .take()
            .get(&(IN_CREATE, journal.clone()))
            .copied()
            .unwrap_or(0);
        // One write transaction: its rollback journal is created once (a commit
        // per revision would create it N times).
        assert!(
            created <= 2,
            "`migrate {}` of {N} revisions created the SQLite journal {created} times: one transaction per run is expected",
            args.join(" ")
        );
    }
}

// ---------------------------------------------------------------- round trips on the wire

/// A TCP proxy in front of a database server that counts round trips: the
/// PostgreSQL server's ReadyForQuery messages, or the MySQL client's commands
/// (packets with sequence id 0).
struct Proxy {
    port: u16,
    count: Arc<AtomicUsize>,
    /// Client → server copies still running: a client's last packets
    /// (MySQL's statement closes and quit, which get no answer) may still be
    /// on their way through when the client process has ended.
    open: Arc<AtomicUsize>,
}

#[derive(Clone, Copy)]
enum Wire {
    Postgres,
    MySql,
}

impl Proxy {
    fn start(upstream: String, wire: Wire) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (c, o) = (count.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = TcpStream::connect(&upstream).unwrap();
                let (c1, s1) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let c2 = c.clone();
                let o2 = o.clone();
                o2.fetch_add(1, Ordering::SeqCst);
                // client → server
                std::thread::spawn(move || {
                    match wire {
                        Wire::MySql => {
                            let mut st = MyStream::default();
                            pump(c1, s1, |buf| st.feed(buf, &c2));
                        }
                        Wire::Postgres => pump(c1, s1, |_| {}),
                    }
                    o2.fetch_sub(1, Ordering::SeqCst);
                });
                let c3 = c.clone();
                // server → client
                std::thread::spawn(move || match wire {
                    Wire::Postgres => {
                        let mut st = PgStream::default();
                        pump(server, client, |buf| st.feed(buf, &c3));
                    }
                    Wire::MySql => pump(server, client, |_| {}),
                });
            }
        });
        Proxy { port, count, open }
    }

    /// The round trips counted since the last call, once every connection
    /// the finished command made has been copied to its end.
    fn take(&self) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.open.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        self.count.swap(0, Ordering::SeqCst)
    }
}

/// Copies `from` to `to`, showing every chunk to `see`, until either side closes.
fn pump(mut from: TcpStream, mut to: TcpStream, mut see: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        see(&buf[..n]);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// Server → client PostgreSQL messages: a type byte and a 4-byte length (counting itself).
#[derive(Default)]
struct PgStream {
    pending: Vec<u8>,
}

impl PgStream {
    fn feed(&mut self, buf: &[u8], count: &AtomicUsize) {
        self.pending.extend_from_slice(buf);
        let mut off = 0;
        while self.pending.len() >= off + 5 {
            let len =
                u32::from_be_bytes(self.pending[off + 1..off + 5].try_into().unwrap()) as usize;
            if self.pending.len() < off + 1 + len {
                break;
            }
            if self.pending[off] == b'Z' {
                count.fetch_add(1, Ordering::SeqCst);
            }
            off += 1 + len;
        }
        self.pending.drain(..off);
    }
}

/// Client → server MySQL packets: 3-byte length, sequence id; a command starts
/// at sequence 0. A packet may arrive split over several reads (a long
/// multi-statement query), so the bytes of an unfinished packet wait for the next.
#[derive(Default)]
struct MyStream {
    pending: Vec<u8>,
}

impl MyStream {
    fn feed(&mut self, buf: &[u8], count: &AtomicUsize) {
        self.pending.extend_from_slice(buf);
        let mut off = 0;
        while self.pending.len() >= off + 4 {
            let p = &self.pending[off..];
            let len = usize::from(p[0]) | (usize::from(p[1]) << 8) | (usize::from(p[2]) << 16);
            if p.len() < 4 + len {
                break;
            }
            if p[3] == 0 {
                count.fetch_add(1, Ordering::SeqCst);
                if std::env::var("PG_DEBUG_WIRE").is_ok() && len > 0 {
                    let end = (4 + len).min(90);
                    eprintln!("CMD {:02x} {}", p[4], String::from_utf8_lossy(&p[5..end]));
                }
            }
            off += 4 + len;
        }
        self.pending.drain(..off);
    }
}

/// The URL of `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth_host, path) = rest.split_once('/').unwrap();
    let auth = auth_host
        .rsplit_once('@')
        .map(|(a, _)| format!("{a}@"))
        .unwrap_or_default();
    format!("{scheme}://{auth}127.0.0.1:{port}/{path}")
}

fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let host = rest.split_once('/').unwrap().0;
    host.rsplit_once('@').map_or(host, |(_, h)| h).to_string()
}

/// Round trips of `upgrade head` then `downgrade base` for `n` linear revisions.
fn round_trips(kind: Db, n: usize) -> (usize, usize) {
    let p = linear_project(kind, n);
    let wire = match kind {
        Db::Postgres => Wire::Postgres,
        Db::MySql => Wire::MySql,
        Db::Sqlite => unreachable!(),
    };
    let proxy = Proxy::start(host_port(&p.db.url), wire);
    let mut url = through(&p.db.url, proxy.port);
    if kind == Db::Postgres {
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str("sslmode=disable");
    }
    p.run(&["--url", &url, "upgrade", "head"]).ok();
    let up = proxy.take();
    assert_eq!(p.db.versions(), vec![rev(n - 1)]);
    p.run(&["--url", &url, "downgrade", "base"]).ok();
    let down = proxy.take();
    assert!(p.db.versions_or_empty().is_empty());
    (up, down)
}

#[test]
fn database_round_trips_grow_by_a_constant_per_revision() {
    crate::require!(Db::Postgres, Db::MySql);
    // A run costs a constant (connect, lock, version table) plus a few round
    // trips per revision; a walk or a query per revision over all revisions
    // (quadratic) shows here as thousands more, and one more statement per
    // revision as one more here. Per revision, as measured when this was
    // written: PostgreSQL 2 (the revision's statement, the version row; the
    // audit-log rows go in one INSERT per 128 revisions), MariaDB 2 (the
    // revision's statement; START TRANSACTION, the version row and its check,
    // the finished log row, the next revision's running row and COMMIT in one
    // message).
    for (kind, per_revision) in [(Db::Postgres, 2), (Db::MySql, 2)] {
        let (n1, n2) = (40, 80);
        let (up1, down1) = round_trips(kind, n1);
        let (up2, down2) = round_trips(kind, n2);
        assert!(up1 > 0 && down1 > 0, "{kind:?}: the proxy counted nothing");
        for (what, a, b) in [("upgrade head", up1, up2), ("downgrade base", down1, down2)] {
            let measured = b.saturating_sub(a) as f64 / (n2 - n1) as f64;
            eprintln!("{kind:?} {what}: {a} round trips for {n1} revisions, {b} for {n2} ({measured:.2} per revision)");
            // The constant part varies by a few from run to run (seen: up to
            // 6 on MariaDB); one more per revision would add 40.
            assert!(
                b.saturating_sub(a) <= per_revision * (n2 - n1) + 10,
                "{kind:?} {what}: {a} round trips for {n1} revisions but {b} for {n2}: more than {per_revision} per revision"
            );
        }
    }
}

// ---------------------------------------------------------------- statements in --sql output

fn statements(sql: &str) -> usize {
    sql.matches(";\n\n").count()
}

#[test]
fn sql_output_has_a_fixed_number_of_statements_per_revision() {
    for kind in all() {
        let n1 = 50;
        let p = linear_project(kind, n1);
        let up1 = p.run(&["upgrade", "head", "--sql"]).ok().stdout;
        let down1 = p.run(&["downgrade", "head:base", "--sql"]).ok().stdout;
        write_more(&p, n1, 2 * n1);
        let up2 = p.run(&["upgrade", "head", "--sql"]).ok().stdout;
        let down2 = p.run(&["downgrade", "head:base", "--sql"]).ok().stdout;
        for (what, a, b) in [("upgrade", &up1, &up2), ("downgrade", &down1, &down2)] {
            // One statement of the revision's own plus one version-table row each.
            assert_eq!(
                statements(b) - statements(a),
                2 * n1,
                "{kind:?} {what} --sql: {} statements for {n1} revisions, {} for {}",
                statements(a),
                statements(b),
                2 * n1
            );
            // One transaction for the whole run where DDL is transactional.
            assert!(b.matches("BEGIN;").count() <= 1, "{kind:?} {what}: {b}");
        }
    }
}

fn write_more(p: &Project, from: usize, to: usize) {
    for i in from..to {
        let parent = rev(i - 1);
        p.revision(
            &rev(i),
            &[&parent],
            &create_table(&format!("t{i}")),
            &drop_table(&format!("t{i}")),
        );
    }
}

// ---------------------------------------------------------------- instructions (callgrind)

/// Instructions `migrate ARGS` executes in `dir`, counted by callgrind,
/// reading every file (no header cache).
fn instructions(dir: &Path, args: &[&str]) -> u64 {
    instructions_with_cache(dir, args, "")
}

/// Same, with the header cache in `cache` ("" for none).
fn instructions_with_cache(dir: &Path, args: &[&str], cache: &str) -> u64 {
    let bin = assert_cmd::cargo::cargo_bin("migrate");
    let out = std::process::Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(&bin)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_CONFIG")
        .env("MIGRATE_CACHE_DIR", cache)
        .output()
        .unwrap_or_else(|e| {
            panic!("valgrind is needed to count instructions ({e}): `apt-get install valgrind`")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "migrate {args:?} under valgrind failed:\n{stderr}"
    );
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in valgrind's output:\n{stderr}"))
}

#[test]
fn graph_commands_execute_linearly_many_instructions() {
    // 10x the revisions may cost at most 15x the instructions: linear code
    // gives under 10x (the start-up is fixed), quadratic code about 100x.
    let (n1, n2) = (200, 2000);
    let small = linear_project(Db::Sqlite, n1);
    let big = linear_project(Db::Sqlite, n2);
    for p in [&small, &big] {
        p.run(&["stamp", "head"]).ok();
    }
    let mut seen = HashMap::new();
    for args in [
        &["heads"][..],
        &["history"],
        &["current"],
        &["upgrade", "head", "--sql"],
        &["downgrade", "head:base", "--sql"],
    ] {
        let a = instructions(small.path(), args);
        let b = instructions(big.path(), args);
        let ratio = b as f64 / a as f64;
        eprintln!(
            "migrate {}: {a} instructions at {n1}, {b} at {n2} ({ratio:.1}x)",
            args.join(" ")
        );
        seen.insert(args.join(" "), ratio);
        assert!(
            ratio <= 15.0,
            "`migrate {}` executes {a} instructions for {n1} revisions and {b} for {n2} ({ratio:.1}x): not linear",
            args.join(" ")
        );
    }
    assert_eq!(seen.len(), 5);

    // With the header cache filled (files older than 2 s are recorded).
    std::thread::sleep(std::time::Duration::from_millis(3100));
    for p in [&small, &big] {
        p.run(&["heads"]).ok();
    }
    for args in [&["heads"][..], &["history"], &["current"]] {
        let cache = |p: &Project| p.cache_dir().to_string_lossy().into_owned();
        let a = instructions_with_cache(small.path(), args, &cache(&small));
        let b = instructions_with_cache(big.path(), args, &cache(&big));
        let ratio = b as f64 / a as f64;
        eprintln!(
            "migrate {} (header cache): {a} instructions at {n1}, {b} at {n2} ({ratio:.1}x)",
            args.join(" ")
        );
        assert!(
            ratio <= 15.0,
            "`migrate {}` with the header cache executes {a} instructions for {n1} revisions and {b} for {n2} ({ratio:.1}x): not linear",
            args.join(" ")
        );
    }
}

// ---------------------------------------------------------------- graph work on adversarial shapes (callgrind)

/// One revision of a generated shape: its number, the numbers it revises and
/// depends on, and its own branch labels.
struct ShapeRev {
    i: usize,
    down: Vec<usize>,
    labels: Vec<String>,
    deps: Vec<usize>,
}

fn shape_rev(i: usize, down: Vec<usize>, labels: Vec<String>, deps: Vec<usize>) -> ShapeRev {
    ShapeRev {
        i,
        down,
        labels,
        deps,
    }
}

fn shape_id(i: usize) -> String {
    format!("{:012x}", 0x5000_0000_0000u64 + i as u64)
}

/// Graphs of about `n` revisions that make a careless graph algorithm
/// quadratic: long labelled chains, many dependents of one revision,
/// dependencies between parallel branches, many branches and roots, a
/// ladder of merges.
fn adversarial_shapes(n: usize) -> Vec<(&'static str, Vec<ShapeRev>)> {
    let mut out = Vec::new();
    // A chain with a branch label on every other revision.
    out.push((
        "labelled chain",
        (0..n)
            .map(|i| {
                let labels = if i % 2 == 0 {
                    vec![format!("l{i}")]
                } else {
                    vec![]
                };
                shape_rev(i, if i == 0 { vec![] } else { vec![i - 1] }, labels, vec![])
            })
            .collect(),
    ));
    // Two long parallel branches from one root, joined at the top; each
    // revision of the first depends on its twin in the second.
    let half = n / 2;
    let mut v = vec![shape_rev(0, vec![], vec![], vec![])];
    for k in 1..half {
        let (a, b) = (2 * k - 1, 2 * k);
        let (pa, pb) = if k == 1 { (0, 0) } else { (a - 2, b - 2) };
        v.push(shape_rev(a, vec![pa], vec![], vec![b]));
        v.push(shape_rev(b, vec![pb], vec![], vec![]));
    }
    let top = 2 * half - 1;
    v.push(shape_rev(top, vec![top - 2, top - 1], vec![], vec![]));
    out.push(("parallel branches with dependencies", v));
    // Every revision of a chain depends on one early revision of another root.
    out.push((
        "many dependents of one revision",
        (0..n)
            .map(|i| match i {
                0 | 1 => shape_rev(i, vec![], vec![], vec![]),
                _ => shape_rev(i, vec![if i == 2 { 0 } else { i - 1 }], vec![], vec![1]),
            })
            .collect(),
    ));
    // Many labelled branches of 10 from one root, each a head.
    let mut v = vec![shape_rev(0, vec![], vec![], vec![])];
    let mut i = 1;
    while i + 10 <= n {
        for k in 0..10 {
            let labels = if k == 0 {
                vec![format!("b{i}")]
            } else {
                vec![]
            };
            let down = vec![if k == 0 { 0 } else { i + k - 1 }];
            v.push(shape_rev(i + k, down, labels, vec![]));
        }
        i += 10;
    }
    out.push(("many labelled branches", v));
    // A ladder: b(k) merges b(k-1) and a(k); a labelled root on each side.
    let mut v = vec![
        shape_rev(0, vec![], vec!["left".into()], vec![]),
        shape_rev(1, vec![0], vec!["right".into()], vec![]),
    ];
    for k in 1..n / 2 {
        let (a, b) = (2 * k, 2 * k + 1);
        v.push(shape_rev(a, vec![a - 2], vec![], vec![]));
        v.push(shape_rev(b, vec![b - 2, a], vec![], vec![]));
    }
    out.push(("ladder of merges", v));
    // Two long branches from one root, never merged.
    out.push((
        "two unmerged branches",
        (0..n)
            .map(|i| {
                let down = match i {
                    0 => vec![],
                    1 | 2 => vec![0],
                    _ => vec![i - 2],
                };
                shape_rev(i, down, vec![], vec![])
            })
            .collect(),
    ));
    // A root every fifth revision: n / 5 short chains, each a head.
    out.push((
        "many roots",
        (0..n)
            .map(|i| {
                shape_rev(
                    i,
                    if i % 5 == 0 { vec![] } else { vec![i - 1] },
                    vec![],
                    vec![],
                )
            })
            .collect(),
    ));
    out
}

fn shape_project(revs: &[ShapeRev]) -> Project {
    let p = Project::new(Db::Sqlite);
    for r in revs {
        let down: Vec<String> = r.down.iter().map(|&d| shape_id(d)).collect();
        let down: Vec<&str> = down.iter().map(String::as_str).collect();
        let mut extra = String::new();
        if !r.labels.is_empty() {
            extra.push_str(&format!("-- Branch Labels: {}", r.labels.join(", ")));
        }
        if !r.deps.is_empty() {
            let deps: Vec<String> = r.deps.iter().map(|&d| shape_id(d)).collect();
            if !extra.is_empty() {
                extra.push('\n');
            }
            extra.push_str(&format!("-- Depends On: {}", deps.join(", ")));
        }
        p.revision_with(&shape_id(r.i), &down, &extra, "", "");
    }
    p
}

/// The graph's entry points a command calls: building the map, the plans,
/// head maintenance's questions about the rows, and the listings that walk
/// the graph. None of them calls another, so their inclusive costs add up to
/// the graph work of a run, apart from file reading, SQL and output.
const GRAPH_ENTRY_POINTS: [&str; 8] = [
    "RevisionMap>::new",
    "RevisionMap>::upgrade_plan",
    "RevisionMap>::downgrade_plan",
    "RevisionMap>::implied_by_other_rows",
    "RevisionMap>::rows_moved",
    "RevisionMap>::down_revisions_implied_by_siblings",
    "display::branches_lines",
    "display::current_lines",
];

/// Inclusive instruction counts per function of a callgrind output file
/// (costs of a function's own lines plus those of the calls it makes).
fn inclusive_costs(profile: &str) -> HashMap<String, u64> {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut costs: HashMap<String, u64> = HashMap::new();
    let mut current = String::new();
    // `fn=(7) name` defines id 7; a later `fn=(7)` refers to it.
    let mut resolve = |spec: &str| -> String {
        let spec = spec.trim();
        match spec.strip_prefix('(').and_then(|s| s.split_once(')')) {
            Some((id, "")) => names.get(id).cloned().unwrap_or_default(),
            Some((id, name)) => {
                let name = name.trim().to_string();
                names.insert(id.to_string(), name.clone());
                name
            }
            None => spec.to_string(),
        }
    };
    for line in profile.lines() {
        if let Some(spec) = line.strip_prefix("fn=") {
            current = resolve(spec);
        } else if let Some(spec) = line.strip_prefix("cfn=") {
            resolve(spec);
        } else if line.starts_with(|c: char| c.is_ascii_digit() || "+-*".contains(c)) {
            // A cost line: the position, then the instructions, of the
            // function's own code or (after a `calls=` line) of a call.
            let ir: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            *costs.entry(current.clone()).or_insert(0) += ir;
        }
    }
    costs
}

/// Head maintenance hands the graph the whole list of version-table rows at
/// every step, and the graph compares it with (and copies it into) the
/// rows its counts are for: a cost per step of the number of rows, not of
/// the graph (a graph with n / 5 heads pays it n / 5 times per step). It is
/// counted apart, in these functions, and reported, not bounded.
const ROW_BOOKKEEPING: [&str; 2] = ["applied::Applied::holds", "applied::copy_rows"];

/// The graph work of `migrate ARGS` in `dir` (no header cache): the
/// instructions callgrind counts in [`GRAPH_ENTRY_POINTS`] and all they
/// call, less the [`ROW_BOOKKEEPING`], which is returned second.
fn graph_instructions(dir: &Path, args: &[&str]) -> (u64, u64) {
    let profile = dir.join("callgrind.out");
    let bin = assert_cmd::cargo::cargo_bin("migrate");
    let out = std::process::Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg(&bin)
        .arg("-q")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_CONFIG")
        .env("MIGRATE_CACHE_DIR", "")
        .output()
        .unwrap_or_else(|e| {
            panic!("valgrind is needed to count instructions ({e}): `apt-get install valgrind`")
        });
    assert!(
        out.status.success(),
        "migrate {args:?} under valgrind failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&profile).expect("callgrind's output file");
    std::fs::remove_file(&profile).ok();
    let costs = inclusive_costs(&text);
    let cost_of = |suffix: &str| -> u64 {
        costs
            .iter()
            .filter(|(name, _)| name.ends_with(suffix))
            .map(|(_, &c)| c)
            .sum()
    };
    // Every run builds the map: if that is not found, the names changed and
    // this guard would count nothing.
    let build = cost_of(GRAPH_ENTRY_POINTS[0]);
    assert!(
        build > 0,
        "no instructions of `{}` in the profile of migrate {args:?}: were graph functions renamed?",
        GRAPH_ENTRY_POINTS[0]
    );
    let all: u64 = GRAPH_ENTRY_POINTS.iter().map(|e| cost_of(e)).sum();
    let rows: u64 = ROW_BOOKKEEPING.iter().map(|e| cost_of(e)).sum();
    (all - rows, rows)
}

#[test]
fn graph_work_stays_linear_on_adversarial_shapes() {
    // 5x the revisions may cost at most 6x the graph work: linear code
    // gives 5x (a little more where ids are sorted), quadratic code 25x.
    // Counts are exact, so the margin only absorbs hash-order differences.
    let (n1, n2) = (200, 1000);
    let bound = 6.0;
    let commands: [&[&str]; 5] = [
        &["branches"],
        &["upgrade", "heads", "--sql"],
        &["stamp", "heads"],
        &["current"],
        &["downgrade", "base"],
    ];
    // Each command's (graph work, row bookkeeping) in one project.
    let measure = |revs: &[ShapeRev]| -> Vec<(u64, u64)> {
        let p = shape_project(revs);
        let mut counts = Vec::new();
        for args in commands {
            if args[0] == "stamp" {
                p.run(args).ok();
            } else {
                counts.push(graph_instructions(p.path(), args));
            }
        }
        counts
    };
    let mut failures = Vec::new();
    let mut measured = 0;
    for ((name, s), (_, l)) in adversarial_shapes(n1).iter().zip(&adversarial_shapes(n2)) {
        let (small, large) = std::thread::scope(|scope| {
            let small = scope.spawn(|| measure(s));
            let large = measure(l);
            (small.join().expect("the small project's runs"), large)
        });
        let measured_commands = commands.iter().filter(|a| a[0] != "stamp");
        for (args, ((a, rows_a), (b, rows_b))) in measured_commands.zip(small.iter().zip(&large)) {
            measured += 1;
            let ratio = *b as f64 / *a as f64;
            let growth = l.len() as f64 / s.len() as f64;
            let what = format!("{name}: `migrate {}`", args.join(" "));
            eprintln!(
                "{what}: graph work {a} at {} revisions, {b} at {} ({ratio:.1}x); row bookkeeping {rows_a}, {rows_b}",
                s.len(),
                l.len()
            );
            if ratio > bound * growth / 5.0 {
                failures.push(format!(
                    "{what} does {a} instructions of graph work for {} revisions and {b} for {} ({ratio:.1}x): not linear",
                    s.len(),
                    l.len()
                ));
            }
        }
    }
    assert_eq!(measured, 7 * 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
