#!/usr/bin/env python3
"""The fleet benchmark: one `migrate upgrade head` over many databases.

    bench/fleet.py [--sqlite N] [--schemas N] [--revisions N] [--jobs N] [--bin PATH]

Defaults: 1,000 SQLite files and 200 PostgreSQL schemas (in one database on
127.0.0.1:5432, user postgres), 20 revisions each, --jobs 8, the release
binary target/release/migrate. For each fleet it times, on fresh targets:

  fleet      `migrate --targets fleet --jobs N upgrade head`: wall time, CPU
             time and peak RSS (getrusage of the child);
  alone      every target upgraded by its own `migrate upgrade head`, one after
             the other, timed one by one (the sum is what the targets cost
             alone);
  loop       a shell `for` loop over `migrate upgrade head`, as teams write it.

and checks the targets it sets: for SQLite, fleet <= 1.5 x alone / min(jobs,
cores); for PostgreSQL, fleet ahead of the loop. Peak RSS is also measured
for fleets upgrading 10, 100, N and 3N fresh SQLite files, to see that memory
does not grow with finished targets. Prints a markdown table; everything
generated stays under target/bench/fleet (BENCH_DIR to change it).
Standard library and psql only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rev_files(versions, n):
    """n revisions in a chain, each creating one table."""
    os.makedirs(versions, exist_ok=True)
    prev = ""
    for i in range(n):
        rid = f"r{i:04d}"
        with open(os.path.join(versions, f"{rid}_t{i}.sql"), "w") as f:
            f.write(
                f"-- t{i}\n--\n-- Revision ID: {rid}\n-- Revises: {prev}\n"
                f"-- Create Date: 2026-01-01 00:00:00\n\n-- migrate:upgrade\n"
                f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, note VARCHAR(50));\n\n"
                f"-- migrate:downgrade\nDROP TABLE t{i};\n"
            )
        prev = rid


def run(cmd, cwd, env=None):
    """Runs cmd under /usr/bin/time; (wall s, CPU s, peak RSS MiB, exit code).
    (The rusage of a child forked from Python would count Python's own pages.)"""
    fd, stats = tempfile.mkstemp(suffix=".time")
    os.close(fd)
    started = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", "-o", stats] + cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - started
    with open(stats) as f:
        fields = f.read().split()
    os.unlink(stats)
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace")
        sys.exit(f"bench/fleet.py: {cmd!r} failed ({p.returncode}): {err[-2000:]}")
    _, user, system, rss_kb = fields[-4:]
    return wall, float(user) + float(system), int(rss_kb) / 1024, p.returncode


def psql(sql, db="postgres"):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", type=int, default=1000)
    ap.add_argument("--schemas", type=int, default=200)
    ap.add_argument("--revisions", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/migrate"))
    a = ap.parse_args()
    out = os.path.join(os.environ.get("BENCH_DIR", os.path.join(ROOT, "target/bench")), "fleet")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    binary = os.path.abspath(a.bin)
    cores = os.cpu_count() or 1
    env = dict(os.environ, MIGRATE_CACHE_DIR="", NO_COLOR="1")
    env.pop("DATABASE_URL", None)
    rows = []
    load = os.getloadavg()
    print(f"cores {cores}, load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)

    # SQLite: N files listed in tenants.txt.
    sq = os.path.join(out, "sqlite")
    rev_files(os.path.join(sq, "migrations/versions"), a.revisions)
    with open(os.path.join(sq, "migrate.toml"), "w") as f:
        f.write('[migrate]\nscript_location = "migrations"\n\n[targets.fleet]\nfile = "tenants.txt"\n')

    def sqlite_list(n, sub):
        os.makedirs(os.path.join(sq, sub), exist_ok=True)
        with open(os.path.join(sq, "tenants.txt"), "w") as f:
            for i in range(n):
                f.write(f"sqlite:///{sub}/t{i}.db\n")
        return [f"sqlite:///{sub}/t{i}.db" for i in range(n)]

    urls = sqlite_list(a.sqlite, "fleet")
    fleet = run([binary, "--targets", "fleet", "--jobs", str(a.jobs), "-q", "upgrade", "head"], sq, env)
    alone = 0.0
    cpu_alone = 0.0
    rss_alone = 0.0
    for u in urls:
        u2 = u.replace("/fleet/", "/alone/")
        os.makedirs(os.path.join(sq, "alone"), exist_ok=True)
        w, c, r, _ = run([binary, "--url", u2, "-q", "upgrade", "head"], sq, env)
        alone += w
        cpu_alone += c
        rss_alone = max(rss_alone, r)
    os.makedirs(os.path.join(sq, "loop"), exist_ok=True)
    loop_script = (
        f'for u in $(sed "s#/fleet/#/loop/#" tenants.txt); do "{binary}" --url "$u" -q upgrade head || exit 1; done'
    )
    loop = run(["bash", "-c", loop_script], sq, env)
    sq_target = 1.5 * alone / min(a.jobs, cores)
    rows.append((f"SQLite, {a.sqlite} files x {a.revisions} revisions", fleet, alone, cpu_alone, rss_alone, loop, sq_target))

    # Peak RSS against the number of targets: fresh files, upgraded.
    rss_rows = []
    for n in sorted({10, 100, a.sqlite, 3 * a.sqlite}):
        sqlite_list(n, f"rss{n}")
        w, c, r, _ = run([binary, "--targets", "fleet", "--jobs", str(a.jobs), "-q", "upgrade", "head"], sq, env)
        rss_rows.append((n, w, r))
    sqlite_list(a.sqlite, "fleet")

    # PostgreSQL: N schemas of one database.
    pg = os.path.join(out, "pg")
    rev_files(os.path.join(pg, "migrations/versions"), a.revisions)
    db = "migrate_bench_fleet"
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    schemas = [f"tenant_{i}" for i in range(a.schemas)]
    for prefix in ["f", "a", "l"]:
        psql("".join(f"CREATE SCHEMA {prefix}{s};" for s in schemas), db)
    base = f"postgresql://postgres@127.0.0.1:5432/{db}"

    def pg_config(prefix):
        names = ", ".join(f'"{prefix}{s}"' for s in schemas)
        with open(os.path.join(pg, "migrate.toml"), "w") as f:
            f.write(
                f'[migrate]\nscript_location = "migrations"\nurl = "{base}?options=-csearch_path%3D${{TENANT:-public}}"\n'
                f'version_table_schema = "${{TENANT:-}}"\n\n[targets.fleet]\nurls = ["{base}"]\nschemas = [{names}]\n'
            )

    pg_config("f")
    pfleet = run([binary, "--targets", "fleet", "--jobs", str(a.jobs), "-q", "upgrade", "head"], pg, env)
    palone = 0.0
    pcpu = 0.0
    prss = 0.0
    for s in schemas:
        w, c, r, _ = run([binary, "-q", "upgrade", "head"], pg, dict(env, TENANT=f"a{s}"))
        palone += w
        pcpu += c
        prss = max(prss, r)
    ploop = run(
        ["bash", "-c", f'for s in {" ".join("l" + s for s in schemas)}; do TENANT=$s "{binary}" -q upgrade head || exit 1; done'],
        pg,
        env,
    )
    rows.append((f"PostgreSQL, {a.schemas} schemas x {a.revisions} revisions", pfleet, palone, pcpu, prss, ploop, None))
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    print(f"| fleet (--jobs {a.jobs}, {cores} cores) | fleet wall | fleet CPU | fleet peak RSS | each alone, sum of walls | alone peak RSS | shell loop wall | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, f, al, ac, ar, lp, tgt in rows:
        if tgt is not None:
            verdict = f"<= {tgt:.2f} s: {'met' if f[0] <= tgt else 'NOT met'}"
        else:
            verdict = f"ahead of the loop: {'met' if f[0] < lp[0] else 'NOT met'} ({lp[0] / f[0]:.2f}x)"
        print(
            f"| {name} | {f[0]:.2f} s | {f[1]:.2f} s | {f[2]:.1f} MiB | {al:.2f} s | {ar:.1f} MiB | {lp[0]:.2f} s | {verdict} |"
        )
    print()
    print("| `upgrade head` over N fresh SQLite files | wall | peak RSS |")
    print("|---:|---:|---:|")
    for n, w, r in rss_rows:
        print(f"| {n} | {w:.2f} s | {r:.1f} MiB |")


if __name__ == "__main__":
    main()
