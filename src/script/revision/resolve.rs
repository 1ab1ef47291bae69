//! Resolving targets against the map: symbolic names (`head`, `heads`,
//! `base`), ids and unique prefixes, branch labels, `label@…`, relative
//! walks (`+N`, `-N`, `REV±N`), and the parents and dependencies of a new
//! revision. Alembic's `_resolve_revision_number`, `get_revisions`,
//! `_walk` and `_parse_*_target`, with their errors. Pure; the text of a
//! target is read by `target`.

use super::target::{parse_relative, python_int, Spec, Target};
use super::{Ix, RevisionError, RevisionInfo, RevisionMap};

/// A position of a relative walk: a revision, `base` (walked below the
/// roots) or nothing (Python's `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pos {
    Nothing,
    Base,
    Rev(Ix),
}

/// An identifier after symbolic resolution: a known revision or raw text.
#[derive(Debug, Clone)]
pub(super) enum Ident {
    Rev(Ix),
    Raw(String),
}

pub(super) fn dedupe(v: &mut Vec<Ix>) {
    if v.len() <= 16 {
        let mut i = 0;
        while i < v.len() {
            if v[..i].contains(&v[i]) {
                v.remove(i);
            } else {
                i += 1;
            }
        }
    } else {
        let mut seen = std::collections::HashSet::new();
        v.retain(|x| seen.insert(*x));
    }
}

impl RevisionMap {
    // ----------------------------------------------------------- resolution

    pub(super) fn unknown(&self, ident: &str) -> RevisionError {
        RevisionError::Unknown {
            ident: ident.to_string(),
            suggestions: self.suggestions(ident),
        }
    }

    /// Near matches for an unknown identifier: ids/labels sharing a prefix of
    /// at least 4 characters or within a small edit distance.
    pub(super) fn suggestions(&self, ident: &str) -> Vec<String> {
        if ident.is_empty() || ident.len() > 64 {
            return Vec::new();
        }
        let mut scored: Vec<(usize, &String)> = Vec::new();
        let max_dist = (ident.chars().count() / 4).clamp(1, 3);
        // Prefix neighbours: keys sharing the longest common prefix.
        for k in self.keys.keys() {
            let common = k
                .chars()
                .zip(ident.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let d = crate::text::edit_distance(ident, k, max_dist);
            if let Some(d) = d {
                scored.push((d, k));
            } else if common >= 4 {
                scored.push((max_dist + 1 + (ident.len() - common), k));
            }
        }
        scored.sort();
        scored.into_iter().take(3).map(|(_, k)| k.clone()).collect()
    }

    /// Alembic's `_resolve_revision_number`: symbolic names to identifiers.
    pub(super) fn resolve_number(
        &self,
        id: Option<&str>,
    ) -> Result<(Vec<Ident>, Option<String>), RevisionError> {
        let (label, id) = match id {
            Some(s) => match s.split_once('@') {
                Some((l, rest)) => (Some(l.to_string()).filter(|l| !l.is_empty()), Some(rest)),
                None => (None, Some(s)),
            },
            None => (None, None),
        };
        match id {
            Some("heads") => {
                if let Some(l) = &label {
                    let h = self.filter_for_lineage(&self.heads, l, false)?;
                    Ok((h.into_iter().map(Ident::Rev).collect(), label))
                } else {
                    Ok((
                        self.real_heads.iter().map(|&i| Ident::Rev(i)).collect(),
                        label,
                    ))
                }
            }
            Some("head") => {
                let h = self.current_head(label.as_deref())?;
                Ok((h.into_iter().map(Ident::Rev).collect(), label))
            }
            Some("base") | None => Ok((Vec::new(), label)),
            Some(other) => Ok((vec![Ident::Raw(other.to_string())], label)),
        }
    }

    /// Alembic's `get_current_head`: the single versioned head (of a branch).
    pub(super) fn current_head(&self, label: Option<&str>) -> Result<Option<Ix>, RevisionError> {
        let heads = match label {
            Some(l) => self.filter_for_lineage(&self.heads, l, false)?,
            None => self.heads.clone(),
        };
        if heads.len() > 1 {
            return Err(RevisionError::MultipleHeads {
                heads: self.ids(&heads),
                argument: match label {
                    Some(l) => format!("{l}@head"),
                    None => "head".to_string(),
                },
            });
        }
        Ok(heads.first().copied())
    }

    /// Alembic's `filter_for_lineage`: targets sharing lineage with `check`.
    pub(super) fn filter_for_lineage(
        &self,
        targets: &[Ix],
        check: &str,
        deps: bool,
    ) -> Result<Vec<Ix>, RevisionError> {
        Ok(match self.lineage_mask(check, deps)? {
            Some(lin) => targets.iter().copied().filter(|&t| lin[t]).collect(),
            None => targets.to_vec(),
        })
    }

    /// The lineage `filter_for_lineage` keeps (None: everything).
    pub(super) fn lineage_mask(
        &self,
        check: &str,
        deps: bool,
    ) -> Result<Option<Vec<bool>>, RevisionError> {
        let (ids, label) = self.resolve_number(Some(check))?;
        let mut shares = Vec::new();
        if let Some(l) = &label {
            if !l.is_empty() {
                shares.push(self.resolve_branch(l)?);
            }
        }
        for id in ids {
            if let Some(r) = self.rev_for_ident(Some(id), None)? {
                shares.push(r);
            }
        }
        if shares.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.lineage(&shares, deps)))
    }

    /// Alembic's `_resolve_branch`: a label, or any id/prefix used as one.
    pub(super) fn resolve_branch(&self, label: &str) -> Result<Ix, RevisionError> {
        if let Some(&i) = self.keys.get(label) {
            return Ok(i);
        }
        match self.rev_for_ident(Some(Ident::Raw(label.to_string())), None) {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(self.unknown(label)),
            Err(RevisionError::AmbiguousPrefix { prefix, candidates }) => {
                Err(RevisionError::AmbiguousPrefix { prefix, candidates })
            }
            Err(_) => Err(self.unknown(label)),
        }
    }

    /// Alembic's `_revision_for_ident`: exact key, else unique prefix (keys
    /// longer than 3 characters), checked against a branch.
    pub(super) fn rev_for_ident(
        &self,
        ident: Option<Ident>,
        branch: Option<&str>,
    ) -> Result<Option<Ix>, RevisionError> {
        let branch_rev = match branch {
            Some(b) if !b.is_empty() => Some(self.resolve_branch(b)?),
            _ => None,
        };
        let rev = match ident {
            None => return Ok(None),
            Some(Ident::Rev(i)) => i,
            Some(Ident::Raw(s)) => {
                if let Some(&i) = self.keys.get(&s) {
                    i
                } else {
                    let mut cands: Vec<(&String, Ix)> = self
                        .keys
                        .range(s.clone()..)
                        .take_while(|(k, _)| k.starts_with(s.as_str()))
                        .filter(|(k, _)| k.len() > 3)
                        .map(|(k, &i)| (k, i))
                        .collect();
                    if let Some(b) = branch_rev {
                        let lin = self.lineage(&[b], false);
                        cands.retain(|(_, i)| lin[*i]);
                    }
                    match cands.len() {
                        0 => return Err(self.unknown(&s)),
                        1 => cands[0].1,
                        _ => {
                            return Err(RevisionError::AmbiguousPrefix {
                                prefix: s.clone(),
                                candidates: cands.iter().map(|(k, _)| (*k).clone()).collect(),
                            })
                        }
                    }
                }
            }
        };
        if let (Some(b), Some(label)) = (branch_rev, branch) {
            let lin = self.lineage(&[b], false);
            if !lin[rev] {
                return Err(RevisionError::NotMemberOfBranch {
                    revision: self.id(rev).to_string(),
                    branch: label.to_string(),
                });
            }
        }
        Ok(Some(rev))
    }

    /// Alembic's `get_revisions` for one identifier.
    pub(super) fn get_revisions_str(&self, id: Option<&str>) -> Result<Vec<Pos>, RevisionError> {
        let (resolved, label) = self.resolve_number(id)?;
        if resolved.len() == 1 {
            if let Ident::Raw(s) = &resolved[0] {
                if let Some(n) = python_int(s) {
                    if n < 0 {
                        // branch@-n: walk down from the (real) heads.
                        let mut heads = self.real_heads.clone();
                        if let Some(l) = &label {
                            heads.retain(|&h| self.has_label(h, l));
                        }
                        let mut out = Vec::new();
                        for h in heads {
                            out.push(self.walk(Pos::Rev(h), n, None, true)?);
                        }
                        return Ok(out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for r in resolved {
            out.push(match self.rev_for_ident(Some(r), label.as_deref())? {
                Some(i) => Pos::Rev(i),
                None => Pos::Nothing,
            });
        }
        Ok(out)
    }

    pub(super) fn get_revisions(&self, spec: Spec<'_>) -> Result<Vec<Pos>, RevisionError> {
        match spec {
            Spec::Str(s) => self.get_revisions_str(Some(s)),
            Spec::Tuple(t) => {
                let mut out = Vec::new();
                for s in t {
                    out.extend(self.get_revisions_str(Some(s))?);
                }
                Ok(out)
            }
        }
    }

    /// Alembic's `get_revision`: at most one revision.
    pub(super) fn get_revision(&self, id: Option<&str>) -> Result<Option<Ix>, RevisionError> {
        let (resolved, label) = self.resolve_number(id)?;
        if resolved.len() > 1 {
            let heads = resolved
                .iter()
                .map(|r| match r {
                    Ident::Rev(i) => self.id(*i).to_string(),
                    Ident::Raw(s) => s.clone(),
                })
                .collect();
            return Err(RevisionError::MultipleHeads {
                heads,
                argument: id.unwrap_or("").to_string(),
            });
        }
        self.rev_for_ident(resolved.into_iter().next(), label.as_deref())
    }

    /// Alembic's `_walk`: `steps` up (>0) or down (<0) one unambiguous edge at a time.
    pub(super) fn walk(
        &self,
        start: Pos,
        steps: i64,
        label: Option<&str>,
        no_overwalk: bool,
    ) -> Result<Pos, RevisionError> {
        let mut initial = start;
        let mut remaining = steps.unsigned_abs();
        // The branch's lineage, once for the whole walk.
        let lineage = match label {
            Some(l) if steps > 0 => self.lineage_mask(l, false)?,
            _ => None,
        };
        while remaining > 0 {
            remaining -= 1;
            let children: Vec<Pos> = if steps > 0 {
                let up: Vec<Ix> = match initial {
                    Pos::Nothing => self.bases.clone(),
                    Pos::Rev(i) => self.next[i].to_vec(),
                    Pos::Base => return Err(RevisionError::WalkedTooFar),
                };
                let up = match &lineage {
                    Some(lin) => up.into_iter().filter(|&u| lin[u]).collect(),
                    None => up,
                };
                up.into_iter().map(Pos::Rev).collect()
            } else {
                match initial {
                    Pos::Base => Vec::new(),
                    Pos::Nothing => {
                        let v: Vec<Pos> = self.heads.iter().map(|&i| Pos::Rev(i)).collect();
                        if v.is_empty() {
                            vec![Pos::Base]
                        } else {
                            v
                        }
                    }
                    Pos::Rev(i) => {
                        if self.down[i].is_empty() {
                            vec![Pos::Base]
                        } else {
                            self.down[i].iter().map(|&d| Pos::Rev(d)).collect()
                        }
                    }
                }
            };
            if children.is_empty() {
                return Ok(if no_overwalk { Pos::Nothing } else { initial });
            }
            if children.len() > 1 {
                return Err(RevisionError::AmbiguousWalk);
            }
            initial = children[0];
        }
        Ok(initial)
    }

    pub(super) fn pos_of(&self, p: Option<Ix>) -> Pos {
        match p {
            Some(i) => Pos::Rev(i),
            None => Pos::Nothing,
        }
    }

    /// Alembic's `_parse_downgrade_target`: (branch label, target).
    pub(super) fn parse_downgrade_target(
        &self,
        current: Spec<'_>,
        target: Option<&str>,
        assert_relative_length: bool,
    ) -> Result<(Option<String>, Pos), RevisionError> {
        let Some(target) = target else {
            return Ok((None, Pos::Nothing));
        };
        if let Some(rel) = parse_relative(target) {
            let label = rel.label.clone();
            if rel.value >= 0 {
                let Some(symbol) = &rel.symbol else {
                    return Err(RevisionError::RelativeTooFar {
                        relative: rel.text.clone(),
                        count: rel.count(),
                    });
                };
                let start = self.get_revision(Some(symbol))?;
                let r = self.walk(
                    self.pos_of(start),
                    rel.value,
                    label.as_deref(),
                    assert_relative_length,
                )?;
                if r == Pos::Nothing {
                    return Err(RevisionError::WalkedTooFar);
                }
                return Ok((label, r));
            }
            let relative_revision = rel.symbol.is_none();
            let mut branch_label = label.clone();
            let symbol: String = match &rel.symbol {
                Some(s) => s.clone(),
                None => {
                    let cur: Vec<String> = match current {
                        Spec::Str(s) => vec![s.to_string()],
                        Spec::Tuple(t) => t.to_vec(),
                    };
                    if let Some(l) = &label {
                        let cur_ix: Vec<Ix> = self
                            .get_revisions(Spec::Tuple(&cur))?
                            .into_iter()
                            .filter_map(|p| if let Pos::Rev(i) = p { Some(i) } else { None })
                            .collect();
                        let mut list = self.filter_for_lineage(&cur_ix, l, false)?;
                        if list.is_empty() {
                            let all = self.all_current_ix(&cur_ix);
                            list = self.filter_for_lineage(&all, l, false)?;
                        }
                        if list.len() != 1 {
                            return Err(RevisionError::NoCurrentOnBranch {
                                branch: l.clone(),
                                relative: rel.text.clone(),
                                current: cur,
                            });
                        }
                        self.id(list[0]).to_string()
                    } else {
                        if cur.is_empty() {
                            return Err(RevisionError::RelativeTooFar {
                                relative: rel.text.clone(),
                                count: rel.count(),
                            });
                        }
                        let mut distinct = cur.clone();
                        distinct.sort();
                        distinct.dedup();
                        if distinct.len() > 1 {
                            // `docs/spec.md` §4: an error where Alembic warns and picks the first row.
                            return Err(RevisionError::AmbiguousRelativeDowngrade {
                                relative: rel.text.clone(),
                                heads: cur,
                            });
                        }
                        branch_label = Some(cur[0].clone());
                        cur[0].clone()
                    }
                }
            };
            let start = match &branch_label {
                None => self.get_revision(Some(&symbol))?,
                Some(l) => self.get_revision(Some(&format!("{l}@{symbol}")))?,
            };
            let r = self.walk(self.pos_of(start), rel.value, None, assert_relative_length)?;
            if r == Pos::Nothing {
                return Err(if relative_revision {
                    RevisionError::RelativeTooFar {
                        relative: rel.int_text(),
                        count: rel.count(),
                    }
                } else {
                    RevisionError::WalkedTooFar
                });
            }
            return Ok((branch_label, r));
        }
        let (label, symbol) = match target.rfind('@') {
            Some(p) => (
                Some(target[..p].to_string()).filter(|s| !s.is_empty()),
                &target[p + 1..],
            ),
            None => (None, target),
        };
        let r = self.get_revision(Some(symbol))?;
        Ok((label, self.pos_of(r)))
    }

    /// Alembic's `_parse_upgrade_target`.
    pub(super) fn parse_upgrade_target(
        &self,
        current: Spec<'_>,
        target: Spec<'_>,
        assert_relative_length: bool,
    ) -> Result<Vec<Pos>, RevisionError> {
        let rel = match target {
            Spec::Str(s) => parse_relative(s),
            Spec::Tuple(_) => None,
        };
        let Some(rel) = rel else {
            return self.get_revisions(target);
        };
        let label = rel.label.as_deref();
        if rel.value > 0 {
            match &rel.symbol {
                None => {
                    let cur: Vec<String> = match current {
                        Spec::Str(s) => vec![s.to_string()],
                        Spec::Tuple(t) => t.to_vec(),
                    };
                    // Where the walk starts: a current row, a revision, or the bases.
                    let mut start: Vec<Pos> = Vec::new();
                    if let Some(l) = label {
                        let cur_ix: Vec<Ix> = self
                            .get_revisions(Spec::Tuple(&cur))?
                            .into_iter()
                            .filter_map(|p| if let Pos::Rev(i) = p { Some(i) } else { None })
                            .collect();
                        let on_branch = self.filter_for_lineage(&cur_ix, l, false)?;
                        if on_branch.is_empty() {
                            let anc = self.ancestors(&cur_ix, true);
                            let anc_list: Vec<Ix> =
                                (0..self.revs.len()).filter(|&i| anc[i]).collect();
                            let active = self.filter_for_lineage(&anc_list, l, false)?;
                            let mut is_down = vec![false; self.revs.len()];
                            for &a in &active {
                                for &d in &self.norm_down[a] {
                                    is_down[d] = true;
                                }
                            }
                            let tips: Vec<Ix> =
                                active.iter().copied().filter(|&a| !is_down[a]).collect();
                            if tips.is_empty() {
                                start.push(Pos::Nothing);
                            } else {
                                start.extend(tips.into_iter().map(Pos::Rev));
                            }
                        } else {
                            start.extend(on_branch.into_iter().map(Pos::Rev));
                        }
                    } else if cur.is_empty() {
                        start.push(Pos::Nothing);
                    } else if cur.len() > 1 {
                        return Err(RevisionError::AmbiguousUpgrade);
                    } else {
                        let r = self.get_revision(Some(&cur[0]))?;
                        start.push(self.pos_of(r));
                    }
                    if start.len() > 1 {
                        return Err(RevisionError::AmbiguousUpgrade);
                    }
                    let first = start.first().copied().unwrap_or(Pos::Nothing);
                    let r = self.walk(first, rel.value, label, assert_relative_length)?;
                    if r == Pos::Nothing {
                        return Err(RevisionError::RelativeTooFar {
                            relative: rel.text.clone(),
                            count: rel.count(),
                        });
                    }
                    Ok(vec![r])
                }
                Some(symbol) => {
                    let start = self.get_revision(Some(symbol))?;
                    let r =
                        self.walk(self.pos_of(start), rel.value, label, assert_relative_length)?;
                    Ok(vec![r])
                }
            }
        } else {
            match &rel.symbol {
                None => Err(RevisionError::RelativeTooFar {
                    relative: rel.int_text(),
                    count: rel.count(),
                }),
                Some(symbol) => {
                    let start = match label {
                        None => self.get_revision(Some(symbol))?,
                        Some(l) => self.get_revision(Some(&format!("{l}@{symbol}")))?,
                    };
                    let r =
                        self.walk(self.pos_of(start), rel.value, None, assert_relative_length)?;
                    Ok(vec![r])
                }
            }
        }
    }

    /// The revisions `show REV` prints (`current` means the rows; `base` none).
    pub fn show(&self, rev: &str, current: &[String]) -> Result<Vec<&RevisionInfo>, RevisionError> {
        let spec = if Target::new(rev).is_current() {
            Spec::Tuple(current)
        } else {
            Spec::Str(rev)
        };
        let mut out = Vec::new();
        for p in self.get_revisions(spec)? {
            match p {
                Pos::Rev(i) => out.push(&self.revs[i]),
                Pos::Base | Pos::Nothing => {}
            }
        }
        Ok(out)
    }

    /// Resolves one identifier (full or partial id, label, `head`, `label@head`,
    /// `REV-N` …) to the revisions it names (`base`: none).
    pub fn resolve(&self, ident: &str) -> Result<Vec<&str>, RevisionError> {
        let mut out = Vec::new();
        for p in self.get_revisions_str(Some(ident))? {
            if let Pos::Rev(i) = p {
                out.push(self.id(i));
            }
        }
        Ok(out)
    }

    /// Parent(s) for a new revision: `revision [--head H] [--splice]`
    /// (`head` by default; `base` for a new root). Alembic's rules and errors.
    pub fn new_revision_parents(
        &self,
        head: &str,
        splice: bool,
    ) -> Result<Vec<String>, RevisionError> {
        self.parents_for(&[head.to_string()], splice)
    }

    /// Parents for `merge REVS…` (e.g. `heads`); non-heads are an error.
    pub fn merge_parents(&self, revs: &[String]) -> Result<Vec<String>, RevisionError> {
        self.parents_for(revs, false)
    }

    /// Parents for `merge REVS… [--splice]` or `revision --head …`.
    pub fn parents_for(&self, revs: &[String], splice: bool) -> Result<Vec<String>, RevisionError> {
        let wrap = |e: RevisionError| match e {
            RevisionError::MultipleHeads { heads, .. } => {
                RevisionError::MultipleHeadsRevision { heads }
            }
            other => other,
        };
        let mut parents: Vec<Ix> = Vec::new();
        for r in revs {
            for p in self.get_revisions_str(Some(r)).map_err(wrap)? {
                match p {
                    Pos::Rev(i) => parents.push(i),
                    Pos::Base => {
                        return Err(RevisionError::BaseAsParent {
                            argument: r.clone(),
                        })
                    }
                    Pos::Nothing => {}
                }
            }
        }
        let mut d = parents.clone();
        dedupe(&mut d);
        if d.len() != parents.len() {
            return Err(RevisionError::DuplicateHeads);
        }
        if !splice {
            for &p in &parents {
                if !self.next[p].is_empty() {
                    return Err(RevisionError::NotAHead {
                        revision: self.id(p).to_string(),
                    });
                }
            }
        }
        Ok(self.ids(&parents))
    }

    /// `--depends-on` values for a new revision: partial ids → full ids,
    /// branch labels kept as written.
    pub fn resolve_depends_on(&self, specs: &[String]) -> Result<Vec<String>, RevisionError> {
        let mut out = Vec::new();
        for s in specs {
            match self.get_revision(Some(s))? {
                Some(i) => {
                    if self.has_label(i, s) {
                        out.push(s.clone());
                    } else {
                        out.push(self.id(i).to_string());
                    }
                }
                None => return Err(self.unknown(s)),
            }
        }
        Ok(out)
    }

    /// Splits a `--sql` range `START:END` and resolves START into the rows
    /// the offline run starts from (`base` or empty: none). Without a colon
    /// the run starts from base. Returns (starting rows, destination).
    pub fn sql_range(&self, range: &str) -> Result<(Vec<String>, String), RevisionError> {
        match Target::new(range).range() {
            None => Ok((Vec::new(), range.to_string())),
            Some((start, dest)) => {
                let start_rows = if start.is_empty() || start == "base" {
                    Vec::new()
                } else {
                    match self.get_revision(Some(start))? {
                        Some(i) => vec![self.id(i).to_string()],
                        None => Vec::new(),
                    }
                };
                Ok((start_rows, dest.to_string()))
            }
        }
    }
}
