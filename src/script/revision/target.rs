//! The target grammar as text: what a target, a `FROM:TO` range or a
//! `history -r` range says before it is resolved against a graph (a range,
//! a relative step, the word `current`), either end of a walk as Alembic
//! passes it, and Alembic's relative form `[label@][symbol](+|-)N`. Pure; it
//! uses nothing but `std` and the graph's error type.

use super::RevisionError;

/// A target as the user wrote it (`upgrade`, `downgrade`, `stamp`, `show`,
/// `edit`): what its text says before the graph resolves it. Resolving is
/// the map's ([`RevisionMap::upgrade_plan`](super::RevisionMap::upgrade_plan)
/// and the others take the same text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a>(&'a str);

impl<'a> Target<'a> {
    /// The target `text`, as written.
    pub fn new(text: &'a str) -> Target<'a> {
        Target(text)
    }

    /// The text as written.
    pub fn as_str(self) -> &'a str {
        self.0
    }

    /// A `FROM:TO` range (offline `--sql` runs only).
    pub fn is_range(self) -> bool {
        self.0.contains(':')
    }

    /// The two ends of a `FROM:TO` range, split at the first colon.
    pub fn range(self) -> Option<(&'a str, &'a str)> {
        self.0.split_once(':')
    }

    /// A step counted from somewhere (`+1`, `-2`, `shop@-1`, `shop@+1`,
    /// `ae10+1`, `heads+1`): Alembic's relative form, matched at the start
    /// of the text. Any other target (`head`, an id, `shop@head`) means the
    /// same revision whatever the database is at, so a run may plan it again
    /// when another `migrate` moved the version table meanwhile.
    pub fn is_relative(self) -> bool {
        parse_relative(self.0).is_some()
    }

    /// The word `current`: the revisions in the version table.
    pub fn is_current(self) -> bool {
        self.0 == "current"
    }
}

/// `history -r START:END` as written: either end may be empty (`START:`,
/// `:END`), and either may be `current`, the version table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevRange<'a> {
    start: &'a str,
    end: &'a str,
}

impl<'a> RevRange<'a> {
    /// Reads a range: white space around it dropped, then exactly one colon
    /// (Alembic's `rev_range.strip().split(":")`). Anything else is
    /// [`RevisionError::HistoryRange`].
    pub fn parse(text: &'a str) -> Result<RevRange<'a>, RevisionError> {
        match text.trim().split_once(':') {
            Some((start, end)) if !end.contains(':') => Ok(RevRange { start, end }),
            _ => Err(RevisionError::HistoryRange),
        }
    }

    /// The lower end as written (empty: from `base`).
    pub fn start(self) -> &'a str {
        self.start
    }

    /// The upper end as written (empty: to `heads`).
    pub fn end(self) -> &'a str {
        self.end
    }

    /// Whether either end is `current`: listing the range then needs the
    /// version table's rows.
    pub fn mentions_current(self) -> bool {
        self.start == "current" || self.end == "current"
    }

    /// The two ends as Alembic's `history` hands them to its walk, given the
    /// version table's rows: `current` at the end stands for the rows (the
    /// start is then taken as written, so `current:current` names a
    /// revision `current`, which does not exist); otherwise `current` at the
    /// start does. An empty end, or rows where there are none, falls back to
    /// `base` and `heads` (Python's `base or "base"`).
    pub(super) fn ends(self, rows: &'a [String]) -> (Spec<'a>, Spec<'a>) {
        let (lower, upper) = if self.end == "current" {
            (Spec::Str(self.start), Spec::Tuple(rows))
        } else if self.start == "current" {
            (Spec::Tuple(rows), Spec::Str(self.end))
        } else {
            (Spec::Str(self.start), Spec::Str(self.end))
        };
        (lower.or("base"), upper.or("heads"))
    }
}

/// Either end of a walk as Alembic passes it: a string argument or the
/// tuple of current heads.
#[derive(Debug, Clone, Copy)]
pub(super) enum Spec<'a> {
    Str(&'a str),
    Tuple(&'a [String]),
}

impl<'a> Spec<'a> {
    /// As Alembic prints it in a message: a string as it is, the tuple as
    /// Python's `repr` (`('ab12',)`, `('ab12', 'cd34')`).
    pub(super) fn display(&self) -> String {
        match self {
            Spec::Str(s) => (*s).to_string(),
            Spec::Tuple([one]) => format!("({},)", py_repr(one)),
            Spec::Tuple(t) => {
                let items: Vec<String> = t.iter().map(|s| py_repr(s)).collect();
                format!("({})", items.join(", "))
            }
        }
    }

    /// `default` where this is empty (Python's `spec or default`).
    pub(super) fn or(self, default: &'a str) -> Spec<'a> {
        match self {
            Spec::Str("") | Spec::Tuple([]) => Spec::Str(default),
            other => other,
        }
    }
}

/// Python's `repr` of a string: in single quotes, or double quotes when it
/// holds a single quote and no double quote; backslashes, the quote and
/// control characters escaped. (Other characters Python deems unprintable,
/// which no revision id holds, are kept as they are.)
pub(super) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x20 || (0x7f..0xa0).contains(&u32::from(c)) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The relative form `[label@][symbol](+|-)digits` (Alembic's
/// `_relative_destination`, matched at the start of the text).
#[derive(Debug, Clone)]
pub(super) struct Relative {
    pub(super) label: Option<String>,
    pub(super) symbol: Option<String>,
    /// The sign and digits as written.
    pub(super) text: String,
    /// The value, saturated.
    pub(super) value: i64,
}

impl Relative {
    /// Python's `abs(int(text))`.
    pub(super) fn count(&self) -> String {
        let t = self
            .text
            .trim_start_matches(['+', '-'])
            .trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    }
    /// Python's `"%s" % int(text)`.
    pub(super) fn int_text(&self) -> String {
        let c = self.count();
        if self.value < 0 && c != "0" {
            format!("-{c}")
        } else {
            c
        }
    }
}

pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Matches `(\w+)?([+-]\d+)` at the start of `s`.
pub(super) fn match_rel_tail(s: &str) -> Option<(Option<String>, String)> {
    let end_word = s
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(s.len(), |(i, _)| i);
    let try_at = |pos: usize| -> Option<String> {
        let rest = &s[pos..];
        let mut chars = rest.chars();
        let sign = chars.next()?;
        if sign != '+' && sign != '-' {
            return None;
        }
        let digits: String = chars.take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        Some(format!("{sign}{digits}"))
    };
    if end_word > 0 {
        if let Some(rel) = try_at(end_word) {
            return Some((Some(s[..end_word].to_string()), rel));
        }
    }
    try_at(0).map(|rel| (None, rel))
}

pub(super) fn parse_relative(s: &str) -> Option<Relative> {
    // `(?:(.+?)@)?`: the shortest label before an '@' whose remainder matches.
    let mut found = None;
    for (i, c) in s.char_indices() {
        if c == '@' && i > 0 {
            if let Some((sym, rel)) = match_rel_tail(&s[i + 1..]) {
                found = Some((Some(s[..i].to_string()), sym, rel));
                break;
            }
        }
    }
    if found.is_none() {
        if let Some((sym, rel)) = match_rel_tail(s) {
            found = Some((None, sym, rel));
        }
    }
    let (label, symbol, text) = found?;
    let digits = &text[1..];
    let mag: i64 = digits.parse().unwrap_or(i64::MAX);
    let value = if text.starts_with('-') { -mag } else { mag };
    Some(Relative {
        label,
        symbol,
        text,
        value,
    })
}

/// Python's `int(text)` for a plain id: `Some(n)` when the whole text is an
/// optionally signed decimal integer.
pub(super) fn python_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.is_empty()
        || !body.chars().all(|c| c.is_ascii_digit() || c == '_')
        || body.starts_with('_')
        || body.ends_with('_')
        || body.contains("__")
    {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    let mag: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if t.starts_with('-') { -mag } else { mag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_say_what_they_are_before_resolution() {
        // (text, range, relative, current)
        let cases = [
            ("head", false, false, false),
            ("heads", false, false, false),
            ("base", false, false, false),
            ("ae1027a6acf", false, false, false),
            ("shop@head", false, false, false),
            ("feature-x@head", false, false, false),
            ("current", false, false, true),
            ("+1", false, true, false),
            ("-2", false, true, false),
            ("shop@-1", false, true, false),
            ("shop@+2", false, true, false),
            ("ae10+1", false, true, false),
            ("heads+1", false, true, false),
            ("base:head", true, false, false),
            ("ae10:+1", true, false, false),
            (":head", true, false, false),
        ];
        for (text, range, relative, current) in cases {
            let t = Target::new(text);
            assert_eq!(t.as_str(), text);
            assert_eq!(
                (t.is_range(), t.is_relative(), t.is_current()),
                (range, relative, current),
                "{text}"
            );
        }
        assert_eq!(Target::new("a:b:c").range(), Some(("a", "b:c")));
        assert_eq!(Target::new("head").range(), None);
    }

    #[test]
    fn history_ranges_need_one_colon_and_know_current() {
        let r = RevRange::parse(" ae10:current ").unwrap();
        assert_eq!((r.start(), r.end()), ("ae10", "current"));
        assert!(r.mentions_current());
        let r = RevRange::parse("current:").unwrap();
        assert_eq!((r.start(), r.end()), ("current", ""));
        assert!(r.mentions_current());
        let r = RevRange::parse(":").unwrap();
        assert_eq!((r.start(), r.end()), ("", ""));
        assert!(!r.mentions_current());
        // Only the whole word: `currently` is an id (or a prefix).
        assert!(!RevRange::parse("currently:").unwrap().mentions_current());
        for bad in ["head", "current", "a:b:c", ""] {
            assert_eq!(
                RevRange::parse(bad),
                Err(RevisionError::HistoryRange),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn current_in_a_history_range_is_what_alembic_makes_of_it() {
        let none: Vec<String> = Vec::new();
        let one = vec!["ab12".to_string()];
        let two = vec!["ab12".to_string(), "cd34".to_string()];
        let ends = |range: &str, rows: &[String]| {
            let (lower, upper) = RevRange::parse(range).unwrap().ends(rows);
            (lower.display(), upper.display())
        };
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        // No rows: `current` is base at the start and heads at the end.
        assert_eq!(ends(":current", &none), s("base", "heads"));
        assert_eq!(ends("current:", &none), s("base", "heads"));
        assert_eq!(ends("base:current", &none), s("base", "heads"));
        assert_eq!(ends("ae10:current", &none), s("ae10", "heads"));
        // Rows: the tuple, named as Python prints it.
        assert_eq!(ends(":current", &one), s("base", "('ab12',)"));
        assert_eq!(ends("current:", &two), s("('ab12', 'cd34')", "heads"));
        // `current` at the end wins; the start stays a name.
        assert_eq!(ends("current:current", &one), s("current", "('ab12',)"));
        assert_eq!(ends("current:current", &none), s("current", "heads"));
        assert_eq!(ends("ae10:head", &two), s("ae10", "head"));
    }

    #[test]
    fn python_repr_quotes_and_escapes_as_python_does() {
        for (s, want) in [
            ("ab12", "'ab12'"),
            ("it's", "\"it's\""),
            ("say \"x\"", "'say \"x\"'"),
            ("both'\"", "'both\\'\"'"),
            ("back\\slash", "'back\\\\slash'"),
            ("tab\tnew\nline\r", "'tab\\tnew\\nline\\r'"),
            (
                "nul\0esc\u{1b}del\u{7f}c1\u{85}",
                "'nul\\x00esc\\x1bdel\\x7fc1\\x85'",
            ),
            ("é", "'é'"),
        ] {
            assert_eq!(py_repr(s), want, "{s:?}");
        }
    }
}
