//! Unit tests of the graph: error collection, resolution errors, parents of
//! new revisions, plans on small graphs, ten thousand revisions of two
//! shapes, and the linear label propagation and dependency normalization
//! against their direct definitions (property tests).

use super::*;
use crate::runtime::step::apply_step;

fn rev(id: &str, down: &[&str], labels: &[&str], deps: &[&str]) -> RevisionInfo {
    RevisionInfo {
        id: id.to_string(),
        down_revisions: down.iter().map(std::string::ToString::to_string).collect(),
        branch_labels: labels
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        depends_on: deps.iter().map(std::string::ToString::to_string).collect(),
        doc: format!("rev {id}"),
        longdoc: format!(
            "rev {id}\n\nRevision ID: {id}\nRevises: {}",
            down.join(", ")
        ),
        path: format!("versions/{id}.sql"),
        lines: HeaderLines {
            revision: 3,
            revises: 4,
            branch_labels: 6,
            depends_on: 7,
        },
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(std::string::ToString::to_string).collect()
}

fn two_heads() -> RevisionMap {
    RevisionMap::new(vec![
        rev("727178216963", &[], &[], &[]),
        rev("64dd9a01f257", &["727178216963"], &[], &[]),
        rev("aa1af58ca28f", &["64dd9a01f257"], &["shop"], &[]),
        rev("814c54c7a386", &["aa1af58ca28f"], &[], &[]),
        rev("a0b47dc6f698", &["64dd9a01f257"], &[], &[]),
    ])
    .unwrap()
}

#[test]
fn graph_errors_are_collected_with_file_and_line() {
    let err = RevisionMap::new(vec![
        rev("aaaa", &[], &["x"], &[]),
        rev("aaaa", &[], &[], &[]),
        rev("bbbb", &["aaaa", "nope"], &["x"], &["ghost"]),
        rev("c1c1", &["d1d1"], &[], &[]),
        rev("d1d1", &["c1c1"], &[], &[]),
        rev("e-1", &["e-1"], &[], &[]),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("versions/aaaa.sql:3: revision aaaa is present more than once"),
        "{text}"
    );
    assert!(
        text.contains(
            "versions/bbbb.sql:6: Branch name 'x' in revision bbbb already used by revision aaaa"
        ),
        "{text}"
    );
    assert!(
        text.contains("versions/bbbb.sql:4: revision bbbb revises nope, which is not present"),
        "{text}"
    );
    assert!(
        text.contains("versions/bbbb.sql:7: revision bbbb depends on 'ghost'"),
        "{text}"
    );
    assert!(
        text.contains("versions/c1c1.sql:4: Cycle is detected in revisions (c1c1, d1d1)"),
        "{text}"
    );
    assert!(
        text.contains("versions/d1d1.sql:4: Cycle is detected in revisions (c1c1, d1d1)"),
        "{text}"
    );
    assert!(
        text.contains("versions/e-1.sql:4: Self-loop is detected in revisions (e-1)"),
        "{text}"
    );
    assert!(
        text.contains("versions/e-1.sql:3: revision id 'e-1' must not contain"),
        "{text}"
    );
    assert!(
        text.starts_with("the revision graph has 8 problems:"),
        "{text}"
    );
}

#[test]
fn dependency_cycle_is_reported() {
    let err = RevisionMap::new(vec![
        rev("aaaa", &[], &[], &["bbbb"]),
        rev("bbbb", &["aaaa"], &[], &[]),
    ])
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Dependency cycle is detected in revisions (aaaa, bbbb)"),
        "{err}"
    );
}

#[test]
fn ambiguous_prefix_lists_candidates_and_unknown_suggests() {
    let map = RevisionMap::new(vec![
        rev("abcd1111aaaa", &[], &[], &[]),
        rev("abcd2222bbbb", &["abcd1111aaaa"], &[], &[]),
    ])
    .unwrap();
    let e = map.upgrade_plan(&[], "ab").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Multiple revisions start with 'ab': abcd1111aaaa, abcd2222bbbb"
    );
    let e = map.upgrade_plan(&[], "abcd3333bbbb").unwrap_err();
    assert_eq!(
            e.to_string(),
            "Can't locate revision identified by 'abcd3333bbbb'; did you mean one of: 'abcd1111aaaa', 'abcd2222bbbb'?"
        );
    let e = map.upgrade_plan(&[], "zz").unwrap_err();
    assert_eq!(e.to_string(), "Can't locate revision identified by 'zz'");
}

#[test]
fn relative_downgrade_from_several_heads_is_an_error() {
    let map = two_heads();
    let rows = s(&["814c54c7a386", "a0b47dc6f698"]);
    let e = map.downgrade_plan(&rows, "-1").unwrap_err();
    assert!(matches!(
        e,
        RevisionError::AmbiguousRelativeDowngrade { .. }
    ));
    let text = e.to_string();
    assert!(
        text.contains("814c54c7a386, a0b47dc6f698") && text.contains("<branchname>@-1"),
        "{text}"
    );
    let plan = map.downgrade_plan(&rows, "shop@-1").unwrap();
    assert_eq!(plan.len(), 1);
    assert_eq!(
        plan[0].description(),
        "downgrade 814c54c7a386 -> aa1af58ca28f, rev 814c54c7a386"
    );
}

#[test]
fn new_revision_parents_follow_alembic() {
    let map = two_heads();
    assert_eq!(
            map.new_revision_parents("head", false).unwrap_err().to_string(),
            "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge."
        );
    assert_eq!(
            map.new_revision_parents("64dd9a01f257", false).unwrap_err().to_string(),
            "Revision 64dd9a01f257 is not a head revision; please specify --splice to create a new branch from this revision"
        );
    assert_eq!(
        map.new_revision_parents("64dd", true).unwrap(),
        s(&["64dd9a01f257"])
    );
    assert_eq!(
        map.new_revision_parents("shop@head", false).unwrap(),
        s(&["814c54c7a386"])
    );
    assert_eq!(
        map.new_revision_parents("base", false).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        map.merge_parents(&s(&["heads"])).unwrap(),
        s(&["814c54c7a386", "a0b47dc6f698"])
    );
    assert_eq!(
        map.resolve_depends_on(&s(&["shop", "a0b4"])).unwrap(),
        s(&["shop", "a0b47dc6f698"])
    );
    let single = RevisionMap::new(vec![rev("aaaa1", &[], &[], &[])]).unwrap();
    assert_eq!(
        single.new_revision_parents("head", false).unwrap(),
        s(&["aaaa1"])
    );
    let empty = RevisionMap::new(Vec::new()).unwrap();
    assert_eq!(
        empty.new_revision_parents("head", false).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn sql_range_resolves_start() {
    let map = two_heads();
    assert_eq!(
        map.sql_range("64dd:heads").unwrap(),
        (s(&["64dd9a01f257"]), "heads".to_string())
    );
    assert_eq!(
        map.sql_range("base:head").unwrap(),
        (Vec::new(), "head".to_string())
    );
    assert_eq!(
        map.sql_range("heads").unwrap(),
        (Vec::new(), "heads".to_string())
    );
}

#[test]
fn merge_that_depends_on_an_ancestor_does_not_fail() {
    // Alembic 1.20 runs aa, cc, bb and then fails with KeyError 'aa…'
    // on the merge; we run the same order and finish with one row.
    let map = RevisionMap::new(vec![
        rev("aa0000000001", &[], &[], &[]),
        rev("bb0000000002", &["aa0000000001"], &[], &[]),
        rev("cc0000000003", &["aa0000000001"], &[], &[]),
        rev(
            "dd0000000004",
            &["bb0000000002", "cc0000000003"],
            &[],
            &["aa0000000001"],
        ),
    ])
    .unwrap();
    let plan = map.upgrade_plan(&[], "heads").unwrap();
    let order: Vec<&str> = plan.iter().map(|p| p.revision.as_str()).collect();
    assert_eq!(
        order,
        [
            "aa0000000001",
            "cc0000000003",
            "bb0000000002",
            "dd0000000004"
        ]
    );
    let mut rows = Vec::new();
    for st in &plan {
        apply_step(&map, st, &mut rows).unwrap();
    }
    assert_eq!(rows, s(&["dd0000000004"]));
}

fn linear(n: usize) -> Vec<RevisionInfo> {
    (0..n)
        .map(|i| {
            let id = format!("{:012x}", 0x1000_0000_0000u64 + i as u64 * 7919);
            let down = if i == 0 {
                Vec::new()
            } else {
                vec![format!(
                    "{:012x}",
                    0x1000_0000_0000u64 + (i as u64 - 1) * 7919
                )]
            };
            RevisionInfo {
                id: id.clone(),
                down_revisions: down,
                doc: format!("r{i}"),
                ..Default::default()
            }
        })
        .collect()
}

/// A chain where every block of 10 forks into two branches of 4 that
/// merge again; every 100th revision also depends on an older block and
/// a few carry branch labels.
fn branchy(blocks: usize) -> Vec<RevisionInfo> {
    let mut v: Vec<RevisionInfo> = Vec::new();
    let id = |b: usize, k: usize| format!("{b:08x}{k:04x}");
    v.push(RevisionInfo {
        id: id(0, 0),
        ..Default::default()
    });
    let mut fork = id(0, 0);
    for b in 1..=blocks {
        let mut last_a = fork.clone();
        let mut last_b = fork.clone();
        for k in 0..4 {
            let a = id(b, k);
            let bb = id(b, 10 + k);
            v.push(RevisionInfo {
                id: a.clone(),
                down_revisions: vec![last_a.clone()],
                ..Default::default()
            });
            v.push(RevisionInfo {
                id: bb.clone(),
                down_revisions: vec![last_b.clone()],
                ..Default::default()
            });
            last_a = a;
            last_b = bb;
        }
        let m = id(b, 99);
        let mut r = RevisionInfo {
            id: m.clone(),
            down_revisions: vec![last_a, last_b],
            ..Default::default()
        };
        if b % 10 == 0 && b > 2 {
            r.depends_on = vec![id(b - 2, 1)];
        }
        if b % 250 == 0 {
            r.branch_labels = vec![format!("label{b}")];
        }
        v.push(r);
        fork = m;
    }
    v
}

fn exercise(revs: Vec<RevisionInfo>) {
    let n = revs.len();
    let t0 = std::time::Instant::now();
    let map = RevisionMap::new(revs).unwrap();
    eprintln!("build {n}: {:?}", t0.elapsed());
    let heads: Vec<String> = map
        .heads()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(heads.len(), 1);
    let t0 = std::time::Instant::now();
    let hist = map.history(None, &[]).unwrap();
    eprintln!("history: {:?}", t0.elapsed());
    assert_eq!(hist.len(), n);
    let t0 = std::time::Instant::now();
    assert_eq!(map.effective_current(&heads).unwrap().len(), 1);
    eprintln!("current: {:?}", t0.elapsed());
    let up = map.upgrade_plan(&[], "heads").unwrap();
    assert_eq!(up.len(), n);
    let mut rows = Vec::new();
    for st in &up {
        apply_step(&map, st, &mut rows).unwrap();
    }
    assert_eq!(rows, heads);
    let t0 = std::time::Instant::now();
    let down = map.downgrade_plan(&rows, "base").unwrap();
    assert_eq!(down.len(), n);
    for st in &down {
        apply_step(&map, st, &mut rows).unwrap();
    }
    eprintln!("downgrade base plan + apply: {:?}", t0.elapsed());
    assert!(rows.is_empty());
    let mid = hist[n / 2].id.clone();
    assert!(map.history(Some(&format!("{mid}:")), &[]).unwrap().len() > 1);
    assert!(!map
        .upgrade_plan(std::slice::from_ref(&mid), "head")
        .unwrap()
        .is_empty());
    assert!(!map
        .stamp_plan(&[mid], &s(&["heads"]), false)
        .unwrap()
        .is_empty());
    assert_eq!(
        crate::script::display::heads_lines(&map, false, false).len(),
        1
    );
    assert!(
        crate::script::display::current_lines(&map, &heads, false)
            .unwrap()
            .len()
            == 1
    );
    assert!(crate::script::display::branches_lines(&map, false).len() < n);
}

#[test]
fn ten_thousand_linear_revisions() {
    exercise(linear(10_000));
}

#[test]
fn ten_thousand_branchy_revisions() {
    let revs = branchy(1112);
    assert!(revs.len() > 10_000);
    exercise(revs);
}

/// The label propagation as first written (one walk per labelled
/// revision): the reference for the linear one.
fn reference_labels(map: &RevisionMap) -> Vec<Vec<String>> {
    let n = map.revs.len();
    let mut labels: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); n];
    let mut mark = vec![usize::MAX; n];
    for i in 0..n {
        if map.revs[i].branch_labels.is_empty() {
            continue;
        }
        let own = map.revs[i].branch_labels.clone();
        let mut stack = vec![i];
        let mut last = i;
        while let Some(x) = stack.pop() {
            if mark[x] == i {
                continue;
            }
            mark[x] = i;
            labels[x].extend(own.iter().cloned());
            stack.extend(map.next[x].iter().copied());
            last = x;
        }
        let mut p = last;
        loop {
            if map.all_next[p].len() > 1 || map.down[p].len() > 1 {
                break;
            }
            labels[p].extend(own.iter().cloned());
            match map.down[p].first() {
                Some(&d) => p = d,
                None => break,
            }
        }
    }
    labels
        .into_iter()
        .map(|s| s.into_iter().collect())
        .collect()
}

/// The dependency normalization as first written.
fn reference_norm_deps(map: &RevisionMap) -> Vec<Vec<Ix>> {
    let n = map.revs.len();
    (0..n)
        .map(|i| {
            let anc = {
                let mut m = map.ancestors(&map.down[i], false);
                m[i] = false;
                m
            };
            map.deps[i]
                .iter()
                .copied()
                .filter(|&d| !(0..n).any(|a| anc[a] && map.deps[a].contains(&d)))
                .collect()
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, .. Default::default() })]

    /// Labels and normalized dependencies equal the direct definitions.
    #[test]
    fn linear_label_spreading_and_normalization_match_the_walks(
        spec in proptest::collection::vec((0u16..1000, 0u16..1000, 0u16..1000, 0u8..12), 1..30)
    ) {
        let id = |i: usize| format!("{:04x}{:08x}", 0xb000 + i, i * 7919);
        let mut revs = Vec::new();
        for (i, &(p1, p2, dp, kind)) in spec.iter().enumerate() {
            let mut down = Vec::new();
            if i > 0 && kind > 1 {
                down.push(id(p1 as usize % i));
                if kind > 8 {
                    let second = id(p2 as usize % i);
                    if !down.contains(&second) {
                        down.push(second);
                    }
                }
            }
            let mut deps = Vec::new();
            if i > 1 && kind % 3 == 0 {
                deps.push(id(dp as usize % i));
            }
            let labels = if kind % 4 == 1 { vec![format!("l{i}")] } else { Vec::new() };
            revs.push(RevisionInfo {
                id: id(i),
                down_revisions: down,
                branch_labels: labels,
                depends_on: deps,
                ..Default::default()
            });
        }
        let map = RevisionMap::new(revs).expect("valid");
        let want = reference_labels(&map);
        for (i, w) in want.iter().enumerate() {
            proptest::prop_assert_eq!(&map.labels(i), w, "labels of {}", map.id(i));
        }
        let want = reference_norm_deps(&map);
        let got: Vec<Vec<Ix>> = (0..map.revs.len()).map(|i| map.norm_deps[i].to_vec()).collect();
        proptest::prop_assert_eq!(&got, &want);
    }
}
