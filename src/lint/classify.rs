//! One statement of a revision, classified: `sqlparser` parses it with the
//! database's dialect, and this module reduces the syntax tree to the few
//! facts the rules look at ([`Op`]): which table a statement creates, drops,
//! renames or alters, and how. A statement the parser cannot read is
//! [`Op::Unparsed`], which the engine reports as `unchecked`: it is never
//! passed in silence.
//!
//! Pure: text in, values out. Names are compared as the databases compare
//! unquoted names: the last part of a qualified name, in lower case.

use crate::Kind;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeOperation, CharacterLength, ColumnDef,
    ColumnOption, DataType, Expr, GeneratedExpressionMode, Ident, ObjectName, ObjectType,
    RenameTableNameKind, SchemaName, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

/// What a statement does, as far as the rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    CreateTable {
        table: String,
        columns: Vec<Column>,
    },
    CreateIndex {
        table: String,
        name: Option<String>,
        /// The plain columns it covers (expressions left out).
        columns: Vec<String>,
        unique: bool,
        concurrently: bool,
    },
    /// `CREATE SCHEMA` (or a MySQL `CREATE DATABASE`).
    CreateSchema {
        name: String,
    },
    DropIndex {
        names: Vec<String>,
    },
    DropTable {
        tables: Vec<String>,
    },
    DropSchema {
        names: Vec<String>,
    },
    /// `DROP VIEW`, `DROP TYPE`, `DROP FUNCTION`, …: no rows lost.
    DropOther,
    Truncate {
        tables: Vec<String>,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AlterTable {
        table: String,
        actions: Vec<Action>,
    },
    /// `ALTER TYPE … ADD VALUE` (PostgreSQL).
    AddEnumValue,
    /// `SET [LOCAL] name = …`, with the name in lower case.
    Set {
        name: String,
    },
    /// `INSERT`, `UPDATE`, `DELETE` (rows, not schema).
    Dml,
    /// Any other schema change (views, functions, types, comments, …).
    OtherDdl,
    /// Anything else (`SELECT`, transaction control, …).
    Other,
    /// The parser could not read it: the message it gave.
    Unparsed(String),
}

/// A column as a `CREATE TABLE` or `ADD COLUMN` declares it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The declared type, in lower case as the parser prints it.
    pub data_type: String,
    /// The type, as far as the rules compare types.
    pub ty: Ty,
    pub not_null: bool,
    /// The default, if any.
    pub default: Option<Default>,
    pub primary_key: bool,
    pub unique: bool,
    /// A stored generated column, an identity column or a serial type: every
    /// existing row gets a value computed when it is added.
    pub computed: bool,
    /// `AUTO_INCREMENT` (MySQL).
    pub auto_increment: bool,
    /// `REFERENCES …` on the column.
    pub references: bool,
    /// `FIRST` or `AFTER col` (MySQL).
    pub positioned: bool,
}

/// A column default, as far as a rewrite of the table depends on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Default {
    /// `DEFAULT NULL`.
    Null,
    /// A literal (`0`, `'x'`, `-1.5`, `TRUE`): no function involved.
    Literal,
    /// A constant, or a function that gives one value per statement (`now()`).
    Constant,
    /// An expression that may give each row another value (the function named).
    Volatile(String),
}

/// A type, as far as the rules compare types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ty {
    /// `VARCHAR(n)`; `None` for no length.
    Varchar(Option<u64>),
    Text,
    /// `ENUM('a', 'b')` (MySQL), its labels in order.
    Enum(Vec<String>),
    /// `NUMERIC(p, s)`.
    Numeric(Option<u64>, Option<u64>),
    #[default]
    Other,
}

/// One action of an `ALTER TABLE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    AddColumn(Column),
    DropColumn(Vec<String>),
    RenameColumn {
        from: String,
        to: String,
    },
    RenameTo(String),
    /// `ALTER COLUMN c TYPE t` (PostgreSQL).
    ColumnType {
        column: String,
        data_type: String,
        ty: Ty,
    },
    SetNotNull(String),
    /// `ALTER COLUMN` that sets or drops a default, or drops `NOT NULL`.
    ColumnMetadata(String),
    /// `MODIFY`/`CHANGE` (MySQL): the column's full new definition.
    Redefine {
        column: String,
        new: Column,
    },
    AddConstraint {
        name: Option<String>,
        kind: Constraint,
        not_valid: bool,
    },
    ValidateConstraint(String),
    DropConstraint(String),
    DropPrimaryKey,
    DropIndex(String),
    /// `CONVERT TO CHARACTER SET` (MySQL).
    ConvertCharset,
    /// `ALGORITHM = …` (MySQL), in lower case.
    Algorithm(String),
    Other,
}

/// A constraint added to an existing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// `UNIQUE (…)` or `PRIMARY KEY (…)`; `using_index` when built from an
    /// existing index (`USING INDEX`).
    Unique {
        primary: bool,
        using_index: bool,
    },
    ForeignKey,
    /// `CHECK (…)`; the column when the check is `col IS NOT NULL`.
    Check {
        not_null_of: Option<String>,
    },
    Other,
}

/// The parser's dialect for `kind`.
fn dialect(kind: Kind) -> Box<dyn Dialect> {
    match kind {
        Kind::Postgres => Box::new(PostgreSqlDialect {}),
        Kind::MySql => Box::new(MySqlDialect {}),
        Kind::Sqlite => Box::new(SQLiteDialect {}),
    }
}

/// Classifies one statement (its text, without the final delimiter).
pub fn classify(text: &str, kind: Kind) -> Op {
    match parse(text, kind) {
        // SQLite reads `PRAGMA x = ON` as `= 1`; the parser takes numbers only.
        op @ Op::Unparsed(_) if kind == Kind::Sqlite => {
            pragma_as_number(text).map_or(op, |t| parse(&t, kind))
        }
        op => op,
    }
}

/// `PRAGMA name = ON|OFF|YES|NO|TRUE|FALSE` with the value as SQLite reads it.
fn pragma_as_number(text: &str) -> Option<String> {
    let (head, value) = text.rsplit_once('=')?;
    if !head.trim_start().get(..6)?.eq_ignore_ascii_case("pragma") {
        return None;
    }
    let n = match value.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => "1",
        "off" | "no" | "false" => "0",
        _ => return None,
    };
    Some(format!("{head}= {n}"))
}

fn parse(text: &str, kind: Kind) -> Op {
    let d = dialect(kind);
    let parsed = Parser::new(d.as_ref())
        .with_recursion_limit(64)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements());
    match parsed {
        Ok(mut statements) if statements.len() == 1 => match statements.pop() {
            Some(s) => op_of(s, text),
            None => Op::Other,
        },
        Ok(statements) if statements.is_empty() => Op::Other,
        Ok(_) => Op::Unparsed("read as more than one statement".into()),
        Err(e) => Op::Unparsed(e.to_string()),
    }
}

/// The name as the database compares it: unquoted names in lower case.
fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// The last part of a qualified name.
fn object(n: &ObjectName) -> String {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(ident)
        .unwrap_or_default()
}

fn op_of(s: Statement, text: &str) -> Op {
    match s {
        Statement::CreateTable(t) => Op::CreateTable {
            table: object(&t.name),
            columns: t.columns.iter().map(column).collect(),
        },
        Statement::CreateIndex(i) => Op::CreateIndex {
            table: object(&i.table_name),
            name: i.name.as_ref().map(object),
            columns: i
                .columns
                .iter()
                .filter_map(|c| match &c.column.expr {
                    Expr::Identifier(id) => Some(ident(id)),
                    _ => None,
                })
                .collect(),
            unique: i.unique,
            concurrently: i.concurrently,
        },
        Statement::CreateSchema { schema_name, .. } => Op::CreateSchema {
            name: match &schema_name {
                SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => object(n),
                // `CREATE SCHEMA AUTHORIZATION joe` names the schema after the role.
                SchemaName::UnnamedAuthorization(role) => ident(role),
            },
        },
        Statement::CreateDatabase { db_name, .. } => Op::CreateSchema {
            name: object(&db_name),
        },
        Statement::Drop {
            object_type, names, ..
        } => {
            let names: Vec<String> = names.iter().map(object).collect();
            match object_type {
                ObjectType::Table => Op::DropTable { tables: names },
                ObjectType::Schema | ObjectType::Database => Op::DropSchema { names },
                ObjectType::Index => Op::DropIndex { names },
                _ => Op::DropOther,
            }
        }
        Statement::Truncate(t) => Op::Truncate {
            tables: t.table_names.iter().map(|t| object(&t.name)).collect(),
        },
        Statement::RenameTable(renames) => match renames.first() {
            Some(r) => Op::RenameTable {
                from: object(&r.old_name),
                to: object(&r.new_name),
            },
            None => Op::OtherDdl,
        },
        Statement::AlterTable(a) => Op::AlterTable {
            table: object(&a.name),
            actions: a.operations.iter().map(action).collect(),
        },
        Statement::AlterType(t) => match t.operation {
            AlterTypeOperation::AddValue(_) => Op::AddEnumValue,
            _ => Op::OtherDdl,
        },
        Statement::Set(set) => Op::Set {
            name: set_name(&set),
        },
        Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => Op::Dml,
        Statement::Merge(_) => Op::Dml,
        Statement::Query(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. } => Op::Other,
        _ => {
            // Everything else that changes the schema starts with one of these.
            let first = text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if matches!(
                first.as_str(),
                "CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE"
            ) {
                Op::OtherDdl
            } else {
                Op::Other
            }
        }
    }
}

fn set_name(set: &sqlparser::ast::Set) -> String {
    use sqlparser::ast::Set;
    match set {
        Set::SingleAssignment { variable, .. } => object(variable),
        Set::MultipleAssignments { assignments } => assignments
            .first()
            .map(|a| object(&a.name))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The type's printed form in lower case, and what the rules compare.
fn ty(t: &DataType) -> (String, Ty) {
    let len = |l: &Option<CharacterLength>| match l {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    };
    let ty = match t {
        DataType::Varchar(l) | DataType::CharacterVarying(l) | DataType::CharVarying(l) => {
            Ty::Varchar(len(l))
        }
        DataType::Text => Ty::Text,
        DataType::Enum(members, _) => Ty::Enum(
            members
                .iter()
                .map(|m| match m {
                    sqlparser::ast::EnumMember::Name(n) => n.clone(),
                    sqlparser::ast::EnumMember::NamedValue(n, _) => n.clone(),
                })
                .collect(),
        ),
        DataType::Numeric(info) | DataType::Decimal(info) => {
            use sqlparser::ast::ExactNumberInfo;
            match info {
                ExactNumberInfo::None => Ty::Numeric(None, None),
                ExactNumberInfo::Precision(p) => Ty::Numeric(Some(*p), Some(0)),
                ExactNumberInfo::PrecisionAndScale(p, s) => {
                    Ty::Numeric(Some(*p), u64::try_from(*s).ok())
                }
            }
        }
        _ => Ty::Other,
    };
    (t.to_string().to_lowercase(), ty)
}

/// A column definition.
pub(crate) fn column(c: &ColumnDef) -> Column {
    let (data_type, t) = ty(&c.data_type);
    let mut col = Column {
        name: ident(&c.name),
        computed: matches!(
            data_type.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ),
        data_type,
        ty: t,
        ..Column::default()
    };
    for o in &c.options {
        match &o.option {
            ColumnOption::NotNull => col.not_null = true,
            ColumnOption::Null => col.not_null = false,
            ColumnOption::Default(e) => col.default = Some(default_of(e)),
            ColumnOption::PrimaryKey(_) => {
                col.primary_key = true;
                col.not_null = true;
            }
            ColumnOption::Unique(_) => col.unique = true,
            ColumnOption::ForeignKey(_) => col.references = true,
            ColumnOption::Generated {
                generation_expr,
                generation_expr_mode,
                ..
            } => {
                // A virtual column computes nothing when it is added; a
                // stored one, an identity column, computes every row.
                let virtual_ = generation_expr.is_some()
                    && !matches!(generation_expr_mode, Some(GeneratedExpressionMode::Stored));
                if !virtual_ {
                    col.computed = true;
                }
            }
            ColumnOption::Identity(_) => col.computed = true,
            ColumnOption::DialectSpecific(tokens) => {
                let t: String = tokens
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect();
                if t.eq_ignore_ascii_case("AUTO_INCREMENT")
                    || t.eq_ignore_ascii_case("AUTOINCREMENT")
                {
                    col.auto_increment = true;
                }
            }
            _ => {}
        }
    }
    col
}

/// Functions that give one value for the whole statement (or are pure):
/// a default of these is computed once, not per row.
const ONE_VALUE: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "current_schema",
    "lower",
    "upper",
    "coalesce",
    "make_date",
    "make_timestamp",
    "array",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "timezone",
    "utc_timestamp",
    "curdate",
    "curtime",
    "datetime",
    "date",
    "time",
    "strftime",
    "julianday",
    "unixepoch",
    "interval",
    "cast",
];

/// A default expression: NULL, a constant, or one that may differ per row.
fn default_of(e: &Expr) -> Default {
    let text = e.to_string().to_lowercase();
    if text == "null" {
        return Default::Null;
    }
    // Every word followed by `(` outside quotes is a function call, and so
    // are SQL's niladic functions (`CURRENT_TIMESTAMP`).
    let mut in_quote = false;
    let mut word = String::new();
    let mut calls = false;
    for c in text.chars().chain(std::iter::once(' ')) {
        if c == '\'' {
            in_quote = !in_quote;
            word.clear();
            continue;
        }
        if in_quote {
            continue;
        }
        if c.is_alphanumeric() || c == '_' || c == '.' {
            word.push(c);
            continue;
        }
        let niladic = matches!(
            word.as_str(),
            "current_timestamp" | "current_date" | "current_time" | "localtime" | "localtimestamp"
        );
        if (c == '(' && !word.is_empty()) || niladic {
            calls = true;
            let name = word.rsplit('.').next().unwrap_or(&word).to_string();
            if !ONE_VALUE.contains(&name.as_str()) {
                return Default::Volatile(name);
            }
        }
        if !c.is_whitespace() || niladic {
            word.clear();
        }
    }
    if calls {
        Default::Constant
    } else {
        Default::Literal
    }
}

fn constraint(c: &TableConstraint) -> (Option<String>, Constraint) {
    match c {
        // MySQL's `UNIQUE KEY idx (…)` names the index, which is what a
        // `DROP INDEX` names.
        TableConstraint::Unique(u) => (
            u.index_name.as_ref().or(u.name.as_ref()).map(ident),
            Constraint::Unique {
                primary: false,
                using_index: false,
            },
        ),
        TableConstraint::PrimaryKey(p) => (
            p.index_name.as_ref().or(p.name.as_ref()).map(ident),
            Constraint::Unique {
                primary: true,
                using_index: false,
            },
        ),
        TableConstraint::ForeignKey(f) => (f.name.as_ref().map(ident), Constraint::ForeignKey),
        // MySQL's `ADD KEY name (…)` / `ADD FULLTEXT name (…)`: named, so a
        // downgrade's `DROP INDEX name` is known to undo it.
        TableConstraint::Index(i) => (i.name.as_ref().map(ident), Constraint::Other),
        TableConstraint::FulltextOrSpatial(f) => {
            (f.opt_index_name.as_ref().map(ident), Constraint::Other)
        }
        TableConstraint::Check(k) => (
            k.name.as_ref().map(ident),
            Constraint::Check {
                not_null_of: match k.expr.as_ref() {
                    Expr::IsNotNull(inner) => match inner.as_ref() {
                        Expr::Identifier(i) => Some(ident(i)),
                        Expr::CompoundIdentifier(parts) => parts.last().map(ident),
                        _ => None,
                    },
                    _ => None,
                },
            },
        ),
        TableConstraint::UniqueUsingIndex(c) => (
            c.name.as_ref().map(ident),
            Constraint::Unique {
                primary: false,
                using_index: true,
            },
        ),
        TableConstraint::PrimaryKeyUsingIndex(c) => (
            c.name.as_ref().map(ident),
            Constraint::Unique {
                primary: true,
                using_index: true,
            },
        ),
        TableConstraint::Exclude(_) => (None, Constraint::Other),
    }
}

fn action(a: &AlterTableOperation) -> Action {
    use AlterTableOperation as A;
    match a {
        A::AddColumn {
            column_def,
            column_position,
            ..
        } => {
            let mut c = column(column_def);
            c.positioned = column_position.is_some();
            Action::AddColumn(c)
        }
        A::DropColumn { column_names, .. } => {
            Action::DropColumn(column_names.iter().map(ident).collect())
        }
        A::RenameColumn {
            old_column_name,
            new_column_name,
        } => Action::RenameColumn {
            from: ident(old_column_name),
            to: ident(new_column_name),
        },
        A::RenameTable { table_name } => Action::RenameTo(match table_name {
            RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => object(n),
        }),
        A::AlterColumn { column_name, op } => {
            let column = ident(column_name);
            match op {
                AlterColumnOperation::SetDataType { data_type, .. } => {
                    let (data_type, ty) = ty(data_type);
                    Action::ColumnType {
                        column,
                        data_type,
                        ty,
                    }
                }
                AlterColumnOperation::SetNotNull => Action::SetNotNull(column),
                AlterColumnOperation::DropNotNull
                | AlterColumnOperation::SetDefault { .. }
                | AlterColumnOperation::DropDefault => Action::ColumnMetadata(column),
                _ => Action::Other,
            }
        }
        A::ModifyColumn {
            col_name,
            data_type,
            options,
            column_position,
        } => Action::Redefine {
            column: ident(col_name),
            new: redefined(col_name, data_type, options, column_position.is_some()),
        },
        A::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            column_position,
        } => Action::Redefine {
            column: ident(old_name),
            new: redefined(new_name, data_type, options, column_position.is_some()),
        },
        A::AddConstraint {
            constraint: c,
            not_valid,
        } => {
            let (name, kind) = constraint(c);
            Action::AddConstraint {
                name,
                kind,
                not_valid: *not_valid,
            }
        }
        A::ValidateConstraint { name } => Action::ValidateConstraint(ident(name)),
        A::DropConstraint { name, .. } => Action::DropConstraint(ident(name)),
        A::DropForeignKey { name, .. } => Action::DropConstraint(ident(name)),
        A::DropPrimaryKey { .. } => Action::DropPrimaryKey,
        A::DropIndex { name } => Action::DropIndex(ident(name)),
        A::Algorithm { algorithm, .. } => Action::Algorithm(algorithm.to_string().to_lowercase()),
        _ => {
            let t = a.to_string().to_ascii_uppercase();
            if t.starts_with("CONVERT TO CHARACTER SET") {
                Action::ConvertCharset
            } else {
                Action::Other
            }
        }
    }
}

fn redefined(
    name: &Ident,
    data_type: &DataType,
    options: &[ColumnOption],
    positioned: bool,
) -> Column {
    let def = ColumnDef {
        name: name.clone(),
        data_type: data_type.clone(),
        options: options
            .iter()
            .map(|o| sqlparser::ast::ColumnOptionDef {
                name: None,
                option: o.clone(),
            })
            .collect(),
    };
    let mut c = column(&def);
    c.positioned = positioned;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_classified_per_dialect() {
        let pg = |s| classify(s, Kind::Postgres);
        assert!(matches!(
            pg("CREATE INDEX CONCURRENTLY i ON public.T (a)"),
            Op::CreateIndex { table, concurrently: true, unique: false, .. } if table == "t"
        ));
        assert!(matches!(pg("DROP TABLE a, b"), Op::DropTable { tables } if tables == ["a", "b"]));
        assert!(
            matches!(pg("SET lock_timeout = '5s'"), Op::Set { name } if name == "lock_timeout")
        );
        assert!(
            matches!(pg("SET LOCAL lock_timeout TO '5s'"), Op::Set { name } if name == "lock_timeout")
        );
        assert!(matches!(pg("TRUNCATE t"), Op::Truncate { .. }));
        assert!(matches!(pg("INSERT INTO t VALUES (1)"), Op::Dml));
        assert!(matches!(pg("CREATE TABLE t (id int"), Op::Unparsed(_)));
        assert!(matches!(
            classify("PRAGMA legacy_alter_table = ON", Kind::Sqlite),
            Op::Other
        ));
        assert!(matches!(
            classify("REINDEX big", Kind::Sqlite),
            Op::Unparsed(_)
        ));
        let Op::AlterTable { table, actions } =
            pg("ALTER TABLE t ADD COLUMN c uuid NOT NULL DEFAULT gen_random_uuid()")
        else {
            panic!()
        };
        assert_eq!(table, "t");
        let Action::AddColumn(c) = &actions[0] else {
            panic!()
        };
        assert!(c.not_null);
        assert_eq!(c.default, Some(Default::Volatile("gen_random_uuid".into())));
        let Op::AlterTable { actions, .. } =
            pg("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()")
        else {
            panic!()
        };
        let Action::AddColumn(c) = &actions[0] else {
            panic!()
        };
        assert_eq!(c.default, Some(Default::Constant));
        let Op::AlterTable { actions, .. } =
            pg("ALTER TABLE t ADD CONSTRAINT c CHECK (x IS NOT NULL) NOT VALID")
        else {
            panic!()
        };
        assert_eq!(
            actions[0],
            Action::AddConstraint {
                name: Some("c".into()),
                kind: Constraint::Check {
                    not_null_of: Some("x".into())
                },
                not_valid: true
            }
        );
        let my = |s| classify(s, Kind::MySql);
        let Op::AlterTable { actions, .. } =
            my("ALTER TABLE t MODIFY COLUMN s ENUM('a','b') NOT NULL")
        else {
            panic!()
        };
        let Action::Redefine { new, .. } = &actions[0] else {
            panic!()
        };
        assert_eq!(new.ty, Ty::Enum(vec!["a".into(), "b".into()]));
        assert!(
            matches!(my("RENAME TABLE a TO b"), Op::RenameTable { from, to } if from == "a" && to == "b")
        );
    }
}
