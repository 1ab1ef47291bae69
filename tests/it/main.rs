//! One integration test binary: it runs the built `migrate` as a user does,
//! against SQLite and the real PostgreSQL and MariaDB servers, each test in a
//! database of its own.

mod audit;
mod autogen;
mod cache;
mod core;
mod errors;
mod examples;
mod faults;
mod graph;
mod graph_cases;
mod library;
mod lint;
mod offline;
mod packaging;
mod perf_guard;
mod revision;
mod safety;
mod schema_mysql;
mod schema_pg;
mod schema_props;
mod schema_sqlite;
mod schema_support;
mod support;
mod tls;
