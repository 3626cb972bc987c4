"""Incremental detect (issue 14 item 4): a run after new files, refunds and decisions looks only at the
accounts they touch, and leaves the store exactly as a full run would.

The property: the same files, in a random order and random batches, with people's decisions between
them, go into two stores; after each batch one store runs detect incrementally and the other with
`full=True`; the findings (every column a person or a letter reads) and the match rows agree.
The files are the hand-written packs, written as payers write them (splits, voids, replacements
under a new CLM01, crossovers, MSP, deferred recoupments, provider refunds), and generated worlds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from edi_engine.outputs.decisions import decide, record_refund
from edi_engine.rules import categories, detect
from edi_engine.simulate.world import generate_world
from edi_engine.store import open_store
from edi_engine.store.imports import import_fee_schedule, import_patient_payments
from edi_engine.store.ingest import ingest_paths
from edi_engine.store.tables import finding, payment_match
from tests.conftest import PG_ENV, PG_SKIP, REPO, _pg_url

AS_OF = "2026-06-30"
PACKS = ["split_claim", "manual_match_duplicate", "voided_claim_paid", "replacement_new_account", "crossover_medigap",
         "msp_primary_payer", "pending_recoupment", "double_recovery", "duplicate_reversed", "patient_overpayment",
         "reversal_repayment"]
_CSV_IMPORTS = {"fee_schedule.csv": import_fee_schedule, "patient_payments.csv": import_patient_payments}


@contextlib.contextmanager
def _stores(kind: str) -> Iterator[tuple[Engine, Engine]]:
    """Two empty stores of one kind, dropped afterwards."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="edi-incr-"))
        engines = (open_store(f"sqlite:///{folder / 'a.db'}"), open_store(f"sqlite:///{folder / 'b.db'}"))
        try:
            yield engines
        finally:
            for e in engines:
                e.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        return
    base = os.environ[PG_ENV]
    admin = create_engine(base)
    schemas = ["t_" + uuid.uuid4().hex[:16] for _ in range(2)]
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engines = (open_store(_pg_url(base, schemas[0])), open_store(_pg_url(base, schemas[1])))
    try:
        yield engines
    finally:
        for e in engines:
            e.dispose()
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(PG_SKIP)
    return kind


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    return _store_kind(request)


# A wall-clock instant in the evidence (when a person matched a payment by hand): the two stores get
# the same decision a moment apart, so it may fall in different seconds; business dates stay compared.
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


def _snapshot(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    skip = {"id", "updated_at"}
    columns = [c for c in finding.c if c.name not in skip]
    with engine.connect() as conn:
        findings = sorted(tuple(_INSTANT.sub("<instant>", v) if isinstance(v, str) else v for v in r)
                          for r in conn.execute(select(*columns)))
        matches = sorted(tuple(r) for r in conn.execute(select(*[c for c in payment_match.c if c.name != "id"])))
    return findings, matches


def _add(engine: Engine, path: Path) -> None:
    importer = _CSV_IMPORTS.get(path.name)
    if importer is not None:
        importer(engine, path)
    else:
        ingest_paths(engine, [path])


def _decide(engine: Engine, pick: int, action: str) -> None:
    """The same decision in each store: the pick-th open finding by natural key (none if none is open)."""
    with engine.connect() as conn:
        rows = conn.execute(select(finding.c.id, finding.c.category, finding.c.amount).where(
            finding.c.status == "open").order_by(finding.c.natural_key)).fetchall()
    # Only a category that is a refund takes approve (outputs/decisions.py): the registry says which.
    refunds = [r for r in rows if categories.get(r.category).refund]
    if action == "dismiss" and rows:
        decide(engine, rows[pick % len(rows)].id, "dismiss", by="ana", note="checked the EOB")
    elif refunds:
        row = refunds[pick % len(refunds)]
        decide(engine, row.id, "approve", by="ana", note="checked the EOB")
        if action == "refund":
            record_refund(engine, row.id, by="ana", method="check", number=f"90{pick}", paid_on=date(2026, 6, 1),
                          amount=row.amount)


def _replay(kind: str, files: list[Path], cuts: list[int], decisions: list[tuple[int, str]],
            rules: str | None) -> None:
    with _stores(kind) as (incremental, full):
        batches: list[list[Path]] = []
        start = 0
        for cut in sorted(set(cuts)) + [len(files)]:
            if cut > start:
                batches.append(files[start:cut])
                start = cut
        for i, batch in enumerate(batches):
            for engine in (incremental, full):
                for path in batch:
                    _add(engine, path)
                if i < len(decisions):
                    _decide(engine, *decisions[i])
            a = detect(incremental, as_of=AS_OF, rules_path=rules)
            b = detect(full, as_of=AS_OF, rules_path=rules, full=True)
            fees = any(p.name == "fee_schedule.csv" for p in batch)  # a fee row reprices any line: full
            assert a.mode == ("full" if i == 0 or fees else "incremental"), a.reason
            assert b.mode == "full"
            assert _snapshot(incremental) == _snapshot(full), f"after batch {i + 1} of {len(batches)}: {batch}"
            # Nothing new: the next incremental run looks at no account and changes nothing.
            again = detect(incremental, as_of=AS_OF, rules_path=rules)
            assert (again.mode, again.accounts, again.inserted, again.updated, again.resolved) == \
                ("incremental", 0, 0, 0, 0)


def _pack_files(name: str) -> list[Path]:
    folder = REPO / "fixtures" / name
    return sorted(p for p in folder.iterdir() if p.suffix in (".835", ".837") or p.name in _CSV_IMPORTS)


# An example replays a pack twice with detect after every batch: shrinking one would take minutes,
# and the failure message names the pack, the order and the batches already.
_SLOW = dict(deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=8, **_SLOW)  # type: ignore[arg-type]
@given(data=st.data())
def test_incremental_equals_full_on_the_hand_written_packs(store_kind: str, data: st.DataObject) -> None:
    pack = data.draw(st.sampled_from(PACKS), label="pack")
    files = data.draw(st.permutations(_pack_files(pack)), label="order")
    cuts = data.draw(st.lists(st.integers(1, len(files) - 1), max_size=4), label="cuts")
    decisions = data.draw(st.lists(st.tuples(st.integers(0, 50), st.sampled_from(["approve", "dismiss", "refund"])),
                                   max_size=3), label="decisions")
    rules = REPO / "fixtures" / pack / "rules.toml"
    _replay(store_kind, files, cuts, decisions, str(rules) if rules.is_file() else None)


@settings(max_examples=4, **_SLOW)  # type: ignore[arg-type]
@given(seed=st.integers(0, 10_000), claims=st.integers(20, 60), data=st.data())
def test_incremental_equals_full_on_generated_worlds(store_kind: str, seed: int, claims: int,
                                                     data: st.DataObject) -> None:
    folder = Path(tempfile.mkdtemp(prefix="edi-incr-world-"))
    try:
        generate_world(claims, seed, out=folder)
        files = sorted(p for p in folder.iterdir() if p.suffix in (".835", ".837") or p.name in _CSV_IMPORTS)
        # Mostly in date order (as an office receives them), some files swapped.
        swaps = data.draw(st.lists(st.tuples(st.integers(0, len(files) - 1), st.integers(0, len(files) - 1)),
                                   max_size=5), label="swaps")
        for i, j in swaps:
            files[i], files[j] = files[j], files[i]
        cuts = data.draw(st.lists(st.integers(1, len(files) - 1), min_size=1, max_size=4), label="cuts")
        decisions = data.draw(st.lists(st.tuples(st.integers(0, 50), st.sampled_from(["approve", "dismiss",
                                                                                        "refund"])),
                                       max_size=3), label="decisions")
        _replay(store_kind, files, cuts, decisions, None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_run_over_nothing_new_is_incremental_and_a_new_rule_pack_is_full(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    for path in _pack_files("split_claim"):
        _add(engine, path)
    first = detect(engine, as_of=AS_OF)
    assert (first.mode, first.reason) == ("full", "the first run")
    again = detect(engine, as_of=AS_OF)
    assert (again.mode, again.accounts) == ("incremental", 0)
    other_day = detect(engine, as_of="2026-07-01")
    assert other_day.mode == "full" and "the last run as of 2026-06-30" in other_day.reason
    rules = tmp_path / "rules.toml"
    rules.write_text("[tolerance]\ncredit = 0.50\n")
    changed = detect(engine, as_of="2026-07-01", rules_path=str(rules))
    assert changed.mode == "full" and "rule pack" in changed.reason
    asked = detect(engine, as_of="2026-07-01", rules_path=str(rules), full=True)
    assert (asked.mode, asked.reason) == ("full", "asked for (--full)")
    assert asked.accounts == first.accounts > 0


def test_a_manual_match_and_its_undo_reach_both_accounts(store_kind: str) -> None:
    """A payment matched by hand moves from its CLP01's account (a typo) to the claim's: the incremental
    run after the match, and after the undo, looks at both and leaves what a full run leaves."""
    from edi_engine.outputs.manual import match_payment, unmatch_payment
    with _stores(store_kind) as (incremental, full):
        for engine in (incremental, full):
            for path in _pack_files("manual_match_duplicate"):
                _add(engine, path)
        for engine in (incremental, full):
            detect(engine, as_of=AS_OF, full=engine is full)
        assert _snapshot(incremental) == _snapshot(full)

        def unmatched(engine: Engine) -> int:
            with engine.connect() as conn:
                return int(conn.execute(select(finding.c.id).where(finding.c.category == "unmatched_payment",
                                                                   finding.c.patient_control_number == "PCN0766O01"))
                           .scalar_one())
        for step in ("match", "unmatch"):
            for engine in (incremental, full):
                if step == "match":
                    match_payment(engine, unmatched(engine), claim="PCN0766001", by="ana", note="EOB: a typo")
                else:
                    unmatch_payment(engine, unmatched(engine), by="bo", note="the payer paid another claim")
            a = detect(incremental, as_of=AS_OF)
            detect(full, as_of=AS_OF, full=True)
            assert a.mode == "incremental" and a.accounts >= 1  # the typo's account is empty once matched
            assert _snapshot(incremental) == _snapshot(full), step
            with incremental.connect() as conn:
                duplicate = conn.execute(select(finding.c.status).where(
                    finding.c.category == "duplicate_payment", finding.c.patient_control_number == "PCN0766001")) \
                    .scalar_one_or_none()
            assert duplicate == ("open" if step == "match" else "resolved")  # the duplicate the typo hid
