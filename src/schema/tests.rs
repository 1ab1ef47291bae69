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
                labels: labels.iter().map(|s| s.to_string()).collect(),
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
        comment: None,
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
    // Up: the referenced table first (the key is in the child's CREATE TABLE).
    assert_eq!(
        names(&order(diff(&before, &after, &r, FULL), &before, &after)),
        ["create table parent", "create table child"]
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

/// PostgreSQL's asks: foreign keys after the tables, renames carried through.
struct Pg;

impl Ddl for Pg {
    fn alter_support(&self) -> AlterSupport {
        AlterSupport::FULL
    }
    fn foreign_keys_after_tables(&self) -> bool {
        true
    }
    fn rename_keeps_dependents(&self) -> bool {
        true
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
            "drop table b",
            "drop table a"
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
        comment: None,
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
        comment: None,
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
fn renamed_in_replaces_whole_words_and_name_prefixes() {
    use super::diff::{renamed_in, renamed_with_table};
    assert_eq!(
        renamed_in(
            "CREATE INDEX t_a ON public.t USING btree (a)",
            "t",
            "u",
            true
        ),
        "CREATE INDEX u_a ON public.u USING btree (a)"
    );
    assert_eq!(
        renamed_in("CHECK ((a > a_b))", "a", "z", false),
        "CHECK ((z > a_b))"
    );
    assert_eq!(renamed_in("myt, t2, t$", "t", "u", true), "myt, t2, t$");
    assert_eq!(
        renamed_with_table("accounts_pkey", "accounts", "users").as_deref(),
        Some("users_pkey")
    );
    assert_eq!(renamed_with_table("accountsx", "accounts", "users"), None);
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
        labels: labels.iter().map(|s| s.to_string()).collect(),
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
        comment: None,
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
