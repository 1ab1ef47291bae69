//! Small text helpers shared by messages: control characters made visible.
//! Pure; uses nothing but `std`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but space written as an escape
/// (`\0`, `\n`, `\t`, `\u{1b}`…), so a NUL byte or a terminal escape in a
/// statement or an id reaches the terminal as text, never raw.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
