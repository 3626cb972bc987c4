"""Ingest speed: a generated world of claims and their remittances into SQLite and PostgreSQL.

Run by hand (not in CI):  python bench/ingest.py [--claims 100000] [--per-file 5000] [--pg URL]
The world (tests/store/world.py) is written to bench/out/world-N/: 837P files of --per-file claims
and one 835 per 837 file remitting every claim. Each backend gets a fresh database (SQLite file in
bench/out/; for PostgreSQL a fresh schema, dropped afterwards) and one `ingest_paths` call.

Each backend is measured with 1 and 2 worker processes (--jobs; `edi-engine ingest --jobs N`).
Reported: wall time, and claims/s two ways: world claims/s (an 837 claim with its 835 remittance,
counted once: issue 14's reading of the target), and 837 claims (CLM) plus 835 claim payments (CLP),
so a world of 100,000 claims is 200,000 of those; also the parse-only time of the same files, to
show what the store itself costs. --pg defaults to env
EDI_ENGINE_TEST_PG_URL; without either PostgreSQL is skipped. Record figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# bench/ is sys.path[0] when run as a script, and bench/queue.py would shadow the standard library's queue
# (psycopg imports it); the checkout goes first instead (run from a checkout without installing).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from edi_engine.parsers import parse_file  # noqa: E402
from edi_engine.store import open_store  # noqa: E402
from edi_engine.store.ingest import ingest_paths  # noqa: E402
from tests.store.world import write_world  # noqa: E402


def world(claims: int, per_file: int) -> list[Path]:
    folder = OUT / f"world-{claims}-{per_file}"
    if not (folder / ".complete").exists():
        t = time.perf_counter()
        write_world(folder, claims=claims, per_file=per_file, sender="BENCH")
        (folder / ".complete").write_text("")
        print(f"generated {claims} claims in {time.perf_counter() - t:.1f}s -> {folder}")
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def cpu() -> float:
    """User + system seconds of this process and of its finished children (the --jobs workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(label: str, url: str, files: list[Path], jobs: int) -> None:
    engine = open_store(url)
    t, c = time.perf_counter(), cpu()
    summary = ingest_paths(engine, files, jobs=jobs)
    dt, dc = time.perf_counter() - t, cpu() - c
    s = summary.totals()
    assert s["failed"] == 0 and s["conflicts"] == 0, s
    items = s["claims"] + s["payments"]
    label = f"{label} -j{jobs}"
    print(f"{label:14s} {s['files']} files, {s['claims']} claims + {s['payments']} claim payments in {dt:.1f}s: "
          f"{items / dt:,.0f} claims/s (837+835 together), {s['claims'] / dt:,.0f} world claims/s; "
          f"CPU {dc:.1f}s (this process and its workers; not the database server's)")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=5000)
    ap.add_argument("--pg", default=os.environ.get("EDI_ENGINE_TEST_PG_URL"))
    ap.add_argument("--jobs", default="1,2", help="worker counts to measure, e.g. 1,2")
    ap.add_argument("--skip-parse", action="store_true", help="do not measure parse-only time")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = world(args.claims, args.per_file)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    if not args.skip_parse:
        t, c = time.perf_counter(), cpu()
        n = sum(1 for f in files for _ in parse_file(f))
        dt, dc = time.perf_counter() - t, cpu() - c
        print(f"{'parse only':10s} {n} items in {dt:.1f}s: {2 * args.claims / dt:,.0f} claims/s (837+835 together), "
              f"{args.claims / dt:,.0f} world claims/s; CPU {dc:.1f}s")
    for jobs in (int(j) for j in args.jobs.split(",")):
        db = OUT / "ingest-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        run("sqlite", "sqlite:///" + str(db), files, jobs)
        if not args.pg:
            print("postgresql skipped: pass --pg URL or set EDI_ENGINE_TEST_PG_URL")
            continue
        schema = "bench_" + uuid.uuid4().hex[:12]
        admin = create_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(args.pg)
            url = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
            run("postgresql", url.render_as_string(hide_password=False), files, jobs)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
