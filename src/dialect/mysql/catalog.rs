//! Reads the schema of the connected MySQL/MariaDB database from the
//! server's own catalog (`information_schema`) into the normalized model.
//!
//! One bulk query per kind of object, whatever the number of tables
//! (tables, columns, indexes, checks, foreign keys and their columns, views,
//! triggers, events); only routines are read one by one (`SHOW CREATE`, the
//! only place that has their whole definition), and sequences (MariaDB) in
//! one `UNION ALL` of their one-row tables. Types, defaults, expressions and
//! bodies are the server's text; keys, indexes, foreign keys, views and
//! events are written from the catalog's columns by `clauses`, the way
//! `SHOW CREATE` writes them, so that two schemas compare by that text.
//! The database's own name is taken out of what the server qualifies with it
//! (view definitions, `nextval()` defaults): the two sides of a comparison
//! live in two databases.
//!
//! MariaDB and MySQL 8 differ in some columns of `information_schema`; the
//! queries are chosen by `Server`. `DEFINER`s, grants, `sql_mode` and the
//! character sets routines were created under are not read.

use super::clauses::{self, literal, EventParts, KeyPart};
use crate::dialect::{DbError, Row};
use crate::schema::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// Runs one query on the connection and returns its rows as text.
pub(crate) type Run<'a> = dyn FnMut(&str) -> Result<Vec<Row>, DbError> + 'a;

/// Which server answers, for the parts of `information_schema` that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Server {
    pub mariadb: bool,
    pub version: (u32, u32, u32),
}

impl Server {
    /// From `VERSION()`: `10.11.19-MariaDB-0+deb12u1`, `8.0.36`.
    pub(crate) fn parse(version: &str) -> Server {
        let mut nums = version
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u32>().unwrap_or(0));
        let v = (
            nums.next().unwrap_or(0),
            nums.next().unwrap_or(0),
            nums.next().unwrap_or(0),
        );
        Server {
            mariadb: version.to_ascii_lowercase().contains("mariadb"),
            version: v,
        }
    }

    fn at_least(&self, v: (u32, u32, u32)) -> bool {
        self.version >= v
    }

    fn mysql(&self) -> bool {
        !self.mariadb
    }
}

/// The text of cell `i`, empty for NULL.
fn cell(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// The text of cell `i`; `None` for NULL or empty.
fn non_empty(row: &Row, i: usize) -> Option<String> {
    row.get(i).cloned().flatten().filter(|s| !s.is_empty())
}

/// The schema of the connected database, without the tables `own` names.
pub(crate) fn read(run: &mut Run<'_>, own: &[QName]) -> Result<Catalog, DbError> {
    let head = run("SELECT DATABASE(), VERSION()")?;
    let first = head.first().cloned().unwrap_or_default();
    let Some(db) = non_empty(&first, 0) else {
        return Err(DbError::msg(
            "no database is selected: the URL names none, so there is no schema to read",
        ));
    };
    let server = Server::parse(&cell(&first, 1));
    Reader {
        run,
        db: &db,
        server,
        own,
    }
    .read()
}

struct Reader<'r, 'a> {
    run: &'r mut Run<'a>,
    db: &'r str,
    server: Server,
    own: &'r [QName],
}

impl Reader<'_, '_> {
    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        (self.run)(sql)
    }

    /// `TABLE_SCHEMA = 'db'` and the like.
    fn in_db(&self, column: &str) -> String {
        format!("{column} = {}", literal(self.db))
    }

    fn is_own(&self, name: &str) -> bool {
        self.own
            .iter()
            .any(|q| q.name == name && q.schema.as_deref().is_none_or(|s| s == self.db))
    }

    /// `text` without the qualifier `` `db`. `` the server adds to names in it.
    fn unqualify(&self, text: &str) -> String {
        text.replace(&format!("{}.", clauses::ident(self.db)), "")
    }

    /// MySQL 8 writes quotes inside string literals of generated columns and
    /// checks as `\'`: the text runs again only without the backslash.
    fn expression(&self, text: &str) -> String {
        if self.server.mysql() {
            text.replace("\\'", "'")
        } else {
            text.to_string()
        }
    }

    fn read(&mut self) -> Result<Catalog, DbError> {
        let mut c = Catalog::default();
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        let mut views: BTreeSet<String> = BTreeSet::new();
        let mut sequences: Vec<String> = Vec::new();
        let mut engines: BTreeMap<String, String> = BTreeMap::new();
        let sql = format!(
            "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, TABLE_COMMENT \
             FROM information_schema.TABLES WHERE {}",
            self.in_db("TABLE_SCHEMA")
        );
        for r in self.query(&sql)? {
            let name = cell(&r, 0);
            match cell(&r, 1).as_str() {
                "VIEW" => {
                    views.insert(name);
                }
                "SEQUENCE" => sequences.push(name),
                // BASE TABLE, and MariaDB's SYSTEM VERSIONED (its versioning is not compared).
                _ if self.is_own(&name) => {}
                _ => {
                    let engine = non_empty(&r, 2);
                    let collation = non_empty(&r, 3);
                    engines.insert(name.clone(), engine.clone().unwrap_or_default());
                    tables.insert(
                        name.clone(),
                        Table {
                            name: QName::bare(&name),
                            comment: non_empty(&r, 4),
                            options: TableOptions {
                                engine,
                                charset: collation
                                    .as_deref()
                                    .map(|c| clauses::charset_of(c).to_string()),
                                collation,
                                ..Default::default()
                            },
                            ..Default::default()
                        },
                    );
                }
            }
        }
        self.columns(&mut tables)?;
        self.indexes(&mut tables, &engines)?;
        self.checks(&mut tables)?;
        self.foreign_keys(&mut tables)?;
        c.views = self.views(&tables, &views)?;
        c.triggers = self.triggers(&tables)?;
        c.events = self.events()?;
        c.routines = self.routines()?;
        c.sequences = self.sequences(&sequences)?;
        c.tables = tables.into_values().map(|t| (t.name.clone(), t)).collect();
        Ok(c)
    }

    fn columns(&mut self, tables: &mut BTreeMap<String, Table>) -> Result<(), DbError> {
        let sql = format!(
            "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
             COLUMN_DEFAULT, EXTRA, COLLATION_NAME, GENERATION_EXPRESSION, COLUMN_COMMENT \
             FROM information_schema.COLUMNS WHERE {}",
            self.in_db("TABLE_SCHEMA")
        );
        let mut found: Vec<(String, u64, Column)> = Vec::new();
        for r in self.query(&sql)? {
            let table = cell(&r, 0);
            if !tables.contains_key(&table) {
                continue;
            }
            let extra = cell(&r, 6);
            let lower = extra.to_ascii_lowercase();
            let generated = (lower.contains("virtual generated")
                || lower.contains("stored generated"))
            .then(|| Generated {
                expression: self.expression(&cell(&r, 8)),
                stored: lower.contains("stored generated"),
            });
            let default = if generated.is_some() {
                None
            } else {
                self.default(row_opt(&r, 5), &extra)
            };
            found.push((
                table,
                cell(&r, 1).parse().unwrap_or(0),
                Column {
                    name: cell(&r, 2),
                    data_type: cell(&r, 3),
                    nullable: cell(&r, 4) == "YES",
                    default,
                    auto_increment: lower.contains("auto_increment"),
                    generated,
                    collation: non_empty(&r, 7),
                    comment: non_empty(&r, 9),
                    on_update: on_update(&extra),
                    invisible: lower.split([',', ' ']).any(|w| w == "invisible"),
                    ..Default::default()
                },
            ));
        }
        found.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (table, _, column) in found {
            if let Some(t) = tables.get_mut(&table) {
                t.columns.push(column);
            }
        }
        Ok(())
    }

    /// A column's default as SQL that sets it again. MariaDB gives SQL
    /// already (`'text'`, `0`, `current_timestamp()`; `NULL` for none);
    /// MySQL 8 gives a literal's bare value, and marks expressions
    /// `DEFAULT_GENERATED` (written back in parentheses, but for
    /// `CURRENT_TIMESTAMP`, which is no expression default there).
    fn default(&self, raw: Option<String>, extra: &str) -> Option<String> {
        let raw = raw?;
        if self.server.mariadb {
            return (raw != "NULL").then(|| self.unqualify(&raw));
        }
        if extra.contains("DEFAULT_GENERATED") {
            let lower = raw.to_ascii_lowercase();
            if lower.starts_with("current_timestamp") || lower.starts_with("now(") {
                Some(raw)
            } else {
                Some(format!("({})", self.expression(&raw)))
            }
        } else if raw.starts_with("b'") || raw.starts_with("0x") {
            Some(raw)
        } else {
            Some(literal(&raw))
        }
    }

    fn indexes(
        &mut self,
        tables: &mut BTreeMap<String, Table>,
        engines: &BTreeMap<String, String>,
    ) -> Result<(), DbError> {
        // Whether an index is ignored (MariaDB 10.6) or invisible (MySQL 8),
        // and the expression of a functional key part (MySQL 8.0.13).
        let hidden = if self.server.mariadb && self.server.at_least((10, 6, 0)) {
            "IGNORED"
        } else if self.server.mysql() && self.server.at_least((8, 0, 0)) {
            "IF(IS_VISIBLE = 'NO', 'YES', 'NO')"
        } else {
            "'NO'"
        };
        let expression = if self.server.mysql() && self.server.at_least((8, 0, 13)) {
            "EXPRESSION"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, \
             SUB_PART, INDEX_TYPE, INDEX_COMMENT, {hidden}, {expression} \
             FROM information_schema.STATISTICS WHERE {}",
            self.in_db("TABLE_SCHEMA")
        );
        struct Found {
            unique: bool,
            kind: String,
            comment: Option<String>,
            hidden: bool,
            parts: Vec<(u64, KeyPart)>,
        }
        // In the order the server lists them (the table's own order of keys).
        let mut order: Vec<(String, String)> = Vec::new();
        let mut found: BTreeMap<(String, String), Found> = BTreeMap::new();
        for r in self.query(&sql)? {
            let key = (cell(&r, 0), cell(&r, 1));
            if !tables.contains_key(&key.0) {
                continue;
            }
            let part = KeyPart {
                column: non_empty(&r, 4),
                expression: non_empty(&r, 10).map(|e| self.expression(&e)),
                // MariaDB shows a length for a spatial key part, which takes none.
                prefix: non_empty(&r, 6).filter(|_| cell(&r, 7) != "SPATIAL"),
                descending: cell(&r, 5) == "D",
            };
            let seq = cell(&r, 3).parse().unwrap_or(0);
            let f = found.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                Found {
                    unique: cell(&r, 2) == "0",
                    kind: cell(&r, 7),
                    comment: non_empty(&r, 8),
                    hidden: cell(&r, 9) == "YES",
                    parts: Vec::new(),
                }
            });
            f.parts.push((seq, part));
        }
        for key in order {
            let Some(mut f) = found.remove(&key) else {
                continue;
            };
            let (table, name) = key;
            let Some(t) = tables.get_mut(&table) else {
                continue;
            };
            f.parts.sort_by_key(|p| p.0);
            let parts: Vec<KeyPart> = f.parts.into_iter().map(|p| p.1).collect();
            let columns: Vec<String> = parts.iter().filter_map(|p| p.column.clone()).collect();
            if name == "PRIMARY" {
                t.primary_key = Some(Key {
                    name: Some(name),
                    columns,
                    definition: format!("PRIMARY KEY ({})", clauses::key_parts(&parts)),
                });
                continue;
            }
            let memory = engines
                .get(&table)
                .is_some_and(|e| e.eq_ignore_ascii_case("MEMORY"));
            let (kind, method) = match f.kind.as_str() {
                "FULLTEXT" => ("FULLTEXT", None),
                "SPATIAL" => ("SPATIAL", None),
                "HASH" if !memory => (if f.unique { "UNIQUE" } else { "" }, Some("HASH")),
                "BTREE" if memory => (if f.unique { "UNIQUE" } else { "" }, Some("BTREE")),
                _ => (if f.unique { "UNIQUE" } else { "" }, None),
            };
            let ignored = f.hidden.then_some(if self.server.mariadb {
                "IGNORED"
            } else {
                "INVISIBLE"
            });
            t.indexes.push(Index {
                definition: clauses::index(
                    kind,
                    &name,
                    &parts,
                    method,
                    f.comment.as_deref(),
                    ignored,
                ),
                name,
                unique: f.unique,
                comment: f.comment,
                ..Index::default()
            });
        }
        Ok(())
    }

    fn checks(&mut self, tables: &mut BTreeMap<String, Table>) -> Result<(), DbError> {
        let sql = if self.server.mariadb {
            // LEVEL: MariaDB names a column's check after the column, and keeps it with the column.
            format!(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL, 'YES' \
                 FROM information_schema.CHECK_CONSTRAINTS WHERE {}",
                self.in_db("CONSTRAINT_SCHEMA")
            )
        } else if self.server.at_least((8, 0, 16)) {
            format!(
                "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table', tc.ENFORCED \
                 FROM information_schema.TABLE_CONSTRAINTS tc \
                 JOIN information_schema.CHECK_CONSTRAINTS cc \
                   ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
                 WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND {}",
                self.in_db("tc.CONSTRAINT_SCHEMA")
            )
        } else {
            return Ok(());
        };
        let mut found: Vec<(String, Check)> = Vec::new();
        for r in self.query(&sql)? {
            let name = cell(&r, 1);
            let mut definition = format!("CHECK ({})", self.expression(&cell(&r, 2)));
            if cell(&r, 4) == "NO" {
                definition.push_str(" NOT ENFORCED");
            }
            found.push((
                cell(&r, 0),
                Check {
                    column: (cell(&r, 3) == "Column").then(|| name.clone()),
                    name: Some(name),
                    definition,
                },
            ));
        }
        found.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
        for (table, check) in found {
            if let Some(t) = tables.get_mut(&table) {
                t.checks.push(check);
            }
        }
        Ok(())
    }

    fn foreign_keys(&mut self, tables: &mut BTreeMap<String, Table>) -> Result<(), DbError> {
        let sql = format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, \
             REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE {} AND REFERENCED_TABLE_NAME IS NOT NULL",
            self.in_db("TABLE_SCHEMA")
        );
        let columns = self.query(&sql)?;
        if columns.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE \
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE {}",
            self.in_db("CONSTRAINT_SCHEMA")
        );
        let rules: BTreeMap<(String, String), (String, String)> = self
            .query(&sql)?
            .into_iter()
            .map(|r| ((cell(&r, 0), cell(&r, 1)), (cell(&r, 2), cell(&r, 3))))
            .collect();
        type Parts = Vec<(u64, String, String)>;
        let mut found: BTreeMap<(String, String), (QName, Parts)> = BTreeMap::new();
        for r in columns {
            let schema = cell(&r, 4);
            let ref_table = if schema == self.db {
                QName::bare(&cell(&r, 5))
            } else {
                QName::new(Some(&schema), &cell(&r, 5))
            };
            found
                .entry((cell(&r, 0), cell(&r, 1)))
                .or_insert_with(|| (ref_table, Vec::new()))
                .1
                .push((cell(&r, 2).parse().unwrap_or(0), cell(&r, 3), cell(&r, 6)));
        }
        for ((table, name), (ref_table, mut parts)) in found {
            let Some(t) = tables.get_mut(&table) else {
                continue;
            };
            parts.sort_by_key(|p| p.0);
            let columns: Vec<String> = parts.iter().map(|p| p.1.clone()).collect();
            let ref_columns: Vec<String> = parts.iter().map(|p| p.2.clone()).collect();
            let (on_delete, on_update) = rules
                .get(&(table.clone(), name.clone()))
                .cloned()
                .unwrap_or_else(|| ("RESTRICT".into(), "RESTRICT".into()));
            t.foreign_keys.push(ForeignKey {
                definition: clauses::foreign_key(
                    &columns,
                    &ref_table,
                    &ref_columns,
                    &on_delete,
                    &on_update,
                ),
                name: Some(name),
                columns,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
            });
        }
        Ok(())
    }

    fn views(
        &mut self,
        tables: &BTreeMap<String, Table>,
        names: &BTreeSet<String>,
    ) -> Result<BTreeMap<QName, View>, DbError> {
        let mut out = BTreeMap::new();
        if names.is_empty() {
            return Ok(out);
        }
        // MySQL 8 does not show a view's ALGORITHM in information_schema.
        let algorithm = if self.server.mariadb {
            "ALGORITHM"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE, {algorithm} \
             FROM information_schema.VIEWS WHERE {}",
            self.in_db("TABLE_SCHEMA")
        );
        for r in self.query(&sql)? {
            let name = cell(&r, 0);
            let raw = cell(&r, 1);
            let mut definition = self.unqualify(&raw);
            let check = cell(&r, 2);
            if !check.is_empty() && check != "NONE" {
                definition.push_str(&format!(" WITH {check} CHECK OPTION"));
            }
            let mut options = String::new();
            if let Some(a) = non_empty(&r, 4) {
                options.push_str(&format!("ALGORITHM={a} "));
            }
            options.push_str(&format!("SQL SECURITY {}", cell(&r, 3)));
            let depends_on = referenced(&raw, self.db)
                .into_iter()
                .filter(|n| *n != name && (tables.contains_key(n) || names.contains(n)))
                .map(|n| QName::bare(&n))
                .collect();
            let q = QName::bare(&name);
            out.insert(
                q.clone(),
                View {
                    name: q,
                    definition,
                    options: Some(options),
                    depends_on,
                    ..Default::default()
                },
            );
        }
        Ok(out)
    }

    fn triggers(
        &mut self,
        tables: &BTreeMap<String, Table>,
    ) -> Result<BTreeMap<(QName, String), Trigger>, DbError> {
        let sql = format!(
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT \
             FROM information_schema.TRIGGERS WHERE {}",
            self.in_db("TRIGGER_SCHEMA")
        );
        let mut out = BTreeMap::new();
        for r in self.query(&sql)? {
            let (name, table) = (cell(&r, 0), cell(&r, 1));
            if !tables.contains_key(&table) {
                continue;
            }
            let t = QName::bare(&table);
            let body = cell(&r, 4);
            let definition = if body.contains('\\') {
                // information_schema gives the body with its strings' escapes
                // resolved (`'\\'` as `'\'`), which does not run again: the
                // statement as it was written, from SHOW CREATE TRIGGER.
                let show = format!(
                    "SHOW CREATE TRIGGER {}.{}",
                    clauses::ident(self.db),
                    clauses::ident(&name)
                );
                let rows = self.query(&show)?;
                match rows.first().and_then(|r| non_empty(r, 2)) {
                    Some(text) => without_definer(&text),
                    None => return Err(hidden("trigger", &name)),
                }
            } else {
                format!(
                    "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW {body}",
                    clauses::ident(&name),
                    cell(&r, 2),
                    cell(&r, 3),
                    clauses::ident(&table),
                )
            };
            out.insert(
                (t.clone(), name.clone()),
                Trigger {
                    table: t,
                    name,
                    definition,
                    ..Trigger::default()
                },
            );
        }
        Ok(out)
    }

    fn events(&mut self) -> Result<BTreeMap<QName, Event>, DbError> {
        let sql = format!(
            "SELECT EVENT_NAME, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, \
             INTERVAL_FIELD, STARTS, ENDS, STATUS, ON_COMPLETION, EVENT_COMMENT, CREATED \
             FROM information_schema.EVENTS WHERE {}",
            self.in_db("EVENT_SCHEMA")
        );
        let mut out = BTreeMap::new();
        for r in self.query(&sql)? {
            let recurring = cell(&r, 2) == "RECURRING";
            // An event created without STARTS starts when it was created:
            // that instant is no part of the schema.
            let starts = non_empty(&r, 6).filter(|s| Some(s) != non_empty(&r, 11).as_ref());
            let mut body = cell(&r, 1);
            if body.contains('\\') {
                // As for triggers: the body as written, from SHOW CREATE EVENT.
                let show = format!(
                    "SHOW CREATE EVENT {}.{}",
                    clauses::ident(self.db),
                    clauses::ident(&cell(&r, 0))
                );
                let rows = self.query(&show)?;
                let text = rows.first().and_then(|r| non_empty(r, 3));
                match text.and_then(|t| event_body(&t, non_empty(&r, 10).is_some())) {
                    Some(b) => body = b,
                    None => return Err(hidden("event", &cell(&r, 0))),
                }
            }
            let parts = EventParts {
                name: cell(&r, 0),
                body,
                execute_at: (!recurring).then(|| cell(&r, 3)),
                every: recurring.then(|| (cell(&r, 4), cell(&r, 5))),
                starts,
                ends: non_empty(&r, 7),
                status: cell(&r, 8),
                preserve: cell(&r, 9) == "PRESERVE",
                comment: non_empty(&r, 10),
            };
            let name = QName::bare(&parts.name);
            out.insert(
                name.clone(),
                Event {
                    name,
                    definition: clauses::event(&parts),
                },
            );
        }
        Ok(out)
    }

    /// Functions and procedures, each from its `SHOW CREATE`. A function and
    /// a procedure may share a name: the kind is their `RoutineId`'s arguments.
    fn routines(&mut self) -> Result<BTreeMap<RoutineId, Routine>, DbError> {
        let sql = format!(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
             WHERE {} AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')",
            self.in_db("ROUTINE_SCHEMA")
        );
        let mut out = BTreeMap::new();
        for r in self.query(&sql)? {
            let (name, kind) = (cell(&r, 0), cell(&r, 1));
            let show = format!(
                "SHOW CREATE {kind} {}.{}",
                clauses::ident(self.db),
                clauses::ident(&name)
            );
            let rows = self.query(&show)?;
            let Some(text) = rows.first().and_then(|r| non_empty(r, 2)) else {
                return Err(hidden(&kind.to_ascii_lowercase(), &name));
            };
            let id = RoutineId {
                name: QName::bare(&name),
                arguments: kind.to_ascii_lowercase(),
            };
            out.insert(
                id.clone(),
                Routine {
                    id,
                    procedure: kind == "PROCEDURE",
                    definition: without_definer(&text),
                    comment: None,
                },
            );
        }
        Ok(out)
    }

    /// MariaDB sequences: each is a table of one row; one query for all.
    fn sequences(&mut self, names: &[String]) -> Result<BTreeMap<QName, Sequence>, DbError> {
        let mut out = BTreeMap::new();
        if names.is_empty() {
            return Ok(out);
        }
        let sql = names
            .iter()
            .map(|n| {
                format!(
                    "SELECT {}, start_value, minimum_value, maximum_value, increment, cache_size, cycle_option FROM {}",
                    literal(n),
                    clauses::ident(n)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for r in self.query(&sql)? {
            let num = |i: usize| -> Result<i64, DbError> {
                let v = cell(&r, i);
                v.parse().map_err(|_| {
                    DbError::msg(format!(
                        "sequence `{}`: unexpected value {v:?} in its definition",
                        cell(&r, 0)
                    ))
                })
            };
            let name = QName::bare(&cell(&r, 0));
            out.insert(
                name.clone(),
                Sequence {
                    name,
                    data_type: "bigint".into(),
                    start: num(1)?,
                    min: num(2)?,
                    max: num(3)?,
                    increment: num(4)?,
                    cache: num(5)?,
                    cycle: cell(&r, 6) == "1",
                    owned_by: None,
                },
            );
        }
        Ok(out)
    }
}

/// The server would not show the definition of an object.
fn hidden(kind: &str, name: &str) -> DbError {
    DbError::msg(format!(
        "cannot read the definition of {kind} `{name}`: the server shows it only to its definer or to a user with the privileges to see it (SHOW CREATE ROUTINE or SHOW_ROUTINE for routines, TRIGGER, EVENT)"
    ))
}

/// The body of an event from its `SHOW CREATE EVENT`: what follows ` DO `
/// after the schedule and, when it has one, the comment (a string that may
/// hold ` DO ` itself).
fn event_body(show: &str, commented: bool) -> Option<String> {
    let from = if commented {
        let at = show.find(" COMMENT '")? + " COMMENT '".len();
        let mut chars = show[at..].char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '\'' if matches!(chars.peek(), Some((_, '\''))) => {
                    chars.next();
                }
                '\'' => {
                    end = Some(at + i + 1);
                    break;
                }
                _ => {}
            }
        }
        end?
    } else {
        show.find(" ON COMPLETION ")?
    };
    let rest = &show[from..];
    let at = rest.find(" DO ")?;
    Some(rest[at + " DO ".len()..].to_string())
}

fn row_opt(row: &Row, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

/// The `ON UPDATE` expression in a column's `EXTRA` (`on update
/// current_timestamp()`, MySQL 8: `DEFAULT_GENERATED on update CURRENT_TIMESTAMP`).
fn on_update(extra: &str) -> Option<String> {
    let at = extra.to_ascii_lowercase().find("on update ")?;
    let rest = &extra[at + "on update ".len()..];
    let end = rest.find(',').unwrap_or(rest.len());
    let expr = rest[..end].trim();
    let expr = expr
        .strip_suffix(" INVISIBLE")
        .unwrap_or(expr)
        .trim()
        .to_string();
    (!expr.is_empty()).then_some(expr)
}

/// The names a view's definition reads in database `db` (the server writes
/// each as `` `db`.`name` ``, a column as `` `db`.`name`.`column` ``).
pub(crate) fn referenced(definition: &str, db: &str) -> Vec<String> {
    let prefix = format!("{}.`", clauses::ident(db));
    let mut out: Vec<String> = Vec::new();
    let mut rest = definition;
    while let Some(at) = rest.find(&prefix) {
        let after = &rest[at + prefix.len()..];
        let mut name = String::new();
        let mut end = after.len();
        let mut chars = after.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '`' {
                if matches!(chars.peek(), Some((_, '`'))) {
                    chars.next();
                    name.push('`');
                    continue;
                }
                end = i + 1;
                break;
            }
            name.push(c);
        }
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end..];
    }
    out
}

/// A `SHOW CREATE` text without its `DEFINER=user@host` (not compared, and
/// a user the other server may not have).
pub(crate) fn without_definer(text: &str) -> String {
    let Some(rest) = strip_prefix_ci(text, "CREATE DEFINER=") else {
        return text.to_string();
    };
    let rest = skip_name(rest);
    let rest = rest.strip_prefix('@').map_or(rest, skip_name);
    format!("CREATE {}", rest.trim_start())
}

fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `text` after a user or host name: quoted (`` `…` ``, `'…'`, `"…"`, the
/// quote doubled inside) or bare up to `@` or a space.
fn skip_name(text: &str) -> &str {
    let mut chars = text.char_indices().peekable();
    match chars.peek().map(|c| c.1) {
        Some(q @ ('`' | '\'' | '"')) => {
            chars.next();
            while let Some((i, c)) = chars.next() {
                if c == q {
                    if matches!(chars.peek(), Some((_, d)) if *d == q) {
                        chars.next();
                        continue;
                    }
                    return &text[i + 1..];
                }
            }
            ""
        }
        _ => {
            let end = text
                .find(|c: char| c == '@' || c.is_whitespace())
                .unwrap_or(text.len());
            &text[end..]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_told_by_its_version() {
        let m = Server::parse("10.11.19-MariaDB-0+deb12u1");
        assert!(m.mariadb);
        assert_eq!(m.version, (10, 11, 19));
        let my = Server::parse("8.0.36");
        assert!(!my.mariadb && my.at_least((8, 0, 16)));
    }

    #[test]
    fn definers_are_left_out() {
        assert_eq!(
            without_definer(
                "CREATE DEFINER=`root`@`127.0.0.1` FUNCTION `f`() RETURNS int(11)\nRETURN 1"
            ),
            "CREATE FUNCTION `f`() RETURNS int(11)\nRETURN 1"
        );
        assert_eq!(
            without_definer("CREATE DEFINER=`we``ird`@`%` PROCEDURE `p`()\nBEGIN END"),
            "CREATE PROCEDURE `p`()\nBEGIN END"
        );
        assert_eq!(
            without_definer("CREATE DEFINER=root@localhost PROCEDURE p() SELECT 1"),
            "CREATE PROCEDURE p() SELECT 1"
        );
        assert_eq!(without_definer("CREATE FUNCTION f"), "CREATE FUNCTION f");
    }

    #[test]
    fn a_view_reads_the_names_qualified_with_its_database() {
        let def = "select `d`.`t`.`id` AS `id`,`x`.`n` AS `n` from (`d`.`t` join `d`.`v``q` `x`) where `other`.`u`.`a` = 1";
        assert_eq!(referenced(def, "d"), ["t", "v`q"]);
    }

    #[test]
    fn an_event_body_is_what_follows_do_after_the_comment() {
        let show = r"CREATE EVENT `e` ON SCHEDULE EVERY 1 DAY ON COMPLETION NOT PRESERVE ENABLE COMMENT 'a DO b''s \\' DO DELETE FROM t WHERE a = 'x\\y'";
        assert_eq!(
            event_body(show, true).as_deref(),
            Some(r"DELETE FROM t WHERE a = 'x\\y'")
        );
        let show = "CREATE EVENT `e` ON SCHEDULE AT '2035-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE DO SET @a = ' DO '";
        assert_eq!(event_body(show, false).as_deref(), Some("SET @a = ' DO '"));
    }

    #[test]
    fn on_update_is_read_from_extra() {
        assert_eq!(
            on_update("on update current_timestamp()").as_deref(),
            Some("current_timestamp()")
        );
        assert_eq!(
            on_update("DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)").as_deref(),
            Some("CURRENT_TIMESTAMP(3)")
        );
        assert_eq!(on_update("auto_increment, INVISIBLE"), None);
    }
}
