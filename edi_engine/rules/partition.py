"""Detection split into account partitions: which accounts a partition holds, and a partitioned run
done in one process (the reference the task queue's workers must agree with).

Owns the partition rule: an account belongs to partition sha256(root CLM01) mod N, where the root
is the CLM01 a replacement under a new number is read with (store.read.account_roots), so a claim
and its replacements are always in one partition. Nothing else needs to be kept together: each
partition only matches and analyses its accounts (rules/run.py `scan_accounts`) and writes their
match rows; the run's final step (`detect(..., scans=...)`) adds the store-wide checks and reconciles
every partition's candidates at once, the patient offsets across all of a person's accounts
included, exactly as a single run does. Knows nothing of queues or workers (edi_engine/tasks).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection, Engine

from edi_engine.rules.run import AccountScan, DetectSummary, detect, scan_accounts
from edi_engine.store import detect_runs
from edi_engine.store.read import account_roots, load_store_facts

__all__ = ["detect_in_partitions", "partition_of", "partition_roots", "scan_partition"]


def partition_of(root: str, parts: int) -> int:
    """The partition (0 .. parts-1) of the account whose root CLM01 is `root`: the same on every host."""
    return int.from_bytes(hashlib.sha256(root.encode("utf-8")).digest()[:8], "big") % parts


def partition_roots(conn: Connection, part: int, parts: int) -> list[str]:
    facts = load_store_facts(conn, [])  # only the links (and the small whole-store maps) are read
    return [k for k in account_roots(conn, facts) if partition_of(k, parts) == part]


def scan_partition(conn: Connection, part: int, parts: int, *, rules_path: str | None = None) -> AccountScan:
    """Match and analyse partition `part` of `parts` on `conn` (its match rows are written there)."""
    if not 0 <= part < parts:
        raise ValueError(f"partition {part} of {parts}")
    return scan_accounts(conn, partition_roots(conn, part, parts), rules_path=rules_path)


def detect_in_partitions(engine: Engine, parts: int, *, as_of: date | str | None = None,
                         rules_path: str | None = None, **kwargs: Any) -> DetectSummary:
    """A partitioned run in this process, partition after partition, then the final step: what the
    workers do across hosts (edi_engine/tasks), without a queue."""
    with engine.connect() as conn:
        reach = detect_runs.reach(conn)
    scans = []
    for part in range(parts):
        with engine.begin() as conn:
            scans.append(scan_partition(conn, part, parts, rules_path=rules_path))
    return detect(engine, as_of=as_of, rules_path=rules_path, scans=scans, reach=reach, **kwargs)
