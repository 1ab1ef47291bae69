//! One integration test binary: it runs the built `migrate` as a user does,
//! against SQLite and the real PostgreSQL and MariaDB servers, each test in a
//! database of its own.

mod audit;
mod autogen;
mod cache;
mod core;
mod error_pins;
mod errors;
mod examples;
mod faults;
mod fleet;
mod graph;
mod graph_cases;
mod import_alembic;
mod library;
mod lint;
mod locks;
mod offline;
mod packaging;
mod perf_guard;
mod real_schemas;
mod revision;
mod rtest;
mod safety;
mod schema_mysql;
mod schema_pg;
mod schema_props;
mod schema_sqlite;
mod schema_support;
mod support;
mod tls;
