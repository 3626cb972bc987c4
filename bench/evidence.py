"""What keeping each file's contents in the store costs: bytes in the database per MB of X12, and
ingest time with and without it, measured side by side in one run.

Run by hand (not in CI):  python bench/evidence.py [--world ingest|simulate] [--claims 100000] [--per-file 5000]
                                                   [--pg URL] [--rounds 2]
World `ingest` is bench/ingest.py's (tests/store/world.py: 837P files of --per-file claims and one 835
each, bench/out/world-N-M/); `simulate` is `edi-engine simulate --claims N --seed 7` (bench/detect.py's:
many 835s of one check each, varied payers and amounts; bench/out/simulate-N/, X12 files only). Each round
ingests it into fresh databases once per variant and backend, one after the other: "without"
(content.prepare replaced by one that keeps nothing, i.e. ingest as it was before migration 0006) and
"zlib-N" for each --levels N (6 is what ships), one process (`ingest_paths`, jobs=1). Wall time and
the ingesting process's CPU time are both reported: on a shared machine wall time swings by tens
of percent between identical runs, CPU time much less. Storage: on SQLite the database file's size
after a WAL checkpoint, with minus without, and the sum of the stored chunks; on PostgreSQL pg_total_relation_size of
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
def contents_kept(level: int | None) -> Iterator[None]:
    """level None: keep nothing (ingest as before migration 0006); else zlib at that level."""
    real, real_level = content.prepare, content.LEVEL
    if level is None:
        content.prepare = lambda path, digest, *, eager: content.PreparedContent(os.fspath(path), digest, ())
    else:
        content.LEVEL = level
    try:
        yield
    finally:
        content.prepare, content.LEVEL = real, real_level


def _label(level: int | None) -> str:
    return "without" if level is None else f"zlib-{level}"


def ingest(url: str, files: list[Path], level: int | None) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds): CPU time is what the contents cost the ingesting
    process whatever else the machine runs (SQLite works in-process; PostgreSQL's own work is not in it)."""
    engine = open_store(url)
    with contents_kept(level):
        t, c = time.perf_counter(), time.process_time()
        summary = ingest_paths(engine, files)
        dt, dc = time.perf_counter() - t, time.process_time() - c
    s = summary.totals()
    assert s["failed"] == 0 and s["conflicts"] == 0, s
    engine.dispose()
    return dt, dc


def _times(backend: str, times: dict[int | None, tuple[float, float]]) -> None:
    base_wall, base_cpu = times[None]
    parts = [f"{_label(k)} {w:5.1f}s wall {c:5.1f}s cpu" + ("" if k is None else
             f" ({(w / base_wall - 1) * 100:+.0f}% wall, {(c / base_cpu - 1) * 100:+.1f}% cpu)")
             for k, (w, c) in sorted(times.items(), key=lambda kv: -1 if kv[0] is None else kv[0])]
    print(f"{backend:11s} " + "; ".join(parts))


def sqlite_round(files: list[Path], mb: float, levels: list[int | None]) -> None:
    sizes, chunks, times = {}, {}, {}
    for level in levels:
        db = OUT / f"evidence-{_label(level)}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        times[level] = ingest("sqlite:///" + str(db), files, level)
        engine = create_engine("sqlite:///" + str(db))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            chunks[level] = conn.execute(text("SELECT COALESCE(SUM(length(data)), 0), COUNT(*) FROM source_content")
                                         ).one()
        engine.dispose()
        sizes[level] = db.stat().st_size
    for level in levels:
        if level is not None:
            delta, (kept, n) = sizes[level] - sizes[None], chunks[level]
            print(f"sqlite      {_label(level)}: file {sizes[None] / 1e6:.1f} MB -> {sizes[level] / 1e6:.1f} MB, "
                  f"+{delta / 1e6:.2f} MB = {delta / mb / 1e3:.0f} KB per MB of X12; chunks {kept / 1e6:.2f} MB "
                  f"in {n} rows ({kept / mb / 1e3:.0f} KB per MB)")
    _times("sqlite", times)


def pg_round(base: str, files: list[Path], mb: float, levels: list[int | None]) -> None:
    times = {}
    admin = create_engine(base)
    for level in levels:
        schema = "bench_" + uuid.uuid4().hex[:12]
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(base)
            url = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
            times[level] = ingest(url.render_as_string(hide_password=False), files, level)
            with admin.connect() as conn:
                total = int(conn.execute(text(
                    "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": schema}).scalar_one())
                kept = int(conn.execute(text(f"SELECT pg_total_relation_size('\"{schema}\".source_content')"))
                           .scalar_one())
            print(f"postgresql  {_label(level)}: all tables {total / 1e6:.1f} MB; "
                  f"pg_total_relation_size(source_content) {kept / 1e6:.2f} MB = {kept / mb / 1e3:.0f} KB "
                  "per MB of X12")
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    _times("postgresql", times)


FACT_SEGMENTS = {"BPR", "CLP", "SVC", "CAS", "PLB", "CLM", "SV1", "SV2", "SV3"}


def fact_segments(files: list[Path]) -> None:
    """The alternative measured: keeping only each stored fact's own segment text (uncompressed)."""
    from edi_engine.x12 import read_segments
    for kind in (".835", ".837"):
        total = kept = 0
        for f in (f for f in files if f.suffix == kind):
            data = f.read_bytes()
            total += len(data)
            segments = list(read_segments(data))
            for i, seg in enumerate(segments):
                if seg.id in FACT_SEGMENTS:
                    kept += (segments[i + 1].offset if i + 1 < len(segments) else len(data)) - seg.offset
        if total:
            print(f"fact segments only, {kind[1:]}: {kept / 1e6:.1f} MB of {total / 1e6:.1f} MB "
                  f"({kept / total * 1e3:.0f} KB per MB, before any row overhead)")


def prepare_cpu(files: list[Path], levels: list[int | None]) -> None:
    """CPU seconds of what keeping contents adds per file (read, hash, compress: content.prepare) alone,
    outside any ingest: the precise part of the cost, which the noisy ingest timings should show."""
    from edi_engine.store.sourcefile import content_hash
    digests = [content_hash(f)[0] for f in files]
    for level in levels:
        if level is None:
            continue
        with contents_kept(level):
            c = time.process_time()
            for f, d in zip(files, digests, strict=True):
                content.prepare(f, d, eager=True)
            print(f"content.prepare alone, zlib-{level}: {time.process_time() - c:.2f}s cpu for the world")


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
    ap.add_argument("--levels", default="6", help="zlib levels to compare with ingest without contents, e.g. 1,6")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = world(args.claims, args.per_file) if args.world == "ingest" else simulated(args.claims)
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; load {os.getloadavg()[0]:.1f}")
    print(f"world {args.world}: {len(files)} files, {mb:.1f} MB of X12; chunks of {content.CHUNK_BYTES} bytes")
    levels: list[int | None] = [None, *(int(x) for x in args.levels.split(","))]
    fact_segments(files)
    prepare_cpu(files, levels)
    warm = OUT / "evidence-warmup.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(warm) + suffix).unlink(missing_ok=True)
    ingest("sqlite:///" + str(warm), files[:2], 6)  # imports, caches: the first variant measured pays none
    for r in range(args.rounds):
        order = levels if r % 2 == 0 else levels[::-1]  # alternate, so no variant always runs first
        print(f"-- round {r + 1} (load {os.getloadavg()[0]:.1f})")
        sqlite_round(files, mb, order)
        if args.pg:
            pg_round(args.pg, files, mb, order)
        else:
            print("postgresql skipped: pass --pg URL or set EDI_ENGINE_TEST_PG_URL")


if __name__ == "__main__":
    main()
