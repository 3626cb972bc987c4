"""Benchmark: the findings queue page at 100,000 claims (issue 13 item 1: under 100 ms).

Generates a world with edi_engine.simulate.generate_world (its payers.csv included), loads it with
store.packs.load_folder into SQLite (or --db URL), detects, signs a reviewer in and times each queue
request through the app in-process (routing, session check, the SQL, the template; no network):
the first page, a deep page, every sort, a search by each key and the CSV export. Prints the median
and the slowest wall time and the median CPU time of --rounds runs of each, after one warm-up.

    python3 bench/queue.py [--claims 100000] [--seed 7] [--keep DIR] [--rounds 5] [--db URL]

With --keep DIR the world and bench.db are kept there and reused by the next run (the build is
minutes; the measurement seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from edi_engine.rules import detect  # noqa: E402
from edi_engine.store import open_store, tables  # noqa: E402
from edi_engine.store.packs import load_folder  # noqa: E402
from edi_engine.web import WebConfig, add_user, create_app  # noqa: E402

AS_OF = "2026-06-30"  # after the last payment of a 100,000-claim world of seed 7 (bench/detect.py)
PASSWORD = "bench password, long enough"


def build(engine, world: Path, claims: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    if not world.exists():
        from edi_engine.simulate import generate_world
        generate_world(claims, seed, out=world)
    print(f"world: {claims} claims in {time.perf_counter() - t:.1f}s", flush=True)
    t = time.perf_counter()
    load_folder(engine, world)
    print(f"ingest: {time.perf_counter() - t:.1f}s", flush=True)
    t = time.perf_counter()
    s = detect(engine, as_of=AS_OF)
    print(f"detect: {time.perf_counter() - t:.1f}s, {s.inserted} findings", flush=True)
    add_user(engine, "bench", PASSWORD, "reviewer")


def keys(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One value of each search key, taken from an open finding's claim."""
    f, c, cp, pm = tables.finding, tables.claim, tables.claim_payment, tables.payment
    with engine.connect() as conn:
        row = conn.execute(select(f.c.patient_control_number, c.c.patient_last_name, c.c.patient_first_name,
                                  c.c.subscriber_member_id)
                           .join(c, c.c.patient_control_number == f.c.patient_control_number)
                           .where(f.c.status == "open").order_by(f.c.id.desc())).first()
        check = conn.execute(select(pm.c.trace_number).join(cp, cp.c.payment_id == pm.c.id)
                             .where(cp.c.patient_control_number == row[0])).scalar()
    return {"claim": row[0], "last": row[1], "full": f"{row[1]}, {row[2]}", "member": row[3], "check": check}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ap.add_argument("--db", default=None, help="database URL (default: DIR/bench.db, SQLite)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="edi-bench-queue-"))
    work.mkdir(parents=True, exist_ok=True)
    db = args.db or f"sqlite:///{work / 'bench.db'}"
    engine = open_store(db)
    with engine.connect() as conn:
        built = conn.execute(select(tables.web_user.c.username).where(tables.web_user.c.username == "bench")).first()
    if not built:
        build(engine, work / "world", args.claims, args.seed)
    with engine.connect() as conn:
        claims = conn.execute(select(tables.claim.c.id).order_by(tables.claim.c.id.desc()).limit(1)).scalar()
        findings = conn.execute(select(tables.finding.c.id).order_by(tables.finding.c.id.desc()).limit(1)).scalar()
    print(f"store: {claims} claims, {findings} findings ({engine.dialect.name})", flush=True)
    app = create_app(engine, WebConfig(today=lambda: date(2026, 7, 15)))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}).status_code \
        == 303
    k = keys(engine)
    urls = {
        "first page (open, by deadline)": "/findings",
        "page 100 of all": "/findings?status=all&page=100",
        **{f"sort {s}": f"/findings?status=all&sort={s}" for s in
           ("amount", "payer", "patient", "service", "check", "arose", "claim")},
        "search claim number": f"/findings?status=all&q={k['claim'].lower()}",
        "search patient last name": f"/findings?status=all&q={k['last'].lower()}",
        "search LAST, FIRST": f"/findings?status=all&q={k['full']}",
        "search member id": f"/findings?status=all&q={k['member']}",
        "search check number": f"/findings?status=all&q={k['check']}",
        "search payer name": "/findings?status=all&q=pinnacle",
        "search, no match": "/findings?status=all&q=zzzznotthere",
        "bad filter (400)": "/findings?min_amount=lots",
        "export CSV, one payer": "/findings/export.csv?status=all&payer=PPN04",
    }
    # Wall time moves with the machine's load; CPU time of this process (SQLite runs in it) far less.
    print(f"\n{'request':<34} {'wall median':>11} {'wall max':>8} {'CPU median':>10}  rows/status")
    for label, url in urls.items():
        client.get(url)  # warm-up
        walls, cpus = [], []
        for _ in range(args.rounds):
            t, c = time.perf_counter(), time.process_time()
            resp = client.get(url)
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
        body = resp.get_data()
        shown = body.count(b'<td><a href="/findings/') if resp.mimetype == "text/html" else body.count(b"\n") - 1
        print(f"{label:<34} {statistics.median(walls):>11.1f} {max(walls):>8.1f} {statistics.median(cpus):>10.1f}  "
              f"{shown} / {resp.status_code}", flush=True)


if __name__ == "__main__":
    main()
