"""A finding that relies on a payment date (BPR16) the file could not give says so, and says what
it used instead; nothing silently falls back. BPR16 is made unreadable the way real files break
it: an impossible calendar date, which the parser turns into a warning and a stored null."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edi_engine.rules import detect, list_findings
from edi_engine.rules.candidate import UNKNOWN_CHECK_DATE
from edi_engine.store import open_store
from tests.ledger.build import Clp, Store, Svc, file_835, file_837
from tests.ledger.scenarios import claim, paid, secondary

AS_OF = "2024-03-01"
BAD = "20240231"  # February 31st


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def _open(store: Store, *files: tuple[str, bytes]):  # type: ignore[no-untyped-def]
    store.ingest(*[store.add(name, data) for name, data in files])
    detect(store.engine, as_of=AS_OF)
    with store.engine.connect() as conn:
        return list(list_findings(conn, "open"))


def test_duplicate_with_an_unreadable_check_date_says_so(store: Store) -> None:
    (f,) = _open(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
                 ("b.835", file_835("P1", "CHK2", BAD, [paid("ICN2")])))
    assert (f.category, f"{f.amount:.2f}", f.refund_to) == ("duplicate_payment", "104.00", "payer")
    undated = [r for r in f.evidence["records"] if r.get(UNKNOWN_CHECK_DATE)]
    assert [r["trn02"] for r in undated] == ["CHK2"] and undated[0]["check_date"] is None
    (note,) = f.evidence["notes"]
    assert "BPR16" in note and "CHK2" in note and "counts from the day this finding was identified" in note
    assert note in f.evidence["summary"]
    # The deadline never depended on BPR16: it counts from identification, as for any finding.
    assert f.deadline is not None and f.deadline > date.fromisoformat(AS_OF)


def test_readable_dates_add_no_note(store: Store) -> None:
    (f,) = _open(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
                 ("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")])))
    assert "notes" not in f.evidence and not any(r.get(UNKNOWN_CHECK_DATE) for r in f.evidence["records"])


def _tertiary(paid_amount: str) -> Clp:
    other = f"{100 - float(paid_amount):.2f}"
    return Clp("PCN1", "3", "150.00", paid_amount, "0.00", "TER1", [
        Svc("99213", "100.00", paid_amount, "L1", [("OA", "23", other)]),
        Svc("85025", "50.00", "0.00", "L2", [("OA", "23", "50.00")])])


def _cob(store: Store, tertiary_paid_on: str):  # type: ignore[no-untyped-def]
    return _open(store, ("c.837", file_837([claim(), claim(payer="P2", sbr="S"), claim(payer="P3", sbr="T")])),
                 ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
                 ("b.835", file_835("P2", "CHK2", "20240210", [secondary("16.00")])),
                 ("c.835", file_835("P3", "CHK3", tertiary_paid_on, [_tertiary("30.00")])))


def test_cob_refund_goes_to_the_payer_that_paid_last(store: Store) -> None:
    (f,) = [f for f in _cob(store, "20240220") if f.category == "cob_overpayment"]
    assert f.payer_id == "P3" and "last_payer_note" not in f.evidence


def test_cob_with_the_last_payers_date_unreadable_says_how_it_chose(store: Store) -> None:
    # Without the note this used to send the refund letter to P2: the undated P3 counted as paying first.
    (f,) = [f for f in _cob(store, BAD) if f.category == "cob_overpayment"]
    assert f.payer_id == "P3" and f.refund_to == "payer"
    assert "order of benefits" in f.evidence["last_payer_note"] and "CHK3" in f.evidence["last_payer_note"]
    assert "order of benefits" in f.evidence["summary"] and f.evidence["notes"]


def test_an_unreadable_check_date_does_not_make_the_later_payment_the_original(db_url: str, tmp_path: Path) -> None:
    """The 835's production date (DTM*405), else its ISA09, orders a payment whose BPR16 is unreadable:
    sorted first as an unknown date, the repeat would be taken for the original and the letter would
    ask the payer to take back the wrong check."""
    pack = Path(__file__).resolve().parents[2] / "fixtures" / "duplicate_payment"
    for f in pack.iterdir():
        data = f.read_bytes()
        if f.name == "20241122-835-NSB02-24112250280388.835":  # the repeat payment (DTM*405 20241121)
            assert b"*88234501*20241122~" in data
            data = data.replace(b"*88234501*20241122~", b"*88234501*20241131~")  # November 31st
        (tmp_path / f.name).write_bytes(data)
    from edi_engine.store.packs import load_folder
    engine = open_store(db_url)
    load_folder(engine, tmp_path)
    detect(engine, as_of="2024-12-01")
    with engine.connect() as conn:
        (f,) = [f for f in list_findings(conn, "open") if f.category == "duplicate_payment"]
    assert f"{f.amount:.2f}" == "316.55"
    first, again = f.evidence["records"]
    assert again["clp07"] == "5243270030722" and again.get(UNKNOWN_CHECK_DATE)  # still the repeat
    assert first["check_date"] == "2024-11-01"
