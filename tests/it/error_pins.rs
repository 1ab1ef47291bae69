//! The messages of the revision graph, revision files, markers, the script
//! directory and the splitter, pinned whole (split from errors.rs).

use crate::support::*;

// ===========================================================================
// The messages of script::revision, script::file, script::marker, the
// script directory (script/error.rs) and the statement splitter (sql),
// pinned whole, as `just` pins its output: each case's stderr, from its
// `error: ` line to the end, is exactly the text below ({dir} is the
// project's folder), and `migrate` exits 1. Messages the command line cannot
// reach are pinned from the library's values at the end.
// ===========================================================================

/// A project for one pinned message.
struct Pin {
    name: &'static str,
    /// Revisions of a fixture graph: id, revises, extra header lines, upgrade SQL.
    graph: &'static [PinRev],
    /// More revisions, as `graph`.
    revs: &'static [PinRev],
    /// Other files, relative to `migrations/versions`.
    files: &'static [(&'static str, &'static [u8])],
    /// More `[migrate]` keys.
    config: &'static str,
    /// Files or folders to remove, relative to the project.
    remove: &'static [&'static str],
    /// The version table's rows before the command (`Some(&[])`: an empty table).
    rows: Option<&'static [&'static str]>,
    args: &'static [&'static str],
    /// What stderr holds from its `error: ` line on.
    error: &'static str,
}

type PinRev = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

const PIN: Pin = Pin {
    name: "",
    graph: &[],
    revs: &[],
    files: &[],
    config: "",
    remove: &[],
    rows: None,
    args: &[],
    error: "",
};

/// The branched graph of `tests/it/graph.rs`.
const BRANCHED: &[PinRev] = &[
    ("727178216963", &[], "", "SELECT 1;"),
    ("64dd9a01f257", &["727178216963"], "", "SELECT 1;"),
    (
        "aa1af58ca28f",
        &["64dd9a01f257"],
        "-- Branch Labels: shop",
        "SELECT 1;",
    ),
    ("814c54c7a386", &["aa1af58ca28f"], "", "SELECT 1;"),
    ("a0b47dc6f698", &["64dd9a01f257"], "", "SELECT 1;"),
];

/// Two revisions whose ids share a prefix.
const PREFIX: &[PinRev] = &[
    ("abcd11110001", &[], "", "SELECT 1;"),
    ("abcd22220002", &["abcd11110001"], "", "SELECT 1;"),
];

const PINS: &[Pin] = &[
    Pin {
        name: "multiple heads",
        graph: BRANCHED,
        args: &["upgrade", "head"],
        error: "error: Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads\n",
        ..PIN
    },
    Pin {
        name: "multiple heads, label",
        graph: BRANCHED,
        revs: &[("b1b1b1b1b1b1", &["814c54c7a386"], "", "SELECT 1;"), ("b2b2b2b2b2b2", &["814c54c7a386"], "", "SELECT 1;")],
        args: &["upgrade", "shop@head"],
        error: "error: Multiple head revisions are present for given argument 'shop@head'; please specify a specific target revision, '<branchname>@shop@head' to narrow to a specific head, or 'heads' for all heads\n",
        ..PIN
    },
    Pin {
        name: "multiple heads stamp",
        graph: BRANCHED,
        args: &["stamp", "head"],
        error: "error: Multiple heads are present; please specify a single target revision\n",
        ..PIN
    },
    Pin {
        name: "multiple heads revision",
        graph: BRANCHED,
        args: &["revision", "-m", "x"],
        error: "error: Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.\n",
        ..PIN
    },
    Pin {
        name: "unknown",
        graph: BRANCHED,
        args: &["upgrade", "zzzz"],
        error: "error: Can't locate revision identified by 'zzzz'\n",
        ..PIN
    },
    Pin {
        name: "unknown one suggestion",
        graph: BRANCHED,
        args: &["upgrade", "814c54c7a387"],
        error: "error: Can't locate revision identified by '814c54c7a387'; did you mean '814c54c7a386'?\n",
        ..PIN
    },
    Pin {
        name: "unknown suggestions",
        graph: PREFIX,
        args: &["upgrade", "abcd33330003"],
        error: "error: Can't locate revision identified by 'abcd33330003'; did you mean one of: 'abcd11110001', 'abcd22220002'?\n",
        ..PIN
    },
    Pin {
        name: "ambiguous prefix",
        graph: PREFIX,
        args: &["upgrade", "abcd"],
        error: "error: Multiple revisions start with 'abcd': abcd11110001, abcd22220002\n",
        ..PIN
    },
    Pin {
        name: "not member of branch",
        graph: BRANCHED,
        args: &["upgrade", "shop@a0b47dc6f698"],
        error: "error: Revision a0b47dc6f698 is not a member of branch 'shop'\n",
        ..PIN
    },
    Pin {
        name: "ambiguous walk",
        graph: BRANCHED,
        args: &["upgrade", "64dd+1"],
        error: "error: Ambiguous walk\n",
        ..PIN
    },
    Pin {
        name: "relative too far",
        graph: PREFIX,
        args: &["upgrade", "+3"],
        error: "error: Relative revision +3 didn't produce 3 migrations\n",
        ..PIN
    },
    Pin {
        name: "walked too far",
        graph: PREFIX,
        rows: Some(&["abcd22220002"]),
        args: &["downgrade", "abcd11110001+5"],
        error: "error: Walked too far\n",
        ..PIN
    },
    Pin {
        name: "ambiguous upgrade",
        graph: BRANCHED,
        rows: Some(&["814c54c7a386", "a0b47dc6f698"]),
        args: &["upgrade", "+1"],
        error: "error: Ambiguous upgrade from multiple current revisions\n",
        ..PIN
    },
    Pin {
        name: "ambiguous relative downgrade",
        graph: BRANCHED,
        rows: Some(&["814c54c7a386", "a0b47dc6f698"]),
        args: &["downgrade", "-1"],
        error: "error: Relative downgrade -1 is ambiguous: the database has several current heads (814c54c7a386, a0b47dc6f698); name the branch with '<branchname>@-1' or give a revision id, e.g. '814c54c7a386-1'\n",
        ..PIN
    },
    Pin {
        name: "no current on branch",
        graph: BRANCHED,
        rows: Some(&["a0b47dc6f698"]),
        args: &["downgrade", "shop@-1"],
        error: "error: No single current revision on branch 'shop' to walk -1 from (current: a0b47dc6f698)\n",
        ..PIN
    },
    Pin {
        name: "no current on branch, none",
        graph: BRANCHED,
        rows: Some(&[]),
        args: &["downgrade", "shop@-1"],
        error: "error: No single current revision on branch 'shop' to walk -1 from (current: none)\n",
        ..PIN
    },
    Pin {
        name: "invalid downgrade target",
        graph: BRANCHED,
        rows: Some(&["aa1af58ca28f"]),
        args: &["downgrade", "a0b4"],
        error: "error: Destination a0b4 is not a valid downgrade target from current head(s)\n",
        ..PIN
    },
    Pin {
        name: "range not ancestor",
        graph: BRANCHED,
        args: &["history", "-r", "814c:a0b4"],
        error: "error: Requested range 814c:a0b4 does not refer to ancestor/descendant revisions along the same branch\n",
        ..PIN
    },
    Pin {
        name: "overlap",
        graph: BRANCHED,
        args: &["history", "--rev-range=-1:heads"],
        error: "error: Requested revision aa1af58ca28f overlaps with other requested revisions 64dd9a01f257\n",
        ..PIN
    },
    Pin {
        name: "not valid downgrade target",
        graph: BRANCHED,
        revs: &[("ffff00000001", &[], "-- Branch Labels: other", "SELECT 1;")],
        rows: Some(&["814c54c7a386", "a0b47dc6f698"]),
        args: &["downgrade", "other@64dd"],
        error: "error: Not a valid downgrade target from current heads\n",
        ..PIN
    },
    Pin {
        name: "not a head",
        graph: BRANCHED,
        args: &["revision", "-m", "x", "--head", "64dd"],
        error: "error: Revision 64dd9a01f257 is not a head revision; please specify --splice to create a new branch from this revision\n",
        ..PIN
    },
    Pin {
        name: "duplicate heads",
        graph: BRANCHED,
        args: &["merge", "814c", "814c", "-m", "x"],
        error: "error: Duplicate head revisions specified\n",
        ..PIN
    },
    Pin {
        name: "history range",
        graph: BRANCHED,
        args: &["history", "-r", "head"],
        error: "error: History range requires [start]:[end], [start]:, or :[end]\n",
        ..PIN
    },
    Pin {
        name: "base as parent",
        graph: PREFIX,
        args: &["revision", "-m", "x", "--head=-2"],
        error: "error: '-2' does not name a revision to base a new one on\n",
        ..PIN
    },
    Pin {
        name: "duplicate id",
        revs: &[("aaaa00000001", &[], "", "SELECT 1;")],
        files: &[("dup.sql", b"-- rev aaaa00000001\n--\n-- Revision ID: aaaa00000001\n-- Revises: \n-- Create Date: 2026-01-01 00:00:00\n\n-- migrate:upgrade\nSELECT 1;\n\n-- migrate:downgrade\nSELECT 1;\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/dup.sql:3: revision aaaa00000001 is present more than once (also in {dir}/migrations/versions/aaaa00000001_rev.sql)\n",
        ..PIN
    },
    Pin {
        name: "duplicate label",
        revs: &[("aaaa00000001", &[], "-- Branch Labels: x", "SELECT 1;"), ("bbbb00000002", &["aaaa00000001"], "-- Branch Labels: x", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/bbbb00000002_rev.sql:6: Branch name 'x' in revision bbbb00000002 already used by revision aaaa00000001\n",
        ..PIN
    },
    Pin {
        name: "label is an id",
        revs: &[("aaaa00000001", &[], "", "SELECT 1;"), ("bbbb00000002", &["aaaa00000001"], "-- Branch Labels: aaaa00000001", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/bbbb00000002_rev.sql:6: Branch name 'aaaa00000001' in revision bbbb00000002 already used by revision aaaa00000001\n",
        ..PIN
    },
    Pin {
        name: "missing revises",
        revs: &[("aaaa00000001", &["ffff00000009"], "", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql:4: revision aaaa00000001 revises ffff00000009, which is not present\n",
        ..PIN
    },
    Pin {
        name: "missing depends on",
        revs: &[("aaaa00000001", &[], "-- Depends On: ghost", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql:6: revision aaaa00000001 depends on 'ghost', which is neither a revision nor a branch label\n",
        ..PIN
    },
    Pin {
        name: "ambiguous depends on",
        revs: &[("aaaa00000001", &[], "", "SELECT 1;"), ("aaaa00000002", &[], "", "SELECT 1;"), ("cccc00000003", &[], "-- Depends On: aaaa", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/cccc00000003_rev.sql:6: revision cccc00000003 depends on 'aaaa', which matches several revisions: aaaa00000001, aaaa00000002\n",
        ..PIN
    },
    Pin {
        name: "self loop",
        revs: &[("aaaa00000001", &["aaaa00000001"], "", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql:4: Self-loop is detected in revisions (aaaa00000001)\n",
        ..PIN
    },
    Pin {
        name: "dependency self loop",
        revs: &[("aaaa00000001", &[], "-- Depends On: aaaa00000001", "SELECT 1;")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql:6: Dependency self-loop is detected in revisions (aaaa00000001)\n",
        ..PIN
    },
    Pin {
        name: "cycle",
        revs: &[("aaaa00000001", &["bbbb00000002"], "", "SELECT 1;"), ("bbbb00000002", &["aaaa00000001"], "", "SELECT 1;")],
        args: &["heads"],
        error: "error: 2 problems in the revision files:\n  {dir}/migrations/versions/aaaa00000001_rev.sql:4: Cycle is detected in revisions (aaaa00000001, bbbb00000002)\n  {dir}/migrations/versions/bbbb00000002_rev.sql:4: Cycle is detected in revisions (aaaa00000001, bbbb00000002)\n",
        ..PIN
    },
    Pin {
        name: "dependency cycle",
        revs: &[("aaaa00000001", &[], "-- Depends On: bbbb00000002", "SELECT 1;"), ("bbbb00000002", &["aaaa00000001"], "", "SELECT 1;")],
        args: &["heads"],
        error: "error: 2 problems in the revision files:\n  {dir}/migrations/versions/aaaa00000001_rev.sql:6: Dependency cycle is detected in revisions (aaaa00000001, bbbb00000002)\n  {dir}/migrations/versions/bbbb00000002_rev.sql: Dependency cycle is detected in revisions (aaaa00000001, bbbb00000002)\n",
        ..PIN
    },
    Pin {
        name: "no header",
        files: &[("x.sql", b"SELECT 1;\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:1: no header: a revision file starts with `-- <message>` and `-- Revision ID: <id>` lines\n",
        ..PIN
    },
    Pin {
        name: "missing revision id",
        files: &[("x.sql", b"-- m\n-- Revises: \n-- migrate:upgrade\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:1: the header has no `-- Revision ID: <id>` line; add one (12 hex digits, e.g. from `migrate revision`)\n",
        ..PIN
    },
    Pin {
        name: "id empty",
        files: &[("x.sql", b"-- m\n-- Revision ID: \n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id '' is empty\n",
        ..PIN
    },
    Pin {
        name: "id long",
        files: &[("x.sql", b"-- m\n-- Revision ID: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is longer than 32 characters (the version table's VARCHAR(32))\n",
        ..PIN
    },
    Pin {
        name: "id control",
        files: &[("x.sql", b"-- m\n-- Revision ID: a\x01b\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'a\\u{1}b' contains a control character\n",
        ..PIN
    },
    Pin {
        name: "id target char",
        files: &[("x.sql", b"-- m\n-- Revision ID: a-b\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'a-b' contains one of the characters @ - + : which revision targets use\n",
        ..PIN
    },
    Pin {
        name: "id comma",
        files: &[("x.sql", b"-- m\n-- Revision ID: a,b\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'a,b' contains white space or a comma\n",
        ..PIN
    },
    Pin {
        name: "id slash",
        files: &[("x.sql", b"-- m\n-- Revision ID: a/b\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'a/b' contains / or \\, which would put its file in a folder that is never read\n",
        ..PIN
    },
    Pin {
        name: "id dot",
        files: &[("x.sql", b"-- m\n-- Revision ID: .ab\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id '.ab' starts with '.', which would make its file hidden (or name a folder)\n",
        ..PIN
    },
    Pin {
        name: "id reserved",
        files: &[("x.sql", b"-- m\n-- Revision ID: Heads\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:2: revision id 'Heads' is a word targets reserve (head, heads, base, current); choose another id\n",
        ..PIN
    },
    Pin {
        name: "duplicate key",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- revision id: x2\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:3: `revision id` appears twice in the header (first on line 2); keep one\n",
        ..PIN
    },
    Pin {
        name: "bad transactional",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- Transactional: maybe\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:3: `Transactional: maybe` is not a boolean; write `Transactional: false` (or true)\n",
        ..PIN
    },
    Pin {
        name: "missing upgrade",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n\n-- nothing\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: missing the `-- migrate:upgrade` marker line; every revision file has `-- migrate:upgrade` then `-- migrate:downgrade`\n",
        ..PIN
    },
    Pin {
        name: "missing downgrade",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade\nSELECT 1;\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: missing the `-- migrate:downgrade` marker line; every revision file has `-- migrate:upgrade` then `-- migrate:downgrade`\n",
        ..PIN
    },
    Pin {
        name: "duplicate marker",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade\n-- migrate:upgrade\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: second `-- migrate:upgrade` marker (the first is on line 3); keep one\n",
        ..PIN
    },
    Pin {
        name: "out of order",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:downgrade\n-- migrate:upgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:3: `-- migrate:downgrade` comes before `-- migrate:upgrade`; put the upgrade section first\n",
        ..PIN
    },
    Pin {
        name: "sql before upgrade",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n\nSELECT 1;\n-- migrate:upgrade\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: SQL before the `-- migrate:upgrade` marker; move it below the marker (only comments may stand above)\n",
        ..PIN
    },
    Pin {
        name: "unknown marker",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade\nSELECT 1;\n-- migrate:downgrde\nSELECT 1;\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:5: unknown marker `-- migrate:downgrde`; the markers are `-- migrate:upgrade`, `-- migrate:downgrade`, `-- migrate:test`, `-- migrate:todo` and `-- migrate:lint-ignore` (did you mean `-- migrate:downgrade`?)\n",
        ..PIN
    },
    Pin {
        name: "unknown marker no suggestion",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade\n-- migrate:check\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: unknown marker `-- migrate:check`; the markers are `-- migrate:upgrade`, `-- migrate:downgrade`, `-- migrate:test`, `-- migrate:todo` and `-- migrate:lint-ignore`\n",
        ..PIN
    },
    Pin {
        name: "test section before the downgrade",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade\n-- migrate:test\nSELECT 1;\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:4: `-- migrate:test` comes before `-- migrate:downgrade`; put the downgrade section first\n",
        ..PIN
    },
    Pin {
        name: "marker arguments",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- migrate:upgrade now\n-- migrate:downgrade\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql:3: `-- migrate:upgrade` takes nothing after its name; write it alone on its line\n",
        ..PIN
    },
    Pin {
        name: "list folder",
        remove: &["migrations/versions"],
        args: &["heads"],
        error: "error: cannot read the version location {dir}/migrations/versions: No such file or directory (os error 2); create it, run `migrate init`, or fix script_location/version_locations in migrate.toml\n",
        ..PIN
    },
    Pin {
        name: "not utf8",
        files: &[("x.sql", b"-- m\n-- Revision ID: x1\n-- \xff\n")],
        args: &["heads"],
        error: "error: {dir}/migrations/versions/x.sql: not UTF-8 text (byte 27); save the file as UTF-8\n",
        ..PIN
    },
    Pin {
        name: "not a version location",
        graph: PREFIX,
        args: &["revision", "-m", "x", "--version-path", "elsewhere"],
        error: "error: Path {dir}/elsewhere is not represented in current version locations: {dir}/migrations/versions\n",
        ..PIN
    },
    Pin {
        name: "multiple version locations",
        files: &[("../more/keep.txt", b"x")],
        config: "version_locations = [\"migrations/versions\", \"migrations/more\"]",
        args: &["revision", "-m", "x", "--head", "base"],
        error: "error: Multiple version locations present, please specify --version-path\n",
        ..PIN
    },
    Pin {
        name: "read template",
        remove: &["migrations/script.sql.tera"],
        args: &["revision", "-m", "x"],
        error: "error: cannot read the revision template {dir}/migrations/script.sql.tera: No such file or directory (os error 2); restore it (`migrate init` writes one) or fix script_location\n",
        ..PIN
    },
    Pin {
        name: "file name",
        config: "file_template = \"{{ nope }}\"",
        args: &["revision", "-m", "x"],
        error: "error: rendering file_template: Failed to render 'file_template': Variable `nope` not found in context while rendering 'file_template'\n",
        ..PIN
    },
    Pin {
        name: "file exists",
        files: &[("bbbb00000002_two.sql", b"-- rev cccc00000003\n--\n-- Revision ID: cccc00000003\n-- Revises: \n-- Create Date: 2026-01-01 00:00:00\n\n-- migrate:upgrade\nSELECT 1;\n\n-- migrate:downgrade\nSELECT 1;\n")],
        args: &["revision", "-m", "two", "--rev-id", "bbbb00000002"],
        error: "error: {dir}/migrations/versions/bbbb00000002_two.sql already exists; not overwriting it (choose another --rev-id or message)\n",
        ..PIN
    },
    Pin {
        name: "rev-id",
        args: &["revision", "-m", "x", "--rev-id", "a-b"],
        error: "error: --rev-id 'a-b' contains one of the characters @ - + : which revision targets use\n",
        ..PIN
    },
    Pin {
        name: "rev-id reserved",
        args: &["revision", "-m", "x", "--rev-id", "base"],
        error: "error: --rev-id 'base' is a word targets reserve (head, heads, base, current); choose another id\n",
        ..PIN
    },
    Pin {
        name: "template id",
        files: &[("../script.sql.tera", b"-- {{ message }}\n-- Revision ID: fixed0000001\n-- Revises: {{ down_revision | join(sep=', ') }}\n-- migrate:upgrade\n-- migrate:downgrade\n")],
        args: &["revision", "-m", "x", "--rev-id", "abcd00000001"],
        error: "error: the revision template rendered Revision ID 'fixed0000001' instead of 'abcd00000001'; fix script.sql.tera (it must write `-- Revision ID: {{ up_revision }}`)\n",
        ..PIN
    },
    Pin {
        name: "template parse",
        files: &[("../script.sql.tera", b"-- {{ message }}\n-- Revision ID: {{ up_revision }}\n-- migrate:upgrade\n")],
        args: &["revision", "-m", "x"],
        error: "error: the revision template rendered a file that does not parse (line 3: missing the `-- migrate:downgrade` marker line; every revision file has `-- migrate:upgrade` then `-- migrate:downgrade`); fix script.sql.tera; nothing was written\n",
        ..PIN
    },
    Pin {
        name: "split quote",
        revs: &[("aaaa00000001", &[], "", "SELECT 'oops;")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the string ' opened here is never closed; add the closing '\n",
        ..PIN
    },
    Pin {
        name: "split quoted name",
        revs: &[("aaaa00000001", &[], "", "SELECT \"x;")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the quoted name \" opened here is never closed; add the closing \"\n",
        ..PIN
    },
    Pin {
        name: "split bracket",
        revs: &[("aaaa00000001", &[], "", "SELECT [x;")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the quoted name [ opened here is never closed; add the closing ]\n",
        ..PIN
    },
    Pin {
        name: "split backtick",
        revs: &[("aaaa00000001", &[], "", "SELECT `x;")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the quoted name ` opened here is never closed; add the closing `\n",
        ..PIN
    },
    Pin {
        name: "split comment",
        revs: &[("aaaa00000001", &[], "", "SELECT 1; /* x")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 11: the /* comment opened here is never closed; add the closing */\n",
        ..PIN
    },
    Pin {
        name: "split trigger",
        revs: &[("aaaa00000001", &[], "", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;")],
        args: &["upgrade", "head"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 1: the trigger body has no final `END` (SQLite ends it at `; END`)\n",
        ..PIN
    },
    Pin {
        name: "split dollar",
        revs: &[("aaaa00000001", &[], "", "SELECT $tag$x;")],
        args: &["--url", "postgresql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: the dollar-quoted string opened here with $tag$ is never closed; add the closing $tag$\n",
        ..PIN
    },
    Pin {
        name: "split paren",
        revs: &[("aaaa00000001", &[], "", "SELECT (1;")],
        args: &["--url", "postgresql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 8: `(` has no matching `)`\n",
        ..PIN
    },
    Pin {
        name: "split begin atomic",
        revs: &[("aaaa00000001", &[], "", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;")],
        args: &["--url", "postgresql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 46: `BEGIN ATOMIC` has no matching `END`\n",
        ..PIN
    },
    Pin {
        name: "split compound",
        revs: &[("aaaa00000001", &[], "", "CREATE PROCEDURE p() BEGIN SELECT 1;")],
        args: &["--url", "mysql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 22: `BEGIN` has no matching `END`; if the routine uses BEGIN or END as names, or its body is not a BEGIN … END block, put it between `DELIMITER //` and `DELIMITER ;` lines and end it with `//`\n",
        ..PIN
    },
    Pin {
        name: "split delimiter",
        revs: &[("aaaa00000001", &[], "", "DELIMITER\nSELECT 1;")],
        args: &["--url", "mysql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 1: DELIMITER must be followed by the new delimiter, as in `DELIMITER //`\n",
        ..PIN
    },
    Pin {
        name: "split delimiter backslash",
        revs: &[("aaaa00000001", &[], "", "DELIMITER a\\\\b\nSELECT 1a\\\\b")],
        args: &["--url", "mysql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 11: a DELIMITER cannot contain a backslash\n",
        ..PIN
    },
    Pin {
        name: "split delimiter long",
        revs: &[("aaaa00000001", &[], "", "DELIMITER 12345678901234567\nSELECT 1;")],
        args: &["--url", "mysql://u@127.0.0.1/db", "upgrade", "head", "--sql"],
        error: "error: {dir}/migrations/versions/aaaa00000001_rev.sql: cannot split the upgrade section: line 8, column 11: a DELIMITER can be at most 16 bytes long\n",
        ..PIN
    },
];

fn run_pin(pin: &Pin) -> Result<(), String> {
    let p = Project::new(Db::Sqlite);
    for (id, revises, extra, up) in pin.graph.iter().chain(pin.revs) {
        p.revision_with(id, revises, extra, up, "SELECT 1;");
    }
    for (name, bytes) in pin.files {
        let path = p.versions_dir().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    if !pin.config.is_empty() {
        let toml = p.path().join("migrate.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(&toml, format!("{text}{}\n", pin.config)).unwrap();
    }
    for r in pin.remove {
        let path = p.path().join(r);
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
    }
    match pin.rows {
        None => {}
        Some([]) => {
            p.run(&["ensure-version"]).ok();
        }
        Some(rows) => {
            let mut args = vec!["stamp", "--purge"];
            args.extend_from_slice(rows);
            p.run(&args).ok();
        }
    }
    let r = p.run(pin.args);
    let dir = p.path().display().to_string();
    let want = pin.error.replace("{dir}", &dir);
    let got = match r.stderr.find("error: ") {
        Some(at) if at == 0 || r.stderr[..at].ends_with('\n') => &r.stderr[at..],
        _ => &r.stderr[..],
    };
    if r.code == 1 && got == want {
        Ok(())
    } else {
        Err(format!(
            "[{}] migrate {}: exit {}\n  want {want:?}\n  got  {got:?}",
            pin.name,
            pin.args.join(" "),
            r.code
        ))
    }
}

#[test]
fn graph_file_marker_script_and_splitter_messages_are_pinned_whole() {
    let failures: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = PINS
            .iter()
            .map(|pin| s.spawn(move || run_pin(pin)))
            .collect();
        runs.into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(PINS.len(), 79);
}

/// Messages no command line reaches (a graph built from headers that were
/// never checked, I/O failures, the splitter's self-check), pinned from the
/// library's values.
#[test]
fn messages_the_command_line_cannot_reach_are_pinned_whole() {
    use migrate::script::file::{FileError, FileErrorKind};
    use migrate::script::revision::{GraphErrorKind, RevisionError, RevisionInfo, RevisionMap};
    use migrate::script::{LoadError, LoadErrors, ScriptError};
    use migrate::sql::{Broken, Statement, Unclosed};
    use std::io::{Error, ErrorKind};
    use std::path::PathBuf;

    let info = |id: &str| RevisionInfo {
        id: id.to_string(),
        path: format!("versions/{id}.sql"),
        lines: migrate::script::revision::HeaderLines {
            revision: 3,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = RevisionMap::new(vec![info(""), info("a b")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the revision graph has 2 problems:\n  versions/.sql:3: empty revision id\n  versions/a b.sql:3: revision id 'a b' must not contain any of '@', '-', '+', ':' or whitespace"
    );
    assert!(matches!(e.0[0].kind, GraphErrorKind::BadId { .. }));
    let one = RevisionMap::new(vec![info("")]).unwrap_err();
    assert_eq!(
        one.to_string(),
        "the revision graph has 1 problem:\n  versions/.sql:3: empty revision id"
    );
    let gone = || Error::new(ErrorKind::PermissionDenied, "denied");
    let dir = PathBuf::from("/p/versions");
    let file = dir.join("x.sql");
    let load = [
        (
            LoadError::ListEntry {
                dir: dir.clone(),
                error: gone(),
            },
            "reading /p/versions: denied",
        ),
        (
            LoadError::ReadFile {
                path: file.clone(),
                error: gone(),
            },
            "/p/versions/x.sql: cannot read: denied",
        ),
        (
            LoadError::ThreadFailed,
            "a thread reading revision files failed",
        ),
    ];
    for (e, want) in &load {
        assert_eq!(e.to_string(), *want);
    }
    let both = LoadErrors(vec![
        LoadError::ThreadFailed,
        LoadError::Parse {
            path: file.clone(),
            error: FileError {
                line: 2,
                kind: FileErrorKind::NoHeader,
            },
        },
    ]);
    assert_eq!(
        both.to_string(),
        "2 problems in the revision files:\n  a thread reading revision files failed\n  /p/versions/x.sql:2: no header: a revision file starts with `-- <message>` and `-- Revision ID: <id>` lines"
    );
    for (e, want) in [
        (
            ScriptError::Create {
                path: dir.clone(),
                error: gone(),
            },
            "cannot create /p/versions: denied",
        ),
        (
            ScriptError::Write {
                path: file.clone(),
                error: gone(),
            },
            "writing /p/versions/x.sql: denied",
        ),
    ] {
        assert_eq!(e.to_string(), want);
    }
    assert_eq!(
        RevisionError::InvalidUpgradeTarget {
            destination: "ab12".into()
        }
        .to_string(),
        "Destination ab12 is not a valid upgrade target from current head(s)"
    );
    let st = Statement {
        text: "SELECT 1".into(),
        line: 2,
        column: 3,
        compound: false,
    };
    let s = "Statement { text: \"SELECT 1\", line: 2, column: 3, compound: false }";
    for (e, want) in [
        (
            Broken::PastTheEnd(st.clone()),
            format!("{s} starts past the end of the input"),
        ),
        (
            Broken::NoCharacterThere(st.clone()),
            format!("{s}: no character is at that line and column"),
        ),
        (
            Broken::Overlaps(st.clone()),
            format!("{s} overlaps the previous statement"),
        ),
        (
            Broken::NotTheInput(st.clone()),
            format!("{s} is not the input's text at its position"),
        ),
        (
            Broken::NotTrimmed(st.clone()),
            format!("{s} is empty or not trimmed"),
        ),
        (
            Broken::CompoundWithoutSemicolon(st.clone()),
            format!("{s} is compound without a `;`"),
        ),
        (
            Broken::Unclosed(st.clone(), Unclosed::Comment(4)),
            format!("{s}: unclosed comment at byte 4"),
        ),
        (
            Broken::Unclosed(st.clone(), Unclosed::Quote('\'', 5)),
            format!("{s}: unclosed ' at byte 5"),
        ),
        (
            Broken::Unclosed(st.clone(), Unclosed::DollarQuote(6)),
            format!("{s}: unclosed dollar quote at byte 6"),
        ),
        (
            Broken::Unclosed(st.clone(), Unclosed::EndsWithComment),
            format!("{s}: ends with a comment"),
        ),
        (
            Broken::StartsWithComment(st.clone()),
            format!("{s} starts with a comment"),
        ),
        (
            Broken::CommentIntoStatement(7),
            "the comment at byte 7 runs into a statement".to_string(),
        ),
        (
            Broken::DelimiterWithoutArgument(8),
            "DELIMITER without argument at byte 8".to_string(),
        ),
        (
            Broken::Dropped { at: 9, byte: 'x' },
            "byte 9 ('x') is in no statement, yet is no whitespace, comment or delimiter"
                .to_string(),
        ),
    ] {
        assert_eq!(e.to_string(), want);
    }
    let split = migrate::sql::split("SELECT 'x", migrate::Kind::Sqlite).unwrap_err();
    assert_eq!(
        Broken::ErrorOutside(split).to_string(),
        "UnterminatedQuote { quote: '\\'', line: 1, column: 8 } points outside the input"
    );
}
