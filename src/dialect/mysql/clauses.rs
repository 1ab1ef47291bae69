//! How MySQL/MariaDB write the pieces of a schema: names, string literals,
//! column definitions, key, index and foreign-key clauses, events. Written
//! once, used by the catalog reader (which stores the clauses it composes
//! from the server's catalog as the model's definitions, so that two schemas
//! compare by them) and by the DDL renderer (which runs them). Pure.

use crate::schema::model::{Column, QName};

/// A quoted identifier.
pub(crate) fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A name, with its database where it has one (a foreign key to another database).
pub(crate) fn qname(name: &QName) -> String {
    match &name.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&name.name)),
        None => ident(&name.name),
    }
}

/// A string literal as the server writes one (`SHOW CREATE TABLE`): a quote
/// doubled, a backslash escaped. (Revision files are run with the server's
/// default `sql_mode`; `NO_BACKSLASH_ESCAPES` would read `\\` as two.)
pub(crate) fn literal(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('\'');
    for c in value.chars() {
        match c {
            '\'' => s.push_str("''"),
            '\\' => s.push_str("\\\\"),
            '\0' => s.push_str("\\0"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// A list of quoted names: `` `a`, `b` ``.
pub(crate) fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The character set a collation belongs to: every collation's name starts
/// with its character set's (`utf8mb4_general_ci`), except `binary`.
pub(crate) fn charset_of(collation: &str) -> &str {
    collation.split('_').next().unwrap_or(collation)
}

/// A column's definition, as in `CREATE TABLE` and `ALTER TABLE … ADD|MODIFY
/// COLUMN`: every attribute written out, the collation too, so that it does
/// not depend on the table's default at the time it runs. `check` is a
/// column-level check kept on a `MODIFY` (MariaDB drops one the `MODIFY`
/// does not repeat).
pub(crate) fn column(c: &Column, check: Option<&str>) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        s.push_str(&format!(
            " CHARACTER SET {} COLLATE {coll}",
            charset_of(coll)
        ));
    }
    match &c.generated {
        Some(g) => {
            s.push_str(&format!(
                " GENERATED ALWAYS AS ({}) {}",
                g.expression,
                if g.stored { "STORED" } else { "VIRTUAL" }
            ));
            // MariaDB refuses NULL/NOT NULL on a generated column; MySQL takes NOT NULL.
            if !c.nullable {
                s.push_str(" NOT NULL");
            }
        }
        None => {
            s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
            if let Some(d) = &c.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if let Some(u) = &c.on_update {
                s.push_str(&format!(" ON UPDATE {u}"));
            }
        }
    }
    if c.auto_increment {
        s.push_str(" AUTO_INCREMENT");
    }
    if c.invisible {
        s.push_str(" INVISIBLE");
    }
    if let Some(comment) = &c.comment {
        s.push_str(&format!(" COMMENT {}", literal(comment)));
    }
    if let Some(check) = check {
        s.push(' ');
        s.push_str(check);
    }
    s
}

/// One part of an index: a column with its prefix length and order, or an
/// expression (MySQL 8's functional key parts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyPart {
    pub column: Option<String>,
    pub expression: Option<String>,
    pub prefix: Option<String>,
    pub descending: bool,
}

impl KeyPart {
    fn sql(&self) -> String {
        let mut s = match (&self.column, &self.expression) {
            (Some(c), _) => ident(c),
            (None, Some(e)) => format!("({e})"),
            (None, None) => String::new(),
        };
        if let Some(p) = &self.prefix {
            s.push_str(&format!("({p})"));
        }
        if self.descending {
            s.push_str(" DESC");
        }
        s
    }
}

/// The key parts of an index, in order: `` `a`(10), `b` DESC ``.
pub(crate) fn key_parts(parts: &[KeyPart]) -> String {
    parts
        .iter()
        .map(KeyPart::sql)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An index as `SHOW CREATE TABLE` writes it: `UNIQUE KEY `n` (`a`(10)) USING
/// HASH COMMENT '…'`; what `ALTER TABLE … ADD` takes and the model compares.
/// `kind` is `UNIQUE`, `FULLTEXT`, `SPATIAL` or empty; `method` is written
/// only when it is not what the engine would pick (a hash index on InnoDB
/// is a MariaDB long unique key; a B-tree on MEMORY is asked for).
pub(crate) fn index(
    kind: &str,
    name: &str,
    parts: &[KeyPart],
    method: Option<&str>,
    comment: Option<&str>,
    ignored: Option<&str>,
) -> String {
    let mut s = String::new();
    if !kind.is_empty() {
        s.push_str(kind);
        s.push(' ');
    }
    s.push_str(&format!("KEY {} ({})", ident(name), key_parts(parts)));
    if let Some(m) = method {
        s.push_str(&format!(" USING {m}"));
    }
    if let Some(c) = comment {
        s.push_str(&format!(" COMMENT {}", literal(c)));
    }
    if let Some(i) = ignored {
        s.push(' ');
        s.push_str(i);
    }
    s
}

/// The columns of an index as `index` writes it (expressions left out).
pub(crate) fn index_columns(definition: &str) -> Vec<String> {
    let Some(open) = definition.find(" (") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut at_part_start = false;
    let mut chars = definition[open + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                depth += 1;
                at_part_start = depth == 1;
                continue;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                at_part_start = true;
                continue;
            }
            ' ' if at_part_start => continue,
            '`' if at_part_start && depth == 1 => {
                let mut name = String::new();
                while let Some(d) = chars.next() {
                    if d == '`' {
                        if chars.peek() == Some(&'`') {
                            chars.next();
                            name.push('`');
                            continue;
                        }
                        break;
                    }
                    name.push(d);
                }
                out.push(name);
            }
            '\'' => {
                // A string in an expression: skipped whole.
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
        at_part_start = false;
    }
    out
}

/// A foreign key's clause after its name: `FOREIGN KEY (`a`) REFERENCES `p`
/// (`id`) ON DELETE CASCADE ON UPDATE RESTRICT`.
pub(crate) fn foreign_key(
    columns: &[String],
    ref_table: &QName,
    ref_columns: &[String],
    on_delete: &str,
    on_update: &str,
) -> String {
    format!(
        "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {on_delete} ON UPDATE {on_update}",
        idents(columns),
        qname(ref_table),
        idents(ref_columns)
    )
}

/// What `information_schema.EVENTS` says of an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EventParts {
    pub name: String,
    pub body: String,
    /// `AT` time of a one-time event.
    pub execute_at: Option<String>,
    /// `EVERY` value and unit of a recurring event.
    pub every: Option<(String, String)>,
    pub starts: Option<String>,
    pub ends: Option<String>,
    /// `ENABLED`, `DISABLED`, `SLAVESIDE_DISABLED`.
    pub status: String,
    pub preserve: bool,
    pub comment: Option<String>,
}

/// An event's `CREATE EVENT`, in the order `SHOW CREATE EVENT` writes it
/// (without its `DEFINER`).
pub(crate) fn event(e: &EventParts) -> String {
    let mut s = format!("CREATE EVENT {} ON SCHEDULE ", ident(&e.name));
    if let Some((value, unit)) = &e.every {
        s.push_str(&format!("EVERY {} {unit}", interval_value(value)));
        if let Some(t) = &e.starts {
            s.push_str(&format!(" STARTS {}", literal(t)));
        }
        if let Some(t) = &e.ends {
            s.push_str(&format!(" ENDS {}", literal(t)));
        }
    } else if let Some(t) = &e.execute_at {
        s.push_str(&format!("AT {}", literal(t)));
    }
    s.push_str(if e.preserve {
        " ON COMPLETION PRESERVE"
    } else {
        " ON COMPLETION NOT PRESERVE"
    });
    s.push_str(match e.status.as_str() {
        "DISABLED" => " DISABLE",
        "SLAVESIDE_DISABLED" => " DISABLE ON SLAVE",
        _ => " ENABLE",
    });
    if let Some(c) = &e.comment {
        s.push_str(&format!(" COMMENT {}", literal(c)));
    }
    s.push_str(" DO ");
    s.push_str(&e.body);
    s
}

/// An interval's value as `SHOW CREATE EVENT` writes it: a number bare, a
/// compound value (`1:30` for `HOUR_MINUTE`) quoted. The catalog gives the
/// second already quoted.
fn interval_value(v: &str) -> String {
    if v.starts_with('\'') || v.bytes().all(|b| b.is_ascii_digit()) {
        v.to_string()
    } else {
        literal(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::Generated;

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(literal("it's a\\b"), "'it''s a\\\\b'");
        assert_eq!(ident("we`ird"), "`we``ird`");
        assert_eq!(charset_of("utf8mb4_uca1400_ai_ci"), "utf8mb4");
        assert_eq!(charset_of("binary"), "binary");
    }

    #[test]
    fn a_column_is_written_whole() {
        let c = Column {
            name: "code".into(),
            data_type: "varchar(10)".into(),
            nullable: false,
            default: Some("'x'".into()),
            collation: Some("latin1_bin".into()),
            comment: Some("the code".into()),
            ..Default::default()
        };
        assert_eq!(
            column(&c, None),
            "`code` varchar(10) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'x' COMMENT 'the code'"
        );
        let g = Column {
            name: "g".into(),
            data_type: "int(11)".into(),
            nullable: true,
            generated: Some(Generated {
                expression: "`a` + 1".into(),
                stored: true,
            }),
            invisible: true,
            ..Default::default()
        };
        assert_eq!(
            column(&g, None),
            "`g` int(11) GENERATED ALWAYS AS (`a` + 1) STORED INVISIBLE"
        );
        let ts = Column {
            name: "ts".into(),
            data_type: "timestamp".into(),
            default: Some("current_timestamp()".into()),
            on_update: Some("current_timestamp()".into()),
            ..Default::default()
        };
        assert_eq!(
            column(&ts, Some("CHECK (`ts` > 0)")),
            "`ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp() CHECK (`ts` > 0)"
        );
    }

    #[test]
    fn indexes_and_events_read_as_show_create_writes_them() {
        let parts = [
            KeyPart {
                column: Some("a".into()),
                prefix: Some("10".into()),
                ..Default::default()
            },
            KeyPart {
                column: Some("b".into()),
                descending: true,
                ..Default::default()
            },
        ];
        let def = index("UNIQUE", "u", &parts, Some("HASH"), Some("c"), None);
        assert_eq!(
            def,
            "UNIQUE KEY `u` (`a`(10), `b` DESC) USING HASH COMMENT 'c'"
        );
        assert_eq!(index_columns(&def), ["a", "b"]);
        let expr = KeyPart {
            expression: Some("lower(`c`), ')'".into()),
            ..Default::default()
        };
        let def = index("", "e", &[expr, parts[1].clone()], None, None, None);
        assert_eq!(index_columns(&def), ["b"]);
        let e = EventParts {
            name: "e".into(),
            body: "DELETE FROM t".into(),
            every: Some(("1:30".into(), "HOUR_MINUTE".into())),
            status: "ENABLED".into(),
            ..Default::default()
        };
        assert_eq!(
            event(&e),
            "CREATE EVENT `e` ON SCHEDULE EVERY '1:30' HOUR_MINUTE ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM t"
        );
    }
}
