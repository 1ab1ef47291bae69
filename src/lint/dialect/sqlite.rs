//! SQLite's rules: a change its `ALTER TABLE` cannot make fails, so the
//! table must be rebuilt. SQLite is compiled into `migrate`, so its version
//! is known even offline; the facts add nothing more (no row estimates).

use super::{version_numbers, Hit, Rules};
use crate::dialect::{Database, DbError};
use crate::lint::classify::{Action, Default, Op};
use crate::lint::cx::{Cx, Facts};
use crate::lint::rules::RuleId;

pub(crate) struct Sqlite;

/// The SQLite that runs the revisions: the one compiled in.
fn version() -> Vec<u64> {
    version_numbers(rusqlite::version())
}

/// Why SQLite's ALTER TABLE cannot do `a`, if it cannot.
fn cannot(cx: &Cx<'_>, table: &str, a: &Action) -> Option<String> {
    let v = version();
    let at_least = |min: &[u64]| {
        Facts {
            version: Some(v.clone()),
            ..Facts::default()
        }
        .at_least(min)
            != Some(false)
    };
    Some(match a {
        Action::AddColumn(c) => {
            if c.primary_key || c.unique {
                format!("column {} is PRIMARY KEY or UNIQUE", c.name)
            } else if c.not_null && matches!(c.default, None | Some(Default::Null)) {
                format!("column {} is NOT NULL without a default", c.name)
            } else if matches!(c.default, Some(Default::Constant | Default::Volatile(_))) {
                format!("column {} has a default that is not a constant", c.name)
            } else if c.computed {
                format!("column {} is a STORED generated column", c.name)
            } else {
                return None;
            }
        }
        Action::DropColumn(cols) => {
            if at_least(&[3, 35]) {
                let t = cx.model.tables.get(table);
                let bad = cols.iter().find(|c| {
                    t.is_some_and(|t| {
                        cx.model.is_indexed(table, c)
                            || t.columns
                                .get(*c)
                                .is_some_and(|col| col.def.primary_key || col.def.unique)
                    })
                })?;
                format!("column {bad} is a key or indexed")
            } else {
                "DROP COLUMN needs SQLite 3.35".into()
            }
        }
        Action::RenameColumn { .. } if !at_least(&[3, 25]) => {
            "RENAME COLUMN needs SQLite 3.25".into()
        }
        Action::RenameColumn { .. } | Action::RenameTo(_) => return None,
        Action::ColumnType { column, .. } => format!("column {column}: a type change"),
        Action::SetNotNull(column) | Action::ColumnMetadata(column) => {
            format!("column {column}: ALTER COLUMN")
        }
        Action::Redefine { column, .. } => format!("column {column}: MODIFY/CHANGE"),
        Action::AddConstraint { .. } => "ADD CONSTRAINT".into(),
        Action::DropConstraint(_) | Action::DropPrimaryKey => "DROP CONSTRAINT".into(),
        _ => "this ALTER TABLE action".into(),
    })
}

fn rebuild(cx: &Cx<'_>, hits: &mut Vec<Hit>) {
    if let Op::AlterTable { table, actions } = &cx.stmts[cx.at].op {
        for a in actions {
            if let Some(why) = cannot(cx, table, a) {
                hits.push(Hit::new(
                    RuleId::AlterNeedsRebuild,
                    &format!("table {table}: {why}"),
                ));
            }
        }
    }
}

impl Rules for Sqlite {
    fn upgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        rebuild(cx, hits);
    }

    fn downgrade(&self, cx: &Cx<'_>, hits: &mut Vec<Hit>) {
        rebuild(cx, hits);
    }

    fn facts(&self, _db: &mut dyn Database) -> Result<Facts, DbError> {
        Ok(self.facts_offline())
    }

    fn facts_offline(&self) -> Facts {
        Facts {
            version: Some(version()),
            ..Facts::default()
        }
    }
}
