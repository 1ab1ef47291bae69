//! Parser of one revision file: the `--` header block (message, `Revision ID`,
//! `Revises`, `Create Date`, `Branch Labels`, `Depends On`, `Transactional`) and
//! the sections and directives of the marker grammar (`marker`): the upgrade
//! and downgrade sections opened by `-- migrate:upgrade` and
//! `-- migrate:downgrade`, and whatever further markers the grammar's table
//! holds.
//!
//! Pure: it takes the file's text and returns values with 1-based line numbers,
//! so every error can name `file:line`. It uses nothing but `std`, the marker
//! grammar and `crate::text::escape_controls`.

use super::marker::{self, Marker, MarkerKind, Read, MARKERS};
use std::fmt;

/// One section of SQL (the upgrade or the downgrade), with the line it starts on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// The SQL between this marker and the next one (or the end of the file).
    pub text: String,
    /// 1-based line of the section's first line (the line after its marker).
    pub first_line: usize,
}

/// Line numbers of the header keys (0 when the key is absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLines {
    pub revision: usize,
    pub revises: usize,
    pub branch_labels: usize,
    pub depends_on: usize,
}

/// A directive line of a revision file (`-- migrate:NAME ARGUMENTS` whose
/// marker is a directive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The directive's name, as the grammar's table spells it.
    pub name: &'static str,
    /// The text after the name, trimmed.
    pub arguments: String,
    /// 1-based line of the directive.
    pub line: usize,
}

/// A parsed revision file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevisionFile {
    /// The first header line: the `-m` message.
    pub message: String,
    pub revision: String,
    pub revises: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub create_date: Option<String>,
    /// False when the header says `Transactional: false`.
    pub transactional: bool,
    /// The header lines with their leading `-- ` removed, joined by `\n`.
    pub header: String,
    pub lines: KeyLines,
    pub upgrade: Section,
    pub downgrade: Section,
    /// Sections beyond upgrade and downgrade that the file has, by name, in
    /// file order (`test`: the data checks of `migrate test`).
    pub sections: Vec<(&'static str, Section)>,
    /// Directive lines, in file order.
    pub directives: Vec<Directive>,
}

impl RevisionFile {
    /// The first `-- migrate:todo` line that blocks running the upgrade
    /// (`upgrade` true) or the downgrade section: one in that section, or
    /// above the sections (which blocks both).
    pub fn todo(&self, upgrade: bool) -> Option<&Directive> {
        let wanted = if upgrade { "upgrade" } else { "downgrade" };
        self.directives
            .iter()
            .find(|d| d.name == marker::TODO && self.section_of(d.line).is_none_or(|s| s == wanted))
    }

    /// The section `line` lies in: `upgrade`, `downgrade` or another
    /// section's name (`test`); `None` above every section marker (the
    /// header). A section runs from its marker to the next one.
    pub fn section_of(&self, line: usize) -> Option<&'static str> {
        [("upgrade", &self.upgrade), ("downgrade", &self.downgrade)]
            .into_iter()
            .chain(self.sections.iter().map(|(name, s)| (*name, s)))
            // A section that is there has its first line after its marker.
            .filter(|(_, s)| s.first_line > 0 && s.first_line <= line)
            .max_by_key(|(_, s)| s.first_line)
            .map(|(name, _)| name)
    }

    /// The `-- migrate:test` section (data checks for `migrate test`), if any.
    pub fn test(&self) -> Option<&Section> {
        self.sections
            .iter()
            .find(|(name, _)| *name == "test")
            .map(|(_, s)| s)
    }
}

/// What is wrong with a revision file, and on which line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub line: usize,
    pub kind: FileErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileErrorKind {
    NoHeader,
    MissingRevisionId,
    BadRevisionId(String, IdProblem),
    DuplicateKey(String, usize),
    BadTransactional(String),
    MissingMarker(&'static str),
    DuplicateMarker(&'static str, usize),
    MarkersOutOfOrder {
        /// The section whose marker comes too early.
        later: &'static str,
        /// The section that must come before it.
        earlier: &'static str,
    },
    SqlBeforeUpgrade,
    /// A `-- migrate:` line whose name is no marker, with the known name
    /// nearest to it.
    UnknownMarker {
        name: String,
        /// The grammar's markers.
        known: &'static [Marker],
        suggestion: Option<&'static str>,
    },
    /// A section marker with text after its name.
    MarkerArguments(&'static str),
}

/// `` `-- migrate:a` ``, `` `-- migrate:a` and `-- migrate:b` ``, … joined
/// with `last` before the final name.
fn marker_list(names: &[&str], last: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`-- migrate:{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((end, rest)) => format!("{}{last}{end}", rest.join(", ")),
    }
}

/// The names of the sections every revision file has, in order.
fn required_sections() -> Vec<&'static str> {
    MARKERS
        .iter()
        .filter(|m| m.kind.is_required())
        .map(|m| m.name)
        .collect()
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FileErrorKind::*;
        match &self.kind {
            NoHeader => write!(
                f,
                "no header: a revision file starts with `-- <message>` and `-- Revision ID: <id>` lines"
            ),
            MissingRevisionId => write!(
                f,
                "the header has no `-- Revision ID: <id>` line; add one (12 hex digits, e.g. from `migrate revision`)"
            ),
            BadRevisionId(id, why) => write!(
                f,
                "revision id '{}' {why}",
                crate::text::escape_controls(id)
            ),
            DuplicateKey(key, first) => {
                write!(f, "`{key}` appears twice in the header (first on line {first}); keep one")
            }
            BadTransactional(v) => write!(
                f,
                "`Transactional: {v}` is not a boolean; write `Transactional: false` (or true)"
            ),
            MissingMarker(m) => write!(
                f,
                "missing the `-- migrate:{m}` marker line; every revision file has {}",
                marker_list(&required_sections(), " then ")
            ),
            DuplicateMarker(m, first) => {
                write!(f, "second `-- migrate:{m}` marker (the first is on line {first}); keep one")
            }
            MarkersOutOfOrder { later, earlier } => write!(
                f,
                "`-- migrate:{later}` comes before `-- migrate:{earlier}`; put the {earlier} section first"
            ),
            SqlBeforeUpgrade => write!(
                f,
                "SQL before the `-- migrate:upgrade` marker; move it below the marker (only comments may stand above)"
            ),
            UnknownMarker {
                name,
                known,
                suggestion,
            } => {
                let names: Vec<&str> = known.iter().map(|m| m.name).collect();
                write!(
                    f,
                    "unknown marker `-- migrate:{}`; the markers are {}",
                    crate::text::escape_controls(name),
                    marker_list(&names, " and ")
                )?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `-- migrate:{s}`?)")?;
                }
                Ok(())
            }
            MarkerArguments(m) => write!(
                f,
                "`-- migrate:{m}` takes nothing after its name; write it alone on its line"
            ),
        }
    }
}

impl std::error::Error for FileError {}

/// Characters a revision id may not hold: Alembic's target grammar uses them.
pub const FORBIDDEN_ID_CHARS: [char; 4] = ['@', '-', '+', ':'];

/// Words the target grammar gives a meaning of its own: a revision with such
/// an id could never be named.
pub const RESERVED_IDS: [&str; 4] = ["head", "heads", "base", "current"];

/// Why a text cannot be a revision id; `Display` completes the sentence
/// "revision id 'X' …".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdProblem {
    Empty,
    TooLong,
    ControlCharacter,
    TargetCharacter,
    SpaceOrComma,
    Slash,
    LeadingDot,
    Reserved,
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdProblem::Empty => "is empty",
            IdProblem::TooLong => "is longer than 32 characters (the version table's VARCHAR(32))",
            IdProblem::ControlCharacter => "contains a control character",
            IdProblem::TargetCharacter => {
                "contains one of the characters @ - + : which revision targets use"
            }
            IdProblem::SpaceOrComma => "contains white space or a comma",
            IdProblem::Slash => {
                "contains / or \\, which would put its file in a folder that is never read"
            }
            IdProblem::LeadingDot => {
                "starts with '.', which would make its file hidden (or name a folder)"
            }
            IdProblem::Reserved => {
                "is a word targets reserve (head, heads, base, current); choose another id"
            }
        })
    }
}

/// Why `id` cannot be a revision id, if it cannot.
pub fn check_revision_id(id: &str) -> Option<IdProblem> {
    if id.is_empty() {
        Some(IdProblem::Empty)
    } else if id.chars().count() > 32 {
        Some(IdProblem::TooLong)
    } else if id.chars().any(char::is_control) {
        Some(IdProblem::ControlCharacter)
    } else if id.chars().any(|c| FORBIDDEN_ID_CHARS.contains(&c)) {
        Some(IdProblem::TargetCharacter)
    } else if id.chars().any(|c| c.is_whitespace() || c == ',') {
        Some(IdProblem::SpaceOrComma)
    } else if id.contains(['/', '\\']) {
        Some(IdProblem::Slash)
    } else if id.starts_with('.') {
        Some(IdProblem::LeadingDot)
    } else if RESERVED_IDS.iter().any(|w| id.eq_ignore_ascii_case(w)) {
        Some(IdProblem::Reserved)
    } else {
        None
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("none"))
        .map(str::to_string)
        .collect()
}

use marker::comment_text;

/// Parses the text of one revision file.
pub fn parse(text: &str) -> Result<RevisionFile, FileError> {
    parse_with(text, true, MARKERS)
}

/// Parses and checks a revision file like [`parse`], without copying out
/// its SQL sections (left empty): for commands that need the header only.
pub fn parse_header(text: &str) -> Result<RevisionFile, FileError> {
    parse_with(text, false, MARKERS)
}

/// The lines of `text` as `str::lines` gives them (split at `\n`, a `\r`
/// before it dropped, no empty line after a final newline), found by a byte
/// loop: a revision file is a few short lines, where `lines()` spends more
/// per line on searching than on the line.
fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(32);
    let mut rest = text;
    while !rest.is_empty() {
        match rest.bytes().position(|b| b == b'\n') {
            Some(k) => {
                let line = &rest[..k];
                out.push(line.strip_suffix('\r').unwrap_or(line));
                rest = &rest[k + 1..];
            }
            None => {
                out.push(rest);
                rest = "";
            }
        }
    }
    out
}

/// The header keys `migrate` reads.
#[derive(Clone, Copy, PartialEq)]
enum Key {
    RevisionId,
    Revises,
    BranchLabels,
    DependsOn,
    Transactional,
    CreateDate,
}

impl Key {
    /// The key named `name` (any case), if it is one.
    fn of(name: &str) -> Option<Key> {
        [
            ("revision id", Key::RevisionId),
            ("revises", Key::Revises),
            ("branch labels", Key::BranchLabels),
            ("depends on", Key::DependsOn),
            ("transactional", Key::Transactional),
            ("create date", Key::CreateDate),
        ]
        .into_iter()
        .find(|(n, _)| n.len() == name.len() && n.eq_ignore_ascii_case(name))
        .map(|(_, k)| k)
    }
}

/// Parses with the marker grammar `table` (the tests give one with more
/// markers); `sections` false leaves the sections' text out.
fn parse_with(
    text: &str,
    sections: bool,
    table: &'static [Marker],
) -> Result<RevisionFile, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = split_lines(text);
    let mut rf = RevisionFile {
        transactional: true,
        ..Default::default()
    };

    // The header: the leading run of `--` lines (leading blank lines skipped).
    let mut i = 0;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let header_start = i;
    let mut header_lines = Vec::new();
    while i < lines.len() {
        let Some(t) = comment_text(lines[i].trim_end()) else {
            break;
        };
        match marker::read_comment(t, table) {
            // A directive belongs to no section: the header goes on after it.
            Some(Read::Known(m, arguments)) if !m.kind.is_section() => {
                rf.directives.push(Directive {
                    name: m.name,
                    arguments: arguments.to_string(),
                    line: i + 1,
                });
                i += 1;
                continue;
            }
            // A section marker ends the header (an unknown one is reported below).
            Some(_) => break,
            None => header_lines.push((i + 1, t)),
        }
        i += 1;
    }
    if header_lines.is_empty() {
        return Err(FileError {
            line: header_start + 1,
            kind: FileErrorKind::NoHeader,
        });
    }
    let mut transactional_line = 0;
    for (n, (line_no, t)) in header_lines.iter().enumerate() {
        if n == 0 {
            rf.message = t.trim().to_string();
            continue;
        }
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let Some(key) = Key::of(key.trim()) else {
            continue;
        };
        let value = value.trim();
        let slot = match key {
            Key::RevisionId => &mut rf.lines.revision,
            Key::Revises => &mut rf.lines.revises,
            Key::BranchLabels => &mut rf.lines.branch_labels,
            Key::DependsOn => &mut rf.lines.depends_on,
            Key::Transactional => &mut transactional_line,
            Key::CreateDate => {
                rf.create_date = Some(value.to_string());
                continue;
            }
        };
        if *slot != 0 {
            return Err(FileError {
                line: *line_no,
                kind: FileErrorKind::DuplicateKey(
                    t.split(':').next().unwrap_or("").trim().to_string(),
                    *slot,
                ),
            });
        }
        *slot = *line_no;
        match key {
            Key::RevisionId => {
                if let Some(why) = check_revision_id(value) {
                    return Err(FileError {
                        line: *line_no,
                        kind: FileErrorKind::BadRevisionId(value.to_string(), why),
                    });
                }
                rf.revision = value.to_string();
            }
            Key::Revises => rf.revises = split_list(value),
            Key::BranchLabels => rf.branch_labels = split_list(value),
            Key::DependsOn => rf.depends_on = split_list(value),
            Key::CreateDate => {}
            Key::Transactional => {
                rf.transactional = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "on" | "1" => true,
                    "false" | "no" | "off" | "0" => false,
                    _ => {
                        return Err(FileError {
                            line: *line_no,
                            kind: FileErrorKind::BadTransactional(value.to_string()),
                        })
                    }
                }
            }
        }
    }
    if rf.lines.revision == 0 {
        return Err(FileError {
            line: header_start + 1,
            kind: FileErrorKind::MissingRevisionId,
        });
    }
    let mut header = String::with_capacity(header_lines.iter().map(|(_, t)| t.len() + 1).sum());
    for (n, (_, t)) in header_lines.iter().enumerate() {
        if n > 0 {
            header.push('\n');
        }
        header.push_str(t);
    }
    rf.header = header;

    // The sections: each section marker's line (1-based; 0 when absent), by
    // its place in the table, which is also the order sections must come in.
    // On the stack for a table of the usual size: this runs for every file.
    let mut inline = [0usize; 8];
    let mut heap = Vec::new();
    let at: &mut [usize] = if table.len() <= inline.len() {
        &mut inline[..table.len()]
    } else {
        heap.resize(table.len(), 0);
        &mut heap
    };
    let first = table.iter().position(|m| m.kind.is_section());
    for (j, line) in lines.iter().enumerate().skip(i) {
        let Some(read) = marker::read(line, table) else {
            if first.is_some_and(|f| at[f] == 0) {
                let t = line.trim();
                if !t.is_empty() && !t.starts_with("--") {
                    return Err(FileError {
                        line: j + 1,
                        kind: FileErrorKind::SqlBeforeUpgrade,
                    });
                }
            }
            continue;
        };
        let kind = match read {
            Read::Unknown(name) => FileErrorKind::UnknownMarker {
                name: name.to_string(),
                known: table,
                suggestion: marker::suggestion(name, table),
            },
            Read::Known(m, arguments) if !m.kind.is_section() => {
                rf.directives.push(Directive {
                    name: m.name,
                    arguments: arguments.to_string(),
                    line: j + 1,
                });
                continue;
            }
            Read::Known(m, arguments) => match section_error(table, at, m, arguments) {
                Some(kind) => kind,
                None => {
                    if let Some(k) = table.iter().position(|t| t.name == m.name) {
                        at[k] = j + 1;
                    }
                    continue;
                }
            },
        };
        return Err(FileError { line: j + 1, kind });
    }
    let end = lines.len() + 1;
    if let Some(k) = (0..table.len()).find(|&k| table[k].kind.is_required() && at[k] == 0) {
        return Err(FileError {
            line: end.saturating_sub(1).max(1),
            kind: FileErrorKind::MissingMarker(table[k].name),
        });
    }
    let join = |from: usize, to: usize| -> String {
        // `from`/`to` are 1-based marker lines; the section is strictly between them.
        let mut s = String::new();
        for l in &lines[from..to.saturating_sub(1).max(from)] {
            s.push_str(l);
            s.push('\n');
        }
        s
    };
    // The sections found are in the table's order, so each runs to the next.
    for k in (0..table.len()).filter(|&k| at[k] != 0) {
        let from = at[k];
        let to = at[k + 1..].iter().copied().find(|&l| l != 0).unwrap_or(end);
        let section = Section {
            text: if sections {
                join(from, to)
            } else {
                String::new()
            },
            first_line: from + 1,
        };
        match table[k].kind {
            MarkerKind::Upgrade => rf.upgrade = section,
            MarkerKind::Downgrade => rf.downgrade = section,
            MarkerKind::Section | MarkerKind::Directive => {
                rf.sections.push((table[k].name, section));
            }
        }
    }
    Ok(rf)
}

/// What is wrong with section marker `m` (of `table`), given the lines of
/// the section markers seen so far (`at`, by place in the table): text after
/// its name, a second one, a required section before it not there yet, or a
/// section after it there already.
fn section_error(
    table: &'static [Marker],
    at: &[usize],
    m: &'static Marker,
    arguments: &str,
) -> Option<FileErrorKind> {
    if !arguments.is_empty() {
        return Some(FileErrorKind::MarkerArguments(m.name));
    }
    let k = table.iter().position(|t| t.name == m.name)?;
    if at[k] != 0 {
        return Some(FileErrorKind::DuplicateMarker(m.name, at[k]));
    }
    // Only section markers have a line in `at`.
    if let Some(e) = (0..k).find(|&e| table[e].kind.is_required() && at[e] == 0) {
        return Some(FileErrorKind::MarkersOutOfOrder {
            later: m.name,
            earlier: table[e].name,
        });
    }
    if let Some(l) = (k + 1..table.len()).find(|&l| at[l] != 0) {
        return Some(FileErrorKind::MarkersOutOfOrder {
            later: table[l].name,
            earlier: m.name,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "-- create notes table\n--\n-- Revision ID: 127bcea40bef\n-- Revises: \n-- Create Date: 2026-11-22 10:41:35.468471\n-- Branch Labels: \n-- Depends On: \n\n-- migrate:upgrade\nCREATE TABLE notes (\n    id SERIAL PRIMARY KEY\n);\n\n-- migrate:downgrade\nDROP TABLE notes;\n";

    #[test]
    fn a_todo_blocks_the_section_it_stands_in_and_the_header_blocks_both() {
        let head = "-- m\n-- Revision ID: a1\n";
        let up_todo = format!("{head}\n-- migrate:upgrade\n-- migrate:todo write it\n\n-- migrate:downgrade\nDROP TABLE t;\n");
        let f = parse(&up_todo).unwrap();
        assert_eq!(
            f.todo(true).map(|d| (d.line, d.arguments.as_str())),
            Some((5, "write it"))
        );
        assert!(f.todo(false).is_none());
        let down_todo = format!("{head}\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\n-- migrate:TODO\n");
        let f = parse(&down_todo).unwrap();
        assert!(f.todo(true).is_none());
        assert_eq!(f.todo(false).map(|d| d.line), Some(7));
        let header_todo =
            format!("{head}-- migrate:todo\n\n-- migrate:upgrade\n\n-- migrate:downgrade\n");
        let f = parse(&header_todo).unwrap();
        assert_eq!(f.todo(true).map(|d| d.line), Some(3));
        assert_eq!(f.todo(false).map(|d| d.line), Some(3));
        assert!(parse(GOOD).unwrap().todo(true).is_none());
        // One in the test section blocks neither.
        let test_todo = format!("{head}\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n-- migrate:test\n-- migrate:todo check it\n");
        let f = parse(&test_todo).unwrap();
        assert!(f.todo(true).is_none() && f.todo(false).is_none());
    }

    #[test]
    fn parses_the_spec_example() {
        let f = parse(GOOD).unwrap();
        assert_eq!(f.message, "create notes table");
        assert_eq!(f.revision, "127bcea40bef");
        assert!(f.revises.is_empty());
        assert!(f.transactional);
        assert_eq!(f.create_date.as_deref(), Some("2026-11-22 10:41:35.468471"));
        assert_eq!(f.lines.revision, 3);
        assert_eq!(f.lines.revises, 4);
        assert_eq!(f.upgrade.first_line, 10);
        assert_eq!(
            f.upgrade.text,
            "CREATE TABLE notes (\n    id SERIAL PRIMARY KEY\n);\n\n"
        );
        assert_eq!(f.downgrade.first_line, 15);
        assert_eq!(f.downgrade.text, "DROP TABLE notes;\n");
        assert!(f
            .header
            .starts_with("create notes table\n\nRevision ID: 127bcea40bef\n"));
    }

    #[test]
    fn the_header_parse_checks_the_same_and_leaves_the_sql_out() {
        let mut full = parse(GOOD).unwrap();
        let header = parse_header(GOOD).unwrap();
        assert_eq!(header.upgrade.text, "");
        assert_eq!(header.downgrade.text, "");
        full.upgrade.text.clear();
        full.downgrade.text.clear();
        assert_eq!(header, full);
        let bad = GOOD.replace("-- migrate:downgrade", "-- nothing");
        assert_eq!(parse_header(&bad), parse(&bad).map(|_| unreachable!()));
    }

    #[test]
    fn keys_are_case_insensitive_and_lists_split() {
        let t = "-- merge\n-- revision id: abc\n-- REVISES: a1, b2 ,c3\n-- branch labels: shop\n-- depends on: x, y\n-- Transactional: false\n-- migrate:upgrade\n-- migrate:downgrade\n";
        let f = parse(t).unwrap();
        assert_eq!(f.revision, "abc");
        assert_eq!(f.revises, vec!["a1", "b2", "c3"]);
        assert_eq!(f.branch_labels, vec!["shop"]);
        assert_eq!(f.depends_on, vec!["x", "y"]);
        assert!(!f.transactional);
        assert_eq!(f.upgrade.text, "");
    }

    #[test]
    fn lines_split_as_str_lines_does() {
        for t in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\n",
            "a\r",
            "a\rb\r\n\r\nc",
            "\r\n\r\n",
            "x\n\ny\n",
            "é\r\nü",
        ] {
            assert_eq!(split_lines(t), t.lines().collect::<Vec<_>>(), "{t:?}");
        }
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let t = "\u{feff}-- m\r\n-- Revision ID: abc\r\n-- migrate:upgrade\r\nSELECT 1;\r\n-- migrate:downgrade\r\n";
        let f = parse(t).unwrap();
        assert_eq!(f.revision, "abc");
        assert_eq!(f.upgrade.text, "SELECT 1;\n");
    }

    #[test]
    fn errors_name_their_line() {
        let cases: &[(&str, usize, FileErrorKind)] = &[
            ("", 1, FileErrorKind::NoHeader),
            ("SELECT 1;\n", 1, FileErrorKind::NoHeader),
            (
                "-- m\n-- Revises: \n-- migrate:upgrade\n-- migrate:downgrade\n",
                1,
                FileErrorKind::MissingRevisionId,
            ),
            (
                "-- m\n-- Revision ID: a-b\n",
                2,
                FileErrorKind::BadRevisionId("a-b".into(), IdProblem::TargetCharacter),
            ),
            (
                "-- m\n-- Revision ID: a\n-- Revision ID: b\n",
                3,
                FileErrorKind::DuplicateKey("Revision ID".into(), 2),
            ),
            (
                "-- m\n-- Revision ID: a\n-- Transactional: maybe\n",
                3,
                FileErrorKind::BadTransactional("maybe".into()),
            ),
            (
                "-- m\n-- Revision ID: a\n\nSELECT 1;\n-- migrate:upgrade\n",
                4,
                FileErrorKind::SqlBeforeUpgrade,
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\nSELECT 1;\n",
                4,
                FileErrorKind::MissingMarker("downgrade"),
            ),
            (
                "-- m\n-- Revision ID: a\n\n-- migrate:downgrade\n",
                4,
                FileErrorKind::MarkersOutOfOrder {
                    later: "downgrade",
                    earlier: "upgrade",
                },
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:upgrade\n",
                4,
                FileErrorKind::DuplicateMarker("upgrade", 3),
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\nSELECT 1;\n-- migrate:upgrde\n-- migrate:downgrade\n",
                5,
                FileErrorKind::UnknownMarker {
                    name: "upgrde".into(),
                    known: MARKERS,
                    suggestion: Some("upgrade"),
                },
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:test\n",
                3,
                FileErrorKind::MarkersOutOfOrder {
                    later: "test",
                    earlier: "upgrade",
                },
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:test\n-- migrate:downgrade\n",
                4,
                FileErrorKind::MarkersOutOfOrder {
                    later: "test",
                    earlier: "downgrade",
                },
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:downgrade\n-- migrate:test\n-- migrate:test\n",
                6,
                FileErrorKind::DuplicateMarker("test", 5),
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:downgrade\n-- migrate:test now\n",
                5,
                FileErrorKind::MarkerArguments("test"),
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade now\n-- migrate:downgrade\n",
                3,
                FileErrorKind::MarkerArguments("upgrade"),
            ),
        ];
        for (text, line, kind) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, &e.kind), (*line, kind), "input {text:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn the_test_section_follows_the_downgrade_and_is_no_part_of_it() {
        let t = format!("{GOOD}\n-- migrate:test\nSELECT count(*) = 0 FROM notes;\n");
        let f = parse(&t).unwrap();
        assert_eq!(f.downgrade.text, "DROP TABLE notes;\n\n");
        assert_eq!(f.upgrade, parse(GOOD).unwrap().upgrade);
        assert_eq!(
            f.sections,
            vec![(
                "test",
                Section {
                    text: "SELECT count(*) = 0 FROM notes;\n".into(),
                    first_line: 18
                }
            )]
        );
        assert!(f.test().is_some());
        assert!(parse(GOOD).unwrap().test().is_none());
    }

    #[test]
    fn id_rules() {
        assert!(check_revision_id("127bcea40bef").is_none());
        assert!(check_revision_id(&"a".repeat(33)).is_some());
        for bad in [
            "a@b", "a+b", "a:b", "a-b", "", "a b", "a/b", "a\\b", ".", "..", ".hidden", "head",
            "heads", "base", "current", "HEAD", "a\0b", "a\u{1b}b", "a\u{7f}",
        ] {
            assert!(check_revision_id(bad).is_some(), "{bad}");
        }
        for good in ["a.b", "base1", "headway", "0001", "ab_cd"] {
            assert!(check_revision_id(good).is_none(), "{good}");
        }
    }

    /// A grammar with one more section and a directive, as later work adds
    /// them: one entry each.
    static MORE: &[Marker] = &[
        Marker {
            name: "upgrade",
            kind: MarkerKind::Upgrade,
        },
        Marker {
            name: "downgrade",
            kind: MarkerKind::Downgrade,
        },
        Marker {
            name: "check",
            kind: MarkerKind::Section,
        },
        Marker {
            name: "note",
            kind: MarkerKind::Directive,
        },
    ];

    #[test]
    fn a_section_or_directive_of_the_table_needs_nothing_else() {
        let t = "-- m\n-- migrate:note in the header\n-- Revision ID: abc\n-- migrate:upgrade\nSELECT 1;\n-- migrate:NOTE  keep this\nSELECT 2;\n-- migrate:downgrade\nSELECT 3;\n-- migrate:check\nSELECT 4;\n";
        let f = parse_with(t, true, MORE).unwrap();
        assert_eq!(f.revision, "abc");
        assert!(!f.header.contains("note"), "{:?}", f.header);
        assert_eq!(
            f.upgrade.text,
            "SELECT 1;\n-- migrate:NOTE  keep this\nSELECT 2;\n"
        );
        assert_eq!(f.downgrade.text, "SELECT 3;\n");
        assert_eq!(
            f.sections,
            vec![(
                "check",
                Section {
                    text: "SELECT 4;\n".into(),
                    first_line: 11
                }
            )]
        );
        let notes: Vec<(&str, &str, usize)> = f
            .directives
            .iter()
            .map(|d| (d.name, d.arguments.as_str(), d.line))
            .collect();
        assert_eq!(
            notes,
            [("note", "in the header", 2), ("note", "keep this", 6)]
        );
        // The further section is optional, comes after the required ones
        // and only once.
        let plain = "-- m\n-- Revision ID: abc\n-- migrate:upgrade\n-- migrate:downgrade\n";
        assert!(parse_with(plain, true, MORE).unwrap().sections.is_empty());
        for (text, line, kind) in [
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:check\n-- migrate:downgrade\n",
                4,
                FileErrorKind::MarkersOutOfOrder {
                    later: "check",
                    earlier: "downgrade",
                },
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:downgrade\n-- migrate:check\n-- migrate:check\n",
                6,
                FileErrorKind::DuplicateMarker("check", 5),
            ),
            (
                "-- m\n-- Revision ID: a\n-- migrate:upgrade\n-- migrate:chek\n",
                4,
                FileErrorKind::UnknownMarker {
                    name: "chek".into(),
                    known: MORE,
                    suggestion: Some("check"),
                },
            ),
        ] {
            let e = parse_with(text, true, MORE).unwrap_err();
            assert_eq!((e.line, e.kind), (line, kind), "{text:?}");
        }
        // Its message names every marker of the table.
        let e = parse_with("-- m\n-- Revision ID: a\n-- migrate:x\n", true, MORE).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown marker `-- migrate:x`; the markers are `-- migrate:upgrade`, `-- migrate:downgrade`, `-- migrate:check` and `-- migrate:note`"
        );
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("-- ".to_string()),
                Just("--".to_string()),
                Just("\n".to_string()),
                Just("\r\n".to_string()),
                Just("-- Revision ID: ".to_string()),
                Just("-- Revises: a, b".to_string()),
                Just("-- Transactional: false".to_string()),
                Just("-- migrate:upgrade".to_string()),
                Just("-- migrate:downgrade".to_string()),
                Just("\u{feff}".to_string()),
                "[ -~]{0,12}",
                "\\PC{0,4}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn never_panics(parts in proptest::collection::vec(fragment(), 0..24)) {
                let text: String = parts.concat();
                if let Ok(f) = parse(&text) {
                    prop_assert!(check_revision_id(&f.revision).is_none());
                    prop_assert!(f.upgrade.first_line >= 1);
                    prop_assert!(f.downgrade.first_line > f.upgrade.first_line);
                } else if let Err(e) = parse(&text) {
                    prop_assert!(e.line >= 1);
                    prop_assert!(!e.to_string().is_empty());
                }
            }

            #[test]
            fn rendered_files_parse_back(
                id in "[0-9a-f]{12}",
                parents in proptest::collection::vec("[0-9a-f]{12}", 0..3),
                msg in "[a-zA-Z0-9 ,.:;'-]{0,40}",
                up in "[a-zA-Z0-9 ;()\n]{0,80}",
            ) {
                let text = format!(
                    "-- {msg}\n--\n-- Revision ID: {id}\n-- Revises: {}\n\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\nSELECT 1;\n",
                    parents.join(", ")
                );
                let f = parse(&text).unwrap();
                prop_assert_eq!(f.revision, id);
                prop_assert_eq!(f.revises, parents);
                prop_assert_eq!(f.message, msg.trim().to_string());
                prop_assert_eq!(f.downgrade.text, "SELECT 1;\n");
            }
        }
    }
}
