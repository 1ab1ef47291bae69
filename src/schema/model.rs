//! The normalized model of a database schema, as the backends' catalog
//! readers fill it from the servers' own catalogs: one value for PostgreSQL,
//! MySQL/MariaDB and SQLite alike, with the parts only one of them has left
//! empty on the others. Expressions, types and definitions are the
//! server's own canonical text (`pg_get_expr`, `information_schema`,
//! `SHOW CREATE`, `sqlite_master`), so two schemas are compared by value.
//!
//! Pure: values only.

use std::collections::BTreeMap;

/// A name in a schema: PostgreSQL's schema (namespace) and the object's
/// name; MySQL and SQLite have one namespace (the database), `schema` is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub schema: Option<String>,
    pub name: String,
}

impl QName {
    pub fn new(schema: Option<&str>, name: &str) -> QName {
        QName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// An unqualified name (MySQL, SQLite).
    pub fn bare(name: &str) -> QName {
        QName::new(None, name)
    }
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A whole schema: everything `migrate` compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// PostgreSQL schemas (namespaces) other than `public`.
    pub schemas: BTreeMap<String, Namespace>,
    /// PostgreSQL extensions.
    pub extensions: BTreeMap<String, Extension>,
    /// PostgreSQL enum types.
    pub enums: BTreeMap<QName, EnumType>,
    /// Sequences not owned by an identity column.
    pub sequences: BTreeMap<QName, Sequence>,
    pub tables: BTreeMap<QName, Table>,
    /// Views and materialized views.
    pub views: BTreeMap<QName, View>,
    /// Functions and procedures, by name and argument types.
    pub routines: BTreeMap<RoutineId, Routine>,
    /// Triggers, by table and name.
    pub triggers: BTreeMap<(QName, String), Trigger>,
    /// MySQL events.
    pub events: BTreeMap<QName, Event>,
}

impl Catalog {
    /// True when the schema holds nothing.
    pub fn is_empty(&self) -> bool {
        *self == Catalog::default()
    }

    /// How many objects it holds (tables, views, routines, …): for messages.
    pub fn objects(&self) -> usize {
        self.schemas.len()
            + self.extensions.len()
            + self.enums.len()
            + self.sequences.len()
            + self.tables.len()
            + self.views.len()
            + self.routines.len()
            + self.triggers.len()
            + self.events.len()
    }
}

/// A PostgreSQL schema (namespace).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub comment: Option<String>,
}

/// A PostgreSQL extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    /// The schema it was created in.
    pub schema: String,
}

/// A PostgreSQL enum type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnumType {
    pub name: QName,
    /// The labels, in sort order.
    pub labels: Vec<String>,
    pub comment: Option<String>,
}

/// A sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    pub name: QName,
    /// The type (`bigint`, `integer`, `smallint`).
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `table.column` owning it (`OWNED BY`), if any.
    pub owned_by: Option<(QName, String)>,
}

/// A table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub name: QName,
    /// In the table's order.
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    /// Unique constraints (not unique indexes, which are in `indexes`).
    pub uniques: Vec<Key>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes that no constraint owns.
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    pub options: TableOptions,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// What only some databases say of a table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// MySQL: storage engine.
    pub engine: Option<String>,
    /// MySQL: default character set and collation.
    pub charset: Option<String>,
    pub collation: Option<String>,
    /// SQLite: `STRICT` and `WITHOUT ROWID`.
    pub strict: bool,
    pub without_rowid: bool,
    /// SQLite: a virtual table's module and its arguments (`fts5(title, body)`).
    pub using: Option<String>,
    /// PostgreSQL: `PARTITION BY …` of a partitioned table.
    pub partition_by: Option<String>,
    /// PostgreSQL: the parent and bound of a partition (`FOR VALUES …`).
    pub partition_of: Option<(QName, String)>,
    /// The server's own `CREATE TABLE` where it gives one (MySQL `SHOW CREATE
    /// TABLE`, SQLite `sqlite_master.sql`): how a new table is created, as the
    /// desired schema wrote it. Not compared.
    pub create_sql: Option<String>,
}

/// A column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type as the server writes it (`character varying(50)`, `varchar(50)`, `TEXT`).
    pub data_type: String,
    pub nullable: bool,
    /// The default expression as the server writes it.
    pub default: Option<String>,
    /// PostgreSQL identity: `ALWAYS` or `BY DEFAULT`.
    pub identity: Option<String>,
    /// MySQL `AUTO_INCREMENT`; SQLite `AUTOINCREMENT` on the primary key.
    pub auto_increment: bool,
    /// A generated column's expression, and whether it is stored.
    pub generated: Option<Generated>,
    pub collation: Option<String>,
    pub comment: Option<String>,
    /// MySQL: the `ON UPDATE` expression (`current_timestamp()`).
    pub on_update: Option<String>,
    /// MySQL/MariaDB: an `INVISIBLE` column (left out of `SELECT *`).
    pub invisible: bool,
    /// The column's definition as the server writes it where it gives one
    /// (a MySQL `SHOW CREATE TABLE` line): how it is added or changed. Not compared.
    pub definition: Option<String>,
}

/// A generated column's expression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub expression: String,
    pub stored: bool,
}

/// A primary key or unique constraint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Key {
    /// The constraint's name (SQLite's may have none).
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// The server's definition (`PRIMARY KEY (id)`, `UNIQUE (a, b)`).
    pub definition: String,
}

/// A check constraint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Check {
    pub name: Option<String>,
    /// The server's definition (`CHECK ((price > 0))`).
    pub definition: String,
    /// MariaDB: the column a column-level check was declared on (such a
    /// check goes only with a `MODIFY` of its column). Not compared.
    pub column: Option<String>,
}

/// A foreign key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: QName,
    pub ref_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`, `SET DEFAULT`.
    pub on_delete: String,
    pub on_update: String,
    /// The server's definition, where it gives one (PostgreSQL `pg_get_constraintdef`).
    pub definition: String,
}

/// An index no constraint owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// The server's whole `CREATE [UNIQUE] INDEX …` (method, expressions,
    /// prefix lengths, partial predicate included): compared, and run to
    /// create it unless `create_sql` is given.
    pub definition: String,
    pub comment: Option<String>,
    /// The `CREATE INDEX` to run where `definition` is a normalized form of
    /// it made to be compared (SQLite). Not compared.
    pub create_sql: Option<String>,
}

/// A view or materialized view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub name: QName,
    pub materialized: bool,
    /// The server's definition of the query (PostgreSQL `pg_get_viewdef`,
    /// MySQL `VIEW_DEFINITION`), or the whole `CREATE VIEW` (SQLite).
    pub definition: String,
    /// Indexes of a materialized view.
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// MySQL: `ALGORITHM=… SQL SECURITY …`, as the server reports them.
    pub options: Option<String>,
    /// The server's own `CREATE VIEW`, where it gives one. Not compared.
    pub create_sql: Option<String>,
    /// The tables and views it reads (from the server's dependency records,
    /// or its definition where there are none). Not compared.
    pub depends_on: Vec<QName>,
}

/// A function or procedure's identity: its name and argument types.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoutineId {
    pub name: QName,
    /// `integer, text` (PostgreSQL); empty where names are unique (MySQL).
    pub arguments: String,
}

/// A function or procedure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routine {
    pub id: RoutineId,
    pub procedure: bool,
    /// The server's whole `CREATE …` (`pg_get_functiondef`, `SHOW CREATE
    /// FUNCTION` without its `DEFINER`).
    pub definition: String,
    pub comment: Option<String>,
}

/// A trigger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trigger {
    pub table: QName,
    pub name: String,
    /// The server's whole `CREATE TRIGGER …` (without a MySQL `DEFINER`).
    pub definition: String,
    /// The `CREATE TRIGGER` to run where `definition` is a normalized form of
    /// it made to be compared (SQLite). Not compared.
    pub create_sql: Option<String>,
}

/// A MySQL event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub name: QName,
    /// `SHOW CREATE EVENT` without its `DEFINER`.
    pub definition: String,
}
