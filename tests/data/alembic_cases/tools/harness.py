"""Run real Alembic on graph cases; print expectations as a line-based data file."""
import io, os, sys, shutil, logging, sqlite3, contextlib, json, importlib
from alembic.config import CommandLine
import alembic.config as _ac
_orig_init = _ac.Config.__init__
def _init(self, *a, **kw):
    kw["stdout"] = sys.stdout
    _orig_init(self, *a, **kw)
_ac.Config.__init__ = _init

ROOT = "/tmp/ac/work"

ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine
config = context.config
url = config.get_main_option("sqlalchemy.url")
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    eng = create_engine(url)
    with eng.connect() as conn:
        context.configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
'''

class Cap(logging.Handler):
    def __init__(self):
        super().__init__(); self.lines = []
    def emit(self, rec):
        self.lines.append((rec.name, rec.getMessage()))

def setup(case):
    d = os.path.join(ROOT, case["name"])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "migrations", "versions"))
    open(os.path.join(d, "migrations", "env.py"), "w").write(ENV_PY)
    open(os.path.join(d, "migrations", "script.py.mako"), "w").write("")
    open(os.path.join(d, "alembic.ini"), "w").write(
        "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nsqlalchemy.url = sqlite:///" + d + "/t.db\n")
    for n, r in enumerate(case["revs"]):
        rid, down, labels, deps, doc = r
        dr = None if not down else (down[0] if len(down) == 1 else tuple(down))
        src = '"""%s\n\nRevision ID: %s\nRevises: %s\nCreate Date: 2026-01-01 00:00:00\n\n"""\n' % (doc, rid, ", ".join(down))
        src += "revision = %r\ndown_revision = %r\nbranch_labels = %r\ndepends_on = %r\n" % (
            rid, dr, tuple(labels) if labels else None, (deps[0] if len(deps) == 1 else tuple(deps)) if deps else None)
        src += "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
        open(os.path.join(d, "migrations", "versions", "%02d_%s.py" % (n, rid)), "w").write(src)
    return d

def rows(d):
    p = os.path.join(d, "t.db")
    if not os.path.exists(p): return []
    c = sqlite3.connect(p)
    try:
        return [r[0] for r in c.execute("SELECT alembic_version.version_num FROM alembic_version")]
    except sqlite3.OperationalError:
        return []
    finally:
        c.close()

def set_rows(d, rs):
    p = os.path.join(d, "t.db")
    c = sqlite3.connect(p)
    c.execute("create table if not exists alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    c.execute("delete from alembic_version")
    for r in rs: c.execute("insert into alembic_version values (?)", (r,))
    c.commit(); c.close()

def run(d, argv):
    cap = Cap()
    for name in ("alembic", "sqlalchemy.engine"):
        lg = logging.getLogger(name); lg.handlers = [cap]; lg.setLevel(logging.INFO); lg.propagate = False
    out = io.StringIO()
    cwd = os.getcwd(); os.chdir(d)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                CommandLine(prog="alembic").main(argv=["-c", os.path.join(d, "alembic.ini")] + argv)
            except SystemExit:
                pass
            except Exception as e:
                print("EXCEPTION: %s: %s" % (type(e).__name__, e))
    finally:
        os.chdir(cwd)
    text = out.getvalue().replace(d + "/migrations/", "")
    running = [m for (n, m) in cap.lines if n.startswith("alembic") and m.startswith("Running ")]
    ops = []
    for (n, m) in cap.lines:
        if not n.startswith("sqlalchemy"): continue
        m = m.strip()
        if m.startswith("INSERT INTO alembic_version"):
            ops.append("INSERT " + m.split("VALUES ('")[1].split("'")[0])
        elif m.startswith("UPDATE alembic_version"):
            to = m.split("version_num='")[1].split("'")[0]; fr = m.split("= '")[1].split("'")[0]
            ops.append("UPDATE %s %s" % (fr, to))
        elif m.startswith("DELETE FROM alembic_version WHERE"):
            ops.append("DELETE " + m.split("= '")[1].split("'")[0])
        elif m.startswith("DELETE FROM alembic_version"):
            ops.append("DELETEALL")
    return text, running, ops

def main():
    cases = json.load(open(sys.argv[1]))
    for case in cases:
        d = setup(case)
        print("=== case %s" % case["name"])
        for r in case["revs"]:
            rid, down, labels, deps, doc = r
            print("rev %s|%s|%s|%s|%s" % (rid, ",".join(down), ",".join(labels), ",".join(deps), doc))
        for cmd in case["cmds"]:
            if cmd[0] == "@rows":
                set_rows(d, cmd[1:]); print("--- rows %s" % " ".join(cmd[1:])); continue
            text, running, ops = run(d, cmd)
            print("--- cmd %s" % " ".join(cmd))
            for l in running: print("log " + l)
            for o in ops: print("op " + o)
            if cmd[0] in ("upgrade", "downgrade", "stamp"):
                print("after " + " ".join(rows(d)))
            for l in text.split("\n"):
                print("| " + l)
main()
