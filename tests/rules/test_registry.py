"""A finding category is one registry entry: a throwaway category registered here, and nowhere
else, is detected, listed (findings list and review queue), lettered with its own wording and
reported on the credit-balance report; once unregistered, its findings are an error, not a default.
The lifecycle: one table answers both detect's moves and people's decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from edi_engine.errors import UsageError
from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.outputs import credit_balance_report, decide, render_letter
from edi_engine.rules import categories, detect, list_findings, load_pack
from edi_engine.rules.candidate import Candidate, clp_evidence
from edi_engine.rules.categories import Category, Correction, Letter, Owed
from edi_engine.rules.lifecycle import DECIDED, Decision, EngineMove, Status, next_status, sources
from edi_engine.rules.pack import RulePack
from edi_engine.store import open_store
from edi_engine.web.context import Chrome
from edi_engine.web.queue import QueueFilters, queue_page
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, paid

NAME = "throwaway_refund"
WORDING = "{payer_name} owes nothing, yet this test returns {amount} to it."


def _detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    """Flags the one claim PCN2 of the pack below, whatever its payments say."""
    if view.account.clm01 != "PCN2" or view.primary is None:
        return []
    return [Candidate(NAME, view.account.clm01, view.primary.payer_id, 1234, "payer",
                      evidence={"summary": "flagged by the throwaway category",
                                "records": [clp_evidence(c, facts, "paid again") for c in view.primary.clps]})]


@pytest.fixture
def throwaway() -> Iterator[Category]:
    with categories.registered(Category(NAME, _detect, Owed.PAYER, True, Letter("45", WORDING), None,
                                        Correction.NONE, None)) as category:
        yield category
    assert NAME not in categories.names()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    s = Store(open_store(db_url), tmp_path)
    s.add("c.837", file_837([claim("PCN1"), claim("PCN2")]))
    s.add("a.835", file_835("P1", "CHK1", "20240201", [paid("ICN1", "PCN1"), paid("ICN2", "PCN2")]))
    s.ingest()
    return s


def test_a_registered_category_is_detected_listed_lettered_and_reported(store: Store, throwaway: Category) -> None:
    assert NAME in load_pack().enabled  # the default pack runs every registered category
    summary = detect(store.engine, as_of="2024-03-01")
    assert summary.open_by_category == {NAME: 1}
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "open", NAME)
    assert (f.claim_id, f.payer_id, f"{f.amount:.2f}", f.refund_to) == ("PCN2", "P1", "12.34", "payer")

    chrome = Chrome("abe", "approver", "tok", date(2024, 3, 1), frozenset({"view"}))
    page = queue_page(store.engine, QueueFilters(category=NAME), chrome)
    assert [(r.id, r.category) for r in page.rows] == [(f.id, NAME)]

    decide(store.engine, f.id, "approve", by="ed")
    letter = render_letter(store.engine, f.id, fmt="txt").decode()
    assert "owes nothing, yet this test returns 12.34 to it." in " ".join(letter.split())
    assert "CARC 45" in letter

    rows = credit_balance_report(store.engine, as_of="2024-03-01")
    assert [(r["category"], f"{r['total']:.2f}") for r in rows] == [(NAME, "12.34")]


def test_an_unregistered_category_is_an_error_not_a_default(store: Store, throwaway: Category) -> None:
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "open", NAME)
    categories.unregister(NAME)
    with pytest.raises(UsageError, match="unknown finding category"):
        render_letter(store.engine, f.id, fmt="txt")
    categories.register(throwaway)  # the fixture's cleanup removes it again


def test_a_pack_naming_an_unknown_category_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "p.toml"
    pack.write_text('[categories]\nenabled = ["duplicate_payment", "no_such_category"]\n')
    with pytest.raises(UsageError, match="no_such_category"):
        load_pack(pack)
    assert load_pack(_write(tmp_path, '[categories]\nenabled = ["duplicate_payment"]\n')).enabled == \
        {"duplicate_payment"}


def _write(folder: Path, text: str) -> Path:
    path = folder / "q.toml"
    path.write_text(text)
    return path


def test_one_table_for_the_engine_and_for_people() -> None:
    assert {Status.DISMISSED, Status.REFUNDED, Status.OFFSET} == DECIDED
    for status in DECIDED:  # detect never touches a decision
        assert next_status(status, EngineMove.FOUND) is None
        assert next_status(status, EngineMove.RECOVERED) is None
    # An approval stands when the credit is found again, and gives way when the payer took it back first.
    assert next_status(Status.APPROVED, EngineMove.FOUND) is None
    assert next_status(Status.APPROVED, EngineMove.RECOVERED) is Status.RESOLVED
    assert next_status(None, EngineMove.FOUND) is Status.OPEN
    assert next_status(Status.RESOLVED, EngineMove.FOUND) is Status.OPEN  # reopened
    assert next_status(Status.OPEN, EngineMove.RECOVERED) is Status.RESOLVED
    assert sources(Decision.APPROVE) == {Status.OPEN}
    assert sources(Decision.DISMISS) == {Status.OPEN, Status.APPROVED}
    assert sources(Decision.MARK_REFUNDED) == sources(Decision.OFFSET) == {Status.APPROVED}
    assert next_status(Status.RESOLVED, Decision.APPROVE) is None


def test_a_decision_goes_through_the_table(store: Store, throwaway: Category) -> None:
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "open", NAME)
    with pytest.raises(UsageError, match="needs it approved"):
        decide(store.engine, f.id, "mark-refunded", by="abe")
    decide(store.engine, f.id, "approve", by="abe")
    detect(store.engine, as_of="2024-03-02")  # found again: the decision stands
    with store.engine.connect() as conn:
        assert [x.status for x in list_findings(conn, "all", NAME)] == ["approved"]


def test_every_refund_category_has_its_letter() -> None:
    for c in categories.all_categories():
        # A refund letter, or (double_recovery) a letter asking the payer to return what it took twice.
        assert (c.letter is not None) == (c.refund or c.owed is Owed.PROVIDER), c.name
        # Owed to nobody (or to the provider) is never a refund; owed to someone else is, except money the
        # payer takes back itself (a deferred recoupment: a refund check as well would pay it twice, domain.md 4.6).
        assert c.refund == (c.owed not in (Owed.NONE, Owed.PROVIDER)) \
            or (c.name, c.owed) == ("pending_recoupment", Owed.PAYER), c.name
