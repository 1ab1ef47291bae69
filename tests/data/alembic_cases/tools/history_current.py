"""Run real Alembic's `history -r RANGE` with `current` in the range, on the
branched graph of tests/it/graph.rs, with no version table, an empty one,
one row and two rows; print the transcript tests/it/graph_cases.rs reads.

    python3 -m venv /tmp/al && /tmp/al/bin/pip install alembic
    /tmp/al/bin/python tools/history_current.py /tmp/al/bin/alembic > history_current.txt
"""
import os, shutil, sqlite3, subprocess, sys

ALEMBIC = sys.argv[1]
ROOT = "/tmp/alembic_history_current"
ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine
config = context.config
eng = create_engine(config.get_main_option("sqlalchemy.url"))
with eng.connect() as conn:
    context.configure(connection=conn)
    with context.begin_transaction():
        context.run_migrations()
'''
REVS = [
    ("727178216963", [], [], "create account table"),
    ("64dd9a01f257", ["727178216963"], [], "add email column"),
    ("aa1af58ca28f", ["64dd9a01f257"], ["shop"], "add orders table"),
    ("814c54c7a386", ["aa1af58ca28f"], [], "add order status"),
    ("a0b47dc6f698", ["64dd9a01f257"], [], "add audit table"),
]
# None: no version table; a list: the table's rows, in insertion order
# (sorted, as migrate reads them).
STATES = [None, [], ["aa1af58ca28f"], ["814c54c7a386", "a0b47dc6f698"]]
RANGES = [
    "-r :current", "-r current:", "-r current:current", "-r base:current",
    "-r 64dd:current", "-r aa1a:current", "-r a0b4:current", "-r 814c:current",
    "-r current:heads", "-r current:head", "-r current:shop@head", "-r current:+1",
    "-r heads:current", "-r head:current", "-r current:base", "-r current:64dd",
    "-r current:a0b4", "-r shop@base:current", "-r zzzz:current", "-r current:zzzz",
    "--rev-range=-1:current", "-r current:-1", "-r current:+2", "--rev-range=+1:current",
    "-r shop@-1:current", "-r current:shop@+1", "-i -r :current", "-i -r current:",
]


def setup(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/migrations/versions")
    open(d + "/migrations/env.py", "w").write(ENV_PY)
    open(d + "/migrations/script.py.mako", "w").write("")
    open(d + "/alembic.ini", "w").write(
        "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
        "sqlalchemy.url = sqlite:///" + d + "/t.db\n")
    for n, (rid, down, labels, doc) in enumerate(REVS):
        dr = None if not down else down[0]
        src = '"""%s\n\nRevision ID: %s\nRevises: %s\nCreate Date: 2026-01-01 00:00:00\n\n"""\n' % (
            doc, rid, ", ".join(down))
        src += "revision = %r\ndown_revision = %r\nbranch_labels = %r\ndepends_on = None\n" % (
            rid, dr, tuple(labels) if labels else None)
        src += "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
        open(d + "/migrations/versions/%02d_%s.py" % (n, rid), "w").write(src)


def set_rows(d, rows):
    p = d + "/t.db"
    if os.path.exists(p):
        os.remove(p)
    if rows is None:
        return
    c = sqlite3.connect(p)
    c.execute("create table alembic_version (version_num VARCHAR(32) NOT NULL, "
              "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    for r in rows:
        c.execute("insert into alembic_version values (?)", (r,))
    c.commit()
    c.close()


setup(ROOT)
print("# `history` with `current` in the range, as alembic 1.20.1 printed it on the")
print("# graph of tests/it/graph.rs (tools/history_current.py). `=== rows -`: no")
print("# version table; `=== rows IDS`: the table's rows. `| ` lines: stdout.")
for rows in STATES:
    print("=== rows " + ("-" if rows is None else " ".join(rows)))
    for rng in RANGES:
        set_rows(ROOT, rows)
        args = ["history"] + rng.split()
        p = subprocess.run([ALEMBIC] + args, cwd=ROOT, capture_output=True, text=True)
        print("--- " + " ".join(args))
        for line in p.stdout.splitlines():
            print("| " + line)
