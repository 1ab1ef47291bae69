//! Every lint rule, declared once: its stable id, the databases it applies
//! to, its default severity, why it matters and the safe way. The engine
//! and the per-dialect modules name rules by their [`RuleId`]; the output,
//! the README and `[lint]` in `migrate.toml` read this table. Pure.

use crate::Kind;

/// How bad a finding is. Only errors fail `lint` and `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A finding lowered because the table is empty (by the server's estimate).
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    DropTable,
    DropColumn,
    DropSchema,
    Truncate,
    RenameTable,
    RenameColumn,
    IndexNotConcurrently,
    ConcurrentlyInTransaction,
    AddColumnVolatileDefault,
    ColumnTypeChange,
    SetNotNull,
    FkNotValid,
    CheckNotValid,
    UniqueConstraintWithoutIndex,
    AddNotNullWithoutDefault,
    NewUnique,
    TableCopyAlter,
    EnumReorder,
    AlterNeedsRebuild,
    MissingDowngrade,
    DowngradeNotInverse,
    MixedDdlDml,
    PgLockTimeoutUnset,
    Unchecked,
    /// A `-- migrate:lint-ignore` line that names no rule or gives no reason.
    LintIgnore,
}

/// One rule of the table.
pub struct Rule {
    pub id: RuleId,
    /// The stable id as written in output, `lint-ignore` lines and `[lint]`.
    pub name: &'static str,
    /// The databases it applies to.
    pub kinds: &'static [Kind],
    pub severity: Severity,
    /// An empty table (by the server's row estimate) lowers it to a note.
    pub rows_matter: bool,
    /// Why it matters, in one line.
    pub why: &'static str,
    /// The safe way, in one line.
    pub fix: &'static str,
}

const ALL: &[Kind] = &Kind::ALL;
const PG: &[Kind] = &[Kind::Postgres];
const MY: &[Kind] = &[Kind::MySql];
const LITE: &[Kind] = &[Kind::Sqlite];
const PG_MY: &[Kind] = &[Kind::Postgres, Kind::MySql];

macro_rules! rule {
    ($id:ident, $name:literal, $kinds:expr, $sev:ident, $rows:literal, $why:literal, $fix:literal) => {
        Rule {
            id: RuleId::$id,
            name: $name,
            kinds: $kinds,
            severity: Severity::$sev,
            rows_matter: $rows,
            why: $why,
            fix: $fix,
        }
    };
}

/// Every rule, in the order the README lists them.
pub const RULES: &[Rule] = &[
    rule!(DropTable, "drop-table", ALL, Warning, false,
        "dropping a table deletes its rows, and code still running reads it",
        "stop using the table in a release first, keep a backup, then drop it in a later revision"),
    rule!(DropColumn, "drop-column", ALL, Warning, false,
        "dropping a column deletes its values, and code still running reads it",
        "stop reading the column in a release first, then drop it in a later revision"),
    rule!(DropSchema, "drop-schema", PG_MY, Warning, false,
        "dropping a schema (a MySQL database) deletes every table in it",
        "drop the objects one by one in revisions you can review, after a backup"),
    rule!(Truncate, "truncate", ALL, Warning, false,
        "TRUNCATE deletes every row, and cannot be undone by a downgrade",
        "delete rows by a condition you can review, or keep the table and stop using it"),
    rule!(RenameTable, "rename-table", ALL, Warning, false,
        "code still running uses the old name and fails until it is deployed again",
        "create the new table (or a view under the new name), move readers and writers over, then drop the old one"),
    rule!(RenameColumn, "rename-column", ALL, Warning, false,
        "code still running uses the old column name and fails until it is deployed again",
        "add the new column, write both, backfill, move readers over, then drop the old column"),
    rule!(IndexNotConcurrently, "index-not-concurrently", PG, Warning, true,
        "CREATE INDEX without CONCURRENTLY blocks every write to the table until the index is built",
        "CREATE INDEX CONCURRENTLY, in a revision with `-- Transactional: false`"),
    rule!(ConcurrentlyInTransaction, "concurrently-in-transaction", PG, Error, false,
        "CONCURRENTLY cannot run inside a transaction block: the statement fails",
        "add `-- Transactional: false` to the revision's header (and keep other statements out of it)"),
    rule!(AddColumnVolatileDefault, "add-column-volatile-default", PG, Warning, true,
        "a volatile default (or a serial, identity or stored generated column) rewrites the whole table under an exclusive lock",
        "add the column without a default (or with a constant one), set the default, then backfill in batches"),
    rule!(ColumnTypeChange, "column-type-change", PG, Warning, true,
        "changing a column's type rewrites the table (and its indexes) under an exclusive lock",
        "add a column of the new type, write both, backfill in batches, switch readers, drop the old one"),
    rule!(SetNotNull, "set-not-null", PG, Warning, true,
        "SET NOT NULL scans the whole table under an exclusive lock",
        "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (it uses the check) and drop the check"),
    rule!(FkNotValid, "fk-not-valid", PG, Warning, true,
        "adding a foreign key checks every row while it locks both tables against writes",
        "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later statement"),
    rule!(CheckNotValid, "check-not-valid", PG, Warning, true,
        "adding a check constraint scans every row under an exclusive lock",
        "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later statement"),
    rule!(UniqueConstraintWithoutIndex, "unique-constraint-without-index", PG, Warning, true,
        "a UNIQUE or PRIMARY KEY constraint builds its index while it blocks every write to the table",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE (or PRIMARY KEY) USING INDEX"),
    rule!(AddNotNullWithoutDefault, "add-not-null-without-default", PG_MY, Warning, true,
        "a NOT NULL column without a default fails on a table with rows (MySQL fills them with 0 or '')",
        "add the column nullable (or with a default), backfill it, then make it NOT NULL"),
    rule!(NewUnique, "new-unique", ALL, Warning, true,
        "a new unique index or constraint fails when existing rows hold duplicates",
        "find and fix the duplicates first (a SELECT … GROUP BY … HAVING count(*) > 1), in an earlier revision"),
    rule!(TableCopyAlter, "table-copy-alter", MY, Warning, true,
        "this ALTER cannot run INSTANT or INPLACE on this server: it copies the table and blocks writes until done",
        "write it so it runs INPLACE/INSTANT (or add ALGORITHM=INPLACE, LOCK=NONE so the server refuses instead of copying), or use an online schema change tool"),
    rule!(EnumReorder, "enum-reorder", MY, Warning, true,
        "an ENUM whose labels are reordered or removed copies the table, and rows holding a removed label become ''",
        "only append labels at the end of the list"),
    rule!(AlterNeedsRebuild, "alter-needs-rebuild", LITE, Error, false,
        "SQLite's ALTER TABLE cannot make this change: the statement fails",
        "rebuild the table: CREATE TABLE new, INSERT INTO new SELECT … FROM old, DROP TABLE old, ALTER TABLE new RENAME TO old (`revision --autogenerate` writes this)"),
    rule!(MissingDowngrade, "missing-downgrade", ALL, Warning, false,
        "the downgrade section is empty, so `downgrade` reverts the version but not the schema",
        "write the statements that undo the upgrade, in reverse order"),
    rule!(DowngradeNotInverse, "downgrade-not-inverse", ALL, Warning, false,
        "the downgrade drops or alters something the upgrade did not create or change",
        "make the downgrade undo exactly what the upgrade did, and nothing else"),
    rule!(MixedDdlDml, "mixed-ddl-dml", MY, Warning, false,
        "MySQL commits each DDL statement, so a failure between DDL and data changes leaves the revision half-applied",
        "put the schema changes and the data changes in separate revisions"),
    rule!(PgLockTimeoutUnset, "pg-lock-timeout-unset", PG, Warning, false,
        "DDL waiting for a lock on a busy table queues every later query behind it while lock_timeout is 0",
        "start the section with SET lock_timeout = '5s' (the run fails fast and can be retried)"),
    rule!(Unchecked, "unchecked", ALL, Warning, false,
        "the SQL parser cannot read this statement, so no rule checked it",
        "review it by hand; `-- migrate:lint-ignore unchecked <reason>` records that you did"),
    rule!(LintIgnore, "lint-ignore", ALL, Error, false,
        "a `-- migrate:lint-ignore` line must name known rules and give a reason",
        "write `-- migrate:lint-ignore RULE[,RULE…] why it is safe here`"),
];

impl RuleId {
    /// The rule's entry in [`RULES`].
    pub fn rule(self) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.id == self)
            .unwrap_or(&RULES[RULES.len() - 1])
    }

    pub fn name(self) -> &'static str {
        self.rule().name
    }
}

/// The rule named `name`, if there is one.
pub fn by_name(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The names `[lint]` takes, in table order.
pub const CONFIGURABLE: usize = RULES.len() - 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_in_the_table_once_with_a_stable_lowercase_id() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id.rule().name, r.name);
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(RULES[..i].iter().all(|o| o.name != r.name && o.id != r.id));
            assert!(!r.why.is_empty() && !r.fix.is_empty());
        }
        assert_eq!(RULES[CONFIGURABLE].id, RuleId::LintIgnore);
    }
}
