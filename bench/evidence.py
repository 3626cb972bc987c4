"""What keeping each file's contents in the store costs: bytes in the database per MB of X12, and
ingest time with and without it, measured side by side in one run.

Run by hand (not in CI):  python bench/evidence.py [--world ingest|simulate] [--claims 100000] [--per-file 5000]
                                                   [--pg URL] [--rounds 2]
World `ingest` is bench/ingest.py's (tests/store/world.py: 837P files of --per-file claims and one 835
each, bench/out/world-N-M/); `simulate` is `edi-engine simulate --claims N --seed 7` (bench/detect.py's:
many 835s of one check each, varied payers and amounts; bench/out/simulate-N/, X12 files only). Each round
ingests it into fresh databases twice per backend, alternating: "without" (content.prepare replaced
by one that keeps nothing, i.e. ingest as it was before migration 0005) and "with" (as shipped), one
process (`ingest_paths`, jobs=1). Storage: on SQLite the database file's size after a WAL checkpoint,
with minus without, and the sum of the stored chunks; on PostgreSQL pg_total_relation_size of
source_content (table, TOAST and index) and of every table of the schema. --pg defaults to env
EDI_ENGINE_TEST_PG_URL; without either PostgreSQL is skipped. Record figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.ingest import OUT, world  # noqa: E402
from edi_engine.simulate import generate_world  # noqa: E402
from edi_engine.store import content, open_store  # noqa: E402
from edi_engine.store.ingest import ingest_paths  # noqa: E402


@contextmanager
def contents_kept(keep: bool) -> Iterator[None]:
    real = content.prepare
    if not keep:
        content.prepare = lambda path, digest, *, eager: content.PreparedContent(os.fspath(path), digest, ())
    try:
        yield
    finally:
        content.prepare = real


def ingest(url: str, files: list[Path], keep: bool) -> float:
    engine = open_store(url)
    with contents_kept(keep):
        t = time.perf_counter()
        summary = ingest_paths(engine, files)
        dt = time.perf_counter() - t
    s = summary.totals()
    assert s["failed"] == 0 and s["conflicts"] == 0, s
    engine.dispose()
    return dt


def sqlite_round(files: list[Path], mb: float) -> None:
    sizes, times = {}, {}
    for keep in (False, True):
        db = OUT / f"evidence-{'with' if keep else 'without'}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        times[keep] = ingest("sqlite:///" + str(db), files, keep)
        engine = create_engine("sqlite:///" + str(db))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            stored = conn.execute(text("SELECT COALESCE(SUM(length(data)), 0), COUNT(*) FROM source_content")).one()
        engine.dispose()
        sizes[keep] = db.stat().st_size
    delta = sizes[True] - sizes[False]
    print(f"sqlite      ingest without {times[False]:6.1f}s  with {times[True]:6.1f}s  "
          f"(+{(times[True] / times[False] - 1) * 100:.1f}%)")
    print(f"sqlite      file {sizes[False] / 1e6:.1f} MB -> {sizes[True] / 1e6:.1f} MB: +{delta / 1e6:.2f} MB, "
          f"{delta / mb / 1e3:.0f} KB per MB of X12; chunks {stored[0] / 1e6:.2f} MB in {stored[1]} rows "
          f"({stored[0] / mb / 1e3:.0f} KB per MB)")


def pg_round(base: str, files: list[Path], mb: float) -> None:
    times, totals = {}, {}
    content_size = 0
    admin = create_engine(base)
    for keep in (False, True):
        schema = "bench_" + uuid.uuid4().hex[:12]
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(base)
            url = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
            times[keep] = ingest(url.render_as_string(hide_password=False), files, keep)
            with admin.connect() as conn:
                totals[keep] = conn.execute(text(
                    "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": schema}).scalar_one()
                if keep:
                    content_size = conn.execute(text(
                        f"SELECT pg_total_relation_size('\"{schema}\".source_content')")).scalar_one()
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    print(f"postgresql  ingest without {times[False]:6.1f}s  with {times[True]:6.1f}s  "
          f"(+{(times[True] / times[False] - 1) * 100:.1f}%)")
    print(f"postgresql  all tables {int(totals[False]) / 1e6:.1f} MB -> {int(totals[True]) / 1e6:.1f} MB; "
          f"pg_total_relation_size(source_content) {content_size / 1e6:.2f} MB, {content_size / mb / 1e3:.0f} KB "
          "per MB of X12")


def simulated(claims: int) -> list[Path]:
    folder = OUT / f"simulate-{claims}"
    if not (folder / ".complete").exists():
        t = time.perf_counter()
        generate_world(claims, 7, out=folder)
        (folder / ".complete").write_text("")
        print(f"generated {claims} claims in {time.perf_counter() - t:.1f}s -> {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix in (".835", ".837"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", choices=("ingest", "simulate"), default="ingest")
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=5000)
    ap.add_argument("--pg", default=os.environ.get("EDI_ENGINE_TEST_PG_URL"))
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = world(args.claims, args.per_file) if args.world == "ingest" else simulated(args.claims)
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; load {os.getloadavg()[0]:.1f}")
    print(f"world {args.world}: {len(files)} files, {mb:.1f} MB of X12; chunks of {content.CHUNK_BYTES} bytes, "
          f"{content.CODEC} level {content.LEVEL}")
    for r in range(args.rounds):
        print(f"-- round {r + 1} (load {os.getloadavg()[0]:.1f})")
        sqlite_round(files, mb)
        if args.pg:
            pg_round(args.pg, files, mb)
        else:
            print("postgresql skipped: pass --pg URL or set EDI_ENGINE_TEST_PG_URL")


if __name__ == "__main__":
    main()
