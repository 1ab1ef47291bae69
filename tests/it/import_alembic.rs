//! `migrate import alembic`: a real Alembic project (tests/fixtures/
//! alembic_shop: thirteen revisions with SQLAlchemy types, enums, server
//! defaults, indexes, a labelled branch, a merge, a dependency,
//! batch_alter_table and a data migration that calls op.get_bind()) is run by
//! Alembic into one database and converted and run by `migrate` into
//! another, on each database; the schemas must match, `migrate current` must
//! say what `alembic current` says, and a database Alembic brought half way
//! must be continued with no step run twice.
//!
//! Alembic runs from the venv `.ci/run` makes (MIGRATE_TEST_ALEMBIC_PYTHON).
//! Without it a test says so loudly on the terminal and does nothing more;
//! under CI=true it fails.

use crate::support::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every revision of the fixture, base first.
const ALL_REVS: [&str; 13] = [
    "a1c0ffee0001",
    "b2c0ffee0002",
    "c3c0ffee0003",
    "d4c0ffee0004",
    "e5c0ffee0005",
    "f6c0ffee0006",
    "a7c0ffee0007",
    "b8c0ffee0008",
    "c9c0ffee0009",
    "d0c0ffee0010",
    "e1c0ffee0011",
    "f2c0ffee0012",
    "a3c0ffee0013",
];

/// The revision whose upgrade reads the database (op.get_bind()).
const TODO_REV: &str = "d0c0ffee0010";

/// The Python with Alembic, or None (the test then does nothing more: it
/// said so, or under CI=true it failed).
fn alembic_python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("MIGRATE_TEST_ALEMBIC_PYTHON") {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        other => {
            let what = match other {
                Some(p) => format!(
                    "MIGRATE_TEST_ALEMBIC_PYTHON names {}, which does not exist",
                    Path::new(&p).display()
                ),
                None => "MIGRATE_TEST_ALEMBIC_PYTHON (a Python with Alembic) is not set".into(),
            };
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{test}: {what}. CI=true: .ci/run provides it, so its absence is a failure."
                );
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED {test}: {what}. `.ci/run` makes target/alembic-venv and sets it; under CI=true this fails. ***\n"
            );
            None
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "__pycache__" {
                copy_dir(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A copy of the fixture project in `dir/shop`.
fn shop(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alembic_shop");
    let proj = dir.join("shop");
    copy_dir(&src, &proj);
    proj
}

/// The URL SQLAlchemy is given for `db` (MySQL through PyMySQL).
fn sa_url(db: &TestDb) -> String {
    match db.kind {
        Db::MySql => db.url.replacen("mysql://", "mysql+pymysql://", 1),
        _ => db.url.clone(),
    }
}

/// Points alembic.ini's sqlalchemy.url at `url`.
fn set_ini_url(proj: &Path, url: &str) {
    let ini = proj.join("alembic.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    let text: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("sqlalchemy.url") {
                format!("sqlalchemy.url = {url}")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&ini, text.join("\n") + "\n").unwrap();
}

/// `alembic ARGS` in the project, with the test's Python; stdout.
#[track_caller]
fn alembic(python: &Path, proj: &Path, args: &[&str]) -> String {
    let o = Command::new(python)
        .args(["-m", "alembic"])
        .args(args)
        .current_dir(proj)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "alembic {args:?}: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn import(proj: &Path, python: &Path, extra: &[&str]) -> Run {
    let py = python.display().to_string();
    let mut args = vec!["import", "alembic", "--python", py.as_str()];
    args.extend_from_slice(extra);
    migrate_in(proj, &args, &[])
}

/// The converted file of `rev`.
fn converted(proj: &Path, rev: &str) -> PathBuf {
    let dir = proj.join("migrate/versions");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(rev))
        .unwrap_or_else(|| panic!("no converted file for {rev} in {}", dir.display()))
}

/// The way out of the todo: the upgrade written by hand, the marker gone.
fn write_todo_by_hand(proj: &Path) {
    let path = converted(proj, TODO_REV);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("-- migrate:todo upgrade()"), "{text}");
    let text = text.replace(
        "-- migrate:todo ",
        "INSERT INTO products (sku, title, price) VALUES ('SAMPLE', 'Sample', 1);\n-- was: ",
    );
    std::fs::write(&path, text).unwrap();
}

/// `diff --from A --to B --exit-code` in the project: exit 0 when the schemas match.
#[track_caller]
fn assert_same_schema(proj: &Path, a: &TestDb, b: &TestDb, what: &str) {
    let r = migrate_in(
        proj,
        &["diff", "--from", &a.url, "--to", &b.url, "--exit-code"],
        &[],
    );
    assert_eq!(
        r.code, 0,
        "{what}: the schemas differ\n--- stdout\n{}\n--- stderr\n{}",
        r.stdout, r.stderr
    );
}

#[test]
fn alembic_and_migrate_make_the_same_schema_and_migrate_continues_alembic() {
    let Some(python) = alembic_python("import_alembic::alembic_and_migrate_make_the_same_schema")
    else {
        return;
    };
    for kind in all() {
        let dir = tempfile::tempdir().unwrap();
        let proj = shop(dir.path());
        let by_alembic = TestDb::new(kind, dir.path());
        let by_migrate = TestDb::new(kind, dir.path());
        let half = TestDb::new(kind, dir.path());

        set_ini_url(&proj, &sa_url(&by_alembic));
        alembic(&python, &proj, &["upgrade", "head"]);

        // The conversion: every revision, one of them left to write by hand.
        let r = import(&proj, &python, &[]);
        assert_eq!(
            r.code, 1,
            "{kind:?}: todo → exit 1\n{}\n{}",
            r.stdout, r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(
            r.stdout.contains("Converted 13 revision(s)"),
            "{}",
            r.stdout
        );
        let todo_lines: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("TODO: "))
            .collect();
        assert_eq!(todo_lines.len(), 1, "{kind:?}: {}", r.stdout);
        let todo_file = converted(&proj, TODO_REV);
        assert!(
            todo_lines[0].contains(&format!("{}:", todo_file.display()))
                && todo_lines[0].contains("upgrade() of alembic/versions/d0c0ffee0010_")
                && todo_lines[0].contains("op.get_bind()"),
            "{}",
            todo_lines[0]
        );
        if kind == Db::Sqlite {
            assert!(
                r.stdout
                    .contains("3 of them rendered on a scratch SQLite database"),
                "{}",
                r.stdout
            );
        }

        // upgrade and check refuse the marked revision, naming file and line.
        let refused =
            migrate_in(&proj, &["--url", &by_migrate.url, "upgrade", "head"], &[]).fails();
        assert!(
            refused
                .stderr
                .contains(&format!("{}:", todo_file.display()))
                && refused.stderr.contains("-- migrate:todo")
                && refused.stderr.contains("nothing was run"),
            "{}",
            refused.stderr
        );
        assert!(!by_migrate.has_table("users"), "{kind:?}: nothing ran");
        let check = migrate_in(&proj, &["check", "--offline"], &[]);
        assert_eq!(check.code, 1, "{}", check.stdout);
        assert!(
            check.stdout.contains(TODO_REV) && check.stdout.contains("migrate:todo"),
            "{}",
            check.stdout
        );

        if kind == Db::Postgres {
            // autocommit_block(): the revision runs outside a transaction.
            let text = std::fs::read_to_string(converted(&proj, "a3c0ffee0013")).unwrap();
            assert!(
                text.contains("-- Transactional: false\n")
                    && text.contains(
                        "-- migrate:upgrade\nALTER TYPE order_status ADD VALUE 'cancelled';\n"
                    )
                    && !text.contains("COMMIT"),
                "{text}"
            );
        }
        write_todo_by_hand(&proj);
        migrate_in(&proj, &["--url", &by_migrate.url, "upgrade", "head"], &[]).ok();
        assert_same_schema(
            &proj,
            &by_alembic,
            &by_migrate,
            &format!("{kind:?} at head"),
        );

        // `migrate current` on Alembic's database (migrate.toml's url) is `alembic current`.
        let theirs = alembic(&python, &proj, &["current"]);
        let ours = migrate_in(&proj, &["current"], &[]).ok().stdout;
        assert_eq!(ours.trim(), theirs.trim(), "{kind:?}");
        assert_eq!(ours.trim(), "a3c0ffee0013 (head)");

        // Half way by Alembic (the main line up to a7c0ffee0007, without the
        // audit branch), the rest by migrate: each remaining step once, none again.
        set_ini_url(&proj, &sa_url(&half));
        alembic(&python, &proj, &["upgrade", "a7c0ffee0007"]);
        let run = migrate_in(
            &proj,
            &["--url", &half.url, "--format", "json", "upgrade", "head"],
            &[],
        )
        .ok();
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let ran: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["revision"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<&str> = [
            "e5c0ffee0005",
            "f6c0ffee0006",
            "b8c0ffee0008",
            "c9c0ffee0009",
            "d0c0ffee0010",
            "e1c0ffee0011",
            "f2c0ffee0012",
            "a3c0ffee0013",
        ]
        .into();
        assert_eq!(ran.len(), expected.len(), "{kind:?}: {ran:?}");
        assert_eq!(
            ran.iter().copied().collect::<BTreeSet<_>>(),
            expected,
            "{kind:?}"
        );
        assert_same_schema(&proj, &by_alembic, &half, &format!("{kind:?} continued"));

        // Down again: Alembic's downgrades and the converted ones agree.
        set_ini_url(&proj, &sa_url(&by_alembic));
        alembic(&python, &proj, &["downgrade", "base"]);
        migrate_in(&proj, &["--url", &by_migrate.url, "downgrade", "base"], &[]).ok();
        assert_same_schema(
            &proj,
            &by_alembic,
            &by_migrate,
            &format!("{kind:?} at base"),
        );
        assert!(!by_migrate.has_table("users"), "{kind:?}");
    }
}

#[test]
fn the_converted_files_carry_the_graph_the_config_and_the_todo() {
    let Some(python) = alembic_python("import_alembic::the_converted_files_carry_the_graph") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proj = shop(dir.path());
    let out = dir.path().join("converted");
    // No --python: the virtualenv beside alembic.ini (.venv) is found.
    let venv = python.parent().and_then(Path::parent).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(venv, proj.join(".venv")).unwrap();
    #[cfg(windows)]
    std::os::windows::fs::symlink_dir(venv, proj.join(".venv")).unwrap();
    let r = migrate_in(
        &proj,
        &[
            "import",
            "alembic",
            "--out",
            out.to_str().unwrap(),
            "--version-table",
            "shop_version",
            "--version-table-schema",
            "main",
            "--allow-todo",
            "--dialect",
            "sqlite",
        ],
        &[],
    );
    assert_eq!(
        r.code, 0,
        "--allow-todo exits 0\n{}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("TODO: "), "still listed: {}", r.stdout);
    assert!(
        r.stderr
            .contains(&format!("with {}/.venv/bin/python ...", proj.display())),
        "{}",
        r.stderr
    );

    let toml = std::fs::read_to_string(out.join("migrate.toml")).unwrap();
    for want in [
        "script_location = \"migrate\"",
        "url = \"${DATABASE_URL:-sqlite:///shop.db}\"",
        "version_table = \"shop_version\"",
        "version_table_schema = \"main\"",
        "file_template = \"{{ year }}{{ month }}{{ day }}_{{ rev }}_{{ slug }}\"",
    ] {
        assert!(toml.contains(want), "{want} in\n{toml}");
    }
    assert!(out.join("migrate/script.sql.tera").is_file());
    let files: Vec<String> = std::fs::read_dir(out.join("migrate/versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 13, "{files:?}");
    for rev in ALL_REVS {
        assert!(
            files
                .iter()
                .any(|f| f.starts_with(rev) && f.ends_with(".sql")),
            "{rev}: {files:?}"
        );
    }

    let merge = std::fs::read_to_string(
        out.join("migrate/versions/c9c0ffee0009_merge_audit_into_main.sql"),
    )
    .unwrap();
    assert!(merge.starts_with("-- merge audit into main\n--\n-- Revision ID: c9c0ffee0009\n-- Revises: f6c0ffee0006, b8c0ffee0008\n-- Create Date: 2024-03-09 09:00:00.000009\n"), "{merge}");
    let branch = std::fs::read_to_string(
        out.join("migrate/versions/e5c0ffee0005_start_the_audit_branch.sql"),
    )
    .unwrap();
    assert!(branch.contains("-- Branch Labels: audit\n"), "{branch}");
    let dep = std::fs::read_to_string(
        out.join("migrate/versions/b8c0ffee0008_audit_product_changes.sql"),
    )
    .unwrap();
    assert!(dep.contains("-- Depends On: e5c0ffee0005\n"), "{dep}");
    assert!(dep.contains("CREATE TABLE product_audit ("), "{dep}");
    // The batch revision, rendered on the scratch database: the table rebuilt.
    let batch = std::fs::read_to_string(
        out.join("migrate/versions/d4c0ffee0004_widen_phone_and_require_name.sql"),
    )
    .unwrap();
    assert!(
        batch.contains("CREATE TABLE _alembic_tmp_users ("),
        "{batch}"
    );
    assert!(
        batch.contains("ALTER TABLE _alembic_tmp_users RENAME TO users;"),
        "{batch}"
    );
    assert!(
        !batch.contains("PRAGMA") && !batch.contains("sqlite_master"),
        "reads are left out: {batch}"
    );
    // The todo: marker, the way out, the Python source; the downgrade converted.
    let todo = std::fs::read_to_string(out.join(format!(
        "migrate/versions/{TODO_REV}_seed_a_sample_product_when_the_table_is_empty.sql"
    )))
    .unwrap();
    assert!(todo.contains("\n-- migrate:upgrade\n-- migrate:todo upgrade() of alembic/versions/d0c0ffee0010_seed_a_sample_product_when_the_table_is_empty.py:17 was not converted: it calls op.get_bind()"), "{todo}");
    assert!(todo.contains("--         conn = op.get_bind()\n"), "{todo}");
    assert!(
        todo.contains("-- migrate:downgrade\nDELETE FROM products WHERE sku = 'SAMPLE';"),
        "{todo}"
    );

    // The graph as migrate reads it: one head, the branch label, the merge.
    let heads = migrate_in(&out, &["heads"], &[]).ok();
    assert_eq!(heads.stdout.trim(), "a3c0ffee0013 (audit) (head)");
    let json = migrate_in(&out, &["--format", "json", "show", "c9c0ffee0009"], &[]).ok();
    assert!(
        json.stdout.contains("f6c0ffee0006") && json.stdout.contains("b8c0ffee0008"),
        "{}",
        json.stdout
    );

    // Never over an existing migrate.toml.
    let again = import(&proj, &python, &["--out", out.to_str().unwrap()]).fails();
    assert!(
        again.stderr.contains("migrate.toml already exists") && again.stderr.contains("--out"),
        "{}",
        again.stderr
    );

    // A downgrade through the marked revision is refused too? No: the
    // marker stands in its upgrade section only, so a downgrade from head
    // runs; an upgrade through it is refused.
    let db = TestDb::new(Db::Sqlite, dir.path());
    let refused = migrate_in(&out, &["--url", &db.url, "upgrade", "head"], &[]).fails();
    assert!(
        refused
            .stderr
            .contains("its upgrade section is marked `-- migrate:todo`"),
        "{}",
        refused.stderr
    );
    migrate_in(&out, &["--url", &db.url, "upgrade", "c9c0ffee0009"], &[]).ok();
    migrate_in(&out, &["--url", &db.url, "downgrade", "base"], &[]).ok();
}

#[test]
fn bad_input_is_a_clear_error_never_a_panic() {
    let Some(python) = alembic_python("import_alembic::bad_input_is_a_clear_error") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // No alembic.ini.
    let r = migrate_in(dir.path(), &["import", "alembic"], &[]).fails();
    assert!(
        r.stderr.contains("no Alembic configuration at") && r.stderr.contains("alembic.ini"),
        "{}",
        r.stderr
    );

    // No such interpreter.
    let proj = shop(dir.path());
    let r = import(&proj, Path::new("/nonexistent/bin/python3"), &[]).fails();
    assert!(
        r.stderr
            .contains("cannot run Python `/nonexistent/bin/python3`")
            && r.stderr.contains("--python"),
        "{}",
        r.stderr
    );

    // An interpreter without Alembic: a fresh venv without pip.
    let bare = dir.path().join("bare-venv");
    let made = Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success());
    let r = import(&proj, &bare.join("bin/python"), &[]).fails();
    assert!(
        r.stderr.contains("cannot import Alembic") && r.stderr.contains("No module named"),
        "{}",
        r.stderr
    );

    // An ini that is not Alembic's.
    std::fs::write(dir.path().join("other.ini"), "[tool]\nx = 1\n").unwrap();
    let py = python.display().to_string();
    let r = migrate_in(
        dir.path(),
        &["import", "alembic", "other.ini", "--python", &py],
        &[],
    )
    .fails();
    assert!(
        r.stderr.contains("has no [alembic] section"),
        "{}",
        r.stderr
    );

    // A revision file that does not load.
    let broken = proj.join("alembic/versions/a1c0ffee0001_create_users.py");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(&broken, text.replace("def upgrade():", "def upgrade(:")).unwrap();
    let r = import(&proj, &python, &[]).fails();
    assert!(
        r.stderr.contains("Alembic cannot load the revisions")
            && r.stderr.contains("a1c0ffee0001_create_users.py"),
        "{}",
        r.stderr
    );
    assert!(!proj.join("migrate.toml").exists(), "nothing written");

    // No URL and no --dialect.
    std::fs::write(&broken, text).unwrap();
    set_ini_url(&proj, "");
    let r = import(&proj, &python, &[]).fails();
    assert!(r.stderr.contains("--dialect"), "{}", r.stderr);
}
