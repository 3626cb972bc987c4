"""`cycle_collector_paused()`: Python's cyclic garbage collector off for a bulk step, left as found.

Ingest (a file's parse items and rows) and detect (rows read, facts, candidates) allocate hundreds
of thousands to millions of small objects that are alive until the step ends and almost never in
cycles: reference counting frees them, and each automatic collection would only walk them all (a
sixth of ingest's CPU and a fifth of detect's, bench/RESULTS.md). Process-wide: it is turned back on
only by the call that turned it off, so overlapping steps (the web app's threads) leave it on at the
end.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cycle_collector_paused"]


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
