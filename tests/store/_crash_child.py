"""Child process for the crash test: ingests files and, at a chosen batch, says so and waits to be killed.

argv: DB_URL BATCH PAUSE_FILE_INDEX PAUSE_BATCH FILE...   (PAUSE_BATCH 0: pause after that file is committed)
"""

from __future__ import annotations

import sys

from edi_engine.store import ingest, open_store
from edi_engine.store.ingest import ingest_file


def main() -> None:
    url, batch, pause_file, pause_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    files = sys.argv[5:]
    ingest.BATCH = batch  # small batches: several per file without a huge file
    engine = open_store(url)

    def pause(where: str) -> None:
        print(f"paused {where}", flush=True)
        sys.stdin.readline()  # the parent kills us here

    for i, path in enumerate(files):
        def on_batch(n: int, i: int = i) -> None:
            if i == pause_file and n == pause_batch:
                pause(f"file {i} batch {n}")
        result = ingest_file(engine, path, on_batch=on_batch)
        print(f"{result.status} {path}", flush=True)
        if i == pause_file and pause_batch == 0:
            pause(f"after file {i}")


if __name__ == "__main__":
    main()
