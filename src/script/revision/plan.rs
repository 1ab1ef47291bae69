//! Plans: the upgrade, downgrade and stamp steps from the current rows to a
//! target, the revisions `history` lists, and Alembic's topological order
//! for all of them (newest first, one lane at a time), in near-linear time.
//! Pure; targets are resolved by `resolve`.

use super::adj::Adj;
use super::resolve::Pos;
use super::target::parse_relative;
use super::target::{RevRange, Spec};
use super::{Direction, Ix, MigrationStep, RevisionError, RevisionInfo, RevisionMap, StampStep};

/// "Does `h` lead down to `c`" for the topological sort, remembering the
/// answers for the current `c` (reachability does not change while the
/// sort waits on one candidate, which it may ask about many times).
struct Reach {
    yes: Vec<usize>,
    no: Vec<usize>,
    seen: Vec<usize>,
    from: Vec<usize>,
    search: usize,
}

impl Reach {
    fn new(n: usize) -> Self {
        Reach {
            yes: vec![usize::MAX; n],
            no: vec![usize::MAX; n],
            seen: vec![usize::MAX; n],
            from: vec![usize::MAX; n],
            search: 0,
        }
    }

    fn test(&mut self, map: &RevisionMap, down: &Adj, h: Ix, c: Ix) -> bool {
        if self.yes[h] == c {
            return true;
        }
        if self.no[h] == c {
            return false;
        }
        self.search += 1;
        let sid = self.search;
        let floor = map.level[c];
        let mut visited = Vec::new();
        let mut stack = vec![h];
        self.from[h] = usize::MAX;
        while let Some(x) = stack.pop() {
            if x == c || self.yes[x] == c {
                let mut p = x;
                while p != usize::MAX {
                    self.yes[p] = c;
                    p = if p == h { usize::MAX } else { self.from[p] };
                }
                return true;
            }
            if self.no[x] == c || self.seen[x] == sid || map.level[x] <= floor {
                continue;
            }
            self.seen[x] = sid;
            visited.push(x);
            for &y in &down[x] {
                if self.seen[y] != sid {
                    self.from[y] = x;
                    stack.push(y);
                }
            }
        }
        for x in visited {
            self.no[x] = c;
        }
        false
    }
}

impl RevisionMap {
    /// Alembic's `_collect_upgrade_revisions`: (revisions needed, targets).
    pub(super) fn collect_upgrade(
        &self,
        upper: Spec<'_>,
        lower: Spec<'_>,
        inclusive: bool,
        implicit_base: bool,
        assert_relative_length: bool,
    ) -> Result<(Vec<bool>, Vec<Ix>), RevisionError> {
        let n = self.revs.len();
        let parsed = self.parse_upgrade_target(lower, upper, assert_relative_length)?;
        let mut targets: Vec<Ix> = Vec::new();
        for p in parsed {
            match p {
                Pos::Rev(i) => targets.push(i),
                Pos::Base => {}
                Pos::Nothing => {
                    let s = upper.display();
                    let rel = parse_relative(&s);
                    return Err(match rel {
                        Some(r) => RevisionError::RelativeTooFar {
                            relative: r.text.clone(),
                            count: r.count(),
                        },
                        None => RevisionError::WalkedTooFar,
                    });
                }
            }
        }
        if let Spec::Str(l) = lower {
            if let Some((branch, _)) = l.split_once('@') {
                let mut branch = branch.to_string();
                if let Some(br) = self.get_revision(Some(&branch))? {
                    let labels = self.labels(br);
                    if self.revs[br].id == branch && labels.len() == 1 {
                        branch = labels[0].clone();
                    }
                }
                targets.retain(|&t| self.has_label(t, &branch));
            }
        }
        let required = self.closure_checked(&targets, false, true)?;
        let mut current_raw = self.get_revisions(lower)?;
        if !implicit_base
            && current_raw.iter().any(|p| match p {
                Pos::Rev(i) => !required[*i],
                Pos::Base => true,
                Pos::Nothing => false,
            })
        {
            return Err(RevisionError::RangeNotAncestor {
                start: lower.display(),
                end: upper.display(),
            });
        }
        let mut lower_owned: Option<String> = match lower {
            Spec::Str(s) => Some(s.to_string()),
            Spec::Tuple(_) => None,
        };
        let mut lower_is_tuple = matches!(lower, Spec::Tuple(_));
        if current_raw.first() == Some(&Pos::Nothing) {
            let (_, r) =
                self.parse_downgrade_target(upper, lower_owned.as_deref(), assert_relative_length)?;
            match r {
                Pos::Base | Pos::Nothing => {
                    current_raw = Vec::new();
                    lower_owned = None;
                    lower_is_tuple = false;
                }
                Pos::Rev(i) => {
                    current_raw = vec![Pos::Rev(i)];
                    lower_owned = Some(self.id(i).to_string());
                    lower_is_tuple = false;
                }
            }
        }
        let mut current: Vec<Ix> = Vec::new();
        for p in &current_raw {
            match p {
                Pos::Rev(i) => current.push(*i),
                _ => {
                    return Err(RevisionError::RangeNotAncestor {
                        start: lower.display(),
                        end: upper.display(),
                    })
                }
            }
        }
        let current_set = self.closure_checked(&current, false, true)?;
        let mut needs: Vec<bool> = (0..n).map(|i| required[i] && !current_set[i]).collect();
        if inclusive {
            let extra = if lower_is_tuple {
                current.clone()
            } else {
                match &lower_owned {
                    Some(l) => self
                        .get_revisions_str(Some(l))?
                        .into_iter()
                        .filter_map(|p| if let Pos::Rev(i) = p { Some(i) } else { None })
                        .collect(),
                    None => Vec::new(),
                }
            };
            for i in extra {
                needs[i] = true;
            }
        }
        if !current.is_empty() && !implicit_base {
            let desc = self.closure_checked(&current, true, false)?;
            for i in 0..n {
                needs[i] = needs[i] && desc[i];
            }
        }
        Ok((needs, targets))
    }

    /// Alembic's `_collect_downgrade_revisions`: (revisions to revert, heads).
    pub(super) fn collect_downgrade(
        &self,
        upper: Spec<'_>,
        lower: Option<&str>,
        inclusive: bool,
        assert_relative_length: bool,
    ) -> Result<(Vec<bool>, Vec<Ix>, bool), RevisionError> {
        let n = self.revs.len();
        let (label, target) = self.parse_downgrade_target(upper, lower, assert_relative_length)?;
        let target = match target {
            Pos::Rev(i) => Some(i),
            _ => None,
        };
        let mut roots: Vec<Ix> = match target {
            None => self.bases.clone(),
            Some(t) if inclusive => vec![t],
            Some(t) => self.next[t].to_vec(),
        };
        if let Some(l) = &label {
            if roots.len() > 1 {
                let b = self.resolve_branch(l)?;
                let anc = self.ancestors(&[b], false);
                roots.retain(|&r| anc[r]);
                if roots.is_empty() {
                    return Err(RevisionError::NotValidDowngradeTarget);
                }
            }
        }
        let heads: Vec<Ix> = self
            .get_revisions(upper)?
            .into_iter()
            .filter_map(|p| if let Pos::Rev(i) = p { Some(i) } else { None })
            .collect();
        let down = self.descendants(&roots, true);
        let active = self.ancestors(&heads, true);
        let todo: Vec<bool> = (0..n).map(|i| down[i] && active[i]).collect();
        let nothing = target.is_some_and(|t| !todo.iter().any(|&x| x) && !heads.contains(&t));
        Ok((todo, heads, nothing))
    }

    /// Alembic's `_topological_sort`, in near-linear time: newest first; a
    /// lane walks down until its revision is still needed by another lane,
    /// then the first such lane goes on.
    pub(super) fn topo_sort(&self, todo: &[bool], heads: &[Ix]) -> Vec<Ix> {
        let n = self.revs.len();
        let mut in_todo = todo.to_vec();
        let total = in_todo.iter().filter(|&&x| x).count();
        if total == 0 {
            return Vec::new();
        }
        // Projected edges between todo revisions (through non-todo ones).
        // reach[m]: a non-todo revision that leads down into todo.
        let mut reach = vec![false; n];
        for &m in &self.topo {
            if !in_todo[m] {
                reach[m] = self.norm_down[m].iter().any(|&c| in_todo[c] || reach[c]);
            }
        }
        let mut mark = vec![usize::MAX; n];
        let mut stack: Vec<Ix> = Vec::new();
        let down_p = Adj::from_rows(n, |y, row| {
            if !in_todo[y] {
                return;
            }
            stack.clear();
            stack.extend_from_slice(&self.norm_down[y]);
            while let Some(c) = stack.pop() {
                if mark[c] == y {
                    continue;
                }
                mark[c] = y;
                if in_todo[c] {
                    row.push(c);
                } else if reach[c] {
                    stack.extend(self.norm_down[c].iter().copied());
                }
            }
        });
        let mut pending: Vec<usize> = vec![0; n];
        for &c in &down_p.items {
            pending[c] += 1;
        }
        // Lanes: (seq, head); kept ordered by seq.
        let mut lane_heads: Vec<Ix> = Vec::new();
        let mut lane_seq: Vec<usize> = Vec::new();
        let mut lane_of: Vec<Option<usize>> = vec![None; n]; // head -> seq
        let mut next_seq = 0usize;
        {
            let mut hs: Vec<Ix> = heads.iter().copied().filter(|&h| in_todo[h]).collect();
            hs.sort_unstable();
            hs.dedup();
            for h in hs {
                lane_heads.push(h);
                lane_seq.push(next_seq);
                lane_of[h] = Some(next_seq);
                next_seq += 1;
            }
        }
        let mut out = Vec::with_capacity(total);
        let mut idx = 0usize;
        let mut emitted = vec![false; n];
        let mut reach = Reach::new(n);
        let mut to_add: Vec<Ix> = Vec::new();
        while !lane_heads.is_empty() {
            if idx >= lane_heads.len() {
                idx = 0;
            }
            let cand = lane_heads[idx];
            if pending[cand] > 0 {
                // Another lane's head descends from cand: go to the first
                // such lane (Alembic scans the heads in order).
                let found = (0..lane_heads.len())
                    .filter(|&j| j != idx)
                    .find(|&j| reach.test(self, &down_p, lane_heads[j], cand));
                if let Some(j) = found {
                    idx = j;
                    continue;
                }
                // Cannot happen in a consistent walk; emit to make progress.
            }
            if in_todo[cand] && !emitted[cand] {
                out.push(cand);
                emitted[cand] = true;
                in_todo[cand] = false;
                for &c in &down_p[cand] {
                    pending[c] = pending[c].saturating_sub(1);
                }
            }
            to_add.clear();
            to_add.extend(
                self.norm_down[cand]
                    .iter()
                    .copied()
                    .filter(|&r| in_todo[r] && lane_of[r].is_none()),
            );
            lane_of[cand] = None;
            if to_add.is_empty() {
                lane_heads.remove(idx);
                lane_seq.remove(idx);
                idx = idx.saturating_sub(1);
            } else {
                lane_heads[idx] = to_add[0];
                lane_of[to_add[0]] = Some(lane_seq[idx]);
                for &r in &to_add[1..] {
                    lane_heads.push(r);
                    lane_seq.push(next_seq);
                    lane_of[r] = Some(next_seq);
                    next_seq += 1;
                }
            }
        }
        if out.len() < total {
            // Revisions no lane reached (Alembic asserts here): newest first.
            for &i in self.topo.iter().rev() {
                if in_todo[i] && !emitted[i] {
                    out.push(i);
                }
            }
        }
        out
    }

    // --------------------------------------------------------------- plans

    pub(super) fn step(&self, i: Ix, direction: Direction) -> MigrationStep {
        let r = &self.revs[i];
        let versioned = self.ids(&self.down[i]);
        let (from, to) = match direction {
            Direction::Up => (versioned, vec![r.id.clone()]),
            Direction::Down => (vec![r.id.clone()], versioned),
        };
        MigrationStep {
            revision: r.id.clone(),
            direction,
            doc: r.doc.clone(),
            from_revisions: from,
            to_revisions: to,
        }
    }

    /// The upgrade steps, in run order, from the current version-table rows
    /// to `target` (any form of the grammar).
    pub fn upgrade_plan(
        &self,
        current: &[String],
        target: &str,
    ) -> Result<Vec<MigrationStep>, RevisionError> {
        let wrap = |e: RevisionError| match e {
            RevisionError::RangeNotAncestor { .. } => RevisionError::InvalidUpgradeTarget {
                destination: target.to_string(),
            },
            RevisionError::MultipleHeads { heads, .. } => RevisionError::MultipleHeads {
                heads,
                argument: target.to_string(),
            },
            other => other,
        };
        let (needs, targets) = self
            .collect_upgrade(Spec::Str(target), Spec::Tuple(current), false, true, true)
            .map_err(wrap)?;
        let order = self.topo_sort(&needs, &targets);
        Ok(order
            .into_iter()
            .rev()
            .map(|i| self.step(i, Direction::Up))
            .collect())
    }

    /// The downgrade steps, in run order, from the current rows down to `target`.
    pub fn downgrade_plan(
        &self,
        current: &[String],
        target: &str,
    ) -> Result<Vec<MigrationStep>, RevisionError> {
        let wrap = |e: RevisionError| match e {
            RevisionError::RangeNotAncestor { .. } => RevisionError::InvalidDowngradeTarget {
                destination: target.to_string(),
            },
            RevisionError::MultipleHeads { heads, .. } => RevisionError::MultipleHeads {
                heads,
                argument: target.to_string(),
            },
            other => other,
        };
        let (todo, heads, nothing) = self
            .collect_downgrade(Spec::Tuple(current), Some(target), false, true)
            .map_err(wrap)?;
        if nothing {
            return Err(RevisionError::InvalidDowngradeTarget {
                destination: target.to_string(),
            });
        }
        let order = self.topo_sort(&todo, &heads);
        Ok(order
            .into_iter()
            .map(|i| self.step(i, Direction::Down))
            .collect())
    }

    /// The stamp steps that move the rows `current` to `targets` (ids,
    /// `heads`, `head`, `base`, …). With `purge` the table is emptied first,
    /// so the plan starts from no rows.
    pub fn stamp_plan(
        &self,
        current: &[String],
        targets: &[String],
        purge: bool,
    ) -> Result<Vec<StampStep>, RevisionError> {
        let wrap = |e: RevisionError| match e {
            RevisionError::MultipleHeads { heads, .. } => {
                RevisionError::MultipleHeadsStamp { heads }
            }
            other => other,
        };
        let empty: Vec<String> = Vec::new();
        let current = if purge { &empty[..] } else { current };
        self.stamp_inner(current, targets).map_err(wrap)
    }

    pub(super) fn stamp_inner(
        &self,
        current: &[String],
        targets: &[String],
    ) -> Result<Vec<StampStep>, RevisionError> {
        let heads_revs: Vec<Ix> = self
            .get_revisions(Spec::Tuple(current))?
            .into_iter()
            .filter_map(|p| if let Pos::Rev(i) = p { Some(i) } else { None })
            .collect();
        let base = vec!["base".to_string()];
        let targets: &[String] = if targets.is_empty() { &base } else { targets };
        let mut filtered: Vec<Ix> = Vec::new();
        for t in targets {
            if t.is_empty() {
                continue;
            }
            for h in self.filter_for_lineage(&heads_revs, t, true)? {
                if !filtered.contains(&h) {
                    filtered.push(h);
                }
            }
        }
        let mut dests: Vec<Option<Ix>> = Vec::new();
        for p in self.get_revisions(Spec::Tuple(targets))? {
            match p {
                Pos::Rev(i) => dests.push(Some(i)),
                Pos::Base | Pos::Nothing => {}
            }
        }
        if dests.is_empty() {
            dests.push(None);
        }
        let mut steps = Vec::new();
        for dest in dests {
            let Some(d) = dest else {
                for &h in &filtered {
                    steps.push(StampStep {
                        from: vec![self.id(h).to_string()],
                        to: Vec::new(),
                        is_upgrade: false,
                        branch_move: true,
                    });
                }
                continue;
            };
            if filtered.contains(&d) {
                continue;
            }
            let desc = self.descendants(&[d], true);
            let anc = self.ancestors(&[d], true);
            let from = self.ids(&filtered);
            if filtered.iter().any(|&h| desc[h]) {
                steps.push(StampStep {
                    from,
                    to: vec![self.id(d).to_string()],
                    is_upgrade: false,
                    branch_move: false,
                });
            } else if filtered.iter().any(|&h| anc[h]) {
                steps.push(StampStep {
                    from,
                    to: vec![self.id(d).to_string()],
                    is_upgrade: true,
                    branch_move: false,
                });
            } else {
                steps.push(StampStep {
                    from: Vec::new(),
                    to: vec![self.id(d).to_string()],
                    is_upgrade: true,
                    branch_move: true,
                });
            }
        }
        Ok(steps)
    }

    /// Revisions `history` lists, newest first, in Alembic's order.
    /// `range` is `-r START:END` (either end may be empty, an id, `base`,
    /// `head(s)`, `label@…`, relative, or `current`); `current` gives the
    /// rows. Reads the range with [`RevRange::parse`], then as
    /// [`history_of`](Self::history_of).
    pub fn history(
        &self,
        range: Option<&str>,
        current: &[String],
    ) -> Result<Vec<&RevisionInfo>, RevisionError> {
        let range = range.map(RevRange::parse).transpose()?;
        self.history_of(range, current)
    }

    /// [`history`](Self::history) of a range already read: without one,
    /// everything from `base` to `heads`. With `current` at either end the
    /// ends are Alembic's (see [`RevRange`]): with no rows, `current` means
    /// `base` at the start and `heads` at the end, and a message names the
    /// rows as the Python tuple Alembic prints.
    pub fn history_of(
        &self,
        range: Option<RevRange<'_>>,
        current: &[String],
    ) -> Result<Vec<&RevisionInfo>, RevisionError> {
        let (lower, upper) = match range {
            Some(r) => r.ends(current),
            None => (Spec::Str("base"), Spec::Str("heads")),
        };
        let end_name = upper.display();
        let wrap = |e: RevisionError| match e {
            RevisionError::MultipleHeads { heads, .. } => RevisionError::MultipleHeads {
                heads,
                argument: end_name.clone(),
            },
            other => other,
        };
        let (needs, targets) = self
            .collect_upgrade(upper, lower, true, false, false)
            .map_err(wrap)?;
        Ok(self
            .topo_sort(&needs, &targets)
            .into_iter()
            .map(|i| &self.revs[i])
            .collect())
    }
}
