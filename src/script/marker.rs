//! The marker grammar of revision files: a comment line
//! `-- migrate:NAME [ARGUMENTS]` is a marker, never SQL, whatever it says.
//! NAME is matched in any case. A marker either opens a section (the SQL up
//! to the next section marker) or is a directive (a note about the file,
//! with arguments, that leaves the section it stands in going). Every marker
//! is one entry of [`MARKERS`]: a new section or directive is one more
//! entry, and the parser (`file`) handles it with the others. A name the
//! table does not hold is an error that lists the known ones.
//!
//! Pure; it uses nothing but `std` and `crate::text::edit_distance`.

/// What a marker does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// Opens the upgrade section: required, the first section.
    Upgrade,
    /// Opens the downgrade section: required, after the upgrade section.
    Downgrade,
    /// Opens a further section, kept in `RevisionFile::sections`: optional,
    /// at most once, in the table's order after the required ones.
    Section,
    /// A directive: its arguments are kept in `RevisionFile::directives`,
    /// and the SQL around it stays in the section it stands in.
    Directive,
}

impl MarkerKind {
    /// Whether the marker opens a section.
    pub fn is_section(self) -> bool {
        self != MarkerKind::Directive
    }

    /// Whether every revision file must have the marker.
    pub fn is_required(self) -> bool {
        matches!(self, MarkerKind::Upgrade | MarkerKind::Downgrade)
    }
}

/// A marker the grammar knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The name after `-- migrate:`, in lower case.
    pub name: &'static str,
    /// What the marker does.
    pub kind: MarkerKind,
}

/// Every marker a revision file may hold. Sections come in this order.
pub const MARKERS: &[Marker] = &[
    Marker {
        name: "upgrade",
        kind: MarkerKind::Upgrade,
    },
    Marker {
        name: "downgrade",
        kind: MarkerKind::Downgrade,
    },
    // Data checks that `migrate test` runs after the upgrade; nothing else
    // runs them, and no checksum covers them.
    Marker {
        name: "test",
        kind: MarkerKind::Section,
    },
    // SQL still to be written by hand (`migrate import alembic` leaves it
    // where it could not convert a revision): `upgrade`, `downgrade` and
    // `check` refuse the section it stands in (in the header: both).
    Marker {
        name: TODO,
        kind: MarkerKind::Directive,
    },
    Marker {
        name: LINT_IGNORE,
        kind: MarkerKind::Directive,
    },
];

/// The name of the directive that marks SQL still to be written.
pub const TODO: &str = "todo";

/// `-- migrate:lint-ignore RULE reason`: silences a lint rule for the
/// statement below it (see `lint::suppress`); not part of the checksum.
pub const LINT_IGNORE: &str = "lint-ignore";

/// Whether `line` is a `-- migrate:lint-ignore` directive line.
pub fn is_lint_ignore(line: &str) -> bool {
    matches!(read(line, MARKERS), Some(Read::Known(m, _)) if m.name == LINT_IGNORE)
}

/// One marker line, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read<'a> {
    /// A marker of the table, and the text after its name (trimmed).
    Known(&'static Marker, &'a str),
    /// A `-- migrate:` line whose name the table does not hold.
    Unknown(&'a str),
}

/// The text of a `--` comment line after the dashes and one space, or None
/// for other lines.
pub(crate) fn comment_text(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("--")?;
    Some(
        rest.strip_prefix(' ')
            .unwrap_or(rest)
            .trim_end_matches('\r'),
    )
}

/// Reads `line` as a marker of `table`: None when it is no `-- migrate:`
/// line (white space around it allowed, as around `migrate:`'s name; the
/// name ends at a space or tab).
pub fn read<'a>(line: &'a str, table: &'static [Marker]) -> Option<Read<'a>> {
    read_comment(comment_text(line.trim())?, table)
}

/// [`read`] for the text of a comment line (after its `--` and one space),
/// for a caller that has it already.
pub fn read_comment<'a>(text: &'a str, table: &'static [Marker]) -> Option<Read<'a>> {
    let rest = text.trim_start().strip_prefix("migrate:")?.trim();
    // The name runs to the first space or tab (every line of every file
    // comes here: a byte scan, not a search by character class).
    let (name, arguments) = match rest.bytes().position(|b| b == b' ' || b == b'\t') {
        Some(at) => (&rest[..at], rest[at..].trim_start()),
        None => (rest, ""),
    };
    Some(
        match table
            .iter()
            .find(|m| m.name.len() == name.len() && m.name.eq_ignore_ascii_case(name))
        {
            Some(m) => Read::Known(m, arguments),
            None => Read::Unknown(name),
        },
    )
}

/// The known name nearest to `name`, if one is a likely typo of it.
pub fn suggestion(name: &str, table: &'static [Marker]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let max = (lower.chars().count() / 3).clamp(1, 3);
    table
        .iter()
        .filter_map(|m| crate::text::edit_distance(&lower, m.name, max).map(|d| (d, m.name)))
        .min()
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: &Marker = &MARKERS[0];
    const DOWN: &Marker = &MARKERS[1];

    #[test]
    fn marker_lines_are_read_whatever_the_case_and_spacing() {
        for (line, want) in [
            ("-- migrate:upgrade", Some(Read::Known(UP, ""))),
            ("--migrate:upgrade", Some(Read::Known(UP, ""))),
            ("  -- migrate:UpGrade  \r", Some(Read::Known(UP, ""))),
            ("-- migrate: downgrade", Some(Read::Known(DOWN, ""))),
            (
                "-- migrate:downgrade  now, please",
                Some(Read::Known(DOWN, "now, please")),
            ),
            ("-- migrate:test", Some(Read::Known(&MARKERS[2], ""))),
            ("-- migrate:tests", Some(Read::Unknown("tests"))),
            ("-- migrate:", Some(Read::Unknown(""))),
            ("-- migrate:upgrade;", Some(Read::Unknown("upgrade;"))),
            ("-- Migrate:upgrade", None),
            ("-- upgrade", None),
            ("SELECT 1; -- migrate:upgrade", None),
            ("- migrate:upgrade", None),
            ("", None),
        ] {
            assert_eq!(read(line, MARKERS), want, "{line:?}");
        }
    }

    #[test]
    fn lint_ignore_lines_are_known_directives() {
        assert!(is_lint_ignore(
            "-- migrate:lint-ignore drop-table old data is archived"
        ));
        assert!(is_lint_ignore("  --migrate:LINT-IGNORE truncate x"));
        assert!(!is_lint_ignore("-- migrate:upgrade"));
        assert!(!is_lint_ignore(
            "DROP TABLE t; -- migrate:lint-ignore drop-table x"
        ));
    }

    #[test]
    fn suggestions_are_near_misses_only() {
        assert_eq!(suggestion("upgrde", MARKERS), Some("upgrade"));
        assert_eq!(suggestion("DOWNGRAD", MARKERS), Some("downgrade"));
        assert_eq!(suggestion("downgrade;", MARKERS), Some("downgrade"));
        assert_eq!(suggestion("tests", MARKERS), Some("test"));
        assert_eq!(suggestion("check", MARKERS), None);
        assert_eq!(suggestion("", MARKERS), None);
    }

    #[test]
    fn the_table_names_each_marker_once_in_lower_case_with_required_sections_first() {
        for (i, m) in MARKERS.iter().enumerate() {
            assert_eq!(m.name, m.name.to_ascii_lowercase());
            assert!(!m.name.is_empty() && !m.name.contains(char::is_whitespace));
            assert!(MARKERS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
        let sections: Vec<MarkerKind> = MARKERS
            .iter()
            .map(|m| m.kind)
            .filter(|k| k.is_section())
            .collect();
        assert_eq!(sections[..2], [MarkerKind::Upgrade, MarkerKind::Downgrade]);
    }

    #[test]
    fn todo_is_a_directive_with_arguments() {
        match read("-- migrate:todo upgrade() could not be converted", MARKERS) {
            Some(Read::Known(m, args)) => {
                assert_eq!(m.name, TODO);
                assert_eq!(m.kind, MarkerKind::Directive);
                assert_eq!(args, "upgrade() could not be converted");
            }
            other => panic!("{other:?}"),
        }
    }
}
