//! The header cache of the inspection commands: used for files that have not
//! changed, never for one that has, harmless when missing, damaged or
//! unwritable, and bounded: the files of folders that are gone go, and the
//! cache folder keeps the most recently used 64.

use crate::support::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many cache files the cache folder keeps (`script::cache::MAX_FILES`).
const MAX_FILES: usize = 64;

/// Files changed within the last 2 seconds are never cached: wait them out.
fn let_files_settle() {
    std::thread::sleep(Duration::from_millis(3100));
}

/// Replaces `from` with `to` in the file at `path`, in place.
fn rewrite(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn cache_files(p: &Project) -> Vec<PathBuf> {
    match std::fs::read_dir(p.cache_dir()) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The cache files (`headers-*.bin`) in `dir`.
fn cache_files_in(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("headers-") && name.ends_with(".bin")
        })
        .collect()
}

/// Everything in `dir`, by name.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs `migrate heads` in `p` with the cache in `cache`, and returns the
/// cache file the run added (it must add exactly one).
fn first_run(p: &Project, cache: &Path) -> PathBuf {
    let before = cache_files_in(cache);
    p.run_env(
        &["heads"],
        &[("MIGRATE_CACHE_DIR", cache.to_str().unwrap())],
    )
    .ok();
    let added: Vec<_> = cache_files_in(cache).difference(&before).cloned().collect();
    assert_eq!(added.len(), 1, "one new cache file: {added:?}");
    added[0].clone()
}

fn one_revision(p: &Project) {
    p.revision("aaa111", &[], &create_table("t1"), &drop_table("t1"));
}

fn three_revisions(p: &Project) {
    p.revision("aaa111", &[], &create_table("t1"), &drop_table("t1"));
    p.revision(
        "bbb222",
        &["aaa111"],
        &create_table("t2"),
        &drop_table("t2"),
    );
    p.revision(
        "ccc333",
        &["bbb222"],
        &create_table("t3"),
        &drop_table("t3"),
    );
}

#[cfg(target_os = "linux")]
#[test]
fn unchanged_files_are_not_read_again_and_changed_ones_always_are() {
    use crate::perf_guard::inotify::*;
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    let first = p.run(&["history"]).ok().stdout;
    assert_eq!(
        cache_files(&p).len(),
        1,
        "the first run records the headers"
    );

    let mut watch = Watch::new(&p.versions_dir(), IN_OPEN | IN_CLOSE_NOWRITE);
    for args in [
        &["heads"][..],
        &["history", "-v"],
        &["branches"],
        &["show", "bbb222"],
    ] {
        watch.take();
        let direct = p.run_env(args, &[("MIGRATE_CACHE_DIR", "")]).ok().stdout;
        assert_eq!(
            watch.take().len(),
            6,
            "without the cache every file is read"
        );
        let cached = p.run(args).ok().stdout;
        let opened = watch.take();
        assert!(
            opened.is_empty(),
            "`migrate {}` read {opened:?} although nothing changed",
            args.join(" ")
        );
        assert_eq!(cached, direct, "`migrate {}`", args.join(" "));
    }

    // An edit that keeps the file's size, right after the cache was written:
    // the change time gives it away.
    let b = p.versions_dir().join("bbb222_rev.sql");
    rewrite(&b, "-- rev bbb222", "-- rev BBB222");
    let after = p.run(&["history"]).ok().stdout;
    assert_ne!(after, first);
    assert!(after.contains("rev BBB222"), "{after}");
    let opened = watch.take();
    assert!(!opened.is_empty(), "the edited file is read");
    assert_eq!(
        opened.keys().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
        vec!["bbb222_rev.sql"; opened.len()],
        "only the edited file is read"
    );

    // A new head and a removed file show at once.
    p.revision(
        "ddd444",
        &["ccc333"],
        &create_table("t4"),
        &drop_table("t4"),
    );
    assert_eq!(p.run(&["heads"]).ok().stdout, "ddd444 (head)\n");
    std::fs::remove_file(p.versions_dir().join("ddd444_rev.sql")).unwrap();
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");
}

#[test]
fn a_graph_error_made_by_an_edit_is_reported_through_the_cache() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    p.run(&["heads"]).ok();
    let c = p.versions_dir().join("ccc333_rev.sql");
    rewrite(&c, "Revises: bbb222", "Revises: zzz999");
    let err = p.run(&["heads"]).fails().stderr;
    assert!(err.contains("zzz999"), "{err}");
    assert!(err.contains("ccc333_rev.sql"), "{err}");
}

#[test]
fn a_damaged_cache_is_ignored_and_replaced() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    let expected = p.run(&["history", "-v"]).ok().stdout;
    let files = cache_files(&p);
    assert_eq!(files.len(), 1);
    let good = std::fs::read(&files[0]).unwrap();
    for damage in [
        b"not a cache".to_vec(),
        Vec::new(),
        good[..good.len() / 2].to_vec(),
        {
            let mut d = good.clone();
            let i = d.len() / 2;
            d[i] ^= 1;
            d
        },
    ] {
        std::fs::write(&files[0], &damage).unwrap();
        assert_eq!(p.run(&["history", "-v"]).ok().stdout, expected);
        // Written again whole (the same entries; only its time may differ).
        assert_eq!(
            std::fs::read(&files[0]).unwrap().len(),
            good.len(),
            "the damaged cache is written again"
        );
    }
}

#[test]
fn an_unusable_cache_folder_changes_nothing() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let expected = p.run(&["history"]).ok().stdout;
    // A folder that cannot be created (below a file), and none at all.
    let blocker = p.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let below_file = blocker.join("cache");
    let below_file = below_file.to_str().unwrap();
    for dir in [below_file, ""] {
        let r = p.run_env(&["history"], &[("MIGRATE_CACHE_DIR", dir)]).ok();
        assert_eq!(r.stdout, expected);
        assert_eq!(r.stderr, "");
    }
    assert!(!blocker.join("cache").exists());
}

#[test]
fn commands_that_run_sql_read_the_files_themselves() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    p.run(&["heads"]).ok();
    // Same size, new SQL: the header is unchanged, the upgrade sees the edit.
    let a = p.versions_dir().join("aaa111_rev.sql");
    rewrite(&a, "TABLE t1 ", "TABLE u1 ");
    p.run(&["upgrade", "aaa111"]).ok();
    let tables = p.db.tables();
    assert!(tables.iter().any(|t| t == "u1"), "{tables:?}");
}

#[cfg(unix)]
#[test]
fn a_linked_revision_file_is_checked_by_the_file_it_names() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    // ccc333 lives outside the folder; the folder holds a link to it.
    let outside = p.path().join("ccc333_rev.sql");
    let link = p.versions_dir().join("ccc333_rev.sql");
    std::fs::rename(&link, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let_files_settle();
    p.run(&["history"]).ok();
    rewrite(&outside, "-- rev ccc333", "-- rev CCC333");
    let after = p.run(&["history"]).ok().stdout;
    assert!(after.contains("rev CCC333"), "{after}");
}

/// After a run over settled files the cache also records the folder's stamp,
/// and while the folder keeps it the folder is not listed again; adding,
/// removing or renaming a file changes that stamp, so each shows at once.
#[test]
fn files_added_removed_or_renamed_after_a_settled_run_show_at_once() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");

    p.revision(
        "ddd444",
        &["ccc333"],
        &create_table("t4"),
        &drop_table("t4"),
    );
    assert_eq!(p.run(&["heads"]).ok().stdout, "ddd444 (head)\n");

    let_files_settle();
    assert_eq!(p.run(&["heads"]).ok().stdout, "ddd444 (head)\n");
    std::fs::remove_file(p.versions_dir().join("ddd444_rev.sql")).unwrap();
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");

    let_files_settle();
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");
    let c = p.versions_dir().join("ccc333_rev.sql");
    std::fs::rename(&c, c.with_extension("sql.off")).unwrap();
    assert_eq!(p.run(&["heads"]).ok().stdout, "bbb222 (head)\n");
    let history = p.run(&["history"]).ok().stdout;
    assert!(!history.contains("ccc333"), "{history}");
}

/// A cache written while the folder was still changing lacks the folder's
/// stamp; once the folder settles, the next run records it (and the run
/// after that has nothing to rewrite).
#[test]
fn the_folder_stamp_is_recorded_once_the_folder_settles() {
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    p.run(&["heads"]).ok();
    std::fs::remove_file(p.versions_dir().join("ccc333_rev.sql")).unwrap();
    assert_eq!(p.run(&["heads"]).ok().stdout, "bbb222 (head)\n");
    let files = cache_files(&p);
    assert_eq!(files.len(), 1);
    let unsettled = std::fs::read(&files[0]).unwrap();
    let_files_settle();
    assert_eq!(p.run(&["heads"]).ok().stdout, "bbb222 (head)\n");
    let settled = std::fs::read(&files[0]).unwrap();
    assert_ne!(settled, unsettled, "the settled folder's stamp is recorded");
    assert_eq!(p.run(&["heads"]).ok().stdout, "bbb222 (head)\n");
    assert_eq!(
        std::fs::read(&files[0]).unwrap(),
        settled,
        "nothing to rewrite"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_settled_unchanged_folder_is_not_listed_again() {
    use crate::perf_guard::inotify::*;
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    // This run lists the settled folder and records its stamp.
    assert_eq!(p.run(&["heads"]).ok().stdout, "ccc333 (head)\n");
    let mut watch = Watch::new(&p.versions_dir(), IN_OPEN);
    for args in [&["heads"][..], &["history"], &["current"]] {
        watch.take_with_folders();
        p.run(args).ok();
        let opened = watch.take_with_folders();
        assert!(
            opened.is_empty(),
            "`migrate {}` opened {opened:?}: the recorded names and their stamps are enough",
            args.join(" ")
        );
    }
}

#[test]
fn the_cache_file_of_a_removed_project_folder_goes_away() {
    let shared = tempfile::tempdir().unwrap();
    let cache = shared.path();
    let kept = Project::new(Db::Sqlite);
    three_revisions(&kept);
    let removed = Project::new(Db::Sqlite);
    three_revisions(&removed);
    let kept_file = first_run(&kept, cache);
    let removed_file = first_run(&removed, cache);
    drop(removed);
    // Reading leaves the folder as it is; the next cache file written prunes it.
    let env = [("MIGRATE_CACHE_DIR", cache.to_str().unwrap())];
    assert!(removed_file.exists());
    kept.revision(
        "ddd444",
        &["ccc333"],
        &create_table("t4"),
        &drop_table("t4"),
    );
    assert_eq!(
        kept.run_env(&["heads"], &env).ok().stdout,
        "ddd444 (head)\n"
    );
    assert_eq!(cache_files_in(cache), BTreeSet::from([kept_file]));
}

#[cfg(unix)]
#[test]
fn beyond_64_folders_the_least_recently_read_cache_files_go() {
    use std::os::unix::fs::MetadataExt;
    // File times come from a clock that ticks every few milliseconds: runs
    // this far apart are ordered by them.
    let apart = || std::thread::sleep(Duration::from_millis(15));
    let shared = tempfile::tempdir().unwrap();
    let cache = shared.path();
    let env = [("MIGRATE_CACHE_DIR", cache.to_str().unwrap())];
    let first: Vec<Project> = (0..MAX_FILES)
        .map(|_| {
            let p = Project::new(Db::Sqlite);
            one_revision(&p);
            p
        })
        .collect();
    // Settled files are recorded with the folder's stamp: the next run only reads.
    let_files_settle();
    let files: Vec<PathBuf> = first
        .iter()
        .map(|p| {
            let f = first_run(p, cache);
            apart();
            f
        })
        .collect();
    assert_eq!(cache_files_in(cache).len(), MAX_FILES);

    // The oldest 8 are read again, which makes them the most recently used.
    for (p, file) in first.iter().zip(&files).take(8) {
        let inode = std::fs::metadata(file).unwrap().ino();
        assert_eq!(p.run_env(&["heads"], &env).ok().stdout, "aaa111 (head)\n");
        assert_eq!(
            std::fs::metadata(file).unwrap().ino(),
            inode,
            "{} was read, not written again",
            file.display()
        );
        apart();
    }
    // 8 more folders (kept: a folder that is gone loses its file anyway):
    // each new cache file pushes out the least recently used.
    let more: Vec<(Project, PathBuf)> = (0..8)
        .map(|_| {
            let p = Project::new(Db::Sqlite);
            one_revision(&p);
            let f = first_run(&p, cache);
            apart();
            (p, f)
        })
        .collect();

    let left = cache_files_in(cache);
    assert_eq!(left.len(), MAX_FILES);
    for (i, file) in files.iter().enumerate() {
        let read_again = i < 8;
        let oldest_unread = (8..16).contains(&i);
        assert_eq!(
            left.contains(file),
            read_again || !oldest_unread,
            "folder {i}'s cache file {}",
            if left.contains(file) {
                "stayed"
            } else {
                "went"
            }
        );
    }
    for (_, file) in &more {
        assert!(left.contains(file), "{} went", file.display());
    }
}

/// Replicas running at once over more folders than the cache keeps: every
/// run succeeds while others replace and remove files under it, and the
/// bound holds once they are done.
#[test]
fn replicas_pruning_at_once_stay_correct() {
    let shared = tempfile::tempdir().unwrap();
    let cache = shared.path().to_str().unwrap().to_string();
    let projects: Vec<Project> = (0..MAX_FILES + 16)
        .map(|_| {
            let p = Project::new(Db::Sqlite);
            one_revision(&p);
            p
        })
        .collect();
    std::thread::scope(|s| {
        for part in projects.chunks(projects.len() / 4) {
            let cache = &cache;
            s.spawn(move || {
                for _ in 0..2 {
                    for p in part {
                        let r = p.run_env(&["heads"], &[("MIGRATE_CACHE_DIR", cache)]).ok();
                        assert_eq!(r.stdout, "aaa111 (head)\n");
                        assert_eq!(r.stderr, "");
                    }
                }
            });
        }
    });
    let names = names_in(shared.path());
    assert!(names.len() <= MAX_FILES, "{} files: {names:?}", names.len());
    assert!(names.iter().all(|n| n.ends_with(".bin")), "{names:?}");
}

/// A cache folder this user cannot write to (a read-only mount, someone
/// else's folder): the output is the same, nothing in it changes, and the
/// run says nothing about it. Run as root, the test runs `migrate` as
/// `nobody`, for whom the folder's permissions hold.
#[cfg(unix)]
#[test]
fn a_cache_folder_that_cannot_be_written_only_means_no_cache() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let p = Project::new(Db::Sqlite);
    three_revisions(&p);
    let_files_settle();
    p.run(&["history"]).ok();
    let cache = p.cache_dir();
    let file = cache_files_in(&cache).pop_first().unwrap();
    // More files than the cache keeps, one of them of a folder that is gone.
    let other = Project::new(Db::Sqlite);
    three_revisions(&other);
    first_run(&other, &cache);
    drop(other);
    for i in 0..MAX_FILES {
        std::fs::copy(&file, cache.join(format!("headers-{i:016x}.bin"))).unwrap();
    }
    // An edit, so that the run would write the cache again.
    rewrite(
        &p.versions_dir().join("ccc333_rev.sql"),
        "-- rev ccc333",
        "-- rev CCC333",
    );
    let expected = p
        .run_env(&["history"], &[("MIGRATE_CACHE_DIR", "")])
        .ok()
        .stdout;
    // Names and bytes (a file this user owns may still be marked as read).
    let contents = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let before = contents(&cache);
    assert_eq!(before.len(), MAX_FILES + 2);

    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    mode(&cache, 0o555);
    mode(p.path(), 0o755);
    let owner = std::fs::metadata(&file).unwrap().uid();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"));
    cmd.current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_CONFIG")
        .env("MIGRATE_CACHE_DIR", &cache)
        .env("NO_COLOR", "1")
        .arg("history");
    if owner == 0 {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    mode(&cache, 0o755);
    let r = r.ok();
    assert_eq!(r.stdout, expected);
    assert!(r.stdout.contains("rev CCC333"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
    assert!(contents(&cache) == before, "the cache folder changed");
}
