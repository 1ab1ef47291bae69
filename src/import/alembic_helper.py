"""The helper `migrate import alembic` runs with the project's own Python.

It is shipped inside the `migrate` binary and fed to `python -` on stdin. It
reads alembic.ini through Alembic's own Config, loads the script directory
(never env.py, so the application is not imported), and renders each
revision's upgrade() and downgrade() as SQL with Alembic's offline (as_sql)
mode for the target dialect. Where offline mode cannot render an operation
on SQLite (batch_alter_table must reflect the live table), the revision runs
online against a scratch SQLite file that holds its ancestors' schema, and
the statements it executes are captured. A revision that still cannot be
rendered (it calls op.get_bind(), or raises) is reported as a "todo" with
its reason and Python source.

Output: one JSON document on stdout, {"ok": true, ...} or
{"ok": false, "error": {"kind": ..., "message": ...}}; exit status 0 either
way (a non-zero status means the helper itself broke).
Arguments: INI [--dialect NAME] [--scratch SQLITE_FILE] [--name SECTION]
"""

import json
import os
import re
import sys
import traceback


def emit(doc):
    sys.stdout.write(json.dumps(doc))
    sys.stdout.write("\n")
    sys.stdout.flush()


def fail(kind, message):
    emit({"ok": False, "error": {"kind": kind, "message": message}})
    sys.exit(0)


def last_line(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def describe(exc):
    """The exception's last line, after the file and line of the user's code
    it came from (a revision file, usually), when there is one."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = "%s:%s: " % (exc.filename, exc.lineno)
    else:
        import sysconfig

        libs = tuple(
            os.path.abspath(p) + os.sep
            for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
            if p
        )
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename != "<stdin>" and not os.path.abspath(f.filename).startswith(libs)
        ]
        if frames:
            where = "%s:%s: " % (frames[-1].filename, frames[-1].lineno)
    return where + last_line(exc)


def parse_args(argv):
    args = {"ini": None, "dialect": None, "scratch": None, "name": "alembic"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--dialect", "--scratch", "--name") and i + 1 < len(argv):
            args[a[2:]] = argv[i + 1]
            i += 2
            continue
        if args["ini"] is None:
            args["ini"] = a
        i += 1
    return args


ARGS = parse_args(sys.argv[1:])

try:
    import sqlalchemy as sa
    import alembic
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.runtime.migration import MigrationContext
    from alembic.operations import Operations
    from alembic.operations import base as ops_base
    from alembic import util as alembic_util
except Exception as e:  # ImportError and whatever a broken install raises
    fail("no_alembic", "%s (Python %s at %s)" % (last_line(e), sys.version.split()[0], sys.executable))


class NeedsDatabase(Exception):
    """op.get_bind() was called: the revision reads or drives the database itself."""


_real_get_bind = ops_base.AbstractOperations.get_bind
_alembic_dir = os.path.dirname(os.path.abspath(alembic.__file__)) + os.sep
# True while the section being rendered runs: get_bind() from the revision's
# own code is refused then (Alembic's batch mode calls it too, and may).
BLOCK_BIND = [False]


def _guarded_get_bind(self):
    caller = os.path.abspath(sys._getframe(1).f_code.co_filename)
    if BLOCK_BIND[0] and not caller.startswith(_alembic_dir):
        raise NeedsDatabase(
            "it calls op.get_bind(), which reads or drives the database itself; "
            "its SQL cannot be known without running it"
        )
    return _real_get_bind(self)


ops_base.AbstractOperations.get_bind = _guarded_get_bind


def load():
    ini = ARGS["ini"]
    if not ini or not os.path.isfile(ini):
        fail("config", "no such file: %s" % ini)
    try:
        cfg = Config(ini, ini_section=ARGS["name"])
        if not cfg.file_config.has_section(ARGS["name"]):
            fail("config", "%s has no [%s] section; is it an alembic.ini?" % (ini, ARGS["name"]))
        if not cfg.get_main_option("script_location"):
            fail("config", "%s has no script_location in its [%s] section" % (ini, ARGS["name"]))
        script = ScriptDirectory.from_config(cfg)
    except SystemExit:
        raise
    except Exception as e:
        fail("config", describe(e))
    return cfg, script


def load_revisions(script):
    try:
        # Topological order, base first.
        revs = list(script.walk_revisions("base", "heads"))
        revs.reverse()
        return revs
    except Exception as e:
        fail("scripts", describe(e))


def dialect_name(cfg):
    if ARGS["dialect"]:
        return ARGS["dialect"]
    url = cfg.get_main_option("sqlalchemy.url")
    if not url:
        fail(
            "dialect",
            "alembic.ini has no sqlalchemy.url to tell the dialect from; pass --dialect postgresql|mysql|mariadb|sqlite",
        )
    try:
        return sa.engine.make_url(url).get_backend_name()
    except Exception as e:
        fail(
            "dialect",
            "cannot tell the dialect from sqlalchemy.url (%s); pass --dialect postgresql|mysql|mariadb|sqlite" % last_line(e),
        )


def function_source(module, name):
    import inspect

    fn = getattr(module, name, None)
    if fn is None:
        return None, 0
    try:
        lines, first = inspect.getsourcelines(fn)
        return "".join(lines).rstrip("\n"), first
    except Exception:
        return None, 0


def run_section(module, name, ops_context, block_bind=True):
    fn = getattr(module, name, None)
    if fn is None:
        raise NeedsDatabase("it has no %s() function" % name)
    BLOCK_BIND[0] = block_bind
    try:
        with Operations.context(ops_context):
            fn()
    finally:
        BLOCK_BIND[0] = False


# Set when a rendered function used autocommit_block(): its SQL must run
# outside a transaction (the COMMIT/BEGIN offline mode would print are not kept).
AUTOCOMMIT = [False]


def _mark_autocommit():
    AUTOCOMMIT[0] = True


def render_offline(module, name, dialect):
    statements = []
    ctx = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "literal_binds": True},
    )
    ctx.impl.static_output = lambda text: statements.append(text)
    ctx.impl.emit_commit = _mark_autocommit
    ctx.impl.emit_begin = _mark_autocommit
    run_section(module, name, ctx)
    return statements


# --- online against the scratch SQLite file ---------------------------------

def quote_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "X'%s'" % bytes(v).hex()
    return "'%s'" % str(v).replace("'", "''")


def inline_params(sql, params):
    """Puts qmark parameters into the statement as literals."""
    if not params:
        return sql
    if isinstance(params, dict):
        raise ValueError("named parameters in a captured statement")
    out = []
    values = list(params)
    quote = None
    for ch in sql:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?" and values:
            out.append(quote_literal(values.pop(0)))
        else:
            out.append(ch)
    return "".join(out)


def empty_sqlite(conn):
    rows = conn.exec_driver_sql(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('view', 'table')"
    ).fetchall()
    for kind, name in sorted(rows, key=lambda r: r[0] != "view"):
        conn.exec_driver_sql('DROP %s IF EXISTS "%s"' % (kind.upper(), name.replace('"', '""')))


def ancestors_in_order(script, rev, order):
    """The revisions `rev` stands on (its down revisions and dependencies,
    transitively), in the topological order `order`."""
    seen = set()
    stack = [rev]
    while stack:
        r = stack.pop()
        for d in getattr(r, "_all_down_revisions", r._versioned_down_revisions):
            if d not in seen:
                seen.add(d)
                stack.append(script.get_revision(d))
    return [r for r in order if r.revision in seen]


def render_online(script, order, rev, name):
    from sqlalchemy.pool import NullPool

    path = ARGS["scratch"]
    engine = sa.create_engine("sqlite:///" + path, poolclass=NullPool)
    captured = []
    try:
        with engine.begin() as conn:
            empty_sqlite(conn)
            ctx = MigrationContext.configure(connection=conn)
            for a in ancestors_in_order(script, rev, order):
                try:
                    run_section(a.module, "upgrade", ctx, block_bind=False)
                except Exception as e:
                    raise NeedsDatabase(
                        "its ancestor %s failed on the scratch database: %s" % (a.revision, last_line(e))
                    )
            if name == "downgrade":
                run_section(rev.module, "upgrade", ctx, block_bind=False)

            def capture(conn_, cursor, statement, parameters, context, executemany):
                head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
                # Reflection reads the table; only what changes the schema or rows is kept.
                if head in ("PRAGMA", "SELECT", "WITH"):
                    return
                if executemany:
                    for p in parameters:
                        captured.append(inline_params(statement, p))
                else:
                    captured.append(inline_params(statement, parameters))

            sa.event.listen(conn, "before_cursor_execute", capture)
            try:
                run_section(rev.module, name, ctx)
            finally:
                sa.event.remove(conn, "before_cursor_execute", capture)
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    return [s.strip().rstrip(";") + ";" for s in captured]


def render(script, order, rev, name, dialect):
    """(how, statements, todo) for one section of one revision."""
    try:
        return "offline", render_offline(rev.module, name, dialect), None
    except NeedsDatabase as e:
        return "offline", [], str(e)
    except Exception as e:
        offline_error = describe(e)
    if dialect == "sqlite" and ARGS["scratch"]:
        try:
            return "scratch", render_online(script, order, rev, name), None
        except NeedsDatabase as e:
            return "scratch", [], str(e)
        except Exception as e:
            return "scratch", [], "it raised in offline mode (%s) and on a scratch SQLite database (%s)" % (
                offline_error,
                describe(e),
            )
    return "offline", [], "it raised in offline mode: %s" % offline_error


CREATE_DATE = re.compile(r"^\s*Create Date:\s*(.+?)\s*$", re.M)


def main():
    cfg, script = load()
    dialect = dialect_name(cfg)
    order = load_revisions(script)
    out = []
    for rev in order:
        longdoc = rev.longdoc or ""
        m = CREATE_DATE.search(longdoc)
        entry = {
            "revision": rev.revision,
            "down_revision": list(alembic_util.to_tuple(rev.down_revision, default=())),
            "branch_labels": sorted(getattr(rev, "_orig_branch_labels", ()) or ()),
            "depends_on": list(getattr(rev, "_resolved_dependencies", ()) or ()),
            "message": rev.doc or "",
            "create_date": m.group(1) if m else None,
            "path": os.path.abspath(rev.path),
        }
        for name in ("upgrade", "downgrade"):
            AUTOCOMMIT[0] = False
            how, statements, todo = render(script, order, rev, name, dialect)
            source, line = function_source(rev.module, name)
            entry[name] = {
                "how": how,
                "statements": statements,
                "todo": todo,
                "source": source,
                "line": line,
                "autocommit": AUTOCOMMIT[0],
            }
        out.append(entry)
    emit(
        {
            "ok": True,
            "alembic": alembic.__version__,
            "sqlalchemy": sa.__version__,
            "python": sys.executable,
            "dialect": dialect,
            "url": cfg.get_main_option("sqlalchemy.url"),
            "file_template": cfg.get_main_option("file_template"),
            "truncate_slug_length": cfg.get_main_option("truncate_slug_length"),
            "script_location": os.path.abspath(script.dir),
            "revisions": out,
        }
    )


main()
