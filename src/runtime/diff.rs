//! A unified line diff, for `check` to show how a revision's file differs
//! from the SQL that ran. Pure; small on purpose (no dependency): the common
//! prefix and suffix are cut first, since an edited revision usually differs in
//! a few lines, and the rest is a longest-common-subsequence table, which is
//! plenty for revision files (past a size limit the middle is shown as
//! replaced wholesale).

/// Cells of the LCS table past which the middle is shown as removed + added.
const MAX_CELLS: usize = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Line `a` of the old text equals line `b` of the new.
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

impl Op {
    fn is_change(self) -> bool {
        !matches!(self, Op::Equal(..))
    }
}

fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Equal(i, i)).collect();
    let (n, m) = (ma.len(), mb.len());
    if n.saturating_mul(m) > MAX_CELLS {
        ops.extend((0..n).map(|i| Op::Delete(prefix + i)));
        ops.extend((0..m).map(|j| Op::Insert(prefix + j)));
    } else {
        // lcs[i][j]: length of the LCS of ma[i..] and mb[j..].
        let w = m + 1;
        let mut lcs = vec![0u32; (n + 1) * w];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * w + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push(Op::Equal(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                // Removed lines before added ones, as diff prints them.
                ops.push(Op::Delete(prefix + i));
                i += 1;
            } else {
                ops.push(Op::Insert(prefix + j));
                j += 1;
            }
        }
    }
    let (sa, sb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| Op::Equal(sa + k, sb + k)));
    ops
}

/// A unified diff (`---`/`+++` headers, `@@` hunks with `context` lines
/// around each change) from `old` to `new`; empty when the lines are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, context: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    if !ops.iter().any(|o| o.is_change()) {
        return String::new();
    }
    // Lines of a and b before each op.
    let mut before = Vec::with_capacity(ops.len() + 1);
    let (mut ia, mut ib) = (0usize, 0usize);
    for op in &ops {
        before.push((ia, ib));
        match op {
            Op::Equal(..) => {
                ia += 1;
                ib += 1;
            }
            Op::Delete(_) => ia += 1,
            Op::Insert(_) => ib += 1,
        }
    }
    before.push((ia, ib));

    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let len = ops.len();
    let mut k = 0;
    while k < len {
        if !ops[k].is_change() {
            k += 1;
            continue;
        }
        let start = k.saturating_sub(context);
        let mut last = k;
        let mut m = k + 1;
        while m < len {
            if ops[m].is_change() {
                last = m;
                m += 1;
                continue;
            }
            let run = m;
            while m < len && !ops[m].is_change() {
                m += 1;
            }
            if m < len && m - run <= 2 * context {
                continue;
            }
            break;
        }
        let stop = (last + 1 + context).min(len);
        let (a0, b0) = before[start];
        let (a1, b1) = before[stop];
        let range = |from: usize, count: usize| {
            if count == 0 {
                format!("{from},0")
            } else if count == 1 {
                format!("{}", from + 1)
            } else {
                format!("{},{count}", from + 1)
            }
        };
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a0, a1 - a0),
            range(b0, b1 - b0)
        ));
        for op in &ops[start..stop] {
            match *op {
                Op::Equal(i, _) => out.push_str(&format!(" {}\n", a[i])),
                Op::Delete(i) => out.push_str(&format!("-{}\n", a[i])),
                Op::Insert(j) => out.push_str(&format!("+{}\n", b[j])),
            }
        }
        k = stop;
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

    #[test]
    fn the_script_is_a_longest_common_subsequence() {
        let a = ["x", "a", "b", "c", "y"];
        let b = ["a", "q", "c", "y", "z"];
        let ops = edit_script(&a, &b);
        let equal = ops.iter().filter(|o| !o.is_change()).count();
        assert_eq!(equal, 3); // a, c, y
    }
}
