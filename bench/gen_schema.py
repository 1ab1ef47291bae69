#!/usr/bin/env python3
"""Generates an autogenerate benchmark project: a schema of N tables.

    gen_schema.py OUT_DIR N DIALECT      DIALECT: postgresql, mysql or sqlite

Each table has a surrogate key, seven columns of common types (text,
timestamps with a default, a numeric with a default and a check, a boolean),
a foreign key to the table before it, a unique constraint and a secondary
index; every tenth table also gets a view. Written:

    OUT_DIR/schema.sql         the N tables: the schema the project wants
    OUT_DIR/migrate.toml       url = "${BENCH_URL}", schema = "schema.sql"
    OUT_DIR/migrations/        one revision that creates the same N tables
                               less one column and one index, so that
                               autogenerate replays N tables, loads N tables
                               and writes a small revision

Standard library only.
"""

import os
import sys

TYPES = {
    "postgresql": {
        "id": "id BIGSERIAL PRIMARY KEY",
        "ts": "TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()",
        "bool": "BOOLEAN NOT NULL DEFAULT true",
        "text": "TEXT",
    },
    "mysql": {
        "id": "id BIGINT AUTO_INCREMENT PRIMARY KEY",
        "ts": "DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
        "bool": "BOOLEAN NOT NULL DEFAULT TRUE",
        "text": "TEXT",
    },
    "sqlite": {
        "id": "id INTEGER PRIMARY KEY",
        "ts": "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
        "bool": "BOOLEAN NOT NULL DEFAULT 1",
        "text": "TEXT",
    },
}


def table(i, dialect, extra):
    t = TYPES[dialect]
    name = f"t_{i:05d}"
    cols = [
        t["id"],
        "code VARCHAR(40) NOT NULL",
        "name VARCHAR(200) NOT NULL",
        f"note {t['text']}",
        f"created_at {t['ts']}",
        "amount NUMERIC(12, 2) NOT NULL DEFAULT 0",
        f"active {t['bool']}",
    ]
    if i:
        cols.append(f"parent_id BIGINT REFERENCES t_{i - 1:05d} (id) ON DELETE CASCADE")
    if extra:
        cols.append("extra VARCHAR(20)")
    cols.append(f"CONSTRAINT {name}_code_key UNIQUE (code)")
    cols.append(f"CONSTRAINT {name}_amount_check CHECK (amount >= 0)")
    body = ",\n    ".join(cols)
    out = [f"CREATE TABLE {name} (\n    {body}\n);"]
    out.append(f"CREATE INDEX {name}_created_idx ON {name} (created_at);")
    if extra:
        out.append(f"CREATE INDEX {name}_name_idx ON {name} (name);")
    if i % 10 == 9:
        out.append(
            f"CREATE VIEW v_{i:05d} AS SELECT id, code, amount FROM {name} WHERE active;"
            if dialect == "postgresql"
            else f"CREATE VIEW v_{i:05d} AS SELECT id, code, amount FROM {name} WHERE active = 1;"
        )
    return "\n".join(out)


def schema(n, dialect, changed):
    return "\n\n".join(table(i, dialect, changed and i == n - 1) for i in range(n)) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in TYPES:
        sys.exit(__doc__)
    out, n, dialect = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    write(os.path.join(out, "schema.sql"), schema(n, dialect, True))
    write(
        os.path.join(out, "migrate.toml"),
        '[migrate]\nscript_location = "migrations"\nurl = "${BENCH_URL}"\nschema = "schema.sql"\n',
    )
    template = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "templates", "generic", "script.sql.tera")
    with open(template, encoding="utf-8") as f:
        write(os.path.join(out, "migrations", "script.sql.tera"), f.read())
    write(
        os.path.join(out, "migrations", "versions", "000000000001_base.sql"),
        "-- base\n--\n-- Revision ID: 000000000001\n-- Revises: \n"
        "-- Create Date: 2026-01-01 00:00:00\n\n-- migrate:upgrade\n"
        + schema(n, dialect, False)
        + "\n-- migrate:downgrade\n"
        + "".join(
            f"DROP VIEW v_{i:05d};\n" for i in reversed(range(n)) if i % 10 == 9
        )
        + "".join(f"DROP TABLE t_{i:05d};\n" for i in reversed(range(n))),
    )


if __name__ == "__main__":
    main()
