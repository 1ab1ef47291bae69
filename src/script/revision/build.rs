//! Building the map: every problem of the revision files found at once (bad
//! or duplicate ids, duplicate branch labels, `Revises` or `Depends On`
//! naming nothing, cycles), then the derived structure in linear time:
//! children, heads, bases, a topological order, levels, normalized
//! dependencies and Alembic's branch-label propagation. Pure; it uses the
//! storage of `adj` and the errors of `error`.

use super::adj::{prefix_key, Adj, IdHash};
use super::applied::AppliedMemo;
use super::{GraphError, GraphErrorKind, GraphErrors, Ix, RevisionInfo, RevisionMap, NONE};
use std::collections::{BTreeMap, HashMap};

/// Branch labels as persistent sets: a node adds its own labels to one
/// earlier set, or unites several; enumeration walks the nodes. This keeps
/// building linear however many labels a long branch carries (a flat list
/// per revision would be quadratic).
#[derive(Debug, Clone, Default)]
pub(super) struct LabelSets {
    /// Every declared label; ids index this.
    names: Vec<String>,
    nodes: Vec<LabelSetNode>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct LabelSetNode {
    own: Vec<u32>,
    parents: Vec<u32>,
    size: usize,
}

impl LabelSets {
    /// Label ids in the sets `roots` (deduplicated, unordered).
    fn collect(&self, roots: &[u32], out: &mut Vec<u32>) {
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<u32> = roots.iter().copied().filter(|&r| r != NONE).collect();
        while let Some(s) = stack.pop() {
            if !seen.insert(s) {
                continue;
            }
            let node = &self.nodes[s as usize];
            out.extend(node.own.iter().copied());
            stack.extend(node.parents.iter().copied());
        }
    }
}

impl RevisionMap {
    /// Builds and validates the whole graph; every problem at once (bad or
    /// duplicate id, duplicate branch label, `Revises`/`Depends On` naming a
    /// missing id or label, a cycle incl. dependency cycles), each naming
    /// `path:line`.
    pub fn new(revs: Vec<RevisionInfo>) -> Result<RevisionMap, GraphErrors> {
        let n = revs.len();
        let mut errors = Vec::new();
        // Ids sorted (a duplicate follows the file that has it first), so
        // duplicates sit side by side and the key map is built in bulk. Each
        // id's first eight bytes, as a number, order most pairs without a
        // string comparison.
        let mut order: Vec<(u64, Ix)> = revs
            .iter()
            .map(|r| prefix_key(r.id.as_bytes()))
            .zip(0..)
            .collect();
        order.sort_unstable_by(|&(ka, a), &(kb, b)| {
            ka.cmp(&kb)
                .then_with(|| revs[a].id.cmp(&revs[b].id))
                .then(a.cmp(&b))
        });
        let mut found: Vec<(Ix, GraphError)> = Vec::new();
        for (i, r) in revs.iter().enumerate() {
            let bad = r.id.is_empty()
                || r.id
                    .chars()
                    .any(|c| matches!(c, '@' | '-' | '+' | ':') || c.is_whitespace());
            if bad {
                found.push((
                    i,
                    err_at(
                        r,
                        r.lines.revision,
                        GraphErrorKind::BadId { id: r.id.clone() },
                    ),
                ));
            }
        }
        let mut unique: Vec<(String, Ix)> = Vec::with_capacity(n);
        let mut duplicate = vec![false; n];
        for &(_, i) in &order {
            match unique.last() {
                Some((id, first)) if *id == revs[i].id => {
                    let r = &revs[i];
                    duplicate[i] = true;
                    found.push((
                        i,
                        err_at(
                            r,
                            r.lines.revision,
                            GraphErrorKind::DuplicateId {
                                id: r.id.clone(),
                                first_path: revs[*first].path.clone(),
                            },
                        ),
                    ));
                }
                _ => unique.push((revs[i].id.clone(), i)),
            }
        }
        // In file order, as the files were read (a bad id before its duplicate).
        found.sort_by_key(|(i, _)| *i);
        errors.extend(found.into_iter().map(|(_, e)| e));
        let mut keys: BTreeMap<String, Ix> = unique.into_iter().collect();
        // Branch labels share the key space with ids.
        for (i, r) in revs.iter().enumerate() {
            for l in &r.branch_labels {
                if let Some(&other) = keys.get(l) {
                    errors.push(err_at(
                        r,
                        r.lines.branch_labels,
                        GraphErrorKind::DuplicateLabel {
                            label: l.clone(),
                            other: revs[other].id.clone(),
                        },
                    ));
                } else {
                    keys.insert(l.clone(), i);
                }
            }
        }
        // Ids to revisions, hashed: one lookup per `Revises` entry.
        let mut ids: HashMap<&str, Ix, IdHash> = HashMap::with_capacity_and_hasher(n, IdHash);
        ids.extend(
            (0..n)
                .filter(|&i| !duplicate[i])
                .map(|i| (revs[i].id.as_str(), i)),
        );
        let id_of = |s: &str| -> Option<Ix> { ids.get(s).copied() };
        let mut down = Adj::with_capacity(n, n);
        let mut deps = Adj::with_capacity(n, 0);
        for (i, r) in revs.iter().enumerate() {
            if duplicate[i] {
                // A duplicate: already reported.
                down.end_row();
                deps.end_row();
                continue;
            }
            for d in &r.down_revisions {
                if *d == r.id {
                    errors.push(err_at(
                        r,
                        r.lines.revises,
                        GraphErrorKind::SelfLoop { dependency: false },
                    ));
                } else if let Some(j) = id_of(d) {
                    down.push_unique(j);
                } else {
                    errors.push(err_at(
                        r,
                        r.lines.revises,
                        GraphErrorKind::MissingRevises { target: d.clone() },
                    ));
                }
            }
            for d in &r.depends_on {
                let target = if let Some(&j) = keys.get(d) {
                    Some(j)
                } else {
                    let cands: Vec<&String> = keys
                        .range(d.clone()..)
                        .take_while(|(k, _)| k.starts_with(d.as_str()))
                        .map(|(k, _)| k)
                        .collect();
                    match cands.len() {
                        1 => keys.get(cands[0]).copied(),
                        0 => {
                            errors.push(err_at(
                                r,
                                r.lines.depends_on,
                                GraphErrorKind::MissingDependsOn { target: d.clone() },
                            ));
                            None
                        }
                        _ => {
                            errors.push(err_at(
                                r,
                                r.lines.depends_on,
                                GraphErrorKind::AmbiguousDependsOn {
                                    target: d.clone(),
                                    candidates: cands.into_iter().cloned().collect(),
                                },
                            ));
                            None
                        }
                    }
                };
                if let Some(j) = target {
                    if j == i {
                        errors.push(err_at(
                            r,
                            r.lines.depends_on,
                            GraphErrorKind::SelfLoop { dependency: true },
                        ));
                    } else {
                        deps.push_unique(j);
                    }
                }
            }
            down.end_row();
            deps.end_row();
        }
        // Cycles: peel nodes without parents / children; what is left is on
        // or between cycles.
        let versioned_cycle = cycle_members(n, &down);
        if !versioned_cycle.is_empty() {
            let mut members: Vec<String> = versioned_cycle
                .iter()
                .map(|&i| revs[i].id.clone())
                .collect();
            members.sort();
            for &i in &versioned_cycle {
                errors.push(err_at(
                    &revs[i],
                    revs[i].lines.revises,
                    GraphErrorKind::Cycle {
                        dependency: false,
                        members: members.clone(),
                    },
                ));
            }
        } else if deps.has_edges() {
            let dep_cycle = cycle_members(n, &Adj::union(&down, &deps));
            if !dep_cycle.is_empty() {
                let mut members: Vec<String> =
                    dep_cycle.iter().map(|&i| revs[i].id.clone()).collect();
                members.sort();
                for &i in &dep_cycle {
                    errors.push(err_at(
                        &revs[i],
                        revs[i].lines.depends_on,
                        GraphErrorKind::Cycle {
                            dependency: true,
                            members: members.clone(),
                        },
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(GraphErrors(errors));
        }
        Ok(Self::build(revs, keys, down, deps))
    }

    pub(super) fn build(
        revs: Vec<RevisionInfo>,
        keys: BTreeMap<String, Ix>,
        down: Adj,
        deps: Adj,
    ) -> RevisionMap {
        let n = revs.len();
        let next = down.reversed();
        // Parents: `Revises` first, then dependencies not among them; in
        // reverse, the children including dependents.
        let all_down = Adj::union(&down, &deps);
        let all_next = all_down.reversed();
        let mut map = RevisionMap {
            revs,
            keys,
            norm_deps: Adj::empty(n),
            norm_down: Adj::empty(n),
            down,
            deps,
            next,
            all_next,
            label_sets: LabelSets::default(),
            up_labels: vec![NONE; n],
            seg: vec![NONE; n],
            seg_extra: HashMap::new(),
            level: vec![0; n],
            vlevel: vec![0; n],
            applied: AppliedMemo::default(),
            heads: Vec::new(),
            real_heads: Vec::new(),
            bases: Vec::new(),
            topo: Vec::new(),
            topo_pos: vec![0; n],
        };
        map.heads = (0..n).filter(|&i| map.next[i].is_empty()).collect();
        map.real_heads = (0..n).filter(|&i| map.all_next[i].is_empty()).collect();
        map.bases = (0..n).filter(|&i| map.down[i].is_empty()).collect();
        // A topological order over all edges is one for the normalized
        // edges too (they are a subset).
        map.topo = topo_order(&all_down, &map.all_next);
        for (p, &i) in map.topo.iter().enumerate() {
            map.topo_pos[i] = p;
        }
        for k in 0..n {
            let i = map.topo[k];
            map.vlevel[i] = map.down[i]
                .iter()
                .map(|&d| map.vlevel[d] + 1)
                .max()
                .unwrap_or(0);
        }
        map.normalize_depends_on();
        for k in 0..n {
            let i = map.topo[k];
            map.level[i] = map.norm_down[i]
                .iter()
                .map(|&d| map.level[d] + 1)
                .max()
                .unwrap_or(0);
        }
        map.add_branches();
        map
    }

    /// Alembic's `_normalize_depends_on`: drop a dependency that a versioned
    /// ancestor also depends on. Only the other dependents of the same
    /// target can imply it, so there is one walk per target with several
    /// dependents, up `Revises` edges from all of them at once, no higher
    /// than the highest of them.
    pub(super) fn normalize_depends_on(&mut self) {
        let n = self.revs.len();
        if !self.deps.has_edges() {
            self.norm_deps = Adj::empty(n);
            self.norm_down = self.down.clone();
            return;
        }
        let dependents = self.deps.reversed();
        let mut mark = vec![usize::MAX; n];
        let mut implied: std::collections::HashSet<(Ix, Ix)> = Default::default();
        for d in 0..n {
            let members = &dependents[d];
            if members.len() < 2 {
                continue;
            }
            let top = members.iter().map(|&m| self.vlevel[m]).max().unwrap_or(0);
            let low = members.iter().map(|&m| self.vlevel[m]).min().unwrap_or(0);
            if top == low {
                continue; // none can be above another
            }
            let mut stack: Vec<Ix> = Vec::new();
            for &m in members {
                stack.extend(self.next[m].iter().copied());
            }
            while let Some(x) = stack.pop() {
                if mark[x] == d || self.vlevel[x] > top {
                    continue;
                }
                mark[x] = d;
                stack.extend(self.next[x].iter().copied());
            }
            for &m in members {
                if mark[m] == d {
                    implied.insert((m, d));
                }
            }
        }
        let norm_deps = Adj::from_rows(n, |i, row| {
            row.extend(self.deps[i].iter().filter(|&&d| !implied.contains(&(i, d))));
        });
        self.norm_down = Adj::union(&self.down, &norm_deps);
        self.norm_deps = norm_deps;
    }

    /// Alembic's `_add_branches`: a label goes to every versioned descendant
    /// of its revision, and then down from the last node of that walk until
    /// a branch point or merge point. The walk is depth-first, first child
    /// last, so its last node is found by following first children to a
    /// head; the run down from there is the unbranched segment that node
    /// belongs to, which gets the label as a whole (the part above the
    /// labelled revision has it already). Linear in revisions and labels.
    pub(super) fn add_branches(&mut self) {
        let n = self.revs.len();
        let is_stop = |m: &RevisionMap, p: Ix| m.all_next[p].len() > 1 || m.down[p].len() > 1;
        let mut sets = LabelSets::default();
        let mut label_id: HashMap<&str, u32> = HashMap::new();
        for r in &self.revs {
            for l in &r.branch_labels {
                if !label_id.contains_key(l.as_str()) {
                    label_id.insert(l.as_str(), sets.names.len() as u32);
                    sets.names.push(l.clone());
                }
            }
        }
        // Persistent up-sets, parents first.
        let mut up = vec![NONE; n];
        let mut scratch = Vec::new();
        let mut parents: Vec<u32> = Vec::new();
        for k in 0..n {
            let i = self.topo[k];
            parents.clear();
            parents.extend(self.down[i].iter().map(|&d| up[d]).filter(|&s| s != NONE));
            parents.sort_unstable();
            parents.dedup();
            let base = match parents.len() {
                0 => NONE,
                1 => parents[0],
                _ => {
                    let parents = parents.clone();
                    scratch.clear();
                    sets.collect(&parents, &mut scratch);
                    let size = scratch.len();
                    match parents
                        .iter()
                        .copied()
                        .find(|&p| sets.nodes[p as usize].size == size)
                    {
                        Some(p) => p, // the union is that parent's set
                        None => {
                            sets.nodes.push(LabelSetNode {
                                own: Vec::new(),
                                parents,
                                size,
                            });
                            (sets.nodes.len() - 1) as u32
                        }
                    }
                }
            };
            up[i] = if self.revs[i].branch_labels.is_empty() {
                base
            } else {
                let own: Vec<u32> = self.revs[i]
                    .branch_labels
                    .iter()
                    .filter_map(|l| label_id.get(l.as_str()).copied())
                    .collect();
                let size = own.len()
                    + if base == NONE {
                        0
                    } else {
                        sets.nodes[base as usize].size
                    };
                sets.nodes.push(LabelSetNode {
                    own,
                    parents: if base == NONE { Vec::new() } else { vec![base] },
                    size,
                });
                (sets.nodes.len() - 1) as u32
            };
        }
        // Unbranched segments: the lowest revision of each.
        let mut seg = vec![NONE; n];
        for k in 0..n {
            let i = self.topo[k];
            if is_stop(self, i) {
                continue;
            }
            seg[i] = match self.down[i].first() {
                Some(&p) if !is_stop(self, p) => seg[p],
                _ => i as u32,
            };
        }
        // Where each label's descendant walk ends.
        let mut last = vec![0; n];
        for k in (0..n).rev() {
            let i = self.topo[k];
            last[i] = match self.next[i].first() {
                Some(&c) => last[c],
                None => i,
            };
        }
        let mut extra: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, &l) in last.iter().enumerate() {
            if self.revs[i].branch_labels.is_empty() {
                continue;
            }
            if seg[l] == NONE {
                continue;
            }
            let ids = self.revs[i]
                .branch_labels
                .iter()
                .filter_map(|l| label_id.get(l.as_str()).copied());
            extra.entry(seg[l]).or_default().extend(ids);
        }
        self.label_sets = sets;
        self.up_labels = up;
        self.seg = seg;
        self.seg_extra = extra;
    }

    /// A revision's branch labels after propagation, sorted.
    pub(super) fn labels(&self, i: Ix) -> Vec<String> {
        let extra = match self.seg[i] {
            NONE => None,
            s => self.seg_extra.get(&s),
        };
        if self.up_labels[i] == NONE && extra.is_none() {
            return Vec::new();
        }
        let mut ids = Vec::new();
        self.label_sets.collect(&[self.up_labels[i]], &mut ids);
        if let Some(e) = extra {
            ids.extend(e.iter().copied());
        }
        let mut out: Vec<String> = ids
            .into_iter()
            .map(|l| self.label_sets.names[l as usize].clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub(super) fn has_label(&self, i: Ix, label: &str) -> bool {
        self.labels(i).iter().any(|l| l == label)
    }
}

pub(super) fn err_at(r: &RevisionInfo, line: usize, kind: GraphErrorKind) -> GraphError {
    GraphError {
        path: r.path.clone(),
        line,
        revision: r.id.clone(),
        kind,
    }
}

/// Revisions on (or between) cycles of `edges` (child → parents).
pub(super) fn cycle_members(n: usize, parents: &Adj) -> Vec<Ix> {
    let children = parents.reversed();
    let mut indeg: Vec<usize> = (0..n).map(|i| parents[i].len()).collect(); // number of parents
    let mut outdeg: Vec<usize> = (0..n).map(|i| children[i].len()).collect(); // number of children
    let mut removed = vec![false; n];
    let mut stack: Vec<Ix> = (0..n).filter(|&i| indeg[i] == 0).collect();
    while let Some(x) = stack.pop() {
        if removed[x] {
            continue;
        }
        removed[x] = true;
        for &c in &children[x] {
            indeg[c] -= 1;
            if indeg[c] == 0 {
                stack.push(c);
            }
        }
    }
    let mut stack: Vec<Ix> = (0..n).filter(|&i| !removed[i] && outdeg[i] == 0).collect();
    let mut removed2 = removed.clone();
    while let Some(x) = stack.pop() {
        if removed2[x] {
            continue;
        }
        removed2[x] = true;
        for &p in &parents[x] {
            outdeg[p] -= 1;
            if outdeg[p] == 0 && !removed2[p] {
                stack.push(p);
            }
        }
    }
    (0..n).filter(|&i| !removed2[i]).collect()
}

/// A topological order (parents first) of an acyclic graph, given its
/// parent lists and their reverse.
pub(super) fn topo_order(parents: &Adj, children: &Adj) -> Vec<Ix> {
    let n = parents.rows();
    let mut indeg: Vec<usize> = (0..n).map(|i| parents[i].len()).collect();
    let mut out = Vec::with_capacity(n);
    let mut stack: Vec<Ix> = (0..n).rev().filter(|&i| indeg[i] == 0).collect();
    while let Some(x) = stack.pop() {
        out.push(x);
        for &c in &children[x] {
            indeg[c] -= 1;
            if indeg[c] == 0 {
                stack.push(c);
            }
        }
    }
    out
}
