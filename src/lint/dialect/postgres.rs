//! PostgreSQL's rules: what takes an `ACCESS EXCLUSIVE` lock for as long as
//! it scans or rewrites a table, what cannot run in a transaction block, and
//! DDL that may wait on a lock with `lock_timeout` unset. The server's
//! facts: `server_version_num`, `lock_timeout`, and `pg_class.reltuples`
//! (an estimate; `-1`, never analyzed, is not taken for empty).

use super::{Hit, Rules};
use crate::dialect::{Database, DbError};
use crate::lint::classify::{Action, Constraint, Default, Op, Ty};
use crate::lint::cx::{Cx, Facts};
use crate::lint::rules::RuleId;

pub(crate) struct Postgres;

/// Whether an unparsed statement's text says CONCURRENTLY (outside the
/// parser's reach: `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`).
fn says_concurrently(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| w.eq_ignore_ascii_case("concurrently"))
}

fn concurrently(cx: &Cx<'_>, hits: &mut Vec<Hit>) {
    let s = &cx.stmts[cx.at];
    let concurrent = match &s.op {
        Op::CreateIndex { concurrently, .. } => *concurrently,
        Op::Unparsed(_) => says_concurrently(&s.text),
        _ => false,
    };
    if concurrent && cx.transactional {
        hits.push(Hit::new(
            RuleId::ConcurrentlyInTransaction,
            "the revision runs in a transaction",
        ));
    }
}

/// Whether changing `old` to `new` keeps the stored bytes (no rewrite).
fn binary_compatible(old: &Ty, new: &Ty) -> bool {
    match (old, new) {
        (Ty::Varchar(Some(a)), Ty::Varchar(Some(b))) => b >= a,
        (Ty::Varchar(_), Ty::Varchar(None) | Ty::Text) => true,
        (Ty::Numeric(Some(p), s), Ty::Numeric(Some(q), t)) => q >= p && s == t,
        (Ty::Numeric(_, _), Ty::Numeric(None, None)) => true,
        _ => false,
    }
}

/// DDL that takes a lock on a table that holds rows.
fn locks_existing(cx: &Cx<'_>, op: &Op) -> Option<String> {
    let t = match op {
        Op::AlterTable { table, .. } => table,
        Op::CreateIndex {
            table,
            concurrently: false,
            ..
        } => table,
        Op::DropTable { tables } => tables.first()?,
        Op::Truncate { tables } => tables.first()?,
        Op::RenameTable { from, .. } => from,
        _ => return None,
    };
    cx.existing(t).then(|| t.clone())
}

impl Rules for Postgres {
    fn upgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        concurrently(cx, hits);
        let op = &cx.stmts[cx.at].op;
        if let Some(table) = locks_existing(cx, op) {
            let first = !cx.stmts[..cx.at]
                .iter()
                .any(|s| locks_existing(cx, &s.op).is_some());
            if first && !cx.set.contains("lock_timeout") && !cx.facts.lock_timeout_set {
                hits.push(Hit::new(
                    RuleId::PgLockTimeoutUnset,
                    &format!("table {table}: the first DDL on an existing table in this section"),
                ));
            }
        }
        match op {
            Op::CreateIndex {
                table,
                concurrently: false,
                ..
            } if cx.existing(table) => hits.push(Hit::table(RuleId::IndexNotConcurrently, table)),
            Op::AlterTable { table, actions } if cx.existing(table) => {
                for a in actions {
                    alter(cx, table, a, hits);
                }
            }
            _ => {}
        }
    }

    fn downgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        concurrently(cx, hits);
    }

    fn facts(&self, db: &mut dyn Database) -> Result<Facts, DbError> {
        let version = db
            .query_first("SHOW server_version_num")?
            .flatten()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|n| vec![n / 10000, n % 10000]);
        let lock = db
            .query_first("SHOW lock_timeout")?
            .flatten()
            .unwrap_or_default();
        let mut facts = Facts {
            lock_timeout_set: !matches!(lock.trim(), "" | "0"),
            ..Facts::default()
        };
        // Before 14, a table never analyzed has reltuples 0 however many
        // rows it holds: no estimate is trusted there.
        if version.as_ref().is_some_and(|v| v[0] >= 14) {
            let rows = db.query_rows(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND c.reltuples = 0 \
                 AND n.nspname = ANY (current_schemas(false))",
                &[],
            )?;
            facts.empty_tables = rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect();
        }
        facts.version = version;
        Ok(facts)
    }
}

fn alter(cx: &Cx<'_>, table: &str, a: &Action, hits: &mut Vec<Hit>) {
    let subject = |c: &str| format!("table {table}, column {c}");
    match a {
        Action::AddColumn(c) => {
            // Before 11 every non-null default rewrote the table.
            let old_server = cx.facts.at_least(&[11]) == Some(false);
            let rewrites = c.computed
                || matches!(c.default, Some(Default::Volatile(_)))
                || (old_server && matches!(c.default, Some(Default::Literal | Default::Constant)));
            if rewrites {
                hits.push(Hit::new(
                    RuleId::AddColumnVolatileDefault,
                    &subject(&c.name),
                ));
            }
            if c.not_null && matches!(c.default, None | Some(Default::Null)) && !c.computed {
                hits.push(Hit::new(
                    RuleId::AddNotNullWithoutDefault,
                    &subject(&c.name),
                ));
            }
            if c.unique || c.primary_key {
                hits.push(Hit::table(RuleId::UniqueConstraintWithoutIndex, table));
            }
        }
        Action::ColumnType { column, ty, .. } => {
            let safe = cx
                .model
                .column(table, column)
                .is_some_and(|old| binary_compatible(&old.ty, ty));
            if !safe && cx.existing_column(table, column) {
                hits.push(Hit::new(RuleId::ColumnTypeChange, &subject(column)));
            }
        }
        Action::SetNotNull(column)
            if cx.existing_column(table, column) && !valid_check_before(cx, table, column) =>
        {
            hits.push(Hit::new(RuleId::SetNotNull, &subject(column)));
        }
        Action::AddConstraint {
            kind, not_valid, ..
        } => match kind {
            Constraint::ForeignKey if !not_valid => {
                hits.push(Hit::table(RuleId::FkNotValid, table));
            }
            Constraint::Check { .. } if !not_valid => {
                hits.push(Hit::table(RuleId::CheckNotValid, table));
            }
            Constraint::Unique {
                using_index: false, ..
            } => hits.push(Hit::table(RuleId::UniqueConstraintWithoutIndex, table)),
            _ => {}
        },
        _ => {}
    }
}

/// A validated `CHECK (column IS NOT NULL)` exists: from earlier revisions,
/// or added (valid, or validated) earlier in this section.
fn valid_check_before(cx: &Cx<'_>, table: &str, column: &str) -> bool {
    if cx.model.has_valid_not_null_check(table, column) {
        return true;
    }
    let mut checks: Vec<(Option<String>, bool)> = Vec::new();
    for s in &cx.stmts[..cx.at] {
        let Op::AlterTable { table: t, actions } = &s.op else {
            continue;
        };
        if t != table {
            continue;
        }
        for a in actions {
            match a {
                Action::AddConstraint {
                    name,
                    kind:
                        Constraint::Check {
                            not_null_of: Some(c),
                        },
                    not_valid,
                } if c == column => checks.push((name.clone(), !not_valid)),
                Action::ValidateConstraint(n) => {
                    for c in checks.iter_mut().filter(|c| c.0.as_deref() == Some(n)) {
                        c.1 = true;
                    }
                }
                _ => {}
            }
        }
    }
    checks.iter().any(|c| c.1)
}
