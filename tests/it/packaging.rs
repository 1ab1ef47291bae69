//! How `migrate` reaches its users: the Python wheel (`pip install`), shell
//! completions and the manual page, the Dockerfile and the compose example.
//!
//! The wheel is built once per run by `.ci/run`, which names it in
//! MIGRATE_TEST_WHEEL; tools a test needs (python3 with venv, groff) are
//! installed by `.ci/run` too. On a developer's plain `cargo test` a missing
//! one is reported loudly and that test does nothing more; under CI=true it
//! fails. No container engine runs here, so the container files are checked
//! for their structure, and the compose example's revisions are run against
//! the local servers.

use crate::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool or artifact this test needs is not here. In CI that is a failure
/// (.ci/run provides it); on a developer's machine the test says so on the
/// terminal, past the test harness's capture, and does nothing more.
fn missing(test: &str, what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {what}. CI=true: .ci/run provides it, so its absence is a failure."
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {what}. `.ci/run` provides it; under CI=true this fails. ***\n"
    );
}

/// Whether `program` runs at all (found on PATH and starts).
fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[track_caller]
fn ok(what: &str, o: std::io::Result<Output>) -> String {
    let o = o.unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        o.status.success(),
        "{what}: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `migrate ARGS` in an empty folder: no project, no database.
fn migrate(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    migrate_in(dir.path(), args, &[])
}

/// The commands `migrate --help` lists (clap's own `help` left out).
fn commands() -> Vec<String> {
    let help = migrate(&["--help"]).ok().stdout;
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("`migrate --help` lists its commands");
    let names: Vec<String> = list
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    for expected in ["upgrade", "downgrade", "completions", "man"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    names
}

// ---------------------------------------------------------------- the wheel

#[test]
fn pyproject_builds_the_migrate_binary_under_a_free_name() {
    let text = std::fs::read_to_string(repo().join("pyproject.toml")).unwrap();
    let py: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        py["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(py["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    // `migrate` on PyPI is someone else's; the command keeps the name.
    assert_eq!(py["project"]["name"].as_str(), Some("migrate-sql"));
    let dynamic = py["project"]["dynamic"].as_array().unwrap();
    assert!(
        dynamic.iter().any(|v| v.as_str() == Some("version")),
        "the version is Cargo.toml's, not a second copy: {dynamic:?}"
    );
    let cargo: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let bins = cargo["bin"].as_array().unwrap();
    assert_eq!(bins.len(), 1, "the wheel carries every [[bin]]");
    assert_eq!(bins[0]["name"].as_str(), Some("migrate"));
}

#[test]
fn wheel_installs_migrate_on_a_fresh_venvs_path_and_upgrades_sqlite() {
    const TEST: &str = "wheel_installs_migrate_on_a_fresh_venvs_path_and_upgrades_sqlite";
    let Some(wheel) = std::env::var_os("MIGRATE_TEST_WHEEL") else {
        return missing(TEST, "MIGRATE_TEST_WHEEL is unset (no wheel was built)");
    };
    let wheel = PathBuf::from(wheel);
    assert!(
        wheel.is_file(),
        "MIGRATE_TEST_WHEEL={} is no file",
        wheel.display()
    );
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("migrate_sql-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(name.starts_with(&prefix), "{name} starts with {prefix}");
    let python = std::env::var("MIGRATE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());

    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    ok(
        "python3 -m venv",
        Command::new(&python)
            .args(["-m", "venv"])
            .arg(&venv)
            .output(),
    );
    let bin = venv.join("bin");
    // From the file alone: no index, nothing else to download.
    ok(
        "pip install WHEEL",
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "--no-index", "--no-deps", "-q"])
            .arg(&wheel)
            .output(),
    );

    // As an activated virtualenv runs it: its bin/ first on PATH, by name.
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&p)))
                .unwrap()
        }
        None => bin.clone().into_os_string(),
    };
    let project = dir.path().join("app");
    std::fs::create_dir(&project).unwrap();
    let run = |args: &[&str]| {
        Command::new("migrate")
            .args(args)
            .current_dir(&project)
            .env("PATH", &path)
            .env("MIGRATE_CACHE_DIR", dir.path().join("cache"))
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATE_CONFIG")
            .output()
    };
    let found = ok(
        "command -v migrate",
        Command::new("sh")
            .args(["-c", "command -v migrate"])
            .env("PATH", &path)
            .output(),
    );
    assert_eq!(Path::new(found.trim()), bin.join("migrate"));
    assert_eq!(
        ok("migrate --version", run(&["--version"])),
        format!("migrate {}\n", env!("CARGO_PKG_VERSION"))
    );

    // A tiny project on SQLite: `init`'s default URL is sqlite:///app.db.
    ok("migrate init", run(&["init"]));
    std::fs::write(
        project.join("migrations/versions/0001_create_notes.sql"),
        "-- create notes\n--\n-- Revision ID: 0001\n-- Revises: \n-- Create Date: 2026-12-07 12:00:00\n\n\
         -- migrate:upgrade\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n\n\
         -- migrate:downgrade\nDROP TABLE notes;\n",
    )
    .unwrap();
    ok("migrate upgrade head", run(&["upgrade", "head"]));
    assert_eq!(ok("migrate current", run(&["current"])), "0001 (head)\n");
    let db = rusqlite::Connection::open(project.join("app.db")).unwrap();
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'notes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "the upgrade made the table");
}

// ---------------------------------------------- completions and manual page

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

#[test]
fn completions_for_every_shell_name_every_command() {
    let commands = commands();
    for shell in SHELLS {
        let script = migrate(&["completions", shell]).ok().stdout;
        for c in &commands {
            assert!(
                script.contains(c.as_str()),
                "{shell}: no `{c}` in the script"
            );
        }
        // Options of a command are completed too, not only the names.
        assert!(
            script.contains("resume-after"),
            "{shell}: upgrade's options"
        );
    }
    let bad = migrate(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("possible values"), "{}", bad.stderr);
}

#[test]
fn bash_accepts_the_bash_script_and_completes_commands_and_shells() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("migrate.bash");
    std::fs::write(&file, migrate(&["completions", "bash"]).ok().stdout).unwrap();
    ok(
        "bash -n",
        Command::new("bash").arg("-n").arg(&file).output(),
    );
    // Run the completion function as bash runs it on <TAB>.
    let complete = |words: &str| {
        let script = format!(
            "source {f}\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _migrate migrate \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            f = file.display()
        );
        ok(
            "bash completion",
            Command::new("bash").arg("-c").arg(script).output(),
        )
    };
    assert_eq!(complete("migrate upg"), "upgrade\n");
    let shells = complete("migrate completions ''");
    for shell in SHELLS {
        assert!(shells.lines().any(|l| l == shell), "{shell} in {shells}");
    }
}

#[test]
fn completions_and_man_need_no_project_and_ignore_a_broken_env_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "A=\"unterminated\n").unwrap();
    // A command that reads the project stops at the .env file...
    migrate_in(dir.path(), &["heads"], &[]).fails();
    // ...but a shell's start-up file that sources the completions does not.
    migrate_in(dir.path(), &["completions", "bash"], &[]).ok();
    migrate_in(dir.path(), &["man"], &[]).ok();
}

/// The page as a reader sees it: groff (what `man` runs) with warnings on,
/// else `man -l`; None when the machine has neither.
fn render(roff: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.1");
    std::fs::write(&file, roff).unwrap();
    if has("groff") {
        let o = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && stderr.trim().is_empty(),
            "groff: {stderr}"
        );
        return Some(String::from_utf8_lossy(&o.stdout).into_owned());
    }
    if has("man") {
        let text = ok(
            "man -l",
            Command::new("man")
                .arg("-l")
                .arg(&file)
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "100")
                .output(),
        );
        return Some(text);
    }
    None
}

/// Rendered text has overstrikes (`b\bb`), typographic hyphens and justified
/// lines (runs of spaces); compare without them.
fn plain(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    let out = out.replace(['\u{2010}', '\u{2212}'], "-");
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn man_page_renders_with_every_command_and_the_exit_status() {
    const TEST: &str = "man_page_renders_with_every_command_and_the_exit_status";
    let roff = migrate(&["man"]).ok().stdout;
    assert!(roff.contains(".TH migrate 1"), "{roff}");
    let Some(text) = render(&roff) else {
        return missing(TEST, "neither groff nor man is installed");
    };
    let text = plain(&text);
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "SUBCOMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == section),
            "{section} in\n{text}"
        );
    }
    for c in commands() {
        assert!(text.contains(&format!("migrate-{c}(1)")), "{c} in\n{text}");
    }
    assert!(text.contains("DATABASE_URL"), "{text}");

    // One command's own page, with its options.
    let roff = migrate(&["man", "upgrade"]).ok().stdout;
    assert!(roff.contains(".TH migrate-upgrade 1"), "{roff}");
    let text = plain(&render(&roff).unwrap());
    assert!(text.contains("migrate upgrade"), "{text}");
    assert!(text.contains("--resume-after"), "{text}");

    let bad = migrate(&["man", "upgrad"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("no command `upgrad`"), "{}", bad.stderr);
    assert!(bad.stderr.contains("upgrade, downgrade"), "{}", bad.stderr);
}

// --------------------------------------------------------------- containers

/// Dockerfile instructions: continuation lines joined, comments dropped, the
/// keyword upper-cased.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(part) = t.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
            continue;
        }
        current.push_str(t);
        let (kw, rest) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        out.push((kw.to_ascii_uppercase(), rest.trim().to_string()));
        current.clear();
    }
    out
}

/// "1.95" → (1, 95).
fn minor_version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}

#[test]
fn dockerfile_builds_in_one_stage_and_runs_migrate_as_non_root_in_a_small_one() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let all = instructions(&text);
    let stages: Vec<usize> = (0..all.len()).filter(|&i| all[i].0 == "FROM").collect();
    assert!(
        stages.len() >= 2,
        "a build stage and a runtime stage: {all:?}"
    );
    let build = &all[stages[0]..stages[1]];
    let runtime = &all[*stages.last().unwrap()..];

    // The build stage: the Rust toolchain's image, named, building the release binary.
    let from = &build[0].1;
    assert!(from.starts_with("rust:"), "{from}");
    let stage_name = from
        .rsplit_once(" AS ")
        .or_else(|| from.rsplit_once(" as "))
        .map(|(_, n)| n.trim().to_string())
        .expect("the build stage is named");
    assert!(
        build
            .iter()
            .any(|(k, a)| k == "RUN" && a.contains("cargo build --release --locked")),
        "{build:?}"
    );
    // Its toolchain is at least the rust-version Cargo.toml asks for.
    let arg = all
        .iter()
        .find_map(|(k, a)| {
            (k == "ARG")
                .then(|| a.strip_prefix("RUST_VERSION="))
                .flatten()
        })
        .expect("ARG RUST_VERSION=…");
    let cargo: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let msrv = cargo["package"]["rust-version"].as_str().unwrap();
    assert!(minor_version(arg) >= minor_version(msrv), "{arg} < {msrv}");

    // The runtime stage: no toolchain, the binary from the build stage,
    // CA certificates, a user that is not root, migrate as the entrypoint.
    let base = &runtime[0].1;
    assert!(!base.starts_with("rust:"), "{base}");
    assert!(
        base.contains("distroless/cc")
            || runtime.iter().any(|(_, a)| a.contains("ca-certificates")),
        "CA certificates in the runtime image: {base}"
    );
    assert!(
        runtime.iter().any(|(k, a)| k == "COPY"
            && a.contains(&format!("--from={stage_name}"))
            && a.contains("migrate")),
        "{runtime:?}"
    );
    let user = runtime
        .iter()
        .rev()
        .find_map(|(k, a)| (k == "USER").then_some(a.as_str()))
        .expect("a USER in the runtime stage");
    let name = user.split(':').next().unwrap();
    assert!(!["root", "0", ""].contains(&name), "USER {user}");
    let entry = runtime
        .iter()
        .find_map(|(k, a)| (k == "ENTRYPOINT").then_some(a.as_str()))
        .expect("ENTRYPOINT");
    let entry: Vec<String> = serde_json::from_str(entry).expect("ENTRYPOINT in exec form");
    assert!(
        entry.len() == 1 && entry[0].ends_with("migrate"),
        "{entry:?}"
    );
    assert_eq!(workdir(runtime), "/project");

    // The build context leaves out target/ (gigabytes) and .env files
    // (secrets), and keeps what the build reads.
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for must in ["target", "**/.env", ".git"] {
        assert!(ignored.contains(&must), "{must} in .dockerignore");
    }
    for kept in ["src", "templates", "Cargo.toml", "Cargo.lock"] {
        assert!(
            !ignored
                .iter()
                .any(|p| *p == kept || p.starts_with(&format!("{kept}/"))),
            "{kept} is needed by the build"
        );
    }
}

fn workdir(stage: &[(String, String)]) -> String {
    stage
        .iter()
        .rev()
        .find_map(|(k, a)| (k == "WORKDIR").then(|| a.clone()))
        .expect("WORKDIR")
}

fn compose_dir() -> PathBuf {
    repo().join("examples/compose")
}

fn compose() -> Yaml {
    let text = std::fs::read_to_string(compose_dir().join("compose.yaml")).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).expect("compose.yaml is YAML");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn strs(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .unwrap_or_else(|| panic!("a list: {y:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The condition `service` waits for on `other`.
fn condition<'a>(service: &'a Yaml, other: &str) -> Option<&'a str> {
    service["depends_on"][other]["condition"].as_str()
}

/// The compose services that run `migrate`, with their database service.
const MIGRATE_SERVICES: [(&str, &str, &str); 2] = [
    ("migrate-postgres", "postgres", "postgresql://"),
    ("migrate-mariadb", "mariadb", "mysql://"),
];

#[test]
fn compose_runs_one_migrate_per_database_before_the_app() {
    let doc = compose();
    let services = &doc["services"];
    let names: Vec<&str> = services
        .as_hash()
        .expect("services")
        .keys()
        .filter_map(Yaml::as_str)
        .collect();
    for s in [
        "app",
        "postgres",
        "mariadb",
        "migrate-postgres",
        "migrate-mariadb",
    ] {
        assert!(names.contains(&s), "service {s} in {names:?}");
    }
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let image_workdir = workdir(&instructions(&dockerfile));

    for (service, db, scheme) in MIGRATE_SERVICES {
        let s = &services[service];
        let dbs = &services[db];
        let test = strs(&dbs["healthcheck"]["test"]);
        assert!(
            test.len() >= 2 && test[0].starts_with("CMD"),
            "{db}: {test:?}"
        );
        assert_eq!(condition(s, db), Some("service_healthy"), "{service}");
        assert_eq!(
            strs(&s["command"]),
            ["--wait", "upgrade", "head"],
            "{service}"
        );
        assert_eq!(s["restart"].as_str(), Some("no"), "{service} is one-shot");
        // The image is this repository's Dockerfile.
        let context = compose_dir().join(s["build"]["context"].as_str().unwrap());
        let file = s["build"]["dockerfile"].as_str().unwrap_or("Dockerfile");
        assert!(
            context.join(file).is_file(),
            "{service}: {}",
            context.display()
        );
        // The revisions are mounted where the image looks for migrate.toml.
        let volumes = strs(&s["volumes"]);
        let (host, target) = volumes[0]
            .split_once(':')
            .map(|(h, rest)| (h, rest.split(':').next().unwrap()))
            .unwrap();
        assert_eq!(target, image_workdir, "{service}");
        assert!(
            compose_dir().join(host).join("migrate.toml").is_file(),
            "{service}: {host}"
        );
        let url = s["environment"]["DATABASE_URL"].as_str().unwrap();
        assert!(
            url.starts_with(scheme) && url.contains(&format!("@{db}:")),
            "{service}: {url}"
        );
        // The app starts once this database is at head.
        assert_eq!(
            condition(&services["app"], service),
            Some("service_completed_successfully"),
            "app on {service}"
        );
    }
}

/// The compose example's revisions, with the arguments compose.yaml gives,
/// on this machine's server: up to head, down to base, up again.
fn compose_revisions_run(service: &str, kind: Db, tables: &[&str]) {
    let doc = compose();
    let s = &doc["services"][service];
    let args = strs(&s["command"]);
    let host = strs(&s["volumes"])[0]
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let cfg = compose_dir().join(host).join("migrate.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(kind, dir.path());
    let env = [("DATABASE_URL", db.url.as_str())];
    let run = |args: &[&str]| {
        let mut all = vec!["-c", cfg.as_str()];
        all.extend_from_slice(args);
        migrate_in(dir.path(), &all, &env)
    };
    let up: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&up).ok();
    for t in tables {
        assert!(db.has_table(t), "{service}: {t} after upgrade");
    }
    let head = run(&["heads"]).ok().stdout;
    let head = head.split_whitespace().next().unwrap().to_string();
    assert_eq!(db.versions(), vec![head.clone()], "{service}");
    run(&["check"]).ok();
    run(&["downgrade", "base"]).ok();
    for t in tables {
        assert!(!db.has_table(t), "{service}: {t} after downgrade");
    }
    run(&up).ok();
    assert_eq!(db.versions(), vec![head], "{service}");
}

#[test]
fn compose_postgres_revisions_run_on_postgres() {
    crate::require!(Db::Postgres);
    compose_revisions_run("migrate-postgres", Db::Postgres, &["items"]);
}

#[test]
fn compose_mariadb_revisions_run_on_mariadb() {
    crate::require!(Db::MySql);
    compose_revisions_run("migrate-mariadb", Db::MySql, &["events"]);
}
