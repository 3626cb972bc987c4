"""Workers at volume (issue 15): a generated world ingested and detected on PostgreSQL by N `edi-engine
worker` processes, for each N given; wall time per phase and peak RSS per process.

Run by hand (not in CI):

    python bench/workers.py --world DIR [--claims 1000000] [--workers 1 2] [--partitions 8]
                            [--pg URL] [--as-of 2026-06-30] [--single-detect]

The world is edi_engine.simulate's (generated into --world when that folder has no .complete mark);
its payers and aliases are imported first, its fee schedule and patient payments after the ingest (its
provider refund checks are not posted: a few findings differ from its expected.json, none of the work).
For each N: a fresh schema on the server, `db upgrade` (the store and procrastinate's queue), every
835/837 queued (`enqueue_paths`, timed apart: it stages each file's bytes in the database), then N
worker processes started together and stopped once every file is stored (the ingest phase), the
world's CSVs imported, then N new workers and `detect --partitions P` (the detect phase). Each worker
runs under /usr/bin/time, which reports its peak RSS (max resident set, the process's VmHWM). With
--single-detect, the first store also gets a plain one-process `detect --full`, timed the same way
(issue 14 item 7: detect at 1,000,000 claims under 1.5 GB). The schemas are dropped afterwards
unless --keep-schemas. Record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run from a checkout without installing; and not from bench/, whose queue.py would hide the standard
# library's queue (procrastinate imports it).
sys.path[0] = str(ROOT)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from edi_engine.store import open_store  # noqa: E402
from edi_engine.store.imports import import_fee_schedule, import_patient_payments, import_payers  # noqa: E402
from edi_engine.store.packs import _load_aliases  # noqa: E402
from edi_engine.tasks import enqueue_paths  # noqa: E402

CSVS = {"fee_schedule.csv": import_fee_schedule, "patient_payments.csv": import_patient_payments}
_TIME = re.compile(r"peak_rss_kb=(\d+) wall=([\d.]+) cpu=([\d.]+)\+([\d.]+)")


@dataclass
class Proc:
    label: str
    popen: subprocess.Popen[bytes]
    log: Path
    peak_mb: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0


@dataclass
class Phase:
    name: str
    wall: float
    procs: list[Proc] = field(default_factory=list)

    def line(self) -> str:
        each = ", ".join(f"{p.label} peak {p.peak_mb:,.0f} MB CPU {p.cpu:,.0f} s" for p in self.procs)
        return f"{self.name}: {self.wall:,.1f} s wall; {each}"


def schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    return url.set(query={**dict(url.query), "options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def start(label: str, url: str, args: list[str], logs: Path) -> Proc:
    log = logs / f"{label}-{uuid.uuid4().hex[:6]}.log"
    cmd = ["/usr/bin/time", "-f", "peak_rss_kb=%M wall=%e cpu=%U+%S", sys.executable, "-m", "edi_engine",
           "--db", url, *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return Proc(label, popen, log)


def finish(procs: list[Proc], stop: bool) -> None:
    """Stop the workers (SIGTERM to the worker, not to /usr/bin/time: each ends its job in hand and
    exits) and read what /usr/bin/time says of each."""
    if stop:
        for p in procs:
            for child in _children(p.popen.pid):
                os.kill(child, signal.SIGTERM)
    for p in procs:
        p.popen.wait(timeout=600)
        found = _TIME.findall(p.log.read_text(errors="replace"))
        if not found:
            raise SystemExit(f"{p.label}: no /usr/bin/time line in {p.log}")
        kb, wall, user, sys_ = found[-1]
        p.peak_mb, p.wall, p.cpu = int(kb) / 1024, float(wall), float(user) + float(sys_)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(x) for x in out]


def wait(what: str, done: Callable[[], bool], procs: list[Proc], timeout: float = 6 * 3600) -> None:
    end = time.monotonic() + timeout
    while not done():
        dead = [p for p in procs if p.popen.poll() is not None]
        if dead:
            raise SystemExit(f"{dead[0].label} stopped during {what}: see {dead[0].log}")
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1.0)


def run(base: str, world: Path, workers: int, partitions: int, as_of: str, single: bool, keep: bool,
        logs: Path, resume: str | None = None) -> list[Phase]:
    schema = resume or f"bench_w{workers}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    if resume is None:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = schema_url(base, schema)
    phases: list[Phase] = []
    try:
        if resume is None:
            ingest(url, world, workers, logs, phases)
        engine = open_store(url)
        detect_phases(url, engine, world, workers, partitions, as_of, single, logs, phases)
        engine.dispose()
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return phases


def ingest(url: str, world: Path, workers: int, logs: Path, phases: list[Phase]) -> None:
    up = start("upgrade", url, ["db", "upgrade"], logs)
    finish([up], stop=False)
    engine = open_store(url)
    # As a folder load does (store/packs.py): the payers and their aliases before any file.
    if (world / "payers.csv").exists():
        import_payers(engine, world / "payers.csv")
    if (world / "payer_aliases.csv").exists():
        _load_aliases(engine, world / "payer_aliases.csv")
    x12 = sorted(p for p in world.iterdir() if p.suffix in (".835", ".837"))
    t = time.perf_counter()
    queued = enqueue_paths(url, x12)
    phases.append(Phase(f"enqueue {len(queued)} files (stage their bytes)", time.perf_counter() - t))
    print(phases[-1].line(), flush=True)

    t = time.perf_counter()
    procs = [start(f"worker{i + 1}", url, ["worker", "--queue", "ingest"], logs) for i in range(workers)]
    wait("ingest", lambda: scalar(engine, "SELECT count(*) FROM ingest_staged") == 0
         and scalar(engine, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'edi.ingest'"
                             " AND status IN ('todo', 'doing')") == 0,
         procs)
    wall = time.perf_counter() - t
    finish(procs, stop=True)
    claims = scalar(engine, "SELECT count(*) FROM claim")
    clps = scalar(engine, "SELECT count(*) FROM claim_payment")
    failed = scalar(engine, "SELECT count(*) FROM source_file WHERE status <> 'ingested'")
    phases.append(Phase(f"ingest by {workers} worker(s): {claims:,} claims, {clps:,} CLPs, {failed} files not "
                        f"ingested, {claims / wall:,.0f} claims/s", wall, procs))
    print(phases[-1].line(), flush=True)
    engine.dispose()


def detect_phases(url: str, engine: Engine, world: Path, workers: int, partitions: int, as_of: str, single: bool,
                  logs: Path, phases: list[Phase]) -> None:
    t = time.perf_counter()
    for name, importer in CSVS.items():
        if (world / name).exists():
            importer(engine, world / name)
    phases.append(Phase("CSV imports (fee schedule, patient payments)", time.perf_counter() - t))
    print(phases[-1].line(), flush=True)

    t = time.perf_counter()
    procs = [start(f"worker{i + 1}", url, ["worker", "--queue", "detect"], logs) for i in range(workers)]
    queue = start("detect-enqueue", url, ["detect", "--partitions", str(partitions), "--as-of", as_of], logs)
    finish([queue], stop=False)
    done = ("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'edi.detect_finish'"
            " AND status = 'succeeded'")
    wait("partitioned detect", lambda: scalar(engine, done) == 1, procs)
    wall = time.perf_counter() - t
    finish(procs, stop=True)
    findings = scalar(engine, "SELECT count(*) FROM finding")
    phases.append(Phase(f"detect in {partitions} partitions by {workers} worker(s): {findings:,} findings",
                        wall, procs))
    print(phases[-1].line(), flush=True)

    if single:
        t = time.perf_counter()
        one = start("detect", url, ["detect", "--full", "--as-of", as_of], logs)
        finish([one], stop=False)
        if one.popen.returncode:
            raise SystemExit(f"detect --full failed: see {one.log}")
        phases.append(Phase("one-process detect --full over the same store", time.perf_counter() - t, [one]))
        print(phases[-1].line(), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--pg", default=os.environ.get("EDI_ENGINE_TEST_PG_URL"))
    ap.add_argument("--single-detect", action="store_true", help="also a one-process detect --full on the first store")
    ap.add_argument("--keep-schemas", action="store_true")
    ap.add_argument("--resume", metavar="SCHEMA", help="a kept schema whose ingest is done: from the CSV imports on "
                    "(with the first --workers count)")
    args = ap.parse_args()
    if not args.pg:
        raise SystemExit("give --pg URL or set EDI_ENGINE_TEST_PG_URL")
    if not (args.world / ".complete").exists():
        from edi_engine.simulate import generate_world
        t = time.perf_counter()
        generate_world(args.claims, args.seed, out=args.world)
        (args.world / ".complete").write_text("")
        print(f"world: {args.claims:,} claims generated in {time.perf_counter() - t:,.0f} s", flush=True)
    logs = args.world.parent / "logs"
    logs.mkdir(exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for i, n in enumerate(args.workers):
        print(f"--- {n} worker(s)", flush=True)
        run(args.pg, args.world, n, args.partitions, args.as_of, args.single_detect and i == 0, args.keep_schemas,
            logs, args.resume if i == 0 else None)
        print(f"load average: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
