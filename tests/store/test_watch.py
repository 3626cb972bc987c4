"""The drop folder: files taken once, filed to processed/ or failed/, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from edi_engine.store import open_store
from edi_engine.store.watch import _host, watch
from tests.store.test_ingest import counts
from tests.store.world import write_world

REPO = Path(__file__).resolve().parents[2]


def cli(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", "from edi_engine.cli import main; main()", "--db", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_watch_files_good_and_bad(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    world = write_world(drop, claims=9, per_file=3)
    (drop / "junk.txt").write_text("not x12")
    (drop / ".hidden").write_text("ignored")
    summary = watch(open_store(db_url), drop, poll_interval=0.01, stop_when_idle=True)
    assert summary.totals()["ingested"] == 6 and summary.totals()["failed"] == 1
    assert sorted(p.name for p in (drop / "processed").iterdir()) == sorted(p.name for p in world.all)
    assert sorted(p.name for p in (drop / "failed").iterdir()) == ["junk.txt", "junk.txt.error.txt"]
    assert "failed: " in (drop / "failed" / "junk.txt.error.txt").read_text()
    assert list((drop / "processing").iterdir()) == [] and (drop / ".hidden").exists()
    assert counts(db_url)["claim"] == 9 and counts(db_url)["claim_payment"] == 9
    # The same content dropped again is filed as processed (already ingested), stored once.
    os.link(drop / "processed" / world.all[0].name, drop / "again.837")
    summary = watch(open_store(db_url), drop, poll_interval=0.01, stop_when_idle=True)
    assert [r.status for r in summary.results] == ["already ingested"]
    assert (drop / "processed" / "again.837").exists() and counts(db_url)["claim"] == 9


def test_a_dead_watchers_claim_is_taken_back(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    world = write_world(tmp_path / "src", claims=2, per_file=2)
    (drop / "processing").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = drop / "processing" / f"{_host()}~{dead.stdout.strip()}~remit.835"
    stale.write_bytes(world.files_835[0].read_bytes())
    summary = watch(open_store(db_url), drop, poll_interval=0.01, stop_when_idle=True)
    assert [r.status for r in summary.results] == ["ingested"]
    assert (drop / "processed" / "remit.835").exists() and not stale.exists()


def test_sigterm_stops_the_watcher_cleanly(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    open_store(db_url)  # schema first, so the two processes do not race to create it
    proc = cli(db_url, "ingest", "--watch", str(drop), "--poll", "0.05")
    assert proc.stderr is not None and proc.stderr.readline().startswith("watching")
    world = write_world(tmp_path / "src", claims=4, per_file=2)
    for f in world.all:
        os.replace(f, drop / f.name)
    wait_for(lambda: len(list((drop / "processed").glob("*"))) == 4 if (drop / "processed").exists() else False)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "files 4 (4 ingested" in out
    assert list((drop / "processing").iterdir()) == []


def test_two_watchers_store_each_file_once(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    open_store(db_url)
    watchers = [cli(db_url, "ingest", "--watch", str(drop), "--poll", "0.02", "--json") for _ in range(2)]
    for w in watchers:  # "watching ..." is printed once the signal handlers are in place
        assert w.stderr is not None and w.stderr.readline().startswith("watching")
    world = write_world(tmp_path / "src", claims=40, per_file=2)
    for f in world.all:
        os.replace(f, drop / f.name)
    wait_for(lambda: (drop / "processed").exists() and len(list((drop / "processed").iterdir())) == len(world.all))
    for w in watchers:
        w.send_signal(signal.SIGINT)
    outputs = [w.communicate(timeout=60) for w in watchers]
    assert all(w.returncode == 0 for w in watchers), outputs
    c = counts(db_url)
    assert c["source_file"] == len(world.all) and c["claim"] == 40 and c["claim_payment"] == 40
    assert list((drop / "failed").iterdir()) == []


def test_a_file_is_taken_only_once_it_stops_growing(db_url: str, tmp_path: Path) -> None:
    import threading

    source = tmp_path / "source"
    world = write_world(source, claims=4, per_file=4)
    data = world.all[0].read_bytes()
    drop = tmp_path / "drop"
    drop.mkdir()
    stop = threading.Event()
    results = []
    watcher = threading.Thread(target=watch, args=(open_store(db_url), drop),
                               kwargs={"poll_interval": 0.5, "stop": stop, "on_result": results.append})
    watcher.start()
    try:
        target = drop / world.all[0].name
        step = max(1, len(data) // 30)
        with open(target, "wb") as out:  # a slow upload: a piece every 50 ms for 1.5 s
            for i in range(0, len(data), step):
                out.write(data[i : i + step])
                out.flush()
                time.sleep(0.05)
                assert target.exists() and results == [], "taken while still growing"
        wait_for(lambda: bool(results), timeout=30)
    finally:
        stop.set()
        watcher.join()
    assert [r.status for r in results] == ["ingested"]
    assert (drop / "processed" / target.name).read_bytes() == data
