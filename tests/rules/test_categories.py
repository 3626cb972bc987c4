"""Each finding category and each trap of issue 4, on hand-built X12 ingested into a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Claim, Clp, Line, Store, Svc, file_835, file_837
from tests.ledger.scenarios import claim, denied_duplicate, paid, reversal, secondary

AS_OF = "2024-03-01"


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def found(store: Store, status: str = "all") -> list[tuple[str, str | None, str | None, str, str | None, str]]:
    with store.engine.connect() as conn:
        return sorted((f.category, f.claim_id, f.payer_id, f"{f.amount:.2f}", f.refund_to, f.status)
                      for f in list_findings(conn, status))


def run(store: Store, *files: tuple[str, bytes], as_of: str = AS_OF) -> list[tuple]:  # type: ignore[type-arg]
    store.ingest(*[store.add(name, data) for name, data in files])
    detect(store.engine, as_of=as_of)
    return found(store)


def test_single_correct_payment_has_no_finding(store: Store) -> None:
    assert run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()]))) == []


def test_duplicate_payment_on_a_second_check(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")])))
    assert got == [("duplicate_payment", "PCN1", "P1", "104.00", "payer", "open")]


def test_reversal_then_repayment_is_not_a_duplicate(store: Store) -> None:
    first = paid()
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [first])),
              ("b.835", file_835("P1", "CHK2", "20240215", [reversal(first), paid("ICN1B", l1_paid="60.00")])))
    assert got == []


def test_payment_taken_back_with_no_repayment_is_no_credit(store: Store) -> None:
    first = paid()
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [first])),
              ("b.835", file_835("P1", "CHK2", "20240215", [reversal(first)], plbs=[("FB", "BAL1", "-104.00")])))
    # The claim is a receivable again, no credit. The check's forwarded balance is P1's money until a
    # later 835 applies it (domain.md 4.6): a pending recoupment of the 835, owed to P1, never a refund.
    assert got == [("pending_recoupment", None, "P1", "104.00", None, "open")]


def test_split_claim_paid_across_two_clps_is_not_a_duplicate(store: Store) -> None:
    a = Clp("PCN1", "1", "100.00", "64.00", "16.00", "ICN1A",
            [Svc("99213", "100.00", "64.00", "L1", [("CO", "45", "20.00"), ("PR", "2", "16.00")], "80.00")])
    b = Clp("PCN1", "1", "50.00", "40.00", "0.00", "ICN1B",
            [Svc("85025", "50.00", "40.00", "L2", [("CO", "45", "10.00")], "40.00")])
    assert run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [a, b]))) == []


def test_carc_18_duplicate_denial_is_not_a_credit(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim(), claim()])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P1", "CHK2", "20240215", [denied_duplicate()])))
    assert got == []


def test_duplicate_the_payer_reverses_itself_is_resolved(store: Store) -> None:
    dup = paid("ICN2")
    run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
        ("b.835", file_835("P1", "CHK2", "20240215", [dup])))
    assert found(store, "open") == [("duplicate_payment", "PCN1", "P1", "104.00", "payer", "open")]
    got = run(store, ("c.835", file_835("P1", "CHK3", "20240301", [reversal(dup)])), as_of="2024-03-05")
    assert got == [("duplicate_payment", "PCN1", "P1", "104.00", "payer", "resolved")]
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "resolved")
    assert f.identified_on.isoformat() == AS_OF and f.resolved_on.isoformat() == "2024-03-05"
    records = f.evidence["records"] + f.evidence.get("resolution", {}).get("records", [])
    assert any(r["role"] == "reversed by payer" and r["trn02"] == "CHK3" for r in records)


def test_duplicate_recouped_by_plb_wo_on_a_later_check(store: Store) -> None:
    other = Claim("PCN7", "P1", [Line("99213", "100.00", "X1")], member="M7")
    other_paid = Clp("PCN7", "1", "100.00", "80.00", "0.00", "ICN7",
                     [Svc("99213", "100.00", "80.00", "X1", [("CO", "45", "20.00")], "80.00")], member="M7")
    got = run(store, ("c.837", file_837([claim(), other])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")])),
              ("c.835", file_835("P1", "CHK3", "20240301", [other_paid], plbs=[("WO", "ICN2", "104.00")])))
    assert got == [("duplicate_payment", "PCN1", "P1", "104.00", "payer", "resolved")]


def test_partial_recoupment_leaves_the_rest_open(store: Store) -> None:
    other = Claim("PCN7", "P1", [Line("99213", "100.00", "X1")], member="M7")
    other_paid = Clp("PCN7", "1", "100.00", "80.00", "0.00", "ICN7",
                     [Svc("99213", "100.00", "80.00", "X1", [("CO", "45", "20.00")], "80.00")], member="M7")
    got = run(store, ("c.837", file_837([claim(), other])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")])),
              ("c.835", file_835("P1", "CHK3", "20240301", [other_paid], plbs=[("WO", "ICN2", "100.00")])))
    assert got == [("duplicate_payment", "PCN1", "P1", "4.00", "payer", "open")]


def test_payer_overpayment_against_its_own_allowed(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim()])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid(l1_paid="74.00")])))
    assert got == [("payer_overpayment", "PCN1", "P1", "10.00", "payer", "open")]


def test_payer_overpayment_against_the_fee_schedule(store: Store, tmp_path: Path) -> None:
    from edi_engine.store.imports import import_fee_schedule
    fees = tmp_path / "fees.csv"
    fees.write_text("payer_id,procedure_code,modifier,allowed_amount\nP1,99213,,75.00\nP1,85025,,40.00\n")
    import_fee_schedule(store.engine, fees)
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])))
    assert got == [("payer_overpayment", "PCN1", "P1", "5.00", "payer", "open")]


def test_correct_cob_has_no_finding(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim(), claim(payer="P2", sbr="S")])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P2", "CHK2", "20240215", [secondary("16.00")])))
    assert got == []


def test_cob_overpayment_is_owed_by_the_payer_that_paid_last(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim(), claim(payer="P2", sbr="S")])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
              ("b.835", file_835("P2", "CHK2", "20240215", [secondary("30.00")])))
    assert got == [("cob_overpayment", "PCN1", "P2", "14.00", "payer", "open")]


def test_patient_who_paid_exactly_their_share(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim()])), store.add("a.835", file_835("P1", "CHK1", "20240201",
                                                                                       [paid()])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "16.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == []


def test_patient_overpayment(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim()])), store.add("a.835", file_835("P1", "CHK1", "20240201",
                                                                                       [paid()])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "30.00"), ("PCN1", "2024-01-20", "10.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == [("patient_overpayment", "PCN1", "P1", "24.00", "patient", "open")]


def test_patient_overpayment_goes_to_offset_against_another_open_balance(store: Store) -> None:
    # PCN2 leaves the same patient owing 16.00: a credit of 14.00 fits in it whole.
    store.ingest(store.add("c.837", file_837([claim(), claim("PCN2")])),
                 store.add("a.835", file_835("P1", "CHK1", "20240201", [paid(), paid("ICN5", clm01="PCN2")])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "30.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == [("patient_overpayment", "PCN1", "P1", "14.00", "offset", "open")]


def test_patient_credit_larger_than_the_other_balance_is_refunded(store: Store) -> None:
    # 24.00 does not fit in the 16.00 the patient owes on PCN2: a partial offset would leave
    # part of the refund unreported, so the whole credit is a refund to the patient.
    store.ingest(store.add("c.837", file_837([claim(), claim("PCN2")])),
                 store.add("a.835", file_835("P1", "CHK1", "20240201", [paid(), paid("ICN5", clm01="PCN2")])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "40.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == [("patient_overpayment", "PCN1", "P1", "24.00", "patient", "open")]


def test_patient_share_is_not_final_while_the_secondary_has_not_answered(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim(), claim(payer="P2", sbr="S")])),
                 store.add("a.835", file_835("P1", "CHK1", "20240201", [paid()])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "40.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == []


def test_patient_paid_and_secondary_paid_the_coinsurance(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim(), claim(payer="P2", sbr="S")])),
                 store.add("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
                 store.add("b.835", file_835("P2", "CHK2", "20240215", [secondary("16.00")])))
    store.patient_payments("pp.csv", [("PCN1", "2024-01-05", "16.00")])
    detect(store.engine, as_of=AS_OF)
    assert found(store) == [("patient_overpayment", "PCN1", "P1", "16.00", "patient", "open")]


def test_payment_for_a_claim_never_billed_is_unmatched(store: Store) -> None:
    got = run(store, ("c.837", file_837([claim()])),
              ("a.835", file_835("P1", "CHK1", "20240201", [paid(), paid("ICN9", clm01="PCN9")])))
    assert got == [("unmatched_payment", "PCN9", "P1", "104.00", None, "open")]


def test_payment_from_a_payer_never_billed_is_unmatched_until_aliased(store: Store) -> None:
    from edi_engine.store import payers
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("X9", "CHK1", "20240201", [paid()])))
    assert got == [("unmatched_payment", "PCN1", "X9", "104.00", None, "open")]
    with store.engine.begin() as conn:
        payers.add_alias(conn, "X9", "P1")
    detect(store.engine, as_of="2024-03-02")
    assert found(store) == [("unmatched_payment", "PCN1", "X9", "104.00", None, "resolved")]


def test_unbalanced_claim_payment(store: Store) -> None:
    bad = paid()
    bad.svcs[1].cas = [("CO", "45", "5.00")]  # SVC02 50 - 5 != SVC03 40
    got = run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [bad])))
    assert ("unbalanced_remittance", "PCN1", "P1", "5.00", None, "open") in got


def test_medicare_deadline_is_60_days_from_identification(store: Store) -> None:
    dup = paid("ICN2")
    dup.filing = "MB"
    run(store, ("c.837", file_837([claim()])), ("a.835", file_835("P1", "CHK1", "20240201", [paid()])),
        ("b.835", file_835("P1", "CHK2", "20240215", [dup])))
    with store.engine.connect() as conn:
        (f,) = list_findings(conn)
    assert f.payer_type == "medicare" and f.deadline.isoformat() == "2024-04-30"
