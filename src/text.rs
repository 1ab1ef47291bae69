//! Small text helpers shared by messages: control characters made visible,
//! and the one edit distance behind every "did you mean". Pure; uses nothing
//! but `std`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but space written as an escape
/// (`\0`, `\n`, `\t`, `\u{1b}`…), so a NUL byte or a terminal escape in a
/// statement or an id reaches the terminal as text, never raw.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, |_| true)
}

/// Like [`escape_controls`], but line breaks and tabs stay as they are: for
/// text of several lines, such as a server's message with its DETAIL and HINT.
pub fn escape_controls_in_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && c != '\t')
}

fn escape(text: &str, this_one: impl Fn(char) -> bool) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && this_one(c);
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// The Levenshtein distance between `a` and `b` (in characters), if it is at
/// most `max`: the measure of a likely typo for every suggestion `migrate`
/// makes (config keys, revision ids and labels).
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_is_bounded() {
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("", "abc", 3), Some(3));
        assert_eq!(edit_distance("same", "same", 0), Some(0));
        assert_eq!(edit_distance("a", "abcdef", 2), None);
        assert_eq!(edit_distance("héad", "head", 1), Some(1));
    }

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(escape_controls("plain é"), "plain é");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\0b"), "a\\0b");
        assert_eq!(
            escape_controls("x\u{1b}[31my\u{7f}"),
            "x\\u{1b}[31my\\u{7f}"
        );
        assert_eq!(escape_controls("\t\r\n"), "\\t\\r\\n");
        assert_eq!(escape_controls_in_lines("a\n\tb\0c\r"), "a\n\tb\\0c\\r");
    }
}
