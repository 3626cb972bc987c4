"""EFT and check reassociation: which bank deposit each 835 payment arrived as.

Owns the matching rules (domain.md 1.11; CAQH CORE 370 EFT & ERA Reassociation rule, whose
minimum CCD+ data are the Effective Entry Date = BPR16, the Amount = BPR02 and the Payment Related
Information = the 835's TRN segment):

1. by trace: the deposit's reassociation trace (TRN02 read from the CCD+ addenda, or the CSV
   reference) or customer reference equals the payment's TRN02 and the amounts are equal. For a
   check (BPR04 CHK) TRN02 is the check number, and the method is `check_number`; else `trn02`.
2. else by amount and date: equal amount, deposit date within the window of BPR16 in business days
   (CORE 370 lets the 835 and the EFT be up to three business days apart; a check needs mail time,
   hence its own window). A deposit that carries a different trace belongs to another payment and
   is never taken this way. Method `amount+date`.

One payment, one deposit (one payment device, one 835: RFI 2287). A debit (BPR03 D), a zero
payment and a non-payment (BPR04 NON) need no deposit. Ties are broken by content (dates, traces,
file names and lines), never by row ids, so the order things were stored in cannot change a match.
Knows nothing of findings, the rule pack or SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from edi_engine.store.deposits import DepositFact, EraPaymentFact

__all__ = ["DepositMatch", "Reassociation", "Window", "business_days", "needs_deposit", "reassociate"]

TRACE, CHECK, AMOUNT_DATE = "trn02", "check_number", "amount+date"


@dataclass(frozen=True, slots=True)
class Window:
    eft_business_days: int
    check_business_days: int
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class DepositMatch:
    payment_id: int
    deposit_id: int
    method: str


@dataclass(frozen=True, slots=True)
class Reassociation:
    matches: tuple[DepositMatch, ...]
    unmatched_payments: tuple[EraPaymentFact, ...]  # need a deposit, none found
    unmatched_deposits: tuple[DepositFact, ...]
    same_trace: dict[int, tuple[DepositFact, ...]] = field(default_factory=dict)  # payment id -> other amounts


def needs_deposit(p: EraPaymentFact) -> bool:
    return p.credit_debit != "D" and p.amount > 0 and p.method != "NON"


def business_days(a: date, b: date, holidays: frozenset[date] = frozenset()) -> int:
    """Business days from a to b (negative when b is earlier): weekdays after the earlier date up to and
    including the later one, less holidays. A deposit on the same day is 0."""
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    days = (hi - lo).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (lo + timedelta(days=i)).weekday() < 5:
            count += 1
    count -= sum(1 for h in holidays if lo < h <= hi and h.weekday() < 5)
    return sign * count


def _norm(value: str) -> str:
    value = value.strip().upper()
    return (value.lstrip("0") or "0") if value.isdigit() else value


def _payment_order(p: EraPaymentFact) -> tuple[object, ...]:
    return (p.payment_date or date.min, p.trace_number, p.amount, p.payer_id, p.isa13, p.st02, p.file, p.segment)


def _deposit_order(d: DepositFact) -> tuple[object, ...]:
    return (d.deposit_date, d.amount, d.trace_number, d.customer_reference, d.bank_reference, d.account, d.file,
            d.line)


def _disagreement(p: EraPaymentFact, d: DepositFact) -> int:
    """0: the deposit names this payer (TRN03 or payer id); 1: it names none; 2: it names another."""
    origin = d.originator.strip().upper()
    if not origin:
        return 1
    return 0 if origin in {p.trace_payer_id.upper(), p.payer_id.upper()} else 2


def _distance(p: EraPaymentFact, d: DepositFact, holidays: frozenset[date]) -> int:
    return abs(business_days(p.payment_date, d.deposit_date, holidays)) if p.payment_date else 1 << 20


def reassociate(payments: Iterable[EraPaymentFact], deposits: Iterable[DepositFact], window: Window
                ) -> Reassociation:
    wanted = sorted((p for p in payments if needs_deposit(p)), key=_payment_order)
    pool = sorted(deposits, key=_deposit_order)
    by_key: dict[tuple[str, int], list[DepositFact]] = defaultdict(list)
    by_trace: dict[str, list[DepositFact]] = defaultdict(list)
    for d in pool:
        for key in {_norm(d.trace_number), _norm(d.customer_reference)} - {"", "0"}:
            by_key[(key, d.amount)].append(d)
            by_trace[key].append(d)
    taken: set[int] = set()
    matches: list[DepositMatch] = []
    left: list[EraPaymentFact] = []
    for p in wanted:  # 1. by trace (or check number) and amount
        trace = _norm(p.trace_number)
        found = [d for d in by_key.get((trace, p.amount), ()) if d.id not in taken] if trace else []
        if found:
            best = min(found, key=lambda d: (_disagreement(p, d), _distance(p, d, window.holidays), _deposit_order(d)))
            taken.add(best.id)
            matches.append(DepositMatch(p.id, best.id, CHECK if p.method == "CHK" else TRACE))
        else:
            left.append(p)
    by_amount: dict[int, list[DepositFact]] = defaultdict(list)
    for d in pool:
        if d.id not in taken:
            by_amount[d.amount].append(d)
    pairs = []
    for p in left:  # 2. by amount and date, nearest first
        if p.payment_date is None:
            continue
        limit = window.check_business_days if p.method == "CHK" else window.eft_business_days
        trace = _norm(p.trace_number)
        for d in by_amount.get(p.amount, ()):
            other = _norm(d.trace_number)
            if other and trace and other != trace:
                continue  # it carries another payment's trace
            distance = _distance(p, d, window.holidays)
            if distance <= limit:
                pairs.append((distance, _disagreement(p, d), _payment_order(p), _deposit_order(d), p, d))
    pairs.sort(key=lambda t: t[:4])
    done: set[int] = set()
    for *_key, p, d in pairs:
        if p.id in done or d.id in taken:
            continue
        done.add(p.id)
        taken.add(d.id)
        matches.append(DepositMatch(p.id, d.id, AMOUNT_DATE))
    unmatched = tuple(p for p in left if p.id not in done)
    same_trace = {p.id: tuple(d for d in by_trace.get(_norm(p.trace_number), ()) if d.id not in taken)
                  for p in unmatched if p.trace_number}
    return Reassociation(tuple(sorted(matches, key=lambda m: m.payment_id)), unmatched,
                         tuple(d for d in pool if d.id not in taken),
                         {k: v for k, v in same_trace.items() if v})

