"""Child process for the lease test: a watcher on another "host" that claims a file and hangs in ingest.

argv: DB_URL DROP_FOLDER LEASE_SECONDS. It prints "claimed NAME" once a file is in hand, then waits to
be killed; its lease thread keeps renewing the lease meanwhile, as a live watcher's does.
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

from edi_engine.store import open_store
from edi_engine.store.ingest import FileResult

watch = importlib.import_module("edi_engine.store.watch")  # the module (the package exports the function)


def main() -> None:
    url, drop, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
    watch._host = lambda: "otherhost"  # type: ignore[attr-defined]  # the parent cannot check our pid

    def hang(_engine: object, path: Path, *, name: str) -> FileResult:
        print(f"claimed {Path(path).name}", flush=True)
        threading.Event().wait()  # killed here
        raise AssertionError("unreachable")

    watch.ingest_file = hang  # type: ignore[attr-defined,assignment]
    watch.watch(open_store(url), drop, poll_interval=0.05, settle=0.2, lease=lease)


if __name__ == "__main__":
    main()
