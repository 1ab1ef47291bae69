//! `migrate`: Alembic's revision graph with plain-SQL revision files, for
//! PostgreSQL, MySQL/MariaDB and SQLite.
//!
//! The crate is layered, arrows pointing down only: `command` (one function
//! per verb) → `script` (revision files and their graph) and `runtime` (lock,
//! transactions, version table) → `dialect` (one `Database` per server) and
//! the pure modules `sql` (statement splitter), `script::file`,
//! `script::revision`, `runtime::step`. `config` and `url` turn migrate.toml
//! and database URLs into typed values; `template` renders new files.

pub mod command;
pub mod config;
pub mod dialect;
pub mod fleet;
pub mod import;
pub mod interrupt;
pub mod kind;
pub mod lint;
pub mod migrator;
pub mod progress;
pub mod runtime;
pub mod schema;
pub mod scratch;
pub mod script;
pub mod sql;
pub mod target;
pub mod template;
pub mod text;
pub mod url;

pub use kind::Kind;
pub use migrator::{Embedded, Error, Migrator, Step};
pub use progress::Event;

/// What `embed_migrations!` expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use include_dir;
}
