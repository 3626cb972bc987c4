"""EFT/check reassociation rules: trace first, then amount and date within business days."""

from __future__ import annotations

import dataclasses
from datetime import date

from edi_engine.ledger.reassociation import Window, business_days, reassociate
from edi_engine.store.deposits import DepositFact, EraPaymentFact

WINDOW = Window(3, 10)


def _p(id: int, amount: int, day: date, trace: str = "", method: str = "ACH", cd: str = "C",
       payer: str = "P1") -> EraPaymentFact:
    return EraPaymentFact(id, "r.835", 3, 100, amount, cd, method, day, trace, "1999", payer, "1", "0001")


def _d(id: int, amount: int, day: date, trace: str = "", customer: str = "", originator: str = "") -> DepositFact:
    return DepositFact(id, "s.bai2", id + 3, day, amount, "88234502", "165", trace, originator, "", customer, True)


def _pairs(payments: list[EraPaymentFact], deposits: list[DepositFact], window: Window = WINDOW
           ) -> set[tuple[int, int, str]]:
    return {(m.payment_id, m.deposit_id, m.method) for m in reassociate(payments, deposits, window).matches}


MON, TUE, FRI = date(2024, 10, 28), date(2024, 10, 29), date(2024, 11, 1)


def test_business_days_skip_weekends_and_holidays() -> None:
    assert business_days(FRI, date(2024, 11, 4)) == 1  # Friday to Monday
    assert business_days(date(2024, 11, 4), FRI) == -1
    assert business_days(MON, MON) == 0
    assert business_days(MON, date(2024, 11, 11)) == 10
    assert business_days(MON, date(2024, 11, 11), frozenset({date(2024, 11, 11)})) == 9


def test_trace_and_amount_win_over_a_nearer_date() -> None:
    payments = [_p(1, 5000, MON, "T1"), _p(2, 5000, MON, "T2")]
    deposits = [_d(10, 5000, MON, "T2"), _d(11, 5000, TUE, "T1")]
    assert _pairs(payments, deposits) == {(1, 11, "trn02"), (2, 10, "trn02")}


def test_a_check_matches_by_check_number_padded_or_not() -> None:
    assert _pairs([_p(1, 700, MON, "1234", "CHK")], [_d(10, 700, date(2024, 11, 20), customer="00001234")]) == \
        {(1, 10, "check_number")}


def test_without_a_trace_amount_and_date_within_the_window() -> None:
    payments = [_p(1, 900, MON, "T1"), _p(2, 800, MON, "T2"), _p(3, 600, MON, "9", "CHK")]
    deposits = [_d(10, 900, date(2024, 10, 31)), _d(11, 800, date(2024, 11, 4)), _d(12, 600, date(2024, 11, 8))]
    # 900: 3 business days later, in; 800: 5 later, out; the check 600: 9 later, in its 10-day window.
    assert _pairs(payments, deposits) == {(1, 10, "amount+date"), (3, 12, "amount+date")}
    result = reassociate(payments, deposits, WINDOW)
    assert [p.id for p in result.unmatched_payments] == [2]
    assert [d.id for d in result.unmatched_deposits] == [11]


def test_a_deposit_with_another_trace_is_never_taken_by_amount() -> None:
    result = reassociate([_p(1, 900, MON, "T1")], [_d(10, 900, MON, "T9")], WINDOW)
    assert result.matches == ()
    assert [p.id for p in result.unmatched_payments] == [1] and [d.id for d in result.unmatched_deposits] == [10]


def test_same_trace_other_amount_is_kept_as_evidence() -> None:
    result = reassociate([_p(1, 900, MON, "T1")], [_d(10, 950, MON, "T1")], WINDOW)
    assert result.matches == () and [d.id for d in result.same_trace[1]] == [10]


def test_debits_zero_and_non_payments_need_no_deposit() -> None:
    payments = [_p(1, 900, MON, "T1", cd="D"), _p(2, 0, MON, "T2", "NON"), _p(3, 500, MON, "T3", "NON")]
    result = reassociate(payments, [], WINDOW)
    assert result.unmatched_payments == () and result.matches == ()


def test_the_nearest_deposit_wins_and_row_order_does_not_matter() -> None:
    payments = [_p(1, 900, MON), _p(2, 900, FRI)]
    deposits = [_d(10, 900, TUE), _d(11, 900, FRI)]
    want = {(1, 10, "amount+date"), (2, 11, "amount+date")}
    assert _pairs(payments, deposits) == want
    other = {10: 11, 11: 10}
    swapped = [dataclasses.replace(d, id=other[d.id]) for d in deposits]  # other ids, same content
    assert {(p, other[d], m) for p, d, m in _pairs(payments[::-1], swapped[::-1])} == want


def test_the_payer_named_by_the_deposit_breaks_a_tie() -> None:
    payments = [_p(1, 900, MON, payer="AAA"), _p(2, 900, MON, payer="BBB")]
    deposits = [_d(10, 900, MON, originator="BBB"), _d(11, 900, MON, originator="AAA")]
    assert _pairs(payments, deposits) == {(1, 11, "amount+date"), (2, 10, "amount+date")}
