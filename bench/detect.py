"""Benchmark: detect over a generated world (default 100,000 claims) on SQLite.

Generates the world with edi_engine.simulate.generate_world (falls back to tests/store/world.py
while the simulator is not installed), ingests it through the store's ingest and imports (the
world's provider refund checks posted in steps at their issue dates, as simulate.replay.load_pack
does), then times `detect` twice (first run, then the idempotent re-run, incremental since issue 14)
and prints wall and CPU time and peak RSS. With --new-claims N it holds back the world's latest 835s
(N claims or more), ingests them after those runs and times the incremental run they cause, then
checks that a --full run over the same store finds nothing to change.
With --compare it also compares the findings with the world's expected.json (a measurement
only: the engine never reads it).

    python3 bench/detect.py --claims 100000 [--seed 7] [--keep DIR] [--compare] [--as-of YYYY-MM-DD]
                            [--new-claims 1000]

detect runs as of --as-of (default 2026-06-30): a run dated before a credit's money arrived is refused
(issue 12), and a 100,000-claim world of seed 7 has payments until 2026-03-20 (the bench's earlier
fixed 2025-06-30 is refused there).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edi_engine.rules import detect, list_findings  # noqa: E402
from edi_engine.simulate.replay import load_pack  # noqa: E402
from edi_engine.store import open_store  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(folder: Path, claims: int, seed: int, generator: str) -> None:
    if generator == "simulate":
        from edi_engine.simulate import generate_world
        generate_world(claims, seed, out=folder)
        return
    from tests.store.world import write_world  # the store's simpler world: one 837P and one 835 per 1,000 claims
    write_world(folder, claims, seed=seed)


def _hold_back(world: Path, claims: int) -> list[Path]:
    """Move the world's latest 835s (at least `claims` CLPs in all) out of its folder: the files of the
    next day an incremental run is measured on. Returns where they are now."""
    held_dir = world.parent / "held"
    held_dir.mkdir(exist_ok=True)
    held: list[Path] = []
    count = 0
    for path in sorted(world.glob("*.835"), reverse=True):
        if count >= claims:
            break
        count += path.read_bytes().count(b"CLP*")
        held.append(path.rename(held_dir / path.name))
    return held


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ap.add_argument("--compare", action="store_true", help="compare with the world's expected.json")
    ap.add_argument("--new-claims", type=int, default=0, metavar="N",
                    help="hold back the latest 835s (N claims or more), ingest them after the first runs and time "
                         "the incremental run they cause, then check a --full run finds nothing to change")
    ap.add_argument("--as-of", default="2026-06-30", help="the detect run's date (after the world's last payment)")
    ap.add_argument("--generator", choices=["simulate", "store"], default="simulate",
                    help="edi_engine.simulate (scenarios, expected.json) or tests/store/world.py")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="edi-bench-"))
    world = work / "world"
    t = time.perf_counter()
    if not world.exists():
        generate(world, args.claims, args.seed, args.generator)
    print(f"world: {args.claims} claims in {time.perf_counter() - t:.1f}s", flush=True)
    db = work / "bench.db"
    engine = open_store(f"sqlite:///{db}")
    held = _hold_back(world, args.new_claims) if args.new_claims else []
    t = time.perf_counter()
    steps = work / "steps"
    shutil.rmtree(steps, ignore_errors=True)
    steps.mkdir()
    # every file and CSV; with the world's refunds.csv, in steps at each refund's issue date (the
    # provider's refund checks are postings made between remittances), detecting only their claims
    load_pack(engine, world, steps, as_of=args.as_of, final_detect=False)
    print(f"ingest: {time.perf_counter() - t:.1f}s"
          + (f" (held back: {len(held)} 835s of {args.new_claims}+ claims)" if held else ""), flush=True)
    rss0 = _rss_mb()
    t, cpu = time.perf_counter(), time.process_time()
    s = detect(engine, as_of=args.as_of)
    first = time.perf_counter() - t
    print(f"detect: {first:.1f}s (CPU {time.process_time() - cpu:.1f}s) as of {args.as_of} over {s.accounts} accounts; "
          f"{s.inserted} findings, {s.matches_written} match rows; "
          f"open {s.open_by_category}; peak RSS {_rss_mb():.0f} MB (before detect {rss0:.0f} MB)", flush=True)
    t, cpu = time.perf_counter(), time.process_time()
    s2 = detect(engine, as_of=args.as_of)
    again = time.perf_counter() - t
    print(f"detect again ({s2.mode}): {again:.2f}s (CPU {time.process_time() - cpu:.2f}s; {100 * again / first:.1f} % "
          f"of the first); {s2.accounts} accounts, {s2.inserted} new, {s2.updated} updated, "
          f"{s2.matches_written} match rows written", flush=True)
    if held:
        from edi_engine.store.ingest import ingest_paths
        ingest_paths(engine, held)
        t, cpu = time.perf_counter(), time.process_time()
        s3 = detect(engine, as_of=args.as_of)
        after = time.perf_counter() - t
        print(f"detect after the held-back 835s ({s3.mode}): {after:.2f}s (CPU {time.process_time() - cpu:.2f}s; "
              f"{100 * after / first:.1f} % of the first); {s3.accounts} accounts, {s3.inserted} new, "
              f"{s3.updated} updated, {s3.resolved} resolved, {s3.matches_written} match rows written", flush=True)
        # The check: a full run over the same store now must find nothing to change.
        t = time.perf_counter()
        s4 = detect(engine, as_of=args.as_of, full=True)
        same = not (s4.inserted or s4.updated or s4.resolved or s4.reopened or s4.matches_written)
        print(f"detect --full after it: {time.perf_counter() - t:.1f}s; {s4.inserted} new, {s4.updated} updated, "
              f"{s4.resolved} resolved, {s4.reopened} reopened, {s4.matches_written} match rows written "
              f"({'the same findings' if same else 'DIFFERENT'})", flush=True)
    if args.compare and (world / "expected.json").exists():
        from edi_engine.simulate.expected import Finding, compare, load_expected
        expected = load_expected(world / "expected.json").findings
        with engine.connect() as conn:
            actual = [Finding.from_mapping(f.to_json()) for f in list_findings(conn, "all")]
        result = compare(expected, actual)
        print(result)


if __name__ == "__main__":
    main()
