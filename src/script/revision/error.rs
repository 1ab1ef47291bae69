//! The graph's errors: [`RevisionError`] for a target that does not resolve
//! or a walk that cannot be planned, and [`GraphError`] for a problem in the
//! revision files themselves, located at `path:line`. Each message is worded
//! here, in `Display`, and nowhere else. Pure; it uses nothing but `std` and
//! `thiserror`.

use std::fmt;

/// An error resolving a target or planning a walk. `Display` gives the
/// sentence `migrate` prints (Alembic's, except the `docs/spec.md` §4 differences).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    /// `head` (or `label@head`) names several heads.
    #[error("Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@{argument}' to narrow to a specific head, or 'heads' for all heads")]
    MultipleHeads {
        /// The heads found.
        heads: Vec<String>,
        /// The argument as given.
        argument: String,
    },
    /// `stamp head` with several heads.
    #[error("Multiple heads are present; please specify a single target revision")]
    MultipleHeadsStamp {
        /// The heads found.
        heads: Vec<String>,
    },
    /// `revision` without `--head` while several heads exist.
    #[error("Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.")]
    MultipleHeadsRevision {
        /// The heads found.
        heads: Vec<String>,
    },
    /// No revision or branch label by that name or prefix.
    #[error("Can't locate revision identified by '{ident}'{}", suggest(.suggestions))]
    Unknown {
        /// The identifier as given.
        ident: String,
        /// Near matches, best first.
        suggestions: Vec<String>,
    },
    /// A prefix matching several revisions (`docs/spec.md` §4).
    #[error("Multiple revisions start with '{prefix}': {}", .candidates.join(", "))]
    AmbiguousPrefix {
        /// The prefix as given.
        prefix: String,
        /// All matching ids (and labels), sorted.
        candidates: Vec<String>,
    },
    /// `label@rev` where rev is not in label's lineage.
    #[error("Revision {revision} is not a member of branch '{branch}'")]
    NotMemberOfBranch {
        /// The resolved revision.
        revision: String,
        /// The branch label or revision used as a branch.
        branch: String,
    },
    /// A relative walk met a branch point or merge point.
    #[error("Ambiguous walk")]
    AmbiguousWalk,
    /// A relative target ran past the end of the graph.
    #[error("Relative revision {relative} didn't produce {count} migrations")]
    RelativeTooFar {
        /// The relative part as written (`-5`, `+2`).
        relative: String,
        /// Its absolute value.
        count: String,
    },
    /// `REV+N`/`REV-N` walked past the end of the graph.
    #[error("Walked too far")]
    WalkedTooFar,
    /// `upgrade +N` from several current heads.
    #[error("Ambiguous upgrade from multiple current revisions")]
    AmbiguousUpgrade,
    /// `downgrade -N` from several current heads (Alembic only warns; `docs/spec.md` §4).
    #[error("Relative downgrade {relative} is ambiguous: the database has several current heads ({}); name the branch with '<branchname>@{relative}' or give a revision id, e.g. '{}{relative}'", .heads.join(", "), .heads.first().map_or("<rev>", String::as_str))]
    AmbiguousRelativeDowngrade {
        /// The relative part as written.
        relative: String,
        /// The current heads.
        heads: Vec<String>,
    },
    /// `label@-N` where no current head (or several) is on that branch.
    #[error("No single current revision on branch '{branch}' to walk {relative} from (current: {})", if .current.is_empty() { "none".to_string() } else { .current.join(", ") })]
    NoCurrentOnBranch {
        /// The branch.
        branch: String,
        /// The relative part.
        relative: String,
        /// The current heads.
        current: Vec<String>,
    },
    /// The upgrade target is not above the current heads.
    #[error("Destination {destination} is not a valid upgrade target from current head(s)")]
    InvalidUpgradeTarget {
        /// The destination as given.
        destination: String,
    },
    /// The downgrade target is not below the current heads.
    #[error("Destination {destination} is not a valid downgrade target from current head(s)")]
    InvalidDowngradeTarget {
        /// The destination as given.
        destination: String,
    },
    /// A range whose ends are not on one line of descent.
    #[error("Requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch")]
    RangeNotAncestor {
        /// Lower end.
        start: String,
        /// Upper end.
        end: String,
    },
    /// Two requested revisions where one is an ancestor of the other.
    #[error("Requested revision {revision} overlaps with other requested revisions {}", .others.join(", "))]
    Overlap {
        /// The revision whose walk met the others.
        revision: String,
        /// The revisions met.
        others: Vec<String>,
    },
    /// A single-branch downgrade that matches no branch.
    #[error("Not a valid downgrade target from current heads")]
    NotValidDowngradeTarget,
    /// `revision --head X` where X is not a head.
    #[error("Revision {revision} is not a head revision; please specify --splice to create a new branch from this revision")]
    NotAHead {
        /// The revision.
        revision: String,
    },
    /// The same parent given twice.
    #[error("Duplicate head revisions specified")]
    DuplicateHeads,
    /// `history -r` without a colon.
    #[error("History range requires [start]:[end], [start]:, or :[end]")]
    HistoryRange,
    /// A parent for a new revision that a walk found below the roots (`-1`
    /// from a root revision).
    #[error("'{argument}' does not name a revision to base a new one on")]
    BaseAsParent {
        /// The argument as given.
        argument: String,
    },
}

fn suggest(s: &[String]) -> String {
    match s.len() {
        0 => String::new(),
        1 => format!("; did you mean '{}'?", s[0]),
        _ => format!(
            "; did you mean one of: {}?",
            s.iter()
                .map(|x| format!("'{x}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What is wrong with one revision file in a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphErrorKind {
    /// The id is used by an earlier file.
    DuplicateId {
        /// The id.
        id: String,
        /// The path of the first file with it.
        first_path: String,
    },
    /// The id is empty or uses a reserved character.
    BadId {
        /// The id.
        id: String,
    },
    /// A branch label is declared by an earlier revision (or is a revision id).
    DuplicateLabel {
        /// The label.
        label: String,
        /// The revision that has it first.
        other: String,
    },
    /// `Revises:` names an id that does not exist.
    MissingRevises {
        /// The missing id.
        target: String,
    },
    /// `Depends On:` names nothing known (id, label, unique prefix).
    MissingDependsOn {
        /// The missing name.
        target: String,
    },
    /// `Depends On:` prefix matches several revisions.
    AmbiguousDependsOn {
        /// The prefix.
        target: String,
        /// The candidates.
        candidates: Vec<String>,
    },
    /// The revision revises (or depends on) itself.
    SelfLoop {
        /// True for `Depends On`.
        dependency: bool,
    },
    /// The revision is on a cycle of `Revises` (or, with `dependency`, of
    /// `Revises` plus `Depends On`).
    Cycle {
        /// True when the cycle needs a `Depends On` edge.
        dependency: bool,
        /// All revisions on cycles, sorted.
        members: Vec<String>,
    },
}

/// One problem in the revision graph, located at `path:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// The revision file.
    pub path: String,
    /// 1-based line of the offending header key (0 when unknown).
    pub line: usize,
    /// The revision id of the file.
    pub revision: String,
    /// What is wrong.
    pub kind: GraphErrorKind,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.path, self.line)?;
        } else {
            write!(f, "{}: ", self.path)?;
        }
        match &self.kind {
            GraphErrorKind::DuplicateId { id, first_path } => {
                write!(
                    f,
                    "revision {id} is present more than once (also in {first_path})"
                )
            }
            GraphErrorKind::BadId { id } => {
                if id.is_empty() {
                    write!(f, "empty revision id")
                } else {
                    write!(
                        f,
                        "revision id '{id}' must not contain any of '@', '-', '+', ':' or whitespace"
                    )
                }
            }
            GraphErrorKind::DuplicateLabel { label, other } => write!(
                f,
                "Branch name '{label}' in revision {} already used by revision {other}",
                self.revision
            ),
            GraphErrorKind::MissingRevises { target } => write!(
                f,
                "revision {} revises {target}, which is not present",
                self.revision
            ),
            GraphErrorKind::MissingDependsOn { target } => write!(
                f,
                "revision {} depends on '{target}', which is neither a revision nor a branch label",
                self.revision
            ),
            GraphErrorKind::AmbiguousDependsOn { target, candidates } => write!(
                f,
                "revision {} depends on '{target}', which matches several revisions: {}",
                self.revision,
                candidates.join(", ")
            ),
            GraphErrorKind::SelfLoop { dependency } => write!(
                f,
                "{} is detected in revisions ({})",
                if *dependency {
                    "Dependency self-loop"
                } else {
                    "Self-loop"
                },
                self.revision
            ),
            GraphErrorKind::Cycle {
                dependency,
                members,
            } => write!(
                f,
                "{} is detected in revisions ({})",
                if *dependency {
                    "Dependency cycle"
                } else {
                    "Cycle"
                },
                members.join(", ")
            ),
        }
    }
}

/// Every problem found while building a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphErrors(pub Vec<GraphError>);

impl fmt::Display for GraphErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "the revision graph has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

impl std::error::Error for GraphErrors {}
