//! Names and literals as PostgreSQL writes them. Pure.
//!
//! An identifier is quoted exactly when the server's own `quote_ident`
//! quotes it, so that a name written here reads the same as the catalog's
//! canonical text (`format_type`, `pg_get_expr`), where the reader finds
//! the same names quoted the same way (a column whose type is an enum, for
//! one).

use crate::schema::model::QName;
use std::borrow::Cow;

/// Keywords that are not `UNRESERVED` (`pg_get_keywords()` where
/// `catcode <> 'U'`, PostgreSQL 15): the server quotes them as names.
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// A name as `quote_ident` writes it: bare when it is lower case letters,
/// digits and underscores (not first a digit) and no reserved word.
pub(crate) fn ident(name: &str) -> Cow<'_, str> {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && KEYWORDS.binary_search(&name).is_err();
    if plain {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

/// A schema-qualified name (`public.t`); every name PostgreSQL has is in a schema.
pub(crate) fn qualified(name: &QName) -> String {
    match &name.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&name.name)),
        None => ident(&name.name).into_owned(),
    }
}

/// `name` in the schema of `of` (an index, a constraint's table).
pub(crate) fn sibling(of: &QName, name: &str) -> String {
    qualified(&QName {
        schema: of.schema.clone(),
        name: name.to_string(),
    })
}

/// Text as a string literal, whatever `standard_conforming_strings` says:
/// an `E''` string where it holds a backslash.
pub(crate) fn literal(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_the_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn names_are_quoted_as_the_server_quotes_them() {
        for (name, written) in [
            ("users", "users"),
            ("_t1", "_t1"),
            ("Users", "\"Users\""),
            ("1t", "\"1t\""),
            ("order", "\"order\""),
            ("name", "name"),
            ("a b", "\"a b\""),
            ("a\"b", "\"a\"\"b\""),
            ("", "\"\""),
            ("é", "\"é\""),
        ] {
            assert_eq!(ident(name), written, "{name}");
        }
        assert_eq!(
            qualified(&QName::new(Some("Sales"), "user")),
            "\"Sales\".\"user\""
        );
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }
}
