//! The SQL of `migrate`'s own tables: the version table (Alembic's, byte for
//! byte) and the audit log beside it. Written once here, from each backend's
//! [`Dialect`] primitives (quoting, placeholders, literals, types), so that
//! neither the runtime nor the commands ever compose SQL, and a backend
//! differs only where its primitives do.
//!
//! Pure: statements in, strings out.

use super::{Dialect, VersionTable};

/// One statement on the version table (which ones a step needs is decided
/// by the runtime's head-maintenance rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionOp {
    /// `INSERT INTO alembic_version (version_num) VALUES ('x')`.
    Insert(String),
    /// `UPDATE alembic_version SET version_num='to' WHERE version_num = 'from'`.
    Update {
        /// Row before.
        from: String,
        /// Row after.
        to: String,
    },
    /// `DELETE FROM alembic_version WHERE version_num = 'x'`.
    Delete(String),
    /// `DELETE FROM alembic_version` (`stamp --purge`).
    DeleteAll,
}

impl VersionOp {
    /// An UPDATE or DELETE of one row: it must match exactly one, or someone
    /// else changed the version table.
    pub fn expects_one_row(&self) -> bool {
        matches!(self, VersionOp::Update { .. } | VersionOp::Delete(_))
    }
}

/// A query and its text parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub sql: String,
    pub params: Vec<String>,
}

impl Query {
    /// The parameters as the `Database` primitives take them.
    pub fn params(&self) -> Vec<&str> {
        self.params.iter().map(String::as_str).collect()
    }
}

/// A table beside the version table, quoted and schema-qualified.
pub fn qualified(d: &dyn Dialect, place: &VersionTable, name: &str) -> String {
    match &place.schema {
        Some(s) => format!("{}.{}", d.quote_ident(s), d.quote_ident(name)),
        None => d.quote_ident(name),
    }
}

impl dyn Dialect + '_ {
    /// The version table's quoted, schema-qualified name.
    pub fn version_table(&self, t: &VersionTable) -> String {
        qualified(self, t, &t.name)
    }

    /// `CREATE TABLE` for the version table, as Alembic creates it.
    pub fn version_create(&self, t: &VersionTable) -> String {
        format!(
            "CREATE TABLE {} (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            self.version_table(t),
            self.quote_ident(&format!("{}_pkc", t.name))
        )
    }

    pub fn version_select(&self, t: &VersionTable) -> String {
        format!("SELECT version_num FROM {}", self.version_table(t))
    }

    /// How many rows hold `version_num = $1`.
    pub fn version_count(&self, t: &VersionTable) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE version_num = {}",
            self.version_table(t),
            self.placeholder(1)
        )
    }

    /// A version-table operation with its values bound: the statement and its parameters.
    pub fn version_op(&self, t: &VersionTable, op: &VersionOp) -> Query {
        let table = self.version_table(t);
        let (sql, params) = match op {
            VersionOp::Insert(v) => (
                format!(
                    "INSERT INTO {table} (version_num) VALUES ({})",
                    self.placeholder(1)
                ),
                vec![v.clone()],
            ),
            VersionOp::Update { from, to } => (
                format!(
                    "UPDATE {table} SET version_num = {} WHERE version_num = {}",
                    self.placeholder(1),
                    self.placeholder(2)
                ),
                vec![to.clone(), from.clone()],
            ),
            VersionOp::Delete(v) => (
                format!(
                    "DELETE FROM {table} WHERE version_num = {}",
                    self.placeholder(1)
                ),
                vec![v.clone()],
            ),
            VersionOp::DeleteAll => (format!("DELETE FROM {table}"), Vec::new()),
        };
        Query { sql, params }
    }

    /// A version-table operation as one statement with its values written in
    /// ([`Dialect::text_literal`]), to be sent with others in one message.
    pub fn version_op_literal(&self, t: &VersionTable, op: &VersionOp) -> String {
        let table = self.version_table(t);
        match op {
            VersionOp::Insert(v) => format!(
                "INSERT INTO {table} (version_num) VALUES ({})",
                self.text_literal(v)
            ),
            VersionOp::Update { from, to } => format!(
                "UPDATE {table} SET version_num = {} WHERE version_num = {}",
                self.text_literal(to),
                self.text_literal(from)
            ),
            VersionOp::Delete(v) => format!(
                "DELETE FROM {table} WHERE version_num = {}",
                self.text_literal(v)
            ),
            VersionOp::DeleteAll => format!("DELETE FROM {table}"),
        }
    }
}

/// The audit log's columns, in table order.
pub const AUDIT_COLUMNS: &[&str] = &[
    "id",
    "revision",
    "direction",
    "step",
    "message",
    "outcome",
    "resolution",
    "checksum",
    "sql_text",
    "statements_done",
    "statements_total",
    "done_checksum",
    "failed_statement",
    "failed_line",
    "failed_excerpt",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
    "db_user",
    "client_host",
    "migrate_version",
    "tag",
    "lint_ignored",
];

/// Columns added to the audit log after its first version, with their types:
/// a table from an older `migrate` gets them (`ALTER TABLE … ADD COLUMN`) the
/// next time a run writes to it, and reads show them as empty until then.
pub const AUDIT_LATER_COLUMNS: &[(&str, &str)] =
    &[("tag", "VARCHAR(255)"), ("lint_ignored", "TEXT")];

/// The columns a new row sets, in order, and whether each holds a number.
pub const AUDIT_INSERT_COLUMNS: [(&str, bool); 20] = [
    ("id", true),
    ("revision", false),
    ("direction", false),
    ("step", false),
    ("message", false),
    ("outcome", false),
    ("resolution", false),
    ("checksum", false),
    ("sql_text", false),
    ("statements_done", true),
    ("statements_total", true),
    ("done_checksum", false),
    ("started_at", false),
    ("finished_at", false),
    ("duration_ms", true),
    ("db_user", false),
    ("client_host", false),
    ("migrate_version", false),
    ("tag", false),
    ("lint_ignored", false),
];

/// A new row's values, in `AUDIT_INSERT_COLUMNS` order, as text; None is NULL.
pub type AuditValues = [Option<String>; 20];

/// The audit log of one database: where it is and the SQL that writes and reads it.
#[derive(Clone)]
pub struct AuditTable {
    dialect: &'static dyn Dialect,
    /// Unquoted name (for the existence check).
    pub name: String,
    /// Quoted, schema-qualified name.
    pub table: String,
    /// Where it lives: beside the version table.
    pub place: VersionTable,
}

impl AuditTable {
    pub fn new(dialect: &'static dyn Dialect, version_table: &VersionTable, name: &str) -> Self {
        AuditTable {
            dialect,
            name: name.to_string(),
            table: qualified(dialect, version_table, name),
            place: version_table.clone(),
        }
    }

    pub fn create(&self) -> String {
        let long = self.dialect.long_text_type();
        format!(
            "CREATE TABLE {} (\n    id BIGINT NOT NULL, \n    revision VARCHAR(32) NOT NULL, \n    direction VARCHAR(16) NOT NULL, \n    step TEXT, \n    message TEXT, \n    outcome VARCHAR(16) NOT NULL, \n    resolution VARCHAR(64), \n    checksum VARCHAR(64), \n    sql_text {long}, \n    statements_done BIGINT NOT NULL, \n    statements_total BIGINT NOT NULL, \n    done_checksum VARCHAR(64), \n    failed_statement BIGINT, \n    failed_line BIGINT, \n    failed_excerpt TEXT, \n    error TEXT, \n    started_at VARCHAR(32) NOT NULL, \n    finished_at VARCHAR(32), \n    duration_ms BIGINT, \n    db_user VARCHAR(255), \n    client_host VARCHAR(255), \n    migrate_version VARCHAR(32), \n    tag VARCHAR(255), \n    lint_ignored TEXT, \n    CONSTRAINT {} PRIMARY KEY (id)\n)",
            self.table,
            self.dialect.quote_ident(&format!("{}_pkc", self.name))
        )
    }

    /// The table's column names, one per row; no row when it does not exist.
    pub fn columns(&self) -> Query {
        self.dialect
            .table_columns(self.place.schema.as_deref(), &self.name)
    }

    /// Adds a column of `AUDIT_LATER_COLUMNS` to a table from an older `migrate`.
    pub fn add_column(&self, name: &str, sql_type: &str) -> String {
        format!("ALTER TABLE {} ADD COLUMN {name} {sql_type}", self.table)
    }

    /// The id the next row takes: only the lock holder writes here.
    pub fn next_id(&self) -> String {
        format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", self.table)
    }

    pub fn max_id(&self) -> String {
        format!("SELECT MAX(id) FROM {}", self.table)
    }

    /// One INSERT of `rows`, every value bound (its text depends only on the
    /// number of rows and where NULLs are: prepared once).
    pub fn insert<'v>(&self, rows: &'v [AuditValues]) -> (String, Vec<&'v str>) {
        let d = self.dialect;
        let mut sql = self.insert_head();
        let mut params: Vec<&str> = Vec::with_capacity(rows.len() * AUDIT_INSERT_COLUMNS.len());
        for (r, row) in rows.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (i, (value, (_, number))) in row.iter().zip(AUDIT_INSERT_COLUMNS).enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                match value {
                    Some(v) => {
                        params.push(v);
                        sql.push_str(&if number {
                            d.int_placeholder(params.len())
                        } else {
                            d.placeholder(params.len())
                        });
                    }
                    None => sql.push_str("NULL"),
                }
            }
            sql.push(')');
        }
        (sql, params)
    }

    /// One row's INSERT with its values written in, to be sent with others in one message.
    pub fn insert_literal(&self, row: &AuditValues) -> String {
        let mut sql = self.insert_head();
        sql.push('(');
        for (i, (value, (_, number))) in row.iter().zip(AUDIT_INSERT_COLUMNS).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            match value {
                // Numbers come from integers formatted by the journal: digits only.
                Some(v) if number => sql.push_str(v),
                Some(v) => sql.push_str(&self.dialect.text_literal(v)),
                None => sql.push_str("NULL"),
            }
        }
        sql.push(')');
        sql
    }

    fn insert_head(&self) -> String {
        let mut sql = format!("INSERT INTO {} (", self.table);
        for (i, (col, _)) in AUDIT_INSERT_COLUMNS.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(col);
        }
        sql.push_str(") VALUES ");
        sql
    }

    /// Statements done of a running row: parameters done, done_checksum, id.
    pub fn progress(&self) -> String {
        let d = self.dialect;
        format!(
            "UPDATE {} SET statements_done = {}, done_checksum = {} WHERE id = {}",
            self.table,
            d.int_placeholder(1),
            d.placeholder(2),
            d.int_placeholder(3)
        )
    }

    /// A running row finished: parameters outcome, finished_at, duration_ms,
    /// statements_done, done_checksum, id.
    pub fn finish(&self) -> String {
        let d = self.dialect;
        format!(
            "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {}, statements_done = {}, done_checksum = {} WHERE id = {}",
            self.table,
            d.placeholder(1),
            d.placeholder(2),
            d.int_placeholder(3),
            d.int_placeholder(4),
            d.placeholder(5),
            d.int_placeholder(6)
        )
    }

    /// [`AuditTable::finish`] with its values written in.
    pub fn finish_literal(
        &self,
        outcome: &str,
        finished_at: &str,
        duration_ms: u128,
        done: usize,
        done_checksum: &str,
        id: i64,
    ) -> String {
        let d = self.dialect;
        format!(
            "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {duration_ms}, statements_done = {done}, done_checksum = {} WHERE id = {id}",
            self.table,
            d.text_literal(outcome),
            d.text_literal(finished_at),
            d.text_literal(done_checksum)
        )
    }

    /// A running row failed: parameters outcome, finished_at, failed_excerpt,
    /// error; the numbers are written in.
    pub fn fail(
        &self,
        duration_ms: u128,
        statement: Option<usize>,
        line: Option<usize>,
        id: i64,
    ) -> String {
        let d = self.dialect;
        format!(
            "UPDATE {} SET outcome = {}, finished_at = {}, duration_ms = {duration_ms}, failed_statement = {}, failed_line = {}, failed_excerpt = {}, error = {} WHERE id = {id}",
            self.table,
            d.placeholder(1),
            d.placeholder(2),
            number_or_null(statement),
            number_or_null(line),
            d.placeholder(3),
            d.placeholder(4),
        )
    }

    /// Where a finished row failed: parameters failed_excerpt, error.
    pub fn set_failure(&self, statement: Option<usize>, line: Option<usize>, id: i64) -> String {
        let d = self.dialect;
        format!(
            "UPDATE {} SET failed_statement = {}, failed_line = {}, failed_excerpt = {}, error = {} WHERE id = {id}",
            self.table,
            number_or_null(statement),
            number_or_null(line),
            d.placeholder(1),
            d.placeholder(2),
        )
    }

    /// Marks a row dealt with: parameter resolution.
    pub fn resolve(&self, id: i64) -> String {
        format!(
            "UPDATE {} SET resolution = {} WHERE id = {id}",
            self.table,
            self.dialect.placeholder(1)
        )
    }

    /// The ids of rows that failed or were interrupted and are not resolved, newest first.
    pub fn unresolved_ids(&self, running: &str, failed: &str) -> String {
        format!(
            "SELECT id FROM {} WHERE outcome IN ('{running}', '{failed}') AND (resolution IS NULL OR resolution = '') ORDER BY id DESC",
            self.table
        )
    }

    /// Every column of the rows matching `condition` (built from numbers only), newest first.
    /// Every column of `AUDIT_COLUMNS` (NULL for those a table from an older
    /// `migrate` does not have yet, as `present` says), newest row first.
    pub fn select(&self, condition: &str, present: &dyn Fn(&str) -> bool) -> String {
        let columns: Vec<&str> = AUDIT_COLUMNS
            .iter()
            .map(|c| if present(c) { c } else { "NULL" })
            .collect();
        format!(
            "SELECT {} FROM {} WHERE {condition} ORDER BY id DESC",
            columns.join(", "),
            self.table
        )
    }
}

fn number_or_null(v: Option<usize>) -> String {
    v.map_or("NULL".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{dialect_of, Kind};

    #[test]
    fn version_table_sql_quotes_names() {
        let t = VersionTable {
            name: "alembic_version".into(),
            schema: Some("meta".into()),
        };
        let pg = dialect_of(Kind::Postgres);
        assert_eq!(
            pg.version_create(&t),
            "CREATE TABLE \"meta\".\"alembic_version\" (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)\n)"
        );
        let my = dialect_of(Kind::MySql);
        assert_eq!(
            my.version_op(
                &t,
                &VersionOp::Update {
                    from: "a".into(),
                    to: "b".into()
                }
            ),
            Query {
                sql: "UPDATE `meta`.`alembic_version` SET version_num = ? WHERE version_num = ?"
                    .into(),
                params: vec!["b".into(), "a".into()]
            }
        );
        assert_eq!(
            pg.version_op(&t, &VersionOp::Insert("a".into())).sql,
            "INSERT INTO \"meta\".\"alembic_version\" (version_num) VALUES ($1)"
        );
        assert_eq!(
            my.version_op_literal(&t, &VersionOp::Delete("a'b".into())),
            "DELETE FROM `meta`.`alembic_version` WHERE version_num = _utf8mb4 X'612762'"
        );
    }

    #[test]
    fn audit_insert_binds_every_value_and_types_numbers() {
        let t = VersionTable {
            name: "alembic_version".into(),
            schema: None,
        };
        let a = AuditTable::new(dialect_of(Kind::Postgres), &t, "alembic_version_log");
        let mut row: AuditValues = Default::default();
        row[0] = Some("7".into());
        row[1] = Some("r1".into());
        let rows = [row.clone(), row];
        let (sql, params) = a.insert(&rows);
        assert!(sql.starts_with("INSERT INTO \"alembic_version_log\" (id, revision, direction"));
        assert!(sql.contains(
            "VALUES (CAST(CAST($1 AS TEXT) AS BIGINT), $2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (CAST(CAST($3 AS TEXT) AS BIGINT), $4,"
        ));
        assert_eq!(params, vec!["7", "r1", "7", "r1"]);
    }
}
