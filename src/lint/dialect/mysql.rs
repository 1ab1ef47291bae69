//! MySQL's and MariaDB's rules: an `ALTER TABLE` that the server can only
//! run by copying the table (`ALGORITHM=COPY`, which blocks writes), on the
//! server's version; an `ENUM` whose labels are not only appended; a
//! section that mixes DDL (each statement commits) with data changes; a
//! NOT NULL column added without a default. The facts: `VERSION()` and
//! `information_schema.tables.table_rows` (an estimate).

use super::{version_numbers, Hit, Rules};
use crate::dialect::{Database, DbError};
use crate::lint::classify::{Action, Column, Constraint, Default, Op, Ty};
use crate::lint::cx::{Cx, Facts};
use crate::lint::rules::RuleId;

pub(crate) struct MySql;

fn is_ddl(op: &Op) -> bool {
    matches!(
        op,
        Op::CreateTable { .. }
            | Op::CreateIndex { .. }
            | Op::CreateSchema { .. }
            | Op::DropIndex { .. }
            | Op::DropTable { .. }
            | Op::DropSchema { .. }
            | Op::DropOther
            | Op::Truncate { .. }
            | Op::RenameTable { .. }
            | Op::AlterTable { .. }
            | Op::OtherDdl
    )
}

/// The first statement of the section that mixes DDL and data changes: the
/// first statement of whichever kind comes second.
fn mixed(cx: &Cx<'_>, hits: &mut Vec<Hit>) {
    let kind_of = |op: &Op| {
        if is_ddl(op) {
            Some(true)
        } else if matches!(op, Op::Dml) {
            Some(false)
        } else {
            None
        }
    };
    let Some(this) = kind_of(&cx.stmts[cx.at].op) else {
        return;
    };
    // The first statement of its kind after one of the other: the scan
    // stops at the first earlier statement of the same kind, so it stays
    // short in a long section.
    let mut before = cx.stmts[..cx.at]
        .iter()
        .filter_map(|s| kind_of(&s.op))
        .peekable();
    if before.peek().is_some() && before.all(|k| k != this) {
        hits.push(Hit::new(
            RuleId::MixedDdlDml,
            "the section has both schema changes and data changes",
        ));
    }
}

/// A VARCHAR of this many characters stores its length in one byte
/// (utf8mb4: four bytes a character, 255 bytes at most).
fn one_length_byte(chars: u64) -> bool {
    chars * 4 <= 255
}

/// Why redefining `old` as `new` copies the table on this server, if it does.
fn copies(cx: &Cx<'_>, old: Option<&Column>, new: &Column) -> Option<&'static str> {
    if matches!(new.ty, Ty::Enum(_)) {
        return None; // enum-reorder's business
    }
    let Some(old) = old else {
        return Some("the column's type may change");
    };
    if old.data_type == new.data_type {
        return None;
    }
    match (&old.ty, &new.ty) {
        (Ty::Varchar(Some(a)), Ty::Varchar(Some(b))) if b >= a => {
            if one_length_byte(*a) == one_length_byte(*b) {
                None
            } else if cx.facts.mariadb && cx.facts.at_least(&[10, 4]) == Some(true) {
                // MariaDB 10.4 widens any VARCHAR in place.
                None
            } else {
                Some("the VARCHAR crosses 255 bytes")
            }
        }
        _ => Some("the column's type changes"),
    }
}

impl Rules for MySql {
    fn upgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        mixed(cx, hits);
        let Op::AlterTable { table, actions } = &cx.stmts[cx.at].op else {
            return;
        };
        if !cx.existing(table) {
            return;
        }
        // With ALGORITHM=INPLACE or INSTANT the server refuses rather than copies.
        let algorithm = actions.iter().find_map(|a| match a {
            Action::Algorithm(x) => Some(x.as_str()),
            _ => None,
        });
        let mut copy: Option<String> = None;
        let adds_pk = actions.iter().any(|a| {
            matches!(
                a,
                Action::AddConstraint {
                    kind: Constraint::Unique { primary: true, .. },
                    ..
                }
            )
        });
        let fk_checks_off = cx.set.contains("foreign_key_checks");
        for a in actions {
            let subject = |c: &str| format!("table {table}, column {c}");
            match a {
                Action::AddColumn(c) => {
                    if c.not_null
                        && matches!(c.default, None | Some(Default::Null))
                        && !c.auto_increment
                        && !c.computed
                    {
                        hits.push(Hit::new(
                            RuleId::AddNotNullWithoutDefault,
                            &subject(&c.name),
                        ));
                    }
                    if c.auto_increment || c.computed {
                        copy.get_or_insert(format!("column {} fills every row", c.name));
                    }
                }
                Action::Redefine { column, new } => {
                    let old = cx.model.column(table, column);
                    if let (Some(Ty::Enum(a)), Ty::Enum(b)) = (old.map(|o| &o.ty), &new.ty) {
                        if !b.starts_with(a) {
                            hits.push(Hit::new(RuleId::EnumReorder, &subject(column)));
                        }
                    } else if let Some(why) = copies(cx, old, new) {
                        copy.get_or_insert(format!("column {column}: {why}"));
                    }
                }
                Action::ColumnType { column, .. } => {
                    copy.get_or_insert(format!("column {column}: the column's type changes"));
                }
                Action::DropPrimaryKey if !adds_pk => {
                    copy.get_or_insert("the primary key is dropped without a new one".into());
                }
                Action::ConvertCharset => {
                    copy.get_or_insert("CONVERT TO CHARACTER SET".into());
                }
                Action::AddConstraint {
                    kind: Constraint::ForeignKey,
                    ..
                } if !fk_checks_off => {
                    copy.get_or_insert("a foreign key added with foreign_key_checks on".into());
                }
                Action::Algorithm(x) if x == "copy" => {
                    copy.get_or_insert("ALGORITHM=COPY".into());
                }
                _ => {}
            }
        }
        if let Some(why) = copy {
            if !matches!(algorithm, Some("inplace" | "instant" | "nocopy")) {
                hits.push(Hit::new(
                    RuleId::TableCopyAlter,
                    &format!("table {table}: {why}"),
                ));
            }
        }
    }

    fn downgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        mixed(cx, hits);
    }

    fn facts(&self, db: &mut dyn Database) -> Result<Facts, DbError> {
        let version = db
            .query_first("SELECT VERSION()")?
            .flatten()
            .unwrap_or_default();
        let rows = db.query_rows(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_rows = 0",
            &[],
        )?;
        Ok(Facts {
            version: Some(version_numbers(&version)),
            mariadb: version.to_ascii_lowercase().contains("mariadb"),
            empty_tables: rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .map(|t| t.to_lowercase())
                .collect(),
            lock_timeout_set: false,
        })
    }
}
