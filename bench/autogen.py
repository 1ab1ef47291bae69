#!/usr/bin/env python3
"""The autogenerate benchmark: `migrate revision --autogenerate` on a schema of
500 tables beside the floor the scratch databases set, and catalog reading at
100, 250, 500 and 1,000 tables, on SQLite, PostgreSQL and MariaDB.

    bench/autogen.py [--quick] [--catalog] [--only sqlite,postgresql,mysql]

  --catalog: the catalog-reading rows only.

- Autogenerate: the project (bench/gen_schema.py) has one revision that
  creates the 500 tables, and a `schema.sql` with the same tables plus one
  column and one index. So autogenerate replays 500 tables on one scratch
  database, runs 500 tables of `schema.sql` on another, reads both catalogs,
  compares them and writes a small revision.
- Its floor: the server itself running `schema.sql` twice, each time in a
  fresh database, through its own client in one transaction where the
  database has them (`sqlite3` with BEGIN/COMMIT into a new file;
  `psql -1 -f` into a database created for it and dropped after;
  `mariadb <` into a database created for it and dropped after).
  Target: at most 2x that floor. A second floor leaves out creating and
  dropping the databases (they are made before each timed run): the DDL
  alone.
- Catalog reading: `migrate diff --from database --to database` on a database
  that holds the N-table schema reads its catalog twice and finds nothing to
  do. Target: linear in the number of objects: from 250 to 500 and from 500
  to 1,000 tables the time at most 2.3x (twice the objects; the margin is
  for noise), judged on the wall-clock median; the growth of migrate's own
  CPU time is shown beside it, and the database's own dump tool printing
  the schema twice (`sqlite3 .schema`, `pg_dump --schema-only`,
  `mariadb-dump --no-data`) as a reference.

Needs hyperfine, python3, sqlite3, psql and mariadb, PostgreSQL on
127.0.0.1:5432 (user postgres) and MariaDB on 127.0.0.1:3306 (root); the
release binary is built with `cargo build --release` unless BENCH_BIN names
one. Everything it makes stays under target/bench/autogen (BENCH_DIR to
change target/bench). Prints a markdown table and the verdicts, also written
to target/bench/autogen/results.md.
"""

import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(os.environ.get("BENCH_DIR", os.path.join(ROOT, "target", "bench")), "autogen")
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
MY_HOST, MY_PORT, MY_USER = "127.0.0.1", "3306", "root"
DB = "migrate_bench_ag"


def say(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def psql(db, *sql):
    args = " ".join(f"-c {shq(s)}" for s in sql)
    return f"psql -X -q -v ON_ERROR_STOP=1 -d {shq(PG + '/' + db)} {args}"


def mariadb(db=""):
    return f"mariadb -h {MY_HOST} -P {MY_PORT} -u {MY_USER} {db}".rstrip()


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def url(kind, name):
    if kind == "sqlite":
        return f"sqlite:///{os.path.join(OUT, name + '.db')}"
    if kind == "postgresql":
        return f"{PG}/{name}"
    return f"mysql://{MY_USER}@{MY_HOST}:{MY_PORT}/{name}"


def fresh(kind, name):
    """A shell command that makes an empty database `name`."""
    if kind == "sqlite":
        return f"rm -f {shq(os.path.join(OUT, name + '.db'))}"
    if kind == "postgresql":
        return psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return f"{mariadb()} -e 'DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}'"


def drop(kind, name):
    if kind == "sqlite":
        return f"rm -f {shq(os.path.join(OUT, name + '.db'))}"
    if kind == "postgresql":
        return psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return f"{mariadb()} -e 'DROP DATABASE IF EXISTS {name}'"


def load(kind, name, schema, make=True):
    """A shell command that runs `schema` into database `name` (made empty
    first, unless `make` is false)."""
    s = shq(schema)
    first = f"{fresh(kind, name)} && " if make else ""
    if kind == "sqlite":
        db = shq(os.path.join(OUT, name + ".db"))
        return f"{first}{{ echo 'BEGIN;'; cat {s}; echo 'COMMIT;'; }} | sqlite3 -bail {db}"
    if kind == "postgresql":
        return f"{first}psql -X -q -1 -v ON_ERROR_STOP=1 -d {shq(PG + '/' + name)} -f {s} >/dev/null"
    return f"{first}{mariadb(name)} < {s}"


def dump(kind, name):
    """A shell command that prints database `name`'s schema with the
    database's own tool: the reference for reading a catalog."""
    if kind == "sqlite":
        return f"sqlite3 {shq(os.path.join(OUT, name + '.db'))} .schema >/dev/null"
    if kind == "postgresql":
        return f"pg_dump --schema-only -d {shq(PG + '/' + name)} >/dev/null"
    return f"mariadb-dump -h {MY_HOST} -P {MY_PORT} -u {MY_USER} --no-data --routines --triggers --events {name} >/dev/null"


def hyperfine(label, cmd, runs, prepare=None, env=None):
    """Median, min, max (seconds) and mean user+sys of `cmd`."""
    path = os.path.join(OUT, "hf.json")
    args = ["hyperfine", "--shell=bash", "--style", "basic", "--runs", str(runs), "--export-json", path]
    if prepare:
        args += ["--prepare", prepare]
    args.append(cmd)
    say(f"{label}: {cmd if len(cmd) < 160 else cmd[:160] + '...'}")
    subprocess.run(args, check=True, env=env, stdout=sys.stderr)
    with open(path) as f:
        r = json.load(f)["results"][0]
    return {"median": r["median"], "min": r["min"], "max": r["max"], "cpu": r["user"] + r["system"]}


def fmt(s):
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def cell(r):
    return f"{fmt(r['median'])} ({fmt(r['min'])}–{fmt(r['max'])})"


def gen(kind, n):
    d = os.path.join(OUT, f"{kind}-{n}")
    if not os.path.exists(os.path.join(d, "schema.sql")):
        sh(f"python3 {shq(os.path.join(ROOT, 'bench', 'gen_schema.py'))} {shq(d)} {n} {kind}")
    return d


def autogenerate(kind, name, d, schema, binary, big, runs, rows, verdicts):
    env = dict(os.environ, BENCH_URL=url(kind, DB), NO_COLOR="1")
    sh(fresh(kind, DB))
    mig = f"{shq(binary)} -q -c {shq(os.path.join(d, 'migrate.toml'))}"
    clean = f"rm -f {shq(os.path.join(d, 'migrations', 'versions'))}/*_bench.sql"
    ag = hyperfine(f"autogenerate {big} {name}", f"{mig} revision --autogenerate -m bench", runs, prepare=clean, env=env)
    sh(clean)
    floor = hyperfine(
        f"floor {big} {name}",
        f"{load(kind, DB + '_f1', schema)} && {load(kind, DB + '_f2', schema)} && {drop(kind, DB + '_f1')} && {drop(kind, DB + '_f2')}",
        runs,
    )
    # The same DDL into two databases made before each run: the server's
    # DDL alone, without creating and dropping databases.
    ddl = hyperfine(
        f"floor (DDL only) {big} {name}",
        f"{load(kind, DB + '_f1', schema, make=False)} && {load(kind, DB + '_f2', schema, make=False)}",
        runs,
        prepare=f"{fresh(kind, DB + '_f1')} && {fresh(kind, DB + '_f2')}",
    )
    sh(f"{drop(kind, DB + '_f1')} && {drop(kind, DB + '_f2')}")
    for label, f in (("", floor), (" (DDL only)", ddl)):
        ratio = ag["median"] / f["median"]
        rows.append((f"autogenerate, {big} tables, {name}", cell(ag), fmt(ag["cpu"]), cell(f) + label, f"{ratio:.2f}×"))
        verdicts.append(
            (f"autogenerate, {big} tables, {name} ≤ 2× the floor{label}", "met" if ratio <= 2 else "**not met**", f"{ratio:.2f}×")
        )


def main():
    quick = "--quick" in sys.argv
    only = ["sqlite", "postgresql", "mysql"]
    if "--only" in sys.argv:
        only = sys.argv[sys.argv.index("--only") + 1].split(",")
    if "-h" in sys.argv or "--help" in sys.argv:
        print(__doc__)
        return
    os.makedirs(OUT, exist_ok=True)
    tools = ["hyperfine", "sqlite3", "psql", "pg_dump", "mariadb", "mariadb-dump"]
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        sys.exit(f"bench/autogen.py: missing {', '.join(missing)} (apt-get install hyperfine sqlite3 postgresql-client mariadb-client)")
    binary = os.environ.get("BENCH_BIN")
    if not binary:
        say("cargo build --release")
        sh("cargo build --release --locked -q", cwd=ROOT)
        binary = os.path.join(ROOT, "target", "release", "migrate")
    sizes = [100, 250, 500] if quick else [100, 250, 500, 1000]
    big = 250 if quick else 500
    # A 500-table run takes minutes on MariaDB (each DDL statement syncs
    # to disk), so autogenerate and its floor take 3 runs each.
    runs = 2 if quick else int(os.environ.get("BENCH_RUNS", "3"))
    rows, verdicts = [], []
    for kind in only:
        name = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}[kind]
        d = gen(kind, big)
        schema = os.path.join(d, "schema.sql")
        if "--catalog" in sys.argv:
            sh(fresh(kind, DB))
        else:
            autogenerate(kind, name, d, schema, binary, big, runs, rows, verdicts)
        reads = {}
        for n in sizes:
            dn = gen(kind, n)
            sh(load(kind, DB, os.path.join(dn, "schema.sql")), stdout=subprocess.DEVNULL)
            env_n = dict(os.environ, BENCH_URL=url(kind, DB), NO_COLOR="1")
            r = hyperfine(
                f"catalog {n} {name}",
                f"{shq(binary)} -q -c {shq(os.path.join(dn, 'migrate.toml'))} diff --from database --to database",
                runs + 2,
                env=env_n,
            )
            reads[n] = r
            f = hyperfine(f"dump {n} {name}", f"{dump(kind, DB)} && {dump(kind, DB)}", runs + 2)
            rows.append(
                (
                    f"read the catalog twice, {n} tables, {name}",
                    cell(r),
                    fmt(r["cpu"]),
                    cell(f) + " (dump twice)",
                    f"{r['median'] / f['median']:.2f}×",
                )
            )
        # Growth per step, of the wall-clock median and of migrate's own CPU
        # time (which load on a shared machine disturbs far less).
        growth, ok = [], {"median": True, "cpu": True}
        for a, b in zip(sizes, sizes[1:]):
            g = {k: reads[b][k] / reads[a][k] for k in ok}
            growth.append(f"{a}→{b} ({b / a:.1f}× the tables): {g['median']:.2f}× wall, {g['cpu']:.2f}× CPU")
            if a >= 250:
                for k in ok:
                    ok[k] = ok[k] and g[k] <= 1.15 * b / a
        verdict = "met" if ok["median"] else ("**not met** on wall time; CPU linear" if ok["cpu"] else "**not met**")
        verdicts.append((f"catalog reading linear, {name}", verdict, "; ".join(growth)))
        sh(drop(kind, DB))
    head = (
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit "
        f"{subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}, "
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    out = [head, "", "| what | migrate median (min–max) | CPU | floor median (min–max) | ÷ floor |", "|---|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out += ["", "| target | result | measured |", "|---|---|---|"]
    out += ["| " + " | ".join(v) + " |" for v in verdicts]
    text = "\n".join(out) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
