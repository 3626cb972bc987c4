"""Detection split into account partitions (issue 15 item 3): a run whose partitions each match and
analyse their accounts, followed by the final store-wide step, leaves the store exactly as one run
does (findings, every column but the id and timestamps, and match rows), on the hand-written packs
(replacements under a new CLM01, crossovers, offsets across a patient's accounts, recoupments) and on
a generated world. In one process here; tests/tasks/ runs it through workers."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from edi_engine.rules import detect
from edi_engine.rules.partition import detect_in_partitions, partition_of
from edi_engine.simulate.world import generate_world
from edi_engine.store import read
from tests.rules.test_incremental import AS_OF, PACKS, _add, _pack_files, _snapshot, _store_kind, _stores


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    return _store_kind(request)


def _both(kind: str, files: list[Path], parts: int, rules: str | None) -> int:
    with _stores(kind) as (single, split):
        for engine in (single, split):
            for path in files:
                _add(engine, path)
        a = detect(single, as_of=AS_OF, rules_path=rules)
        b = detect_in_partitions(split, parts, as_of=AS_OF, rules_path=rules)
        assert b.mode == "full" and b.reason == f"partitioned: {parts} account partitions"
        assert (b.accounts, b.inserted) == (a.accounts, a.inserted)
        findings, matches = _snapshot(single)
        assert matches
        assert _snapshot(split) == (findings, matches)
        # The partitioned run is recorded as a whole-store run: the next single run is incremental and idle.
        again = detect(split, as_of=AS_OF, rules_path=rules)
        assert (again.mode, again.accounts, again.inserted, again.updated, again.resolved) == \
            ("incremental", 0, 0, 0, 0)
        return len(findings)


@pytest.mark.parametrize("pack", PACKS)
def test_partitioned_detect_equals_one_run_on_the_hand_written_packs(store_kind: str, pack: str) -> None:
    rules = Path(__file__).resolve().parents[2] / "fixtures" / pack / "rules.toml"
    _both(store_kind, _pack_files(pack), 3, str(rules) if rules.is_file() else None)


@pytest.mark.parametrize("scope_limit", [None, 10])
def test_partitioned_detect_equals_one_run_on_a_generated_world(store_kind: str, scope_limit: int | None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With scope_limit 10, each partition is past store.read's limit on a scoped read and loads the
    whole store's facts, as a partition of a million-claim store does: still the findings of one run."""
    if scope_limit is not None:
        monkeypatch.setattr(read, "_SCOPE_LIMIT", scope_limit)
    folder = Path(tempfile.mkdtemp(prefix="edi-part-world-"))
    try:
        generate_world(300, 7, out=folder)
        files = sorted(p for p in folder.iterdir() if p.suffix in (".835", ".837")
                       or p.name in ("fee_schedule.csv", "patient_payments.csv"))
        assert _both(store_kind, files, 4, None) > 10
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_partition_of_is_stable_and_spreads_accounts() -> None:
    assert partition_of("PCN-0001", 4) == partition_of("PCN-0001", 4)
    counts = [0] * 4
    for i in range(4000):
        counts[partition_of(f"PCN{i:06d}", 4)] += 1
    assert min(counts) > 800


@pytest.mark.parametrize("parts", [2, 5])
def test_partitioned_detect_equals_one_run_after_a_payment_matched_by_hand(store_kind: str, parts: int) -> None:
    """A payment a person matched to another account's claim (issue 13) is read into that account: the
    partition holding the claim posts it, the one holding its own CLP01 leaves it, as one run does."""
    from edi_engine import outputs
    from edi_engine.store.packs import load_folder
    from tests.outputs.test_manual_match import AS_OF as MATCH_AS_OF
    from tests.outputs.test_manual_match import CLAIM, PACK, TYPO

    with _stores(store_kind) as (single, split):
        for engine in (single, split):
            load_folder(engine, PACK)
            outputs.detect_with_audit(engine, as_of=MATCH_AS_OF)
            with engine.connect() as conn:
                unmatched = [f for f in detect_findings(conn)
                             if (f.category, f.claim_id) == ("unmatched_payment", TYPO)]
            outputs.match_payment(engine, unmatched[0].id, claim=CLAIM, by="ana", note="EOB: CLP01 mistyped")
        a = outputs.detect_with_audit(single, as_of=MATCH_AS_OF)
        b = detect_in_partitions(split, parts, as_of=MATCH_AS_OF)
        assert (a.resolved, a.inserted) == (1, 1) and (b.resolved, b.inserted) == (1, 1)
        # The same evidence but for the moment each store's match was made ("matched": {"at": ...}).
        def same(engine: Any) -> str:
            return re.sub(r'"at": "[^"]+"', '"at": ""', repr(_snapshot(engine)))
        assert same(split) == same(single)
        assert '"manual_match": 1' in same(split)


def detect_findings(conn):  # type: ignore[no-untyped-def]
    from edi_engine.rules import list_findings

    return list_findings(conn, "all")
