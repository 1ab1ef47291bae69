//! `revision` and `merge` as a user runs them: file names, ids, parents,
//! labels, dependencies, version paths, and the template.

use crate::support::*;

fn generated_path(r: &Run) -> std::path::PathBuf {
    let line = r.stdout.trim();
    let p = line
        .strip_prefix("Generating ")
        .and_then(|l| l.strip_suffix(" ...  done"))
        .unwrap_or_else(|| panic!("unexpected output: {line}"));
    std::path::PathBuf::from(p)
}

fn header(path: &std::path::Path, key: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("-- {key}: ")).map(str::to_string))
        .or_else(|| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .find(|l| l.trim_end() == format!("-- {key}:"))
                .map(|_| String::new())
        })
        .unwrap_or_else(|| panic!("{key} missing in {}", path.display()))
}

#[test]
fn new_revisions_chain_onto_the_head() {
    let p = Project::new(Db::Sqlite);
    let a = generated_path(
        &p.run(&["revision", "-m", "first", "--rev-id", "aaaa00000001"])
            .ok(),
    );
    assert_eq!(a, p.versions_dir().join("aaaa00000001_first.sql"));
    assert_eq!(header(&a, "Revises").trim(), "");
    let b = generated_path(&p.run(&["revision", "-m", "second"]).ok());
    assert_eq!(header(&b, "Revises"), "aaaa00000001");
    let id = header(&b, "Revision ID");
    assert_eq!(id.len(), 12);
    assert!(b
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with(&format!("{id}_second")));
    assert_eq!(p.run(&["heads"]).ok().stdout, format!("{id} (head)\n"));
}

#[test]
fn empty_message_and_slug_rules() {
    let p = Project::with_config(Db::Sqlite, "truncate_slug_length = 20");
    let a = generated_path(&p.run(&["revision", "--rev-id", "aaaa00000001"]).ok());
    assert_eq!(a, p.versions_dir().join("aaaa00000001_.sql"));
    assert!(std::fs::read_to_string(&a)
        .unwrap()
        .starts_with("-- empty message\n"));
    let b = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "Add a very long message: with punctuation & ÜNICODE",
            "--rev-id",
            "bbbb00000002",
        ])
        .ok(),
    );
    assert_eq!(
        b,
        p.versions_dir().join("bbbb00000002_add_a_very_long_.sql")
    );
}

#[test]
fn file_template_tokens() {
    let p = Project::with_config(
        Db::Sqlite,
        "file_template = \"{{ year }}_{{ month }}_{{ day }}_{{ rev }}_{{ slug }}\"",
    );
    let a = generated_path(
        &p.run(&["revision", "-m", "x y", "--rev-id", "aaaa00000001"])
            .ok(),
    );
    let name = a.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.ends_with("_aaaa00000001_x_y.sql"), "{name}");
    assert_eq!(
        name.len(),
        "2026_11_22_aaaa00000001_x_y.sql".len(),
        "{name}"
    );
}

#[test]
fn head_base_starts_a_new_root_and_splice_branches() {
    let p = Project::new(Db::Sqlite);
    p.run(&["revision", "-m", "a", "--rev-id", "aaaa00000001"])
        .ok();
    p.run(&["revision", "-m", "b", "--rev-id", "bbbb00000002"])
        .ok();
    let r = p
        .run(&[
            "revision",
            "-m",
            "c",
            "--head",
            "aaaa",
            "--rev-id",
            "cccc00000003",
        ])
        .fails();
    assert!(
        r.stderr.contains("Revision aaaa00000001 is not a head revision; please specify --splice to create a new branch from this revision"),
        "{}",
        r.stderr
    );
    let c = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "c",
            "--head",
            "aaaa",
            "--splice",
            "--rev-id",
            "cccc00000003",
        ])
        .ok(),
    );
    assert_eq!(header(&c, "Revises"), "aaaa00000001");
    let r = p.run(&["revision", "-m", "d"]).fails();
    assert!(
        r.stderr.contains("Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge."),
        "{}",
        r.stderr
    );
    let root = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "net",
            "--head",
            "base",
            "--branch-label",
            "networking",
            "--rev-id",
            "dddd00000004",
        ])
        .ok(),
    );
    assert_eq!(header(&root, "Revises").trim(), "");
    assert_eq!(header(&root, "Branch Labels"), "networking");
    let e = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "e",
            "--head",
            "networking@head",
            "--rev-id",
            "eeee00000005",
        ])
        .ok(),
    );
    assert_eq!(header(&e, "Revises"), "dddd00000004");
    // A second branch with the same label would make a bad graph: nothing is written.
    let before = std::fs::read_dir(p.versions_dir()).unwrap().count();
    let r = p
        .run(&[
            "revision",
            "-m",
            "f",
            "--head",
            "base",
            "--branch-label",
            "networking",
            "--rev-id",
            "ffff00000006",
        ])
        .fails();
    assert!(r.stderr.contains("networking"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(p.versions_dir()).unwrap().count(), before);
}

#[test]
fn depends_on_resolves_prefixes_and_keeps_labels() {
    let p = Project::new(Db::Sqlite);
    p.run(&["revision", "-m", "a", "--rev-id", "aaaa00000001"])
        .ok();
    p.run(&[
        "revision",
        "-m",
        "net",
        "--head",
        "base",
        "--branch-label",
        "net",
        "--rev-id",
        "bbbb00000002",
    ])
    .ok();
    let c = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "c",
            "--head",
            "aaaa00000001",
            "--depends-on",
            "bbbb",
            "--rev-id",
            "cccc00000003",
        ])
        .ok(),
    );
    assert_eq!(header(&c, "Depends On"), "bbbb00000002");
    let d = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "d",
            "--head",
            "cccc00000003",
            "--depends-on",
            "net",
            "--rev-id",
            "dddd00000004",
        ])
        .ok(),
    );
    assert_eq!(header(&d, "Depends On"), "net");
    let r = p
        .run(&[
            "revision",
            "-m",
            "x",
            "--head",
            "dddd",
            "--depends-on",
            "zzzz",
        ])
        .fails();
    assert!(r.stderr.contains("zzzz"), "{}", r.stderr);
}

#[test]
fn merge_joins_heads() {
    let p = Project::new(Db::Sqlite);
    p.run(&["revision", "-m", "a", "--rev-id", "aaaa00000001"])
        .ok();
    p.run(&["revision", "-m", "b", "--rev-id", "bbbb00000002"])
        .ok();
    p.run(&[
        "revision",
        "-m",
        "c",
        "--head",
        "aaaa",
        "--splice",
        "--rev-id",
        "cccc00000003",
    ])
    .ok();
    let m = generated_path(
        &p.run(&[
            "merge",
            "heads",
            "-m",
            "merge b and c",
            "--rev-id",
            "dddd00000004",
        ])
        .ok(),
    );
    let revises = header(&m, "Revises");
    assert!(
        revises == "bbbb00000002, cccc00000003" || revises == "cccc00000003, bbbb00000002",
        "{revises}"
    );
    assert_eq!(p.run(&["heads"]).ok().stdout, "dddd00000004 (head)\n");
}

#[test]
fn version_path_with_several_locations() {
    let p = Project::with_config(
        Db::Sqlite,
        "version_locations = [\"migrations/versions\", \"plugins/versions\"]",
    );
    std::fs::create_dir_all(p.path().join("plugins/versions")).unwrap();
    let r = p.run(&["revision", "-m", "a", "--head", "base"]).fails();
    assert!(
        r.stderr
            .contains("Multiple version locations present, please specify --version-path"),
        "{}",
        r.stderr
    );
    let a = generated_path(
        &p.run(&[
            "revision",
            "-m",
            "a",
            "--head",
            "base",
            "--version-path",
            "plugins/versions",
            "--rev-id",
            "aaaa00000001",
        ])
        .ok(),
    );
    assert!(
        a.starts_with(p.path().join("plugins/versions")),
        "{}",
        a.display()
    );
    // A child follows its parent's folder.
    let b = generated_path(
        &p.run(&["revision", "-m", "b", "--rev-id", "bbbb00000002"])
            .ok(),
    );
    assert!(
        b.starts_with(p.path().join("plugins/versions")),
        "{}",
        b.display()
    );
    let r = p
        .run(&["revision", "-m", "c", "--version-path", "elsewhere"])
        .fails();
    assert!(
        r.stderr
            .contains("is not represented in current version locations"),
        "{}",
        r.stderr
    );
}

#[test]
fn template_variables_and_x_arguments() {
    let p = Project::new(Db::Sqlite);
    std::fs::write(
        p.path().join("migrations/script.sql.tera"),
        "-- {{ message }}\n-- Revision ID: {{ up_revision }}\n-- Revises: {{ down_revision | join(sep=\", \") }}\n-- Owner: {{ x.owner | default(value=\"nobody\") }}\n\n-- migrate:upgrade\n\n-- migrate:downgrade\n",
    )
    .unwrap();
    let a = generated_path(
        &p.run(&[
            "-x",
            "owner=ops",
            "revision",
            "-m",
            "a",
            "--rev-id",
            "aaaa00000001",
        ])
        .ok(),
    );
    assert_eq!(header(&a, "Owner"), "ops");
    // A template that renders an unparseable file writes nothing.
    std::fs::write(
        p.path().join("migrations/script.sql.tera"),
        "-- {{ message }}\n",
    )
    .unwrap();
    let r = p
        .run(&["revision", "-m", "b", "--rev-id", "bbbb00000002"])
        .fails();
    assert!(r.stderr.contains("script.sql.tera"), "{}", r.stderr);
    assert!(!p.versions_dir().join("bbbb00000002_b.sql").exists());
    // A template that does not render names its file and the problem.
    std::fs::write(p.path().join("migrations/script.sql.tera"), "{{ oops ").unwrap();
    let r = p.run(&["revision", "-m", "c"]).fails();
    assert!(r.stderr.contains("script.sql.tera"), "{}", r.stderr);
}
