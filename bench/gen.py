#!/usr/bin/env python3
"""Generates equivalent benchmark projects of N revisions for migrate, Alembic and dbmate.

    gen.py OUT_DIR N SHAPE

SHAPE is `linear` (a chain) or `branchy` (a branch point every 10 revisions,
two branches of 4, joined by a merge, so the graph has one head). Each
revision creates one table on upgrade and drops it on downgrade; the same
ids, order and SQL go into all three projects:

    OUT_DIR/migrate/   migrate.toml + migrations/versions/*.sql
    OUT_DIR/alembic/   alembic.ini + env.py + versions/*.py  (op.execute of the same SQL)
    OUT_DIR/dbmate/    db/migrations/*.sql                    (linear only: dbmate has no graph)

Databases come from the environment at run time (BENCH_URL), never from
these files. Standard library only.
"""

import hashlib
import os
import sys


def rev_id(i):
    return hashlib.sha1(f"bench-{i}".encode()).hexdigest()[:12]


def graph(n, shape):
    """[(index, id, [parent ids])] in an order where parents come first."""
    revs = []
    if shape == "linear":
        for i in range(n):
            revs.append((i, rev_id(i), [rev_id(i - 1)] if i else []))
        return revs
    # branchy: B -> (a1..a4) and (b1..b4) -> M, repeated; the merge M is the
    # next segment's branch point. Leftover revisions continue linearly.
    i = 0
    head = None
    while i < n:
        if n - i >= 10:
            b = rev_id(i)
            revs.append((i, b, [head] if head else []))
            left = b
            for k in range(4):
                rid = rev_id(i + 1 + k)
                revs.append((i + 1 + k, rid, [left]))
                left = rid
            right = b
            for k in range(4):
                rid = rev_id(i + 5 + k)
                revs.append((i + 5 + k, rid, [right]))
                right = rid
            m = rev_id(i + 9)
            revs.append((i + 9, m, [left, right]))
            head = m
            i += 10
        else:
            rid = rev_id(i)
            revs.append((i, rid, [head] if head else []))
            head = rid
            i += 1
    return revs


def up_sql(i):
    return f"CREATE TABLE t_{i:05d} (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)"


def down_sql(i):
    return f"DROP TABLE t_{i:05d}"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gen_migrate(out, revs):
    root = os.path.join(out, "migrate")
    versions = os.path.join(root, "migrations", "versions")
    os.makedirs(versions, exist_ok=True)
    write(
        os.path.join(root, "migrate.toml"),
        '[migrate]\nscript_location = "migrations"\nurl = "${BENCH_URL}"\n',
    )
    for i, rid, parents in revs:
        write(
            os.path.join(versions, f"{rid}_create_t_{i:05d}.sql"),
            f"-- create t_{i:05d}\n--\n-- Revision ID: {rid}\n-- Revises: {', '.join(parents)}\n"
            f"-- Create Date: 2026-01-01 00:00:00.000000\n\n"
            f"-- migrate:upgrade\n{up_sql(i)};\n\n-- migrate:downgrade\n{down_sql(i)};\n",
        )


ALEMBIC_ENV = '''import os

from alembic import context
from sqlalchemy import create_engine, pool

url = os.environ["BENCH_URL"]

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
'''


def gen_alembic(out, revs):
    root = os.path.join(out, "alembic")
    versions = os.path.join(root, "versions")
    os.makedirs(versions, exist_ok=True)
    write(os.path.join(root, "alembic.ini"), "[alembic]\nscript_location = %(here)s\n")
    write(os.path.join(root, "env.py"), ALEMBIC_ENV)
    write(
        os.path.join(root, "script.py.mako"),
        '"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n',
    )
    for i, rid, parents in revs:
        if not parents:
            down = "None"
        elif len(parents) == 1:
            down = repr(parents[0])
        else:
            down = repr(tuple(parents))
        write(
            os.path.join(versions, f"{rid}_create_t_{i:05d}.py"),
            f'"""create t_{i:05d}\n\nRevision ID: {rid}\nRevises: {", ".join(parents)}\n'
            f'Create Date: 2026-01-01 00:00:00.000000\n\n"""\n'
            f"from alembic import op\n\n"
            f"revision = {rid!r}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n    op.execute({up_sql(i)!r})\n\n\n"
            f"def downgrade():\n    op.execute({down_sql(i)!r})\n",
        )


def gen_dbmate(out, revs):
    root = os.path.join(out, "dbmate", "db", "migrations")
    os.makedirs(root, exist_ok=True)
    for i, _rid, _parents in revs:
        write(
            os.path.join(root, f"{20260101000000 + i}_create_t_{i:05d}.sql"),
            f"-- migrate:up\n{up_sql(i)};\n\n-- migrate:down\n{down_sql(i)};\n",
        )


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("linear", "branchy"):
        sys.exit("usage: gen.py OUT_DIR N linear|branchy")
    out, n, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    revs = graph(n, shape)
    gen_migrate(out, revs)
    gen_alembic(out, revs)
    if shape == "linear":
        gen_dbmate(out, revs)


if __name__ == "__main__":
    main()
