//! Table tests of the diff and the plan: catalogs in, changes out.

use super::diff::{diff, AlterSupport, Change, Position, Renames};
use super::model::*;
use super::plan::{hazard, order};
use super::{migration, Ddl, Unsupported};

fn col(name: &str, ty: &str, nullable: bool) -> Column {
    Column {
        name: name.into(),
        data_type: ty.into(),
        nullable,
        ..Default::default()
    }
}

fn table(name: &str, cols: &[Column]) -> Table {
    Table {
        name: QName::bare(name),
        columns: cols.to_vec(),
        ..Default::default()
    }
}

fn catalog(tables: &[Table]) -> Catalog {
    let mut c = Catalog::default();
    for t in tables {
        c.tables.insert(t.name.clone(), t.clone());
    }
    c
}

/// A database that writes nothing, with the given `ALTER TABLE` support.
struct Alter(AlterSupport);

impl Ddl for Alter {
    fn alter_support(&self) -> AlterSupport {
        self.0
    }
    fn render(&self, _: &Change, _: &Catalog, _: &Catalog) -> Result<Vec<String>, Unsupported> {
        Ok(Vec::new())
    }
}

const SQLITE: &Alter = &Alter(AlterSupport {
    alter_column: false,
    drop_column: false,
    rename_column: true,
    constraints: false,
    column_position: false,
});

const MYSQL: &Alter = &Alter(AlterSupport {
    column_position: true,
    ..AlterSupport::FULL
});

const FULL: &Alter = &Alter(AlterSupport::FULL);

/// A one-word summary of each change, for the table tests.
fn names(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::CreateTable(t) => format!("create table {}", t.name),
            Change::DropTable(t) => format!("drop table {}", t.name),
            Change::RenameTable { from, to } => format!("rename table {from} to {to}"),
            Change::RebuildTable { from, .. } => format!("rebuild {}", from.name),
            Change::AddColumn {
                table,
                column,
                position,
            } => format!("add {table}.{} {position:?}", column.name),
            Change::DropColumn { table, column } => format!("drop {table}.{}", column.name),
            Change::RenameColumn { table, from, to } => format!("rename {table}.{from} to {to}"),
            Change::AlterColumn {
                table,
                to,
                position,
                ..
            } => format!("alter {table}.{} {position:?}", to.name),
            Change::CreateView(v) => format!("create view {}", v.name),
            Change::DropView(v) => format!("drop view {}", v.name),
            Change::AddForeignKey { table, .. } => format!("add fk on {table}"),
            Change::DropForeignKey { table, .. } => format!("drop fk on {table}"),
            Change::CreateIndex { index, .. } => format!("create index {}", index.name),
            Change::DropIndex { index, .. } => format!("drop index {}", index.name),
            Change::AddEnumLabel { label, before, .. } => {
                format!("add label {label} before {before:?}")
            }
            Change::RecreateEnum { to, .. } => format!("recreate enum {}", to.name),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn nothing_differs_nothing_changes() {
    let c = catalog(&[table("t", &[col("id", "integer", false)])]);
    assert!(diff(&c, &c, &Renames::default(), FULL).is_empty());
    // What the server writes for information only does not count.
    let mut d = c.clone();
    d.tables.get_mut(&QName::bare("t")).unwrap().columns[0].definition = Some("`id` int".into());
    d.tables
        .get_mut(&QName::bare("t"))
        .unwrap()
        .options
        .create_sql = Some("CREATE TABLE t".into());
    assert!(diff(&c, &d, &Renames::default(), FULL).is_empty());
}

#[test]
fn new_columns_go_where_the_database_can_put_them() {
    let a = catalog(&[table(
        "t",
        &[col("id", "int", false), col("b", "int", true)],
    )]);
    let b = catalog(&[table(
        "t",
        &[
            col("id", "int", false),
            col("a", "int", true),
            col("b", "int", true),
            col("z", "int", true),
        ],
    )]);
    let r = Renames::default();
    assert_eq!(
        names(&diff(&a, &b, &r, MYSQL)),
        ["add t.a After(\"id\")", "add t.z After(\"b\")"]
    );
    // PostgreSQL adds at the end only: a column in the middle stays at the end.
    assert_eq!(
        names(&diff(&a, &b, &r, FULL)),
        ["add t.a Last", "add t.z Last"]
    );
    // SQLite likewise: column order counts only where a column can be placed.
    assert_eq!(
        names(&diff(&a, &b, &r, SQLITE)),
        ["add t.a Last", "add t.z Last"]
    );
}

#[test]
fn mysql_keeps_column_order_by_moving_columns() {
    let a = catalog(&[table(
        "t",
        &[
            col("a", "int", true),
            col("b", "int", true),
            col("c", "int", true),
        ],
    )]);
    let b = catalog(&[table(
        "t",
        &[
            col("a", "int", true),
            col("c", "int", true),
            col("b", "int", true),
        ],
    )]);
    assert_eq!(
        names(&diff(&a, &b, &Renames::default(), MYSQL)),
        [
            "alter t.a Some(First)",
            "alter t.c Some(After(\"a\"))",
            "alter t.b Some(After(\"c\"))"
        ]
    );
    assert!(diff(&a, &b, &Renames::default(), SQLITE).is_empty());
}

#[test]
fn renames_from_hints_and_hints_that_no_longer_apply() {
    let a = catalog(&[table(
        "accounts",
        &[col("id", "int", false), col("mail", "text", true)],
    )]);
    let b = catalog(&[table(
        "users",
        &[col("id", "int", false), col("email", "text", true)],
    )]);
    let mut r = Renames::default();
    r.tables
        .insert(QName::bare("users"), QName::bare("accounts"));
    r.columns
        .insert((QName::bare("users"), "email".into()), "mail".into());
    assert_eq!(
        names(&diff(&a, &b, &r, FULL)),
        [
            "rename table accounts to users",
            "rename users.mail to email"
        ]
    );
    // The way back renames back.
    assert_eq!(
        names(&diff(&b, &a, &r.reversed(), FULL)),
        [
            "rename table users to accounts",
            "rename accounts.email to mail"
        ]
    );
    // Once applied, the hint has nothing to do.
    assert!(diff(&b, &b, &r, FULL).is_empty());
    // Without the hint: drop and create.
    assert_eq!(
        names(&diff(&a, &b, &Renames::default(), FULL)),
        ["drop table accounts", "create table users"]
    );
}

#[test]
fn enum_labels_are_added_in_place_or_the_type_made_again() {
    let e = |labels: &[&str]| {
        let mut c = Catalog::default();
        let name = QName::new(Some("public"), "mood");
        c.enums.insert(
            name.clone(),
            EnumType {
                name,
                labels: labels
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect(),
                comment: None,
            },
        );
        c
    };
    let r = Renames::default();
    assert_eq!(
        names(&diff(
            &e(&["sad", "happy"]),
            &e(&["sad", "ok", "happy", "great"]),
            &r,
            FULL
        )),
        [
            "add label ok before Some(\"happy\")",
            "add label great before None"
        ]
    );
    assert_eq!(
        names(&diff(
            &e(&["sad", "happy"]),
            &e(&["happy", "sad"]),
            &r,
            FULL
        )),
        ["recreate enum public.mood"]
    );
    assert_eq!(
        names(&diff(&e(&["sad", "happy"]), &e(&["sad"]), &r, FULL)),
        ["recreate enum public.mood"]
    );
}

#[test]
fn constraints_and_indexes_match_by_name_and_definition() {
    let mut a = table("t", &[col("id", "int", false)]);
    a.indexes.push(Index {
        name: "t_id".into(),
        unique: false,
        definition: "CREATE INDEX t_id ON t (id)".into(),
        ..Default::default()
    });
    let mut b = a.clone();
    b.indexes[0].definition = "CREATE INDEX t_id ON t USING hash (id)".into();
    assert_eq!(
        names(&diff(
            &catalog(&[a.clone()]),
            &catalog(&[b]),
            &Renames::default(),
            FULL
        )),
        ["drop index t_id", "create index t_id"]
    );
    // Unnamed checks (SQLite) match by definition alone.
    let mut c = a.clone();
    c.checks.push(Check {
        name: None,
        definition: "CHECK (id > 0)".into(),
        ..Default::default()
    });
    let mut d = c.clone();
    d.checks[0].name = Some("t_check".into());
    assert!(diff(
        &catalog(&[c.clone()]),
        &catalog(&[d]),
        &Renames::default(),
        FULL
    )
    .is_empty());
}

fn view(name: &str, reads: &[&str]) -> View {
    View {
        name: QName::bare(name),
        definition: format!("SELECT * FROM {}", reads.join(", ")),
        depends_on: reads.iter().map(|r| QName::bare(r)).collect(),
        ..Default::default()
    }
}

#[test]
fn views_reading_a_changed_table_are_dropped_first_and_created_after() {
    let t = table("t", &[col("id", "int", false), col("v", "int", true)]);
    let mut a = catalog(std::slice::from_ref(&t));
    a.views.insert(QName::bare("v1"), view("v1", &["t"]));
    a.views.insert(QName::bare("v2"), view("v2", &["v1"]));
    let mut b = a.clone();
    b.tables.get_mut(&QName::bare("t")).unwrap().columns[1].data_type = "bigint".into();
    let changes = order(diff(&a, &b, &Renames::default(), FULL), &a, &b);
    assert_eq!(
        names(&changes),
        [
            "drop view v2",
            "drop view v1",
            "alter t.v None",
            "create view v1",
            "create view v2"
        ]
    );
}

#[test]
fn the_plan_drops_dependents_first_and_creates_them_last() {
    let mut parent = table("parent", &[col("id", "int", false)]);
    parent.primary_key = Some(Key {
        name: Some("parent_pkey".into()),
        columns: vec!["id".into()],
        definition: "PRIMARY KEY (id)".into(),
    });
    let mut child = table(
        "child",
        &[col("id", "int", false), col("parent_id", "int", true)],
    );
    child.foreign_keys.push(ForeignKey {
        name: Some("child_parent".into()),
        columns: vec!["parent_id".into()],
        ref_table: QName::bare("parent"),
        ref_columns: vec!["id".into()],
        on_delete: "CASCADE".into(),
        on_update: "NO ACTION".into(),
        definition: String::new(),
    });
    let before = catalog(&[]);
    let after = catalog(&[parent.clone(), child.clone()]);
    let r = Renames::default();
    // Up: tables, then the foreign key.
    assert_eq!(
        names(&order(diff(&before, &after, &r, FULL), &before, &after)),
        ["create table child", "create table parent"]
    );
    // Down: the tables only (their keys go with them).
    assert_eq!(
        names(&order(diff(&after, &before, &r, FULL), &after, &before)),
        ["drop table child", "drop table parent"]
    );
    // Dropping the parent alone: the child's key is dropped first.
    let mut orphan = child.clone();
    orphan.foreign_keys.clear();
    let less = catalog(&[orphan]);
    assert_eq!(
        names(&order(diff(&after, &less, &r, FULL), &after, &less)),
        ["drop fk on child", "drop table parent"]
    );
}

#[test]
fn hazards_name_what_can_be_lost_or_fail() {
    let t = QName::bare("t");
    let nullable = col("c", "integer", true);
    let mut not_null = nullable.clone();
    not_null.nullable = false;
    let mut narrower = nullable.clone();
    narrower.data_type = "smallint".into();
    let cases: Vec<(Change, Option<&str>)> = vec![
        (Change::DropTable(table("t", &[])), Some("drops table t and all its rows")),
        (
            Change::DropColumn { table: t.clone(), column: nullable.clone() },
            Some("drops column t.c and its data"),
        ),
        (
            Change::AlterColumn { table: t.clone(), from: nullable.clone(), to: not_null.clone(), position: None },
            Some("makes t.c NOT NULL without a default: fails if a row holds NULL there"),
        ),
        (
            Change::AlterColumn { table: t.clone(), from: nullable.clone(), to: narrower, position: None },
            Some("changes the type of t.c from integer to smallint: rows whose value does not fit fail or lose data"),
        ),
        (
            Change::AddColumn { table: t.clone(), column: not_null.clone(), position: Position::Last },
            Some("adds NOT NULL column t.c without a default: fails if the table has rows"),
        ),
        (
            Change::AddColumn { table: t.clone(), column: nullable.clone(), position: Position::Last },
            None,
        ),
        (
            Change::AddUnique {
                table: t.clone(),
                key: Key { name: None, columns: vec!["c".into()], definition: "UNIQUE (c)".into() },
            },
            Some("adds a unique constraint on t (c): fails if rows repeat a value"),
        ),
        (Change::CreateTable(table("t", &[])), None),
    ];
    for (change, expected) in cases {
        assert_eq!(hazard(&change).as_deref(), expected, "{change:?}");
    }
}

/// Writes each change as its debug text: enough to see `migration` put
/// warnings and statements together.
struct Words;

impl Ddl for Words {
    fn alter_support(&self) -> AlterSupport {
        AlterSupport::FULL
    }
    fn render(
        &self,
        change: &Change,
        _: &Catalog,
        _: &Catalog,
    ) -> Result<Vec<String>, Unsupported> {
        match change {
            Change::AlterTableOptions { table, .. } => Err(Unsupported {
                what: format!("change the options of table {table}"),
                why: "test".into(),
            }),
            other => Ok(names(std::slice::from_ref(other))),
        }
    }
}

#[test]
fn a_migration_is_the_ordered_statements_and_their_warnings() {
    let a = catalog(&[table("old", &[col("id", "int", false)])]);
    let b = catalog(&[table("new", &[col("id", "int", false)])]);
    let m = migration(&a, &b, &Renames::default(), &Words).unwrap();
    assert_eq!(m.statements, ["create table new", "drop table old"]);
    assert_eq!(m.warnings, ["drops table old and all its rows"]);
    let mut c = b.clone();
    c.tables
        .get_mut(&QName::bare("new"))
        .unwrap()
        .options
        .engine = Some("MyISAM".into());
    let e = migration(&b, &c, &Renames::default(), &Words).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot change the options of table new: test"
    );
}

#[test]
fn a_rebuilt_table_has_its_columns_renamed_in_place_first() {
    let a = catalog(&[table(
        "t",
        &[col("id", "int", false), col("mail", "text", true)],
    )]);
    let b = catalog(&[table(
        "t",
        &[col("id", "int", false), col("email", "varchar(99)", true)],
    )]);
    let mut r = Renames::default();
    r.columns
        .insert((QName::bare("t"), "email".into()), "mail".into());
    let changes = diff(&a, &b, &r, SQLITE);
    assert_eq!(names(&changes), ["rename t.mail to email", "rebuild t"]);
    // The rebuild starts from the table as the rename left it: each column
    // is copied to its own name.
    let Change::RebuildTable { from, .. } = &changes[1] else {
        panic!("{changes:?}")
    };
    let cols: Vec<&str> = from.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cols, ["id", "email"]);
    // In plan order too, and back the other way.
    let ordered = order(changes, &a, &b);
    assert_eq!(names(&ordered), ["rename t.mail to email", "rebuild t"]);
    assert_eq!(
        names(&diff(&b, &a, &r.reversed(), SQLITE)),
        ["rename t.email to mail", "rebuild t"]
    );
}

#[test]
fn tables_are_rebuilt_after_the_tables_they_reference() {
    let parent = |ty: &str| table("z_parent", &[col("id", ty, false)]);
    let child = |ty: &str| {
        let mut t = table("a_child", &[col("id", ty, false), col("p", "int", true)]);
        t.foreign_keys.push(ForeignKey {
            columns: vec!["p".into()],
            ref_table: QName::bare("z_parent"),
            ref_columns: vec!["id".into()],
            ..Default::default()
        });
        t
    };
    let a = catalog(&[parent("int"), child("int")]);
    let b = catalog(&[parent("bigint"), child("bigint")]);
    let changes = order(diff(&a, &b, &Renames::default(), SQLITE), &a, &b);
    assert_eq!(names(&changes), ["rebuild z_parent", "rebuild a_child"]);
}

#[test]
fn a_rebuild_names_the_data_it_can_lose() {
    let from = table(
        "t",
        &[
            col("id", "int", false),
            col("gone", "text", true),
            col("n", "int", true),
        ],
    );
    let mut to = table(
        "t",
        &[
            col("id", "int", false),
            col("n", "int", false),
            col("added", "int", false),
        ],
    );
    to.uniques.push(Key {
        name: None,
        columns: vec!["id".into()],
        definition: "UNIQUE (id)".into(),
    });
    let h = hazard(&Change::RebuildTable { from, to }).unwrap();
    assert_eq!(
        h,
        "rebuilds table t (new table, rows copied, old one dropped): fails if a row does not fit the new definition; \
         drops column t.gone and its data; \
         makes t.n NOT NULL without a default: fails if a row holds NULL there; \
         adds NOT NULL column t.added without a default: fails if the table has rows; \
         adds a unique constraint on t (id): fails if rows repeat a value"
    );
}

#[test]
fn text_kept_only_to_be_run_is_not_compared() {
    let mut t = table("t", &[col("id", "int", false)]);
    t.indexes.push(Index {
        name: "i".into(),
        definition: "CREATE INDEX i ON t(id)".into(),
        create_sql: Some("CREATE INDEX \"i\" ON t(id) -- why".into()),
        ..Default::default()
    });
    let mut a = catalog(&[t]);
    let key = (QName::bare("t"), "tr".to_string());
    a.triggers.insert(
        key.clone(),
        Trigger {
            table: QName::bare("t"),
            name: "tr".into(),
            definition: "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END".into(),
            ..Default::default()
        },
    );
    let mut b = a.clone();
    b.tables.get_mut(&QName::bare("t")).unwrap().indexes[0].create_sql = None;
    b.triggers.get_mut(&key).unwrap().create_sql = Some("CREATE TRIGGER tr …".into());
    assert!(diff(&a, &b, &Renames::default(), SQLITE).is_empty());
    // A virtual table's module is.
    b.tables.get_mut(&QName::bare("t")).unwrap().options.using = Some("fts5(id)".into());
    assert!(matches!(
        diff(&a, &b, &Renames::default(), SQLITE).as_slice(),
        [Change::AlterTableOptions { .. }]
    ));
}

/// SQLite's `ALTER TABLE`, and names replaced in definitions word by word,
/// as a server's `RENAME` rewrites what refers to the name.
struct Renaming;

impl Ddl for Renaming {
    fn alter_support(&self) -> AlterSupport {
        SQLITE.0
    }
    fn rename_in(&self, text: &str, renamed: &[(String, String)]) -> String {
        let mut out = String::new();
        let mut word = String::new();
        for ch in text.chars().chain(['\0']) {
            if ch.is_alphanumeric() || ch == '_' {
                word.push(ch);
                continue;
            }
            let new = renamed.iter().find(|(old, _)| *old == word);
            out.push_str(new.map_or(word.as_str(), |(_, n)| n.as_str()));
            word.clear();
            if ch != '\0' {
                out.push(ch);
            }
        }
        out
    }
    fn render(&self, _: &Change, _: &Catalog, _: &Catalog) -> Result<Vec<String>, Unsupported> {
        Ok(Vec::new())
    }
}

#[test]
fn a_rename_alone_changes_nothing_that_refers_to_the_name() {
    let accounts = |t: &str, c: &str| {
        let mut a = table(t, &[col("id", "int", false), col(c, "text", true)]);
        a.uniques.push(Key {
            name: None,
            columns: vec![c.into()],
            definition: format!("UNIQUE ({c})"),
        });
        a.checks.push(Check {
            name: None,
            definition: format!("CHECK ({c} LIKE '%@%')"),
            ..Check::default()
        });
        a.indexes.push(Index {
            name: "by_mail".into(),
            definition: format!("CREATE INDEX by_mail ON {t} (lower({c}))"),
            ..Default::default()
        });
        a
    };
    let orders = |t: &str, c: &str| {
        let mut o = table("orders", &[col("mail", "text", true)]);
        o.foreign_keys.push(ForeignKey {
            columns: vec!["mail".into()],
            ref_table: QName::bare(t),
            ref_columns: vec![c.into()],
            ..Default::default()
        });
        o
    };
    let with_trigger = |mut c: Catalog, t: &str, col: &str| {
        c.triggers.insert(
            (QName::bare(t), "log".into()),
            Trigger {
                table: QName::bare(t),
                name: "log".into(),
                definition: format!(
                    "CREATE TRIGGER log AFTER INSERT ON {t} BEGIN SELECT NEW.{col}; END"
                ),
                ..Default::default()
            },
        );
        c
    };
    let a = with_trigger(
        catalog(&[accounts("accounts", "mail"), orders("accounts", "mail")]),
        "accounts",
        "mail",
    );
    let b = with_trigger(
        catalog(&[accounts("users", "email"), orders("users", "email")]),
        "users",
        "email",
    );
    let mut r = Renames::default();
    r.tables
        .insert(QName::bare("users"), QName::bare("accounts"));
    r.columns
        .insert((QName::bare("users"), "email".into()), "mail".into());
    assert_eq!(
        names(&diff(&a, &b, &r, &Renaming)),
        [
            "rename table accounts to users",
            "rename users.mail to email"
        ]
    );
    assert_eq!(
        names(&diff(&b, &a, &r.reversed(), &Renaming)),
        [
            "rename table users to accounts",
            "rename accounts.email to mail"
        ]
    );
    // Where the database does not say how it rewrites names, what refers to
    // them is made again (here by a rebuild).
    assert_eq!(
        names(&diff(&a, &b, &r, SQLITE)),
        [
            "rename table accounts to users",
            "rename users.mail to email",
            "rebuild users",
            "DropTrigger(Trigger { table: QName { schema: None, name: \"accounts\" }, name: \"log\", definition: \"CREATE TRIGGER log AFTER INSERT ON accounts BEGIN SELECT NEW.mail; END\", create_sql: None })",
            "CreateTrigger(Trigger { table: QName { schema: None, name: \"users\" }, name: \"log\", definition: \"CREATE TRIGGER log AFTER INSERT ON users BEGIN SELECT NEW.email; END\", create_sql: None })"
        ]
    );
}

#[test]
fn triggers_of_a_rebuilt_table_or_a_view_made_again_are_dropped_first_and_created_last() {
    let t = table("t", &[col("id", "int", false), col("v", "int", true)]);
    let mut a = catalog(std::slice::from_ref(&t));
    a.views.insert(QName::bare("v1"), view("v1", &["t"]));
    for on in ["t", "v1"] {
        a.triggers.insert(
            (QName::bare(on), format!("{on}_trg")),
            Trigger {
                table: QName::bare(on),
                name: format!("{on}_trg"),
                definition: format!("CREATE TRIGGER {on}_trg …"),
                ..Default::default()
            },
        );
    }
    let mut b = a.clone();
    b.tables.get_mut(&QName::bare("t")).unwrap().columns[1].data_type = "bigint".into();
    let short = |c: &Change| match c {
        Change::DropTrigger(t) => format!("drop trigger {}", t.name),
        Change::CreateTrigger(t) => format!("create trigger {}", t.name),
        other => names(std::slice::from_ref(other)).remove(0),
    };
    let changes = order(diff(&a, &b, &Renames::default(), SQLITE), &a, &b);
    assert_eq!(
        changes.iter().map(short).collect::<Vec<_>>(),
        [
            "drop trigger t_trg",
            "drop trigger v1_trg",
            "drop view v1",
            "rebuild t",
            "create view v1",
            "create trigger t_trg",
            "create trigger v1_trg"
        ]
    );
}

#[test]
fn a_foreign_key_of_a_renamed_table_is_dropped_by_its_old_name() {
    // Foreign keys are dropped first, before the table is renamed.
    let mut a = table(
        "orders",
        &[col("id", "int", false), col("user_id", "int", true)],
    );
    a.foreign_keys.push(ForeignKey {
        name: Some("orders_user".into()),
        columns: vec!["user_id".into()],
        ref_table: QName::bare("users"),
        ref_columns: vec!["id".into()],
        on_delete: "CASCADE".into(),
        on_update: "RESTRICT".into(),
        definition: String::new(),
    });
    let mut b = a.clone();
    b.name = QName::bare("purchases");
    b.foreign_keys[0].on_delete = "SET NULL".into();
    let (from, to) = (catalog(&[a]), catalog(&[b]));
    let mut r = Renames::default();
    r.tables
        .insert(QName::bare("purchases"), QName::bare("orders"));
    let changes = order(diff(&from, &to, &r, MYSQL), &from, &to);
    let tables: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Change::DropForeignKey { table, .. } => format!("drop fk on {table}"),
            Change::AddForeignKey { table, .. } => format!("add fk on {table}"),
            other => names(std::slice::from_ref(other))[0].clone(),
        })
        .collect();
    assert_eq!(
        tables,
        [
            "drop fk on orders",
            "rename table orders to purchases",
            "add fk on purchases"
        ]
    );
}

#[test]
fn on_update_and_invisible_columns_are_compared() {
    let a = catalog(&[table("t", &[col("ts", "timestamp", false)])]);
    let mut b = a.clone();
    b.tables.get_mut(&QName::bare("t")).unwrap().columns[0].on_update =
        Some("current_timestamp()".into());
    assert_eq!(
        names(&diff(&a, &b, &Renames::default(), MYSQL)),
        ["alter t.ts None"]
    );
    let mut c = a.clone();
    c.tables.get_mut(&QName::bare("t")).unwrap().columns[0].invisible = true;
    assert_eq!(
        names(&diff(&a, &c, &Renames::default(), MYSQL)),
        ["alter t.ts None"]
    );
}

#[test]
fn view_options_are_compared() {
    let mut a = catalog(&[]);
    a.views.insert(QName::bare("v"), view("v", &["t"]));
    let mut b = a.clone();
    b.views.get_mut(&QName::bare("v")).unwrap().options = Some("SQL SECURITY INVOKER".into());
    assert_eq!(
        names(&diff(&a, &b, &Renames::default(), MYSQL)),
        ["drop view v", "create view v"]
    );
}

/// PostgreSQL's asks: foreign keys after the tables, names that follow a
/// renamed table, definitions rewritten by renames.
struct Pg;

impl Ddl for Pg {
    fn alter_support(&self) -> AlterSupport {
        AlterSupport::FULL
    }
    fn foreign_keys_after_tables(&self) -> bool {
        true
    }
    fn rename_in(&self, text: &str, renamed: &[(String, String)]) -> String {
        let mut words: Vec<String> = text
            .split_inclusive(|c: char| !c.is_alphanumeric() && c != '_')
            .map(str::to_string)
            .collect();
        for w in &mut words {
            let end = w
                .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                .len();
            if let Some((_, new)) = renamed.iter().find(|(old, _)| *old == w[..end]) {
                *w = format!("{new}{}", &w[end..]);
            }
        }
        words.concat()
    }
    fn renamed_with_table(&self, name: &str, old: &str, new: &str) -> Option<String> {
        let rest = name.strip_prefix(old)?;
        rest.starts_with('_').then(|| format!("{new}{rest}"))
    }
    fn render(&self, _: &Change, _: &Catalog, _: &Catalog) -> Result<Vec<String>, Unsupported> {
        Ok(Vec::new())
    }
}

fn fk(name: &str, column: &str, to: &str) -> ForeignKey {
    ForeignKey {
        name: Some(name.into()),
        columns: vec![column.into()],
        ref_table: QName::bare(to),
        ref_columns: vec!["id".into()],
        on_delete: "NO ACTION".into(),
        on_update: "NO ACTION".into(),
        definition: format!("FOREIGN KEY ({column}) REFERENCES {to}(id)"),
    }
}

#[test]
fn foreign_keys_between_new_tables_come_after_them_where_the_database_asks() {
    let mut a = table("a", &[col("id", "int", false), col("b", "int", true)]);
    a.foreign_keys.push(fk("a_b", "b", "b"));
    let mut b = table("b", &[col("id", "int", false), col("a", "int", true)]);
    b.foreign_keys.push(fk("b_a", "a", "a"));
    let none = catalog(&[]);
    let both = catalog(&[a, b]);
    let r = Renames::default();
    // A cycle: tables first, then each key.
    assert_eq!(
        names(&order(diff(&none, &both, &r, &Pg), &none, &both)),
        [
            "create table a",
            "create table b",
            "add fk on a",
            "add fk on b"
        ]
    );
    // Dropped together: the keys between them first.
    assert_eq!(
        names(&order(diff(&both, &none, &r, &Pg), &both, &none)),
        [
            "drop fk on a",
            "drop fk on b",
            "drop table a",
            "drop table b"
        ]
    );
    // Elsewhere the keys stay in the tables.
    assert_eq!(
        names(&order(diff(&none, &both, &r, FULL), &none, &both)),
        ["create table a", "create table b"]
    );
}

#[test]
fn partitions_are_created_after_their_table_and_dropped_before_it() {
    let parent = table("z_events", &[col("at", "date", false)]);
    let mut part = table("a_2024", &[col("at", "date", false)]);
    part.options.partition_of = Some((QName::bare("z_events"), "FOR VALUES IN (1)".into()));
    let none = catalog(&[]);
    let all = catalog(&[parent, part]);
    let r = Renames::default();
    assert_eq!(
        names(&order(diff(&none, &all, &r, &Pg), &none, &all)),
        ["create table z_events", "create table a_2024"]
    );
    assert_eq!(
        names(&order(diff(&all, &none, &r, &Pg), &all, &none)),
        ["drop table a_2024", "drop table z_events"]
    );
}

#[test]
fn a_renamed_tables_foreign_key_is_dropped_by_its_name_before_the_rename() {
    let p = table("p", &[col("id", "int", false)]);
    let mut a = table("old", &[col("id", "int", false), col("p", "int", true)]);
    a.foreign_keys.push(fk("old_p", "p", "p"));
    let mut b = a.clone();
    b.name = QName::bare("new");
    b.foreign_keys.clear();
    let mut r = Renames::default();
    r.tables.insert(QName::bare("new"), QName::bare("old"));
    let from = catalog(&[p.clone(), a]);
    let to = catalog(&[p, b]);
    let changes = order(diff(&from, &to, &r, FULL), &from, &to);
    assert_eq!(
        names(&changes),
        ["drop fk on old", "rename table old to new"]
    );
}

#[test]
fn renames_carried_through_leave_keys_and_indexes_named_after_the_table_alone() {
    let mut a = table(
        "accounts",
        &[col("id", "int", false), col("mail", "text", true)],
    );
    a.primary_key = Some(Key {
        name: Some("accounts_pkey".into()),
        columns: vec!["id".into()],
        definition: "PRIMARY KEY (id)".into(),
    });
    a.indexes.push(Index {
        name: "accounts_mail_idx".into(),
        unique: false,
        definition: "CREATE INDEX accounts_mail_idx ON public.accounts USING btree (mail)".into(),
        ..Default::default()
    });
    let mut b = table(
        "users",
        &[col("id", "int", false), col("email", "text", true)],
    );
    b.primary_key = Some(Key {
        name: Some("users_pkey".into()),
        columns: vec!["id".into()],
        definition: "PRIMARY KEY (id)".into(),
    });
    b.indexes.push(Index {
        name: "users_mail_idx".into(),
        unique: false,
        definition: "CREATE INDEX users_mail_idx ON public.users USING btree (email)".into(),
        ..Default::default()
    });
    let mut r = Renames::default();
    r.tables
        .insert(QName::bare("users"), QName::bare("accounts"));
    r.columns
        .insert((QName::bare("users"), "email".into()), "mail".into());
    let (from, to) = (catalog(&[a]), catalog(&[b]));
    assert_eq!(
        names(&diff(&from, &to, &r, &Pg)),
        [
            "rename table accounts to users",
            "rename users.mail to email"
        ]
    );
    // Where the database does not carry them, they are made again.
    assert_eq!(diff(&from, &to, &r, FULL).len(), 6);
}

#[test]
fn a_serial_columns_sequence_is_renamed_with_its_table() {
    let seq = |name: &str, table: &str| Sequence {
        name: QName::bare(name),
        data_type: "integer".into(),
        owned_by: Some((QName::bare(table), "id".into())),
        ..Default::default()
    };
    let mut from = catalog(&[table("a", &[col("id", "int", false)])]);
    from.sequences
        .insert(QName::bare("a_id_seq"), seq("a_id_seq", "a"));
    let mut to = catalog(&[table("b", &[col("id", "int", false)])]);
    to.sequences
        .insert(QName::bare("b_id_seq"), seq("b_id_seq", "b"));
    let mut r = Renames::default();
    r.tables.insert(QName::bare("b"), QName::bare("a"));
    let changes = diff(&from, &to, &r, FULL);
    assert!(
        matches!(&changes[..], [Change::AlterSequence { from, to }, Change::RenameTable { .. }]
            if from.name.name == "a_id_seq" && to.name.name == "b_id_seq"),
        "{changes:?}"
    );
    // Without the rename: a table and its sequence dropped, others made.
    assert_eq!(diff(&from, &to, &Renames::default(), FULL).len(), 4);
}

#[test]
fn a_sequence_owned_by_a_dropped_column_goes_with_it() {
    let mut from = catalog(&[table(
        "t",
        &[col("id", "int", false), col("n", "int", false)],
    )]);
    from.sequences.insert(
        QName::bare("t_n_seq"),
        Sequence {
            name: QName::bare("t_n_seq"),
            owned_by: Some((QName::bare("t"), "n".into())),
            ..Default::default()
        },
    );
    let to = catalog(&[table("t", &[col("id", "int", false)])]);
    let changes = order(diff(&from, &to, &Renames::default(), FULL), &from, &to);
    assert_eq!(names(&changes), ["drop t.n"]);
}

#[test]
fn views_reading_a_view_made_again_are_made_again_too() {
    let t = table("t", &[col("id", "int", false)]);
    let mut a = catalog(std::slice::from_ref(&t));
    a.views.insert(QName::bare("v1"), view("v1", &["t"]));
    a.views.insert(QName::bare("v2"), view("v2", &["v1"]));
    let mut b = a.clone();
    b.views.get_mut(&QName::bare("v1")).unwrap().definition =
        "SELECT id FROM t WHERE id > 0".into();
    let changes = order(diff(&a, &b, &Renames::default(), FULL), &a, &b);
    assert_eq!(
        names(&changes),
        [
            "drop view v2",
            "drop view v1",
            "create view v1",
            "create view v2"
        ]
    );
}

#[test]
fn views_reading_a_column_of_an_enum_made_again_are_put_back() {
    let mood = |labels: &[&str]| EnumType {
        name: QName::new(Some("public"), "mood"),
        labels: labels
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        comment: None,
    };
    let mut t = table("t", &[col("m", "public.mood", true)]);
    t.name = QName::new(Some("public"), "t");
    let mut a = Catalog::default();
    a.tables.insert(t.name.clone(), t);
    a.enums
        .insert(QName::new(Some("public"), "mood"), mood(&["a", "b"]));
    let mut v = view("v", &[]);
    v.name = QName::new(Some("public"), "v");
    v.depends_on = vec![QName::new(Some("public"), "t")];
    a.views.insert(v.name.clone(), v);
    let mut b = a.clone();
    b.enums
        .insert(QName::new(Some("public"), "mood"), mood(&["b", "a"]));
    let changes = order(diff(&a, &b, &Renames::default(), FULL), &a, &b);
    assert_eq!(
        names(&changes),
        [
            "drop view public.v",
            "recreate enum public.mood",
            "create view public.v"
        ]
    );
}

#[test]
fn an_index_whose_comment_changed_is_made_again() {
    let mut a = table("t", &[col("id", "int", false)]);
    a.indexes.push(Index {
        name: "t_id".into(),
        unique: false,
        definition: "CREATE INDEX t_id ON t (id)".into(),
        ..Default::default()
    });
    let mut b = a.clone();
    b.indexes[0].comment = Some("by id".into());
    assert_eq!(
        names(&diff(
            &catalog(&[a]),
            &catalog(&[b]),
            &Renames::default(),
            FULL
        )),
        ["drop index t_id", "create index t_id"]
    );
}
