//! Schema cases on PostgreSQL (see schema_support): each a round trip on
//! the real server, per object kind: created, dropped, and each kind of
//! change; renames with their rows; hazards; the SQL's shape where it counts.

use crate::schema_support::*;
use crate::support::{Db, TestDb};

const PG: Db = Db::Postgres;

fn has(statements: &[String], needle: &str) -> bool {
    statements.iter().any(|s| s.contains(needle))
}

#[track_caller]
fn assert_has(statements: &[String], needle: &str) {
    assert!(
        has(statements, needle),
        "no statement holds {needle:?}:\n{}",
        statements.join(";\n")
    );
}

#[track_caller]
fn assert_lacks(statements: &[String], needle: &str) {
    assert!(
        !has(statements, needle),
        "a statement holds {needle:?}:\n{}",
        statements.join(";\n")
    );
}

mod catalog;
mod constraints;
mod partitions;
mod routines;
mod scratch;
mod sequences;
mod tables;
mod types;
mod views;
mod whole;
