"""What keeping each file's contents in the store costs: bytes in the database per MB of X12, and
ingest time with and without it, measured side by side in one run.

Run by hand (not in CI):  python bench/evidence.py [--world ingest|simulate] [--claims 100000] [--per-file 5000]
                                                   [--pg URL] [--rounds 2]
World `ingest` is bench/ingest.py's (tests/store/world.py: 837P files of --per-file claims and one 835
each, bench/out/world-N-M/); `simulate` is `edi-engine simulate --claims N --seed 7` (bench/detect.py's:
many 835s of one check each, varied payers and amounts; bench/out/simulate-N/, X12 files only).

Variants: "without" (content.prepare replaced by one that keeps nothing: ingest as it was before
migration 0006) and "zlib-N" for each --levels N (6 is what ships). Each round gives every variant a
fresh database per backend and ingests the world file by file, each file into every variant's
database back to back, the order alternating (`paired`): on a shared machine the wall time of two
identical whole-world runs differs by tens of percent, and pairing file by file cancels most of
that. Wall time and the ingesting process's CPU time are both reported, one process (jobs=1).
Storage: on SQLite the database file's size after a WAL checkpoint, with minus without, and the sum
of the stored chunks; on PostgreSQL pg_total_relation_size of source_content (table, TOAST and
index) and of every table of the schema. Also printed once per world: the alternative (each fact's
own segment text, uncompressed) and content.prepare's CPU alone. --pg defaults to env
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
from edi_engine.store.ingest import ingest_file  # noqa: E402


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


def paired(urls: dict[int | None, str], files: list[Path]) -> dict[int | None, tuple[float, float]]:
    """Ingest the world into one fresh database per variant, file by file: each file goes into every
    variant's database back to back (the order alternating from file to file), so a swing of the
    machine's load hits all variants alike. Returns per variant (wall seconds, this process's CPU
    seconds) summed over the files; SQLite works in-process, PostgreSQL's own work is not in the CPU."""
    engines = {level: open_store(url) for level, url in urls.items()}
    totals = {level: [0.0, 0.0] for level in urls}
    levels = list(urls)
    for i, f in enumerate(files):
        for level in levels if i % 2 == 0 else levels[::-1]:
            with contents_kept(level):
                t, c = time.perf_counter(), time.process_time()
                result = ingest_file(engines[level], f)
                totals[level][0] += time.perf_counter() - t
                totals[level][1] += time.process_time() - c
            assert result.status == "ingested", (f, result)
    for engine in engines.values():
        engine.dispose()
    return {level: (w, c) for level, (w, c) in totals.items()}


def _times(backend: str, times: dict[int | None, tuple[float, float]]) -> None:
    base_wall, base_cpu = times[None]
    parts = [f"{_label(k)} {w:5.1f}s wall {c:5.1f}s cpu" + ("" if k is None else
             f" ({(w / base_wall - 1) * 100:+.1f}% wall, {(c / base_cpu - 1) * 100:+.1f}% cpu)")
             for k, (w, c) in times.items()]
    print(f"{backend:11s} " + "; ".join(parts))


def sqlite_round(files: list[Path], mb: float, levels: list[int | None]) -> None:
    dbs = {level: OUT / f"evidence-{_label(level)}.db" for level in levels}
    for db in dbs.values():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    times = paired({level: "sqlite:///" + str(db) for level, db in dbs.items()}, files)
    sizes = {}
    for level, db in dbs.items():
        engine = create_engine("sqlite:///" + str(db))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            kept, n = conn.execute(text("SELECT COALESCE(SUM(length(data)), 0), COUNT(*) FROM source_content")).one()
        engine.dispose()
        sizes[level] = (db.stat().st_size, kept, n)
    for level, (size, kept, n) in sizes.items():
        if level is not None:
            delta = size - sizes[None][0]
            print(f"sqlite      {_label(level)}: file {sizes[None][0] / 1e6:.1f} MB -> {size / 1e6:.1f} MB, "
                  f"+{delta / 1e6:.2f} MB = {delta / mb / 1e3:.0f} KB per MB of X12; chunks {kept / 1e6:.2f} MB "
                  f"in {n} rows ({kept / mb / 1e3:.0f} KB per MB)")
    _times("sqlite", times)


def pg_round(base: str, files: list[Path], mb: float, levels: list[int | None]) -> None:
    admin = create_engine(base)
    schemas = {level: "bench_" + uuid.uuid4().hex[:12] for level in levels}
    urls = {}
    for level, schema in schemas.items():
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base)
        urls[level] = url.set(query={**url.query, "options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    try:
        times = paired(urls, files)
        for level, schema in schemas.items():
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
            for schema in schemas.values():
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
