//! A unified line diff, for `check` to show how a revision's file differs
//! from the SQL that ran (the `similar` crate's Myers diff, in the layout
//! `diff -u` and `git diff` print).

use similar::TextDiff;

/// The unified diff from `old` to `new` with `context` lines around each
/// change, under `--- old_name` / `+++ new_name`; empty when they are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = diff
        .unified_diff()
        .context_radius(context)
        .missing_newline_hint(false)
        .header(old_name, new_name)
        .to_string();
    // Texts without a final newline: every line shows as a line of its own.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_give_nothing() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y", 3), "");
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified(old, new, "ran", "file", 3),
            "--- ran\n+++ file\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks_and_near_ones_one() {
        let lines = |f: &dyn Fn(u32) -> String| (1..=20).map(f).collect::<String>();
        let old = lines(&|i| format!("{i}\n"));
        let new = lines(&|i| match i {
            2 => "two\n".into(),
            19 => "nineteen\n".into(),
            _ => format!("{i}\n"),
        });
        let d = unified(&old, &new, "a", "b", 1);
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n"), "{d}");
        let near = lines(&|i| match i {
            2 => "two\n".into(),
            4 => "four\n".into(),
            _ => format!("{i}\n"),
        });
        assert_eq!(unified(&old, &near, "a", "b", 1).matches("@@ -").count(), 1);
    }

    #[test]
    fn texts_without_a_final_newline_as_check_compares_them() {
        assert_eq!(
            unified("a\nb", "a\nc", "x", "y", 3),
            "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        );
    }

    #[test]
    fn insertions_and_deletions_at_the_ends() {
        assert_eq!(
            unified("a\n", "a\nb\n", "x", "y", 3),
            "--- x\n+++ y\n@@ -1 +1,2 @@\n a\n+b\n"
        );
        assert_eq!(
            unified("a\nb\n", "b\n", "x", "y", 0),
            "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n"
        );
        assert_eq!(
            unified("", "a\n", "x", "y", 3),
            "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n"
        );
    }
}
