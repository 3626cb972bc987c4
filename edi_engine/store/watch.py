"""The drop folder: `ingest --watch DIR`.

Owns taking files from DIR exactly once across any number of watchers (on one machine or on
several sharing the folder and a PostgreSQL database), only once they are whole, and filing them
afterwards. Knows nothing of what is inside an interchange beyond its envelope's last segment.

1. A file is ready when it has stopped growing and its last interchange is complete: its size and
   mtime have not changed for `settle` seconds (longer than the poll interval, so a sender that
   pauses for a scan or two is not taken half written) and it ends with an IEA segment and its
   terminator (see `_complete`). Names starting with "." or ending in .part, .tmp, .filepart
   are a sender's temporary names and are left alone; the safe way to send is to write under one
   of them and rename when done.
2. A file that has stopped growing but is not complete is left where it is; after
   `incomplete_timeout` seconds without a change it goes to DIR/failed/ with NAME.error.txt (and
   a failed row in the store for the Ingest page). Nothing of it is stored.
3. A watcher claims a ready file by renaming it into DIR/processing/ under a name carrying its
   host and pid, then writes the claim's lease beside it (processing/.NAME.lease: host, pid,
   heartbeat time, lease length; the heartbeat is renewed every lease/4 seconds while the file is
   in hand; until the lease is written, the claim's ctime, set by the rename, stands for it).
   rename() is atomic within a file system, so exactly one watcher wins; the others find the file
   gone and move on.
4. It is ingested (one transaction; the content hash makes a second store impossible anyway), then
   moved to DIR/processed/, or to DIR/failed/ with NAME.error.txt beside it. With a `take` (the task
   queue's, edi_engine/tasks: `ingest --watch DIR --queue`), it is handed to the queue instead, its
   bytes kept in the database for a worker on any host, and moved to DIR/queued/; the workers' results
   are the store's (the Ingest page, `source_file`).

A watcher killed between 3 and 4 leaves its claim in processing/. Every running watcher looks
there at each scan and puts a claim back into DIR when its lease is stale: the heartbeat is older
than the lease, or the claim is from this host and its process is gone. Re-ingesting is safe
(idempotent by content). Leases compare wall clocks, so watchers on several machines need their
clocks within a fraction of the lease (NTP). Stopping (SIGINT/SIGTERM set the `stop` event) waits
for the file in hand to finish.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from edi_engine.store.ingest import FAILED_STATUS, QUEUED_STATUS, FileResult, IngestSummary, ingest_file
from edi_engine.store.sourcefile import content_hash, record_failure

__all__ = ["TEMPORARY_SUFFIXES", "watch"]

_SEP = "~"
TEMPORARY_SUFFIXES = (".part", ".tmp", ".filepart")
LEADING_TEXT_LIMIT = 64 * 1024  # text before the first ISA that a reader skips (issue 10, item 5)
_ISA_LENGTH = 106  # the ISA is fixed length: its segment terminator is its 106th byte
_TAIL = 4096  # enough for an IEA and trailing whitespace
_WHITESPACE = b" \t\r\n"


def _host() -> str:
    return socket.gethostname().replace(_SEP, "-") or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{name}.{n}"
        n += 1
    return target


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a file the reader would transcode (its rule, x12/reader.py), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    body = head.lstrip(b" \t\r\n\x00")
    if body.startswith(b"I\x00S\x00A\x00"):
        return "utf-16-le"
    return "utf-16-be" if head[:1] == b"\x00" and b"\x00I\x00S\x00A" in head[:16] else None


def _complete(path: Path) -> bool | None:
    """True when the file's last interchange ends with IEA and its segment terminator, False when
    it does not (yet), None when it is not X12 at all (no ISA in its first 64 KiB): such a file is
    taken once it has settled, so that ingest fails it with its reason."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2 * (LEADING_TEXT_LIMIT + _ISA_LENGTH))
            codec = _utf16(head)
            if codec is not None:
                head = head.decode(codec, "replace").encode("latin-1", "replace")
            head = head[: LEADING_TEXT_LIMIT + _ISA_LENGTH]
            start = head.find(b"ISA")
            if start < 0:
                return None if head.strip(_WHITESPACE) else False  # an empty file is not complete
            if len(head) < start + _ISA_LENGTH:
                return False
            element, terminator = head[start + 3 : start + 4], head[start + 105 : start + 106]
            size = os.fstat(fh.fileno()).st_size
            width = 1 if codec is None else 2
            fh.seek(max(0, size - width * _TAIL) // width * width)
            tail = fh.read(width * _TAIL)
            if codec is not None:
                tail = tail.decode(codec, "replace").encode("latin-1", "replace")
    except OSError:
        return False
    end = len(tail)
    while end and tail[end - 1 : end] in _WHITESPACE and tail[end - 1 : end] != terminator:
        end -= 1  # line breaks after the terminator
    if not tail[:end].endswith(terminator):
        return False
    last = tail[: end - 1].rsplit(terminator, 1)[-1].strip(_WHITESPACE)
    return last.startswith(b"IEA" + element)


# -- leases ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _LeaseInfo:
    host: str
    pid: int
    heartbeat: float  # time.time() of the last renewal
    seconds: float  # the lease length its holder promised to renew within


def _lease_path(claimed: Path) -> Path:
    return claimed.with_name(f".{claimed.name}.lease")


def _write_lease(path: Path, seconds: float) -> None:
    data = {"host": _host(), "pid": os.getpid(), "heartbeat": time.time(), "lease": seconds}
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)  # readers see the old lease or the new one, never half of one


def _read_lease(claimed: Path, default_seconds: float) -> _LeaseInfo:
    """The claim's lease; without a readable one, the claim's own name and its ctime (rename
    sets it), so a claim whose lease was lost still expires."""
    parts = claimed.name.split(_SEP, 2)
    host = parts[0] if len(parts) == 3 else ""
    pid = int(parts[1]) if len(parts) == 3 and parts[1].isdecimal() and parts[1].isascii() else 0
    try:
        data = json.loads(_lease_path(claimed).read_text(encoding="utf-8"))
        return _LeaseInfo(str(data["host"]), int(data["pid"]), float(data["heartbeat"]), float(data["lease"]))
    except (OSError, ValueError, KeyError, TypeError):
        try:
            ctime = claimed.stat().st_ctime
        except OSError:
            ctime = time.time()
        return _LeaseInfo(host, pid, ctime, default_seconds)


class _Lease:
    """The lease of the claim in hand, renewed by a thread until released."""

    def __init__(self, claimed: Path, seconds: float) -> None:
        self.path = _lease_path(claimed)
        self.seconds = seconds
        self._done = threading.Event()
        _write_lease(self.path, seconds)
        self._thread = threading.Thread(target=self._renew, name="edi-engine lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _renew(self) -> None:
        while not self._done.wait(self.seconds / 4):
            with contextlib.suppress(OSError):  # the folder went away: the claim goes stale, which is safe
                _write_lease(self.path, self.seconds)

    def release(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        self.path.unlink(missing_ok=True)


def _reclaim(folder: Path, processing: Path, lease_seconds: float) -> None:
    """Put back into `folder` every claim whose lease is stale; drop leases left without a claim."""
    host, now = _host(), time.time()
    with os.scandir(processing) as entries:
        names = [e.name for e in entries]
    present = set(names)
    for name in names:
        if name.startswith("."):
            if name.endswith(".lease") and name[1 : -len(".lease")] not in present:
                orphan = processing / name
                try:
                    if now - orphan.stat().st_mtime > 2 * lease_seconds:
                        orphan.unlink(missing_ok=True)
                except OSError:
                    pass
            continue
        claimed = processing / name
        lease = _read_lease(claimed, lease_seconds)
        dead = lease.host == host and lease.pid > 0 and not _alive(lease.pid)
        if not dead and now - lease.heartbeat <= lease.seconds:
            continue
        parts = name.split(_SEP, 2)
        original = parts[2] if len(parts) == 3 and parts[2] else name
        try:
            os.rename(claimed, _free_name(folder, original))
        except FileNotFoundError:
            continue  # another watcher put it back first, or its holder just filed it
        _lease_path(claimed).unlink(missing_ok=True)


def _file_away(claimed: Path, dest_dir: Path, name: str, error: str | None) -> Path | None:
    target = _free_name(dest_dir, name)
    if error is not None:
        # The note first: a file in failed/ always has its reason beside it.
        target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
    try:
        os.replace(claimed, target)
    except FileNotFoundError:
        # Our lease went stale (this process was stopped or starved) and another watcher put the
        # claim back; it will be taken again and found already ingested.
        return None
    return target


def _claim(root: Path, processing: Path, name: str, lease: float) -> tuple[Path, _Lease] | None:
    """Rename `name` into processing/ under this watcher's name and lease it; None if taken."""
    claimed = processing / f"{_host()}{_SEP}{os.getpid()}{_SEP}{name}"
    try:
        os.rename(root / name, claimed)
    except FileNotFoundError:
        return None  # another watcher took it
    held = _Lease(claimed, lease)
    held.start()
    return claimed, held


def _fail_incomplete(engine: Engine, claimed: Path, failed: Path, name: str, shown: str,
                     quiet_for: float) -> FileResult:
    """File a claimed file that stopped growing without completing its interchange in failed/."""
    reason = (f"incomplete: the file does not end with a complete interchange (IEA and its segment "
              f"terminator) and has not changed for {quiet_for:.0f} s; nothing was stored")
    try:
        digest, size = content_hash(claimed)
        record_failure(engine, digest, shown, size, "unknown", reason)
    finally:
        _file_away(claimed, failed, name, f"{FAILED_STATUS}: {reason}")
    return FileResult(shown, FAILED_STATUS, error=reason)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _candidates(root: Path) -> dict[str, tuple[int, int]]:
    current: dict[str, tuple[int, int]] = {}
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(TEMPORARY_SUFFIXES):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # taken by another watcher since the scan
            current[entry.name] = (st.st_size, st.st_mtime_ns)
    return current


def watch(engine: Engine, folder: str | os.PathLike[str], *, poll_interval: float = 1.0,  # float ok: seconds
          settle: float | None = None, incomplete_timeout: float = 600.0, lease: float = 60.0,
          stop: threading.Event | None = None, stop_when_idle: bool = False,
          on_result: Callable[[FileResult], None] | None = None,
          take: Callable[[Path, str], FileResult] | None = None) -> IngestSummary:
    """Ingest files dropped into `folder` until `stop` is set (or, with stop_when_idle, it is empty).

    `settle` (default twice the poll interval, at least 1 s) is how long a file must stay unchanged
    before it is taken; `incomplete_timeout` how long an unchanged but incomplete file waits before
    it goes to failed/; `lease` how long a claim of a watcher that stopped renewing it is honoured.
    All in seconds. `take(path, name)`, when given, is called for each claimed file instead of ingesting
    it here; a result `queued` files it in queued/.
    """
    settle = max(2 * poll_interval, 1.0) if settle is None else settle
    root = Path(folder)
    processing, processed, failed = root / "processing", root / "processed", root / "failed"
    queued = root / "queued"
    for d in (processing, processed, failed) + ((queued,) if take is not None else ()):
        d.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    summary = IngestSummary()
    since: dict[str, tuple[tuple[int, int], float]] = {}  # name -> (size and mtime, when first seen so)

    def done(result: FileResult) -> None:
        summary.results.append(result)
        if on_result is not None:
            on_result(result)

    while not stop.is_set():
        _reclaim(root, processing, lease)
        now = time.monotonic()
        current = _candidates(root)
        since = {n: (sig, since[n][1] if n in since and since[n][0] == sig else now) for n, sig in current.items()}
        for name in sorted(n for n, (_sig, t) in since.items() if now - t >= settle):
            if stop.is_set():
                break
            quiet_for = now - since[name][1]
            complete = _complete(root / name)
            if complete is False and quiet_for < incomplete_timeout:
                continue  # still being written, or a sender that stopped: wait for the timeout
            taken = _claim(root, processing, name, lease)
            since.pop(name, None)
            if taken is None:
                continue
            claimed, held = taken
            shown = str(root / name)
            if _signature(claimed) != current[name]:  # it grew between the check and the claim
                held.release()
                os.rename(claimed, _free_name(root, name))
                continue
            try:
                if complete is False:
                    result = _fail_incomplete(engine, claimed, failed, name, shown, quiet_for)
                else:
                    result = ingest_file(engine, claimed, name=shown) if take is None else take(claimed, shown)
                    dest = queued if result.status == QUEUED_STATUS else processed if result.ok else failed
                    _file_away(claimed, dest, name, None if result.ok else f"{result.status}: {result.error}")
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.rename(claimed, _free_name(root, name))  # give it back untouched, then stop
                raise
            finally:
                held.release()
            done(result)
        if stop_when_idle and not current:
            break
        stop.wait(poll_interval)
    return summary
