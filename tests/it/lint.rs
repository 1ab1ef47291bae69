//! `migrate lint` as a user runs it, against the real servers: each rule's
//! positive and negative case on its database, the graph (new tables),
//! row estimates, suppression with the audit log and the checksum, SARIF
//! and GitHub output, `check`'s lint problems, `unchecked`, revisions that
//! `revision --autogenerate` writes, and the repository's examples.

use crate::support::*;
use serde_json::Value;

/// One rule's cases: SQL that must trip it, SQL that must not, with the
/// downgrade each runs with and extra header lines (`-- Transactional: false`).
struct Case {
    rule: &'static str,
    pos: (&'static str, &'static str, &'static str),
    neg: (&'static str, &'static str, &'static str),
}

const NO_TX: &str = "-- Transactional: false";

/// `(up, down, header)` with a downgrade that does nothing.
const fn up(sql: &'static str) -> (&'static str, &'static str, &'static str) {
    (sql, "SELECT 1;", "")
}

/// The cases every database shares (its `big` and `other` tables hold rows).
fn common_cases() -> Vec<Case> {
    vec![
        Case {
            rule: "drop-table",
            pos: up("DROP TABLE other;"),
            neg: up("CREATE TABLE tmp_a (id INT);\nDROP TABLE tmp_a;"),
        },
        Case {
            rule: "drop-column",
            pos: up("ALTER TABLE big DROP COLUMN c1;"),
            neg: up("ALTER TABLE big ADD COLUMN d_a INT;\nALTER TABLE big DROP COLUMN d_a;"),
        },
        Case {
            rule: "rename-table",
            pos: up("ALTER TABLE other2 RENAME TO other3;"),
            neg: up("CREATE TABLE tmp_b (id INT);\nALTER TABLE tmp_b RENAME TO tmp_c;"),
        },
        Case {
            rule: "rename-column",
            pos: up("ALTER TABLE big RENAME COLUMN c2 TO c2_new;"),
            neg: up(
                "ALTER TABLE big ADD COLUMN d_b INT;\nALTER TABLE big RENAME COLUMN d_b TO d_c;",
            ),
        },
        Case {
            rule: "new-unique",
            pos: up("CREATE UNIQUE INDEX ux_a ON big (c3);"),
            neg: up("ALTER TABLE big ADD COLUMN d_d INT;\nCREATE UNIQUE INDEX ux_b ON big (d_d);"),
        },
        Case {
            rule: "missing-downgrade",
            pos: ("CREATE TABLE tmp_d (id INT);", "", ""),
            neg: ("CREATE TABLE tmp_e (id INT);", "DROP TABLE tmp_e;", ""),
        },
        Case {
            rule: "downgrade-not-inverse",
            pos: (
                "ALTER TABLE big ADD COLUMN d_e INT;",
                "ALTER TABLE big DROP COLUMN c4;",
                "",
            ),
            neg: (
                "ALTER TABLE big ADD COLUMN d_f INT;",
                "ALTER TABLE big DROP COLUMN d_f;",
                "",
            ),
        },
        Case {
            // Dropping a table the upgrade only altered loses it; dropping
            // it to put a rebuilt copy in its place (SQLite's way) does not.
            rule: "downgrade-not-inverse",
            pos: (
                "ALTER TABLE big ADD COLUMN d_g INT;",
                "DROP TABLE big;",
                "",
            ),
            neg: (
                "ALTER TABLE big ADD COLUMN d_h INT;",
                "CREATE TABLE big_copy (id INT PRIMARY KEY);\nINSERT INTO big_copy (id) SELECT id FROM big;\nDROP TABLE big;\nALTER TABLE big_copy RENAME TO big;",
                "",
            ),
        },
    ]
}

fn pg_cases() -> Vec<Case> {
    vec![
        Case {
            // `CREATE SCHEMA name AUTHORIZATION role` creates `name`.
            rule: "downgrade-not-inverse",
            pos: (
                "CREATE SCHEMA s_auth1 AUTHORIZATION postgres;",
                "DROP SCHEMA s_auth0;",
                "",
            ),
            neg: (
                "CREATE SCHEMA s_auth2 AUTHORIZATION postgres;",
                "DROP SCHEMA s_auth2;",
                "",
            ),
        },
        Case {
            rule: "truncate",
            pos: up("TRUNCATE other4;"),
            neg: up("CREATE TABLE tmp_f (id INT);\nTRUNCATE tmp_f;"),
        },
        Case {
            rule: "drop-schema",
            pos: up("DROP SCHEMA old_stuff;"),
            neg: up("CREATE SCHEMA new_stuff;"),
        },
        Case {
            rule: "index-not-concurrently",
            pos: up("CREATE INDEX ix_a ON big (c5);"),
            neg: up("CREATE TABLE tmp_g (id INT);\nCREATE INDEX ix_b ON tmp_g (id);"),
        },
        Case {
            rule: "concurrently-in-transaction",
            pos: up("CREATE INDEX CONCURRENTLY ix_c ON big (c5);"),
            neg: ("CREATE INDEX CONCURRENTLY ix_d ON big (c5);", "SELECT 1;", NO_TX),
        },
        Case {
            rule: "add-column-volatile-default",
            pos: up("ALTER TABLE big ADD COLUMN d_g float8 DEFAULT random();"),
            neg: up("ALTER TABLE big ADD COLUMN d_h INT DEFAULT 0;"),
        },
        Case {
            rule: "column-type-change",
            pos: up("ALTER TABLE big ALTER COLUMN c6 TYPE BIGINT;"),
            neg: up("ALTER TABLE big ALTER COLUMN v TYPE VARCHAR(20);"),
        },
        Case {
            rule: "set-not-null",
            pos: up("ALTER TABLE big ALTER COLUMN c7 SET NOT NULL;"),
            neg: up("ALTER TABLE big ADD CONSTRAINT c8_nn CHECK (c8 IS NOT NULL) NOT VALID;\nALTER TABLE big VALIDATE CONSTRAINT c8_nn;\nALTER TABLE big ALTER COLUMN c8 SET NOT NULL;"),
        },
        Case {
            rule: "fk-not-valid",
            pos: up("ALTER TABLE big ADD CONSTRAINT fk_a FOREIGN KEY (c9) REFERENCES other5 (id);"),
            neg: up("ALTER TABLE big ADD CONSTRAINT fk_b FOREIGN KEY (c9) REFERENCES other5 (id) NOT VALID;"),
        },
        Case {
            rule: "check-not-valid",
            pos: up("ALTER TABLE big ADD CONSTRAINT ck_a CHECK (c10 > 0);"),
            neg: up("ALTER TABLE big ADD CONSTRAINT ck_b CHECK (c10 > 0) NOT VALID;"),
        },
        Case {
            rule: "unique-constraint-without-index",
            pos: up("ALTER TABLE big ADD CONSTRAINT uq_a UNIQUE (c11);"),
            neg: up("ALTER TABLE big ADD CONSTRAINT uq_b UNIQUE USING INDEX ux_c11;"),
        },
        Case {
            rule: "add-not-null-without-default",
            pos: up("ALTER TABLE big ADD COLUMN d_i INT NOT NULL;"),
            neg: up("ALTER TABLE big ADD COLUMN d_j INT NOT NULL DEFAULT 0;"),
        },
        Case {
            rule: "pg-lock-timeout-unset",
            pos: up("ALTER TABLE big ADD COLUMN d_k INT;"),
            neg: up("SET lock_timeout = '5s';\nALTER TABLE big ADD COLUMN d_l INT;"),
        },
        Case {
            rule: "unchecked",
            pos: up("CREATE STATISTICS st_a (dependencies) ON c1, c2 FROM big;"),
            neg: up("CREATE VIEW v_a AS SELECT id FROM big;"),
        },
    ]
}

fn mysql_cases() -> Vec<Case> {
    vec![
        Case {
            // `ADD KEY name` and `ADD UNIQUE KEY name` name the index a
            // downgrade's `DROP INDEX` drops.
            rule: "downgrade-not-inverse",
            pos: (
                "ALTER TABLE big ADD KEY ix_k1 (c1);",
                "ALTER TABLE big DROP INDEX ix_k0;",
                "",
            ),
            neg: (
                "ALTER TABLE big ADD KEY ix_k2 (c1), ADD UNIQUE KEY ux_k3 (c2);",
                "ALTER TABLE big DROP INDEX ix_k2, DROP INDEX ux_k3;",
                "",
            ),
        },
        Case {
            // CHANGE renames as it redefines; the same name is no rename.
            rule: "rename-column",
            pos: up("ALTER TABLE big CHANGE c12 c12_new INT;"),
            neg: up("ALTER TABLE big CHANGE c12 C12 INT NULL;"),
        },
        Case {
            rule: "truncate",
            pos: up("TRUNCATE TABLE other4;"),
            neg: up("CREATE TABLE tmp_f (id INT);\nTRUNCATE TABLE tmp_f;"),
        },
        Case {
            rule: "drop-schema",
            pos: up("DROP DATABASE old_stuff;"),
            neg: up("CREATE DATABASE new_stuff;"),
        },
        Case {
            rule: "table-copy-alter",
            pos: up("ALTER TABLE big MODIFY c5 BIGINT;"),
            neg: up("ALTER TABLE big MODIFY v VARCHAR(20);"),
        },
        Case {
            rule: "enum-reorder",
            pos: up("ALTER TABLE big MODIFY e1 ENUM('b', 'a');"),
            neg: up("ALTER TABLE big MODIFY e2 ENUM('a', 'b', 'c');"),
        },
        Case {
            rule: "mixed-ddl-dml",
            pos: up("ALTER TABLE big ADD COLUMN d_m INT;\nUPDATE big SET d_m = 1;"),
            neg: up("UPDATE big SET c6 = 1;"),
        },
        Case {
            rule: "add-not-null-without-default",
            pos: up("ALTER TABLE big ADD COLUMN d_i INT NOT NULL;"),
            neg: up("ALTER TABLE big ADD COLUMN d_j INT NOT NULL DEFAULT 0;"),
        },
        Case {
            rule: "unchecked",
            pos: up("ALTER TABLE big PARTITION BY HASH (id) PARTITIONS 2;"),
            neg: up("CREATE VIEW v_a AS SELECT id FROM big;"),
        },
    ]
}

fn sqlite_cases() -> Vec<Case> {
    vec![
        Case {
            rule: "truncate",
            // SQLite has no TRUNCATE: the rule is PostgreSQL's and MySQL's
            // statement, and a DELETE is no finding.
            pos: up("DELETE FROM other4;"),
            neg: up("DELETE FROM other4;"),
        },
        Case {
            rule: "alter-needs-rebuild",
            pos: up("ALTER TABLE big ADD COLUMN d_n INT NOT NULL;"),
            neg: up("ALTER TABLE big ADD COLUMN d_o INT NOT NULL DEFAULT 0;"),
        },
        Case {
            rule: "unchecked",
            pos: up("REINDEX big;"),
            neg: up("CREATE VIEW v_a AS SELECT id FROM big;"),
        },
    ]
}

/// The base revision: tables that hold rows, applied before the cases.
fn base(kind: Db) -> String {
    let cols: String = (1..=12).map(|i| format!(", c{i} INT")).collect();
    let enums = if kind == Db::MySql {
        ", e1 ENUM('a', 'b'), e2 ENUM('a', 'b')"
    } else {
        ""
    };
    let mut sql = format!(
        "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(10){cols}{enums});\n\
         INSERT INTO big (id, v) VALUES (1, 'x'), (2, 'y');\n"
    );
    for t in ["other", "other2", "other4", "other5"] {
        sql.push_str(&format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY);\nINSERT INTO {t} (id) VALUES (1);\n"
        ));
    }
    sql.push_str("CREATE TABLE empty_t (id INT PRIMARY KEY, a INT);\n");
    match kind {
        Db::Postgres => sql.push_str(
            "CREATE SCHEMA old_stuff;\nCREATE UNIQUE INDEX ux_c11 ON big (c11);\nANALYZE big;\nANALYZE empty_t;\n",
        ),
        Db::MySql => sql.push_str("ANALYZE TABLE big, empty_t;\n"),
        Db::Sqlite => {}
    }
    sql
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// The rules found in revision `rev`.
fn rules_in(report: &Value, rev: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["revision"] == rev)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// A project at its base revision (applied), with one pending revision per
/// case and side, each on the base.
fn run_cases(kind: Db, cases: &[Case]) {
    let p = Project::new(kind);
    if kind == Db::MySql {
        // DROP DATABASE's positive case names a database that exists.
        p.db.exec("SELECT 1");
    }
    p.revision("b0", &[], &base(kind), "SELECT 1;");
    p.run(&["upgrade", "head"]).ok();
    for (i, c) in cases.iter().enumerate() {
        for (side, (u, d, h)) in [("pos", c.pos), ("neg", c.neg)] {
            p.revision_with(&format!("{side}{i}"), &["b0"], h, u, d);
        }
    }
    let run = p.run(&["--format", "json", "lint"]);
    let report = json(&run);
    for (i, c) in cases.iter().enumerate() {
        let pos = rules_in(&report, &format!("pos{i}"));
        let neg = rules_in(&report, &format!("neg{i}"));
        if kind == Db::Sqlite && c.rule == "truncate" {
            assert!(!pos.contains(&"truncate".to_string()), "{kind:?}: {pos:?}");
            continue;
        }
        assert!(
            pos.iter().any(|r| r == c.rule),
            "{kind:?}: {} not found in its positive case: {pos:?}\n{}",
            c.rule,
            run.stdout
        );
        assert!(
            !neg.iter().any(|r| r == c.rule),
            "{kind:?}: {} found in its negative case: {neg:?}\n{}",
            c.rule,
            run.stdout
        );
    }
    // Only errors fail: the exit code says whether there is one.
    let errors = report["errors"].as_u64().unwrap();
    assert_eq!(run.code, i32::from(errors > 0), "{}", run.stderr);
}

#[test]
fn each_rule_has_a_positive_and_a_negative_case_on_postgres() {
    crate::require!(Db::Postgres);
    let mut cases = common_cases();
    cases.extend(pg_cases());
    run_cases(Db::Postgres, &cases);
}

#[test]
fn each_rule_has_a_positive_and_a_negative_case_on_mysql() {
    crate::require!(Db::MySql);
    let mut cases = common_cases();
    cases.extend(mysql_cases());
    run_cases(Db::MySql, &cases);
}

#[test]
fn each_rule_has_a_positive_and_a_negative_case_on_sqlite() {
    let mut cases = common_cases();
    cases.extend(sqlite_cases());
    run_cases(Db::Sqlite, &cases);
}

#[test]
fn a_table_created_in_a_revision_not_yet_applied_is_new() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE applied_t (id INT);",
        "DROP TABLE applied_t;",
    );
    p.run(&["upgrade", "head"]).ok();
    p.revision(
        "b2",
        &["a1"],
        "CREATE TABLE pending_t (id INT);",
        "DROP TABLE pending_t;",
    );
    p.revision(
        "c3",
        &["b2"],
        "CREATE INDEX ix_p ON pending_t (id);\nCREATE TABLE here_t (id INT);\nCREATE INDEX ix_h ON here_t (id);",
        "DROP TABLE here_t;\nDROP INDEX ix_p;",
    );
    p.revision(
        "d4",
        &["c3"],
        "SET lock_timeout = '5s';\nCREATE INDEX ix_a ON applied_t (id);",
        "DROP INDEX ix_a;",
    );
    let report = json(&p.run(&["--format", "json", "lint"]));
    assert!(rules_in(&report, "c3").is_empty(), "{report:#}");
    assert_eq!(
        rules_in(&report, "d4"),
        ["index-not-concurrently"],
        "{report:#}"
    );
    // Offline, nothing is known to be pending: only the same revision makes
    // a table new.
    let report = json(&p.run(&["--format", "json", "lint", "--offline"]).ok());
    let c3 = rules_in(&report, "c3");
    assert!(
        c3.contains(&"index-not-concurrently".to_string()),
        "{report:#}"
    );
    assert_eq!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["revision"] == "c3" && f["rule"] == "index-not-concurrently")
            .count(),
        1,
        "the index on here_t, created in the same revision, is fine: {report:#}"
    );
    // A range lints those revisions only.
    let report = json(&p.run(&["--format", "json", "lint", "d4:d4"]).ok());
    assert_eq!(report["revisions"], 1);
    assert!(rules_in(&report, "c3").is_empty());
}

#[test]
fn an_empty_table_lowers_a_finding_to_a_note() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("b0", &[], &base(Db::Postgres), "SELECT 1;");
    p.run(&["upgrade", "head"]).ok();
    p.revision(
        "ix",
        &["b0"],
        "SET lock_timeout = '5s';\nCREATE INDEX ix_e ON empty_t (a);\nCREATE INDEX ix_b ON big (c1);",
        "DROP INDEX ix_b;\nDROP INDEX ix_e;",
    );
    let report = json(&p.run(&["--format", "json", "lint"]).ok());
    let sev: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sev,
        [
            ("table empty_t".to_string(), "note".to_string()),
            ("table big".to_string(), "warning".to_string())
        ],
        "{report:#}"
    );
    // Offline, no estimate: both are warnings.
    let report = json(&p.run(&["--format", "json", "lint", "--offline"]).ok());
    assert_eq!(report["warnings"].as_u64(), Some(2), "{report:#}");
}

#[test]
fn errors_fail_lint_and_text_names_file_line_column_rule_and_safe_way() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("a1", &[], "CREATE TABLE t (id INT);", "DROP TABLE t;");
    p.run(&["upgrade", "head"]).ok();
    p.revision(
        "b2",
        &["a1"],
        "SET lock_timeout = '5s';\n  CREATE INDEX CONCURRENTLY ix ON t (id);",
        "DROP INDEX ix;",
    );
    let run = p.run(&["lint"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let lines = run.lines();
    assert!(
        lines[0].starts_with("migrations/versions/b2_rev.sql:9:3: error[concurrently-in-transaction]: CONCURRENTLY cannot run inside a transaction block"),
        "{}",
        run.stdout
    );
    assert_eq!(lines[1], "    CREATE INDEX CONCURRENTLY ix ON t (id)");
    assert!(
        lines[2].starts_with("    safe way: add `-- Transactional: false`"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .ends_with("1 error(s), 0 warning(s), 0 note(s) in 1 revision(s) checked\n"));
    // `[lint]` turns it into a warning, or off.
    std::fs::write(
        p.path().join("migrate.toml"),
        format!(
            "[migrate]\nscript_location = \"migrations\"\nurl = \"{}\"\n\n[lint]\nconcurrently-in-transaction = \"warning\"\n",
            p.db.url
        ),
    )
    .unwrap();
    assert!(p
        .run(&["lint"])
        .ok()
        .stdout
        .contains("warning[concurrently-in-transaction]"));
    std::fs::write(
        p.path().join("migrate.toml"),
        format!(
            "[migrate]\nscript_location = \"migrations\"\nurl = \"{}\"\n\n[lint]\nconcurrently-in-transaction = \"off\"\ndrop-table = \"loud\"\n",
            p.db.url
        ),
    )
    .unwrap();
    let bad = p.run(&["lint"]).fails();
    assert!(
        bad.stderr.contains(
            "migrate.toml:7:14: `drop-table`: `loud` is not one of: off, on, warning, error"
        ),
        "{}",
        bad.stderr
    );
}

#[test]
fn lint_ignore_silences_a_rule_records_its_reason_and_is_no_edit() {
    let p = Project::new(Db::Sqlite);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE t (id INT);\nCREATE TABLE u (id INT);",
        "DROP TABLE u;\nDROP TABLE t;",
    );
    p.run(&["upgrade", "head"]).ok();
    let rev = p.revision(
        "b2",
        &["a1"],
        "-- migrate:lint-ignore drop-table rows archived in ticket 7\nDROP TABLE u;\nDROP TABLE t;",
        "CREATE TABLE t (id INT);\nCREATE TABLE u (id INT);",
    );
    let report = json(&p.run(&["--format", "json", "lint"]).ok());
    let subjects: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["table t"],
        "only the statement under the line is silenced: {report:#}"
    );
    // A log table from before the column: it is added by ALTER TABLE.
    p.db.exec("ALTER TABLE alembic_version_log DROP COLUMN lint_ignored");
    p.run(&["upgrade", "head"]).ok();
    let log = json(&p.run(&["--format", "json", "history", "--applied"]).ok());
    let row = log
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["revision"] == "b2")
        .unwrap();
    assert_eq!(
        row["lint_ignored"], "line 8: drop-table: rows archived in ticket 7",
        "{row:#}"
    );
    assert!(!row["sql"].as_str().unwrap().contains("lint-ignore"));
    // A lint-ignore line added to an applied revision is no edit...
    let text = std::fs::read_to_string(&rev).unwrap();
    std::fs::write(
        &rev,
        text.replace(
            "DROP TABLE t;",
            "-- migrate:lint-ignore drop-table second table too\nDROP TABLE t;",
        ),
    )
    .unwrap();
    p.run(&["check"]).ok();
    assert!(
        json(&p.run(&["--format", "json", "lint", "--all"]).ok())["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // ... while any other change is.
    let text = std::fs::read_to_string(&rev).unwrap();
    std::fs::write(&rev, text.replace("DROP TABLE t;", "DROP TABLE t; -- gone")).unwrap();
    let run = p.run(&["--format", "json", "check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("\"kind\": \"changed\""),
        "{}",
        run.stdout
    );
    // A line that names no rule, or gives no reason, is an error of its own.
    p.revision(
        "c3",
        &["b2"],
        "-- migrate:lint-ignore drop-tabel typo\nCREATE TABLE w (id INT);\n-- migrate:lint-ignore drop-table\nCREATE TABLE x (id INT);",
        "DROP TABLE x;\nDROP TABLE w;",
    );
    let run = p.run(&["lint"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("c3_rev.sql:8:1: error[lint-ignore]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("(no rule `drop-tabel`)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("c3_rev.sql:10:1: error[lint-ignore]")
            && run.stdout.contains("(no reason given)"),
        "{}",
        run.stdout
    );
    // One before a statement that does not split silences its `unchecked`;
    // a faulty one in the downgrade is reported in the downgrade.
    p.revision(
        "d4",
        &["c3"],
        "-- migrate:lint-ignore unchecked reviewed by hand\nSELECT 'open;",
        "-- migrate:lint-ignore drop-table\nSELECT 1;",
    );
    let run = p.run(&["--format", "json", "lint", "c3:d4"]);
    let found = json(&run)["findings"].as_array().unwrap().clone();
    let rules: Vec<(&str, &str)> = found
        .iter()
        .filter(|f| f["revision"] == "d4")
        .map(|f| (f["rule"].as_str().unwrap(), f["section"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, [("lint-ignore", "downgrade")], "{}", run.stdout);
}

#[test]
fn sarif_and_github_output_and_other_commands_refuse_them() {
    let p = Project::new(Db::Sqlite);
    p.revision("a1", &[], "CREATE TABLE t (id INT);", "DROP TABLE t;");
    p.run(&["upgrade", "head"]).ok();
    p.revision(
        "b2",
        &["a1"],
        "ALTER TABLE t RENAME TO t2;",
        "ALTER TABLE t2 RENAME TO t;",
    );
    let run = p.run(&["--format", "sarif", "lint"]).ok();
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "migrate");
    assert!(run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "alter-needs-rebuild"));
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "rename-table");
    assert_eq!(result["level"], "warning");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "migrations/versions/b2_rev.sql"
    );
    assert_eq!(loc["region"]["startLine"], 8);
    assert_eq!(loc["region"]["startColumn"], 1);

    let run = p.run(&["--format", "github", "lint"]).ok();
    assert!(
        run.stdout.starts_with("::warning file=migrations/versions/b2_rev.sql,line=8,col=1,title=migrate lint%3A rename-table::code still running uses the old name"),
        "{}",
        run.stdout
    );
    // Pending b2 fails `check` (not at head); its lint warning does not.
    let run = p.run(&["--format", "github", "check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("::warning file=migrations/versions/b2_rev.sql,line=8"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("::error title=migrate check%3A not_at_head::"),
        "{}",
        run.stdout
    );

    for args in [
        ["--format", "sarif", "upgrade"],
        ["--format", "github", "heads"],
    ] {
        let run =
            p.run(&[args[0], args[1], args[2], "head"][..if args[2] == "heads" { 3 } else { 4 }]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!(
                "error: --format {} is for `migrate lint` and `migrate check` only",
                args[1]
            )),
            "{}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn check_runs_lint_on_pending_revisions_and_only_errors_fail_it() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("a1", &[], "CREATE TABLE t (id INT);", "DROP TABLE t;");
    p.run(&["upgrade", "head"]).ok();
    // At head, nothing pending: no lint problem, though a1 would be one offline.
    let report = json(&p.run(&["--format", "json", "check"]).ok());
    assert_eq!(report["ok"], true);
    p.revision(
        "b2",
        &["a1"],
        "CREATE INDEX CONCURRENTLY ix ON t (id);",
        "DROP INDEX ix;",
    );
    let run = p.run(&["--format", "json", "check"]);
    assert_eq!(run.code, 1);
    let report = json(&run);
    let lint: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "lint")
        .collect();
    assert_eq!(lint.len(), 1, "{report:#}");
    assert_eq!(lint[0]["lint"]["rule"], "concurrently-in-transaction");
    assert_eq!(lint[0]["lint"]["severity"], "error");
    assert_eq!(lint[0]["lint"]["line"], 8);
    assert_eq!(lint[0]["revisions"][0], "b2");
    // A warning alone does not fail `check --offline`.
    std::fs::write(
        p.versions_dir().join("b2_rev.sql"),
        "-- b2\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY ix ON t (id);\nDROP TABLE t;\n\n-- migrate:downgrade\nCREATE TABLE t (id INT);\n",
    )
    .unwrap();
    let report = json(&p.run(&["--format", "json", "check", "--offline"]).ok());
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["kind"] == "lint" && p["lint"]["rule"] == "drop-table"));
    let run = p.run(&["check", "--offline"]).ok();
    assert!(
        run.stdout.contains("lint warning[drop-table]"),
        "{}",
        run.stdout
    );
}

#[test]
fn autogenerated_revisions_pass_the_default_level() {
    for kind in all() {
        let p = Project::with_config(kind, "schema = \"schema.sql\"");
        let id = match kind {
            Db::Postgres => "id SERIAL PRIMARY KEY",
            Db::MySql => "id INT AUTO_INCREMENT PRIMARY KEY",
            Db::Sqlite => "id INTEGER PRIMARY KEY",
        };
        let schema = |extra: &str| {
            format!("CREATE TABLE users (\n    {id},\n    email VARCHAR(100) NOT NULL{extra}\n);\n")
        };
        std::fs::write(p.path().join("schema.sql"), schema("")).unwrap();
        p.run(&["revision", "--autogenerate", "-m", "users"]).ok();
        let run = p.run(&["lint"]);
        assert_eq!(run.code, 0, "{kind:?}: {}\n{}", run.stdout, run.stderr);
        p.run(&["upgrade", "head"]).ok();
        // A change of every kind autogenerate makes on an existing table.
        std::fs::write(
            p.path().join("schema.sql"),
            schema(",\n    name VARCHAR(50),\n    age INT NOT NULL DEFAULT 0,\n    CONSTRAINT uq_email UNIQUE (email)")
                + "CREATE INDEX ix_users_name ON users (name);\nCREATE TABLE posts (id INT PRIMARY KEY, title TEXT);\n",
        )
        .unwrap();
        p.run(&["revision", "--autogenerate", "-m", "more"]).ok();
        let run = p.run(&["lint"]);
        assert_eq!(run.code, 0, "{kind:?}: {}\n{}", run.stdout, run.stderr);
        // Nothing unread, and each downgrade undoes its own upgrade (MySQL's
        // `ADD KEY` dropped again, SQLite's rebuilds).
        for rule in ["unchecked", "downgrade-not-inverse"] {
            assert!(!run.stdout.contains(rule), "{kind:?}: {}", run.stdout);
        }
        p.run(&["upgrade", "head"]).ok();
        // A rebuild (SQLite) or a type change, and a drop.
        std::fs::write(
            p.path().join("schema.sql"),
            schema(",\n    name VARCHAR(80),\n    age BIGINT NOT NULL DEFAULT 0"),
        )
        .unwrap();
        p.run(&["revision", "--autogenerate", "-m", "change"]).ok();
        let run = p.run(&["lint"]);
        assert_eq!(run.code, 0, "{kind:?}: {}\n{}", run.stdout, run.stderr);
        for rule in ["unchecked", "downgrade-not-inverse"] {
            assert!(!run.stdout.contains(rule), "{kind:?}: {}", run.stdout);
        }
        p.run(&["upgrade", "head"]).ok();
        p.run(&["downgrade", "base"]).ok();
    }
}

#[test]
fn the_examples_safe_statements_are_not_flagged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = [
        ("quickstart", Db::Sqlite),
        ("notes", Db::Postgres),
        ("cleanings", Db::Postgres),
        ("some_infos", Db::MySql),
        ("users", Db::MySql),
        ("compose/postgres", Db::Postgres),
        ("compose/mariadb", Db::MySql),
    ];
    let dbs = all();
    for (name, kind) in examples {
        let config = root.join("examples").join(name).join("migrate.toml");
        let config = config.to_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        // Offline, every revision counts as applied: what is left are the
        // hazards of a busy production table, nothing else.
        let url = match kind {
            Db::Sqlite => "sqlite://".to_string(),
            Db::Postgres => "postgresql://x@127.0.0.1/x".into(),
            Db::MySql => "mysql://x@127.0.0.1/x".into(),
        };
        let run = migrate_in(
            tmp.path(),
            &["-c", config, "--format", "json", "lint", "--offline"],
            &[("DATABASE_URL", &url)],
        );
        assert_eq!(run.code, 0, "{name}: {}\n{}", run.stdout, run.stderr);
        let report = json(&run);
        let found: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["subject"].as_str().unwrap()
                )
            })
            .collect();
        let expected: &[&str] = match name {
            "cleanings" => &["pg-lock-timeout-unset table cleanings: the first DDL on an existing table in this section"],
            "compose/postgres" => &[
                "pg-lock-timeout-unset table items: the first DDL on an existing table in this section",
                "index-not-concurrently table items",
            ],
            _ => &[],
        };
        assert_eq!(found, expected, "{name}: {report:#}");
        // On a fresh database every revision is pending, so every table is new.
        if !dbs.contains(&kind) {
            continue;
        }
        let db = TestDb::new(kind, tmp.path());
        let run = migrate_in(
            tmp.path(),
            &["-c", config, "--format", "json", "lint"],
            &[("DATABASE_URL", &db.url)],
        );
        let report = json(&run);
        assert_eq!(
            report["findings"],
            serde_json::json!([]),
            "{name}: {report:#}"
        );
        assert_eq!(run.code, 0);
    }
}

#[test]
fn the_server_version_and_settings_decide_what_applies() {
    crate::require!(Db::MySql);
    let p = Project::new(Db::MySql);
    p.revision(
        "a1",
        &[],
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10));\nINSERT INTO t VALUES (1, 'x');",
        "DROP TABLE t;",
    );
    p.run(&["upgrade", "head"]).ok();
    // 10 to 100 characters crosses 255 bytes: MariaDB 10.4 and later widen
    // it in place, MySQL copies the table.
    p.revision(
        "b2",
        &["a1"],
        "ALTER TABLE t MODIFY v VARCHAR(100);",
        "ALTER TABLE t MODIFY v VARCHAR(10);",
    );
    let online = json(&p.run(&["--format", "json", "lint"]).ok());
    let version = p.db.query("SELECT VERSION()")[0][0].to_lowercase();
    let expected: &[&str] = if version.contains("mariadb") {
        &[]
    } else {
        &["table-copy-alter"]
    };
    assert_eq!(rules_in(&online, "b2"), expected, "{version}: {online:#}");
    // Offline the server is unknown: the copy is reported.
    let offline = json(&p.run(&["--format", "json", "lint", "--offline"]).ok());
    assert_eq!(
        rules_in(&offline, "b2"),
        ["table-copy-alter"],
        "{offline:#}"
    );
}

#[test]
fn a_lock_timeout_the_database_sets_answers_pg_lock_timeout_unset() {
    crate::require!(Db::Postgres);
    let p = Project::new(Db::Postgres);
    p.revision("a1", &[], "CREATE TABLE t (id INT);", "DROP TABLE t;");
    p.run(&["upgrade", "head"]).ok();
    p.revision(
        "b2",
        &["a1"],
        "ALTER TABLE t ADD COLUMN x INT;",
        "ALTER TABLE t DROP COLUMN x;",
    );
    let report = json(&p.run(&["--format", "json", "lint"]).ok());
    assert_eq!(
        rules_in(&report, "b2"),
        ["pg-lock-timeout-unset"],
        "{report:#}"
    );
    p.db.exec(&format!(
        "ALTER DATABASE {} SET lock_timeout = '3s'",
        p.db.name
    ));
    let report = json(&p.run(&["--format", "json", "lint"]).ok());
    assert!(rules_in(&report, "b2").is_empty(), "{report:#}");
}
