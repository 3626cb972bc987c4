"""The drop folder: files taken once and whole, filed to processed/ or failed/, leases, clean stop on SIGTERM."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from edi_engine.store import open_store
from edi_engine.store.watch import _complete, _host, watch
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
    summary = watch(open_store(db_url), drop, poll_interval=0.01, settle=0.05, stop_when_idle=True)
    assert summary.totals()["ingested"] == 6 and summary.totals()["failed"] == 1
    assert sorted(p.name for p in (drop / "processed").iterdir()) == sorted(p.name for p in world.all)
    assert sorted(p.name for p in (drop / "failed").iterdir()) == ["junk.txt", "junk.txt.error.txt"]
    assert "failed: " in (drop / "failed" / "junk.txt.error.txt").read_text()
    assert list((drop / "processing").iterdir()) == [] and (drop / ".hidden").exists()
    assert counts(db_url)["claim"] == 9 and counts(db_url)["claim_payment"] == 9
    # The same content dropped again is filed as processed (already ingested), stored once.
    os.link(drop / "processed" / world.all[0].name, drop / "again.837")
    summary = watch(open_store(db_url), drop, poll_interval=0.01, settle=0.05, stop_when_idle=True)
    assert [r.status for r in summary.results] == ["already ingested"]
    assert (drop / "processed" / "again.837").exists() and counts(db_url)["claim"] == 9


def test_a_dead_watchers_claim_is_taken_back(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    world = write_world(tmp_path / "src", claims=2, per_file=2)
    (drop / "processing").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = drop / "processing" / f"{_host()}~{dead.stdout.strip()}~remit.835"
    stale.write_bytes(world.files_835[0].read_bytes())
    summary = watch(open_store(db_url), drop, poll_interval=0.01, settle=0.05, stop_when_idle=True)
    assert [r.status for r in summary.results] == ["ingested"]
    assert (drop / "processed" / "remit.835").exists() and not stale.exists()


def test_sigterm_stops_the_watcher_cleanly(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    open_store(db_url)  # schema first, so the two processes do not race to create it
    proc = cli(db_url, "ingest", "--watch", str(drop), "--poll", "0.05", "--settle", "0.2")
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
    watchers = [cli(db_url, "ingest", "--watch", str(drop), "--poll", "0.02", "--settle", "0.1", "--json")
                for _ in range(2)]
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


# -- whole files only: writers that pause, files that never finish -----------------------------------

ISA = (b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240401*1200*^*00501*"
       b"000000001*0*P*:~")


@pytest.mark.parametrize(("data", "expected"), [
    (ISA + b"GS*HP~ST*835*1~SE*2*1~GE*1*1~IEA*1*000000001~", True),
    (ISA + b"GS*HP~IEA*1*000000001~\r\n", True),
    (b"Some prose pasted above the interchange.\n" + ISA + b"IEA*1*000000001~\n\n", True),
    (ISA.replace(b":~", b":\n") + b"GS*HP\nIEA*1*000000001\n", True),  # newline as the terminator
    (ISA + b"GS*HP~IEA*1*000000001~" + ISA + b"GS*HP~ST*835*1~", False),  # its last interchange is open
    (ISA + b"GS*HP~IEA*1*0000", False),
    (ISA + b"GS*HP~IEA*1*000000001", False),  # no terminator yet
    (ISA + b"GS*HP~XIEA*1~", False),
    (ISA[:50], False),
    (b"", False),
    (b"   \n", False),
    (b"claim_id,payment_date,amount\n", None),  # not X12: taken, and failed by ingest
    ((ISA + b"GS*HP~IEA*1*000000001~\r\n").decode().encode("utf-16"), True),  # UTF-16, as the reader takes
    ((ISA + b"GS*HP~IEA*1*0000").decode().encode("utf-16-le"), False),
])
def test_complete_means_the_last_interchange_ends_with_iea(tmp_path: Path, data: bytes, expected: bool | None) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert _complete(path) is expected


def _stored(db_url: str) -> dict[str, int]:
    with open_store(db_url).connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM source_file GROUP BY status")).all()
    return {str(status): int(n) for status, n in rows}


def _slow_writer(target: Path, data: bytes, cuts: list[int], pause: float) -> threading.Thread:
    """Write `data` to `target`, stopping `pause` seconds at each cut, the file open throughout."""
    def run() -> None:
        with open(target, "wb") as out:
            last = 0
            for cut in sorted(cuts) + [len(data)]:
                out.write(data[last:cut])
                out.flush()
                last = cut
                if cut < len(data):
                    time.sleep(pause)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _cuts(data: bytes) -> list[int]:
    """Pauses where a sender stops: inside a segment, right after a terminator, after SE, GE and
    the IEA of a first interchange (in a file of two)."""
    cuts = {len(data) // 3, len(data) // 2 + 7}
    for marker in (b"~SE*", b"~GE*", b"~IEA*"):
        at = data.find(marker)
        end = data.find(b"~", at + 1)
        cuts |= {at + 1, end + 1}
    return sorted(c for c in cuts if 0 < c < len(data))


def _hashes(db_url: str) -> set[str]:
    with open_store(db_url).connect() as conn:
        return set(conn.execute(text("SELECT content_hash FROM source_file WHERE status = 'ingested'")).scalars())


def test_writers_that_pause_longer_than_the_poll_never_store_a_file_in_part(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "src", claims=12, per_file=4)
    other = write_world(tmp_path / "src2", claims=4, per_file=2, sender="SECOND")
    payloads = {f.name: f.read_bytes() for f in world.all}
    payloads["both.x12"] = other.files_837[0].read_bytes() + other.files_835[0].read_bytes()  # two interchanges
    drop = tmp_path / "drop"
    drop.mkdir()
    stop, results = threading.Event(), []
    poll, settle = 0.05, 1.0
    watcher = threading.Thread(target=watch, args=(open_store(db_url), drop),
                               kwargs={"poll_interval": poll, "settle": settle, "stop": stop,
                                       "on_result": results.append})
    watcher.start()
    try:
        # Pauses of 6 polls at every cut; one sender also stops for twice the settle period inside a
        # segment: settled, but incomplete, so it is not taken either.
        writers = [_slow_writer(drop / name, data, _cuts(data), pause=6 * poll) for name, data in payloads.items()]
        payloads["long-pause.835"] = other.files_835[1].read_bytes()
        writers.append(_slow_writer(drop / "long-pause.835", payloads["long-pause.835"],
                                    [len(payloads["long-pause.835"]) // 2], pause=2 * settle))
        for w in writers:
            w.join()
        wait_for(lambda: len(results) == len(payloads), timeout=60)
    finally:
        stop.set()
        watcher.join()
    assert sorted(r.status for r in results) == ["ingested"] * len(payloads), [(r.file, r.error) for r in results]
    for r in results:
        data = payloads[Path(r.file).name]
        # Every claim is stored, as a claim or (the second world repeats the first one's claims) a submission.
        assert (r.claims + r.resubmitted, r.payments) == (data.count(b"~CLM*"), data.count(b"~CLP*")), r.file
        assert (drop / "processed" / Path(r.file).name).read_bytes() == data
    # What is stored is exactly the whole files: no part of one was ever taken.
    assert _hashes(db_url) == {hashlib.sha256(data).hexdigest() for data in payloads.values()}
    assert _stored(db_url) == {"ingested": len(payloads)}
    assert list((drop / "failed").iterdir()) == [] and list((drop / "processing").iterdir()) == []


def test_a_file_that_stops_incomplete_goes_to_failed_after_the_timeout(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "src", claims=3, per_file=3)
    drop = tmp_path / "drop"
    drop.mkdir()
    data = world.files_837[0].read_bytes()
    (drop / "cut.837").write_bytes(data[: len(data) * 2 // 3])  # a sender that died: no SE, GE or IEA
    (drop / "whole.835").write_bytes(world.files_835[0].read_bytes())
    (drop / "upload.837.part").write_bytes(data)  # a temporary name: left alone
    started = time.monotonic()
    summary = watch(open_store(db_url), drop, poll_interval=0.05, settle=0.2, incomplete_timeout=1.0,
                    stop_when_idle=True)
    assert time.monotonic() - started >= 1.0
    assert sorted((Path(r.file).name, r.status) for r in summary.results) == [("cut.837", "failed"),
                                                                              ("whole.835", "ingested")]
    note = (drop / "failed" / "cut.837.error.txt").read_text()
    assert note.startswith("failed: incomplete: ") and "nothing was stored" in note
    assert (drop / "failed" / "cut.837").read_bytes() == data[: len(data) * 2 // 3]
    assert (drop / "upload.837.part").exists() and counts(db_url)["claim"] == 0
    assert _stored(db_url) == {"ingested": 1, "failed": 1}  # the failure noted for the Ingest page
    # The sender tries again with the whole file: it is stored.
    (drop / "cut.837").write_bytes(data)
    summary = watch(open_store(db_url), drop, poll_interval=0.05, settle=0.2, stop_when_idle=True)
    assert [r.status for r in summary.results] == ["ingested"] and counts(db_url)["claim"] == 3


def test_a_killed_watchers_claim_is_reclaimed_after_its_lease(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "src", claims=2, per_file=2)
    drop = tmp_path / "drop"
    drop.mkdir()
    open_store(db_url)
    lease = 2.0  # renewed every 0.5 s: a busy machine still renews well within it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, str(REPO / "tests" / "store" / "_watch_child.py"), db_url, str(drop),
                              str(lease)], stdout=subprocess.PIPE, text=True, env=env)
    results: list[object] = []
    stop = threading.Event()
    watcher: threading.Thread | None = None
    try:
        os.replace(world.files_835[0], drop / "remit.835")
        assert child.stdout is not None and child.stdout.readline().strip() == "claimed otherhost~" + \
            f"{child.pid}~remit.835"
        claimed = drop / "processing" / f"otherhost~{child.pid}~remit.835"
        assert claimed.exists() and (drop / "processing" / f".{claimed.name}.lease").exists()
        watcher = threading.Thread(target=watch, args=(open_store(db_url), drop),
                                   kwargs={"poll_interval": 0.05, "settle": 0.2, "lease": lease, "stop": stop,
                                           "on_result": results.append})
        watcher.start()
        time.sleep(2 * lease)  # the child is alive and renews its lease: its claim is left alone
        assert claimed.exists() and results == []
        child.kill()
        child.wait()
        wait_for(lambda: bool(results), timeout=30)
    finally:
        child.kill()
        stop.set()
        if watcher is not None:
            watcher.join()
    assert [r.status for r in results] == ["ingested"]  # type: ignore[attr-defined]
    assert (drop / "processed" / "remit.835").exists() and list((drop / "processing").iterdir()) == []
    assert counts(db_url)["claim_payment"] == 2
