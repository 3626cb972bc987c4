"""The drop folder: `ingest --watch DIR`.

Owns taking files from DIR exactly once across any number of watchers (on one machine or on
several sharing the folder and a PostgreSQL database) and filing them afterwards:

1. A file is a candidate once two scans, `poll_interval` apart, see the same size and mtime.
2. A watcher claims it by renaming it into DIR/processing/ under a name carrying its host and
   pid. rename() is atomic within a file system, so exactly one watcher wins; the others find the
   file gone and move on.
3. It is ingested (one transaction; the content hash makes a second store impossible anyway),
   then moved to DIR/processed/, or to DIR/failed/ with NAME.error.txt beside it.

A watcher killed between 2 and 3 leaves its claim in processing/; a watcher starting on the same
host puts back claims whose process is gone (re-ingesting is safe: idempotent by content).
Stopping (SIGINT/SIGTERM set the `stop` event) waits for the file in hand to finish.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from edi_engine.store.ingest import FileResult, IngestSummary, ingest_file

__all__ = ["watch"]

_SEP = "~"


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


def _recover(folder: Path, processing: Path) -> None:
    """Put back this host's claims whose watcher process has died."""
    host = _host()
    for claimed in processing.iterdir():
        parts = claimed.name.split(_SEP, 2)
        if len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not _alive(int(parts[1])):
            with contextlib.suppress(FileNotFoundError):  # another watcher on this host recovered it first
                os.rename(claimed, _free_name(folder, parts[2]))


def _file_away(claimed: Path, dest_dir: Path, name: str, error: str | None) -> Path:
    target = _free_name(dest_dir, name)
    if error is not None:
        # The note first: a file in failed/ always has its reason beside it.
        target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
    os.replace(claimed, target)
    return target


def watch(engine: Engine, folder: str | os.PathLike[str], *, poll_interval: float = 1.0,  # float ok: seconds
          stop: threading.Event | None = None, stop_when_idle: bool = False,
          on_result: Callable[[FileResult], None] | None = None) -> IngestSummary:
    """Ingest files dropped into `folder` until `stop` is set (or, with stop_when_idle, it is empty)."""
    root = Path(folder)
    processing, processed, failed = root / "processing", root / "processed", root / "failed"
    for d in (processing, processed, failed):
        d.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    _recover(root, processing)
    me = f"{_host()}{_SEP}{os.getpid()}{_SEP}"
    summary = IngestSummary()
    seen: dict[str, tuple[int, int]] = {}
    while not stop.is_set():
        current: dict[str, tuple[int, int]] = {}
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
                current[entry.name] = (st.st_size, st.st_mtime_ns)
        ready = sorted(n for n, sig in current.items() if seen.get(n) == sig)
        seen = current
        for name in ready:
            if stop.is_set():
                break
            claimed = processing / (me + name)
            try:
                os.rename(root / name, claimed)
            except FileNotFoundError:
                continue  # another watcher took it
            try:
                result = ingest_file(engine, claimed, name=str(root / name))
            except BaseException:
                os.rename(claimed, _free_name(root, name))  # give it back untouched, then stop
                raise
            dest = processed if result.ok else failed
            _file_away(claimed, dest, name, None if result.ok else f"{result.status}: {result.error}")
            summary.results.append(result)
            seen.pop(name, None)
            if on_result is not None:
                on_result(result)
        if stop_when_idle and not current:
            break
        stop.wait(poll_interval)
    return summary
