-- The schema the revisions make: edit it, then
--   migrate -c examples/quickstart/migrate.toml revision --autogenerate -m "..."
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    email TEXT
);
CREATE UNIQUE INDEX ix_accounts_email ON accounts (email);
